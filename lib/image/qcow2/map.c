/* vkit — qcow2 cluster mapping: read, write (with copy on write), zero
 * writes and discards, block status, compressed clusters. */
#include <config.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "image/compress.h"
#include "image/qcow2/qcow2.h"

bool
qcow2_l2_entry(vk_image *img, const unsigned char *t, uint64_t idx, qcow2_l2e *e,
               vk_error **errp)
{
  qcow2 *q = Q(img);
  const char *why;

  qcow2_l2e_get(&q->g, t, idx, e);
  if ((why = qcow2_l2e_problem(&q->g, e, qcow2_limit(q))))
    return qcow2_mark_corrupt(img, errp, "%s (entry %#llx)", why, (unsigned long long)e->word);
  return true;
}

/* qcow2_l2_entry() for the entry of the guest cluster at `guest`: with
 * an external data file, an entry must point at the guest offset. */
static bool
entry_at(vk_image *img, const unsigned char *t, uint64_t idx, uint64_t guest, qcow2_l2e *e,
         vk_error **errp)
{
  qcow2 *q = Q(img);

  if (!qcow2_l2_entry(img, t, idx, e, errp))
    return false;
  if (qcow2_l2e_misplaced(&q->g, e, guest))
    return qcow2_mark_corrupt(img, errp, "data file cluster %#llx is not at its guest offset %#llx",
                              (unsigned long long)e->host,
                              (unsigned long long)(guest & ~(q->g.cs - 1)));
  return true;
}

/* The L2 table at `off` (L1 entry l1i) from the cache.  For an image open
 * for writing, a table read from disk has all its entries checked at once,
 * while the file still ends where it did: an entry pointing past it must
 * not come to point at a cluster this session allocates later. */
static unsigned char *
load_l2(vk_image *img, uint64_t l1i, uint64_t off, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t misses = q->l2c.misses;
  unsigned char *t = qcow2_cache_get(img, &q->l2c, off, false, errp);

  if (!t || !img->writable || q->l2c.misses == misses)
    return t;
  for (uint64_t j = 0; j < q->g.l2_entries; j++) {
    qcow2_l2e e;
    if (!entry_at(img, t, j, (l1i * q->g.l2_entries + j) << q->g.cluster_bits, &e, errp)) {
      qcow2_cache_drop(&q->l2c, off);
      return NULL;
    }
  }
  return t;
}

/* An entry without the COPIED flag points at the host cluster at `off`:
 * it must be shared (refcount above 1), and is then copied on write.
 * With refcount 1 the entry and the refcount disagree (another entry
 * may point there too): writing or freeing could destroy data, so the
 * image is marked corrupt (`check -r all` repairs it). */
static bool
check_shared(vk_image *img, uint64_t off, const char *what, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t rc;

  if (!qcow2_get_refcount(img, off / q->g.cs, &rc, errp))
    return false;
  if (rc <= 1)
    return qcow2_mark_corrupt(img, errp, "%s at %#llx without the COPIED flag has refcount %llu",
                              what, (unsigned long long)off, (unsigned long long)rc);
  return true;
}

/* Active L1 entry l1i points at an L2 table without the COPIED flag: it
 * is shared with a snapshot.  Copy it to a new cluster and point the L1
 * entry at the copy; the old table loses one reference once the L1 entry
 * is on disk.  Every cluster the copy points at is still used by the
 * snapshot's table too, so none of its entries keeps COPIED. */
