/* vkit — qcow2 refcounts: the table, blocks, allocation and freeing. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/qcow2/qcow2.h"
#include "util/cleanup.h"

bool
qcow2_refcount_load(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t n = (uint64_t)q->h.refcount_table_clusters * q->g.cs / 8;
  uint64_t rt_end = q->h.refcount_table_offset + n * 8;
  uint64_t l1_end = q->h.l1_table_offset + (uint64_t)q->h.l1_size * 8;
  CLEANUP_FREE unsigned char *raw = malloc(n * 8);

  q->rt = calloc(n, sizeof *q->rt);
  q->rt_dirty_e = calloc(n, sizeof *q->rt_dirty_e);
  q->rt_entries = n;
  if (!raw || !q->rt || !q->rt_dirty_e)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(img->fd, raw, n * 8, q->h.refcount_table_offset, img->filename, errp))
    return false;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t e = vk_be64(raw + i * 8), b = e & QCOW2_RTE_OFFSET_MASK;
    const char *why = qcow2_rte_problem(&q->g, i, e, q->alloc_end);
    if (!why && b &&
        ((b < rt_end && b + q->g.cs > q->h.refcount_table_offset) ||
         (q->h.l1_size && b < l1_end && b + q->g.cs > q->h.l1_table_offset)))
      why = "refcount block overlaps the refcount table or the L1 table";
    if (why)
      return vk_error_set(errp, VK_EXIT_CORRUPT,
                          "%s: corrupt refcount table: entry %llu: %s", img->filename,
                          (unsigned long long)i, why);
    q->rt[i] = b;
  }
  return true;
}

bool
qcow2_get_refcount(vk_image *img, uint64_t cluster, uint64_t *out, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t ri = cluster / q->g.rb_entries;
  unsigned char *rb;

  if (ri >= q->rt_entries || !q->rt[ri]) {
    *out = 0;
    return true;
  }
  rb = qcow2_cache_get(img, &q->rbc, q->rt[ri], false, errp);
  if (!rb)
    return false;
  *out = qcow2_rb_get(&q->g, rb, cluster % q->g.rb_entries);
  return true;
}

static bool
has_block(const void *opaque, uint64_t r)
{
  const qcow2 *q = opaque;

  return r < q->rt_entries && q->rt[r];
}

/* Refuse to place new metadata or hand out clusters that already hold
 * some (their refcounts say they are free: the image lies). */
static bool
check_free(vk_image *img, uint64_t off, uint64_t len, const char *what, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t at = 0;
  unsigned hit = qcow2_meta_overlap(q, off, len, 0, &at);

  if (hit || !off)
    return qcow2_mark_corrupt(img, errp, "preventing %s at %#llx over the %s at %#llx (its refcount is 0)",
                              what, (unsigned long long)off,
                              qcow2_meta_role_name(hit ? hit : QM_HEADER), (unsigned long long)at);
  /* Space freed inside the file is reused only if no table points there. */
  for (uint64_t c = off >> q->g.cluster_bits;
       c <= (off + len - 1) >> q->g.cluster_bits && c < q->open_clusters; c++) {
    int u = qcow2_used_data(img, c, errp);
    if (u < 0)
      return false;
    if (u)
      return qcow2_mark_corrupt(img, errp,
                                "preventing %s at %#llx over guest data still in use (its refcount is 0)",
                                what, (unsigned long long)(c << q->g.cluster_bits));
  }
  return true;
}

/* Grow the refcount table so that index `want` exists: new blocks and a
 * larger table at the end of the allocated area, counting themselves;
 * synced; then one header write switches to it; then the old is freed. */
