/* vctl host-validate, nodeinfo, version, hostname, uri, maxvcpus, freecell,
 * nodememstats, nodecpustats, cpu-models, capabilities, domcapabilities,
 * sysinfo, node-memory-tune. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "util/text.h"
#include "virt/host.h"
#include "vctl.h"

static int opt_json, opt_quiet, opt_all, opt_percent;
static int opt_cell = -1, opt_cpu = -1;
static const char *opt_type, *opt_virttype, *opt_emulator, *opt_arch, *opt_machine;
static const char *opt_ksm_scan, *opt_ksm_sleep, *opt_ksm_merge;

const struct poptOption vctl_host_validate_options[] = {
  { "quiet", 'q', POPT_ARG_NONE, &opt_quiet, 0, "print only the checks that warn or fail", NULL },
  VK_OPT_JSON(opt_json, "print a JSON array, one object per check"),
  POPT_TABLEEND
};

const struct poptOption vctl_host_json_options[] = { VK_OPT_JSON(opt_json, "print a JSON object"),
                                                     POPT_TABLEEND };

const struct poptOption vctl_maxvcpus_options[] = { { "type", '\0', POPT_ARG_STRING, &opt_type, 0,
                                                      "the domain type: kvm (default) or qemu",
                                                      "kvm|qemu" },
                                                    VK_OPT_JSON(opt_json, "print a JSON object"),
                                                    POPT_TABLEEND };

const struct poptOption vctl_freecell_options[] = {
  { "all", 'a', POPT_ARG_NONE, &opt_all, 0, "every NUMA cell, and the total", NULL },
  { "cellno", '\0', POPT_ARG_INT, &opt_cell, 0, "this NUMA cell only", "N" },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_nodememstats_options[] = {
  { "cell", '\0', POPT_ARG_INT, &opt_cell, 0, "this NUMA cell only", "N" },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_nodecpustats_options[] = {
  { "cpu", '\0', POPT_ARG_INT, &opt_cpu, 0, "this CPU only", "N" },
  { "percent", '\0', POPT_ARG_NONE, &opt_percent, 0, "shares of time over one second", NULL },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_cpu_models_options[] = { VK_OPT_JSON(opt_json, "print a JSON array"),
                                                      POPT_TABLEEND };

const struct poptOption vctl_domcapabilities_options[] = {
  { "virttype", '\0', POPT_ARG_STRING, &opt_virttype, 0, "the domain type (kvm, qemu)", "TYPE" },
  { "emulatorbin", '\0', POPT_ARG_STRING, &opt_emulator, 0, "the emulator binary", "FILE" },
  { "arch", '\0', POPT_ARG_STRING, &opt_arch, 0, "the guest architecture", "ARCH" },
  { "machine", '\0', POPT_ARG_STRING, &opt_machine, 0, "the machine type", "MACHINE" },
  POPT_TABLEEND
};

const struct poptOption vctl_node_memory_tune_options[] = {
  { "shm-pages-to-scan", '\0', POPT_ARG_STRING, &opt_ksm_scan, 0,
    "pages KSM scans before it sleeps", "N" },
  { "shm-sleep-millisecs", '\0', POPT_ARG_STRING, &opt_ksm_sleep, 0,
    "milliseconds KSM sleeps between scans", "MS" },
  { "shm-merge-across-nodes", '\0', POPT_ARG_STRING, &opt_ksm_merge, 0,
    "merge pages of different NUMA nodes (1) or not (0)", "0|1" },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

/* ------------------------------------------------------------ validate */