static bool
cow_l2(vk_image *img, uint64_t l1i, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t old = q->l1[l1i] & QCOW2_L1E_OFFSET_MASK, new;
  unsigned char *t;
  unsigned char *copy;

  if (!check_shared(img, old, "L2 table", errp) || !qcow2_set_dirty(img, errp))
    return false;
  {
    if (!(copy = malloc(q->g.cs)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    if (!(t = load_l2(img, l1i, old, errp))) {
      free(copy);
      return false;
    }
    memcpy(copy, t, q->g.cs);
    for (uint64_t i = 0; i < q->g.l2_entries; i++) {
      unsigned char *p = copy + i * q->g.l2_esize;
      vk_put_be64(p, vk_be64(p) & ~QCOW2_OFLAG_COPIED);
    }
    new = qcow2_alloc_clusters(img, 1, errp);
    if (!new || !(t = qcow2_cache_get(img, &q->l2c, new, true, errp))) {
      free(copy);
      return false;
    }
    memcpy(t, copy, q->g.cs);
    free(copy);
    qcow2_cache_mark_dirty(&q->l2c, t);
    if (!qcow2_meta_l2(img, new, 1, errp) || !qcow2_free_later(img, old, q->g.cs, errp))
      return false;
    qcow2_meta_l2(img, old, -1, NULL);
  }
  q->l1[l1i] = new | QCOW2_OFLAG_COPIED;
  q->l1_dirty[l1i] = true;
  q->any_l1_dirty = true;
  q->meta_dirty = true;
  return true;
}

/* The L2 table for guest offset `off`: *tp is NULL when there is none and
 * `alloc` is false.  *idx is the entry index in it. */
static bool
get_l2(vk_image *img, uint64_t off, bool alloc, unsigned char **tp, uint64_t *idx,
       vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t gc = off >> q->g.cluster_bits, l1i = gc / q->g.l2_entries, l2off;

  *idx = gc % q->g.l2_entries;
  *tp = NULL;
  if (l1i >= q->l1_size) {
    if (!alloc)
      return true;
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: offset beyond the L1 table", img->filename);
  }
  l2off = q->l1[l1i] & QCOW2_L1E_OFFSET_MASK;
  if (!l2off) {
    if (!alloc)
      return true;
    if (!qcow2_set_dirty(img, errp))
      return false;
    l2off = qcow2_alloc_clusters(img, 1, errp);
    if (!l2off || !qcow2_meta_l2(img, l2off, 1, errp))
      return false;
    *tp = qcow2_cache_get(img, &q->l2c, l2off, true, errp);
    if (!*tp)
      return false;
    qcow2_cache_mark_dirty(&q->l2c, *tp);
    q->l1[l1i] = l2off | QCOW2_OFLAG_COPIED;
    q->l1_dirty[l1i] = true;
    q->any_l1_dirty = true;
    q->meta_dirty = true;
    return true;
  }
  if (l2off + q->g.cs > qcow2_limit(q) + q->g.cs)
    return qcow2_mark_corrupt(img, errp, "L2 table at %#llx is past the end of the file",
                              (unsigned long long)l2off);
  if (alloc) {
    uint64_t at = 0;
    unsigned hit;
    if (!(q->l1[l1i] & QCOW2_OFLAG_COPIED))
      return cow_l2(img, l1i, errp) && get_l2(img, off, false, tp, idx, errp);
    /* About to change it in place: it must be nothing but our L2 table. */
    if ((hit = qcow2_meta_overlap(q, l2off, q->g.cs, QM_L2, &at)))
      return qcow2_mark_corrupt(img, errp, "the L2 table at %#llx is also the %s",
                                (unsigned long long)l2off, qcow2_meta_role_name(hit));
  }
  *tp = load_l2(img, l1i, q->l1[l1i] & QCOW2_L1E_OFFSET_MASK, errp);
  return *tp != NULL;
}

bool
qcow2_map_l2(vk_image *img, uint64_t off, unsigned char **tp, uint64_t *idx,
             vk_error **errp)
{
  return get_l2(img, off, true, tp, idx, errp);
}

/* Read and decompress the compressed cluster of `e` into q->bounce. */
static bool
read_compressed(vk_image *img, const qcow2_l2e *e, vk_error **errp)
{
  qcow2 *q = Q(img);
  size_t n = (size_t)e->clen;

  if (n > 2 * q->g.cs + 512)
    n = 2 * q->g.cs + 512;
  if (!qcow2_bounce(img, errp))
    return false;
  if (!q->bounce2 && !(q->bounce2 = malloc(2 * q->g.cs + 512)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(img->fd, q->bounce2, n, e->host, img->filename, errp))
    return false;
  if (!q->dz && !(q->dz = vk_compressor_new(q->h.compression_type ? VK_COMPRESS_ZSTD
                                                                  : VK_COMPRESS_ZLIB,
                                             errp)))
    return false;
  if (!vk_compressor_decompress(q->dz, q->bounce, q->g.cs, q->bounce2, n, errp)) {
    vk_error_prefix(errp, "%s: cluster at host offset %#llx", img->filename,
                    (unsigned long long)e->host);
    return false;
  }
  return true;
}

/* Fill buf with what [off, off+len) of this image reads when this layer
 * has nothing there: the backing chain or zeros (and zeros past the
 * virtual size). */
static bool
read_below(vk_image *img, unsigned char *buf, size_t len, uint64_t off, vk_error **errp)
{
  size_t in = 0;

  if (off < img->size)
    in = img->size - off < len ? (size_t)(img->size - off) : len;
  if (in && !vk_image_read_backing(img, buf, in, off, errp))
    return false;
  memset(buf + in, 0, len - in);
  return true;
}

bool
qcow2_read(vk_image *img, void *vbuf, size_t len, uint64_t off, vk_error **errp)
{
  qcow2 *q = Q(img);
  unsigned char *buf = vbuf;

  while (len) {
    uint64_t in_c = off & (q->g.cs - 1), idx;
    size_t n = q->g.cs - in_c < len ? (size_t)(q->g.cs - in_c) : len;
    unsigned char *t;
    qcow2_l2e e;

    if (!get_l2(img, off, false, &t, &idx, errp))
      return false;
    if (!t) {
      if (!read_below(img, buf, n, off, errp))
        return false;
    } else {
      if (!entry_at(img, t, idx, off, &e, errp))
        return false;
      if (e.compressed) {
        if (!read_compressed(img, &e, errp))
          return false;
        memcpy(buf, q->bounce + in_c, n);
      } else {
        /* Per subcluster (one unit for standard L2). */
        size_t done = 0;
        while (done < n) {
          uint64_t pos = in_c + done;
          unsigned sc = (unsigned)(pos / q->g.sc_size);
          size_t m = (size_t)((sc + 1) * q->g.sc_size - pos);
          if (m > n - done)
            m = n - done;
          switch (qcow2_l2e_kind(&q->g, &e, sc)) {
          case QC_NORMAL:
            if (!qcow2_data_pread(img, buf + done, m, e.host + pos, errp))
              return false;
            break;
          case QC_UNALLOC:
            if (!read_below(img, buf + done, m, off + done, errp))
              return false;
            break;
          default:
            memset(buf + done, 0, m);
          }
          done += m;
        }
      }
    }
    buf += n;
    off += n;
    len -= n;
  }
  return true;
}

/* The host clusters [*off, *off + *len) that entry e uses as guest data
 * (none: *len 0). */
static void
entry_range(const qcow2 *q, const qcow2_l2e *e, uint64_t *off, uint64_t *len)
{
  uint64_t first, n;

  *off = *len = 0;
  if (q->g.data_file) {
    /* Not counted in the image file: nothing to free there. */
  } else if (e->compressed) {
    qcow2_compressed_clusters(&q->g, e, &first, &n);
    *off = first;
    *len = n * q->g.cs;
  } else if (e->mapped) {
    *off = e->host;
    *len = q->g.cs;
  }
}

/* Before the data of entry e is replaced and freed: a hostile entry that
 * points at metadata (an L2 table, a refcount block...) would take the
 * refcount of that structure down with it; the image is marked corrupt
 * instead, before anything changes. */
static bool
check_entry_free(vk_image *img, const qcow2_l2e *e, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t off, len, at;
  unsigned hit;

  entry_range(q, e, &off, &len);
  if (!len || !(hit = qcow2_meta_overlap(q, off, len, 0, &at)))
    return true;
  return qcow2_mark_corrupt(img, errp, "data cluster at 0x%llx to be freed is also the %s there",
                            (unsigned long long)at, qcow2_meta_role_name(hit));
}

/* Free the host clusters of entry e (after check_entry_free()). */
static bool
free_entry(vk_image *img, const qcow2_l2e *e, vk_error **errp)
{
  uint64_t off, len;

  entry_range(Q(img), e, &off, &len);
  return !len || (check_entry_free(img, e, errp) && qcow2_free_later(img, off, len, errp));
}

/* Host clusters for n guest clusters from `guest` (cluster aligned): in an
 * external data file the guest offset itself (nothing is refcounted
 * there), else newly allocated ones. */
static bool
alloc_data(vk_image *img, uint64_t guest, uint64_t n, uint64_t *host, vk_error **errp)
{
  if (Q(img)->g.data_file) {
    *host = guest;
    return true;
  }
  return (*host = qcow2_alloc_clusters(img, n, errp)) != 0;
}

/* Write [in_c, in_c+n) of the cluster at guest offset `coff` with data
 * `src` (NULL: zeros), allocating and copying on write as needed. */
static bool
write_cluster(vk_image *img, uint64_t coff, uint64_t in_c, size_t n,
              const unsigned char *src, vk_error **errp)
{
  qcow2 *q = Q(img);
  unsigned char *t;
  uint64_t idx, newhost;
  qcow2_l2e e;
  bool shared = false, below_zero = false;
  uint64_t fresh = q->written_end; /* before this call's allocations */

  if (!qcow2_bounce(img, errp) || !get_l2(img, coff, true, &t, &idx, errp) ||
      !entry_at(img, t, idx, coff, &e, errp))
    return false;
  if (e.mapped && !(e.word & QCOW2_OFLAG_COPIED) && !q->g.data_file) {
    if (!check_shared(img, e.host, "data cluster", errp))
      return false;
    shared = true;
  }
  if ((e.compressed || shared) && !check_entry_free(img, &e, errp))
    return false;

  if (!q->g.extl2 && e.mapped && (e.word & QCOW2_OFLAG_ZERO) == 0 && !shared) {
    /* Normal cluster: in place. */
    if (src)
      return qcow2_pwrite(img, 0, src, n, e.host + in_c, errp);
    memset(q->bounce, 0, n);
    return qcow2_pwrite(img, 0, q->bounce, n, e.host + in_c, errp);
  }
  if (!qcow2_set_dirty(img, errp))
    return false;

  if (q->g.extl2 && !e.compressed) {
    uint32_t alloc = (uint32_t)e.bitmap, zero = (uint32_t)(e.bitmap >> 32);
    unsigned first = (unsigned)(in_c / q->g.sc_size), last = (unsigned)((in_c + n - 1) / q->g.sc_size);
    uint64_t host = e.host;
    bool have = e.mapped;
    if (shared) {
      /* Shared with a snapshot: our own copy of the whole cluster first. */
      if (!qcow2_data_pread(img, q->bounce, q->g.cs, e.host, errp) ||
          !(host = qcow2_alloc_clusters(img, 1, errp)) ||
          !qcow2_pwrite(img, 0, q->bounce, q->g.cs, host, errp) ||
          !get_l2(img, coff, true, &t, &idx, errp))
        return false;
      qcow2_l2e_put(&q->g, t, idx, host | QCOW2_OFLAG_COPIED, e.bitmap);
      qcow2_cache_mark_dirty(&q->l2c, t);
      q->meta_dirty = true;
      if (!free_entry(img, &e, errp))
        return false;
    }
    if (!have) {
      if (!alloc_data(img, coff, 1, &host, errp))
        return false;
      /* The table may have moved in the cache: look it up again. */
      if (!get_l2(img, coff, true, &t, &idx, errp))
        return false;
    }
    for (unsigned sc = first; sc <= last; sc++) {
      uint64_t s0 = sc * q->g.sc_size, s1 = s0 + q->g.sc_size;
      uint64_t w0 = in_c > s0 ? in_c : s0, w1 = in_c + n < s1 ? in_c + n : s1;
      if ((alloc >> sc) & 1) {
        if (src) {
          if (!qcow2_pwrite(img, 0, src + (w0 - in_c), (size_t)(w1 - w0), host + w0, errp))
            return false;
        } else {
          memset(q->bounce, 0, (size_t)(w1 - w0));
          if (!qcow2_pwrite(img, 0, q->bounce, (size_t)(w1 - w0), host + w0, errp))
            return false;
        }
        continue;
      }
      /* Build the whole subcluster. */
      if (w0 != s0 || w1 != s1) {
        if ((zero >> sc) & 1) {
          memset(q->bounce, 0, q->g.sc_size);
        } else if (!read_below(img, q->bounce, q->g.sc_size, coff + s0, errp)) {
          return false;
        }
      }
      if (src)
        memcpy(q->bounce + (w0 - s0), src + (w0 - in_c), (size_t)(w1 - w0));
      else
        memset(q->bounce + (w0 - s0), 0, (size_t)(w1 - w0));
      if (!qcow2_pwrite(img, 0, q->bounce, q->g.sc_size, host + s0, errp))
        return false;
      alloc |= 1u << sc;
      zero &= ~(1u << sc);
    }
    if (!get_l2(img, coff, true, &t, &idx, errp))
      return false;
    qcow2_l2e_put(&q->g, t, idx, host | QCOW2_OFLAG_COPIED, ((uint64_t)zero << 32) | alloc);
    qcow2_cache_mark_dirty(&q->l2c, t);
    q->meta_dirty = true;
    return true;
  }

  /* Standard L2 (or compressed): a whole new cluster, or a zero-allocated
   * one reused in place. */
  if (n != q->g.cs) {
    if (e.compressed) {
      if (!read_compressed(img, &e, errp))
        return false;
    } else if (e.word & QCOW2_OFLAG_ZERO) {
      memset(q->bounce, 0, q->g.cs);
    } else if (e.mapped) {
      /* A normal cluster shared with a snapshot: copy on write. */
      if (!qcow2_data_pread(img, q->bounce, q->g.cs, e.host, errp))
        return false;
    } else if (img->backing && coff < img->backing->size) {
      if (!read_below(img, q->bounce, q->g.cs, coff, errp))
        return false;
    } else {
      below_zero = true;
    }
  }
  if (e.mapped && !shared) {
    newhost = e.host;   /* zero-allocated and ours: reuse */
  } else if (!alloc_data(img, coff, 1, &newhost, errp)) {
    return false;
  }
  if (below_zero && !q->g.data_file && newhost >= fresh) {
    /* Nothing below, and the file was never written there: the rest of
     * the cluster reads zeros already, only the part given goes to disk
     * (what a convert to large clusters does at every cluster). */
    if (src && !qcow2_pwrite(img, 0, src, n, newhost + in_c, errp))
      return false;
  } else {
    if (below_zero)
      memset(q->bounce, 0, q->g.cs);
    if (src)
      memcpy(q->bounce + in_c, src, n);
    else
      memset(q->bounce + in_c, 0, n);
    if (!qcow2_pwrite(img, 0, q->bounce, q->g.cs, newhost, errp))
      return false;
  }
  if (!get_l2(img, coff, true, &t, &idx, errp))
    return false;
  qcow2_l2e_put(&q->g, t, idx, newhost | QCOW2_OFLAG_COPIED, 0);
  qcow2_cache_mark_dirty(&q->l2c, t);
  q->meta_dirty = true;
  if ((e.compressed || shared) && !free_entry(img, &e, errp))
    return false;
  return true;
}

/* Map a leading run of plain unallocated clusters of the L2 table holding
 * cluster-aligned guest `off` (at most `nclusters`) to a new host-contiguous
 * run: *n clusters from *host (0 when the first is allocated already).
 * With `src`, its *n clusters are written there before the L2 entries are
 * set (in the cache); without, the data is the caller's to write. */
static bool
map_new_run(vk_image *img, uint64_t off, uint64_t nclusters, const unsigned char *src,
            uint64_t *host, uint64_t *n, vk_error **errp)
{
  qcow2 *q = Q(img);
  unsigned char *t;
  uint64_t idx, k = 0;
  qcow2_l2e e;

  *n = 0;
  if (!get_l2(img, off, true, &t, &idx, errp))
    return false;
  while (k < nclusters && idx + k < q->g.l2_entries) {
    if (!entry_at(img, t, idx + k, off + k * q->g.cs, &e, errp))
      return false;
    if (!qcow2_l2e_empty(&e))
      break;
    k++;
  }
  if (!k)
    return true;
  if (!qcow2_set_dirty(img, errp) || !qcow2_data_changes(img, errp))
    return false;
  if (!alloc_data(img, off, k, host, errp) ||
      (src && !qcow2_pwrite(img, 0, src, (size_t)(k * q->g.cs), *host, errp)))
    return false;
  /* The allocation may have moved the table in the cache. */
  if (!get_l2(img, off, true, &t, &idx, errp))
    return false;
  for (uint64_t i = 0; i < k; i++)
    qcow2_l2e_put(&q->g, t, idx + i, (*host + i * q->g.cs) | QCOW2_OFLAG_COPIED,
                  q->g.extl2 ? QCOW2_SC_ALL_ALLOC : 0);
  qcow2_cache_mark_dirty(&q->l2c, t);
  q->meta_dirty = true;
  *n = k;
  return true;
}

/* Whole clusters written straight from the caller's buffer: allocate a
 * contiguous run for unallocated clusters and write it with one call. */
static bool
write_full_run(vk_image *img, uint64_t off, const unsigned char *src, uint64_t nclusters,
               uint64_t *done, vk_error **errp)
{
  uint64_t host = 0;

  return map_new_run(img, off, nclusters, src, &host, done, errp);
}

bool
qcow2_reserve(vk_image *img, uint64_t off, uint64_t len, uint64_t *host, uint64_t *got,
              bool *zeroed, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t n = 0, tail, fresh = q->written_end;

  if (q->corrupt)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: image marked corrupt; not writing",
                        img->filename);
  if (off & (q->g.cs - 1) || ((off + len) & (q->g.cs - 1) && off + len != img->size))
    return true;
  if (!map_new_run(img, off, (len + q->g.cs - 1) / q->g.cs, NULL, host, &n, errp))
    return false;
  if (!n)
    return true;
  *got = n * q->g.cs < len ? n * q->g.cs : len;
  if (q->g.data_file)
    return true; /* the data file may hold anything there: not zeroed */
  /* A last cluster only partly covered by the virtual size: the rest of it
   * must read zeros, which a cluster never written does already. */
  tail = n * q->g.cs - *got;
  *zeroed = *host >= fresh;
  if (tail && *host + *got < fresh) {
    unsigned char *z = qcow2_bounce(img, errp);
    if (!z)
      return false;
    memset(z, 0, (size_t)tail);
    if (!qcow2_pwrite(img, 0, z, (size_t)tail, *host + *got, errp))
      return false;
  }
  if (*host + n * q->g.cs > q->written_end)
    q->written_end = *host + n * q->g.cs;
  return true;
}

bool
qcow2_write(vk_image *img, const void *vbuf, size_t len, uint64_t off, vk_error **errp)
{
  qcow2 *q = Q(img);
  const unsigned char *buf = vbuf;

  if (q->corrupt)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: image marked corrupt; not writing",
                        img->filename);
  while (len) {
    uint64_t in_c = off & (q->g.cs - 1);
    size_t n = q->g.cs - in_c < len ? (size_t)(q->g.cs - in_c) : len;

    if (in_c == 0 && len >= q->g.cs) {
      uint64_t done = 0;
      if (!write_full_run(img, off, buf, len / q->g.cs, &done, errp))
        return false;
      if (done) {
        buf += done * q->g.cs;
        off += done * q->g.cs;
        len -= (size_t)(done * q->g.cs);
        continue;
      }
    }
    if (!write_cluster(img, off - in_c, in_c, n, buf, errp))
      return false;
    buf += n;
    off += n;
    len -= n;
  }
  return true;
}

/* Zero writes and discards. */
bool
qcow2_zero(vk_image *img, uint64_t off, uint64_t len, unsigned flags, bool discard,
           vk_error **errp)
{
  qcow2 *q = Q(img);
  bool unalloc = flags & VK_ZERO_UNALLOCATE;
  bool unmap = discard || unalloc || (flags & VK_ZERO_MAY_UNMAP);
  bool has_backing = img->backing != NULL;

  if (q->corrupt)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: image marked corrupt; not writing",
                        img->filename);
  if (q->h.autoclear_features & QCOW2_AUTOCLEAR_DATA_FILE_RAW) {
    /* A raw data file must read what the guest reads: its range is zeroed
     * (a hole where it can be), and the clusters stay mapped to it. */
    uint64_t end = off + len > img->size ? img->size : off + len;
    if (img->data_fd < 0)
      return vk_error_set(errp, VK_EXIT_FAILED, "%s: its data file is not open", img->filename);
    if (!qcow2_data_changes(img, errp) ||
        !vk_host_zero(img->data_fd, img->data_name, off, end - off, unmap, errp))
      return false;
    unmap = unalloc = false;
  } else if (q->g.data_file && discard && img->data_fd >= 0) {
    /* Given back by the data file too, as QEMU does (best effort). */
    uint64_t a = (off + q->g.cs - 1) & ~(q->g.cs - 1), b = (off + len) & ~(q->g.cs - 1);
    if (b > a)
      (void)!fallocate(img->data_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)a,
                       (off_t)(b - a));
  }
  while (len) {
    uint64_t in_c = off & (q->g.cs - 1), coff = off - in_c, idx;
    uint64_t n = q->g.cs - in_c < len ? q->g.cs - in_c : len;
    unsigned char *t;
    qcow2_l2e e;

    /* The end of the image counts as the end of its last cluster. */
    bool whole = in_c == 0 && (n == q->g.cs || off + n == img->size);

    if (!whole && unalloc) {
      return vk_error_set(errp, VK_EXIT_FAILED, "%s: cannot unallocate part of a cluster",
                          img->filename);
    } else if (!whole && q->g.extl2 && q->h.version >= 3) {
      /* Whole subclusters get zero bits; the rest is written. */
      uint64_t s0 = (in_c + q->g.sc_size - 1) / q->g.sc_size, s1 = (in_c + n) / q->g.sc_size;
      if (off + n == img->size)
        s1 = (in_c + n + q->g.sc_size - 1) / q->g.sc_size;
      if (!get_l2(img, off, true, &t, &idx, errp) || !entry_at(img, t, idx, off, &e, errp))
        return false;
      if (s1 > s0 && !e.compressed) {
        uint32_t mask = (uint32_t)(((1ULL << (s1 - s0)) - 1) << s0);
        uint32_t alloc = (uint32_t)e.bitmap & ~mask, zero = (uint32_t)(e.bitmap >> 32) | mask;
        if (!qcow2_set_dirty(img, errp) || !qcow2_data_changes(img, errp))
          return false;
        qcow2_l2e_put(&q->g, t, idx, e.word, ((uint64_t)zero << 32) | alloc);
        qcow2_cache_mark_dirty(&q->l2c, t);
        q->meta_dirty = true;
        if (s0 * q->g.sc_size > in_c &&
            !write_cluster(img, coff, in_c, (size_t)(s0 * q->g.sc_size - in_c), NULL, errp))
          return false;
        if (s1 * q->g.sc_size < in_c + n &&
            !write_cluster(img, coff, s1 * q->g.sc_size, (size_t)(in_c + n - s1 * q->g.sc_size),
                           NULL, errp))
          return false;
      } else if (!write_cluster(img, coff, in_c, (size_t)n, NULL, errp)) {
        return false;
      }
    } else if (!whole || (q->h.version < 3 && has_backing && !unalloc)) {
      if (!write_cluster(img, coff, in_c, (size_t)n, NULL, errp))
        return false;
    } else {
      uint64_t word, bitmap = 0;
      if (!get_l2(img, off, false, &t, &idx, errp))
        return false;
      if (!t && (!has_backing || unalloc))
        goto next; /* nothing there: already zeros (or unallocated) */
      if (!get_l2(img, off, true, &t, &idx, errp) || !entry_at(img, t, idx, off, &e, errp))
        return false;
      if (!qcow2_set_dirty(img, errp) || !qcow2_data_changes(img, errp))
        return false;
      if (q->h.version < 3) {
        /* No zero flag: unallocated reads zeros without a backing file. */
        word = 0;
        if (!free_entry(img, &e, errp))
          return false;
      } else if (unmap || e.compressed || !e.mapped) {
        if (!free_entry(img, &e, errp))
          return false;
        if (q->g.extl2) {
          word = 0;
          bitmap = has_backing && !unalloc ? QCOW2_SC_ALL_ZERO : 0;
        } else {
          word = has_backing && !unalloc ? QCOW2_OFLAG_ZERO : 0;
        }
      } else if (q->g.extl2) {
        /* Kept allocated; COPIED stays as it was (clear when a snapshot
         * shares the cluster: the next write copies it). */
        word = e.host | (e.word & QCOW2_OFLAG_COPIED);
        bitmap = QCOW2_SC_ALL_ZERO;
      } else {
        word = e.host | (e.word & QCOW2_OFLAG_COPIED) | QCOW2_OFLAG_ZERO;
      }
      if (!get_l2(img, off, true, &t, &idx, errp))
        return false;
      qcow2_l2e_put(&q->g, t, idx, word, bitmap);
      qcow2_cache_mark_dirty(&q->l2c, t);
      q->meta_dirty = true;
    }
  next:
    off += n;
    len -= n;
  }
  return true;
}

