/* vkit — file names (see path.h). */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/path.h"

char *
vk_path_absolute(const char *path)
{
  char cwd[PATH_MAX];
  char *s;

  if (path[0] == '/')
    return strdup(path);
  if (!getcwd(cwd, sizeof cwd))
    return NULL;
  if (asprintf(&s, "%s/%s", cwd, path) < 0)
    return NULL;
  return s;
}

char *
vk_path_canonical(const char *path)
{
  CLEANUP_FREE char *abs = vk_path_absolute(path);
  CLEANUP_FREE char *dir = NULL;
  char *r, *slash, *out;

  if ((r = realpath(path, NULL)))
    return r;
  if (!abs || !(slash = strrchr(abs, '/')))
    return VK_STEAL(abs);
  dir = strndup(abs, (size_t)(slash - abs));
  if (!dir || !(r = realpath(*dir ? dir : "/", NULL)))
    return VK_STEAL(abs);
  if (asprintf(&out, "%s%s", strcmp(r, "/") ? r : "", slash) < 0)
    out = NULL;
  free(r);
  return out;
}

char *
vk_path_dir(const char *path)
{
  const char *slash = strrchr(path, '/');

  if (!slash)
    return strdup(".");
  if (slash == path)
    return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

bool
vk_write_all(int fd, const void *p, size_t n)
{
  const char *c = p;

  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return false;
    if (w == 0) {
      errno = EIO;
      return false;
    }
    c += w;
    n -= (size_t)w;
  }
  return true;
}

bool
vk_path_same_file(const char *a, const char *b)
{
  struct stat sa, sb;

  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

bool
vk_fd_same_file(int a, int b)
{
  struct stat sa, sb;

  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}
