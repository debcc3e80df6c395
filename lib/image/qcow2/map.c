/* vkit — qcow2 cluster mapping: read, write (with copy on write), zero
 * writes and discards, block status, compressed clusters. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/compress.h"
#include "image/qcow2/qcow2.h"

/* One L2 entry, decoded. */
typedef struct l2ent {
  uint64_t word;            /* standard word */
  uint64_t bitmap;          /* extended L2 bitmap (0 otherwise) */
  uint64_t host;            /* cluster offset (normal/zero-alloc), or
                               compressed byte offset */
  uint64_t clen;            /* compressed: bytes to read */
  bool compressed;
} l2ent;

static uint64_t
file_limit(const qcow2 *q)
{
  return q->alloc_end > q->file_len ? q->alloc_end : q->file_len;
}

/* Decode and validate entry `idx` of table `t`. */
static bool
decode(vk_image *img, const unsigned char *t, uint64_t idx, l2ent *e, vk_error **errp)
{
  qcow2 *q = Q(img);

  memset(e, 0, sizeof *e);
  e->word = vk_be64(t + idx * q->l2_esize);
  if (q->extl2)
    e->bitmap = vk_be64(t + idx * q->l2_esize + 8);
  if (e->word & QCOW_OFLAG_COMPRESSED) {
    unsigned shift = 62 - (q->cluster_bits - 8);
    uint64_t nsec = (e->word >> shift) & ((1ULL << (q->cluster_bits - 8)) - 1);
    e->compressed = true;
    e->host = e->word & ((1ULL << shift) - 1);
    e->clen = (nsec + 1) * 512 - (e->host & 511);
    if (e->word & QCOW_OFLAG_COPIED)
      return qcow2_mark_corrupt(img, errp, "compressed cluster entry with the COPIED flag");
    if (e->bitmap)
      return qcow2_mark_corrupt(img, errp, "compressed cluster entry with subcluster bits");
    if (e->host < q->cs || e->host >= file_limit(q))
      return qcow2_mark_corrupt(img, errp,
                                "compressed cluster at %#llx is outside the file",
                                (unsigned long long)e->host);
    return true;
  }
  e->host = e->word & L2E_OFFSET_MASK;
  if (e->word & L2E_RESERVED_MASK)
    return qcow2_mark_corrupt(img, errp, "reserved bits set in an L2 entry");
  if (q->extl2 && (e->word & QCOW_OFLAG_ZERO))
    return qcow2_mark_corrupt(img, errp, "zero flag set in an extended L2 entry");
  if (!q->extl2 && (e->word & QCOW_OFLAG_ZERO) && q->h.version < 3)
    return qcow2_mark_corrupt(img, errp, "zero flag in a version 2 image");
  if (e->host % q->cs)
    return qcow2_mark_corrupt(img, errp, "data cluster offset %#llx is not cluster aligned",
                              (unsigned long long)e->host);
  if (e->host && (e->host < q->cs || e->host >= file_limit(q)))
    return qcow2_mark_corrupt(img, errp, "data cluster offset %#llx is outside the file",
                              (unsigned long long)e->host);
  if (q->extl2) {
    uint32_t alloc = (uint32_t)e->bitmap, zero = (uint32_t)(e->bitmap >> 32);
    if (alloc & zero)
      return qcow2_mark_corrupt(img, errp, "subcluster both allocated and zero");
    if (alloc && !e->host)
      return qcow2_mark_corrupt(img, errp, "allocated subclusters without a cluster offset");
  }
  return true;
}

static void
encode(qcow2 *q, unsigned char *t, uint64_t idx, uint64_t word, uint64_t bitmap)
{
  vk_put_be64(t + idx * q->l2_esize, word);
  if (q->extl2)
    vk_put_be64(t + idx * q->l2_esize + 8, bitmap);
}

