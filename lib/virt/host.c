/* vkit — the host a connection reaches (see host.h). */
#include <config.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "util/cleanup.h"
#include "util/text.h"
#include "virt/conn.h"
#include "virt/host.h"
#include "virt/xml.h"

/* ------------------------------------------------------------ checks */

const char *
vk_check_word(vk_check_result r)
{
  switch (r) {
  case VK_CHECK_PASS: return "PASS";
  case VK_CHECK_WARN: return "WARN";
  default: return "FAIL";
  }
}

static char *
vfmt(const char *fmt, va_list ap)
{
  char *s = NULL;

  if (!fmt || vasprintf(&s, fmt, ap) < 0)
    return NULL;
  return s;
}

/* Add a check; `fix` is a printf format too (NULL: none). */
static void add(vk_checks *c, const char *id, const char *what, vk_check_result r, const char *fix,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
add(vk_checks *c, const char *id, const char *what, vk_check_result r, const char *fix,
    const char *fmt, ...)
{
  vk_check *v = realloc(c->v, (c->n + 1) * sizeof *v);
  va_list ap;

  if (!v)
    return;
  c->v = v;
  v = &c->v[c->n++];
  v->id = id;
  v->what = what;
  v->result = r;
  va_start(ap, fmt);
  v->detail = vfmt(fmt, ap);
  va_end(ap);
  v->fix = fix ? strdup(fix) : NULL;
}

/* The first line of `path` (trailing newline dropped), or NULL. */
static char *
read_line(const char *path)
{
  FILE *f = fopen(path, "re");
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;

  if (!f)
    return NULL;
  n = getline(&line, &cap, f);
  fclose(f);
  if (n < 0) {
    free(line);
    return NULL;
  }
  if (n > 0 && line[n - 1] == '\n')
    line[n - 1] = '\0';
  return line;
}

static bool
exists(const char *path)
{
  struct stat st;

  return stat(path, &st) == 0;
}

/* A CPU flag in /proc/cpuinfo's "flags" line. */
static bool
cpu_flag(const char *flag)
{
  FILE *f = fopen("/proc/cpuinfo", "re");
  char *line = NULL;
  size_t cap = 0;
  bool found = false;

  if (!f)
    return false;
  while (!found && getline(&line, &cap, f) >= 0) {
    char *save = NULL, *w;
    if (strncmp(line, "flags", 5) != 0)
      continue;
    for (w = strtok_r(line, " \t\n:", &save); w; w = strtok_r(NULL, " \t\n:", &save))
      if (strcmp(w, flag) == 0)
        found = true;
    break;
  }
  free(line);
  fclose(f);
  return found;
}

/* The vendor module of KVM that is loaded: kvm_intel, kvm_amd, or
 * another kvm_* (a nested or paravirtual one), or NULL. */
static char *
kvm_vendor_module(void)
{
  static const char *const known[] = { "kvm_intel", "kvm_amd" };
  DIR *d;
  struct dirent *e;
  char *other = NULL;

  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    char p[64];
    snprintf(p, sizeof p, "/sys/module/%s", known[i]);
    if (exists(p))
      return strdup(known[i]);
  }
  if (!(d = opendir("/sys/module")))
    return NULL;
  while (!other && (e = readdir(d)))
    if (strncmp(e->d_name, "kvm_", 4) == 0)
      other = strdup(e->d_name);
  closedir(d);
  return other;
}

/* Can /dev/kvm create a VM?  0: yes; else an errno. */
static int
kvm_create_vm(int *api)
{
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, e;

  *api = -1;
  if (fd < 0)
    return errno;
  *api = ioctl(fd, KVM_GET_API_VERSION, 0);
  vm = ioctl(fd, KVM_CREATE_VM, 0);
  e = vm < 0 ? errno : 0;
  if (vm >= 0)
    close(vm);
  close(fd);
  return e;
}

static bool
dir_has_entries(const char *path)
{
  DIR *d = opendir(path);
  struct dirent *e;
  bool any = false;

  if (!d)
    return false;
  while (!any && (e = readdir(d)))
    any = e->d_name[0] != '.';
  closedir(d);
  return any;
}

