/* vctl setmem, setmaxmem, setvcpus, domstats, schedinfo, memtune,
 * blkiotune, numatune, vcpucount, vcpuinfo, vcpupin, emulatorpin. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "util/size.h"
#include "virt/stats.h"
#include "virt/tune.h"
#include "vctl.h"

static int opt_live, opt_config, opt_current, opt_maximum, opt_json;
static int opt_g_state, opt_g_cpu, opt_g_balloon, opt_g_vcpu, opt_g_iface, opt_g_block;
static int opt_g_perf, opt_g_iothread, opt_g_memory, opt_g_dirtyrate, opt_g_vm;
static int opt_l_active, opt_l_inactive, opt_l_persistent, opt_l_transient, opt_l_running,
    opt_l_paused, opt_l_shutoff, opt_l_other, opt_backing, opt_enforce, opt_nowait, opt_raw;

#define AFFECT_OPTIONS \
  { "live", '\0', POPT_ARG_NONE, &opt_live, 0, "change the running domain", NULL }, \
  { "config", '\0', POPT_ARG_NONE, &opt_config, 0, "change the persistent definition", NULL }, \
  { "current", '\0', POPT_ARG_NONE, &opt_current, 0, \
    "change the running domain if it runs, else the definition (the default)", NULL }

const struct poptOption vctl_setmem_options[] = {
  AFFECT_OPTIONS,
  POPT_TABLEEND
};

const struct poptOption vctl_setvcpus_options[] = {
  AFFECT_OPTIONS,
  { "maximum", '\0', POPT_ARG_NONE, &opt_maximum, 0, "set the maximum number (with --config)", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_domstats_options[] = {
  { "state", '\0', POPT_ARG_NONE, &opt_g_state, 0, "state group", NULL },
  { "cpu-total", '\0', POPT_ARG_NONE, &opt_g_cpu, 0, "CPU time group", NULL },
  { "balloon", '\0', POPT_ARG_NONE, &opt_g_balloon, 0, "memory balloon group", NULL },
  { "vcpu", '\0', POPT_ARG_NONE, &opt_g_vcpu, 0, "virtual CPU group", NULL },
  { "interface", '\0', POPT_ARG_NONE, &opt_g_iface, 0, "network interface group", NULL },
  { "block", '\0', POPT_ARG_NONE, &opt_g_block, 0, "block device group", NULL },
  { "perf", '\0', POPT_ARG_NONE, &opt_g_perf, 0, "perf event group", NULL },
  { "iothread", '\0', POPT_ARG_NONE, &opt_g_iothread, 0, "I/O thread group", NULL },
  { "memory", '\0', POPT_ARG_NONE, &opt_g_memory, 0, "memory bandwidth group", NULL },
  { "dirtyrate", '\0', POPT_ARG_NONE, &opt_g_dirtyrate, 0, "memory dirty rate group", NULL },
  { "vm", '\0', POPT_ARG_NONE, &opt_g_vm, 0, "the hypervisor's own counters of the VM", NULL },
  { "list-active", '\0', POPT_ARG_NONE, &opt_l_active, 0, "only running or paused domains", NULL },
  { "list-inactive", '\0', POPT_ARG_NONE, &opt_l_inactive, 0, "only shut-off domains", NULL },
  { "list-persistent", '\0', POPT_ARG_NONE, &opt_l_persistent, 0, "only persistent domains", NULL },
  { "list-transient", '\0', POPT_ARG_NONE, &opt_l_transient, 0, "only transient domains", NULL },
  { "list-running", '\0', POPT_ARG_NONE, &opt_l_running, 0, "only running domains", NULL },
  { "list-paused", '\0', POPT_ARG_NONE, &opt_l_paused, 0, "only paused domains", NULL },
  { "list-shutoff", '\0', POPT_ARG_NONE, &opt_l_shutoff, 0, "only shut-off domains", NULL },
  { "list-other", '\0', POPT_ARG_NONE, &opt_l_other, 0, "only domains in other states", NULL },
  { "backing", '\0', POPT_ARG_NONE, &opt_backing, 0, "block statistics for the backing images too",
    NULL },
  { "enforce", '\0', POPT_ARG_NONE, &opt_enforce, 0,
    "fail when the hypervisor lacks a group asked for", NULL },
  { "nowait", '\0', POPT_ARG_NONE, &opt_nowait, 0,
    "skip what a domain busy with a job cannot answer now", NULL },
  { "raw", '\0', POPT_ARG_NONE, &opt_raw, 0, "raw values (what vctl always prints)", NULL },
  VK_OPT_JSON(opt_json, "print a JSON array"),
  POPT_TABLEEND
};

static unsigned
affect_flags(void)
{
  return (opt_live ? VK_TUNE_LIVE : 0) | (opt_config ? VK_TUNE_CONFIG : 0);
}

/* --current, --live and --config make sense together? */
static bool
affect_ok(vk_cmd_ctx *ctx, int *rc)
{
  *rc = vk_cmd_exclusive(ctx, "--current", opt_current, "--live", opt_live, NULL);
  if (!*rc)
    *rc = vk_cmd_exclusive(ctx, "--current", opt_current, "--config", opt_config, NULL);
  return *rc == 0;
}

