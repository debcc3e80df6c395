/* vkit — qcow2 resize (L1 growth, shrinking) and preallocation. */
#include <config.h>

#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/qcow2/qcow2.h"

bool
qcow2_grow_l1(vk_image *img, uint64_t n, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t bytes = n * 8, clusters = (bytes + q->g.cs - 1) / q->g.cs, newoff;
  uint64_t old_off = q->h.l1_table_offset, old_bytes = (uint64_t)q->l1_size * 8;
  unsigned char *raw;
  uint64_t *nl1;
  bool *nd;

  if (n <= q->l1_size)
    return true;
  if (!qcow2_not_data(img, old_off, old_bytes, "L1 table", errp))
    return false;
  if (bytes > QCOW2_MAX_L1_BYTES)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: image too large for its cluster size (L1 table above 32 MiB)",
                        img->filename);
  /* Everything the new table points at must be on disk first. */
  if (!qcow2_flush_meta(img, errp))
    return false;
  nl1 = calloc(n, sizeof *nl1);
  nd = calloc(n, sizeof *nd);
  raw = calloc(clusters, q->g.cs);
  if (!nl1 || !nd || !raw) {
    free(nl1);
    free(nd);
    free(raw);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  memcpy(nl1, q->l1, (size_t)q->l1_size * sizeof *nl1);
  for (uint64_t i = 0; i < n; i++)
    vk_put_be64(raw + i * 8, nl1[i]);
  newoff = qcow2_alloc_clusters(img, clusters, errp);
  if (!newoff || !qcow2_flush_meta(img, errp) ||
      !qcow2_pwrite(img, QM_NEW, raw, (size_t)(clusters * q->g.cs), newoff, errp) ||
      !vk_image_sync(img, errp)) {
    free(nl1);
    free(nd);
    free(raw);
    return false;
  }
  free(raw);
  if (!qcow2_write_header(img, qcow2_patch_l1((uint32_t)n, newoff), errp)) {
    free(nl1);
    free(nd);
    return false;
  }
  qcow2_meta_del(img, old_off, old_bytes, QM_L1);
  if (!qcow2_meta_add(img, newoff, bytes, QM_L1, errp)) {
    free(nl1);
    free(nd);
    return false;
  }
  free(q->l1);
  free(q->l1_dirty);
  q->l1 = nl1;
  q->l1_dirty = nd;
  q->l1_size = (uint32_t)n;
  q->h.l1_size = (uint32_t)n;
  q->h.l1_table_offset = newoff;
  if (old_bytes)
    return qcow2_update_refcount(img, old_off, old_bytes, -1, errp) &&
           qcow2_flush_meta(img, errp);
  return true;
}

/* Map every cluster of [from, to) that has nothing yet to a new data
 * cluster (metadata preallocation); `full` writes zeros into them. */
static bool
preallocate(vk_image *img, uint64_t from, uint64_t to, vk_prealloc mode, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t c = from / q->g.cs, end = (to + q->g.cs - 1) / q->g.cs;
  uint64_t fstart = q->alloc_end;
  unsigned char *zeros = NULL;

  if (mode == VK_PREALLOC_FULL && !(zeros = calloc(1, q->g.cs)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  while (c < end) {
    unsigned char *t;
    uint64_t idx, n = 0, host;
    /* Touching the L2 table allocates it. */
    if (!qcow2_map_l2(img, c * q->g.cs, &t, &idx, errp))
      break;
    for (qcow2_l2e e; c + n < end && idx + n < q->g.l2_entries; n++) {
      qcow2_l2e_get(&q->g, t, idx + n, &e);
      if (!qcow2_l2e_empty(&e))
        break;
    }
    if (!n) {
      c++;
      continue;
    }
    /* In an external data file: at the guest offset, not refcounted. */
    host = q->g.data_file ? c * q->g.cs : qcow2_alloc_clusters(img, n, errp);
    if (!host && !q->g.data_file)
      break;
    if (zeros)
      for (uint64_t i = 0; i < n; i++)
        if (!qcow2_pwrite(img, 0, zeros, q->g.cs, host + i * q->g.cs, errp))
          goto fail;
    if (!qcow2_map_l2(img, c * q->g.cs, &t, &idx, errp))
      break;
    for (uint64_t i = 0; i < n; i++)
      qcow2_l2e_put(&q->g, t, idx + i, (host + i * q->g.cs) | QCOW2_OFLAG_COPIED,
                    img->backing ? 0 : QCOW2_SC_ALL_ALLOC);
    qcow2_cache_mark_dirty(&q->l2c, t);
    q->meta_dirty = true;
    c += n;
  }
  if (c < end)
    goto fail;
  free(zeros);
  if (!qcow2_flush_meta(img, errp))
    return false;
  if (mode == VK_PREALLOC_FALLOC && q->g.data_file) {
    int rc = posix_fallocate(img->data_fd, (off_t)from, (off_t)(to - from));
    if (rc)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, rc, "%s: cannot preallocate", img->data_name);
  } else if (mode == VK_PREALLOC_FALLOC && q->alloc_end > fstart) {
    int rc = posix_fallocate(img->fd, (off_t)fstart, (off_t)(q->alloc_end - fstart));
    if (rc)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, rc, "%s: cannot preallocate",
                                img->filename);
  }
  return true;
fail:
  free(zeros);
  return false;
}

