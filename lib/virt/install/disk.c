/* vkit — creating an install's disk images with the image engine. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "virt/install/disk.h"

bool
vk_install_create_disk(const vk_disk_spec *d, vk_error **errp)
{
  vk_image_opts o;
  bool ok;

  vk_image_opts_init(&o);
  if (!vk_image_format_parse(d->format, &o.format, errp))
    return false;
  o.size = d->size;
  if (d->preallocate) {
    /* sparse=off: the space is the image's from the start */
    o.prealloc = VK_PREALLOC_FALLOC;
    o.has_prealloc = 1;
  }
  if (d->backing) {
    o.backing_file = strdup(d->backing);
    if (!o.backing_file)
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    if (d->backing_format) {
      if (!vk_image_format_parse(d->backing_format, &o.backing_fmt, errp)) {
        vk_image_opts_clear(&o);
        return false;
      }
      o.has_backing_fmt = 1;
    }
  }
  /* Sparse, locked while written; on failure the engine removes the file
   * it created.  An existing file is refused, never replaced. */
  ok = vk_image_create(d->path, &o, 0, errp);
  vk_image_opts_clear(&o);
  if (!ok)
    vk_error_prefix(errp, "creating %s", d->path);
  return ok;
}
