/* vkit — hash map of 64-bit keys (see u64map.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "util/u64map.h"

static uint64_t
slot_of(uint64_t cap, uint64_t k)
{
  return (k * 0x9e3779b97f4a7c15ULL >> 17) & (cap - 1);
}

uint64_t *
vk_u64map_get(const vk_u64map *m, uint64_t key)
{
  if (!m->cap)
    return NULL;
  for (uint64_t i = slot_of(m->cap, key + 1);; i = (i + 1) & (m->cap - 1)) {
    if (m->keys[i] == key + 1)
      return &m->vals[i];
    if (!m->keys[i])
      return NULL;
  }
}

static bool
grow(vk_u64map *m)
{
  uint64_t live = 0, cap = 64;
  uint64_t *keys, *vals;

  for (uint64_t i = 0; i < m->cap; i++)
    live += m->keys[i] && m->vals[i];
  while (cap < (live + 1) * 2)
    cap <<= 1;
  keys = calloc(cap, sizeof *keys);
  vals = calloc(cap, sizeof *vals);
  if (!keys || !vals) {
    free(keys);
    free(vals);
    return false;
  }
  for (uint64_t i = 0; i < m->cap; i++) {
    uint64_t j;
    if (!m->keys[i] || !m->vals[i])
      continue;
    for (j = slot_of(cap, m->keys[i]); keys[j]; j = (j + 1) & (cap - 1))
      ;
    keys[j] = m->keys[i];
    vals[j] = m->vals[i];
  }
  free(m->keys);
  free(m->vals);
  m->keys = keys;
  m->vals = vals;
  m->cap = cap;
  m->used = live;
  return true;
}

uint64_t *
vk_u64map_put(vk_u64map *m, uint64_t key, vk_error **errp)
{
  uint64_t *v = vk_u64map_get(m, key), i;

  if (v)
    return v;
  if ((m->used + 1) * 4 > m->cap * 3 && !grow(m)) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  for (i = slot_of(m->cap, key + 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
    ;
  m->keys[i] = key + 1;
  m->vals[i] = 0;
  m->used++;
  return &m->vals[i];
}

bool
vk_u64map_next(const vk_u64map *m, uint64_t *iter, uint64_t *key, uint64_t **val)
{
  for (; *iter < m->cap; ++*iter)
    if (m->keys[*iter] && m->vals[*iter]) {
      *key = m->keys[*iter] - 1;
      *val = &m->vals[*iter];
      ++*iter;
      return true;
    }
  return false;
}

void
vk_u64map_free(vk_u64map *m)
{
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}