/* The new virtual size, once the tables for it are on disk. */
static bool
set_size(vk_image *img, uint64_t size, vk_error **errp)
{
  qcow2 *q = Q(img);

  if (!qcow2_flush_meta(img, errp) || !qcow2_write_header(img, qcow2_patch_size(size), errp))
    return false;
  img->size = q->h.size = size;
  return true;
}

bool
qcow2_truncate(vk_image *img, uint64_t size, vk_prealloc prealloc, unsigned flags,
               vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t per_l1 = qcow2_l1_span(&q->g), old = img->size;

  if (size % 512)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: qcow2 image size must be a multiple of 512 bytes", img->filename);
  if (flags & VK_TRUNCATE_PREALLOC_ONLY)
    return prealloc == VK_PREALLOC_OFF || preallocate(img, 0, size, prealloc, errp);
  if (size > QCOW2_MAX_VIRTUAL_SIZE)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: size too large", img->filename);
  if (q->h.has_bitmaps && size != old)
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "%s: the image has persistent bitmaps, which vkit cannot resize; remove them first",
                        img->filename);
  if (q->h.nb_snapshots && size != old && q->h.version < 3)
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "%s: a version 2 image with internal snapshots cannot be resized",
                        img->filename);
  if (q->h.nb_snapshots && size < old)
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "%s: an image with internal snapshots cannot be shrunk (delete the snapshots first)",
                        img->filename);
  if (size < old) {
    uint64_t keep = (size + q->g.cs - 1) / q->g.cs * q->g.cs;
    if (prealloc != VK_PREALLOC_OFF)
      return vk_error_set(errp, VK_EXIT_USAGE, "preallocation applies only when growing");
    /* Drop the clusters past the new end, then the L2 tables. */
    if (keep < old && !qcow2_zero(img, keep, old - keep, VK_ZERO_MAY_UNMAP, true, errp))
      return false;
    if (!qcow2_flush_meta(img, errp))
      return false;
    for (uint64_t i = (keep + per_l1 - 1) / per_l1; i < q->l1_size; i++) {
      uint64_t l2 = q->l1[i] & QCOW2_L1E_OFFSET_MASK;
      if (!l2)
        continue;
      q->l1[i] = 0;
      q->l1_dirty[i] = true;
      q->any_l1_dirty = true;
      q->meta_dirty = true;
      qcow2_cache_drop(&q->l2c, l2);
      qcow2_meta_l2(img, l2, -1, NULL);
      if (!qcow2_free_later(img, l2, q->g.cs, errp))
        return false;
    }
    if (!set_size(img, size, errp))
      return false;
    /* An external data file ends with the disk, as QEMU leaves it. */
    if (img->data_fd >= 0 && ftruncate(img->data_fd, (off_t)size) < 0)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot resize", img->data_name);
    /* Give the space back: the file ends after the last cluster in use. */
    return qcow2_release_tail(img, errp);
  }
  if (size == old)
    return true;
  if (img->data_fd >= 0 &&
      (!vk_host_extend(img->data_fd, size, img->data_name, errp) || !qcow2_data_sync(img, errp)))
    return false;
  if (!qcow2_grow_l1(img, (size + per_l1 - 1) / per_l1, errp) || !set_size(img, size, errp))
    return false;
  /* The tail of the old last cluster may hold data from before a shrink. */
  if (old % q->g.cs) {
    uint64_t end = (old + q->g.cs - 1) / q->g.cs * q->g.cs;
    if (end > size)
      end = size;
    if (!qcow2_zero(img, old, end - old, 0, false, errp))
      return false;
  }
  if (prealloc != VK_PREALLOC_OFF)
    return preallocate(img, old, size, prealloc, errp);
  return qcow2_flush_meta(img, errp);
}
