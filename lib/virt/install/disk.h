/* vkit — creating one disk image of an install (internal to lib/virt). */
#ifndef VK_VIRT_INSTALL_DISK_H
#define VK_VIRT_INSTALL_DISK_H

#include <stdbool.h>

#include "util/error.h"
#include "virt/domxml.h"

/* Create the image d describes (path, format, size, backing) with the
 * library's image engine.  Returns true, or false with *errp set and no
 * file left behind. */
bool vk_install_create_disk(const vk_disk_spec *d, vk_error **errp);

#endif
