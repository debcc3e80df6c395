/* vkit — making a clone: copies, linked overlays, reflinks, the NVRAM
 * file, the definition; and undoing all of it on failure. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include <libvirt/virterror.h>

#include "image/convert.h"
#include "image/image.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "util/random.h"
#include "virt/clone/internal.h"
#include "virt/clone/clone.h"
#include "virt/conn.h"
#include "virt/domain.h"
#include "virt/pool.h"
#include "virt/volume.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

static bool
cancelled(const vk_clone *c)
{
  return c->opts->cancel && atomic_load(c->opts->cancel);
}

/* A name that does not exist yet, in the directory of `path`:
 * "DIR/.BASE.vclone-XXXXXXXX". */
static char *
temp_name(const char *path, vk_error **errp)
{
  const char *slash = strrchr(path, '/');
  int dirlen = slash ? (int)(slash - path + 1) : 0;
  const char *base = slash ? slash + 1 : path;

  for (int tries = 0; tries < 100; tries++) {
    unsigned char r[4];
    char *s;
    struct stat st;

    if (!vk_random_bytes(r, sizeof r, errp))
      return NULL;
    if (asprintf(&s, "%.*s.%s.vclone-%02x%02x%02x%02x", dirlen, path, base,
                 r[0], r[1], r[2], r[3]) < 0) {
      vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "temporary file");
      return NULL;
    }
    if (lstat(s, &st) < 0 && errno == ENOENT)
      return s;
    free(s);
  }
  vk_error_set(errp, VK_EXIT_FAILED, "cannot find a free temporary name next to '%s'", path);
  return NULL;
}

/* Progress over all copies: each convert reports its own bytes. */
typedef struct progress_sum {
  const vk_clone_opts *o;
  uint64_t base, total;
} progress_sum;

static void
progress_one(void *opaque, uint64_t done, uint64_t total)
{
  progress_sum *p = opaque;

  (void)total;
  p->o->progress(p->o->opaque, p->base + done, p->total);
}

static bool
convert_file(vk_clone *c, const char *src, const char *src_fmt, const char *dst,
             const vk_clone_disk *x, progress_sum *ps, vk_error **errp)
{
  vk_convert_opts co;

  vk_convert_opts_init(&co);
  co.src = &src;
  co.nsrc = 1;
  co.src_fmt = src_fmt;
  co.dst = dst;
  co.dst_fmt = src_fmt;
  co.cancel = c->opts->cancel;
  /* --sync: on disk before it is renamed into place and defined. */
  co.writeback = c->opts->sync;
  if (x) {
    co.options = x->create_opts;
    co.backing = x->backing;
    co.backing_fmt = x->backing ? x->backing_fmt : NULL;
    if (c->opts->nonsparse)
      co.sparse_size = 0;
  }
  if (ps && c->opts->progress) {
    co.progress = progress_one;
    co.opaque = ps;
  }
  return vk_convert(&co, errp);
}

static bool
reflink_file(const vk_clone_disk *x, bool c_sync, vk_error **errp)
{
  vk_image_format fmt;
  vk_image *img;
  CLEANUP_CLOSE int fd = -1;
  bool ok = true;

  if (!vk_image_format_parse(x->src_format, &fmt, errp))
    return false;
  /* Held open read-only for the engine's locks while the extents are
   * shared: nobody may write the original meanwhile. */
  if (!(img = vk_image_open(x->source, fmt, VK_IMAGE_NO_BACKING, errp)))
    return false;
  fd = open(x->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    ok = vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot create '%s'", x->tmp);
  } else if (ioctl(fd, FICLONE, vk_image_fd(img)) < 0) {
    int e = errno;
    if (e == EOPNOTSUPP || e == EXDEV || e == EINVAL || e == ENOTTY || e == ENOSYS)
      ok = vk_error_set(errp, VK_EXIT_FAILED, "--reflink: cannot share the extents of '%s' with '%s': the filesystem does not support reflinks (clone without --reflink to copy)",
                        x->source, x->path);
    else
      ok = vk_error_set_errno(errp, VK_EXIT_FAILED, e, "--reflink: cannot clone '%s'", x->source);
  } else if (c_sync && fsync(fd) < 0) {
    ok = vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot sync '%s'", x->tmp);
  }
  vk_image_close(img, NULL);
  return ok;
}

static bool
linked_file(const vk_clone_disk *x, vk_error **errp)
{
  vk_image_opts io;
  vk_image_format fmt;
  vk_image *img;
  bool ok;

  if (!vk_image_format_parse(x->src_format, &fmt, errp))
    return false;
  /* The engine's read lock on the original while the overlay is made. */
  if (!(img = vk_image_open(x->source, fmt, VK_IMAGE_NO_BACKING, errp)))
    return false;
  vk_image_opts_init(&io);
  io.format = VK_FMT_QCOW2;
  io.size = x->size;
  io.backing_file = strdup(x->source);
  io.backing_fmt = fmt;
  io.has_backing_fmt = 1;
  ok = io.backing_file ? vk_image_create(x->tmp, &io, 0, errp)
                       : vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "linked clone");
  vk_image_opts_clear(&io);
  vk_image_close(img, NULL);
  return ok;
}

