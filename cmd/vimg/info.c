/* vimg info — what an image is: format, sizes, qcow2 details, backing. */
#include <config.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/size.h"
#include "vimg.h"

static int opt_json;
static int opt_chain;
static int opt_share;
static char *opt_format, *opt_output;

const struct poptOption vimg_info_options[] = {
  VK_OPT_JSON(opt_json, "print JSON"),
  VK_OPT_OUTPUT(opt_output),
  { "backing-chain", '\0', POPT_ARG_NONE, &opt_chain, 0, "report every image of the backing chain",
    NULL },
  { "format", 'f', POPT_ARG_STRING, &opt_format, 0,
    "image format: raw, qcow2, vmdk, vhdx, vpc, vdi or qed (detected if omitted; other formats are refused)",
    "FMT" },
  { "force-share", 'U', POPT_ARG_NONE, &opt_share, 0,
    "open even if the image is in use for writing", NULL },
  POPT_TABLEEND
};

#define MAX_CHAIN (VK_IMAGE_MAX_BACKING + 1)

typedef struct snaps {
  vk_snapshot_info *s;
  size_t n;
  vk_bitmap_info *b; /* persistent bitmaps */
  size_t nb;
} snaps;

/* The "Snapshot list:" table, as qemu-img prints it (dates in local time). */
void
vimg_print_snapshots(FILE *f, const vk_snapshot_info *list, size_t n)
{
  fprintf(f, "Snapshot list:\n");
  fprintf(f, "%-10s%-17s%8s%20s%13s%11s\n",
          "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT");
  for (size_t i = 0; i < n; i++) {
    const vk_snapshot_info *s = &list[i];
    char size[VK_SIZE_BUFLEN], date[32] = "", clock[32], icount[24] = "";
    time_t t = (time_t)s->date_sec;
    struct tm tm;
    uint64_t ms = s->vm_clock_nsec / 1000000;

    if (localtime_r(&t, &tm))
      strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(clock, sizeof clock, "%02" PRIu64 ":%02u:%02u.%03u", ms / 3600000,
             (unsigned)(ms / 60000 % 60), (unsigned)(ms / 1000 % 60), (unsigned)(ms % 1000));
    if (s->icount != -1)
      snprintf(icount, sizeof icount, "%" PRId64, s->icount);
    fprintf(f, "%-10s%-17s%8s%20s%13s%11s\n", s->id, s->name,
            vk_format_size(s->vm_state_size, size), date, clock, icount);
  }
}

static void
print_text(FILE *f, const vk_image_info *in, const snaps *sn, bool first)
{
  char a[VK_SIZE_BUFLEN], b[VK_SIZE_BUFLEN];

  if (!first)
    fprintf(f, "\n");
  fprintf(f, "image: %s\n", in->filename);
  fprintf(f, "file format: %s\n", vk_image_format_name(in->format));
  fprintf(f, "virtual size: %s (%" PRIu64 " bytes)\n", vk_format_size(in->virtual_size, a),
          in->virtual_size);
  fprintf(f, "disk size: %s\n", vk_format_size(in->disk_size, b));
  if (in->format == VK_FMT_QCOW2 || in->cluster_size)
    fprintf(f, "cluster_size: %" PRIu32 "\n", in->cluster_size);
  if (in->backing_file) {
    if (in->backing_full && strcmp(in->backing_full, in->backing_file) != 0)
      fprintf(f, "backing file: %s (actual path: %s)\n", in->backing_file, in->backing_full);
    else
      fprintf(f, "backing file: %s\n", in->backing_file);
    if (in->backing_format)
      fprintf(f, "backing file format: %s\n", in->backing_format);
  }
  if (sn->n)
    vimg_print_snapshots(f, sn->s, sn->n);
  if (in->format == VK_FMT_QCOW2) {
    fprintf(f, "Format specific information:\n");
    fprintf(f, "    compat: %s\n", in->version == 2 ? "0.10" : "1.1");
    if (in->version >= 3) {
      fprintf(f, "    compression type: %s\n", vk_compression_name(in->compression));
      fprintf(f, "    lazy refcounts: %s\n", in->lazy_refcounts ? "true" : "false");
    }
    if (sn->nb)
      fprintf(f, "    bitmaps:\n");
    for (size_t i = 0; i < sn->nb; i++) {
      int k = 0;
      fprintf(f, "        [%zu]:\n            flags:\n", i);
      if (sn->b[i].in_use)
        fprintf(f, "                [%d]: in-use\n", k++);
      if (sn->b[i].enabled)
        fprintf(f, "                [%d]: auto\n", k++);
      fprintf(f, "            name: %s\n            granularity: %" PRIu32 "\n", sn->b[i].name,
              sn->b[i].granularity);
    }
    fprintf(f, "    refcount bits: %d\n", in->refcount_bits);
    if (in->data_file)
      fprintf(f, "    data file: %s\n    data file raw: %s\n", in->data_file,
              in->data_file_raw ? "true" : "false");
    fprintf(f, "    corrupt: %s\n", in->corrupt ? "true" : "false");
    fprintf(f, "    extended l2: %s\n", in->extended_l2 ? "true" : "false");
    if (in->dirty)
      fprintf(f, "    dirty: true\n");
  }
}

