/* vctl vol-list, vol-info, vol-create-as, vol-create, vol-create-from,
 * vol-clone, vol-delete, vol-wipe, vol-resize, vol-upload, vol-download,
 * vol-path, vol-key, vol-name, vol-dumpxml. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cancel.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/progress.h"
#include "util/size.h"
#include "util/text.h"
#include "virt/pool.h"
#include "virt/volume.h"
#include "vctl.h"

static int opt_details, opt_name, opt_json, opt_prealloc, opt_shrink, opt_delta, opt_progress;
static const char *opt_pool, *opt_format, *opt_backing, *opt_backing_fmt, *opt_options,
    *opt_inputpool;

#define OPT_POOL                                                                                   \
  {                                                                                                \
    "pool", '\0', POPT_ARG_STRING, &opt_pool, 0,                                                   \
        "the pool the volume is in (else VOL is its path or key)", "POOL"                          \
  }

const struct poptOption vctl_vol_list_options[] = {
  { "details", '\0', POPT_ARG_NONE, &opt_details, 0, "also the type, capacity and allocation",
    NULL },
  { "name", '\0', POPT_ARG_NONE, &opt_name, 0, "print names only, one per line", NULL },
  VK_OPT_JSON(opt_json, "print a JSON array"),
  POPT_TABLEEND
};

const struct poptOption vctl_vol_info_options[] = { OPT_POOL,
                                                    VK_OPT_JSON(opt_json, "print a JSON object"),
                                                    POPT_TABLEEND };

const struct poptOption vctl_vol_pool_options[] = { OPT_POOL, POPT_TABLEEND };

static int opt_uuid;
const struct poptOption vctl_vol_pool_pool_options[] = {
  { "uuid", '\0', POPT_ARG_NONE, &opt_uuid, 0, "print the pool's UUID, not its name", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_vol_create_as_options[] = {
  { "format", '\0', POPT_ARG_STRING, &opt_format, 0, "the image format (default raw)", "FMT" },
  { "backing-vol", '\0', POPT_ARG_STRING, &opt_backing, 0,
    "a backing volume (its name in the pool, its path or key)", "VOL" },
  { "backing-vol-format", '\0', POPT_ARG_STRING, &opt_backing_fmt, 0, "its format", "FMT" },
  { "prealloc-metadata", '\0', POPT_ARG_NONE, &opt_prealloc, 0,
    "qcow2: write the metadata of the whole image now", NULL },
  { "options", 'o', POPT_ARG_STRING, &opt_options, 0,
    "qcow2 options of vimg create (cluster_size, compat, ...; directory pools)", "OPTIONS" },
  POPT_TABLEEND
};

const struct poptOption vctl_vol_create_from_options[] = {
  { "inputpool", '\0', POPT_ARG_STRING, &opt_inputpool, 0, "the pool of the source volume",
    "POOL" },
  POPT_TABLEEND
};

const struct poptOption vctl_vol_clone_options[] = {
  OPT_POOL,
  { "format", '\0', POPT_ARG_STRING, &opt_format, 0, "the copy's format (default: the source's)",
    "FMT" },
  POPT_TABLEEND
};

const struct poptOption vctl_vol_resize_options[] = {
  OPT_POOL,
  { "shrink", '\0', POPT_ARG_NONE, &opt_shrink, 0,
    "allow making it smaller (data past the end goes)", NULL },
  { "delta", '\0', POPT_ARG_NONE, &opt_delta, 0, "SIZE is added (taken away with --shrink)", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_vol_transfer_options[] = {
  OPT_POOL,
  { "progress", 'p', POPT_ARG_NONE, &opt_progress, 0, "show the progress on a terminal", NULL },
  POPT_TABLEEND
};

/* The pool named by `name` on conn, or NULL after the error. */
static virStoragePoolPtr
pool_of(const vk_cmd_ctx *ctx, virConnectPtr conn, const char *name, int *rc)
{
  vk_error *err = NULL;
  virStoragePoolPtr p = vk_pool_lookup(conn, name, &err);

  if (!p)
    *rc = vk_cmd_fail(ctx, err);
  return p;
}

/* The volume named by the first argument (in --pool, else by path or
 * key), with *conn set; NULL after the error. */
