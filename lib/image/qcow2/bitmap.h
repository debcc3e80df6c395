/* vkit — persistent bitmaps of qcow2 (the bitmaps extension), part of the
 * format layer: the bitmap directory and bitmap tables, read with every
 * bound checked, for the driver (which keeps them intact and marks them
 * in use when the guest's data changes) and for `vimg check` (which
 * counts their clusters).
 *
 * Directory entry: {u64 table offset, u32 table size (entries), u32 flags
 * (bit 0 in use, 1 auto, 2 extra data compatible), u8 type (1), u8
 * granularity bits, u16 name size, u32 extra data size}, extra data,
 * name, padded to 8.  Table entry: bits 9..55 a data cluster's offset;
 * with offset 0, bit 0 says "all ones".
 */
#ifndef VK_IMAGE_QCOW2_BITMAP_H
#define VK_IMAGE_QCOW2_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/qcow2/header.h"
#include "util/error.h"

typedef struct __attribute__((packed)) qcow2_disk_bitmap {
  uint64_t bitmap_table_offset;
  uint32_t bitmap_table_size;
  uint32_t flags;
  uint8_t type;
  uint8_t granularity_bits;
  uint16_t name_size;
  uint32_t extra_data_size;
} qcow2_disk_bitmap;

#define QB(field) offsetof(qcow2_disk_bitmap, field)
#define QCOW2_BME_IN_USE (1u << 0)
#define QCOW2_BME_AUTO (1u << 1)
#define QCOW2_BME_EXTRA_COMPAT (1u << 2)
#define QCOW2_BME_RESERVED (~7u)
#define QCOW2_BTE_OFFSET_MASK 0x00fffffffffffe00ULL
#define QCOW2_BTE_RESERVED_MASK 0xff000000000001feULL
#define QCOW2_BTE_ALL_ONES 1ULL
#define QCOW2_BITMAP_MAX_TABLE 0x8000000U

typedef struct qcow2_bitmap {
  uint64_t table_offset;
  uint32_t table_size;          /* entries */
  uint32_t flags;
  uint8_t type, granularity_bits;
  char *name;                   /* owned */
  size_t entry_pos;             /* where the entry starts in the directory */
  size_t entry_len;             /* its length there, padding included */
  uint32_t extra_size;          /* bytes of extra data it has */
} qcow2_bitmap;

typedef struct qcow2_bitmap_dir {
  qcow2_bitmap *bm;             /* n entries, owned */
  uint32_t n;
  unsigned char *raw;           /* the directory as stored, owned */
  size_t len;
} qcow2_bitmap_dir;

/* Read and validate the bitmap directory of an image whose header *h
 * has_bitmaps (an empty directory otherwise), from `fd` (host file of
 * `file_len` bytes).  Errors: VK_EXIT_CORRUPT, VK_EXIT_FAILED for I/O. */
bool qcow2_bitmap_dir_read(int fd, const char *file, uint64_t file_len, const qcow2_header *h,
                           qcow2_bitmap_dir *d, vk_error **errp);
void qcow2_bitmap_dir_clear(qcow2_bitmap_dir *d);

/* Call fn() for each data cluster of bitmap *b (host offsets), reading its
 * table a cluster at a time; entries are validated (VK_EXIT_CORRUPT). */
bool qcow2_bitmap_clusters(int fd, const char *file, const qcow2_geom *g, uint64_t file_len,
                           const qcow2_bitmap *b,
                           bool (*fn)(void *opaque, uint64_t host, vk_error **errp),
                           void *opaque, vk_error **errp);

/* Bytes of bitmap data a bitmap of granularity 2^gbits has for `vsize`
 * bytes of guest data (one bit per granule). */
uint64_t qcow2_bitmap_data_bytes(uint64_t vsize, unsigned gbits);
/* Most bitmap data vkit loads (what QEMU allows too: 64 MiB). */
#define QCOW2_BITMAP_MAX_DATA (64ULL << 20)

/* Why the consistent (not in use) bitmap *b cannot describe an image of
 * `vsize` bytes (whole sectors): its table is empty, over the data limit,
 * or not exactly as long as the size needs (what QEMU requires to load
 * it), or it has extra data vkit would not keep; NULL when it can. */
const char *qcow2_bitmap_problem(const qcow2_geom *g, uint64_t vsize, const qcow2_bitmap *b);

/* Read the content of bitmap *b (qcow2_bitmap_problem() NULL for it):
 * *bits gets qcow2_bitmap_data_bytes(vsize) bytes (caller frees), bit i
 * of byte k for granule 8k + i; all-ones entries set whole clusters. */
bool qcow2_bitmap_load(int fd, const char *file, const qcow2_geom *g, uint64_t file_len,
                       uint64_t vsize, const qcow2_bitmap *b, unsigned char **bits,
                       vk_error **errp);

/* Set the in-use flag of every entry in d->raw (to be written back). */
void qcow2_bitmap_dir_set_in_use(qcow2_bitmap_dir *d);

#endif
