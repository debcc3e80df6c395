/* vctl snapshot-create-as, snapshot-create, snapshot-list, snapshot-info,
 * snapshot-current, snapshot-dumpxml, snapshot-parent, snapshot-revert,
 * snapshot-delete. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "util/text.h"
#include "virt/edit.h"
#include "virt/snapshot/snapshot.h"
#include "vctl.h"

static const char *opt_description, *opt_memspec, *opt_from;
static const char **opt_diskspecs;
static size_t opt_ndiskspecs;
static int opt_disk_only, opt_live, opt_quiesce, opt_atomic, opt_no_metadata, opt_reuse;
static int opt_halt, opt_redefine, opt_set_current;
static int opt_tree, opt_parent, opt_roots, opt_leaves, opt_current, opt_descendants;
static int opt_internal, opt_external, opt_name, opt_json, opt_secure;
static int opt_running, opt_paused, opt_force, opt_children, opt_children_only, opt_metadata;
static int opt_idempotent;

enum { OPT_DISKSPEC = 1 };

/* clang-format off */
#define CREATE_FLAG_OPTIONS \
  { "disk-only", '\0', POPT_ARG_NONE, &opt_disk_only, 0, \
    "external snapshot of the disks only (new qcow2 overlays), no memory", NULL }, \
  { "reuse-external", '\0', POPT_ARG_NONE, &opt_reuse, 0, \
    "the overlays exist already: use them instead of making new ones", NULL }, \
  { "quiesce", '\0', POPT_ARG_NONE, &opt_quiesce, 0, \
    "freeze the guest's filesystems meanwhile (needs the guest agent)", NULL }, \
  { "atomic", '\0', POPT_ARG_NONE, &opt_atomic, 0, \
    "all disks or none (always so for external disks)", NULL }, \
  { "live", '\0', POPT_ARG_NONE, &opt_live, 0, \
    "save external memory while the guest keeps running", NULL }, \
  { "no-metadata", '\0', POPT_ARG_NONE, &opt_no_metadata, 0, \
    "take the snapshot but keep no libvirt record of it", NULL }
/* clang-format on */

const struct poptOption vctl_snapshot_create_as_options[] = {
  { "description", '\0', POPT_ARG_STRING, &opt_description, 0, "a description", "TEXT" },
  { "memspec", '\0', POPT_ARG_STRING, &opt_memspec, 0,
    "memory: [file=]PATH[,snapshot=external|internal|no]", "SPEC" },
  { "diskspec", '\0', POPT_ARG_STRING, NULL, OPT_DISKSPEC,
    "one disk: TARGET[,snapshot=external|internal|no][,driver=qcow2][,file=PATH] (repeatable)",
    "SPEC" },
  CREATE_FLAG_OPTIONS,
  POPT_TABLEEND
};

const struct poptOption vctl_snapshot_create_options[] = {
  { "redefine", '\0', POPT_ARG_NONE, &opt_redefine, 0,
    "record the metadata of an existing snapshot (from snapshot-dumpxml)", NULL },
  { "current", '\0', POPT_ARG_NONE, &opt_set_current, 0, "with --redefine: make it the current one",
    NULL },
  { "halt", '\0', POPT_ARG_NONE, &opt_halt, 0, "stop the domain after the snapshot", NULL },
  CREATE_FLAG_OPTIONS,
  POPT_TABLEEND
};

const struct poptOption vctl_snapshot_list_options[] = {
  { "parent", '\0', POPT_ARG_NONE, &opt_parent, 0, "add a column with each snapshot's parent",
    NULL },
  { "roots", '\0', POPT_ARG_NONE, &opt_roots, 0, "only snapshots without a parent", NULL },
  { "leaves", '\0', POPT_ARG_NONE, &opt_leaves, 0, "only snapshots without children", NULL },
  { "tree", '\0', POPT_ARG_NONE, &opt_tree, 0, "print the snapshots as a tree", NULL },
  { "from", '\0', POPT_ARG_STRING, &opt_from, 0, "only the children of snapshot SNAP", "SNAP" },
  { "current", '\0', POPT_ARG_NONE, &opt_current, 0,
    "only the children of the current snapshot (like virsh)", NULL },
  { "descendants", '\0', POPT_ARG_NONE, &opt_descendants, 0,
    "with --from or --current: all descendants, not only children", NULL },
  { "internal", '\0', POPT_ARG_NONE, &opt_internal, 0, "only internal snapshots", NULL },
  { "external", '\0', POPT_ARG_NONE, &opt_external, 0, "only external snapshots", NULL },
  { "name", '\0', POPT_ARG_NONE, &opt_name, 0, "print names only, one per line", NULL },
  VK_OPT_JSON(opt_json, "print a JSON array"),
  POPT_TABLEEND
};

