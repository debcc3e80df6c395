/* vclone — copy a virtual machine with a new identity. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "util/cancel.h"
#include "util/cleanup.h"
#include "util/cmd.h"
#include "util/json.h"
#include "util/progress.h"
#include "virt/clone/clone.h"
#include "virt/conn.h"

enum {
  OPT_ORIGINAL = 100, OPT_ORIGINAL_XML, OPT_NAME, OPT_AUTO, OPT_FILE, OPT_SKIP,
  OPT_FORCE, OPT_PRESERVE, OPT_NONSPARSE, OPT_REFLINK, OPT_LINKED, OPT_MAC,
  OPT_UUID, OPT_NVRAM, OPT_REPLACE, OPT_PRINT_XML, OPT_DRY_RUN, OPT_PROGRESS,
  OPT_JSON, OPT_CHECK, OPT_QUIET, OPT_SYNC,
};

static vk_clone_opts opts;
static const char *opt_uri;
static bool opt_print_xml, opt_dry_run, opt_progress, opt_json, opt_quiet;
/* Strings the options hand over (popt frees its own copies). */
static const char **files, **skips, **forces, **macs;
static char *owned[256];
static size_t nowned;

static const struct poptOption options[] = {
  { "original", 'o', POPT_ARG_STRING, NULL, OPT_ORIGINAL, "the domain to clone (shut off)", "DOMAIN" },
  { "original-xml", 0, POPT_ARG_STRING, NULL, OPT_ORIGINAL_XML, "clone the domain described by this XML file", "FILE" },
  { "name", 'n', POPT_ARG_STRING, NULL, OPT_NAME, "name of the clone", "NEWNAME" },
  { "auto-clone", 0, POPT_ARG_NONE, NULL, OPT_AUTO, "name the clone ORIG-clone (or ORIG-clone1, ...) and derive its disk paths", NULL },
  { "file", 'f', POPT_ARG_STRING, NULL, OPT_FILE, "path of the next copied disk (repeatable, in disk order)", "PATH" },
  { "skip-copy", 0, POPT_ARG_STRING, NULL, OPT_SKIP, "keep this disk shared instead of copying it (repeatable)", "TARGET" },
  { "force-copy", 0, POPT_ARG_STRING, NULL, OPT_FORCE, "copy this disk even if read-only or a CD-ROM (repeatable)", "TARGET" },
  { "preserve-data", 0, POPT_ARG_NONE, NULL, OPT_PRESERVE, "use the --file paths as they are; copy nothing", NULL },
  { "nonsparse", 0, POPT_ARG_NONE, NULL, OPT_NONSPARSE, "allocate the copies fully", NULL },
  { "reflink", 0, POPT_ARG_NONE, NULL, OPT_REFLINK, "share the extents of the disks (FICLONE; btrfs, XFS)", NULL },
  { "linked", 0, POPT_ARG_NONE, NULL, OPT_LINKED, "make each disk a qcow2 overlay backed by the original's disk", NULL },
  { "mac", 'm', POPT_ARG_STRING, NULL, OPT_MAC, "MAC address of the next interface (repeatable)", "MAC|RANDOM" },
  { "uuid", 'u', POPT_ARG_STRING, NULL, OPT_UUID, "UUID of the clone (default: random)", "UUID" },
  { "nvram", 0, POPT_ARG_STRING, NULL, OPT_NVRAM, "path of the clone's UEFI variable store", "PATH" },
  { "sync", 0, POPT_ARG_NONE, NULL, OPT_SYNC, "sync the copies to disk before the clone is defined", NULL },
  { "replace", 0, POPT_ARG_NONE, NULL, OPT_REPLACE, "replace a shut-off domain that has the new name", NULL },
  { "check", 0, POPT_ARG_STRING, NULL, OPT_CHECK, "turn a check off", "path_in_use=off|path_exists=off|all=off" },
  { "print-xml", 0, POPT_ARG_NONE, NULL, OPT_PRINT_XML, "print the clone's XML and create nothing", NULL },
  { "dry-run", 0, POPT_ARG_NONE, NULL, OPT_DRY_RUN, "run every check, print the XML, create nothing", NULL },
  { "progress", 'p', POPT_ARG_NONE, NULL, OPT_PROGRESS, "show progress while disks are copied (on a terminal)", NULL },
  { "json", 0, POPT_ARG_NONE, NULL, OPT_JSON, "report the clone as JSON", NULL },
  { "quiet", 'q', POPT_ARG_NONE, NULL, OPT_QUIET, "print nothing on success", NULL },
  { "connect", 'c', POPT_ARG_STRING, &opt_uri, 0, "hypervisor connection URI", "URI" },
  POPT_TABLEEND
};

