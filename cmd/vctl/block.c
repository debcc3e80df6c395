/* vctl blockcommit, blockpull, blockcopy, blockjob, blockresize. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/cancel.h"
#include "util/json.h"
#include "util/progress.h"
#include "util/size.h"
#include "virt/snapshot/blockjob.h"
#include "vctl.h"

static const char *opt_base, *opt_top, *opt_format, *opt_bandwidth;
static int opt_active, opt_shallow, opt_pivot, opt_keep_overlay, opt_delete, opt_progress;
static int opt_reuse, opt_finish, opt_transient, opt_info, opt_abort, opt_json;
static bool opt_wait;
static int opt_wait_ms = -1;

enum { OPT_WAIT = 1 };

/* clang-format off */
#define JOB_OPTIONS \
  { "wait", '\0', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, OPT_WAIT, \
    "return once the job is done (or ready), at most SECS seconds (then it is aborted)", "SECS" }, \
  { "bandwidth", '\0', POPT_ARG_STRING, &opt_bandwidth, 0, \
    "at most RATE per second (a plain number is MiB, as virsh; or 100M, 1G)", "RATE" }, \
  { "progress", 'p', POPT_ARG_NONE, &opt_progress, 0, "show a progress bar (on a terminal)", NULL }
/* clang-format on */

const struct poptOption vctl_blockcommit_options[] = {
  { "base", '\0', POPT_ARG_STRING, &opt_base, 0, "merge down into this image (default: the bottom)",
    "FILE" },
  { "top", '\0', POPT_ARG_STRING, &opt_top, 0,
    "merge from this image (default: the active one's backing)", "FILE" },
  { "active", '\0', POPT_ARG_NONE, &opt_active, 0, "commit the active image (the guest's writes)",
    NULL },
  { "shallow", '\0', POPT_ARG_NONE, &opt_shallow, 0, "only the top image into its backing file",
    NULL },
  { "pivot", '\0', POPT_ARG_NONE, &opt_pivot, 0,
    "once in sync, the disk moves to the base (implies --active and --wait)", NULL },
  { "keep-overlay", '\0', POPT_ARG_NONE, &opt_keep_overlay, 0,
    "once in sync, end the job and stay on the overlay (implies --active and --wait)", NULL },
  { "delete", '\0', POPT_ARG_NONE, &opt_delete, 0,
    "remove the images that left the chain (with --wait)", NULL },
  JOB_OPTIONS,
  POPT_TABLEEND
};

const struct poptOption vctl_blockpull_options[] = {
  { "base", '\0', POPT_ARG_STRING, &opt_base, 0,
    "pull only the images above this one (default: all)", "FILE" },
  JOB_OPTIONS,
  POPT_TABLEEND
};

const struct poptOption vctl_blockcopy_options[] = {
  { "format", '\0', POPT_ARG_STRING, &opt_format, 0, "the copy's format (default qcow2)",
    "qcow2|raw" },
  { "shallow", '\0', POPT_ARG_NONE, &opt_shallow, 0,
    "copy the active image only; the copy keeps its backing file", NULL },
  { "reuse-external", '\0', POPT_ARG_NONE, &opt_reuse, 0, "DEST exists already: write into it",
    NULL },
  { "pivot", '\0', POPT_ARG_NONE, &opt_pivot, 0,
    "once in sync, the disk moves to the copy (implies --wait)", NULL },
  { "finish", '\0', POPT_ARG_NONE, &opt_finish, 0,
    "once in sync, end the job: DEST is a consistent copy, the disk stays (implies --wait)", NULL },
  { "transient-job", '\0', POPT_ARG_NONE, &opt_transient, 0,
    "the job is not resumed if the domain restarts", NULL },
  JOB_OPTIONS,
  POPT_TABLEEND
};