static void
print_json(vk_json *j, const vk_image_info *in, const snaps *sn)
{
  vk_json_begin_object(j);
  vk_json_kv_string(j, "filename", in->filename);
  vk_json_kv_string(j, "format", vk_image_format_name(in->format));
  vk_json_kv_uint(j, "virtual_size", in->virtual_size);
  vk_json_kv_uint(j, "disk_size", in->disk_size);
  vk_json_kv_uint(j, "file_length", in->file_length);
  if (in->format != VK_FMT_QCOW2 && in->cluster_size)
    vk_json_kv_uint(j, "cluster_size", in->cluster_size);
  if (in->format == VK_FMT_QCOW2) {
    vk_json_kv_uint(j, "cluster_size", in->cluster_size);
    vk_json_kv_string(j, "compat", in->version == 2 ? "0.10" : "1.1");
    vk_json_kv_int(j, "refcount_bits", in->refcount_bits);
    vk_json_kv_string(j, "compression_type", vk_compression_name(in->compression));
    vk_json_kv_bool(j, "lazy_refcounts", in->lazy_refcounts);
    vk_json_kv_bool(j, "extended_l2", in->extended_l2);
    if (in->data_file) {
      vk_json_kv_string(j, "data_file", in->data_file);
      vk_json_kv_bool(j, "data_file_raw", in->data_file_raw);
    }
    vk_json_kv_bool(j, "corrupt", in->corrupt);
    vk_json_kv_bool(j, "dirty", in->dirty);
    vk_json_kv_uint(j, "snapshots", in->nb_snapshots);
    vk_json_key(j, "snapshot_list");
    vk_json_begin_array(j);
    for (size_t i = 0; i < sn->n; i++) {
      vk_json_begin_object(j);
      vk_json_kv_string(j, "id", sn->s[i].id);
      vk_json_kv_string(j, "name", sn->s[i].name);
      vk_json_kv_uint(j, "vm_state_size", sn->s[i].vm_state_size);
      vk_json_kv_uint(j, "date_sec", sn->s[i].date_sec);
      vk_json_kv_uint(j, "date_nsec", sn->s[i].date_nsec);
      vk_json_kv_uint(j, "vm_clock_nsec", sn->s[i].vm_clock_nsec);
      vk_json_kv_uint(j, "disk_size", sn->s[i].disk_size);
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
    vk_json_key(j, "bitmaps");
    vk_json_begin_array(j);
    for (size_t i = 0; i < sn->nb; i++) {
      vk_json_begin_object(j);
      vk_json_kv_string(j, "name", sn->b[i].name);
      vk_json_kv_uint(j, "granularity", sn->b[i].granularity);
      vk_json_kv_bool(j, "enabled", sn->b[i].enabled);
      vk_json_kv_bool(j, "in_use", sn->b[i].in_use);
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
  }
  if (in->backing_file) {
    vk_json_kv_string(j, "backing_file", in->backing_file);
    vk_json_kv_string(j, "full_backing_file", in->backing_full);
    if (in->backing_format)
      vk_json_kv_string(j, "backing_format", in->backing_format);
    else
      vk_json_kv_null(j, "backing_format");
  }
  vk_json_end_object(j);
}

int
vimg_info(vk_cmd_ctx *ctx)
{
  vk_image *top, *chain[MAX_CHAIN] = { NULL };
  char *full[MAX_CHAIN] = { NULL };
  vk_image_info infos[MAX_CHAIN];
  snaps sn[MAX_CHAIN] = { { NULL, 0, NULL, 0 } };
  vk_image_format fmt = VK_FMT_NONE;
  vk_error *err = NULL;
  unsigned flags = (opt_chain ? 0 : VK_IMAGE_NO_BACKING) | (opt_share ? VK_IMAGE_FORCE_SHARE : 0);
  int n = 0, rc = 0;
  bool json = opt_json;

  if ((rc = vk_cmd_output(ctx, opt_output, &json)))
    return rc;
  if (opt_format && !vk_image_format_parse(opt_format, &fmt, &err)) {
    rc = vk_cmd_usage(ctx, "%s", err->msg);
    vk_error_free(err);
    return rc;
  }
  /* The library opens the chain (one limit, loops refused). */
  if (!(top = vk_image_open(ctx->argv[0], fmt, flags, &err)))
    goto fail;
  for (vk_image *img = top; img && n < MAX_CHAIN; img = vk_image_backing(img))
    chain[n++] = img;
  for (int i = 0; i < n; i++) {
    if (!vk_image_get_info(chain[i], &infos[i], &err) ||
        !vk_image_list_snapshots(chain[i], &sn[i].s, &sn[i].n, &err) ||
        !vk_image_list_bitmaps(chain[i], &sn[i].b, &sn[i].nb, &err))
      goto fail;
    if (infos[i].backing_file) {
      full[i] = vk_image_resolve_backing(vk_image_filename(chain[i]), infos[i].backing_file);
      if (!full[i]) {
        vk_error_set(&err, VK_EXIT_FAILED, "out of memory");
        goto fail;
      }
      infos[i].backing_full = full[i];
    }
  }

  if (json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    if (opt_chain)
      vk_json_begin_array(j);
    for (int i = 0; i < n; i++)
      print_json(j, &infos[i], &sn[i]);
    if (opt_chain)
      vk_json_end_array(j);
  } else {
    for (int i = 0; i < n; i++)
      print_text(ctx->out, &infos[i], &sn[i], i == 0);
  }
  goto out;

fail:
  rc = vk_cmd_fail(ctx, err);
out:
  for (int i = 0; i < MAX_CHAIN; i++) {
    free(full[i]);
    vk_snapshot_info_free(sn[i].s, sn[i].n);
    vk_bitmap_info_free(sn[i].b, sn[i].nb);
  }
  vk_image_close(top, NULL);
  return rc;
}