/* cgroup controllers: v2's list, else v1's mounted hierarchies. */
static void
check_cgroups(vk_checks *c)
{
  static const char *const want[] = { "cpu", "cpuacct", "cpuset", "memory", "devices", "blkio" };
  CLEANUP_FREE char *v2 = read_line("/sys/fs/cgroup/cgroup.controllers");
  char missing[128] = "";

  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    bool have;
    if (v2) {
      /* cgroup v2 names: cpuacct is part of cpu, blkio is io, devices is eBPF */
      const char *name = strcmp(want[i], "blkio") == 0 ? "io" : want[i];
      char pad[160];
      if (strcmp(want[i], "cpuacct") == 0 || strcmp(want[i], "devices") == 0)
        continue;
      char key[32];
      snprintf(pad, sizeof pad, " %s ", v2);
      snprintf(key, sizeof key, " %s ", name);
      have = strstr(pad, key) != NULL;
    } else {
      char p[64];
      snprintf(p, sizeof p, "/sys/fs/cgroup/%s", want[i]);
      have = exists(p);
    }
    if (!have && strlen(missing) + strlen(want[i]) + 2 < sizeof missing) {
      if (missing[0])
        strcat(missing, " ");
      strcat(missing, want[i]);
    }
  }
  if (missing[0])
    add(c, "cgroups", "cgroup controllers", VK_CHECK_WARN,
        "mount the cgroup controllers (an init system normally does); libvirt cannot limit or "
        "account guests without them",
        "missing: %s", missing);
  else
    add(c, "cgroups", "cgroup controllers", VK_CHECK_PASS, NULL, "%s",
        v2 ? "cgroup v2: cpu cpuset memory io"
           : "cgroup v1: cpu cpuacct cpuset memory devices blkio");
}

static unsigned long long
read_ull(const char *path, bool *ok)
{
  CLEANUP_FREE char *s = read_line(path);
  char *end;
  unsigned long long v;

  *ok = false;
  if (!s)
    return 0;
  v = strtoull(s, &end, 10);
  *ok = end != s;
  return v;
}

static void
check_ksm_local(vk_checks *c)
{
  bool ok_run, ok_shared, ok_sharing;
  unsigned long long run, shared, sharing;

  if (!exists("/sys/kernel/mm/ksm")) {
    add(c, "ksm", "KSM (same-page merging)", VK_CHECK_WARN,
        "build the kernel with CONFIG_KSM to merge the identical pages of guests",
        "not in this kernel");
    return;
  }
  run = read_ull("/sys/kernel/mm/ksm/run", &ok_run);
  shared = read_ull("/sys/kernel/mm/ksm/pages_shared", &ok_shared);
  sharing = read_ull("/sys/kernel/mm/ksm/pages_sharing", &ok_sharing);
  if (ok_run && run == 1)
    add(c, "ksm", "KSM (same-page merging)", VK_CHECK_PASS, NULL,
        "running: %llu pages shared, %llu sharing them", ok_shared ? shared : 0,
        ok_sharing ? sharing : 0);
  else
    add(c, "ksm", "KSM (same-page merging)", VK_CHECK_WARN,
        "echo 1 > /sys/kernel/mm/ksm/run (tune it with vctl node-memory-tune)",
        "available, not running: guests' identical pages are not merged");
}

static void
check_hugepages_local(vk_checks *c)
{
  FILE *f = fopen("/proc/meminfo", "re");
  char *line = NULL;
  size_t cap = 0;
  unsigned long long total = 0, free_ = 0, size = 0;
  bool any = false;

  if (f) {
    while (getline(&line, &cap, f) >= 0) {
      if (sscanf(line, "HugePages_Total: %llu", &total) == 1 ||
          sscanf(line, "HugePages_Free: %llu", &free_) == 1)
        any = true;
      sscanf(line, "Hugepagesize: %llu", &size);
    }
    free(line);
    fclose(f);
  }
  if (!any)
    add(c, "hugepages", "huge pages", VK_CHECK_WARN,
        "build the kernel with CONFIG_HUGETLBFS to back guests with huge pages",
        "not in this kernel");
  else
    add(c, "hugepages", "huge pages", VK_CHECK_PASS, NULL,
        "%llu KiB pages: %llu reserved, %llu free%s", size, total, free_,
        total ? "" : " (sysctl vm.nr_hugepages=N reserves them for <memoryBacking><hugepages/>)");
}

