/* vkit — the qcow2 internal snapshot table (QCOW2.md §5), part of the
 * format layer: the one reader and the one entry writer, used by the
 * driver (a snapshot's view, snapshot operations, the metadata map) and
 * by `vimg check`.
 *
 * Every bound comes from the format and QEMU's limits: at most
 * QCOW2_MAX_SNAPSHOTS entries, a table of at most 64 MiB that lies inside
 * the file, at most 1024 bytes of extra data per entry.  Violations are
 * VK_EXIT_CORRUPT.  Each entry is then judged by qcow2_snapshot_problem(),
 * so that `check` can count a bad entry and go on while the driver
 * refuses it.
 */
#ifndef VK_IMAGE_QCOW2_SNAPSHOT_H
#define VK_IMAGE_QCOW2_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/qcow2/header.h"
#include "util/error.h"

/* One entry of the table as stored: this fixed part, then extra data,
 * the ID and the name, padded to 8 bytes. */
typedef struct __attribute__((packed)) qcow2_disk_snapshot {
  uint64_t l1_table_offset;
  uint32_t l1_size;
  uint16_t id_str_size;
  uint16_t name_size;
  uint32_t date_sec;
  uint32_t date_nsec;
  uint64_t vm_clock_nsec;
  uint32_t vm_state_size;
  uint32_t extra_data_size;
} qcow2_disk_snapshot;

/* The extra data QEMU writes (version 3 needs the first two fields). */
typedef struct __attribute__((packed)) qcow2_disk_snapshot_extra {
  uint64_t vm_state_size_large;
  uint64_t disk_size;
  uint64_t icount;
} qcow2_disk_snapshot_extra;

#define QS(field) offsetof(qcow2_disk_snapshot, field)
#define QSX(field) offsetof(qcow2_disk_snapshot_extra, field)
#define QCOW2_SN_HEADER_LEN sizeof(qcow2_disk_snapshot)            /* 40 */
#define QCOW2_SN_V3_MIN_EXTRA QSX(icount)                          /* 16 */
#define QCOW2_SN_MAX_TABLE (64ULL << 20)
#define QCOW2_SN_MAX_EXTRA 1024
_Static_assert(sizeof(qcow2_disk_snapshot) == 40 && QS(extra_data_size) == 36 &&
               sizeof(qcow2_disk_snapshot_extra) == 24, "qcow2 snapshot entry layout");

typedef struct qcow2_snapshot {
  uint64_t l1_offset;
  uint32_t l1_size;            /* entries */
  char *id;                    /* NUL-terminated, owned */
  char *name;                  /* NUL-terminated, owned */
  uint32_t date_sec, date_nsec;
  uint64_t vm_clock_nsec;
  uint64_t vm_state_size;      /* the large field when present */
  uint64_t disk_size;          /* guest size when taken */
  bool has_disk_size;          /* false: disk_size is the image size */
  uint32_t extra_len;          /* extra data bytes stored */
  int64_t icount;              /* -1 when not recorded */
  uint64_t raw_off;            /* host offset of the entry */
  uint64_t raw_len;            /* its length on disk, padding included */
} qcow2_snapshot;

typedef struct qcow2_snapshot_table {
  qcow2_snapshot *sn;          /* n entries, owned */
  uint32_t n;
  uint64_t offset;             /* host offset of the table */
  uint64_t len;                /* bytes used by the table */
} qcow2_snapshot_table;

/* Read the snapshot table described by *h from `fd` (host file
 * `file_len` bytes long; `file` names it in messages).  On success *t
 * owns the entries (qcow2_snapshot_table_clear()).  An image without
 * snapshots gives an empty table.  Errors: VK_EXIT_CORRUPT for a table
 * that breaks the bounds above, VK_EXIT_FAILED for I/O errors. */
bool qcow2_snapshot_table_read(int fd, const char *file, uint64_t file_len,
                               const qcow2_header *h, qcow2_snapshot_table *t,
                               vk_error **errp);

/* Release what *t owns; *t becomes empty. */
void qcow2_snapshot_table_clear(qcow2_snapshot_table *t);

/* Find a snapshot as qemu-img's -l does: `spec` is "snapshot.id=ID",
 * "snapshot.name=NAME", or a plain string matched against the IDs first,
 * then the names.  Returns the entry (owned by t) or NULL. */
const qcow2_snapshot *qcow2_snapshot_find(const qcow2_snapshot_table *t,
                                          const char *spec);

/* What is wrong with a snapshot entry of an image with geometry *g in a
 * file of `file_len` bytes, or NULL.  `hard_only`: only what makes its
 * tables unusable (disk size above 2^62, an L1 table too large, not
 * cluster aligned, in the header or past the end of the file); else also
 * what makes it impossible to apply or read (an L1 table too small for
 * its disk size, a disk size not a multiple of 512, too little extra
 * data for a version 3 image). */
const char *qcow2_snapshot_problem(const qcow2_geom *g, const qcow2_snapshot *sn,
                                   uint64_t file_len, bool hard_only);

/* A new table entry (QCOW2.md §5) for a disk-only snapshot taken now,
 * padded to 8 bytes, in a new buffer of *lenp bytes (NULL when out of
 * memory).  The ID and name are at most 65535 bytes each. */
unsigned char *qcow2_snapshot_entry_new(const char *id, const char *name, uint64_t l1_offset,
                                        uint32_t l1_size, uint64_t disk_size, size_t *lenp);

#endif
