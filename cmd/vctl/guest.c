/* vctl domtime, domfsfreeze, domfsthaw, domfsinfo, guestinfo, domhostname:
 * what the guest agent tells and does. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/table.h"
#include "virt/guest.h"
#include "virt/screen.h"
#include "vctl.h"

static int opt_now, opt_pretty, opt_sync, opt_json;
static int opt_user, opt_os, opt_tz, opt_host, opt_fs, opt_disk, opt_iface;
static const char *opt_time, *opt_source, **opt_mounts;
static const char *opt_file, *opt_codeset = "linux";
static int opt_screen, opt_overwrite, opt_holdtime;

const struct poptOption vctl_domtime_options[] = {
  { "now", '\0', POPT_ARG_NONE, &opt_now, 0, "set the guest's clock to the host's", NULL },
  { "sync", '\0', POPT_ARG_NONE, &opt_sync, 0, "set it from the domain's RTC", NULL },
  { "time", '\0', POPT_ARG_STRING, &opt_time, 0, "set it to this time", "SECS" },
  { "pretty", '\0', POPT_ARG_NONE, &opt_pretty, 0, "print the time as a date (UTC)", NULL },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_fsfreeze_options[] = {
  { "mountpoint", '\0', POPT_ARG_ARGV, &opt_mounts, 0, "only this file system (repeatable)",
    "PATH" },
  POPT_TABLEEND
};

const struct poptOption vctl_guest_json_options[] = { VK_OPT_JSON(opt_json, "print JSON"),
                                                      POPT_TABLEEND };

const struct poptOption vctl_guestinfo_options[] = {
  { "user", '\0', POPT_ARG_NONE, &opt_user, 0, "logged-in users", NULL },
  { "os", '\0', POPT_ARG_NONE, &opt_os, 0, "the operating system", NULL },
  { "timezone", '\0', POPT_ARG_NONE, &opt_tz, 0, "the time zone", NULL },
  { "hostname", '\0', POPT_ARG_NONE, &opt_host, 0, "the host name", NULL },
  { "filesystem", '\0', POPT_ARG_NONE, &opt_fs, 0, "the file systems", NULL },
  { "disk", '\0', POPT_ARG_NONE, &opt_disk, 0, "the disks", NULL },
  { "interface", '\0', POPT_ARG_NONE, &opt_iface, 0, "the network interfaces", NULL },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_domhostname_options[] = {
  { "source", '\0', POPT_ARG_STRING, &opt_source, 0, "ask the guest agent or the DHCP leases",
    "agent|lease" },
  POPT_TABLEEND
};

const struct poptOption vctl_screenshot_options[] = {
  { "file", '\0', POPT_ARG_STRING, &opt_file, 0, "where to write it (default NAME-DATE.png)",
    "FILE" },
  { "screen", '\0', POPT_ARG_INT, &opt_screen, 0, "which screen (head) of the video card", "N" },
  { "overwrite", '\0', POPT_ARG_NONE, &opt_overwrite, 0, "replace an existing file", NULL },
  VK_OPT_JSON(opt_json, "print a JSON object"),
  POPT_TABLEEND
};

const struct poptOption vctl_send_key_options[] = {
  { "codeset", '\0', POPT_ARG_STRING, &opt_codeset, 0, "the keycode set of the keys",
    "linux|xt|atset1|atset2|atset3|os_x|xt_kbd|usb|win32|qnum|rfb" },
  { "holdtime", '\0', POPT_ARG_INT, &opt_holdtime, 0, "how long the keys are held down", "MS" },
  POPT_TABLEEND
};

int
vctl_screenshot(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *file = NULL, *mime = NULL;
  const char *path = opt_file;

  if (ctx->argc > 1) {
    if (opt_file)
      return vk_cmd_usage(ctx, "the file is given twice (FILE and --file)");
    path = ctx->argv[1];
  }
  if (opt_screen < 0)
    return vk_cmd_usage(ctx, "--screen %d: a screen is 0 or more", opt_screen);
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_domain_screenshot(dom, (unsigned)opt_screen, path, opt_overwrite, &file, &mime, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    vk_json_kv_string(j, "file", file);
    vk_json_kv_string(j, "mime", mime);
    vk_json_end_object(j);
  } else {
    fprintf(ctx->out, "Screenshot saved to %s, with type of %s\n", file, mime);
  }
  return rc;
}

int
vctl_send_key(vk_cmd_ctx *ctx)
{
  unsigned set, codes[VIR_DOMAIN_SEND_KEY_MAX_KEYS];
  size_t n = (size_t)ctx->argc - 1;
  vk_error *perr = NULL;

  if (!vk_keycode_set_parse(opt_codeset, &set, &perr))
    return vk_cmd_fail(ctx, perr);
  if (opt_holdtime < 0)
    return vk_cmd_usage(ctx, "--holdtime %d: milliseconds, 0 or more", opt_holdtime);
  if (n > VIR_DOMAIN_SEND_KEY_MAX_KEYS)
    return vk_cmd_usage(ctx, "%zu keys given: at most %d are pressed together", n,
                        VIR_DOMAIN_SEND_KEY_MAX_KEYS);
  for (size_t i = 0; i < n; i++)
    if (!vk_keycode_parse(set, ctx->argv[i + 1], &codes[i], &perr))
      return vk_cmd_fail(ctx, perr);
  VCTL_DOMAIN_OR_RETURN(false);
  if (!vk_domain_send_key(dom, set, (unsigned)opt_holdtime, codes, n, &err))
    return vk_cmd_fail(ctx, err);
  return rc;
}

int
vctl_domtime(vk_cmd_ctx *ctx)
{
  long long secs = 0;
  unsigned nsecs = 0;

  if (opt_now + opt_sync + (opt_time != NULL) > 1)
    return vk_cmd_usage(ctx, "--now, --sync and --time exclude each other");
  if (opt_time) {
    char *end;
    errno = 0;
    secs = strtoll(opt_time, &end, 10);
    if (errno || end == opt_time || *end || secs < 0)
      return vk_cmd_usage(ctx, "--time '%s': seconds since the epoch", opt_time);
  }
  VCTL_DOMAIN_OR_RETURN(false);
  if (opt_now || opt_sync || opt_time) {
    if (opt_now) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      secs = ts.tv_sec;
      nsecs = (unsigned)ts.tv_nsec;
    }
    if (!vk_guest_set_time(dom, secs, nsecs, opt_sync, &err))
      return vk_cmd_fail(ctx, err);
    return 0;
  }
  if (!vk_guest_time(dom, &secs, &nsecs, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_object(j);
    vk_json_kv_int(j, "seconds", secs);
    vk_json_kv_uint(j, "nanoseconds", nsecs);
    vk_json_end_object(j);
  } else if (opt_pretty) {
    time_t t = (time_t)secs;
    struct tm tm;
    char buf[64] = "";
    if (gmtime_r(&t, &tm))
      strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(ctx->out, "Time: %s\n", buf);
  } else {
    fprintf(ctx->out, "Time: %lld\n", secs);
  }
  return rc;
}

static int
freeze_cmd(vk_cmd_ctx *ctx, bool thaw)
{
  size_t n = 0;
  int count;
  VCTL_DOMAIN_OR_RETURN(false);

  while (opt_mounts && opt_mounts[n])
    n++;
  if (!vk_guest_fsfreeze(dom, thaw, opt_mounts, n, &count, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "%s %d filesystem(s)\n", thaw ? "Thawed" : "Froze", count);
  return rc;
}

int
vctl_domfsfreeze(vk_cmd_ctx *ctx)
{
  return freeze_cmd(ctx, false);
}

int
vctl_domfsthaw(vk_cmd_ctx *ctx)
{
  return freeze_cmd(ctx, true);
}

int
vctl_domfsinfo(vk_cmd_ctx *ctx)
{
  vk_stat_list l;
  VCTL_DOMAIN_OR_RETURN(false);

  if (!vk_guest_fsinfo(dom, &l, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; i < l.n; i++) {
      vk_json_begin_object(j);
      vk_json_kv_string(j, "mountpoint", l.r[i].name);
      for (size_t k = 0; k < l.r[i].n; k++)
        vk_json_kv_string(j, l.r[i].f[k].key, l.r[i].f[k].v.s);
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
  } else if (!l.n) {
    fputs("No filesystems are mounted in the domain\n", ctx->out);
  } else {
    static const char *const head[] = { "Mountpoint", "Name", "Type", "Target" };
    vk_table *t = vk_table_new(4, head);
    for (size_t i = 0; i < l.n; i++) {
      const char *row[] = { l.r[i].name, l.r[i].f[0].v.s, l.r[i].f[1].v.s, l.r[i].f[2].v.s };
      vk_table_add(t, row);
    }
    rc = vctl_print_table(ctx, t);
  }
  vk_stat_list_free(&l);
  return rc;
}

int
vctl_guestinfo(vk_cmd_ctx *ctx)
{
  unsigned types = (opt_user ? VIR_DOMAIN_GUEST_INFO_USERS : 0) |
                   (opt_os ? VIR_DOMAIN_GUEST_INFO_OS : 0) |
                   (opt_tz ? VIR_DOMAIN_GUEST_INFO_TIMEZONE : 0) |
                   (opt_host ? VIR_DOMAIN_GUEST_INFO_HOSTNAME : 0) |
                   (opt_fs ? VIR_DOMAIN_GUEST_INFO_FILESYSTEM : 0) |
                   (opt_disk ? VIR_DOMAIN_GUEST_INFO_DISKS : 0) |
                   (opt_iface ? VIR_DOMAIN_GUEST_INFO_INTERFACES : 0);
  vk_stat_record r;
  VCTL_DOMAIN_OR_RETURN(false);

  if (!vk_guest_info(dom, types, &r, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    /* the structure of domstats --json: groups as objects, numbered items as arrays */
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    if (!vk_stat_record_json(&r, j, &err)) {
      vk_stat_record_clear(&r);
      return vk_cmd_fail(ctx, err);
    }
  } else {
    for (size_t i = 0; i < r.n; i++) {
      const vk_stat_field *f = &r.f[i];
      fprintf(ctx->out, "%-20s: ", f->key);
      vctl_print_stat_value(ctx->out, f);
      fputc('\n', ctx->out);
    }
  }
  vk_stat_record_clear(&r);
  return rc;
}

int
vctl_domhostname(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *h = NULL;
  VCTL_DOMAIN_OR_RETURN(false);

  if (!(h = vk_guest_hostname(dom, opt_source, &err)))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "%s\n", h);
  return rc;
}