int
vctl_host_validate(vk_cmd_ctx *ctx)
{
  vctl_conns cs;
  vk_checks *checks;
  int rc = vctl_open_all(ctx, false, &cs), status = 0;
  vk_json j_w, *j = NULL;

  if (!cs.n)
    return rc;
  if (!(checks = calloc(cs.n, sizeof *checks))) {
    vctl_conns_close(&cs);
    return vk_cmd_fail(ctx, NULL);
  }
  for (size_t h = 0; h < cs.n; h++) {
    const char *uri = cs.hosts ? cs.hosts->v[h].uri : getenv("LIBVIRT_DEFAULT_URI");
    vk_host_validate(cs.conns[h], cs.errors[h], vk_uri_is_local(uri), &checks[h]);
  }
  if (opt_json) {
    j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
  }
  for (size_t h = 0; h < cs.n; h++) {
    for (size_t i = 0; i < checks[h].n; i++) {
      const vk_check *c = &checks[h].v[i];
      if (opt_quiet && c->result == VK_CHECK_PASS)
        continue;
      if (j) {
        vk_json_begin_object(j);
        if (cs.many)
          vk_json_kv_string(j, "host", vctl_conns_uri(&cs, h));
        vk_json_kv_string(j, "id", c->id);
        vk_json_kv_string(j, "check", c->what);
        vk_json_kv_string(j, "result", vk_check_word(c->result));
        vk_json_kv_string(j, "detail", c->detail);
        vk_json_kv_string(j, "fix", c->fix);
        vk_json_end_object(j);
        continue;
      }
      /* "WARN  host: what: detail", the fix indented below */
      fprintf(ctx->out, "%s  %s%s%s: %s\n", vk_check_word(c->result),
              cs.many ? vctl_conns_name(&cs, h) : "", cs.many ? ": " : "", c->what,
              c->detail ? c->detail : "");
      if (c->fix)
        fprintf(ctx->out, "      fix: %s\n", c->fix);
    }
    if (!cs.conns[h])
      status = status ? status : VK_EXIT_CONNECT;
    else if (!checks[h].can_run_kvm && status == 0)
      status = VK_EXIT_FAILED;
  }
  if (j)
    vk_json_end_array(j);
  for (size_t h = 0; h < cs.n; h++)
    vk_checks_free(&checks[h]);
  free(checks);
  vctl_conns_close(&cs);
  /* the report is the result, whatever the status says */
  ctx->partial = true;
  return status;
}

/* ------------------------------------------------------------ facts */

typedef struct node {
  virNodeInfo info;
} node;

static bool
fetch_node(virConnectPtr conn, size_t i, void *opaque, vk_error **errp)
{
  node *n = opaque;

  if (virNodeGetInfo(conn, &n[i].info) < 0)
    return vk_virt_error(errp, conn, "cannot read the host's facts");
  return true;
}

static void
node_json(vk_json *j, const vctl_conns *cs, size_t h, const virNodeInfo *i)
{
  vk_json_begin_object(j);
  if (cs->many)
    vk_json_kv_string(j, "host", vctl_conns_uri(cs, h));
  vk_json_kv_string(j, "cpu_model", i->model);
  vk_json_kv_uint(j, "cpus", i->cpus);
  vk_json_kv_uint(j, "cpu_mhz", i->mhz);
  vk_json_kv_uint(j, "numa_cells", i->nodes);
  vk_json_kv_uint(j, "sockets", i->sockets);
  vk_json_kv_uint(j, "cores_per_socket", i->cores);
  vk_json_kv_uint(j, "threads_per_core", i->threads);
  vk_json_kv_uint(j, "memory", (uint64_t)i->memory * 1024);
  vk_json_end_object(j);
}

