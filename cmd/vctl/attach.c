/* vctl attach-disk, detach-disk, attach-interface, detach-interface,
 * attach-device, detach-device, detach-device-alias, update-device,
 * change-media, domif-getlink, domif-setlink. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/text.h"
#include "virt/devices.h"
#include "virt/domxml.h"
#include "vctl.h"

static int opt_live, opt_config, opt_persistent, opt_current, opt_print_xml, opt_wait;
static int opt_wait_ms = -1, opt_eject, opt_insert, opt_update;
static const char *opt_bus, *opt_subdriver, *opt_cache, *opt_type, *opt_mode, *opt_mac, *opt_model,
    *opt_target;

enum { OPT_WAIT = 1 };

/* clang-format off */
#define AFFECT_OPTIONS \
  { "live", '\0', POPT_ARG_NONE, &opt_live, 0, "the running guest", NULL }, \
  { "config", '\0', POPT_ARG_NONE, &opt_config, 0, "the definition (from the next start on)", NULL }, \
  { "persistent", '\0', POPT_ARG_NONE, &opt_persistent, 0, "the definition, and the running guest if it runs", NULL }, \
  { "current", '\0', POPT_ARG_NONE, &opt_current, 0, "the running guest if it runs, else the definition (the default)", NULL }
#define WAIT_OPTION \
  { "wait", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, OPT_WAIT, "return once the guest released the device (at most SECS seconds; exit 4 after)", "SECS" }
/* clang-format on */

const struct poptOption vctl_attach_disk_options[] = {
  AFFECT_OPTIONS,
  { "targetbus", '\0', POPT_ARG_STRING, &opt_bus, 0, "virtio, scsi, sata, ide, usb", "BUS" },
  { "subdriver", '\0', POPT_ARG_STRING, &opt_subdriver, 0, "the image format: raw, qcow2", "FMT" },
  { "cache", '\0', POPT_ARG_STRING, &opt_cache, 0, "the cache mode (none, writeback, ...)",
    "MODE" },
  { "type", '\0', POPT_ARG_STRING, &opt_type, 0, "disk (default), cdrom or floppy",
    "disk|cdrom|floppy" },
  { "mode", '\0', POPT_ARG_STRING, &opt_mode, 0, "readonly or shareable", "readonly|shareable" },
  { "print-xml", '\0', POPT_ARG_NONE, &opt_print_xml, 0, "print the disk XML, attach nothing",
    NULL },
  POPT_TABLEEND
};