static virStorageVolPtr
get_vol(const vk_cmd_ctx *ctx, bool readonly, virConnectPtr *conn, int *rc)
{
  CLEANUP_POOL virStoragePoolPtr pool = NULL;
  vk_error *err = NULL;
  virStorageVolPtr v;

  if (!(*conn = vctl_open(ctx, readonly, rc)))
    return NULL;
  if (opt_pool && !(pool = pool_of(ctx, *conn, opt_pool, rc)))
    return NULL;
  if (!(v = vk_vol_lookup(*conn, pool, ctx->argv[0], &err)))
    *rc = vk_cmd_fail(ctx, err);
  return v;
}

#define VOL_OR_RETURN(readonly)                                                                    \
  CLEANUP_CONN virConnectPtr conn = NULL;                                                          \
  CLEANUP_VOL virStorageVolPtr vol = NULL;                                                         \
  vk_error *err __attribute__((unused)) = NULL;                                                    \
  int rc = 0;                                                                                      \
  if (!(vol = get_vol(ctx, (readonly), &conn, &rc)))                                               \
  return rc

/* The pool named by the first argument, with *conn set. */
#define POOLARG_OR_RETURN(readonly)                                                                \
  CLEANUP_CONN virConnectPtr conn = NULL;                                                          \
  CLEANUP_POOL virStoragePoolPtr pool = NULL;                                                      \
  vk_error *err __attribute__((unused)) = NULL;                                                    \
  int rc = 0;                                                                                      \
  if (!(conn = vctl_open(ctx, (readonly), &rc)))                                                   \
    return rc;                                                                                     \
  if (!(pool = pool_of(ctx, conn, ctx->argv[0], &rc)))                                             \
  return rc

static void
vol_json(vk_json *j, const vk_vol_entry *e)
{
  vk_json_begin_object(j);
  vk_json_kv_string(j, "name", e->name);
  vk_json_kv_string(j, "path", e->path);
  vk_json_kv_string(j, "key", e->key);
  vk_json_kv_string(j, "type", e->type);
  vk_json_kv_string(j, "format", e->format);
  vk_json_kv_uint(j, "capacity", e->capacity);
  vk_json_kv_uint(j, "allocation", e->allocation);
  vk_json_end_object(j);
}

int
vctl_vol_list(vk_cmd_ctx *ctx)
{
  vk_vol_list l;
  POOLARG_OR_RETURN(true);

  if (opt_name && opt_json)
    return vk_cmd_usage(ctx, "--name and --json exclude each other");
  if (!vk_vol_list_get(pool, &l, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_name) {
    for (size_t i = 0; i < l.n; i++)
      fprintf(ctx->out, "%s\n", l.vols[i].name);
  } else if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; i < l.n; i++)
      vol_json(j, &l.vols[i]);
    vk_json_end_array(j);
  } else {
    static const char *const head[] = { "Name", "Path", "Type", "Capacity", "Allocation" };
    vk_table *t = vk_table_new(opt_details ? 5 : 2, head);
    for (size_t i = 0; i < l.n; i++) {
      char c[VK_SIZE_BUFLEN], a[VK_SIZE_BUFLEN];
      const char *row[5] = { l.vols[i].name, l.vols[i].path, l.vols[i].type,
                             vk_format_size(l.vols[i].capacity, c),
                             vk_format_size(l.vols[i].allocation, a) };
      vk_table_add(t, row);
    }
    rc = vctl_print_table(ctx, t);
  }
  vk_vol_list_free(&l);
  return rc;
}

int
vctl_vol_info(vk_cmd_ctx *ctx)
{
  vk_vol_entry e;
  VOL_OR_RETURN(true);

  if (!vk_vol_info(vol, &e, &err))
    return vk_cmd_fail(ctx, err);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vol_json(j, &e);
  } else {
    char c[VK_SIZE_BUFLEN], a[VK_SIZE_BUFLEN];
    FILE *o = ctx->out;
    fprintf(o, "%-15s %s\n", "Name:", e.name);
    fprintf(o, "%-15s %s\n", "Path:", e.path);
    fprintf(o, "%-15s %s\n", "Type:", e.type);
    if (e.format)
      fprintf(o, "%-15s %s\n", "Format:", e.format);
    fprintf(o, "%-15s %s\n", "Capacity:", vk_format_size(e.capacity, c));
    fprintf(o, "%-15s %s\n", "Allocation:", vk_format_size(e.allocation, a));
  }
  vk_vol_entry_clear(&e);
  return 0;
}

