/* vctl net-list, net-info, net-define, net-create, net-start, net-destroy,
 * net-undefine, net-autostart, net-dumpxml, net-dhcp-leases. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "virt/network.h"
#include "vctl.h"

static int opt_all, opt_name, opt_json, opt_inactive, opt_idempotent, opt_disable;
static const char *opt_mac;

const struct poptOption vctl_net_list_options[] = {
  { "all", '\0', POPT_ARG_NONE, &opt_all, 0, "also list inactive networks", NULL },
  { "name", '\0', POPT_ARG_NONE, &opt_name, 0, "print names only, one per line", NULL },
  VK_OPT_JSON(opt_json, "print a JSON array"),
  POPT_TABLEEND
};

const struct poptOption vctl_net_info_options[] = {
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_net_idem_options[] = {
  { "idempotent", '\0', POPT_ARG_NONE, &opt_idempotent, 0,
    "succeed (exit 0) when the network is already in the requested state", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_net_autostart_options[] = {
  { "disable", '\0', POPT_ARG_NONE, &opt_disable, 0, "turn autostart off", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_net_dumpxml_options[] = {
  { "inactive", '\0', POPT_ARG_NONE, &opt_inactive, 0,
    "print the persistent definition, not the running one", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_net_leases_options[] = {
  { "mac", '\0', POPT_ARG_STRING, &opt_mac, 0, "only the leases of this MAC address", "MAC" },
  VK_OPT_JSON(opt_json, "print a JSON array"),
  POPT_TABLEEND
};

/* The connection and the network named by the first argument, or NULL
 * after printing the error (exit status in *rc). */
static virNetworkPtr
get_network(const vk_cmd_ctx *ctx, bool readonly, virConnectPtr *conn, int *rc)
{
  vk_error *err = NULL;
  virNetworkPtr net;

  if (!(*conn = vctl_open(ctx, readonly, rc)))
    return NULL;
  if (!(net = vk_network_lookup(*conn, ctx->argv[0], &err)))
    *rc = vk_cmd_fail(ctx, err);
  return net;
}

#define NETWORK_OR_RETURN(readonly) \
  CLEANUP_CONN virConnectPtr conn = NULL; \
  CLEANUP_NETWORK virNetworkPtr net = NULL; \
  vk_error *err = NULL; \
  int rc = 0; \
  if (!(net = get_network(ctx, (readonly), &conn, &rc))) \
    return rc

static const char *
yes_no(bool v)
{
  return v ? "yes" : "no";
}

static bool
fetch_nets(virConnectPtr conn, size_t i, void *opaque, vk_error **errp)
{
  return vk_network_list(conn, opt_all, &((vk_net_list *)opaque)[i], errp);
}

int
vctl_net_list(vk_cmd_ctx *ctx)
{
  vk_error *err = NULL;
  vk_net_list *lists;
  vctl_conns cs;
  int rc = 0;

  if (opt_name && opt_json)
    return vk_cmd_usage(ctx, "--name and --json exclude each other");
  rc = vctl_open_all(ctx, true, &cs);
  if (!cs.n)
    return rc;
  if (!(lists = calloc(cs.n, sizeof *lists))) {
    vctl_conns_close(&cs);
    vk_error_set(&err, VK_EXIT_FAILED, "out of memory");
    return vk_cmd_fail(ctx, err);
  }
  if (!vctl_fetch_all(ctx, &cs, fetch_nets, lists, &rc)) {
    free(lists);
    vctl_conns_close(&cs);
    return rc;
  }
  if (opt_name) {
    for (size_t h = 0; h < cs.n; h++)
      for (size_t i = 0; i < lists[h].n; i++)
        fprintf(ctx->out, "%s\n", lists[h].nets[i].name);
  } else if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t h = 0; h < cs.n; h++) {
      if (vctl_json_host_error(j, &cs, h))
        continue;
      for (size_t i = 0; i < lists[h].n; i++) {
        vk_net_entry *e = &lists[h].nets[i];
        vk_json_begin_object(j);
        if (cs.many)
          vk_json_kv_string(j, "host", vctl_conns_uri(&cs, h));
        vk_json_kv_string(j, "name", e->name);
        vk_json_kv_string(j, "uuid", e->uuid);
        vk_json_kv_bool(j, "active", e->active);
        vk_json_kv_bool(j, "persistent", e->persistent);
        vk_json_kv_bool(j, "autostart", e->autostart);
        vk_json_end_object(j);
      }
    }
    vk_json_end_array(j);
  } else {
    static const char *const head[] = { "Host", "Name", "State", "Autostart", "Persistent" };
    size_t skip = cs.many ? 0 : 1;
    vk_table *t = vk_table_new(5 - skip, head + skip);
    int prc;
    for (size_t h = 0; h < cs.n; h++) {
      for (size_t i = 0; i < lists[h].n; i++) {
        vk_net_entry *e = &lists[h].nets[i];
        const char *row[] = { vctl_conns_name(&cs, h), e->name, e->active ? "active" : "inactive",
                              yes_no(e->autostart), yes_no(e->persistent) };
        vk_table_add(t, row + skip);
      }
    }
    if ((prc = vctl_print_table(ctx, t)))
      rc = prc;
  }
  for (size_t h = 0; h < cs.n; h++)
    vk_net_list_free(&lists[h]);
  free(lists);
  vctl_conns_close(&cs);
  ctx->partial = rc != 0;
  return rc;
}

