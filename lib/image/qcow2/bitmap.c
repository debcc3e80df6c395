/* vkit — qcow2 persistent bitmaps (see bitmap.h), and the driver's part:
 * marking them in use before the guest's data changes. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/qcow2/bitmap.h"
#include "image/qcow2/qcow2.h"
#include "util/cleanup.h"

void
qcow2_bitmap_dir_clear(qcow2_bitmap_dir *d)
{
  for (uint32_t i = 0; d->bm && i < d->n; i++)
    free(d->bm[i].name);
  free(d->bm);
  free(d->raw);
  memset(d, 0, sizeof *d);
}

static bool
bad(vk_error **errp, const char *file, const char *what, uint32_t i)
{
  return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: corrupt image: bitmap %u: %s", file, i, what);
}

static bool
read_dir(int fd, const char *file, uint64_t file_len, const qcow2_header *h,
         qcow2_bitmap_dir *d, vk_error **errp)
{
  uint64_t cs = 1ULL << h->cluster_bits;
  size_t pos = 0;

  if (!h->has_bitmaps)
    return true;
  if (h->bitmap_dir_offset >= file_len || h->bitmap_dir_size > file_len - h->bitmap_dir_offset)
    return vk_error_set(errp, VK_EXIT_CORRUPT,
                        "%s: corrupt image: bitmap directory past the end of the file", file);
  d->len = (size_t)h->bitmap_dir_size;
  if (!(d->raw = malloc(d->len)) || !(d->bm = calloc(h->nb_bitmaps, sizeof *d->bm)))
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "%s: bitmap directory", file);
  if (!vk_host_pread(fd, d->raw, d->len, h->bitmap_dir_offset, file, errp))
    return false;
  for (uint32_t i = 0; i < h->nb_bitmaps; i++) {
    qcow2_bitmap *b = &d->bm[i];
    const unsigned char *e = d->raw + pos;
    uint32_t extra, namel;
    size_t len;

    if (d->len - pos < sizeof(qcow2_disk_bitmap))
      return bad(errp, file, "directory entry past the end of the directory", i);
    b->entry_pos = pos;
    b->table_offset = vk_be64(e + QB(bitmap_table_offset));
    b->table_size = vk_be32(e + QB(bitmap_table_size));
    b->flags = vk_be32(e + QB(flags));
    b->type = e[QB(type)];
    b->granularity_bits = e[QB(granularity_bits)];
    namel = vk_be16(e + QB(name_size));
    extra = vk_be32(e + QB(extra_data_size));
    d->n = i + 1;
    if (extra > d->len || namel > d->len ||
        (len = (sizeof(qcow2_disk_bitmap) + extra + namel + 7) & ~(size_t)7) > d->len - pos)
      return bad(errp, file, "directory entry past the end of the directory", i);
    if (b->flags & QCOW2_BME_RESERVED)
      return bad(errp, file, "reserved flags set", i);
    if (b->type != 1)
      return bad(errp, file, "unknown bitmap type", i);
    if (b->granularity_bits < 9 || b->granularity_bits > 31)
      return bad(errp, file, "granularity out of range", i);
    if (namel == 0 || namel > QCOW2_MAX_BITMAP_NAME)
      return bad(errp, file, "bad name length", i);
    if (!b->table_offset || b->table_offset % cs || b->table_size > QCOW2_BITMAP_MAX_TABLE ||
        b->table_offset >= file_len || (uint64_t)b->table_size * 8 > file_len - b->table_offset)
      return bad(errp, file, "bitmap table not cluster aligned or past the end of the file", i);
    if (!(b->name = strndup((const char *)e + sizeof(qcow2_disk_bitmap) + extra, namel)))
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "%s: bitmap directory", file);
    b->entry_len = len;
    b->extra_size = extra;
    pos += len;
  }
  return true;
}

bool
qcow2_bitmap_dir_read(int fd, const char *file, uint64_t file_len, const qcow2_header *h,
                      qcow2_bitmap_dir *d, vk_error **errp)
{
  memset(d, 0, sizeof *d);
  if (read_dir(fd, file, file_len, h, d, errp))
    return true;
  qcow2_bitmap_dir_clear(d);
  return false;
}

/* Call fn() for each entry of bitmap *b's table that is not all zeros:
 * its index, its data cluster's host offset (0 when the entry says "all
 * ones").  The table is read a cluster at a time, each entry validated. */
static bool
walk_table(int fd, const char *file, const qcow2_geom *g, uint64_t file_len, const qcow2_bitmap *b,
           bool (*fn)(void *opaque, uint64_t idx, uint64_t host, vk_error **errp), void *opaque,
           vk_error **errp)
{
  CLEANUP_FREE unsigned char *buf = malloc(g->cs);
  uint64_t per = g->cs / 8, file_end = qcow2_file_end(g, file_len);

  if (!buf)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  for (uint64_t base = 0; base < b->table_size; base += per) {
    uint64_t n = b->table_size - base < per ? b->table_size - base : per;
    if (!vk_host_pread(fd, buf, n * 8, b->table_offset + base * 8, file, errp))
      return false;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t e = vk_be64(buf + i * 8), off = e & QCOW2_BTE_OFFSET_MASK;
      if ((e & QCOW2_BTE_RESERVED_MASK) || (off && (e & QCOW2_BTE_ALL_ONES)))
        return vk_error_set(errp, VK_EXIT_CORRUPT,
                            "%s: corrupt image: bitmap '%s': reserved bits set in a table entry",
                            file, b->name);
      if (!e)
        continue;
      if (off && (off % g->cs || off >= file_end))
        return vk_error_set(errp, VK_EXIT_CORRUPT,
                            "%s: corrupt image: bitmap '%s': data cluster not aligned or past the end of the file",
                            file, b->name);
      if (!fn(opaque, base + i, off, errp))
        return false;
    }
  }
  return true;
}

