/* vkit — the two ends of a conversion (see convert-io.h), on image.h.
 *
 * A vk_image is used by one thread at a time, so each worker gets its own
 * read-only handle on every source (and, for a raw target, its own handle
 * on the target); one more source handle answers block-status queries.
 * Only the first handle of each file takes locks; the others share its
 * claim (VK_IMAGE_NO_LOCK), since locks of one process would conflict
 * with each other.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "convert-io.h"
#include "image.h"
#include "util/cleanup.h"

#define SALVAGE_STEP (64u << 10) /* what an unmappable range is read as, at most */
#define SALVAGE_SECTOR 512u      /* what a failed read is retried by */
#define DROP_EVERY (64u << 20)   /* -T none: bytes read between cache drops */

struct cv_src {
  bool salvage;                    /* --salvage: unreadable sectors read as zeros */
  bool drop_cache;                 /* -T none: the page cache is not kept */
  atomic_uint_fast64_t since_drop; /* bytes read since the cache was dropped */
  atomic_uint_fast64_t salvaged;   /* bytes made zeros by --salvage */
  uint64_t win;                    /* offset of what is converted in the concatenation */
  int n;                  /* sources */
  int nh;                 /* handles per source: workers + 1 */
  vk_image **img;         /* img[i * nh + h] */
  uint64_t *base;         /* offset of source i in the concatenation */
  uint64_t *size;
  uint64_t total;
};

struct cv_dst {
  atomic_bool no_offload; /* -C: copy_file_range cannot do it here */
  const char *path;
  bool created;
  bool is_zero;
  bool backing;
  bool raw;
  bool unsafe;            /* opened VK_IMAGE_UNSAFE (no -t writeback) */
  int nh;                 /* handles: 1, or one per worker (raw) */
  vk_image **img;
  uint32_t cs;
  vk_compression ctype;
  bool compress;   /* -c, or a target that stores only compressed clusters */
  char *data_path; /* the external data file made with the target, or NULL */
  uint64_t size;
  int nz;                 /* compressors: one per worker (qcow2 target) */
  vk_compressor **cz;
};

static bool
nomem(vk_error **errp)
{
  return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "convert");
}

cv_src *
cv_src_open(const vk_convert_opts *o, int workers, vk_error **errp)
{
  vk_image_format fmt = VK_FMT_NONE;
  cv_src *s;

  if (o->src_fmt && !vk_image_format_parse(o->src_fmt, &fmt, errp))
    return NULL;
  s = calloc(1, sizeof *s);
  if (!s) {
    nomem(errp);
    return NULL;
  }
  s->nh = workers + 1;
  s->salvage = o->salvage;
  s->drop_cache = o->source_nocache;
  s->img = calloc((size_t)o->nsrc * (size_t)s->nh, sizeof *s->img);
  s->base = calloc((size_t)o->nsrc, sizeof *s->base);
  s->size = calloc((size_t)o->nsrc, sizeof *s->size);
  s->n = o->nsrc;
  if (!s->img || !s->base || !s->size) {
    nomem(errp);
    goto fail;
  }
  for (int i = 0; i < o->nsrc; i++) {
    vk_image_format f = fmt;
    for (int h = 0; h < s->nh; h++) {
      unsigned flags = o->force_share ? VK_IMAGE_FORCE_SHARE : 0;
      if (h > 0)
        flags |= VK_IMAGE_NO_LOCK;
      s->img[i * s->nh + h] = o->snapshot
        ? vk_image_open_snapshot(o->src[i], f, flags, o->snapshot, errp)
        : vk_image_open(o->src[i], f, flags, errp);
      if (!s->img[i * s->nh + h])
        goto fail;
      /* Probe once; the other handles open with what was found. */
      f = vk_image_get_format(s->img[i * s->nh]);
    }
    s->base[i] = s->total;
    s->size[i] = vk_image_size(s->img[i * s->nh]);
    s->total += s->size[i];
  }
  /* A window (vimg dd): offsets below are relative to its start. */
  s->win = o->src_offset < s->total ? o->src_offset : s->total;
  s->total -= s->win;
  if ((o->src_length && o->src_length < s->total) || o->empty_window)
    s->total = o->empty_window ? 0 : o->src_length;
  return s;
fail:
  cv_src_close(s);
  return NULL;
}

