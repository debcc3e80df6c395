/* vkit — libvirt virtual networks. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/network.h"
#include "virt/xml.h"

/* libvirt's last error about net, "<what> network '<name>': <message>".
 * The error is saved first: getting the name resets it. */
static bool
net_error(vk_error **errp, virNetworkPtr net, const char *what)
{
  virErrorPtr e = virSaveLastError();
  const char *name = virNetworkGetName(net);
  char *full = NULL;
  bool r;

  if (asprintf(&full, "%s network '%s'", what, name ? name : "?") < 0)
    full = NULL;
  r = vk_virt_error_from(errp, virNetworkGetConnect(net), e, full ? full : what);
  free(full);
  return r;
}

void
vk_cleanup_network(virNetworkPtr *netp)
{
  if (*netp)
    virNetworkFree(*netp);
}

void
vk_net_entry_clear(vk_net_entry *e)
{
  free(e->name);
  free(e->bridge);
  memset(e, 0, sizeof *e);
}

/* Fill e from net, bridge included. */
static bool
entry_get(virNetworkPtr net, vk_net_entry *e, vk_error **errp)
{
  int active, persistent, autostart = 0;

  memset(e, 0, sizeof *e);
  if ((active = virNetworkIsActive(net)) < 0 || (persistent = virNetworkIsPersistent(net)) < 0 ||
      virNetworkGetAutostart(net, &autostart) < 0 || virNetworkGetUUIDString(net, e->uuid) < 0)
    return net_error(errp, net, "cannot get the state of");
  e->active = active == 1;
  e->persistent = persistent == 1;
  e->autostart = autostart != 0;
  if (!(e->name = strdup(virNetworkGetName(net))))
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot get the state of a network");
  /* a network without a bridge of its own (macvtap, hostdev) has none */
  e->bridge = virNetworkGetBridgeName(net);
  if (!e->bridge)
    virResetLastError();
  return true;
}

static int
entry_cmp(const void *a, const void *b)
{
  return strcmp(((const vk_net_entry *)a)->name, ((const vk_net_entry *)b)->name);
}

/* The UUIDs of the networks listed with `flags`, or NULL with *errp set
 * (*n is their count). */
static char (*list_uuids(virConnectPtr conn, unsigned flags, size_t *n,
                         vk_error **errp))[VIR_UUID_STRING_BUFLEN]
{
  virNetworkPtr *nets = NULL;
  int got = virConnectListAllNetworks(conn, &nets, flags);
  char (*uuids)[VIR_UUID_STRING_BUFLEN];

  if (got < 0) {
    vk_virt_error(errp, conn, "cannot list networks");
    return NULL;
  }
  uuids = calloc((size_t)got + 1, sizeof *uuids);
  for (int i = 0; i < got; i++) {
    if (uuids && virNetworkGetUUIDString(nets[i], uuids[i]) < 0)
      uuids[i][0] = '\0';
    virNetworkFree(nets[i]);
  }
  free(nets);
  if (!uuids)
    vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot list networks");
  *n = (size_t)got;
  return uuids;
}

static bool
listed(char (*uuids)[VIR_UUID_STRING_BUFLEN], size_t n, const char *uuid)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(uuids[i], uuid) == 0)
      return true;
  return false;
}

/* One listing call per state (active, persistent, autostart) rather than
 * three calls for every network: the networks are few, the calls are
 * round trips to the daemon. */
