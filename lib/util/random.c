/* vkit — random bytes (see random.h). */
#include <config.h>

#include <errno.h>
#include <sys/random.h>

#include "util/random.h"

bool
vk_random_bytes(void *buf, size_t len, vk_error **errp)
{
  size_t done = 0;

  while (done < len) {
    ssize_t r = getrandom((char *)buf + done, len - done, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot get random bytes");
    done += (size_t)r;
  }
  return true;
}

bool
vk_random_uuid(unsigned char out[16], vk_error **errp)
{
  if (!vk_random_bytes(out, 16, errp))
    return false;
  out[6] = (unsigned char)((out[6] & 0x0f) | 0x40);
  out[8] = (unsigned char)((out[8] & 0x3f) | 0x80);
  return true;
}
