/* vkit — changing the persistent bitmaps of a qcow2 image: `vimg bitmap`
 * (add, remove, clear, enable, disable, merge), `convert --bitmaps`, and
 * what `info` and `measure` report about them (see image.h).
 *
 * An edit reads the bitmap directory, applies every operation in memory
 * (bitmaps whose bits change are loaded whole: at most 64 MiB each, the
 * limit QEMU has too), then writes new data clusters, new tables and a
 * new directory into fresh clusters, switches the header's bitmaps
 * extension to them in one synced write, and frees what the old
 * directory alone used.  A crash before the switch leaves the old
 * bitmaps, after it the new ones; at worst clusters leak.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/qcow2/bitmap.h"
#include "image/qcow2/qcow2.h"
#include "util/cleanup.h"

typedef struct ent {
  char *name; /* owned */
  uint32_t flags;
  uint8_t gbits;
  int old;             /* index in the old directory, -1: new */
  unsigned char *bits; /* content (owned), NULL: not loaded */
  bool dirty;          /* bits changed: written anew */
  bool removed;
  uint64_t table_offset; /* after store: the new table */
  uint32_t table_size;
} ent;

typedef struct edit {
  vk_image *img;
  qcow2_bitmap_dir dir; /* as on disk */
  ent *e;
  size_t n, cap;
  bool changed;
  uint64_t dir_offset, dir_size; /* of the directory on disk (0: none) */
} edit;

static void
edit_clear(edit *ed)
{
  for (size_t i = 0; i < ed->n; i++) {
    free(ed->e[i].name);
    free(ed->e[i].bits);
  }
  free(ed->e);
  qcow2_bitmap_dir_clear(&ed->dir);
  memset(ed, 0, sizeof *ed);
}

static ent *
edit_push(edit *ed, vk_error **errp)
{
  if (ed->n == ed->cap) {
    size_t cap = ed->cap ? ed->cap * 2 : 8;
    ent *n = realloc(ed->e, cap * sizeof *n);
    if (!n) {
      vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      return NULL;
    }
    ed->e = n;
    ed->cap = cap;
  }
  memset(&ed->e[ed->n], 0, sizeof ed->e[ed->n]);
  ed->e[ed->n].old = -1;
  return &ed->e[ed->n++];
}

/* The directory of `img` (a qcow2 image), read with everything flushed. */
static bool
edit_open(edit *ed, vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);

  memset(ed, 0, sizeof *ed);
  ed->img = img;
  if (img->writable && !qcow2_flush_meta(img, errp))
    return false;
  if (!qcow2_bitmap_dir_read(img->fd, img->filename, q->file_len, &q->h, &ed->dir, errp))
    return false;
  if (q->h.has_bitmaps) {
    ed->dir_offset = q->h.bitmap_dir_offset;
    ed->dir_size = q->h.bitmap_dir_size;
  }
  for (uint32_t i = 0; i < ed->dir.n; i++) {
    const qcow2_bitmap *b = &ed->dir.bm[i];
    ent *e = edit_push(ed, errp);
    if (!e || !(e->name = strdup(b->name))) {
      edit_clear(ed);
      return e ? vk_error_set(errp, VK_EXIT_FAILED, "out of memory") : false;
    }
    e->flags = b->flags;
    e->gbits = b->granularity_bits;
    e->old = (int)i;
  }
  return true;
}

static ent *
edit_find(edit *ed, const char *name)
{
  for (size_t i = 0; i < ed->n; i++)
    if (!ed->e[i].removed && strcmp(ed->e[i].name, name) == 0)
      return &ed->e[i];
  return NULL;
}

/* The virtual size as the engine and QEMU read it (whole sectors). */
static uint64_t
vsize_of(vk_image *img)
{
  return Q(img)->h.size & ~511ULL;
}

/* The bits of *e, loaded from disk the first time (a usable bitmap only). */
static unsigned char *
edit_bits(edit *ed, ent *e, vk_error **errp)
{
  qcow2 *q = Q(ed->img);
  const qcow2_bitmap *b;
  const char *why;

  if (e->bits)
    return e->bits;
  if (e->old < 0) {
    uint64_t len = qcow2_bitmap_data_bytes(vsize_of(ed->img), e->gbits);
    if (!(e->bits = calloc(len ? len : 1, 1)))
      vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return e->bits;
  }
  b = &ed->dir.bm[e->old];
  if ((why = qcow2_bitmap_problem(&q->g, vsize_of(ed->img), b))) {
    vk_error_set(errp, VK_EXIT_CORRUPT, "%s: corrupt image: bitmap '%s': %s", ed->img->filename,
                 e->name, why);
    return NULL;
  }
  if (!qcow2_bitmap_load(ed->img->fd, ed->img->filename, &q->g, q->file_len, vsize_of(ed->img), b,
                         &e->bits, errp))
    return NULL;
  return e->bits;
}