bool
vk_network_list(virConnectPtr conn, unsigned filter, vk_net_list *out, vk_error **errp)
{
  virNetworkPtr *nets = NULL;
  int n = virConnectListAllNetworks(conn, &nets, filter);
  CLEANUP_FREE char (*active)[VIR_UUID_STRING_BUFLEN] = NULL;
  CLEANUP_FREE char (*persistent)[VIR_UUID_STRING_BUFLEN] = NULL;
  CLEANUP_FREE char (*autostart)[VIR_UUID_STRING_BUFLEN] = NULL;
  size_t nact = 0, npers = 0, nauto = 0;
  bool ok = true;

  memset(out, 0, sizeof *out);
  if (n < 0)
    return vk_virt_error(errp, conn, "cannot list networks");
  if (n > 0 && !(out->nets = calloc((size_t)n, sizeof *out->nets))) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot list networks");
    ok = false;
  }
  for (int i = 0; i < n; i++) {
    if (ok) {
      vk_net_entry *e = &out->nets[out->n];
      if (virNetworkGetUUIDString(nets[i], e->uuid) < 0)
        ok = net_error(errp, nets[i], "cannot get the UUID of");
      else if (!(e->name = strdup(virNetworkGetName(nets[i]))))
        ok = vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot list networks");
      else
        out->n++;
    }
    virNetworkFree(nets[i]);
  }
  free(nets);
  if (ok && n > 0)
    ok = (active = list_uuids(conn, VIR_CONNECT_LIST_NETWORKS_ACTIVE, &nact, errp)) &&
         (persistent = list_uuids(conn, VIR_CONNECT_LIST_NETWORKS_PERSISTENT, &npers, errp)) &&
         (autostart = list_uuids(conn, VIR_CONNECT_LIST_NETWORKS_AUTOSTART, &nauto, errp));
  if (!ok) {
    vk_net_list_free(out);
    return false;
  }
  for (size_t i = 0; i < out->n; i++) {
    vk_net_entry *e = &out->nets[i];
    e->active = listed(active, nact, e->uuid);
    e->persistent = listed(persistent, npers, e->uuid);
    e->autostart = listed(autostart, nauto, e->uuid);
  }
  if (out->n > 1)
    qsort(out->nets, out->n, sizeof *out->nets, entry_cmp);
  return true;
}

void
vk_net_list_free(vk_net_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    vk_net_entry_clear(&l->nets[i]);
  free(l->nets);
  l->nets = NULL;
  l->n = 0;
}

bool
vk_network_info(virNetworkPtr net, vk_net_entry *out, vk_error **errp)
{
  if (entry_get(net, out, errp))
    return true;
  vk_net_entry_clear(out);
  return false;
}

virNetworkPtr
vk_network_lookup(virConnectPtr conn, const char *ident, vk_error **errp)
{
  virNetworkPtr net;

  if (vk_is_uuid(ident)) {
    if ((net = virNetworkLookupByUUIDString(conn, ident)))
      return net;
    virResetLastError();
  }
  if (!(net = virNetworkLookupByName(conn, ident)))
    vk_virt_error(errp, conn, "failed to get network '%s'", ident);
  return net;
}

virNetworkPtr
vk_network_define(virConnectPtr conn, const char *xml, bool create, vk_error **errp)
{
  virNetworkPtr net = create ? virNetworkCreateXML(conn, xml) : virNetworkDefineXML(conn, xml);

  if (!net)
    vk_virt_error(errp, conn, "cannot %s the network", create ? "create" : "define");
  return net;
}

/* Is net active (want) already?  1: yes (done, with *errp untouched when
 * idempotent), 0: no, go on; -1: error set. */
static int
already(virNetworkPtr net, bool want, unsigned flags, const char *state, vk_error **errp)
{
  int active = virNetworkIsActive(net);

  if (active < 0) {
    net_error(errp, net, "cannot get the state of");
    return -1;
  }
  if ((active == 1) != want)
    return 0;
  if (flags & VK_NET_IDEMPOTENT)
    return 1;
  vk_error_set(errp, VK_EXIT_BUSY, "network '%s' is %s", virNetworkGetName(net), state);
  return -1;
}

bool
vk_network_start(virNetworkPtr net, unsigned flags, bool *was, vk_error **errp)
{
  int r = already(net, true, flags, "already active", errp);

  if (was)
    *was = r > 0;
  if (r != 0)
    return r > 0;
  if (virNetworkCreate(net) < 0)
    return net_error(errp, net, "cannot start");
  return true;
}

bool
vk_network_destroy(virNetworkPtr net, unsigned flags, bool *was, vk_error **errp)
{
  int r = already(net, false, flags, "not active", errp);

  if (was)
    *was = r > 0;
  if (r != 0)
    return r > 0;
  if (virNetworkDestroy(net) < 0)
    return net_error(errp, net, "cannot destroy");
  return true;
}

bool
vk_network_undefine(virNetworkPtr net, vk_error **errp)
{
  if (virNetworkUndefine(net) < 0)
    return net_error(errp, net, "cannot undefine");
  return true;
}

bool
vk_network_set_autostart(virNetworkPtr net, bool on, vk_error **errp)
{
  if (virNetworkSetAutostart(net, on) < 0)
    return net_error(errp, net, on ? "cannot enable autostart for" : "cannot disable autostart for");
  return true;
}

char *
vk_network_xml(virNetworkPtr net, bool inactive, vk_error **errp)
{
  char *xml = virNetworkGetXMLDesc(net, inactive ? VIR_NETWORK_XML_INACTIVE : 0);

  if (!xml)
    net_error(errp, net, "cannot get the XML of");
  return xml;
}

