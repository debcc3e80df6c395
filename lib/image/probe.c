/* vkit — format detection: which container a file is, by its magic.
 *
 * Every format qemu-img knows is recognised, so that an image vkit cannot
 * read is refused by name instead of being read as raw bytes.  The rules
 * follow the formats' specifications and what qemu-img 7.2 accepts, with
 * deliberate differences that recognise more containers, never fewer: a
 * fixed VHD (its only "conectix" signature is the footer in the last 512
 * bytes) and a dmg (its "koly" trailer; qemu-img goes by the file name)
 * are found at the end of the file; a magic is enough where qemu-img also
 * wants a version it can read (qcow2, parallels, bochs, luks); a vdi is
 * known by the text of its header too; a vmdk descriptor may have blank
 * lines of any kind before its version line.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "util/bytes.h"
#include "util/cleanup.h"

/* As much of the start as QEMU looks at (its probe buffer), and the size
 * of the trailers found at the end. */
#define PROBE_HEAD 2048
#define PROBE_TAIL 512

/* A magic at the start of the file: `len` bytes at offset `off`. */
typedef struct magic {
  vk_image_format fmt;
  size_t off, len;
  const char *bytes;
} magic;

static const magic head_magics[] = {
  { VK_FMT_VMDK, 0, 4, "KDMV" },                  /* sparse extent (version 4) */
  { VK_FMT_VMDK, 0, 4, "COWD" },                  /* ESX sparse (version 3) */
  { VK_FMT_VHDX, 0, 8, "vhdxfile" },              /* file type identifier */
  { VK_FMT_VPC, 0, 8, "conectix" },               /* dynamic VHD: footer copy */
  { VK_FMT_QED, 0, 4, "QED\0" },
  { VK_FMT_LUKS, 0, 6, "LUKS\xba\xbe" },
  { VK_FMT_PARALLELS, 0, 16, "WithoutFreeSpace" },
  { VK_FMT_PARALLELS, 0, 16, "WithouFreSpacExt" },
  { VK_FMT_BOCHS, 0, 23, "Bochs Virtual HD Image\0" },
  { VK_FMT_CLOOP, 0, 23, "#!/bin/sh\n#V2.0 Format\n" },
  { VK_FMT_VDI, 64, 4, "\x7f\x10\xda\xbe" },      /* 0xbeda107f, little-endian */
};

static const magic tail_magics[] = {
  { VK_FMT_VPC, 0, 8, "conectix" },               /* fixed VHD: footer only */
  { VK_FMT_DMG, 0, 4, "koly" },                   /* UDIF trailer */
};

/* The text at the start of a VDI header: "<<< ... Disk Image >>>" (the
 * program that wrote it is in the middle), within its 64 bytes. */
static bool
is_vdi_text(const unsigned char *h)
{
  static const char tail[] = " Disk Image >>>";
  const char *t = (const char *)h;
  size_t n;

  if (memcmp(t, "<<< ", 4) != 0)
    return false;
  n = strnlen(t, 64);
  for (size_t i = 4; i + sizeof tail - 1 <= n; i++)
    if (memcmp(t + i, tail, sizeof tail - 1) == 0)
      return true;
  return false;
}

/* A VMDK text descriptor: "# Disk DescriptorFile" first, or (as QEMU
 * accepts) comment lines and blank lines, then "version=1", "=2" or "=3"
 * on a line of its own. */
static bool
is_vmdk_descriptor(const unsigned char *h, size_t n)
{
  static const char sig[] = "# Disk DescriptorFile";
  const char *p = (const char *)h, *end = p + n;

  if (n >= sizeof sig - 1 && memcmp(p, sig, sizeof sig - 1) == 0)
    return true;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *q = p;

    if (!eol)
      return false;             /* no whole line within the probed bytes */
    if (*p == '#') {
      p = eol + 1;
      continue;
    }
    while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
      q++;
    if (q == eol) {             /* a blank line */
      p = eol + 1;
      continue;
    }
    if (eol - p > 0 && eol[-1] == '\r')
      eol--;
    return eol - p == 9 && memcmp(p, "version=", 8) == 0 && p[8] >= '1' && p[8] <= '3';
  }
  return false;
}

