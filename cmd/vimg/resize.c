/* vimg resize — grow or shrink an image. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/size.h"
#include "vimg.h"

static char *opt_format;
static char *opt_prealloc;
static int opt_shrink;
static int opt_quiet;

const struct poptOption vimg_resize_options[] = {
  { "format", 'f', POPT_ARG_STRING, &opt_format, 0,
    "image format: raw or qcow2 (detected if omitted)", "FMT" },
  { "shrink", '\0', POPT_ARG_NONE, &opt_shrink, 0,
    "allow making the image smaller (data past the new end is lost)", NULL },
  { "preallocation", '\0', POPT_ARG_STRING, &opt_prealloc, 0,
    "allocate the new area: off (default), metadata (qcow2), falloc or full",
    "off|metadata|falloc|full" },
  { "quiet", 'q', POPT_ARG_NONE, &opt_quiet, 0,
    "accepted for compatibility; vimg resize prints nothing", NULL },
  POPT_TABLEEND
};

int
vimg_resize(vk_cmd_ctx *ctx)
{
  CLEANUP_ERROR vk_error *err = NULL;
  const char *path = ctx->argv[0], *arg = ctx->argv[1];
  vk_image_format fmt = VK_FMT_NONE;
  vk_prealloc prealloc = VK_PREALLOC_OFF;
  uint64_t delta;
  int sign = 0;

  if (opt_prealloc && !vk_prealloc_parse(opt_prealloc, &prealloc, &err))
    return vk_cmd_usage(ctx, "%s", err->msg);
  if (opt_format && !vk_image_format_parse(opt_format, &fmt, &err))
    return vk_cmd_usage(ctx, "%s", err->msg);
  /* Like qemu-img: without -f the format is probed (a format vimg cannot
   * write is refused by name); vk_image_open() takes no probe for writing. */
  if (!opt_format && !vk_image_format_resolve(path, &fmt, &err))
    return vk_cmd_fail(ctx, VK_STEAL(err));
  if (!vk_image_format_check_supported(fmt, NULL, &err))
    return vk_cmd_fail(ctx, VK_STEAL(err));
  if (arg[0] == '+' || arg[0] == '-')
    sign = *arg++ == '+' ? 1 : -1;
  if (!vk_parse_size(arg, &delta, &err))
    return vk_cmd_usage(ctx, "%s", err->msg);

  if (!vk_image_resize_path(path, fmt, sign, delta, prealloc, opt_shrink, &err)) {
    if (err->code == VK_EXIT_USAGE)
      return vk_cmd_usage(ctx, "%s", err->msg);
    return vk_cmd_fail(ctx, VK_STEAL(err));
  }
  return 0;
}
