/* vctl domblkstat, domifstat, dommemstat, domblkinfo, domblkerror,
 * cpu-stats, domcontrol: a domain's counters, as text in virsh's layout
 * or as JSON. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/table.h"
#include "virt/domparse.h"
#include "virt/monitor.h"
#include "vctl.h"

static int opt_json, opt_total, opt_all, opt_live, opt_config, opt_current;
static int opt_start = 0, opt_count = -1, opt_period = -1;

const struct poptOption vctl_monitor_options[] = { VK_OPT_JSON(opt_json, "print a JSON object"),
                                                   POPT_TABLEEND };

const struct poptOption vctl_dommemstat_options[] = {
  { "period", '\0', POPT_ARG_INT, &opt_period, 0,
    "set how often the guest's balloon driver refreshes the statistics (0: never)", "SECS" },
  { "live", '\0', POPT_ARG_NONE, &opt_live, 0, "the period of the running domain", NULL },
  { "config", '\0', POPT_ARG_NONE, &opt_config, 0, "the period in the definition", NULL },
  { "current", '\0', POPT_ARG_NONE, &opt_current, 0, "the current state (default)", NULL },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_domblkinfo_options[] = {
  { "all", '\0', POPT_ARG_NONE, &opt_all, 0, "every disk, as a table", NULL },
  VK_OPT_JSON(opt_json, "print a JSON object (with --all: an array)"),
  POPT_TABLEEND
};

const struct poptOption vctl_cpu_stats_options[] = {
  { "total", '\0', POPT_ARG_NONE, &opt_total, 0, "only the total over all host CPUs", NULL },
  { "start", '\0', POPT_ARG_INT, &opt_start, 0, "the first host CPU", "N" },
  { "count", '\0', POPT_ARG_INT, &opt_count, 0, "this many host CPUs", "N" },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

/* The fields of r as members of the JSON object being written. */
static void
json_fields(vk_json *j, const vk_stat_record *r)
{
  for (size_t i = 0; i < r->n; i++)
    vctl_json_stat_field(j, &r->f[i]);
}

/* r as one JSON object, `name_key` (when not NULL) holding its name;
 * or as text lines "PREFIX KEY VALUE" (prefix: the record's name, when
 * `prefixed`). */
static int
print_record(const vk_cmd_ctx *ctx, const vk_stat_record *r, const char *name_key, bool prefixed)
{
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    if (name_key)
      vk_json_kv_string(j, name_key, r->name);
    json_fields(j, r);
    vk_json_end_object(j);
    return 0;
  }
  for (size_t i = 0; i < r->n; i++) {
    if (prefixed)
      fprintf(ctx->out, "%s ", r->name);
    fprintf(ctx->out, "%s ", r->f[i].key);
    vctl_print_stat_value(ctx->out, &r->f[i]);
    fputc('\n', ctx->out);
  }
  return 0;
}

int
vctl_domblkstat(vk_cmd_ctx *ctx)
{
  vk_stat_record r;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!vk_dom_blkstat(dom, ctx->argc > 1 ? ctx->argv[1] : NULL, &r, &err))
    return vk_cmd_fail(ctx, err);
  rc = print_record(ctx, &r, "device", true);
  vk_stat_record_clear(&r);
  return rc;
}

int
vctl_domifstat(vk_cmd_ctx *ctx)
{
  vk_stat_record r;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!vk_dom_ifstat(dom, ctx->argv[1], &r, &err))
    return vk_cmd_fail(ctx, err);
  rc = print_record(ctx, &r, "interface", true);
  vk_stat_record_clear(&r);
  return rc;
}

