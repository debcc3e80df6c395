/* vkit — writing a new, empty qcow2 image (QCOW2.md 1.4). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/driver.h"
#include "image/qcow2/header.h"

bool
qcow2_create_file(int fd, const char *path, const vk_image_opts *o, const char *backing_fmt,
                  vk_error **errp)
{
  uint64_t cs = o->cluster_size, l1_size, l1c, t, b, n;
  unsigned order = 0, cbits = 0;
  qcow2_geom g;
  qcow2_area a;
  qcow2_header h;
  unsigned char *buf = NULL;
  bool ok = false;

  while ((1u << order) < (unsigned)o->refcount_bits)
    order++;
  while ((1ULL << cbits) < cs)
    cbits++;
  qcow2_geom_set(&g, (unsigned)o->version, cbits, o->extended_l2, order);
  l1_size = qcow2_l1_entries_for(&g, o->size);
  l1c = (l1_size * 8 + cs - 1) / cs;
  if (l1_size * 8 > QCOW2_MAX_L1_BYTES)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "image size too large for cluster_size %llu (L1 table above 32 MiB; use larger clusters)",
                        (unsigned long long)cs);
  /* Header, refcount table, blocks, L1 table (QCOW2.md 1.4). */
  a = qcow2_refcount_area(&g, 0, 1 + l1c, 0, 0, false, NULL, NULL);
  t = a.table;
  b = a.blocks;
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
  if (o->data_file) {
    h.data_file = o->data_file;
    h.incompatible_features |= QCOW2_INCOMPAT_DATA_FILE;
    if (o->data_file_raw)
      h.autoclear_features |= QCOW2_AUTOCLEAR_DATA_FILE_RAW;
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
    for (uint64_t c = i * g.rb_entries; c < n && c < (i + 1) * g.rb_entries; c++)
      qcow2_rb_set(&g, buf, c - i * g.rb_entries, 1);
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
  h.data_file = NULL;
  free(buf);
  return ok;
}
