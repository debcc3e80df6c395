/* vkit — a domain's counters for scripts. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "virt/conn.h"
#include "virt/monitor.h"

static bool
oom(vk_stat_record *r, vk_error **errp)
{
  vk_stat_record_clear(r);
  return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "out of memory");
}

/* libvirt's name of a block counter -> virsh's */
static const char *
blk_name(const char *field)
{
  if (strcmp(field, VIR_DOMAIN_BLOCK_STATS_READ_REQ) == 0)
    return "rd_req";
  if (strcmp(field, VIR_DOMAIN_BLOCK_STATS_WRITE_REQ) == 0)
    return "wr_req";
  return field;
}

bool
vk_dom_blkstat(virDomainPtr dom, const char *dev, vk_stat_record *out, vk_error **errp)
{
  const char *disk = dev ? dev : "";
  virTypedParameterPtr p = NULL;
  int n = 0;
  bool ok;

  memset(out, 0, sizeof *out);
  if (virDomainBlockStatsFlags(dom, disk, NULL, &n, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot get the block statistics of");
  if (n > 0 && !(p = calloc((size_t)n, sizeof *p)))
    return oom(out, errp);
  if (virDomainBlockStatsFlags(dom, disk, p, &n, 0) < 0) {
    free(p);
    return vk_virt_dom_error(errp, dom, "cannot get the block statistics of");
  }
  ok = vk_stat_record_from_params(disk, p, n, out);
  virTypedParamsFree(p, n);
  if (!ok)
    return oom(out, errp);
  /* virsh's order: the known counters first, as it prints them */
  {
    static const char *const order[] = { VIR_DOMAIN_BLOCK_STATS_READ_REQ,
                                         VIR_DOMAIN_BLOCK_STATS_READ_BYTES,
                                         VIR_DOMAIN_BLOCK_STATS_WRITE_REQ,
                                         VIR_DOMAIN_BLOCK_STATS_WRITE_BYTES,
                                         VIR_DOMAIN_BLOCK_STATS_FLUSH_REQ,
                                         VIR_DOMAIN_BLOCK_STATS_READ_TOTAL_TIMES,
                                         VIR_DOMAIN_BLOCK_STATS_WRITE_TOTAL_TIMES,
                                         VIR_DOMAIN_BLOCK_STATS_FLUSH_TOTAL_TIMES,
                                         VIR_DOMAIN_BLOCK_STATS_ERRS };
    size_t next = 0;
    for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
      for (size_t i = next; i < out->n; i++)
        if (strcmp(out->f[i].key, order[o]) == 0) {
          vk_stat_field t = out->f[next];
          out->f[next++] = out->f[i];
          out->f[i] = t;
          break;
        }
  }
  for (size_t i = 0; i < out->n; i++) {
    const char *v = blk_name(out->f[i].key);
    if (v != out->f[i].key) {
      char *k = strdup(v);
      if (!k)
        return oom(out, errp);
      free(out->f[i].key);
      out->f[i].key = k;
    }
  }
  return true;
}

bool
vk_dom_ifstat(virDomainPtr dom, const char *iface, vk_stat_record *out, vk_error **errp)
{
  virDomainInterfaceStatsStruct st;
  bool ok;

  memset(out, 0, sizeof *out);
  if (virDomainInterfaceStats(dom, iface, &st, sizeof st) < 0)
    return vk_virt_dom_error(errp, dom, "cannot get the interface statistics of");
    /* -1: not counted by this hypervisor */
#define IF(f) (st.f < 0 || vk_stat_add_int(out, #f, st.f))
  ok = (out->name = strdup(iface)) && IF(rx_bytes) && IF(rx_packets) && IF(rx_errs) &&
       IF(rx_drop) && IF(tx_bytes) && IF(tx_packets) && IF(tx_errs) && IF(tx_drop);
#undef IF
  return ok || oom(out, errp);
}

bool
vk_dom_memstat(virDomainPtr dom, vk_stat_record *out, vk_error **errp)
{
  static const char *const names[VIR_DOMAIN_MEMORY_STAT_NR] = {
    [VIR_DOMAIN_MEMORY_STAT_SWAP_IN] = "swap_in",
    [VIR_DOMAIN_MEMORY_STAT_SWAP_OUT] = "swap_out",
    [VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT] = "major_fault",
    [VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT] = "minor_fault",
    [VIR_DOMAIN_MEMORY_STAT_UNUSED] = "unused",
    [VIR_DOMAIN_MEMORY_STAT_AVAILABLE] = "available",
    [VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON] = "actual",
    [VIR_DOMAIN_MEMORY_STAT_RSS] = "rss",
    [VIR_DOMAIN_MEMORY_STAT_USABLE] = "usable",
    [VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE] = "last_update",
    [VIR_DOMAIN_MEMORY_STAT_DISK_CACHES] = "disk_caches",
    [VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC] = "hugetlb_pgalloc",
    [VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL] = "hugetlb_pgfail",
  };
  virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
  int n = virDomainMemoryStats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);

  memset(out, 0, sizeof *out);
  if (n < 0)
    return vk_virt_dom_error(errp, dom, "cannot get the memory statistics of");
  if (!(out->name = strdup(virDomainGetName(dom))))
    return oom(out, errp);
  for (int i = 0; i < n; i++)
    if (st[i].tag < VIR_DOMAIN_MEMORY_STAT_NR && names[st[i].tag] &&
        !vk_stat_add_uint(out, names[st[i].tag], st[i].val))
      return oom(out, errp);
  return true;
}

bool
vk_dom_memstat_period(virDomainPtr dom, int secs, unsigned flags, vk_error **errp)
{
  if (virDomainSetMemoryStatsPeriod(dom, secs, flags) < 0)
    return vk_virt_dom_error(errp, dom, "cannot set the memory statistics period of");
  return true;
}

bool
vk_dom_blkinfo(virDomainPtr dom, const char *dev, vk_stat_record *out, vk_error **errp)
{
  virDomainBlockInfo info;

  memset(out, 0, sizeof *out);
  if (virDomainGetBlockInfo(dom, dev, &info, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot get the block information of");
  if (!(out->name = strdup(dev)) || !vk_stat_add_uint(out, "capacity", info.capacity) ||
      !vk_stat_add_uint(out, "allocation", info.allocation) ||
      !vk_stat_add_uint(out, "physical", info.physical))
    return oom(out, errp);
  return true;
}

bool
vk_dom_blkerrors(virDomainPtr dom, vk_stat_record *out, vk_error **errp)
{
  static const char *const why[] = { [VIR_DOMAIN_DISK_ERROR_NONE] = "none",
                                     [VIR_DOMAIN_DISK_ERROR_UNSPEC] = "unspec",
                                     [VIR_DOMAIN_DISK_ERROR_NO_SPACE] = "no space" };
  virDomainDiskErrorPtr e = NULL;
  int n = virDomainGetDiskErrors(dom, NULL, 0, 0), got;
  bool ok;

  memset(out, 0, sizeof *out);
  if (n < 0)
    return vk_virt_dom_error(errp, dom, "cannot get the disk errors of");
  if (n > 0 && !(e = calloc((size_t)n, sizeof *e)))
    return oom(out, errp);
  if (n > 0 && (got = virDomainGetDiskErrors(dom, e, (unsigned)n, 0)) < 0) {
    free(e);
    return vk_virt_dom_error(errp, dom, "cannot get the disk errors of");
  } else if (n == 0) {
    got = 0;
  }
  ok = (out->name = strdup(virDomainGetName(dom))) != NULL;
  for (int i = 0; i < got; i++) {
    int w = e[i].error;
    ok = ok &&
         vk_stat_add_string(out, e[i].disk ? e[i].disk : "?",
                            w >= 0 && w <= VIR_DOMAIN_DISK_ERROR_NO_SPACE ? why[w] : "unknown");
    free(e[i].disk);
  }
  free(e);
  return ok || oom(out, errp);
}

/* Did the last libvirt call fail because the host cannot do it? */
static bool
unsupported(void)
{
  virErrorPtr e = virGetLastError();

  return e && (e->code == VIR_ERR_OPERATION_UNSUPPORTED || e->code == VIR_ERR_NO_SUPPORT);
}

bool
vk_dom_cpustats(virDomainPtr dom, int start, int count, bool total, bool *percpu_unsupported,
                vk_stat_list *out, vk_error **errp)
{
  int ncpus = virDomainGetCPUStats(dom, NULL, 0, 0, 0, 0), per = 0, got = 0;
  virTypedParameterPtr p = NULL;
  bool ok = true;

  memset(out, 0, sizeof *out);
  if (percpu_unsupported)
    *percpu_unsupported = false;
  if (ncpus < 0 || (count != 0 && (per = virDomainGetCPUStats(dom, NULL, 0, 0, 1, 0)) < 0)) {
    if (!percpu_unsupported || !unsupported())
      return vk_virt_dom_error(errp, dom, "cannot get the CPU statistics of");
    /* cgroup v2 keeps no time per host CPU: the total only */
    virResetLastError();
    *percpu_unsupported = true;
    count = 0;
    if (ncpus < 0)
      ncpus = start + 1;
  }
  if (start < 0 || start >= ncpus)
    return vk_error_set(errp, VK_EXIT_USAGE, "--start %d: the host has CPUs 0-%d", start,
                        ncpus - 1);
  if (count < 0 || count > ncpus - start)
    count = ncpus - start;
  if (!(out->r = calloc((size_t)count + 1, sizeof *out->r)))
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "out of memory");
  if (count > 0 && per > 0) {
    if (!(p = calloc((size_t)per * (size_t)count, sizeof *p)))
      ok = vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "out of memory");
    else if ((got = virDomainGetCPUStats(dom, p, (unsigned)per, start, (unsigned)count, 0)) < 0) {
      if (percpu_unsupported && unsupported()) {
        /* cgroup v2 keeps no time per host CPU: the total only */
        virResetLastError();
        *percpu_unsupported = true;
        count = 0;
      } else {
        ok = vk_virt_dom_error(errp, dom, "cannot get the CPU statistics of");
      }
    }
    /* got: the parameters per CPU actually filled (CPUs of a host that
     * went offline have none) */
    for (int c = 0; ok && c < count; c++) {
      char name[32];
      snprintf(name, sizeof name, "CPU%d", start + c);
      if (!vk_stat_record_from_params(name, p + (size_t)c * (size_t)per, got, &out->r[out->n++]))
        ok = vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "out of memory");
    }
    if (p)
      virTypedParamsClear(p, per * count);
    free(p);
    p = NULL;
  }
  if (ok && total) {
    int tn = virDomainGetCPUStats(dom, NULL, 0, -1, 1, 0);
    if (tn < 0)
      ok = vk_virt_dom_error(errp, dom, "cannot get the CPU statistics of");
    else if (!(p = calloc((size_t)tn + 1, sizeof *p)))
      ok = vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "out of memory");
    else if ((tn = virDomainGetCPUStats(dom, p, (unsigned)tn, -1, 1, 0)) < 0)
      ok = vk_virt_dom_error(errp, dom, "cannot get the CPU statistics of");
    else if (!vk_stat_record_from_params("Total", p, tn, &out->r[out->n++]))
      ok = vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "out of memory");
    if (p && tn > 0)
      virTypedParamsClear(p, tn);
    free(p);
  }
  if (!ok)
    vk_stat_list_free(out);
  return ok;
}