const struct poptOption vctl_blockjob_options[] = {
  { "info", '\0', POPT_ARG_NONE, &opt_info, 0, "show the job (the default)", NULL },
  { "abort", '\0', POPT_ARG_NONE, &opt_abort, 0, "abort the job; the disk stays on its image",
    NULL },
  { "pivot", '\0', POPT_ARG_NONE, &opt_pivot, 0,
    "end a job in sync by moving the disk to the new image", NULL },
  { "bandwidth", '\0', POPT_ARG_STRING, &opt_bandwidth, 0,
    "change the job's limit (a plain number is MiB per second; 0: none)", "RATE" },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

bool
vctl_block_option(int val, const char *arg, vk_error **errp)
{
  if (val != OPT_WAIT)
    return true;
  opt_wait = true;
  return vctl_parse_secs("wait", arg, &opt_wait_ms, errp);
}

/* --bandwidth: a plain number is MiB per second (virsh), else a size. */
static bool
parse_bandwidth(uint64_t *out, vk_error **errp)
{
  *out = 0;
  if (!opt_bandwidth)
    return true;
  if (!vk_parse_size_unit(opt_bandwidth, 1024 * 1024, out, errp)) {
    vk_error_prefix(errp, "--bandwidth");
    return false;
  }
  return true;
}

typedef struct {
  vk_progress bar;
  bool started;
} bar_state;

static void
on_progress(void *opaque, uint64_t cur, uint64_t end)
{
  bar_state *b = opaque;

  if (!b->started) {
    vk_progress_start(&b->bar, true, "job", end);
    b->started = true;
  }
  b->bar.total = end;
  vk_progress_update(&b->bar, cur);
}

/* The options shared by the three jobs; false after a usage message. */
static bool
job_opts(vk_cmd_ctx *ctx, vk_blockjob_opts *o, bar_state *bar, int *rc)
{
  vk_error *err = NULL;

  memset(o, 0, sizeof *o);
  memset(bar, 0, sizeof *bar);
  if (!parse_bandwidth(&o->bandwidth, &err)) {
    *rc = vk_cmd_fail(ctx, err);
    return false;
  }
  o->wait = opt_wait || opt_pivot || opt_finish || opt_keep_overlay;
  o->wait_ms = opt_wait_ms;
  o->pivot = opt_pivot;
  o->finish = opt_finish || opt_keep_overlay;
  o->cancel = vk_cancel_flag();
  if (opt_progress) {
    o->progress = on_progress;
    o->opaque = bar;
  }
  return true;
}

static int
job_done(vk_cmd_ctx *ctx, bool ok, vk_error *err, bar_state *bar, const char *what)
{
  int rc = 0;

  if (bar->started)
    vk_progress_finish(&bar->bar, ok);
  if (!ok)
    rc = vk_cmd_fail(ctx, err);
  else
    fprintf(ctx->out, "%s\n", what);
  vk_cancel_finish();
  return rc;
}

/* What a job that ended well says. */
static const char *
outcome(const vk_blockjob_opts *o, bool mirror, const char *name)
{
  static char buf[96];

  if (!o->wait)
    snprintf(buf, sizeof buf, "Block %s started", name);
  else if (mirror && o->pivot)
    snprintf(buf, sizeof buf, "Successfully pivoted");
  else if (mirror && o->finish)
    snprintf(buf, sizeof buf, "Block %s finished: the disk stays on its image", name);
  else if (mirror)
    snprintf(buf, sizeof buf, "Now in synchronized phase");
  else
    snprintf(buf, sizeof buf, "Block %s complete", name);
  return buf;
}

int
vctl_blockcommit(vk_cmd_ctx *ctx)
{
  vk_blockjob_opts o;
  bar_state bar;
  unsigned flags = 0;
  bool ok;

  if (vk_cmd_exclusive(ctx, "--pivot", opt_pivot, "--keep-overlay", opt_keep_overlay, NULL))
    return VK_EXIT_USAGE;
  if (opt_delete && !(opt_wait || opt_pivot))
    return vk_cmd_usage(ctx,
                        "--delete needs --wait or --pivot (the images go once the job is done)");
  if (opt_delete && opt_keep_overlay)
    return vk_cmd_usage(ctx, "--delete cannot be used with --keep-overlay");
  VCTL_DOMAIN_OR_RETURN(false);
  if (!job_opts(ctx, &o, &bar, &rc))
    return rc;
  flags |= (opt_active || opt_pivot || opt_keep_overlay) ? VK_COMMIT_ACTIVE : 0;
  flags |= opt_shallow ? VK_COMMIT_SHALLOW : 0;
  flags |= opt_delete ? VK_COMMIT_DELETE : 0;
  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, err);
  ok = vk_block_commit(dom, ctx->argv[1], opt_base, opt_top, flags, &o, &err);
  return job_done(ctx, ok, err, &bar, outcome(&o, flags & VK_COMMIT_ACTIVE, "commit"));
}

