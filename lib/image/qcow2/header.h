/* vkit — the qcow2 header: parse with every bound checked, and write.
 *
 * Used by the qcow2 driver and by `vimg check`.  The parser works on the
 * bytes of cluster 0 (or fewer, for a short file) and the host file
 * length, allocates nothing proportional to values read from disk, and
 * reports VK_EXIT_CORRUPT for anything QEMU would refuse.
 */
#ifndef VK_IMAGE_QCOW2_HEADER_H
#define VK_IMAGE_QCOW2_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"
#include "util/error.h"

#define QCOW2_MAGIC 0x514649fbU
#define QCOW2_V2_HEADER_LEN 72
#define QCOW2_V3_HEADER_LEN 112   /* what vkit and QEMU 7.2 write */

#define QCOW2_INCOMPAT_DIRTY (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ULL << 4)
#define QCOW2_INCOMPAT_KNOWN 0x1fULL
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)
#define QCOW2_AUTOCLEAR_BITMAPS (1ULL << 0)
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW (1ULL << 1)

#define QCOW2_EXT_END 0
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acaU
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857U
#define QCOW2_EXT_BITMAPS 0x23852875U
#define QCOW2_EXT_CRYPTO 0x0537be77U
#define QCOW2_EXT_DATA_FILE 0x44415441U

/* Limits (as QEMU's). */
#define QCOW2_MAX_L1_BYTES (32U * 1024 * 1024)
#define QCOW2_MAX_REFTABLE_BYTES (8U * 1024 * 1024)
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_HOST_OFFSET (1ULL << 56)
#define QCOW2_MAX_BACKING_NAME 1023

/* An extension kept as it is (unknown ones, bitmaps, ...). */
typedef struct qcow2_ext {
  uint32_t type, len;
  unsigned char *data;
} qcow2_ext;

typedef struct qcow2_header {
  uint32_t version;
  uint64_t backing_file_offset;
  uint32_t backing_file_size;
  uint32_t cluster_bits;
  uint64_t size;
  uint32_t crypt_method;
  uint32_t l1_size;
  uint64_t l1_table_offset;
  uint64_t refcount_table_offset;
  uint32_t refcount_table_clusters;
  uint32_t nb_snapshots;
  uint64_t snapshots_offset;
  uint64_t incompatible_features;
  uint64_t compatible_features;
  uint64_t autoclear_features;
  uint32_t refcount_order;
  uint32_t header_length;
  uint8_t compression_type;
  /* Bytes of the fixed header between 112 and header_length, kept. */
  unsigned char *extra_header;
  size_t extra_header_len;
  /* Extensions */
  char backing_fmt[16];          /* "" when not recorded */
  char *backing_file;            /* NULL when none */
  char *data_file;               /* external data file name, or NULL */
  unsigned char *feature_table;  /* raw feature name table, or NULL */
  size_t feature_table_len;
  qcow2_ext *exts;               /* other extensions, in order */
  size_t n_exts;
} qcow2_header;

/* Parse and validate the header in buf (buf_len bytes from offset 0 of a
 * host file `file_len` bytes long).  On success *h owns its allocations
 * (qcow2_header_clear()).  Errors: VK_EXIT_FAILED "not a qcow2 image"
 * (bad magic), VK_EXIT_CORRUPT for broken fields, VK_EXIT_FAILED for
 * unsupported ones (version, encryption, unknown incompatible features,
 * named from the feature table). */
bool qcow2_header_parse(qcow2_header *h, const unsigned char *buf,
                        size_t buf_len, uint64_t file_len, vk_error **errp);

/* Release what *h owns. */
void qcow2_header_clear(qcow2_header *h);

/* Serialise *h into buf (cluster_size bytes, zero-filled first): fixed
 * header, extensions (backing format, data file, feature table on v3
 * when cluster size > 4 KiB, the kept ones), end marker, backing file
 * name right after.  Sets h->header_length, backing_file_offset and
 * backing_file_size.  Returns the number of bytes used, or 0 with
 * VK_EXIT_FAILED if it does not fit in one cluster. */
size_t qcow2_header_write(qcow2_header *h, unsigned char *buf, size_t cluster_size,
                          vk_error **errp);

/* Name of incompatible feature `bit` from the feature table, or a
 * built-in name, or NULL. */
const char *qcow2_header_feature_name(const qcow2_header *h, int type, int bit);

#endif