/* Whether entry idx of an L2 table is all zero bits: unallocated, with no
 * flag or subcluster bit set (always valid). */
static inline bool
l2e_blank(const qcow2_geom *g, const unsigned char *t, uint64_t idx)
{
  uint64_t w[2] = { 0, 0 };

  memcpy(w, t + idx * (g->extl2 ? 16 : 8), g->extl2 ? 16 : 8);
  return (w[0] | w[1]) == 0;
}

bool
qcow2_block_status(vk_image *img, uint64_t off, uint64_t len, vk_extent *out,
                   vk_error **errp)
{
  qcow2 *q = Q(img);
  bool first = true;
  vk_extent_kind kind = VK_EXTENT_UNALLOCATED;
  bool allocated = false;
  int64_t host0 = -1;
  uint64_t got = 0;

  /* One L2 table at a time, then its entries one after the other. */
  while (got < len) {
    uint64_t pos = off + got, idx;
    unsigned char *t;

    if (!get_l2(img, pos, false, &t, &idx, errp))
      return false;
    for (; got < len && idx < q->g.l2_entries; idx++) {
      uint64_t in_c = (off + got) & (q->g.cs - 1);
      uint64_t n = q->g.cs - in_c < len - got ? q->g.cs - in_c : len - got;
      vk_extent_kind k = VK_EXTENT_UNALLOCATED;
      bool a = false;
      int64_t h = -1;
      qcow2_l2e e;

      if (!t) {
        /* A whole missing L2 table: skip to its end. */
        uint64_t span = q->g.cs * q->g.l2_entries, rest = span - ((off + got) & (span - 1));
        n = rest < len - got ? rest : len - got;
        idx = q->g.l2_entries - 1;
      } else if (l2e_blank(&q->g, t, idx)) {
        /* Nothing in this cluster (the common case of a sparse table):
         * no entry to decode. */
      } else {
        unsigned sc = (unsigned)(in_c / q->g.sc_size);
        if (!entry_at(img, t, idx, off + got, &e, errp))
          return false;
        if (q->g.extl2 && !e.compressed) {
          uint64_t m = (sc + 1) * q->g.sc_size - in_c;
          if (m < n)
            n = m;
          /* The rest of this cluster is another entry's turn: same idx. */
          if (in_c + n < q->g.cs)
            idx--;
        }
        switch (qcow2_l2e_kind(&q->g, &e, sc)) {
        case QC_NORMAL:
          k = VK_EXTENT_DATA;
          a = true;
          h = (int64_t)(e.host + in_c);
          break;
        case QC_COMPRESSED:
          k = VK_EXTENT_DATA;
          a = true;
          break;
        case QC_ZERO_ALLOC:
          k = VK_EXTENT_ZERO;
          a = true;
          h = (int64_t)(e.host + in_c);
          break;
        case QC_ZERO_PLAIN: k = VK_EXTENT_ZERO; break;
        default:
          /* An unallocated subcluster of an allocated cluster: its place
           * is known (qemu-img map prints it). */
          if (e.mapped)
            h = (int64_t)(e.host + in_c);
          break;
        }
      }
      if (first) {
        kind = k;
        allocated = a;
        host0 = h;
        first = false;
      } else {
        bool contiguous =
            (host0 < 0 && h < 0) || (host0 >= 0 && h >= 0 && (uint64_t)h == (uint64_t)host0 + got);
        if (k != kind || a != allocated || !contiguous)
          goto done;
      }
      got += n;
    }
  }
done:
  out->length = got;
  out->kind = kind;
  out->allocated = allocated;
  out->host_offset = host0;
  return true;
}

