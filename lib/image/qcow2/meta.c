/* vkit — the map of an image's metadata clusters, for the overlap checks
 * of QCOW2.md §11.
 *
 * For an image open for writing, every host cluster that holds metadata
 * (header, L1 and L2 tables, refcount table and blocks, the snapshot
 * table and each snapshot's tables, the bitmap directory and bitmaps) is
 * in a hash map with the roles it plays.  qcow2_pwrite() refuses a write
 * that would land on a role other than its own, and the allocator refuses
 * to hand out a cluster that plays any: both mark the image corrupt
 * before a byte is written, as QEMU's overlap checks do.  The map follows
 * every change the driver makes (new L2 tables, relocated tables, new
 * refcount blocks) and is rebuilt after snapshot operations.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/qcow2/bitmap.h"
#include "image/qcow2/qcow2.h"
#include "image/qcow2/snapshot.h"
#include "util/cleanup.h"

#define ROLES(v) ((unsigned)((v) & 0xffff))
#define L2REFS(v) ((v) >> 16)

void
qcow2_meta_free(vk_image *img)
{
  vk_u64map_free(&Q(img)->meta);
}

bool
qcow2_meta_add(vk_image *img, uint64_t off, uint64_t len, unsigned role, vk_error **errp)
{
  qcow2 *q = Q(img);

  if (!len)
    return true;
  for (uint64_t c = off >> q->g.cluster_bits; c <= (off + len - 1) >> q->g.cluster_bits; c++) {
    uint64_t *v = vk_u64map_put(&q->meta, c, errp);
    if (!v)
      return false;
    *v |= role;
  }
  return true;
}

void
qcow2_meta_del(vk_image *img, uint64_t off, uint64_t len, unsigned role)
{
  qcow2 *q = Q(img);

  if (!len)
    return;
  for (uint64_t c = off >> q->g.cluster_bits; c <= (off + len - 1) >> q->g.cluster_bits; c++) {
    uint64_t *v = vk_u64map_get(&q->meta, c);
    if (v)
      *v &= ~(uint64_t)role;
  }
}

bool
qcow2_meta_l2(vk_image *img, uint64_t off, int delta, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t *v, refs;

  if (!(v = delta > 0 ? vk_u64map_put(&q->meta, off >> q->g.cluster_bits, errp)
                      : vk_u64map_get(&q->meta, off >> q->g.cluster_bits)))
    return delta < 0;
  refs = L2REFS(*v);
  if (delta > 0)
    refs++;
  else if (refs)
    refs--;
  *v = refs << 16 | (refs ? ROLES(*v) | QM_L2 : ROLES(*v) & ~(unsigned)QM_L2);
  return true;
}

unsigned
qcow2_meta_overlap(const qcow2 *q, uint64_t off, uint64_t len, unsigned self, uint64_t *at)
{
  if (!q->meta.cap || !len)
    return 0;
  for (uint64_t c = off >> q->g.cluster_bits; c <= (off + len - 1) >> q->g.cluster_bits; c++) {
    const uint64_t *v = vk_u64map_get(&q->meta, c);
    unsigned r = v ? ROLES(*v) & ~self : 0;
    if (r) {
      if (at)
        *at = c << q->g.cluster_bits;
      return r;
    }
  }
  return 0;
}

const char *
qcow2_meta_role_name(unsigned roles)
{
  static const char *const names[] = {
    "header", "active L1 table", "active L2 table", "refcount table", "refcount block",
    "snapshot table", "L1 table of a snapshot", "L2 table of a snapshot",
    "bitmap directory", "bitmap",
  };

  for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
    if (roles & (1u << i))
      return names[i];
  return "metadata";
}

/* Roles one cluster may play at once: one, or an L2 table shared by the
 * active state and snapshots. */
static bool
compatible(unsigned roles)
{
  return !(roles & (roles - 1)) || !(roles & ~(unsigned)(QM_L2 | QM_SNAP_L2));
}

/* Every snapshot's L1 table (each distinct one read once) and the L2
 * tables it points at. */
