/* vkit — what the guest agent (qemu-guest-agent in the guest) tells and
 * does: the guest's clock, its file systems (list, freeze, thaw), its
 * users, OS, time zone, host name, disks and interfaces.  A guest without
 * a running agent gives libvirt's message ("agent is not connected") and
 * VK_EXIT_BUSY. */
#ifndef VK_VIRT_GUEST_H
#define VK_VIRT_GUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "util/error.h"
#include "virt/stats.h"

/* The guest's clock (seconds and nanoseconds since the epoch). */
bool vk_guest_time(virDomainPtr dom, long long *secs, unsigned *nsecs, vk_error **errp);

/* Set it (sync: from the domain's RTC, secs ignored). */
bool vk_guest_set_time(virDomainPtr dom, long long secs, unsigned nsecs, bool sync,
                       vk_error **errp);

/* Freeze (thaw) the guest's file systems (n mount points, or all when n
 * is 0); *count receives how many. */
bool vk_guest_fsfreeze(virDomainPtr dom, bool thaw, const char **mounts, size_t n, int *count,
                       vk_error **errp);

/* The guest's mounted file systems: one record per mount point (its
 * name), fields "name", "type" and "target" (the disks, ", "-separated). */
bool vk_guest_fsinfo(virDomainPtr dom, vk_stat_list *out, vk_error **errp);

/* guestinfo: the groups of VIR_DOMAIN_GUEST_INFO_* (0: all) as libvirt's
 * typed parameters ("os.name", "user.count", ...). */
bool vk_guest_info(virDomainPtr dom, unsigned types, vk_stat_record *out, vk_error **errp);

/* The guest's host name, from the agent ("agent"), the DHCP leases
 * ("lease") or the hypervisor's choice (NULL).  Returns a string to free,
 * NULL with *errp set. */
char *vk_guest_hostname(virDomainPtr dom, const char *source, vk_error **errp);

#endif