static int
set_mem(vk_cmd_ctx *ctx, bool max)
{
  vk_error *perr = NULL;
  uint64_t bytes;
  int prc;

  /* a bare number is KiB, as with virsh */
  if (!vk_parse_size_unit(ctx->argv[1], 1024, &bytes, &perr)) {
    prc = vk_cmd_usage(ctx, "%s", perr->msg);
    vk_error_free(perr);
    return prc;
  }
  if (!affect_ok(ctx, &prc))
    return prc;
  VCTL_DOMAIN_OR_RETURN(false);
  if (!(max ? vk_domain_set_max_memory(dom, bytes, affect_flags(), &err)
            : vk_domain_set_memory(dom, bytes, affect_flags(), &err)))
    return vk_cmd_fail(ctx, err);
  return 0;
}

int
vctl_setmem(vk_cmd_ctx *ctx)
{
  return set_mem(ctx, false);
}

int
vctl_setmaxmem(vk_cmd_ctx *ctx)
{
  return set_mem(ctx, true);
}

int
vctl_setvcpus(vk_cmd_ctx *ctx)
{
  char *end;
  long n;
  int prc;

  errno = 0;
  n = strtol(ctx->argv[1], &end, 10);
  if (errno || end == ctx->argv[1] || *end || n < 1 || n > INT_MAX)
    return vk_cmd_usage(ctx, "'%s' is not a number of virtual CPUs", ctx->argv[1]);
  if (!affect_ok(ctx, &prc))
    return prc;
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_domain_set_vcpus(dom, (unsigned)n, affect_flags() | (opt_maximum ? VK_TUNE_MAXIMUM : 0), &err))
    return vk_cmd_fail(ctx, err);
  return 0;
}

typedef struct {
  unsigned groups, flags;
  vk_stat_list *lists;
  const char ***names; /* per host: the names asked of it */
  size_t *nnames;
  bool by_name, borrowed;
} stats_arg;

static bool
fetch_stats(virConnectPtr conn, size_t i, void *opaque, vk_error **errp)
{
  stats_arg *fa = opaque;

  if (fa->by_name && !fa->nnames[i])
    return true; /* none of the named domains is on this host */
  return vk_domstats(conn, fa->names[i], fa->nnames[i], fa->groups, fa->flags, &fa->lists[i], errp);
}

