/* vkit — writing a new, empty qcow2 image (QCOW2.md 1.4). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/driver.h"
#include "image/qcow2/header.h"

static void
rb_put(unsigned char *rb, unsigned order, uint64_t i, uint64_t v)
{
  unsigned bits = 1u << order;

  if (bits < 8) {
    uint64_t bit = i * bits;
    rb[bit / 8] |= (unsigned char)(v << (bit % 8));
  } else {
    for (unsigned k = 0; k < bits / 8; k++)
      rb[i * (bits / 8) + k] = (unsigned char)(v >> (8 * (bits / 8 - 1 - k)));
  }
}

bool
qcow2_create_file(int fd, const char *path, const vk_image_opts *o, const char *backing_fmt,
                  vk_error **errp)
{
  uint64_t cs = o->cluster_size, l2_entries = cs / (o->extended_l2 ? 16 : 8);
  uint64_t per_l1 = cs * l2_entries, l1_size = (o->size + per_l1 - 1) / per_l1;
  uint64_t l1c = (l1_size * 8 + cs - 1) / cs, t = 1, b = 1, n;
  unsigned order = 0, cbits = 0;
  uint64_t rb_entries;
  qcow2_header h;
  unsigned char *buf = NULL;
  bool ok = false;

  while ((1u << order) < (unsigned)o->refcount_bits)
    order++;
  while ((1ULL << cbits) < cs)
    cbits++;
  if (l1_size * 8 > QCOW2_MAX_L1_BYTES)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "image size too large for cluster_size %llu (L1 table above 32 MiB; use larger clusters)",
                        (unsigned long long)cs);
  rb_entries = cs * 8 >> order;
  for (int i = 0; i < 64; i++) {
    uint64_t b2, t2;
    n = 1 + t + b + l1c;
    b2 = (n + rb_entries - 1) / rb_entries;
    t2 = (b2 * 8 + cs - 1) / cs;
    if (b2 == b && t2 == t)
      break;
    b = b2;
    t = t2;
  }
  n = 1 + t + b + l1c;

  memset(&h, 0, sizeof h);
  h.version = (uint32_t)o->version;
  h.cluster_bits = cbits;
  h.size = o->size;
  h.l1_size = (uint32_t)l1_size;
  h.l1_table_offset = (1 + t + b) * cs;
  h.refcount_table_offset = cs;
  h.refcount_table_clusters = (uint32_t)t;
  h.refcount_order = order;
  h.compression_type = (uint8_t)o->compression;
  if (o->compression == VK_COMPRESS_ZSTD)
    h.incompatible_features |= QCOW2_INCOMPAT_COMPRESSION;
  if (o->extended_l2)
    h.incompatible_features |= QCOW2_INCOMPAT_EXTL2;
  if (o->lazy_refcounts)
    h.compatible_features |= QCOW2_COMPAT_LAZY_REFCOUNTS;
  if (o->backing_file) {
    if (strlen(o->backing_file) > QCOW2_MAX_BACKING_NAME)
      return vk_error_set(errp, VK_EXIT_USAGE, "backing file name longer than %d bytes",
                          QCOW2_MAX_BACKING_NAME);
    h.backing_file = (char *)o->backing_file;
    if (backing_fmt)
      snprintf(h.backing_fmt, sizeof h.backing_fmt, "%s", backing_fmt);
  }
  if (!(buf = calloc(1, cs * (t > b ? t : b))))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!qcow2_header_write(&h, buf, cs, errp))
    goto out;
  if (!vk_host_pwrite(fd, buf, cs, 0, path, errp))
    goto out;
  /* Refcount table: the blocks follow it. */
  memset(buf, 0, cs * t);
  for (uint64_t i = 0; i < b; i++)
    vk_put_be64(buf + i * 8, (1 + t + i) * cs);
  if (!vk_host_pwrite(fd, buf, cs * t, cs, path, errp))
    goto out;
  for (uint64_t i = 0; i < b; i++) {
    memset(buf, 0, cs);
    for (uint64_t c = i * rb_entries; c < n && c < (i + 1) * rb_entries; c++)
      rb_put(buf, order, c - i * rb_entries, 1);
    if (!vk_host_pwrite(fd, buf, cs, (1 + t + i) * cs, path, errp))
      goto out;
  }
  /* The L1 table: only its entries are written (zeros). */
  if (ftruncate(fd, (off_t)(h.l1_table_offset + (l1_size ? l1_size * 8 : 0))) < 0) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot write", path);
    goto out;
  }
  ok = true;
out:
  h.backing_file = NULL;
  free(buf);
  return ok;
}
