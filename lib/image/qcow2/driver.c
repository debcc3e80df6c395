/* vkit — the qcow2 driver: open (with every structure validated before
 * it is used), close, the flush order, header updates, and the one host
 * write path with its overlap check. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/check.h"
#include "image/compress.h"
#include "image/lock.h"
#include "image/qcow2/qcow2.h"
#include "image/qcow2/snapshot.h"
#include "util/cleanup.h"
#include "util/path.h"

/* Cache caps: the image a command writes, one it reads, a backing layer. */
#define L2_CACHE_WRITABLE (32u << 20)
#define L2_CACHE_TOP (8u << 20)
#define L2_CACHE_LAYER (1u << 20)
#define RB_CACHE_WRITABLE (8u << 20)

bool
qcow2_pwrite(vk_image *img, unsigned self, const void *buf, size_t len, uint64_t off,
             vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t at = 0;
  unsigned hit;

  if (q->corrupt)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: image marked corrupt; not writing",
                        img->filename);
  if (!self && q->g.data_file) {
    /* Guest data in the external data file: no metadata there. */
    if (img->data_fd < 0)
      return vk_error_set(errp, VK_EXIT_FAILED, "%s: its data file is not open", img->filename);
    return qcow2_data_changes(img, errp) &&
           vk_host_pwrite(img->data_fd, buf, len, off, img->data_name, errp);
  }
  if ((hit = qcow2_meta_overlap(q, off, len, self, &at)))
    return qcow2_mark_corrupt(img, errp,
                              "preventing a write of %s at %#llx over the %s at %#llx",
                              self & ~(unsigned)QM_NEW ? qcow2_meta_role_name(self)
                              : self ? "new metadata" : "guest data",
                              (unsigned long long)off, qcow2_meta_role_name(hit),
                              (unsigned long long)at);
  /* Guest data: persistent bitmaps no longer follow it. */
  if (!self && !qcow2_data_changes(img, errp))
    return false;
  if (off + len > q->written_end)
    q->written_end = off + len;
  return vk_host_pwrite(img->fd, buf, len, off, img->filename, errp);
}

bool
qcow2_write_header(vk_image *img, qcow2_hdr_patch p, vk_error **errp)
{
  return qcow2_pwrite(img, QM_HEADER, p.b, p.len, p.off, errp) && vk_image_sync(img, errp);
}

bool
qcow2_set_dirty(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);

  if (!q->lazy || q->dirty_on_disk)
    return true;
  if (!qcow2_write_header(img, qcow2_patch_incompatible(q->h.incompatible_features |
                                                        QCOW2_INCOMPAT_DIRTY), errp))
    return false;
  q->h.incompatible_features |= QCOW2_INCOMPAT_DIRTY;
  q->dirty_on_disk = true;
  return true;
}

bool
qcow2_data_changes(vk_image *img, vk_error **errp)
{
  return qcow2_bitmaps_mark_in_use(img, errp);
}

bool
qcow2_mark_corrupt(vk_image *img, vk_error **errp, const char *fmt, ...)
{
  qcow2 *q = Q(img);
  char *msg = NULL;
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  if (img->writable && !q->corrupt && q->h.version >= 3) {
    /* Straight to the file: this is the one write a corrupt image gets. */
    qcow2_hdr_patch p = qcow2_patch_incompatible(q->h.incompatible_features |
                                                 QCOW2_INCOMPAT_CORRUPT);
    if (vk_host_pwrite(img->fd, p.b, p.len, p.off, img->filename, NULL))
      q->h.incompatible_features |= QCOW2_INCOMPAT_CORRUPT;
    vk_image_sync(img, NULL);
  }
  q->corrupt = true;
  vk_error_set(errp, VK_EXIT_CORRUPT, "%s: corrupt image: %s", img->filename,
               msg ? msg : "out of memory");
  free(msg);
  return false;
}

unsigned char *
qcow2_bounce(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);

  if (!q->bounce && !(q->bounce = malloc(q->g.cs)))
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return q->bounce;
}

