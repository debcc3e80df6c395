/* vkit — the generic image layer: open, create, range checks, backing
 * chains, block status across layers. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "lock.h"
#include "image/qcow2/header.h"
#include "util/cleanup.h"
#include "util/path.h"

static vk_image_notice_fn *notice_fn;

void
vk_image_set_notice(vk_image_notice_fn *fn)
{
  notice_fn = fn;
}

void
vk_image_notice(const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;

  if (!notice_fn)
    return;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  if (msg)
    notice_fn(msg);
  free(msg);
}

bool
vk_host_pread(int fd, void *buf, size_t len, uint64_t off, const char *file,
              vk_error **errp)
{
  unsigned char *p = buf;

  while (len) {
    ssize_t n = pread(fd, p, len, (off_t)off);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: read error", file);
    }
    if (n == 0) {
      memset(p, 0, len);
      return true;
    }
    p += n;
    off += (uint64_t)n;
    len -= (size_t)n;
  }
  return true;
}

bool
vk_host_pwrite(int fd, const void *buf, size_t len, uint64_t off, const char *file,
               vk_error **errp)
{
  const unsigned char *p = buf;

  while (len) {
    ssize_t n = pwrite(fd, p, len, (off_t)off);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: write error", file);
    }
    p += n;
    off += (uint64_t)n;
    len -= (size_t)n;
  }
  return true;
}

bool
vk_host_sync(int fd, const char *file, vk_error **errp)
{
  if (fdatasync(fd) < 0 && errno != EINVAL)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot sync", file);
  return true;
}

bool
vk_image_sync(vk_image *img, vk_error **errp)
{
  if (img->flags & VK_IMAGE_UNSAFE)
    return true;
  return vk_host_sync(img->fd, img->filename, errp);
}

char *
vk_image_resolve_backing(const char *overlay, const char *name)
{
  CLEANUP_FREE char *copy = NULL;
  char *out = NULL;
  const char *dir;

  if (name[0] == '/' || !strchr(overlay, '/'))
    return strdup(name);
  if (!(copy = strdup(overlay)))
    return NULL;
  dir = dirname(copy);
  if (asprintf(&out, "%s/%s", dir, name) < 0)
    return NULL;
  return out;
}

static const vk_image_driver *
driver_for(vk_image_format fmt)
{
  switch (fmt) {
  case VK_FMT_QCOW2: return &vk_qcow2_driver;
  case VK_FMT_VPC: return &vk_vpc_driver;
  case VK_FMT_VDI: return &vk_vdi_driver;
  case VK_FMT_VMDK: return &vk_vmdk_driver;
  case VK_FMT_VHDX: return &vk_vhdx_driver;
  case VK_FMT_QED: return &vk_qed_driver;
  default: return &vk_raw_driver;
  }
}

vk_lock_mode
vk_image_lock_mode(const vk_image *img)
{
  if (img->flags & (VK_IMAGE_FORCE_SHARE | VK_IMAGE_NO_LOCK))
    return VK_LOCK_NONE;
  return img->writable ? VK_LOCK_WRITE : VK_LOCK_READ;
}

/* One layer, without its backing file.  `layer`: it is the backing file
 * of another image. */
