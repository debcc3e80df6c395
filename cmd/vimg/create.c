/* vimg create — a new raw or qcow2 image. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/size.h"
#include "vimg.h"

static char *opt_format;
static char *opt_backing;
static char *opt_backing_fmt;
static int opt_force;
static int opt_quiet;
static vk_image_opts opts;
static bool opts_ready;

bool
vimg_create_option(int val, const char *arg, vk_error **errp)
{
  if (!opts_ready) {
    vk_image_opts_init(&opts);
    opts_ready = true;
  }
  if (val == 'o')
    return vk_image_opts_parse(&opts, arg, errp);
  return vk_error_set(errp, VK_EXIT_USAGE, "unexpected option");
}

const struct poptOption vimg_create_options[] = {
  { "format", 'f', POPT_ARG_STRING, &opt_format, 0,
    "image format: raw (default), qcow2, vmdk, vpc, vdi or vhdx", "FMT" },
  { "options", 'o', POPT_ARG_STRING, NULL, 'o',
    "format options, comma separated: cluster_size, compat, lazy_refcounts, refcount_bits, compression_type, preallocation, extended_l2, backing_file, backing_fmt, data_file, data_file_raw (qcow2); subformat (vmdk: monolithicSparse, streamOptimized; vpc, vhdx: dynamic, fixed), adapter_type, hwversion, toolsversion, compat6 (vmdk), force_size (vpc), static (vdi), block_size (vhdx)",
    "OPTIONS" },
  { "backing", 'b', POPT_ARG_STRING, &opt_backing, 0, "backing file (qcow2 only)", "BACKING" },
  { "backing-format", 'F', POPT_ARG_STRING, &opt_backing_fmt, 0, "format of the backing file",
    "FMT" },
  { "force", '\0', POPT_ARG_NONE, &opt_force, 0, "replace an existing file", NULL },
  { "quiet", 'q', POPT_ARG_NONE, &opt_quiet, 0,
    "accepted for compatibility; vimg create prints nothing", NULL },
  POPT_TABLEEND
};

int
vimg_create(vk_cmd_ctx *ctx)
{
  CLEANUP_ERROR vk_error *err = NULL;
  int rc;

  if (!opts_ready) {
    vk_image_opts_init(&opts);
    opts_ready = true;
  }
  if (opt_format && !vk_image_format_parse(opt_format, &opts.format, &err))
    goto usage;
  if (opt_backing) {
    free(opts.backing_file);
    opts.backing_file = strdup(opt_backing);
    if (!opts.backing_file)
      return vk_cmd_fail(ctx, NULL);
  }
  if (opt_backing_fmt) {
    if (!vk_image_format_parse(opt_backing_fmt, &opts.backing_fmt, &err))
      goto usage;
    opts.has_backing_fmt = 1;
  }
  if (ctx->argc >= 2) {
    if (!vk_parse_size(ctx->argv[1], &opts.size, &err))
      goto usage;
  } else if (!opts.backing_file && opts.size == 0) {
    vk_image_opts_clear(&opts);
    return vk_cmd_usage(ctx, "missing SIZE (needed unless there is a backing file)");
  }
  if (!vk_image_opts_validate(&opts, &err))
    goto usage;
  if (!vk_image_create(ctx->argv[0], &opts, opt_force ? VK_IMAGE_CREATE_FORCE : 0, &err)) {
    vk_image_opts_clear(&opts);
    if (err->code == VK_EXIT_USAGE)
      return vk_cmd_usage(ctx, "%s", err->msg);
    return vk_cmd_fail(ctx, VK_STEAL(err));
  }
  vk_image_opts_clear(&opts);
  return 0;

usage:
  vk_image_opts_clear(&opts);
  rc = vk_cmd_usage(ctx, "%s", err->msg);
  return rc;
}
