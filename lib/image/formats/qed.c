/* vkit — the qed driver: QEMU Enhanced Disk images, read only.
 *
 * A header (little-endian), an L1 table and L2 tables of table_size
 * clusters each, whose 64-bit entries give a data cluster's offset: 0 is
 * a cluster not stored (zeros: vkit does not read qed images with a
 * backing file), 1 a zeroed cluster.  Everything is decoded and checked
 * here before it is used: the header's cluster and table sizes, its
 * features (a backing file and unknown ones are refused by name), the
 * disk size against what the tables can map, the L1 table inside the
 * file, and each L2 table (when it is first read: all its entries) and
 * data cluster cluster-aligned and inside the file.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/formats/blockmap.h"
#include "util/bytes.h"

/* every message of this driver names the file and the format */
#define corrupt(img, errp, what) vk_fmt_corrupt((img)->filename, "qed", (errp), (what))
#define unsupported(img, errp, what) vk_fmt_unsupported((img)->filename, "qed", (errp), (what))

#define MAGIC 0x00444551u /* "QED\0" */
#define F_BACKING_FILE (1u << 0)
#define F_NEED_CHECK (1u << 1)
#define F_BACKING_FORMAT_NO_PROBE (1u << 2)
#define F_KNOWN (F_BACKING_FILE | F_NEED_CHECK | F_BACKING_FORMAT_NO_PROBE)
#define CLUSTER_ZERO 1
#define L2_CACHE 16
#define L2_CACHE_BYTES (64u << 20)

typedef struct qed_state {
  vk_blockmap m; /* m.table: the L1 table (nl1 entries, host order) */
  uint32_t cluster;
  uint64_t entries; /* per table */
  uint64_t file_size;
  uint64_t *l1; /* = m.table */
  uint64_t nl1; /* L1 entries the disk uses */
  uint64_t *l2; /* nslots tables */
  int nslots;   /* L2_CACHE, fewer for big tables */
  int64_t l2_of[L2_CACHE];
} qed_state;