int
vctl_nodeinfo(vk_cmd_ctx *ctx)
{
  vctl_conns cs;
  node *n;
  int rc = vctl_open_all(ctx, true, &cs);

  if (!cs.n)
    return rc;
  if (!(n = calloc(cs.n, sizeof *n))) {
    vctl_conns_close(&cs);
    return vk_cmd_fail(ctx, NULL);
  }
  if (!vctl_fetch_all(ctx, &cs, fetch_node, n, &rc))
    goto out;
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    if (cs.many)
      vk_json_begin_array(j);
    for (size_t h = 0; h < cs.n; h++)
      if (!vctl_json_host_error(j, &cs, h) && cs.conns[h])
        node_json(j, &cs, h, &n[h].info);
    if (cs.many)
      vk_json_end_array(j);
  } else if (!cs.many) {
    const virNodeInfo *i = &n[0].info;
    FILE *o = ctx->out;
    fprintf(o, "%-20s %s\n", "CPU model:", i->model);
    fprintf(o, "%-20s %u\n", "CPU(s):", i->cpus);
    fprintf(o, "%-20s %u MHz\n", "CPU frequency:", i->mhz);
    fprintf(o, "%-20s %u\n", "CPU socket(s):", i->sockets);
    fprintf(o, "%-20s %u\n", "Core(s) per socket:", i->cores);
    fprintf(o, "%-20s %u\n", "Thread(s) per core:", i->threads);
    fprintf(o, "%-20s %u\n", "NUMA cell(s):", i->nodes);
    fprintf(o, "%-20s %lu KiB\n\n", "Memory size:", i->memory);
  } else {
    static const char *const head[] = { "Host",  "CPU model", "CPUs",       "MHz",       "Sockets",
                                        "Cores", "Threads",   "NUMA cells", "Memory KiB" };
    vk_table *t = vk_table_new(9, head);
    int prc;
    for (size_t h = 0; h < cs.n; h++) {
      const virNodeInfo *i = &n[h].info;
      char c[5][16], mem[32];
      if (!cs.conns[h] || cs.errors[h])
        continue;
      snprintf(c[0], 16, "%u", i->cpus);
      snprintf(c[1], 16, "%u", i->mhz);
      snprintf(c[2], 16, "%u", i->sockets);
      snprintf(c[3], 16, "%u", i->cores);
      snprintf(c[4], 16, "%u", i->threads);
      char cells[16];
      snprintf(cells, sizeof cells, "%u", i->nodes);
      snprintf(mem, sizeof mem, "%lu", i->memory);
      const char *row[9] = {
        vctl_conns_name(&cs, h), i->model, c[0], c[1], c[2], c[3], c[4], cells, mem
      };
      vk_table_add(t, row);
    }
    if ((prc = vctl_print_table(ctx, t)))
      rc = prc;
  }
  ctx->partial = rc != 0;
out:
  free(n);
  vctl_conns_close(&cs);
  return rc;
}

int
vctl_version(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  vk_error *err = NULL;
  vk_versions v;
  char c[32], l[32], d[32], hv[32];
  int rc = 0;

  if (!(conn = vctl_open(ctx, true, &rc)))
    return rc;
  if (!vk_host_versions(conn, &v, &err))
    return vk_cmd_fail(ctx, err);
  vk_version_format(v.compiled, c, sizeof c);
  vk_version_format(v.library, l, sizeof l);
  vk_version_format(v.daemon, d, sizeof d);
  vk_version_format(v.hv, hv, sizeof hv);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    vk_json_kv_string(j, "vkit", PACKAGE_VERSION);
    vk_json_kv_string(j, "libvirt_compiled", c);
    vk_json_kv_string(j, "libvirt_library", l);
    vk_json_kv_string(j, "libvirt_daemon", v.daemon ? d : NULL);
    vk_json_kv_string(j, "hypervisor_type", v.hv_type);
    vk_json_kv_string(j, "hypervisor", v.hv ? hv : NULL);
    vk_json_end_object(j);
  } else {
    fprintf(ctx->out, "vkit: %s\n", PACKAGE_VERSION);
    fprintf(ctx->out, "Compiled against library: libvirt %s\n", c);
    fprintf(ctx->out, "Using library: libvirt %s\n", l);
    if (v.daemon)
      fprintf(ctx->out, "Running against daemon: %s\n", d);
    fprintf(ctx->out, "Running hypervisor: %s %s\n", v.hv_type, v.hv ? hv : "(unknown)");
  }
  return 0;
}

