/* vkit — qcow2 refcounts: the table, blocks, allocation and freeing. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/qcow2/qcow2.h"

bool
qcow2_refcount_load(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t n = (uint64_t)q->h.refcount_table_clusters * q->cs / 8;
  unsigned char *raw = malloc(n * 8);

  q->refcount_order = q->h.refcount_order;
  q->rb_entries = q->cs * 8 >> q->refcount_order;
  q->refmax = q->refcount_order == 6 ? UINT64_MAX : (1ULL << (1u << q->refcount_order)) - 1;
  q->rt = calloc(n, sizeof *q->rt);
  q->rt_dirty_e = calloc(n, sizeof *q->rt_dirty_e);
  q->rt_entries = n;
  if (!raw || !q->rt || !q->rt_dirty_e) {
    free(raw);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  if (!vk_host_pread(img->fd, raw, n * 8, q->h.refcount_table_offset, img->filename, errp)) {
    free(raw);
    return false;
  }
  for (uint64_t i = 0; i < n; i++) {
    uint64_t e = vk_be64(raw + i * 8);
    if (e & RTE_RESERVED_MASK) {
      free(raw);
      return vk_error_set(errp, VK_EXIT_CORRUPT,
                          "%s: corrupt refcount table: reserved bits set in entry %llu",
                          img->filename, (unsigned long long)i);
    }
    if ((e & RTE_OFFSET_MASK) % q->cs || (e && e >= QCOW2_MAX_HOST_OFFSET)) {
      free(raw);
      return vk_error_set(errp, VK_EXIT_CORRUPT,
                          "%s: corrupt refcount table: bad refcount block offset in entry %llu",
                          img->filename, (unsigned long long)i);
    }
    if (e && e < q->cs) {
      free(raw);
      return vk_error_set(errp, VK_EXIT_CORRUPT,
                          "%s: corrupt refcount table: refcount block overlaps the header",
                          img->filename);
    }
    if (e && ((e < q->h.refcount_table_offset + n * 8 && e + q->cs > q->h.refcount_table_offset) ||
              (q->h.l1_size && e < q->h.l1_table_offset + (uint64_t)q->h.l1_size * 8 &&
               e + q->cs > q->h.l1_table_offset))) {
      free(raw);
      return vk_error_set(errp, VK_EXIT_CORRUPT,
                          "%s: corrupt refcount table: refcount block %llu overlaps the refcount table or the L1 table",
                          img->filename, (unsigned long long)i);
    }
    if (e && (e & RTE_OFFSET_MASK) >= q->alloc_end) {
      free(raw);
      return vk_error_set(errp, VK_EXIT_CORRUPT,
                          "%s: corrupt refcount table: refcount block %llu is past the end of the file",
                          img->filename, (unsigned long long)i);
    }
    q->rt[i] = e & RTE_OFFSET_MASK;
  }
  free(raw);
  return true;
}

static uint64_t
rb_get(const qcow2 *q, const unsigned char *rb, uint64_t i)
{
  unsigned bits = 1u << q->refcount_order;

  switch (bits) {
  case 1: case 2: case 4: {
    uint64_t bit = i * bits;
    return (rb[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
  }
  case 8: return rb[i];
  case 16: return vk_be16(rb + i * 2);
  case 32: return vk_be32(rb + i * 4);
  default: return vk_be64(rb + i * 8);
  }
}

static void
rb_set(const qcow2 *q, unsigned char *rb, uint64_t i, uint64_t v)
{
  unsigned bits = 1u << q->refcount_order;

  switch (bits) {
  case 1: case 2: case 4: {
    uint64_t bit = i * bits;
    unsigned mask = ((1u << bits) - 1) << (bit % 8);
    rb[bit / 8] = (unsigned char)((rb[bit / 8] & ~mask) | ((unsigned)v << (bit % 8)));
    break;
  }
  case 8: rb[i] = (unsigned char)v; break;
  case 16: vk_put_be16(rb + i * 2, (uint16_t)v); break;
  case 32: vk_put_be32(rb + i * 4, (uint32_t)v); break;
  default: vk_put_be64(rb + i * 8, v); break;
  }
}

bool
qcow2_get_refcount(vk_image *img, uint64_t cluster, uint64_t *out, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t ri = cluster / q->rb_entries;
  unsigned char *rb;

  if (ri >= q->rt_entries || !q->rt[ri]) {
    *out = 0;
    return true;
  }
  rb = qcow2_cache_get(img, &q->rbc, q->rt[ri], false, errp);
  if (!rb)
    return false;
  *out = rb_get(q, rb, cluster % q->rb_entries);
  return true;
}

/* Grow the refcount table so that index `want` exists: new blocks and a
 * larger table at the end of the allocated area, counting themselves;
 * synced; then one header write switches to it; then the old is freed. */
