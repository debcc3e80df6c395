/* vkit — libvirt virtual networks: list, look up, define, start, stop,
 * undefine, autostart, XML and DHCP leases. */
#ifndef VK_VIRT_NETWORK_H
#define VK_VIRT_NETWORK_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

enum {
  VK_NET_IDEMPOTENT = 1 << 0,   /* already in the asked state: success */
};

/* One network, as net-list and net-info show it. */
typedef struct vk_net_entry {
  char *name;
  char uuid[VIR_UUID_STRING_BUFLEN];
  bool active, persistent, autostart;
  char *bridge;                 /* bridge device, or NULL (none, or not said) */
} vk_net_entry;

typedef struct vk_net_list {
  vk_net_entry *nets;
  size_t n;
} vk_net_list;

/* The networks libvirt lists with `filter` (VIR_CONNECT_LIST_NETWORKS_*:
 * active/inactive, persistent/transient, autostart/no-autostart; 0: all),
 * sorted by name.  Returns false with *errp set; free with
 * vk_net_list_free(). */
bool vk_network_list(virConnectPtr conn, unsigned filter, vk_net_list *out, vk_error **errp);
void vk_net_list_free(vk_net_list *l);

/* Fill *out with the facts about net (bridge included).  Returns false
 * with *errp set; clear with vk_net_entry_clear(). */
bool vk_network_info(virNetworkPtr net, vk_net_entry *out, vk_error **errp);
void vk_net_entry_clear(vk_net_entry *e);

/* Find a network by UUID or name, like virsh.  Returns a new reference
 * (virNetworkFree / CLEANUP_NETWORK) or NULL with *errp set:
 * VK_EXIT_NOTFOUND when no network matches. */
virNetworkPtr vk_network_lookup(virConnectPtr conn, const char *ident, vk_error **errp);

/* Define a persistent network (or, create: start a transient one) from
 * XML.  Returns a new reference or NULL with *errp set (USAGE for bad
 * XML, BUSY for a name another network holds). */
virNetworkPtr vk_network_define(virConnectPtr conn, const char *xml, bool create, vk_error **errp);

/* Start / stop net.  Already in that state: BUSY, or success with
 * VK_NET_IDEMPOTENT.  Return false with *errp set. */
/* *was (may be NULL) tells, with VK_NET_IDEMPOTENT, that the network was
 * in the state asked for already and nothing was done. */
bool vk_network_start(virNetworkPtr net, unsigned flags, bool *was, vk_error **errp);
bool vk_network_destroy(virNetworkPtr net, unsigned flags, bool *was, vk_error **errp);

/* Remove net's persistent definition (a running network goes on as a
 * transient one, as libvirt does it).  A transient network: BUSY.
 * Returns false with *errp set. */
bool vk_network_undefine(virNetworkPtr net, vk_error **errp);

/* Turn autostart on or off.  Returns false with *errp set. */
bool vk_network_set_autostart(virNetworkPtr net, bool on, vk_error **errp);

/* The XML of net (inactive: its persistent definition).  Returns a
 * string the caller frees, or NULL with *errp set. */
char *vk_network_xml(virNetworkPtr net, bool inactive, vk_error **errp);

/* One DHCP lease. */
typedef struct vk_net_lease {
  long long expiry;             /* seconds since the epoch */
  char *mac;
  bool ipv6;
  char *addr;
  unsigned prefix;
  char *hostname;               /* NULL if none */
  char *clientid;               /* client id or DUID, NULL if none */
  char *iface;                  /* the network's bridge */
} vk_net_lease;

typedef struct vk_net_lease_list {
  vk_net_lease *l;
  size_t n;
} vk_net_lease_list;

/* The DHCP leases of net (only those of `mac` when it is not NULL), by
 * expiry.  Returns false with *errp set; free with vk_net_lease_list_free(). */
bool vk_network_leases(virNetworkPtr net, const char *mac, vk_net_lease_list *out, vk_error **errp);
void vk_net_lease_list_free(vk_net_lease_list *l);

/* What net-define-as says. */
typedef struct vk_net_spec {
  const char *name;
  const char *forward; /* nat (NULL), route, bridge, open, none */
  const char *bridge;  /* the bridge to make (bridge mode: the host's bridge to use) */
  const char *ip;      /* ADDR/PREFIX, IPv4 or IPv6: the host's address on it */
  const char *dhcp;    /* START-END, inside ip's subnet */
  const char *domain;  /* DNS domain of the guests */
  unsigned mtu;        /* 0: the default */
} vk_net_spec;

/* The network XML for *s (built with libxml2); NULL with *errp set
 * (VK_EXIT_USAGE naming the option at fault). */
char *vk_network_xml_build(const vk_net_spec *s, vk_error **errp);

/* net-update: `command` is add, add-first, add-last, delete or modify;
 * `section` one of virsh's names (ip-dhcp-host, dns-host, portgroup, ...);
 * `xml` the element; parent_index -1 for libvirt's choice; flags
 * VIR_NETWORK_UPDATE_AFFECT_*.  Unknown names: VK_EXIT_USAGE. */
bool vk_network_update(virNetworkPtr net, const char *command, const char *section,
                       int parent_index, const char *xml, unsigned flags, vk_error **errp);
/* The sections net-update knows, ", "-separated (for messages and help). */
extern const char vk_net_update_sections[];

void vk_cleanup_network(virNetworkPtr *netp);
#define CLEANUP_NETWORK __attribute__((cleanup(vk_cleanup_network)))

#endif