static bool
matches(const magic *m, const unsigned char *buf, size_t n)
{
  return m->off + m->len <= n && memcmp(buf + m->off, m->bytes, m->len) == 0;
}

/* The format of a file whose first bytes are head[0..hn) (zeros past the
 * end of a short file) and whose last 512 bytes are `tail` (NULL for a
 * file shorter than that). */
static vk_image_format
classify(const unsigned char *head, size_t hn, const unsigned char *tail)
{
  if (hn >= 8 && vk_be32(head) == 0x514649fbU)    /* "QFI\xfb" */
    return vk_be32(head + 4) == 1 ? VK_FMT_QCOW : VK_FMT_QCOW2;
  for (size_t i = 0; i < sizeof head_magics / sizeof *head_magics; i++)
    if (matches(&head_magics[i], head, hn))
      return head_magics[i].fmt;
  if (hn >= 64 && is_vdi_text(head))
    return VK_FMT_VDI;
  if (is_vmdk_descriptor(head, hn))
    return VK_FMT_VMDK;
  for (size_t i = 0; tail && i < sizeof tail_magics / sizeof *tail_magics; i++)
    if (matches(&tail_magics[i], tail, PROBE_TAIL))
      return tail_magics[i].fmt;
  return VK_FMT_RAW;
}

bool
vk_host_check_file(int fd, const char *path, struct stat *st, vk_error **errp)
{
  if (fstat(fd, st) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s", path);
  if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))
    return vk_error_set(errp, VK_EXIT_USAGE, "%s is not a regular file or block device", path);
  return true;
}

int
vk_host_open_file(const char *path, int flags, vk_error **errp)
{
  struct stat st;
  int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC);
  int fl;

  if (fd < 0) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s", path);
    return -1;
  }
  if (!vk_host_check_file(fd, path, &st, errp)) {
    close(fd);
    return -1;
  }
  /* O_NONBLOCK was for the open only (a FIFO would block in it). */
  fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s", path);
    close(fd);
    return -1;
  }
  return fd;
}

bool
vk_image_probe_fd(int fd, const char *path, vk_image_format *out, vk_error **errp)
{
  unsigned char head[PROBE_HEAD], tail[PROBE_TAIL];
  struct stat st;
  uint64_t size;

  if (!vk_host_check_file(fd, path, &st, errp))
    return false;
  /* The size without moving the descriptor's offset (it is the caller's). */
  if (S_ISREG(st.st_mode))
    size = (uint64_t)st.st_size;
  else if (ioctl(fd, BLKGETSIZE64, &size) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot get the device size", path);
  /* The head as QEMU sees it: zeros past the end of a short file. */
  memset(head, 0, sizeof head);
  if (!vk_host_pread(fd, head, size < PROBE_HEAD ? (size_t)size : PROBE_HEAD, 0, path, errp))
    return false;
  if (size >= PROBE_TAIL && !vk_host_pread(fd, tail, PROBE_TAIL, size - PROBE_TAIL, path, errp))
    return false;
  *out = size ? classify(head, PROBE_HEAD, size >= PROBE_TAIL ? tail : NULL) : VK_FMT_RAW;
  return true;
}

bool
vk_image_probe(const char *path, vk_image_format *out, vk_error **errp)
{
  CLEANUP_CLOSE int fd = vk_host_open_file(path, O_RDONLY, errp);

  if (fd < 0)
    return false;
  return vk_image_probe_fd(fd, path, out, errp);
}

bool
vk_image_format_resolve_fd(int fd, const char *path, vk_image_format *fmt, vk_error **errp)
{
  if (*fmt != VK_FMT_NONE)
    return vk_image_format_check_supported(*fmt, NULL, errp);
  return vk_image_probe_fd(fd, path, fmt, errp) &&
         vk_image_format_check_supported(*fmt, path, errp);
}

bool
vk_image_format_resolve(const char *path, vk_image_format *fmt, vk_error **errp)
{
  CLEANUP_CLOSE int fd = -1;

  if (*fmt != VK_FMT_NONE)
    return vk_image_format_check_supported(*fmt, NULL, errp);
  fd = vk_host_open_file(path, O_RDONLY, errp);
  return fd >= 0 && vk_image_format_resolve_fd(fd, path, fmt, errp);
}