static bool
grow_table(vk_image *img, uint64_t want, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t start = (q->alloc_end + q->cs - 1) / q->cs, nb = 0, nt = 1, new_n = 0;
  uint64_t old_off = q->h.refcount_table_offset, old_clusters = q->h.refcount_table_clusters;
  uint64_t *nrt = NULL;
  bool *ndirty = NULL;
  unsigned char *blk = NULL, *tbl = NULL, hdr[12];
  bool ok = false;

  if (start < q->free_hint)
    start = q->free_hint;
  /* Make sure the area [start, ...) is free: it is past alloc_end. */
  for (int iter = 0; iter < 64; iter++) {
    uint64_t end = start + nb + nt, first = start / q->rb_entries,
             last = (end - 1) / q->rb_entries, nb2 = 0, nt2;
    new_n = want + 1 > last + 1 ? want + 1 : last + 1;
    if (new_n < q->rt_entries)
      new_n = q->rt_entries;
    new_n += new_n / 4;   /* room to grow */
    for (uint64_t r = first; r <= last; r++)
      if (r >= q->rt_entries || !q->rt[r])
        nb2++;
    nt2 = (new_n * 8 + q->cs - 1) / q->cs;
    if (nb2 == nb && nt2 == nt)
      break;
    nb = nb2;
    nt = nt2;
  }
  new_n = nt * q->cs / 8;
  if (nt * q->cs > QCOW2_MAX_REFTABLE_BYTES)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: refcount table would exceed %u bytes",
                        img->filename, QCOW2_MAX_REFTABLE_BYTES);
  nrt = calloc(new_n, sizeof *nrt);
  ndirty = calloc(new_n, sizeof *ndirty);
  blk = calloc(1, q->cs);
  tbl = calloc(nt, q->cs);
  if (!nrt || !ndirty || !blk || !tbl) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    goto out;
  }
  memcpy(nrt, q->rt, q->rt_entries * sizeof *nrt);
  /* Everything pending goes to disk first: the new blocks are written
   * directly, and the cache must not hold stale copies. */
  if (!qcow2_flush_meta(img, errp))
    goto out;
  {
    uint64_t end = start + nb + nt, bi = 0;
    uint64_t first = start / q->rb_entries, last = (end - 1) / q->rb_entries;
    for (uint64_t r = first; r <= last; r++) {
      if (r < q->rt_entries && q->rt[r])
        continue;
      nrt[r] = (start + bi) * q->cs;
      bi++;
    }
    /* Write the new blocks: each counts the area clusters in its range. */
    for (uint64_t r = first; r <= last; r++) {
      uint64_t lo = r * q->rb_entries, hi = lo + q->rb_entries;
      if (r < q->rt_entries && q->rt[r])
        continue;
      memset(blk, 0, q->cs);
      for (uint64_t c = start; c < end; c++)
        if (c >= lo && c < hi)
          rb_set(q, blk, c - lo, 1);
      if (!vk_host_pwrite(img->fd, blk, q->cs, nrt[r], img->filename, errp))
        goto out;
    }
    for (uint64_t i = 0; i < new_n; i++)
      vk_put_be64(tbl + i * 8, nrt[i]);
    if (!vk_host_pwrite(img->fd, tbl, nt * q->cs, (start + nb) * q->cs, img->filename, errp))
      goto out;
    /* Area clusters in ranges that already had a block. */
    free(q->rt);
    free(q->rt_dirty_e);
    q->rt = nrt;
    q->rt_dirty_e = ndirty;
    nrt = NULL;
    ndirty = NULL;
    {
      uint64_t old_n = q->rt_entries;
      q->rt_entries = new_n;
      if (q->alloc_end < end * q->cs)
        q->alloc_end = end * q->cs;
      for (uint64_t c = start; c < end; c++) {
        uint64_t r = c / q->rb_entries;
        if (r < old_n && q->rt[r] && q->rt[r] < start * q->cs)
          if (!qcow2_update_refcount(img, c * q->cs, q->cs, 1, errp))
            goto out;
      }
    }
    if (!qcow2_flush_meta(img, errp))
      goto out;
    if (!vk_image_sync(img, errp))
      goto out;
    vk_put_be64(hdr, (start + nb) * q->cs);
    vk_put_be32(hdr + 8, (uint32_t)nt);
    if (!qcow2_write_header_field(img, 48, hdr, 12, errp))
      goto out;
    q->h.refcount_table_offset = (start + nb) * q->cs;
    q->h.refcount_table_clusters = (uint32_t)nt;
    if (end * q->cs > q->file_len)
      q->file_len = end * q->cs;
    /* The old table is unreferenced now. */
    if (!qcow2_update_refcount(img, old_off, old_clusters * q->cs, -1, errp))
      goto out;
  }
  ok = true;
