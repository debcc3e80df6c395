/* vctl migrate, migrate-setspeed, migrate-getspeed, migrate-setmaxdowntime,
 * migrate-getmaxdowntime, migrate-postcopy. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cancel.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/progress.h"
#include "util/size.h"
#include "util/text.h"
#include "virt/migrate.h"
#include "vctl.h"

static int opt_live, opt_offline, opt_p2p, opt_tunnelled, opt_persistent, opt_undefinesource;
static int opt_copy_all, opt_copy_inc, opt_unsafe, opt_auto_converge, opt_postcopy;
static int opt_postcopy_after, opt_compressed, opt_parallel, opt_suspend, opt_dry_run;
static int opt_timeout_suspend, opt_timeout_postcopy, opt_timeout_abort, opt_progress, opt_json;
static int opt_parallel_connections, opt_timeout;
static const char *opt_migrateuri, *opt_listen, *opt_xml, *opt_dname, *opt_bandwidth;

/* clang-format off */
const struct poptOption vctl_migrate_options[] = {
  { "live", '\0', POPT_ARG_NONE, &opt_live, 0, "the guest keeps running while its memory is copied", NULL },
  { "offline", '\0', POPT_ARG_NONE, &opt_offline, 0, "move a shut-off domain's definition only (with --persistent)", NULL },
  { "p2p", '\0', POPT_ARG_NONE, &opt_p2p, 0, "the source daemon connects to the destination itself", NULL },
  { "tunnelled", '\0', POPT_ARG_NONE, &opt_tunnelled, 0, "send the data over the daemons' connection (with --p2p)", NULL },
  { "persistent", '\0', POPT_ARG_NONE, &opt_persistent, 0, "define the domain on the destination", NULL },
  { "undefinesource", '\0', POPT_ARG_NONE, &opt_undefinesource, 0, "undefine the domain on the source once it moved", NULL },
  { "copy-storage-all", '\0', POPT_ARG_NONE, &opt_copy_all, 0, "copy the disks too (storage the destination does not share)", NULL },
  { "copy-storage-inc", '\0', POPT_ARG_NONE, &opt_copy_inc, 0, "copy the disks' top images only (the backing files are on both hosts)", NULL },
  { "unsafe", '\0', POPT_ARG_NONE, &opt_unsafe, 0, "migrate although libvirt cannot tell that both hosts see the same disks", NULL },
  { "migrateuri", '\0', POPT_ARG_STRING, &opt_migrateuri, 0, "where the guest's data goes, e.g. tcp://ADDR[:PORT]", "URI" },
  { "listen-address", '\0', POPT_ARG_STRING, &opt_listen, 0, "the address the destination listens on for the data", "ADDR" },
  { "auto-converge", '\0', POPT_ARG_NONE, &opt_auto_converge, 0, "slow the guest's CPUs down if its memory changes faster than it is copied", NULL },
  { "postcopy", '\0', POPT_ARG_NONE, &opt_postcopy, 0, "allow switching to post-copy (migrate-postcopy, --timeout-postcopy)", NULL },
  { "postcopy-after-precopy", '\0', POPT_ARG_NONE, &opt_postcopy_after, 0, "switch to post-copy after the first pass over memory", NULL },
  { "compressed", '\0', POPT_ARG_NONE, &opt_compressed, 0, "compress the memory pages sent again", NULL },
  { "parallel", '\0', POPT_ARG_NONE, &opt_parallel, 0, "send the memory over several connections", NULL },
  { "parallel-connections", '\0', POPT_ARG_INT, &opt_parallel_connections, 0, "how many (with --parallel)", "N" },
  { "bandwidth", '\0', POPT_ARG_STRING, &opt_bandwidth, 0, "at most this many MiB a second (or a size a second: 512K, 1G)", "MiB" },
  { "timeout", '\0', POPT_ARG_INT, &opt_timeout, 0, "if the live migration is not done after SECS seconds, act (default: --timeout-suspend)", "SECS" },
  { "timeout-suspend", '\0', POPT_ARG_NONE, &opt_timeout_suspend, 0, "at the timeout, pause the guest so the copy completes", NULL },
  { "timeout-postcopy", '\0', POPT_ARG_NONE, &opt_timeout_postcopy, 0, "at the timeout, switch to post-copy", NULL },
  { "timeout-abort", '\0', POPT_ARG_NONE, &opt_timeout_abort, 0, "at the timeout, give up: the guest stays on the source (exit 4)", NULL },
  { "xml", '\0', POPT_ARG_STRING, &opt_xml, 0, "the domain XML to use on the destination (same devices, other host paths)", "FILE" },
  { "dname", '\0', POPT_ARG_STRING, &opt_dname, 0, "the domain's name on the destination", "NAME" },
  { "suspend", '\0', POPT_ARG_NONE, &opt_suspend, 0, "leave the domain paused on the destination", NULL },
  { "dry-run", '\0', POPT_ARG_NONE, &opt_dry_run, 0, "check everything that can be checked, move nothing", NULL },
  { "progress", 'p', POPT_ARG_NONE, &opt_progress, 0, "show the progress on a terminal", NULL },
  { "verbose", '\0', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &opt_progress, 0, "same as -p (virsh's spelling)", NULL },
  VK_OPT_JSON(opt_json, "print the result (or the checks of --dry-run) as a JSON object"),
  POPT_TABLEEND
};
/* clang-format on */

