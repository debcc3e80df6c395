/* Differential test of the qcow2 engine: seeded random writes, zero
 * writes and discards go to a qcow2 image (through the engine) and to a
 * raw twin; reads are compared along the way, and at the end qemu-img
 * compare must say identical and qemu-img check must find nothing.
 *
 * VK_TEST_SEED=N repeats a run; the seed is printed first and with every
 * failure.  VK_TEST_OPS=N scales the number of operations per case.
 */
#include <config.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "image/image.h"
#include "tap.h"

static uint64_t rng_state;
static unsigned long long total_ops;
static unsigned long seed;

static uint64_t
rnd(void)
{
  /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ULL;
}

static uint64_t
rnd_below(uint64_t n)
{
  return n ? rnd() % n : 0;
}

static int
run(const char *cmd)
{
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

typedef struct tcase {
  uint32_t cs;
  int refbits;
  bool extl2;
  int backing;      /* 0 none, 1 raw, 2 qcow2 */
  int version;
} tcase;

static bool
fail_err(const tcase *t, const char *what, vk_error *err)
{
  printf("# seed %lu: cs=%u refbits=%d extl2=%d backing=%d: %s: %s\n", seed, t->cs,
         t->refbits, t->extl2, t->backing, what, err ? err->msg : "?");
  vk_error_free(err);
  return false;
}

/* One random offset: anywhere, or close to an L2 or cluster boundary. */
static uint64_t
pick_off(uint64_t size, uint64_t l2span, uint32_t cs)
{
  uint64_t off;

  switch (rnd_below(3)) {
  case 0:
    off = rnd_below(size);
    break;
  case 1: {
    uint64_t b = l2span * (1 + rnd_below(size / l2span ? size / l2span : 1));
    off = b - rnd_below(3 * (uint64_t)cs) + rnd_below(3 * (uint64_t)cs);
    break;
  }
  default:
    off = rnd_below(size / cs) * cs + (rnd_below(2) ? 0 : rnd_below(cs));
  }
  return off >= size ? size - 1 : off;
}

static bool
run_case(const tcase *t, const char *dir, int nops)
{
  char img_path[512], twin_path[512], base_path[512], cmd[2048];
  uint64_t l2span = (uint64_t)t->cs * (t->cs / (t->extl2 ? 16 : 8));
  uint64_t size, maxlen = t->cs >= 2097152 ? 3 * 1048576 : t->cs < 4096 ? 80000 : 3 * (uint64_t)t->cs + 1000;
  vk_image_opts o;
  vk_image *img = NULL, *twin = NULL;
  vk_error *err = NULL;
  unsigned char *a = NULL, *b = NULL;
  bool ok = false;

  size = 2 * l2span + 3 * (uint64_t)t->cs + 4096;
  if (size < 4 * 1048576)
    size = 4 * 1048576 + 4096;
  snprintf(img_path, sizeof img_path, "%s/img.qcow2", dir);
  snprintf(twin_path, sizeof twin_path, "%s/twin.raw", dir);
  snprintf(base_path, sizeof base_path, "%s/base.%s", dir, t->backing == 1 ? "raw" : "qcow2");
  unlink(img_path);
  unlink(twin_path);
  unlink(base_path);
  a = malloc(maxlen);
  b = malloc(maxlen);

  /* The twin starts as a copy of the backing content. */
  vk_image_opts_init(&o);
  o.format = VK_FMT_RAW;
  o.size = size;
  if (!vk_image_create(twin_path, &o, 0, &err))
    return fail_err(t, "create twin", err);
  if (!(twin = vk_image_open(twin_path, VK_FMT_RAW, VK_IMAGE_RDWR, &err)))
    return fail_err(t, "open twin", err);

  if (t->backing) {
    vk_image *base;
    uint64_t bsize = size / 2 + 512 * (1 + rnd_below(64));
    vk_image_opts_init(&o);
    o.format = t->backing == 1 ? VK_FMT_RAW : VK_FMT_QCOW2;
    o.size = bsize;
    if (t->backing == 2)
      o.cluster_size = t->cs < 4096 ? 4096 : 65536;
    if (!vk_image_create(base_path, &o, 0, &err))
      return fail_err(t, "create base", err);
    if (!(base = vk_image_open(base_path, o.format, VK_IMAGE_RDWR, &err)))
      return fail_err(t, "open base", err);
    for (int i = 0; i < 24; i++) {
      uint64_t off = pick_off(bsize, l2span, t->cs), len = 1 + rnd_below(maxlen);
      if (len > bsize - off)
        len = bsize - off;
      for (uint64_t k = 0; k < len; k++)
        a[k] = (unsigned char)rnd();
      if (!vk_image_pwrite(base, a, len, off, &err) || !vk_image_pwrite(twin, a, len, off, &err))
        return fail_err(t, "write base", err);
    }
    if (!vk_image_close(base, &err))
      return fail_err(t, "close base", err);
  }

  vk_image_opts_init(&o);
  o.format = VK_FMT_QCOW2;
  o.size = size;
  o.cluster_size = t->cs;
  o.refcount_bits = t->refbits;
  o.extended_l2 = t->extl2;
  o.version = t->version;
  if (t->backing) {
    o.backing_file = strdup(t->backing == 1 ? "base.raw" : "base.qcow2");
    o.backing_fmt = t->backing == 1 ? VK_FMT_RAW : VK_FMT_QCOW2;
  }
  if (!vk_image_create(img_path, &o, 0, &err)) {
    vk_image_opts_clear(&o);
    return fail_err(t, "create", err);
  }
  vk_image_opts_clear(&o);
  if (!(img = vk_image_open(img_path, VK_FMT_QCOW2, VK_IMAGE_RDWR, &err)))
    return fail_err(t, "open", err);

  for (int i = 0; i < nops; i++) {
    uint64_t off = pick_off(size, l2span, t->cs), len = 1 + rnd_below(maxlen);
    unsigned op = (unsigned)rnd_below(100);
    if (len > size - off)
      len = size - off;
    total_ops++;
    if (op < 55) {
      for (uint64_t k = 0; k < len; k++)
        a[k] = (unsigned char)(rnd() | 1);
      if (!vk_image_pwrite(img, a, len, off, &err))
        goto err;
      if (!vk_image_pwrite(twin, a, len, off, &err))
        goto err;
    } else if (op < 70) {
      unsigned fl = rnd_below(2) ? VK_ZERO_MAY_UNMAP : 0;
      if (!vk_image_pwrite_zeroes(img, off, len, fl, &err))
        goto err;
      if (!vk_image_pwrite_zeroes(twin, off, len, 0, &err))
        goto err;
    } else if (op < 80) {
      if (!vk_image_discard(img, off, len, &err))
        goto err;
      if (!vk_image_pwrite_zeroes(twin, off, len, 0, &err))
        goto err;
    } else if (op < 85) {
      if (!vk_image_close(img, &err)) {
        img = NULL;
        goto err;
      }
      if (!(img = vk_image_open(img_path, VK_FMT_QCOW2, VK_IMAGE_RDWR, &err)))
        goto err;
    } else {
      if (!vk_image_pread(img, a, len, off, &err) || !vk_image_pread(twin, b, len, off, &err))
        goto err;
      if (memcmp(a, b, len) != 0) {
        uint64_t k = 0;
        while (a[k] == b[k])
          k++;
        printf("# seed %lu: cs=%u refbits=%d extl2=%d backing=%d: op %d: read mismatch at %" PRIu64
               " (image %02x, twin %02x)\n", seed, t->cs, t->refbits, t->extl2, t->backing, i,
               off + k, a[k], b[k]);
        goto out;
      }
    }
  }
  if (!vk_image_close(img, &err)) {
    img = NULL;
    goto err;
  }
  img = NULL;
  if (!vk_image_close(twin, &err)) {
    twin = NULL;
    goto err;
  }
  twin = NULL;
  snprintf(cmd, sizeof cmd, "qemu-img compare -q -f qcow2 -F raw '%s' '%s'", img_path, twin_path);
  if (run(cmd) != 0) {
    printf("# seed %lu: cs=%u refbits=%d extl2=%d backing=%d: qemu-img compare: images differ\n",
           seed, t->cs, t->refbits, t->extl2, t->backing);
    goto out;
  }
  snprintf(cmd, sizeof cmd, "qemu-img check -q '%s'", img_path);
  if (run(cmd) != 0) {
    snprintf(cmd, sizeof cmd, "qemu-img check '%s' | sed 's/^/# /' | head -20", img_path);
    run(cmd);
    printf("# seed %lu: cs=%u refbits=%d extl2=%d backing=%d: qemu-img check is not clean\n",
           seed, t->cs, t->refbits, t->extl2, t->backing);
    goto out;
  }
  ok = true;
  goto out;
err:
  fail_err(t, "operation", err);
out:
  vk_image_close(img, NULL);
  vk_image_close(twin, NULL);
  free(a);
  free(b);
  return ok;
}

int
main(void)
{
  static const uint32_t sizes[] = { 512, 4096, 65536, 2097152 };
  static const int refbits[] = { 1, 16, 64 };
  char dir[] = "/tmp/vkit-diff-XXXXXX";
  const char *s = getenv("VK_TEST_SEED"), *nops_s = getenv("VK_TEST_OPS");
  int scale = nops_s ? atoi(nops_s) : 150;
  char cmd[128];

  seed = s ? strtoul(s, NULL, 10) : (unsigned long)time(NULL) ^ (unsigned long)getpid();
  printf("# seed %lu (repeat with VK_TEST_SEED=%lu)\n", seed, seed);
  rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
  if (system("command -v qemu-img >/dev/null") != 0) {
    if (getenv("CI")) {
      ok(false, "qemu-img is required in CI");
      return tap_done();
    }
    printf("1..0 # SKIP qemu-img not installed\n");
    return 0;
  }
  if (!mkdtemp(dir)) {
    ok(false, "mkdtemp");
    return tap_done();
  }
  for (size_t ci = 0; ci < 4; ci++)
    for (size_t ri = 0; ri < 3; ri++)
      for (int x = 0; x < 2; x++)
        for (int bk = 0; bk < 3; bk++) {
          tcase t = { sizes[ci], refbits[ri], x == 1, bk, 3 };
          int n = sizes[ci] >= 2097152 ? scale / 4 : scale;
          if (t.extl2 && t.cs < 16384)
            continue;
          /* Backing files: raw for some, qcow2 for others, not all. */
          if (bk && (ri + (size_t)x + (size_t)bk) % 2)
            continue;
          ok(run_case(&t, dir, n), "cs=%u refcount_bits=%d extended_l2=%s backing=%s",
             t.cs, t.refbits, t.extl2 ? "on" : "off",
             bk == 0 ? "none" : bk == 1 ? "raw" : "qcow2");
        }
  {
    tcase v2a = { 65536, 16, false, 0, 2 }, v2b = { 65536, 16, false, 2, 2 };
    ok(run_case(&v2a, dir, scale), "compat=0.10 cs=65536");
    ok(run_case(&v2b, dir, scale), "compat=0.10 cs=65536 backing=qcow2");
  }
  printf("# total random operations: %llu\n", total_ops);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  run(cmd);
  return tap_done();
}
