/* vimg convert — options and the call into lib/image/convert. */
#include <config.h>

#include <limits.h>
#include <string.h>

#include "image/convert.h"
#include "util/cancel.h"
#include "util/cleanup.h"
#include "util/progress.h"
#include "util/size.h"
#include "vimg.h"

/* clang-format off */
static char *opt_fmt, *opt_out_fmt, *opt_options, *opt_sparse, *opt_backing,
  *opt_backing_fmt, *opt_snapshot, *opt_cache, *opt_rate, *opt_src_cache;
static int opt_compress, opt_threads = INT_MIN, opt_no_create, opt_target_is_zero,
  opt_progress, opt_force_share, opt_out_of_order, opt_quiet, opt_bitmaps, opt_skip_broken,
  opt_copy_offload, opt_salvage;

const struct poptOption vimg_convert_options[] = {
  { "format", 'f', POPT_ARG_STRING, &opt_fmt, 0,
    "format of the sources: raw, qcow2, vmdk, vhdx, vpc, vdi or qed (detected if omitted; other formats are refused)", "FMT" },
  { "output-format", 'O', POPT_ARG_STRING, &opt_out_fmt, 0,
    "format of the target: raw (default), qcow2, vmdk, vpc, vdi or vhdx", "FMT" },
  { "options", 'o', POPT_ARG_STRING, &opt_options, 0,
    "target creation options, as for create (compression_type=zstd, subformat=streamOptimized, ...)", "OPTS" },
  { "compress", 'c', POPT_ARG_NONE, &opt_compress, 0,
    "compress every data cluster (qcow2 target)", NULL },
  { "threads", 'm', POPT_ARG_INT, &opt_threads, 0,
    "worker threads (default: online CPUs)", "N" },
  { "sparse-size", 'S', POPT_ARG_STRING, &opt_sparse, 0,
    "zero runs of this size become holes; 0 writes everything (default 4K)", "SIZE" },
  { "backing", 'B', POPT_ARG_STRING, &opt_backing, 0,
    "record BACKING as the target's backing file; copy only what differs", "BACKING" },
  { "backing-format", 'F', POPT_ARG_STRING, &opt_backing_fmt, 0,
    "format of the backing file", "FMT" },
  { "cache", 't', POPT_ARG_STRING, &opt_cache, 0,
    "target cache mode: unsafe (default; no sync) or writeback (on disk at exit)",
    "unsafe|writeback" },
  { "source-cache", 'T', POPT_ARG_STRING, &opt_src_cache, 0,
    "source cache mode: writeback (default), writethrough or unsafe (the page cache), none or directsync (the sources' pages are dropped from the page cache as they are read)",
    "MODE" },
  { "copy-offload", 'C', POPT_ARG_NONE, &opt_copy_offload, 0,
    "copy raw sources into a raw target with copy_file_range (reflinks where the filesystem can)", NULL },
  { "salvage", '\0', POPT_ARG_NONE, &opt_salvage, 0,
    "write what cannot be read from the sources as zeros (a notice names each range) instead of failing", NULL },
  { "rate", 'r', POPT_ARG_STRING, &opt_rate, 0,
    "read at most RATE bytes of data a second (10M, 1G ...)", "RATE" },
  { "quiet", 'q', POPT_ARG_NONE, &opt_quiet, 0, "accepted for compatibility; convert prints nothing",
    NULL },
  { "out-of-order", 'W', POPT_ARG_NONE, &opt_out_of_order, 0,
    "allocate qcow2 target clusters as pieces are ready, not in guest order", NULL },
  { "no-create", 'n', POPT_ARG_NONE, &opt_no_create, 0,
    "write into an existing target instead of creating it", NULL },
  { "target-is-zero", '\0', POPT_ARG_NONE, &opt_target_is_zero, 0,
    "with -n: the target reads as zeros, skip writing zeros", NULL },
  { "snapshot", 'l', POPT_ARG_STRING, &opt_snapshot, 0,
    "read internal snapshot SNAPSHOT of the source (snapshot.id=ID, snapshot.name=NAME, or ID or name)",
    "SNAPSHOT" },
  { "progress", 'p', POPT_ARG_NONE, &opt_progress, 0,
    "show progress (on a terminal only)", NULL },
  { "force-share", 'U', POPT_ARG_NONE, &opt_force_share, 0,
    "open the sources even if a VM uses them", NULL },
  { "bitmaps", '\0', POPT_ARG_NONE, &opt_bitmaps, 0,
    "copy the persistent bitmaps of the (qcow2) source into the qcow2 target", NULL },
  { "skip-broken-bitmaps", '\0', POPT_ARG_NONE, &opt_skip_broken, 0,
    "with --bitmaps: leave out bitmaps that are in use (inconsistent) instead of failing", NULL },
  POPT_TABLEEND
};
/* clang-format on */

