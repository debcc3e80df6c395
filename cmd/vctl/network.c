/* vctl net-list, net-info, net-name, net-uuid, net-define, net-create,
 * net-define-as, net-create-as, net-start, net-destroy, net-undefine,
 * net-autostart, net-dumpxml, net-edit, net-update, net-dhcp-leases. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/text.h"
#include "util/json.h"
#include "virt/edit.h"
#include "virt/network.h"
#include "vctl.h"

static int opt_all, opt_name, opt_uuid, opt_json, opt_inactive, opt_idempotent, opt_disable;
static int opt_persistent, opt_transient, opt_autostart, opt_no_autostart, opt_print_xml;
static int opt_live, opt_config, opt_current, opt_parent_index = -1;
static const char *opt_mac, *opt_forward, *opt_bridge, *opt_ip, *opt_dhcp, *opt_domain, *opt_mtu;

const struct poptOption vctl_net_list_options[] = {
  { "all", '\0', POPT_ARG_NONE, &opt_all, 0, "also list inactive networks", NULL },
  { "inactive", '\0', POPT_ARG_NONE, &opt_inactive, 0, "list inactive networks only", NULL },
  { "persistent", '\0', POPT_ARG_NONE, &opt_persistent, 0, "only persistent networks", NULL },
  { "transient", '\0', POPT_ARG_NONE, &opt_transient, 0, "only transient networks", NULL },
  { "autostart", '\0', POPT_ARG_NONE, &opt_autostart, 0, "only networks started at boot", NULL },
  { "no-autostart", '\0', POPT_ARG_NONE, &opt_no_autostart, 0, "only networks not started at boot",
    NULL },
  { "name", '\0', POPT_ARG_NONE, &opt_name, 0, "print names only, one per line", NULL },
  { "uuid", '\0', POPT_ARG_NONE, &opt_uuid, 0,
    "print UUIDs only, one per line (with --name: UUID and name)", NULL },
  VK_OPT_JSON(opt_json, "print a JSON array"),
  POPT_TABLEEND
};

#define NET_AS_OPTIONS                                                                                  \
  { "forward",                                                                                          \
    '\0',                                                                                               \
    POPT_ARG_STRING,                                                                                    \
    &opt_forward,                                                                                       \
    0,                                                                                                  \
    "how guests reach out: nat (default), route, bridge (a bridge of the host), open, none",            \
    "nat|route|bridge|open|none" },                                                                     \
      { "bridge",                                                                                       \
        '\0',                                                                                           \
        POPT_ARG_STRING,                                                                                \
        &opt_bridge,                                                                                    \
        0,                                                                                              \
        "the bridge libvirt makes (default: virbrN); with --forward bridge the host's bridge",          \
        "BR" },                                                                                         \
      { "ip",         '\0', POPT_ARG_STRING,                                                            \
        &opt_ip,      0,    "the host's address on the network, IPv4 or IPv6",                          \
        "ADDR/PREFIX" },                                                                                \
      { "dhcp", '\0', POPT_ARG_STRING, &opt_dhcp, 0, "hand out these addresses by DHCP", "START-END" }, \
      { "domain", '\0', POPT_ARG_STRING, &opt_domain, 0, "the DNS domain of the guests", "NAME" },      \
      { "mtu", '\0', POPT_ARG_STRING, &opt_mtu, 0, "the bridge's MTU", "BYTES" },                       \
  {                                                                                                     \
    "print-xml", '\0', POPT_ARG_NONE, &opt_print_xml, 0, "print the network XML, define nothing",       \
        NULL                                                                                            \
  }

const struct poptOption vctl_net_define_as_options[] = { NET_AS_OPTIONS, POPT_TABLEEND };

const struct poptOption vctl_net_update_options[] = {
  { "parent-index", '\0', POPT_ARG_INT, &opt_parent_index, 0,
    "which <ip> (from 0) holds the element, when there are several", "N" },
  { "live", '\0', POPT_ARG_NONE, &opt_live, 0, "change the running network", NULL },
  { "config", '\0', POPT_ARG_NONE, &opt_config, 0, "change the persistent definition", NULL },
  { "current", '\0', POPT_ARG_NONE, &opt_current, 0,
    "change the running network if active, else the definition (default)", NULL },
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
  unsigned f = opt_all        ? 0
               : opt_inactive ? VIR_CONNECT_LIST_NETWORKS_INACTIVE
                              : VIR_CONNECT_LIST_NETWORKS_ACTIVE;

  if (opt_persistent != opt_transient)
    f |=
        opt_persistent ? VIR_CONNECT_LIST_NETWORKS_PERSISTENT : VIR_CONNECT_LIST_NETWORKS_TRANSIENT;
  if (opt_autostart != opt_no_autostart)
    f |= opt_autostart ? VIR_CONNECT_LIST_NETWORKS_AUTOSTART
                       : VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART;
  return vk_network_list(conn, f, &((vk_net_list *)opaque)[i], errp);
}

int
vctl_net_list(vk_cmd_ctx *ctx)
{
  vk_error *err = NULL;
  vk_net_list *lists;
  vctl_conns cs;
  int rc = 0;

  if ((opt_name || opt_uuid) && opt_json)
    return vk_cmd_usage(ctx, "--%s and --json exclude each other", opt_name ? "name" : "uuid");
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
  if (opt_name || opt_uuid) {
    for (size_t h = 0; h < cs.n; h++)
      for (size_t i = 0; i < lists[h].n; i++)
        fprintf(ctx->out, "%s%s%s\n", opt_uuid ? lists[h].nets[i].uuid : "",
                opt_uuid && opt_name ? " " : "", opt_name ? lists[h].nets[i].name : "");
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

int
vctl_net_name(vk_cmd_ctx *ctx)
{
  NETWORK_OR_RETURN(true);
  (void)err;
  fprintf(ctx->out, "%s\n", virNetworkGetName(net));
  return rc;
}

int
vctl_net_uuid(vk_cmd_ctx *ctx)
{
  char uuid[VIR_UUID_STRING_BUFLEN];
  NETWORK_OR_RETURN(true);

  if (virNetworkGetUUIDString(net, uuid) < 0) {
    vk_virt_error(&err, conn, "cannot get the UUID of network '%s'", ctx->argv[0]);
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, "%s\n", uuid);
  return rc;
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

static int
define_as(vk_cmd_ctx *ctx, bool create)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_NETWORK virNetworkPtr net = NULL;
  CLEANUP_FREE char *xml = NULL;
  vk_net_spec s = { .name = ctx->argv[0],
                    .forward = opt_forward,
                    .bridge = opt_bridge,
                    .ip = opt_ip,
                    .dhcp = opt_dhcp,
                    .domain = opt_domain };
  vk_error *err = NULL;
  uint64_t mtu = 0;
  int rc = 0;

  if (opt_mtu && !vctl_parse_uint("--mtu", opt_mtu, &mtu, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_mtu && (mtu < 68 || mtu > 65535))
    return vk_cmd_usage(ctx, "--mtu %s: 68-65535", opt_mtu);
  s.mtu = (unsigned)mtu;
  if (!(xml = vk_network_xml_build(&s, &err)))
    return vk_cmd_fail(ctx, err);
  if (opt_print_xml) {
    fputs(xml, ctx->out);
    return 0;
  }
  if (!(conn = vctl_open(ctx, false, &rc)))
    return rc;
  if (!(net = vk_network_define(conn, xml, create, &err)))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Network %s %s\n", virNetworkGetName(net), create ? "created" : "defined");
  return 0;
}

int
vctl_net_define_as(vk_cmd_ctx *ctx)
{
  return define_as(ctx, false);
}

int
vctl_net_create_as(vk_cmd_ctx *ctx)
{
  return define_as(ctx, true);
}

int
vctl_net_edit(vk_cmd_ctx *ctx)
{
  char label[512];
  NETWORK_OR_RETURN(false);

  (void)err;
  snprintf(label, sizeof label, "Network %s", virNetworkGetName(net));
  rc = vctl_edit_run(ctx, VK_EDIT_NETWORK, net, label);
  return rc;
}

int
vctl_net_update(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *file = NULL;
  const char *xml = ctx->argv[3];
  unsigned flags = 0;
  int active;

  if (opt_current && (opt_live || opt_config))
    return vk_cmd_usage(ctx, "--current excludes --live and --config");
  if (opt_parent_index < -1)
    return vk_cmd_usage(ctx, "--parent-index %d: 0 or more", opt_parent_index);
  NETWORK_OR_RETURN(false);
  /* as virsh: text starting with '<' is the element, anything else a file */
  if (xml[0] != '<') {
    if (!(file = vk_read_file_max(xml, 1u << 20, NULL, &err)))
      return vk_cmd_fail(ctx, err);
    xml = file;
  }
  if (opt_live)
    flags |= VIR_NETWORK_UPDATE_AFFECT_LIVE;
  if (opt_config)
    flags |= VIR_NETWORK_UPDATE_AFFECT_CONFIG;
  if (!vk_network_update(net, ctx->argv[1], ctx->argv[2], opt_parent_index, xml, flags, &err))
    return vk_cmd_fail(ctx, err);
  active = virNetworkIsActive(net);
  if (opt_live && opt_config)
    fprintf(ctx->out, "Updated network %s live state and persistent config\n",
            virNetworkGetName(net));
  else if (opt_live || (!opt_config && active == 1))
    fprintf(ctx->out, "Updated network %s live state\n", virNetworkGetName(net));
  else
    fprintf(ctx->out, "Updated network %s persistent config\n", virNetworkGetName(net));
  return 0;
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
