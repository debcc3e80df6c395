/* vkit — compare the contents of two images (`vimg compare`).
 *
 * Ranges both images know to be zero are never read; everything else is
 * read in large chunks and compared.  Differences are reported at 512-byte
 * granularity, as qemu-img does.  When the sizes differ, the common part
 * is compared and the rest of the larger image must read as zeros
 * (unless `strict`, where a size or allocation difference is itself a
 * difference).
 */
#ifndef VK_IMAGE_COMPARE_H
#define VK_IMAGE_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include "image.h"
#include "util/error.h"

typedef enum vk_compare_diff {
  VK_COMPARE_SAME = 0,
  VK_COMPARE_CONTENT,        /* bytes differ at `offset` */
  VK_COMPARE_SIZE,           /* strict: the sizes differ */
  VK_COMPARE_ALLOCATION,     /* strict: allocated in one, not the other, at `offset` */
} vk_compare_diff;

typedef struct vk_compare_result {
  vk_compare_diff diff;
  uint64_t offset;           /* first difference (512-byte aligned) */
  bool size_mismatch;        /* sizes differ (not a difference unless strict) */
} vk_compare_result;

/* Compare a and b.  Returns true and fills *r when the comparison ran;
 * false with *errp set on a read error.  progress (may be NULL) is called
 * with the bytes compared so far and the total as the work goes on. */
bool vk_compare(vk_image *a, vk_image *b, bool strict, vk_compare_result *r,
                void (*progress)(void *opaque, uint64_t done, uint64_t total), void *opaque,
                vk_error **errp);

#endif