static void
validate_local(vk_checks *c)
{
  CLEANUP_FREE char *vendor = kvm_vendor_module();
  bool vmx = cpu_flag("vmx"), svm = cpu_flag("svm"), kvm_mod = exists("/sys/module/kvm");
  bool dev = exists("/dev/kvm");
  int api = -1, e = dev ? kvm_create_vm(&api) : ENOENT;

  /* /dev/kvm first: it decides */
  if (!dev)
    add(c, "kvm_device", "/dev/kvm", VK_CHECK_FAIL,
        "load the modules: modprobe kvm_intel (Intel) or modprobe kvm_amd (AMD); in a VM, "
        "enable nested virtualization on its host",
        "missing: no KVM guests, only emulated ones (--virt-type qemu)");
  else if (e)
    add(c, "kvm_device", "/dev/kvm", VK_CHECK_FAIL,
        e == EACCES ? "run as root, or join the group that owns /dev/kvm (kvm)"
                    : "check dmesg for why KVM cannot create a VM",
        "cannot create a VM: %s", strerror(e));
  else
    add(c, "kvm_device", "/dev/kvm", VK_CHECK_PASS, NULL, "creates VMs (KVM API %d)", api);

  if (vmx || svm)
    add(c, "cpu_virt", "hardware virtualization", VK_CHECK_PASS, NULL, "the CPU has %s",
        vmx ? "VT-x (vmx)" : "AMD-V (svm)");
  else if (dev && !e)
    add(c, "cpu_virt", "hardware virtualization", VK_CHECK_WARN, NULL,
        "the CPU flags show no vmx/svm (a nested or paravirtual host hides them), but /dev/kvm "
        "creates VMs: KVM guests run");
  else
    add(c, "cpu_virt", "hardware virtualization", VK_CHECK_FAIL,
        "enable VT-x/AMD-V in the firmware (BIOS/UEFI) setup, or nested virtualization on the "
        "host of this VM",
        "the CPU flags show no vmx/svm");

  if (kvm_mod && vendor)
    add(c, "kvm_modules", "kvm modules", VK_CHECK_PASS, NULL, "kvm and %s loaded", vendor);
  else if (dev && !e)
    add(c, "kvm_modules", "kvm modules", VK_CHECK_PASS, NULL, "KVM is built into the kernel");
  else
    add(c, "kvm_modules", "kvm modules", VK_CHECK_FAIL,
        "modprobe kvm_intel (Intel) or modprobe kvm_amd (AMD)", "%s",
        kvm_mod ? "kvm loaded, no vendor module (kvm_intel, kvm_amd)" : "kvm not loaded");

  if (vendor && (strcmp(vendor, "kvm_intel") == 0 || strcmp(vendor, "kvm_amd") == 0)) {
    char p[96];
    snprintf(p, sizeof p, "/sys/module/%s/parameters/nested", vendor);
    CLEANUP_FREE char *n = read_line(p);
    if (n && (strcmp(n, "Y") == 0 || strcmp(n, "1") == 0))
      add(c, "nested", "nested virtualization", VK_CHECK_PASS, NULL, "on (%s)", vendor);
    else
      add(c, "nested", "nested virtualization", VK_CHECK_WARN,
          "options kvm_intel nested=1 (or kvm_amd nested=1) in /etc/modprobe.d/, then reload "
          "the module",
          "off: guests cannot run KVM guests of their own");
  } else {
    add(c, "nested", "nested virtualization", VK_CHECK_WARN, NULL,
        "unknown (%s has no 'nested' parameter)", vendor ? vendor : "no vendor module");
  }

  if (dir_has_entries("/sys/kernel/iommu_groups"))
    add(c, "iommu", "IOMMU (PCI passthrough)", VK_CHECK_PASS, NULL, "IOMMU groups present");
  else
    add(c, "iommu", "IOMMU (PCI passthrough)", VK_CHECK_WARN,
        "enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on (Intel) or amd_iommu=on",
        "no IOMMU groups: no PCI device can be given to a guest");

  if (exists("/dev/vhost-net"))
    add(c, "vhost_net", "/dev/vhost-net", VK_CHECK_PASS, NULL, "present");
  else
    add(c, "vhost_net", "/dev/vhost-net", VK_CHECK_WARN, "modprobe vhost_net",
        "missing: virtio networking runs in QEMU, slower");
  if (exists("/dev/net/tun"))
    add(c, "tun", "/dev/net/tun", VK_CHECK_PASS, NULL, "present");
  else
    add(c, "tun", "/dev/net/tun", VK_CHECK_WARN, "modprobe tun",
        "missing: guests cannot have tap network interfaces");

  check_cgroups(c);
  check_ksm_local(c);
  check_hugepages_local(c);
  c->can_run_kvm = dev && !e;
}

