/* test-image-io — drive the image engine from shell tests (not a test
 * itself): a tiny qemu-io for vkit.
 *
 *   test-image-io [-f FMT] [-r] [-U] FILE CMD ARGS [CMD ARGS]...
 *
 * Commands (offsets and lengths accept size suffixes):
 *   write OFF LEN BYTE       LEN bytes of value BYTE
 *   wrand OFF LEN SEED       pseudo-random bytes
 *   zero OFF LEN             zero write (keeps allocation)
 *   zunmap OFF LEN           zero write that may deallocate
 *   discard OFF LEN
 *   compress OFF KIND        one cluster, compressed: KIND is a byte value,
 *                            "rand" (incompressible) or "text"
 *   read OFF LEN BYTE        verify; exit 1 on a mismatch
 *   dump OUT                 the whole guest disk into the raw file OUT
 *   readall                  read the whole disk (and its block status)
 *   flush
 *   hold SECONDS             keep the image open
 *   crashloop JOURNAL        endless writes into numbered slots; after each
 *                            flush, the number of the last flushed slot is
 *                            appended to JOURNAL
 *   crashcheck JOURNAL       verify every slot up to the last journal entry
 * Exit status: 0, or the vkit exit status of the first error.
 */
#include <config.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/compress.h"
#include "image/image.h"
#include "util/size.h"

/* Error paths exit with buffers still allocated: not worth reporting. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
  return "detect_leaks=0";
}

static vk_image *img;
static const char *prog = "test-image-io";

static int
die(vk_error *err)
{
  int code = err ? err->code : 1;
  fprintf(stderr, "%s: %s\n", prog, err ? err->msg : "failed");
  vk_error_free(err);
  vk_image_close(img, NULL);
  exit(code);
}

static uint64_t
num(const char *s)
{
  vk_error *err = NULL;
  uint64_t v;
  if (!vk_parse_size(s, &v, &err))
    die(err);
  return v;
}

static void
fill_rand(unsigned char *p, size_t n, uint64_t seed)
{
  uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    p[i] = (unsigned char)((x * 2685821657736338717ULL) >> 56);
  }
}

/* Slot i of the crash loop: 3 clusters of space, data at an offset and
 * length derived from i. */
static void
slot(uint64_t i, uint32_t cs, uint64_t *off, uint64_t *len)
{
  uint64_t base = i * 3 * (uint64_t)cs;
  *off = base + (i * 977) % cs;
  *len = 1 + (i * 7919) % (2 * (uint64_t)cs);
}

