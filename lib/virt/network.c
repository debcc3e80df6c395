/* vkit — libvirt virtual networks. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/network.h"

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
vk_network_list(virConnectPtr conn, bool all, vk_net_list *out, vk_error **errp)
{
  virNetworkPtr *nets = NULL;
  int n = virConnectListAllNetworks(conn, &nets, all ? 0 : VIR_CONNECT_LIST_NETWORKS_ACTIVE);
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
