/* fuzz-qcow2 — the qcow2 engine on hostile bytes, through the public API.
 *
 * One input is the bytes of a qcow2 file.  They go into an in-memory file
 * (memfd), which is opened read-only: info, the snapshot list, the whole
 * disk read through block status (and each snapshot's view likewise), a
 * check without repair.  A fresh copy is opened read-write for writes,
 * zero writes and discards at offsets derived from the input, a snapshot
 * created, applied and deleted, a resize, a flush and a close.  A third
 * copy is checked with repair.  Errors are fine (hostile input fails);
 * what aborts, so that libFuzzer reports it:
 *   - an image the check called clean, on which every write-path call
 *     succeeded, that a check calls unclean afterwards;
 *   - a repair that says nothing is left, after which a check disagrees;
 *   - block status breaking its contract (length 0 or past the range),
 *     or a range it calls zero that does not read as zeros.
 * Backing files and external data files are never opened (the names come
 * from the input: a data file would be written; the mutation run,
 * tests/fuzz/mutate.py, covers backing chains); reads and writes of the
 * guest data of an image with a data file fail, its metadata is used.  An input
 * that probes as another format (vmdk, vhdx, vpc, vdi, qed: the corpus
 * has seeds of each but vhdx, whose smallest image is 3 MiB) is opened as
 * that format and read as above, block status included; one that vkit
 * also writes (vmdk, vpc, vdi, vhdx) is then opened read-write on a fresh copy
 * for a few writes and zero writes and a last write of a pattern, which
 * must read back after the image is closed and opened again (else
 * abort).
 *
 * Built with VK_FUZZ_LIBFUZZER (configure --enable-fuzz) this is a
 * libFuzzer target.  Otherwise it is a replay driver for `make check`:
 *
 *   fuzz-qcow2 [-v|-vv] [-s SEED] [FILE|DIR]...
 *
 * runs every file given, or every file in the directories given (none:
 * $VK_SRCDIR/tests/fuzz/corpus and $VK_SRCDIR/tests/fuzz/regress), each
 * in a child process with a time limit, and prints TAP; -v says on
 * stderr what each call did (and the seed of the write-path operations,
 * derived from the input), -vv also checks the image after each step, and
 * -s SEED runs the operations of that seed instead (to keep them while
 * the input is edited by hand).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/check.h"
#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OPEN_FLAGS (VK_IMAGE_NO_LOCK | VK_IMAGE_NO_BACKING | VK_IMAGE_NO_DATA_FILE)
#define READ_BUDGET (16u << 20)   /* bytes read per image view */
#define MAX_EXTENTS 4096          /* block status calls per image view */
#define MAX_SNAPSHOTS 8           /* snapshot views read */
#define MAX_IO (256u << 10)       /* largest write */
#define ZERO_PROBE 512            /* bytes of a zero extent verified */

/* Report a broken invariant and abort (what libFuzzer catches). */
static void __attribute__((noreturn, format(printf, 1, 2)))
broken(const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "fuzz-qcow2: invariant broken: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  abort();
}

static int verbose;   /* replay -v: say what each call did; -vv: and check after each */

/* step("what", call(..., &err), &err): the call's result; its error is
 * dropped (printed with -v). */
static bool
step(const char *what, bool result, vk_error **errp)
{
  if (verbose)
    fprintf(stderr, "fuzz-qcow2: %s: %s\n", what,
            result ? "ok" : *errp ? (*errp)->msg : "failed");
  vk_error_free(*errp);
  *errp = NULL;
  return result;
}

/* ---------------------------------------------------------------- files */

/* A new in-memory file holding data; its descriptor, or -1. */
static int
mem_copy(const uint8_t *data, size_t size)
{
  int fd = memfd_create("fuzz-qcow2", MFD_CLOEXEC);
  size_t done = 0;

  if (fd < 0)
    return -1;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    done += (size_t)n;
  }
  return fd;
}