/* The copy gets the original's permissions and, where we may, owner. */
static void
same_mode(const char *src, const char *dst)
{
  struct stat st;

  if (stat(src, &st) < 0)
    return;
  if (chown(dst, st.st_uid, st.st_gid) < 0) {
    /* not ours to give away: keep our own */
  }
  chmod(dst, st.st_mode & 07777);
}

bool
vk_clone_copy_all(vk_clone *c, vk_error **errp)
{
  progress_sum ps = { .o = c->opts };

  for (size_t i = 0; i < c->ndisks; i++)
    if (c->disks[i].how == VK_CLONE_COPY)
      ps.total += c->disks[i].size;
  if (c->opts->progress)
    c->opts->progress(c->opts->opaque, 0, ps.total);
  for (size_t i = 0; i < c->ndisks; i++) {
    vk_clone_disk *x = &c->disks[i];
    bool ok;

    if (x->how != VK_CLONE_COPY && x->how != VK_CLONE_LINKED && x->how != VK_CLONE_REFLINK)
      continue;
    if (cancelled(c))
      return vk_error_set(errp, VK_EXIT_FAILED, "interrupted");
    if (!(x->tmp = temp_name(x->path, errp)))
      return false;
    switch (x->how) {
    case VK_CLONE_LINKED:
      ok = linked_file(x, errp);
      break;
    case VK_CLONE_REFLINK:
      ok = reflink_file(x, c->opts->sync, errp);
      break;
    default:
      ok = convert_file(c, x->source, x->src_format, x->tmp, x, &ps, errp);
      ps.base += x->size;
      break;
    }
    if (!ok) {
      vk_error_prefix(errp, "disk %s", x->target);
      return false;
    }
    same_mode(x->source, x->tmp);
  }
  if (c->nvram && c->nvram_src && !c->opts->preserve_data) {
    struct stat st;
    if (stat(c->nvram_src, &st) < 0) {
      if (errno != ENOENT)
        return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "NVRAM file '%s'", c->nvram_src);
      return true;   /* libvirt makes it from the template at first start */
    }
    if (cancelled(c))
      return vk_error_set(errp, VK_EXIT_FAILED, "interrupted");
    if (!(c->nvram_tmp = temp_name(c->nvram, errp)))
      return false;
    /* The variable store is copied byte for byte, whatever its format. */
    if (!convert_file(c, c->nvram_src, "raw", c->nvram_tmp, NULL, NULL, errp)) {
      vk_error_prefix(errp, "NVRAM file");
      return false;
    }
    same_mode(c->nvram_src, c->nvram_tmp);
  }
  return true;
}

static bool
rename_into_place(const char *tmp, const char *path, bool replace, vk_error **errp)
{
  int r = replace ? rename(tmp, path) : renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);

  if (r < 0 && !replace && (errno == EINVAL || errno == ENOSYS)) {
    /* a filesystem without RENAME_NOREPLACE: link() refuses existing names */
    if (link(tmp, path) == 0) {
      unlink(tmp);
      return true;
    }
  }
  if (r < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot rename '%s' to '%s'", tmp, path);
  return true;
}

bool
vk_clone_commit_files(vk_clone *c, vk_error **errp)
{
  bool replace = !c->opts->check_path_exists;

  for (size_t i = 0; i < c->ndisks; i++) {
    vk_clone_disk *x = &c->disks[i];
    if (!x->tmp)
      continue;
    if (!rename_into_place(x->tmp, x->path, replace, errp))
      return false;
    free(x->tmp);
    x->tmp = NULL;
    x->created = true;
  }
  if (c->nvram_tmp) {
    bool r = replace || (c->replace_existing && c->old_nvram && strcmp(c->old_nvram, c->nvram) == 0);
    if (!rename_into_place(c->nvram_tmp, c->nvram, r, errp))
      return false;
    free(c->nvram_tmp);
    c->nvram_tmp = NULL;
    c->nvram_created = true;
  }
  return true;
}

void
vk_clone_discard(vk_clone *c)
{
  for (size_t i = 0; i < c->ndisks; i++) {
    vk_clone_disk *x = &c->disks[i];
    if (x->tmp)
      unlink(x->tmp);
    if (x->created)
      unlink(x->path);
    free(x->tmp);
    x->tmp = NULL;
    x->created = false;
  }
  if (c->nvram_tmp)
    unlink(c->nvram_tmp);
  if (c->nvram_created)
    unlink(c->nvram);
  free(c->nvram_tmp);
  c->nvram_tmp = NULL;
  c->nvram_created = false;
}

/* Undo vk_clone_run(): the new domain, its files, and put back the
 * domain --replace removed. */
