/* vkit — error objects. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static vk_error *
error_new(int code, int errnum, char *msg)
{
  vk_error *e = calloc(1, sizeof *e);
  if (!e) {
    free(msg);
    return NULL;
  }
  e->code = code ? code : VK_EXIT_FAILED;
  e->errnum = errnum;
  e->msg = msg ? msg : strdup("out of memory");
  return e;
}

bool
vk_error_setv(vk_error **errp, int code, const char *fmt, va_list ap)
{
  char *msg = NULL;

  if (!errp || *errp)
    return false;
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  *errp = error_new(code, 0, msg);
  return false;
}

bool
vk_error_set(vk_error **errp, int code, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vk_error_setv(errp, code, fmt, ap);
  va_end(ap);
  return false;
}

bool
vk_error_set_errno(vk_error **errp, int code, int errnum, const char *fmt, ...)
{
  va_list ap;
  char *head = NULL, *msg = NULL;

  if (!errp || *errp)
    return false;
  va_start(ap, fmt);
  if (vasprintf(&head, fmt, ap) < 0)
    head = NULL;
  va_end(ap);
  if (head && asprintf(&msg, "%s: %s", head, strerror(errnum)) < 0)
    msg = NULL;
  free(head);
  if (errnum == ENOENT)
    code = VK_EXIT_NOTFOUND;
  else if (errnum == EBUSY || errnum == EAGAIN)
    code = VK_EXIT_BUSY;
  *errp = error_new(code, errnum, msg);
  return false;
}

void
vk_error_prefix(vk_error **errp, const char *fmt, ...)
{
  va_list ap;
  char *head = NULL, *msg = NULL;

  if (!errp || !*errp)
    return;
  va_start(ap, fmt);
  if (vasprintf(&head, fmt, ap) < 0)
    head = NULL;
  va_end(ap);
  if (head && asprintf(&msg, "%s: %s", head, (*errp)->msg) >= 0) {
    free((*errp)->msg);
    (*errp)->msg = msg;
  }
  free(head);
}

void
vk_error_propagate(vk_error **dst, vk_error *src)
{
  if (!src)
    return;
  if (dst && !*dst)
    *dst = src;
  else
    vk_error_free(src);
}

void
vk_error_free(vk_error *err)
{
  if (!err)
    return;
  free(err->msg);
  free(err);
}

const char *
vk_exit_name(int code)
{
  switch (code) {
  case VK_EXIT_OK: return "ok";
  case VK_EXIT_FAILED: return "failed";
  case VK_EXIT_USAGE: return "usage";
  case VK_EXIT_NOTFOUND: return "not-found";
  case VK_EXIT_TIMEOUT: return "timeout";
  case VK_EXIT_BUSY: return "busy";
  case VK_EXIT_CONNECT: return "connect";
  case VK_EXIT_CORRUPT: return "corrupt";
  case VK_EXIT_LEAKS: return "leaks";
  default: return "unknown";
  }
}