static int opt_postcopy_speed;

const struct poptOption vctl_migrate_speed_options[] = {
  { "postcopy", '\0', POPT_ARG_NONE, &opt_postcopy_speed, 0,
    "the speed of the post-copy phase, not of the pre-copy", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_migrate_getspeed_options[] = {
  { "postcopy", '\0', POPT_ARG_NONE, &opt_postcopy_speed, 0,
    "the speed of the post-copy phase, not of the pre-copy", NULL },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_migrate_getmaxdowntime_options[] = {
  VK_OPT_JSON(opt_json, "print a JSON object"), POPT_TABLEEND
};

static unsigned
migrate_flags(void)
{
  struct {
    int *opt;
    unsigned flag;
  } map[] = {
    { &opt_live, VK_MIGRATE_LIVE },
    { &opt_offline, VK_MIGRATE_OFFLINE },
    { &opt_p2p, VK_MIGRATE_P2P },
    { &opt_tunnelled, VK_MIGRATE_TUNNELLED },
    { &opt_persistent, VK_MIGRATE_PERSISTENT },
    { &opt_undefinesource, VK_MIGRATE_UNDEFINE_SOURCE },
    { &opt_copy_all, VK_MIGRATE_COPY_ALL },
    { &opt_copy_inc, VK_MIGRATE_COPY_INC },
    { &opt_unsafe, VK_MIGRATE_UNSAFE },
    { &opt_auto_converge, VK_MIGRATE_AUTO_CONVERGE },
    { &opt_postcopy, VK_MIGRATE_POSTCOPY },
    { &opt_postcopy_after, VK_MIGRATE_POSTCOPY_AFTER_PRECOPY },
    { &opt_compressed, VK_MIGRATE_COMPRESSED },
    { &opt_parallel, VK_MIGRATE_PARALLEL },
    { &opt_suspend, VK_MIGRATE_PAUSED },
  };
  unsigned f = 0;

  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (*map[i].opt)
      f |= map[i].flag;
  return f;
}

/* The progress bar: data processed of data total, drawn from the first
 * report that has a total (before it, nothing is known). */
static void
show_progress(void *opaque, const vk_job_info *ji)
{
  vk_progress *p = opaque;
  char left[VK_SIZE_BUFLEN];

  if (ji->has_data_total && ji->data_total) {
    uint64_t done = ji->has_data_processed ? ji->data_processed : 0;
    uint64_t rest = ji->has_data_remaining  ? ji->data_remaining
                    : done < ji->data_total ? ji->data_total - done
                                            : 0;
    if (!p->total)
      vk_progress_start(p, opt_progress, "Migration", ji->data_total);
    p->total = ji->data_total;
    if (ji->has_memory_dirty_rate)
      vk_progress_note(p, "%s left, %" PRIu64 " pages/s dirtied", vk_format_size(rest, left),
                       ji->memory_dirty_rate);
    else
      vk_progress_note(p, "%s left", vk_format_size(rest, left));
    vk_progress_update(p, ji->has_data_processed ? ji->data_processed : 0);
  }
}

static void
json_stats(vk_json *j, const vk_migrate_result *res)
{
  const vk_job_info *s = &res->stats;
  bool h = res->has_stats;

#define KV(key, field) vk_json_kv_uint_or_null(j, key, h && s->has_##field, s->field)
  KV("time_elapsed_ms", time_elapsed_ms);
  KV("downtime_ms", downtime_ms);
  KV("data_total", data_total);
  KV("data_processed", data_processed);
  KV("memory_total", memory_total);
  KV("memory_processed", memory_processed);
  KV("memory_iteration", memory_iteration);
  KV("disk_total", disk_total);
  KV("disk_processed", disk_processed);
#undef KV
}

/* --dry-run: the checks, as lines ("ok: ...") or a JSON object. */
static int
dry_run(vk_cmd_ctx *ctx, virDomainPtr dom, virConnectPtr dconn, const char *dest,
        const vk_migrate_opts *o)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len = 0;
  FILE *plan = open_memstream(&buf, &len);
  vk_error *err = NULL;
  bool ok;

  if (!plan) {
    vk_error_set(&err, VK_EXIT_FAILED, "out of memory");
    return vk_cmd_fail(ctx, err);
  }
  ok = vk_migrate_check(dom, dconn, o, plan, &err);
  fclose(plan);
  if (!ok)
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    char *line, *save = NULL;
    vk_json_begin_object(j);
    vk_json_kv_string(j, "domain", virDomainGetName(dom));
    vk_json_kv_string(j, "destination", dest);
    vk_json_kv_bool(j, "ok", true);
    vk_json_key(j, "checks");
    vk_json_begin_array(j);
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
      vk_json_string(j, strncmp(line, "ok: ", 4) == 0 ? line + 4 : line);
    vk_json_end_array(j);
    vk_json_end_object(j);
  } else {
    fputs(buf ? buf : "", ctx->out);
    fprintf(ctx->out, "Domain '%s' can migrate to %s (--dry-run: nothing moved)\n",
            virDomainGetName(dom), dest);
  }
  return 0;
}

/* A bandwidth: a plain number is MiB a second (virsh), else a size
 * ("512K", "1G"), rounded up to whole MiB. */
static bool
parse_mib(const char *what, const char *arg, uint64_t *mib, vk_error **errp)
{
  uint64_t bytes;

  if (!vk_parse_size_unit(arg, 1024 * 1024, &bytes, errp)) {
    vk_error_prefix(errp, "%s", what);
    return false;
  }
  *mib = (bytes + (1 << 20) - 1) >> 20;
  return true;
}

static bool
fill_opts(vk_cmd_ctx *ctx, vk_migrate_opts *o, char **xml, int *rc)
{
  vk_error *err = NULL;
  int actions = !!opt_timeout_suspend + !!opt_timeout_postcopy + !!opt_timeout_abort;

  memset(o, 0, sizeof *o);
  o->flags = migrate_flags();
  o->migrate_uri = opt_migrateuri;
  o->listen_address = opt_listen;
  o->dname = opt_dname;
  o->parallel_connections = opt_parallel_connections;
  if (opt_timeout < 0) {
    *rc = vk_cmd_usage(ctx, "--timeout: a number of seconds, please");
    return false;
  }
  if (actions > 1) {
    *rc = vk_cmd_usage(ctx, "--timeout-suspend, --timeout-postcopy and --timeout-abort exclude "
                            "each other");
    return false;
  }
  if (actions && !opt_timeout) {
    *rc = vk_cmd_usage(ctx, "--timeout-suspend, --timeout-postcopy and --timeout-abort need "
                            "--timeout SECS");
    return false;
  }
  o->timeout_s = opt_timeout;
  o->timeout_action = opt_timeout_postcopy ? VK_MIGRATE_TIMEOUT_POSTCOPY
                      : opt_timeout_abort  ? VK_MIGRATE_TIMEOUT_ABORT
                                           : VK_MIGRATE_TIMEOUT_SUSPEND;
  if (opt_bandwidth && !parse_mib("--bandwidth", opt_bandwidth, &o->bandwidth, &err)) {
    *rc = vk_cmd_fail(ctx, err);
    return false;
  }
  if (opt_xml) {
    if (!(*xml = vk_read_file(opt_xml, &err))) {
      *rc = vk_cmd_fail(ctx, err);
      return false;
    }
    o->xml = *xml;
  }
  return true;
}

int
vctl_migrate(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr dconn = NULL;
  CLEANUP_FREE char *xml = NULL;
  const char *dest = vctl_host_uri(ctx->argv[1]);
  vk_migrate_opts o;
  vk_migrate_result res;
  vk_progress bar;
  bool ok;
  int rc0 = 0;

  if (!fill_opts(ctx, &o, &xml, &rc0))
    return rc0;
  VCTL_DOMAIN_OR_RETURN(false);
  if (!(dconn = vk_conn_open(dest, 0, &err))) {
    vk_error_prefix(&err, "destination");
    return vk_cmd_fail(ctx, err);
  }
  if (opt_dry_run)
    return dry_run(ctx, dom, dconn, dest, &o);
  bar = (vk_progress){ .total = 0 }; /* started by the first report */
  o.progress = show_progress;
  o.progress_opaque = &bar;
  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, err);
  ok = vk_migrate(dom, dconn, dest, &o, vk_cancel_flag(), &res, &err);
  vk_progress_finish(&bar, ok);
  if (ok) {
    const char *dname = opt_dname ? opt_dname : virDomainGetName(dom);
    if (opt_json) {
      vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
      vk_json_begin_object(j);
      vk_json_kv_string(j, "domain", dname);
      vk_json_kv_string(j, "destination", dest);
      vk_json_kv_double(j, "seconds", res.seconds);
      vk_json_kv_bool(j, "timed_out", res.timed_out);
      json_stats(j, &res);
      vk_json_end_object(j);
    } else {
      fprintf(ctx->out, "Domain '%s' migrated to %s in %.1f s", dname, dest, res.seconds);
      if (res.has_stats && res.stats.has_downtime_ms)
        fprintf(ctx->out, " (downtime %" PRIu64 " ms)", res.stats.downtime_ms);
      if (res.timed_out && o.timeout_action == VK_MIGRATE_TIMEOUT_ABORT)
        fprintf(ctx->out, ", done before the abort at the %d s timeout took effect", o.timeout_s);
      else if (res.timed_out)
        fprintf(ctx->out, ", %s after the %d s timeout",
                o.timeout_action == VK_MIGRATE_TIMEOUT_POSTCOPY ? "post-copy" : "paused",
                o.timeout_s);
      fputc('\n', ctx->out);
    }
    vk_job_info_clear(&res.stats);
  }
  return vk_cmd_cancel_done(ctx, ok, err, "migration of '%s' aborted; it runs on the source",
                            virDomainGetName(dom));
}

