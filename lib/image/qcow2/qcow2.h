/* vkit — qcow2 driver internals, shared by the files of lib/image/qcow2. */
#ifndef VK_IMAGE_QCOW2_H
#define VK_IMAGE_QCOW2_H

#include <stdbool.h>
#include <stdint.h>

#include "image/driver.h"
#include "image/qcow2/format.h"
#include "image/qcow2/header.h"
#include "util/u64map.h"

/* ---------------------------------------------------------------- cache */

/* A write-back cache of cluster-sized tables (L2 tables or refcount
 * blocks): slots are made on demand up to a cap, found through a hash of
 * their host offset, and evicted least recently used first. */
typedef struct qcow2_cache_slot {
  uint64_t offset;          /* host offset, 0 = empty */
  unsigned char *data;
  bool dirty;
  uint32_t prev, next;      /* LRU list (most recent first) */
  uint32_t hnext;           /* hash chain */
} qcow2_cache_slot;

typedef struct qcow2_cache {
  unsigned role;            /* QM_L2 or QM_RB: what is written back */
  qcow2_cache_slot *slots;
  uint32_t n, cap;          /* slots made, most allowed */
  uint32_t *buckets;        /* hash heads (slot index + 1, 0 = none) */
  uint32_t nbuckets;        /* power of two */
  uint32_t head, tail;      /* LRU ends (slot index + 1, 0 = none) */
  uint32_t last;            /* last hit (slot index + 1) */
  uint64_t misses;
} qcow2_cache;

/* ---------------------------------------------------------------- metadata map */

/* What a host cluster holds, for the overlap checks of QCOW2.md §11. */
enum {
  QM_HEADER = 1u << 0,
  QM_L1 = 1u << 1,          /* the active L1 table */
  QM_L2 = 1u << 2,          /* an active L2 table */
  QM_RT = 1u << 3,          /* the refcount table */
  QM_RB = 1u << 4,          /* a refcount block */
  QM_SNAP_TABLE = 1u << 5,  /* the snapshot table */
  QM_SNAP_L1 = 1u << 6,     /* a snapshot's L1 table */
  QM_SNAP_L2 = 1u << 7,     /* a snapshot's L2 table */
  QM_BITMAP_DIR = 1u << 8,  /* the bitmap directory */
  QM_BITMAP = 1u << 9,      /* a bitmap table or bitmap data cluster */
  QM_SNAP_ROLES = QM_SNAP_TABLE | QM_SNAP_L1 | QM_SNAP_L2,
  /* As the `self` of qcow2_pwrite(): new metadata written to clusters just
   * allocated (no cluster plays this role; not guest data). */
  QM_NEW = 1u << 15,
};

/* Host cluster index -> (active L1 entries pointing at it as an L2 table)
 * << 16 | roles. */
typedef vk_u64map qcow2_meta;

/* ---------------------------------------------------------------- image */

typedef struct qcow2 {
  qcow2_header h;
  qcow2_geom g;
  uint64_t *l1;             /* host order, l1_size entries */
  uint32_t l1_size;
  bool *l1_dirty;           /* per entry */
  bool any_l1_dirty;
  uint64_t *rt;             /* refcount table, host order */
  uint64_t rt_entries;
  bool rt_dirty;
  bool *rt_dirty_e;
  qcow2_cache l2c, rbc;
  qcow2_meta meta;          /* only for images open for writing */
  /* Clusters below the file's end at open that some table points at as
   * data (one bit each), built the first time the allocator would reuse
   * one of them: a refcount of 0 there must not hide data in use. */
  unsigned char *used;
  uint64_t open_clusters;
  uint64_t free_hint;        /* cluster index where the free search starts:
                                every cluster below it is in use */
  uint64_t used_lo, used_hi; /* clusters [used_lo, used_hi) are in use: the
                                free search skips them */
  uint64_t alloc_probes;     /* refcounts read by the allocator (tests) */
  uint64_t alloc_end;       /* bytes: highest allocated cluster end */
  uint64_t file_len;        /* host file length when opened / extended */
  uint64_t written_end;     /* bytes: nothing was ever written at or past
                               this (the file's length at open, then the
                               end of the furthest write): reads zeros */
  /* Clusters to free once the pointers to them are gone on disk. */
  uint64_t *pending_free;
  size_t n_pending, cap_pending;
  /* Compressed-write packing: next free byte in the current host area. */
  uint64_t comp_next, comp_end;
  bool lazy;                /* lazy refcounts in effect */
  bool dirty_on_disk;       /* dirty bit written */
  bool meta_dirty;          /* something to flush */
  bool corrupt;             /* inconsistency found: stop writing */
  bool bitmaps_marked;      /* persistent bitmaps marked in use */
  unsigned char *bounce;    /* one cluster scratch (made on first use) */
  unsigned char *bounce2;   /* compressed read scratch (2 clusters + 512) */
  struct vk_compressor *dz; /* decompression state, made on first use */
} qcow2;