static char *
dup_or_null(const char *s)
{
  return s && *s ? strdup(s) : NULL;
}

static int
lease_cmp(const void *a, const void *b)
{
  const vk_net_lease *x = a, *y = b;

  return x->expiry < y->expiry ? -1 : x->expiry > y->expiry;
}

bool
vk_network_leases(virNetworkPtr net, const char *mac, vk_net_lease_list *out, vk_error **errp)
{
  virNetworkDHCPLeasePtr *leases = NULL;
  int n = virNetworkGetDHCPLeases(net, mac, &leases, 0);
  bool ok = true;

  memset(out, 0, sizeof *out);
  if (n < 0)
    return net_error(errp, net, "cannot get the DHCP leases of");
  if (n > 0 && !(out->l = calloc((size_t)n, sizeof *out->l)))
    ok = false;
  for (int i = 0; i < n; i++) {
    virNetworkDHCPLeasePtr s = leases[i];
    if (ok) {
      vk_net_lease *d = &out->l[out->n++];
      d->expiry = s->expirytime;
      d->ipv6 = s->type == VIR_IP_ADDR_TYPE_IPV6;
      d->prefix = s->prefix;
      d->mac = dup_or_null(s->mac);
      d->addr = dup_or_null(s->ipaddr);
      d->hostname = dup_or_null(s->hostname);
      d->clientid = dup_or_null(s->clientid);
      d->iface = dup_or_null(s->iface);
      ok = (!s->mac || d->mac) && (!s->ipaddr || d->addr);
    }
    virNetworkDHCPLeaseFree(s);
  }
  free(leases);
  if (!ok) {
    vk_net_lease_list_free(out);
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot get DHCP leases");
  }
  if (out->n > 1)
    qsort(out->l, out->n, sizeof *out->l, lease_cmp);
  return true;
}

void
vk_net_lease_list_free(vk_net_lease_list *l)
{
  for (size_t i = 0; i < l->n; i++) {
    free(l->l[i].mac);
    free(l->l[i].addr);
    free(l->l[i].hostname);
    free(l->l[i].clientid);
    free(l->l[i].iface);
  }
  free(l->l);
  l->l = NULL;
  l->n = 0;
}

/* ------------------------------------------------------------ net-define-as */

/* An address of family af (AF_INET or AF_INET6) in bytes (4 or 16). */
typedef struct {
  int af;
  unsigned char b[16];
} addr;

static bool
parse_addr(const char *text, addr *a)
{
  a->af = strchr(text, ':') ? AF_INET6 : AF_INET;
  return inet_pton(a->af, text, a->b) == 1;
}

static size_t
addr_len(const addr *a)
{
  return a->af == AF_INET ? 4 : 16;
}

/* Do a and b agree in their first `prefix` bits? */
static bool
same_subnet(const addr *a, const addr *b, unsigned prefix)
{
  for (unsigned i = 0; i < prefix; i++)
    if (((a->b[i / 8] ^ b->b[i / 8]) >> (7 - i % 8)) & 1)
      return false;
  return true;
}

static int
addr_cmp(const addr *a, const addr *b)
{
  return memcmp(a->b, b->b, addr_len(a));
}

/* "ADDR/PREFIX" into *a, *prefix, and ADDR alone into buf. */
static bool
parse_ip(const char *text, addr *a, unsigned *prefix, char *buf, size_t bufsize, vk_error **errp)
{
  const char *slash = strchr(text, '/');
  char *end;
  unsigned long p;

  if (!slash || (size_t)(slash - text) >= bufsize)
    return vk_error_set(errp, VK_EXIT_USAGE, "--ip '%s': give ADDRESS/PREFIX (192.168.100.1/24)",
                        text);
  memcpy(buf, text, (size_t)(slash - text));
  buf[slash - text] = '\0';
  if (!parse_addr(buf, a))
    return vk_error_set(errp, VK_EXIT_USAGE, "--ip '%s': '%s' is not an IPv4 or IPv6 address", text,
                        buf);
  errno = 0;
  p = strtoul(slash + 1, &end, 10);
  if (!slash[1] || *end || errno || slash[1] == '-' || slash[1] == '+' ||
      p > (a->af == AF_INET ? 30u : 126u) || p < 1)
    return vk_error_set(errp, VK_EXIT_USAGE, "--ip '%s': the prefix must be 1-%u", text,
                        a->af == AF_INET ? 30u : 126u);
  *prefix = (unsigned)p;
  return true;
}

