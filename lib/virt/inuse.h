/* vkit — what the domains of a hypervisor use: every disk source and MAC
 * address, with the domain that uses it.  One answer for every tool
 * (vinstall's "disk image in use", vclone's new disk paths and MACs):
 * paths are compared in canonical form (util/path.h), so two spellings of
 * one file (a symbolic link, "..") are the same disk; a domain counts with
 * its persistent definition and, when running, its live one (a disk
 * attached to the running guest only is in use too). */
#ifndef VK_VIRT_INUSE_H
#define VK_VIRT_INUSE_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

typedef struct vk_in_use {
  char **paths, **path_owner;   /* canonical disk sources, domain names */
  size_t npaths;
  char **macs, **mac_owner;
  size_t nmacs;
} vk_in_use;

/* Fill *u from every domain of `conn`.  False with *errp set when the
 * domains cannot be listed; *u is then empty. */
bool vk_in_use_collect(virConnectPtr conn, vk_in_use *u, vk_error **errp);
void vk_in_use_clear(vk_in_use *u);

/* The domain (other than `except`, which may be NULL) that uses `path` as
 * a disk, or NULL.  The name belongs to *u. */
const char *vk_in_use_path(const vk_in_use *u, const char *path, const char *except);
/* The domain that has a network interface with MAC address `mac` (any
 * case), or NULL. */
const char *vk_in_use_mac(const vk_in_use *u, const char *mac);

#endif
