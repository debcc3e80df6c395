/* vkit — the qcow2 internal snapshot table (QCOW2.md §5): one reader used
 * by the qcow2 driver (opening a snapshot's view) and by `vimg check`.
 *
 * Every bound comes from the format and QEMU's limits: at most
 * QCOW2_MAX_SNAPSHOTS entries, a table of at most 64 MiB that lies inside
 * the file, at most 1024 bytes of extra data per entry.  Violations are
 * VK_EXIT_CORRUPT.  Per-snapshot L1 tables are checked separately
 * (qcow2_snapshot_check_l1()) so that `check` can count a bad entry and go
 * on while the driver refuses it.
 */
#ifndef VK_IMAGE_QCOW2_SNAPSHOT_H
#define VK_IMAGE_QCOW2_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "image/qcow2/header.h"
#include "util/error.h"

#define QCOW2_SN_HEADER_LEN 40
#define QCOW2_SN_MAX_TABLE (64ULL << 20)
#define QCOW2_SN_MAX_EXTRA 1024

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

/* Check a snapshot before reading through it: disk size at most 2^62,
 * L1 table size within QEMU's limit, offset cluster
 * aligned, past the header and inside a file of `file_len` bytes.
 * Returns false with VK_EXIT_CORRUPT otherwise. */
bool qcow2_snapshot_check_l1(const qcow2_snapshot *sn, uint64_t cluster_size,
                             uint64_t file_len, vk_error **errp);

#endif
