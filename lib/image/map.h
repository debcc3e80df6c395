/* vkit — the allocation map of an image (`vimg map`), as qemu-img shows it.
 *
 * Extents come from the block status of the whole backing chain and are
 * merged while they agree on layer, presence, zero/data and (contiguous)
 * host offset, exactly as `qemu-img map` merges them.
 */
#ifndef VK_IMAGE_MAP_H
#define VK_IMAGE_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "image.h"
#include "util/error.h"

typedef struct vk_map_entry {
  uint64_t start;          /* guest offset */
  uint64_t length;
  int depth;               /* layer: 0 = the image itself */
  bool present;            /* some layer has it (else reads as zeros) */
  bool zero;               /* reads as zeros */
  bool data;               /* stored as data */
  bool has_offset;
  uint64_t offset;         /* host offset in `file` when has_offset */
  const char *file;        /* file of that layer (owned by the image) */
} vk_map_entry;

/* Called for each merged extent, in order; returning false (with *errp
 * set) stops the walk. */
typedef bool vk_map_fn(void *opaque, const vk_map_entry *e, vk_error **errp);

/* Walk the map of img over [start, start + length) (cut at its end;
 * UINT64_MAX: to the end).  Returns false with *errp set when the map
 * cannot be read or fn failed. */
bool vk_map(vk_image *img, uint64_t start, uint64_t length, vk_map_fn *fn, void *opaque,
            vk_error **errp);

#endif
