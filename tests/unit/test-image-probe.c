/* Unit tests for lib/image/probe.c: the rules at their edges, on files
 * written here (the bats suite image-probe.bats covers real images). */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"
#include "tap.h"

static char dir[] = "/tmp/vk-probe-XXXXXX";

/* Write `len` bytes of `head` at 0 (and `tail` at size-512 when given)
 * into a file of `size` bytes; return what the probe says, "error" when
 * it fails. */
static const char *
probe(const void *head, size_t len, const void *tail, size_t tlen, off_t size)
{
  static char path[64];
  static const char *res;
  vk_image_format fmt;
  vk_error *err = NULL;
  int fd;

  snprintf(path, sizeof path, "%s/img", dir);
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, size) < 0 || pwrite(fd, head, len, 0) != (ssize_t)len ||
      (tail && pwrite(fd, tail, tlen, size - 512) != (ssize_t)tlen))
    return "setup failed";
  close(fd);
  res = vk_image_probe(path, &fmt, &err) ? vk_image_format_name(fmt) : "error";
  vk_error_free(err);
  unlink(path);
  return res;
}

#define P(s, size) probe(s, sizeof s - 1, NULL, 0, size)

int
main(void)
{
  vk_image_format fmt;
  vk_error *err = NULL;
  char path[64];

  if (!mkdtemp(dir))
    return 1;

  /* qcow and qcow2 share a magic; the version tells them apart. */
  is_str(P("QFI\xfb\0\0\0\1", 4096), "qcow", "QFI magic, version 1: qcow");
  is_str(P("QFI\xfb\0\0\0\2", 4096), "qcow2", "QFI magic, version 2: qcow2");
  is_str(P("QFI\xfb\0\0\0\3", 4096), "qcow2", "QFI magic, version 3: qcow2");
  is_str(P("QFI\xfb\0\0\0\0", 4096), "qcow2", "QFI magic, version 0: qcow2 (its driver refuses it)");
  is_str(P("QFI", 3), "raw", "three bytes of the magic: raw");

  /* VMDK text descriptors. */
  is_str(P("# Disk DescriptorFile\nwhatever", 100), "vmdk", "descriptor signature");
  is_str(P("version=1\n", 10), "vmdk", "version= first");
  is_str(P("# a\n# b\n  \n\t\r\n\nversion=3\r\nCID=1\n", 40), "vmdk", "comments, blank lines, CRLF");
  is_str(P("# a\nversion=4\n", 14), "raw", "version 4 is no descriptor");
  is_str(P("# a\nversion=1 \n", 15), "raw", "trailing space");
  is_str(P("# a\nversion=1", 13), "raw", "no end of line");
  is_str(P("# a\nCID=1\nversion=1\n", 20), "raw", "version= not the first line");
  is_str(P("#!/bin/sh\necho hello\n", 21), "raw", "a shell script");

  /* cloop: the whole header line pair, not a prefix of it. */
  is_str(P("#!/bin/sh\n#V2.0 Format\n", 23), "cloop", "cloop header");
  is_str(P("#!/bin/sh\n#V2.0 Forma", 21), "raw", "cut cloop header");

  /* VDI: the signature at 64, or the header text. */
  {
    unsigned char h[72] = { 0 };
    memcpy(h + 64, "\x7f\x10\xda\xbe", 4);
    is_str(probe(h, sizeof h, NULL, 0, 4096), "vdi", "VDI signature at 64");
    memcpy(h + 60, "\x7f\x10\xda\xbe", 4);
    memset(h + 64, 0, 4);
    is_str(probe(h, sizeof h, NULL, 0, 4096), "raw", "VDI signature at 60: raw");
  }
  is_str(P("<<< QEMU VM Virtual Disk Image >>>\n", 4096), "vdi", "VDI text");
  is_str(P("<<< not a disk >>>\n", 4096), "raw", "other <<< text");

  /* Trailers at the end, and nowhere else. */
  is_str(probe("", 0, "conectix", 8, 1 << 20), "vpc", "VHD footer at the end");
  is_str(probe("", 0, "koly", 4, 1 << 20), "dmg", "koly trailer at the end");
  is_str(probe("", 0, "koly", 4, 512), "dmg", "koly in a 512-byte file");
  is_str(probe("x", 1, "koly", 4, 511 + 512), "dmg", "file size not a multiple of 512");
  {
    static const char mid[] = "conectix";
    char buf[1024] = { 0 };
    memcpy(buf + 256, mid, 8);
    is_str(probe(buf, sizeof buf, NULL, 0, 1 << 20), "raw", "conectix in the middle: raw");
  }

  /* The rest of the magics. */
  is_str(P("KDMV", 4096), "vmdk", "KDMV");
  is_str(P("COWD", 4096), "vmdk", "COWD");
  is_str(P("vhdxfile", 4096), "vhdx", "vhdxfile");
  is_str(P("conectix", 4096), "vpc", "conectix at 0");
  is_str(P("QED\0", 4096), "qed", "QED");
  is_str(P("QED!", 4096), "raw", "QED without its NUL");
  is_str(P("LUKS\xba\xbe\0\2", 4096), "luks", "LUKS, version 2 too");
  is_str(P("WithoutFreeSpace", 4096), "parallels", "WithoutFreeSpace");
  is_str(P("WithouFreSpacExt", 4096), "parallels", "WithouFreSpacExt");
  is_str(P("Bochs Virtual HD Image\0", 4096), "bochs", "bochs magic");
  is_str(P("Bochs Virtual HD Images", 4096), "raw", "bochs magic without its NUL");
  is_str(P("", 0), "raw", "empty file");
  is_str(P("\0\0\0\0", 1 << 20), "raw", "zeros");

  /* Not a regular file or a block device: a usage error, at once. */
  snprintf(path, sizeof path, "%s/fifo", dir);
  ok(mkfifo(path, 0600) == 0, "mkfifo");
  ok(!vk_image_probe(path, &fmt, &err) && err && err->code == VK_EXIT_USAGE,
     "a FIFO is a usage error");
  ok(err && strstr(err->msg, "is not a regular file or block device") != NULL, "its message");
  vk_error_free(err);
  err = NULL;
  unlink(path);
  ok(!vk_image_probe(dir, &fmt, &err) && err && err->code == VK_EXIT_USAGE,
     "a directory is a usage error");
  vk_error_free(err);
  err = NULL;
  ok(!vk_image_probe("/dev/null", &fmt, &err) && err && err->code == VK_EXIT_USAGE,
     "a character device is a usage error");
  vk_error_free(err);
  err = NULL;

  /* Names, and which formats are supported. */
  for (int f = VK_FMT_RAW; f <= VK_FMT_BOCHS; f++) {
    vk_image_format back = VK_FMT_NONE;
    bool known = vk_image_format_parse(vk_image_format_name((vk_image_format)f), &back, NULL);
    ok(known && back == (vk_image_format)f, "format %s: its name parses back",
       vk_image_format_name((vk_image_format)f));
    ok(vk_image_format_check_supported((vk_image_format)f, NULL, NULL) ==
           (f == VK_FMT_RAW || f == VK_FMT_QCOW2 || f == VK_FMT_VPC || f == VK_FMT_VDI ||
            f == VK_FMT_VMDK || f == VK_FMT_VHDX || f == VK_FMT_QED),
       "format %s: read only if raw, qcow2, vmdk, vhdx, vpc, vdi or qed",
       vk_image_format_name((vk_image_format)f));
    ok(vk_image_format_writable((vk_image_format)f) == (f == VK_FMT_RAW || f == VK_FMT_QCOW2),
       "format %s: written only if raw or qcow2", vk_image_format_name((vk_image_format)f));
  }
  ok(!vk_image_format_parse("none", &fmt, NULL), "'none' is not a format name");
  ok(!vk_image_format_check_supported(VK_FMT_DMG, "x.dmg", &err) && err &&
         err->code == VK_EXIT_USAGE,
     "dmg refused with a usage error");
  is_str(err ? err->msg : NULL,
         "x.dmg is a dmg image; vkit reads only raw, qcow2, vmdk, vhdx, vpc, vdi and qed images",
         "message naming the file");
  vk_error_free(err);
  err = NULL;
  vk_image_format_check_supported(VK_FMT_LUKS, NULL, &err);
  is_str(
      err ? err->msg : NULL,
      "luks images are not supported; vkit reads only raw, qcow2, vmdk, vhdx, vpc, vdi and qed images",
      "message for a format given");
  vk_error_free(err);

  rmdir(dir);
  return tap_done();
}