static void
fd_path(char *buf, size_t len, int fd)
{
  snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* ---------------------------------------------------------------- checks */

typedef struct check_outcome {
  bool ran;                 /* the check ran to its end */
  vk_check_result res;
} check_outcome;

static void
describe(const char *what, const check_outcome *c)
{
  fprintf(stderr, "fuzz-qcow2: %s: %s, %" PRIu64 " corruptions, %" PRIu64 " leaks, %" PRIu64
          " check errors (%" PRIu64 " corruptions and %" PRIu64 " leaks fixed)\n",
          what, c->ran ? "ran" : "did not run", c->res.corruptions, c->res.leaks,
          c->res.check_errors, c->res.corruptions_fixed, c->res.leaks_fixed);
}

static check_outcome
check_fd(int fd, const char *path, vk_check_repair repair)
{
  check_outcome c;
  vk_error *err = NULL;

  memset(&c, 0, sizeof c);
  c.ran = step(repair ? "check -r all" : "check",
               vk_check_qcow2_fd(fd, path, repair, &c.res, NULL, NULL, &err), &err);
  if (verbose)
    describe(repair ? "check -r all" : "check", &c);
  return c;
}

static bool
clean(const check_outcome *c)
{
  return c->ran && !c->res.corruptions && !c->res.leaks && !c->res.check_errors;
}

/* ---------------------------------------------------------------- reads */

static bool
all_zero(const unsigned char *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (p[i])
      return false;
  return true;
}

/* Read what block status calls data, within the budgets. */
static void
read_view(vk_image *img)
{
  static unsigned char buf[1 << 20];
  uint64_t size = vk_image_size(img), off = 0, budget = READ_BUDGET;

  for (unsigned n = 0; off < size && n < MAX_EXTENTS && budget; n++) {
    vk_error *err = NULL;
    vk_extent e;
    uint64_t want;

    if (!step("block status", vk_image_block_status(img, off, size - off, &e, &err), &err))
      return;
    if (e.length == 0 || e.length > size - off)
      broken("block status at %" PRIu64 " of %" PRIu64 ": length %" PRIu64, off, size,
             e.length);
    want = e.kind == VK_EXTENT_DATA ? e.length : ZERO_PROBE;
    if (want > e.length)
      want = e.length;
    if (want > budget)
      want = budget;
    for (uint64_t at = off; at < off + want;) {
      size_t chunk = off + want - at < sizeof buf ? (size_t)(off + want - at) : sizeof buf;
      if (!step("read", vk_image_pread(img, buf, chunk, at, &err), &err))
        return;
      if (e.kind != VK_EXTENT_DATA && !all_zero(buf, chunk))
        broken("block status calls %" PRIu64 "+%" PRIu64 " zero, but it reads as data", off,
               e.length);
      at += chunk;
    }
    budget -= want;
    off += e.length;
  }
}

/* Read-only: info, snapshots, data, each snapshot's data (`fmt`: qcow2,
 * or a read-only format the input probes as). */
static void
read_only(const char *path, vk_image_format fmt)
{
  vk_error *err = NULL;
  vk_image_info info;
  vk_snapshot_info *snaps = NULL;
  size_t nsnap = 0;
  vk_image *img = vk_image_open(path, fmt, OPEN_FLAGS, &err);

  if (!step("open read-only", img != NULL, &err))
    return;
  if (!step("info", vk_image_get_info(img, &info, &err), &err)) {
    vk_image_close(img, NULL);
    return;
  }
  if (!step("list snapshots", vk_image_list_snapshots(img, &snaps, &nsnap, &err), &err))
    nsnap = 0;
  {
    vk_bitmap_info *bm = NULL;
    size_t nbm = 0;
    uint64_t bsize;
    if (step("list bitmaps", vk_image_list_bitmaps(img, &bm, &nbm, &err), &err))
      vk_bitmap_info_free(bm, nbm);
    step("bitmaps size", vk_image_bitmaps_size(img, 512, &bsize, &err), &err);
  }
  read_view(img);
  vk_image_close(img, NULL);

  for (size_t i = 0; i < nsnap && i < MAX_SNAPSHOTS; i++) {
    char *spec = NULL;
    vk_image *s;
    if (asprintf(&spec, "snapshot.id=%s", snaps[i].id) < 0)
      break;
    s = vk_image_open_snapshot(path, VK_FMT_QCOW2, OPEN_FLAGS, spec, &err);
    free(spec);
    if (!step("open snapshot", s != NULL, &err))
      continue;
    read_view(s);
    vk_image_close(s, NULL);
  }
  vk_snapshot_info_free(snaps, nsnap);
}

/* ---------------------------------------------------------------- writes */

static uint64_t rng;
static uint64_t forced_seed;   /* replay -s SEED: the operations of another input */

static uint64_t
rnd(void)
{
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 2685821657736338717ULL;
}

static void
seed_from(const uint8_t *data, size_t size)
{
  uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */
  for (size_t i = 0; i < size; i++)
    h = (h ^ data[i]) * 0x100000001b3ULL;
  rng = forced_seed ? forced_seed : h | 1;
  if (verbose)
    fprintf(stderr, "fuzz-qcow2: operations seed %#" PRIx64 "\n", rng);
}

/* A range inside the disk, often across a cluster or an L2 boundary. */
static void
pick_range(uint64_t size, uint64_t cs, uint64_t l2span, uint64_t *off, uint64_t *len)
{
  uint64_t o, l, unit;

  switch (rnd() % 4) {
  case 0: unit = cs; break;
  case 1: unit = l2span; break;
  case 2: unit = 0; break;
  default: unit = 1; break;
  }
  if (unit > 1 && size / unit > 0)
    o = (1 + rnd() % (size / unit)) * unit - rnd() % (cs + 1);   /* just below a boundary */
  else if (unit == 1)
    o = size - rnd() % (2 * cs + 1);                             /* near the end */
  else
    o = rnd() % size;
  if (o > size)
    o = 0;
  l = 1 + rnd() % (3 * cs);
  if (l > MAX_IO)
    l = MAX_IO;
  if (l > size - o)
    l = size - o;
  *off = o;
  *len = l;
}

/* One write, zero write or discard; false if it failed. */
static bool
one_io(vk_image *img, uint64_t cs, uint64_t l2span)
{
  static unsigned char buf[MAX_IO];
  uint64_t size = vk_image_size(img), off, len;
  vk_error *err = NULL;

  if (size == 0)
    return true;
  pick_range(size, cs, l2span, &off, &len);
  if (len == 0)
    return true;
  if (verbose)
    fprintf(stderr, "fuzz-qcow2: range %" PRIu64 "+%" PRIu64 "\n", off, len);
  switch (rnd() % 5) {
  case 0:
  case 1:
    memset(buf, (int)(rnd() % 255) + 1, len);
    return step("write", vk_image_pwrite(img, buf, len, off, &err), &err);
  case 4: {
    /* What convert's parallel writers do: reserve, then write the data. */
    uint64_t host = 0, got = 0;
    bool zeroed;
    off -= off % cs;
    len = (len + cs - 1) / cs * cs;
    if (len > MAX_IO)
      len = MAX_IO / cs * cs;
    if (len > size - off)
      len = size - off;
    if (len == 0)
      return true;
    memset(buf, (int)(rnd() % 255) + 1, len);
    if (!step("reserve", vk_image_reserve(img, off, len, &host, &got, &zeroed, &err), &err))
      return false;
    return !got ||
           step("reserved write", vk_image_pwrite_reserved(img, buf, got, host, &err), &err);
  }
  case 2:
    return step("zero write", vk_image_pwrite_zeroes(img, off, len, rnd() % 2 ? VK_ZERO_MAY_UNMAP : 0, &err),
                &err);
  default:
    return step("discard", vk_image_discard(img, off, len, &err), &err);
  }
}

/* With -vv: flush, then check the image between two write-path steps
 * (this changes when metadata is written, so it can hide a bug). */
static void
trace_check(vk_image *img, int fd, const char *path)
{
  vk_error *err = NULL;

  if (verbose < 2)
    return;
  step("flush (-vv)", vk_image_flush(img, &err), &err);
  check_fd(fd, path, VK_CHECK_REPAIR_NONE);
}

/* vimg bitmap on the image: a new bitmap merged from the first one there
 * (other granularities too) and frozen, the first one cleared and
 * re-enabled, then, half the time, every bitmap removed (so that the
 * resize after it can work). */
static void
bitmap_ops(vk_image *img, int fd, const char *path, bool *all)
{
  vk_error *err = NULL;
  vk_bitmap_info *bm = NULL;
  size_t n = 0;
  vk_bitmap_op add[] = { { VK_BITMAP_ADD, NULL },
                         { VK_BITMAP_MERGE, NULL },
                         { VK_BITMAP_DISABLE, NULL } };
  const vk_bitmap_op clear[] = { { VK_BITMAP_CLEAR, NULL }, { VK_BITMAP_ENABLE, NULL } };
  const vk_bitmap_op rm[] = { { VK_BITMAP_REMOVE, NULL } };
  uint32_t gran = rnd() % 3 ? 0 : 512u << (rnd() % 10);
  bool in_use;

  if (!step("list bitmaps", vk_image_list_bitmaps(img, &bm, &n, &err), &err))
    return;
  add[1].source = n ? bm[0].name : NULL;
  in_use = n && bm[0].in_use;
  /* an in-use source is refused, as documented: not a failure */
  if (in_use)
    step("bitmap add (from an in-use one)",
         vk_image_bitmap_apply(img, "fuzz", add, n ? 3 : 1, gran, NULL, &err), &err);
  else
    *all &= step("bitmap add", vk_image_bitmap_apply(img, "fuzz", add, n ? 3 : 1, gran, NULL, &err),
                 &err);
  trace_check(img, fd, path);
  if (n && !in_use) {
    *all &=
        step("bitmap clear", vk_image_bitmap_apply(img, bm[0].name, clear, 2, 0, NULL, &err), &err);
    trace_check(img, fd, path);
  }
  if (rnd() % 2) {
    for (size_t i = 0; i < n; i++)
      *all &=
          step("bitmap remove", vk_image_bitmap_apply(img, bm[i].name, rm, 1, 0, NULL, &err), &err);
    step("bitmap remove", vk_image_bitmap_apply(img, "fuzz", rm, 1, 0, NULL, &err), &err);
    trace_check(img, fd, path);
  }
  vk_bitmap_info_free(bm, n);
}

/* The read-write session on the file at path (open on fd); true if every
 * call succeeded. */
static bool
write_path(int fd, const char *path)
{
  vk_error *err = NULL;
  vk_image_info info;
  uint64_t cs, l2span, size, new_size;
  unsigned flags = 0;
  bool all = true;
  vk_image *img =
      vk_image_open(path, VK_FMT_QCOW2, VK_IMAGE_RDWR | VK_IMAGE_UNSAFE | OPEN_FLAGS, &err);

  if (!step("open read-write", img != NULL, &err))
    return false;
  if (!step("info", vk_image_get_info(img, &info, &err), &err)) {
    vk_image_close(img, NULL);
    return false;
  }
  cs = info.cluster_size ? info.cluster_size : 65536;
  l2span = cs * (cs / (info.extended_l2 ? 16 : 8));

#define CALL(what, expr) (all &= step(what, (expr), &err), trace_check(img, fd, path))
#define IO() (all &= one_io(img, cs, l2span), trace_check(img, fd, path))
  bitmap_ops(img, fd, path, &all);
  for (int i = 0; i < 3; i++)
    IO();
  CALL("snapshot create", vk_image_snapshot_create(img, "fuzz", &err));
  for (int i = 0; i < 2; i++)
    IO();
  CALL("snapshot apply", vk_image_snapshot_apply(img, "fuzz", &err));
  IO();
  CALL("snapshot delete", vk_image_snapshot_delete(img, "fuzz", &err));
  /* the header written anew from what was parsed (vimg rebase's last step) */
  CALL("set backing", vk_image_set_backing(img, NULL, VK_FMT_NONE, &err));

  size = vk_image_size(img);
  if (rnd() % 4 == 0 && size > cs) {
    new_size = (size / 2 + 511) & ~511ULL;
    flags = VK_TRUNCATE_SHRINK;
  } else {
    new_size = size + 1 + rnd() % (2 * l2span);
    new_size = new_size < size ? size : (new_size + 511) & ~511ULL;
  }
  if (verbose)
    fprintf(stderr, "fuzz-qcow2: resize to %" PRIu64 "\n", new_size);
  CALL("resize", vk_image_truncate(img, new_size, VK_PREALLOC_OFF, flags, &err));
  IO();
  /* what vimg commit does to the image at its end */
  if (rnd() % 3 == 0)
    CALL("make empty", vk_image_make_empty(img, &err));
  CALL("flush", vk_image_flush(img, &err));
  all &= step("close", vk_image_close(img, &err), &err);
  /* vimg amend on what is left: a header rewritten for the other compat
   * level, lazy refcounts switched, or the refcount structures rewritten
   * for another width (1 bit fails where snapshots share clusters) */
  {
    static const char *const amends[] = {
      "compat=0.10",
      "lazy_refcounts=on",
      "refcount_bits=1",
      "refcount_bits=2",
      "refcount_bits=8",
      "refcount_bits=64",
      "compat=1.1,refcount_bits=4",
    };
    const char *a = amends[rnd() % (sizeof amends / sizeof amends[0])];
    if (verbose)
      fprintf(stderr, "fuzz-qcow2: amend %s\n", a);
    all &= step("amend", vk_image_amend(path, VK_FMT_QCOW2, a, &err), &err);
  }
#undef CALL
#undef IO
  return all;
}

/* vmdk, vpc, vdi, vhdx opened read-write: writes, then a pattern that must
 * read back after a close and an open. */
static void
other_write_path(const char *path, vk_image_format fmt)
{
  static unsigned char buf[MAX_IO], back[MAX_IO];
  vk_error *err = NULL;
  uint64_t off, len, size;
  bool all = true;
  vk_image *img = vk_image_open(path, fmt, VK_IMAGE_RDWR | VK_IMAGE_UNSAFE | OPEN_FLAGS, &err);

  if (!step("open read-write", img != NULL, &err))
    return;
  size = vk_image_size(img);
  for (int i = 0; i < 3 && size; i++) {
    pick_range(size, 65536, 65536 * 512, &off, &len);
    if (!len)
      continue;
    if (rnd() % 3) {
      memset(buf, (int)(rnd() % 255) + 1, len);
      all &= step("write", vk_image_pwrite(img, buf, len, off, &err), &err);
    } else {
      all &= step("zero write", vk_image_pwrite_zeroes(img, off, len, 0, &err), &err);
    }
  }
  len = 0;
  if (size) {
    /* a stream vmdk is written in order: the pattern goes at its end */
    off = size - (size < 4096 ? size : 4096);
    len = size - off;
    memset(buf, 0xa5, len);
    all &= step("write", vk_image_pwrite(img, buf, len, off, &err), &err);
  }
  all &= step("close", vk_image_close(img, &err), &err);
  if (!all || !len)
    return;
  img = vk_image_open(path, fmt, OPEN_FLAGS, &err);
  if (!step("open again", img != NULL, &err))
    broken("an image written without an error does not open again");
  if (!step("read back", vk_image_pread(img, back, len, off, &err), &err) ||
      memcmp(back, buf, len) != 0)
    broken("the last write does not read back after a close and an open");
  vk_image_close(img, NULL);
}

/* ---------------------------------------------------------------- target */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char path[64];
  check_outcome before, after, repaired, again;
  bool writes_ok;
  int fd;

  seed_from(data, size);

  /* Read-only, then check without repair.  An input that probes as
   * another format (vmdk, vhdx, vpc, vdi, qed) is read, and written when
   * vkit writes it, and that is all. */
  if ((fd = mem_copy(data, size)) < 0)
    return 0;
  fd_path(path, sizeof path, fd);
  {
    vk_image_format fmt = VK_FMT_NONE;
    vk_error *err = NULL;
    if (vk_image_probe(path, &fmt, &err) &&
        (fmt == VK_FMT_VPC || fmt == VK_FMT_VDI || fmt == VK_FMT_VMDK || fmt == VK_FMT_VHDX ||
         fmt == VK_FMT_QED)) {
      read_only(path, fmt);
      close(fd);
      if ((fmt == VK_FMT_VPC || fmt == VK_FMT_VDI || fmt == VK_FMT_VMDK || fmt == VK_FMT_VHDX) &&
          (fd = mem_copy(data, size)) >= 0) {
        fd_path(path, sizeof path, fd);
        other_write_path(path, fmt);
        close(fd);
      }
      return 0;
    }
    vk_error_free(err);
  }
  read_only(path, VK_FMT_QCOW2);
  before = check_fd(fd, path, VK_CHECK_REPAIR_NONE);
  close(fd);

  /* Writes on a fresh copy; a clean image must stay clean. */
  if ((fd = mem_copy(data, size)) < 0)
    return 0;
  fd_path(path, sizeof path, fd);
  writes_ok = write_path(fd, path);
  if (clean(&before) && writes_ok) {
    after = check_fd(fd, path, VK_CHECK_REPAIR_NONE);
    if (!clean(&after)) {
      describe("check of the input", &before);
      describe("check after the writes", &after);
      broken("a clean image is no longer clean after writes that all succeeded");
    }
  }
  close(fd);

  /* Repair on another copy: what it claims must hold. */
  if ((fd = mem_copy(data, size)) < 0)
    return 0;
  fd_path(path, sizeof path, fd);
  repaired = check_fd(fd, path, VK_CHECK_REPAIR_ALL);
  if (repaired.ran && !repaired.res.corruptions && !repaired.res.check_errors) {
    again = check_fd(fd, path, VK_CHECK_REPAIR_NONE);
    if (!again.ran || again.res.corruptions || again.res.check_errors ||
        (again.res.leaks && !repaired.res.leaks)) {
      describe("check -r all", &repaired);
      describe("check after it", &again);
      broken("check -r all left an image a second check does not call clean");
    }
  }
  close(fd);
  return 0;
}