static bool
parse_range(const char *text, const addr *net, unsigned prefix, char *start, char *end,
            size_t bufsize, vk_error **errp)
{
  const char *dash = strchr(text, '-');
  addr s, e;

  if (!dash || (size_t)(dash - text) >= bufsize || strlen(dash + 1) >= bufsize)
    return vk_error_set(errp, VK_EXIT_USAGE, "--dhcp '%s': give START-END", text);
  memcpy(start, text, (size_t)(dash - text));
  start[dash - text] = '\0';
  strcpy(end, dash + 1);
  if (!parse_addr(start, &s) || !parse_addr(end, &e) || s.af != net->af || e.af != net->af)
    return vk_error_set(errp, VK_EXIT_USAGE, "--dhcp '%s': two %s addresses, START-END", text,
                        net->af == AF_INET ? "IPv4" : "IPv6");
  if (!same_subnet(&s, net, prefix) || !same_subnet(&e, net, prefix))
    return vk_error_set(errp, VK_EXIT_USAGE, "--dhcp '%s': the range is not inside --ip's subnet",
                        text);
  if (addr_cmp(&s, &e) > 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "--dhcp '%s': START is after END", text);
  if ((addr_cmp(&s, net) <= 0 && addr_cmp(net, &e) <= 0))
    return vk_error_set(errp, VK_EXIT_USAGE, "--dhcp '%s': the range holds the host's address",
                        text);
  return true;
}

