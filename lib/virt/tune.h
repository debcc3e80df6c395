/* vkit — changing a domain's memory and virtual CPUs. */
#ifndef VK_VIRT_TUNE_H
#define VK_VIRT_TUNE_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

enum {
  VK_TUNE_LIVE = 1 << 0,     /* the running domain */
  VK_TUNE_CONFIG = 1 << 1,   /* the persistent definition */
  VK_TUNE_MAXIMUM = 1 << 2,  /* setvcpus: the maximum, not the current count */
};

/* Set the current memory (balloon) of `dom` to `bytes` (rounded down to
 * KiB).  Neither LIVE nor CONFIG: the domain's current state decides.
 * Returns false with *errp set (USAGE for 0 or a value libvirt rejects). */
bool vk_domain_set_memory(virDomainPtr dom, uint64_t bytes, unsigned flags,
                          vk_error **errp);

/* Set the maximum memory of `dom`. */
bool vk_domain_set_max_memory(virDomainPtr dom, uint64_t bytes, unsigned flags,
                              vk_error **errp);

/* Set the number of virtual CPUs (or the maximum, VK_TUNE_MAXIMUM). */
bool vk_domain_set_vcpus(virDomainPtr dom, unsigned count, unsigned flags,
                         vk_error **errp);

#endif