static inline qcow2 *Q(vk_image *img) { return img->priv; }

/* End of the host area tables may point into now. */
static inline uint64_t
qcow2_limit(const qcow2 *q)
{
  uint64_t f = qcow2_file_end(&q->g, q->file_len);
  return q->alloc_end > f ? q->alloc_end : f;
}

/* cache.c */
/* An empty cache of at most `cap_bytes` of tables (at least `min_slots`
 * tables) for `role`; nothing is allocated until it is used. */
void qcow2_cache_init(qcow2_cache *c, unsigned role, uint64_t cap_bytes, uint32_t min_slots,
                      uint64_t cs);
void qcow2_cache_free(qcow2_cache *c);
/* Get the table at host offset `off` (read it if needed, or zero-fill it
 * when `fresh`).  May write back a dirty victim: that needs the caller's
 * flush order, so the victim triggers a full qcow2 flush. */
unsigned char *qcow2_cache_get(vk_image *img, qcow2_cache *c, uint64_t off,
                               bool fresh, vk_error **errp);
/* Mark the cached table whose buffer is `data` dirty. */
void qcow2_cache_mark_dirty(qcow2_cache *c, const unsigned char *data);
bool qcow2_cache_writeback(vk_image *img, qcow2_cache *c, vk_error **errp);
void qcow2_cache_drop(qcow2_cache *c, uint64_t off);

/* meta.c */
/* Build the map of every metadata cluster from the header, the active L1
 * table, the refcount table, the snapshot table and its L1 tables, and
 * the bitmap directory; VK_EXIT_CORRUPT when two structures overlap. */
bool qcow2_meta_build(vk_image *img, vk_error **errp);
void qcow2_meta_free(vk_image *img);
/* Add or remove `role` on every cluster of [off, off + len). */
bool qcow2_meta_add(vk_image *img, uint64_t off, uint64_t len, unsigned role,
                    vk_error **errp);
void qcow2_meta_del(vk_image *img, uint64_t off, uint64_t len, unsigned role);
/* One more (delta +1) or one less (-1) active L1 entry points at the L2
 * table at `off`. */
bool qcow2_meta_l2(vk_image *img, uint64_t off, int delta, vk_error **errp);
/* The roles other than `self` held by a cluster of [off, off + len) (the
 * first such cluster's host offset in *at), or 0. */
unsigned qcow2_meta_overlap(const qcow2 *q, uint64_t off, uint64_t len, unsigned self,
                            uint64_t *at);
/* Whether host cluster `c` (below q->open_clusters) holds guest data some
 * L2 table points at; the map is built on first use.  Returns -1 with
 * *errp set when a table cannot be read or is broken. */
int qcow2_used_data(vk_image *img, uint64_t c, vk_error **errp);
/* Before a metadata structure at [off, off + len) is freed: no L2 table
 * may point there as data (VK_EXIT_CORRUPT naming `what` otherwise). */
bool qcow2_not_data(vk_image *img, uint64_t off, uint64_t len, const char *what,
                    vk_error **errp);
/* Cluster c holds nothing any more (its refcount dropped to 0). */
void qcow2_used_forget(qcow2 *q, uint64_t c);
/* "refcount block", "active L2 table", ... for the lowest role bit. */
const char *qcow2_meta_role_name(unsigned roles);

/* refcount.c */
bool qcow2_refcount_load(vk_image *img, vk_error **errp);
bool qcow2_get_refcount(vk_image *img, uint64_t cluster, uint64_t *out,
                        vk_error **errp);
/* Add `delta` (+1 or -1) to the refcount of each cluster in
 * [host_off, host_off + len). */
bool qcow2_update_refcount(vk_image *img, uint64_t host_off, uint64_t len,
                           int delta, vk_error **errp);
