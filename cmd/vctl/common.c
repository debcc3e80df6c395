/* vctl — connection and argument helpers shared by the handlers. */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "vctl.h"

virConnectPtr
vctl_open(const vk_cmd_ctx *ctx, bool readonly, int *rc)
{
  vk_error *err = NULL;
  virConnectPtr c = vk_conn_open(vctl_uri, readonly ? VK_CONN_READONLY : 0, &err);

  if (!c)
    *rc = vk_cmd_fail(ctx, err);
  return c;
}

bool
vctl_parse_secs(const char *opt, const char *arg, int *ms, vk_error **errp)
{
  char *end;
  double v;

  if (!arg) {
    *ms = -1;
    return true;
  }
  errno = 0;
  v = strtod(arg, &end);
  if (errno || end == arg || *end || !(v >= 0) || v > INT_MAX / 1000)
    return vk_error_set(errp, VK_EXIT_USAGE, "--%s: '%s' is not a number of seconds", opt, arg);
  *ms = (int)(v * 1000);
  return true;
}