/* {"key": v} */
static void
json_one(vk_cmd_ctx *ctx, const char *key, uint64_t v)
{
  vk_json j_w, *j = vk_json_init(&j_w, ctx->out);

  vk_json_begin_object(j);
  vk_json_kv_uint(j, key, v);
  vk_json_end_object(j);
}

int
vctl_migrate_setspeed(vk_cmd_ctx *ctx)
{
  uint64_t v;
  VCTL_DOMAIN_OR_RETURN(false);

  if (!parse_mib("bandwidth", ctx->argv[1], &v, &err) ||
      !vk_migrate_set_speed(dom, v, opt_postcopy_speed, &err))
    return vk_cmd_fail(ctx, err);
  return 0;
}

int
vctl_migrate_getspeed(vk_cmd_ctx *ctx)
{
  uint64_t v;
  /* read-write: libvirt refuses these on a read-only connection */
  VCTL_DOMAIN_OR_RETURN(false);

  if (!vk_migrate_get_speed(dom, opt_postcopy_speed, &v, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json)
    json_one(ctx, "bandwidth_mib_per_s", v);
  else
    fprintf(ctx->out, "%" PRIu64 "\n", v);
  return 0;
}

int
vctl_migrate_setmaxdowntime(vk_cmd_ctx *ctx)
{
  uint64_t v;
  VCTL_DOMAIN_OR_RETURN(false);

  if (!vctl_parse_uint("downtime (milliseconds)", ctx->argv[1], &v, &err) ||
      !vk_migrate_set_max_downtime(dom, v, &err))
    return vk_cmd_fail(ctx, err);
  return 0;
}

int
vctl_migrate_getmaxdowntime(vk_cmd_ctx *ctx)
{
  uint64_t v;
  /* read-write: libvirt refuses these on a read-only connection */
  VCTL_DOMAIN_OR_RETURN(false);

  if (!vk_migrate_get_max_downtime(dom, &v, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json)
    json_one(ctx, "max_downtime_ms", v);
  else
    fprintf(ctx->out, "%" PRIu64 "\n", v);
  return 0;
}

int
vctl_migrate_postcopy(vk_cmd_ctx *ctx)
{
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_migrate_start_postcopy(dom, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Migration of domain '%s' switched to post-copy\n", virDomainGetName(dom));
  return 0;
}