/* A remote host: what libvirt says about it. */
static void
validate_remote(virConnectPtr conn, vk_checks *c)
{
  CLEANUP_FREE char *dcaps = virConnectGetDomainCapabilities(conn, NULL, NULL, NULL, "kvm", 0);
  CLEANUP_FREE char *caps = virConnectGetCapabilities(conn);
  vk_ksm k;
  vk_error *e = NULL;

  if (dcaps)
    add(c, "kvm_device", "KVM guests", VK_CHECK_PASS, NULL, "libvirt offers the kvm domain type");
  else
    add(c, "kvm_device", "KVM guests", VK_CHECK_FAIL,
        "check /dev/kvm and the kvm modules on that host (vctl host-validate there)",
        "libvirt offers no kvm domain type: only emulated guests");
  if (caps) {
    bool vmx = strstr(caps, "<feature name='vmx'/>") != NULL;
    bool svm = strstr(caps, "<feature name='svm'/>") != NULL;
    if (vmx || svm)
      add(c, "cpu_virt", "hardware virtualization", VK_CHECK_PASS, NULL, "the CPU has %s",
          vmx ? "VT-x (vmx)" : "AMD-V (svm)");
    else
      add(c, "cpu_virt", "hardware virtualization", dcaps ? VK_CHECK_WARN : VK_CHECK_FAIL, NULL,
          "%s",
          dcaps ? "the host CPU shows no vmx/svm, but libvirt offers KVM"
                : "the host CPU shows no vmx/svm");
  }
  if (vk_ksm_get(conn, &k, &e))
    add(c, "ksm", "KSM (same-page merging)", VK_CHECK_PASS, NULL,
        "%llu pages shared, %llu sharing them", k.pages_shared, k.pages_sharing);
  else {
    add(c, "ksm", "KSM (same-page merging)", VK_CHECK_WARN, NULL, "not reported: %s", e->msg);
    vk_error_free(e);
  }
  c->can_run_kvm = dcaps != NULL;
}

void
vk_host_validate(virConnectPtr conn, const char *conn_error, bool local, vk_checks *out)
{
  memset(out, 0, sizeof *out);
  if (!conn) {
    add(out, "libvirtd", "libvirt daemon", VK_CHECK_FAIL,
        "start libvirtd (or virtqemud); see its log in /var/log/libvirt", "%s",
        conn_error ? conn_error : "does not answer");
    if (local)
      validate_local(out);
    out->can_run_kvm = false;
    return;
  }
  {
    unsigned long v = 0;
    char ver[32] = "?";
    if (virConnectGetLibVersion(conn, &v) == 0)
      vk_version_format(v, ver, sizeof ver);
    add(out, "libvirtd", "libvirt daemon", VK_CHECK_PASS, NULL, "answers (libvirt %s)", ver);
  }
  if (vk_conn_is_local(conn))
    validate_local(out);
  else
    validate_remote(conn, out);
}

