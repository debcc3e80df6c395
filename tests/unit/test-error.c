/* Unit tests for lib/util/error and cleanup. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"

static bool
fails(vk_error **errp)
{
  return vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' not found", "vm1");
}

static int fd_seen = -1;

static void
scope_with_fd(void)
{
  CLEANUP_CLOSE int fd = open("/dev/null", O_RDONLY);
  CLEANUP_FREE char *p = malloc(16);
  fd_seen = fd;
}

int
main(void)
{
  vk_error *err = NULL;

  ok(!fails(&err), "vk_error_set returns false");
  ok(err && err->code == VK_EXIT_NOTFOUND, "code kept");
  is_str(err ? err->msg : NULL, "domain 'vm1' not found", "message formatted");
  vk_error_set(&err, VK_EXIT_FAILED, "second");
  is_str(err->msg, "domain 'vm1' not found", "first error is not overwritten");
  vk_error_prefix(&err, "vctl %s", "start");
  is_str(err->msg, "vctl start: domain 'vm1' not found", "prefix");
  vk_error_free(err);
  err = NULL;

  ok(!fails(NULL), "NULL errp is allowed");

  vk_error_set_errno(&err, VK_EXIT_FAILED, ENOENT, "cannot open '%s'", "x.img");
  is_str(err->msg, "cannot open 'x.img': No such file or directory", "errno message");
  ok(err->code == VK_EXIT_NOTFOUND && err->errnum == ENOENT, "ENOENT maps to not found");
  vk_error_free(err);
  err = NULL;
  vk_error_set_errno(&err, VK_EXIT_FAILED, EAGAIN, "lock");
  ok(err->code == VK_EXIT_BUSY, "EAGAIN maps to busy");
  vk_error_free(err);
  err = NULL;
  vk_error_set_errno(&err, VK_EXIT_FAILED, ENOSPC, "write");
  ok(err->code == VK_EXIT_FAILED, "ENOSPC keeps the given code");
  vk_error_free(err);

  {
    vk_error *dst = NULL, *src = NULL;
    vk_error_set(&src, VK_EXIT_BUSY, "busy");
    vk_error_propagate(&dst, src);
    ok(dst == src, "propagate moves into an empty destination");
    vk_error_free(dst);
  }

  is_str(vk_exit_name(VK_EXIT_CORRUPT), "corrupt", "exit name");
  is_str(vk_exit_name(VK_EXIT_LEAKS), "leaks", "exit name leaks");

  scope_with_fd();
  ok(fd_seen >= 0 && fcntl(fd_seen, F_GETFD) == -1 && errno == EBADF,
     "CLEANUP_CLOSE closed the descriptor");
  return tap_done();
}