static bool
push(const char ***list, size_t *n, const char *arg, vk_error **errp)
{
  char *s = strdup(arg);
  const char **l = realloc(*list, (*n + 1) * sizeof *l);

  if (!s || !l || nowned == sizeof owned / sizeof owned[0]) {
    free(s);
    if (l)
      *list = l;
    return vk_error_set(errp, VK_EXIT_USAGE, "too many options");
  }
  owned[nowned++] = s;
  l[(*n)++] = s;
  *list = l;
  return true;
}

static bool
keep(const char **dst, const char *what, const char *arg, vk_error **errp)
{
  if (*dst)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s given twice", what);
  if (nowned == sizeof owned / sizeof owned[0] || !(owned[nowned] = strdup(arg)))
    return vk_error_set(errp, VK_EXIT_USAGE, "too many options");
  *dst = owned[nowned++];
  return true;
}

static bool
check_option(const char *arg, vk_error **errp)
{
  CLEANUP_FREE char *s = strdup(arg);
  char *save = NULL;

  for (char *t = s ? strtok_r(s, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(t, '=');
    bool on;
    if (!eq || (strcmp(eq + 1, "off") != 0 && strcmp(eq + 1, "on") != 0))
      return vk_error_set(errp, VK_EXIT_USAGE, "--check: '%s' is not NAME=on|off", t);
    on = strcmp(eq + 1, "on") == 0;
    *eq = '\0';
    if (strcmp(t, "path_in_use") == 0 || strcmp(t, "all") == 0)
      opts.check_path_in_use = on;
    if (strcmp(t, "path_exists") == 0 || strcmp(t, "all") == 0)
      opts.check_path_exists = on;
    if (strcmp(t, "path_in_use") != 0 && strcmp(t, "path_exists") != 0 && strcmp(t, "all") != 0)
      return vk_error_set(errp, VK_EXIT_USAGE, "--check: unknown check '%s' (path_in_use, path_exists, all)", t);
  }
  return true;
}

static bool
option(int val, const char *arg, vk_error **errp)
{
  switch (val) {
  case OPT_ORIGINAL: return keep(&opts.original, "--original", arg, errp);
  case OPT_ORIGINAL_XML: return keep(&opts.original_xml, "--original-xml", arg, errp);
  case OPT_NAME: return keep(&opts.name, "--name", arg, errp);
  case OPT_UUID: return keep(&opts.uuid, "--uuid", arg, errp);
  case OPT_NVRAM: return keep(&opts.nvram, "--nvram", arg, errp);
  case OPT_FILE: return push(&files, &opts.nfiles, arg, errp);
  case OPT_SKIP: return push(&skips, &opts.nskip, arg, errp);
  case OPT_FORCE: return push(&forces, &opts.nforce, arg, errp);
  case OPT_MAC: return push(&macs, &opts.nmacs, arg, errp);
  case OPT_CHECK: return check_option(arg, errp);
  case OPT_AUTO: opts.auto_clone = true; return true;
  case OPT_PRESERVE: opts.preserve_data = true; return true;
  case OPT_NONSPARSE: opts.nonsparse = true; return true;
  case OPT_REFLINK: opts.reflink = true; return true;
  case OPT_LINKED: opts.linked = true; return true;
  case OPT_REPLACE: opts.replace = true; return true;
  case OPT_PRINT_XML: opt_print_xml = true; return true;
  case OPT_DRY_RUN: opt_dry_run = true; return true;
  case OPT_PROGRESS: opt_progress = true; return true;
  case OPT_JSON: opt_json = true; return true;
  case OPT_QUIET: opt_quiet = true; return true;
  case OPT_SYNC: opts.sync = true; return true;
  default: return vk_error_set(errp, VK_EXIT_USAGE, "unexpected option");
  }
}

typedef struct bar_state {
  vk_progress bar;
  bool started;
} bar_state;

static void
progress(void *opaque, uint64_t done, uint64_t total)
{
  bar_state *b = opaque;

  if (!b->started) {
    vk_progress_start(&b->bar, opt_progress, "cloning", total);
    b->started = true;
  }
  vk_progress_update(&b->bar, done);
}

static void
print_report(const vk_cmd_ctx *ctx, const vk_clone *c)
{
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_clone_report_json(c, j);
    return;
  }
  if (opt_quiet)
    return;
  fprintf(ctx->out, "Clone '%s' created successfully.\n", c->name);
  for (size_t i = 0; i < c->ndisks; i++) {
    const vk_clone_disk *d = &c->disks[i];
    if (d->source && d->volume)
      fprintf(ctx->out, "  %-6s %-9s %s (volume %s/%s)\n", d->target ? d->target : "-",
              vk_clone_how_name(d->how), d->path, d->pool, d->volume);
    else if (d->source)
      fprintf(ctx->out, "  %-6s %-9s %s\n", d->target ? d->target : "-",
              vk_clone_how_name(d->how), d->path);
  }
}

