/* vkit — guest interface addresses. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/virterror.h>

#include "virt/conn.h"
#include "virt/ifaddr.h"

int
vk_ifaddr_source(const char *s)
{
  if (strcmp(s, "lease") == 0)
    return VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE;
  if (strcmp(s, "agent") == 0)
    return VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT;
  if (strcmp(s, "arp") == 0)
    return VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP;
  return -1;
}

static bool
push(vk_ifaddr_list *l, const char *ifname, const char *mac, bool ipv6,
     const char *addr, unsigned prefix)
{
  vk_ifaddr *a = realloc(l->a, (l->n + 1) * sizeof *a);

  if (!a)
    return false;
  l->a = a;
  a = &l->a[l->n];
  memset(a, 0, sizeof *a);
  a->ifname = strdup(ifname ? ifname : "-");
  a->mac = mac ? strdup(mac) : NULL;
  a->addr = addr ? strdup(addr) : NULL;
  a->ipv6 = ipv6;
  a->prefix = prefix;
  l->n++;
  return a->ifname && (!mac || a->mac) && (!addr || a->addr);
}

/* One query; returns the number of addresses found, or -1. */
static int
query(virDomainPtr dom, int source, vk_ifaddr_list *out, vk_error **errp)
{
  virDomainInterfacePtr *ifs = NULL;
  int n = virDomainInterfaceAddresses(dom, &ifs, (unsigned)source, 0);
  int found = 0;
  bool ok = true;

  if (n < 0) {
    vk_virt_dom_error(errp, dom, "cannot get the addresses of");
    return -1;
  }
  for (int i = 0; i < n; i++) {
    virDomainInterfacePtr f = ifs[i];
    if (f->naddrs == 0 && ok)
      ok = push(out, f->name, f->hwaddr, false, NULL, 0);
    for (unsigned j = 0; j < f->naddrs && ok; j++, found++)
      ok = push(out, f->name, f->hwaddr, f->addrs[j].type == VIR_IP_ADDR_TYPE_IPV6,
                f->addrs[j].addr, f->addrs[j].prefix);
    virDomainInterfaceFree(f);
  }
  free(ifs);
  if (!ok) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot get the addresses of domain '%s'",
                       virDomainGetName(dom));
    return -1;
  }
  return found;
}

bool
vk_domain_ifaddrs(virDomainPtr dom, int source, int wait_ms, vk_ifaddr_list *out,
                  vk_error **errp)
{
  struct timespec start, now;

  memset(out, 0, sizeof *out);
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int found = query(dom, source, out, errp);
    long elapsed;

    if (found < 0) {
      vk_ifaddr_list_free(out);
      return false;
    }
    if (found > 0 || wait_ms == 0)
      return true;
    vk_ifaddr_list_free(out);
    clock_gettime(CLOCK_MONOTONIC, &now);
    elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (wait_ms > 0 && elapsed >= wait_ms)
      return vk_error_set(errp, VK_EXIT_TIMEOUT, "timed out after %g s waiting for an address of domain '%s'",
                          wait_ms / 1000.0, virDomainGetName(dom));
    nanosleep(&(struct timespec){ 0, 500 * 1000000L }, NULL);
  }
}

void
vk_ifaddr_list_free(vk_ifaddr_list *l)
{
  for (size_t i = 0; i < l->n; i++) {
    free(l->a[i].ifname);
    free(l->a[i].mac);
    free(l->a[i].addr);
  }
  free(l->a);
  l->a = NULL;
  l->n = 0;
}
