/* vkit — guest interface addresses (domifaddr). */
#ifndef VK_VIRT_IFADDR_H
#define VK_VIRT_IFADDR_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

typedef struct vk_ifaddr {
  char *ifname;        /* interface name as the source reports it */
  char *mac;           /* NULL if unknown */
  bool ipv6;
  char *addr;          /* address without prefix */
  unsigned prefix;
} vk_ifaddr;

typedef struct vk_ifaddr_list {
  vk_ifaddr *a;
  size_t n;
} vk_ifaddr_list;

/* Parse "lease", "agent" or "arp" into a virDomainInterfaceAddressesSource;
 * returns -1 for anything else. */
int vk_ifaddr_source(const char *s);

/* Addresses of the running domain's interfaces from `source`.  With
 * wait_ms != 0, keep asking (every half second: libvirt has no event for
 * addresses) until at least one address is known, at most wait_ms
 * milliseconds (-1: no limit), then VK_EXIT_TIMEOUT.  One entry per
 * address; interfaces without an address are listed once with addr NULL.
 * Returns false with *errp set; free with vk_ifaddr_list_free(). */
bool vk_domain_ifaddrs(virDomainPtr dom, int source, int wait_ms,
                       vk_ifaddr_list *out, vk_error **errp);
void vk_ifaddr_list_free(vk_ifaddr_list *l);

#endif
