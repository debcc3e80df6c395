/* vkit — devices of a guest changed (vctl attach-*, detach-*,
 * update-device, change-media): on the running guest (live), in its
 * definition (config), or both; a live detach waited for until the guest
 * lets the device go (libvirt's device-removed event).
 */
#ifndef VK_VIRT_DEVICES_H
#define VK_VIRT_DEVICES_H

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

enum {
  VK_DEV_LIVE = 1 << 0,       /* the running guest */
  VK_DEV_CONFIG = 1 << 1,     /* the persistent definition */
  VK_DEV_PERSISTENT = 1 << 2, /* config, and live when it runs */
};

/* libvirt's virDomainDeviceModifyFlags for VK_DEV_* (0: the current
 * state: live when running, else config). */
unsigned vk_dev_libvirt_flags(virDomainPtr dom, unsigned flags);

/* Does a change with these VK_DEV_* flags touch the running guest? (A
 * device is then looked up in the live XML, else in the definition.) */
bool vk_dev_affects_live(virDomainPtr dom, unsigned flags);

bool vk_device_attach(virDomainPtr dom, const char *xml, unsigned flags, vk_error **errp);
bool vk_device_update(virDomainPtr dom, const char *xml, unsigned flags, vk_error **errp);

/* Detach the device `xml` describes, or the one called `alias`.  With
 * `wait` (wait_ms < 0: no limit) and a live detach, return only once the
 * guest released it: VK_EXIT_TIMEOUT when it did not within wait_ms (the
 * request stays pending), VK_EXIT_FAILED when the guest refused. */
bool vk_device_detach(virDomainPtr dom, const char *xml, unsigned flags, bool wait, int wait_ms,
                      vk_error **errp);
bool vk_device_detach_alias(virDomainPtr dom, const char *alias, unsigned flags, bool wait,
                            int wait_ms, vk_error **errp);

/* The <disk> of the domain (live XML, or the definition when `inactive`)
 * whose target is `target` ("vdb") or whose source is that path, as XML;
 * *alias (may be NULL) its alias in the live XML, if any.  VK_EXIT_NOTFOUND
 * when there is none. */
char *vk_domain_find_disk(virDomainPtr dom, const char *target, bool inactive, char **alias,
                          vk_error **errp);
/* The <interface> of type `type` (and MAC `mac`, if given); more than one
 * without a MAC is VK_EXIT_USAGE. */
char *vk_domain_find_iface(virDomainPtr dom, const char *type, const char *mac, bool inactive,
                           char **alias, vk_error **errp);

/* The link state ("up", "down") of the interface called `iface` (its
 * host-side device, vnet0, or its MAC), live or in the definition; a
 * new string.  No <link> element is "up". */
char *vk_iface_link_get(virDomainPtr dom, const char *iface, bool inactive, vk_error **errp);
/* Set it (VK_DEV_* flags) through an update of the interface. */
bool vk_iface_link_set(virDomainPtr dom, const char *iface, const char *state, unsigned flags,
                       vk_error **errp);

/* Put `source` (NULL: nothing, eject) into the CD-ROM or floppy drive
 * `path` (its target, or the file now in it); a disk is VK_EXIT_USAGE. */
bool vk_change_media(virDomainPtr dom, const char *path, const char *source, unsigned flags,
                     vk_error **errp);

#endif
