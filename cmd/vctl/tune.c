/* vctl setmem, setmaxmem, setvcpus, domstats. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "util/size.h"
#include "virt/stats.h"
#include "virt/tune.h"
#include "vctl.h"

static int opt_live, opt_config, opt_current, opt_maximum, opt_json;
static int opt_g_state, opt_g_cpu, opt_g_balloon, opt_g_vcpu, opt_g_iface, opt_g_block;

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

int
vctl_domstats(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  vk_error *err = NULL;
  vk_stat_list l;
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
  if (!(conn = vctl_open(ctx, true, &rc)))
    return rc;
  if (!vk_domstats(conn, ctx->argv, (size_t)ctx->argc, groups, &l, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; i < l.n; i++) {
      vk_json_begin_object(j);
      vk_json_kv_string(j, "name", l.r[i].name);
      vk_json_key(j, "stats");
      if (!vk_stat_record_json(&l.r[i], j, &err)) {
        vk_stat_list_free(&l);
        return vk_cmd_fail(ctx, err);
      }
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
  } else {
    for (size_t i = 0; i < l.n; i++) {
      fprintf(ctx->out, "Domain: '%s'\n", l.r[i].name);
      for (size_t k = 0; k < l.r[i].n; k++) {
        vk_stat_field *f = &l.r[i].f[k];
        fprintf(ctx->out, "  %s=", f->key);
        switch (f->kind) {
        case VK_STAT_INT: fprintf(ctx->out, "%" PRId64 "\n", f->v.i); break;
        case VK_STAT_UINT: fprintf(ctx->out, "%" PRIu64 "\n", f->v.u); break;
        case VK_STAT_DOUBLE: fprintf(ctx->out, "%f\n", f->v.d); break;
        case VK_STAT_BOOL: fprintf(ctx->out, "%s\n", f->v.b ? "yes" : "no"); break;
        case VK_STAT_STRING: fprintf(ctx->out, "%s\n", f->v.s); break;
        }
      }
      fputc('\n', ctx->out);
    }
  }
  vk_stat_list_free(&l);
  return 0;
}
