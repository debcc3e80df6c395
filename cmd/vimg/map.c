/* vimg map — options, the call into lib/image/map, the listing. */
#include <config.h>

#include <inttypes.h>
#include <string.h>

#include "image/map.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/size.h"
#include "vimg.h"

static char *opt_fmt, *opt_output, *opt_start, *opt_max;
static int opt_json, opt_force_share;

const struct poptOption vimg_map_options[] = {
  { "format", 'f', POPT_ARG_STRING, &opt_fmt, 0,
    "image format: raw, qcow2, vmdk, vhdx, vpc, vdi or qed (detected if omitted; other formats are refused)",
    "FMT" },
  VK_OPT_JSON(opt_json, "print every extent as JSON"),
  VK_OPT_OUTPUT(opt_output),
  { "start-offset", '\0', POPT_ARG_STRING, &opt_start, 0, "map from this guest offset on",
    "OFFSET" },
  { "max-length", '\0', POPT_ARG_STRING, &opt_max, 0, "map at most this many bytes", "LENGTH" },
  { "force-share", 'U', POPT_ARG_NONE, &opt_force_share, 0, "open the image even if a VM uses it",
    NULL },
  POPT_TABLEEND
};

typedef struct map_out {
  FILE *out;
  vk_json *j;
} map_out;

static bool
print_human(void *opaque, const vk_map_entry *e, vk_error **errp)
{
  map_out *m = opaque;

  if (e->data && !e->has_offset)
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "File contains external, encrypted or compressed clusters (use --json)");
  if (e->data && !e->zero)
    fprintf(m->out, "%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n",
            e->start, e->length, e->offset, e->file);
  return true;
}

static bool
print_json(void *opaque, const vk_map_entry *e, vk_error **errp)
{
  map_out *m = opaque;

  (void)errp;
  vk_json_begin_object(m->j);
  vk_json_kv_uint(m->j, "start", e->start);
  vk_json_kv_uint(m->j, "length", e->length);
  vk_json_kv_int(m->j, "depth", e->depth);
  vk_json_kv_bool(m->j, "present", e->present);
  vk_json_kv_bool(m->j, "zero", e->zero);
  vk_json_kv_bool(m->j, "data", e->data);
  if (e->has_offset)
    vk_json_kv_uint(m->j, "offset", e->offset);
  vk_json_end_object(m->j);
  return true;
}

int
vimg_map(vk_cmd_ctx *ctx)
{
  CLEANUP_ERROR vk_error *err = NULL;
  vk_image_format fmt = VK_FMT_NONE;
  map_out m = { .out = ctx->out };
  vk_image *img;
  bool json = opt_json, ok;
  int rc;

  uint64_t start = 0, max = UINT64_MAX;

  if ((rc = vk_cmd_output(ctx, opt_output, &json)))
    return rc;
  if (opt_start && !vk_parse_size(opt_start, &start, &err))
    return vk_cmd_usage(ctx, "--start-offset: %s", err->msg);
  if (opt_max && !vk_parse_size(opt_max, &max, &err))
    return vk_cmd_usage(ctx, "--max-length: %s", err->msg);
  if (opt_fmt && !vk_image_format_parse(opt_fmt, &fmt, &err))
    return vk_cmd_usage(ctx, "%s", err->msg);
  img = vk_image_open(ctx->argv[0], fmt, opt_force_share ? VK_IMAGE_FORCE_SHARE : 0, &err);
  if (!img)
    return vk_cmd_fail(ctx, VK_STEAL(err));
  if (json) {
    vk_json jw;
    m.j = vk_json_init(&jw, ctx->out);
    vk_json_set_compact(m.j, false);
    vk_json_begin_array(m.j);
    ok = vk_map(img, start, max, print_json, &m, &err);
    vk_json_end_array(m.j);
  } else {
    fprintf(ctx->out, "%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    ok = vk_map(img, start, max, print_human, &m, &err);
  }
  vk_image_close(img, NULL);
  if (!ok)
    return vk_cmd_fail(ctx, VK_STEAL(err));
  return 0;
}
