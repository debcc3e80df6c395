/* vkit — qcow2 check and repair (see image/check.h).
 *
 * The check reads the image through the format layer the driver uses
 * (format.h, header.c, snapshot.c, bitmap.c): the same decoders, the same
 * rules, so whatever the driver refuses is reported here.  It rebuilds
 * every cluster's refcount in memory (one 32-bit counter per host cluster
 * of the file, and one byte saying what the cluster is used as), reading
 * each distinct L1 and L2 table once whatever the number of references
 * to it, and compares with the refcounts on disk.  A cluster used as two
 * different things (a refcount block that is also guest data, an L2 table
 * that is also the snapshot table) is a corruption.
 *
 * Repair: leaks and wrong refcounts are fixed in place; a refcount
 * structure that is itself broken (a bad refcount table entry, a missing
 * or misplaced refcount block, a refcount block used for something else)
 * is rebuilt from the computed counts in a new area at the end of the
 * file, switched to with one header write, as QEMU does; COPIED flags are
 * set from the repaired counts.  What cannot be repaired (a bad table
 * entry, a snapshot that cannot be applied, two tables in one cluster)
 * stays counted as a corruption.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image/check.h"
#include "image/driver.h"
#include "image/qcow2/bitmap.h"
#include "image/qcow2/format.h"
#include "image/qcow2/header.h"
#include "image/qcow2/snapshot.h"
#include "util/cleanup.h"
#include "util/u64map.h"

/* What a cluster is used as (the first reference decides). */
enum {
  U_FREE,
  U_DATA,
  U_COMPRESSED,
  U_L2,
  U_HEADER,
  U_L1,
  U_REFTABLE,
  U_REFBLOCK,
  U_SNAPTABLE,
  U_SNAPL1,
  U_BITMAP_DIR,
  U_BITMAP,
};

static const char *const use_names[] = {
  "free", "guest data", "compressed data", "L2 table", "header", "active L1 table",
  "refcount table", "refcount block", "snapshot table", "L1 table of a snapshot",
  "bitmap directory", "bitmap",
};

typedef struct ck {
  int fd;
  const char *file;
  uint64_t file_len;
  qcow2_header h;
  qcow2_geom g;
  uint64_t file_end;         /* qcow2_file_end() */
  uint64_t nb;               /* host clusters tracked */
  uint32_t *refs;            /* rebuilt refcounts */
  uint8_t *use;              /* U_* per cluster */
  uint64_t *rt;              /* refcount table: block offsets, 0 = none/bad */
  uint64_t rt_n;
  bool rebuild;              /* the refcount structure must be rebuilt */
  uint64_t structure_errors; /* corruptions a rebuild repairs */
  vk_u64map l2;              /* L2 cluster -> references << 1 | active */
  unsigned char *buf;        /* one cluster */
  unsigned char *rb;         /* one cluster: the current refcount block */
  uint64_t rb_index;         /* refcount table index of rb, or UINT64_MAX */
  bool rb_dirty;
  vk_check_repair repair;
  vk_check_result *res;
  vk_check_report_fn *report;
  void *opaque;
} ck;

static void __attribute__((format(printf, 2, 3)))
say(ck *c, const char *fmt, ...)
{
  char msg[320];
  va_list ap;

  if (!c->report)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  c->report(c->opaque, msg);
}

/* A corruption found (and reported). */
static void __attribute__((format(printf, 2, 3)))
error(ck *c, const char *fmt, ...)
{
  char msg[300];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  c->res->corruptions++;
  say(c, "ERROR %s", msg);
}

/* A corruption of the refcount structure itself: a rebuild repairs it. */
static void
structure_error(ck *c, const char *what, uint64_t i)
{
  error(c, "refcount table entry %" PRIu64 ": %s", i, what);
  c->rebuild = true;
  c->structure_errors++;
}

static bool
nomem(vk_error **errp)
{
  return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "check");
}