void
cv_src_close(cv_src *s)
{
  if (!s)
    return;
  for (int i = 0; s->img && i < s->n * s->nh; i++)
    vk_image_close(s->img[i], NULL);
  free(s->img);
  free(s->base);
  free(s->size);
  free(s);
}

uint64_t
cv_src_size(const cv_src *s)
{
  return s->total;
}

static int
src_index(const cv_src *s, uint64_t off)
{
  int i = 0;

  while (i + 1 < s->n && off >= s->base[i + 1])
    i++;
  return i;
}

bool
cv_src_status(cv_src *s, uint64_t off, uint64_t max, bool top_only,
              cv_kind *kind, uint64_t *len, vk_error **errp)
{
  int i = src_index(s, off + s->win);
  vk_image *img = s->img[i * s->nh + s->nh - 1];
  uint64_t rel = off + s->win - s->base[i];
  uint64_t left = s->size[i] - rel;
  vk_extent e;
  bool ok;

  if (max > s->total - off)
    max = s->total - off;
  if (left > max)
    left = max;
  ok = top_only ? vk_image_block_status_layer(img, rel, left, &e, errp)
                : vk_image_block_status(img, rel, left, &e, errp);
  if (!ok && s->salvage && errp && *errp && (*errp)->code != VK_EXIT_USAGE) {
    /* --salvage: what cannot be mapped is read (and zeroed where that
     * fails too), a cluster's worth at a time. */
    vk_error_free(VK_STEAL(*errp));
    *kind = CV_DATA;
    *len = SALVAGE_STEP - rel % SALVAGE_STEP;
    if (*len > left)
      *len = left;
    return true;
  }
  if (!ok)
    return false;
  *len = e.length;
  switch (e.kind) {
  case VK_EXTENT_DATA:
    *kind = CV_DATA;
    break;
  case VK_EXTENT_ZERO:
    *kind = CV_ZERO;
    break;
  default:
    *kind = top_only ? CV_UNALLOC : CV_ZERO;
    break;
  }
  return true;
}

/* --salvage, after a read of [rel, rel + n) of img failed (*errp set):
 * read it again a sector at a time; a sector that fails (whatever the
 * error) is zeros, and a notice names each run of them.  Returns false,
 * the error kept, without --salvage. */
static bool
salvage_read(cv_src *s, vk_image *img, uint8_t *b, size_t n, uint64_t rel, vk_error **errp)
{
  uint64_t bad_at = 0, bad_len = 0;

  if (!s->salvage || !errp || !*errp)
    return false;
  vk_error_free(VK_STEAL(*errp));
  for (size_t at = 0; at < n;) {
    size_t k = SALVAGE_SECTOR - (rel + at) % SALVAGE_SECTOR;
    vk_error *e = NULL;
    if (k > n - at)
      k = n - at;
    if (vk_image_pread(img, b + at, k, rel + at, &e)) {
      if (bad_len)
        vk_image_notice("%s: cannot read %" PRIu64 " bytes at offset %" PRIu64
                        ": written as zeros (--salvage)",
                        vk_image_filename(img), bad_len, bad_at);
      bad_len = 0;
    } else {
      vk_error_free(e);
      memset(b + at, 0, k);
      if (!bad_len)
        bad_at = rel + at;
      bad_len += k;
      atomic_fetch_add(&s->salvaged, k);
    }
    at += k;
  }
  if (bad_len)
    vk_image_notice("%s: cannot read %" PRIu64 " bytes at offset %" PRIu64
                    ": written as zeros (--salvage)",
                    vk_image_filename(img), bad_len, bad_at);
  return true;
}

