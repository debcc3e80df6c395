/* vkit — cleanup attribute helpers. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"

void
vk_cleanup_free(void *ptr)
{
  free(*(void **)ptr);
}

void
vk_cleanup_close(int *fd)
{
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}

void
vk_cleanup_fclose(FILE **fp)
{
  if (*fp) {
    int saved = errno;
    fclose(*fp);
    errno = saved;
  }
}

void
vk_cleanup_error(void *errp)
{
  vk_error_free(*(vk_error **)errp);
}