static bool
usable(edit *ed, const ent *e, vk_error **errp)
{
  if (e->flags & QCOW2_BME_IN_USE)
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "%s: bitmap '%s' is in use (inconsistent) and cannot be used; remove it "
                        "with vimg bitmap --remove",
                        ed->img->filename, e->name);
  return true;
}

/* OR the bits of `s` (granularity 2^sg) into `d` (2^dg), both for an image
 * of `vsize` bytes. */
static void
merge_bits(unsigned char *d, unsigned dg, const unsigned char *s, unsigned sg, uint64_t vsize)
{
  uint64_t sn = (vsize >> sg) + !!(vsize & ((1ULL << sg) - 1));

  for (uint64_t k = 0; k * 8 < sn; k++) {
    if (!s[k])
      continue;
    if (sg == dg) {
      d[k] |= s[k];
      continue;
    }
    for (unsigned i = 0; i < 8 && k * 8 + i < sn; i++) {
      uint64_t start, end;
      if (!(s[k] & (1u << i)))
        continue;
      start = (k * 8 + i) << sg;
      end = ((k * 8 + i + 1) << sg) < vsize ? (k * 8 + i + 1) << sg : vsize;
      for (uint64_t j = start >> dg; j <= (end - 1) >> dg; j++)
        d[j / 8] |= (unsigned char)(1u << (j % 8));
    }
  }
}

static bool
check_name(const char *name, vk_error **errp)
{
  size_t n = strlen(name);
  if (n == 0 || n > QCOW2_MAX_BITMAP_NAME)
    return vk_error_set(errp, VK_EXIT_USAGE, "a bitmap name has 1 to %d bytes",
                        QCOW2_MAX_BITMAP_NAME);
  return true;
}

static bool
add_entry(edit *ed, const char *name, unsigned gbits, uint32_t flags, vk_error **errp)
{
  qcow2 *q = Q(ed->img);
  size_t live = 0;
  ent *e;

  if (!check_name(name, errp))
    return false;
  if (q->h.version < 3)
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "%s: compat=0.10 images cannot store bitmaps (vimg amend -o compat=1.1 "
                        "first)",
                        ed->img->filename);
  if (!vsize_of(ed->img))
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: an image of size 0 has nothing to track",
                        ed->img->filename);
  if (edit_find(ed, name))
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: bitmap '%s' exists already", ed->img->filename,
                        name);
  for (size_t i = 0; i < ed->n; i++)
    live += !ed->e[i].removed;
  if (live >= QCOW2_MAX_BITMAPS)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: an image has at most %d bitmaps",
                        ed->img->filename, QCOW2_MAX_BITMAPS);
  if (qcow2_bitmap_data_bytes(vsize_of(ed->img), gbits) > QCOW2_BITMAP_MAX_DATA)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: a bitmap of this granularity would need more than 64 MiB; use a "
                        "larger one (-g)",
                        ed->img->filename);
  if (!(e = edit_push(ed, errp)))
    return false;
  e->gbits = (uint8_t)gbits;
  e->flags = flags;
  e->dirty = true;
  if (!(e->name = strdup(name)) || !edit_bits(ed, e, errp)) {
    free(e->name);
    ed->n--;
    return e->name ? false : vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  ed->changed = true;
  return true;
}

/* The bits of bitmap `name` of `src` (an edit of another image, or ed). */
static const unsigned char *
source_bits(edit *ed, edit *sed, const char *name, unsigned *gbits, vk_error **errp)
{
  ent *s = edit_find(sed, name);

  if (!s) {
    vk_error_set(errp, VK_EXIT_NOTFOUND, "%s: no bitmap '%s'", sed->img->filename, name);
    return NULL;
  }
  if (!usable(sed, s, errp))
    return NULL;
  if (vsize_of(sed->img) != vsize_of(ed->img)) {
    vk_error_set(errp, VK_EXIT_FAILED,
                 "%s and %s have different virtual sizes: their bitmaps cannot be merged",
                 ed->img->filename, sed->img->filename);
    return NULL;
  }
  *gbits = s->gbits;
  return edit_bits(sed, s, errp);
}