static vk_image *
open_layer(const char *path, vk_image_format fmt, unsigned flags, bool layer,
           const char *snapshot, vk_error **errp)
{
  vk_image *img;
  bool rw = flags & VK_IMAGE_RDWR;
  vk_lock_mode mode;

  if (rw && (flags & VK_IMAGE_FORCE_SHARE)) {
    vk_error_set(errp, VK_EXIT_USAGE, "--force-share is only for read-only use");
    return NULL;
  }
  if (snapshot && rw) {
    vk_error_set(errp, VK_EXIT_USAGE, "%s: a snapshot can only be opened read-only", path);
    return NULL;
  }
  if (fmt == VK_FMT_NONE && rw) {
    vk_error_set(errp, VK_EXIT_USAGE,
                 "%s: the format of an image opened for writing must be given", path);
    return NULL;
  }
  if (!(img = calloc(1, sizeof *img)) || !(img->filename = strdup(path))) {
    free(img);
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  img->data_fd = -1;
  img->fd = vk_host_open_file(path, rw ? O_RDWR : O_RDONLY, errp);
  /* A backing "file" that is no file breaks the chain: corrupt. */
  if (img->fd < 0 && layer && errp && *errp && (*errp)->code == VK_EXIT_USAGE)
    (*errp)->code = VK_EXIT_CORRUPT;
  if (img->fd < 0 || !vk_image_format_resolve_fd(img->fd, path, &fmt, errp))
    goto fail;
  img->format = fmt;
  img->drv = driver_for(fmt);
  img->writable = rw;
  img->flags = flags | (layer ? VK_IMAGE_LAYER : 0);
  img->snapshot = snapshot;
  mode = vk_image_lock_mode(img);
  if (!vk_image_lock(img->fd, path, mode, errp))
    goto fail;
  if (snapshot && fmt != VK_FMT_QCOW2) {
    vk_error_set(errp, VK_EXIT_FAILED, "%s: %s images have no internal snapshots",
                 path, vk_image_format_name(fmt));
    goto fail;
  }
  if (!img->drv->open(img, errp))
    goto fail;
  img->snapshot = NULL;
  return img;

fail:
  if (img->priv)
    img->drv->close(img, NULL);
  if (img->fd >= 0)
    close(img->fd);
  if (img->data_fd >= 0)
    close(img->data_fd);
  free(img->data_name);
  free(img->filename);
  free(img);
  return NULL;
}

/* True when `b` is the same file as `img` or one of the layers below it. */
static bool
in_chain(const vk_image *img, const vk_image *b)
{
  struct stat sb, si;

  if (fstat(b->fd, &sb) < 0)
    return false;
  for (; img; img = img->backing)
    if (fstat(img->fd, &si) == 0 && si.st_dev == sb.st_dev && si.st_ino == sb.st_ino)
      return true;
  return false;
}

/* The image and its backing chain, read-only below the top, at most
 * VK_IMAGE_MAX_BACKING layers deep and without loops. */
static vk_image *
open_chain(const char *path, vk_image_format fmt, unsigned flags, const char *snapshot,
           vk_error **errp)
{
  vk_image *top, *cur;
  unsigned bflags = flags & (VK_IMAGE_FORCE_SHARE | VK_IMAGE_NO_LOCK);
  int depth = 0;

  /* An image opened for writing may be changed by the open itself (a
   * dirty image's refcounts are rebuilt): its backing chain is checked
   * first, read-only, so that a broken chain leaves the image as it was
   * (only qcow2 images have one; a vhdx log is replayed by the open for
   * writing, which a read-only look first would refuse). */
  if ((flags & VK_IMAGE_RDWR) && !(flags & VK_IMAGE_NO_BACKING) && fmt == VK_FMT_QCOW2) {
    vk_image *probe = open_chain(path, fmt, (flags & ~VK_IMAGE_RDWR) | VK_IMAGE_NO_LOCK,
                                 NULL, errp);
    if (!probe)
      return NULL;
    vk_image_close(probe, NULL);
  }
  top = cur = open_layer(path, fmt, flags, false, snapshot, errp);
  if (!top || (flags & VK_IMAGE_NO_BACKING))
    return top;
  /* qcow2 images and vmdk deltas (read only) have backing files */
  while (cur->format == VK_FMT_QCOW2 || cur->format == VK_FMT_VMDK) {
    vk_image_format bfmt = VK_FMT_NONE;
    vk_image_info info;
    CLEANUP_FREE char *bpath = NULL;
    vk_image *b;

    if (!vk_image_get_info(cur, &info, errp))
      goto fail;
    if (!info.backing_file)
      break;
    if (++depth > VK_IMAGE_MAX_BACKING) {
      vk_error_set(errp, VK_EXIT_CORRUPT, "%s: backing chain longer than %d files",
                   path, VK_IMAGE_MAX_BACKING);
      goto fail;
    }
    if (!(bpath = vk_image_resolve_backing(cur->filename, info.backing_file))) {
      vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      goto fail;
    }
    if (info.backing_format && !vk_image_format_parse(info.backing_format, &bfmt, NULL)) {
      vk_error_set(errp, VK_EXIT_FAILED, "%s: unsupported backing format '%s'",
                   cur->filename, info.backing_format);
      goto fail;
    }
    if (!(b = open_layer(bpath, bfmt, bflags, true, NULL, errp))) {
      vk_error_prefix(errp, "%s: cannot open backing file", path);
      goto fail;
    }
    if (in_chain(top, b)) {
      vk_error_set(errp, VK_EXIT_CORRUPT, "%s: backing chain loop: %s comes back as the backing file of %s",
                   path, bpath, cur->filename);
      vk_image_close(b, NULL);
      goto fail;
    }
    cur->backing = b;
    cur = b;
  }
  return top;
fail:
  vk_image_close(top, NULL);
  return NULL;
}

vk_image *
vk_image_open(const char *path, vk_image_format fmt, unsigned flags, vk_error **errp)
{
  return open_chain(path, fmt, flags, NULL, errp);
}

vk_image *
vk_image_open_snapshot(const char *path, vk_image_format fmt, unsigned flags,
                       const char *snapshot, vk_error **errp)
{
  return open_chain(path, fmt, flags, snapshot, errp);
}

bool
vk_image_close(vk_image *img, vk_error **errp)
{
  bool ok = true;

  if (!img)
    return true;
  if (img->priv || img->drv == &vk_raw_driver)
    ok = img->drv->close(img, errp);
  if (img->fd >= 0 && close(img->fd) < 0 && ok)
    ok = vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: close", img->filename);
  if (img->data_fd >= 0 && close(img->data_fd) < 0 && ok)
    ok = vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: close", img->data_name);
  if (!vk_image_close(img->backing, ok ? errp : NULL))
    ok = false;
  free(img->data_name);
  free(img->filename);
  free(img);
  return ok;
}

void
vk_cleanup_image(vk_image **img)
{
  vk_image_close(*img, NULL);
}

static bool
check_range(vk_image *img, uint64_t off, uint64_t len, vk_error **errp)
{
  if (off > img->size || len > img->size - off)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: range %llu+%llu beyond the end of the image",
                        img->filename, (unsigned long long)off, (unsigned long long)len);
  return true;
}