/* `mult` references of kind `use` to every cluster of [off, off + len). */
static void
ref(ck *c, uint64_t off, uint64_t len, int use, uint64_t mult)
{
  if (!len)
    return;
  for (uint64_t k = off >> c->g.cluster_bits; k <= (off + len - 1) >> c->g.cluster_bits; k++) {
    if (k >= c->nb) {
      error(c, "reference to cluster %" PRIu64 " (%s) beyond the end of the file", k,
            use_names[use]);
      continue;
    }
    if (c->use[k] == U_FREE) {
      c->use[k] = (uint8_t)use;
    } else if (c->use[k] != use) {
      error(c, "cluster %" PRIu64 " is used both as %s and as %s", k, use_names[c->use[k]],
            use_names[use]);
      continue;
    }
    if (c->refs[k] + mult > c->g.refmax || c->refs[k] + mult > UINT32_MAX) {
      error(c, "refcount of cluster %" PRIu64 " overflows (refcount_bits=%u)", k,
            c->g.refcount_bits);
      continue;
    }
    c->refs[k] += (uint32_t)mult;
  }
}

/* An offset ref() reports itself: into the header or past the end of the
 * file. */
static bool
outside(const ck *c, uint64_t off)
{
  return off && (off < c->g.cs || off >= c->file_end);
}

/* `mult` more references from L1 entries to the L2 table at `l2`. */
static bool
add_l2(ck *c, uint64_t l2, uint64_t mult, bool active, vk_error **errp)
{
  uint64_t *v = vk_u64map_put(&c->l2, l2 >> c->g.cluster_bits, errp);

  if (!v)
    return false;
  *v = ((*v >> 1) + mult) << 1 | (*v & 1) | active;
  return true;
}

/* The L1 table at `off` (n entries), referenced `mult` times. */
static bool
walk_l1(ck *c, uint64_t off, uint64_t n, uint64_t mult, bool active, const char *whose,
        vk_error **errp)
{
  uint64_t per = c->g.cs / 8;

  ref(c, off, n * 8, active ? U_L1 : U_SNAPL1, mult);
  for (uint64_t base = 0; base < n; base += per) {
    uint64_t m = n - base < per ? n - base : per;
    if (!vk_host_pread(c->fd, c->buf, m * 8, off + base * 8, c->file, errp))
      return false;
    for (uint64_t i = 0; i < m; i++) {
      uint64_t e = vk_be64(c->buf + i * 8), l2 = qcow2_l1e_offset(e);
      const char *why = qcow2_l1e_problem(&c->g, e, c->file_end);
      if (why) {
        /* Counted as qemu-img counts it, but not followed. */
        if (!outside(c, l2))
          error(c, "%s L1 entry %" PRIu64 " (0x%" PRIx64 "): %s", whose, base + i, e, why);
        ref(c, l2, l2 ? c->g.cs : 0, U_L2, mult);
        continue;
      }
      if (l2 && !add_l2(c, l2, mult, active, errp))
        return false;
    }
  }
  return true;
}

/* The snapshot table, each snapshot judged, each distinct L1 table read
 * once (with as many references as snapshots use it). */
typedef struct l1_group {
  const qcow2_snapshot *sn;  /* the first snapshot using the table */
  uint32_t size;             /* the largest size any of them gives it */
  uint32_t mult;
  bool mixed;                /* sizes differ */
} l1_group;