char *
vk_network_xml_build(const vk_net_spec *s, vk_error **errp)
{
  static const char *const modes[] = { "nat", "route", "bridge", "open", "none" };
  const char *mode = s->forward ? s->forward : "nat";
  char ipbuf[INET6_ADDRSTRLEN + 1], start[INET6_ADDRSTRLEN + 1], end[INET6_ADDRSTRLEN + 1];
  char num[16];
  vk_xml_builder b = { 0 };
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  xmlNodePtr root, n;
  bool known = false, bridged;
  unsigned prefix = 0;
  addr a;
  char *xml;

  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
    known = known || strcmp(mode, modes[i]) == 0;
  if (!known) {
    vk_error_set(errp, VK_EXIT_USAGE, "--forward '%s': nat, route, bridge, open or none", mode);
    return NULL;
  }
  bridged = strcmp(mode, "bridge") == 0;
  if (!s->name || !*s->name) {
    vk_error_set(errp, VK_EXIT_USAGE, "a network needs a name");
    return NULL;
  }
  if (bridged && (!s->bridge || !*s->bridge)) {
    vk_error_set(errp, VK_EXIT_USAGE, "--forward bridge needs --bridge (the host's bridge)");
    return NULL;
  }
  if (bridged && (s->ip || s->dhcp || s->domain || s->mtu)) {
    vk_error_set(errp, VK_EXIT_USAGE,
                 "--forward bridge uses a bridge of the host: --ip, --dhcp, --domain and --mtu "
                 "belong to its own configuration");
    return NULL;
  }
  if (!bridged && !s->ip && (strcmp(mode, "nat") == 0 || strcmp(mode, "route") == 0)) {
    vk_error_set(errp, VK_EXIT_USAGE, "--forward %s needs --ip (the host's address on it)", mode);
    return NULL;
  }
  if (s->dhcp && !s->ip) {
    vk_error_set(errp, VK_EXIT_USAGE, "--dhcp needs --ip");
    return NULL;
  }
  if (s->bridge && (strlen(s->bridge) > 15 || !*s->bridge || strpbrk(s->bridge, " /\t\n"))) {
    vk_error_set(errp, VK_EXIT_USAGE, "--bridge '%s': a device name of 1-15 characters", s->bridge);
    return NULL;
  }
  if (s->mtu && (s->mtu < 68 || s->mtu > 65535)) {
    vk_error_set(errp, VK_EXIT_USAGE, "--mtu %u: 68-65535", s->mtu);
    return NULL;
  }
  if (s->ip && !parse_ip(s->ip, &a, &prefix, ipbuf, sizeof ipbuf, errp))
    return NULL;
  if (s->dhcp && !parse_range(s->dhcp, &a, prefix, start, end, sizeof start, errp))
    return NULL;
  if (!(doc = xmlNewDoc(BAD_CAST "1.0")) ||
      !(root = xmlNewDocNode(doc, NULL, BAD_CAST "network", NULL))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  xmlDocSetRootElement(doc, root);
  vk_xml_add(&b, root, "name", s->name);
  if (strcmp(mode, "none") != 0)
    vk_xml_set(&b, vk_xml_add(&b, root, "forward", NULL), "mode", mode);
  if (s->bridge || !bridged) {
    n = vk_xml_add(&b, root, "bridge", NULL);
    vk_xml_set(&b, n, "name", s->bridge);
    if (!bridged) {
      vk_xml_set(&b, n, "stp", "on");
      vk_xml_set(&b, n, "delay", "0");
    }
  }
  if (s->mtu) {
    snprintf(num, sizeof num, "%u", s->mtu);
    vk_xml_set(&b, vk_xml_add(&b, root, "mtu", NULL), "size", num);
  }
  if (s->domain)
    vk_xml_set(&b, vk_xml_add(&b, root, "domain", NULL), "name", s->domain);
  if (s->ip) {
    n = vk_xml_add(&b, root, "ip", NULL);
    if (a.af == AF_INET6)
      vk_xml_set(&b, n, "family", "ipv6");
    vk_xml_set(&b, n, "address", ipbuf);
    snprintf(num, sizeof num, "%u", prefix);
    vk_xml_set(&b, n, "prefix", num);
    if (s->dhcp) {
      xmlNodePtr r = vk_xml_add(&b, vk_xml_add(&b, n, "dhcp", NULL), "range", NULL);
      vk_xml_set(&b, r, "start", start);
      vk_xml_set(&b, r, "end", end);
    }
  }
  if (!(xml = vk_xml_serialize(&b, doc)))
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return xml;
}

/* ------------------------------------------------------------ net-update */

static const struct {
  const char *name;
  int section;
} sections[] = {
  { "bridge", VIR_NETWORK_SECTION_BRIDGE },
  { "domain", VIR_NETWORK_SECTION_DOMAIN },
  { "ip", VIR_NETWORK_SECTION_IP },
  { "ip-dhcp-host", VIR_NETWORK_SECTION_IP_DHCP_HOST },
  { "ip-dhcp-range", VIR_NETWORK_SECTION_IP_DHCP_RANGE },
  { "forward", VIR_NETWORK_SECTION_FORWARD },
  { "forward-interface", VIR_NETWORK_SECTION_FORWARD_INTERFACE },
  { "forward-pf", VIR_NETWORK_SECTION_FORWARD_PF },
  { "portgroup", VIR_NETWORK_SECTION_PORTGROUP },
  { "dns-host", VIR_NETWORK_SECTION_DNS_HOST },
  { "dns-txt", VIR_NETWORK_SECTION_DNS_TXT },
  { "dns-srv", VIR_NETWORK_SECTION_DNS_SRV },
};

const char vk_net_update_sections[] =
    "bridge, domain, ip, ip-dhcp-host, ip-dhcp-range, forward, forward-interface, forward-pf, "
    "portgroup, dns-host, dns-txt, dns-srv";

bool
vk_network_update(virNetworkPtr net, const char *command, const char *section, int parent_index,
                  const char *xml, unsigned flags, vk_error **errp)
{
  int cmd = -1, sec = -1;
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;

  if (strcmp(command, "add") == 0 || strcmp(command, "add-last") == 0)
    cmd = VIR_NETWORK_UPDATE_COMMAND_ADD_LAST;
  else if (strcmp(command, "add-first") == 0)
    cmd = VIR_NETWORK_UPDATE_COMMAND_ADD_FIRST;
  else if (strcmp(command, "delete") == 0)
    cmd = VIR_NETWORK_UPDATE_COMMAND_DELETE;
  else if (strcmp(command, "modify") == 0)
    cmd = VIR_NETWORK_UPDATE_COMMAND_MODIFY;
  else
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "'%s': the command is add, add-first, add-last, delete or modify", command);
  for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
    if (strcmp(section, sections[i].name) == 0)
      sec = sections[i].section;
  if (sec < 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "'%s': the section is one of %s", section,
                        vk_net_update_sections);
  if (!(doc = vk_xml_read(xml, strlen(xml), "the element")) || !xmlDocGetRootElement(doc))
    return vk_error_set(errp, VK_EXIT_USAGE, "the element to %s is not well-formed XML", command);
  if (virNetworkUpdate(net, (unsigned)cmd, (unsigned)sec, parent_index, xml, flags) < 0)
    return net_error(errp, net, "cannot update");
  return true;
}
