/* vkit — image size estimates (see measure.h). */
#include <config.h>

#include <string.h>

#include "map.h"
#include "measure.h"

static uint64_t
round_up(uint64_t v, uint64_t a)
{
  return (v + a - 1) / a * a;
}

static uint64_t
div_up(uint64_t v, uint64_t a)
{
  return (v + a - 1) / a;
}

uint64_t
vk_measure_refcount_size(uint64_t clusters, uint64_t cluster_size,
                         unsigned refcount_order)
{
  uint64_t per_table = cluster_size / 8;
  uint64_t per_block = cluster_size * 8 >> refcount_order;
  uint64_t table = 0, blocks = 0, n = 0, last;

  do {
    last = n;
    blocks = div_up(clusters + table + blocks, per_block);
    table = div_up(blocks, per_table);
    n = clusters + blocks + table;
  } while (n != last);
  return (blocks + table) * cluster_size;
}

/* Header, L2 and L1 tables, refcounts and data of a fully allocated image. */
static uint64_t
prealloc_size(uint64_t size, uint64_t cs, unsigned refcount_order, bool extl2)
{
  uint64_t total = round_up(size, cs), meta = cs, esize = extl2 ? 16 : 8;
  uint64_t nl2e = round_up(total / cs, cs / esize), nl1e;

  meta += nl2e * esize;
  nl1e = round_up(nl2e * esize / cs, cs / 8);
  meta += nl1e * 8;
  meta += vk_measure_refcount_size((meta + total) / cs, cs, refcount_order);
  return meta + total;
}

static unsigned
order_of(unsigned bits)
{
  unsigned o = 0;

  while ((1u << o) < bits)
    o++;
  return o;
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
  end = round_up(end, c->cs);
  c->data += end - from;
  c->next = end;
  return true;
}

bool
vk_measure(vk_image *src, const vk_image_opts *target, vk_measure_result *r,
           vk_error **errp)
{
  uint64_t size = src ? vk_image_size(src) : target->size;
  uint64_t vsize = round_up(size, 512), cs = target->cluster_size, data = 0;

  memset(r, 0, sizeof *r);
  if (target->format == VK_FMT_RAW) {
    r->required = r->fully_allocated = vsize;
    return true;
  }
  if (src) {
    counter c = { .cs = cs };
    if (!vk_map(src, count_extent, &c, errp))
      return false;
    data = c.data;
  }
  if (target->prealloc == VK_PREALLOC_FULL || target->prealloc == VK_PREALLOC_FALLOC)
    data = vsize;
  r->fully_allocated = prealloc_size(vsize, cs, order_of((unsigned)target->refcount_bits),
                                     target->extended_l2);
  r->required = r->fully_allocated - vsize + data;
  r->has_bitmaps = src && vk_image_get_format(src) == VK_FMT_QCOW2;
  return true;
}
