/* vctl start, shutdown, destroy, reboot, suspend, resume, autostart,
 * undefine, define, create. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"
#include "virt/domain.h"
#include "vctl.h"

static int opt_idempotent, opt_graceful, opt_disable, opt_remove_storage;
static int opt_keep_nvram, opt_nvram, opt_snapshots, opt_validate, opt_console, opt_managed_save;
static bool opt_wait;
static int opt_wait_ms = -1, opt_force_ms = -1;
static const char *opt_mode;

#define MODE_OPTION                                                                                \
  {                                                                                                \
    "mode", '\0', POPT_ARG_STRING, &opt_mode, 0,                                                   \
        "how to ask the guest: acpi, agent (the guest agent), initctl, signal, paravirt; a list "  \
        "is tried in libvirt's order",                                                             \
        "MODE[,MODE]"                                                                              \
  }

enum { OPT_WAIT = 1, OPT_FORCE_AFTER, OPT_WAIT_RUNNING };

#define IDEMPOTENT_OPTION \
  { "idempotent", '\0', POPT_ARG_NONE, &opt_idempotent, 0, \
    "succeed (exit 0) when the domain is already in the requested state", NULL }

const struct poptOption vctl_start_options[] = {
  { "wait-running", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, OPT_WAIT_RUNNING,
    "return once the domain runs (at most SECS seconds)", "SECS" },
  { "console", '\0', POPT_ARG_NONE, &opt_console, 0,
    "start paused, attach the serial console, then let the guest run (nothing is missed)", NULL },
  IDEMPOTENT_OPTION,
  { NULL, '\0', POPT_ARG_INCLUDE_TABLE, (void *)vctl_console_options, 0, "console options", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_shutdown_options[] = {
  { "wait", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, OPT_WAIT,
    "return once the domain is off (at most SECS seconds)", "SECS" },
  { "force-after", '\0', POPT_ARG_STRING, NULL, OPT_FORCE_AFTER,
    "destroy the domain if it is still running after SECS seconds", "SECS" },
  MODE_OPTION,
  IDEMPOTENT_OPTION,
  POPT_TABLEEND
};

const struct poptOption vctl_reboot_options[] = { MODE_OPTION, POPT_TABLEEND };

const struct poptOption vctl_destroy_options[] = {
  { "graceful", '\0', POPT_ARG_NONE, &opt_graceful, 0,
    "only ask the hypervisor process to terminate (no SIGKILL)", NULL },
  IDEMPOTENT_OPTION,
  POPT_TABLEEND
};

const struct poptOption vctl_idem_options[] = {
  IDEMPOTENT_OPTION,
  POPT_TABLEEND
};

const struct poptOption vctl_autostart_options[] = {
  { "disable", '\0', POPT_ARG_NONE, &opt_disable, 0, "turn autostart off", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_undefine_options[] = {
  { "remove-all-storage", '\0', POPT_ARG_NONE, &opt_remove_storage, 0,
    "also delete the domain's disk images and vinstall's cloud-init seed (not other CD-ROMs, read-only or shared disks)",
    NULL },
  { "nvram", '\0', POPT_ARG_NONE, &opt_nvram, 0, "remove the UEFI variable store (the default)",
    NULL },
  { "keep-nvram", '\0', POPT_ARG_NONE, &opt_keep_nvram, 0, "keep the UEFI variable store", NULL },
  { "managed-save", '\0', POPT_ARG_NONE, &opt_managed_save, 0,
    "also remove the managed save image (else its presence refuses the undefine)", NULL },
  { "snapshots-metadata", '\0', POPT_ARG_NONE, &opt_snapshots, 0,
    "also remove snapshot and checkpoint metadata", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_define_options[] = {
  { "validate", '\0', POPT_ARG_NONE, &opt_validate, 0, "validate the XML against libvirt's schema", NULL },
  POPT_TABLEEND
};

bool
vctl_lifecycle_option(int val, const char *arg, vk_error **errp)
{
  switch (val) {
  case OPT_WAIT:
  case OPT_WAIT_RUNNING:
    opt_wait = true;
    return vctl_parse_secs(val == OPT_WAIT ? "wait" : "wait-running", arg, &opt_wait_ms, errp);
  case OPT_FORCE_AFTER:
    return vctl_parse_secs("force-after", arg ? arg : "", &opt_force_ms, errp);
  default:
    return vctl_console_option(val, arg, errp);
  }
}

static unsigned
idem(void)
{
  return opt_idempotent ? VK_DOM_IDEMPOTENT : 0;
}

int
vctl_start(vk_cmd_ctx *ctx)
{
  vk_dom_outcome how;

  if (opt_console && opt_wait)
    return vk_cmd_usage(ctx, "--console and --wait-running exclude each other");
  if (!opt_console && (vctl_console_log || vctl_console_timeout_ms >= 0 || vctl_console_devname ||
                       vctl_console_force))
    return vk_cmd_usage(ctx, "console options need --console");
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_domain_start(dom, idem() | (opt_console ? VK_DOM_PAUSED : 0), opt_wait, opt_wait_ms, &how,
                       &err))
    return vk_cmd_fail(ctx, err);
  if (how == VK_DOM_ALREADY && !opt_console) {
    fprintf(ctx->out, "Domain '%s' is already running\n", virDomainGetName(dom));
    return 0;
  }
  if (opt_console) {
    fprintf(stderr, "Domain '%s' started\n", virDomainGetName(dom));
    return vctl_console_attach(ctx, dom, true);
  }
  fprintf(ctx->out, "Domain '%s' started\n", virDomainGetName(dom));
  return 0;
}

int
vctl_shutdown(vk_cmd_ctx *ctx)
{
  vk_dom_outcome how;
  unsigned mode;
  vk_error *merr = NULL;

  if (!vk_domain_power_mode(opt_mode, &mode, &merr))
    return vk_cmd_fail(ctx, merr);
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_domain_shutdown(dom, idem(), mode, opt_wait, opt_wait_ms, opt_force_ms, &how, &err))
    return vk_cmd_fail(ctx, err);
  if (how == VK_DOM_ALREADY)
    fprintf(ctx->out, "Domain '%s' is already shut off\n", virDomainGetName(dom));
  else if (how == VK_DOM_FORCED)
    fprintf(ctx->out,
            "Domain '%s' is shut off: forced off after %g s (the guest did not shut down)\n",
            virDomainGetName(dom), opt_force_ms / 1000.0);
  else
    fprintf(ctx->out, opt_wait ? "Domain '%s' is shut off\n" : "Domain '%s' is being shutdown\n",
            virDomainGetName(dom));
  return 0;
}

int
vctl_destroy(vk_cmd_ctx *ctx)
{
  vk_dom_outcome how;

  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_domain_destroy(dom, idem(), opt_graceful, &how, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out,
          how == VK_DOM_ALREADY ? "Domain '%s' is already shut off\n" : "Domain '%s' destroyed\n",
          virDomainGetName(dom));
  return 0;
}

int
vctl_reboot(vk_cmd_ctx *ctx)
{
  unsigned mode;
  vk_error *merr = NULL;

  if (!vk_domain_power_mode(opt_mode, &mode, &merr))
    return vk_cmd_fail(ctx, merr);
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_domain_reboot(dom, mode, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Domain '%s' is being rebooted\n", virDomainGetName(dom));
  return 0;
}

int
vctl_suspend(vk_cmd_ctx *ctx)
{
  vk_dom_outcome how;

  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_domain_suspend(dom, idem(), &how, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out,
          how == VK_DOM_ALREADY ? "Domain '%s' is already paused\n" : "Domain '%s' suspended\n",
          virDomainGetName(dom));
  return 0;
}

int
vctl_resume(vk_cmd_ctx *ctx)
{
  vk_dom_outcome how;

  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_domain_resume(dom, idem(), &how, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out,
          how == VK_DOM_ALREADY ? "Domain '%s' is already running (not paused)\n"
                                : "Domain '%s' resumed\n",
          virDomainGetName(dom));
  return 0;
}

int
vctl_autostart(vk_cmd_ctx *ctx)
{
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_domain_set_autostart(dom, !opt_disable, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, opt_disable ? "Domain '%s' unmarked as autostarted\n"
          : "Domain '%s' marked as autostarted\n", virDomainGetName(dom));
  return 0;
}

int
vctl_undefine(vk_cmd_ctx *ctx)
{
  char **removed = NULL;
  unsigned flags = 0;
  bool ok;

  if (opt_keep_nvram && opt_nvram)
    return vk_cmd_usage(ctx, "--nvram and --keep-nvram exclude each other");
  VCTL_DOMAIN_OR_RETURN(false);
  if (opt_remove_storage)
    flags |= VK_UNDEF_REMOVE_STORAGE;
  if (opt_keep_nvram)
    flags |= VK_UNDEF_KEEP_NVRAM;
  if (opt_snapshots)
    flags |= VK_UNDEF_SNAPSHOTS;
  if (opt_managed_save)
    flags |= VK_UNDEF_MANAGED_SAVE;
  ok = vk_domain_undefine(dom, flags, &removed, &err);
  if (ok)
    fprintf(ctx->out, "Domain '%s' has been undefined\n", virDomainGetName(dom));
  for (char **p = removed; p && *p; p++)
    fprintf(ok ? ctx->out : stderr, "Volume '%s' removed\n", *p);
  vk_strv_free(removed);
  if (!ok)
    return vk_cmd_fail(ctx, err);
  return 0;
}

static int
define_or_create(vk_cmd_ctx *ctx, bool create)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_DOMAIN virDomainPtr dom = NULL;
  CLEANUP_FREE char *xml = NULL;
  vk_error *err = NULL;
  int rc = 0;

  if (!(xml = vctl_read_xml(ctx, &conn, &rc)))
    return rc;
  dom = create ? vk_domain_create(conn, xml, opt_validate, &err)
               : vk_domain_define(conn, xml, opt_validate, &err);
  if (!dom) {
    vk_error_prefix(&err, "%s", ctx->argv[0]);
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, "Domain '%s' %s from %s\n", virDomainGetName(dom),
          create ? "created" : "defined", ctx->argv[0]);
  return 0;
}

int
vctl_define(vk_cmd_ctx *ctx)
{
  return define_or_create(ctx, false);
}

int
vctl_create(vk_cmd_ctx *ctx)
{
  return define_or_create(ctx, true);
}