static bool
write_l1(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);
  unsigned char b[8];

  for (uint32_t i = 0; i < q->l1_size; i++) {
    if (!q->l1_dirty[i])
      continue;
    vk_put_be64(b, q->l1[i]);
    if (!qcow2_pwrite(img, QM_L1, b, 8, q->h.l1_table_offset + (uint64_t)i * 8, errp))
      return false;
    q->l1_dirty[i] = false;
  }
  q->any_l1_dirty = false;
  return true;
}

static bool
write_rt(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);
  unsigned char b[8];

  for (uint64_t i = 0; i < q->rt_entries; i++) {
    if (!q->rt_dirty_e[i])
      continue;
    vk_put_be64(b, q->rt[i]);
    if (!qcow2_pwrite(img, QM_RT, b, 8, q->h.refcount_table_offset + i * 8, errp))
      return false;
    q->rt_dirty_e[i] = false;
  }
  q->rt_dirty = false;
  return true;
}

/* The order of QCOW2.md section 7, with one barrier per step:
 * refcount blocks (and data written so far) -> refcount table entries ->
 * L2 tables -> L1 entries; then the frees whose pointers are gone. */
bool
qcow2_flush_meta(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);
  static __thread int depth;
  bool ok = false;

  if (!q->meta_dirty || !img->writable)
    return true;
  if (depth) {
    /* Re-entered from a refcount update below: blocks only (the pointers
     * they count are already on disk). */
    return qcow2_cache_writeback(img, &q->rbc, errp) &&
           vk_image_sync(img, errp);
  }
  depth++;
  if (q->corrupt) {
    vk_error_set(errp, VK_EXIT_CORRUPT, "%s: image marked corrupt; not writing", img->filename);
    goto out;
  }
  if (!qcow2_cache_writeback(img, &q->rbc, errp) || !qcow2_data_sync(img, errp) ||
      !vk_image_sync(img, errp))
    goto out;
  if (q->rt_dirty && (!write_rt(img, errp) || !vk_image_sync(img, errp)))
    goto out;
  if (!qcow2_cache_writeback(img, &q->l2c, errp))
    goto out;
  if (q->any_l1_dirty) {
    if (!vk_image_sync(img, errp) || !write_l1(img, errp))
      goto out;
  }
  /* Clusters mapped past the end of the file (zero-allocated, metadata
   * preallocation) must exist in the file. */
  if (q->alloc_end > q->file_len) {
    struct stat st;
    if (fstat(img->fd, &st) == 0 && (uint64_t)st.st_size < q->alloc_end &&
        ftruncate(img->fd, (off_t)q->alloc_end) < 0) {
      vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot extend", img->filename);
      goto out;
    }
    q->file_len = q->alloc_end;
  }
  if (!vk_image_sync(img, errp))
    goto out;
  if (q->n_pending) {
    if (!qcow2_apply_pending_frees(img, errp) ||
        !qcow2_cache_writeback(img, &q->rbc, errp) ||
        !vk_image_sync(img, errp))
      goto out;
  }
  q->meta_dirty = false;
  ok = true;
out:
  depth--;
  return ok;
}