void
vk_checks_free(vk_checks *c)
{
  for (size_t i = 0; i < c->n; i++) {
    free(c->v[i].detail);
    free(c->v[i].fix);
  }
  free(c->v);
  memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------ facts */

void
vk_version_format(unsigned long long v, char *buf, size_t len)
{
  snprintf(buf, len, "%llu.%llu.%llu", v / 1000000, (v / 1000) % 1000, v % 1000);
}

bool
vk_host_versions(virConnectPtr conn, vk_versions *out, vk_error **errp)
{
  unsigned long lib = 0, hv = 0, daemon = 0;

  memset(out, 0, sizeof *out);
  out->compiled = LIBVIR_VERSION_NUMBER;
  if (virGetVersion(&lib, NULL, NULL) < 0)
    return vk_virt_error(errp, conn, "cannot read libvirt's version");
  out->library = lib;
  if (!(out->hv_type = virConnectGetType(conn)))
    return vk_virt_error(errp, conn, "cannot read the hypervisor type");
  if (virConnectGetVersion(conn, &hv) == 0)
    out->hv = hv;
  if (virConnectGetLibVersion(conn, &daemon) == 0)
    out->daemon = daemon;
  return true;
}

bool
vk_host_max_vcpus(virConnectPtr conn, const char *virttype, int *out, vk_error **errp)
{
  CLEANUP_FREE char *dcaps =
      virConnectGetDomainCapabilities(conn, NULL, NULL, NULL, virttype ? virttype : "kvm", 0);
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  xmlNode *v;
  int n;

  if (!dcaps && !virttype)
    dcaps = virConnectGetDomainCapabilities(conn, NULL, NULL, NULL, "qemu", 0);
  if (dcaps && (doc = vk_xml_read(dcaps, strlen(dcaps), "domain capabilities")) &&
      (v = vk_xml_child(xmlDocGetRootElement(doc), "vcpu"))) {
    CLEANUP_FREE char *max = vk_xml_attr(v, "max");
    if (max && (n = atoi(max)) > 0) {
      *out = n;
      return true;
    }
  }
  if ((n = virConnectGetMaxVcpus(conn, virttype)) < 0)
    return vk_virt_error(errp, conn, "cannot read the maximum number of vCPUs");
  *out = n;
  return true;
}

/* virNodeMemoryStats and virNodeCPUStats are the same record: a field
 * name and a value. */
_Static_assert(sizeof(virNodeMemoryStats) == sizeof(virNodeCPUStats) &&
                   VIR_NODE_MEMORY_STATS_FIELD_LENGTH == VIR_NODE_CPU_STATS_FIELD_LENGTH,
               "libvirt's node statistics records differ");

static int
get_mem(virConnectPtr conn, int which, void *params, int *n)
{
  return virNodeGetMemoryStats(conn, which, params, n, 0);
}

static int
get_cpu(virConnectPtr conn, int which, void *params, int *n)
{
  return virNodeGetCPUStats(conn, which, params, n, 0);
}

static bool
node_stats(virConnectPtr conn, int which, int (*get)(virConnectPtr, int, void *, int *),
           const char *what, vk_node_stat **out, size_t *n, vk_error **errp)
{
  int k = 0;
  virNodeCPUStatsPtr st;

  *out = NULL;
  *n = 0;
  if (get(conn, which, NULL, &k) < 0 || k < 0)
    return vk_virt_error(errp, conn, "cannot read the %s statistics", what);
  if (!(st = calloc((size_t)k + 1, sizeof *st)) || !(*out = calloc((size_t)k + 1, sizeof **out))) {
    free(st);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  if (get(conn, which, st, &k) < 0) {
    free(st);
    free(*out);
    *out = NULL;
    return vk_virt_error(errp, conn, "cannot read the %s statistics", what);
  }
  for (int i = 0; i < k; i++) {
    snprintf((*out)[i].field, sizeof(*out)[i].field, "%s", st[i].field);
    (*out)[i].value = st[i].value;
  }
  *n = (size_t)k;
  free(st);
  return true;
}

bool
vk_node_mem_stats(virConnectPtr conn, int cell, vk_node_stat **out, size_t *n, vk_error **errp)
{
  return node_stats(conn, cell, get_mem, "memory", out, n, errp);
}

bool
vk_node_cpu_stats(virConnectPtr conn, int cpu, vk_node_stat **out, size_t *n, vk_error **errp)
{
  return node_stats(conn, cpu, get_cpu, "CPU", out, n, errp);
}

bool
vk_node_free_cells(virConnectPtr conn, int first, int n, unsigned long long *out, vk_error **errp)
{
  int got = virNodeGetCellsFreeMemory(conn, out, first, n);

  if (got < 0)
    return vk_virt_error(errp, conn, "cannot read the free memory of NUMA cell %d", first);
  if (got < n)
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "the host has no NUMA cell %d", first + got);
  return true;
}

char **
vk_host_cpu_models(virConnectPtr conn, const char *arch, vk_error **errp)
{
  char **models = NULL;
  int n = virConnectGetCPUModelNames(conn, arch, &models, 0);

  if (n < 0) {
    vk_virt_error(errp, conn, "cannot list the CPU models of '%s'", arch);
    return NULL;
  }
  return models;
}

/* ------------------------------------------------------------ KSM */

static const char *const ksm_keys[] = {
  VIR_NODE_MEMORY_SHARED_PAGES_TO_SCAN,  VIR_NODE_MEMORY_SHARED_SLEEP_MILLISECS,
  VIR_NODE_MEMORY_SHARED_PAGES_SHARED,   VIR_NODE_MEMORY_SHARED_PAGES_SHARING,
  VIR_NODE_MEMORY_SHARED_PAGES_UNSHARED, VIR_NODE_MEMORY_SHARED_PAGES_VOLATILE,
  VIR_NODE_MEMORY_SHARED_FULL_SCANS,     VIR_NODE_MEMORY_SHARED_MERGE_ACROSS_NODES,
};

bool
vk_ksm_get(virConnectPtr conn, vk_ksm *out, vk_error **errp)
{
  virTypedParameterPtr p = NULL;
  int n = 0;
  unsigned long long *slot[] = { &out->pages_to_scan, &out->sleep_millisecs,   &out->pages_shared,
                                 &out->pages_sharing, &out->pages_unshared,    &out->pages_volatile,
                                 &out->full_scans,    &out->merge_across_nodes };

  memset(out, 0, sizeof *out);
  if (virNodeGetMemoryParameters(conn, NULL, &n, 0) < 0)
    return vk_virt_error(errp, conn, "cannot read the KSM parameters");
  if (n == 0)
    return vk_error_set(errp, VK_EXIT_FAILED, "the host reports no KSM parameters");
  if (!(p = calloc((size_t)n, sizeof *p)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (virNodeGetMemoryParameters(conn, p, &n, 0) < 0) {
    free(p);
    return vk_virt_error(errp, conn, "cannot read the KSM parameters");
  }
  for (size_t k = 0; k < sizeof ksm_keys / sizeof ksm_keys[0]; k++) {
    unsigned long long v;
    unsigned u;
    if (virTypedParamsGetULLong(p, n, ksm_keys[k], &v) == 1) {
      *slot[k] = v;
      out->has[k] = true;
    } else if (virTypedParamsGetUInt(p, n, ksm_keys[k], &u) == 1) {
      *slot[k] = u;
      out->has[k] = true;
    }
  }
  virTypedParamsClear(p, n);
  free(p);
  return true;
}

bool
vk_ksm_set(virConnectPtr conn, long long pages_to_scan, long long sleep_millisecs,
           long long merge_across_nodes, vk_error **errp)
{
  virTypedParameterPtr p = NULL;
  int n = 0, max = 0;
  bool ok = true;

  if (pages_to_scan >= 0)
    ok = ok && virTypedParamsAddUInt(&p, &n, &max, VIR_NODE_MEMORY_SHARED_PAGES_TO_SCAN,
                                     (unsigned)pages_to_scan) == 0;
  if (sleep_millisecs >= 0)
    ok = ok && virTypedParamsAddUInt(&p, &n, &max, VIR_NODE_MEMORY_SHARED_SLEEP_MILLISECS,
                                     (unsigned)sleep_millisecs) == 0;
  if (merge_across_nodes >= 0)
    ok = ok && virTypedParamsAddUInt(&p, &n, &max, VIR_NODE_MEMORY_SHARED_MERGE_ACROSS_NODES,
                                     (unsigned)merge_across_nodes) == 0;
  if (!ok) {
    virTypedParamsFree(p, n);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  if (n && virNodeSetMemoryParameters(conn, p, n, 0) < 0) {
    virTypedParamsFree(p, n);
    return vk_virt_error(errp, conn, "cannot set the KSM parameters");
  }
  virTypedParamsFree(p, n);
  return true;
}
