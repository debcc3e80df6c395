/* vkit — vimg rebase: a qcow2 image moved onto another backing file with
 * what it reads unchanged (see vk_image_rebase() in image.h). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/size.h"

/* How much is compared at a time: 1 MiB, or one cluster if larger. */
#define CHUNK (1024 * 1024)

static uint64_t
chunk_size(vk_image *img)
{
  uint64_t cs = vk_image_cluster_size(img);
  return cs > CHUNK ? cs : CHUNK;
}

static bool
interrupted(vk_image *img, const vk_rebase_opts *o, vk_error **errp)
{
  if (!o || !o->cancel || !atomic_load(o->cancel))
    return false;
  return !vk_error_set(errp, VK_EXIT_FAILED, "%s: interrupted; still on its old backing file",
                       vk_image_filename(img));
}

/* Write into img, cluster by cluster, the old content of [off, off+len)
 * where the new backing file (nb, NULL: none, zeros) reads otherwise. */
static bool
keep_range(vk_image *img, vk_image *nb, uint64_t off, uint64_t len, unsigned char *a,
           unsigned char *b, const vk_rebase_opts *o, vk_error **errp)
{
  uint64_t cs = vk_image_cluster_size(img), chunk = chunk_size(img);
  uint64_t nsize = nb ? vk_image_size(nb) : 0;

  while (len) {
    uint64_t n = len < chunk ? len : chunk;
    if (interrupted(img, o, errp))
      return false;
    /* end on a cluster boundary where the range goes on (chunk is a
     * multiple of the cluster size: n stays > 0) */
    if (n < len && (off + n) % cs && (off + n) % cs < n)
      n -= (off + n) % cs;
    if (!vk_image_pread(img, a, n, off, errp))
      return false;
    memset(b, 0, n);
    if (off < nsize &&
        !vk_image_pread(nb, b, (size_t)(off + n <= nsize ? n : nsize - off), off, errp))
      return false;
    for (uint64_t c = 0; c < n;) {
      uint64_t at = off + c, step = cs - at % cs;
      if (step > n - c)
        step = n - c;
      if (memcmp(a + c, b + c, step) && !vk_image_pwrite(img, a + c, step, at, errp))
        return false;
      c += step;
    }
    off += n;
    len -= n;
    if (o && o->progress)
      o->progress(o->opaque, off, vk_image_size(img));
  }
  return true;
}

bool
vk_image_rebase(const char *path, vk_image_format fmt, const char *backing, vk_image_format bfmt,
                const vk_rebase_opts *o, vk_error **errp)
{
  bool unsafe = o && (o->flags & VK_REBASE_UNSAFE), ok = false;
  CLEANUP_FREE char *resolved = NULL;
  CLEANUP_FREE unsigned char *a = NULL, *b = NULL;
  vk_image *img = NULL, *nb = NULL;
  struct stat st;

  if (backing && !*backing)
    backing = NULL;
  if (fmt == VK_FMT_NONE && !vk_image_format_resolve(path, &fmt, errp))
    return false;
  if (fmt != VK_FMT_QCOW2)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: %s images have no backing file", path,
                        vk_image_format_name(fmt));
  if (backing) {
    if (!(resolved = vk_image_resolve_backing(path, backing)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    if (stat(resolved, &st) < 0) {
      if (!unsafe || errno != ENOENT)
        return vk_error_set_errno(errp, errno == ENOENT ? VK_EXIT_NOTFOUND : VK_EXIT_FAILED, errno,
                                  "new backing file '%s'", resolved);
      if (bfmt == VK_FMT_NONE)
        return vk_error_set(errp, VK_EXIT_USAGE,
                            "new backing file '%s' does not exist: give its format with -F",
                            resolved);
    } else if (bfmt == VK_FMT_NONE && !vk_image_format_resolve(resolved, &bfmt, errp)) {
      return false;
    }
  }
  /* The old chain is read (safe mode) while this image is written. */
  if (!(img = vk_image_open(path, fmt, VK_IMAGE_RDWR | (unsafe ? VK_IMAGE_NO_BACKING : 0), errp)))
    return false;
  if (!unsafe) {
    uint64_t size = vk_image_size(img), off = 0;
    if (backing && !(nb = vk_image_open(resolved, bfmt, 0, errp)))
      goto out;
    if (!(a = malloc(chunk_size(img))) || !(b = malloc(chunk_size(img)))) {
      vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      goto out;
    }
    while (off < size) {
      vk_extent e;
      if (interrupted(img, o, errp))
        goto out;
      if (!vk_image_block_status_layer(img, off, size - off, &e, errp))
        goto out;
      /* only what the image does not have itself can read otherwise */
      if (e.kind == VK_EXTENT_UNALLOCATED && (vk_image_backing(img) || nb) &&
          !keep_range(img, nb, off, e.length, a, b, o, errp))
        goto out;
      off += e.length;
      if (o && o->progress)
        o->progress(o->opaque, off, size);
    }
    if (!vk_image_flush(img, errp))
      goto out;
  }
  ok = vk_image_set_backing(img, backing, bfmt, errp);
out:
  if (nb)
    vk_image_close(nb, NULL);
  if (!vk_image_close(img, ok ? errp : NULL))
    ok = false;
  return ok;
}