int
vctl_blockpull(vk_cmd_ctx *ctx)
{
  vk_blockjob_opts o;
  bar_state bar;
  bool ok;
  VCTL_DOMAIN_OR_RETURN(false);

  if (!job_opts(ctx, &o, &bar, &rc))
    return rc;
  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, err);
  ok = vk_block_pull(dom, ctx->argv[1], opt_base, &o, &err);
  return job_done(ctx, ok, err, &bar, outcome(&o, false, "pull"));
}

int
vctl_blockcopy(vk_cmd_ctx *ctx)
{
  vk_blockjob_opts o;
  bar_state bar;
  unsigned flags = 0;
  bool ok;

  if (vk_cmd_exclusive(ctx, "--pivot", opt_pivot, "--finish", opt_finish, NULL))
    return VK_EXIT_USAGE;
  VCTL_DOMAIN_OR_RETURN(false);
  if (!job_opts(ctx, &o, &bar, &rc))
    return rc;
  flags |= opt_shallow ? VK_COPY_SHALLOW : 0;
  flags |= opt_reuse ? VK_COPY_REUSE : 0;
  flags |= opt_transient ? VK_COPY_TRANSIENT : 0;
  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, err);
  ok = vk_block_copy(dom, ctx->argv[1], ctx->argv[2], opt_format, flags, &o, &err);
  return job_done(ctx, ok, err, &bar, outcome(&o, true, "copy"));
}

int
vctl_blockjob(vk_cmd_ctx *ctx)
{
  vk_blockjob_info bi;
  uint64_t bandwidth;

  if (vk_cmd_exclusive(ctx, "--info", opt_info, "--abort", opt_abort, "--pivot", opt_pivot,
                       "--bandwidth", opt_bandwidth != NULL, NULL))
    return VK_EXIT_USAGE;
  if (opt_json && (opt_abort || opt_pivot || opt_bandwidth))
    return vk_cmd_usage(ctx, "--json goes with --info");
  VCTL_DOMAIN_OR_RETURN(opt_info || !(opt_abort || opt_pivot || opt_bandwidth));
  if (opt_abort || opt_pivot) {
    if (!vk_blockjob_abort(dom, ctx->argv[1], opt_pivot, &err))
      return vk_cmd_fail(ctx, err);
    fprintf(ctx->out, opt_pivot ? "Successfully pivoted\n" : "Block job aborted\n");
    return 0;
  }
  if (opt_bandwidth) {
    if (!parse_bandwidth(&bandwidth, &err) ||
        !vk_blockjob_set_bandwidth(dom, ctx->argv[1], bandwidth, &err))
      return vk_cmd_fail(ctx, err);
    return 0;
  }
  if (!vk_blockjob_info_get(dom, ctx->argv[1], &bi, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    vk_json_kv_bool(j, "active", bi.active);
    vk_json_kv_string(j, "type", bi.active ? bi.type : NULL);
    vk_json_kv_uint(j, "bandwidth", bi.bandwidth);
    vk_json_kv_uint(j, "cur", bi.cur);
    vk_json_kv_uint(j, "end", bi.end);
    vk_json_kv_bool(j, "ready", bi.ready);
    vk_json_end_object(j);
  } else if (!bi.active) {
    fprintf(ctx->out, "No current block job for %s\n", ctx->argv[1]);
  } else {
    unsigned pct = bi.end ? (unsigned)(bi.cur * 100 / bi.end) : 0;
    char type[32];
    snprintf(type, sizeof type, "%s", bi.type);
    type[0] = (char)(type[0] - 'a' + 'A');
    fprintf(ctx->out, "Block %s: [%3u %%]%s", type, pct, bi.ready ? " (ready)" : "");
    if (bi.bandwidth)
      fprintf(ctx->out, "    Bandwidth limit: %" PRIu64 " bytes/s", bi.bandwidth);
    fprintf(ctx->out, "\n");
  }
  return 0;
}

int
vctl_blockresize(vk_cmd_ctx *ctx)
{
  uint64_t size;
  vk_error *perr = NULL;

  /* a bad size is a usage error whether or not the daemon answers */
  if (!vk_parse_size(ctx->argv[2], &size, &perr)) {
    int urc = vk_cmd_usage(ctx, "%s", perr->msg);
    vk_error_free(perr);
    return urc;
  }
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_block_resize(dom, ctx->argv[1], size, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Block device '%s' is resized\n", ctx->argv[1]);
  return 0;
}
