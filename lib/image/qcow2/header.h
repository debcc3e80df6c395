/* vkit — the qcow2 header: parse with every bound checked, and write.
 *
 * Part of the format layer (format.h).  Used by the qcow2 driver, image
 * creation and `vimg check`.  The parser works on the bytes of cluster 0
 * (or fewer, for a short file) and the host file length, allocates
 * nothing proportional to values read from disk, and reports
 * VK_EXIT_CORRUPT for anything QEMU would refuse.
 */
#ifndef VK_IMAGE_QCOW2_HEADER_H
#define VK_IMAGE_QCOW2_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/qcow2/format.h"
#include "util/error.h"

/* An extension kept as it is (unknown ones, bitmaps, ...). */
typedef struct qcow2_ext {
  uint32_t type, len;
  unsigned char *data;
} qcow2_ext;

typedef struct qcow2_header {
  /* The fixed fields (format.h), in host order. */
  QCOW2_V2_FIELDS(QCOW2_FIELD_DECL)
  QCOW2_V3_FIELDS(QCOW2_FIELD_DECL)
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
  /* Persistent bitmaps (extension 0x23852875, also kept in exts): valid
   * only when `has_bitmaps` (the extension is there and autoclear bit 0
   * says it is consistent). */
  bool has_bitmaps;
  uint32_t nb_bitmaps;
  uint64_t bitmap_dir_size, bitmap_dir_offset;
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

/* The geometry the header's fields imply. */
void qcow2_header_geom(const qcow2_header *h, qcow2_geom *g);

/* Serialise *h into buf (cluster_size bytes, zero-filled first): fixed
 * header, extensions (backing format, data file, feature table on v3
 * when cluster size > 4 KiB, the kept ones), end marker, backing file
 * name right after.  Sets h->header_length, backing_file_offset and
 * backing_file_size.  Returns the number of bytes used, or 0 with
 * VK_EXIT_FAILED if it does not fit in one cluster. */
size_t qcow2_header_write(qcow2_header *h, unsigned char *buf, size_t cluster_size,
                          vk_error **errp);

/* Name of feature `bit` of `type` (0 incompatible, 1 compatible,
 * 2 autoclear) from the feature table, or a built-in name, or NULL. */
const char *qcow2_header_feature_name(const qcow2_header *h, int type, int bit);

#endif