static bool
walk_snapshots(ck *c, vk_error **errp)
{
  qcow2_snapshot_table t;
  CLEANUP_FREE l1_group *grp = NULL;
  vk_u64map by_offset = { 0 };
  vk_error *err = NULL;
  uint32_t ng = 0;
  bool ok = false;

  if (!qcow2_snapshot_table_read(c->fd, c->file, c->file_len, &c->h, &t, &err)) {
    if (err->code != VK_EXIT_CORRUPT)
      return vk_error_propagate(errp, err), false;
    error(c, "snapshot table: %s", err->msg);
    vk_error_free(err);
    return true;
  }
  ref(c, t.offset, t.len, U_SNAPTABLE, 1);
  if (t.n && !(grp = calloc(t.n, sizeof *grp))) {
    nomem(errp);
    goto out;
  }
  for (uint32_t i = 0; i < t.n; i++) {
    const qcow2_snapshot *sn = &t.sn[i];
    const char *why = qcow2_snapshot_problem(&c->g, sn, c->file_len, false);
    uint64_t *v;

    if (why)
      error(c, "snapshot %s ('%s'): %s", sn->id, sn->name, why);
    if (!sn->l1_size || qcow2_snapshot_problem(&c->g, sn, c->file_len, true))
      continue;   /* no tables, or tables that cannot be read */
    if (!(v = vk_u64map_put(&by_offset, sn->l1_offset, errp)))
      goto out;
    if (!*v) {
      grp[ng] = (l1_group){ sn, sn->l1_size, 1, false };
      *v = ++ng;
      continue;
    }
    grp[*v - 1].mult++;
    if (grp[*v - 1].size != sn->l1_size) {
      grp[*v - 1].mixed = true;
      if (sn->l1_size > grp[*v - 1].size)
        grp[*v - 1].size = sn->l1_size;
    }
  }
  for (uint32_t i = 0; i < ng; i++) {
    char whose[48];
    if (grp[i].mixed)
      error(c, "snapshots share the L1 table at 0x%" PRIx64 " with different sizes",
            grp[i].sn->l1_offset);
    snprintf(whose, sizeof whose, "snapshot %.24s", grp[i].sn->id);
    if (!walk_l1(c, grp[i].sn->l1_offset, grp[i].size, grp[i].mult, false, whose, errp))
      goto out;
  }
  ok = true;
out:
  vk_u64map_free(&by_offset);
  qcow2_snapshot_table_clear(&t);
  return ok;
}

static int
cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Every distinct L2 table, in file order, once. */
static bool
walk_l2_tables(ck *c, vk_error **errp)
{
  CLEANUP_FREE uint64_t *keys = malloc((c->l2.used + 1) * sizeof *keys);
  uint64_t n = 0, it = 0, k, *v;

  if (!keys)
    return nomem(errp);
  while (vk_u64map_next(&c->l2, &it, &k, &v))
    keys[n++] = k;
  qsort(keys, n, sizeof *keys, cmp_u64);
  for (uint64_t t = 0; t < n; t++) {
    uint64_t l2 = keys[t] << c->g.cluster_bits, val = *vk_u64map_get(&c->l2, keys[t]);
    uint64_t mult = val >> 1, next = 0;
    bool active = val & 1;

    ref(c, l2, c->g.cs, U_L2, mult);
    if (!vk_host_pread(c->fd, c->buf, c->g.cs, l2, c->file, errp))
      return false;
    for (uint64_t j = 0; j < c->g.l2_entries; j++) {
      const char *why;
      qcow2_l2e e;
      qcow2_l2e_get(&c->g, c->buf, j, &e);
      /* A bad entry is reported, and its clusters counted as qemu-img
       * counts them (ref() reports those outside the file). */
      if ((why = qcow2_l2e_problem(&c->g, &e, c->file_end)) &&
          (c->g.data_file || !outside(c, e.host)))
        error(c, "L2 table at 0x%" PRIx64 ", entry %" PRIu64 " (0x%" PRIx64 "): %s", l2, j,
              e.word, why);
      if (e.compressed && c->g.data_file) {
        /* reported above; nothing in this file to count */
      } else if (e.compressed) {
        uint64_t first, nc;
        qcow2_compressed_clusters(&c->g, &e, &first, &nc);
        ref(c, first, nc * c->g.cs, U_COMPRESSED, mult);
        if (active) {
          c->res->allocated_clusters++;
          c->res->compressed_clusters++;
          c->res->fragmented_clusters++;
        }
      } else if (e.mapped) {
        /* Clusters of an external data file are not refcounted. */
        if (!c->g.data_file)
          ref(c, e.host, c->g.cs, U_DATA, mult);
        if (active) {
          c->res->allocated_clusters++;
          if (next && e.host != next)
            c->res->fragmented_clusters++;
          next = e.host + c->g.cs;
        }
      }
    }
  }
  return true;
}

static bool
ref_bitmap_cluster(void *opaque, uint64_t host, vk_error **errp)
{
  (void)errp;
  ref(opaque, host, ((ck *)opaque)->g.cs, U_BITMAP, 1);
  return true;
}

