/* vctl domblklist, domiflist, domifaddr, vncdisplay. */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "virt/domparse.h"
#include "virt/ifaddr.h"
#include "vctl.h"

static int opt_json, opt_details, opt_inactive, opt_full;
static const char *opt_source;
static int opt_wait_ms;

enum { OPT_WAIT = 1 };

const struct poptOption vctl_domblklist_options[] = {
  { "details", '\0', POPT_ARG_NONE, &opt_details, 0, "also show the disk type and device", NULL },
  { "inactive", '\0', POPT_ARG_NONE, &opt_inactive, 0, "read the persistent definition", NULL },
  VK_OPT_JSON(opt_json, "print a JSON array"),
  POPT_TABLEEND
};

const struct poptOption vctl_domiflist_options[] = {
  { "inactive", '\0', POPT_ARG_NONE, &opt_inactive, 0, "read the persistent definition", NULL },
  VK_OPT_JSON(opt_json, "print a JSON array"),
  POPT_TABLEEND
};

const struct poptOption vctl_domifaddr_options[] = {
  { "source", '\0', POPT_ARG_STRING, &opt_source, 0,
    "where to learn addresses: lease (default), agent, arp", "SOURCE" },
  { "full", '\0', POPT_ARG_NONE, &opt_full, 0, "repeat name and MAC on every line", NULL },
  { "wait", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, OPT_WAIT,
    "wait until an address is known (at most SECS seconds)", "SECS" },
  VK_OPT_JSON(opt_json, "print a JSON array"),
  POPT_TABLEEND
};

bool
vctl_devices_option(int val, const char *arg, vk_error **errp)
{
  if (val == OPT_WAIT)
    return vctl_parse_secs("wait", arg, &opt_wait_ms, errp);
  return false;
}

#define DISK(f) offsetof(vk_disk_info, f)
static const vctl_field disk_fields[] = {
  { "target", "Target", DISK(target), false },
  { "source", "Source", DISK(source), false },
  { "type", "Type", DISK(type), false },
  { "device", "Device", DISK(device), false },
  { "bus", NULL, DISK(bus), false },
  { "format", NULL, DISK(format), false },
  { "readonly", NULL, DISK(readonly), true },
  { "shareable", NULL, DISK(shareable), true },
};

#define IFACE(f) offsetof(vk_iface_info, f)
static const vctl_field iface_fields[] = {
  { "interface", "Interface", IFACE(target), false },
  { "type", "Type", IFACE(type), false },
  { "source", "Source", IFACE(source), false },
  { "model", "Model", IFACE(model), false },
  { "mac", "MAC", IFACE(mac), false },
};

int
vctl_domblklist(vk_cmd_ctx *ctx)
{
  static const int plain[] = { 0, 1, -1 }, details[] = { 2, 3, 0, 1, -1 };
  vk_domxml d;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!vk_domxml_get(dom, opt_inactive, &d, &err))
    return vk_cmd_fail(ctx, err);
  rc = vctl_print_records(ctx, opt_json, d.disks, d.ndisks, sizeof *d.disks, disk_fields,
                          sizeof disk_fields / sizeof *disk_fields, opt_details ? details : plain);
  vk_domxml_free(&d);
  return rc;
}

int
vctl_domiflist(vk_cmd_ctx *ctx)
{
  static const int cols[] = { 0, 1, 2, 3, 4, -1 };
  vk_domxml d;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!vk_domxml_get(dom, opt_inactive, &d, &err))
    return vk_cmd_fail(ctx, err);
  rc = vctl_print_records(ctx, opt_json, d.ifaces, d.nifaces, sizeof *d.ifaces, iface_fields,
                          sizeof iface_fields / sizeof *iface_fields, cols);
  vk_domxml_free(&d);
  return rc;
}

int
vctl_domifaddr(vk_cmd_ctx *ctx)
{
  vk_ifaddr_list l;
  int source = opt_source ? vk_ifaddr_source(opt_source) : VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE;

  if (source < 0)
    return vk_cmd_usage(ctx, "--source: '%s' is not one of lease, agent, arp", opt_source);
  /* the guest agent needs a read-write connection */
  VCTL_DOMAIN_OR_RETURN(source != VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT);
  if (!vk_domain_ifaddrs(dom, source, opt_wait_ms, &l, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; i < l.n; i++) {
      vk_ifaddr *a = &l.a[i];
      vk_json_begin_object(j);
      vk_json_kv_string(j, "interface", a->ifname);
      vk_json_kv_string(j, "mac", a->mac);
      if (a->addr) {
        vk_json_kv_string(j, "protocol", a->ipv6 ? "ipv6" : "ipv4");
        vk_json_kv_string(j, "address", a->addr);
        vk_json_kv_uint(j, "prefix", a->prefix);
      } else {
        vk_json_kv_null(j, "protocol");
        vk_json_kv_null(j, "address");
        vk_json_kv_null(j, "prefix");
      }
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
  } else {
    /* virsh's fixed-width layout */
    fprintf(ctx->out, " %-10s %-20s %-8s     %s\n%s\n", "Name", "MAC address", "Protocol", "Address",
            "-------------------------------------------------------------------------------");
    for (size_t i = 0; i < l.n; i++) {
      vk_ifaddr *a = &l.a[i];
      bool repeat = !opt_full && i > 0 && strcmp(l.a[i - 1].ifname, a->ifname) == 0;
      char addr[128];

      if (a->addr)
        snprintf(addr, sizeof addr, "%s/%u", a->addr, a->prefix);
      fprintf(ctx->out, " %-10s %-17s    %-12s %s\n", repeat ? "-" : a->ifname,
              repeat ? "-" : a->mac ? a->mac : "N/A", a->addr ? (a->ipv6 ? "ipv6" : "ipv4") : "N/A",
              a->addr ? addr : "N/A");
    }
    fputc('\n', ctx->out);
  }
  vk_ifaddr_list_free(&l);
  return 0;
}

int
vctl_vncdisplay(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *disp = NULL;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!(disp = vk_domain_vnc_display(dom, &err)))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "%s\n", disp);
  return 0;
}
