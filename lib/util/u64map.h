/* vkit — a hash map from 64-bit keys to 64-bit values (open addressing,
 * linear probing), for sets of clusters and the like.
 *
 *   vk_u64map m = { 0 };
 *   uint64_t *v = vk_u64map_put(&m, key, errp);   // finds or adds (value 0)
 *   const uint64_t *w = vk_u64map_get(&m, key);   // NULL when absent
 *   for (uint64_t i = 0; vk_u64map_next(&m, &i, &key, &v);) ...
 *   vk_u64map_free(&m);
 *
 * Entries whose value is 0 count as absent to vk_u64map_next() and are
 * dropped when the map grows, so a value set back to 0 is a removal.
 * Pointers returned are valid until the next vk_u64map_put().
 */
#ifndef VK_UTIL_U64MAP_H
#define VK_UTIL_U64MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

typedef struct vk_u64map {
  uint64_t *keys;          /* key + 1; 0 = empty slot */
  uint64_t *vals;
  uint64_t cap;            /* power of two, or 0 */
  uint64_t used;           /* slots with a key */
} vk_u64map;

uint64_t *vk_u64map_put(vk_u64map *m, uint64_t key, vk_error **errp);
uint64_t *vk_u64map_get(const vk_u64map *m, uint64_t key);
/* The next entry with a non-zero value at or after slot *iter. */
bool vk_u64map_next(const vk_u64map *m, uint64_t *iter, uint64_t *key, uint64_t **val);
void vk_u64map_free(vk_u64map *m);

#endif
