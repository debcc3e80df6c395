/* vctl save, restore, managedsave, managedsave-remove, managedsave-dumpxml,
 * save-image-dumpxml, dump, domjobinfo, domjobabort. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>

#include "util/cancel.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/text.h"
#include "virt/snapshot/save.h"
#include "vctl.h"

static int opt_bypass, opt_running, opt_paused, opt_secure, opt_memory_only, opt_completed;
static int opt_json, opt_idempotent;
static const char *opt_xml;

/* clang-format off */
#define STATE_OPTIONS \
  { "bypass-cache", '\0', POPT_ARG_NONE, &opt_bypass, 0, \
    "write (or read) the file without the host's page cache", NULL }, \
  { "running", '\0', POPT_ARG_NONE, &opt_running, 0, \
    "the domain runs when it is brought back, whatever it was", NULL }, \
  { "paused", '\0', POPT_ARG_NONE, &opt_paused, 0, \
    "the domain is paused when it is brought back", NULL }
/* clang-format on */

const struct poptOption vctl_save_options[] = {
  STATE_OPTIONS,
  { "xml", '\0', POPT_ARG_STRING, &opt_xml, 0,
    "store this domain XML (same devices, other host paths) instead of the domain's", "FILE" },
  POPT_TABLEEND
};

const struct poptOption vctl_managedsave_options[] = { STATE_OPTIONS, POPT_TABLEEND };

const struct poptOption vctl_managedsave_remove_options[] = {
  { "idempotent", '\0', POPT_ARG_NONE, &opt_idempotent, 0,
    "succeed (exit 0) when the domain has no managed save image", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_save_xml_options[] = {
  { "security-info", '\0', POPT_ARG_NONE, &opt_secure, 0, "include security-sensitive data", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_dump_options[] = {
  { "memory-only", '\0', POPT_ARG_NONE, &opt_memory_only, 0,
    "an ELF core of the guest's memory (for crash, gdb), not QEMU's state format", NULL },
  { "bypass-cache", '\0', POPT_ARG_NONE, &opt_bypass, 0,
    "write the file without the host's page cache", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_domjobinfo_options[] = {
  { "completed", '\0', POPT_ARG_NONE, &opt_completed, 0,
    "the last job that finished, not the running one", NULL },
  VK_OPT_JSON(opt_json, "print a JSON object (bytes, milliseconds)"),
  POPT_TABLEEND
};

static unsigned
state_flags(void)
{
  return (opt_bypass ? VK_SAVE_BYPASS_CACHE : 0) | (opt_running ? VK_SAVE_RUNNING : 0) |
         (opt_paused ? VK_SAVE_PAUSED : 0);
}

/* The end of a job a signal may have cut short: the error, and the
 * process dies of the signal as it asked. */
static int
job_end(vk_cmd_ctx *ctx, bool ok, vk_error *err)
{
  int rc = 0;

  if (!ok)
    rc = vk_cmd_fail(ctx, err);
  vk_cancel_finish();
  return rc;
}

static bool
check_state_options(vk_cmd_ctx *ctx)
{
  return !vk_cmd_exclusive(ctx, "--running", opt_running, "--paused", opt_paused, NULL);
}

int
vctl_save(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  bool ok;

  if (!check_state_options(ctx))
    return VK_EXIT_USAGE;
  VCTL_DOMAIN_OR_RETURN(false);
  if (opt_xml && !(xml = vk_read_file(opt_xml, &err)))
    return vk_cmd_fail(ctx, err);
  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, err);
  ok = vk_domain_save(dom, ctx->argv[1], xml, state_flags(), vk_cancel_flag(), &err);
  if (ok)
    fprintf(ctx->out, "Domain '%s' saved to %s\n", virDomainGetName(dom), ctx->argv[1]);
  return job_end(ctx, ok, err);
}

int
vctl_restore(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_DOMAIN virDomainPtr dom = NULL;
  CLEANUP_FREE char *xml = NULL;
  vk_error *err = NULL;
  int rc = 0;

  if (!check_state_options(ctx))
    return VK_EXIT_USAGE;
  if (opt_xml && !(xml = vk_read_file(opt_xml, &err)))
    return vk_cmd_fail(ctx, err);
  if (!(conn = vctl_open(ctx, false, &rc)))
    return rc;
  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, err);
  dom = vk_domain_restore(conn, ctx->argv[0], xml, state_flags(), vk_cancel_flag(), &err);
  if (dom)
    fprintf(ctx->out, "Domain '%s' restored from %s\n", virDomainGetName(dom), ctx->argv[0]);
  return job_end(ctx, dom != NULL, err);
}

int
vctl_managedsave(vk_cmd_ctx *ctx)
{
  bool ok;

  if (!check_state_options(ctx))
    return VK_EXIT_USAGE;
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, err);
  ok = vk_domain_managed_save(dom, state_flags(), vk_cancel_flag(), &err);
  if (ok)
    fprintf(ctx->out, "Domain '%s' state saved by libvirt\n", virDomainGetName(dom));
  return job_end(ctx, ok, err);
}

int
vctl_managedsave_remove(vk_cmd_ctx *ctx)
{
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_domain_managed_save_remove(dom, &err)) {
    if (opt_idempotent && err->code == VK_EXIT_NOTFOUND) {
      vk_error_free(err);
      return 0;
    }
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, "Removed managedsave image for domain '%s'\n", virDomainGetName(dom));
  return 0;
}

int
vctl_managedsave_dumpxml(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!(xml = vk_domain_managed_save_xml(dom, opt_secure, &err)))
    return vk_cmd_fail(ctx, err);
  fputs(xml, ctx->out);
  return 0;
}

int
vctl_save_image_dumpxml(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_FREE char *xml = NULL;
  vk_error *err = NULL;
  int rc = 0;

  /* read-write: libvirt reads no save image over a read-only connection */
  if (!(conn = vctl_open(ctx, false, &rc)))
    return rc;
  if (!(xml = vk_save_image_xml(conn, ctx->argv[0], opt_secure, &err)))
    return vk_cmd_fail(ctx, err);
  fputs(xml, ctx->out);
  return 0;
}

int
vctl_dump(vk_cmd_ctx *ctx)
{
  bool ok;
  VCTL_DOMAIN_OR_RETURN(false);

  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, err);
  ok = vk_domain_dump(dom, ctx->argv[1],
                      (opt_memory_only ? VK_SAVE_MEMORY_ONLY : 0) |
                          (opt_bypass ? VK_SAVE_BYPASS_CACHE : 0),
                      vk_cancel_flag(), &err);
  if (ok)
    fprintf(ctx->out, "Domain '%s' dumped to %s\n", virDomainGetName(dom), ctx->argv[1]);
  return job_end(ctx, ok, err);
}