static bool
grow_table(vk_image *img, uint64_t want, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t cs = q->g.cs, rbe = q->g.rb_entries;
  uint64_t start = (q->alloc_end + cs - 1) / cs, end, tbl, bi = 0;
  uint64_t old_off = q->h.refcount_table_offset, old_clusters = q->h.refcount_table_clusters;
  uint64_t old_n = q->rt_entries;
  CLEANUP_FREE uint64_t *nrt = NULL;
  CLEANUP_FREE bool *ndirty = NULL;
  CLEANUP_FREE unsigned char *blk = NULL;
  CLEANUP_FREE unsigned char *tb = NULL;
  qcow2_area a;

  if (start < q->free_hint)
    start = q->free_hint;
  if (!qcow2_not_data(img, old_off, old_clusters * cs, "refcount table", errp))
    return false;
  a = qcow2_refcount_area(&q->g, start, 0, 0, want + 1 > old_n ? want + 1 : old_n, true,
                          has_block, q);
  if (a.table * cs > QCOW2_MAX_REFTABLE_BYTES)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: refcount table would exceed %u bytes",
                        img->filename, QCOW2_MAX_REFTABLE_BYTES);
  end = start + a.blocks + a.table;
  tbl = start + a.blocks;
  if (!check_free(img, start * cs, (end - start) * cs, "a new refcount table", errp))
    return false;
  nrt = calloc(a.entries, sizeof *nrt);
  ndirty = calloc(a.entries, sizeof *ndirty);
  blk = malloc(cs);
  tb = calloc(a.table, cs);
  if (!nrt || !ndirty || !blk || !tb)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  memcpy(nrt, q->rt, old_n * sizeof *nrt);
  /* Everything pending goes to disk first: the new blocks are written
   * directly, and the cache must not hold stale copies. */
  if (!qcow2_flush_meta(img, errp))
    return false;
  for (uint64_t r = start / rbe; r <= (end - 1) / rbe; r++)
    if (!has_block(q, r))
      nrt[r] = (start + bi++) * cs;
  /* The new blocks: each counts the area's clusters in its range. */
  for (uint64_t r = start / rbe; r <= (end - 1) / rbe; r++) {
    if (has_block(q, r))
      continue;
    memset(blk, 0, cs);
    for (uint64_t c = start; c < end; c++)
      if (c / rbe == r)
        qcow2_rb_set(&q->g, blk, c % rbe, 1);
    if (!qcow2_pwrite(img, QM_NEW, blk, cs, nrt[r], errp))
      return false;
  }
  for (uint64_t i = 0; i < a.entries; i++)
    vk_put_be64(tb + i * 8, nrt[i]);
  if (!qcow2_pwrite(img, QM_NEW, tb, a.table * cs, tbl * cs, errp))
    return false;
  free(q->rt);
  free(q->rt_dirty_e);
  q->rt = VK_STEAL(nrt);
  q->rt_dirty_e = VK_STEAL(ndirty);
  q->rt_entries = a.entries;
  if (q->alloc_end < end * cs)
    q->alloc_end = end * cs;
  for (uint64_t r = start / rbe; r <= (end - 1) / rbe; r++)
    if (q->rt[r] >= start * cs && !qcow2_meta_add(img, q->rt[r], cs, QM_RB, errp))
      return false;
  /* Area clusters in ranges that already had a block. */
  for (uint64_t c = start; c < end; c++) {
    uint64_t r = c / rbe;
    if (r < old_n && q->rt[r] && q->rt[r] < start * cs &&
        !qcow2_update_refcount(img, c * cs, cs, 1, errp))
      return false;
  }
  if (!qcow2_flush_meta(img, errp) || !vk_image_sync(img, errp) ||
      !qcow2_write_header(img, qcow2_patch_refcount_table(tbl * cs, (uint32_t)a.table), errp))
    return false;
  q->h.refcount_table_offset = tbl * cs;
  q->h.refcount_table_clusters = (uint32_t)a.table;
  qcow2_meta_del(img, old_off, old_clusters * cs, QM_RT);
  if (!qcow2_meta_add(img, tbl * cs, a.table * cs, QM_RT, errp))
    return false;
  if (end * cs > q->file_len)
    q->file_len = end * cs;
  /* The old table is unreferenced now. */
  return qcow2_update_refcount(img, old_off, old_clusters * cs, -1, errp);
}

/* Make sure cluster `c` has a refcount block.  A new block goes to the
 * first cluster of the range it covers (free, since the range had no
 * block), and counts itself. */
