/* vkit — image comparison (see compare.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "util/cleanup.h"

#define CMP_CHUNK (1u << 20)
#define SECTOR 512

/* Offset of the first 512-byte sector where a and b differ, or len. */
static uint64_t
first_diff(const unsigned char *a, const unsigned char *b, uint64_t len)
{
  for (uint64_t s = 0; s < len; s += SECTOR) {
    uint64_t n = len - s < SECTOR ? len - s : SECTOR;
    if (memcmp(a + s, b + s, n) != 0)
      return s;
  }
  return len;
}

/* Offset of the first sector of a that is not all zero, or len. */
static uint64_t
first_nonzero(const unsigned char *a, uint64_t len)
{
  for (uint64_t s = 0; s < len; s += SECTOR) {
    uint64_t n = len - s < SECTOR ? len - s : SECTOR;
    for (uint64_t i = 0; i < n; i++)
      if (a[s + i])
        return s;
  }
  return len;
}

/* The rest of the larger image, [from, end), must read as zeros. */
static bool
tail_is_zero(vk_image *img, uint64_t from, unsigned char *buf, vk_compare_result *r,
             vk_error **errp)
{
  uint64_t end = vk_image_size(img), off = from;

  while (off < end) {
    vk_extent e;
    uint64_t n, z;

    if (!vk_image_block_status(img, off, end - off, &e, errp))
      return false;
    n = e.length < CMP_CHUNK ? e.length : CMP_CHUNK;
    if (e.kind == VK_EXTENT_DATA) {
      if (!vk_image_pread(img, buf, n, off, errp))
        return false;
      z = first_nonzero(buf, n);
      if (z < n) {
        r->diff = VK_COMPARE_CONTENT;
        r->offset = off + z;
        return true;
      }
    }
    off += e.kind == VK_EXTENT_DATA ? n : e.length;
  }
  return true;
}

bool
vk_compare(vk_image *a, vk_image *b, bool strict, vk_compare_result *r,
           void (*progress)(void *opaque, uint64_t done, uint64_t total), void *opaque,
           vk_error **errp)
{
  uint64_t sa = vk_image_size(a), sb = vk_image_size(b);
  uint64_t common = sa < sb ? sa : sb, off = 0;
  CLEANUP_FREE unsigned char *ba = malloc(CMP_CHUNK);
  CLEANUP_FREE unsigned char *bb = malloc(CMP_CHUNK);

  memset(r, 0, sizeof *r);
  if (!ba || !bb)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  r->size_mismatch = sa != sb;
  if (strict && sa != sb) {
    r->diff = VK_COMPARE_SIZE;
    return true;
  }
  while (off < common) {
    vk_extent ea, eb;
    uint64_t n, d;
    bool za, zb;

    if (progress)
      progress(opaque, off, common);
    if (!vk_image_block_status(a, off, common - off, &ea, errp) ||
        !vk_image_block_status(b, off, common - off, &eb, errp))
      return false;
    n = ea.length < eb.length ? ea.length : eb.length;
    if (strict && (ea.kind == VK_EXTENT_UNALLOCATED) != (eb.kind == VK_EXTENT_UNALLOCATED)) {
      r->diff = VK_COMPARE_ALLOCATION;
      r->offset = off;
      return true;
    }
    za = ea.kind != VK_EXTENT_DATA;
    zb = eb.kind != VK_EXTENT_DATA;
    if (za && zb) {
      off += n;
      continue;
    }
    if (n > CMP_CHUNK)
      n = CMP_CHUNK;
    if (!za && !vk_image_pread(a, ba, n, off, errp))
      return false;
    if (!zb && !vk_image_pread(b, bb, n, off, errp))
      return false;
    if (za)
      d = first_nonzero(bb, n);
    else if (zb)
      d = first_nonzero(ba, n);
    else
      d = first_diff(ba, bb, n);
    if (d < n) {
      r->diff = VK_COMPARE_CONTENT;
      r->offset = off + d;
      return true;
    }
    off += n;
  }
  if (sa != sb)
    return tail_is_zero(sa > sb ? a : b, common, ba, r, errp);
  return true;
}
