/* vkit — the two ends of a conversion (internal to convert.c).
 *
 * cv_src: the sources seen as one device, concatenated, with their
 * allocation map.  cv_dst: the target, created or opened, with the few
 * write operations the pipeline needs.  Both sit on the block drivers of
 * image.h; they add concatenation, locking where a driver is not
 * thread-safe, and the removal of a target that was created here.
 */
#ifndef VK_IMAGE_CONVERT_IO_H
#define VK_IMAGE_CONVERT_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convert.h"
#include "util/error.h"

typedef enum cv_kind {
  CV_DATA,        /* allocated data (may still contain zeros) */
  CV_ZERO,        /* reads as zeros, known without reading */
  CV_UNALLOC,     /* not allocated in the top layer (reads from a backing
                     image, or as zeros when there is none) */
} cv_kind;

typedef struct cv_src cv_src;

/* Open every source of *o read-only, with a handle for each of `workers`
 * threads.  Returns NULL and sets *errp on failure. */
cv_src *cv_src_open(const vk_convert_opts *o, int workers, vk_error **errp);
void cv_src_close(cv_src *s);
/* Sum of the virtual sizes. */
uint64_t cv_src_size(const cv_src *s);

/* What the bytes at `off` are: *kind for the *len bytes from off
 * (1 <= *len <= max).  With `top_only`, unallocated ranges of a source
 * with a backing file report CV_UNALLOC; otherwise the whole chain is
 * looked through and CV_UNALLOC never appears (holes are CV_ZERO).
 * Not thread-safe: the pipeline calls it under its own lock. */
bool cv_src_status(cv_src *s, uint64_t off, uint64_t max, bool top_only,
                   cv_kind *kind, uint64_t *len, vk_error **errp);

/* Read len bytes at off (across source boundaries; zeros past the end)
 * with the handles of thread `worker` (0 <= worker < workers). */
bool cv_src_pread(cv_src *s, int worker, void *buf, size_t len, uint64_t off,
                  vk_error **errp);

typedef struct cv_dst cv_dst;

/* Create (unless o->no_create) and open the target for `size` bytes.
 * Returns NULL and sets *errp on failure (nothing is left behind). */
cv_dst *cv_dst_open(const vk_convert_opts *o, uint64_t size, int workers,
                    vk_error **errp);

/* Target cluster size (qcow2), or 0 for raw. */
uint32_t cv_dst_cluster_size(const cv_dst *d);
/* Clusters go compressed to the target (-c, or a streamOptimized vmdk). */
bool cv_dst_compresses(const cv_dst *d);
/* True when workers may write at once, in any order, each through its
 * own handle (`worker` below); otherwise only worker 0 writes. */
bool cv_dst_parallel(const cv_dst *d);
/* True when the target's clusters can be reserved (cv_dst_reserve()): a
 * qcow2 target opened without -t writeback. */
bool cv_dst_reservable(const cv_dst *d);
/* vk_image_reserve() on the target; only worker 0's handle writes
 * metadata, so the caller serialises these calls with its other writes. */
bool cv_dst_reserve(cv_dst *d, uint64_t off, uint64_t len, uint64_t *host, uint64_t *got,
                    bool *zeroed, vk_error **errp);
/* vk_image_pwrite_reserved(): any thread, at any time before the close. */
bool cv_dst_pwrite_reserved(cv_dst *d, const void *buf, size_t len, uint64_t host, vk_error **errp);
/* True when unwritten ranges of the target read as zeros (a new image
 * without a backing file, or --target-is-zero). */
bool cv_dst_is_zero(const cv_dst *d);
/* Virtual size of the target. */
uint64_t cv_dst_size(const cv_dst *d);

bool cv_dst_pwrite(cv_dst *d, int worker, const void *buf, size_t len,
                   uint64_t off, vk_error **errp);
bool cv_dst_pwrite_zeroes(cv_dst *d, int worker, size_t len, uint64_t off,
                          vk_error **errp);
/* Compress one whole cluster of `data` into `out` (cluster size bytes of
 * room) with the compressor of thread `worker` (only with o->compress).
 * Returns the compressed length, or 0 when it does not fit in less than a
 * cluster (write the cluster uncompressed), or -1 with *errp set.  Each
 * worker may call it at the same time as the others. */
int64_t cv_dst_compress(cv_dst *d, int worker, void *out, const void *data,
                        vk_error **errp);
/* Write one compressed cluster at guest offset `off` (cluster-aligned). */
bool cv_dst_write_compressed(cv_dst *d, const void *cdata, size_t clen,
                             uint64_t off, vk_error **errp);

/* -T none: drop the sources' pages from the page cache (all layers). */
void cv_src_drop_cache(cv_src *s);
/* --salvage: bytes of the sources read as zeros because they could not be
 * read. */
uint64_t cv_src_salvaged(const cv_src *s);
/* Raw sources only (-C can copy them with copy_file_range). */
bool cv_src_all_raw(const cv_src *s);
/* -C: copy [off, off + len) of the raw sources to the raw target with
 * copy_file_range (the kernel, or the filesystem, moves the data; a
 * filesystem that cannot falls back to a read into buf and a write). */
bool cv_copy_range(cv_src *s, cv_dst *d, int worker, void *buf, size_t len, uint64_t off,
                   vk_error **errp);
bool cv_dst_is_raw(const cv_dst *d);
/* --bitmaps: whether the source can give its bitmaps (before anything is
 * written), and the copy into the target once the data is there. */
bool cv_src_bitmaps_ok(cv_src *s, bool skip_broken, vk_error **errp);
bool cv_copy_bitmaps(cv_src *s, cv_dst *d, bool skip_broken, vk_error **errp);
/* Flush and close.  With `ok` false (or when the flush fails) a target
 * created by cv_dst_open() is removed.  Returns false with *errp set if
 * the final flush or close failed.  NULL is a no-op returning `ok`. */
bool cv_dst_close(cv_dst *d, bool ok, vk_error **errp);

#endif