static bool
ensure_block(vk_image *img, uint64_t c, bool *created, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t ri = c / q->g.rb_entries, boff;
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
  boff = ri * q->g.rb_entries * q->g.cs;
  if (!check_free(img, boff, q->g.cs, "a new refcount block", errp) ||
      !qcow2_meta_add(img, boff, q->g.cs, QM_RB, errp))
    return false;
  rb = qcow2_cache_get(img, &q->rbc, boff, true, errp);
  if (!rb)
    return false;
  qcow2_rb_set(&q->g, rb, 0, 1);
  qcow2_cache_mark_dirty(&q->rbc, rb);
  q->rt[ri] = boff;
  q->rt_dirty_e[ri] = true;
  q->rt_dirty = true;
  q->meta_dirty = true;
  if (boff + q->g.cs > q->alloc_end)
    q->alloc_end = boff + q->g.cs;
  *created = true;
  return true;
}

/* Cluster c has a refcount of 0 now: the next search starts at it at the
 * latest, and the run known to be in use keeps its longer side of c. */
static void
qcow2_alloc_freed(qcow2 *q, uint64_t c)
{
  if (c < q->free_hint)
    q->free_hint = c;
  if (c >= q->used_lo && c < q->used_hi) {
    if (c - q->used_lo >= q->used_hi - c - 1)
      q->used_hi = c;
    else
      q->used_lo = c + 1;
  }
}

bool
qcow2_update_refcount(vk_image *img, uint64_t host_off, uint64_t len, int delta,
                      vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t c = host_off / q->g.cs, last = (host_off + len - 1) / q->g.cs;

  for (; c <= last; c++) {
    uint64_t ri = c / q->g.rb_entries, v;
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
    v = qcow2_rb_get(&q->g, rb, c % q->g.rb_entries);
    if (delta < 0 && v == 0)
      return qcow2_mark_corrupt(img, errp, "refcount of cluster %llu would drop below zero",
                                (unsigned long long)c);
    if (delta > 0 && v == q->g.refmax)
      return vk_error_set(errp, VK_EXIT_FAILED,
                          "%s: refcount of cluster %llu would overflow (refcount_bits too small)",
                          img->filename, (unsigned long long)c);
    v = delta > 0 ? v + 1 : v - 1;
    qcow2_rb_set(&q->g, rb, c % q->g.rb_entries, v);
    qcow2_cache_mark_dirty(&q->rbc, rb);
    q->meta_dirty = true;
    if (v == 0)
      qcow2_used_forget(q, c);
    if (v == 0)
      qcow2_alloc_freed(q, c);
  }
  return true;
}

uint64_t
qcow2_alloc_clusters(vk_image *img, uint64_t n, vk_error **errp)
{
  qcow2 *q = Q(img);

  for (;;) {
    uint64_t h = q->free_hint ? q->free_hint : 1, c = h, run = 0, start = 0, first_free = 0;
    bool again = false;

    for (;;) {
      uint64_t ri, v = 0;
      if (c >= q->used_lo && c < q->used_hi) {
        c = q->used_hi; /* known to be in use: not read again */
        run = 0;
      }
      ri = c / q->g.rb_entries;
      if (c >= QCOW2_MAX_HOST_OFFSET / q->g.cs) {
        vk_error_set(errp, VK_EXIT_FAILED, "%s: image file full", img->filename);
        return 0;
      }
      q->alloc_probes++;
      if (ri < q->rt_entries && q->rt[ri] && !qcow2_get_refcount(img, c, &v, errp))
        return 0;
      c++;
      if (v) {
        run = 0;
        continue;
      }
      if (!first_free)
        first_free = c - 1;
      if (!run)
        start = c - 1;
      if (++run == n)
        break;
    }
    /* Everything from the hint up to the first free cluster is in use:
     * the next search starts there, and that run joins the one known to
     * be in use (or replaces it when longer), so that filling a hole
     * does not make the next search read the image again. */
    if (h <= q->used_hi && first_free >= q->used_lo) {
      if (h < q->used_lo)
        q->used_lo = h;
      if (first_free > q->used_hi)
        q->used_hi = first_free;
    } else if (first_free - h > q->used_hi - q->used_lo) {
      q->used_lo = h;
      q->used_hi = first_free;
    }
    q->free_hint = first_free;
    /* Every range of the run needs a refcount block.  A single cluster
     * may hold its own block (first cluster of its range); a longer run
     * gets blocks allocated one cluster at a time, elsewhere.  Then the
     * search starts again, since a block may have landed in the run. */
    for (uint64_t r = start / q->g.rb_entries; r <= (start + n - 1) / q->g.rb_entries; r++) {
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
          if (!qcow2_update_refcount(img, b, q->g.cs, -1, errp))
            return 0;
          break;
        }
        if (!qcow2_meta_add(img, b, q->g.cs, QM_RB, errp) ||
            !(rb = qcow2_cache_get(img, &q->rbc, b, true, errp)))
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
    if (!check_free(img, start * q->g.cs, n * q->g.cs, "an allocation", errp) ||
        !qcow2_update_refcount(img, start * q->g.cs, n * q->g.cs, 1, errp))
      return 0;
    if (start == q->free_hint)
      q->free_hint = start + n;
    if (start == q->used_hi)
      q->used_hi = start + n;
    if ((start + n) * q->g.cs > q->alloc_end)
      q->alloc_end = (start + n) * q->g.cs;
    return start * q->g.cs;
  }
}