static bool
apply_op(edit *ed, edit *sed, const char *name, const vk_bitmap_op *op, unsigned gbits,
         vk_error **errp)
{
  ent *e;
  const unsigned char *sb;
  unsigned sg = 0;

  if (op->action == VK_BITMAP_ADD)
    return add_entry(ed, name, gbits, QCOW2_BME_AUTO, errp);
  if (!(e = edit_find(ed, name)))
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "%s: no bitmap '%s'", ed->img->filename, name);
  if (op->action == VK_BITMAP_REMOVE) {
    e->removed = true;
    ed->changed = true;
    return true;
  }
  if (!usable(ed, e, errp))
    return false;
  switch (op->action) {
  case VK_BITMAP_CLEAR: {
    uint64_t len = qcow2_bitmap_data_bytes(vsize_of(ed->img), e->gbits);
    if (!edit_bits(ed, e, errp))
      return false;
    memset(e->bits, 0, len);
    e->dirty = true;
    break;
  }
  case VK_BITMAP_ENABLE: e->flags |= QCOW2_BME_AUTO; break;
  case VK_BITMAP_DISABLE: e->flags &= ~QCOW2_BME_AUTO; break;
  case VK_BITMAP_MERGE:
    if (!(sb = source_bits(ed, sed, op->source, &sg, errp)) || !edit_bits(ed, e, errp))
      return false;
    /* source_bits() may have loaded e itself (merging a bitmap into
     * itself): nothing changes then. */
    merge_bits(e->bits, e->gbits, sb, sg, vsize_of(ed->img));
    e->dirty = true;
    break;
  default: return vk_error_set(errp, VK_EXIT_FAILED, "unknown bitmap operation");
  }
  ed->changed = true;
  return true;
}

/* ---------------------------------------------------------------- store */

/* n fresh clusters, written with buf (len bytes, the rest zeros). */
static uint64_t
write_new(vk_image *img, const unsigned char *buf, size_t len, uint64_t clusters, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t off = qcow2_alloc_clusters(img, clusters, errp);

  if (!off || !qcow2_pwrite(img, QM_NEW, buf, len, off, errp))
    return 0;
  if (off + len > q->file_len)
    q->file_len = off + len;
  return off;
}

/* Write the bits of *e: a data cluster for each cluster of bits that is
 * not all zeros, then its table. */
static bool
store_bits(edit *ed, ent *e, vk_error **errp)
{
  vk_image *img = ed->img;
  uint64_t cs = Q(img)->g.cs, vsize = vsize_of(img);
  uint64_t len = qcow2_bitmap_data_bytes(vsize, e->gbits), n = (len + cs - 1) / cs;
  uint64_t granules = (vsize >> e->gbits) + !!(vsize & ((1ULL << e->gbits) - 1));
  uint64_t tclusters = (n * 8 + cs - 1) / cs;
  CLEANUP_FREE unsigned char *table = calloc(tclusters, cs);

  if (!table)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (granules % 8) /* bits past the end of the disk stay zero */
    e->bits[len - 1] &= (unsigned char)((1u << (granules % 8)) - 1);
  for (uint64_t i = 0; i < n; i++) {
    const unsigned char *p = e->bits + i * cs;
    size_t m = len - i * cs < cs ? (size_t)(len - i * cs) : (size_t)cs;
    uint64_t off;
    size_t k = 0;
    while (k < m && !p[k])
      k++;
    if (k == m)
      continue;
    if (!(off = write_new(img, p, m, 1, errp)))
      return false;
    vk_put_be64(table + i * 8, off);
  }
  if (!(e->table_offset = write_new(img, table, tclusters * cs, tclusters, errp)))
    return false;
  e->table_size = (uint32_t)n;
  return true;
}

/* The new directory: kept entries as stored (flags and table patched),
 * new ones built. */