/* The bitmap directory, each bitmap's table and data clusters. */
static bool
walk_bitmaps(ck *c, vk_error **errp)
{
  qcow2_bitmap_dir d;
  vk_error *err = NULL;

  if (!c->h.has_bitmaps)
    return true;
  if (!qcow2_bitmap_dir_read(c->fd, c->file, c->file_len, &c->h, &d, &err))
    goto bad;
  ref(c, c->h.bitmap_dir_offset, c->h.bitmap_dir_size, U_BITMAP_DIR, 1);
  for (uint32_t i = 0; i < d.n; i++) {
    const char *why = d.bm[i].flags & QCOW2_BME_IN_USE
                          ? NULL
                          : qcow2_bitmap_problem(&c->g, c->h.size & ~511ULL, &d.bm[i]);
    for (uint32_t k = 0; k < i; k++)
      if (strcmp(d.bm[k].name, d.bm[i].name) == 0)
        error(c, "bitmaps: two bitmaps are named '%.200s'", d.bm[i].name);
    if (why)
      error(c, "bitmaps: bitmap '%.200s': %s", d.bm[i].name, why);
    else if (d.bm[i].flags & QCOW2_BME_EXTRA_COMPAT)
      /* defined by the format, but QEMU calls the flag reserved and
       * will not open the image */
      error(c,
            "bitmaps: bitmap '%.200s': its flag 'extra data compatible' is set, which QEMU "
            "refuses",
            d.bm[i].name);
    if (d.bm[i].flags & QCOW2_BME_IN_USE)
      say(c,
          "Bitmap '%.200s' is in use (inconsistent): it no longer tracks the guest's writes; "
          "vimg bitmap --remove removes it",
          d.bm[i].name);
    ref(c, d.bm[i].table_offset, (uint64_t)d.bm[i].table_size * 8, U_BITMAP, 1);
    if (!qcow2_bitmap_clusters(c->fd, c->file, &c->g, c->file_len, &d.bm[i],
                               ref_bitmap_cluster, c, &err)) {
      qcow2_bitmap_dir_clear(&d);
      goto bad;
    }
  }
  qcow2_bitmap_dir_clear(&d);
  return true;
bad:
  if (err->code != VK_EXIT_CORRUPT)
    return vk_error_propagate(errp, err), false;
  error(c, "bitmaps: %s", err->msg);
  vk_error_free(err);
  return true;
}

/* The refcount table and the blocks it points at: last, so that a block
 * found where something else lives is the block's fault. */
static bool
walk_refcount_table(ck *c, vk_error **errp)
{
  uint64_t bytes = (uint64_t)c->h.refcount_table_clusters * c->g.cs;
  uint64_t first = c->h.refcount_table_offset >> c->g.cluster_bits;
  CLEANUP_FREE unsigned char *raw = malloc(bytes);

  c->rt_n = bytes / 8;
  if (!raw || !(c->rt = calloc(c->rt_n, sizeof *c->rt)))
    return nomem(errp);
  if (!vk_host_pread(c->fd, raw, bytes, c->h.refcount_table_offset, c->file, errp))
    return false;
  for (uint64_t k = first; k < first + c->h.refcount_table_clusters; k++)
    if (k < c->nb && c->use[k] != U_FREE) {
      error(c, "the refcount table is in cluster %" PRIu64 ", used as %s", k, use_names[c->use[k]]);
      c->rebuild = true;
      c->structure_errors++;
    }
  ref(c, c->h.refcount_table_offset, bytes, U_REFTABLE, 1);
  for (uint64_t i = 0; i < c->rt_n; i++) {
    uint64_t e = vk_be64(raw + i * 8), b = e & QCOW2_RTE_OFFSET_MASK, k = b >> c->g.cluster_bits;
    const char *why = qcow2_rte_problem(&c->g, i, e, c->file_end);
    if (why) {
      structure_error(c, why, i);
      continue;
    }
    if (!b)
      continue;
    if (c->use[k] != U_FREE) {
      char what[80];
      snprintf(what, sizeof what, "refcount block at 0x%" PRIx64 " is also used as %s", b,
               use_names[c->use[k]]);
      structure_error(c, what, i);
      continue;
    }
    c->rt[i] = b;
    ref(c, b, c->g.cs, U_REFBLOCK, 1);
  }
  return true;
}

