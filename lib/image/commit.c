/* vkit — vimg commit: what the layers above a backing image hold, written
 * into it (see vk_image_commit() in image.h). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image/driver.h"
#include "image/image.h"
#include "image/lock.h"
#include "util/cleanup.h"
#include "util/progress.h"

/* Bytes copied at a time: 1 MiB, or one cluster of the base if larger. */
#define CHUNK (1024 * 1024)

typedef struct commit {
  const vk_commit_opts *o;
  vk_image *top, *base; /* base: the writable handle */
  vk_image *guard;      /* the top alone, locked before it is opened to write */
  int depth;            /* of the base in the top's chain */
  unsigned char *buf;
  uint64_t chunk;
  uint64_t done, total;
  uint64_t copied; /* data bytes copied (what -r counts) */
  vk_rate rate;
} commit;

static bool
interrupted(const commit *c, vk_error **errp)
{
  if (!c->o || !c->o->cancel || !atomic_load(c->o->cancel))
    return false;
  return !vk_error_set(errp, VK_EXIT_FAILED,
                       "%s: interrupted; '%s' was written in part (the image still reads the same)",
                       vk_image_filename(c->top), vk_image_filename(c->base));
}

static void
progress(commit *c, uint64_t n)
{
  c->done += n;
  if (c->o && c->o->progress)
    c->o->progress(c->o->opaque, c->done, c->total);
}

/* Copy the data of [off, off + len) as the top reads it into the base. */
static bool
copy_range(commit *c, uint64_t off, uint64_t len, vk_error **errp)
{
  while (len) {
    uint64_t n = len < c->chunk ? len : c->chunk;
    if (interrupted(c, errp))
      return false;
    if (!vk_image_pread(c->top, c->buf, n, off, errp) ||
        !vk_image_pwrite(c->base, c->buf, n, off, errp))
      return false;
    off += n;
    len -= n;
    progress(c, n);
    c->copied += n;
    vk_rate_wait(&c->rate, c->copied, c->o ? c->o->cancel : NULL);
  }
  return true;
}

/* The layer `depth` below img (0: img). */
static vk_image *
layer_at(vk_image *img, int depth)
{
  while (depth-- > 0 && img)
    img = vk_image_backing(img);
  return img;
}

static bool
same_file(vk_image *img, const struct stat *st)
{
  struct stat s;
  return fstat(vk_image_fd(img), &s) == 0 && s.st_dev == st->st_dev && s.st_ino == st->st_ino;
}

/* Find the base in the top's chain (opened without locks, only to look):
 * its file name, format and depth. */
static bool
find_base(const char *path, vk_image_format fmt, const char *want, char **base_path,
          vk_image_format *base_fmt, int *depth, vk_error **errp)
{
  vk_image *probe = vk_image_open(path, fmt, VK_IMAGE_NO_LOCK, errp), *l;
  struct stat st;
  int d = 1;
  bool ok = false;

  if (!probe)
    return false;
  l = vk_image_backing(probe);
  if (!l) {
    vk_error_set(errp, VK_EXIT_USAGE, "%s: image has no backing file: nothing to commit into",
                 path);
    goto out;
  }
  if (want) {
    CLEANUP_FREE char *rel = vk_image_resolve_backing(path, want);
    /* -b names a file as the shell sees it, or as the chain does. */
    if (stat(want, &st) < 0 && (!rel || stat(rel, &st) < 0)) {
      vk_error_set_errno(errp, errno == ENOENT ? VK_EXIT_NOTFOUND : VK_EXIT_FAILED, errno,
                         "base image '%s'", want);
      goto out;
    }
    if (same_file(probe, &st)) {
      vk_error_set(errp, VK_EXIT_USAGE, "'%s' is the image itself, not one of its backing files",
                   want);
      goto out;
    }
    for (; l && !same_file(l, &st); l = vk_image_backing(l))
      d++;
    if (!l) {
      vk_error_set(errp, VK_EXIT_USAGE, "'%s' is not in the backing chain of '%s'", want, path);
      goto out;
    }
  }
  if (!(*base_path = strdup(vk_image_filename(l)))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    goto out;
  }
  *base_fmt = vk_image_get_format(l);
  *depth = d;
  ok = true;
out:
  vk_image_close(probe, NULL);
  return ok;
}