const struct poptOption vctl_snapshot_info_options[] = {
  VK_OPT_JSON(opt_json, "print a JSON object"), POPT_TABLEEND
};

const struct poptOption vctl_snapshot_current_options[] = {
  { "name", '\0', POPT_ARG_NONE, &opt_name, 0, "print the name only, not the XML", NULL },
  { "security-info", '\0', POPT_ARG_NONE, &opt_secure, 0, "include security-sensitive data", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_snapshot_dumpxml_options[] = {
  { "security-info", '\0', POPT_ARG_NONE, &opt_secure, 0, "include security-sensitive data", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_snapshot_revert_options[] = {
  { "running", '\0', POPT_ARG_NONE, &opt_running, 0, "run the domain after the revert", NULL },
  { "paused", '\0', POPT_ARG_NONE, &opt_paused, 0, "leave the domain paused after the revert",
    NULL },
  { "force", '\0', POPT_ARG_NONE, &opt_force, 0,
    "revert even where libvirt calls it risky (e.g. a snapshot without memory of a running guest)",
    NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_snapshot_delete_options[] = {
  { "children", '\0', POPT_ARG_NONE, &opt_children, 0, "also delete its descendants", NULL },
  { "children-only", '\0', POPT_ARG_NONE, &opt_children_only, 0,
    "delete only its descendants, keep the snapshot", NULL },
  { "metadata", '\0', POPT_ARG_NONE, &opt_metadata, 0,
    "only libvirt's record: leave the images as they are", NULL },
  { "idempotent", '\0', POPT_ARG_NONE, &opt_idempotent, 0,
    "succeed (exit 0) when the snapshot does not exist", NULL },
  POPT_TABLEEND
};

bool
vctl_snapshot_option(int val, const char *arg, vk_error **errp)
{
  const char **grown;

  if (val != OPT_DISKSPEC)
    return true;
  grown = realloc(opt_diskspecs, (opt_ndiskspecs + 1) * sizeof *opt_diskspecs);
  if (!grown)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  opt_diskspecs = grown;
  opt_diskspecs[opt_ndiskspecs++] = arg;
  return true;
}

static unsigned
create_flags(void)
{
  unsigned f = 0;

  f |= opt_disk_only ? VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY : 0;
  f |= opt_reuse ? VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT : 0;
  f |= opt_quiesce ? VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE : 0;
  f |= opt_atomic ? VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC : 0;
  f |= opt_live ? VIR_DOMAIN_SNAPSHOT_CREATE_LIVE : 0;
  f |= opt_no_metadata ? VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA : 0;
  f |= opt_halt ? VIR_DOMAIN_SNAPSHOT_CREATE_HALT : 0;
  f |= opt_redefine ? VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE : 0;
  f |= opt_set_current ? VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT : 0;
  return f;
}

static int
report_created(vk_cmd_ctx *ctx, virDomainSnapshotPtr snap, const char *fallback)
{
  const char *name = snap ? virDomainSnapshotGetName(snap) : fallback;

  if (name)
    fprintf(ctx->out, "Domain snapshot %s created\n", name);
  else
    fprintf(ctx->out, "Domain snapshot created\n");
  if (snap)
    virDomainSnapshotFree(snap);
  return 0;
}

int
vctl_snapshot_create_as(vk_cmd_ctx *ctx)
{
  vk_snap_spec spec = { 0 };
  virDomainSnapshotPtr snap = NULL;
  VCTL_DOMAIN_OR_RETURN(false);

  spec.name = ctx->argc > 1 ? ctx->argv[1] : NULL;
  spec.description = opt_description;
  spec.memspec = opt_memspec;
  spec.diskspecs = opt_diskspecs;
  spec.ndiskspecs = opt_ndiskspecs;
  spec.disk_only = opt_disk_only;
  spec.live = opt_live;
  spec.quiesce = opt_quiesce;
  spec.atomic = opt_atomic;
  spec.no_metadata = opt_no_metadata;
  spec.reuse_external = opt_reuse;
  if (!vk_snapshot_create_as(dom, &spec, &snap, &err))
    return vk_cmd_fail(ctx, err);
  return report_created(ctx, snap, spec.name);
}

int
vctl_snapshot_create(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  virDomainSnapshotPtr snap = NULL;

  if (opt_set_current && !opt_redefine)
    return vk_cmd_usage(ctx, "--current needs --redefine");
  VCTL_DOMAIN_OR_RETURN(false);
  if (ctx->argc > 1) {
    if (!(xml = vk_read_file(ctx->argv[1], &err)))
      return vk_cmd_fail(ctx, err);
  } else if (!(xml = strdup("<domainsnapshot/>"))) {
    vk_error_set(&err, VK_EXIT_FAILED, "out of memory");
    return vk_cmd_fail(ctx, err);
  }
  if (!vk_snapshot_create_xml(dom, xml, create_flags(), &snap, &err))
    return vk_cmd_fail(ctx, err);
  return report_created(ctx, snap, NULL);
}

/* The snapshot named by argv[1], or the current one. */
static virDomainSnapshotPtr
named_or_current(vk_cmd_ctx *ctx, virDomainPtr dom, vk_error **errp)
{
  return vk_snapshot_lookup(dom, ctx->argc > 1 ? ctx->argv[1] : NULL, errp);
}

static void
json_snap(vk_json *j, const vk_snap *s)
{
  vk_json_begin_object(j);
  vk_json_kv_string(j, "name", s->name);
  vk_json_kv_string(j, "parent", s->parent);
  vk_json_kv_int(j, "creation_time", s->creation_time);
  vk_json_kv_string(j, "state", s->state);
  vk_json_kv_string(j, "description", s->description);
  vk_json_kv_string(j, "kind", s->external ? "external" : "internal");
  vk_json_kv_bool(j, "current", s->current);
  vk_json_kv_string(j, "memory", s->memory ? s->memory : "no");
  vk_json_kv_string(j, "memory_file", s->memory_file);
  vk_json_key(j, "disks");
  vk_json_begin_array(j);
  for (size_t i = 0; i < s->ndisks; i++) {
    vk_json_begin_object(j);
    vk_json_kv_string(j, "target", s->disks[i].target);
    vk_json_kv_string(j, "kind", s->disks[i].kind);
    vk_json_kv_string(j, "file", s->disks[i].file);
    vk_json_end_object(j);
  }
  vk_json_end_array(j);
  vk_json_kv_int(j, "children", s->children);
  vk_json_kv_int(j, "descendants", s->descendants);
  vk_json_kv_bool(j, "metadata", s->metadata);
  vk_json_end_object(j);
}

static void
format_time(int64_t t, char *buf, size_t len)
{
  time_t tt = (time_t)t;
  struct tm tm;

  if (!localtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S %z", &tm))
    snprintf(buf, len, "%lld", (long long)t);
}

/* One snapshot and its subtree, drawn as virsh draws it. */
static void
print_tree(FILE *o, const vk_snap *s, size_t n, size_t me, char *indent, size_t ilen, bool root,
           bool last)
{
  size_t nkids = 0, seen = 0;

  fprintf(o, "%.*s%s%s\n", (int)ilen, indent, root ? "" : "+- ", s[me].name);
  if (!root) {
    indent[ilen++] = last ? ' ' : '|';
    indent[ilen++] = ' ';
    indent[ilen++] = ' ';
  }
  for (size_t i = 0; i < n; i++)
    if (s[i].parent && !strcmp(s[i].parent, s[me].name))
      nkids++;
  if (nkids)
    fprintf(o, "%.*s  |\n", (int)ilen, indent);
  indent[ilen] = indent[ilen + 1] = ' ';
  for (size_t i = 0; i < n; i++)
    if (s[i].parent && !strcmp(s[i].parent, s[me].name)) {
      seen++;
      print_tree(o, s, n, i, indent, ilen + 2, false, seen == nkids);
    }
  if (!nkids && last)
    fprintf(o, "%.*s\n", (int)ilen, indent);
}

int
vctl_snapshot_list(vk_cmd_ctx *ctx)
{
  vk_snap *s = NULL;
  size_t n = 0;
  unsigned flags = 0;
  CLEANUP_FREE char *cur_name = NULL;
  const char *from = opt_from;

  if (vk_cmd_exclusive(ctx, "--name", opt_name, "--json", opt_json, "--tree", opt_tree, NULL) ||
      vk_cmd_exclusive(ctx, "--from", opt_from != NULL, "--current", opt_current, NULL) ||
      vk_cmd_exclusive(ctx, "--internal", opt_internal, "--external", opt_external, NULL) ||
      vk_cmd_exclusive(ctx, "--tree", opt_tree, "--roots", opt_roots, "--leaves", opt_leaves, NULL))
    return VK_EXIT_USAGE;
  if (opt_descendants && !opt_from && !opt_current)
    return vk_cmd_usage(ctx, "--descendants needs --from or --current");
  VCTL_DOMAIN_OR_RETURN(true);
  if (opt_current) {
    CLEANUP_SNAPSHOT virDomainSnapshotPtr cur = vk_snapshot_lookup(dom, NULL, &err);
    if (!cur)
      return vk_cmd_fail(ctx, err);
    if (!(cur_name = strdup(virDomainSnapshotGetName(cur)))) {
      vk_error_set(&err, VK_EXIT_FAILED, "out of memory");
      return vk_cmd_fail(ctx, err);
    }
    from = cur_name;
  }
  flags |= opt_roots ? VK_SNAP_ROOTS : 0;
  flags |= opt_leaves ? VK_SNAP_LEAVES : 0;
  flags |= opt_internal ? VK_SNAP_INTERNAL : 0;
  flags |= opt_external ? VK_SNAP_EXTERNAL : 0;
  flags |= opt_descendants ? VK_SNAP_DESCENDANTS : 0;
  if (!vk_snapshot_list(dom, flags, from, &s, &n, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_name) {
    for (size_t i = 0; i < n; i++)
      fprintf(ctx->out, "%s\n", s[i].name);
  } else if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; i < n; i++)
      json_snap(j, &s[i]);
    vk_json_end_array(j);
  } else if (opt_tree) {
    CLEANUP_FREE char *indent = malloc(5 * n + 8);
    if (!indent) {
      vk_snap_list_free(s, n);
      vk_error_set(&err, VK_EXIT_FAILED, "out of memory");
      return vk_cmd_fail(ctx, err);
    }
    /* roots of the tree: snapshots whose parent is not listed */
    for (size_t i = 0; i < n; i++) {
      bool has_parent = false;
      for (size_t k = 0; s[i].parent && k < n; k++)
        has_parent |= !strcmp(s[k].name, s[i].parent);
      if (!has_parent)
        print_tree(ctx->out, s, n, i, indent, 0, true, true);
    }
  } else {
    static const char *const head[] = { "Name", "Creation Time", "State", "Parent" };
    vk_table *t = vk_table_new(opt_parent ? 4 : 3, head);
    for (size_t i = 0; i < n; i++) {
      char when[64];
      format_time(s[i].creation_time, when, sizeof when);
      const char *row[] = { s[i].name, when, s[i].state ? s[i].state : "",
                            s[i].parent ? s[i].parent : "" };
      vk_table_add(t, row);
    }
    rc = vctl_print_table(ctx, t);
  }
  vk_snap_list_free(s, n);
  return rc;
}

int
vctl_snapshot_info(vk_cmd_ctx *ctx)
{
  CLEANUP_SNAPSHOT virDomainSnapshotPtr snap = NULL;
  vk_snap s;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!(snap = named_or_current(ctx, dom, &err)) || !vk_snapshot_get(snap, &s, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    json_snap(j, &s);
  } else {
    FILE *o = ctx->out;
    fprintf(o, "%-15s %s\n", "Name:", s.name);
    fprintf(o, "%-15s %s\n", "Domain:", virDomainGetName(dom));
    fprintf(o, "%-15s %s\n", "Current:", s.current ? "yes" : "no");
    fprintf(o, "%-15s %s\n", "State:", s.state ? s.state : "-");
    fprintf(o, "%-15s %s\n", "Location:", s.external ? "external" : "internal");
    fprintf(o, "%-15s %s\n", "Parent:", s.parent ? s.parent : "-");
    fprintf(o, "%-15s %d\n", "Children:", s.children);
    fprintf(o, "%-15s %d\n", "Descendants:", s.descendants);
    fprintf(o, "%-15s %s\n", "Metadata:", s.metadata ? "yes" : "no");
    if (s.description)
      fprintf(o, "%-15s %s\n", "Description:", s.description);
  }
  vk_snap_clear(&s);
  return 0;
}

int
vctl_snapshot_current(vk_cmd_ctx *ctx)
{
  CLEANUP_SNAPSHOT virDomainSnapshotPtr snap = NULL;
  CLEANUP_FREE char *xml = NULL;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!(snap = vk_snapshot_lookup(dom, NULL, &err)))
    return vk_cmd_fail(ctx, err);
  if (opt_name) {
    fprintf(ctx->out, "%s\n", virDomainSnapshotGetName(snap));
    return 0;
  }
  if (!(xml = vk_snapshot_xml(snap, opt_secure, &err)))
    return vk_cmd_fail(ctx, err);
  fputs(xml, ctx->out);
  return 0;
}

int
vctl_snapshot_dumpxml(vk_cmd_ctx *ctx)
{
  CLEANUP_SNAPSHOT virDomainSnapshotPtr snap = NULL;
  CLEANUP_FREE char *xml = NULL;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!(snap = vk_snapshot_lookup(dom, ctx->argv[1], &err)) ||
      !(xml = vk_snapshot_xml(snap, opt_secure, &err)))
    return vk_cmd_fail(ctx, err);
  fputs(xml, ctx->out);
  return 0;
}

int
vctl_snapshot_edit(vk_cmd_ctx *ctx)
{
  CLEANUP_SNAPSHOT virDomainSnapshotPtr snap = NULL;
  char label[512];
  VCTL_DOMAIN_OR_RETURN(false);

  if (!(snap = named_or_current(ctx, dom, &err)))
    return vk_cmd_fail(ctx, err);
  snprintf(label, sizeof label, "Snapshot %s", virDomainSnapshotGetName(snap));
  return vctl_edit_run(ctx, VK_EDIT_SNAPSHOT, snap, label);
}

int
vctl_snapshot_parent(vk_cmd_ctx *ctx)
{
  CLEANUP_SNAPSHOT virDomainSnapshotPtr snap = NULL;
  vk_snap s;
  VCTL_DOMAIN_OR_RETURN(true);

  if (!(snap = named_or_current(ctx, dom, &err)) || !vk_snapshot_get(snap, &s, &err))
    return vk_cmd_fail(ctx, err);
  if (!s.parent) {
    vk_error_set(&err, VK_EXIT_NOTFOUND, "snapshot '%s' has no parent", s.name);
    rc = vk_cmd_fail(ctx, err);
  } else {
    fprintf(ctx->out, "%s\n", s.parent);
  }
  vk_snap_clear(&s);
  return rc;
}

int
vctl_snapshot_revert(vk_cmd_ctx *ctx)
{
  CLEANUP_SNAPSHOT virDomainSnapshotPtr snap = NULL;
  unsigned flags = 0;

  if (vk_cmd_exclusive(ctx, "--running", opt_running, "--paused", opt_paused, NULL))
    return VK_EXIT_USAGE;
  VCTL_DOMAIN_OR_RETURN(false);
  flags |= opt_running ? VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING : 0;
  flags |= opt_paused ? VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED : 0;
  flags |= opt_force ? VIR_DOMAIN_SNAPSHOT_REVERT_FORCE : 0;
  if (!(snap = named_or_current(ctx, dom, &err)) || !vk_snapshot_revert(snap, flags, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Domain '%s' reverted to snapshot %s\n", virDomainGetName(dom),
          virDomainSnapshotGetName(snap));
  return 0;
}

int
vctl_snapshot_delete(vk_cmd_ctx *ctx)
{
  CLEANUP_SNAPSHOT virDomainSnapshotPtr snap = NULL;
  unsigned flags = 0;

  if (vk_cmd_exclusive(ctx, "--children", opt_children, "--children-only", opt_children_only, NULL))
    return VK_EXIT_USAGE;
  VCTL_DOMAIN_OR_RETURN(false);
  flags |= opt_children ? VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN : 0;
  flags |= opt_children_only ? VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY : 0;
  flags |= opt_metadata ? VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY : 0;
  if (!(snap = named_or_current(ctx, dom, &err)) && opt_idempotent &&
      err->code == VK_EXIT_NOTFOUND) {
    vk_error_free(err);
    return 0;
  }
  if (!snap || !vk_snapshot_delete(snap, flags, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out,
          opt_children_only ? "Domain snapshot %s children deleted\n"
                            : "Domain snapshot %s deleted\n",
          virDomainSnapshotGetName(snap));
  return 0;
}