static unsigned char *
build_dir(edit *ed, size_t *lenp, uint32_t *np, vk_error **errp)
{
  size_t len = 0, pos = 0;
  uint32_t n = 0;
  unsigned char *buf;

  for (size_t i = 0; i < ed->n; i++) {
    const ent *e = &ed->e[i];
    if (e->removed)
      continue;
    len += e->old >= 0 ? ed->dir.bm[e->old].entry_len
                       : (sizeof(qcow2_disk_bitmap) + strlen(e->name) + 7) & ~(size_t)7;
    n++;
  }
  if (len > QCOW2_MAX_BITMAP_DIR) {
    vk_error_set(errp, VK_EXIT_FAILED, "%s: the bitmap directory would be larger than 64 MiB",
                 ed->img->filename);
    return NULL;
  }
  if (!(buf = calloc(len ? len : 1, 1))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < ed->n; i++) {
    const ent *e = &ed->e[i];
    unsigned char *p = buf + pos;
    if (e->removed)
      continue;
    if (e->old >= 0) {
      const qcow2_bitmap *b = &ed->dir.bm[e->old];
      memcpy(p, ed->dir.raw + b->entry_pos, b->entry_len);
      pos += b->entry_len;
    } else {
      size_t nl = strlen(e->name);
      p[QB(type)] = 1;
      p[QB(granularity_bits)] = e->gbits;
      vk_put_be16(p + QB(name_size), (uint16_t)nl);
      memcpy(p + sizeof(qcow2_disk_bitmap), e->name, nl);
      pos += (sizeof(qcow2_disk_bitmap) + nl + 7) & ~(size_t)7;
    }
    vk_put_be32(p + QB(flags), e->flags);
    if (e->dirty) {
      vk_put_be64(p + QB(bitmap_table_offset), e->table_offset);
      vk_put_be32(p + QB(bitmap_table_size), e->table_size);
    }
  }
  *lenp = len;
  *np = n;
  return buf;
}

/* Point the header at the directory (n entries at off, len bytes; n = 0:
 * no bitmaps extension), one synced write of the header cluster. */
static bool
switch_header(vk_image *img, uint32_t n, uint64_t off, uint64_t len, vk_error **errp)
{
  qcow2 *q = Q(img);
  qcow2_header h = q->h; /* shallow: the extensions are rebuilt below */
  CLEANUP_FREE unsigned char *buf = malloc(q->g.cs);
  qcow2_ext *exts = calloc(q->h.n_exts + 1, sizeof *exts);
  unsigned char *data = malloc(QCOW2_BITMAPS_EXT_LEN);
  size_t m = 0;

  if (!buf || !exts || !data) {
    free(exts);
    free(data);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  for (size_t i = 0; i < q->h.n_exts; i++)
    if (q->h.exts[i].type != QCOW2_EXT_BITMAPS)
      exts[m++] = q->h.exts[i];
  if (n) {
    memset(data, 0, QCOW2_BITMAPS_EXT_LEN);
    vk_put_be32(data, n);
    vk_put_be64(data + 8, len);
    vk_put_be64(data + 16, off);
    exts[m++] = (qcow2_ext){ QCOW2_EXT_BITMAPS, QCOW2_BITMAPS_EXT_LEN, data };
  }
  h.exts = exts;
  h.n_exts = m;
  h.autoclear_features = n ? h.autoclear_features | QCOW2_AUTOCLEAR_BITMAPS
                           : h.autoclear_features & ~QCOW2_AUTOCLEAR_BITMAPS;
  if (!qcow2_header_write(&h, buf, q->g.cs, errp) ||
      !qcow2_pwrite(img, QM_HEADER, buf, q->g.cs, 0, errp) || !vk_image_sync(img, errp)) {
    free(exts);
    free(data);
    return false;
  }
  if (!n)
    free(data);
  for (size_t i = 0; i < q->h.n_exts; i++)
    if (q->h.exts[i].type == QCOW2_EXT_BITMAPS)
      free(q->h.exts[i].data);
  free(q->h.exts);
  q->h.exts = exts;
  q->h.n_exts = m;
  q->h.autoclear_features = h.autoclear_features;
  q->h.header_length = h.header_length;
  q->h.backing_file_offset = h.backing_file_offset;
  q->h.backing_file_size = h.backing_file_size;
  q->h.has_bitmaps = n > 0;
  q->h.nb_bitmaps = n;
  q->h.bitmap_dir_offset = n ? off : 0;
  q->h.bitmap_dir_size = n ? len : 0;
  return true;
}

static bool
free_cluster(void *opaque, uint64_t host, vk_error **errp)
{
  vk_image *img = opaque;
  return qcow2_update_refcount(img, host, Q(img)->g.cs, -1, errp);
}

static bool
nothing(void *opaque, uint64_t host, vk_error **errp)
{
  (void)opaque;
  (void)host;
  (void)errp;
  return true;
}

static bool
edit_commit(edit *ed, vk_error **errp)
{
  vk_image *img = ed->img;
  qcow2 *q = Q(img);
  CLEANUP_FREE unsigned char *dir = NULL;
  size_t len;
  uint32_t n;
  uint64_t off = 0;

  if (!ed->changed)
    return true;
  if (q->corrupt)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: image marked corrupt; not writing",
                        img->filename);
  /* the tables of what will be freed are read first: a broken one stops
   * the edit before anything changes */
  for (size_t i = 0; i < ed->n; i++) {
    const ent *e = &ed->e[i];
    if (e->old >= 0 && (e->removed || e->dirty) &&
        !qcow2_bitmap_clusters(img->fd, img->filename, &q->g, q->file_len, &ed->dir.bm[e->old],
                               nothing, NULL, errp))
      return false;
  }
  for (size_t i = 0; i < ed->n; i++)
    if (!ed->e[i].removed && ed->e[i].dirty && !store_bits(ed, &ed->e[i], errp))
      return false;
  if (!(dir = build_dir(ed, &len, &n, errp)))
    return false;
  if (n && !(off = write_new(img, dir, len, (len + q->g.cs - 1) / q->g.cs, errp)))
    return false;
  /* The new clusters and their refcounts on disk before the header
   * points at them. */
  if (!qcow2_flush_meta(img, errp) || !vk_image_sync(img, errp) ||
      !switch_header(img, n, off, len, errp))
    return false;
  if (!qcow2_meta_build(img, errp))
    return false;
  /* What only the old directory used. */
  if (ed->dir_size && !qcow2_update_refcount(img, ed->dir_offset, ed->dir_size, -1, errp))
    return false;
  for (size_t i = 0; i < ed->n; i++) {
    const ent *e = &ed->e[i];
    const qcow2_bitmap *b;
    if (e->old < 0 || (!e->removed && !e->dirty))
      continue;
    b = &ed->dir.bm[e->old];
    if (!qcow2_bitmap_clusters(img->fd, img->filename, &q->g, q->file_len, b, free_cluster, img,
                               errp) ||
        !qcow2_update_refcount(img, b->table_offset, (uint64_t)b->table_size * 8, -1, errp))
      return false;
  }
  q->bitmaps_marked = false;
  return qcow2_flush_meta(img, errp) && vk_image_sync(img, errp);
}