/* Allocate n contiguous clusters; returns the host offset or 0. */
uint64_t qcow2_alloc_clusters(vk_image *img, uint64_t n, vk_error **errp);
/* Free (deferred until the pointers are gone on disk). */
bool qcow2_free_later(vk_image *img, uint64_t host_off, uint64_t len,
                      vk_error **errp);
bool qcow2_apply_pending_frees(vk_image *img, vk_error **errp);
/* Refcounts of clusters past the end of the file count nothing: zero
 * them (written with the next flush), so the file can grow over them. */
bool qcow2_refcount_trim(vk_image *img, vk_error **errp);
/* After a shrink: drop refcount blocks that count nothing but themselves
 * and cut the file after the last cluster in use. */
bool qcow2_release_tail(vk_image *img, vk_error **errp);

/* driver.c */
bool qcow2_flush_meta(vk_image *img, vk_error **errp);
/* Write to the host file, unless a cluster of the range holds metadata
 * other than `self` (the role of what is written; QM_NEW for new metadata
 * in fresh clusters, 0 for guest data): then
 * the image is marked corrupt and nothing is written.  Guest data of an
 * image with an external data file goes to that file. */
bool qcow2_pwrite(vk_image *img, unsigned self, const void *buf, size_t len, uint64_t off,
                  vk_error **errp);
/* Read guest data at host offset `off`: from the external data file
 * when the image has one, else from the image file. */
bool qcow2_data_pread(vk_image *img, void *buf, size_t len, uint64_t off, vk_error **errp);
/* Sync the external data file, if any (before metadata points at what
 * was written there). */
bool qcow2_data_sync(vk_image *img, vk_error **errp);
/* Write the whole header cluster anew from *h (a shallow copy of q->h
 * with some fields changed), after the tables are flushed, synced; the
 * layout fields the write sets (backing file offset and size, header
 * length) are copied to q->h.  The caller moves the rest. */
bool qcow2_header_rewrite(vk_image *img, qcow2_header *h, vk_error **errp);
/* Write one header field in place, synced. */
bool qcow2_write_header(vk_image *img, qcow2_hdr_patch p, vk_error **errp);
bool qcow2_set_dirty(vk_image *img, vk_error **errp);
/* Before the guest's data changes: mark persistent bitmaps in use. */
bool qcow2_data_changes(vk_image *img, vk_error **errp);
bool qcow2_mark_corrupt(vk_image *img, vk_error **errp, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
/* The scratch buffers, made on first use. */
unsigned char *qcow2_bounce(vk_image *img, vk_error **errp);

/* map.c */
bool qcow2_read(vk_image *img, void *buf, size_t len, uint64_t off,
                vk_error **errp);
bool qcow2_write(vk_image *img, const void *buf, size_t len, uint64_t off,
                 vk_error **errp);
/* amend.c */
bool qcow2_amend(vk_image *img, const vk_image_opts *o, vk_error **errp);

bool qcow2_reserve(vk_image *img, uint64_t off, uint64_t len, uint64_t *host, uint64_t *got,
                   bool *zeroed, vk_error **errp);
bool qcow2_zero(vk_image *img, uint64_t off, uint64_t len, unsigned flags,
                bool discard, vk_error **errp);
bool qcow2_block_status(vk_image *img, uint64_t off, uint64_t len,
                        vk_extent *out, vk_error **errp);
bool qcow2_write_compressed(vk_image *img, uint64_t off, const void *data,
                            size_t len, vk_error **errp);
/* The L2 table for guest offset off, allocated if missing; *idx is the
 * entry index.  The pointer is valid until the next cache operation. */
bool qcow2_map_l2(vk_image *img, uint64_t off, unsigned char **tp, uint64_t *idx,
                  vk_error **errp);
/* Decode entry `idx` of L2 table `t` and validate it (corrupt otherwise). */
bool qcow2_l2_entry(vk_image *img, const unsigned char *t, uint64_t idx, qcow2_l2e *e,
                    vk_error **errp);

/* resize.c */
/* Grow the L1 table to at least n entries (relocating it). */
bool qcow2_grow_l1(vk_image *img, uint64_t n, vk_error **errp);
bool qcow2_truncate(vk_image *img, uint64_t size, vk_prealloc prealloc,
                    unsigned flags, vk_error **errp);

/* bitmap.c: see bitmap.h; the driver's part. */
bool qcow2_bitmaps_mark_in_use(vk_image *img, vk_error **errp);

#endif
