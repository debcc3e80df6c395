/* vkit — creating, applying and deleting qcow2 internal snapshots
 * (QCOW2.md section 5).
 *
 * Reference counting follows what `qemu-img check` counts: every L1 table
 * (the active one and each snapshot's) adds one reference to each L2 table
 * it points at, and each such L2 table adds one to every data cluster (or
 * compressed range) it points at.  Taking a snapshot therefore adds one to
 * everything the active tree reaches, and deleting one takes one away from
 * everything its tree reaches.  COPIED is set on active entries exactly
 * when the target's refcount is 1.
 *
 * Order (a crash leaves at worst leaked clusters, except in the instant
 * between the write of the refcount blocks and that of the L2 tables in
 * the last flush of each operation, where a COPIED flag may disagree with
 * its refcount; `check -r all` fixes that, and no data is at risk):
 *   create: copy of the L1 table, +1 on the tree, COPIED cleared, new
 *           snapshot table, header switch, old table freed;
 *   delete: new snapshot table, header switch, old table freed, -1 on the
 *           snapshot's tree and its L1 table, COPIED recomputed;
 *   apply:  +1 on the snapshot's tree, the active L1 table overwritten,
 *           -1 on the old active tree, COPIED recomputed.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "image/qcow2/qcow2.h"
#include "image/qcow2/snapshot.h"
#include "util/cleanup.h"

/* The image's snapshot table, read from disk (everything flushed first). */
static bool
read_table(vk_image *img, qcow2_snapshot_table *t, vk_error **errp)
{
  qcow2 *q = Q(img);
  struct stat st;

  if (!qcow2_flush_meta(img, errp))
    return false;
  if (fstat(img->fd, &st) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s", img->filename);
  if ((uint64_t)st.st_size > q->file_len)
    q->file_len = (uint64_t)st.st_size;
  return qcow2_snapshot_table_read(img->fd, img->filename, q->file_len, &q->h, t, errp);
}

static bool
check_writable(vk_image *img, vk_error **errp)
{
  if (img->format != VK_FMT_QCOW2)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: %s images have no internal snapshots",
                        img->filename, vk_image_format_name(img->format));
  if (!img->writable)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: image not open for writing", img->filename);
  if (Q(img)->corrupt)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: image marked corrupt; not writing",
                        img->filename);
  if (Q(img)->g.data_file)
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "%s: internal snapshots of images with an external data file are not supported",
                        img->filename);
  return true;
}

/* Add `delta` to the refcount of every cluster the L1 table `l1` (n
 * entries, on-disk values) reaches: L2 tables, data clusters, compressed
 * ranges, in a fixed order.  At most `limit` updates are made; *done
 * counts them, so that a failure can be undone with the opposite delta
 * and limit = *done.  The L2 tables are read from disk: the caller has
 * flushed everything. */
static bool
tree_refs(vk_image *img, const uint64_t *l1, uint64_t n, int delta, uint64_t limit,
          uint64_t *done, vk_error **errp)
{
  qcow2 *q = Q(img);
  CLEANUP_FREE unsigned char *t = malloc(q->g.cs);
  const char *why;

  *done = 0;
  if (!t)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  for (uint64_t i = 0; i < n; i++) {
    uint64_t l2 = qcow2_l1e_offset(l1[i]);
    if ((why = qcow2_l1e_problem(&q->g, l1[i], qcow2_limit(q))))
      return qcow2_mark_corrupt(img, errp, "in a snapshot tree: %s (entry %#llx)", why,
                                (unsigned long long)l1[i]);
    if (!l2)
      continue;
    if (*done == limit)
      return true;
    if (!qcow2_update_refcount(img, l2, q->g.cs, delta, errp))
      return false;
    ++*done;
    if (!vk_host_pread(img->fd, t, q->g.cs, l2, img->filename, errp))
      return false;
    for (uint64_t j = 0; j < q->g.l2_entries; j++) {
      uint64_t first, nc;
      qcow2_l2e e;
      qcow2_l2e_get(&q->g, t, j, &e);
      if ((why = qcow2_l2e_problem(&q->g, &e, qcow2_limit(q))))
        return qcow2_mark_corrupt(img, errp, "in a snapshot tree: %s (entry %#llx)", why,
                                  (unsigned long long)e.word);
      if (e.compressed) {
        qcow2_compressed_clusters(&q->g, &e, &first, &nc);
      } else if (e.host) {
        first = e.host;
        nc = 1;
      } else {
        continue;
      }
      {
        uint64_t at = 0;
        unsigned hit = qcow2_meta_overlap(q, first, nc * q->g.cs, 0, &at);
        if (hit)
          return qcow2_mark_corrupt(img, errp, "in a snapshot tree: guest data at %#llx is the %s",
                                    (unsigned long long)at, qcow2_meta_role_name(hit));
      }
      for (uint64_t c = 0; c < nc; c++) {
        if (*done == limit)
          return true;
        if (!qcow2_update_refcount(img, first + c * q->g.cs, q->g.cs, delta, errp))
          return false;
        ++*done;
      }
    }
  }
  return true;
}