int
vimg_convert(vk_cmd_ctx *ctx)
{
  vk_convert_opts o;
  vk_progress bar;
  CLEANUP_ERROR vk_error *err = NULL;
  uint64_t sparse = 0;
  bool ok;

  vk_convert_opts_init(&o);
  if (opt_threads != INT_MIN && (opt_threads < 1 || opt_threads > 1024))
    return vk_cmd_usage(ctx, "-m must be between 1 and 1024");
  if (opt_sparse) {
    if (!vk_parse_size(opt_sparse, &sparse, &err))
      return vk_cmd_usage(ctx, "-S: %s", err->msg);
    o.sparse_size = (int64_t)sparse;
  }
  o.src = ctx->argv;
  o.nsrc = ctx->argc - 1;
  o.dst = ctx->argv[ctx->argc - 1];
  o.src_fmt = opt_fmt;
  o.dst_fmt = opt_out_fmt;
  o.options = opt_options;
  o.compress = opt_compress;
  o.threads = opt_threads == INT_MIN ? 0 : opt_threads;   /* 0: every core */
  o.backing = opt_backing;
  o.backing_fmt = opt_backing_fmt;
  o.no_create = opt_no_create;
  o.target_is_zero = opt_target_is_zero;
  o.force_share = opt_force_share;
  o.snapshot = opt_snapshot;
  o.out_of_order = opt_out_of_order;
  o.bitmaps = opt_bitmaps;
  o.copy_offload = opt_copy_offload;
  o.salvage = opt_salvage;
  if (opt_src_cache &&
      (strcmp(opt_src_cache, "none") == 0 || strcmp(opt_src_cache, "directsync") == 0))
    o.source_nocache = true;
  else if (opt_src_cache && strcmp(opt_src_cache, "writeback") != 0 &&
           strcmp(opt_src_cache, "writethrough") != 0 && strcmp(opt_src_cache, "unsafe") != 0)
    return vk_cmd_usage(
        ctx, "-T: unknown cache mode '%s' (writeback, writethrough, unsafe, none or directsync)",
        opt_src_cache);
  o.skip_broken_bitmaps = opt_skip_broken;
  if (opt_rate && (!vk_parse_size(opt_rate, &o.rate, &err) || o.rate == 0))
    return vk_cmd_usage(ctx, "-r: %s", err ? err->msg : "the rate must be above 0");
  if (opt_cache && strcmp(opt_cache, "writeback") == 0)
    o.writeback = true;
  else if (opt_cache && strcmp(opt_cache, "unsafe") != 0)
    return vk_cmd_usage(ctx, "-t: unknown cache mode '%s' (unsafe or writeback)", opt_cache);
  o.cancel = vk_cancel_flag();
  o.progress = vk_progress_cb;
  o.opaque = &bar;

  if (!vk_cancel_start(&err))
    return vk_cmd_fail(ctx, VK_STEAL(err));
  vk_progress_start(&bar, opt_progress, "convert", 0);
  ok = vk_convert(&o, &err);
  vk_progress_finish(&bar, ok);
  return vk_cmd_cancel_done(ctx, ok, VK_STEAL(err),
                            o.no_create ? "convert interrupted; '%s' was written in part"
                                        : "convert interrupted; '%s' removed",
                            o.dst);
}
