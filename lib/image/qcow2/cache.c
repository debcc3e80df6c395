/* vkit — qcow2 table cache: L2 tables and refcount blocks, written back in
 * the order of QCOW2.md section 7 by qcow2_flush_meta().
 *
 * Slots and their cluster buffers are made when first needed, up to the
 * cap the driver chose for the image (small for backing layers), so an
 * image costs memory for the tables it touches, not for the cap.  Lookups
 * go through a hash of the host offset; the victim is the least recently
 * used slot (a doubly linked list, most recent first).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/qcow2/qcow2.h"

void
qcow2_cache_init(qcow2_cache *c, unsigned role, uint64_t cap_bytes, uint32_t min_slots,
                 uint64_t cs)
{
  uint64_t cap = cap_bytes / cs;

  memset(c, 0, sizeof *c);
  c->role = role;
  if (cap < min_slots)
    cap = min_slots;
  if (cap > 65536)
    cap = 65536;
  c->cap = (uint32_t)cap;
}

void
qcow2_cache_free(qcow2_cache *c)
{
  for (uint32_t i = 0; c->slots && i < c->n; i++)
    free(c->slots[i].data);
  free(c->slots);
  free(c->buckets);
  memset(c, 0, sizeof *c);
}

static uint32_t
bucket_of(const qcow2_cache *c, uint64_t off)
{
  uint64_t h = off * 0x9e3779b97f4a7c15ULL;
  return (uint32_t)(h >> 32) & (c->nbuckets - 1);
}

static void
lru_unlink(qcow2_cache *c, uint32_t i)
{
  qcow2_cache_slot *s = &c->slots[i];

  if (s->prev)
    c->slots[s->prev - 1].next = s->next;
  else
    c->head = s->next;
  if (s->next)
    c->slots[s->next - 1].prev = s->prev;
  else
    c->tail = s->prev;
  s->prev = s->next = 0;
}

static void
lru_push_front(qcow2_cache *c, uint32_t i)
{
  qcow2_cache_slot *s = &c->slots[i];

  s->prev = 0;
  s->next = c->head;
  if (c->head)
    c->slots[c->head - 1].prev = i + 1;
  c->head = i + 1;
  if (!c->tail)
    c->tail = i + 1;
}

static void
lru_push_back(qcow2_cache *c, uint32_t i)
{
  qcow2_cache_slot *s = &c->slots[i];

  s->next = 0;
  s->prev = c->tail;
  if (c->tail)
    c->slots[c->tail - 1].next = i + 1;
  c->tail = i + 1;
  if (!c->head)
    c->head = i + 1;
}

static void
hash_insert(qcow2_cache *c, uint32_t i)
{
  uint32_t b = bucket_of(c, c->slots[i].offset);

  c->slots[i].hnext = c->buckets[b];
  c->buckets[b] = i + 1;
}

static void
hash_remove(qcow2_cache *c, uint32_t i)
{
  uint32_t *p = &c->buckets[bucket_of(c, c->slots[i].offset)];

  while (*p && *p != i + 1)
    p = &c->slots[*p - 1].hnext;
  if (*p)
    *p = c->slots[i].hnext;
  c->slots[i].hnext = 0;
}

static int64_t
find(const qcow2_cache *c, uint64_t off)
{
  if (!c->nbuckets)
    return -1;
  if (c->last && c->slots[c->last - 1].offset == off)
    return c->last - 1;
  for (uint32_t i = c->buckets[bucket_of(c, off)]; i; i = c->slots[i - 1].hnext)
    if (c->slots[i - 1].offset == off)
      return i - 1;
  return -1;
}

/* A slot for a new table: a fresh one while below the cap, else the
 * least recently used (written back first when dirty). */
static int64_t
take_slot(vk_image *img, qcow2_cache *c, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint32_t i;

  if (!c->buckets) {
    uint32_t nb = 16;
    while (nb < c->cap && nb < (1u << 20))
      nb <<= 1;
    if (!(c->buckets = calloc(nb, sizeof *c->buckets)))
      goto nomem;
    c->nbuckets = nb;
  }
  if (c->n < c->cap) {
    unsigned char *d = malloc(q->g.cs);
    qcow2_cache_slot *ns;
    if (!d)
      goto nomem;
    if (!(ns = realloc(c->slots, ((size_t)c->n + 1) * sizeof *ns))) {
      free(d);
      goto nomem;
    }
    c->slots = ns;
    i = c->n++;
    memset(&c->slots[i], 0, sizeof c->slots[i]);
    c->slots[i].data = d;
    return i;
  }
  /* Writing a table back needs the whole order of section 7; the flush
   * may use this cache too, so the victim is chosen again after it. */
  while (c->slots[c->tail - 1].dirty)
    if (!qcow2_flush_meta(img, errp))
      return -1;
  i = c->tail - 1;
  lru_unlink(c, i);
  hash_remove(c, i);
  c->slots[i].offset = 0;
  c->slots[i].dirty = false;
  return i;
nomem:
  vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return -1;
}

unsigned char *
qcow2_cache_get(vk_image *img, qcow2_cache *c, uint64_t off, bool fresh,
                vk_error **errp)
{
  qcow2 *q = Q(img);
  int64_t i = find(c, off);
  qcow2_cache_slot *s;

  if (i >= 0) {
    if (c->head != i + 1) {
      lru_unlink(c, (uint32_t)i);
      lru_push_front(c, (uint32_t)i);
    }
    c->last = (uint32_t)i + 1;
    if (fresh)
      memset(c->slots[i].data, 0, q->g.cs);
    return c->slots[i].data;
  }
  c->misses++;
  if ((i = take_slot(img, c, errp)) < 0)
    return NULL;
  s = &c->slots[i];
  if (fresh)
    memset(s->data, 0, q->g.cs);
  else if (!vk_host_pread(img->fd, s->data, q->g.cs, off, img->filename, errp)) {
    lru_push_back(c, (uint32_t)i);   /* empty, reused first */
    return NULL;
  }
  s->offset = off;
  hash_insert(c, (uint32_t)i);
  lru_push_front(c, (uint32_t)i);
  c->last = (uint32_t)i + 1;
  return s->data;
}

void
qcow2_cache_mark_dirty(qcow2_cache *c, const unsigned char *data)
{
  if (c->last && c->slots[c->last - 1].data == data) {
    c->slots[c->last - 1].dirty = true;
    return;
  }
  for (uint32_t i = 0; i < c->n; i++)
    if (c->slots[i].data == data) {
      c->slots[i].dirty = true;
      return;
    }
}

bool
qcow2_cache_writeback(vk_image *img, qcow2_cache *c, vk_error **errp)
{
  for (uint32_t i = 0; i < c->n; i++) {
    qcow2_cache_slot *s = &c->slots[i];
    if (!s->dirty)
      continue;
    if (!qcow2_pwrite(img, c->role, s->data, Q(img)->g.cs, s->offset, errp))
      return false;
    s->dirty = false;
  }
  return true;
}

void
qcow2_cache_drop(qcow2_cache *c, uint64_t off)
{
  int64_t i = find(c, off);

  if (i < 0)
    return;
  lru_unlink(c, (uint32_t)i);
  hash_remove(c, (uint32_t)i);
  c->slots[i].offset = 0;
  c->slots[i].dirty = false;
  if (c->last == i + 1)
    c->last = 0;
  lru_push_back(c, (uint32_t)i);   /* the next slot to be reused */
}
