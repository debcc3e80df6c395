/* vkit — long libvirt calls that run as domain jobs (save, restore, dump,
 * migrate): the call runs in a thread of its own so that the caller can
 * watch it (a tick every few hundred milliseconds: progress, timeouts)
 * and a signal can abort it; and what a domain's job reports.
 */
#ifndef VK_VIRT_JOB_H
#define VK_VIRT_JOB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "util/error.h"

typedef struct vk_job vk_job;
struct vk_job {
  int (*call)(vk_job *j); /* the blocking call: < 0 on failure */
  virConnectPtr conn;
  virDomainPtr dom; /* the domain whose job a signal aborts ... */
  const char *name; /* ... or its name, while it does not exist yet */
  const char *file; /* arguments of the call, as it needs them */
  const char *xml;
  unsigned flags;
  void *opaque;
  /* Called in the caller's thread every tick_ms while the call runs
   * (tick_ms 0: never); may abort the job with virDomainAbortJob. */
  void (*tick)(vk_job *j);
  int tick_ms;
  /* results */
  int rc;
  virErrorPtr err;  /* the call's error, saved in its thread */
  bool interrupted; /* a signal came and the job was aborted */
  int done[2];
};

/* Run j->call; on a signal (`cancel` set: vk_cancel_flag()), abort the
 * domain's job and wait for the call to give up.  Returns the call's
 * result. */
int vk_job_run(vk_job *j, const atomic_int *cancel);

/* The error of a failed job: "cannot <verb> domain 'NAME': interrupted"
 * after a signal, else libvirt's.  Frees j->err.  Returns false. */
bool vk_job_error(vk_job *j, const char *verb, vk_error **errp);

/* What a running job reports: all in bytes and milliseconds. */
typedef struct vk_job_info {
  int type;              /* virDomainJobType: none, bounded, unbounded */
  const char *type_word; /* "none", "bounded", "unbounded", "completed", "failed", "cancelled" */
  char *operation;       /* "save", "dump", "migration out", ... or NULL */
  bool has_time_elapsed_ms, has_time_remaining_ms, has_data_total, has_data_processed,
      has_data_remaining, has_memory_total, has_memory_processed, has_memory_remaining,
      has_disk_total, has_disk_processed, has_disk_remaining, has_downtime_ms,
      has_memory_dirty_rate, has_memory_iteration, has_memory_bps;
  uint64_t time_elapsed_ms, time_remaining_ms;
  uint64_t data_total, data_processed, data_remaining;
  uint64_t memory_total, memory_processed, memory_remaining;
  uint64_t disk_total, disk_processed, disk_remaining;
  uint64_t downtime_ms;       /* migration: how long the guest was paused */
  uint64_t memory_dirty_rate; /* pages dirtied per second */
  uint64_t memory_iteration;  /* passes over guest memory */
  uint64_t memory_bps;        /* memory transfer rate, bytes per second */
} vk_job_info;

/* The domain's current job (type "none" when it has none); with
 * `completed`, the last one that finished. */
bool vk_domain_job_info(virDomainPtr dom, bool completed, vk_job_info *out, vk_error **errp);
void vk_job_info_clear(vk_job_info *j);

/* Abort the domain's current job (VK_EXIT_BUSY when there is none). */
bool vk_domain_job_abort(virDomainPtr dom, vk_error **errp);

#endif