#ifndef VK_FUZZ_LIBFUZZER
/* ---------------------------------------------------------------- replay */

#define REPLAY_SECONDS 20   /* per input: a hang fails instead of blocking make check */

static int tests_run, tests_failed;

/* The last two components of a path ("corpus/v3-4k.qcow2"), for TAP. */
static const char *
short_name(const char *path)
{
  const char *p = path + strlen(path), *cut = path;
  int slashes = 0;

  while (p > path)
    if (*--p == '/' && ++slashes == 2) {
      cut = p + 1;
      break;
    }
  return cut;
}

/* Run one input in a child; print its TAP line. */
static void
replay(const char *path)
{
  const char *file = short_name(path);
  pid_t pid;
  int status;

  fflush(stdout);
  pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(1);
  }
  if (pid == 0) {
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    long n;
    alarm(REPLAY_SECONDS);
    if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
        !(data = malloc((size_t)n + 1)) || fread(data, 1, (size_t)n, f) != (size_t)n) {
      perror(path);
      _exit(99);
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, (size_t)n);
    free(data);
    exit(0);
  }
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      perror("waitpid");
      exit(1);
    }
  tests_run++;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    printf("ok %d - %s\n", tests_run, file);
    return;
  }
  tests_failed++;
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
    printf("not ok %d - %s: still running after %d s (a hang?)\n", tests_run, file,
           REPLAY_SECONDS);
  else if (WIFSIGNALED(status))
    printf("not ok %d - %s: killed by signal %d (%s)\n", tests_run, file, WTERMSIG(status),
           strsignal(WTERMSIG(status)));
  else
    printf("not ok %d - %s: exit status %d\n", tests_run, file, WEXITSTATUS(status));
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int
not_hidden(const struct dirent *d)
{
  return d->d_name[0] != '.';
}

