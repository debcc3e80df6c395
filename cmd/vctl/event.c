/* vctl event: domain events as they come, for people and for scripts. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cancel.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "virt/domevent.h"
#include "vctl.h"

static int opt_loop, opt_timestamp, opt_json, opt_all, opt_list;
static const char *opt_domain, *opt_timeout;
static const char **opt_events; /* --event, repeatable */

const struct poptOption vctl_event_options[] = {
  { "domain", '\0', POPT_ARG_STRING, &opt_domain, 0, "only this domain's events", "DOMAIN" },
  { "event", '\0', POPT_ARG_ARGV, &opt_events, 0,
    "this kind of event (again for more; default lifecycle; --list names them)", "NAME" },
  { "all", '\0', POPT_ARG_NONE, &opt_all, 0, "every kind of event", NULL },
  { "loop", '\0', POPT_ARG_NONE, &opt_loop, 0, "go on after the first event", NULL },
  { "timeout", '\0', POPT_ARG_STRING, &opt_timeout, 0,
    "stop after SECS seconds (exit 4 if no event came)", "SECS" },
  { "timestamp", '\0', POPT_ARG_NONE, &opt_timestamp, 0, "start each line with the time", NULL },
  { "list", '\0', POPT_ARG_NONE, &opt_list, 0, "list the kinds of event and exit", NULL },
  VK_OPT_JSON(opt_json, "one JSON object a line: time, domain, uuid, event, detail"),
  POPT_TABLEEND
};

/* "2026-12-01 21:50:03.123+0000" (local time with its offset) or, for
 * JSON, "2026-12-01T21:50:03.123Z" */
static void
format_time(int64_t us, bool iso, char *buf, size_t len)
{
  time_t t = (time_t)(us / 1000000);
  struct tm tm;
  char base[32], zone[8];

  if (iso) {
    gmtime_r(&t, &tm);
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", base, (int)(us / 1000 % 1000));
    return;
  }
  localtime_r(&t, &tm);
  strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", &tm);
  strftime(zone, sizeof zone, "%z", &tm);
  snprintf(buf, len, "%s.%03d%s", base, (int)(us / 1000 % 1000), zone);
}

static bool
print_event(const vk_dom_event *e, void *opaque)
{
  FILE *out = opaque;
  char when[64];

  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, out);
    vk_json_set_compact(j, true);
    format_time(e->time_us, true, when, sizeof when);
    vk_json_begin_object(j);
    vk_json_kv_string(j, "time", when);
    vk_json_kv_string(j, "domain", e->domain);
    vk_json_kv_string(j, "uuid", e->uuid);
    vk_json_kv_string(j, "event", e->event);
    vk_json_kv_string(j, "detail", e->detail);
    vk_json_end_object(j);
  } else {
    if (opt_timestamp) {
      format_time(e->time_us, false, when, sizeof when);
      fprintf(out, "%s: ", when);
    }
    fprintf(out, "event '%s' for domain '%s'%s%s\n", e->event, e->domain,
            e->detail && *e->detail ? ": " : "", e->detail ? e->detail : "");
  }
  /* a script reading the lines gets each one as it comes */
  return fflush(out) == 0;
}

int
vctl_event(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_DOMAIN virDomainPtr dom = NULL;
  vk_error *err = NULL;
  int rc = 0, timeout_ms = -1;
  size_t n = 0;
  unsigned long count = 0;
  bool ok;

  if (opt_list) {
    for (size_t i = 0; vk_event_names[i]; i++)
      fprintf(ctx->out, "%s\n", vk_event_names[i]);
    return 0;
  }
  if (opt_all && opt_events)
    return vk_cmd_usage(ctx, "--all and --event exclude each other");
  if (opt_timeout && !vctl_parse_secs("timeout", opt_timeout, &timeout_ms, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_all)
    for (n = 0; vk_event_names[n]; n++)
      ;
  else
    for (n = 0; opt_events && opt_events[n]; n++)
      ;
  if (!(conn = vctl_open(ctx, true, &rc)))
    return rc;
  if (opt_domain && !(dom = vk_domain_lookup(conn, opt_domain, &err)))
    return vk_cmd_fail(ctx, err);
  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, err);
  ok = vk_events_watch(conn, dom, opt_all ? vk_event_names : opt_events, n, opt_loop, timeout_ms,
                       vk_cancel_flag(), print_event, ctx->out, &count, &err);
  if (!ok && err->code == VK_EXIT_TIMEOUT) {
    vk_cancel_finish();
    return vk_cmd_fail(ctx, err);
  }
  return vk_cmd_cancel_done(ctx, ok, err, "%lu event%s received", count, count == 1 ? "" : "s");
}