static int
finish(const vk_cmd_ctx *ctx, virConnectPtr conn, vk_clone *c, vk_error *err)
{
  int rc = 0;

  if (err && err->code == VK_EXIT_USAGE) {
    rc = vk_cmd_usage(ctx, "%s", err->msg);
    vk_error_free(err);
  } else if (err) {
    rc = vk_cmd_fail(ctx, err);    /* frees err */
  }
  if (c)
    vk_clone_clear(c);
  if (conn)
    virConnectClose(conn);
  free(files); free(skips); free(forces); free(macs);
  for (size_t i = 0; i < nowned; i++)
    free(owned[i]);
  vk_cancel_finish();   /* a signal ends the process the way it asked for */
  return rc;
}

static int
run(vk_cmd_ctx *ctx)
{
  vk_error *err = NULL;
  virConnectPtr conn;
  vk_clone c = { 0 };
  bar_state bar = { 0 };
  int rc;

  opts.files = files;
  opts.skip = skips;
  opts.force = forces;
  opts.macs = macs;
  opts.cancel = vk_cancel_flag();
  opts.progress = progress;
  opts.opaque = &bar;

  /* Ctrl-C, kill or a hang-up: the clone stops between steps and removes
   * what it made. */
  if (!vk_cancel_start(&err))
    return finish(ctx, NULL, NULL, err);
  conn = vk_conn_open(opt_uri, 0, &err);
  if (!conn)
    return finish(ctx, NULL, NULL, err);
  if (!vk_clone_plan(&c, conn, &opts, &err))
    return finish(ctx, conn, &c, err);
  if (opt_print_xml || opt_dry_run) {
    fputs(c.xml, ctx->out);
    return finish(ctx, conn, &c, NULL);
  }
  if (!vk_clone_run(&c, conn, &err)) {
    if (bar.started)
      vk_progress_finish(&bar.bar, false);
    if (vk_cancelled()) {
      vk_error_free(err);
      vk_cmd_warn(ctx, "interrupted: nothing was created");
      return finish(ctx, conn, &c, NULL);   /* dies of the signal */
    }
    return finish(ctx, conn, &c, err);
  }
  vk_cancel_end();   /* done: a late signal changes nothing */
  if (bar.started)
    vk_progress_finish(&bar.bar, true);
  print_report(ctx, &c);
  rc = finish(ctx, conn, &c, NULL);
  return rc;
}

static const vk_subcmd clone_cmd = VK_CMD("vclone", run, "", "Copy a virtual machine with a new identity",
                                    .options = options, .option = option);

static const vk_tool tool = {
  .name = "vclone",
  .summary = "Copy a virtual machine with a new identity",
  .single = &clone_cmd,
};

int
main(int argc, char **argv)
{
  vk_clone_opts_init(&opts);
  return vk_tool_main(&tool, argc, argv);
}