int
vctl_hostname(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_FREE char *name = NULL;
  vk_error *err = NULL;
  int rc = 0;

  if (!(conn = vctl_open(ctx, true, &rc)))
    return rc;
  if (!(name = virConnectGetHostname(conn))) {
    vk_virt_error(&err, conn, "cannot read the host's name");
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, "%s\n", name);
  return 0;
}

int
vctl_uri(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_FREE char *uri = NULL;
  vk_error *err = NULL;
  int rc = 0;

  if (!(conn = vctl_open(ctx, true, &rc)))
    return rc;
  if (!(uri = virConnectGetURI(conn))) {
    vk_virt_error(&err, conn, "cannot read the connection's URI");
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, "%s\n", uri);
  return 0;
}

int
vctl_maxvcpus(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  vk_error *err = NULL;
  int rc = 0, n;

  if (opt_type && strcmp(opt_type, "kvm") != 0 && strcmp(opt_type, "qemu") != 0)
    return vk_cmd_usage(ctx, "--type: kvm or qemu, not '%s'", opt_type);
  /* read-write: libvirt gives no domain capabilities to a read-only one */
  if (!(conn = vctl_open(ctx, false, &rc)))
    return rc;
  if (!vk_host_max_vcpus(conn, opt_type, &n, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    vk_json_kv_int(j, "max_vcpus", n);
    vk_json_end_object(j);
  } else
    fprintf(ctx->out, "%d\n", n);
  return 0;
}

int
vctl_freecell(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  vk_error *err = NULL;
  virNodeInfo ni;
  unsigned long long *cells = NULL, total = 0;
  int rc = 0, first = 0, n = 0;

  if (opt_all && opt_cell >= 0)
    return vk_cmd_usage(ctx, "--all and --cellno exclude each other");
  if (!(conn = vctl_open(ctx, true, &rc)))
    return rc;
  if (opt_all || opt_cell >= 0) {
    if (virNodeGetInfo(conn, &ni) < 0) {
      vk_virt_error(&err, conn, "cannot read the host's NUMA cells");
      return vk_cmd_fail(ctx, err);
    }
    if (opt_cell >= 0 && (unsigned)opt_cell >= (ni.nodes ? ni.nodes : 1)) {
      vk_error_set(&err, VK_EXIT_NOTFOUND, "the host has no NUMA cell %d (it has %u)", opt_cell,
                   ni.nodes ? ni.nodes : 1);
      return vk_cmd_fail(ctx, err);
    }
    first = opt_cell >= 0 ? opt_cell : 0;
    n = opt_cell >= 0 ? 1 : (int)(ni.nodes ? ni.nodes : 1);
    if (!(cells = calloc((size_t)n, sizeof *cells)))
      return vk_cmd_fail(ctx, NULL);
    if (!vk_node_free_cells(conn, first, n, cells, &err)) {
      free(cells);
      return vk_cmd_fail(ctx, err);
    }
    for (int i = 0; i < n; i++)
      total += cells[i];
  } else if (!(total = virNodeGetFreeMemory(conn))) {
    vk_virt_error(&err, conn, "cannot read the host's free memory");
    return vk_cmd_fail(ctx, err);
  }
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    vk_json_key(j, "cells");
    vk_json_begin_array(j);
    for (int i = 0; i < n; i++) {
      vk_json_begin_object(j);
      vk_json_kv_int(j, "cell", first + i);
      vk_json_kv_uint(j, "free", cells[i]);
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
    vk_json_kv_uint(j, "free", total);
    vk_json_end_object(j);
  } else {
    for (int i = 0; i < n; i++)
      fprintf(ctx->out, "%5d: %12llu KiB\n", first + i, cells[i] / 1024);
    if (n > 1)
      fprintf(ctx->out, "--------------------\n");
    if (opt_cell < 0)
      fprintf(ctx->out, "Total: %llu KiB\n", total / 1024);
  }
  free(cells);
  return 0;
}

static void
print_stats(vk_cmd_ctx *ctx, const vk_node_stat *s, size_t n, const char *unit)
{
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    for (size_t i = 0; i < n; i++)
      vk_json_kv_uint(j, s[i].field, s[i].value);
    vk_json_end_object(j);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    char label[96];
    snprintf(label, sizeof label, "%s:", s[i].field);
    fprintf(ctx->out, "%-8s %20llu%s\n", label, s[i].value, unit);
  }
}

