/* vimg snapshot — list, create, apply or delete internal snapshots. */
#include <config.h>

#include <stdlib.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "vimg.h"

static char *opt_create, *opt_apply, *opt_delete, *opt_format;
static int opt_list, opt_json, opt_force_share, opt_quiet;

const struct poptOption vimg_snapshot_options[] = {
  { "list", 'l', POPT_ARG_NONE, &opt_list, 0, "list the snapshots (the default)", NULL },
  { "create", 'c', POPT_ARG_STRING, &opt_create, 0, "take a snapshot of the current state, named NAME", "NAME" },
  { "apply", 'a', POPT_ARG_STRING, &opt_apply, 0,
    "revert the image to snapshot NAME (an ID or a name); the current state is lost", "NAME" },
  { "delete", 'd', POPT_ARG_STRING, &opt_delete, 0, "delete snapshot NAME (an ID or a name)", "NAME" },
  { "format", 'f', POPT_ARG_STRING, &opt_format, 0, "image format: qcow2 (detected if omitted; other formats are refused)", "FMT" },
  VK_OPT_JSON(opt_json, "list as JSON"),
  { "force-share", 'U', POPT_ARG_NONE, &opt_force_share, 0,
    "list even if a VM uses the image (the list may be out of date)", NULL },
  { "quiet", 'q', POPT_ARG_NONE, &opt_quiet, 0, "accepted for compatibility; vimg snapshot prints only the list", NULL },
  POPT_TABLEEND
};

static void
print_json(FILE *out, const vk_snapshot_info *s, size_t n)
{
  vk_json j_w, *j = vk_json_init(&j_w, out);

  vk_json_begin_array(j);
  for (size_t i = 0; i < n; i++) {
    vk_json_begin_object(j);
    vk_json_kv_string(j, "id", s[i].id);
    vk_json_kv_string(j, "name", s[i].name);
    vk_json_kv_uint(j, "vm_state_size", s[i].vm_state_size);
    vk_json_kv_uint(j, "date_sec", s[i].date_sec);
    vk_json_kv_uint(j, "date_nsec", s[i].date_nsec);
    vk_json_kv_uint(j, "vm_clock_nsec", s[i].vm_clock_nsec);
    vk_json_kv_uint(j, "disk_size", s[i].disk_size);
    if (s[i].icount == -1)
      vk_json_kv_null(j, "icount");
    else
      vk_json_kv_int(j, "icount", s[i].icount);
    vk_json_end_object(j);
  }
  vk_json_end_array(j);
}

int
vimg_snapshot(vk_cmd_ctx *ctx)
{
  CLEANUP_ERROR vk_error *err = NULL;
  const char *path = ctx->argv[0];
  vk_image_format fmt = VK_FMT_NONE;
  bool write = opt_create || opt_apply || opt_delete, ok;
  vk_image *img;
  int rc;

  if ((rc = vk_cmd_exclusive(ctx, "-l", !!opt_list, "-c", !!opt_create, "-a", !!opt_apply,
                             "-d", !!opt_delete, NULL)))
    return rc;
  if (write && opt_force_share)
    return vk_cmd_usage(ctx, "-U applies only to -l");
  if (write && opt_json)
    return vk_cmd_usage(ctx, "--json applies only to -l");
  if (opt_format && !vk_image_format_parse(opt_format, &fmt, &err))
    return vk_cmd_usage(ctx, "%s", err->msg);
  /* Only qcow2 has internal snapshots: a probe cannot turn a raw image
   * into something that is written as qcow2. */
  if (!vk_image_format_resolve(path, &fmt, &err))
    return vk_cmd_fail(ctx, VK_STEAL(err));
  if (fmt != VK_FMT_QCOW2) {
    vk_error_set(&err, VK_EXIT_FAILED, "%s: %s images have no internal snapshots (only qcow2 has them)",
                 path, vk_image_format_name(fmt));
    return vk_cmd_fail(ctx, VK_STEAL(err));
  }
  img = vk_image_open(path, fmt,
                      VK_IMAGE_NO_BACKING | (write ? VK_IMAGE_RDWR : 0) |
                      (opt_force_share ? VK_IMAGE_FORCE_SHARE : 0), &err);
  if (!img)
    return vk_cmd_fail(ctx, VK_STEAL(err));
  if (write) {
    if (opt_create)
      ok = vk_image_snapshot_create(img, opt_create, &err);
    else if (opt_apply)
      ok = vk_image_snapshot_apply(img, opt_apply, &err);
    else
      ok = vk_image_snapshot_delete(img, opt_delete, &err);
  } else {
    vk_snapshot_info *s = NULL;
    size_t n = 0;
    ok = vk_image_list_snapshots(img, &s, &n, &err);
    if (ok && opt_json)
      print_json(ctx->out, s, n);
    else if (ok && n)
      vimg_print_snapshots(ctx->out, s, n);
    vk_snapshot_info_free(s, n);
  }
  if (!ok) {
    vk_image_close(img, NULL);
    return vk_cmd_fail(ctx, VK_STEAL(err));
  }
  if (!vk_image_close(img, &err))
    return vk_cmd_fail(ctx, VK_STEAL(err));
  return 0;
}
