/* vkit — reading images made of equal blocks (see blockmap.h). */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "image/formats/blockmap.h"

bool
vk_blocks_pread(vk_image *img, uint32_t block_size, vk_block_lookup lookup, void *buf, size_t len,
                uint64_t off, vk_error **errp)
{
  unsigned char *p = buf;

  while (len) {
    uint64_t in = off % block_size;
    size_t n = block_size - in < len ? (size_t)(block_size - in) : len;
    int64_t host = lookup(img, off / block_size);

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
vk_blocks_status(vk_image *img, uint32_t block_size, vk_block_lookup lookup, uint64_t off,
                 uint64_t len, vk_extent *out)
{
  uint64_t block = off / block_size, end = off + len, at;
  int64_t host = lookup(img, block);

  /* an absent run: every absent block that follows; data: this block */
  at = (block + 1) * block_size;
  if (host < 0)
    while (at < end && lookup(img, at / block_size) < 0)
      at += block_size;
  out->length = (at < end ? at : end) - off;
  if (host < 0) {
    out->kind = VK_EXTENT_UNALLOCATED;
  } else {
    out->kind = VK_EXTENT_DATA;
    out->allocated = true;
    out->host_offset = host + (int64_t)(off % block_size);
  }
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