/* Open the top and the layers down to the base: the base writable and
 * locked first (nobody else may use it while it changes); the top alone,
 * read-only and locked (no writer may have it), before the top's chain is
 * opened without locks of its own (the top writable, when it is to be
 * emptied: a read-write open may repair a dirty image, which must not
 * happen under another writer); the layers between them then locked by
 * hand (the base's claim already covers it and what lies below). */
static bool
open_chain(commit *c, const char *path, vk_image_format fmt, bool drop, vk_error **errp)
{
  CLEANUP_FREE char *base_path = NULL;
  vk_image_format base_fmt;
  struct stat st;

  if (!find_base(path, fmt, c->o ? c->o->base : NULL, &base_path, &base_fmt, &c->depth, errp))
    return false;
  if (!(c->base = vk_image_open(base_path, base_fmt, VK_IMAGE_RDWR, errp)))
    return false;
  if (!(c->guard = vk_image_open(path, fmt, VK_IMAGE_NO_BACKING, errp)))
    return false;
  if (!(c->top = vk_image_open(path, fmt, (drop ? 0 : VK_IMAGE_RDWR) | VK_IMAGE_NO_LOCK, errp)))
    return false;
  for (int d = 1; d < c->depth; d++) {
    vk_image *l = layer_at(c->top, d);
    if (!vk_image_lock(vk_image_fd(l), vk_image_filename(l), VK_LOCK_READ, errp))
      return false;
  }
  if (fstat(vk_image_fd(c->base), &st) < 0 || !layer_at(c->top, c->depth) ||
      !same_file(layer_at(c->top, c->depth), &st))
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: the backing chain changed while it was opened",
                        path);
  return true;
}

bool
vk_image_commit(const char *path, vk_image_format fmt, const vk_commit_opts *o, vk_error **errp)
{
  commit c = { .o = o };
  bool drop = o && (o->drop || o->base), ok = false;
  uint64_t size, bsize, off = 0, cs;

  if (fmt == VK_FMT_NONE && !vk_image_format_resolve(path, &fmt, errp))
    return false;
  if (fmt != VK_FMT_QCOW2)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: %s images have no backing file", path,
                        vk_image_format_name(fmt));
  if (!open_chain(&c, path, fmt, drop, errp))
    goto out;
  size = c.total = vk_image_size(c.top);
  bsize = vk_image_size(c.base);
  cs = vk_image_cluster_size(c.base);
  c.chunk = cs > CHUNK ? cs : CHUNK;
  if (!(c.buf = malloc(c.chunk))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    goto out;
  }
  vk_rate_start(&c.rate, o ? o->rate : 0);
  /* A base smaller than the top grows to its size (reading zeros there,
   * as the top did, not what a larger file below the base holds). */
  if (bsize < size) {
    vk_image *below = vk_image_backing(c.base);
    if (!vk_image_truncate(c.base, size, VK_PREALLOC_OFF, 0, errp))
      goto out;
    if (below && vk_image_size(below) > bsize &&
        !vk_image_pwrite_zeroes(c.base, bsize,
                                (vk_image_size(below) < size ? vk_image_size(below) : size) - bsize,
                                0, errp))
      goto out;
  }
  while (off < size) {
    vk_extent e;
    if (interrupted(&c, errp))
      goto out;
    if (!vk_image_block_status(c.top, off, size - off, &e, errp))
      goto out;
    if (e.depth < c.depth && e.kind == VK_EXTENT_DATA) {
      if (!copy_range(&c, off, e.length, errp))
        goto out;
    } else {
      /* Zeros above the base must read as zeros in it too; a base
       * without a backing file may give the space back. */
      if (e.depth < c.depth && e.kind == VK_EXTENT_ZERO &&
          !vk_image_pwrite_zeroes(c.base, off, e.length,
                                  vk_image_backing(c.base) ? 0 : VK_ZERO_MAY_UNMAP, errp))
        goto out;
      progress(&c, e.length);
    }
    off += e.length;
  }
  /* The base is on disk before the top lets go of anything. */
  if (!vk_image_flush(c.base, errp))
    goto out;
  if (!drop && (!vk_image_make_empty(c.top, errp) || !vk_image_flush(c.top, errp)))
    goto out;
  ok = true;
out:
  free(c.buf);
  if (c.top && !vk_image_close(c.top, ok ? errp : NULL))
    ok = false;
  if (c.guard)
    vk_image_close(c.guard, NULL);
  if (c.base && !vk_image_close(c.base, ok ? errp : NULL))
    ok = false;
  return ok;
}
