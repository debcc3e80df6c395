/* vkit — changing a domain's memory and virtual CPUs. */
#include <config.h>

#include <limits.h>

#include "virt/conn.h"
#include "virt/tune.h"

static unsigned
affect(unsigned flags)
{
  unsigned f = VIR_DOMAIN_AFFECT_CURRENT;

  if (flags & VK_TUNE_LIVE)
    f |= VIR_DOMAIN_AFFECT_LIVE;
  if (flags & VK_TUNE_CONFIG)
    f |= VIR_DOMAIN_AFFECT_CONFIG;
  return f;
}

static bool
to_kib(uint64_t bytes, unsigned long *kib, vk_error **errp)
{
  if (bytes < 1024)
    return vk_error_set(errp, VK_EXIT_USAGE, "memory size must be at least 1 KiB");
  if (bytes / 1024 > ULONG_MAX)
    return vk_error_set(errp, VK_EXIT_USAGE, "memory size is too large");
  *kib = (unsigned long)(bytes / 1024);
  return true;
}

/* Set the current memory, or the maximum (extra: VIR_DOMAIN_MEM_MAXIMUM). */
static bool
set_memory(virDomainPtr dom, uint64_t bytes, unsigned flags, unsigned extra, const char *what,
           vk_error **errp)
{
  unsigned long kib = 0;

  if (!to_kib(bytes, &kib, errp))
    return false;
  if (virDomainSetMemoryFlags(dom, kib, affect(flags) | extra) < 0)
    return vk_virt_dom_error(errp, dom, what);
  return true;
}

bool
vk_domain_set_memory(virDomainPtr dom, uint64_t bytes, unsigned flags, vk_error **errp)
{
  return set_memory(dom, bytes, flags, 0, "cannot set the memory of", errp);
}

bool
vk_domain_set_max_memory(virDomainPtr dom, uint64_t bytes, unsigned flags, vk_error **errp)
{
  return set_memory(dom, bytes, flags, VIR_DOMAIN_MEM_MAXIMUM, "cannot set the maximum memory of", errp);
}

bool
vk_domain_set_vcpus(virDomainPtr dom, unsigned count, unsigned flags, vk_error **errp)
{
  unsigned f = affect(flags);

  if (count == 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "the number of virtual CPUs must be at least 1");
  if (flags & VK_TUNE_MAXIMUM)
    f |= VIR_DOMAIN_VCPU_MAXIMUM;
  if (virDomainSetVcpusFlags(dom, count, f) < 0)
    return vk_virt_dom_error(errp, dom, "cannot set the virtual CPUs of");
  return true;
}