out:
  free(nrt);
  free(ndirty);
  free(blk);
  free(tbl);
  return ok;
}

/* Make sure cluster `c` has a refcount block.  A new block goes to the
 * first cluster of the range it covers (free, since the range had no
 * block), and counts itself. */
static bool
ensure_block(vk_image *img, uint64_t c, bool *created, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t ri = c / q->rb_entries, boff;
  unsigned char *rb;

  *created = false;
  if (ri >= q->rt_entries) {
    if (!grow_table(img, ri, errp))
      return false;
    *created = true;   /* the allocation area moved: search again */
    return true;
  }
  if (q->rt[ri])
    return true;
  boff = ri * q->rb_entries * q->cs;
  rb = qcow2_cache_get(img, &q->rbc, boff, true, errp);
  if (!rb)
    return false;
  rb_set(q, rb, 0, 1);
  qcow2_cache_mark_dirty(&q->rbc, rb);
  q->rt[ri] = boff;
  q->rt_dirty_e[ri] = true;
  q->rt_dirty = true;
  q->meta_dirty = true;
  if (boff + q->cs > q->alloc_end)
    q->alloc_end = boff + q->cs;
  *created = true;
  return true;
}

bool
qcow2_update_refcount(vk_image *img, uint64_t host_off, uint64_t len, int delta,
                      vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t c = host_off / q->cs, last = (host_off + len - 1) / q->cs;

  for (; c <= last; c++) {
    uint64_t ri = c / q->rb_entries, v;
    unsigned char *rb;
    if (ri >= q->rt_entries || !q->rt[ri]) {
      bool created;
      if (delta < 0)
        return qcow2_mark_corrupt(img, errp, "refcount of cluster %llu would drop below zero",
                                  (unsigned long long)c);
      if (!ensure_block(img, c, &created, errp))
        return false;
      c--;   /* again, with the block */
      continue;
    }
    rb = qcow2_cache_get(img, &q->rbc, q->rt[ri], false, errp);
    if (!rb)
      return false;
    v = rb_get(q, rb, c % q->rb_entries);
    if (delta < 0 && v == 0)
      return qcow2_mark_corrupt(img, errp, "refcount of cluster %llu would drop below zero",
                                (unsigned long long)c);
    if (delta > 0 && v == q->refmax)
      return vk_error_set(errp, VK_EXIT_FAILED,
                          "%s: refcount of cluster %llu would overflow (refcount_bits too small)",
                          img->filename, (unsigned long long)c);
    v = delta > 0 ? v + 1 : v - 1;
    rb_set(q, rb, c % q->rb_entries, v);
    qcow2_cache_mark_dirty(&q->rbc, rb);
    q->meta_dirty = true;
    if (v == 0 && c < q->free_hint)
      q->free_hint = c;
  }
  return true;
}

uint64_t
qcow2_alloc_clusters(vk_image *img, uint64_t n, vk_error **errp)
{
  qcow2 *q = Q(img);

  for (;;) {
    uint64_t c = q->free_hint ? q->free_hint : 1, run = 0, start = 0;
    bool again = false;

    for (;;) {
      uint64_t ri = c / q->rb_entries, v = 0;
      if (c >= QCOW2_MAX_HOST_OFFSET / q->cs) {
        vk_error_set(errp, VK_EXIT_FAILED, "%s: image file full", img->filename);
        return 0;
      }
      if (ri < q->rt_entries && q->rt[ri] && !qcow2_get_refcount(img, c, &v, errp))
        return 0;
      c++;
      if (v) {
        run = 0;
        continue;
      }
      if (!run)
        start = c - 1;
      if (++run == n)
        break;
    }
    /* Every range of the run needs a refcount block.  A single cluster
     * may hold its own block (first cluster of its range); a longer run
     * gets blocks allocated one cluster at a time, elsewhere.  Then the
     * search starts again, since a block may have landed in the run. */
    for (uint64_t r = start / q->rb_entries; r <= (start + n - 1) / q->rb_entries; r++) {
      if (r < q->rt_entries && q->rt[r])
        continue;
      again = true;
      if (r >= q->rt_entries) {
        if (!grow_table(img, r, errp))
          return 0;
      } else if (n == 1) {
        bool created;
        if (!ensure_block(img, start, &created, errp))
          return 0;
      } else {
        uint64_t b = qcow2_alloc_clusters(img, 1, errp);
        unsigned char *rb;
        if (!b)
          return 0;
        if (r < q->rt_entries && q->rt[r]) {
          /* That allocation made the block itself: give b back. */
          if (!qcow2_update_refcount(img, b, q->cs, -1, errp))
            return 0;
          break;
        }
        rb = qcow2_cache_get(img, &q->rbc, b, true, errp);
        if (!rb)
          return 0;
        qcow2_cache_mark_dirty(&q->rbc, rb);
        q->rt[r] = b;
        q->rt_dirty_e[r] = true;
        q->rt_dirty = true;
        q->meta_dirty = true;
      }
      break;
    }
    if (again)
      continue;
    if (!qcow2_update_refcount(img, start * q->cs, n * q->cs, 1, errp))
      return 0;
    if (start == q->free_hint || !q->free_hint)
      q->free_hint = start + n;
    if ((start + n) * q->cs > q->alloc_end)
      q->alloc_end = (start + n) * q->cs;
    return start * q->cs;
  }
}

