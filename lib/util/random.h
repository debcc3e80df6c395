/* vkit — random bytes from the kernel (getrandom). */
#ifndef VK_UTIL_RANDOM_H
#define VK_UTIL_RANDOM_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Fill buf with len random bytes (retries short reads and EINTR). */
bool vk_random_bytes(void *buf, size_t len, vk_error **errp);
/* A random (version 4, RFC 4122 variant) UUID, as 16 bytes in the
 * order they are written. */
bool vk_random_uuid(unsigned char out[16], vk_error **errp);

#endif
