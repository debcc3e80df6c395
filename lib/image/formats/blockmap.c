/* vkit — reading and writing images made of equal blocks (see blockmap.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include "image/formats/blockmap.h"

bool
vk_blockmap_pread(vk_image *img, void *buf, size_t len, uint64_t off, vk_error **errp)
{
  const vk_blockmap *m = img->priv;
  uint32_t block_size = m->block_size;
  unsigned char *p = buf;

  while (len) {
    uint64_t in = off % block_size;
    size_t n = block_size - in < len ? (size_t)(block_size - in) : len;
    uint64_t same = 1;
    int64_t host = m->lookup(img, off / block_size, &same, errp);

    if (host == VK_BLOCK_ERROR)
      return false;
    if (host < 0)
      memset(p, 0, n);
    else if (!vk_host_pread(img->fd, p, n, (uint64_t)host + in, img->filename, errp))
      return false;
    p += n;
    off += n;
    len -= n;
  }
  return true;
}

bool
vk_block_write(vk_image *img, uint32_t block_size, vk_block_lookup lookup, vk_block_alloc alloc,
               const void *buf, size_t len, uint64_t off, vk_error **errp)
{
  const unsigned char *p = buf;

  while (len) {
    uint64_t in = off % block_size, same = 1;
    size_t n = block_size - in < len ? (size_t)(block_size - in) : len;
    int64_t host = lookup(img, off / block_size, &same, errp);

    if (host == VK_BLOCK_ERROR)
      return false;
    if (host < 0 && !vk_all_zero(p, n) && (host = alloc(img, off / block_size, errp)) < 0)
      return false;
    if (host >= 0 && !vk_host_pwrite(img->fd, p, n, (uint64_t)host + in, img->filename, errp))
      return false;
    p += n;
    off += n;
    len -= n;
  }
  return true;
}

bool
vk_block_write_zeroes(vk_image *img, uint32_t block_size, vk_block_lookup lookup, uint64_t off,
                      uint64_t len, vk_error **errp)
{
  while (len) {
    uint64_t in = off % block_size, same = 1;
    uint64_t n = block_size - in < len ? block_size - in : len;
    int64_t host = lookup(img, off / block_size, &same, errp);

    if (host == VK_BLOCK_ERROR)
      return false;
    if (host < 0 && same > 1) /* a run of absent blocks */
      n = same * block_size - in < len ? same * block_size - in : len;
    if (host >= 0 && !vk_host_zero(img->fd, img->filename, (uint64_t)host + in, n, true, errp))
      return false;
    off += n;
    len -= n;
  }
  return true;
}

bool
vk_blockmap_pwrite(vk_image *img, const void *buf, size_t len, uint64_t off, vk_error **errp)
{
  const vk_blockmap *m = img->priv;

  return vk_block_write(img, m->block_size, m->lookup, m->alloc, buf, len, off, errp);
}

bool
vk_blockmap_pwrite_zeroes(vk_image *img, uint64_t off, uint64_t len, unsigned flags,
                          vk_error **errp)
{
  const vk_blockmap *m = img->priv;

  (void)flags;
  return vk_block_write_zeroes(img, m->block_size, m->lookup, off, len, errp);
}

bool
vk_blockmap_flush(vk_image *img, vk_error **errp)
{
  return vk_image_sync(img, errp);
}

bool
vk_host_extend(int fd, uint64_t size, const char *file, vk_error **errp)
{
  struct stat st;

  if (fstat(fd, &st) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s", file);
  if ((uint64_t)st.st_size >= size)
    return true;
  if (ftruncate(fd, (off_t)size) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot grow the file", file);
  return true;
}

bool
vk_blockmap_status(vk_image *img, uint64_t off, uint64_t len, vk_extent *out, vk_error **errp)
{
  const vk_blockmap *m = img->priv;
  uint32_t block_size = m->block_size;
  uint64_t block = off / block_size, end = off + len, at, same = 1;
  int64_t host = m->lookup(img, block, &same, errp), next;

  if (host == VK_BLOCK_ERROR)
    return false;
  /* a run of blocks of one kind; stored ones contiguous in the file */
  at = (block + (host < 0 ? same : 1)) * block_size;
  while (at < end) {
    uint64_t more = 1;
    next = m->lookup(img, at / block_size, &more, errp);
    if (next == VK_BLOCK_ERROR)
      return false;
    if (host < 0 ? next != host : next != host + (int64_t)(at - block * block_size))
      break;
    at += (host < 0 ? more : 1) * block_size;
  }
  out->length = (at < end ? at : end) - off;
  if (host == VK_BLOCK_ABSENT) {
    out->kind = VK_EXTENT_UNALLOCATED;
  } else if (host == VK_BLOCK_ZERO) {
    out->kind = VK_EXTENT_ZERO;
  } else {
    out->kind = VK_EXTENT_DATA;
    out->allocated = true;
    out->host_offset = host + (int64_t)(off % block_size);
  }
  return true;
}

bool
vk_blockmap_info(vk_image *img, vk_image_info *info, vk_error **errp)
{
  const vk_blockmap *m = img->priv;

  (void)errp;
  info->cluster_size = m->block_size;
  return true;
}

bool
vk_blockmap_close(vk_image *img, vk_error **errp)
{
  vk_blockmap *m = img->priv;

  (void)errp;
  if (m)
    free(m->table);
  free(m);
  img->priv = NULL;
  return true;
}

bool
vk_host_size(int fd, const char *file, uint64_t *size, vk_error **errp)
{
  struct stat st;

  if (fstat(fd, &st) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s", file);
  if (S_ISBLK(st.st_mode)) {
    if (ioctl(fd, BLKGETSIZE64, size) < 0)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot get the device size",
                                file);
    return true;
  }
  *size = (uint64_t)st.st_size;
  return true;
}

bool
vk_fmt_corrupt(const char *file, const char *fmt, vk_error **errp, const char *what)
{
  return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: corrupt %s image: %s", file, fmt, what);
}

bool
vk_fmt_unsupported(const char *file, const char *fmt, vk_error **errp, const char *what)
{
  return vk_error_set(errp, VK_EXIT_USAGE, "%s: vkit does not read this %s image: %s", file, fmt,
                      what);
}

bool
vk_fmt_size_ok(const vk_image *img, const char *fmt, vk_error **errp)
{
  if (img->size <= VK_FMT_MAX_SIZE)
    return true;
  return vk_fmt_corrupt(img->filename, fmt, errp, "the disk size is larger than 4 EiB");
}

bool
vk_fmt_read_only(const vk_image *img, vk_error **errp)
{
  if (!img->writable)
    return true;
  return vk_error_set(
      errp, VK_EXIT_USAGE,
      "%s: vkit reads %s images but does not write them (convert it to qcow2 or raw)",
      img->filename, img->drv->name);
}

bool
vk_all_zero(const void *p, size_t n)
{
  const unsigned char *c = p;

  for (size_t i = 0; i < n; i++)
    if (c[i])
      return false;
  return true;
}
