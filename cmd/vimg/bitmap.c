/* vimg bitmap — add, remove, clear, enable, disable or merge persistent
 * bitmaps of a qcow2 image; the operations run in the order given. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "util/size.h"
#include "vimg.h"

enum { OPT_ADD = 1, OPT_REMOVE, OPT_CLEAR, OPT_ENABLE, OPT_DISABLE, OPT_MERGE };

#define MAX_OPS 64

static vk_bitmap_op ops[MAX_OPS];
static size_t n_ops;
static char *opt_format, *opt_source, *opt_source_fmt, *opt_granularity;

bool
vimg_bitmap_option(int val, const char *arg, vk_error **errp)
{
  static const vk_bitmap_action actions[] = {
    [OPT_ADD] = VK_BITMAP_ADD,         [OPT_REMOVE] = VK_BITMAP_REMOVE,
    [OPT_CLEAR] = VK_BITMAP_CLEAR,     [OPT_ENABLE] = VK_BITMAP_ENABLE,
    [OPT_DISABLE] = VK_BITMAP_DISABLE, [OPT_MERGE] = VK_BITMAP_MERGE,
  };
  char *copy = NULL;

  if (val < OPT_ADD || val > OPT_MERGE)
    return vk_error_set(errp, VK_EXIT_USAGE, "unexpected option");
  if (n_ops == MAX_OPS)
    return vk_error_set(errp, VK_EXIT_USAGE, "at most %d operations at once", MAX_OPS);
  if (val == OPT_MERGE && !(copy = strdup(arg)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  ops[n_ops].action = actions[val];
  ops[n_ops].source = copy;
  n_ops++;
  return true;
}

const struct poptOption vimg_bitmap_options[] = {
  { "add", '\0', POPT_ARG_NONE, NULL, OPT_ADD, "add the bitmap: empty, enabled", NULL },
  { "remove", '\0', POPT_ARG_NONE, NULL, OPT_REMOVE,
    "remove the bitmap (an in-use one too) and free its clusters", NULL },
  { "clear", '\0', POPT_ARG_NONE, NULL, OPT_CLEAR, "set every bit of the bitmap to zero", NULL },
  { "enable", '\0', POPT_ARG_NONE, NULL, OPT_ENABLE,
    "mark the bitmap enabled (QEMU records the guest's writes in it)", NULL },
  { "disable", '\0', POPT_ARG_NONE, NULL, OPT_DISABLE, "mark the bitmap disabled (frozen)", NULL },
  { "merge", '\0', POPT_ARG_STRING, NULL, OPT_MERGE,
    "set in the bitmap every bit set in bitmap SOURCE (of this image, or of -b's)", "SOURCE" },
  { "source-file", 'b', POPT_ARG_STRING, &opt_source, 0,
    "the image holding the --merge sources (default: FILE itself)", "SRCFILE" },
  { "source-format", 'F', POPT_ARG_STRING, &opt_source_fmt, 0,
    "format of SRCFILE: qcow2 (detected if omitted)", "FMT" },
  { "granularity", 'g', POPT_ARG_STRING, &opt_granularity, 0,
    "bytes per bit of an added bitmap: a power of two from 512 to 2G (default: the cluster size, "
    "at least 4K, at most 64K)",
    "SIZE" },
  { "format", 'f', POPT_ARG_STRING, &opt_format, 0,
    "image format: qcow2 (detected if omitted; other formats are refused)", "FMT" },
  POPT_TABLEEND
};

static vk_image *
open_qcow2(const char *path, const char *fmt_name, unsigned flags, vk_error **errp)
{
  vk_image_format fmt = VK_FMT_NONE;

  if (fmt_name && !vk_image_format_parse(fmt_name, &fmt, errp))
    return NULL;
  if (!vk_image_format_resolve(path, &fmt, errp))
    return NULL;
  if (fmt != VK_FMT_QCOW2) {
    vk_error_set(errp, VK_EXIT_FAILED, "%s: %s images have no bitmaps (only qcow2 has them)", path,
                 vk_image_format_name(fmt));
    return NULL;
  }
  return vk_image_open(path, fmt, VK_IMAGE_NO_BACKING | flags, errp);
}

static void
free_ops(void)
{
  for (size_t i = 0; i < n_ops; i++)
    free((char *)ops[i].source);
  n_ops = 0;
}

int
vimg_bitmap(vk_cmd_ctx *ctx)
{
  CLEANUP_ERROR vk_error *err = NULL;
  const char *path = ctx->argv[0], *name = ctx->argv[1];
  vk_image *img = NULL, *src = NULL;
  uint64_t gran = 0;
  bool adds = false, merges = false;
  int rc = 0;

  for (size_t i = 0; i < n_ops; i++) {
    adds |= ops[i].action == VK_BITMAP_ADD;
    merges |= ops[i].action == VK_BITMAP_MERGE;
  }
  if (!n_ops)
    rc = vk_cmd_usage(
        ctx, "give at least one of --add, --remove, --clear, --enable, --disable, --merge");
  else if (opt_granularity && !adds)
    rc = vk_cmd_usage(ctx, "-g applies only to --add");
  else if ((opt_source || opt_source_fmt) && !merges)
    rc = vk_cmd_usage(ctx, "-b and -F apply only to --merge");
  else if (opt_source_fmt && !opt_source)
    rc = vk_cmd_usage(ctx, "-F needs -b");
  else if (opt_granularity && (!vk_parse_size(opt_granularity, &gran, &err) || gran > UINT32_MAX))
    rc = vk_cmd_usage(ctx, "%s", err ? err->msg : "bitmap granularity must be at most 2G");
  if (rc)
    goto out;
  if (!(img = open_qcow2(path, opt_format, VK_IMAGE_RDWR, &err)) ||
      /* -b naming FILE itself: its own bitmaps (not a second open) */
      (opt_source && !vk_path_same_file(opt_source, path) &&
       !(src = open_qcow2(opt_source, opt_source_fmt, 0, &err))) ||
      !vk_image_bitmap_apply(img, name, ops, n_ops, (uint32_t)gran, src, &err)) {
    rc = err->code == VK_EXIT_USAGE ? vk_cmd_usage(ctx, "%s", err->msg)
                                    : vk_cmd_fail(ctx, VK_STEAL(err));
    goto out;
  }
  if (src && !vk_image_close(VK_STEAL(src), &err))
    rc = vk_cmd_fail(ctx, VK_STEAL(err));
  else if (!vk_image_close(VK_STEAL(img), &err))
    rc = vk_cmd_fail(ctx, VK_STEAL(err));
out:
  if (src)
    vk_image_close(src, NULL);
  if (img)
    vk_image_close(img, NULL);
  free_ops();
  return rc;
}