/* ---------------------------------------------------------------- API */

static bool
is_qcow2(vk_image *img, vk_error **errp)
{
  if (img->format != VK_FMT_QCOW2)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: %s images have no bitmaps (only qcow2 has them)",
                        img->filename, vk_image_format_name(img->format));
  return true;
}

static bool
writable(vk_image *img, vk_error **errp)
{
  if (!is_qcow2(img, errp))
    return false;
  if (!img->writable)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: image not open for writing", img->filename);
  if (Q(img)->corrupt)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: image marked corrupt; not writing",
                        img->filename);
  return true;
}

bool
vk_image_list_bitmaps(vk_image *img, vk_bitmap_info **out, size_t *n, vk_error **errp)
{
  qcow2_bitmap_dir d;
  vk_bitmap_info *b;

  *out = NULL;
  *n = 0;
  if (img->format != VK_FMT_QCOW2)
    return true;
  if (!qcow2_bitmap_dir_read(img->fd, img->filename, Q(img)->file_len, &Q(img)->h, &d, errp))
    return false;
  if (d.n && !(b = calloc(d.n, sizeof *b))) {
    qcow2_bitmap_dir_clear(&d);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  for (uint32_t i = 0; i < d.n; i++) {
    b[i].name = VK_STEAL(d.bm[i].name);
    b[i].granularity = 1u << d.bm[i].granularity_bits;
    b[i].enabled = d.bm[i].flags & QCOW2_BME_AUTO;
    b[i].in_use = d.bm[i].flags & QCOW2_BME_IN_USE;
  }
  if (d.n) {
    *out = b;
    *n = d.n;
  }
  qcow2_bitmap_dir_clear(&d);
  return true;
}

void
vk_bitmap_info_free(vk_bitmap_info *b, size_t n)
{
  for (size_t i = 0; b && i < n; i++)
    free(b[i].name);
  free(b);
}

static bool
granularity_bits(vk_image *img, uint32_t granularity, unsigned *bits, vk_error **errp)
{
  uint64_t g = granularity;

  if (!g) {
    g = Q(img)->g.cs;
    g = g < 4096 ? 4096 : g > 65536 ? 65536 : g;
  }
  if (g < 512 || (g & (g - 1)) || g > (1ULL << 31))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "bitmap granularity must be a power of two from 512 bytes to 2 GiB");
  for (*bits = 9; (1ULL << *bits) < g; ++*bits)
    ;
  return true;
}