/* -T none: every DROP_EVERY bytes read, the sources' cached pages go. */
static void
drop_cache(cv_src *s, size_t len)
{
  if (atomic_fetch_add(&s->since_drop, len) + len < DROP_EVERY)
    return;
  atomic_store(&s->since_drop, 0);
  cv_src_drop_cache(s);
}

void
cv_src_drop_cache(cv_src *s)
{
  for (int i = 0; s->drop_cache && i < s->n; i++)
    for (vk_image *img = s->img[i * s->nh]; img; img = vk_image_backing(img))
      posix_fadvise(vk_image_fd(img), 0, 0, POSIX_FADV_DONTNEED);
}

uint64_t
cv_src_salvaged(const cv_src *s)
{
  return atomic_load(&s->salvaged);
}

bool
cv_src_pread(cv_src *s, int worker, void *buf, size_t len, uint64_t off,
             vk_error **errp)
{
  uint8_t *b = buf;
  size_t asked = len;

  if (off >= s->total || len > s->total - off) {
    /* Past the end of what is converted (a zero-padded final cluster). */
    size_t in = off >= s->total ? 0 : (size_t)(s->total - off);
    memset(b + in, 0, len - in);
    len = in;
  }
  off += s->win;
  while (len > 0) {
    int i = src_index(s, off);
    uint64_t rel = off - s->base[i];
    size_t n = s->size[i] - rel < len ? (size_t)(s->size[i] - rel) : len;

    if (n == 0) {
      /* Past the end of the last source (a zero-padded final cluster). */
      memset(b, 0, len);
      return true;
    }
    if (!vk_image_pread(s->img[i * s->nh + worker], b, n, rel, errp) &&
        !salvage_read(s, s->img[i * s->nh + worker], b, n, rel, errp))
      return false;
    b += n;
    off += n;
    len -= n;
  }
  if (s->drop_cache)
    drop_cache(s, asked);
  return true;
}

/* Fill *io (initialised by the caller) for the target from *o. */
static bool
target_opts(const vk_convert_opts *o, uint64_t size, vk_image_opts *io,
            vk_error **errp)
{
  vk_image_format fmt = VK_FMT_RAW;

  if (o->dst_fmt && !vk_image_format_parse(o->dst_fmt, &fmt, errp))
    return false;
  io->format = fmt;
  if (o->options && !vk_image_opts_parse(io, o->options, errp))
    return false;
  io->format = fmt;
  io->size = size;
  if (fmt != VK_FMT_RAW && io->size % 512)
    io->size += 512 - io->size % 512;
  if (o->backing) {
    free(io->backing_file);
    io->backing_file = strdup(o->backing);
    if (!io->backing_file)
      return nomem(errp);
    if (o->backing_fmt) {
      if (!vk_image_format_parse(o->backing_fmt, &io->backing_fmt, errp))
        return false;
      io->has_backing_fmt = 1;
    }
  }
  if (o->compress && fmt != VK_FMT_QCOW2 &&
      !(fmt == VK_FMT_VMDK && io->subformat == VK_SUB_STREAM_OPTIMIZED))
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "compression (-c) needs a qcow2 target (-O qcow2; a vmdk is compressed with -o subformat=streamOptimized)");
  if (o->compress && io->data_file)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "compression (-c) cannot go with data_file (an external data file holds "
                        "no compressed clusters)");
  return vk_image_opts_validate(io, errp);
}

