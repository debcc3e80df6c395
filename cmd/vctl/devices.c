/* vctl domblklist, domiflist, domifaddr, vncdisplay. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "virt/domparse.h"
#include "virt/ifaddr.h"
#include "virt/table.h"
#include "vctl.h"

static int opt_json, opt_details, opt_inactive, opt_full;
static const char *opt_source;
static int opt_wait_ms;

enum { OPT_WAIT = 1 };

const struct poptOption vctl_domblklist_options[] = {
  { "details", '\0', POPT_ARG_NONE, &opt_details, 0, "also show the disk type and device", NULL },
  { "inactive", '\0', POPT_ARG_NONE, &opt_inactive, 0, "read the persistent definition", NULL },
  { "json", '\0', POPT_ARG_NONE, &opt_json, 0, "print a JSON array", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_domiflist_options[] = {
  { "inactive", '\0', POPT_ARG_NONE, &opt_inactive, 0, "read the persistent definition", NULL },
  { "json", '\0', POPT_ARG_NONE, &opt_json, 0, "print a JSON array", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_domifaddr_options[] = {
  { "source", '\0', POPT_ARG_STRING, &opt_source, 0,
    "where to learn addresses: lease (default), agent, arp", "SOURCE" },
  { "full", '\0', POPT_ARG_NONE, &opt_full, 0, "repeat name and MAC on every line", NULL },
  { "wait", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, OPT_WAIT,
    "wait until an address is known (at most SECS seconds)", "SECS" },
  { "json", '\0', POPT_ARG_NONE, &opt_json, 0, "print a JSON array", NULL },
  POPT_TABLEEND
};

bool
vctl_devices_option(int val, const char *arg, vk_error **errp)
{
  if (val == OPT_WAIT)
    return vctl_parse_secs("wait", arg, &opt_wait_ms, errp);
  return false;
}

static bool need_rw;   /* the guest agent needs a read-write connection */

static virDomainPtr
get_domain(vk_cmd_ctx *ctx, virConnectPtr *conn, int *rc)
{
  vk_error *err = NULL;
  virDomainPtr dom;

  if (!(*conn = vctl_open(ctx, !need_rw, rc)))
    return NULL;
  if (!(dom = vk_domain_lookup(*conn, ctx->argv[0], &err)))
    *rc = vk_cmd_fail(ctx, err);
  return dom;
}

#define DOMAIN_OR_RETURN() \
  CLEANUP_CONN virConnectPtr conn = NULL; \
  CLEANUP_DOMAIN virDomainPtr dom = NULL; \
  vk_error *err = NULL; \
  int rc = 0; \
  if (!(dom = get_domain(ctx, &conn, &rc))) \
    return rc

static int
print_table(vk_cmd_ctx *ctx, vk_table *t)
{
  if (!t) {
    vk_error *err = NULL;
    vk_error_set(&err, VK_EXIT_FAILED, "out of memory");
    return vk_cmd_fail(ctx, err);
  }
  vk_table_print(t, ctx->out);
  fputc('\n', ctx->out);
  vk_table_free(t);
  return 0;
}

/* Add a row; on failure free the table and return NULL. */
static vk_table *
add(vk_table *t, const char *const *row)
{
  if (t && !vk_table_add(t, row)) {
    vk_table_free(t);
    return NULL;
  }
  return t;
}

int
vctl_domblklist(vk_cmd_ctx *ctx)
{
  vk_domxml d;
  DOMAIN_OR_RETURN();

  if (!vk_domxml_get(dom, opt_inactive, &d, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json *j = vk_json_new(ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; i < d.ndisks; i++) {
      vk_disk_info *k = &d.disks[i];
      vk_json_begin_object(j);
      vk_json_kv_string(j, "target", k->target);
      vk_json_kv_string(j, "source", k->source);
      vk_json_kv_string(j, "type", k->type);
      vk_json_kv_string(j, "device", k->device);
      vk_json_kv_string(j, "bus", k->bus);
      vk_json_kv_string(j, "format", k->format);
      vk_json_kv_bool(j, "readonly", k->readonly);
      vk_json_kv_bool(j, "shareable", k->shareable);
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
    vk_json_free(j);
    vk_domxml_free(&d);
    return 0;
  }
  {
    static const char *const h1[] = { "Target", "Source" };
    static const char *const h2[] = { "Type", "Device", "Target", "Source" };
    vk_table *t = opt_details ? vk_table_new(4, h2) : vk_table_new(2, h1);
    for (size_t i = 0; i < d.ndisks; i++) {
      vk_disk_info *k = &d.disks[i];
      const char *r1[] = { k->target, k->source };
      const char *r2[] = { k->type, k->device, k->target, k->source };
      t = add(t, opt_details ? r2 : r1);
    }
    vk_domxml_free(&d);
    return print_table(ctx, t);
  }
}

int
vctl_domiflist(vk_cmd_ctx *ctx)
{
  vk_domxml d;
  DOMAIN_OR_RETURN();

  if (!vk_domxml_get(dom, opt_inactive, &d, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json *j = vk_json_new(ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; i < d.nifaces; i++) {
      vk_iface_info *f = &d.ifaces[i];
      vk_json_begin_object(j);
      vk_json_kv_string(j, "interface", f->target);
      vk_json_kv_string(j, "type", f->type);
      vk_json_kv_string(j, "source", f->source);
      vk_json_kv_string(j, "model", f->model);
      vk_json_kv_string(j, "mac", f->mac);
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
    vk_json_free(j);
    vk_domxml_free(&d);
    return 0;
  }
  {
    static const char *const h[] = { "Interface", "Type", "Source", "Model", "MAC" };
    vk_table *t = vk_table_new(5, h);
    for (size_t i = 0; i < d.nifaces; i++) {
      vk_iface_info *f = &d.ifaces[i];
      const char *r[] = { f->target, f->type, f->source, f->model, f->mac };
      t = add(t, r);
    }
    vk_domxml_free(&d);
    return print_table(ctx, t);
  }
}

int
vctl_domifaddr(vk_cmd_ctx *ctx)
{
  vk_ifaddr_list l;
  int source = opt_source ? vk_ifaddr_source(opt_source) : VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE;

  if (source < 0)
    return vk_cmd_usage(ctx, "--source: '%s' is not one of lease, agent, arp", opt_source);
  need_rw = source == VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT;
  DOMAIN_OR_RETURN();
  if (!vk_domain_ifaddrs(dom, source, opt_wait_ms, &l, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json *j = vk_json_new(ctx->out);
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
    vk_json_free(j);
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
  DOMAIN_OR_RETURN();

  if (!(disp = vk_domain_vnc_display(dom, &err)))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "%s\n", disp);
  return 0;
}
