/* vimg rebase — move a qcow2 image onto another backing file. */
#include <config.h>

#include "image/image.h"
#include "util/cancel.h"
#include "util/cleanup.h"
#include "util/progress.h"
#include "vimg.h"

static char *opt_format, *opt_backing, *opt_backing_fmt;
static int opt_unsafe, opt_progress, opt_quiet;

const struct poptOption vimg_rebase_options[] = {
  { "backing", 'b', POPT_ARG_STRING, &opt_backing, 0,
    "the new backing file, stored as given (\"\": none, the image stands alone)", "BACKING" },
  { "backing-format", 'F', POPT_ARG_STRING, &opt_backing_fmt, 0, "its format (detected if omitted)",
    "FMT" },
  { "format", 'f', POPT_ARG_STRING, &opt_format, 0, "the image's format (detected if omitted)",
    "FMT" },
  { "unsafe", 'u', POPT_ARG_NONE, &opt_unsafe, 0,
    "only rewrite the header: the content is not compared (the new backing file must read as the old)",
    NULL },
  { "progress", 'p', POPT_ARG_NONE, &opt_progress, 0, "show progress (on a terminal only)", NULL },
  { "quiet", 'q', POPT_ARG_NONE, &opt_quiet, 0, "accepted for compatibility; rebase prints nothing",
    NULL },
  POPT_TABLEEND
};

int
vimg_rebase(vk_cmd_ctx *ctx)
{
  CLEANUP_ERROR vk_error *err = NULL;
  vk_image_format fmt = VK_FMT_NONE, bfmt = VK_FMT_NONE;
  vk_rebase_opts o = { 0 };
  vk_progress bar;
  bool ok;

  if (!opt_backing)
    return vk_cmd_usage(ctx, "give the new backing file with -b (-b \"\" for none)");
  if (opt_format && !vk_image_format_parse(opt_format, &fmt, &err))
    return vk_cmd_usage(ctx, "%s", err->msg);
  if (opt_backing_fmt && !vk_image_format_parse(opt_backing_fmt, &bfmt, &err))
    return vk_cmd_usage(ctx, "%s", err->msg);
  o.flags = opt_unsafe ? VK_REBASE_UNSAFE : 0;
  o.cancel = vk_cancel_flag();
  o.progress = vk_progress_cb;
  o.opaque = &bar;
  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, VK_STEAL(err));
  vk_progress_start(&bar, opt_progress, "rebase", 0);
  ok = vk_image_rebase(ctx->argv[0], fmt, opt_backing, bfmt, &o, &err);
  vk_progress_finish(&bar, ok);
  return vk_cmd_cancel_done(ctx, ok, VK_STEAL(err),
                            "rebase interrupted; '%s' is still on its old backing file",
                            ctx->argv[0]);
}
