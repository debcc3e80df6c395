/* vkit — image allocation map (see map.h). */
#include <config.h>

#include <string.h>

#include "map.h"

/* The image of layer `depth` below img. */
static vk_image *
layer(vk_image *img, int depth)
{
  while (depth-- > 0 && vk_image_backing(img))
    img = vk_image_backing(img);
  return img;
}

static int
chain_depth(vk_image *img)
{
  int d = 0;

  while ((img = vk_image_backing(img)))
    d++;
  return d;
}

static bool
mergeable(const vk_map_entry *a, const vk_map_entry *b)
{
  if (a->depth != b->depth || a->present != b->present || a->zero != b->zero ||
      a->data != b->data || a->has_offset != b->has_offset)
    return false;
  if (a->has_offset && a->offset + a->length != b->offset)
    return false;
  if ((a->file == NULL) != (b->file == NULL) ||
      (a->file && strcmp(a->file, b->file) != 0))
    return false;
  return true;
}

bool
vk_map(vk_image *img, vk_map_fn *fn, void *opaque, vk_error **errp)
{
  uint64_t size = vk_image_size(img), off = 0;
  int bottom = chain_depth(img);
  vk_map_entry cur = { 0 };

  while (off < size) {
    vk_extent e;
    vk_map_entry n = { .start = off };
    vk_image *l;

    if (!vk_image_block_status(img, off, size - off, &e, errp))
      return false;
    n.length = e.length;
    switch (e.kind) {
    case VK_EXTENT_DATA:
      n.present = true;
      n.data = true;
      n.depth = e.depth;
      break;
    case VK_EXTENT_ZERO:
      n.present = true;
      n.zero = true;
      n.depth = e.depth;
      break;
    default:
      /* Nothing anywhere: reported at the bottom of the chain. */
      n.zero = true;
      n.depth = bottom;
      break;
    }
    l = layer(img, n.depth);
    n.file = vk_image_filename(l);
    if (e.kind != VK_EXTENT_UNALLOCATED) {
      if (e.host_offset >= 0) {
        n.has_offset = true;
        n.offset = (uint64_t)e.host_offset;
      } else if (vk_image_get_format(l) == VK_FMT_RAW) {
        /* A raw file maps onto itself, holes included. */
        n.has_offset = true;
        n.offset = off;
      }
    }
    if (cur.length && mergeable(&cur, &n)) {
      cur.length += n.length;
    } else {
      if (cur.length && !fn(opaque, &cur, errp))
        return false;
      cur = n;
    }
    off += e.length;
  }
  return !cur.length || fn(opaque, &cur, errp);
}