int
vctl_domstats(vk_cmd_ctx *ctx)
{
  vk_error *err = NULL;
  stats_arg fa = { 0 };
  vctl_conns cs;
  unsigned groups = 0;
  int rc = 0;

  if (opt_g_state)
    groups |= VIR_DOMAIN_STATS_STATE;
  if (opt_g_cpu)
    groups |= VIR_DOMAIN_STATS_CPU_TOTAL;
  if (opt_g_balloon)
    groups |= VIR_DOMAIN_STATS_BALLOON;
  if (opt_g_vcpu)
    groups |= VIR_DOMAIN_STATS_VCPU;
  if (opt_g_iface)
    groups |= VIR_DOMAIN_STATS_INTERFACE;
  if (opt_g_block)
    groups |= VIR_DOMAIN_STATS_BLOCK;
  groups |=
      (opt_g_perf ? VIR_DOMAIN_STATS_PERF : 0) | (opt_g_iothread ? VIR_DOMAIN_STATS_IOTHREAD : 0) |
      (opt_g_memory ? VIR_DOMAIN_STATS_MEMORY : 0) |
      (opt_g_dirtyrate ? VIR_DOMAIN_STATS_DIRTYRATE : 0) | (opt_g_vm ? VIR_DOMAIN_STATS_VM : 0);
  fa.flags = (opt_l_active ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE : 0) |
             (opt_l_inactive ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE : 0) |
             (opt_l_persistent ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_PERSISTENT : 0) |
             (opt_l_transient ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_TRANSIENT : 0) |
             (opt_l_running ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING : 0) |
             (opt_l_paused ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_PAUSED : 0) |
             (opt_l_shutoff ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_SHUTOFF : 0) |
             (opt_l_other ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_OTHER : 0);
  if (fa.flags && ctx->argc)
    return vk_cmd_usage(ctx, "the --list-* filters choose among all domains: name none");
  fa.flags |= (opt_backing ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING : 0) |
              (opt_enforce ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS : 0) |
              (opt_nowait ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT : 0);
  (void)opt_raw;
  rc = vctl_open_all(ctx, true, &cs);
  if (!cs.n)
    return rc;
  fa.groups = groups;
  fa.lists = calloc(cs.n, sizeof *fa.lists);
  fa.names = calloc(cs.n, sizeof *fa.names);
  fa.nnames = calloc(cs.n, sizeof *fa.nnames);
  if (!fa.lists || !fa.names || !fa.nnames) {
    rc = vk_cmd_fail(ctx, NULL);
    goto out;
  }
  if (ctx->argc && cs.many) {
    /* each named domain from the host that has it */
    for (int k = 0; k < ctx->argc; k++) {
      size_t h = 0;
      virDomainPtr d = vk_hosts_find_domain(cs.hosts, cs.conns, ctx->argv[k], &h, &err);
      if (!d) {
        rc = vk_cmd_fail(ctx, err);
        goto out;
      }
      virDomainFree(d);
      if (!fa.names[h] && !(fa.names[h] = calloc((size_t)ctx->argc, sizeof *fa.names[h]))) {
        rc = vk_cmd_fail(ctx, NULL);
        goto out;
      }
      fa.names[h][fa.nnames[h]++] = ctx->argv[k];
    }
    fa.by_name = true;
  } else if (ctx->argc) {
    fa.names[0] = ctx->argv;
    fa.nnames[0] = (size_t)ctx->argc;
    fa.by_name = true;
    fa.borrowed = true;
  }
  if (!vctl_fetch_all(ctx, &cs, fetch_stats, &fa, &rc))
    goto out;
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t h = 0; h < cs.n; h++) {
      if (vctl_json_host_error(j, &cs, h))
        continue;
      for (size_t i = 0; i < fa.lists[h].n; i++) {
        vk_json_begin_object(j);
        if (cs.many)
          vk_json_kv_string(j, "host", vctl_conns_uri(&cs, h));
        vk_json_kv_string(j, "name", fa.lists[h].r[i].name);
        vk_json_key(j, "stats");
        if (!vk_stat_record_json(&fa.lists[h].r[i], j, &err)) {
          rc = vk_cmd_fail(ctx, err);
          goto out;
        }
        vk_json_end_object(j);
      }
    }
    vk_json_end_array(j);
  } else {
    for (size_t h = 0; h < cs.n; h++) {
      for (size_t i = 0; i < fa.lists[h].n; i++) {
        const vk_stat_record *r = &fa.lists[h].r[i];
        fprintf(ctx->out, "Domain: '%s'\n", r->name);
        if (cs.many)
          fprintf(ctx->out, "  host=%s\n", vctl_conns_uri(&cs, h));
        for (size_t k = 0; k < r->n; k++) {
          const vk_stat_field *f = &r->f[k];
          fprintf(ctx->out, "  %s=", f->key);
          if (f->kind == VK_STAT_DOUBLE)
            fprintf(ctx->out, "%f", f->v.d);
          else
            vctl_print_stat_value(ctx->out, f);
          fputc('\n', ctx->out);
        }
        fputc('\n', ctx->out);
      }
    }
  }
  ctx->partial = rc != 0;
out:
  for (size_t h = 0; fa.lists && h < cs.n; h++)
    vk_stat_list_free(&fa.lists[h]);
  for (size_t h = 0; fa.names && !fa.borrowed && h < cs.n; h++)
    free(fa.names[h]);
  free(fa.lists);
  free(fa.names);
  free(fa.nnames);
  vctl_conns_close(&cs);
  return rc;
}

/* ------------------------------------------------------------ typed tunables */

static const char **opt_set;
static const char *opt_hard, *opt_soft, *opt_swap, *opt_min, *opt_weight, *opt_dev_weights,
    *opt_riops, *opt_wiops, *opt_rbps, *opt_wbps, *opt_mode, *opt_nodeset;