/* tree_refs() of the whole tree, undone if it fails midway. */
static bool
tree_refs_all(vk_image *img, const uint64_t *l1, uint64_t n, int delta, vk_error **errp)
{
  uint64_t done, undone;

  if (tree_refs(img, l1, n, delta, UINT64_MAX, &done, errp))
    return true;
  if (done)
    tree_refs(img, l1, n, -delta, done, &undone, NULL);
  return false;
}

/* Set COPIED on the active L1 and L2 entries exactly where the target's
 * refcount is 1 (compressed entries never have it). */
static bool
recompute_copied(vk_image *img, vk_error **errp)
{
  qcow2 *q = Q(img);

  for (uint32_t i = 0; i < q->l1_size; i++) {
    uint64_t l2 = q->l1[i] & QCOW2_L1E_OFFSET_MASK, rc, want;
    unsigned char *t;
    bool dirty = false;

    if (!l2)
      continue;
    if (!qcow2_get_refcount(img, l2 / q->g.cs, &rc, errp))
      return false;
    want = rc == 1 ? q->l1[i] | QCOW2_OFLAG_COPIED : q->l1[i] & ~QCOW2_OFLAG_COPIED;
    if (want != q->l1[i]) {
      q->l1[i] = want;
      q->l1_dirty[i] = true;
      q->any_l1_dirty = true;
      q->meta_dirty = true;
    }
    for (uint64_t j = 0; j < q->g.l2_entries; j++) {
      qcow2_l2e e;
      /* Look the table up each time: refcount lookups may flush. */
      if (!(t = qcow2_cache_get(img, &q->l2c, l2, false, errp)))
        return false;
      qcow2_l2e_get(&q->g, t, j, &e);
      if (!qcow2_l2e_has_cluster(&e))
        continue;
      if (!qcow2_get_refcount(img, e.host / q->g.cs, &rc, errp))
        return false;
      want = rc == 1 ? e.word | QCOW2_OFLAG_COPIED : e.word & ~QCOW2_OFLAG_COPIED;
      if (want == e.word)
        continue;
      if (!(t = qcow2_cache_get(img, &q->l2c, l2, false, errp)))
        return false;
      qcow2_l2e_put(&q->g, t, j, want, e.bitmap);
      qcow2_cache_mark_dirty(&q->l2c, t);
      dirty = true;
    }
    if (dirty)
      q->meta_dirty = true;
  }
  return qcow2_flush_meta(img, errp);
}

/* Write a new snapshot table made of the raw entries `old` keeps (all but
 * entry `skip`, or all when skip >= old->n) followed by `extra` (len
 * bytes, padded, or none); switch the header to it with one synced write;
 * free the old table. */
