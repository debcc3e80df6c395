/* vkit — qcow2 amend: the compat level and lazy refcounts of an image
 * changed in its header, and the refcount width (refcount_bits) changed
 * by a rewrite of the refcount structures (see vk_image_amend() in
 * image.h). */
#include <config.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "image/qcow2/qcow2.h"
#include "util/cleanup.h"
#include "util/path.h"

/* compat=0.10 has no zero clusters: write them out, one L2 table at a
 * time.  First the zeros go to disk (into a preallocated zero cluster's
 * own cluster, or, over a backing file, into a newly allocated one) and
 * are synced; then the table's entries change (the flag cleared, a plain
 * zero cluster without a backing file made unallocated, which reads as
 * zeros too).  A crash leaves a valid compat=1.1 image, at worst with
 * leaked clusters. */
static bool
expand_zero_clusters(vk_image *img, uint64_t *count, vk_error **errp)
{
  qcow2 *q = Q(img);
  bool backing = q->h.backing_file != NULL;
  CLEANUP_FREE unsigned char *zeros = calloc(1, q->g.cs);
  CLEANUP_FREE uint64_t *want = malloc(q->g.l2_entries * sizeof *want);

  *count = 0;
  if (!zeros || !want)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  for (uint32_t i = 0; i < q->l1_size; i++) {
    uint64_t l2off = q->l1[i] & QCOW2_L1E_OFFSET_MASK, n = 0;
    unsigned char *t;
    if (!l2off)
      continue;
    for (uint64_t j = 0; j < q->g.l2_entries; j++) {
      qcow2_l2e e;
      /* looked up each time: an allocation may evict the table */
      if (!(t = qcow2_cache_get(img, &q->l2c, l2off, false, errp)) ||
          !qcow2_l2_entry(img, t, j, &e, errp))
        return false;
      want[j] = e.word;
      if (e.compressed || !(e.word & QCOW2_OFLAG_ZERO))
        continue;
      if (e.host) {
        if (!qcow2_pwrite(img, 0, zeros, q->g.cs, e.host, errp))
          return false;
        want[j] = e.word & ~QCOW2_OFLAG_ZERO;
      } else if (!backing) {
        want[j] = 0;
      } else {
        uint64_t host = qcow2_alloc_clusters(img, 1, errp);
        if (!host || !qcow2_pwrite(img, QM_NEW, zeros, q->g.cs, host, errp))
          return false;
        if (host + q->g.cs > q->file_len)
          q->file_len = host + q->g.cs;
        want[j] = host | QCOW2_OFLAG_COPIED;
      }
      n++;
    }
    if (!n)
      continue;
    if (!qcow2_flush_meta(img, errp) || !vk_image_sync(img, errp) ||
        !(t = qcow2_cache_get(img, &q->l2c, l2off, false, errp)))
      return false;
    for (uint64_t j = 0; j < q->g.l2_entries; j++)
      qcow2_l2e_put(&q->g, t, j, want[j], 0);
    qcow2_cache_mark_dirty(&q->l2c, t);
    q->meta_dirty = true;
    if (!qcow2_flush_meta(img, errp) || !vk_image_sync(img, errp))
      return false;
    *count += n;
  }
  return true;
}

/* Why the image cannot be compat=0.10 with refcounts of 2^order bits, or
 * NULL. */
static const char *
needs_v3(vk_image *img, unsigned order, vk_error **errp, bool *failed)
{
  qcow2 *q = Q(img);

  *failed = false;
  if (q->g.extl2)
    return "it has extended L2 entries (extended_l2=on)";
  if (q->h.compression_type != 0)
    return "its compression type is zstd";
  if (order != 4)
    return "compat=0.10 has only 16-bit refcounts (refcount_bits=16)";
  if (q->g.data_file)
    return "it has an external data file";
  if (q->h.has_bitmaps || q->h.nb_bitmaps)
    return "it has persistent bitmaps";
  if (q->h.incompatible_features & ~(uint64_t)QCOW2_INCOMPAT_DIRTY)
    return "it uses incompatible features of compat=1.1";
  if (q->h.nb_snapshots)
    return "it has internal snapshots (vimg does not rewrite their tables for compat=0.10; "
           "vimg convert -o compat=0.10 makes a copy without them)";
  (void)errp;
  return NULL;
}

