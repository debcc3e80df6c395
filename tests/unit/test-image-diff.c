/* Differential test of the qcow2 engine: seeded random writes, zero
 * writes and discards go to a qcow2 image (through the engine) and to a
 * raw twin; reads are compared along the way, and at the end qemu-img
 * compare must say identical and qemu-img check must find nothing.  The
 * same for the other formats vkit writes (vdi, vpc, vmdk
 * monolithicSparse: random writes with reopenings; vmdk streamOptimized:
 * writes in order).
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
  int nsnap;        /* internal snapshots taken midway (0..3) */
  int datafile;     /* 0 none, 1 external data file, 2 raw external data file */
} tcase;

static bool
fail_err(const tcase *t, const char *what, vk_error *err)
{
  printf("# seed %lu: cs=%u refbits=%d extl2=%d backing=%d snapshots=%d data file=%d: %s: %s\n",
         seed, t->cs, t->refbits, t->extl2, t->backing, t->nsnap, t->datafile, what,
         err ? err->msg : "?");
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

/* Snapshot events of a case: snapshot k is taken at op snap_at[k], by
 * the engine (even k) or by qemu-img snapshot -c (odd k); the raw twin is
 * saved beside it.  With 2 or more, one is applied at 80% of the ops;
 * with 3, snapshot 0 is deleted at 90% (by qemu-img when the seed says
 * so).  At the end each remaining snapshot must read like its saved twin,
 * through the engine and through qemu-img convert -l. */
typedef struct snapstate {
  int at[3];
  bool live[3];
  int apply_at, apply_which, delete_at;
  bool delete_by_qemu;
} snapstate;

static bool
twin_save(const char *dir, const char *twin_path, int k, vk_image *twin, vk_error **errp)
{
  char cmd[1200];

  if (!vk_image_flush(twin, errp))
    return false;
  snprintf(cmd, sizeof cmd, "cp --sparse=always '%s' '%s/twin-s%d.raw'", twin_path, dir, k);
  if (run(cmd) != 0)
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot save the twin");
  return true;
}

/* Close img, run a qemu-img snapshot command, open img again. */
static bool
qemu_snapshot(const char *img_path, const char *op, const char *name, vk_image **img,
              vk_error **errp)
{
  char cmd[1200];

  if (!vk_image_close(*img, errp)) {
    *img = NULL;
    return false;
  }
  snprintf(cmd, sizeof cmd, "qemu-img snapshot %s %s '%s'", op, name, img_path);
  if (run(cmd) != 0) {
    *img = NULL;
    return vk_error_set(errp, VK_EXIT_FAILED, "%s failed", cmd);
  }
  *img = vk_image_open(img_path, VK_FMT_QCOW2, VK_IMAGE_RDWR, errp);
  return *img != NULL;
}

static bool
snap_event(const tcase *t, snapstate *ss, int op, const char *dir, const char *img_path,
           const char *twin_path, vk_image **img, vk_image **twin, vk_error **errp)
{
  char name[16], path[1100];

  for (int k = 0; k < t->nsnap; k++) {
    if (ss->at[k] != op)
      continue;
    snprintf(name, sizeof name, "s%d", k);
    if (!twin_save(dir, twin_path, k, *twin, errp))
      return false;
    if (k % 2 == 0 ? !vk_image_snapshot_create(*img, name, errp)
                   : !qemu_snapshot(img_path, "-c", name, img, errp))
      return false;
    ss->live[k] = true;
  }
  if (op == ss->apply_at && ss->live[ss->apply_which]) {
    snprintf(name, sizeof name, "s%d", ss->apply_which);
    if (!vk_image_snapshot_apply(*img, name, errp))
      return false;
    if (!vk_image_close(*twin, errp)) {
      *twin = NULL;
      return false;
    }
    snprintf(path, sizeof path, "cp --sparse=always '%s/twin-s%d.raw' '%s'", dir,
             ss->apply_which, twin_path);
    if (run(path) != 0) {
      *twin = NULL;
      return vk_error_set(errp, VK_EXIT_FAILED, "cannot restore the twin");
    }
    if (!(*twin = vk_image_open(twin_path, VK_FMT_RAW, VK_IMAGE_RDWR, errp)))
      return false;
  }
  if (op == ss->delete_at && ss->live[0]) {
    if (ss->delete_by_qemu ? !qemu_snapshot(img_path, "-d", "s0", img, errp)
                           : !vk_image_snapshot_delete(*img, "s0", errp))
      return false;
    ss->live[0] = false;
  }
  return true;
}

/* Each remaining snapshot reads like its saved twin: through the engine
 * and through qemu-img convert -l. */
static bool
snap_verify(const tcase *t, const snapstate *ss, const char *dir, const char *img_path,
            uint64_t size)
{
  unsigned char *a = malloc(1 << 20), *b = malloc(1 << 20);
  char name[16], twin[1100], cmd[3000];
  vk_error *err = NULL;
  bool ok = a && b;

  for (int k = 0; ok && k < t->nsnap; k++) {
    vk_image *sn, *tw;
    if (!ss->live[k])
      continue;
    snprintf(name, sizeof name, "s%d", k);
    snprintf(twin, sizeof twin, "%s/twin-s%d.raw", dir, k);
    if (!(sn = vk_image_open_snapshot(img_path, VK_FMT_QCOW2, 0, name, &err)))
      return fail_err(t, "open snapshot", err);
    if (!(tw = vk_image_open(twin, VK_FMT_RAW, 0, &err))) {
      vk_image_close(sn, NULL);
      return fail_err(t, "open snapshot twin", err);
    }
    for (uint64_t off = 0; ok && off < size; off += 1 << 20) {
      size_t n = size - off < (1 << 20) ? (size_t)(size - off) : (1 << 20);
      if (!vk_image_pread(sn, a, n, off, &err) || !vk_image_pread(tw, b, n, off, &err)) {
        ok = fail_err(t, "read snapshot", err);
      } else if (memcmp(a, b, n)) {
        printf("# seed %lu: cs=%u snapshot %s reads differently through the engine near %" PRIu64 "\n",
               seed, t->cs, name, off);
        ok = false;
      }
    }
    vk_image_close(sn, NULL);
    vk_image_close(tw, NULL);
    snprintf(cmd, sizeof cmd, "qemu-img convert -l snapshot.name=%s -O raw '%s' '%s/q.raw' && cmp -s '%s/q.raw' '%s'",
             name, img_path, dir, dir, twin);
    if (ok && run(cmd) != 0) {
      printf("# seed %lu: cs=%u snapshot %s reads differently in qemu-img\n", seed, t->cs, name);
      ok = false;
    }
  }
  free(a);
  free(b);
  return ok;
}

static bool
run_case(const tcase *t, const char *dir, int nops)
{
  char img_path[512], twin_path[512], base_path[512], data_path[512], cmd[2048];
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
  /* Snapshot views are read whole at the end, and every cluster of a raw
   * data file is mapped (compared as data): keep them small. */
  if ((t->nsnap || t->datafile == 2) && size > 24 * 1048576)
    size = 24 * 1048576 + 4096;
  snprintf(img_path, sizeof img_path, "%s/img.qcow2", dir);
  snprintf(twin_path, sizeof twin_path, "%s/twin.raw", dir);
  snprintf(base_path, sizeof base_path, "%s/base.%s", dir, t->backing == 1 ? "raw" : "qcow2");
  snprintf(data_path, sizeof data_path, "%s/img.data", dir);
  unlink(data_path);
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
  if (t->datafile) {
    o.data_file = strdup(data_path); /* a relative name is from the current directory */
    o.data_file_raw = t->datafile == 2;
  }
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

  snapstate ss = { .at = { -1, -1, -1 }, .apply_at = -1, .delete_at = -1 };
  for (int k = 0; k < t->nsnap; k++)
    ss.at[k] = nops * (k + 1) / (t->nsnap + 2);
  if (t->nsnap >= 2) {
    ss.apply_at = nops * 8 / 10;
    ss.apply_which = (int)rnd_below((uint64_t)t->nsnap);
  }
  if (t->nsnap == 3) {
    ss.delete_at = nops * 9 / 10;
    ss.delete_by_qemu = rnd_below(2);
  }

  for (int i = 0; i < nops; i++) {
    if (t->nsnap && !snap_event(t, &ss, i, dir, img_path, twin_path, &img, &twin, &err))
      goto err;
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
  /* A raw data file is the disk itself. */
  snprintf(cmd, sizeof cmd, "qemu-img compare -q -f raw -F raw '%s' '%s'", data_path, twin_path);
  if (t->datafile == 2 && run(cmd) != 0) {
    printf("# seed %lu: cs=%u extl2=%d: the raw data file differs from the twin\n", seed, t->cs,
           t->extl2);
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
  if (t->nsnap && !snap_verify(t, &ss, dir, img_path, size))
    goto out;
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

/* A fresh image of format `fmt` with options `o`, written as a twin in
 * memory is: random byte ranges (data and zeros) with reads compared and
 * the image closed and opened again now and then; a stream in order.
 * Then qemu-img compare (and check, where it has one) against the twin. */
static bool
run_format_case(const char *fmt, const char *o, bool in_order, const char *dir, int nops)
{
  char path[256], twin_path[256], cmd[768];
  uint64_t want = (20ULL << 20) + 7 * 512, size, off = 0;
  unsigned char *twin = NULL, *buf = NULL;
  vk_image_opts io;
  vk_error *err = NULL;
  vk_image *img = NULL;
  bool good = false;
  FILE *f;

  snprintf(path, sizeof path, "%s/img.%s", dir, fmt);
  snprintf(twin_path, sizeof twin_path, "%s/twin.raw", dir);
  vk_image_opts_init(&io);
  if (!vk_image_format_parse(fmt, &io.format, &err) || (o && !vk_image_opts_parse(&io, o, &err)))
    goto out;
  io.size = want;
  if (!vk_image_create(path, &io, VK_IMAGE_CREATE_FORCE, &err) ||
      !(img = vk_image_open(path, io.format, VK_IMAGE_RDWR, &err)))
    goto out;
  size = vk_image_size(img);
  if (size < want || !(twin = calloc(1, size)) || !(buf = malloc(1 << 20)))
    goto out;
  for (int i = 0; i < nops; i++) {
    uint64_t len = 1 + rnd_below(rnd_below(4) ? 70000 : 600000), at;
    int op = (int)rnd_below(10);
    total_ops++;
    if (in_order) {
      /* a gap (zeros), then data or zeros; nothing before `off` again */
      off += rnd_below(3) ? 0 : rnd_below(300000);
      if (off >= size)
        break;
      if (len > size - off)
        len = size - off;
      at = off;
      off += len;
      op = op < 2 ? 6 : 0;
    } else {
      at = rnd_below(size);
      if (len > size - at)
        len = size - at;
    }
    if (op <= 5) {
      for (uint64_t j = 0; j < len; j++)
        buf[j] = (unsigned char)(rnd_below(4) ? 0x11 * (at % 13) + j / 512 : rnd());
      memcpy(twin + at, buf, len);
      if (!vk_image_pwrite(img, buf, len, at, &err))
        goto out;
    } else if (op <= 7) {
      memset(twin + at, 0, len);
      if (!vk_image_pwrite_zeroes(img, at, len, 0, &err))
        goto out;
    } else if (op == 8 && !in_order) {
      if (!vk_image_pread(img, buf, len, at, &err))
        goto out;
      if (memcmp(buf, twin + at, len) != 0) {
        printf("# seed %lu: %s %s: read %" PRIu64 "+%" PRIu64 " differs\n", seed, fmt, o ? o : "",
               at, len);
        goto out;
      }
    } else if (!in_order) {
      if (!vk_image_close(img, &err) ||
          !(img = vk_image_open(path, io.format, VK_IMAGE_RDWR, &err)))
        goto out;
    }
  }
  if (in_order) {
    /* written once: going back is refused */
    vk_error *e2 = NULL;
    memset(buf, 1, 512);
    if (vk_image_pwrite(img, buf, 512, 0, &e2) || !e2 || e2->code != VK_EXIT_USAGE) {
      printf("# %s %s: a write before the stream's end was not refused\n", fmt, o);
      vk_error_free(e2);
      goto out;
    }
    vk_error_free(e2);
  }
  if (!vk_image_close(img, &err))
    goto out;
  img = NULL;
  if (!(f = fopen(twin_path, "w")) || fwrite(twin, 1, size, f) != size || fclose(f) != 0)
    goto out;
  snprintf(cmd, sizeof cmd, "qemu-img compare -q -f raw -F %s '%s' '%s'", fmt, twin_path, path);
  if (run(cmd) != 0) {
    printf("# seed %lu: %s %s: qemu-img compare differs\n", seed, fmt, o ? o : "");
    goto out;
  }
  snprintf(cmd, sizeof cmd, "qemu-img check -q -f %s '%s'", fmt, path);
  if (strcmp(fmt, "vpc") != 0 && run(cmd) != 0) {
    printf("# seed %lu: %s %s: qemu-img check fails\n", seed, fmt, o ? o : "");
    goto out;
  }
  good = true;
out:
  if (err)
    printf("# seed %lu: %s %s: %s\n", seed, fmt, o ? o : "", err->msg);
  vk_error_free(err);
  vk_image_close(img, NULL);
  vk_image_opts_clear(&io);
  free(twin);
  free(buf);
  return good;
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
          tcase t = { sizes[ci], refbits[ri], x == 1, bk, 3, 0, 0 };
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
    tcase v2a = { 65536, 16, false, 0, 2, 0, 0 }, v2b = { 65536, 16, false, 2, 2, 0, 0 };
    ok(run_case(&v2a, dir, scale), "compat=0.10 cs=65536");
    ok(run_case(&v2b, dir, scale), "compat=0.10 cs=65536 backing=qcow2");
  }
  {
    /* Internal snapshots taken midway (by the engine and by qemu-img),
     * one applied, one deleted: the active view and each snapshot's. */
    static const tcase snap[] = {
      { 65536, 16, false, 0, 3, 1, 0 }, { 65536, 16, false, 2, 3, 3, 0 },
      { 512, 16, false, 0, 3, 2, 0 },   { 4096, 64, false, 1, 3, 3, 0 },
      { 65536, 4, true, 0, 3, 2, 0 },   { 2097152, 16, false, 0, 3, 2, 0 },
      { 65536, 16, false, 0, 2, 3, 0 },
    };
    for (size_t i = 0; i < sizeof snap / sizeof *snap; i++)
      ok(run_case(&snap[i], dir, snap[i].cs >= 2097152 ? scale / 4 : scale),
         "snapshots=%d cs=%u refcount_bits=%d extended_l2=%s backing=%s compat=%s",
         snap[i].nsnap, snap[i].cs, snap[i].refbits, snap[i].extl2 ? "on" : "off",
         snap[i].backing == 0 ? "none" : snap[i].backing == 1 ? "raw" : "qcow2",
         snap[i].version == 2 ? "0.10" : "1.1");
  }
  {
    static const struct {
      const char *fmt, *o;
      bool in_order;
    } other[] = {
      { "vdi", NULL, false },
      { "vdi", "static=on", false },
      { "vpc", NULL, false },
      { "vpc", "force_size=on", false },
      { "vpc", "subformat=fixed", false },
      { "vmdk", NULL, false },
      { "vmdk", "subformat=streamOptimized", true },
      { "vhdx", NULL, false },
      { "vhdx", "block_size=1M", false },
      { "vhdx", "subformat=fixed,block_size=2M", false },
    };
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
      ok(run_format_case(other[i].fmt, other[i].o, other[i].in_order, dir, scale), "%s %s",
         other[i].fmt, other[i].o ? other[i].o : "(defaults)");
  }
  {
    /* External data files: plain (over a backing file too) and raw. */
    static const tcase df[] = {
      { 65536, 16, false, 0, 3, 0, 1 }, { 65536, 16, false, 2, 3, 0, 1 },
      { 512, 16, false, 0, 3, 0, 1 },   { 65536, 1, true, 1, 3, 0, 1 },
      { 65536, 16, false, 0, 3, 0, 2 }, { 2097152, 16, false, 0, 3, 0, 2 },
      { 65536, 16, true, 0, 3, 0, 2 },
    };
    for (size_t i = 0; i < sizeof df / sizeof *df; i++)
      ok(run_case(&df[i], dir, df[i].cs >= 2097152 ? scale / 4 : scale),
         "data_file%s cs=%u refcount_bits=%d extended_l2=%s backing=%s",
         df[i].datafile == 2 ? " raw" : "", df[i].cs, df[i].refbits, df[i].extl2 ? "on" : "off",
         df[i].backing == 0   ? "none"
         : df[i].backing == 1 ? "raw"
                              : "qcow2");
  }
  printf("# total random operations: %llu\n", total_ops);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  run(cmd);
  return tap_done();
}