/* A file, or every regular file in a directory (in name order). */
static void
replay_arg(const char *arg)
{
  struct dirent **names;
  struct stat st;
  int n;

  if (stat(arg, &st) < 0) {
    printf("not ok %d - %s: %s\n", ++tests_run, arg, strerror(errno));
    tests_failed++;
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    replay(arg);
    return;
  }
  n = scandir(arg, &names, not_hidden, by_name);
  for (int i = 0; i < n; i++) {
    char *p = NULL;
    if (asprintf(&p, "%s/%s", arg, names[i]->d_name) >= 0 && stat(p, &st) == 0 &&
        S_ISREG(st.st_mode) && strcmp(names[i]->d_name, "README") != 0)
      replay(p);
    free(p);
    free(names[i]);
  }
  free(n >= 0 ? names : NULL);
}

int
main(int argc, char **argv)
{
  int first = 1;

  for (; first < argc && argv[first][0] == '-'; first++) {
    if (strcmp(argv[first], "-v") == 0) {
      verbose = 1;
    } else if (strcmp(argv[first], "-vv") == 0) {
      verbose = 2;
    } else if (strcmp(argv[first], "-s") == 0 && first + 1 < argc) {
      forced_seed = strtoull(argv[++first], NULL, 0) | 1;
    } else {
      fprintf(stderr, "usage: %s [-v|-vv] [-s SEED] [FILE|DIR]...\n", argv[0]);
      return 2;
    }
  }
  if (argc > first) {
    for (int i = first; i < argc; i++)
      replay_arg(argv[i]);
  } else {
    const char *src = getenv("VK_SRCDIR");
    char *dir = NULL;
    if (!src) {
      fprintf(stderr, "usage: %s [-v|-vv] [-s SEED] FILE|DIR... (or VK_SRCDIR set, as by make check)\n",
              argv[0]);
      return 2;
    }
    if (asprintf(&dir, "%s/tests/fuzz/corpus", src) >= 0)
      replay_arg(dir);
    free(dir);
    if (asprintf(&dir, "%s/tests/fuzz/regress", src) >= 0)
      replay_arg(dir);
    free(dir);
  }
  printf("1..%d\n", tests_run);
  return tests_failed ? 1 : 0;
}
#endif