bool
qcow2_free_later(vk_image *img, uint64_t host_off, uint64_t len, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t c = host_off / q->g.cs, last = (host_off + len - 1) / q->g.cs;

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
    if (!qcow2_update_refcount(img, c * q->g.cs, q->g.cs, -1, errp))
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
    uint64_t b = q->rt[i], lo = i * q->g.rb_entries, self = UINT64_MAX, used = 0;
    unsigned char *rb;
    if (!b)
      continue;
    if (b / q->g.cs >= lo && b / q->g.cs < lo + q->g.rb_entries)
      self = b / q->g.cs - lo;
    if (!(rb = qcow2_cache_get(img, &q->rbc, b, false, errp)))
      return false;
    for (uint64_t j = 0; j < q->g.rb_entries && used < 2; j++) {
      uint64_t v = qcow2_rb_get(&q->g, rb, j);
      if (v && !(j == self && v == 1))
        used = 2;
      else if (v)
        used = 1;
    }
    if (used == 2 || (i == 0))
      continue;
    /* Counts nothing (or only itself): drop it. */
    qcow2_cache_drop(&q->rbc, b);
    qcow2_meta_del(img, b, q->g.cs, QM_RB);
    q->rt[i] = 0;
    q->rt_dirty_e[i] = true;
    q->rt_dirty = true;
    q->meta_dirty = true;
    if (!qcow2_flush_meta(img, errp))
      return false;
    if (self == UINT64_MAX && (!qcow2_update_refcount(img, b, q->g.cs, -1, errp) ||
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
    for (uint64_t j = q->g.rb_entries; j-- > 0;)
      if (qcow2_rb_get(&q->g, rb, j)) {
        last = i * q->g.rb_entries + j;
        break;
      }
  }
  if ((last + 1) * q->g.cs < q->file_len) {
    if (ftruncate(img->fd, (off_t)((last + 1) * q->g.cs)) < 0)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot truncate", img->filename);
    q->file_len = (last + 1) * q->g.cs;
  }
  q->alloc_end = (last + 1) * q->g.cs;
  if (q->free_hint > last + 1)
    q->free_hint = last + 1;
  q->used_lo = q->used_hi = 0;
  q->comp_next = q->comp_end = 0;
  return true;
}

bool
qcow2_refcount_trim(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t rbe = q->g.rb_entries;

  q->used_lo = q->used_hi = 0;
  for (uint64_t r = q->open_clusters / rbe; r < q->rt_entries; r++) {
    unsigned char *rb;
    bool dirty = false;

    if (!q->rt[r])
      continue;
    if (!(rb = qcow2_cache_get(img, &q->rbc, q->rt[r], false, errp)))
      return false;
    for (uint64_t k = r * rbe < q->open_clusters ? q->open_clusters : r * rbe; k < (r + 1) * rbe; k++)
      if (qcow2_rb_get(&q->g, rb, k % rbe)) {
        qcow2_rb_set(&q->g, rb, k % rbe, 0);
        dirty = true;
      }
    if (dirty) {
      qcow2_cache_mark_dirty(&q->rbc, rb);
      q->meta_dirty = true;
    }
  }
  return true;
}