bool
qcow2_free_later(vk_image *img, uint64_t host_off, uint64_t len, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t c = host_off / q->cs, last = (host_off + len - 1) / q->cs;

  q->comp_next = q->comp_end = 0;   /* never pack into a cluster being freed */
  for (; c <= last; c++) {
    if (q->n_pending == q->cap_pending) {
      size_t cap = q->cap_pending ? q->cap_pending * 2 : 64;
      uint64_t *p = realloc(q->pending_free, cap * sizeof *p);
      if (!p)
        return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      q->pending_free = p;
      q->cap_pending = cap;
    }
    q->pending_free[q->n_pending++] = c;
  }
  q->meta_dirty = true;
  return true;
}

bool
qcow2_apply_pending_frees(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);

  while (q->n_pending) {
    uint64_t c = q->pending_free[--q->n_pending];
    if (!qcow2_update_refcount(img, c * q->cs, q->cs, -1, errp))
      return false;
  }
  return true;
}

/* Refcount blocks that count nothing but themselves (or nothing at all)
 * after a shrink: their table entry goes (synced), then a block stored
 * outside its own range loses its reference.  Then the file is cut after
 * the last cluster still in use. */
bool
qcow2_release_tail(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t last = 0;

  if (!qcow2_flush_meta(img, errp))
    return false;
  for (uint64_t i = q->rt_entries; i-- > 0;) {
    uint64_t b = q->rt[i], lo = i * q->rb_entries, self = UINT64_MAX, used = 0;
    unsigned char *rb;
    if (!b)
      continue;
    if (b / q->cs >= lo && b / q->cs < lo + q->rb_entries)
      self = b / q->cs - lo;
    if (!(rb = qcow2_cache_get(img, &q->rbc, b, false, errp)))
      return false;
    for (uint64_t j = 0; j < q->rb_entries && used < 2; j++) {
      uint64_t v = rb_get(q, rb, j);
      if (v && !(j == self && v == 1))
        used = 2;
      else if (v)
        used = 1;
    }
    if (used == 2 || (i == 0))
      continue;
    /* Counts nothing (or only itself): drop it. */
    qcow2_cache_drop(&q->rbc, b);
    q->rt[i] = 0;
    q->rt_dirty_e[i] = true;
    q->rt_dirty = true;
    q->meta_dirty = true;
    if (!qcow2_flush_meta(img, errp))
      return false;
    if (self == UINT64_MAX && (!qcow2_update_refcount(img, b, q->cs, -1, errp) ||
                               !qcow2_flush_meta(img, errp)))
      return false;
  }
  /* The last cluster in use. */
  for (uint64_t i = q->rt_entries; i-- > 0 && !last;) {
    unsigned char *rb;
    if (!q->rt[i])
      continue;
    if (!(rb = qcow2_cache_get(img, &q->rbc, q->rt[i], false, errp)))
      return false;
    for (uint64_t j = q->rb_entries; j-- > 0;)
      if (rb_get(q, rb, j)) {
        last = i * q->rb_entries + j;
        break;
      }
  }
  if ((last + 1) * q->cs < q->file_len) {
    if (ftruncate(img->fd, (off_t)((last + 1) * q->cs)) < 0)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot truncate", img->filename);
    q->file_len = (last + 1) * q->cs;
  }
  q->alloc_end = (last + 1) * q->cs;
  if (q->free_hint > last + 1)
    q->free_hint = last + 1;
  q->comp_next = q->comp_end = 0;
  return true;
}