cv_dst *
cv_dst_open(const vk_convert_opts *o, uint64_t size, int workers, vk_error **errp)
{
  vk_image_opts io;
  vk_image_format fmt;
  cv_dst *d = calloc(1, sizeof *d);
  unsigned rw;
  bool ok;

  if (!d) {
    nomem(errp);
    return NULL;
  }
  d->path = o->dst;
  vk_image_opts_init(&io);
  ok = target_opts(o, size, &io, errp);
  fmt = io.format;
  if (ok && !o->no_create) {
    ok = vk_image_create(o->dst, &io, VK_IMAGE_CREATE_FORCE, errp);
    d->created = ok;
    if (ok && io.data_file && !(d->data_path = strdup(io.data_file)))
      ok = nomem(errp);
  }
  vk_image_opts_clear(&io);
  if (!ok)
    goto fail;

  d->img = calloc((size_t)workers, sizeof *d->img);
  if (!d->img) {
    nomem(errp);
    goto fail;
  }
  d->nh = 1;
  /* Without -t writeback the target is opened cache=unsafe: it is removed
   * on failure anyway, so syncs would only cost time. */
  rw = VK_IMAGE_RDWR | (o->writeback ? 0 : VK_IMAGE_UNSAFE);
  d->img[0] = vk_image_open(o->dst, fmt, rw, errp);
  if (!d->img[0])
    goto fail;
  d->raw = vk_image_get_format(d->img[0]) == VK_FMT_RAW;
  d->unsafe = !o->writeback;
  if (d->raw) {
    /* Workers write a raw target directly, each with its own handle. */
    for (; d->nh < workers; d->nh++) {
      d->img[d->nh] = vk_image_open(o->dst, VK_FMT_RAW, rw | VK_IMAGE_NO_LOCK, errp);
      if (!d->img[d->nh])
        goto fail;
    }
  } else {
    d->cs = vk_image_cluster_size(d->img[0]);
    d->ctype = vk_image_compression(d->img[0]);
    d->compress = o->compress || vk_image_compresses(d->img[0]);
    if (d->compress) {
      /* Each worker keeps its compression state for the whole run. */
      d->cz = calloc((size_t)workers, sizeof *d->cz);
      if (!d->cz) {
        nomem(errp);
        goto fail;
      }
      for (; d->nz < workers; d->nz++)
        if (!(d->cz[d->nz] = vk_compressor_new(d->ctype, errp)))
          goto fail;
    }
  }
  d->backing = vk_image_backing(d->img[0]) != NULL;
  d->is_zero = (d->created && !d->backing) || o->target_is_zero;
  d->size = vk_image_size(d->img[0]);
  return d;
fail:
  cv_dst_close(d, false, NULL);
  return NULL;
}

bool
cv_dst_compresses(const cv_dst *d)
{
  return d->compress;
}

uint32_t
cv_dst_cluster_size(const cv_dst *d)
{
  return d->cs;
}

bool
cv_dst_parallel(const cv_dst *d)
{
  return d->raw;
}

bool
cv_dst_reservable(const cv_dst *d)
{
  return !d->raw && d->unsafe;
}

bool
cv_dst_reserve(cv_dst *d, uint64_t off, uint64_t len, uint64_t *host, uint64_t *got, bool *zeroed,
               vk_error **errp)
{
  return vk_image_reserve(d->img[0], off, len, host, got, zeroed, errp);
}

bool
cv_dst_pwrite_reserved(cv_dst *d, const void *buf, size_t len, uint64_t host, vk_error **errp)
{
  return vk_image_pwrite_reserved(d->img[0], buf, len, host, errp);
}

bool
cv_dst_is_zero(const cv_dst *d)
{
  return d->is_zero;
}

uint64_t
cv_dst_size(const cv_dst *d)
{
  return d->size;
}

static vk_image *
handle(cv_dst *d, int worker)
{
  return d->img[worker < d->nh ? worker : 0];
}

bool
cv_dst_pwrite(cv_dst *d, int worker, const void *buf, size_t len, uint64_t off,
              vk_error **errp)
{
  return vk_image_pwrite(handle(d, worker), buf, len, off, errp);
}

bool
cv_dst_pwrite_zeroes(cv_dst *d, int worker, size_t len, uint64_t off,
                     vk_error **errp)
{
  return vk_image_pwrite_zeroes(handle(d, worker), off, len,
                                d->backing ? 0 : VK_ZERO_MAY_UNMAP, errp);
}

int64_t
cv_dst_compress(cv_dst *d, int worker, void *out, const void *data,
                vk_error **errp)
{
  if (worker < 0 || worker >= d->nz) {
    vk_error_set(errp, VK_EXIT_FAILED, "convert: no compressor for worker %d", worker);
    return -1;
  }
  return vk_compressor_compress(d->cz[worker], out, d->cs - 1, data, d->cs, errp);
}