int
vctl_domjobinfo(vk_cmd_ctx *ctx)
{
  vk_job_info ji;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!vk_domain_job_info(dom, opt_completed, &ji, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    vk_json_kv_string(j, "type", ji.type_word);
    vk_json_kv_string(j, "operation", ji.operation);
#define KV(key, field) vk_json_kv_uint_or_null(j, key, ji.has_##field, ji.field)
    KV("time_elapsed_ms", time_elapsed_ms);
    KV("time_remaining_ms", time_remaining_ms);
    KV("data_total", data_total);
    KV("data_processed", data_processed);
    KV("data_remaining", data_remaining);
    KV("memory_total", memory_total);
    KV("memory_processed", memory_processed);
    KV("memory_remaining", memory_remaining);
    KV("disk_total", disk_total);
    KV("disk_processed", disk_processed);
    KV("disk_remaining", disk_remaining);
    KV("downtime_ms", downtime_ms);
    KV("memory_dirty_rate", memory_dirty_rate);
    KV("memory_iteration", memory_iteration);
    KV("memory_bps", memory_bps);
#undef KV
    vk_json_end_object(j);
  } else {
    FILE *o = ctx->out;
    fprintf(o, "%-17s %s\n", "Job type:", ji.type_word);
    if (ji.operation)
      fprintf(o, "%-17s %s\n", "Operation:", ji.operation);
#define LINE(label, field, unit)                                                                   \
  if (ji.has_##field)                                                                              \
    fprintf(o, "%-17s %" PRIu64 " %s\n", label, ji.field, unit);
    LINE("Time elapsed:", time_elapsed_ms, "ms")
    LINE("Time remaining:", time_remaining_ms, "ms")
    LINE("Data processed:", data_processed, "bytes")
    LINE("Data remaining:", data_remaining, "bytes")
    LINE("Data total:", data_total, "bytes")
    LINE("Memory processed:", memory_processed, "bytes")
    LINE("Memory remaining:", memory_remaining, "bytes")
    LINE("Memory total:", memory_total, "bytes")
    LINE("File processed:", disk_processed, "bytes")
    LINE("File remaining:", disk_remaining, "bytes")
    LINE("File total:", disk_total, "bytes")
    LINE("Downtime:", downtime_ms, "ms")
    LINE("Dirty rate:", memory_dirty_rate, "pages/s")
    LINE("Iteration:", memory_iteration, "passes")
    LINE("Memory bandwidth:", memory_bps, "bytes/s")
#undef LINE
  }
  vk_job_info_clear(&ji);
  return 0;
}

int
vctl_domjobabort(vk_cmd_ctx *ctx)
{
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_domain_job_abort(dom, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Job of domain '%s' aborted\n", virDomainGetName(dom));
  return 0;
}
