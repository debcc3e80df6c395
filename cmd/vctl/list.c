/* vctl list. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "virt/domain.h"
#include "virt/domstate.h"
#include "util/table.h"
#include "vctl.h"

static int opt_all, opt_inactive, opt_name, opt_uuid, opt_json;
static int opt_running, opt_shutoff, opt_paused, opt_other;
static int opt_autostart, opt_no_autostart, opt_persistent, opt_transient;
static int opt_with_snapshot, opt_without_snapshot, opt_managed_save, opt_with_ms, opt_without_ms;

const struct poptOption vctl_list_options[] = {
  { "all", 'a', POPT_ARG_NONE, &opt_all, 0, "list running and inactive domains", NULL },
  { "inactive", '\0', POPT_ARG_NONE, &opt_inactive, 0, "list inactive domains only", NULL },
  { "state-running", '\0', POPT_ARG_NONE, &opt_running, 0, "only running domains", NULL },
  { "state-paused", '\0', POPT_ARG_NONE, &opt_paused, 0, "only paused domains", NULL },
  { "state-shutoff", '\0', POPT_ARG_NONE, &opt_shutoff, 0, "only shut-off domains", NULL },
  { "state-other", '\0', POPT_ARG_NONE, &opt_other, 0, "only domains in other states", NULL },
  { "autostart", '\0', POPT_ARG_NONE, &opt_autostart, 0, "only domains with autostart on", NULL },
  { "no-autostart", '\0', POPT_ARG_NONE, &opt_no_autostart, 0, "only domains with autostart off",
    NULL },
  { "persistent", '\0', POPT_ARG_NONE, &opt_persistent, 0, "only persistent domains", NULL },
  { "transient", '\0', POPT_ARG_NONE, &opt_transient, 0, "only transient domains", NULL },
  { "with-snapshot", '\0', POPT_ARG_NONE, &opt_with_snapshot, 0, "only domains with snapshots",
    NULL },
  { "without-snapshot", '\0', POPT_ARG_NONE, &opt_without_snapshot, 0,
    "only domains without snapshots", NULL },
  { "with-managed-save", '\0', POPT_ARG_NONE, &opt_with_ms, 0,
    "only domains with a managed save image", NULL },
  { "without-managed-save", '\0', POPT_ARG_NONE, &opt_without_ms, 0,
    "only domains without a managed save image", NULL },
  { "managed-save", '\0', POPT_ARG_NONE, &opt_managed_save, 0,
    "show shut-off domains with a managed save image as \"saved\"", NULL },
  { "name", '\0', POPT_ARG_NONE, &opt_name, 0, "print names only, one per line", NULL },
  { "uuid", '\0', POPT_ARG_NONE, &opt_uuid, 0, "print UUIDs only, one per line", NULL },
  VK_OPT_JSON(opt_json, "print a JSON array"),
  POPT_TABLEEND
};

typedef struct {
  unsigned flags;
  vk_dom_list *lists;
} fetch_arg;

static bool
fetch(virConnectPtr conn, size_t i, void *opaque, vk_error **errp)
{
  fetch_arg *fa = opaque;

  return vk_domain_list(conn, fa->flags, opt_json || opt_managed_save, &fa->lists[i], errp);
}

int
vctl_list(vk_cmd_ctx *ctx)
{
  fetch_arg fa;
  vk_error *err = NULL;
  vk_dom_list *lists;
  vctl_conns cs;
  unsigned flags = 0;
  size_t answered = 0;
  int rc = 0;

  if (opt_name + opt_uuid + opt_json > 1)
    return vk_cmd_usage(ctx, "--name, --uuid and --json exclude each other");
  if (opt_all && opt_inactive)
    return vk_cmd_usage(ctx, "--all and --inactive exclude each other");
  if (vk_cmd_exclusive(ctx, "--with-snapshot", opt_with_snapshot, "--without-snapshot",
                       opt_without_snapshot, NULL) ||
      vk_cmd_exclusive(ctx, "--with-managed-save", opt_with_ms, "--without-managed-save",
                       opt_without_ms, NULL))
    return VK_EXIT_USAGE;
  if (opt_inactive)
    flags |= VIR_CONNECT_LIST_DOMAINS_INACTIVE;
  else if (!opt_all && !opt_running && !opt_paused && !opt_shutoff && !opt_other)
    flags |= VIR_CONNECT_LIST_DOMAINS_ACTIVE;
  if (opt_running)
    flags |= VIR_CONNECT_LIST_DOMAINS_RUNNING;
  if (opt_paused)
    flags |= VIR_CONNECT_LIST_DOMAINS_PAUSED;
  if (opt_shutoff)
    flags |= VIR_CONNECT_LIST_DOMAINS_SHUTOFF;
  if (opt_other)
    flags |= VIR_CONNECT_LIST_DOMAINS_OTHER;
  if (opt_autostart)
    flags |= VIR_CONNECT_LIST_DOMAINS_AUTOSTART;
  if (opt_no_autostart)
    flags |= VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART;
  if (opt_persistent)
    flags |= VIR_CONNECT_LIST_DOMAINS_PERSISTENT;
  if (opt_transient)
    flags |= VIR_CONNECT_LIST_DOMAINS_TRANSIENT;
  if (opt_with_snapshot)
    flags |= VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT;
  if (opt_without_snapshot)
    flags |= VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT;
  if (opt_with_ms)
    flags |= VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE;
  if (opt_without_ms)
    flags |= VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE;

  rc = vctl_open_all(ctx, true, &cs);
  if (!cs.n)
    return rc;
  if (!(lists = calloc(cs.n, sizeof *lists))) {
    vctl_conns_close(&cs);
    vk_error_set(&err, VK_EXIT_FAILED, "out of memory");
    return vk_cmd_fail(ctx, err);
  }
  fa.flags = flags;
  fa.lists = lists;
  answered = vctl_fetch_all(ctx, &cs, fetch, &fa, &rc);
  if (!answered) {
    free(lists);
    vctl_conns_close(&cs);
    return rc;
  }

  if (opt_name || opt_uuid) {
    for (size_t h = 0; h < cs.n; h++)
      for (size_t i = 0; i < lists[h].n; i++)
        fprintf(ctx->out, "%s\n", opt_name ? lists[h].doms[i].name : lists[h].doms[i].uuid);
  } else if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t h = 0; h < cs.n; h++) {
      if (vctl_json_host_error(j, &cs, h))
        continue;
      for (size_t i = 0; i < lists[h].n; i++) {
        vk_dom_entry *e = &lists[h].doms[i];
        vk_json_begin_object(j);
        if (cs.many)
          vk_json_kv_string(j, "host", vctl_conns_uri(&cs, h));
        if (e->id >= 0)
          vk_json_kv_int(j, "id", e->id);
        else
          vk_json_kv_null(j, "id");
        vk_json_kv_string(j, "name", e->name);
        vk_json_kv_string(j, "uuid", e->uuid);
        vk_json_kv_string(j, "state", vk_state_word(e->state));
        vk_json_kv_string(j, "reason", vk_state_reason_word(e->state, e->reason));
        vk_json_kv_bool(j, "persistent", e->persistent);
        vk_json_kv_bool(j, "autostart", e->autostart);
        vk_json_kv_bool(j, "managed_save", e->managed_save);
        vk_json_kv_bool(j, "has_snapshot", e->has_snapshot);
        vk_json_end_object(j);
      }
    }
    vk_json_end_array(j);
  } else {
    static const char *const head[] = { "Host", "Id", "Name", "State" };
    size_t skip = cs.many ? 0 : 1;
    vk_table *t = vk_table_new(4 - skip, head + skip);
    for (size_t h = 0; h < cs.n; h++) {
      for (size_t i = 0; i < lists[h].n; i++) {
        vk_dom_entry *e = &lists[h].doms[i];
        char id[16];
        const char *row[4] = { vctl_conns_name(&cs, h), id, e->name, vk_state_text(e->state) };
        if (opt_managed_save && e->managed_save && e->state == VIR_DOMAIN_SHUTOFF)
          row[3] = "saved";
        snprintf(id, sizeof id, "%d", e->id);
        if (e->id < 0)
          row[1] = "-";
        vk_table_add(t, row + skip);
      }
    }
    int prc = vctl_print_table(ctx, t);
    if (prc)
      rc = prc;
  }
  for (size_t h = 0; h < cs.n; h++)
    vk_dom_list_free(&lists[h]);
  free(lists);
  vctl_conns_close(&cs);
  /* some hosts did not answer: the others are printed, the status says it */
  ctx->partial = rc != 0;
  return rc;
}