int
vctl_net_info(vk_cmd_ctx *ctx)
{
  vk_net_entry e;
  NETWORK_OR_RETURN(true);

  if (!vk_network_info(net, &e, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    vk_json_kv_string(j, "name", e.name);
    vk_json_kv_string(j, "uuid", e.uuid);
    vk_json_kv_bool(j, "active", e.active);
    vk_json_kv_bool(j, "persistent", e.persistent);
    vk_json_kv_bool(j, "autostart", e.autostart);
    vk_json_kv_string(j, "bridge", e.bridge);
    vk_json_end_object(j);
  } else {
    /* virsh's layout */
    fprintf(ctx->out, "%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n", "Name:", e.name, "UUID:",
            e.uuid, "Active:", yes_no(e.active), "Persistent:", yes_no(e.persistent), "Autostart:",
            yes_no(e.autostart));
    if (e.bridge)
      fprintf(ctx->out, "%-15s %s\n", "Bridge:", e.bridge);
  }
  vk_net_entry_clear(&e);
  return 0;
}

static int
define_or_create(vk_cmd_ctx *ctx, bool create)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_NETWORK virNetworkPtr net = NULL;
  CLEANUP_FREE char *xml = NULL;
  vk_error *err = NULL;
  int rc = 0;

  if (!(xml = vctl_read_xml(ctx, &conn, &rc)))
    return rc;
  if (!(net = vk_network_define(conn, xml, create, &err))) {
    vk_error_prefix(&err, "%s", ctx->argv[0]);
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, "Network %s %s from %s\n", virNetworkGetName(net), create ? "created" : "defined",
          ctx->argv[0]);
  return 0;
}

int
vctl_net_define(vk_cmd_ctx *ctx)
{
  return define_or_create(ctx, false);
}

int
vctl_net_create(vk_cmd_ctx *ctx)
{
  return define_or_create(ctx, true);
}

int
vctl_net_start(vk_cmd_ctx *ctx)
{
  bool was;

  NETWORK_OR_RETURN(false);
  if (!vk_network_start(net, opt_idempotent ? VK_NET_IDEMPOTENT : 0, &was, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, was ? "Network %s is already active\n" : "Network %s started\n",
          virNetworkGetName(net));
  return 0;
}

int
vctl_net_destroy(vk_cmd_ctx *ctx)
{
  bool was;

  NETWORK_OR_RETURN(false);
  if (!vk_network_destroy(net, opt_idempotent ? VK_NET_IDEMPOTENT : 0, &was, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, was ? "Network %s is not active\n" : "Network %s destroyed\n",
          virNetworkGetName(net));
  return 0;
}

int
vctl_net_undefine(vk_cmd_ctx *ctx)
{
  NETWORK_OR_RETURN(false);
  if (!vk_network_undefine(net, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Network %s has been undefined\n", virNetworkGetName(net));
  return 0;
}

int
vctl_net_autostart(vk_cmd_ctx *ctx)
{
  NETWORK_OR_RETURN(false);
  if (!vk_network_set_autostart(net, !opt_disable, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, opt_disable ? "Network %s unmarked as autostarted\n" : "Network %s marked as autostarted\n",
          virNetworkGetName(net));
  return 0;
}

int
vctl_net_dumpxml(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  NETWORK_OR_RETURN(true);

  if (!(xml = vk_network_xml(net, opt_inactive, &err)))
    return vk_cmd_fail(ctx, err);
  fputs(xml, ctx->out);
  return 0;
}

int
vctl_net_dhcp_leases(vk_cmd_ctx *ctx)
{
  vk_net_lease_list l;
  NETWORK_OR_RETURN(true);

  if (!vk_network_leases(net, opt_mac, &l, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; i < l.n; i++) {
      vk_net_lease *s = &l.l[i];
      vk_json_begin_object(j);
      vk_json_kv_int(j, "expiry", s->expiry);
      vk_json_kv_string(j, "mac", s->mac);
      vk_json_kv_string(j, "protocol", s->ipv6 ? "ipv6" : "ipv4");
      vk_json_kv_string(j, "address", s->addr);
      vk_json_kv_uint(j, "prefix", s->prefix);
      vk_json_kv_string(j, "hostname", s->hostname);
      vk_json_kv_string(j, "client_id", s->clientid);
      vk_json_kv_string(j, "interface", s->iface);
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
  } else {
    static const char *const head[] = { "Expiry Time", "MAC address", "Protocol", "IP address",
                                        "Hostname", "Client ID or DUID" };
    vk_table *t = vk_table_new(6, head);
    for (size_t i = 0; i < l.n; i++) {
      vk_net_lease *s = &l.l[i];
      char when[32] = "", addr[160];
      time_t tt = (time_t)s->expiry;
      struct tm tm;
      const char *row[] = { when, s->mac, s->ipv6 ? "ipv6" : "ipv4", addr, s->hostname, s->clientid };

      if (localtime_r(&tt, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
      snprintf(addr, sizeof addr, "%s/%u", s->addr ? s->addr : "-", s->prefix);
      vk_table_add(t, row);
    }
    rc = vctl_print_table(ctx, t);
  }
  vk_net_lease_list_free(&l);
  return rc;
}