static int opt_link_config;
const struct poptOption vctl_domif_link_options[] = {
  { "config", '\0', POPT_ARG_NONE, &opt_link_config, 0,
    "the definition (default: the running guest if it runs)", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_attach_interface_options[] = {
  AFFECT_OPTIONS,
  { "target", '\0', POPT_ARG_STRING, &opt_target, 0, "the host-side device name", "DEV" },
  { "mac", '\0', POPT_ARG_STRING, &opt_mac, 0, "the MAC address (default: libvirt picks one)",
    "MAC" },
  { "model", '\0', POPT_ARG_STRING, &opt_model, 0, "virtio, e1000, rtl8139, ...", "MODEL" },
  { "print-xml", '\0', POPT_ARG_NONE, &opt_print_xml, 0, "print the interface XML, attach nothing",
    NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_detach_disk_options[] = { AFFECT_OPTIONS, WAIT_OPTION, POPT_TABLEEND };

const struct poptOption vctl_detach_interface_options[] = {
  AFFECT_OPTIONS,
  { "mac", '\0', POPT_ARG_STRING, &opt_mac, 0, "the interface with this MAC (when it has several)",
    "MAC" },
  WAIT_OPTION,
  POPT_TABLEEND
};

const struct poptOption vctl_attach_device_options[] = { AFFECT_OPTIONS, POPT_TABLEEND };

const struct poptOption vctl_detach_device_options[] = { AFFECT_OPTIONS, WAIT_OPTION,
                                                         POPT_TABLEEND };

const struct poptOption vctl_change_media_options[] = {
  AFFECT_OPTIONS,
  { "eject", '\0', POPT_ARG_NONE, &opt_eject, 0, "take the medium out", NULL },
  { "insert", '\0', POPT_ARG_NONE, &opt_insert, 0, "put SOURCE into the empty drive", NULL },
  { "update", '\0', POPT_ARG_NONE, &opt_update, 0, "replace the medium with SOURCE (the default)",
    NULL },
  POPT_TABLEEND
};

bool
vctl_attach_option(int val, const char *arg, vk_error **errp)
{
  if (val != OPT_WAIT)
    return false;
  opt_wait = 1;
  return vctl_parse_secs("wait", arg, &opt_wait_ms, errp);
}

static bool affect(vk_cmd_ctx *ctx, unsigned *flags, int *rc);

/* Start of a handler that changes a device of the domain named by the
 * first argument: `flags` from --live/--config/--persistent/--current,
 * and what VCTL_DOMAIN_OR_RETURN declares. */
#define DEVICE_OR_RETURN()                                                                         \
  unsigned flags;                                                                                  \
  int prc;                                                                                         \
  if (!affect(ctx, &flags, &prc))                                                                  \
    return prc;                                                                                    \
  VCTL_DOMAIN_OR_RETURN(false)

static bool
affect(vk_cmd_ctx *ctx, unsigned *flags, int *rc)
{
  if ((*rc = vk_cmd_exclusive(ctx, "--current", opt_current, "--live", opt_live, NULL)) ||
      (*rc = vk_cmd_exclusive(ctx, "--current", opt_current, "--config", opt_config, NULL)) ||
      (*rc = vk_cmd_exclusive(ctx, "--current", opt_current, "--persistent", opt_persistent, NULL)))
    return false;
  *flags = (opt_live ? VK_DEV_LIVE : 0) | (opt_config ? VK_DEV_CONFIG : 0) |
           (opt_persistent ? VK_DEV_PERSISTENT : 0);
  return true;
}

/* The end of attach-disk and attach-interface: print the XML vkit built,
 * or attach it (`disk`: the disk's target, NULL for an interface). */
static int
attach_built(vk_cmd_ctx *ctx, const char *xml, unsigned flags, const char *disk)
{
  if (opt_print_xml) {
    fputs(xml, ctx->out);
    return 0;
  }
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_device_attach(dom, xml, flags, &err))
    return vk_cmd_fail(ctx, err);
  if (disk)
    fprintf(ctx->out, "Disk %s attached to domain '%s'\n", disk, virDomainGetName(dom));
  else
    fprintf(ctx->out, "Interface attached to domain '%s'\n", virDomainGetName(dom));
  return 0;
}

int
vctl_attach_disk(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  vk_disk_spec d = { 0 };
  unsigned flags;
  int prc;

  if (!affect(ctx, &flags, &prc))
    return prc;
  if (opt_type && strcmp(opt_type, "disk") != 0 && strcmp(opt_type, "cdrom") != 0 &&
      strcmp(opt_type, "floppy") != 0)
    return vk_cmd_usage(ctx, "--type: disk, cdrom or floppy, not '%s'", opt_type);
  if (opt_mode && strcmp(opt_mode, "readonly") != 0 && strcmp(opt_mode, "shareable") != 0)
    return vk_cmd_usage(ctx, "--mode: readonly or shareable, not '%s'", opt_mode);
  d.path = (char *)ctx->argv[1];
  d.target = (char *)ctx->argv[2];
  d.bus = (char *)opt_bus;
  d.format = (char *)opt_subdriver;
  d.cache = (char *)opt_cache;
  d.device = (char *)(opt_type ? opt_type : "disk");
  d.readonly = opt_mode && strcmp(opt_mode, "readonly") == 0;
  d.shareable = opt_mode && strcmp(opt_mode, "shareable") == 0;
  {
    vk_error *err = NULL;
    if (!(xml = vk_disk_xml(&d, &err)))
      return vk_cmd_fail(ctx, err);
  }
  return attach_built(ctx, xml, flags, ctx->argv[2]);
}

int
vctl_attach_interface(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  vk_net_spec n = { 0 };
  unsigned flags;
  int prc;

  if (!affect(ctx, &flags, &prc))
    return prc;
  n.type = (char *)ctx->argv[1];
  n.source = ctx->argc > 2 ? (char *)ctx->argv[2] : NULL;
  n.mac = (char *)opt_mac;
  n.model = (char *)opt_model;
  n.target = (char *)opt_target;
  if (strcmp(n.type, "user") != 0 && !n.source)
    return vk_cmd_usage(ctx, "a %s interface needs its SOURCE (network, bridge or device)", n.type);
  {
    vk_error *err = NULL;
    if (!(xml = vk_iface_xml(&n, &err)))
      return vk_cmd_fail(ctx, err);
  }
  return attach_built(ctx, xml, flags, NULL);
}

/* Detach the device `xml` describes, saying so as `what`. */
static int
detach(vk_cmd_ctx *ctx, virDomainPtr dom, const char *xml, unsigned flags, const char *what)
{
  vk_error *err = NULL;

  if (!vk_device_detach(dom, xml, flags, opt_wait, opt_wait_ms, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "%s detached from domain '%s'\n", what, virDomainGetName(dom));
  return 0;
}

int
vctl_detach_disk(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  char what[256];
  DEVICE_OR_RETURN();
  if (!(xml = vk_domain_find_disk(dom, ctx->argv[1], !vk_dev_affects_live(dom, flags), NULL, &err)))
    return vk_cmd_fail(ctx, err);
  snprintf(what, sizeof what, "Disk %s", ctx->argv[1]);
  return detach(ctx, dom, xml, flags, what);
}

int
vctl_detach_interface(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  DEVICE_OR_RETURN();
  if (!(xml = vk_domain_find_iface(dom, ctx->argv[1], opt_mac, !vk_dev_affects_live(dom, flags),
                                   NULL, &err)))
    return vk_cmd_fail(ctx, err);
  return detach(ctx, dom, xml, flags, "Interface");
}

int
vctl_attach_device(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  DEVICE_OR_RETURN();
  if (!(xml = vk_read_file(ctx->argv[1], &err)) || !vk_device_attach(dom, xml, flags, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Device attached to domain '%s' from %s\n", virDomainGetName(dom),
          ctx->argv[1]);
  return 0;
}

int
vctl_detach_device(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  DEVICE_OR_RETURN();
  if (!(xml = vk_read_file(ctx->argv[1], &err)))
    return vk_cmd_fail(ctx, err);
  return detach(ctx, dom, xml, flags, "Device");
}

int
vctl_detach_device_alias(vk_cmd_ctx *ctx)
{
  DEVICE_OR_RETURN();
  if (!vk_device_detach_alias(dom, ctx->argv[1], flags, opt_wait, opt_wait_ms, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Device %s detached from domain '%s'\n", ctx->argv[1], virDomainGetName(dom));
  return 0;
}

int
vctl_update_device(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  DEVICE_OR_RETURN();
  if (!(xml = vk_read_file(ctx->argv[1], &err)) || !vk_device_update(dom, xml, flags, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Device of domain '%s' updated from %s\n", virDomainGetName(dom), ctx->argv[1]);
  return 0;
}

int
vctl_change_media(vk_cmd_ctx *ctx)
{
  const char *source = ctx->argc > 2 ? ctx->argv[2] : NULL;
  unsigned flags;
  int prc;

  if (!affect(ctx, &flags, &prc))
    return prc;
  if (opt_eject + opt_insert + opt_update > 1)
    return vk_cmd_usage(ctx, "--eject, --insert and --update exclude each other");
  if (opt_eject && source)
    return vk_cmd_usage(ctx, "--eject takes no SOURCE");
  if (!opt_eject && !source)
    return vk_cmd_usage(ctx, "SOURCE, please (or --eject)");
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_change_media(dom, ctx->argv[1], opt_eject ? NULL : source, flags, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_eject)
    fprintf(ctx->out, "Successfully ejected media.\n");
  else
    fprintf(ctx->out, "Successfully %s media.\n", opt_insert ? "inserted" : "updated");
  return 0;
}

int
vctl_domif_getlink(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *state = NULL;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!(state = vk_iface_link_get(dom, ctx->argv[1], opt_link_config || virDomainIsActive(dom) != 1,
                                  &err)))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "%s %s\n", ctx->argv[1], state);
  return 0;
}

int
vctl_domif_setlink(vk_cmd_ctx *ctx)
{
  VCTL_DOMAIN_OR_RETURN(false);

  if (!vk_iface_link_set(dom, ctx->argv[1], ctx->argv[2], opt_link_config ? VK_DEV_CONFIG : 0,
                         &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Device updated successfully\n");
  return 0;
}
