/* vkit — ISO 9660 images, written and read with libarchive. */
#include <config.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/iso.h"
#include "util/text.h"

#define ISO_SECTOR 2048
#define ISO_PVD_LBA 16   /* the primary volume descriptor's sector */
#define ISO_VOLID_OFF 40 /* its volume identifier: 32 d-characters */
#define ISO_VOLID_LEN 32

static bool
archive_fail(vk_error **errp, struct archive *a, const char *what, const char *path)
{
  const char *msg = archive_error_string(a);

  return vk_error_set(errp, VK_EXIT_FAILED, "%s %s: %s", what, path,
                      msg ? msg : "libarchive failed");
}

static bool
set_opt(struct archive *a, const char *key, const char *value, const char *path, vk_error **errp)
{
  if (archive_write_set_format_option(a, "iso9660", key, value) != ARCHIVE_OK)
    return archive_fail(errp, a, "cannot write", path);
  return true;
}

static bool
write_all(struct archive *a, int fd, const char *path, const char *label, const vk_iso_file *files,
          size_t n, vk_error **errp)
{
  time_t now = time(NULL);

  if (archive_write_set_format_iso9660(a) != ARCHIVE_OK ||
      !set_opt(a, "volume-id", label, path, errp) || !set_opt(a, "rockridge", "1", path, errp) ||
      !set_opt(a, "joliet", "1", path, errp) || archive_write_open_fd(a, fd) != ARCHIVE_OK)
    return archive_fail(errp, a, "cannot write", path);
  for (size_t i = 0; i < n; i++) {
    struct archive_entry *e = archive_entry_new();
    bool ok;

    if (!e)
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    archive_entry_set_pathname(e, files[i].name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0444);
    archive_entry_set_size(e, (la_int64_t)files[i].len);
    archive_entry_set_mtime(e, now, 0);
    ok = archive_write_header(a, e) == ARCHIVE_OK &&
         (files[i].len == 0 ||
          archive_write_data(a, files[i].data, files[i].len) == (la_ssize_t)files[i].len);
    archive_entry_free(e);
    if (!ok)
      return archive_fail(errp, a, "cannot write", path);
  }
  if (archive_write_close(a) != ARCHIVE_OK)
    return archive_fail(errp, a, "cannot write", path);
  return true;
}

/* libarchive (before 3.7) upper-cases the volume id, as ISO 9660 wants;
 * NoCloud before cloud-init 19 looks for "cidata" in lower case only (and
 * blkid reads the Joliet label when there is one).  Put the label as given
 * into the primary descriptor (d-characters) and into the Joliet
 * supplementary ones (UCS-2 big endian) of the image just written. */
static bool
restore_label(int fd, const char *path, const char *label, vk_error **errp)
{
  unsigned char vd[ISO_SECTOR];
  size_t n = strlen(label);

  if (n > ISO_VOLID_LEN)
    n = ISO_VOLID_LEN;
  for (unsigned lba = ISO_PVD_LBA; lba < ISO_PVD_LBA + 32; lba++) {
    bool joliet;
    if (pread(fd, vd, ISO_SECTOR, (off_t)lba * ISO_SECTOR) != ISO_SECTOR ||
        memcmp(vd + 1, "CD001", 5) != 0)
      return vk_error_set(errp, VK_EXIT_FAILED, "cannot write %s: no volume descriptors", path);
    if (vd[0] == 255) /* the set terminator */
      return true;
    /* a Joliet descriptor: escape sequence %/@, %/C or %/E at 88 */
    joliet = vd[0] == 2 && vd[88] == '%' && vd[89] == '/' &&
             (vd[90] == '@' || vd[90] == 'C' || vd[90] == 'E');
    if (vd[0] == 1) {
      memset(vd + ISO_VOLID_OFF, ' ', ISO_VOLID_LEN);
      memcpy(vd + ISO_VOLID_OFF, label, n);
    } else if (joliet) {
      for (size_t i = 0; i < ISO_VOLID_LEN / 2; i++) {
        vd[ISO_VOLID_OFF + 2 * i] = 0;
        vd[ISO_VOLID_OFF + 2 * i + 1] = i < n ? (unsigned char)label[i] : ' ';
      }
    } else {
      continue;
    }
    if (pwrite(fd, vd, ISO_SECTOR, (off_t)lba * ISO_SECTOR) != ISO_SECTOR)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot write %s", path);
  }
  return vk_error_set(errp, VK_EXIT_FAILED, "cannot write %s: no volume descriptor set terminator",
                      path);
}

