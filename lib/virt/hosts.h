/* vkit — many hosts at once: the hosts file, short names, and
 * connections to every host opened concurrently.
 *
 * A hosts file (vctl --hosts FILE, $VKIT_HOSTS) names one host a line:
 * "URI" or "NAME URI"; blank lines and lines starting with '#' are
 * skipped.  A host's short name is NAME, else the host part of its URI
 * (no user, no port: "host2" for qemu+ssh://root@host2:2222/system), else
 * the URI itself (qemu:///system).
 */
#ifndef VK_VIRT_HOSTS_H
#define VK_VIRT_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

typedef struct vk_host {
  char *name; /* short name */
  char *uri;
} vk_host;

typedef struct vk_hosts {
  vk_host *v;
  size_t n;
} vk_hosts;

/* Add the hosts listed in `file`: VK_EXIT_NOTFOUND for a missing file,
 * VK_EXIT_USAGE ("FILE:LINE: ...") for a line of more than two words or
 * a name given twice. */
bool vk_hosts_load(vk_hosts *h, const char *file, vk_error **errp);

/* Add one host by its URI (its short name from the URI). */
bool vk_hosts_add(vk_hosts *h, const char *name, const char *uri, vk_error **errp);

void vk_hosts_free(vk_hosts *h);

/* The URI of the host whose short name is `name`, or NULL. */
const char *vk_hosts_lookup(const vk_hosts *h, const char *name);

/* The short name of a URI (see above); the caller frees it. */
char *vk_uri_short_name(const char *uri);

/* Open a connection to every host at once (VK_CONN_* flags): conns[i]
 * is the connection to h->v[i], or NULL with errs[i] set. */
void vk_hosts_open(const vk_hosts *h, unsigned flags, virConnectPtr *conns, vk_error **errs);

/* Find the domain `ident` (id, UUID or name) on the hosts whose
 * connections `conns` holds (NULL ones skipped).  Returns it with *which
 * set to the host's index, or NULL with *errp set: VK_EXIT_NOTFOUND when
 * no host has it, VK_EXIT_USAGE when two have it (naming both). */
virDomainPtr vk_hosts_find_domain(const vk_hosts *h, virConnectPtr *conns, const char *ident,
                                  size_t *which, vk_error **errp);

#endif
