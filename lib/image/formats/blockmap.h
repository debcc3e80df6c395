/* vkit — images made of equal blocks, each stored somewhere in the file
 * or absent (reads as zeros): the dynamic VHD and the VDI.  The read and
 * block-status paths of both, over a lookup the driver gives (internal
 * to lib/image).
 */
#ifndef VK_IMAGE_BLOCKMAP_H
#define VK_IMAGE_BLOCKMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "image/driver.h"

/* Where block `block` of img starts in the file (*host), or -1 when it
 * is not stored.  The driver checked every entry when it opened the
 * image, so a lookup cannot fail. */
typedef int64_t (*vk_block_lookup)(const vk_image *img, uint64_t block);

/* drv->pread and drv->block_status for such an image. */
bool vk_blocks_pread(vk_image *img, uint32_t block_size, vk_block_lookup lookup, void *buf,
                     size_t len, uint64_t off, vk_error **errp);
bool vk_blocks_status(vk_image *img, uint32_t block_size, vk_block_lookup lookup, uint64_t off,
                      uint64_t len, vk_extent *out);

/* The size of a host file or block device. */
bool vk_host_size(int fd, const char *file, uint64_t *size, vk_error **errp);

#endif
