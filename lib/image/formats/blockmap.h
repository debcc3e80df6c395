/* vkit — images made of equal blocks, each stored somewhere in the file
 * or absent (reads as zeros): the dynamic VHD, the VDI, the VHDX, the
 * QED, a sparse VMDK's grains.  The read, write and block-status paths,
 * over a lookup (and for writing an allocator) the driver gives (internal
 * to lib/image).
 */
#ifndef VK_IMAGE_BLOCKMAP_H
#define VK_IMAGE_BLOCKMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/driver.h"

/* Where block `block` of img starts in the file (>= 0), or
 * VK_BLOCK_ABSENT (not stored: zeros, unallocated), VK_BLOCK_ZERO (a
 * block recorded as zeros), VK_BLOCK_ERROR (*errp set: a table read
 * on demand failed or is damaged).  *same (already 1) may be raised to
 * the number of blocks from `block` on that are absent or zero alike (a
 * whole table that is not there), so that a walk skips them at once. */
#define VK_BLOCK_ABSENT (-1)
#define VK_BLOCK_ZERO (-2)
#define VK_BLOCK_ERROR (-3)
typedef int64_t (*vk_block_lookup)(vk_image *img, uint64_t block, uint64_t *same, vk_error **errp);

/* Writable images: give block `block`, which lookup said is absent or
 * zero, new storage that reads as zeros, and record it in the driver's
 * table, in memory and in the file (in an order a crash survives: at
 * worst a block is lost, never one block given to two places).  Returns
 * its host offset, or VK_BLOCK_ERROR with *errp set. */
typedef int64_t (*vk_block_alloc)(vk_image *img, uint64_t block, vk_error **errp);

/* The first member of such a driver's img->priv. */
typedef struct vk_blockmap {
  uint32_t block_size;
  uint32_t nblocks; /* blocks of the disk */
  void *table;      /* the driver's decoded table (freed on close) */
  vk_block_lookup lookup;
  vk_block_alloc alloc; /* images opened for writing */
} vk_blockmap;

/* Write into blocks of `block_size` bytes found by lookup: stored blocks
 * in place, absent ones given storage by alloc first (all-zero data for
 * an absent block is not stored). */
bool vk_block_write(vk_image *img, uint32_t block_size, vk_block_lookup lookup,
                    vk_block_alloc alloc, const void *buf, size_t len, uint64_t off,
                    vk_error **errp);
/* Make [off, off + len) read as zeros: stored blocks have the range
 * zeroed in the file (a hole punched where it can be), absent and zero
 * blocks stay as they are. */
bool vk_block_write_zeroes(vk_image *img, uint32_t block_size, vk_block_lookup lookup, uint64_t off,
                           uint64_t len, vk_error **errp);
/* drv->pwrite, pwrite_zeroes and flush of a blockmap image (its
 * lookup and alloc). */
bool vk_blockmap_pwrite(vk_image *img, const void *buf, size_t len, uint64_t off, vk_error **errp);
bool vk_blockmap_pwrite_zeroes(vk_image *img, uint64_t off, uint64_t len, unsigned flags,
                               vk_error **errp);
bool vk_blockmap_flush(vk_image *img, vk_error **errp);

/* drv->pread, block_status, info (the block size as cluster_size) and
 * close (priv, its table) of such an image. */
bool vk_blockmap_pread(vk_image *img, void *buf, size_t len, uint64_t off, vk_error **errp);
bool vk_blockmap_status(vk_image *img, uint64_t off, uint64_t len, vk_extent *out, vk_error **errp);
bool vk_blockmap_info(vk_image *img, vk_image_info *info, vk_error **errp);
bool vk_blockmap_close(vk_image *img, vk_error **errp);

/* What every read-only format driver says: "FILE: corrupt FMT image:
 * WHAT" (VK_EXIT_CORRUPT), "FILE: vkit does not read this FMT image:
 * WHAT" (VK_EXIT_USAGE); both return false. */
bool vk_fmt_corrupt(const char *file, const char *fmt, vk_error **errp, const char *what);
bool vk_fmt_unsupported(const char *file, const char *fmt, vk_error **errp, const char *what);
/* The disk size the driver decoded is at most VK_FMT_MAX_SIZE (4 EiB:
 * offsets and block counts cannot wrap): else VK_EXIT_CORRUPT. */
#define VK_FMT_MAX_SIZE (1ULL << 62)
bool vk_fmt_size_ok(const vk_image *img, const char *fmt, vk_error **errp);
/* An image opened for writing is refused (VK_EXIT_USAGE): false (the
 * drivers that read a format but do not write it). */
bool vk_fmt_read_only(const vk_image *img, vk_error **errp);
/* Are the n bytes at p all zero? */
bool vk_all_zero(const void *p, size_t n);

/* The size of a host file or block device. */
bool vk_host_size(int fd, const char *file, uint64_t *size, vk_error **errp);

#endif
