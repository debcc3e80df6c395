/* Unit tests: the convert pipeline (thread counts, odd sizes, several
 * sources, compression, cluster sizes) checked with vk_compare and
 * vk_check, and the refcount arithmetic of measure. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/check.h"
#include "image/compare.h"
#include "image/convert.h"
#include "image/image.h"
#include "image/measure.h"
#include "tap.h"

static char dir[] = "/tmp/vkit-test-convert.XXXXXX";

/* A raw file of `size` bytes: data, zeros and holes by a fixed pattern. */
static void
make_raw(const char *path, uint64_t size, unsigned seed)
{
  FILE *f = fopen(path, "w");
  unsigned char buf[4096];

  if (!f || ftruncate(fileno(f), (off_t)size) != 0)
    abort();
  for (uint64_t off = 0; off < size; off += sizeof buf) {
    unsigned kind = (unsigned)((off / sizeof buf) * 2654435761u + seed) % 4;
    size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
    if (kind == 0)
      continue;                 /* hole */
    for (size_t i = 0; i < n; i++)
      buf[i] = kind == 1 ? 0 : kind == 2 ? (unsigned char)(rand_r(&seed)) : (unsigned char)"vkit "[i % 5];
    if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fwrite(buf, 1, n, f) != n)
      abort();
  }
  fclose(f);
}

/* Convert and compare the result with `ref` (a raw file). */
static void
convert_case(const char **src, int nsrc, const char *ref, const char *fmt,
             const char *opts, bool compress, int threads, const char *name)
{
  char dst[256];
  vk_convert_opts o;
  vk_error *err = NULL;
  vk_compare_result r;
  vk_image *a, *b;
  bool done;

  snprintf(dst, sizeof dst, "%s/out", dir);
  unlink(dst);
  vk_convert_opts_init(&o);
  o.src = src;
  o.nsrc = nsrc;
  o.src_fmt = "raw";
  o.dst = dst;
  o.dst_fmt = fmt;
  o.options = opts;
  o.compress = compress;
  o.threads = threads;
  done = vk_convert(&o, &err);
  if (!ok(done, "%s: convert", name)) {
    printf("#   %s\n", err ? err->msg : "?");
    vk_error_free(err);
    return;
  }
  a = vk_image_open(ref, VK_FMT_RAW, 0, NULL);
  b = vk_image_open(dst, strcmp(fmt, "raw") ? VK_FMT_QCOW2 : VK_FMT_RAW, 0, NULL);
  ok(a && b && vk_compare(a, b, false, &r, NULL, NULL, NULL) && r.diff == VK_COMPARE_SAME,
     "%s: same contents", name);
  vk_image_close(a, NULL);
  vk_image_close(b, NULL);
  if (strcmp(fmt, "qcow2") == 0) {
    vk_check_result c;
    ok(vk_check(dst, "qcow2", VK_CHECK_REPAIR_NONE, false, &c, NULL, NULL, NULL) &&
       c.corruptions == 0 && c.leaks == 0, "%s: check clean", name);
  }
}

int
main(void)
{
  char a[256], b[256], cat[256], cmd[1024];
  const char *one[1], *two[2];

  if (!mkdtemp(dir))
    return 1;
  snprintf(a, sizeof a, "%s/a.raw", dir);
  snprintf(b, sizeof b, "%s/b.raw", dir);
  snprintf(cat, sizeof cat, "%s/cat.raw", dir);
  make_raw(a, 3 * 1048576 + 4096 * 3, 1);
  make_raw(b, 1048576 + 512, 2);
  snprintf(cmd, sizeof cmd, "cat '%s' '%s' > '%s'", a, b, cat);
  if (system(cmd) != 0)
    return 1;
  one[0] = a;
  two[0] = a;
  two[1] = b;

  for (int t = 1; t <= 5; t += 2) {
    char name[64];
    snprintf(name, sizeof name, "raw->raw threads=%d", t);
    convert_case(one, 1, a, "raw", NULL, false, t, name);
    snprintf(name, sizeof name, "raw->qcow2 threads=%d", t);
    convert_case(one, 1, a, "qcow2", NULL, false, t, name);
    snprintf(name, sizeof name, "raw->qcow2 zlib threads=%d", t);
    convert_case(one, 1, a, "qcow2", NULL, true, t, name);
  }
  convert_case(one, 1, a, "qcow2", "cluster_size=512", false, 2, "cluster_size=512");
  convert_case(one, 1, a, "qcow2", "cluster_size=2M,compression_type=zstd", true, 2,
               "cluster_size=2M zstd");
  convert_case(one, 1, a, "qcow2", "cluster_size=4k,refcount_bits=1", true, 3,
               "cluster_size=4k refcount_bits=1 zlib");
  convert_case(two, 2, cat, "raw", NULL, false, 2, "two sources -> raw (odd size)");
  convert_case(two, 2, cat, "qcow2", NULL, true, 2, "two sources -> compressed qcow2");

  is_u64(vk_measure_refcount_size(16388, 65536, 4), 131072, "refcounts for 1 GiB, 64k clusters");
  is_u64(vk_measure_refcount_size(1, 65536, 4), 131072, "refcounts count themselves");
  is_u64(vk_measure_refcount_size(1u << 20, 512, 0), (uint64_t)(257 + 5) * 512,
         "refcount_bits=1, 512-byte clusters");

  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    return 1;
  return tap_done();
}
