/* vkit — QEMU-compatible OFD image locks. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"

enum { PERM_READ = 0, PERM_WRITE = 1, PERM_WRITE_UNCHANGED = 2, PERM_RESIZE = 3 };

static const char *const perm_names[] = {
  "consistent read", "write", "write unchanged", "resize"
};

/* 1: done, 0: unsupported here, -1: error (errno). */
static int
ofd(int fd, int cmd, short type, off_t byte, struct flock *out)
{
  struct flock fl;

  memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = byte;
  fl.l_len = 1;
  if (fcntl(fd, cmd, &fl) < 0) {
    if (errno == EINVAL || errno == ENOTSUP || errno == ENOLCK)
      return 0;
    return -1;
  }
  if (out)
    *out = fl;
  return 1;
}

/* False (errp set) when another process holds a lock on byte: for 100 +
 * P, it holds permission P; for 200 + P, it forbids it to others. */
static bool
conflict(int fd, const char *file, int byte, const char *holds, const char *doing, vk_error **errp)
{
  struct flock fl;
  int rc = ofd(fd, F_OFD_GETLK, F_WRLCK, byte, &fl);

  if (rc < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot test lock", file);
  if (rc > 0 && fl.l_type != F_UNLCK)
    return vk_error_set(
        errp, VK_EXIT_BUSY,
        "%s: image is in use: another process %s the %s permission (is a VM or another qemu-img or vimg %s it?)",
        file, holds, perm_names[byte % 100], doing);
  return true;
}

bool
vk_image_lock(int fd, const char *file, vk_lock_mode mode, vk_error **errp)
{
  int held[8], nheld = 0, i, rc;
  /* Permissions we use (others must not forbid them) and refuse to share
   * (others must not hold them). */
  int use[4], nuse = 0, refuse[2] = { PERM_WRITE, PERM_RESIZE };

  if (mode == VK_LOCK_NONE)
    return true;
  held[nheld++] = 100 + PERM_READ;
  use[nuse++] = PERM_READ;
  if (mode == VK_LOCK_WRITE) {
    held[nheld++] = 100 + PERM_WRITE;
    held[nheld++] = 100 + PERM_RESIZE;
    use[nuse++] = PERM_WRITE;
    use[nuse++] = PERM_RESIZE;
  }
  held[nheld++] = 200 + PERM_WRITE;
  held[nheld++] = 200 + PERM_RESIZE;

  for (i = 0; i < nheld; i++) {
    rc = ofd(fd, F_OFD_SETLK, F_RDLCK, held[i], NULL);
    if (rc == 0)
      return true;
    if (rc < 0) {
      if (errno == EAGAIN || errno == EACCES)
        return vk_error_set(errp, VK_EXIT_BUSY,
                            "%s: image is in use: another process does not share the %s permission (is a VM or another qemu-img or vimg using it?)",
                            file, perm_names[held[i] % 100]);
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot lock", file);
    }
  }
  for (i = 0; i < nuse; i++)
    if (!conflict(fd, file, 200 + use[i], "forbids", "using", errp))
      return false;
  for (i = 0; i < 2; i++)
    if (!conflict(fd, file, 100 + refuse[i], "holds", "writing", errp))
      return false;
  return true;
}
