/* vctl dumpxml, edit, dominfo, domstate. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "virt/domain.h"
#include "virt/dominfo.h"
#include "virt/domstate.h"
#include "virt/edit.h"
#include "vctl.h"

static int opt_inactive, opt_json, opt_reason;

const struct poptOption vctl_dumpxml_options[] = {
  { "inactive", '\0', POPT_ARG_NONE, &opt_inactive, 0,
    "print the persistent definition, not the running one", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_dominfo_options[] = {
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_domstate_options[] = {
  { "reason", '\0', POPT_ARG_NONE, &opt_reason, 0, "also print why the domain is in this state", NULL },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

int
vctl_dumpxml(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!(xml = vk_domain_xml(dom, opt_inactive, &err)))
    return vk_cmd_fail(ctx, err);
  fputs(xml, ctx->out);
  return 0;
}

int
vctl_edit(vk_cmd_ctx *ctx)
{
  char label[512];
  VCTL_DOMAIN_OR_RETURN(false);

  (void)err;
  snprintf(label, sizeof label, "Domain '%s'", virDomainGetName(dom));
  return vctl_edit_run(ctx, VK_EDIT_DOMAIN, dom, label);
}

static const char *
yes_no(int v)
{
  return v < 0 ? "unknown" : v ? "yes" : "no";
}

static void
json_tri(vk_json *j, const char *key, int v)
{
  if (v < 0)
    vk_json_kv_null(j, key);
  else
    vk_json_kv_bool(j, key, v);
}

int
vctl_dominfo(vk_cmd_ctx *ctx)
{
  vk_dominfo i;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!vk_dominfo_get(dom, &i, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    if (vctl_domain_host())
      vk_json_kv_string(j, "host", vctl_domain_host());
    if (i.id >= 0)
      vk_json_kv_int(j, "id", i.id);
    else
      vk_json_kv_null(j, "id");
    vk_json_kv_string(j, "name", i.name);
    vk_json_kv_string(j, "uuid", i.uuid);
    vk_json_kv_string(j, "os_type", i.os_type);
    vk_json_kv_string(j, "state", vk_state_word(i.state));
    vk_json_kv_string(j, "reason", vk_state_reason_word(i.state, i.reason));
    vk_json_kv_uint(j, "vcpus", i.vcpus);
    vk_json_kv_uint(j, "cpu_time_ns", i.cpu_time_ns);
    vk_json_kv_uint(j, "max_memory", i.max_memory);
    vk_json_kv_uint(j, "memory", i.memory);
    json_tri(j, "persistent", i.persistent);
    json_tri(j, "autostart", i.autostart);
    json_tri(j, "managed_save", i.managed_save);
    vk_json_kv_string(j, "security_model", i.security_model);
    vk_json_kv_string(j, "security_doi", i.security_doi);
    vk_json_kv_string(j, "security_label", i.security_label);
    vk_json_key(j, "messages");
    vk_json_begin_array(j);
    for (char **m = i.messages; m && *m; m++)
      vk_json_string(j, *m);
    vk_json_end_array(j);
    vk_json_end_object(j);
  } else {
    FILE *o = ctx->out;
    if (vctl_domain_host())
      fprintf(o, "%-15s %s\n", "Host:", vctl_domain_host());
    if (i.id >= 0)
      fprintf(o, "%-15s %d\n", "Id:", i.id);
    else
      fprintf(o, "%-15s %s\n", "Id:", "-");
    fprintf(o, "%-15s %s\n", "Name:", i.name);
    fprintf(o, "%-15s %s\n", "UUID:", i.uuid);
    if (i.os_type)
      fprintf(o, "%-15s %s\n", "OS Type:", i.os_type);
    fprintf(o, "%-15s %s\n", "State:", vk_state_text(i.state));
    fprintf(o, "%-15s %u\n", "CPU(s):", i.vcpus);
    if (i.cpu_time_ns)
      fprintf(o, "%-15s %.1fs\n", "CPU time:", (double)i.cpu_time_ns / 1e9);
    if (i.max_memory)
      fprintf(o, "%-15s %" PRIu64 " KiB\n", "Max memory:", i.max_memory / 1024);
    else
      fprintf(o, "%-15s %s\n", "Max memory:", "no limit");
    fprintf(o, "%-15s %" PRIu64 " KiB\n", "Used memory:", i.memory / 1024);
    fprintf(o, "%-15s %s\n", "Persistent:", yes_no(i.persistent));
    fprintf(o, "%-15s %s\n", "Autostart:", i.autostart < 0 ? "no autostart" : i.autostart ? "enable" : "disable");
    fprintf(o, "%-15s %s\n", "Managed save:", yes_no(i.managed_save));
    if (i.security_model) {
      fprintf(o, "%-15s %s\n", "Security model:", i.security_model);
      fprintf(o, "%-15s %s\n", "Security DOI:", i.security_doi ? i.security_doi : "");
      if (i.security_label)
        fprintf(o, "%-15s %s (%s)\n", "Security label:", i.security_label,
                i.security_enforcing ? "enforcing" : "permissive");
    }
    for (char **m = i.messages; m && *m; m++)
      fprintf(o, "%-15s %s\n", m == i.messages ? "Messages:" : "", *m);
  }
  vk_dominfo_free(&i);
  return 0;
}

int
vctl_domstate(vk_cmd_ctx *ctx)
{
  int state, reason;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!vk_domain_state(dom, &state, &reason, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    if (vctl_domain_host())
      vk_json_kv_string(j, "host", vctl_domain_host());
    vk_json_kv_string(j, "name", virDomainGetName(dom));
    vk_json_kv_string(j, "state", vk_state_word(state));
    vk_json_kv_string(j, "reason", vk_state_reason_word(state, reason));
    vk_json_end_object(j);
  } else if (opt_reason) {
    fprintf(ctx->out, "%s (%s)\n", vk_state_text(state), vk_state_reason_text(state, reason));
  } else {
    fprintf(ctx->out, "%s\n", vk_state_text(state));
  }
  return 0;
}
