/* vkit — `vimg check`: the format is probed or given, the image locked,
 * and the check of its format run (qcow2/check.c; raw has no metadata;
 * the formats vkit only reads: their tables, here). */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "image/check.h"
#include "image/driver.h"
#include "image/image.h"
#include "image/lock.h"

typedef struct used {
  uint64_t host, len, guest;
} used;

static int
by_host(const void *a, const void *b)
{
  const used *x = a, *y = b;

  return x->host < y->host ? -1 : x->host > y->host;
}

/* The check of the formats other than raw and qcow2 (vmdk, vhdx, vpc,
 * vdi, qed): opening it checks its headers and fixed tables; block status
 * over the whole disk reads and checks every table read on demand; no two
 * guest blocks may share host bytes.  A damaged structure is one
 * corruption (its message reported); nothing is repaired, but for a vhdx
 * log that -r replays. */
static bool
check_read_only(const char *path, vk_image_format fmt, vk_check_repair repair, bool force_share,
                vk_check_result *res, vk_check_report_fn *report, void *opaque, vk_error **errp)
{
  vk_image_info info;
  vk_image *img;
  used *u = NULL;
  size_t n = 0, cap = 0;
  uint64_t off = 0, size, cluster;
  vk_error *e = NULL;
  bool ok = true;

  /* -r on a vhdx: opened for writing, which replays a log left by a
   * writer that stopped (the only repair vkit makes to these formats) */
  if (repair && fmt != VK_FMT_VHDX)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: vkit does not repair %s images (-r)", path,
                        vk_image_format_name(fmt));
  img = vk_image_open(path, fmt,
                      VK_IMAGE_NO_BACKING | (force_share ? VK_IMAGE_FORCE_SHARE : 0) |
                          (repair ? VK_IMAGE_RDWR : 0),
                      &e);
  if (!img && e && e->code == VK_EXIT_CORRUPT) {
    res->corruptions = 1;
    if (report)
      report(opaque, e->msg);
    vk_error_free(e);
    return true;
  }
  if (!img) {
    vk_error_propagate(errp, e);
    return false;
  }
  size = vk_image_size(img);
  cluster = vk_image_get_info(img, &info, NULL) && info.cluster_size ? info.cluster_size : 65536;
  res->total_clusters = (size + cluster - 1) / cluster;
  while (ok && off < size) {
    vk_extent x;
    if (!vk_image_block_status_layer(img, off, size - off, &x, &e)) {
      if (e->code == VK_EXIT_CORRUPT) {
        res->corruptions++;
        if (report)
          report(opaque, e->msg);
        vk_error_free(e);
        break;
      }
      vk_error_propagate(errp, e);
      ok = false;
      break;
    }
    if (x.kind == VK_EXTENT_DATA) {
      res->allocated_clusters += (x.length + cluster - 1) / cluster;
      if (x.host_offset >= 0 && x.file && strcmp(x.file, path) == 0) {
        if (n == cap) {
          used *nu = realloc(u, (cap = cap ? cap * 2 : 256) * sizeof *u);
          if (!nu) {
            ok = vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
            break;
          }
          u = nu;
        }
        u[n++] = (used){ (uint64_t)x.host_offset, x.length, off };
      } else if (x.host_offset < 0) {
        res->compressed_clusters += (x.length + cluster - 1) / cluster;
      }
    }
    off += x.length;
  }
  if (ok && n > 1) {
    qsort(u, n, sizeof *u, by_host);
    for (size_t i = 1; i < n; i++)
      if (u[i].host < u[i - 1].host + u[i - 1].len) {
        char msg[160];
        res->corruptions++;
        snprintf(msg, sizeof msg,
                 "the data of guest offset %" PRIu64 " and of guest offset %" PRIu64
                 " share host offset %" PRIu64,
                 u[i - 1].guest, u[i].guest, u[i].host);
        if (report)
          report(opaque, msg);
      }
  }
  free(u);
  {
    struct stat st;
    if (fstat(vk_image_fd(img), &st) == 0)
      res->image_end_offset = (uint64_t)st.st_size;
  }
  vk_image_close(img, NULL);
  return ok;
}

bool
vk_check(const char *path, const char *format, vk_check_repair repair,
         bool force_share, vk_check_result *res, vk_check_report_fn *report,
         void *opaque, vk_error **errp)
{
  vk_image_format fmt = VK_FMT_NONE;
  int fd;
  bool ok;

  memset(res, 0, sizeof *res);
  if (format && !vk_image_format_parse(format, &fmt, errp))
    return false;
  if (repair && force_share)
    return vk_error_set(errp, VK_EXIT_USAGE, "-r cannot be used with -U");
  if (!vk_image_format_resolve(path, &fmt, errp))
    return false;
  res->format = vk_image_format_name(fmt);
  if (fmt != VK_FMT_QCOW2 && fmt != VK_FMT_RAW)
    return check_read_only(path, fmt, repair, force_share, res, report, opaque, errp);
  if (fmt != VK_FMT_QCOW2)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: %s images have no metadata to check", path,
                        vk_image_format_name(fmt));
  fd = vk_host_open_file(path, repair ? O_RDWR : O_RDONLY, errp);
  if (fd < 0)
    return false;
  if (!vk_image_lock(fd, path, repair ? VK_LOCK_WRITE : force_share ? VK_LOCK_NONE : VK_LOCK_READ,
                     errp)) {
    close(fd);
    return false;
  }
  ok = vk_check_qcow2_fd(fd, path, repair, res, report, opaque, errp);
  if (close(fd) < 0 && ok && repair)
    ok = vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: close", path);
  return ok;
}
