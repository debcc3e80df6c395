/* vkit — image allocation map (see map.h). */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "map.h"

/* The image of layer `depth` below img. */
static vk_image *
layer(vk_image *img, int depth)
{
  while (depth-- > 0 && vk_image_backing(img))
    img = vk_image_backing(img);
  return img;
}

/* Depth of the deepest layer that reaches offset `off` (a backing file
 * shorter than its overlay does not cover the overlay's tail). */
static int
covering_depth(vk_image *img, uint64_t off)
{
  int d = 0, best = 0;

  for (; img; img = vk_image_backing(img), d++)
    if (off < vk_image_size(img))
      best = d;
  return best;
}

/* Whether a qcow2 layer looks preallocated (preallocation=metadata or
 * falloc): far fewer blocks on the host than clusters in the file.  QEMU
 * counts clusters with a refcount; the file length stands in for that
 * here, which is the same for images without free clusters. */
static bool
looks_preallocated(vk_image *l)
{
  struct stat st;
  uint64_t cs = vk_image_cluster_size(l), real, threshold, clusters;

  if (fstat(vk_image_fd(l), &st) < 0 || cs == 0)
    return false;
  real = (uint64_t)st.st_blocks * 512 / cs;
  threshold = real * 10 / 9 > real + 2 ? real * 10 / 9 : real + 2;
  clusters = ((uint64_t)st.st_size + cs - 1) / cs;
  return clusters >= threshold;
}

/* A data extent of a preallocated qcow2 layer may sit on a hole of the
 * host file (a cluster never written): like qemu-img, report that part as
 * zero, and cut the extent where the host file changes between hole and
 * data. */
static void
host_holes(vk_image *l, vk_map_entry *n)
{
  int fd = vk_image_fd(l);
  off_t h = (off_t)n->offset, d;

  if (vk_image_get_format(l) != VK_FMT_QCOW2 || fd < 0 || !looks_preallocated(l))
    return;
  d = lseek(fd, h, SEEK_DATA);
  if (d < 0 && errno != ENXIO)
    return;
  if (d < 0 || d > h) {
    n->zero = true;
    if (d > h && (uint64_t)(d - h) < n->length)
      n->length = (uint64_t)(d - h);
    return;
  }
  d = lseek(fd, h, SEEK_HOLE);
  if (d > h && (uint64_t)(d - h) < n->length)
    n->length = (uint64_t)(d - h);
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
vk_map(vk_image *img, uint64_t start, uint64_t length, vk_map_fn *fn, void *opaque, vk_error **errp)
{
  uint64_t size = vk_image_size(img), off = start < size ? start : size;
  uint64_t end = length < size - off ? off + length : size;
  vk_map_entry cur = { 0 };

  while (off < end) {
    vk_extent e;
    vk_map_entry n = { .start = off };
    vk_image *l;

    if (!vk_image_block_status(img, off, end - off, &e, errp))
      return false;
    n.length = e.length;
    /* Past the end of the layer that answered: nothing is there. */
    if (e.kind != VK_EXTENT_DATA && e.depth > 0 &&
        off >= vk_image_size(layer(img, e.depth)))
      e.kind = VK_EXTENT_UNALLOCATED;
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
      /* Nothing anywhere: reported at the deepest layer reaching here. */
      n.zero = true;
      n.depth = covering_depth(img, off);
      break;
    }
    l = layer(img, n.depth);
    n.file = vk_image_filename(l);
    if (e.kind != VK_EXTENT_UNALLOCATED || (e.host_offset >= 0 && e.depth == n.depth)) {
      if (e.host_offset >= 0) {
        n.has_offset = true;
        n.offset = (uint64_t)e.host_offset;
        /* The offset is in a qcow2 image's external data file, if any. */
        n.file = vk_image_data_name(l);
        if (n.data && vk_image_data_fd(l) == vk_image_fd(l))
          host_holes(l, &n);
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
    off += n.length;
  }
  return !cur.length || fn(opaque, &cur, errp);
}