static bool
add_snapshots(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);
  qcow2_snapshot_table t;
  CLEANUP_FREE unsigned char *raw = NULL;
  bool ok = false;

  if (!qcow2_snapshot_table_read(img->fd, img->filename, q->file_len, &q->h, &t, errp))
    return false;
  if (!qcow2_meta_add(img, t.offset, t.len, QM_SNAP_TABLE, errp))
    goto out;
  for (uint32_t i = 0; i < t.n; i++) {
    const qcow2_snapshot *sn = &t.sn[i];
    const char *why = qcow2_snapshot_problem(&q->g, sn, q->file_len, true);
    uint64_t bytes = (uint64_t)sn->l1_size * 8;
    bool seen = false;

    if (why) {
      vk_error_set(errp, VK_EXIT_CORRUPT, "%s: corrupt image: snapshot %s: %s", img->filename,
                   sn->id, why);
      goto out;
    }
    for (uint32_t k = 0; k < i && !seen; k++)
      seen = t.sn[k].l1_offset == sn->l1_offset && t.sn[k].l1_size == sn->l1_size;
    if (seen || !bytes)
      continue;
    if (!qcow2_meta_add(img, sn->l1_offset, bytes, QM_SNAP_L1, errp))
      goto out;
    free(raw);
    if (!(raw = malloc(bytes))) {
      vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      goto out;
    }
    if (!vk_host_pread(img->fd, raw, bytes, sn->l1_offset, img->filename, errp))
      goto out;
    for (uint32_t j = 0; j < sn->l1_size; j++) {
      uint64_t e = vk_be64(raw + (size_t)j * 8);
      if ((why = qcow2_l1e_problem(&q->g, e, qcow2_limit(q)))) {
        vk_error_set(errp, VK_EXIT_CORRUPT, "%s: corrupt image: snapshot %s, L1 entry %u: %s",
                     img->filename, sn->id, j, why);
        goto out;
      }
      if (qcow2_l1e_offset(e) &&
          !qcow2_meta_add(img, qcow2_l1e_offset(e), q->g.cs, QM_SNAP_L2, errp))
        goto out;
    }
  }
  ok = true;
out:
  qcow2_snapshot_table_clear(&t);
  return ok;
}

static bool
add_bitmap_cluster(void *opaque, uint64_t host, vk_error **errp)
{
  vk_image *img = opaque;

  return qcow2_meta_add(img, host, Q(img)->g.cs, QM_BITMAP, errp);
}

static bool
add_bitmaps(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);
  qcow2_bitmap_dir d;
  bool ok = false;

  if (!q->h.has_bitmaps)
    return true;
  if (!qcow2_bitmap_dir_read(img->fd, img->filename, q->file_len, &q->h, &d, errp))
    return false;
  if (!qcow2_meta_add(img, q->h.bitmap_dir_offset, q->h.bitmap_dir_size, QM_BITMAP_DIR, errp))
    goto out;
  for (uint32_t i = 0; i < d.n; i++) {
    const qcow2_bitmap *b = &d.bm[i];
    if (!qcow2_meta_add(img, b->table_offset, (uint64_t)b->table_size * 8, QM_BITMAP, errp) ||
        !qcow2_bitmap_clusters(img->fd, img->filename, &q->g, q->file_len, b,
                               add_bitmap_cluster, img, errp))
      goto out;
  }
  ok = true;
out:
  qcow2_bitmap_dir_clear(&d);
  return ok;
}

bool
qcow2_meta_build(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);

  vk_u64map_free(&q->meta);
  if (!qcow2_meta_add(img, 0, q->g.cs, QM_HEADER, errp) ||
      !qcow2_meta_add(img, q->h.l1_table_offset, (uint64_t)q->l1_size * 8, QM_L1, errp) ||
      !qcow2_meta_add(img, q->h.refcount_table_offset,
                      (uint64_t)q->h.refcount_table_clusters * q->g.cs, QM_RT, errp))
    return false;
  for (uint32_t i = 0; i < q->l1_size; i++)
    if (qcow2_l1e_offset(q->l1[i]) && !qcow2_meta_l2(img, qcow2_l1e_offset(q->l1[i]), 1, errp))
      return false;
  for (uint64_t i = 0; i < q->rt_entries; i++)
    if (q->rt[i] && !qcow2_meta_add(img, q->rt[i], q->g.cs, QM_RB, errp))
      return false;
  if (!add_snapshots(img, errp) || !add_bitmaps(img, errp))
    return false;
  {
    uint64_t it = 0, c, *v;
    while (vk_u64map_next(&q->meta, &it, &c, &v)) {
      unsigned roles = ROLES(*v), first = roles & -roles;
      if (L2REFS(*v) > 1)
        return vk_error_set(errp, VK_EXIT_CORRUPT,
                            "%s: corrupt image: the L2 table at %#llx is used by %llu L1 entries",
                            img->filename, (unsigned long long)(c << q->g.cluster_bits),
                            (unsigned long long)L2REFS(*v));
      if (!compatible(roles))
        return vk_error_set(errp, VK_EXIT_CORRUPT,
                            "%s: corrupt image: the %s at %#llx overlaps the %s", img->filename,
                            qcow2_meta_role_name(first),
                            (unsigned long long)(c << q->g.cluster_bits),
                            qcow2_meta_role_name(roles & ~first));
    }
  }
  return true;
}

