/* vimg measure — options, the call into lib/image/measure, the sizes. */
#include <config.h>

#include <inttypes.h>
#include <string.h>

#include "image/measure.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/size.h"
#include "vimg.h"

static char *opt_fmt, *opt_out_fmt, *opt_options, *opt_size, *opt_output, *opt_snapshot;
static int opt_json, opt_force_share;

const struct poptOption vimg_measure_options[] = {
  { "size", '\0', POPT_ARG_STRING, &opt_size, 0, "virtual size of a new image (instead of SRC)",
    "SIZE" },
  { "format", 'f', POPT_ARG_STRING, &opt_fmt, 0,
    "format of SRC: raw, qcow2, vmdk, vhdx, vpc, vdi or qed (detected if omitted; other formats are refused)",
    "FMT" },
  { "output-format", 'O', POPT_ARG_STRING, &opt_out_fmt, 0, "format of the new image (default raw)",
    "FMT" },
  { "options", 'o', POPT_ARG_STRING, &opt_options, 0,
    "creation options of the new image, as for create", "OPTS" },
  { "snapshot", 'l', POPT_ARG_STRING, &opt_snapshot, 0,
    "measure internal snapshot SNAPSHOT of SRC (snapshot.id=ID, snapshot.name=NAME, or ID or name)",
    "SNAPSHOT" },
  VK_OPT_JSON(opt_json, "print the sizes as JSON"),
  VK_OPT_OUTPUT(opt_output),
  { "force-share", 'U', POPT_ARG_NONE, &opt_force_share, 0, "open SRC even if a VM uses it", NULL },
  POPT_TABLEEND
};

int
vimg_measure(vk_cmd_ctx *ctx)
{
  CLEANUP_ERROR vk_error *err = NULL;
  vk_image_format fmt = VK_FMT_NONE, ofmt = VK_FMT_RAW;
  vk_image_opts io;
  vk_measure_result r;
  vk_image *src = NULL;
  bool json = opt_json, ok;
  int rc;
  uint64_t size = 0;

  if ((rc = vk_cmd_output(ctx, opt_output, &json)))
    return rc;
  if ((opt_size != NULL) == (ctx->argc == 1))
    return vk_cmd_usage(ctx, "give either --size SIZE or a source image");
  if (opt_size && !vk_parse_size(opt_size, &size, &err))
    return vk_cmd_usage(ctx, "--size: %s", err->msg);
  if ((opt_fmt && !vk_image_format_parse(opt_fmt, &fmt, &err)) ||
      (opt_out_fmt && !vk_image_format_parse(opt_out_fmt, &ofmt, &err)))
    return vk_cmd_usage(ctx, "%s", err->msg);
  vk_image_opts_init(&io);
  io.format = ofmt;
  if (opt_options && !vk_image_opts_parse(&io, opt_options, &err)) {
    vk_image_opts_clear(&io);
    return vk_cmd_usage(ctx, "%s", err->msg);
  }
  io.format = ofmt;
  io.size = size;
  if (!vk_image_opts_validate(&io, &err)) {
    vk_image_opts_clear(&io);
    return vk_cmd_usage(ctx, "%s", err->msg);
  }
  if (opt_snapshot && ctx->argc != 1) {
    vk_image_opts_clear(&io);
    return vk_cmd_usage(ctx, "-l needs a source image");
  }
  if (ctx->argc == 1) {
    unsigned flags = opt_force_share ? VK_IMAGE_FORCE_SHARE : 0;
    src = opt_snapshot ? vk_image_open_snapshot(ctx->argv[0], fmt, flags, opt_snapshot, &err)
                       : vk_image_open(ctx->argv[0], fmt, flags, &err);
    if (!src) {
      vk_image_opts_clear(&io);
      return vk_cmd_fail(ctx, VK_STEAL(err));
    }
  }
  ok = vk_measure(src, &io, &r, &err);
  vk_image_close(src, NULL);
  vk_image_opts_clear(&io);
  if (!ok)
    return vk_cmd_fail(ctx, VK_STEAL(err));
  if (json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    vk_json_kv_uint(j, "required", r.required);
    vk_json_kv_uint(j, "fully_allocated", r.fully_allocated);
    if (r.has_bitmaps)
      vk_json_kv_uint(j, "bitmaps", r.bitmaps);
    vk_json_end_object(j);
  } else {
    fprintf(ctx->out, "required size: %" PRIu64 "\nfully allocated size: %" PRIu64 "\n",
            r.required, r.fully_allocated);
    if (r.has_bitmaps)
      fprintf(ctx->out, "bitmaps size: %" PRIu64 "\n", r.bitmaps);
  }
  return 0;
}