int
main(int argc, char **argv)
{
  vk_image_format fmt = VK_FMT_NONE;
  unsigned flags = VK_IMAGE_RDWR;
  vk_error *err = NULL;
  int i = 1;

  while (i < argc && argv[i][0] == '-') {
    if (strcmp(argv[i], "-f") == 0 && i + 1 < argc) {
      if (!vk_image_format_parse(argv[i + 1], &fmt, &err))
        die(err);
      i += 2;
    } else if (strcmp(argv[i], "-r") == 0) {
      flags &= ~(unsigned)VK_IMAGE_RDWR;
      i++;
    } else if (strcmp(argv[i], "-U") == 0) {
      flags = VK_IMAGE_FORCE_SHARE;
      i++;
    } else {
      break;
    }
  }
  if (i >= argc) {
    fprintf(stderr, "usage: %s [-f FMT] [-r] [-U] FILE CMD ARGS...\n", prog);
    return 2;
  }
  img = vk_image_open(argv[i++], fmt, flags, &err);
  if (!img)
    die(err);

  while (i < argc) {
    const char *cmd = argv[i++];
#define NEED(n) do { if (i + (n) > argc) { fprintf(stderr, "%s: %s: missing arguments\n", prog, cmd); return 2; } } while (0)
    if (!strcmp(cmd, "write") || !strcmp(cmd, "wrand") || !strcmp(cmd, "read")) {
      NEED(3);
      uint64_t off = num(argv[i]), len = num(argv[i + 1]);
      unsigned char *p = malloc(len ? len : 1), *q = NULL;
      if (!strcmp(cmd, "wrand"))
        fill_rand(p, len, num(argv[i + 2]));
      else
        memset(p, (int)strtol(argv[i + 2], NULL, 0), len);
      if (!strcmp(cmd, "read")) {
        q = malloc(len ? len : 1);
        if (!vk_image_pread(img, q, len, off, &err))
          die(err);
        for (uint64_t k = 0; k < len; k++)
          if (p[k] != q[k]) {
            fprintf(stderr, "%s: mismatch at %" PRIu64 ": %#x, expected %#x\n", prog, off + k,
                    q[k], p[k]);
            vk_image_close(img, NULL);
            return 1;
          }
      } else if (!vk_image_pwrite(img, p, len, off, &err)) {
        die(err);
      }
      free(p);
      free(q);
      i += 3;
    } else if (!strcmp(cmd, "zero") || !strcmp(cmd, "zunmap") || !strcmp(cmd, "discard")) {
      NEED(2);
      uint64_t off = num(argv[i]), len = num(argv[i + 1]);
      bool okk = !strcmp(cmd, "discard") ? vk_image_discard(img, off, len, &err)
                 : vk_image_pwrite_zeroes(img, off, len,
                                          !strcmp(cmd, "zunmap") ? VK_ZERO_MAY_UNMAP : 0, &err);
      if (!okk)
        die(err);
      i += 2;
    } else if (!strcmp(cmd, "compress")) {
      NEED(2);
      uint64_t off = num(argv[i]);
      uint32_t cs = vk_image_cluster_size(img);
      unsigned char *p = malloc(cs), *c = malloc(cs);
      long n;
      if (!strcmp(argv[i + 1], "rand")) {
        fill_rand(p, cs, off);
      } else if (!strcmp(argv[i + 1], "text")) {
        for (uint32_t k = 0; k < cs; k++)
          p[k] = (unsigned char)"vkit compresses text like this line, mostly. "[(k + off / 512) % 46];
      } else {
        memset(p, (int)strtol(argv[i + 1], NULL, 0), cs);
      }
      n = vk_compress(vk_image_compression(img), c, cs - 1, p, cs, &err);
      if (n < 0)
        die(err);
      if (n == 0) {
        if (!vk_image_pwrite(img, p, cs, off, &err))
          die(err);
      } else if (!vk_image_write_compressed(img, off, c, (size_t)n, &err)) {
        die(err);
      }
      free(p);
      free(c);
      i += 2;
    } else if (!strcmp(cmd, "dump") || !strcmp(cmd, "readall")) {
      bool dump = !strcmp(cmd, "dump");
      int fd = -1;
      uint64_t size = vk_image_size(img), off = 0;
      unsigned char *p = malloc(1 << 20);
      if (dump) {
        NEED(1);
        fd = open(argv[i++], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
          perror(prog);
          return 1;
        }
      }
      while (off < size) {
        vk_extent e;
        uint64_t n;
        if (!vk_image_block_status(img, off, size - off, &e, &err))
          die(err);
        n = e.length;
        if ((e.kind == VK_EXTENT_DATA || !dump) && n > (1 << 20))
          n = 1 << 20;
        if (e.kind == VK_EXTENT_DATA || !dump) {
          if (!vk_image_pread(img, p, n, off, &err))
            die(err);
          if (dump && pwrite(fd, p, n, (off_t)off) != (ssize_t)n) {
            perror(prog);
            return 1;
          }
        }
        off += n;
      }
      free(p);
      if (fd >= 0)
        close(fd);
    } else if (!strcmp(cmd, "flush")) {
      if (!vk_image_flush(img, &err))
        die(err);
    } else if (!strcmp(cmd, "hold")) {
      NEED(1);
      printf("holding\n");
      fflush(stdout);
      sleep((unsigned)atoi(argv[i++]));
    } else if (!strcmp(cmd, "crashloop") || !strcmp(cmd, "crashcheck")) {
      NEED(1);
      uint32_t cs = vk_image_cluster_size(img);
      uint64_t nslots = vk_image_size(img) / (3 * (uint64_t)cs), off, len;
      unsigned char *p = malloc(2 * (size_t)cs + 1), *q = malloc(2 * (size_t)cs + 1);
      if (!strcmp(cmd, "crashloop")) {
        FILE *j = fopen(argv[i], "a");
        for (uint64_t s = 0; s < nslots; s++) {
          slot(s, cs, &off, &len);
          memset(p, (int)(s % 250) + 1, len);
          if (!vk_image_pwrite(img, p, len, off, &err))
            die(err);
          if (s % 5 == 4) {
            if (!vk_image_flush(img, &err))
              die(err);
            fprintf(j, "%" PRIu64 "\n", s);
            fflush(j);
            fdatasync(fileno(j));
          }
        }
        fclose(j);
      } else {
        FILE *j = fopen(argv[i], "r");
        uint64_t last = 0, v;
        bool any = false;
        while (j && fscanf(j, "%" SCNu64, &v) == 1) {
          last = v;
          any = true;
        }
        if (j)
          fclose(j);
        for (uint64_t s = 0; any && s <= last; s++) {
          slot(s, cs, &off, &len);
          if (!vk_image_pread(img, q, len, off, &err))
            die(err);
          for (uint64_t k = 0; k < len; k++)
            if (q[k] != (unsigned char)((s % 250) + 1)) {
              fprintf(stderr, "%s: slot %" PRIu64 " lost (flushed up to %" PRIu64 ")\n", prog,
                      s, last);
              vk_image_close(img, NULL);
              return 1;
            }
        }
        printf("%" PRIu64 "\n", any ? last + 1 : 0);
      }
      free(p);
      free(q);
      i++;
    } else {
      fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
      vk_image_close(img, NULL);
      return 2;
    }
  }
  if (!vk_image_close(img, &err)) {
    img = NULL;
    die(err);
  }
  return 0;
}
