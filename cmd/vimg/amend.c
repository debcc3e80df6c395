/* vimg amend — change the options of an existing qcow2 image. */
#include <config.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/progress.h"
#include "vimg.h"

static char *opt_format, *opt_options;
static int opt_progress, opt_quiet;

const struct poptOption vimg_amend_options[] = {
  { "options", 'o', POPT_ARG_STRING, &opt_options, 0,
    "what to change: compat=0.10|1.1, lazy_refcounts=on|off, refcount_bits=1|2|4|...|64, data_file=NAME, data_file_raw=off",
    "OPTS" },
  { "format", 'f', POPT_ARG_STRING, &opt_format, 0, "the image's format (detected if omitted)",
    "FMT" },
  { "progress", 'p', POPT_ARG_NONE, &opt_progress, 0, "show progress (on a terminal only)", NULL },
  { "quiet", 'q', POPT_ARG_NONE, &opt_quiet, 0, "accepted for compatibility; amend prints nothing",
    NULL },
  POPT_TABLEEND
};

int
vimg_amend(vk_cmd_ctx *ctx)
{
  CLEANUP_ERROR vk_error *err = NULL;
  vk_image_format fmt = VK_FMT_NONE;
  vk_progress bar;
  bool ok;

  if (!opt_options)
    return vk_cmd_usage(
        ctx,
        "give the options to change with -o (compat=, lazy_refcounts=, refcount_bits=, data_file=)");
  if (opt_format && !vk_image_format_parse(opt_format, &fmt, &err))
    return vk_cmd_usage(ctx, "%s", err->msg);
  vk_progress_start(&bar, opt_progress, "amend", 0);
  ok = vk_image_amend(ctx->argv[0], fmt, opt_options, &err);
  vk_progress_finish(&bar, ok);
  if (!ok)
    return vk_cmd_fail(ctx, VK_STEAL(err));
  return 0;
}
