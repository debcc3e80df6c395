/* vkit — the host a connection reaches: can it run KVM guests
 * (host-validate), its facts (nodeinfo, versions, memory and CPU
 * statistics, free memory per NUMA cell, CPU models) and KSM, the
 * kernel's same-page merging (node-memory-tune).
 */
#ifndef VK_VIRT_HOST_H
#define VK_VIRT_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

/* ------------------------------------------------------------ checks */

typedef enum { VK_CHECK_PASS, VK_CHECK_WARN, VK_CHECK_FAIL } vk_check_result;

typedef struct vk_check {
  const char *id;   /* stable key: "cpu_virt", "kvm_device", ... */
  const char *what; /* "hardware virtualization" */
  vk_check_result result;
  char *detail; /* what was found */
  char *fix;    /* what to do (NULL for PASS) */
} vk_check;

typedef struct vk_checks {
  vk_check *v;
  size_t n;
  bool can_run_kvm; /* KVM guests can run: no check that says otherwise failed */
} vk_checks;

const char *vk_check_word(vk_check_result r); /* "PASS", "WARN", "FAIL" */

/* Check whether the host of `conn` can run KVM guests.  For this very
 * host (vk_conn_is_local()) the checks read /proc, /sys and /dev like
 * virt-host-validate, and try to create a VM on /dev/kvm; for a remote
 * host they ask libvirt (its domain capabilities, host CPU, KSM
 * counters).  `conn` may be NULL: the daemon did not answer, which is a
 * check of its own (`conn_error` its message), and the local checks are
 * made when `local` says the daemon was this host's.  Never fails; free
 * with vk_checks_free(). */
void vk_host_validate(virConnectPtr conn, const char *conn_error, bool local, vk_checks *out);
void vk_checks_free(vk_checks *c);

/* ------------------------------------------------------------ facts */

typedef struct vk_versions {
  unsigned long long compiled; /* the libvirt vkit was built against */
  unsigned long long library;  /* the libvirt library in use */
  unsigned long long daemon;   /* the daemon's libvirt (0 if unknown) */
  const char *hv_type;         /* "QEMU" */
  unsigned long long hv;       /* the hypervisor's version (0 if unknown) */
} vk_versions;

bool vk_host_versions(virConnectPtr conn, vk_versions *out, vk_error **errp);
/* "9.0.0" for 9000000 */
void vk_version_format(unsigned long long v, char *buf, size_t len);

/* The most vCPUs a guest of `virttype` (NULL: kvm, else qemu) may have,
 * from the domain capabilities like virsh. */
bool vk_host_max_vcpus(virConnectPtr conn, const char *virttype, int *out, vk_error **errp);

/* A named statistic of nodememstats / nodecpustats. */
typedef struct vk_node_stat {
  char field[VIR_NODE_CPU_STATS_FIELD_LENGTH];
  unsigned long long value;
} vk_node_stat;

/* Memory statistics (KiB) of cell `cell` (-1: all). */
bool vk_node_mem_stats(virConnectPtr conn, int cell, vk_node_stat **out, size_t *n,
                       vk_error **errp);
/* CPU times (ns) of cpu `cpu` (-1: all). */
bool vk_node_cpu_stats(virConnectPtr conn, int cpu, vk_node_stat **out, size_t *n, vk_error **errp);

/* Free memory in bytes of NUMA cells [first, first + n). */
bool vk_node_free_cells(virConnectPtr conn, int first, int n, unsigned long long *out,
                        vk_error **errp);

/* CPU model names the hypervisor knows for `arch` (NULL-terminated, the
 * caller frees with vk_strv_free). */
char **vk_host_cpu_models(virConnectPtr conn, const char *arch, vk_error **errp);

/* ------------------------------------------------------------ KSM */

typedef struct vk_ksm {
  bool has[8];
  unsigned long long pages_to_scan, sleep_millisecs, pages_shared, pages_sharing, pages_unshared,
      pages_volatile, full_scans, merge_across_nodes;
} vk_ksm;

enum {
  VK_KSM_PAGES_TO_SCAN,
  VK_KSM_SLEEP_MILLISECS,
  VK_KSM_PAGES_SHARED,
  VK_KSM_PAGES_SHARING,
  VK_KSM_PAGES_UNSHARED,
  VK_KSM_PAGES_VOLATILE,
  VK_KSM_FULL_SCANS,
  VK_KSM_MERGE_ACROSS_NODES,
};

bool vk_ksm_get(virConnectPtr conn, vk_ksm *out, vk_error **errp);
/* Set the tunables given (negative: unchanged). */
bool vk_ksm_set(virConnectPtr conn, long long pages_to_scan, long long sleep_millisecs,
                long long merge_across_nodes, vk_error **errp);

#endif