/* L2 table `i` (read and checked on first use). */
static const uint64_t *
l2_table(vk_image *img, qed_state *s, uint64_t i, vk_error **errp)
{
  int slot = (int)(i % (uint64_t)s->nslots);
  uint64_t *t = s->l2 + (size_t)slot * s->entries;
  unsigned char *raw;

  if (s->l2_of[slot] == (int64_t)i)
    return t;
  s->l2_of[slot] = -1;
  if (!(raw = malloc(s->entries * 8))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  if (!vk_host_pread(img->fd, raw, s->entries * 8, s->l1[i], img->filename, errp)) {
    free(raw);
    return NULL;
  }
  for (uint64_t k = 0; k < s->entries; k++) {
    uint64_t e = vk_le64(raw + k * 8);
    if (e > CLUSTER_ZERO && (e % s->cluster || e > s->file_size || s->file_size - e < s->cluster)) {
      free(raw);
      corrupt(img, errp, "a data cluster lies outside the file or is not aligned");
      return NULL;
    }
    t[k] = e;
  }
  free(raw);
  s->l2_of[slot] = (int64_t)i;
  return t;
}

/* Where cluster c is: a lookup of formats/blockmap.h. */
static int64_t
qed_lookup(vk_image *img, uint64_t c, uint64_t *same, vk_error **errp)
{
  qed_state *s = img->priv;
  uint64_t i = c / s->entries, e;
  const uint64_t *t;

  if (i >= s->nl1 || s->l1[i] == 0) {
    *same = s->entries - c % s->entries; /* the rest of this table's span */
    return VK_BLOCK_ABSENT;
  }
  if (!(t = l2_table(img, s, i, errp)))
    return VK_BLOCK_ERROR;
  e = t[c % s->entries];
  return e == 0 ? VK_BLOCK_ABSENT : e == CLUSTER_ZERO ? VK_BLOCK_ZERO : (int64_t)e;
}

static bool
qed_open(vk_image *img, vk_error **errp)
{
  unsigned char h[64], *raw;
  uint32_t table_size, header_size;
  uint64_t features, l1_off, max, table_bytes;
  qed_state *s;

  if (!vk_fmt_read_only(img, errp))
    return false;
  if (!(s = calloc(1, sizeof *s)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  img->priv = s;
  if (!vk_host_size(img->fd, img->filename, &s->file_size, errp))
    return false;
  if (s->file_size < sizeof h)
    return corrupt(img, errp, "shorter than its header");
  if (!vk_host_pread(img->fd, h, sizeof h, 0, img->filename, errp))
    return false;
  if (vk_le32(h) != MAGIC)
    return corrupt(img, errp, "no magic (\"QED\")");
  s->cluster = vk_le32(h + 4);
  table_size = vk_le32(h + 8);
  header_size = vk_le32(h + 12);
  features = vk_le64(h + 16);
  l1_off = vk_le64(h + 40);
  img->size = vk_le64(h + 48);
  if (!vk_fmt_size_ok(img, "qed", errp))
    return false;
  if (s->cluster < 4096 || s->cluster > (64u << 20) || (s->cluster & (s->cluster - 1)))
    return corrupt(img, errp, "the cluster size is not a power of two from 4 KiB to 64 MiB");
  if (table_size < 1 || table_size > 16 || (table_size & (table_size - 1)))
    return corrupt(img, errp, "the table size is not a power of two from 1 to 16 clusters");
  if (header_size == 0 || header_size > 16)
    return corrupt(img, errp, "the header size is not 1 to 16 clusters");
  if (features & ~(uint64_t)F_KNOWN)
    return unsupported(img, errp, "features vkit does not know");
  if (features & F_BACKING_FILE)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s is a qed image with a backing file, which vkit does not read",
                        img->filename);
  table_bytes = (uint64_t)table_size * s->cluster;
  s->entries = table_bytes / 8;
  max = s->entries * s->entries > UINT64_MAX / s->cluster ? UINT64_MAX
                                                          : s->entries * s->entries * s->cluster;
  if (img->size % 512 || img->size > max)
    return corrupt(img, errp, "the disk size is not a multiple of 512 that the tables can map");
  if (l1_off < (uint64_t)header_size * s->cluster || l1_off % s->cluster || l1_off > s->file_size ||
      s->file_size - l1_off < table_bytes)
    return corrupt(img, errp, "the L1 table lies outside the file");
  s->nl1 = (img->size / s->cluster + s->entries - 1) / s->entries;
  s->m.block_size = s->cluster;
  s->m.lookup = qed_lookup;
  if (!(s->m.table = s->l1 = calloc(s->nl1 ? s->nl1 : 1, 8)) ||
      !(raw = malloc(s->nl1 ? s->nl1 * 8 : 1)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(img->fd, raw, s->nl1 * 8, l1_off, img->filename, errp)) {
    free(raw);
    return false;
  }
  for (uint64_t i = 0; i < s->nl1; i++) {
    uint64_t e = vk_le64(raw + i * 8);
    if (e && (e % s->cluster || e > s->file_size || s->file_size - e < table_bytes)) {
      free(raw);
      return corrupt(img, errp, "an L2 table lies outside the file or is not aligned");
    }
    s->l1[i] = e;
  }
  free(raw);
  s->nslots = table_bytes * L2_CACHE <= L2_CACHE_BYTES ? L2_CACHE
              : table_bytes >= L2_CACHE_BYTES          ? 1
                                                       : (int)(L2_CACHE_BYTES / table_bytes);
  if (!(s->l2 = malloc((size_t)s->nslots * table_bytes)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  for (int i = 0; i < L2_CACHE; i++)
    s->l2_of[i] = -1;
  return true;
}

static bool
qed_close(vk_image *img, vk_error **errp)
{
  qed_state *s = img->priv;

  if (s)
    free(s->l2);
  return vk_blockmap_close(img, errp);
}

const vk_image_driver vk_qed_driver = {
  .name = "qed",
  .open = qed_open,
  .pread = vk_blockmap_pread,
  .block_status = vk_blockmap_status,
  .info = vk_blockmap_info,
  .close = qed_close,
};
