/* vctl console, and start --console. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cancel.h"
#include "util/cleanup.h"
#include "virt/console.h"
#include "virt/domain.h"
#include "vctl.h"

const char *vctl_console_log;
const char *vctl_console_devname;
int vctl_console_force;
int vctl_console_timeout_ms = -1;

enum { OPT_TIMEOUT = 101 };   /* distinct from the lifecycle options: start includes this table */

const struct poptOption vctl_console_options[] = {
  { "log", '\0', POPT_ARG_STRING, &vctl_console_log, 0,
    "append the console output to FILE instead of showing it (no input)", "FILE" },
  { "timeout", '\0', POPT_ARG_STRING, NULL, OPT_TIMEOUT,
    "detach after SECS seconds", "SECS" },
  { "devname", '\0', POPT_ARG_STRING, &vctl_console_devname, 0,
    "console or serial device alias (default: the first console)", "NAME" },
  { "force", '\0', POPT_ARG_NONE, &vctl_console_force, 0,
    "take the console over from another session", NULL },
  POPT_TABLEEND
};

bool
vctl_console_option(int val, const char *arg, vk_error **errp)
{
  if (val == OPT_TIMEOUT)
    return vctl_parse_secs("timeout", arg ? arg : "", &vctl_console_timeout_ms, errp);
  return false;
}

int
vctl_console_attach(vk_cmd_ctx *ctx, virDomainPtr dom, bool resume)
{
  CLEANUP_CLOSE int log_fd = -1;
  vk_console_opts o = {
    .device = vctl_console_devname, .in_fd = -1, .out_fd = STDOUT_FILENO,
    .timeout_ms = vctl_console_timeout_ms, .force = vctl_console_force, .resume = resume,
  };
  bool interactive = !vctl_console_log && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  vk_console_end end;
  vk_error *err = NULL;
  bool ok;

  if (vctl_console_log) {
    log_fd = open(vctl_console_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      vk_error_set_errno(&err, VK_EXIT_FAILED, errno, "cannot open '%s'", vctl_console_log);
      return vk_cmd_fail(ctx, err);
    }
    o.out_fd = log_fd;
  }
  if (interactive) {
    o.in_fd = STDIN_FILENO;
    vk_console_banner(virDomainGetName(dom));
    vk_term_raw(STDIN_FILENO, false);
  }
  ok = vk_console_run(dom, &o, &end, &err);
  if (interactive) {
    vk_term_restore();
    fputc('\n', stderr);
  }
  if (!ok)
    return vk_cmd_fail(ctx, err);
  return 0;
}

int
vctl_console(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_DOMAIN virDomainPtr dom = NULL;
  int rc = 0;

  if (!(dom = vctl_domain(ctx, false, &conn, &rc)))
    return rc;
  return vctl_console_attach(ctx, dom, false);
}
