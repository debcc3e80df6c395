/* vkit — a domain moved to another host with libvirt's migration
 * (vctl migrate), the checks made before anything moves (--dry-run), and
 * the tuning of a migration that runs.
 *
 * Promise: after any failure the guest runs on exactly one host — the
 * source, in the state it had (a guest paused for a timeout runs again),
 * and defined where it was; nothing is left on the destination that the
 * migration made there (a definition, an image vkit created for
 * --copy-storage-*).  A signal (vk_cancel_flag()) aborts the migration
 * job the same way.
 */
#ifndef VK_VIRT_MIGRATE_H
#define VK_VIRT_MIGRATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <libvirt/libvirt.h>

#include "util/error.h"
#include "virt/job.h"

enum {
  VK_MIGRATE_LIVE = 1 << 0,            /* the guest keeps running while its memory moves */
  VK_MIGRATE_OFFLINE = 1 << 1,         /* only the definition moves (a shut-off domain) */
  VK_MIGRATE_P2P = 1 << 2,             /* the source daemon talks to the destination */
  VK_MIGRATE_TUNNELLED = 1 << 3,       /* the data goes through the daemons' connection */
  VK_MIGRATE_PERSISTENT = 1 << 4,      /* defined on the destination ... */
  VK_MIGRATE_UNDEFINE_SOURCE = 1 << 5, /* ... and no longer on the source */
  VK_MIGRATE_COPY_ALL = 1 << 6,        /* disks copied (non-shared storage) */
  VK_MIGRATE_COPY_INC = 1 << 7,        /* only the top images copied */
  VK_MIGRATE_UNSAFE = 1 << 8,          /* storage libvirt does not know to be shared */
  VK_MIGRATE_AUTO_CONVERGE = 1 << 9,
  VK_MIGRATE_POSTCOPY = 1 << 10,               /* allow switching to post-copy */
  VK_MIGRATE_POSTCOPY_AFTER_PRECOPY = 1 << 11, /* switch after the first pass */
  VK_MIGRATE_COMPRESSED = 1 << 12,
  VK_MIGRATE_PARALLEL = 1 << 13,
  VK_MIGRATE_PAUSED = 1 << 14, /* leave it paused on the destination */
};

/* What happens when --timeout expires. */
typedef enum {
  VK_MIGRATE_TIMEOUT_SUSPEND,  /* pause the guest so the copy completes (virsh's default) */
  VK_MIGRATE_TIMEOUT_POSTCOPY, /* switch to post-copy */
  VK_MIGRATE_TIMEOUT_ABORT,    /* abort; the guest stays on the source (VK_EXIT_TIMEOUT) */
} vk_migrate_timeout;

typedef struct vk_migrate_opts {
  unsigned flags;             /* VK_MIGRATE_* */
  const char *migrate_uri;    /* where QEMU's stream goes (tcp://ADDR[:PORT]) */
  const char *listen_address; /* where the destination QEMU listens */
  const char *dname;          /* the domain's name on the destination */
  const char *xml;            /* its XML on the destination (same devices) */
  uint64_t bandwidth;         /* MiB/s, 0: libvirt's default */
  int parallel_connections;   /* with VK_MIGRATE_PARALLEL, 0: default */
  int timeout_s;              /* 0: none */
  vk_migrate_timeout timeout_action;
  /* progress: called about twice a second with the job's statistics */
  void (*progress)(void *opaque, const vk_job_info *ji);
  void *progress_opaque;
} vk_migrate_opts;

/* The outcome of a migration that completed. */
typedef struct vk_migrate_result {
  vk_job_info stats; /* the completed job, as the source saw it */
  bool has_stats;
  bool timed_out; /* the timeout action was taken */
  double seconds; /* wall time of the migration call */
} vk_migrate_result;

/* Check what can be checked before a migration of `dom` to `dconn`:
 * options that go together, the destination answers, the name and UUID
 * are free there (unless only the definition is replaced), the domain is
 * in a state the options allow, the destination accepts its CPU, its
 * disks exist there or will be copied, the destination has the memory.
 * With `plan` non-NULL, one line per check is written there ("ok: ...").
 * Returns false with *errp set at the first failing check: VK_EXIT_USAGE
 * for options, VK_EXIT_BUSY for the destination's state, VK_EXIT_NOTFOUND
 * for a missing disk. */
bool vk_migrate_check(virDomainPtr dom, virConnectPtr dconn, const vk_migrate_opts *o, FILE *plan,
                      vk_error **errp);

/* Migrate `dom` to the host `dconn` is connected to (`dest_uri` is that
 * host's URI as the source daemon must use it for VK_MIGRATE_P2P).
 * Runs vk_migrate_check() first.  On failure *errp is set: VK_EXIT_TIMEOUT
 * when the timeout action is abort, VK_EXIT_FAILED for a migration that
 * failed or was interrupted, the check's status for a refused one; the
 * guest is back as the promise at the top says. */
bool vk_migrate(virDomainPtr dom, virConnectPtr dconn, const char *dest_uri,
                const vk_migrate_opts *o, const atomic_int *cancel, vk_migrate_result *res,
                vk_error **errp);

/* Tuning of the domain's migration (while it runs, or for the next one). */
bool vk_migrate_set_speed(virDomainPtr dom, uint64_t mib_per_s, bool postcopy, vk_error **errp);
bool vk_migrate_get_speed(virDomainPtr dom, bool postcopy, uint64_t *mib_per_s, vk_error **errp);
bool vk_migrate_set_max_downtime(virDomainPtr dom, uint64_t ms, vk_error **errp);
bool vk_migrate_get_max_downtime(virDomainPtr dom, uint64_t *ms, vk_error **errp);
/* Switch a running migration to post-copy (it must have been started
 * with VK_MIGRATE_POSTCOPY). */
bool vk_migrate_start_postcopy(virDomainPtr dom, vk_error **errp);

#endif