static bool
rb_writeback(ck *c, vk_error **errp)
{
  if (!c->rb_dirty)
    return true;
  c->rb_dirty = false;
  return vk_host_pwrite(c->fd, c->rb, c->g.cs, c->rt[c->rb_index], c->file, errp);
}

/* Load the refcount block covering cluster k (*present false when there
 * is none). */
static bool
rb_load(ck *c, uint64_t k, bool *present, vk_error **errp)
{
  uint64_t ri = k / c->g.rb_entries;

  *present = ri < c->rt_n && c->rt[ri];
  if (!*present || ri == c->rb_index)
    return true;
  if (!rb_writeback(c, errp))
    return false;
  c->rb_index = ri;
  return vk_host_pread(c->fd, c->rb, c->g.cs, c->rt[ri], c->file, errp);
}

/* On-disk refcount of cluster k. */
static bool
disk_ref(ck *c, uint64_t k, uint64_t *out, vk_error **errp)
{
  bool present;

  if (!rb_load(c, k, &present, errp))
    return false;
  *out = present ? qcow2_rb_get(&c->g, c->rb, k % c->g.rb_entries) : 0;
  return true;
}

/* Clusters counted in a range with no refcount block, or past the end of
 * the refcount table: only a rebuild can record them. */
static void
find_missing_blocks(ck *c)
{
  for (uint64_t k = 0; k < c->nb; k++) {
    uint64_t r = k / c->g.rb_entries;
    if (!c->refs[k] || (r < c->rt_n && c->rt[r]))
      continue;
    error(c, "cluster %" PRIu64 " is in use but no refcount block covers it", k);
    c->rebuild = true;
    c->structure_errors++;
    k = (r + 1) * c->g.rb_entries - 1;   /* one message a range */
  }
}

typedef struct area_ctx {
  const ck *c;
  uint64_t start;
} area_ctx;

/* A range below the new area that has clusters in use (it gets a block
 * whether or not the area reaches into it). */
static bool
range_in_use(const ck *c, uint64_t r, uint64_t below)
{
  for (uint64_t k = r * c->g.rb_entries; k < (r + 1) * c->g.rb_entries && k < below; k++)
    if (c->refs[k])
      return true;
  return false;
}

static bool
counted_outside(const void *opaque, uint64_t r)
{
  const area_ctx *a = opaque;
  return range_in_use(a->c, r, a->start);
}

/* Write a new refcount structure (blocks, then the table) after the last
 * cluster of the file, from the computed counts, and switch the header to
 * it.  The old table and blocks are no longer counted: they become free. */