int
vctl_dommemstat(vk_cmd_ctx *ctx)
{
  vk_stat_record r;
  unsigned flags =
      (opt_live ? VIR_DOMAIN_AFFECT_LIVE : 0) | (opt_config ? VIR_DOMAIN_AFFECT_CONFIG : 0);

  if (opt_current && (opt_live || opt_config))
    return vk_cmd_usage(ctx, "--current excludes --live and --config");
  if ((opt_live || opt_config || opt_current) && opt_period < 0)
    return vk_cmd_usage(ctx, "--live, --config and --current go with --period");
  VCTL_DOMAIN_OR_RETURN(opt_period < 0);
  if (opt_period >= 0) {
    if (!vk_dom_memstat_period(dom, opt_period, flags, &err))
      return vk_cmd_fail(ctx, err);
    if (opt_config && !opt_live)
      return 0;
  }
  if (!vk_dom_memstat(dom, &r, &err))
    return vk_cmd_fail(ctx, err);
  rc = print_record(ctx, &r, NULL, false);
  vk_stat_record_clear(&r);
  return rc;
}

int
vctl_domblkinfo(vk_cmd_ctx *ctx)
{
  vk_domxml d;
  vk_table *t;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!opt_all) {
    vk_stat_record r;
    if (ctx->argc < 2)
      return vk_cmd_usage(ctx, "give the disk (its target, as vda) or --all");
    if (!vk_dom_blkinfo(dom, ctx->argv[1], &r, &err))
      return vk_cmd_fail(ctx, err);
    if (opt_json) {
      rc = print_record(ctx, &r, "device", false);
    } else {
      /* virsh's layout */
      fprintf(ctx->out, "%-15s %" PRIu64 "\n%-15s %" PRIu64 "\n%-15s %" PRIu64 "\n",
              "Capacity:", r.f[0].v.u, "Allocation:", r.f[1].v.u, "Physical:", r.f[2].v.u);
    }
    vk_stat_record_clear(&r);
    return rc;
  }
  if (ctx->argc > 1)
    return vk_cmd_usage(ctx, "--all and a disk exclude each other");
  if (!vk_domxml_get(dom, false, &d, &err))
    return vk_cmd_fail(ctx, err);
  {
    static const char *const head[] = { "Target", "Capacity", "Allocation", "Physical" };
    vk_json j_w, *j = opt_json ? vk_json_init(&j_w, ctx->out) : NULL;
    t = opt_json ? NULL : vk_table_new(4, head);
    if (j)
      vk_json_begin_array(j);
    for (size_t i = 0; i < d.ndisks; i++) {
      vk_stat_record r;
      char c[3][24];
      /* an empty CD-ROM has no size: virsh prints "-" */
      if (!d.disks[i].source) {
        const char *row[] = { d.disks[i].target, "-", "-", "-" };
        if (t)
          vk_table_add(t, row);
        else {
          vk_json_begin_object(j);
          vk_json_kv_string(j, "device", d.disks[i].target);
          vk_json_kv_null(j, "capacity");
          vk_json_kv_null(j, "allocation");
          vk_json_kv_null(j, "physical");
          vk_json_end_object(j);
        }
        continue;
      }
      if (!vk_dom_blkinfo(dom, d.disks[i].target, &r, &err)) {
        vk_domxml_free(&d);
        vk_table_free(t);
        return vk_cmd_fail(ctx, err);
      }
      if (j) {
        vk_json_begin_object(j);
        vk_json_kv_string(j, "device", r.name);
        json_fields(j, &r);
        vk_json_end_object(j);
      } else {
        const char *row[] = { r.name, c[0], c[1], c[2] };
        for (int k = 0; k < 3; k++)
          snprintf(c[k], sizeof c[k], "%" PRIu64, r.f[k].v.u);
        vk_table_add(t, row);
      }
      vk_stat_record_clear(&r);
    }
    if (j)
      vk_json_end_array(j);
    else
      rc = vctl_print_table(ctx, t);
  }
  vk_domxml_free(&d);
  return rc;
}