bool
vk_iso_write(const char *path, const char *label, const vk_iso_file *files, size_t n, unsigned mode,
             vk_error **errp)
{
  struct archive *a;
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  bool ok;

  if (fd < 0)
    return vk_error_set_errno(errp, errno == EEXIST ? VK_EXIT_BUSY : VK_EXIT_FAILED, errno,
                              "cannot create %s", path);
  a = archive_write_new();
  if (!a) {
    close(fd);
    unlink(path);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  ok = write_all(a, fd, path, label, files, n, errp);
  archive_write_free(a);
  ok = ok && restore_label(fd, path, label, errp);
  if (ok && fsync(fd) < 0)
    ok = vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot write %s", path);
  if (close(fd) < 0 && ok)
    ok = vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot write %s", path);
  if (!ok)
    unlink(path);
  return ok;
}

/* The primary volume descriptor's sector, checked. */
static bool
read_pvd(const char *path, unsigned char *pvd, vk_error **errp)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t r;

  if (fd < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot open %s", path);
  r = pread(fd, pvd, ISO_SECTOR, (off_t)ISO_PVD_LBA * ISO_SECTOR);
  close(fd);
  if (r < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot read %s", path);
  /* type 1, "CD001", version 1 */
  if (r != ISO_SECTOR || pvd[0] != 1 || memcmp(pvd + 1, "CD001", 5) != 0 || pvd[6] != 1)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s is not an ISO 9660 image", path);
  return true;
}

bool
vk_iso_is_iso(const char *path)
{
  unsigned char pvd[ISO_SECTOR];

  return read_pvd(path, pvd, NULL);
}

char *
vk_iso_volume_id(const char *path, vk_error **errp)
{
  unsigned char pvd[ISO_SECTOR];
  size_t len = ISO_VOLID_LEN;
  char *id;

  if (!read_pvd(path, pvd, errp))
    return NULL;
  while (len && (pvd[ISO_VOLID_OFF + len - 1] == ' ' || pvd[ISO_VOLID_OFF + len - 1] == '\0'))
    len--;
  for (size_t i = 0; i < len; i++)
    if (pvd[ISO_VOLID_OFF + i] < 0x20 || pvd[ISO_VOLID_OFF + i] > 0x7e) {
      vk_error_set(errp, VK_EXIT_CORRUPT, "%s: the volume identifier is not text", path);
      return NULL;
    }
  id = strndup((const char *)pvd + ISO_VOLID_OFF, len);
  if (!id)
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return id;
}

/* Does the archive's name for an entry name `want`?  Leading "./" or "/"
 * and an ISO 9660 version (";1") are not part of the name; without Rock
 * Ridge, names are upper case on the disc. */
static bool
same_name(const char *have, const char *want)
{
  size_t n;

  while (*have == '.' && have[1] == '/')
    have += 2;
  while (*have == '/')
    have++;
  n = strlen(have);
  if (n > 2 && have[n - 2] == ';' && have[n - 1] == '1')
    n -= 2;
  return n == strlen(want) && strncasecmp(have, want, n) == 0;
}

static bool
copy_out(struct archive *a, const char *iso, const char *name, const char *dest, vk_error **errp)
{
  int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  const void *buf;
  size_t size;
  la_int64_t off;
  int r = ARCHIVE_OK;
  bool ok = true;

  if (fd < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot create %s", dest);
  while (ok && (r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
    const char *p = buf;
    while (ok && size) {
      ssize_t w = pwrite(fd, p, size, (off_t)off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        ok = vk_error_set_errno(errp, VK_EXIT_FAILED, w < 0 ? errno : ENOSPC, "cannot write %s",
                                dest);
      else
        p += w, size -= (size_t)w, off += w;
    }
  }
  if (ok && r != ARCHIVE_EOF)
    ok = vk_error_set(errp, VK_EXIT_CORRUPT, "cannot read %s from %s: %s", name, iso,
                      archive_error_string(a) ? archive_error_string(a) : "damaged image");
  if (close(fd) < 0 && ok)
    ok = vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot write %s", dest);
  if (!ok)
    unlink(dest);
  return ok;
}

static bool
copy_mem(struct archive *a, const char *iso, const char *name, size_t max, char **data, size_t *len,
         vk_error **errp)
{
  char *buf = malloc(max + 1);
  la_ssize_t r = 0;
  size_t n = 0;

  if (!buf)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  while (n < max && (r = archive_read_data(a, buf + n, max - n)) > 0)
    n += (size_t)r;
  if (n < max && r < 0) {
    free(buf);
    return vk_error_set(errp, VK_EXIT_CORRUPT, "cannot read %s from %s: %s", name, iso,
                        archive_error_string(a) ? archive_error_string(a) : "damaged image");
  }
  buf[n] = '\0';
  *data = buf;
  *len = n;
  return true;
}

bool
vk_iso_read(const char *iso, const char *name, const char *dest, size_t max, char **data,
            size_t *len, vk_error **errp)
{
  struct archive *a = archive_read_new();
  struct archive_entry *e;
  bool ok = false, found = false;
  int r;

  if (!a)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (archive_read_support_format_iso9660(a) != ARCHIVE_OK ||
      archive_read_open_filename(a, iso, 64 * 1024) != ARCHIVE_OK) {
    int code = archive_errno(a) == ENOENT ? VK_EXIT_NOTFOUND : VK_EXIT_FAILED;
    vk_error_set(errp, code, "cannot read %s: %s", iso,
                 archive_error_string(a) ? archive_error_string(a) : "not an ISO image");
    archive_read_free(a);
    return false;
  }
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    if (archive_entry_filetype(e) != AE_IFREG || !same_name(archive_entry_pathname(e), name))
      continue;
    found = true;
    ok = dest ? copy_out(a, iso, name, dest, errp) : copy_mem(a, iso, name, max, data, len, errp);
    break;
  }
  if (!found) {
    if (r == ARCHIVE_EOF)
      vk_error_set(errp, VK_EXIT_NOTFOUND, "%s has no %s", iso, name);
    else
      vk_error_set(errp, VK_EXIT_CORRUPT, "cannot read %s: %s", iso,
                   archive_error_string(a) ? archive_error_string(a) : "damaged image");
  }
  archive_read_free(a);
  return ok;
}

int
vk_iso_find(const char *iso, const char *const *names, size_t n)
{
  struct archive *a = archive_read_new();
  struct archive_entry *e;
  size_t best = n;
  int r;

  if (!a)
    return -1;
  /* one pass over the directory records: the earliest name in `names`
   * that the image has wins */
  if (archive_read_support_format_iso9660(a) == ARCHIVE_OK &&
      archive_read_open_filename(a, iso, 64 * 1024) == ARCHIVE_OK)
    while (best > 0 && ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN))
      for (size_t i = 0; i < best; i++)
        if (archive_entry_filetype(e) == AE_IFREG &&
            same_name(archive_entry_pathname(e), names[i])) {
          best = i;
          break;
        }
  archive_read_free(a);
  return best < n ? (int)best : -1;
}

static bool
append_one(struct archive *a, const char *path, const char *file, vk_error **errp)
{
  size_t len;
  char *data = vk_read_file_max(file, SIZE_MAX, &len, errp);
  const char *base = strrchr(file, '/');
  struct archive_entry *e;
  bool ok;

  if (!data)
    return false;
  if (!(e = archive_entry_new())) {
    free(data);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  archive_entry_set_pathname(e, base ? base + 1 : file);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, (la_int64_t)len);
  archive_entry_set_mtime(e, time(NULL), 0);
  ok = archive_write_header(a, e) == ARCHIVE_OK &&
       (len == 0 || archive_write_data(a, data, len) == (la_ssize_t)len);
  archive_entry_free(e);
  free(data);
  return ok || archive_fail(errp, a, "cannot write", path);
}

bool
vk_cpio_append(const char *path, char *const *files, size_t n, vk_error **errp)
{
  int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  struct archive *a;
  bool ok;

  if (fd < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot open %s", path);
  if (!(a = archive_write_new())) {
    close(fd);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  ok = (archive_write_set_format_cpio_newc(a) == ARCHIVE_OK &&
        archive_write_add_filter_gzip(a) == ARCHIVE_OK &&
        /* no padding to a 10 KiB block: the archive ends where it ends */
        archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK &&
        archive_write_open_fd(a, fd) == ARCHIVE_OK) ||
       archive_fail(errp, a, "cannot write", path);
  for (size_t i = 0; ok && i < n; i++)
    ok = append_one(a, path, files[i], errp);
  if (ok && archive_write_close(a) != ARCHIVE_OK)
    ok = archive_fail(errp, a, "cannot write", path);
  archive_write_free(a);
  if (close(fd) < 0 && ok)
    ok = vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot write %s", path);
  return ok;
}
