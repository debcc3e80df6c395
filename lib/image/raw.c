/* vkit — the raw block driver: the file is the disk. */
#include <config.h>

#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"

static bool
raw_open(vk_image *img, vk_error **errp)
{
  struct stat st;
  off_t end;

  if (fstat(img->fd, &st) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s", img->filename);
  if (S_ISREG(st.st_mode)) {
    img->size = (uint64_t)st.st_size;
  } else {
    end = lseek(img->fd, 0, SEEK_END);
    if (end < 0)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s", img->filename);
    img->size = (uint64_t)end;
  }
  return true;
}

static bool
raw_pread(vk_image *img, void *buf, size_t len, uint64_t off, vk_error **errp)
{
  return vk_host_pread(img->fd, buf, len, off, img->filename, errp);
}

static bool
raw_pwrite(vk_image *img, const void *buf, size_t len, uint64_t off, vk_error **errp)
{
  return vk_host_pwrite(img->fd, buf, len, off, img->filename, errp);
}

static bool
write_zero_buf(int fd, const char *file, uint64_t off, uint64_t len, vk_error **errp)
{
  size_t chunk = len < 1048576 ? (size_t)len : 1048576;
  unsigned char *z = calloc(1, chunk);

  if (!z)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  while (len) {
    size_t n = len < chunk ? (size_t)len : chunk;
    if (!vk_host_pwrite(fd, z, n, off, file, errp)) {
      free(z);
      return false;
    }
    off += n;
    len -= n;
  }
  free(z);
  return true;
}

bool
vk_host_zero(int fd, const char *file, uint64_t off, uint64_t len, bool unmap, vk_error **errp)
{
  if (unmap &&
      fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
    return true;
  if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
    return true;
  return write_zero_buf(fd, file, off, len, errp);
}

bool
vk_host_resize(int fd, const char *file, uint64_t from, uint64_t size, bool set_size,
               vk_prealloc prealloc, vk_error **errp)
{
  if (set_size && ftruncate(fd, (off_t)size) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot resize", file);
  if (size > from && prealloc == VK_PREALLOC_FALLOC) {
    int rc = posix_fallocate(fd, (off_t)from, (off_t)(size - from));
    if (rc)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, rc, "%s: cannot preallocate", file);
  } else if (size > from && prealloc == VK_PREALLOC_FULL) {
    if (!write_zero_buf(fd, file, from, size - from, errp))
      return false;
  }
  return true;
}

static bool
raw_zeroes(vk_image *img, uint64_t off, uint64_t len, unsigned flags, vk_error **errp)
{
  return vk_host_zero(img->fd, img->filename, off, len, flags & VK_ZERO_MAY_UNMAP, errp);
}

static bool
raw_discard(vk_image *img, uint64_t off, uint64_t len, vk_error **errp)
{
  return raw_zeroes(img, off, len, VK_ZERO_MAY_UNMAP, errp);
}

static bool
raw_flush(vk_image *img, vk_error **errp)
{
  return vk_image_sync(img, errp);
}

static bool
raw_truncate(vk_image *img, uint64_t size, vk_prealloc prealloc, unsigned flags,
             vk_error **errp)
{
  bool only = flags & VK_TRUNCATE_PREALLOC_ONLY;

  if (prealloc == VK_PREALLOC_METADATA)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "preallocation=metadata is for qcow2 (use falloc or full)");
  if (!vk_host_resize(img->fd, img->filename, only ? 0 : img->size, size, !only, prealloc, errp))
    return false;
  img->size = size;
  return vk_image_sync(img, errp);
}

static bool
raw_block_status(vk_image *img, uint64_t off, uint64_t len, vk_extent *out,
                 vk_error **errp)
{
  (void)errp;
  vk_host_block_status(img->fd, off, len, out);
  return true;
}

void
vk_host_block_status(int fd, uint64_t off, uint64_t len, vk_extent *out)
{
  off_t d = lseek(fd, (off_t)off, SEEK_DATA), h;

  out->length = len;
  if (d < 0 || (uint64_t)d >= off + len) {
    if (d < 0 && errno != ENXIO) {
      /* No SEEK_DATA here: all data. */
      out->kind = VK_EXTENT_DATA;
      out->host_offset = (int64_t)off;
      return;
    }
    out->kind = VK_EXTENT_ZERO;
    if (d >= 0)
      out->length = (uint64_t)d - off;
    return;
  }
  if ((uint64_t)d > off) {
    out->kind = VK_EXTENT_ZERO;
    out->length = (uint64_t)d - off;
    return;
  }
  h = lseek(fd, (off_t)off, SEEK_HOLE);
  out->kind = VK_EXTENT_DATA;
  out->allocated = true;
  out->host_offset = (int64_t)off;
  if (h > (off_t)off && (uint64_t)h < off + len)
    out->length = (uint64_t)h - off;
}

static bool
raw_close(vk_image *img, vk_error **errp)
{
  if (img->writable)
    return vk_image_sync(img, errp);
  return true;
}

const vk_image_driver vk_raw_driver = {
  .name = "raw",
  .open = raw_open,
  .pread = raw_pread,
  .pwrite = raw_pwrite,
  .pwrite_zeroes = raw_zeroes,
  .discard = raw_discard,
  .flush = raw_flush,
  .truncate = raw_truncate,
  .block_status = raw_block_status,
  .close = raw_close,
};
