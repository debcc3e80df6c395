/* vimg compare — options, the call into lib/image/compare, the verdict. */
#include <config.h>

#include <inttypes.h>

#include "image/compare.h"
#include "util/cleanup.h"
#include "util/progress.h"
#include "vimg.h"

static char *opt_fmt1, *opt_fmt2;
static int opt_strict, opt_quiet, opt_force_share, opt_progress;

const struct poptOption vimg_compare_options[] = {
  { "format", 'f', POPT_ARG_STRING, &opt_fmt1, 0,
    "format of the first image: raw, qcow2, vmdk, vhdx, vpc, vdi or qed (detected if omitted; other formats are refused)",
    "FMT" },
  { "second-format", 'F', POPT_ARG_STRING, &opt_fmt2, 0,
    "format of the second image: raw, qcow2, vmdk, vhdx, vpc, vdi or qed (detected if omitted; other formats are refused)",
    "FMT" },
  { "strict", 's', POPT_ARG_NONE, &opt_strict, 0,
    "different sizes or allocation also count as a difference", NULL },
  { "progress", 'p', POPT_ARG_NONE, &opt_progress, 0, "show progress (on a terminal only)", NULL },
  { "quiet", 'q', POPT_ARG_NONE, &opt_quiet, 0, "print nothing; only the exit status tells", NULL },
  { "force-share", 'U', POPT_ARG_NONE, &opt_force_share, 0,
    "open the images even if a VM uses them", NULL },
  POPT_TABLEEND
};

static vk_image *
open_one(const char *path, const char *fmtname, vk_error **errp)
{
  vk_image_format fmt = VK_FMT_NONE;

  if (fmtname && !vk_image_format_parse(fmtname, &fmt, errp))
    return NULL;
  return vk_image_open(path, fmt, opt_force_share ? VK_IMAGE_FORCE_SHARE : 0, errp);
}

int
vimg_compare(vk_cmd_ctx *ctx)
{
  CLEANUP_ERROR vk_error *err = NULL;
  vk_compare_result r;
  vk_progress bar;
  CLEANUP_IMAGE vk_image *a = NULL;
  CLEANUP_IMAGE vk_image *b = NULL;
  bool ok;

  a = open_one(ctx->argv[0], opt_fmt1, &err);
  if (a)
    b = open_one(ctx->argv[1], opt_fmt2, &err);
  if (!a || !b)
    return vk_cmd_fail(ctx, VK_STEAL(err));
  vk_progress_start(&bar, opt_progress, "compare", 0);
  ok = vk_compare(a, b, opt_strict, &r, vk_progress_cb, &bar, &err);
  vk_progress_finish(&bar, ok);
  vk_image_close(VK_STEAL(a), NULL);
  vk_image_close(VK_STEAL(b), NULL);
  if (!ok)
    return vk_cmd_fail(ctx, VK_STEAL(err));
  if (r.size_mismatch && !opt_strict && !opt_quiet)
    fprintf(ctx->out, "Warning: Image size mismatch!\n");
  switch (r.diff) {
  case VK_COMPARE_SAME:
    if (!opt_quiet)
      fprintf(ctx->out, "Images are identical.\n");
    return 0;
  case VK_COMPARE_CONTENT:
    if (!opt_quiet)
      fprintf(ctx->out, "Content mismatch at offset %" PRIu64 "!\n", r.offset);
    break;
  case VK_COMPARE_SIZE:
    if (!opt_quiet)
      fprintf(ctx->out, "Strict mode: Image size mismatch!\n");
    break;
  case VK_COMPARE_ALLOCATION:
    if (!opt_quiet)
      fprintf(ctx->out, "Strict mode: Offset %" PRIu64 " block status mismatch!\n", r.offset);
    break;
  }
  return 1;
}