static void
rollback(vk_clone *c, virConnectPtr conn)
{
  if (c->dom) {
    if (c->defined)
      vk_domain_undefine(c->dom, VK_UNDEF_KEEP_NVRAM, NULL, NULL);
    virDomainFree(c->dom);
    c->dom = NULL;
    c->defined = false;
  }
  vk_clone_discard(c);
  if (c->old_undefined) {
    virDomainPtr d = virDomainDefineXML(conn, c->old_xml);
    if (d)
      virDomainFree(d);
    virResetLastError();
    c->old_undefined = false;
  }
}

static bool
undefine_old(vk_clone *c, virConnectPtr conn, vk_error **errp)
{
  CLEANUP_DOMAIN virDomainPtr old = virDomainLookupByName(conn, c->name);

  if (!old) {
    virResetLastError();
    return true;    /* gone meanwhile */
  }
  if (virDomainIsActive(old) == 1)
    return vk_error_set(errp, VK_EXIT_BUSY, "domain '%s' is running: --replace does not remove a running domain; shut it down first",
                        c->name);
  /* Its NVRAM file stays until the clone is in place (put back on failure). */
  if (!vk_domain_undefine(old, VK_UNDEF_KEEP_NVRAM, NULL, errp))
    return false;
  c->old_undefined = true;
  return true;
}

/* Is `path` a file in the directory of a directory pool (canonical
 * names compared)? */
static bool
in_pool_dir(virStoragePoolPtr pool, const char *path)
{
  CLEANUP_FREE char *dir = vk_vol_pool_dir(pool);
  CLEANUP_FREE char *cdir = dir ? vk_path_canonical(dir) : NULL;
  CLEANUP_FREE char *cpath = vk_path_canonical(path);
  const char *slash = cpath ? strrchr(cpath, '/') : NULL;

  return cdir && slash && strlen(cdir) == (size_t)(slash - cpath) &&
         strncmp(cdir, cpath, (size_t)(slash - cpath)) == 0;
}

/* The pools that got a volume see it (after a rollback: no longer):
 * the pool of a volume disk, and any active directory pool a copied
 * file landed in.  With `check`, each new volume must be listed. */
static bool
refresh_pools(vk_clone *c, virConnectPtr conn, bool check, vk_error **errp)
{
  virStoragePoolPtr *pools = NULL;
  int n = virConnectListAllStoragePools(conn, &pools, VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
  bool ok = true;

  if (n < 0) {
    virResetLastError(); /* no storage driver: no pool to refresh */
    n = 0;
  }
  for (int p = 0; p < n; p++) {
    const char *pname = virStoragePoolGetName(pools[p]);
    bool mine = false;

    for (size_t i = 0; i < c->ndisks && !mine; i++) {
      const vk_clone_disk *x = &c->disks[i];
      if (x->pool)
        mine = strcmp(x->pool, pname) == 0;
      else if (x->how == VK_CLONE_COPY || x->how == VK_CLONE_LINKED || x->how == VK_CLONE_REFLINK)
        mine = in_pool_dir(pools[p], x->path);
    }
    if (ok && mine && !vk_pool_refresh(pools[p], errp))
      ok = false;
  }
  for (int p = 0; p < n; p++)
    virStoragePoolFree(pools[p]);
  free(pools);
  for (size_t i = 0; ok && check && i < c->ndisks; i++) {
    const vk_clone_disk *x = &c->disks[i];
    CLEANUP_POOL virStoragePoolPtr pool = NULL;
    CLEANUP_VOL virStorageVolPtr vol = NULL;

    if (!x->pool)
      continue;
    if (!(pool = vk_pool_lookup(conn, x->pool, errp)))
      return false;
    if (!(vol = virStorageVolLookupByName(pool, x->volume)))
      return vk_virt_error(errp, conn, "the new volume '%s' is not in pool '%s'", x->volume,
                           x->pool);
  }
  return ok;
}

bool
vk_clone_run(vk_clone *c, virConnectPtr conn, vk_error **errp)
{
  bool ok;

  ok = vk_clone_copy_all(c, errp) &&
       (!cancelled(c) || vk_error_set(errp, VK_EXIT_FAILED, "interrupted")) &&
       (!c->replace_existing || undefine_old(c, conn, errp));
  if (ok) {
    c->dom = vk_domain_define(conn, c->xml, false, errp);
    c->defined = ok = c->dom != NULL;
  }
  ok = ok && vk_clone_commit_files(c, errp) && refresh_pools(c, conn, true, errp) &&
       (!cancelled(c) || vk_error_set(errp, VK_EXIT_FAILED, "interrupted"));
  if (!ok) {
    rollback(c, conn);
    refresh_pools(c, conn, false, NULL);
    return false;
  }
  /* The replaced domain's NVRAM file, unless the clone's took its place. */
  if (c->old_undefined && c->old_nvram && (!c->nvram || strcmp(c->old_nvram, c->nvram) != 0))
    unlink(c->old_nvram);
  c->old_undefined = false;
  return true;
}