bool
cv_dst_write_compressed(cv_dst *d, const void *cdata, size_t clen, uint64_t off,
                        vk_error **errp)
{
  return vk_image_write_compressed(d->img[0], off, cdata, clen, errp);
}

bool
cv_dst_close(cv_dst *d, bool ok, vk_error **errp)
{
  if (!d)
    return ok;
  /* Extra handles first: the first one holds the lock. */
  for (int h = d->nh - 1; d->img && h >= 0; h--)
    if (!vk_image_close(d->img[h], ok ? errp : NULL))
      ok = false;
  if (!ok && d->created)
    unlink(d->path);
  if (!ok && d->data_path)
    unlink(d->data_path);
  free(d->data_path);
  for (int i = 0; i < d->nz; i++)
    vk_compressor_free(d->cz[i]);
  free(d->cz);
  free(d->img);
  free(d);
  return ok;
}

bool
cv_src_bitmaps_ok(cv_src *s, bool skip_broken, vk_error **errp)
{
  vk_bitmap_info *b;
  size_t n;
  bool ok = true;

  if (vk_image_get_format(s->img[0]) != VK_FMT_QCOW2)
    return vk_error_set(errp, VK_EXIT_USAGE, "--bitmaps needs a qcow2 source; %s is %s",
                        vk_image_filename(s->img[0]),
                        vk_image_format_name(vk_image_get_format(s->img[0])));
  if (!vk_image_list_bitmaps(s->img[0], &b, &n, errp))
    return false;
  for (size_t i = 0; ok && i < n; i++)
    if (b[i].in_use && !skip_broken)
      ok = vk_error_set(errp, VK_EXIT_FAILED,
                        "%s: bitmap '%s' is in use (inconsistent): it cannot be copied "
                        "(--skip-broken-bitmaps leaves it out)",
                        vk_image_filename(s->img[0]), b[i].name);
  vk_bitmap_info_free(b, n);
  return ok;
}

bool
cv_copy_bitmaps(cv_src *s, cv_dst *d, bool skip_broken, vk_error **errp)
{
  return vk_image_copy_bitmaps(d->img[0], s->img[0], skip_broken, errp);
}

bool
cv_src_all_raw(const cv_src *s)
{
  for (int i = 0; i < s->n; i++)
    if (vk_image_get_format(s->img[i * s->nh]) != VK_FMT_RAW)
      return false;
  return true;
}

bool
cv_dst_is_raw(const cv_dst *d)
{
  return d->raw;
}

/* Errors of copy_file_range() that say "not here" rather than "failed". */
static bool
offload_unsupported(int e)
{
  return e == EXDEV || e == EOPNOTSUPP || e == ENOSYS || e == EINVAL || e == ETXTBSY;
}

bool
cv_copy_range(cv_src *s, cv_dst *d, int worker, void *buf, size_t len, uint64_t off,
              vk_error **errp)
{
  uint64_t at = off + s->win;
  size_t done = 0;

  while (done < len && !atomic_load(&d->no_offload)) {
    int i = src_index(s, at + done);
    uint64_t rel = at + done - s->base[i];
    size_t n = s->size[i] - rel < len - done ? (size_t)(s->size[i] - rel) : len - done;
    loff_t in = (loff_t)rel, out = (loff_t)(off + done);
    ssize_t r;

    if (n == 0)
      break; /* past the last source: the rest is zeros, read below */
    r = copy_file_range(vk_image_fd(s->img[i * s->nh + worker]), &in,
                        vk_image_fd(handle(d, worker)), &out, n, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && !offload_unsupported(errno))
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s", d->path);
    if (r <= 0) {
      atomic_store(&d->no_offload, true);
      break;
    }
    done += (size_t)r;
  }
  /* What copy_file_range did not do: read and written. */
  return done == len || (cv_src_pread(s, worker, buf, len - done, off + done, errp) &&
                         cv_dst_pwrite(d, worker, buf, len - done, off + done, errp));
}