/* Read and parse the header; set the derived geometry in *q. */
static bool
read_header(vk_image *img, qcow2 *q, vk_error **errp)
{
  unsigned char head[QCOW2_V3_MIN_HEADER_LEN];
  CLEANUP_FREE unsigned char *c0 = NULL;
  struct stat st;
  uint64_t cs, n;

  if (fstat(img->fd, &st) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s", img->filename);
  q->file_len = (uint64_t)st.st_size;
  if (!vk_host_pread(img->fd, head, sizeof head, 0, img->filename, errp))
    return false;
  if (vk_be32(head + QH(magic)) != QCOW2_MAGIC)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: not a qcow2 image", img->filename);
  if (q->file_len < QCOW2_V2_HEADER_LEN)
    return vk_error_set(errp, VK_EXIT_CORRUPT,
                        "%s: corrupt qcow2 header: file too short for a qcow2 header",
                        img->filename);
  n = vk_be32(head + QH(cluster_bits));
  if (n < 9 || n > 21)
    return vk_error_set(errp, VK_EXIT_CORRUPT,
                        "%s: corrupt qcow2 header: cluster size out of range (512 bytes to 2 MiB)",
                        img->filename);
  cs = 1ULL << n;
  n = q->file_len < cs ? q->file_len : cs;
  if (!(c0 = malloc(cs)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(img->fd, c0, cs, 0, img->filename, errp) ||
      !qcow2_header_parse(&q->h, c0, (size_t)n, q->file_len, errp)) {
    vk_error_prefix(errp, "%s", img->filename);
    return false;
  }
  qcow2_header_geom(&q->h, &q->g);
  img->size = q->h.size & ~511ULL;   /* whole sectors, as QEMU reads it */
  q->alloc_end = qcow2_file_end(&q->g, q->file_len);
  q->open_clusters = q->alloc_end >> q->g.cluster_bits;
  q->free_hint = 1;
  q->written_end = q->file_len;
  return true;
}

/* A dirty image (lazy refcounts, not closed cleanly) opened for writing:
 * rebuild its refcounts with the check's repair, as QEMU does, which also
 * clears the dirty bit.  We hold the write lock already. */
static bool
repair_dirty(vk_image *img, vk_error **errp)
{
  vk_check_result r;

  if (!vk_check_qcow2_fd(img->fd, img->filename, VK_CHECK_REPAIR_ALL, &r, NULL, NULL, errp)) {
    vk_error_prefix(errp, "cannot repair the dirty image");
    return false;
  }
  if (r.corruptions || r.leaks || r.check_errors)
    return vk_error_set(errp, VK_EXIT_CORRUPT,
                        "%s: the image is dirty and its refcounts could not be rebuilt (%llu corruptions and %llu leaks left); see vimg check",
                        img->filename, (unsigned long long)r.corruptions,
                        (unsigned long long)r.leaks);
  vk_image_notice("%s: the image was not closed cleanly (lazy refcounts): its refcounts were rebuilt (%llu fixed)",
                  img->filename,
                  (unsigned long long)(r.leaks_fixed + r.corruptions_fixed));
  return true;
}

/* The internal snapshot to show instead of the active state: its L1
 * table and disk size, once the entry is judged usable. */
static bool
snapshot_view(vk_image *img, uint64_t *l1_off, vk_error **errp)
{
  qcow2 *q = Q(img);
  qcow2_snapshot_table t;
  const qcow2_snapshot *sn;
  const char *why;
  bool ok = false;

  if (!qcow2_snapshot_table_read(img->fd, img->filename, q->file_len, &q->h, &t, errp))
    return false;
  if (!(sn = qcow2_snapshot_find(&t, img->snapshot))) {
    vk_error_set(errp, VK_EXIT_NOTFOUND, "%s: no snapshot '%s'", img->filename, img->snapshot);
  } else if ((why = qcow2_snapshot_problem(&q->g, sn, q->file_len, false))) {
    vk_error_set(errp, VK_EXIT_CORRUPT, "%s: corrupt image: snapshot %s cannot be read: %s",
                 img->filename, sn->id, why);
  } else {
    q->l1_size = sn->l1_size;
    *l1_off = sn->l1_offset;
    img->size = sn->disk_size;
    ok = true;
  }
  qcow2_snapshot_table_clear(&t);
  return ok;
}

/* The L1 table at l1_off (q->l1_size entries), every entry validated. */
static bool
load_l1(vk_image *img, uint64_t l1_off, vk_error **errp)
{
  qcow2 *q = Q(img);
  CLEANUP_FREE unsigned char *raw = NULL;
  size_t n = q->l1_size ? q->l1_size : 1;

  q->l1 = calloc(n, sizeof *q->l1);
  q->l1_dirty = calloc(n, sizeof *q->l1_dirty);
  if (!q->l1 || !q->l1_dirty || !(raw = malloc(n * 8)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (q->l1_size &&
      !vk_host_pread(img->fd, raw, (size_t)q->l1_size * 8, l1_off, img->filename, errp))
    return false;
  for (uint32_t i = 0; i < q->l1_size; i++) {
    uint64_t e = vk_be64(raw + (size_t)i * 8);
    uint64_t l2 = qcow2_l1e_offset(e);
    const char *why = qcow2_l1e_problem(&q->g, e, q->alloc_end);
    /* The fixed structures are checked on every open (the whole map of
     * metadata is built for writers only). */
    if (!why && l2 &&
        ((l2 < q->h.refcount_table_offset + (uint64_t)q->h.refcount_table_clusters * q->g.cs &&
          l2 + q->g.cs > q->h.refcount_table_offset) ||
         (l2 < l1_off + (uint64_t)q->l1_size * 8 && l2 + q->g.cs > l1_off)))
      why = "L2 table overlaps the L1 or refcount table";
    if (why)
      return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: corrupt image: L1 entry %u: %s",
                          img->filename, i, why);
    q->l1[i] = e;
  }
  return true;
}

/* The external data file the header names, opened as the image is and
 * locked the same way (QEMU locks it too).  A relative name is taken
 * from the current directory, as QEMU takes it (not from the image's
 * directory, as a backing file name). */
static bool
open_data_file(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);

  if (img->flags & VK_IMAGE_NO_DATA_FILE)
    return true;
  if (!q->h.data_file || !q->h.data_file[0])
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "%s: the image keeps its data in an external data file but does not "
                        "record its name (vimg amend -o data_file= records one)",
                        img->filename);
  if (!(img->data_name = strdup(q->h.data_file)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  img->data_fd = vk_host_open_file(img->data_name, img->writable ? O_RDWR : O_RDONLY, errp);
  if (img->data_fd < 0) {
    vk_error_prefix(errp, "%s: cannot open its data file", img->filename);
    return false;
  }
  if (vk_fd_same_file(img->fd, img->data_fd))
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: corrupt image: it is its own data file",
                        img->filename);
  return vk_image_lock(img->data_fd, img->data_name, vk_image_lock_mode(img), errp);
}

bool
qcow2_data_pread(vk_image *img, void *buf, size_t len, uint64_t off, vk_error **errp)
{
  if (img->data_fd >= 0)
    return vk_host_pread(img->data_fd, buf, len, off, img->data_name, errp);
  if (Q(img)->g.data_file)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: its data file is not open", img->filename);
  return vk_host_pread(img->fd, buf, len, off, img->filename, errp);
}

bool
qcow2_data_sync(vk_image *img, vk_error **errp)
{
  if (img->data_fd < 0 || (img->flags & VK_IMAGE_UNSAFE))
    return true;
  return vk_host_sync(img->data_fd, img->data_name, errp);
}

static uint64_t
cache_cap(uint64_t cap, const qcow2 *q)
{
  /* No more than the whole image's L2 tables. */
  uint64_t all = ((uint64_t)q->l1_size + 1) * q->g.cs;
  return all < cap ? all : cap;
}

static bool
qcow2_open(vk_image *img, vk_error **errp)
{
  qcow2 *q = calloc(1, sizeof *q);
  uint64_t l1_off;

  if (!q)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  img->priv = q;
  for (int pass = 0;; pass++) {
    if (!read_header(img, q, errp))
      return false;
    if (!img->writable)
      break;
    if (q->h.incompatible_features & QCOW2_INCOMPAT_CORRUPT)
      return vk_error_set(errp, VK_EXIT_CORRUPT,
                          "%s: image is marked corrupt; it can only be opened read-only (repair it with vimg check -r all)",
                          img->filename);
    if (!(q->h.incompatible_features & QCOW2_INCOMPAT_DIRTY))
      break;
    if (pass || !repair_dirty(img, errp))
      return pass ? vk_error_set(errp, VK_EXIT_CORRUPT,
                                 "%s: image is still dirty after its refcounts were rebuilt",
                                 img->filename)
                  : false;
    qcow2_header_clear(&q->h);
  }
  q->lazy = q->h.compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS;

  /* L1 (bounded by the header parser), or the snapshot's. */
  q->l1_size = q->h.l1_size;
  l1_off = q->h.l1_table_offset;
  if (img->snapshot && !snapshot_view(img, &l1_off, errp))
    return false;
  if (q->g.data_file && !open_data_file(img, errp))
    return false;
  if (!load_l1(img, l1_off, errp) || !qcow2_refcount_load(img, errp))
    return false;
  if (img->writable) {
    qcow2_cache_init(&q->l2c, QM_L2, cache_cap(L2_CACHE_WRITABLE, q), 8, q->g.cs);
    qcow2_cache_init(&q->rbc, QM_RB, RB_CACHE_WRITABLE, 4, q->g.cs);
  } else {
    qcow2_cache_init(&q->l2c, QM_L2,
                     cache_cap(img->flags & VK_IMAGE_LAYER ? L2_CACHE_LAYER : L2_CACHE_TOP, q),
                     4, q->g.cs);
    qcow2_cache_init(&q->rbc, QM_RB, 0, 1, q->g.cs);
  }

  if (img->writable) {
    uint64_t keep = q->h.autoclear_features & ((q->h.has_bitmaps ? QCOW2_AUTOCLEAR_BITMAPS : 0) |
                                               QCOW2_AUTOCLEAR_DATA_FILE_RAW);
    /* Every structure a write could land on, checked for overlaps. */
    if (!qcow2_meta_build(img, errp) || !qcow2_refcount_trim(img, errp))
      return false;
    /* Autoclear bits the engine does not maintain; the bitmaps it keeps
     * (marked in use when the guest's data changes), and a raw data file
     * (every write goes to its guest offset there, zeros included). */
    if (q->h.version >= 3 && q->h.autoclear_features != keep) {
      if (!qcow2_write_header(img, qcow2_patch_autoclear(keep), errp))
        return false;
      q->h.autoclear_features = keep;
    }
  }
  return true;
}

static bool
qcow2_flush(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);

  if (!qcow2_flush_meta(img, errp) || !qcow2_data_sync(img, errp))
    return false;
  return q->meta_dirty || vk_image_sync(img, errp);
}

static bool
qcow2_close(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);
  bool ok = true;

  if (!q)
    return true;
  if (img->writable && !q->corrupt && img->fd >= 0) {
    ok = qcow2_flush(img, errp);
    if (ok && q->dirty_on_disk) {
      ok = qcow2_write_header(img, qcow2_patch_incompatible(q->h.incompatible_features &
                                                            ~QCOW2_INCOMPAT_DIRTY), errp);
      if (ok)
        q->h.incompatible_features &= ~QCOW2_INCOMPAT_DIRTY;
    }
  }
  qcow2_cache_free(&q->l2c);
  qcow2_cache_free(&q->rbc);
  qcow2_meta_free(img);
  free(q->used);
  qcow2_header_clear(&q->h);
  free(q->l1);
  free(q->l1_dirty);
  free(q->rt);
  free(q->rt_dirty_e);
  free(q->pending_free);
  free(q->bounce);
  free(q->bounce2);
  vk_compressor_free(q->dz);
  free(q);
  img->priv = NULL;
  return ok;
}