static bool
switch_table(vk_image *img, const qcow2_snapshot_table *old, uint32_t skip,
             const unsigned char *extra, size_t extra_len, vk_error **errp)
{
  qcow2 *q = Q(img);
  uint64_t len = 0, off = 0, pos = 0;
  uint32_t n = 0;
  CLEANUP_FREE unsigned char *buf = NULL;

  if (!qcow2_not_data(img, old->offset, old->len, "snapshot table", errp))
    return false;
  for (uint32_t i = 0; i < old->n; i++)
    if (i != skip)
      len += old->sn[i].raw_len;
  len += extra_len;
  if (len > QCOW2_SN_MAX_TABLE)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: the snapshot table would be too large",
                        img->filename);
  if (len) {
    uint64_t clusters = (len + q->g.cs - 1) / q->g.cs;
    if (!(buf = calloc(clusters, q->g.cs)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    for (uint32_t i = 0; i < old->n; i++) {
      if (i == skip)
        continue;
      if (!vk_host_pread(img->fd, buf + pos, old->sn[i].raw_len, old->sn[i].raw_off,
                         img->filename, errp))
        return false;
      pos += old->sn[i].raw_len;
      n++;
    }
    if (extra_len) {
      memcpy(buf + pos, extra, extra_len);
      n++;
    }
    if (!(off = qcow2_alloc_clusters(img, clusters, errp)) ||
        !qcow2_flush_meta(img, errp) ||
        !qcow2_pwrite(img, QM_NEW, buf, len, off, errp) ||
        !vk_image_sync(img, errp))
      return false;
    if (off + len > q->file_len)
      q->file_len = off + len;
  }
  if (!qcow2_write_header(img, qcow2_patch_snapshots(n, off), errp))
    return false;
  q->h.nb_snapshots = n;
  q->h.snapshots_offset = off;
  /* The map of metadata follows the new table (and its tables). */
  if (!qcow2_meta_build(img, errp))
    return false;
  if (old->len && !qcow2_update_refcount(img, old->offset, old->len, -1, errp))
    return false;
  return qcow2_flush_meta(img, errp);
}

/* Forget the cached copies of the L2 tables of l1[0..n) that nothing
 * references any more (their refcount dropped to zero). */
static bool
drop_freed_l2(vk_image *img, const uint64_t *l1, uint32_t n, vk_error **errp)
{
  qcow2 *q = Q(img);

  for (uint32_t i = 0; i < n; i++)
    if (l1[i] & QCOW2_L1E_OFFSET_MASK) {
      uint64_t rc;
      if (!qcow2_get_refcount(img, (l1[i] & QCOW2_L1E_OFFSET_MASK) / q->g.cs, &rc, errp))
        return false;
      if (!rc)
        qcow2_cache_drop(&q->l2c, l1[i] & QCOW2_L1E_OFFSET_MASK);
    }
  return true;
}

/* A snapshot's L1 table, read from disk (host order, entries as stored),
 * once the entry is judged usable (`apply`: usable to apply). */
static uint64_t *
read_l1(vk_image *img, const qcow2_snapshot *sn, bool apply, vk_error **errp)
{
  qcow2 *q = Q(img);
  const char *why;
  uint64_t *l1 = calloc(sn->l1_size ? sn->l1_size : 1, sizeof *l1);
  CLEANUP_FREE unsigned char *raw = malloc(sn->l1_size ? (size_t)sn->l1_size * 8 : 1);

  if (!l1 || !raw) {
    free(l1);
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  if ((why = qcow2_snapshot_problem(&q->g, sn, q->file_len, !apply))) {
    if (apply)
      vk_error_set(errp, VK_EXIT_CORRUPT,
                   "%s: corrupt image: snapshot %s cannot be applied: %s (delete it with vimg snapshot -d)",
                   img->filename, sn->id, why);
    else
      vk_error_set(errp, VK_EXIT_CORRUPT, "%s: corrupt image: snapshot %s: %s", img->filename,
                   sn->id, why);
    free(l1);
    return NULL;
  }
  if (sn->l1_size &&
      !vk_host_pread(img->fd, raw, (size_t)sn->l1_size * 8, sn->l1_offset, img->filename, errp)) {
    free(l1);
    return NULL;
  }
  for (uint32_t i = 0; i < sn->l1_size; i++)
    l1[i] = vk_be64(raw + (size_t)i * 8);
  return l1;
}

bool
vk_image_snapshot_create(vk_image *img, const char *name, vk_error **errp)
{
  vk_image_changed(img);
  qcow2 *q;
  qcow2_snapshot_table t;
  uint64_t idmax = 0, l1_off = 0, l1_clusters;
  char id[24];
  CLEANUP_FREE unsigned char *entry = NULL;
  CLEANUP_FREE unsigned char *raw = NULL;
  size_t entry_len;
  bool ok = false;

  if (!check_writable(img, errp))
    return false;
  q = Q(img);
  if (strlen(name) > 65535)
    return vk_error_set(errp, VK_EXIT_USAGE, "snapshot name too long (at most 65535 bytes)");
  if (!read_table(img, &t, errp))
    return false;
  for (uint32_t i = 0; i < t.n; i++) {
    char *end;
    unsigned long long v = strtoull(t.sn[i].id, &end, 10);
    if (!strcmp(t.sn[i].name, name) || !strcmp(t.sn[i].id, name)) {
      vk_error_set(errp, VK_EXIT_FAILED, "%s: snapshot '%s' already exists", img->filename, name);
      goto out;
    }
    if (!*end && v > idmax)
      idmax = v;
  }
  if (t.n >= QCOW2_MAX_SNAPSHOTS) {
    vk_error_set(errp, VK_EXIT_FAILED, "%s: too many snapshots", img->filename);
    goto out;
  }
  snprintf(id, sizeof id, "%llu", (unsigned long long)idmax + 1);

  /* The snapshot's L1 table: a copy of the active one, without COPIED. */
  l1_clusters = ((uint64_t)q->l1_size * 8 + q->g.cs - 1) / q->g.cs;
  if (l1_clusters) {
    if (!(raw = calloc(l1_clusters, q->g.cs))) {
      vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      goto out;
    }
    for (uint32_t i = 0; i < q->l1_size; i++)
      vk_put_be64(raw + (size_t)i * 8, q->l1[i] & ~QCOW2_OFLAG_COPIED);
    if (!(l1_off = qcow2_alloc_clusters(img, l1_clusters, errp)) ||
        !qcow2_flush_meta(img, errp) ||
        !qcow2_pwrite(img, QM_NEW, raw, (size_t)(l1_clusters * q->g.cs), l1_off, errp))
      goto out;
    if (l1_off + l1_clusters * q->g.cs > q->file_len)
      q->file_len = l1_off + l1_clusters * q->g.cs;
  }
  /* One more reference on everything the active tree reaches. */
  {
    CLEANUP_FREE uint64_t *l1 = malloc((q->l1_size ? q->l1_size : 1) * sizeof *l1);
    if (!l1) {
      vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      goto fail_l1;
    }
    for (uint32_t i = 0; i < q->l1_size; i++)
      l1[i] = q->l1[i] & ~QCOW2_OFLAG_COPIED;
    if (!tree_refs_all(img, l1, q->l1_size, 1, errp)) {
      vk_error_prefix(errp, "cannot create snapshot '%s'", name);
      goto fail_l1;
    }
  }
  /* The new refcounts and the cleared flags reach the disk in one flush
   * (refcount blocks first). */
  if (!recompute_copied(img, errp))
    goto out;
  if (!(entry = qcow2_snapshot_entry_new(id, name, l1_off, q->l1_size, img->size,
                                         &entry_len))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    goto out;
  }
  ok = switch_table(img, &t, UINT32_MAX, entry, entry_len, errp);
  goto out;
fail_l1:
  if (l1_off) {
    qcow2_update_refcount(img, l1_off, l1_clusters * q->g.cs, -1, NULL);
    qcow2_flush_meta(img, NULL);
  }
out:
  qcow2_snapshot_table_clear(&t);
  return ok;
}

static const qcow2_snapshot *
find(vk_image *img, const qcow2_snapshot_table *t, const char *spec, uint32_t *index,
     vk_error **errp)
{
  const qcow2_snapshot *sn = qcow2_snapshot_find(t, spec);

  if (!sn) {
    vk_error_set(errp, VK_EXIT_NOTFOUND, "%s: no snapshot '%s'", img->filename, spec);
    return NULL;
  }
  *index = (uint32_t)(sn - t->sn);
  return sn;
}

bool
vk_image_snapshot_delete(vk_image *img, const char *spec, vk_error **errp)
{
  vk_image_changed(img);
  qcow2_snapshot_table t;
  const qcow2_snapshot *sn;
  CLEANUP_FREE uint64_t *l1 = NULL;
  uint64_t l1_off, l1_bytes;
  uint32_t l1_size, index;
  bool ok = false;

  if (!check_writable(img, errp))
    return false;
  if (!read_table(img, &t, errp))
    return false;
  if (!(sn = find(img, &t, spec, &index, errp)) || !(l1 = read_l1(img, sn, false, errp)))
    goto out;
  l1_off = sn->l1_offset;
  l1_size = sn->l1_size;
  l1_bytes = (uint64_t)l1_size * 8;
  /* The snapshot goes first; then its references. */
  if (!switch_table(img, &t, index, NULL, 0, errp))
    goto out;
  if (!tree_refs_all(img, l1, l1_size, -1, errp) ||
      (l1_bytes && !qcow2_update_refcount(img, l1_off, l1_bytes, -1, errp)))
    goto out;
  /* Tables only the snapshot used are free now: forget cached copies. */
  if (!drop_freed_l2(img, l1, l1_size, errp))
    goto out;
  ok = recompute_copied(img, errp);
out:
  qcow2_snapshot_table_clear(&t);
  return ok;
}

bool
vk_image_snapshot_apply(vk_image *img, const char *spec, vk_error **errp)
{
  vk_image_changed(img);
  qcow2 *q;
  qcow2_snapshot_table t;
  const qcow2_snapshot *sn;
  CLEANUP_FREE uint64_t *sl1 = NULL;
  CLEANUP_FREE uint64_t *old = NULL;
  CLEANUP_FREE unsigned char *raw = NULL;
  uint32_t index, old_size;
  uint64_t disk_size;
  bool ok = false;

  if (!check_writable(img, errp))
    return false;
  q = Q(img);
  if (!read_table(img, &t, errp))
    return false;
  if (!(sn = find(img, &t, spec, &index, errp)) || !(sl1 = read_l1(img, sn, true, errp)))
    goto out;
  disk_size = sn->disk_size;
  if (q->h.has_bitmaps && disk_size != img->size) {
    vk_error_set(errp, VK_EXIT_FAILED,
                 "%s: the image has persistent bitmaps, which vkit cannot resize to the snapshot's disk size; remove them first",
                 img->filename);
    goto out;
  }
  /* The guest's data changes. */
  if (!qcow2_data_changes(img, errp))
    goto out;
  if (sn->l1_size > q->l1_size && !qcow2_grow_l1(img, sn->l1_size, errp))
    goto out;
  /* The snapshot's tree gains the active L1's reference ... */
  if (!qcow2_flush_meta(img, errp) || !tree_refs_all(img, sl1, sn->l1_size, 1, errp) ||
      !qcow2_flush_meta(img, errp))
    goto out;
  /* ... the active L1 table becomes the snapshot's, in one synced write ... */
  old_size = q->l1_size;
  if (!(old = malloc((old_size ? old_size : 1) * sizeof *old)) ||
      !(raw = calloc(old_size ? old_size : 1, 8))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    goto out;
  }
  memcpy(old, q->l1, (size_t)old_size * sizeof *old);
  for (uint32_t i = 0; i < old_size; i++)
    vk_put_be64(raw + (size_t)i * 8, i < sn->l1_size ? sl1[i] & ~QCOW2_OFLAG_COPIED : 0);
  if (old_size &&
      (!qcow2_pwrite(img, QM_L1, raw, (size_t)old_size * 8, q->h.l1_table_offset, errp) ||
       !vk_image_sync(img, errp)))
    goto out;
  for (uint32_t i = 0; i < old_size; i++) {
    q->l1[i] = vk_be64(raw + (size_t)i * 8);
    q->l1_dirty[i] = false;
  }
  /* Other active L2 tables now: the map of metadata follows. */
  if (!qcow2_meta_build(img, errp))
    goto out;
  if (disk_size != img->size) {
    if (!qcow2_write_header(img, qcow2_patch_size(disk_size), errp))
      goto out;
    img->size = q->h.size = disk_size;
  }
  /* ... and the old active tree loses it. */
  for (uint32_t i = 0; i < old_size; i++)
    old[i] &= ~QCOW2_OFLAG_COPIED;
  if (!tree_refs_all(img, old, old_size, -1, errp))
    goto out;
  if (!drop_freed_l2(img, old, old_size, errp))
    goto out;
  ok = recompute_copied(img, errp);
out:
  qcow2_snapshot_table_clear(&t);
  return ok;
}
