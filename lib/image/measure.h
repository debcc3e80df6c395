/* vkit — how much space a new image needs (`vimg measure`).
 *
 * Sizes are computed as qemu-img measure computes them: `required` is
 * the metadata of a fully allocated image of that virtual size plus the
 * clusters the source actually has data in; `fully_allocated` adds every
 * data cluster.  Raw targets need their whole virtual size either way.
 */
#ifndef VK_IMAGE_MEASURE_H
#define VK_IMAGE_MEASURE_H

#include <stdbool.h>
#include <stdint.h>

#include "image.h"
#include "util/error.h"

typedef struct vk_measure_result {
  uint64_t required;
  uint64_t fully_allocated;
  bool has_bitmaps;          /* a bitmaps size applies (qcow2 to qcow2) */
  uint64_t bitmaps;          /* bytes of persistent bitmaps to copy */
} vk_measure_result;

/* Measure for a target described by *target (format, cluster size,
 * refcount width, extended L2, preallocation), holding `src` (may be
 * NULL: then target->size is the virtual size and nothing is allocated).
 * Returns false with *errp set when the source map cannot be read. */
bool vk_measure(vk_image *src, const vk_image_opts *target,
                vk_measure_result *r, vk_error **errp);

/* Bytes of refcount table and blocks needed to count `clusters` clusters
 * plus themselves (the fixed point), for the given cluster size and
 * refcount order. */
uint64_t vk_measure_refcount_size(uint64_t clusters, uint64_t cluster_size,
                                  unsigned refcount_order);

#endif
