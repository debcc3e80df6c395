/* vkit — qcow2 table cache: L2 tables and refcount blocks, written back in
 * the order of QCOW2.md section 7 by qcow2_flush_meta(). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/qcow2/qcow2.h"

bool
qcow2_cache_init(qcow2_cache *c, size_t n, uint64_t cs, vk_error **errp)
{
  memset(c, 0, sizeof *c);
  c->slots = calloc(n, sizeof *c->slots);
  if (!c->slots)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  c->n = n;
  for (size_t i = 0; i < n; i++)
    if (!(c->slots[i].data = malloc(cs)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return true;
}

void
qcow2_cache_free(qcow2_cache *c)
{
  for (size_t i = 0; c->slots && i < c->n; i++)
    free(c->slots[i].data);
  free(c->slots);
  memset(c, 0, sizeof *c);
}

unsigned char *
qcow2_cache_get(vk_image *img, qcow2_cache *c, uint64_t off, bool fresh,
                vk_error **errp)
{
  qcow2 *q = Q(img);
  size_t i, victim = 0;
  qcow2_cache_slot *s;

  if (c->slots[c->last].offset == off) {
    c->slots[c->last].lru = ++c->tick;
    if (fresh)
      memset(c->slots[c->last].data, 0, q->cs);
    return c->slots[c->last].data;
  }
  for (i = 0; i < c->n; i++) {
    s = &c->slots[i];
    if (s->offset == off) {
      s->lru = ++c->tick;
      c->last = i;
      if (fresh)
        memset(s->data, 0, q->cs);
      return s->data;
    }
    if (s->offset == 0 || (c->slots[victim].offset != 0 && s->lru < c->slots[victim].lru))
      victim = i;
  }
  s = &c->slots[victim];
  if (s->dirty) {
    /* Writing a table back needs the whole order of section 7. */
    if (!qcow2_flush_meta(img, errp))
      return NULL;
  }
  s->offset = 0;
  s->dirty = false;
  if (fresh) {
    memset(s->data, 0, q->cs);
  } else if (!vk_host_pread(img->fd, s->data, q->cs, off, img->filename, errp)) {
    return NULL;
  }
  s->offset = off;
  s->lru = ++c->tick;
  c->last = victim;
  return s->data;
}

void
qcow2_cache_mark_dirty(qcow2_cache *c, const unsigned char *data)
{
  for (size_t i = 0; i < c->n; i++)
    if (c->slots[i].data == data) {
      c->slots[i].dirty = true;
      return;
    }
}

bool
qcow2_cache_writeback(vk_image *img, qcow2_cache *c, vk_error **errp)
{
  qcow2 *q = Q(img);

  for (size_t i = 0; i < c->n; i++) {
    qcow2_cache_slot *s = &c->slots[i];
    if (!s->dirty)
      continue;
    if (!vk_host_pwrite(img->fd, s->data, q->cs, s->offset, img->filename, errp))
      return false;
    s->dirty = false;
  }
  return true;
}

void
qcow2_cache_drop(qcow2_cache *c, uint64_t off)
{
  for (size_t i = 0; i < c->n; i++)
    if (c->slots[i].offset == off) {
      c->slots[i].offset = 0;
      c->slots[i].dirty = false;
    }
}