int
vctl_domblkerror(vk_cmd_ctx *ctx)
{
  vk_stat_record r;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!vk_dom_blkerrors(dom, &r, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; i < r.n; i++) {
      vk_json_begin_object(j);
      vk_json_kv_string(j, "device", r.f[i].key);
      vk_json_kv_string(j, "error", r.f[i].v.s);
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
  } else if (!r.n) {
    fputs("No errors found\n", ctx->out);
  } else {
    for (size_t i = 0; i < r.n; i++)
      fprintf(ctx->out, "%s: %s\n", r.f[i].key, r.f[i].v.s);
  }
  vk_stat_record_clear(&r);
  return 0;
}

int
vctl_cpu_stats(vk_cmd_ctx *ctx)
{
  vk_stat_list l;
  VCTL_DOMAIN_OR_RETURN(true);

  if (opt_start < 0)
    return vk_cmd_usage(ctx, "--start %d: 0 or more", opt_start);
  if (opt_count == 0 || opt_count < -1)
    return vk_cmd_usage(ctx, "--count %d: 1 or more", opt_count);
  /* as virsh: --total alone prints the total only; --start/--count the
   * CPUs only; neither, both */
  {
    bool cpus = !opt_total || opt_start > 0 || opt_count > 0;
    bool total = opt_total || (opt_start == 0 && opt_count < 0);
    bool asked = opt_start > 0 || opt_count > 0, none = false;
    if (!vk_dom_cpustats(dom, opt_start, cpus ? opt_count : 0, total, asked ? NULL : &none, &l,
                         &err))
      return vk_cmd_fail(ctx, err);
    if (none && cpus)
      vk_cmd_warn(ctx, "this host keeps no CPU time per host CPU (cgroup v2): the total only");
  }
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    vk_json_key(j, "cpus");
    vk_json_begin_array(j);
    for (size_t i = 0; i < l.n; i++) {
      if (strcmp(l.r[i].name, "Total") == 0)
        continue;
      vk_json_begin_object(j);
      vk_json_kv_int(j, "cpu", strtol(l.r[i].name + 3, NULL, 10));
      json_fields(j, &l.r[i]);
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
    for (size_t i = 0; i < l.n; i++) {
      if (strcmp(l.r[i].name, "Total") != 0)
        continue;
      vk_json_key(j, "total");
      vk_json_begin_object(j);
      json_fields(j, &l.r[i]);
      vk_json_end_object(j);
    }
    vk_json_end_object(j);
  } else {
    /* virsh's layout: times in seconds */
    for (size_t i = 0; i < l.n; i++) {
      fprintf(ctx->out, "%s:\n", l.r[i].name);
      for (size_t k = 0; k < l.r[i].n; k++) {
        const vk_stat_field *f = &l.r[i].f[k];
        if (f->kind == VK_STAT_UINT && strstr(f->key, "_time"))
          fprintf(ctx->out, "\t%-12s %9" PRIu64 ".%09" PRIu64 " seconds\n", f->key,
                  f->v.u / 1000000000u, f->v.u % 1000000000u);
        else {
          fprintf(ctx->out, "\t%-12s ", f->key);
          vctl_print_stat_value(ctx->out, f);
          fputc('\n', ctx->out);
        }
      }
    }
  }
  vk_stat_list_free(&l);
  return 0;
}

int
vctl_domcontrol(vk_cmd_ctx *ctx)
{
  vk_stat_record r;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!vk_dom_control(dom, &r, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    rc = print_record(ctx, &r, NULL, false);
  } else {
    /* virsh's layout: "ok", "job (1.234s)", "error: monitor" */
    fputs(r.f[0].v.s, ctx->out);
    for (size_t i = 1; i < r.n; i++) {
      if (strcmp(r.f[i].key, "details") == 0)
        fprintf(ctx->out, ": %s", r.f[i].v.s);
      else
        fprintf(ctx->out, " (%.3fs)", (double)r.f[i].v.u / 1000.0);
    }
    fputc('\n', ctx->out);
  }
  vk_stat_record_clear(&r);
  return rc;
}
