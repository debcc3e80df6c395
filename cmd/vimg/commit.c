/* vimg commit — write an overlay's changes into its backing file. */
#include <config.h>

#include "image/image.h"
#include "util/cancel.h"
#include "util/cleanup.h"
#include "util/progress.h"
#include "util/size.h"
#include "vimg.h"

static char *opt_format, *opt_base, *opt_rate;
static int opt_drop, opt_progress, opt_quiet;

const struct poptOption vimg_commit_options[] = {
  { "base", 'b', POPT_ARG_STRING, &opt_base, 0,
    "commit into BASE, a file further down the backing chain (implies -d)", "BASE" },
  { "drop", 'd', POPT_ARG_NONE, &opt_drop, 0,
    "leave the image as it is (default: empty it, so it reads the base)", NULL },
  { "rate", 'r', POPT_ARG_STRING, &opt_rate, 0, "copy at most RATE bytes a second (10M, 1G ...)",
    "RATE" },
  { "format", 'f', POPT_ARG_STRING, &opt_format, 0, "the image's format (detected if omitted)",
    "FMT" },
  { "progress", 'p', POPT_ARG_NONE, &opt_progress, 0, "show progress (on a terminal only)", NULL },
  { "quiet", 'q', POPT_ARG_NONE, &opt_quiet, 0, "print nothing when it worked", NULL },
  POPT_TABLEEND
};

int
vimg_commit(vk_cmd_ctx *ctx)
{
  CLEANUP_ERROR vk_error *err = NULL;
  vk_image_format fmt = VK_FMT_NONE;
  vk_commit_opts o = { 0 };
  vk_progress bar;
  bool ok;
  int rc;

  if (opt_format && !vk_image_format_parse(opt_format, &fmt, &err))
    return vk_cmd_usage(ctx, "%s", err->msg);
  if (opt_rate && (!vk_parse_size(opt_rate, &o.rate, &err) || o.rate == 0))
    return vk_cmd_usage(ctx, "-r: %s", err ? err->msg : "the rate must be above 0");
  o.base = opt_base;
  o.drop = opt_drop;
  o.cancel = vk_cancel_flag();
  o.progress = vk_progress_cb;
  o.opaque = &bar;
  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, VK_STEAL(err));
  vk_progress_start(&bar, opt_progress, "commit", 0);
  ok = vk_image_commit(ctx->argv[0], fmt, &o, &err);
  vk_progress_finish(&bar, ok);
  if ((rc = vk_cmd_cancel_done(ctx, ok, VK_STEAL(err),
                               "commit interrupted; '%s' still reads as before", ctx->argv[0])))
    return rc;
  if (!opt_quiet)
    fprintf(ctx->out, "Image committed.\n");
  return 0;
}