bool
qcow2_write_compressed(vk_image *img, uint64_t off, const void *data, size_t len,
                       vk_error **errp)
{
  qcow2 *q = Q(img);
  unsigned char *t;
  uint64_t idx, coff;
  qcow2_l2e e;

  if (off % q->g.cs)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: compressed write not cluster aligned",
                        img->filename);
  if (len == 0 || len >= q->g.cs)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: compressed cluster must be shorter than the cluster size",
                        img->filename);
  if (q->corrupt)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: image marked corrupt; not writing",
                        img->filename);
  if (q->g.data_file)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: an image with an external data file cannot hold compressed clusters",
                        img->filename);
  if (!get_l2(img, off, true, &t, &idx, errp) || !entry_at(img, t, idx, off, &e, errp))
    return false;
  if (e.mapped || e.compressed || (uint32_t)e.bitmap)
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "%s: cluster at %llu is already allocated; compressed writes go to unallocated clusters",
                        img->filename, (unsigned long long)off);
  if (!qcow2_set_dirty(img, errp))
    return false;

  /* Pack byte-adjacent into the current area; a cluster it spills into is
   * allocated right after it, or a new area starts. */
  coff = q->comp_next;
  if (coff) {
    uint64_t rc, c = coff / q->g.cs;
    if (coff % q->g.cs == 0)
      coff = 0;
    else if (!qcow2_get_refcount(img, c, &rc, errp))
      return false;
    else if (rc >= q->g.refmax)
      coff = 0;   /* this cluster cannot count one more reference */
  }
  if (coff && coff + len > q->comp_end) {
    uint64_t need = (coff + len - q->comp_end + q->g.cs - 1) / q->g.cs, got;
    got = qcow2_alloc_clusters(img, need, errp);
    if (!got)
      return false;
    if (got != q->comp_end) {
      /* Not adjacent: give them back and start a new area. */
      if (!qcow2_update_refcount(img, got, need * q->g.cs, -1, errp))
        return false;
      coff = 0;
    } else {
      /* The first cluster of the area gets this entry's reference. */
      if (!qcow2_update_refcount(img, coff & ~(q->g.cs - 1), q->g.cs, 1, errp))
        return false;
      q->comp_end += need * q->g.cs;
    }
  } else if (coff) {
    if (!qcow2_update_refcount(img, coff & ~(q->g.cs - 1), q->g.cs, 1, errp))
      return false;
  }
  if (!coff) {
    uint64_t need = (len + q->g.cs - 1) / q->g.cs;
    coff = qcow2_alloc_clusters(img, need, errp);
    if (!coff)
      return false;
    q->comp_end = coff + need * q->g.cs;
  }
  if (!qcow2_pwrite(img, 0, data, len, coff, errp))
    return false;
  q->comp_next = coff + len;
  if (q->comp_next >= q->comp_end)
    q->comp_next = q->comp_end = 0;
  if (!get_l2(img, off, true, &t, &idx, errp))
    return false;
  qcow2_l2e_put(&q->g, t, idx, qcow2_compressed_word(&q->g, coff, len), 0);
  qcow2_cache_mark_dirty(&q->l2c, t);
  q->meta_dirty = true;
  return true;
}
