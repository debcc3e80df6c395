/* vimg check — options, the call into lib/image/check, the report. */
#include <config.h>

#include <inttypes.h>
#include <string.h>

#include "image/check.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "vimg.h"

static char *opt_fmt, *opt_repair, *opt_output;
static int opt_json, opt_force_share;

const struct poptOption vimg_check_options[] = {
  { "format", 'f', POPT_ARG_STRING, &opt_fmt, 0,
    "image format: raw or qcow2 (detected if omitted; other formats are refused)", "FMT" },
  { "repair", 'r', POPT_ARG_STRING, &opt_repair, 0,
    "repair leaks, or all inconsistencies (image must not be in use)", "leaks|all" },
  VK_OPT_JSON(opt_json, "print the result as JSON"),
  VK_OPT_OUTPUT(opt_output),
  { "force-share", 'U', POPT_ARG_NONE, &opt_force_share, 0,
    "check even if a VM uses the image (results may be inconsistent)", NULL },
  POPT_TABLEEND
};

static void
on_problem(void *opaque, const char *msg)
{
  const vk_cmd_ctx *ctx = opaque;
  (void)ctx;
  fprintf(stderr, "%s\n", msg);
}

static void
print_json(FILE *out, const char *file, const vk_check_result *r)
{
  vk_json j_w, *j = vk_json_init(&j_w, out);

  vk_json_begin_object(j);
  vk_json_kv_string(j, "filename", file);
  vk_json_kv_string(j, "format", r->format);
  vk_json_kv_uint(j, "check_errors", r->check_errors);
  vk_json_kv_uint(j, "corruptions", r->corruptions);
  vk_json_kv_uint(j, "leaks", r->leaks);
  vk_json_kv_uint(j, "corruptions_fixed", r->corruptions_fixed);
  vk_json_kv_uint(j, "leaks_fixed", r->leaks_fixed);
  vk_json_kv_uint(j, "image_end_offset", r->image_end_offset);
  vk_json_kv_uint(j, "total_clusters", r->total_clusters);
  vk_json_kv_uint(j, "allocated_clusters", r->allocated_clusters);
  vk_json_kv_uint(j, "fragmented_clusters", r->fragmented_clusters);
  vk_json_kv_uint(j, "compressed_clusters", r->compressed_clusters);
  vk_json_end_object(j);
}

static double
pct(uint64_t a, uint64_t b)
{
  return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void
print_text(FILE *out, const vk_check_result *r)
{
  if (r->leaks_fixed || r->corruptions_fixed)
    fprintf(out, "The following inconsistencies were found and repaired:\n\n"
            "    %" PRIu64 " leaked clusters\n    %" PRIu64 " corruptions\n\n",
            r->leaks_fixed, r->corruptions_fixed);
  if (!r->corruptions && !r->leaks && !r->check_errors)
    fprintf(out, "No errors were found on the image.\n");
  if (r->corruptions)
    fprintf(out, "%" PRIu64 " errors were found on the image.\n"
            "Data may be corrupted, or further writes to the image may corrupt it.\n",
            r->corruptions);
  if (r->leaks)
    fprintf(out, "%" PRIu64 " leaked clusters were found on the image.\n"
            "This means waste of disk space, but no harm to data.\n", r->leaks);
  if (r->check_errors)
    fprintf(out, "%" PRIu64 " internal errors have occurred during the check.\n",
            r->check_errors);
  fprintf(out, "%" PRIu64 "/%" PRIu64 " = %.2f%% allocated, %.2f%% fragmented, %.2f%% compressed clusters\n",
          r->allocated_clusters, r->total_clusters,
          pct(r->allocated_clusters, r->total_clusters),
          pct(r->fragmented_clusters, r->allocated_clusters),
          pct(r->compressed_clusters, r->allocated_clusters));
  fprintf(out, "Image end offset: %" PRIu64 "\n", r->image_end_offset);
}

int
vimg_check(vk_cmd_ctx *ctx)
{
  vk_check_repair repair = VK_CHECK_REPAIR_NONE;
  vk_check_result res;
  CLEANUP_ERROR vk_error *err = NULL;
  const char *file = ctx->argv[0];
  bool json = opt_json;
  int rc;

  if ((rc = vk_cmd_output(ctx, opt_output, &json)))
    return rc;
  if (opt_repair) {
    if (strcmp(opt_repair, "leaks") == 0)
      repair = VK_CHECK_REPAIR_LEAKS;
    else if (strcmp(opt_repair, "all") == 0)
      repair = VK_CHECK_REPAIR_ALL;
    else
      return vk_cmd_usage(ctx, "-r takes 'leaks' or 'all', not '%s'", opt_repair);
  }
  if (!vk_check(file, opt_fmt, repair, opt_force_share, &res, on_problem, ctx, &err))
    return vk_cmd_fail(ctx, VK_STEAL(err));
  if (repair && (res.leaks_fixed || res.corruptions_fixed)) {
    /* Check the repaired image again: what it says now is the result. */
    vk_check_result again;
    if (!vk_check(file, opt_fmt, VK_CHECK_REPAIR_NONE, false, &again, on_problem, ctx, &err))
      return vk_cmd_fail(ctx, VK_STEAL(err));
    again.leaks_fixed = res.leaks_fixed;
    again.corruptions_fixed = res.corruptions_fixed;
    res = again;
  }
  if (json)
    print_json(ctx->out, file, &res);
  else
    print_text(ctx->out, &res);
  if (res.check_errors)
    return VK_EXIT_FAILED;
  if (res.corruptions)
    return VK_EXIT_CORRUPT;
  if (res.leaks)
    return VK_EXIT_LEAKS;
  return VK_EXIT_OK;
}
