/* vkit — `vimg check`: the format is probed or given, the image locked,
 * and the check of its format run (qcow2/check.c; raw has no metadata). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "image/check.h"
#include "image/driver.h"
#include "image/image.h"
#include "image/lock.h"

bool
vk_check(const char *path, const char *format, vk_check_repair repair,
         bool force_share, vk_check_result *res, vk_check_report_fn *report,
         void *opaque, vk_error **errp)
{
  vk_image_format fmt = VK_FMT_NONE;
  int fd;
  bool ok;

  memset(res, 0, sizeof *res);
  if (format && !vk_image_format_parse(format, &fmt, errp))
    return false;
  if (repair && force_share)
    return vk_error_set(errp, VK_EXIT_USAGE, "-r cannot be used with -U");
  if (!vk_image_format_resolve(path, &fmt, errp))
    return false;
  res->format = vk_image_format_name(fmt);
  if (fmt != VK_FMT_QCOW2)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: %s images have no metadata to check", path,
                        vk_image_format_name(fmt));
  fd = vk_host_open_file(path, repair ? O_RDWR : O_RDONLY, errp);
  if (fd < 0)
    return false;
  if (!vk_image_lock(fd, path, repair ? VK_LOCK_WRITE : force_share ? VK_LOCK_NONE : VK_LOCK_READ,
                     errp)) {
    close(fd);
    return false;
  }
  ok = vk_check_qcow2_fd(fd, path, repair, res, report, opaque, errp);
  if (close(fd) < 0 && ok && repair)
    ok = vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: close", path);
  return ok;
}
