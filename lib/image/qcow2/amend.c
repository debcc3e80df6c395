/* vkit — qcow2 amend: the compat level and lazy refcounts of an image
 * changed in its header (see vk_image_amend() in image.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/qcow2/qcow2.h"
#include "util/cleanup.h"

/* Whether an active L2 entry is a zero cluster (compat=0.10 has none). */
static int
has_zero_clusters(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);

  for (uint32_t i = 0; i < q->l1_size; i++) {
    uint64_t l2off = q->l1[i] & QCOW2_L1E_OFFSET_MASK;
    unsigned char *t;
    if (!l2off)
      continue;
    if (!(t = qcow2_cache_get(img, &q->l2c, l2off, false, errp)))
      return -1;
    for (uint64_t j = 0; j < q->g.l2_entries; j++) {
      qcow2_l2e e;
      if (!qcow2_l2_entry(img, t, j, &e, errp))
        return -1;
      if (!e.compressed && (e.word & QCOW2_OFLAG_ZERO))
        return 1;
    }
  }
  return 0;
}

/* Why the image cannot be compat=0.10, or NULL. */
static const char *
needs_v3(vk_image *img, vk_error **errp, bool *failed)
{
  qcow2 *q = Q(img);
  int z;

  *failed = false;
  if (q->g.extl2)
    return "it has extended L2 entries (extended_l2=on)";
  if (q->h.compression_type != 0)
    return "its compression type is zstd";
  if (q->h.refcount_order != 4)
    return "its refcount width is not 16 bits (refcount_bits)";
  if (q->h.data_file)
    return "it has an external data file";
  if (q->h.has_bitmaps || q->h.nb_bitmaps)
    return "it has persistent bitmaps";
  if (q->h.incompatible_features & ~(uint64_t)QCOW2_INCOMPAT_DIRTY)
    return "it uses incompatible features of compat=1.1";
  if (q->h.nb_snapshots)
    return "it has internal snapshots (vimg does not rewrite their tables for compat=0.10)";
  z = has_zero_clusters(img, errp);
  if (z < 0)
    *failed = true;
  return z > 0 ? "it has zero clusters, which compat=0.10 cannot store (qemu-img amend writes "
                 "them out; vimg convert -o compat=0.10 makes a copy without them)"
               : NULL;
}

bool
qcow2_amend(vk_image *img, const vk_image_opts *o, vk_error **errp)
{
  qcow2 *q = Q(img);
  qcow2_header h = q->h; /* shallow: only the fixed fields change */
  CLEANUP_FREE unsigned char *buf = NULL;
  int version = o->has_version ? o->version : (int)q->h.version;
  bool lazy = o->has_lazy_refcounts ? o->lazy_refcounts : q->lazy;
  const char *why;
  bool failed;

  if (version == 2 && o->has_lazy_refcounts && o->lazy_refcounts)
    return vk_error_set(errp, VK_EXIT_USAGE, "lazy_refcounts=on needs compat=1.1");
  if (version == 2)
    lazy = false;
  if (version == 2 && q->h.version == 3) {
    why = needs_v3(img, errp, &failed);
    if (failed)
      return false;
    if (why)
      return vk_error_set(errp, VK_EXIT_USAGE, "%s: cannot amend to compat=0.10: %s", img->filename,
                          why);
  }
  if (version == (int)q->h.version && lazy == q->lazy)
    return true; /* nothing to change */
  /* Everything in the caches reaches the disk first, refcounts included:
   * the image is consistent whatever the header says after this. */
  if (!qcow2_flush_meta(img, errp) || !vk_image_sync(img, errp))
    return false;
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
  return true;
}