static bool
check_write(vk_image *img, uint64_t off, uint64_t len, vk_error **errp)
{
  if (!img->writable)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: image opened read-only", img->filename);
  return check_range(img, off, len, errp);
}

bool
vk_image_pread(vk_image *img, void *buf, size_t len, uint64_t off, vk_error **errp)
{
  if (!check_range(img, off, len, errp))
    return false;
  return len == 0 || img->drv->pread(img, buf, len, off, errp);
}

bool
vk_image_read_backing(vk_image *img, void *buf, size_t len, uint64_t off,
                      vk_error **errp)
{
  vk_image *b = img->backing;
  size_t have = 0;

  if (b && off < b->size) {
    have = b->size - off < len ? (size_t)(b->size - off) : len;
    if (!b->drv->pread(b, buf, have, off, errp))
      return false;
  }
  memset((unsigned char *)buf + have, 0, len - have);
  return true;
}

bool
vk_image_pwrite(vk_image *img, const void *buf, size_t len, uint64_t off,
                vk_error **errp)
{
  vk_image_changed(img);
  if (!check_write(img, off, len, errp))
    return false;
  return len == 0 || img->drv->pwrite(img, buf, len, off, errp);
}

bool
vk_image_pwrite_zeroes(vk_image *img, uint64_t off, uint64_t len, unsigned flags,
                       vk_error **errp)
{
  vk_image_changed(img);
  if (!check_write(img, off, len, errp))
    return false;
  return len == 0 || img->drv->pwrite_zeroes(img, off, len, flags, errp);
}

bool
vk_image_discard(vk_image *img, uint64_t off, uint64_t len, vk_error **errp)
{
  vk_image_changed(img);
  if (!check_write(img, off, len, errp))
    return false;
  if (!img->drv->discard)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: vkit does not discard in %s images",
                        img->filename, img->drv->name);
  return len == 0 || img->drv->discard(img, off, len, errp);
}

bool
vk_image_flush(vk_image *img, vk_error **errp)
{
  if (!img->writable)
    return true;
  return img->drv->flush(img, errp);
}

bool
vk_image_truncate(vk_image *img, uint64_t size, vk_prealloc prealloc, unsigned flags,
                  vk_error **errp)
{
  vk_image_changed(img);
  if (!img->writable)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: image opened read-only", img->filename);
  if (size < img->size && !(flags & VK_TRUNCATE_SHRINK))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: shrinking the image needs the shrink flag (--shrink)",
                        img->filename);
  if (!img->drv->truncate)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: vkit does not resize %s images (convert it to qcow2 or raw)",
                        img->filename, img->drv->name);
  return img->drv->truncate(img, size, prealloc, flags, errp);
}

