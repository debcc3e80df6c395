/* vctl pool-list, pool-info, pool-define-as, pool-create-as, pool-define,
 * pool-create, pool-build, pool-start, pool-destroy, pool-delete,
 * pool-undefine, pool-autostart, pool-refresh, pool-dumpxml,
 * pool-capabilities. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "util/size.h"
#include "util/text.h"
#include "virt/edit.h"
#include "virt/pool.h"
#include "vctl.h"

static int opt_all, opt_details, opt_name, opt_json, opt_print_xml, opt_build, opt_idempotent;
static int opt_disable, opt_inactive;
static const char *opt_type, *opt_host, *opt_path, *opt_dev, *opt_srcname, *opt_format, *opt_target;

const struct poptOption vctl_pool_list_options[] = {
  { "all", '\0', POPT_ARG_NONE, &opt_all, 0, "also list inactive pools", NULL },
  { "type", '\0', POPT_ARG_STRING, &opt_type, 0, "only pools of this type", "TYPE" },
  { "details", '\0', POPT_ARG_NONE, &opt_details, 0, "also the capacity, allocation, available",
    NULL },
  { "name", '\0', POPT_ARG_NONE, &opt_name, 0, "print names only, one per line", NULL },
  VK_OPT_JSON(opt_json, "print a JSON array"),
  POPT_TABLEEND
};

const struct poptOption vctl_pool_info_options[] = { VK_OPT_JSON(opt_json, "print a JSON object"),
                                                     POPT_TABLEEND };

/* clang-format off */
#define POOL_AS_OPTIONS \
  { "source-host", '\0', POPT_ARG_STRING, &opt_host, 0, "the server (netfs, iscsi)", "HOST" }, \
  { "source-path", '\0', POPT_ARG_STRING, &opt_path, 0, "the exported directory (netfs), the target IQN (iscsi)", "PATH" }, \
  { "source-dev", '\0', POPT_ARG_STRING, &opt_dev, 0, "the device (fs, disk; logical: a physical volume)", "DEV" }, \
  { "source-name", '\0', POPT_ARG_STRING, &opt_srcname, 0, "the volume group (logical; default: the pool's name)", "NAME" }, \
  { "source-format", '\0', POPT_ARG_STRING, &opt_format, 0, "the file system (fs: ext4..., netfs: nfs, cifs), the partition table (disk: dos, gpt)", "FORMAT" }, \
  { "target", '\0', POPT_ARG_STRING, &opt_target, 0, "the directory (dir, fs, netfs) or device directory", "DIR" }, \
  { "print-xml", '\0', POPT_ARG_NONE, &opt_print_xml, 0, "print the pool XML, define nothing", NULL }
/* clang-format on */

const struct poptOption vctl_pool_define_as_options[] = { POOL_AS_OPTIONS, POPT_TABLEEND };

