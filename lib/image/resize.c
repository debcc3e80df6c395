/* vkit — an image file resized (vimg resize, vctl vol-resize). */
#include <config.h>

#include "image/image.h"
#include "util/cleanup.h"

bool
vk_image_resize_path(const char *path, vk_image_format fmt, int sign, uint64_t amount,
                     vk_prealloc prealloc, bool shrink, vk_error **errp)
{
  vk_image *img;
  uint64_t cur, size;

  if (fmt == VK_FMT_NONE && !vk_image_format_resolve(path, &fmt, errp))
    return false;
  if (!vk_image_format_check_supported(fmt, NULL, errp))
    return false;
  if (!(img = vk_image_open(path, fmt, VK_IMAGE_RDWR | VK_IMAGE_NO_BACKING, errp)))
    return false;
  cur = vk_image_size(img);
  if (sign > 0) {
    size = cur + amount;
    if (size < cur) {
      vk_image_close(img, NULL);
      return vk_error_set(errp, VK_EXIT_USAGE, "size overflows");
    }
  } else if (sign < 0) {
    if (amount > cur) {
      vk_image_close(img, NULL);
      return vk_error_set(errp, VK_EXIT_USAGE, "cannot shrink '%s' below zero", path);
    }
    size = cur - amount;
  } else {
    size = amount;
  }
  if (size < cur && !shrink) {
    vk_image_close(img, NULL);
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "shrinking '%s' loses data past the new end: use --shrink", path);
  }
  if (!vk_image_truncate(img, size, prealloc, shrink ? VK_TRUNCATE_SHRINK : 0, errp)) {
    vk_image_close(img, NULL);
    return false;
  }
  return vk_image_close(img, errp);
}