bool
vk_image_set_backing(vk_image *img, const char *name, vk_image_format fmt, vk_error **errp)
{
  if (!img->writable)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: image opened read-only", img->filename);
  if (!img->drv->set_backing)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: %s images have no backing file", img->filename,
                        img->drv->name);
  return img->drv->set_backing(img, name && *name ? name : NULL, fmt, errp);
}

bool
vk_image_block_status_layer(vk_image *img, uint64_t off, uint64_t len, vk_extent *out,
                            vk_error **errp)
{
  if (!check_range(img, off, len, errp))
    return false;
  if (len == 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "block status of an empty range");
  memset(out, 0, sizeof *out);
  out->host_offset = -1;
  if (!img->drv->block_status(img, off, len, out, errp))
    return false;
  out->offset = off;
  out->depth = 0;
  if (!out->file)
    out->file = img->filename;
  return true;
}

bool
vk_image_block_status(vk_image *img, uint64_t off, uint64_t len, vk_extent *out,
                      vk_error **errp)
{
  vk_image *layer = img;
  int depth = 0;

  for (;;) {
    if (layer->ua_len && off >= layer->ua_off && off - layer->ua_off < layer->ua_len) {
      /* Inside the run this layer last said it does not have. */
      uint64_t rest = layer->ua_off + layer->ua_len - off;
      memset(out, 0, sizeof *out);
      out->offset = off;
      out->length = rest < len ? rest : len;
      out->kind = VK_EXTENT_UNALLOCATED;
      out->host_offset = -1;
      out->file = layer->filename;
    } else {
      if (!vk_image_block_status_layer(layer, off, len, out, errp))
        return false;
      /* (a run with a host offset is asked again: the cache has none) */
      if (out->kind == VK_EXTENT_UNALLOCATED && out->host_offset < 0) {
        layer->ua_off = off;
        layer->ua_len = out->length;
      }
    }
    out->depth = depth;
    if (out->kind != VK_EXTENT_UNALLOCATED || !layer->backing)
      return true;
    /* Nothing here: ask the backing file, within its size. */
    if (off >= layer->backing->size) {
      out->kind = VK_EXTENT_ZERO;
      out->allocated = false;
      out->depth = depth + 1;
      return true;
    }
    len = out->length;
    if (len > layer->backing->size - off)
      len = layer->backing->size - off;
    layer = layer->backing;
    depth++;
  }
}

bool
vk_image_write_compressed(vk_image *img, uint64_t off, const void *data, size_t len,
                          vk_error **errp)
{
  vk_image_changed(img);
  if (!img->drv->write_compressed)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: %s images cannot hold compressed clusters",
                        img->filename, img->drv->name);
  if (!check_write(img, off, 1, errp))
    return false;
  return img->drv->write_compressed(img, off, data, len, errp);
}

bool
vk_image_amend(const char *path, vk_image_format fmt, const char *options, vk_error **errp)
{
  vk_image_opts o;
  vk_image *img;
  const char *no = NULL;
  bool ok;

  vk_image_opts_init(&o);
  if (!options || !*options)
    return vk_error_set(errp, VK_EXIT_USAGE, "give the options to change with -o");
  if (!vk_image_opts_parse(&o, options, errp)) {
    vk_image_opts_clear(&o);
    return false;
  }
  if (o.has_cluster_size)
    no = "the cluster size cannot be changed (vimg convert -o cluster_size= makes a copy)";
  else if (o.has_extended_l2)
    no = "extended_l2 cannot be changed (vimg convert -o extended_l2= makes a copy)";
  else if (o.has_compression)
    no = "the compression type cannot be changed (vimg convert makes a copy)";
  else if (o.has_prealloc)
    no = "preallocation is an option of create and convert";
  else if (o.backing_file || o.has_backing_fmt)
    no = "the backing file is changed with vimg rebase (-u for the header only)";
  else if (o.size)
    no = "the size is changed with vimg resize";
  vk_image_opts_clear(&o);
  if (no)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s", no);
  if (!vk_image_opts_parse(&o, options, errp))
    return false;
  if (fmt == VK_FMT_NONE && !vk_image_format_resolve(path, &fmt, errp))
    return false;
  if (fmt != VK_FMT_QCOW2) {
    vk_image_opts_clear(&o);
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: %s images have no options to amend", path,
                        vk_image_format_name(fmt));
  }
  /* A new data file name is recorded without opening the old file (it
   * may be gone: the reason to record another). */
  if (!(img = vk_image_open(path, fmt,
                            VK_IMAGE_RDWR | VK_IMAGE_NO_BACKING |
                                (o.data_file ? VK_IMAGE_NO_DATA_FILE : 0),
                            errp))) {
    vk_image_opts_clear(&o);
    return false;
  }
  vk_image_changed(img);
  ok = img->drv->amend && img->drv->amend(img, &o, errp);
  vk_image_opts_clear(&o);
  if (!vk_image_close(img, ok ? errp : NULL))
    ok = false;
  return ok;
}

