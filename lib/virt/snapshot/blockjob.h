/* vkit — live block jobs on a running domain's disks (vctl blockcommit,
 * blockpull, blockcopy, blockjob, blockresize).
 *
 * A job started with `wait` is followed through libvirt's block job
 * events (never by sleeping): the call returns when the job completed,
 * or, for an active commit or a copy, when it is ready (both images in
 * sync) and the pivot or finish that was asked for is done.  A wait that
 * times out (VK_EXIT_TIMEOUT) or is interrupted by a signal aborts the
 * job: libvirt then leaves the disk on the image it was using, so the
 * chain stays usable whatever happens.
 */
#ifndef VK_VIRT_BLOCKJOB_H
#define VK_VIRT_BLOCKJOB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

typedef struct vk_blockjob_opts {
  bool wait;
  int wait_ms;              /* with wait: at most this long (< 0: no limit) */
  bool pivot;               /* once ready: the disk moves to the new image */
  bool finish;              /* once ready: the job ends, the disk stays (copy: a
                               consistent copy; commit: --keep-overlay) */
  uint64_t bandwidth;       /* bytes per second, 0: no limit */
  const atomic_int *cancel; /* a signal aborts the job (vk_cancel_flag()) */
  /* progress while waiting: cur of end bytes (called from the caller's thread) */
  void (*progress)(void *opaque, uint64_t cur, uint64_t end);
  void *opaque;
} vk_blockjob_opts;

enum {
  VK_COMMIT_ACTIVE = 1 << 0,  /* commit the active image (a mirror: needs pivot or finish) */
  VK_COMMIT_SHALLOW = 1 << 1, /* only the top image into its backing file */
  VK_COMMIT_DELETE = 1 << 2,  /* remove the images that left the chain */
};

/* Merge the images from `top` (NULL: the active one with VK_COMMIT_ACTIVE,
 * else its backing file) down into `base` (NULL: the bottom of the
 * chain) of disk `disk` (target or source path). */
bool vk_block_commit(virDomainPtr dom, const char *disk, const char *base, const char *top,
                     unsigned flags, const vk_blockjob_opts *o, vk_error **errp);

/* Pull the data of the backing files (down to `base`, NULL: all) into
 * the active image. */
bool vk_block_pull(virDomainPtr dom, const char *disk, const char *base, const vk_blockjob_opts *o,
                   vk_error **errp);

enum {
  VK_COPY_SHALLOW = 1 << 0,   /* copy the top image only: the copy gets its backing file */
  VK_COPY_REUSE = 1 << 1,     /* dest exists already (made by the caller) */
  VK_COPY_TRANSIENT = 1 << 2, /* the job is not resumed when the domain restarts
                                 (always so for a persistent domain: libvirt
                                 copies its disks no other way) */
};

/* Copy disk `disk` to `dest` (format "qcow2" or "raw"; NULL: qcow2) while
 * the guest runs.  dest is made here with the image engine unless
 * VK_COPY_REUSE (an existing file is refused, VK_EXIT_BUSY), and removed
 * again if the job fails, is aborted or times out. */
bool vk_block_copy(virDomainPtr dom, const char *disk, const char *dest, const char *format,
                   unsigned flags, const vk_blockjob_opts *o, vk_error **errp);

typedef struct vk_blockjob_info {
  bool active;        /* a job runs on the disk */
  const char *type;   /* pull, copy, commit, active commit */
  uint64_t bandwidth; /* bytes per second, 0: no limit */
  uint64_t cur, end;  /* progress */
  bool ready;         /* cur == end for a mirror job: pivot or finish now */
} vk_blockjob_info;

bool vk_blockjob_info_get(virDomainPtr dom, const char *disk, vk_blockjob_info *out,
                          vk_error **errp);

/* End the disk's job: pivot to the new image (ready mirror jobs only), or
 * abort it (the disk stays on its image); returns once the job is gone. */
bool vk_blockjob_abort(virDomainPtr dom, const char *disk, bool pivot, vk_error **errp);

/* Change the job's bandwidth (bytes per second, 0: no limit). */
bool vk_blockjob_set_bandwidth(virDomainPtr dom, const char *disk, uint64_t bandwidth,
                               vk_error **errp);

/* Grow (or shrink) a running domain's disk to `size` bytes. */
bool vk_block_resize(virDomainPtr dom, const char *disk, uint64_t size, vk_error **errp);

/* The files of disk `disk`'s chain in the live XML, top first
 * (NULL-terminated, vk_strv_free()).  VK_EXIT_NOTFOUND for no such
 * disk. */
char **vk_disk_chain(virDomainPtr dom, const char *disk, vk_error **errp);

#endif