static bool
qcow2_info(vk_image *img, vk_image_info *info, vk_error **errp)
{
  qcow2 *q = Q(img);

  (void)errp;
  info->cluster_size = (uint32_t)q->g.cs;
  info->version = (int)q->h.version;
  info->refcount_bits = (int)q->g.refcount_bits;
  info->compression = q->h.compression_type ? VK_COMPRESS_ZSTD : VK_COMPRESS_ZLIB;
  info->lazy_refcounts = q->h.compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS;
  info->extended_l2 = q->g.extl2;
  info->corrupt = q->h.incompatible_features & QCOW2_INCOMPAT_CORRUPT;
  info->dirty = q->h.incompatible_features & QCOW2_INCOMPAT_DIRTY;
  info->backing_file = q->h.backing_file;
  info->backing_format = q->h.backing_fmt[0] ? q->h.backing_fmt : NULL;
  info->data_file = q->g.data_file ? q->h.data_file : NULL;
  info->data_file_raw = q->h.autoclear_features & QCOW2_AUTOCLEAR_DATA_FILE_RAW;
  info->incompatible_features = q->h.incompatible_features;
  info->compatible_features = q->h.compatible_features;
  info->autoclear_features = q->h.autoclear_features;
  info->nb_snapshots = q->h.nb_snapshots;
  return true;
}