bool
vk_dom_control(virDomainPtr dom, vk_stat_record *out, vk_error **errp)
{
  static const char *const states[] = { [VIR_DOMAIN_CONTROL_OK] = "ok",
                                        [VIR_DOMAIN_CONTROL_JOB] = "job",
                                        [VIR_DOMAIN_CONTROL_OCCUPIED] = "occupied",
                                        [VIR_DOMAIN_CONTROL_ERROR] = "error" };
  static const char *const details[] = { [VIR_DOMAIN_CONTROL_ERROR_REASON_NONE] = "none",
                                         [VIR_DOMAIN_CONTROL_ERROR_REASON_UNKNOWN] = "unknown",
                                         [VIR_DOMAIN_CONTROL_ERROR_REASON_MONITOR] = "monitor",
                                         [VIR_DOMAIN_CONTROL_ERROR_REASON_INTERNAL] = "internal" };
  virDomainControlInfo info;
  bool ok;

  memset(out, 0, sizeof *out);
  if (virDomainGetControlInfo(dom, &info, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot get the control state of");
  ok = (out->name = strdup(virDomainGetName(dom))) &&
       vk_stat_add_string(out, "state",
                          info.state <= VIR_DOMAIN_CONTROL_ERROR ? states[info.state] : "unknown");
  if (ok && info.state == VIR_DOMAIN_CONTROL_ERROR)
    ok = vk_stat_add_string(out, "details",
                            info.details <= VIR_DOMAIN_CONTROL_ERROR_REASON_INTERNAL
                                ? details[info.details]
                                : "unknown");
  if (ok && (info.state == VIR_DOMAIN_CONTROL_JOB || info.state == VIR_DOMAIN_CONTROL_OCCUPIED))
    ok = vk_stat_add_uint(out, "state_time", info.stateTime);
  return ok || oom(out, errp);
}