/* ---------------------------------------------------------------- refcount_bits */

/* Rewrite the refcount structures with refcounts of 2^order bits.
 *
 * Everything is flushed first.  The new refcount blocks (one for every
 * range of clusters up to the new end of the file) and the new table go
 * past the end of everything allocated; they hold each cluster's refcount
 * as it is, 0 for the old blocks and table (free once the switch is made)
 * and 1 for themselves.  They are synced, then one write of the header
 * cluster (the order, table offset and size all lie in its first sector)
 * switches to them, synced.  A crash before the switch leaves the old
 * structures, which do not cover the new clusters (free space at the end
 * of the file); after it, the new ones, with the old clusters free. */
static bool
change_refcount_order(vk_image *img, unsigned order, vk_error **errp)
{
  qcow2 *q = Q(img);
  qcow2_geom ng = q->g;
  qcow2_header h;
  uint64_t cs = q->g.cs, start, nb = 1, nt = 1, end, rbe;
  uint64_t old_rt = q->h.refcount_table_offset, old_rtc = q->h.refcount_table_clusters;
  CLEANUP_FREE unsigned char *blocks = NULL;
  CLEANUP_FREE unsigned char *table = NULL;
  CLEANUP_FREE unsigned char *hbuf = NULL;

  if (!qcow2_flush_meta(img, errp) || !qcow2_apply_pending_frees(img, errp) ||
      !qcow2_flush_meta(img, errp) || !vk_image_sync(img, errp))
    return false;
  qcow2_geom_set(&ng, q->g.version, q->g.cluster_bits, q->g.extl2, order);
  ng.data_file = q->g.data_file;
  rbe = ng.rb_entries;
  start = (qcow2_limit(q) + cs - 1) / cs;
  /* Blocks for every range up to the end, the table for every block. */
  for (int iter = 0; iter < 64; iter++) {
    uint64_t e = start + nb + nt, b = (e + rbe - 1) / rbe, t = (b * 8 + cs - 1) / cs;
    if (b == nb && t == nt)
      break;
    nb = b;
    nt = t;
  }
  end = start + nb + nt;
  if (nt * cs > QCOW2_MAX_REFTABLE_BYTES)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: the refcount table would exceed %u bytes",
                        img->filename, QCOW2_MAX_REFTABLE_BYTES);
  if (nb > SIZE_MAX / cs || !(blocks = calloc(nb, cs)) || !(table = calloc(nt, cs)) ||
      !(hbuf = malloc(cs)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  for (uint64_t c = 0; c < start; c++) {
    uint64_t v;
    if (!qcow2_get_refcount(img, c, &v, errp))
      return false;
    if (v > ng.refmax)
      return vk_error_set(errp, VK_EXIT_FAILED,
                          "%s: cannot change to refcount_bits=%u: the cluster at %#llx has a "
                          "refcount of %llu",
                          img->filename, ng.refcount_bits, (unsigned long long)(c * cs),
                          (unsigned long long)v);
    qcow2_rb_set(&ng, blocks + c / rbe * cs, c % rbe, v);
  }
  /* The old blocks and table are free under the new ones. */
  for (uint64_t i = 0; i < q->rt_entries; i++)
    if (q->rt[i])
      qcow2_rb_set(&ng, blocks + q->rt[i] / cs / rbe * cs, q->rt[i] / cs % rbe, 0);
  for (uint64_t c = old_rt / cs; c < old_rt / cs + old_rtc; c++)
    qcow2_rb_set(&ng, blocks + c / rbe * cs, c % rbe, 0);
  for (uint64_t c = start; c < end; c++)
    qcow2_rb_set(&ng, blocks + c / rbe * cs, c % rbe, 1);
  for (uint64_t i = 0; i < nb; i++)
    vk_put_be64(table + i * 8, (start + i) * cs);
  if (!qcow2_pwrite(img, QM_NEW, blocks, nb * cs, start * cs, errp) ||
      !qcow2_pwrite(img, QM_NEW, table, nt * cs, (start + nb) * cs, errp) ||
      !vk_image_sync(img, errp))
    return false;
  h = q->h; /* shallow: only the fixed fields change */
  h.refcount_order = order;
  h.refcount_table_offset = (start + nb) * cs;
  h.refcount_table_clusters = (uint32_t)nt;
  if (!qcow2_header_write(&h, hbuf, cs, errp) || !qcow2_pwrite(img, QM_HEADER, hbuf, cs, 0, errp) ||
      !vk_image_sync(img, errp))
    return false;
  /* The engine follows: the new geometry, table and blocks. */
  for (uint64_t i = 0; i < q->rt_entries; i++)
    if (q->rt[i])
      qcow2_cache_drop(&q->rbc, q->rt[i]);
  free(q->rt);
  free(q->rt_dirty_e);
  q->rt = NULL;
  q->rt_dirty_e = NULL;
  q->rt_dirty = false;
  q->h.refcount_order = order;
  q->h.refcount_table_offset = h.refcount_table_offset;
  q->h.refcount_table_clusters = h.refcount_table_clusters;
  q->h.header_length = h.header_length;
  q->g = ng;
  q->alloc_end = end * cs;
  if (q->file_len < end * cs)
    q->file_len = end * cs;
  q->free_hint = 1;
  q->used_lo = q->used_hi = 0;
  return qcow2_refcount_load(img, errp) && qcow2_meta_build(img, errp);
}

/* ---------------------------------------------------------------- data file */

/* data_file=NAME records another name for the external data file (the
 * image was opened without it: it may have moved), once NAME opens as a
 * file other than the image; data_file_raw=off clears the raw bit.
 * Setting it is refused, as by qemu-img: nothing says the file holds the
 * whole disk. */
static bool
amend_data_file(vk_image *img, const vk_image_opts *o, vk_error **errp)
{
  qcow2 *q = Q(img);
  qcow2_header h = q->h; /* shallow: only the name and the raw bit change */
  CLEANUP_CLOSE int fd = -1;
  bool raw = q->h.autoclear_features & QCOW2_AUTOCLEAR_DATA_FILE_RAW;
  char *copy = NULL;

  if (!q->g.data_file)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: the image has no external data file to change (vimg convert -o "
                        "data_file= makes a copy with one)",
                        img->filename);
  if (o->has_data_file_raw && o->data_file_raw && !raw)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: data_file_raw=on cannot be set on an existing image (nothing says "
                        "its data file holds the whole disk)",
                        img->filename);
  if (o->has_data_file_raw)
    raw = o->data_file_raw;
  if (o->data_file) {
    if ((fd = vk_host_open_file(o->data_file, O_RDONLY, errp)) < 0) {
      vk_error_prefix(errp, "cannot use the new data file");
      return false;
    }
    if (vk_fd_same_file(fd, img->fd))
      return vk_error_set(errp, VK_EXIT_USAGE, "%s: the data file cannot be the image itself",
                          o->data_file);
    if (!(copy = strdup(o->data_file)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    h.data_file = copy;
  }
  h.autoclear_features = raw ? h.autoclear_features | QCOW2_AUTOCLEAR_DATA_FILE_RAW
                             : h.autoclear_features & ~(uint64_t)QCOW2_AUTOCLEAR_DATA_FILE_RAW;
  if (!qcow2_header_rewrite(img, &h, errp)) {
    free(copy);
    return false;
  }
  if (copy) {
    free(q->h.data_file);
    q->h.data_file = copy;
  }
  q->h.autoclear_features = h.autoclear_features;
  return true;
}

bool
qcow2_amend(vk_image *img, const vk_image_opts *o, vk_error **errp)
{
  qcow2 *q = Q(img);
  qcow2_header h;
  CLEANUP_FREE unsigned char *buf = NULL;
  int version = o->has_version ? o->version : (int)q->h.version;
  bool lazy = o->has_lazy_refcounts ? o->lazy_refcounts : q->lazy;
  unsigned order = q->h.version == 2 && version == 3 ? 4 : q->h.refcount_order;
  const char *why;
  bool failed;

  if (o->has_refcount_bits) {
    for (order = 0; (1 << order) < o->refcount_bits; order++)
      ;
  }
  if ((o->data_file || o->has_data_file_raw) && !amend_data_file(img, o, errp))
    return false;
  if (!o->has_version && !o->has_lazy_refcounts && !o->has_refcount_bits)
    return true;
  if (version == 2 && o->has_lazy_refcounts && o->lazy_refcounts)
    return vk_error_set(errp, VK_EXIT_USAGE, "lazy_refcounts=on needs compat=1.1");
  if (version == 2 && order != 4 && o->has_refcount_bits)
    return vk_error_set(errp, VK_EXIT_USAGE, "refcount_bits=%d needs compat=1.1", o->refcount_bits);
  if (version == 2 && order != 4)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: cannot amend to compat=0.10: its refcounts are %u bits wide "
                        "(refcount_bits=16 with it changes them)",
                        img->filename, 1u << order);
  if (version == 2)
    lazy = false;
  if (version == 2 && q->h.version == 3) {
    why = needs_v3(img, order, errp, &failed);
    if (failed)
      return false;
    if (why)
      return vk_error_set(errp, VK_EXIT_USAGE, "%s: cannot amend to compat=0.10: %s", img->filename,
                          why);
  }
  /* compat=0.10 gets its 16-bit refcounts before the version changes;
   * compat=1.1 gets its new width after. */
  if (version == 2 && order != q->h.refcount_order && !change_refcount_order(img, order, errp))
    return false;
  if (version == 2 && q->h.version == 3) {
    uint64_t n;
    if (!expand_zero_clusters(img, &n, errp))
      return false;
  }
  if (version == (int)q->h.version && lazy == q->lazy)
    return version == 2 || order == q->h.refcount_order || change_refcount_order(img, order, errp);
  /* Everything in the caches reaches the disk first, refcounts included:
   * the image is consistent whatever the header says after this. */
  if (!qcow2_flush_meta(img, errp) || !vk_image_sync(img, errp))
    return false;
  h = q->h; /* shallow: only the fixed fields change */
  h.version = (uint32_t)version;
  if (version == 2) {
    h.incompatible_features = h.compatible_features = h.autoclear_features = 0;
  } else {
    if (q->h.version == 2) {
      h.incompatible_features = h.autoclear_features = 0;
      h.compatible_features = 0;
      h.refcount_order = 4;
      h.compression_type = 0;
    }
    h.incompatible_features &= ~(uint64_t)QCOW2_INCOMPAT_DIRTY;
    h.compatible_features = lazy ? h.compatible_features | QCOW2_COMPAT_LAZY_REFCOUNTS
                                 : h.compatible_features & ~(uint64_t)QCOW2_COMPAT_LAZY_REFCOUNTS;
  }
  if (!(buf = malloc(q->g.cs)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!qcow2_header_write(&h, buf, q->g.cs, errp) ||
      !qcow2_pwrite(img, QM_HEADER, buf, q->g.cs, 0, errp) || !vk_image_sync(img, errp))
    return false;
  q->h.version = h.version;
  q->h.incompatible_features = h.incompatible_features;
  q->h.compatible_features = h.compatible_features;
  q->h.autoclear_features = h.autoclear_features;
  q->h.refcount_order = h.refcount_order;
  q->h.compression_type = h.compression_type;
  q->h.header_length = h.header_length;
  q->h.backing_file_offset = h.backing_file_offset;
  q->h.backing_file_size = h.backing_file_size;
  q->lazy = lazy;
  q->dirty_on_disk = false;
  return version == 2 || order == q->h.refcount_order || change_refcount_order(img, order, errp);
}