static bool
qcow2_pread_drv(vk_image *img, void *buf, size_t len, uint64_t off, vk_error **errp)
{
  return qcow2_read(img, buf, len, off, errp);
}

static bool
qcow2_pwrite_drv(vk_image *img, const void *buf, size_t len, uint64_t off,
                 vk_error **errp)
{
  return qcow2_write(img, buf, len, off, errp);
}

static bool
qcow2_zeroes_drv(vk_image *img, uint64_t off, uint64_t len, unsigned flags,
                 vk_error **errp)
{
  return qcow2_zero(img, off, len, flags, false, errp);
}

static bool
qcow2_discard_drv(vk_image *img, uint64_t off, uint64_t len, vk_error **errp)
{
  return qcow2_zero(img, off, len, VK_ZERO_MAY_UNMAP, true, errp);
}

/* The whole first cluster written anew from the in-memory header with the
 * new backing file name and format: what qemu-img does too.  Tables are
 * flushed first, so the header written describes them. */
static bool
qcow2_set_backing(vk_image *img, const char *name, vk_image_format fmt, vk_error **errp)
{
  qcow2 *q = Q(img);
  qcow2_header h = q->h; /* shallow: only the fields set here differ */
  const char *fname = fmt == VK_FMT_NONE ? "" : vk_image_format_name(fmt);
  char *copy = NULL;

  if (name && strlen(name) > QCOW2_MAX_BACKING_NAME)
    return vk_error_set(errp, VK_EXIT_USAGE, "backing file name too long (at most %d bytes)",
                        QCOW2_MAX_BACKING_NAME);
  if (name && !(copy = strdup(name)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  h.backing_file = copy;
  memset(h.backing_fmt, 0, sizeof h.backing_fmt);
  if (name)
    snprintf(h.backing_fmt, sizeof h.backing_fmt, "%s", fname);
  if (!qcow2_header_rewrite(img, &h, errp)) {
    free(copy);
    return false;
  }
  free(q->h.backing_file);
  q->h.backing_file = copy;
  memcpy(q->h.backing_fmt, h.backing_fmt, sizeof h.backing_fmt);
  return true;
}

bool
qcow2_header_rewrite(vk_image *img, qcow2_header *h, vk_error **errp)
{
  qcow2 *q = Q(img);
  CLEANUP_FREE unsigned char *buf = malloc(q->g.cs);

  if (!buf)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!qcow2_header_write(h, buf, q->g.cs, errp) || !qcow2_flush_meta(img, errp) ||
      !qcow2_pwrite(img, QM_HEADER, buf, q->g.cs, 0, errp) || !vk_image_sync(img, errp))
    return false;
  q->h.backing_file_offset = h->backing_file_offset;
  q->h.backing_file_size = h->backing_file_size;
  q->h.header_length = h->header_length;
  return true;
}

const vk_image_driver vk_qcow2_driver = {
  .name = "qcow2",
  .open = qcow2_open,
  .pread = qcow2_pread_drv,
  .pwrite = qcow2_pwrite_drv,
  .pwrite_zeroes = qcow2_zeroes_drv,
  .discard = qcow2_discard_drv,
  .flush = qcow2_flush,
  .truncate = qcow2_truncate,
  .block_status = qcow2_block_status,
  .write_compressed = qcow2_write_compressed,
  .info = qcow2_info,
  .reserve = qcow2_reserve,
  .amend = qcow2_amend,
  .set_backing = qcow2_set_backing,
  .close = qcow2_close,
};
