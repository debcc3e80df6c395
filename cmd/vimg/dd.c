/* vimg dd — copy part of an image into a new one, with dd's operands. */
#include <config.h>

#include <string.h>

#include "image/convert.h"
#include "util/cancel.h"
#include "util/cleanup.h"
#include "util/size.h"
#include "vimg.h"

static char *opt_fmt, *opt_out_fmt;
static int opt_force_share;

const struct poptOption vimg_dd_options[] = {
  { "format", 'f', POPT_ARG_STRING, &opt_fmt, 0, "format of the input (detected if omitted)",
    "FMT" },
  { "output-format", 'O', POPT_ARG_STRING, &opt_out_fmt, 0,
    "format of the output: raw (default), qcow2, vmdk, vpc, vdi or vhdx", "FMT" },
  { "force-share", 'U', POPT_ARG_NONE, &opt_force_share, 0, "open the input even if a VM uses it",
    NULL },
  POPT_TABLEEND
};

int
vimg_dd(vk_cmd_ctx *ctx)
{
  CLEANUP_ERROR vk_error *err = NULL;
  const char *in = NULL, *out = NULL;
  uint64_t bs = 512, count = 0, skip = 0;
  bool has_count = false, has_bs = false, has_skip = false;
  vk_convert_opts o;
  bool ok;

  for (int i = 0; i < ctx->argc; i++) {
    const char *a = ctx->argv[i], *v = strchr(a, '=');
    size_t k = v ? (size_t)(v - a) : 0;
    bool *seen = NULL;
    if (!v)
      return vk_cmd_usage(ctx, "'%s': operands are KEY=VALUE (if=, of=, bs=, count=, skip=)", a);
    v++;
    if (k == 2 && !strncmp(a, "if", 2)) {
      if (in)
        return vk_cmd_usage(ctx, "if= given twice");
      in = v;
    } else if (k == 2 && !strncmp(a, "of", 2)) {
      if (out)
        return vk_cmd_usage(ctx, "of= given twice");
      out = v;
    } else if ((k == 2 && !strncmp(a, "bs", 2) && (seen = &has_bs)) ||
               (k == 5 && !strncmp(a, "count", 5) && (seen = &has_count)) ||
               (k == 4 && !strncmp(a, "skip", 4) && (seen = &has_skip))) {
      uint64_t *dst = seen == &has_bs ? &bs : seen == &has_count ? &count : &skip;
      if (*seen)
        return vk_cmd_usage(ctx, "%.*s= given twice", (int)k, a);
      if (!vk_parse_size(v, dst, &err))
        return vk_cmd_usage(ctx, "%.*s=: %s", (int)k, a, err->msg);
      *seen = true;
    } else {
      return vk_cmd_usage(ctx, "unknown operand '%.*s' (if=, of=, bs=, count=, skip=)", (int)k, a);
    }
  }
  if (!in || !*in || !out || !*out)
    return vk_cmd_usage(ctx, "give the input with if=FILE and the output with of=FILE");
  if (bs == 0)
    return vk_cmd_usage(ctx, "bs= must be above 0");
  if ((has_skip && skip && bs > UINT64_MAX / skip) ||
      (has_count && count && bs > UINT64_MAX / count))
    return vk_cmd_usage(ctx, "bs= times count= or skip= is too large");

  vk_convert_opts_init(&o);
  o.src = &in;
  o.nsrc = 1;
  o.dst = out;
  o.src_fmt = opt_fmt;
  o.dst_fmt = opt_out_fmt;
  o.force_share = opt_force_share;
  o.src_offset = skip * bs;
  o.src_length = has_count ? count * bs : 0;
  o.empty_window = has_count && count == 0;
  o.cancel = vk_cancel_flag();
  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, VK_STEAL(err));
  ok = vk_convert(&o, &err);
  return vk_cmd_cancel_done(ctx, ok, VK_STEAL(err), "dd interrupted; '%s' removed", out);
}
