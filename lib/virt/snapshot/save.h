/* vkit — a running domain's state saved to a file and brought back
 * (vctl save, restore, managedsave, dump), and the domain jobs that do
 * it (domjobinfo, domjobabort).
 *
 * The long calls run as libvirt jobs that a signal aborts: with `cancel`
 * given (vk_cancel_flag()), SIGINT, SIGTERM or SIGHUP abort the job, and
 * the call fails with "interrupted".  A save or dump that fails for any
 * reason removes the file it was writing (never one that was there
 * before) and leaves the guest in the state it had.
 */
#ifndef VK_VIRT_SAVE_H
#define VK_VIRT_SAVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

enum {
  VK_SAVE_BYPASS_CACHE = 1 << 0, /* O_DIRECT: keep the host's page cache clean */
  VK_SAVE_RUNNING = 1 << 1,      /* restore (or start) it running ... */
  VK_SAVE_PAUSED = 1 << 2,       /* ... or paused, whatever it was */
  VK_SAVE_MEMORY_ONLY = 1 << 3,  /* dump: an ELF core of guest memory only */
};

/* Save the domain's memory and device state to `file` (a new file: one
 * that exists is refused, VK_EXIT_BUSY), with the domain XML `xml`
 * instead of its own if non-NULL; the domain stops.  Needs a running or
 * paused domain (VK_EXIT_BUSY otherwise). */
bool vk_domain_save(virDomainPtr dom, const char *file, const char *xml, unsigned flags,
                    const atomic_int *cancel, vk_error **errp);

/* Start the domain saved in `file`; returns the new domain reference
 * (the caller frees it) or NULL. */
virDomainPtr vk_domain_restore(virConnectPtr conn, const char *file, const char *xml,
                               unsigned flags, const atomic_int *cancel, vk_error **errp);

/* Managed save: libvirt keeps the file and the next start resumes it. */
bool vk_domain_managed_save(virDomainPtr dom, unsigned flags, const atomic_int *cancel,
                            vk_error **errp);
/* Drop the managed save image (VK_EXIT_NOTFOUND when there is none). */
bool vk_domain_managed_save_remove(virDomainPtr dom, vk_error **errp);
/* The domain XML kept in the managed save image, or in a save file. */
char *vk_domain_managed_save_xml(virDomainPtr dom, bool secure, vk_error **errp);
char *vk_save_image_xml(virConnectPtr conn, const char *file, bool secure, vk_error **errp);

/* Dump the guest's memory to `file` (a new file) for a crash analysis;
 * VK_SAVE_MEMORY_ONLY for an ELF core.  The guest keeps running (paused
 * for the dump) unless it crashed. */
bool vk_domain_dump(virDomainPtr dom, const char *file, unsigned flags, const atomic_int *cancel,
                    vk_error **errp);

/* What a running job reports: all in bytes and milliseconds. */
typedef struct vk_job_info {
  int type;              /* virDomainJobType: none, bounded, unbounded */
  const char *type_word; /* "none", "bounded", "unbounded", "completed", "failed", "cancelled" */
  char *operation;       /* "save", "dump", "migration out", ... or NULL */
  bool has_time_elapsed_ms, has_time_remaining_ms, has_data_total, has_data_processed,
      has_data_remaining, has_memory_total, has_memory_processed, has_memory_remaining,
      has_disk_total, has_disk_processed, has_disk_remaining;
  uint64_t time_elapsed_ms, time_remaining_ms;
  uint64_t data_total, data_processed, data_remaining;
  uint64_t memory_total, memory_processed, memory_remaining;
  uint64_t disk_total, disk_processed, disk_remaining;
} vk_job_info;

/* The domain's current job (type "none" when it has none); with
 * `completed`, the last one that finished. */
bool vk_domain_job_info(virDomainPtr dom, bool completed, vk_job_info *out, vk_error **errp);
void vk_job_info_clear(vk_job_info *j);

/* Abort the domain's current job (VK_EXIT_BUSY when there is none). */
bool vk_domain_job_abort(virDomainPtr dom, vk_error **errp);

#endif