/* ------------------------------------------------------------ data in use */

static void
mark(qcow2 *q, uint64_t off, uint64_t n)
{
  for (uint64_t c = off >> q->g.cluster_bits; n--; c++)
    if (c < q->open_clusters)
      q->used[c / 8] |= (unsigned char)(1u << (c % 8));
}

/* The data clusters the L2 table at `l2` points at. */
static bool
mark_table(vk_image *img, uint64_t l2, vk_error **errp)
{
  qcow2 *q = Q(img);

  for (uint64_t j = 0; j < q->g.l2_entries; j++) {
    unsigned char *t = qcow2_cache_get(img, &q->l2c, l2, false, errp);
    uint64_t first, n;
    qcow2_l2e e;

    if (!t)
      return false;
    qcow2_l2e_get(&q->g, t, j, &e);
    if (qcow2_l2e_problem(&q->g, &e, qcow2_limit(q)))
      return qcow2_l2_entry(img, t, j, &e, errp);   /* says what, marks corrupt */
    if (e.compressed) {
      qcow2_compressed_clusters(&q->g, &e, &first, &n);
      mark(q, first, n);
    } else if (e.mapped && !q->g.data_file) {
      mark(q, e.host, 1);
    }
  }
  return true;
}

static bool
build_used(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);
  qcow2_snapshot_table t;
  bool ok = true;

  if (!(q->used = calloc(q->open_clusters / 8 + 1, 1)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  for (uint32_t i = 0; ok && i < q->l1_size; i++)
    if (qcow2_l1e_offset(q->l1[i]))
      ok = mark_table(img, qcow2_l1e_offset(q->l1[i]), errp);
  if (!ok || !qcow2_snapshot_table_read(img->fd, img->filename, q->file_len, &q->h, &t, errp))
    return false;
  for (uint32_t i = 0; ok && i < t.n; i++) {
    CLEANUP_FREE unsigned char *raw = malloc((size_t)t.sn[i].l1_size * 8 + 1);
    if (!raw) {
      ok = vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      break;
    }
    ok = vk_host_pread(img->fd, raw, (size_t)t.sn[i].l1_size * 8, t.sn[i].l1_offset,
                       img->filename, errp);
    for (uint32_t j = 0; ok && j < t.sn[i].l1_size; j++) {
      uint64_t e = vk_be64(raw + (size_t)j * 8);
      if (qcow2_l1e_offset(e))
        ok = mark_table(img, qcow2_l1e_offset(e), errp);
    }
  }
  qcow2_snapshot_table_clear(&t);
  return ok;
}

int
qcow2_used_data(vk_image *img, uint64_t c, vk_error **errp)
{
  qcow2 *q = Q(img);

  if (c >= q->open_clusters)
    return 0;
  if (!q->used && !build_used(img, errp)) {
    free(q->used);
    q->used = NULL;
    return -1;
  }
  return (q->used[c / 8] >> (c % 8)) & 1;
}

void
qcow2_used_forget(qcow2 *q, uint64_t c)
{
  if (q->used && c < q->open_clusters)
    q->used[c / 8] &= (unsigned char)~(1u << (c % 8));
}

bool
qcow2_not_data(vk_image *img, uint64_t off, uint64_t len, const char *what, vk_error **errp)
{
  qcow2 *q = Q(img);

  for (uint64_t c = off >> q->g.cluster_bits; len && c <= (off + len - 1) >> q->g.cluster_bits;
       c++) {
    int u = qcow2_used_data(img, c, errp);
    if (u < 0)
      return false;
    if (u)
      return qcow2_mark_corrupt(img, errp, "the %s at %#llx is also guest data", what,
                                (unsigned long long)(c << q->g.cluster_bits));
  }
  return true;
}