static bool
rebuild(ck *c, vk_error **errp)
{
  uint64_t rbe = c->g.rb_entries, start, end, outside = 0, bi = 0, nranges;
  CLEANUP_FREE uint64_t *nrt = NULL;
  CLEANUP_FREE unsigned char *tbl = NULL;
  area_ctx ctx;
  qcow2_area a;
  uint32_t *nrefs;
  uint8_t *nuse;

  for (uint64_t k = 0; k < c->nb; k++)
    if (c->use[k] == U_REFTABLE || c->use[k] == U_REFBLOCK) {
      c->refs[k] = 0;
      c->use[k] = U_FREE;
    }
  start = c->nb;
  ctx.c = c;
  ctx.start = start;
  for (uint64_t r = 0; r * rbe < start; r++)
    outside += range_in_use(c, r, start);
  a = qcow2_refcount_area(&c->g, start, 0, outside, 0, false, counted_outside, &ctx);
  end = start + a.blocks + a.table;
  if (a.table * c->g.cs > QCOW2_MAX_REFTABLE_BYTES)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: the new refcount table would be too large",
                        c->file);
  if (!(nrefs = realloc(c->refs, end * sizeof *nrefs)))
    return nomem(errp);
  c->refs = nrefs;
  if (!(nuse = realloc(c->use, end)))
    return nomem(errp);
  c->use = nuse;
  for (uint64_t k = start; k < end; k++) {
    c->refs[k] = 1;
    c->use[k] = k < start + a.blocks ? U_REFBLOCK : U_REFTABLE;
  }
  c->nb = end;
  nranges = (end - 1) / rbe + 1;
  if (!(nrt = calloc(a.entries, sizeof *nrt)) || !(tbl = calloc(a.table, c->g.cs)))
    return nomem(errp);
  for (uint64_t r = 0; r < nranges; r++) {
    if (!range_in_use(c, r, end))
      continue;
    nrt[r] = (start + bi++) * c->g.cs;
    memset(c->rb, 0, c->g.cs);
    for (uint64_t k = r * rbe; k < (r + 1) * rbe && k < end; k++)
      qcow2_rb_set(&c->g, c->rb, k % rbe, c->refs[k]);
    if (!vk_host_pwrite(c->fd, c->rb, c->g.cs, nrt[r], c->file, errp))
      return false;
  }
  for (uint64_t i = 0; i < a.entries; i++)
    vk_put_be64(tbl + i * 8, nrt[i]);
  if (!vk_host_pwrite(c->fd, tbl, a.table * c->g.cs, (start + a.blocks) * c->g.cs, c->file,
                      errp) ||
      !vk_host_sync(c->fd, c->file, errp))
    return false;
  {
    qcow2_hdr_patch p = qcow2_patch_refcount_table((start + a.blocks) * c->g.cs,
                                                   (uint32_t)a.table);
    if (!vk_host_pwrite(c->fd, p.b, p.len, p.off, c->file, errp) ||
        !vk_host_sync(c->fd, c->file, errp))
      return false;
  }
  say(c, "Repairing the refcount structure: %" PRIu64 " refcount blocks and a table of %" PRIu64
      " clusters written at cluster %" PRIu64, a.blocks, a.table, start);
  free(c->rt);
  c->rt = VK_STEAL(nrt);
  c->rt_n = a.entries;
  c->rb_index = UINT64_MAX;
  c->h.refcount_table_offset = (start + a.blocks) * c->g.cs;
  c->h.refcount_table_clusters = (uint32_t)a.table;
  c->res->corruptions -= c->structure_errors;
  c->res->corruptions_fixed += c->structure_errors;
  return true;
}

/* Compare rebuilt and on-disk refcounts; repair what *c allows.  `dry`:
 * a rebuild of the whole structure follows, which repairs every
 * difference: report and count them, write nothing. */
static bool
compare(ck *c, bool dry, vk_error **errp)
{
  uint64_t highest = 0;
  bool any = false;

  for (uint64_t k = 0; k < c->nb; k++) {
    uint64_t disk, want = c->refs[k];
    bool present, fix;

    if (!rb_load(c, k, &present, errp))
      return false;
    disk = present ? qcow2_rb_get(&c->g, c->rb, k % c->g.rb_entries) : 0;
    if (disk || want) {
      highest = k;
      any = true;
    }
    if (disk == want || (!present && c->rebuild))
      continue;   /* reported as a missing block */
    fix = dry || (disk > want && c->repair >= VK_CHECK_REPAIR_LEAKS) ||
          (disk < want && c->repair >= VK_CHECK_REPAIR_ALL);
    say(c, "%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64,
        fix ? "Repairing" : disk < want ? "ERROR" : "Leaked", k, disk, want);
    if (fix) {
      if (!dry) {
        qcow2_rb_set(&c->g, c->rb, k % c->g.rb_entries, want);
        c->rb_dirty = true;
      }
      if (disk > want)
        c->res->leaks_fixed++;
      else
        c->res->corruptions_fixed++;
    } else if (disk < want) {
      c->res->corruptions++;
    } else {
      c->res->leaks++;
    }
  }
  /* Refcounts of clusters past the end of the file count nothing: once
   * the file grows over them they would be leaks (qemu-img does not look
   * there; vkit calls them leaks now). */
  for (uint64_t r = c->nb / c->g.rb_entries; !dry && r < c->rt_n; r++) {
    uint64_t k = r * c->g.rb_entries < c->nb ? c->nb : r * c->g.rb_entries;
    bool present;

    for (; k < (r + 1) * c->g.rb_entries; k++) {
      uint64_t disk;
      bool fix = c->repair >= VK_CHECK_REPAIR_LEAKS;
      if (!rb_load(c, k, &present, errp))
        return false;
      if (!present)
        break;
      if (!(disk = qcow2_rb_get(&c->g, c->rb, k % c->g.rb_entries)))
        continue;
      say(c, "%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=0 (past the end of the file)",
          fix ? "Repairing" : "Leaked", k, disk);
      if (fix) {
        qcow2_rb_set(&c->g, c->rb, k % c->g.rb_entries, 0);
        c->rb_dirty = true;
        c->res->leaks_fixed++;
      } else {
        c->res->leaks++;
      }
    }
  }
  if (!rb_writeback(c, errp))
    return false;
  c->res->image_end_offset = any ? (highest + 1) * c->g.cs : 0;
  return true;
}