bool
vk_image_make_empty(vk_image *img, vk_error **errp)
{
  vk_image_changed(img);
  if (img->format != VK_FMT_QCOW2)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: only qcow2 images can be emptied", img->filename);
  if (!check_write(img, 0, img->size, errp))
    return false;
  return img->size == 0 || img->drv->pwrite_zeroes(img, 0, img->size, VK_ZERO_UNALLOCATE, errp);
}

bool
vk_image_reserve(vk_image *img, uint64_t off, uint64_t len, uint64_t *host, uint64_t *got,
                 bool *zeroed, vk_error **errp)
{
  vk_image_changed(img);
  *got = 0;
  *host = 0;
  *zeroed = false;
  if (!img->drv->reserve || !(img->flags & VK_IMAGE_UNSAFE) || len == 0)
    return true;
  if (!check_write(img, off, len, errp))
    return false;
  return img->drv->reserve(img, off, len, host, got, zeroed, errp);
}

bool
vk_image_pwrite_reserved(vk_image *img, const void *buf, size_t len, uint64_t host, vk_error **errp)
{
  if (img->data_fd >= 0)
    return vk_host_pwrite(img->data_fd, buf, len, host, img->data_name, errp);
  return vk_host_pwrite(img->fd, buf, len, host, img->filename, errp);
}

uint64_t vk_image_size(const vk_image *img) { return img->size; }
vk_image_format vk_image_get_format(const vk_image *img) { return img->format; }
const char *vk_image_filename(const vk_image *img) { return img->filename; }
vk_image *vk_image_backing(const vk_image *img) { return img->backing; }
int vk_image_fd(const vk_image *img) { return img->fd; }
int
vk_image_data_fd(const vk_image *img)
{
  return img->data_fd >= 0 ? img->data_fd : img->fd;
}
const char *
vk_image_data_name(const vk_image *img)
{
  return img->data_fd >= 0 ? img->data_name : img->filename;
}

uint32_t
vk_image_cluster_size(const vk_image *img)
{
  vk_image_info info;
  if (img->format != VK_FMT_QCOW2 || !vk_image_get_info((vk_image *)img, &info, NULL))
    return 65536;
  return info.cluster_size;
}

bool
vk_image_compresses(const vk_image *img)
{
  return img->writable && img->drv->compresses && img->drv->compresses(img);
}

vk_compression
vk_image_compression(const vk_image *img)
{
  vk_image_info info;
  if (vk_image_compresses(img))
    return VK_COMPRESS_ZLIB_STREAM;
  if (img->format != VK_FMT_QCOW2 || !vk_image_get_info((vk_image *)img, &info, NULL))
    return VK_COMPRESS_ZLIB;
  return info.compression;
}

bool
vk_image_get_info(vk_image *img, vk_image_info *info, vk_error **errp)
{
  struct stat st;

  memset(info, 0, sizeof *info);
  if (fstat(img->fd, &st) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s", img->filename);
  info->filename = img->filename;
  info->format = img->format;
  info->virtual_size = img->size;
  info->disk_size = (uint64_t)st.st_blocks * 512;
  info->file_length = (uint64_t)st.st_size;
  if (img->drv->info)
    return img->drv->info(img, info, errp);
  return true;
}

/* ---------------------------------------------------------------- create */

/* A new qcow2 image's external data file at `dpath`, `size` bytes of
 * zeros: a file that exists is replaced only with VK_IMAGE_CREATE_FORCE,
 * when nobody uses it (and never when it is the image `image_fd` itself).
 * *made: the file was created here (remove it on failure). */
static bool
create_data_file(const char *dpath, int image_fd, uint64_t size, unsigned flags, bool *made,
                 vk_error **errp)
{
  CLEANUP_CLOSE int fd = open(dpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  struct stat a;

  if (fd >= 0) {
    *made = true;
  } else if (errno != EEXIST) {
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot create data file", dpath);
  } else if (!(flags & VK_IMAGE_CREATE_FORCE)) {
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: data file exists (use --force to replace it)",
                        dpath);
  } else {
    if ((fd = vk_host_open_file(dpath, O_RDWR, errp)) < 0)
      return false;
    if (vk_fd_same_file(fd, image_fd))
      return vk_error_set(errp, VK_EXIT_USAGE, "%s: the data file cannot be the image itself",
                          dpath);
    if (!vk_image_lock(fd, dpath, VK_LOCK_WRITE, errp))
      return false;
  }
  if (fstat(fd, &a) == 0 && S_ISREG(a.st_mode) &&
      (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)size) < 0))
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot set size", dpath);
  return vk_host_sync(fd, dpath, errp);
}