/* Kind of subcluster `sc` (0 for standard L2) of a decoded entry. */
static qcow2_ckind
kind_of(const qcow2 *q, const l2ent *e, unsigned sc)
{
  if (e->compressed)
    return QC_COMPRESSED;
  if (q->extl2) {
    if ((e->bitmap >> (32 + sc)) & 1)
      return e->host ? QC_ZERO_ALLOC : QC_ZERO_PLAIN;
    if ((e->bitmap >> sc) & 1)
      return QC_NORMAL;
    return QC_UNALLOC;
  }
  if (e->word & QCOW_OFLAG_ZERO)
    return e->host ? QC_ZERO_ALLOC : QC_ZERO_PLAIN;
  return e->host ? QC_NORMAL : QC_UNALLOC;
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

  if (!qcow2_get_refcount(img, off / q->cs, &rc, errp))
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
  uint64_t old = q->l1[l1i] & L1E_OFFSET_MASK, new;
  unsigned char *t;
  unsigned char *copy;

  if (!check_shared(img, old, "L2 table", errp) || !qcow2_set_dirty(img, errp))
    return false;
  {
    if (!(copy = malloc(q->cs)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    if (!(t = qcow2_cache_get(img, &q->l2c, old, false, errp))) {
      free(copy);
      return false;
    }
    memcpy(copy, t, q->cs);
    for (uint64_t i = 0; i < q->l2_entries; i++) {
      unsigned char *p = copy + i * q->l2_esize;
      vk_put_be64(p, vk_be64(p) & ~QCOW_OFLAG_COPIED);
    }
    new = qcow2_alloc_clusters(img, 1, errp);
    if (!new || !(t = qcow2_cache_get(img, &q->l2c, new, true, errp))) {
      free(copy);
      return false;
    }
    memcpy(t, copy, q->cs);
    free(copy);
    qcow2_cache_mark_dirty(&q->l2c, t);
    if (!qcow2_free_later(img, old, q->cs, errp))
      return false;
  }
  q->l1[l1i] = new | QCOW_OFLAG_COPIED;
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
  uint64_t gc = off >> q->cluster_bits, l1i = gc / q->l2_entries, l2off;

  *idx = gc % q->l2_entries;
  *tp = NULL;
  if (l1i >= q->l1_size) {
    if (!alloc)
      return true;
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: offset beyond the L1 table", img->filename);
  }
  l2off = q->l1[l1i] & L1E_OFFSET_MASK;
  if (!l2off) {
    if (!alloc)
      return true;
    if (!qcow2_set_dirty(img, errp))
      return false;
    l2off = qcow2_alloc_clusters(img, 1, errp);
    if (!l2off)
      return false;
    *tp = qcow2_cache_get(img, &q->l2c, l2off, true, errp);
    if (!*tp)
      return false;
    qcow2_cache_mark_dirty(&q->l2c, *tp);
    q->l1[l1i] = l2off | QCOW_OFLAG_COPIED;
    q->l1_dirty[l1i] = true;
    q->any_l1_dirty = true;
    q->meta_dirty = true;
    return true;
  }
  if (l2off + q->cs > file_limit(q) + q->cs)
    return qcow2_mark_corrupt(img, errp, "L2 table at %#llx is past the end of the file",
                              (unsigned long long)l2off);
  if (alloc && !(q->l1[l1i] & QCOW_OFLAG_COPIED) && !cow_l2(img, l1i, errp))
    return false;
  *tp = qcow2_cache_get(img, &q->l2c, q->l1[l1i] & L1E_OFFSET_MASK, false, errp);
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
read_compressed(vk_image *img, const l2ent *e, vk_error **errp)
{
  qcow2 *q = Q(img);
  size_t n = (size_t)e->clen;

  if (n > 2 * q->cs + 512)
    n = 2 * q->cs + 512;
  if (!vk_host_pread(img->fd, q->bounce2, n, e->host, img->filename, errp))
    return false;
  if (!q->dz && !(q->dz = vk_compressor_new(q->h.compression_type ? VK_COMPRESS_ZSTD
                                                                  : VK_COMPRESS_ZLIB,
                                             errp)))
    return false;
  if (!vk_compressor_decompress(q->dz, q->bounce, q->cs, q->bounce2, n, errp)) {
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
    uint64_t in_c = off & (q->cs - 1), idx;
    size_t n = q->cs - in_c < len ? (size_t)(q->cs - in_c) : len;
    unsigned char *t;
    l2ent e;

    if (!get_l2(img, off, false, &t, &idx, errp))
      return false;
    if (!t) {
      if (!read_below(img, buf, n, off, errp))
        return false;
    } else {
      if (!decode(img, t, idx, &e, errp))
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
          unsigned sc = (unsigned)(pos / q->sc_size);
          size_t m = (size_t)((sc + 1) * q->sc_size - pos);
          if (m > n - done)
            m = n - done;
          switch (kind_of(q, &e, sc)) {
          case QC_NORMAL:
            if (!vk_host_pread(img->fd, buf + done, m, e.host + pos, img->filename, errp))
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

/* Host clusters touched by a compressed entry. */
static bool
free_entry(vk_image *img, const l2ent *e, vk_error **errp)
{
  qcow2 *q = Q(img);

  if (e->compressed) {
    uint64_t first = e->host & ~(q->cs - 1);
    uint64_t last = (e->host + e->clen - 1) & ~(q->cs - 1);
    return qcow2_free_later(img, first, last - first + q->cs, errp);
  }
  if (e->host)
    return qcow2_free_later(img, e->host, q->cs, errp);
  return true;
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
  l2ent e;

  bool shared = false;

  if (!get_l2(img, coff, true, &t, &idx, errp) || !decode(img, t, idx, &e, errp))
    return false;
  if (!e.compressed && e.host && !(e.word & QCOW_OFLAG_COPIED)) {
    if (!check_shared(img, e.host, "data cluster", errp))
      return false;
    shared = true;
  }

  if (!q->extl2 && !e.compressed && e.host && (e.word & QCOW_OFLAG_ZERO) == 0 && !shared) {
    /* Normal cluster: in place. */
    if (src)
      return vk_host_pwrite(img->fd, src, n, e.host + in_c, img->filename, errp);
    memset(q->bounce, 0, n);
    return vk_host_pwrite(img->fd, q->bounce, n, e.host + in_c, img->filename, errp);
  }
  if (!qcow2_set_dirty(img, errp))
    return false;

  if (q->extl2 && !e.compressed) {
    uint32_t alloc = (uint32_t)e.bitmap, zero = (uint32_t)(e.bitmap >> 32);
    unsigned first = (unsigned)(in_c / q->sc_size), last = (unsigned)((in_c + n - 1) / q->sc_size);
    uint64_t host = e.host;
    if (shared) {
      /* Shared with a snapshot: our own copy of the whole cluster first. */
      if (!vk_host_pread(img->fd, q->bounce, q->cs, e.host, img->filename, errp) ||
          !(host = qcow2_alloc_clusters(img, 1, errp)) ||
          !vk_host_pwrite(img->fd, q->bounce, q->cs, host, img->filename, errp) ||
          !get_l2(img, coff, true, &t, &idx, errp))
        return false;
      encode(q, t, idx, host | QCOW_OFLAG_COPIED, e.bitmap);
      qcow2_cache_mark_dirty(&q->l2c, t);
      q->meta_dirty = true;
      if (!qcow2_free_later(img, e.host, q->cs, errp))
        return false;
    }
    if (!host) {
      host = qcow2_alloc_clusters(img, 1, errp);
      if (!host)
        return false;
      /* The table may have moved in the cache: look it up again. */
      if (!get_l2(img, coff, true, &t, &idx, errp))
        return false;
    }
    for (unsigned sc = first; sc <= last; sc++) {
      uint64_t s0 = sc * q->sc_size, s1 = s0 + q->sc_size;
      uint64_t w0 = in_c > s0 ? in_c : s0, w1 = in_c + n < s1 ? in_c + n : s1;
      if ((alloc >> sc) & 1) {
        if (src) {
          if (!vk_host_pwrite(img->fd, src + (w0 - in_c), (size_t)(w1 - w0), host + w0,
                              img->filename, errp))
            return false;
        } else {
          memset(q->bounce, 0, (size_t)(w1 - w0));
          if (!vk_host_pwrite(img->fd, q->bounce, (size_t)(w1 - w0), host + w0,
                              img->filename, errp))
            return false;
        }
        continue;
      }
      /* Build the whole subcluster. */
      if (w0 != s0 || w1 != s1) {
        if ((zero >> sc) & 1) {
          memset(q->bounce, 0, q->sc_size);
        } else if (!read_below(img, q->bounce, q->sc_size, coff + s0, errp)) {
          return false;
        }
      }
      if (src)
        memcpy(q->bounce + (w0 - s0), src + (w0 - in_c), (size_t)(w1 - w0));
      else
        memset(q->bounce + (w0 - s0), 0, (size_t)(w1 - w0));
      if (!vk_host_pwrite(img->fd, q->bounce, q->sc_size, host + s0, img->filename, errp))
        return false;
      alloc |= 1u << sc;
      zero &= ~(1u << sc);
    }
    if (!get_l2(img, coff, true, &t, &idx, errp))
      return false;
    encode(q, t, idx, host | QCOW_OFLAG_COPIED, ((uint64_t)zero << 32) | alloc);
    qcow2_cache_mark_dirty(&q->l2c, t);
    q->meta_dirty = true;
    return true;
  }

  /* Standard L2 (or compressed): a whole new cluster, or a zero-allocated
   * one reused in place. */
  if (n != q->cs) {
    if (e.compressed) {
      if (!read_compressed(img, &e, errp))
        return false;
    } else if (e.word & QCOW_OFLAG_ZERO) {
      memset(q->bounce, 0, q->cs);
    } else if (e.host) {
      /* A normal cluster shared with a snapshot: copy on write. */
      if (!vk_host_pread(img->fd, q->bounce, q->cs, e.host, img->filename, errp))
        return false;
    } else if (!read_below(img, q->bounce, q->cs, coff, errp)) {
      return false;
    }
  }
  if (src)
    memcpy(q->bounce + in_c, src, n);
  else
    memset(q->bounce + in_c, 0, n);
  if (!e.compressed && e.host && !shared) {
    newhost = e.host;   /* zero-allocated and ours: reuse */
  } else {
    newhost = qcow2_alloc_clusters(img, 1, errp);
    if (!newhost)
      return false;
  }
  if (!vk_host_pwrite(img->fd, q->bounce, q->cs, newhost, img->filename, errp))
    return false;
  if (!get_l2(img, coff, true, &t, &idx, errp))
    return false;
  encode(q, t, idx, newhost | QCOW_OFLAG_COPIED, 0);
  qcow2_cache_mark_dirty(&q->l2c, t);
  q->meta_dirty = true;
  if ((e.compressed || shared) && !free_entry(img, &e, errp))
    return false;
  return true;
}

/* Whole clusters written straight from the caller's buffer: allocate a
 * contiguous run for unallocated clusters and write it with one call. */
static bool
write_full_run(vk_image *img, uint64_t off, const unsigned char *src, uint64_t nclusters,
               uint64_t *done, vk_error **errp)
{
  qcow2 *q = Q(img);
  unsigned char *t;
  uint64_t idx, n = 0, host;
  l2ent e;

  /* Count leading clusters of this L2 table that are plain unallocated. */
  if (!get_l2(img, off, true, &t, &idx, errp))
    return false;
  while (n < nclusters && idx + n < q->l2_entries) {
    if (!decode(img, t, idx + n, &e, errp))
      return false;
    if (e.word || e.bitmap)
      break;
    n++;
  }
  *done = n;
  if (!n)
    return true;
  if (!qcow2_set_dirty(img, errp))
    return false;
  host = qcow2_alloc_clusters(img, n, errp);
  if (!host)
    return false;
  if (!vk_host_pwrite(img->fd, src, (size_t)(n * q->cs), host, img->filename, errp))
    return false;
  if (!get_l2(img, off, true, &t, &idx, errp))
    return false;
  for (uint64_t i = 0; i < n; i++)
    encode(q, t, idx + i, (host + i * q->cs) | QCOW_OFLAG_COPIED,
           q->extl2 ? 0xffffffffULL : 0);
  qcow2_cache_mark_dirty(&q->l2c, t);
  q->meta_dirty = true;
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
    uint64_t in_c = off & (q->cs - 1);
    size_t n = q->cs - in_c < len ? (size_t)(q->cs - in_c) : len;

    if (in_c == 0 && len >= q->cs && (!buf || true)) {
      uint64_t done = 0;
      if (!write_full_run(img, off, buf, len / q->cs, &done, errp))
        return false;
      if (done) {
        buf += done * q->cs;
        off += done * q->cs;
        len -= (size_t)(done * q->cs);
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
  bool unmap = discard || (flags & VK_ZERO_MAY_UNMAP);
  bool has_backing = img->backing != NULL;

  if (q->corrupt)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: image marked corrupt; not writing",
                        img->filename);
  while (len) {
    uint64_t in_c = off & (q->cs - 1), coff = off - in_c, idx;
    uint64_t n = q->cs - in_c < len ? q->cs - in_c : len;
    unsigned char *t;
    l2ent e;

    /* The end of the image counts as the end of its last cluster. */
    bool whole = in_c == 0 && (n == q->cs || off + n == img->size);

    if (!whole && q->extl2 && q->h.version >= 3) {
      /* Whole subclusters get zero bits; the rest is written. */
      uint64_t s0 = (in_c + q->sc_size - 1) / q->sc_size, s1 = (in_c + n) / q->sc_size;
      if (off + n == img->size)
        s1 = (in_c + n + q->sc_size - 1) / q->sc_size;
      if (!get_l2(img, off, true, &t, &idx, errp) || !decode(img, t, idx, &e, errp))
        return false;
      if (s1 > s0 && !e.compressed) {
        uint32_t mask = (uint32_t)(((1ULL << (s1 - s0)) - 1) << s0);
        uint32_t alloc = (uint32_t)e.bitmap & ~mask, zero = (uint32_t)(e.bitmap >> 32) | mask;
        if (!qcow2_set_dirty(img, errp))
          return false;
        encode(q, t, idx, e.word, ((uint64_t)zero << 32) | alloc);
        qcow2_cache_mark_dirty(&q->l2c, t);
        q->meta_dirty = true;
        if (s0 * q->sc_size > in_c &&
            !write_cluster(img, coff, in_c, (size_t)(s0 * q->sc_size - in_c), NULL, errp))
          return false;
        if (s1 * q->sc_size < in_c + n &&
            !write_cluster(img, coff, s1 * q->sc_size, (size_t)(in_c + n - s1 * q->sc_size),
                           NULL, errp))
          return false;
      } else if (!write_cluster(img, coff, in_c, (size_t)n, NULL, errp)) {
        return false;
      }
    } else if (!whole || (q->h.version < 3 && has_backing)) {
      if (!write_cluster(img, coff, in_c, (size_t)n, NULL, errp))
        return false;
    } else {
      uint64_t word, bitmap = 0;
      if (!get_l2(img, off, false, &t, &idx, errp))
        return false;
      if (!t && !has_backing)
        goto next;   /* nothing there: already zeros */
      if (!get_l2(img, off, true, &t, &idx, errp) || !decode(img, t, idx, &e, errp))
        return false;
      if (!qcow2_set_dirty(img, errp))
        return false;
      if (q->h.version < 3) {
        /* No zero flag: unallocated reads zeros without a backing file. */
        word = 0;
        if (!free_entry(img, &e, errp))
          return false;
      } else if (unmap || e.compressed || !e.host) {
        if (!free_entry(img, &e, errp))
          return false;
        if (q->extl2) {
          word = 0;
          bitmap = has_backing ? 0xffffffff00000000ULL : 0;
        } else {
          word = has_backing ? QCOW_OFLAG_ZERO : 0;
        }
      } else if (q->extl2) {
        /* Kept allocated; COPIED stays as it was (clear when a snapshot
         * shares the cluster: the next write copies it). */
        word = e.host | (e.word & QCOW_OFLAG_COPIED);
        bitmap = 0xffffffff00000000ULL;
      } else {
        word = e.host | (e.word & QCOW_OFLAG_COPIED) | QCOW_OFLAG_ZERO;
      }
      if (!get_l2(img, off, true, &t, &idx, errp))
        return false;
      encode(q, t, idx, word, bitmap);
      qcow2_cache_mark_dirty(&q->l2c, t);
      q->meta_dirty = true;
    }
  next:
    off += n;
    len -= n;
  }
  return true;
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

  while (got < len) {
    uint64_t pos = off + got, in_c = pos & (q->cs - 1), idx;
    uint64_t n = q->cs - in_c < len - got ? q->cs - in_c : len - got;
    unsigned char *t;
    l2ent e;
    vk_extent_kind k;
    bool a = false;
    int64_t h = -1;

    if (!get_l2(img, pos, false, &t, &idx, errp))
      return false;
    if (!t) {
      /* A whole missing L2 table: skip to its end. */
      uint64_t span = q->cs * q->l2_entries, rest = span - (pos & (span - 1));
      n = rest < len - got ? rest : len - got;
      k = VK_EXTENT_UNALLOCATED;
    } else {
      if (!decode(img, t, idx, &e, errp))
        return false;
      unsigned sc = (unsigned)(in_c / q->sc_size);
      if (q->extl2 && !e.compressed) {
        uint64_t m = (sc + 1) * q->sc_size - in_c;
        if (m < n)
          n = m;
      }
      switch (kind_of(q, &e, sc)) {
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
      case QC_ZERO_PLAIN:
        k = VK_EXTENT_ZERO;
        break;
      default:
        k = VK_EXTENT_UNALLOCATED;
      }
    }
    if (first) {
      kind = k;
      allocated = a;
      host0 = h;
      first = false;
    } else {
      bool contiguous = (host0 < 0 && h < 0) ||
                        (host0 >= 0 && h >= 0 && (uint64_t)h == (uint64_t)host0 + got);
      if (k != kind || a != allocated || !contiguous)
        break;
    }
    got += n;
  }
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
  uint64_t idx, coff, nsec, shift;
  l2ent e;

  if (off % q->cs)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: compressed write not cluster aligned",
                        img->filename);
  if (len == 0 || len >= q->cs)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: compressed cluster must be shorter than the cluster size",
                        img->filename);
  if (q->corrupt)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: image marked corrupt; not writing",
                        img->filename);
  if (!get_l2(img, off, true, &t, &idx, errp) || !decode(img, t, idx, &e, errp))
    return false;
  if (e.host || e.compressed || (uint32_t)e.bitmap)
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "%s: cluster at %llu is already allocated; compressed writes go to unallocated clusters",
                        img->filename, (unsigned long long)off);
  if (!qcow2_set_dirty(img, errp))
    return false;

  /* Pack byte-adjacent into the current area; a cluster it spills into is
   * allocated right after it, or a new area starts. */
  coff = q->comp_next;
  if (coff) {
    uint64_t rc, c = coff / q->cs;
    if (coff % q->cs == 0)
      coff = 0;
    else if (!qcow2_get_refcount(img, c, &rc, errp))
      return false;
    else if (rc >= q->refmax)
      coff = 0;   /* this cluster cannot count one more reference */
  }
  if (coff && coff + len > q->comp_end) {
    uint64_t need = (coff + len - q->comp_end + q->cs - 1) / q->cs, got;
    got = qcow2_alloc_clusters(img, need, errp);
    if (!got)
      return false;
    if (got != q->comp_end) {
      /* Not adjacent: give them back and start a new area. */
      if (!qcow2_update_refcount(img, got, need * q->cs, -1, errp))
        return false;
      coff = 0;
    } else {
      /* The first cluster of the area gets this entry's reference. */
      if (!qcow2_update_refcount(img, coff & ~(q->cs - 1), q->cs, 1, errp))
        return false;
      q->comp_end += need * q->cs;
    }
  } else if (coff) {
    if (!qcow2_update_refcount(img, coff & ~(q->cs - 1), q->cs, 1, errp))
      return false;
  }
  if (!coff) {
    uint64_t need = (len + q->cs - 1) / q->cs;
    coff = qcow2_alloc_clusters(img, need, errp);
    if (!coff)
      return false;
    q->comp_end = coff + need * q->cs;
  }
  if (!vk_host_pwrite(img->fd, data, len, coff, img->filename, errp))
    return false;
  q->comp_next = coff + len;
  if (q->comp_next >= q->comp_end)
    q->comp_next = q->comp_end = 0;
  shift = 62 - (q->cluster_bits - 8);
  nsec = ((coff + len - 1) >> 9) - (coff >> 9);
  if (!get_l2(img, off, true, &t, &idx, errp))
    return false;
  encode(q, t, idx, QCOW_OFLAG_COMPRESSED | (nsec << shift) | coff, 0);
  qcow2_cache_mark_dirty(&q->l2c, t);
  q->meta_dirty = true;
  return true;
}
