/* Unit tests for the qcow2 cluster allocator (lib/image/qcow2/refcount.c):
 * its cost per allocation must not grow with the image, and clusters it
 * frees must be found again.  The cost is counted, not timed: the driver
 * counts every refcount it reads while searching for free clusters. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/driver.h"
#include "image/image.h"
#include "image/qcow2/qcow2.h"
#include "tap.h"

static char dir[] = "/tmp/vk-alloc-XXXXXX";

static vk_image *
make(const char *name, uint32_t cs, uint64_t size)
{
  char path[64];
  vk_image_opts o;
  vk_error *err = NULL;
  vk_image *img = NULL;

  snprintf(path, sizeof path, "%s/%s", dir, name);
  vk_image_opts_init(&o);
  o.format = VK_FMT_QCOW2;
  o.size = size;
  o.cluster_size = cs;
  o.has_cluster_size = 1;
  if (vk_image_create(path, &o, 0, &err))
    img = vk_image_open(path, VK_FMT_QCOW2, VK_IMAGE_RDWR | VK_IMAGE_UNSAFE, &err);
  if (err)
    printf("# %s\n", err->msg);
  vk_error_free(err);
  vk_image_opts_clear(&o);
  return img;
}

/* Write guest clusters [from, to) one at a time; false on an error. */
static bool
fill(vk_image *img, uint32_t cs, uint64_t from, uint64_t to)
{
  unsigned char *buf = malloc(cs);
  vk_error *err = NULL;
  bool good = buf != NULL;

  for (uint64_t c = from; good && c < to; c++) {
    memset(buf, (int)(c % 251) + 1, cs);
    good = vk_image_pwrite(img, buf, cs, c * cs, &err);
  }
  if (err)
    printf("# %s\n", err->msg);
  vk_error_free(err);
  free(buf);
  return good;
}

/* Sequential allocation: the refcounts read per data cluster stay below a
 * small constant, and the second half of the image costs no more than the
 * first.  A search that starts over from the image's first cluster reads
 * about n/2 refcounts per allocation instead. */
static void
sequential(uint32_t cs, uint64_t n)
{
  char name[32];
  vk_image *img;
  uint64_t first, second;

  snprintf(name, sizeof name, "seq-%u.qcow2", cs);
  img = make(name, cs, n * cs);
  if (!ok(img != NULL, "%u-byte clusters: image made", cs))
    return;
  ok(fill(img, cs, 0, n / 2), "%u-byte clusters: first half written", cs);
  first = Q(img)->alloc_probes;
  ok(fill(img, cs, n / 2, n), "%u-byte clusters: second half written", cs);
  second = Q(img)->alloc_probes - first;
  ok(first <= 3 * (n / 2) && second <= 3 * (n / 2),
     "%u-byte clusters: %" PRIu64 " and %" PRIu64 " refcounts read for %" PRIu64
     " clusters per half (at most 3 each)",
     cs, first, second, n / 2);
  ok(second <= first + first / 4 + 64, "%u-byte clusters: the second half costs what the first did",
     cs);
  ok(vk_image_close(img, NULL), "%u-byte clusters: closed", cs);
}

/* A cluster freed in the middle of the image is the next one handed out. */
static void
reuse(void)
{
  const uint32_t cs = 4096;
  vk_image *img = make("reuse.qcow2", cs, 4096 * (uint64_t)cs);
  vk_error *err = NULL;
  vk_extent e;
  int64_t freed;
  uint64_t probes;
  struct stat before, after;
  char path[64];

  if (!ok(img != NULL, "reuse: image made"))
    return;
  ok(fill(img, cs, 0, 200), "reuse: 200 clusters written");
  ok(vk_image_block_status(img, 50 * cs, cs, &e, &err) && e.host_offset > 0,
     "reuse: cluster 50 has a host offset");
  freed = e.host_offset;
  ok(vk_image_discard(img, 50 * cs, cs, &err) && vk_image_flush(img, &err),
     "reuse: cluster 50 discarded and flushed");
  snprintf(path, sizeof path, "%s/reuse.qcow2", dir);
  stat(path, &before);
  ok(fill(img, cs, 300, 301), "reuse: a new cluster written");
  ok(vk_image_block_status(img, 300 * cs, cs, &e, &err) && e.host_offset == freed,
     "reuse: it went to the freed cluster (%" PRId64 ", freed %" PRId64 ")", e.host_offset, freed);
  ok(vk_image_flush(img, &err) && stat(path, &after) == 0 && after.st_size == before.st_size,
     "reuse: the file did not grow");
  probes = Q(img)->alloc_probes;
  ok(fill(img, cs, 301, 302) && vk_image_block_status(img, 301 * cs, cs, &e, &err) &&
         e.host_offset >= before.st_size,
     "reuse: the next one goes to the end again");
  ok(Q(img)->alloc_probes - probes <= 4,
     "reuse: without reading the refcounts of the clusters in use again (%" PRIu64 " read)",
     Q(img)->alloc_probes - probes);
  if (err)
    printf("# %s\n", err->msg);
  vk_error_free(err);
  ok(vk_image_close(img, NULL), "reuse: closed");
}

int
main(void)
{
  if (!mkdtemp(dir))
    return 1;
  sequential(512, 16384);
  sequential(4096, 8192);
  sequential(65536, 2048);
  reuse();
  {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
      printf("# cleanup failed\n");
  }
  return tap_done();
}