bool
vk_image_create(const char *path, const vk_image_opts *opts, unsigned flags,
                vk_error **errp)
{
  vk_image_opts o = *opts;
  vk_image_format bfmt = opts->backing_fmt;
  bool made_data = false;
  CLEANUP_CLOSE int fd = -1;
  vk_error *err = NULL;
  vk_image *img = NULL;
  bool ok = false;

  if (!vk_image_opts_validate(&o, errp))
    return false;
  if (o.backing_file) {
    /* The backing file must be readable; record its format. */
    CLEANUP_FREE char *bpath = vk_image_resolve_backing(path, o.backing_file);
    vk_image *b;
    if (!bpath)
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    /* Only a format vkit reads is recorded. */
    if (!vk_image_format_resolve(bpath, &bfmt, errp)) {
      vk_error_prefix(errp, "cannot open backing file");
      return false;
    }
    b = vk_image_open(bpath, bfmt, VK_IMAGE_FORCE_SHARE, errp);
    if (!b) {
      vk_error_prefix(errp, "cannot open backing file");
      return false;
    }
    bfmt = vk_image_get_format(b);
    if (!o.size)
      o.size = vk_image_size(b);
    vk_image_close(b, NULL);
    if (o.size % 512)
      o.size += 512 - o.size % 512;
  }

  if (flags & VK_IMAGE_CREATE_FORCE) {
    /* Replace an existing file only if nobody uses it. */
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
      struct stat st;
      if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
        return vk_error_set(errp, VK_EXIT_USAGE, "%s: not a regular file", path);
      if (!vk_image_lock(fd, path, VK_LOCK_WRITE, errp))
        return false;
      close(VK_STEAL_FD(fd));
      if (unlink(path) < 0)
        return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot remove", path);
    }
  }
  fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST)
      return vk_error_set(errp, VK_EXIT_FAILED,
                          "%s: file exists (use --force to replace it)", path);
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot create", path);
  }

  if (o.data_file) {
    /* The data file first: qcow2_create_file() records it. */
    if (!create_data_file(o.data_file, fd, o.size, flags, &made_data, &err))
      goto out;
    /* A raw data file is the whole disk: every cluster is mapped to it. */
    if (o.data_file_raw && o.prealloc == VK_PREALLOC_OFF)
      o.prealloc = VK_PREALLOC_METADATA;
  }
  if (o.format == VK_FMT_QCOW2) {
    if (!qcow2_create_file(fd, path, &o, o.backing_file ? vk_image_format_name(bfmt) : NULL,
                           &err))
      goto out;
  } else if (driver_for(o.format)->create) {
    if (!driver_for(o.format)->create(fd, path, &o, &err))
      goto out;
  } else if (ftruncate(fd, (off_t)o.size) < 0) {
    vk_error_set_errno(&err, VK_EXIT_FAILED, errno, "%s: cannot set size", path);
    goto out;
  }
  if (!vk_host_sync(fd, path, &err))
    goto out;
  close(VK_STEAL_FD(fd));

  if (o.prealloc != VK_PREALLOC_OFF) {
    uint64_t size = o.size;
    img = vk_image_open(path, o.format, VK_IMAGE_RDWR | VK_IMAGE_NO_BACKING, &err);
    if (!img)
      goto out;
    /* Preallocation is a resize from 0 with a mode: reuse it. */
    if (!img->drv->truncate(img, size, o.prealloc, VK_TRUNCATE_PREALLOC_ONLY, &err))
      goto out;
    if (!vk_image_close(VK_STEAL(img), &err))
      goto out;
  }
  ok = true;

out:
  vk_image_close(img, NULL);
  if (!ok) {
    unlink(path);
    if (made_data)
      unlink(o.data_file);
    vk_error_propagate(errp, err);
  }
  return ok;
}