bool
vk_image_bitmap_apply(vk_image *img, const char *name, const vk_bitmap_op *ops, size_t n,
                      uint32_t granularity, vk_image *src, vk_error **errp)
{
  edit ed, sed_w, *sed = &ed;
  unsigned gbits = 16;
  bool ok = true;

  vk_image_changed(img);
  if (!writable(img, errp) || !granularity_bits(img, granularity, &gbits, errp) ||
      !check_name(name, errp))
    return false;
  if (src && src != img && !is_qcow2(src, errp))
    return false;
  if (!edit_open(&ed, img, errp))
    return false;
  if (src && src != img) {
    if (!edit_open(&sed_w, src, errp)) {
      edit_clear(&ed);
      return false;
    }
    sed = &sed_w;
  }
  for (size_t i = 0; ok && i < n; i++)
    ok = apply_op(&ed, sed, name, &ops[i], gbits, errp);
  ok = ok && edit_commit(&ed, errp);
  if (sed != &ed)
    edit_clear(sed);
  edit_clear(&ed);
  return ok;
}

bool
vk_image_copy_bitmaps(vk_image *dst, vk_image *src, bool skip_broken, vk_error **errp)
{
  edit ed, sed;
  bool ok = true;

  vk_image_changed(dst);
  if (!is_qcow2(src, errp) || !writable(dst, errp))
    return false;
  if (vsize_of(src) != vsize_of(dst))
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "%s and %s have different virtual sizes: bitmaps cannot be copied",
                        src->filename, dst->filename);
  if (!edit_open(&sed, src, errp))
    return false;
  if (!edit_open(&ed, dst, errp)) {
    edit_clear(&sed);
    return false;
  }
  for (size_t i = 0; ok && i < sed.n; i++) {
    ent *s = &sed.e[i], *d;
    const unsigned char *bits;
    uint64_t len = qcow2_bitmap_data_bytes(vsize_of(src), s->gbits);
    if ((s->flags & QCOW2_BME_IN_USE) && skip_broken) {
      vk_image_notice("%s: bitmap '%s' is in use (inconsistent): not copied", src->filename,
                      s->name);
      continue;
    }
    ok = usable(&sed, s, errp) && (bits = edit_bits(&sed, s, errp)) &&
         add_entry(&ed, s->name, s->gbits, s->flags & QCOW2_BME_AUTO, errp);
    if (ok) {
      d = edit_find(&ed, s->name);
      memcpy(d->bits, bits, len);
      free(s->bits); /* one bitmap in memory at a time from the source */
      s->bits = NULL;
    }
  }
  ok = ok && edit_commit(&ed, errp);
  edit_clear(&ed);
  edit_clear(&sed);
  return ok;
}

bool
vk_image_bitmaps_size(vk_image *img, uint64_t cs, uint64_t *out, vk_error **errp)
{
  qcow2_bitmap_dir d;
  uint64_t size = 0, dir = 0;

  *out = 0;
  if (img->format != VK_FMT_QCOW2)
    return true;
  if (!qcow2_bitmap_dir_read(img->fd, img->filename, Q(img)->file_len, &Q(img)->h, &d, errp))
    return false;
  for (uint32_t i = 0; i < d.n; i++) {
    uint64_t bytes = qcow2_bitmap_data_bytes(vsize_of(img), d.bm[i].granularity_bits);
    uint64_t clusters = (bytes + cs - 1) / cs;
    size += clusters * cs + (clusters * 8 + cs - 1) / cs * cs;
    dir += (sizeof(qcow2_disk_bitmap) + strlen(d.bm[i].name) + 7) & ~(uint64_t)7;
  }
  *out = size + (dir + cs - 1) / cs * cs;
  qcow2_bitmap_dir_clear(&d);
  return true;
}
