/* vkit — qcow2 driver internals, shared by the qcow2-*.c files. */
#ifndef VK_IMAGE_QCOW2_H
#define VK_IMAGE_QCOW2_H

#include <stdbool.h>
#include <stdint.h>

#include "image/driver.h"
#include "image/qcow2/header.h"

#define L1E_OFFSET_MASK 0x00fffffffffffe00ULL
#define L1E_RESERVED_MASK 0x7f000000000001ffULL
#define L2E_OFFSET_MASK 0x00fffffffffffe00ULL
#define L2E_RESERVED_MASK 0x3f000000000001feULL
#define RTE_OFFSET_MASK 0xfffffffffffffe00ULL
#define RTE_RESERVED_MASK 0x1ffULL
#define QCOW_OFLAG_COPIED (1ULL << 63)
#define QCOW_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW_OFLAG_ZERO 1ULL

/* A small write-back cache of cluster-sized tables (L2, refcount blocks). */
typedef struct qcow2_cache_slot {
  uint64_t offset;          /* host offset, 0 = empty */
  unsigned char *data;
  uint64_t lru;
  bool dirty;
} qcow2_cache_slot;

typedef struct qcow2_cache {
  qcow2_cache_slot *slots;
  size_t n;
  uint64_t tick;
  size_t last;              /* last hit */
} qcow2_cache;

/* Kind of one (sub)cluster mapping. */
typedef enum qcow2_ckind {
  QC_UNALLOC,               /* read backing */
  QC_ZERO_PLAIN,
  QC_ZERO_ALLOC,
  QC_NORMAL,
  QC_COMPRESSED,
} qcow2_ckind;

typedef struct qcow2 {
  qcow2_header h;
  uint32_t cluster_bits;
  uint64_t cs;
  bool extl2;
  uint64_t l2_entries;      /* entries per L2 table */
  unsigned l2_esize;        /* 8 or 16 */
  uint64_t sc_size;         /* subcluster size (cs / 32 with extl2, else cs) */
  uint64_t *l1;             /* host order, l1_size entries */
  uint32_t l1_size;
  bool *l1_dirty;           /* per entry */
  bool any_l1_dirty;
  uint64_t *rt;             /* refcount table, host order */
  uint64_t rt_entries;
  bool rt_dirty;
  bool *rt_dirty_e;
  unsigned refcount_order;
  uint64_t rb_entries;      /* refcounts per block */
  uint64_t refmax;          /* largest refcount value */
  qcow2_cache l2c, rbc;
  uint64_t free_hint;       /* cluster index where the free search starts */
  uint64_t alloc_end;       /* bytes: highest allocated cluster end */
  uint64_t file_len;        /* host file length when opened / extended */
  /* Clusters to free once the pointers to them are gone on disk. */
  uint64_t *pending_free;
  size_t n_pending, cap_pending;
  /* Compressed-write packing: next free byte in the current host area. */
  uint64_t comp_next, comp_end;
  bool lazy;                /* lazy refcounts in effect */
  bool dirty_on_disk;       /* dirty bit written */
  bool meta_dirty;          /* something to flush */
  bool corrupt;             /* inconsistency found: stop writing */
  unsigned char *bounce;    /* one cluster scratch */
  unsigned char *bounce2;   /* compressed read scratch (2 clusters) */
  struct vk_compressor *dz; /* decompression state, made on first use */
} qcow2;

/* qcow2-cache.c */
bool qcow2_cache_init(qcow2_cache *c, size_t n, uint64_t cs, vk_error **errp);
void qcow2_cache_free(qcow2_cache *c);
/* Get the table at host offset `off` (read it if needed, or zero-fill it
 * when `fresh`).  May write back a dirty victim: that needs the caller's
 * flush order, so the victim triggers a full qcow2 flush. */
unsigned char *qcow2_cache_get(vk_image *img, qcow2_cache *c, uint64_t off,
                               bool fresh, vk_error **errp);
void qcow2_cache_mark_dirty(qcow2_cache *c, const unsigned char *data);
bool qcow2_cache_writeback(vk_image *img, qcow2_cache *c, vk_error **errp);
void qcow2_cache_drop(qcow2_cache *c, uint64_t off);

/* qcow2-refcount.c */
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
/* After a shrink: drop refcount blocks that count nothing but themselves
 * and cut the file after the last cluster in use. */
bool qcow2_release_tail(vk_image *img, vk_error **errp);

/* qcow2.c */
bool qcow2_flush_meta(vk_image *img, vk_error **errp);
bool qcow2_write_header_field(vk_image *img, unsigned off, const void *data,
                              size_t len, vk_error **errp);
bool qcow2_set_dirty(vk_image *img, vk_error **errp);
bool qcow2_mark_corrupt(vk_image *img, vk_error **errp, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

/* qcow2-map.c */
bool qcow2_read(vk_image *img, void *buf, size_t len, uint64_t off,
                vk_error **errp);
bool qcow2_write(vk_image *img, const void *buf, size_t len, uint64_t off,
                 vk_error **errp);
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
/* Grow the L1 table to at least n entries (relocating it). */
bool qcow2_grow_l1(vk_image *img, uint64_t n, vk_error **errp);
bool qcow2_truncate(vk_image *img, uint64_t size, vk_prealloc prealloc,
                    unsigned flags, vk_error **errp);


static inline qcow2 *Q(vk_image *img) { return img->priv; }

#endif