/* COPIED must be set exactly on active entries whose target has refcount 1. */
static bool
check_copied(ck *c, vk_error **errp)
{
  bool fix = c->repair >= VK_CHECK_REPAIR_ALL;
  uint64_t per = c->g.cs / 8;
  CLEANUP_FREE unsigned char *l1 = malloc(c->g.cs);

  if (!l1)
    return nomem(errp);
  for (uint64_t base = 0; base < c->h.l1_size; base += per) {
    uint64_t n = c->h.l1_size - base < per ? c->h.l1_size - base : per;
    bool l1_dirty = false;

    if (!vk_host_pread(c->fd, l1, n * 8, c->h.l1_table_offset + base * 8, c->file, errp))
      return false;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t e = vk_be64(l1 + i * 8), l2 = qcow2_l1e_offset(e), rc;
      bool l2_dirty = false;

      if (!l2 || qcow2_l1e_problem(&c->g, e, c->file_end))
        continue;
      if (!disk_ref(c, l2 >> c->g.cluster_bits, &rc, errp))
        return false;
      if ((rc == 1) != !!(e & QCOW2_OFLAG_COPIED)) {
        say(c, "%s OFLAG_COPIED L2 cluster: l1_index=%" PRIu64 " l1_entry=%" PRIx64 " refcount=%" PRIu64,
            fix ? "Repairing" : "ERROR", base + i, e, rc);
        if (fix) {
          vk_put_be64(l1 + i * 8, rc == 1 ? e | QCOW2_OFLAG_COPIED : e & ~QCOW2_OFLAG_COPIED);
          l1_dirty = true;
          c->res->corruptions_fixed++;
        } else {
          c->res->corruptions++;
        }
      }
      if (!vk_host_pread(c->fd, c->buf, c->g.cs, l2, c->file, errp))
        return false;
      for (uint64_t j = 0; j < c->g.l2_entries; j++) {
        uint64_t want;
        qcow2_l2e le;
        qcow2_l2e_get(&c->g, c->buf, j, &le);
        if (!qcow2_l2e_has_cluster(&le) || qcow2_l2e_problem(&c->g, &le, c->file_end))
          continue;
        if (c->g.data_file) {
          /* Its clusters count once each, at their guest offset. */
          uint64_t guest = ((base + i) * c->g.l2_entries + j) << c->g.cluster_bits;
          if (qcow2_l2e_misplaced(&c->g, &le, guest)) {
            error(c,
                  "L2 table at 0x%" PRIx64 ", entry %" PRIu64 ": data file cluster 0x%" PRIx64
                  " is not at its guest offset 0x%" PRIx64,
                  l2, j, le.host, guest);
            continue;
          }
          rc = 1;
        } else if (!disk_ref(c, le.host >> c->g.cluster_bits, &rc, errp)) {
          return false;
        }
        want = rc == 1 ? le.word | QCOW2_OFLAG_COPIED : le.word & ~QCOW2_OFLAG_COPIED;
        if (want == le.word)
          continue;
        say(c, "%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64 " refcount=%" PRIu64,
            fix ? "Repairing" : "ERROR", le.word, rc);
        if (fix) {
          qcow2_l2e_put(&c->g, c->buf, j, want, le.bitmap);
          l2_dirty = true;
          c->res->corruptions_fixed++;
        } else {
          c->res->corruptions++;
        }
      }
      if (l2_dirty && !vk_host_pwrite(c->fd, c->buf, c->g.cs, l2, c->file, errp))
        return false;
    }
    if (l1_dirty &&
        !vk_host_pwrite(c->fd, l1, n * 8, c->h.l1_table_offset + base * 8, c->file, errp))
      return false;
  }
  return true;
}

