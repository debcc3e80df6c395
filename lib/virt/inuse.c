/* vkit — what the domains of a hypervisor use (see inuse.h). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libvirt/virterror.h>

#include "util/cleanup.h"
#include "util/path.h"
#include "virt/conn.h"
#include "virt/domparse.h"
#include "virt/inuse.h"

void
vk_in_use_clear(vk_in_use *u)
{
  for (size_t i = 0; i < u->npaths; i++) {
    free(u->paths[i]);
    free(u->path_owner[i]);
  }
  for (size_t i = 0; i < u->nmacs; i++) {
    free(u->macs[i]);
    free(u->mac_owner[i]);
  }
  free(u->paths);
  free(u->path_owner);
  free(u->macs);
  free(u->mac_owner);
  memset(u, 0, sizeof *u);
}

/* Append (x, y) to the parallel arrays a and b (x is taken over). */
static bool
push2(char ***a, char ***b, size_t *n, char *x, const char *y)
{
  char **na = realloc(*a, (*n + 1) * sizeof *na), **nb;

  if (na)
    *a = na;
  nb = na ? realloc(*b, (*n + 1) * sizeof *nb) : NULL;
  if (!nb || !x) {
    free(x);
    return false;
  }
  *b = nb;
  na[*n] = x;
  nb[*n] = strdup(y);
  (*n)++;
  return nb[*n - 1] != NULL;
}

/* The disks and interfaces of one definition of one domain. */
static bool
add_xml(vk_in_use *u, const char *xml, const char *name)
{
  vk_domxml d;
  bool ok = true;

  if (!xml || !vk_domxml_parse(xml, &d, NULL))
    return true;   /* a domain that vanished, or XML we cannot read */
  for (size_t k = 0; ok && k < d.ndisks; k++)
    if (d.disks[k].source)
      ok = push2(&u->paths, &u->path_owner, &u->npaths, vk_path_canonical(d.disks[k].source),
                 name);
  for (size_t k = 0; ok && k < d.nifaces; k++)
    if (d.ifaces[k].mac)
      ok = push2(&u->macs, &u->mac_owner, &u->nmacs, strdup(d.ifaces[k].mac), name);
  vk_domxml_free(&d);
  return ok;
}

bool
vk_in_use_collect(virConnectPtr conn, vk_in_use *u, vk_error **errp)
{
  virDomainPtr *doms = NULL;
  int n = virConnectListAllDomains(conn, &doms, 0);
  bool ok = true;

  memset(u, 0, sizeof *u);
  if (n < 0)
    return vk_virt_error(errp, conn, "cannot list the domains");
  for (int i = 0; i < n; i++) {
    const char *name = virDomainGetName(doms[i]);
    CLEANUP_FREE char *def = virDomainGetXMLDesc(doms[i], VIR_DOMAIN_XML_INACTIVE);
    CLEANUP_FREE char *live = virDomainIsActive(doms[i]) == 1 ? virDomainGetXMLDesc(doms[i], 0)
                                                              : NULL;
    ok = ok && add_xml(u, def, name) && add_xml(u, live, name);
    virResetLastError();
    virDomainFree(doms[i]);
  }
  free(doms);
  if (!ok) {
    vk_in_use_clear(u);
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot list the domains");
  }
  return true;
}

const char *
vk_in_use_path(const vk_in_use *u, const char *path, const char *except)
{
  CLEANUP_FREE char *want = vk_path_canonical(path);

  for (size_t i = 0; want && i < u->npaths; i++)
    if (strcmp(u->paths[i], want) == 0 && (!except || strcmp(u->path_owner[i], except) != 0))
      return u->path_owner[i];
  return NULL;
}

const char *
vk_in_use_mac(const vk_in_use *u, const char *mac)
{
  for (size_t i = 0; i < u->nmacs; i++)
    if (strcasecmp(u->macs[i], mac) == 0)
      return u->mac_owner[i];
  return NULL;
}