const struct poptOption vctl_pool_create_as_options[] = {
  POOL_AS_OPTIONS,
  { "build", '\0', POPT_ARG_NONE, &opt_build, 0, "build the pool before it starts", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_pool_start_options[] = {
  { "build", '\0', POPT_ARG_NONE, &opt_build, 0, "build the pool before it starts", NULL },
  { "idempotent", '\0', POPT_ARG_NONE, &opt_idempotent, 0,
    "succeed (exit 0) when the pool is active already", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_pool_destroy_options[] = {
  { "idempotent", '\0', POPT_ARG_NONE, &opt_idempotent, 0,
    "succeed (exit 0) when the pool is not active", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_pool_autostart_options[] = {
  { "disable", '\0', POPT_ARG_NONE, &opt_disable, 0, "turn autostart off", NULL }, POPT_TABLEEND
};

const struct poptOption vctl_pool_dumpxml_options[] = {
  { "inactive", '\0', POPT_ARG_NONE, &opt_inactive, 0,
    "print the persistent definition, not the running one", NULL },
  POPT_TABLEEND
};

/* The connection and the pool named by the first argument, or NULL after
 * printing the error (exit status in *rc). */
static virStoragePoolPtr
get_pool(const vk_cmd_ctx *ctx, bool readonly, virConnectPtr *conn, int *rc)
{
  vk_error *err = NULL;
  virStoragePoolPtr p;

  if (!(*conn = vctl_open(ctx, readonly, rc)))
    return NULL;
  if (!(p = vk_pool_lookup(*conn, ctx->argv[0], &err)))
    *rc = vk_cmd_fail(ctx, err);
  return p;
}

#define POOL_OR_RETURN(readonly)                                                                   \
  CLEANUP_CONN virConnectPtr conn = NULL;                                                          \
  CLEANUP_POOL virStoragePoolPtr pool = NULL;                                                      \
  vk_error *err = NULL;                                                                            \
  int rc = 0;                                                                                      \
  if (!(pool = get_pool(ctx, (readonly), &conn, &rc)))                                             \
  return rc

static void
pool_json(vk_json *j, const vk_pool_entry *e)
{
  vk_json_begin_object(j);
  vk_json_kv_string(j, "name", e->name);
  vk_json_kv_string(j, "uuid", e->uuid);
  vk_json_kv_string(j, "type", e->type);
  vk_json_kv_string(j, "state", vk_pool_state_word(e->state));
  vk_json_kv_bool(j, "active", e->state == VIR_STORAGE_POOL_RUNNING);
  vk_json_kv_bool(j, "persistent", e->persistent);
  vk_json_kv_bool(j, "autostart", e->autostart);
  vk_json_kv_string(j, "target", e->target);
  vk_json_kv_uint(j, "capacity", e->capacity);
  vk_json_kv_uint(j, "allocation", e->allocation);
  vk_json_kv_uint(j, "available", e->available);
  vk_json_end_object(j);
}

static const char *
yes_no(bool v)
{
  return v ? "yes" : "no";
}

int
vctl_pool_list(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  vk_error *err = NULL;
  vk_pool_list l;
  int rc = 0;

  if (opt_name && opt_json)
    return vk_cmd_usage(ctx, "--name and --json exclude each other");
  if (!(conn = vctl_open(ctx, true, &rc)))
    return rc;
  if (!vk_pool_list_get(conn, opt_all ? VK_POOL_LIST_ALL : 0, opt_type, &l, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_name) {
    for (size_t i = 0; i < l.n; i++)
      fprintf(ctx->out, "%s\n", l.pools[i].name);
  } else if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; i < l.n; i++)
      pool_json(j, &l.pools[i]);
    vk_json_end_array(j);
  } else {
    static const char *const head[] = { "Name",     "State",      "Autostart", "Persistent",
                                        "Capacity", "Allocation", "Available" };
    vk_table *t = vk_table_new(opt_details ? 7 : 3, head);
    for (size_t i = 0; i < l.n; i++) {
      const vk_pool_entry *e = &l.pools[i];
      char c[VK_SIZE_BUFLEN], a[VK_SIZE_BUFLEN], v[VK_SIZE_BUFLEN];
      bool active = e->state == VIR_STORAGE_POOL_RUNNING;
      const char *row[7] = { e->name,
                             /* virsh's words: "active" in the list, "running" with details */
                             active && !opt_details ? "active" : vk_pool_state_word(e->state),
                             yes_no(e->autostart), yes_no(e->persistent),
                             active ? vk_format_size(e->capacity, c) : "-",
                             active ? vk_format_size(e->allocation, a) : "-",
                             active ? vk_format_size(e->available, v) : "-" };
      vk_table_add(t, row);
    }
    rc = vctl_print_table(ctx, t);
  }
  vk_pool_list_free(&l);
  return rc;
}

int
vctl_pool_info(vk_cmd_ctx *ctx)
{
  vk_pool_entry e;
  POOL_OR_RETURN(true);

  if (!vk_pool_info(pool, &e, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    pool_json(j, &e);
  } else {
    char c[VK_SIZE_BUFLEN], a[VK_SIZE_BUFLEN], v[VK_SIZE_BUFLEN];
    FILE *o = ctx->out;
    fprintf(o, "%-15s %s\n", "Name:", e.name);
    fprintf(o, "%-15s %s\n", "UUID:", e.uuid);
    fprintf(o, "%-15s %s\n", "Type:", e.type ? e.type : "-");
    fprintf(o, "%-15s %s\n", "State:",
            e.state == VIR_STORAGE_POOL_RUNNING ? "running" : vk_pool_state_word(e.state));
    fprintf(o, "%-15s %s\n", "Persistent:", yes_no(e.persistent));
    fprintf(o, "%-15s %s\n", "Autostart:", yes_no(e.autostart));
    if (e.target)
      fprintf(o, "%-15s %s\n", "Target:", e.target);
    if (e.state == VIR_STORAGE_POOL_RUNNING) {
      fprintf(o, "%-15s %s\n", "Capacity:", vk_format_size(e.capacity, c));
      fprintf(o, "%-15s %s\n", "Allocation:", vk_format_size(e.allocation, a));
      fprintf(o, "%-15s %s\n", "Available:", vk_format_size(e.available, v));
    }
  }
  vk_pool_entry_clear(&e);
  return 0;
}

static int
pool_as(vk_cmd_ctx *ctx, bool create)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_POOL virStoragePoolPtr pool = NULL;
  CLEANUP_FREE char *xml = NULL;
  vk_pool_spec s = { .name = ctx->argv[0],
                     .type = ctx->argv[1],
                     .source_host = opt_host,
                     .source_path = opt_path,
                     .source_dev = opt_dev,
                     .source_name = opt_srcname,
                     .source_format = opt_format,
                     .target = opt_target };
  vk_error *err = NULL;
  int rc = 0;

  if (!(xml = vk_pool_xml_build(&s, &err)))
    return vk_cmd_fail(ctx, err);
  if (opt_print_xml) {
    fputs(xml, ctx->out);
    return 0;
  }
  if (!(conn = vctl_open(ctx, false, &rc)))
    return rc;
  if (!(pool = vk_pool_define(
            conn, xml, (create ? VK_POOL_CREATE : 0) | (opt_build ? VK_POOL_BUILD : 0), &err)))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Pool %s %s\n", virStoragePoolGetName(pool), create ? "created" : "defined");
  return 0;
}

int
vctl_pool_define_as(vk_cmd_ctx *ctx)
{
  return pool_as(ctx, false);
}

int
vctl_pool_create_as(vk_cmd_ctx *ctx)
{
  return pool_as(ctx, true);
}

static int
pool_from_xml(vk_cmd_ctx *ctx, bool create)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_POOL virStoragePoolPtr pool = NULL;
  CLEANUP_FREE char *xml = NULL;
  vk_error *err = NULL;
  int rc = 0;

  if (!(xml = vctl_read_xml(ctx, &conn, &rc)))
    return rc;
  if (!(pool = vk_pool_define(conn, xml, create ? VK_POOL_CREATE : 0, &err)))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Pool %s %s from %s\n", virStoragePoolGetName(pool),
          create ? "created" : "defined", ctx->argv[0]);
  return 0;
}

int
vctl_pool_define(vk_cmd_ctx *ctx)
{
  return pool_from_xml(ctx, false);
}

int
vctl_pool_create(vk_cmd_ctx *ctx)
{
  return pool_from_xml(ctx, true);
}

int
vctl_pool_name(vk_cmd_ctx *ctx)
{
  POOL_OR_RETURN(true);
  (void)err;
  fprintf(ctx->out, "%s\n", virStoragePoolGetName(pool));
  return rc;
}

int
vctl_pool_uuid(vk_cmd_ctx *ctx)
{
  char uuid[VIR_UUID_STRING_BUFLEN];
  POOL_OR_RETURN(true);

  if (virStoragePoolGetUUIDString(pool, uuid) < 0) {
    vk_pool_error(&err, pool, "cannot get the UUID of");
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, "%s\n", uuid);
  return rc;
}

int
vctl_pool_build(vk_cmd_ctx *ctx)
{
  POOL_OR_RETURN(false);
  if (!vk_pool_build(pool, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Pool %s built\n", virStoragePoolGetName(pool));
  return 0;
}

int
vctl_pool_start(vk_cmd_ctx *ctx)
{
  bool was = false;
  POOL_OR_RETURN(false);

  if (!vk_pool_start(pool, opt_build, &was, &err))
    return vk_cmd_fail(ctx, err);
  if (was && !opt_idempotent) {
    vk_error_set(&err, VK_EXIT_BUSY, "pool '%s' is already active", virStoragePoolGetName(pool));
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, was ? "Pool %s is already active\n" : "Pool %s started\n",
          virStoragePoolGetName(pool));
  return 0;
}

int
vctl_pool_destroy(vk_cmd_ctx *ctx)
{
  bool was = false;
  POOL_OR_RETURN(false);

  if (!vk_pool_destroy(pool, &was, &err))
    return vk_cmd_fail(ctx, err);
  if (was && !opt_idempotent) {
    vk_error_set(&err, VK_EXIT_BUSY, "pool '%s' is not active", virStoragePoolGetName(pool));
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, was ? "Pool %s is not active\n" : "Pool %s destroyed\n",
          virStoragePoolGetName(pool));
  return 0;
}

int
vctl_pool_delete(vk_cmd_ctx *ctx)
{
  POOL_OR_RETURN(false);
  if (!vk_pool_delete(pool, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Pool %s deleted\n", virStoragePoolGetName(pool));
  return 0;
}

int
vctl_pool_undefine(vk_cmd_ctx *ctx)
{
  POOL_OR_RETURN(false);
  if (!vk_pool_undefine(pool, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Pool %s has been undefined\n", virStoragePoolGetName(pool));
  return 0;
}

int
vctl_pool_autostart(vk_cmd_ctx *ctx)
{
  POOL_OR_RETURN(false);
  if (!vk_pool_set_autostart(pool, !opt_disable, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out,
          opt_disable ? "Pool %s unmarked as autostarted\n" : "Pool %s marked as autostarted\n",
          virStoragePoolGetName(pool));
  return 0;
}

int
vctl_pool_refresh(vk_cmd_ctx *ctx)
{
  POOL_OR_RETURN(false);
  if (!vk_pool_refresh(pool, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Pool %s refreshed\n", virStoragePoolGetName(pool));
  return 0;
}

int
vctl_pool_dumpxml(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  POOL_OR_RETURN(true);

  if (!(xml = vk_pool_xml(pool, opt_inactive, &err)))
    return vk_cmd_fail(ctx, err);
  fputs(xml, ctx->out);
  return 0;
}

int
vctl_pool_edit(vk_cmd_ctx *ctx)
{
  char label[512];
  POOL_OR_RETURN(false);

  (void)err;
  snprintf(label, sizeof label, "Pool %s", virStoragePoolGetName(pool));
  return vctl_edit_run(ctx, VK_EDIT_POOL, pool, label);
}

int
vctl_pool_capabilities(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  CLEANUP_FREE char *xml = NULL;
  vk_error *err = NULL;
  int rc = 0;

  if (!(conn = vctl_open(ctx, true, &rc)))
    return rc;
  if (!(xml = virConnectGetStoragePoolCapabilities(conn, 0))) {
    vk_virt_error(&err, conn, "cannot read the storage pool capabilities");
    return vk_cmd_fail(ctx, err);
  }
  fputs(xml, ctx->out);
  return 0;
}