int
vctl_nodememstats(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  vk_error *err = NULL;
  vk_node_stat *s;
  size_t n;
  int rc = 0;

  if (!(conn = vctl_open(ctx, true, &rc)))
    return rc;
  if (!vk_node_mem_stats(conn, opt_cell, &s, &n, &err))
    return vk_cmd_fail(ctx, err);
  /* JSON in bytes, like every size vctl reports; text in KiB like virsh */
  if (opt_json)
    for (size_t i = 0; i < n; i++)
      s[i].value *= 1024;
  print_stats(ctx, s, n, opt_json ? "" : " KiB");
  free(s);
  return 0;
}

int
vctl_nodecpustats(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  vk_error *err = NULL;
  vk_node_stat *a, *b;
  size_t na, nb;
  int rc = 0;

  if (!(conn = vctl_open(ctx, true, &rc)))
    return rc;
  if (!vk_node_cpu_stats(conn, opt_cpu, &a, &na, &err))
    return vk_cmd_fail(ctx, err);
  if (!opt_percent) {
    print_stats(ctx, a, na, "");
    free(a);
    return 0;
  }
  nanosleep(&(struct timespec){ 1, 0 }, NULL);
  if (!vk_node_cpu_stats(conn, opt_cpu, &b, &nb, &err)) {
    free(a);
    return vk_cmd_fail(ctx, err);
  }
  {
    unsigned long long sum = 0, d[16] = { 0 };
    size_t n = na < nb ? na : nb;
    if (n > 16)
      n = 16;
    for (size_t i = 0; i < n; i++) {
      d[i] = b[i].value >= a[i].value ? b[i].value - a[i].value : 0;
      if (strcmp(b[i].field, "utilization") != 0)
        sum += d[i];
    }
    if (opt_json) {
      vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
      vk_json_begin_object(j);
      for (size_t i = 0; i < n; i++)
        if (strcmp(b[i].field, "utilization") != 0) {
          char key[96];
          snprintf(key, sizeof key, "%s_percent", b[i].field);
          vk_json_kv_double(j, key, sum ? 100.0 * (double)d[i] / (double)sum : 0.0);
        }
      vk_json_end_object(j);
    } else {
      for (size_t i = 0; i < n; i++)
        if (strcmp(b[i].field, "utilization") != 0) {
          char label[96];
          snprintf(label, sizeof label, "%s:", b[i].field);
          fprintf(ctx->out, "%-8s %6.1f%%\n", label,
                  sum ? 100.0 * (double)d[i] / (double)sum : 0.0);
        }
    }
  }
  free(a);
  free(b);
  return 0;
}

int
vctl_cpu_models(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_STRV char **models = NULL;
  vk_error *err = NULL;
  int rc = 0;

  if (!(conn = vctl_open(ctx, true, &rc)))
    return rc;
  if (!(models = vk_host_cpu_models(conn, ctx->argv[0], &err)))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; models[i]; i++)
      vk_json_string(j, models[i]);
    vk_json_end_array(j);
  } else {
    for (size_t i = 0; models[i]; i++)
      fprintf(ctx->out, "%s\n", models[i]);
  }
  return 0;
}

/* capabilities, domcapabilities, sysinfo: libvirt's XML as it is. */
static int
print_xml(vk_cmd_ctx *ctx, char *(*get)(virConnectPtr conn), const char *what, bool readonly)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_FREE char *xml = NULL;
  vk_error *err = NULL;
  int rc = 0;

  if (!(conn = vctl_open(ctx, readonly, &rc)))
    return rc;
  if (!(xml = get(conn))) {
    vk_virt_error(&err, conn, "cannot read the %s", what);
    return vk_cmd_fail(ctx, err);
  }
  fputs(xml, ctx->out);
  if (*xml && xml[strlen(xml) - 1] != '\n')
    fputc('\n', ctx->out);
  return 0;
}

