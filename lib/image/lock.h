/* vkit — QEMU-compatible image locks (OFD byte locks, file-posix protocol).
 *
 * Byte 100+i says "I hold permission i", byte 200+i "I do not let others
 * hold permission i" (i: 0 consistent read, 1 write, 2 write unchanged,
 * 3 resize).  Locks live on the open file description: they go away when
 * the descriptor is closed.
 */
#ifndef VK_IMAGE_LOCK_H
#define VK_IMAGE_LOCK_H

#include <stdbool.h>

#include "util/error.h"

typedef enum vk_lock_mode {
  VK_LOCK_NONE,     /* take nothing (force-share) */
  VK_LOCK_READ,     /* hold read; forbid write and resize */
  VK_LOCK_WRITE,    /* hold read, write, resize; forbid write and resize */
} vk_lock_mode;

/* Take the locks of `mode` on fd and check that nobody else conflicts.
 * Returns false with VK_EXIT_BUSY naming the conflict.  Filesystems
 * without OFD locks are accepted silently. */
bool vk_image_lock(int fd, const char *file, vk_lock_mode mode, vk_error **errp);

#endif