typedef struct cluster_walk {
  bool (*fn)(void *opaque, uint64_t host, vk_error **errp);
  void *opaque;
} cluster_walk;

static bool
each_cluster(void *opaque, uint64_t idx, uint64_t host, vk_error **errp)
{
  cluster_walk *w = opaque;
  (void)idx;
  return !host || w->fn(w->opaque, host, errp);
}

bool
qcow2_bitmap_clusters(int fd, const char *file, const qcow2_geom *g, uint64_t file_len,
                      const qcow2_bitmap *b,
                      bool (*fn)(void *opaque, uint64_t host, vk_error **errp), void *opaque,
                      vk_error **errp)
{
  cluster_walk w = { fn, opaque };
  return walk_table(fd, file, g, file_len, b, each_cluster, &w, errp);
}

uint64_t
qcow2_bitmap_data_bytes(uint64_t vsize, unsigned gbits)
{
  uint64_t granules = (vsize >> gbits) + !!(vsize & ((1ULL << gbits) - 1));
  return granules / 8 + !!(granules % 8);
}

const char *
qcow2_bitmap_problem(const qcow2_geom *g, uint64_t vsize, const qcow2_bitmap *b)
{
  uint64_t need = qcow2_bitmap_data_bytes(vsize, b->granularity_bits);

  if (!b->table_size)
    return "its table is empty";
  if ((uint64_t)b->table_size * g->cs > QCOW2_BITMAP_MAX_DATA)
    return "its table describes more than 64 MiB of bitmap data";
  /* QEMU loads a bitmap only when its table has exactly the clusters the
   * virtual size needs. */
  if (b->table_size != (need + g->cs - 1) / g->cs)
    return "its table size does not match the virtual size";
  if (b->extra_size && !(b->flags & QCOW2_BME_EXTRA_COMPAT))
    return "it has extra data vkit does not know";
  return NULL;
}

typedef struct loader {
  int fd;
  const char *file;
  uint64_t cs;
  unsigned char *bits;
  uint64_t len;
  unsigned char *buf;
} loader;

static bool
load_entry(void *opaque, uint64_t idx, uint64_t host, vk_error **errp)
{
  loader *l = opaque;
  uint64_t at = idx * l->cs, n;

  if (at >= l->len)
    return true; /* past what the virtual size needs: ignored */
  n = l->len - at < l->cs ? l->len - at : l->cs;
  if (!host) {
    memset(l->bits + at, 0xff, n);
    return true;
  }
  if (!vk_host_pread(l->fd, l->buf, n, host, l->file, errp))
    return false;
  memcpy(l->bits + at, l->buf, n);
  return true;
}

bool
qcow2_bitmap_load(int fd, const char *file, const qcow2_geom *g, uint64_t file_len, uint64_t vsize,
                  const qcow2_bitmap *b, unsigned char **bits, vk_error **errp)
{
  uint64_t len = qcow2_bitmap_data_bytes(vsize, b->granularity_bits);
  CLEANUP_FREE unsigned char *buf = malloc(g->cs);
  loader l = { fd, file, g->cs, calloc(len ? len : 1, 1), len, buf };

  *bits = NULL;
  if (!l.bits || !buf) {
    free(l.bits);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  if (!walk_table(fd, file, g, file_len, b, load_entry, &l, errp)) {
    free(l.bits);
    return false;
  }
  *bits = l.bits;
  return true;
}

void
qcow2_bitmap_dir_set_in_use(qcow2_bitmap_dir *d)
{
  for (uint32_t i = 0; i < d->n; i++) {
    unsigned char *f = d->raw + d->bm[i].entry_pos + QB(flags);
    d->bm[i].flags |= QCOW2_BME_IN_USE;
    vk_put_be32(f, d->bm[i].flags);
  }
}

/* The engine writes guest data without updating the bitmaps: as QEMU does
 * for a bitmap it cannot keep up to date, each is marked in use (QEMU then
 * calls it inconsistent and will not use it, and `qemu-img bitmap
 * --remove` takes it away); the bitmaps extension stays consistent, its
 * clusters stay allocated. */
bool
qcow2_bitmaps_mark_in_use(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);
  qcow2_bitmap_dir d;
  bool ok = true, any = false;

  if (!q->h.has_bitmaps || q->bitmaps_marked)
    return true;
  if (!qcow2_bitmap_dir_read(img->fd, img->filename, q->file_len, &q->h, &d, errp))
    return false;
  for (uint32_t i = 0; i < d.n; i++)
    any |= !(d.bm[i].flags & QCOW2_BME_IN_USE);
  if (any) {
    qcow2_bitmap_dir_set_in_use(&d);
    ok = qcow2_pwrite(img, QM_BITMAP_DIR, d.raw, d.len, q->h.bitmap_dir_offset, errp) &&
         vk_image_sync(img, errp);
    if (ok)
      vk_image_notice("%s: its persistent bitmaps no longer track the changes: marked in use",
                      img->filename);
  }
  qcow2_bitmap_dir_clear(&d);
  q->bitmaps_marked = ok;
  return ok;
}
