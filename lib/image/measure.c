/* vkit — image size estimates (see measure.h). */
#include <config.h>

#include <string.h>

#include "image/qcow2/format.h"
#include "map.h"
#include "measure.h"
#include "util/size.h"

static unsigned
order_of(uint64_t v)
{
  unsigned o = 0;

  while ((1ULL << o) < v)
    o++;
  return o;
}

uint64_t
vk_measure_refcount_size(uint64_t clusters, uint64_t cluster_size,
                         unsigned refcount_order)
{
  qcow2_geom g;
  qcow2_area a;

  qcow2_geom_set(&g, 3, order_of(cluster_size), false, refcount_order);
  a = qcow2_refcount_area(&g, 0, clusters, 0, 0, false, NULL, NULL);
  return (a.blocks + a.table) * cluster_size;
}

/* Header, L2 and L1 tables, refcounts and data of a fully allocated image. */
static uint64_t
prealloc_size(uint64_t size, uint64_t cs, unsigned refcount_order, bool extl2)
{
  uint64_t total = vk_round_up(size, cs), tables, meta;
  qcow2_geom g;

  qcow2_geom_set(&g, 3, order_of(cs), extl2, refcount_order);
  tables = qcow2_l1_entries_for(&g, size);
  meta = cs + tables * cs + vk_round_up(tables * 8, cs);
  meta += vk_measure_refcount_size((meta + total) / cs, cs, refcount_order);
  return meta + total;
}

typedef struct counter {
  uint64_t cs;
  uint64_t next;          /* first offset not yet counted */
  uint64_t data;
} counter;

/* Data extents count in whole clusters, as qemu-img counts them: from the
 * start of the first cluster touched to the end of the last. */
static bool
count_extent(void *opaque, const vk_map_entry *e, vk_error **errp)
{
  counter *c = opaque;
  uint64_t from = e->start, end = e->start + e->length;

  (void)errp;
  if (e->zero || !e->data || end <= c->next)
    return true;
  if (from < c->next)
    from = c->next;
  from = from / c->cs * c->cs;
  end = vk_round_up(end, c->cs);
  c->data += end - from;
  c->next = end;
  return true;
}

bool
vk_measure(vk_image *src, const vk_image_opts *target, vk_measure_result *r,
           vk_error **errp)
{
  uint64_t size = src ? vk_image_size(src) : target->size;
  uint64_t vsize = vk_round_up(size, 512), cs = target->cluster_size, data = 0;

  memset(r, 0, sizeof *r);
  if (target->format != VK_FMT_RAW && target->format != VK_FMT_QCOW2)
    return vk_error_set(errp, VK_EXIT_USAGE, "measure gives sizes of raw and qcow2 images, not %s",
                        vk_image_format_name(target->format));
  if (target->format == VK_FMT_RAW) {
    r->required = r->fully_allocated = vsize;
    return true;
  }
  if (src) {
    counter c = { .cs = cs };
    if (!vk_map(src, 0, UINT64_MAX, count_extent, &c, errp))
      return false;
    data = c.data;
  }
  if (target->prealloc == VK_PREALLOC_FULL || target->prealloc == VK_PREALLOC_FALLOC)
    data = vsize;
  r->fully_allocated = prealloc_size(vsize, cs, order_of((uint64_t)target->refcount_bits),
                                     target->extended_l2);
  r->required = r->fully_allocated - vsize + data;
  r->has_bitmaps = src && vk_image_get_format(src) == VK_FMT_QCOW2;
  return !r->has_bitmaps || vk_image_bitmaps_size(src, cs, &r->bitmaps, errp);
}