const struct poptOption vctl_schedinfo_options[] = {
  AFFECT_OPTIONS,
  { "set", '\0', POPT_ARG_ARGV, &opt_set, 0, "set a parameter (repeatable)", "NAME=VALUE" },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_memtune_options[] = {
  AFFECT_OPTIONS,
  { "hard-limit", '\0', POPT_ARG_STRING, &opt_hard, 0, "the most memory the guest may use",
    "SIZE|unlimited" },
  { "soft-limit", '\0', POPT_ARG_STRING, &opt_soft, 0, "what it is pushed back to under contention",
    "SIZE|unlimited" },
  { "swap-hard-limit", '\0', POPT_ARG_STRING, &opt_swap, 0, "memory plus swap", "SIZE|unlimited" },
  { "min-guarantee", '\0', POPT_ARG_STRING, &opt_min, 0, "memory always left to it", "SIZE" },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_blkiotune_options[] = {
  AFFECT_OPTIONS,
  { "weight", '\0', POPT_ARG_STRING, &opt_weight, 0, "the I/O weight", "N" },
  { "device-weights", '\0', POPT_ARG_STRING, &opt_dev_weights, 0, "per device", "DEV,N[,...]" },
  { "device-read-iops-sec", '\0', POPT_ARG_STRING, &opt_riops, 0, "read operations per second",
    "DEV,N[,...]" },
  { "device-write-iops-sec", '\0', POPT_ARG_STRING, &opt_wiops, 0, "write operations per second",
    "DEV,N[,...]" },
  { "device-read-bytes-sec", '\0', POPT_ARG_STRING, &opt_rbps, 0, "read bytes per second",
    "DEV,N[,...]" },
  { "device-write-bytes-sec", '\0', POPT_ARG_STRING, &opt_wbps, 0, "write bytes per second",
    "DEV,N[,...]" },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_numatune_options[] = {
  AFFECT_OPTIONS,
  { "mode", '\0', POPT_ARG_STRING, &opt_mode, 0, "the memory policy",
    "strict|preferred|interleave|restrictive" },
  { "nodeset", '\0', POPT_ARG_STRING, &opt_nodeset, 0, "the host NUMA nodes", "LIST" },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_vcpu_options[] = { AFFECT_OPTIONS, VK_OPT_JSON(opt_json, "print JSON"),
                                                POPT_TABLEEND };

/* Print a tunables record: virsh's "NAME           : VALUE" lines
 * (memtune's no-limit as "unlimited"), or one JSON object (null). */
static void
print_tunables(vk_cmd_ctx *ctx, vk_tune_kind kind, const vk_stat_record *r)
{
  vk_json j_w, *j = opt_json ? vk_json_init(&j_w, ctx->out) : NULL;

  if (j) {
    vk_json_begin_object(j);
    if (kind == VK_TUNE_SCHED)
      vk_json_kv_string(j, "scheduler", r->name);
  } else if (kind == VK_TUNE_SCHED) {
    fprintf(ctx->out, "%-15s: %s\n", "Scheduler", r->name);
  }
  for (size_t i = 0; i < r->n; i++) {
    const vk_stat_field *f = &r->f[i];
    bool unlimited = kind == VK_TUNE_MEM && f->kind == VK_STAT_UINT && f->v.u >= VK_TUNE_UNLIMITED;
    if (j) {
      if (unlimited)
        vk_json_kv_null(j, f->key);
      else
        vctl_json_stat_field(j, f);
      continue;
    }
    fprintf(ctx->out, "%-15s: ", f->key);
    if (unlimited)
      fputs("unlimited", ctx->out);
    else if (f->kind == VK_STAT_DOUBLE)
      fprintf(ctx->out, "%f", f->v.d);
    else
      vctl_print_stat_value(ctx->out, f);
    fputc('\n', ctx->out);
  }
  if (j)
    vk_json_end_object(j);
}

/* Set what `assign` says (n texts NAME=VALUE), then print the tunables
 * (show_after: always, as virsh's schedinfo; else only when nothing was
 * set). */
static int
tune_cmd(vk_cmd_ctx *ctx, vk_tune_kind kind, const char *const *assign, size_t n, bool show_after)
{
  vk_stat_record r;
  int prc;

  if (!affect_ok(ctx, &prc))
    return prc;
  VCTL_DOMAIN_OR_RETURN(n == 0);
  if (n && !vk_tune_set(dom, kind, assign, n, affect_flags(), &err))
    return vk_cmd_fail(ctx, err);
  if (n && !show_after)
    return 0;
  /* both --live and --config: show the live values */
  if (!vk_tune_get(dom, kind, opt_live ? VK_TUNE_LIVE : opt_config ? VK_TUNE_CONFIG : 0, &r, &err))
    return vk_cmd_fail(ctx, err);
  print_tunables(ctx, kind, &r);
  vk_stat_record_clear(&r);
  return rc;
}

int
vctl_schedinfo(vk_cmd_ctx *ctx)
{
  size_t n = 0;

  while (opt_set && opt_set[n])
    n++;
  return tune_cmd(ctx, VK_TUNE_SCHED, opt_set, n, true);
}

/* "NAME=VALUE" for each option given, into a[] (texts in buf). */
static size_t
assignments(const char *const *names, const char *const *values, size_t k, char buf[][256],
            const char **a)
{
  size_t n = 0;

  for (size_t i = 0; i < k; i++)
    if (values[i]) {
      snprintf(buf[n], 256, "%s=%s", names[i], values[i]);
      a[n] = buf[n];
      n++;
    }
  return n;
}

int
vctl_memtune(vk_cmd_ctx *ctx)
{
  static const char *const names[] = { VIR_DOMAIN_MEMORY_HARD_LIMIT, VIR_DOMAIN_MEMORY_SOFT_LIMIT,
                                       VIR_DOMAIN_MEMORY_SWAP_HARD_LIMIT,
                                       VIR_DOMAIN_MEMORY_MIN_GUARANTEE };
  const char *values[] = { opt_hard, opt_soft, opt_swap, opt_min }, *a[4];
  char buf[4][256];

  return tune_cmd(ctx, VK_TUNE_MEM, a, assignments(names, values, 4, buf, a), false);
}

int
vctl_blkiotune(vk_cmd_ctx *ctx)
{
  static const char *const names[] = {
    VIR_DOMAIN_BLKIO_WEIGHT,           VIR_DOMAIN_BLKIO_DEVICE_WEIGHT,
    VIR_DOMAIN_BLKIO_DEVICE_READ_IOPS, VIR_DOMAIN_BLKIO_DEVICE_WRITE_IOPS,
    VIR_DOMAIN_BLKIO_DEVICE_READ_BPS,  VIR_DOMAIN_BLKIO_DEVICE_WRITE_BPS
  };
  const char *values[] = { opt_weight, opt_dev_weights, opt_riops, opt_wiops, opt_rbps, opt_wbps },
             *a[6];
  char buf[6][256];

  return tune_cmd(ctx, VK_TUNE_BLKIO, a, assignments(names, values, 6, buf, a), false);
}

int
vctl_numatune(vk_cmd_ctx *ctx)
{
  static const char *const names[] = { VIR_DOMAIN_NUMA_MODE, VIR_DOMAIN_NUMA_NODESET };
  const char *values[] = { opt_mode, opt_nodeset }, *a[2];
  char buf[2][256];

  return tune_cmd(ctx, VK_TUNE_NUMA, a, assignments(names, values, 2, buf, a), false);
}

/* ------------------------------------------------------------ vCPUs */

int
vctl_vcpucount(vk_cmd_ctx *ctx)
{
  vk_stat_record r;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!vk_vcpu_count(dom, &r, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    for (size_t i = 0; i < r.n; i++)
      vk_json_kv_uint(j, r.f[i].key, r.f[i].v.u);
    vk_json_end_object(j);
  } else {
    /* virsh's layout: "maximum      config         2" */
    for (size_t i = 0; i < r.n; i++) {
      const char *us = strchr(r.f[i].key, '_');
      fprintf(ctx->out, "%-12.*s %-12s %3" PRIu64 "\n", (int)(us - r.f[i].key), r.f[i].key, us + 1,
              r.f[i].v.u);
    }
  }
  vk_stat_record_clear(&r);
  return rc;
}

int
vctl_vcpuinfo(vk_cmd_ctx *ctx)
{
  static const char *const states[] = { "offline", "running", "blocked" };
  vk_vcpu_info *v;
  size_t n;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!(v = vk_vcpu_info_get(dom, &n, &err)))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
      vk_json_begin_object(j);
      vk_json_kv_uint(j, "vcpu", v[i].number);
      if (v[i].cpu >= 0)
        vk_json_kv_int(j, "cpu", v[i].cpu);
      else
        vk_json_kv_null(j, "cpu");
      vk_json_kv_string(j, "state",
                        v[i].cpu < 0 && v[i].state == VIR_VCPU_OFFLINE ? "offline"
                        : v[i].state >= 0 && v[i].state <= 2           ? states[v[i].state]
                                                                       : "unknown");
      vk_json_kv_uint(j, "time_ns", v[i].time_ns);
      vk_json_kv_string(j, "affinity", v[i].affinity);
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
  } else {
    for (size_t i = 0; i < n; i++) {
      fprintf(ctx->out, "%-15s %u\n", "VCPU:", v[i].number);
      if (v[i].cpu >= 0) {
        fprintf(ctx->out, "%-15s %d\n%-15s %s\n%-15s %.1fs\n", "CPU:", v[i].cpu,
                "State:", v[i].state >= 0 && v[i].state <= 2 ? states[v[i].state] : "unknown",
                "CPU time:", (double)v[i].time_ns / 1e9);
      } else {
        fprintf(ctx->out, "%-15s %s\n%-15s %s\n", "CPU:", "N/A", "State:", "N/A");
      }
      fprintf(ctx->out, "%-15s %s\n\n", "CPU Affinity:", v[i].affinity);
    }
  }
  free(v);
  return rc;
}

static int
pin_cmd(vk_cmd_ctx *ctx, bool emulator)
{
  vk_stat_record r;
  const char *list =
      emulator ? (ctx->argc > 1 ? ctx->argv[1] : NULL) : (ctx->argc > 2 ? ctx->argv[2] : NULL);
  int prc, vcpu = -1;

  if (!affect_ok(ctx, &prc))
    return prc;
  if (!emulator && ctx->argc > 1) {
    char *end;
    long l;
    errno = 0;
    l = strtol(ctx->argv[1], &end, 10);
    if (errno || *end || end == ctx->argv[1] || l < 0 || l > INT_MAX)
      return vk_cmd_usage(ctx, "'%s' is not a vCPU number", ctx->argv[1]);
    vcpu = (int)l;
  }
  VCTL_DOMAIN_OR_RETURN(list == NULL);
  if (list) {
    if (!vk_vcpu_pin(dom, vcpu, list, affect_flags(), &err))
      return vk_cmd_fail(ctx, err);
    return 0;
  }
  if (!vk_vcpu_pins(dom, emulator,
                    opt_config ? VK_TUNE_CONFIG
                    : opt_live ? VK_TUNE_LIVE
                               : 0,
                    &r, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    if (emulator) {
      vk_json_begin_object(j);
      vk_json_kv_string(j, "affinity", r.n ? r.f[0].v.s : "");
      vk_json_end_object(j);
    } else {
      vk_json_begin_array(j);
      for (size_t i = 0; i < r.n; i++) {
        if (vcpu >= 0 && (size_t)vcpu != i)
          continue;
        vk_json_begin_object(j);
        vk_json_kv_uint(j, "vcpu", i);
        vk_json_kv_string(j, "affinity", r.f[i].v.s);
        vk_json_end_object(j);
      }
      vk_json_end_array(j);
    }
  } else if (emulator) {
    /* virsh's layout */
    fprintf(ctx->out, "emulator: CPU Affinity\n----------------------------------\n       *: %s\n",
            r.n ? r.f[0].v.s : "");
  } else {
    static const char *const head[] = { "VCPU", "CPU Affinity" };
    vk_table *t = vk_table_new(2, head);
    for (size_t i = 0; i < r.n; i++) {
      const char *row[] = { r.f[i].key, r.f[i].v.s };
      if (vcpu < 0 || (size_t)vcpu == i)
        vk_table_add(t, row);
    }
    if (vcpu >= 0 && (size_t)vcpu >= r.n) {
      vk_table_free(t);
      vk_stat_record_clear(&r);
      vk_error_set(&err, VK_EXIT_USAGE, "the domain has vCPUs 0-%zu", r.n ? r.n - 1 : 0);
      return vk_cmd_fail(ctx, err);
    }
    rc = vctl_print_table(ctx, t);
  }
  vk_stat_record_clear(&r);
  return rc;
}

int
vctl_vcpupin(vk_cmd_ctx *ctx)
{
  return pin_cmd(ctx, false);
}

int
vctl_emulatorpin(vk_cmd_ctx *ctx)
{
  return pin_cmd(ctx, true);
}