static bool
check_qcow2(ck *c, vk_error **errp)
{
  unsigned char first[QCOW2_V3_MIN_HEADER_LEN];
  CLEANUP_FREE unsigned char *hdr = NULL;
  uint64_t hlen;

  if (!vk_host_pread(c->fd, first, sizeof first, 0, c->file, errp))
    return false;
  hlen = vk_be32(first + QH(cluster_bits));
  hlen = hlen >= 9 && hlen <= 21 ? 1ULL << hlen : sizeof first;
  if (hlen > c->file_len)
    hlen = c->file_len < sizeof first ? sizeof first : c->file_len;
  if (!(hdr = malloc(hlen)))
    return nomem(errp);
  if (!vk_host_pread(c->fd, hdr, hlen, 0, c->file, errp))
    return false;
  if (!qcow2_header_parse(&c->h, hdr, hlen, c->file_len, errp)) {
    vk_error_prefix(errp, "%s", c->file);
    return false;
  }

  qcow2_header_geom(&c->h, &c->g);
  c->file_end = qcow2_file_end(&c->g, c->file_len);
  c->nb = c->file_end >> c->g.cluster_bits;
  c->res->total_clusters = (c->h.size + c->g.cs - 1) >> c->g.cluster_bits;
  c->refs = calloc(c->nb ? c->nb : 1, sizeof *c->refs);
  c->use = calloc(c->nb ? c->nb : 1, 1);
  c->buf = malloc(c->g.cs);
  c->rb = malloc(c->g.cs);
  c->rb_index = UINT64_MAX;
  if (!c->refs || !c->use || !c->buf || !c->rb)
    return nomem(errp);

  ref(c, 0, c->g.cs, U_HEADER, 1);
  if (!walk_l1(c, c->h.l1_table_offset, c->h.l1_size, 1, true, "active", errp) ||
      !walk_snapshots(c, errp) ||
      !walk_l2_tables(c, errp) ||
      !walk_bitmaps(c, errp) ||
      !walk_refcount_table(c, errp))
    return false;
  find_missing_blocks(c);
  if (c->rebuild && c->repair >= VK_CHECK_REPAIR_ALL &&
      (!compare(c, true, errp) || !rebuild(c, errp)))
    return false;
  if (!compare(c, false, errp))
    return false;
  /* COPIED flags are judged against refcounts that can be trusted. */
  if ((!c->rebuild || c->repair >= VK_CHECK_REPAIR_ALL) && !check_copied(c, errp))
    return false;
  if (c->repair && (c->res->leaks_fixed || c->res->corruptions_fixed) &&
      !vk_host_sync(c->fd, c->file, errp))
    return false;
  /* Refcounts now match the tables: a lazy-refcounts image is clean, an
   * image marked corrupt consistent again (as QEMU's repair does). */
  if (c->repair && !c->res->corruptions && !c->res->leaks &&
      (c->h.incompatible_features & (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT))) {
    qcow2_hdr_patch p = qcow2_patch_incompatible(c->h.incompatible_features &
                                                 ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT));
    if (!vk_host_pwrite(c->fd, p.b, p.len, p.off, c->file, errp) ||
        !vk_host_sync(c->fd, c->file, errp))
      return false;
  }
  return true;
}

bool
vk_check_qcow2_fd(int fd, const char *path, vk_check_repair repair,
                  vk_check_result *res, vk_check_report_fn *report, void *opaque,
                  vk_error **errp)
{
  ck c = { .fd = fd, .file = path, .repair = repair, .res = res,
           .report = report, .opaque = opaque };
  struct stat st;
  bool ok;

  memset(res, 0, sizeof *res);
  res->format = "qcow2";
  if (fstat(fd, &st) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s", path);
  c.file_len = (uint64_t)st.st_size;
  ok = check_qcow2(&c, errp);
  qcow2_header_clear(&c.h);
  vk_u64map_free(&c.l2);
  free(c.refs);
  free(c.use);
  free(c.rt);
  free(c.buf);
  free(c.rb);
  return ok;
}