static char *
get_caps(virConnectPtr conn)
{
  return virConnectGetCapabilities(conn);
}

static char *
get_domcaps(virConnectPtr conn)
{
  return virConnectGetDomainCapabilities(conn, opt_emulator, opt_arch, opt_machine, opt_virttype,
                                         0);
}

static char *
get_sysinfo(virConnectPtr conn)
{
  return virConnectGetSysinfo(conn, 0);
}

int
vctl_capabilities(vk_cmd_ctx *ctx)
{
  return print_xml(ctx, get_caps, "host's capabilities", true);
}

int
vctl_domcapabilities(vk_cmd_ctx *ctx)
{
  /* read-write: libvirt gives no domain capabilities to a read-only one */
  return print_xml(ctx, get_domcaps, "domain capabilities", false);
}

int
vctl_sysinfo(vk_cmd_ctx *ctx)
{
  return print_xml(ctx, get_sysinfo, "host's system information", true);
}

/* A KSM tunable: -1 when not given. */
static bool
ksm_value(vk_cmd_ctx *ctx, const char *opt, const char *arg, long long max, long long *out, int *rc)
{
  vk_error *err = NULL;
  uint64_t v;

  *out = -1;
  if (!arg)
    return true;
  if (!vctl_parse_uint(opt, arg, &v, &err) || (long long)v > max) {
    if (!err)
      vk_error_set(&err, VK_EXIT_USAGE, "%s: at most %lld", opt, max);
    *rc = vk_cmd_fail(ctx, err);
    return false;
  }
  *out = (long long)v;
  return true;
}

int
vctl_node_memory_tune(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  vk_error *err = NULL;
  long long scan, sleep_ms, merge;
  vk_ksm k;
  int rc = 0;

  if (!ksm_value(ctx, "--shm-pages-to-scan", opt_ksm_scan, 0xffffffffLL, &scan, &rc) ||
      !ksm_value(ctx, "--shm-sleep-millisecs", opt_ksm_sleep, 0xffffffffLL, &sleep_ms, &rc) ||
      !ksm_value(ctx, "--shm-merge-across-nodes", opt_ksm_merge, 1, &merge, &rc))
    return rc;
  if (!(conn = vctl_open(ctx, scan < 0 && sleep_ms < 0 && merge < 0, &rc)))
    return rc;
  if ((scan >= 0 || sleep_ms >= 0 || merge >= 0) && !vk_ksm_set(conn, scan, sleep_ms, merge, &err))
    return vk_cmd_fail(ctx, err);
  if (!vk_ksm_get(conn, &k, &err))
    return vk_cmd_fail(ctx, err);
  {
    static const char *const keys[] = { "pages_to_scan", "sleep_millisecs",   "pages_shared",
                                        "pages_sharing", "pages_unshared",    "pages_volatile",
                                        "full_scans",    "merge_across_nodes" };
    const unsigned long long vals[] = { k.pages_to_scan, k.sleep_millisecs,   k.pages_shared,
                                        k.pages_sharing, k.pages_unshared,    k.pages_volatile,
                                        k.full_scans,    k.merge_across_nodes };
    if (opt_json) {
      vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
      vk_json_begin_object(j);
      for (size_t i = 0; i < 8; i++)
        vk_json_kv_uint_or_null(j, keys[i], k.has[i], vals[i]);
      vk_json_end_object(j);
    } else {
      fprintf(ctx->out, "Shared memory (KSM):\n");
      for (size_t i = 0; i < 8; i++)
        if (k.has[i])
          fprintf(ctx->out, "\tshm_%-20s %llu\n", keys[i], vals[i]);
    }
  }
  return 0;
}
