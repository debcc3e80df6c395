/* vkit — changing a domain's memory and virtual CPUs. */
#ifndef VK_VIRT_TUNE_H
#define VK_VIRT_TUNE_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"
#include "virt/stats.h"

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

/* The tunables read and set as libvirt's typed parameters. */
typedef enum {
  VK_TUNE_SCHED, /* schedinfo: cpu_shares, vcpu_period, vcpu_quota, ... */
  VK_TUNE_MEM,   /* memtune: hard_limit, soft_limit, swap_hard_limit, min_guarantee (KiB) */
  VK_TUNE_BLKIO, /* blkiotune: weight, device_weight, device_read_iops_sec, ... */
  VK_TUNE_NUMA,  /* numatune: numa_mode, numa_nodeset */
} vk_tune_kind;

/* memtune's value for "no limit" (libvirt's VIR_DOMAIN_MEMORY_PARAM_UNLIMITED, KiB). */
#define VK_TUNE_UNLIMITED 9007199254740991ULL

/* The tunables of `kind` (flags VK_TUNE_LIVE or VK_TUNE_CONFIG; neither:
 * the current state), as a record named after the scheduler for
 * VK_TUNE_SCHED (else the domain).  Returns false with *errp set. */
bool vk_tune_get(virDomainPtr dom, vk_tune_kind kind, unsigned flags, vk_stat_record *out,
                 vk_error **errp);

/* Set tunables from "name=value" texts, each converted to the type libvirt
 * gives that parameter (an unknown name, or a value of the wrong form, is
 * VK_EXIT_USAGE naming it).  memtune's values are sizes (a bare number
 * KiB, or with a suffix) or "unlimited"; numa_mode is strict, preferred,
 * interleave or restrictive. */
bool vk_tune_set(virDomainPtr dom, vk_tune_kind kind, const char *const *assign, size_t n,
                 unsigned flags, vk_error **errp);

/* vcpucount: the counts libvirt has (maximum/current x config/live; a
 * transient domain has no config, a shut-off one no live): fields
 * "maximum_config", "maximum_live", "current_config", "current_live". */
bool vk_vcpu_count(virDomainPtr dom, vk_stat_record *out, vk_error **errp);

/* A CPU list ("0-2,5", "^1" excluded, "r": all host CPUs) as a map of
 * the host's ncpus CPUs (maplen bytes); VK_EXIT_USAGE when it is not one
 * or names a CPU the host has not. */
bool vk_cpulist_parse(const char *text, int ncpus, unsigned char *map, int maplen, vk_error **errp);
/* The map as a list ("0-1,3") in buf. */
void vk_cpulist_format(const unsigned char *map, int ncpus, char *buf, size_t size);

/* The host's CPU count (for maps), or -1 with *errp set. */
int vk_host_ncpus(virConnectPtr conn, vk_error **errp);

/* One vCPU of vcpuinfo. */
typedef struct vk_vcpu_info {
  unsigned number;
  int state; /* VIR_VCPU_OFFLINE / RUNNING / BLOCKED */
  int cpu;   /* host CPU, -1 when not running */
  uint64_t time_ns;
  char affinity[512]; /* as vk_cpulist_format() */
} vk_vcpu_info;

/* The vCPUs of running dom (their host CPU, time and affinity; a
 * shut-off domain: the affinity of the definition only, cpu -1). *n
 * receives the count; free the array. */
vk_vcpu_info *vk_vcpu_info_get(virDomainPtr dom, size_t *n, vk_error **errp);

/* Pin vCPU `vcpu` (or the emulator threads, vcpu -1) to the CPU list;
 * flags VK_TUNE_LIVE/CONFIG. */
bool vk_vcpu_pin(virDomainPtr dom, int vcpu, const char *cpulist, unsigned flags, vk_error **errp);

/* The pinning of every vCPU (vcpu -1: of the emulator: one entry), as
 * lists; flags choose live or config. */
bool vk_vcpu_pins(virDomainPtr dom, bool emulator, unsigned flags, vk_stat_record *out,
                  vk_error **errp);

#endif