int
vctl_vol_create_as(vk_cmd_ctx *ctx)
{
  CLEANUP_VOL virStorageVolPtr vol = NULL;
  vk_vol_spec s = { .name = ctx->argv[1],
                    .format = opt_format,
                    .backing = opt_backing,
                    .backing_format = opt_backing_fmt,
                    .prealloc_metadata = opt_prealloc,
                    .options = opt_options };
  vk_error *perr = NULL;
  int prc;

  if (!vk_parse_size(ctx->argv[2], &s.capacity, &perr)) {
    prc = vk_cmd_usage(ctx, "%s", perr->msg);
    vk_error_free(perr);
    return prc;
  }
  POOLARG_OR_RETURN(false);
  if (!(vol = vk_vol_create(pool, &s, &err)))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Vol %s created\n", virStorageVolGetName(vol));
  return 0;
}

int
vctl_vol_create(vk_cmd_ctx *ctx)
{
  CLEANUP_VOL virStorageVolPtr vol = NULL;
  CLEANUP_FREE char *xml = NULL;
  POOLARG_OR_RETURN(false);

  if (!(xml = vk_read_file(ctx->argv[1], &err)))
    return vk_cmd_fail(ctx, err);
  if (!(vol = vk_vol_create_xml(pool, xml, &err)))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Vol %s created from %s\n", virStorageVolGetName(vol), ctx->argv[1]);
  return 0;
}

/* Copy `src` as `name` (or as `xml` describes), Ctrl-C stopping it (the
 * partial copy goes). */
static int
copy(vk_cmd_ctx *ctx, virStoragePoolPtr pool, const char *name, const char *xml,
     virStorageVolPtr src, const char *verb)
{
  CLEANUP_VOL virStorageVolPtr vol = NULL;
  vk_error *err = NULL;

  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, err);
  vol = xml ? vk_vol_copy_xml(pool, xml, src, vk_cancel_flag(), &err)
            : vk_vol_copy(pool, name, opt_format, src, vk_cancel_flag(), &err);
  if (vol)
    fprintf(ctx->out, "Vol %s %s %s\n", virStorageVolGetName(vol), verb, virStorageVolGetName(src));
  return vk_cmd_cancel_done(ctx, vol != NULL, err, "copy of volume '%s' stopped, nothing made",
                            virStorageVolGetName(src));
}

int
vctl_vol_create_from(vk_cmd_ctx *ctx)
{
  CLEANUP_POOL virStoragePoolPtr inpool = NULL;
  CLEANUP_VOL virStorageVolPtr src = NULL;
  CLEANUP_FREE char *xml = NULL;
  POOLARG_OR_RETURN(false);

  if (!(xml = vk_read_file(ctx->argv[1], &err)))
    return vk_cmd_fail(ctx, err);
  if (opt_inputpool && !(inpool = pool_of(ctx, conn, opt_inputpool, &rc)))
    return rc;
  if (!(src = vk_vol_lookup(conn, inpool ? inpool : pool, ctx->argv[2], &err)))
    return vk_cmd_fail(ctx, err);
  return copy(ctx, pool, NULL, xml, src, "created from");
}

int
vctl_vol_clone(vk_cmd_ctx *ctx)
{
  CLEANUP_POOL virStoragePoolPtr pool = NULL;
  VOL_OR_RETURN(false);

  if (!(pool = virStoragePoolLookupByVolume(vol))) {
    vk_vol_error(&err, vol, "cannot find the pool of");
    return vk_cmd_fail(ctx, err);
  }
  return copy(ctx, pool, ctx->argv[1], NULL, vol, "cloned from");
}

