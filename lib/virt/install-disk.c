/* vkit — creating an install's disk images. */
#include <config.h>

#include "virt/install-disk.h"

bool
vk_install_create_disk(const vk_disk_spec *d, vk_error **errp)
{
  /* The image engine is not part of this build yet. */
  return vk_error_set(errp, VK_EXIT_FAILED, "cannot create %s: this build of vkit has no image engine yet",
                      d->path);
}