int
vctl_vol_delete(vk_cmd_ctx *ctx)
{
  VOL_OR_RETURN(false);
  if (!vk_vol_delete(vol, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Vol %s deleted\n", ctx->argv[0]);
  return 0;
}

int
vctl_vol_wipe(vk_cmd_ctx *ctx)
{
  VOL_OR_RETURN(false);
  if (!vk_vol_wipe(vol, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Vol %s wiped\n", ctx->argv[0]);
  return 0;
}

int
vctl_vol_resize(vk_cmd_ctx *ctx)
{
  const char *arg = ctx->argv[1];
  uint64_t size;
  vk_error *perr = NULL;
  int prc, sign = 0;

  /* +N grows by N, -N shrinks by N; --delta N is +N (-N with --shrink) */
  if (arg[0] == '+' || arg[0] == '-')
    sign = *arg++ == '+' ? 1 : -1;
  else if (opt_delta)
    sign = opt_shrink ? -1 : 1;
  if (sign < 0 && !opt_shrink)
    return vk_cmd_usage(ctx, "shrinking loses data past the new end: use --shrink");
  if (!vk_parse_size(arg, &size, &perr)) {
    prc = vk_cmd_usage(ctx, "%s", perr->msg);
    vk_error_free(perr);
    return prc;
  }
  VOL_OR_RETURN(false);
  if (!vk_vol_resize(vol, sign, size, opt_shrink, &err)) {
    if (err->code == VK_EXIT_USAGE) {
      prc = vk_cmd_usage(ctx, "%s", err->msg);
      vk_error_free(err);
      return prc;
    }
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, "Size of volume '%s' successfully changed to %s\n", virStorageVolGetName(vol),
          ctx->argv[1]);
  return 0;
}

int
vctl_vol_upload(vk_cmd_ctx *ctx)
{
  vk_progress bar;
  bool ok;
  VOL_OR_RETURN(false);

  vk_progress_start(&bar, opt_progress, "Upload", 0);
  ok = vk_vol_upload(vol, ctx->argv[1], vk_progress_cb, &bar, &err);
  vk_progress_finish(&bar, ok);
  if (!ok)
    return vk_cmd_fail(ctx, err);
  return 0;
}

int
vctl_vol_download(vk_cmd_ctx *ctx)
{
  vk_progress bar;
  bool ok;
  /* read-write: libvirt refuses a download on a read-only connection */
  VOL_OR_RETURN(false);

  vk_progress_start(&bar, opt_progress, "Download", 0);
  ok = vk_vol_download(vol, ctx->argv[1], vk_progress_cb, &bar, &err);
  vk_progress_finish(&bar, ok);
  if (!ok)
    return vk_cmd_fail(ctx, err);
  return 0;
}

int
vctl_vol_path(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *path = NULL;
  VOL_OR_RETURN(true);

  if (!(path = virStorageVolGetPath(vol))) {
    vk_vol_error(&err, vol, "cannot read the path of");
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, "%s\n", path);
  return 0;
}

int
vctl_vol_key(vk_cmd_ctx *ctx)
{
  VOL_OR_RETURN(true);
  fprintf(ctx->out, "%s\n", virStorageVolGetKey(vol));
  return 0;
}

int
vctl_vol_name(vk_cmd_ctx *ctx)
{
  VOL_OR_RETURN(true);
  fprintf(ctx->out, "%s\n", virStorageVolGetName(vol));
  return 0;
}

int
vctl_vol_pool(vk_cmd_ctx *ctx)
{
  CLEANUP_POOL virStoragePoolPtr pool = NULL;
  char uuid[VIR_UUID_STRING_BUFLEN];
  VOL_OR_RETURN(true);

  if (!(pool = virStoragePoolLookupByVolume(vol)) ||
      (opt_uuid && virStoragePoolGetUUIDString(pool, uuid) < 0)) {
    vk_vol_error(&err, vol, "cannot get the pool of");
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, "%s\n", opt_uuid ? uuid : virStoragePoolGetName(pool));
  return 0;
}

int
vctl_vol_dumpxml(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *xml = NULL;
  VOL_OR_RETURN(true);

  if (!(xml = virStorageVolGetXMLDesc(vol, 0))) {
    vk_vol_error(&err, vol, "cannot read the XML of");
    return vk_cmd_fail(ctx, err);
  }
  fputs(xml, ctx->out);
  return 0;
}
