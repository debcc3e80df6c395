/* vkit — qcow2 check and repair (see check.h).
 *
 * Reads the tables through the shared header parser (qcow2-header.h) and
 * plain preads; the refcounts it rebuilds live in one array of 32-bit
 * counters indexed by host cluster, sized by the host file.  References
 * past the end of the file are counted as corruptions without growing it,
 * so a hostile image cannot make the check allocate much.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/check.h"
#include "image/image.h"
#include "image/lock.h"
#include "image/qcow2/qcow2.h"
#include "image/qcow2/snapshot.h"
#include "util/cleanup.h"


typedef struct ck {
  int fd;
  const char *file;
  uint64_t file_len;
  qcow2_header h;
  uint32_t cbits;
  uint64_t cs;
  bool extl2;
  unsigned l2_esize;
  uint64_t l2_entries;
  unsigned rbits;            /* refcount width in bits */
  uint64_t rb_entries;
  uint64_t refmax;
  uint64_t nb;               /* host clusters tracked */
  uint32_t *refs;            /* rebuilt refcounts */
  uint64_t *rt;              /* refcount table (raw entries) */
  uint64_t rt_n;
  unsigned char *buf;        /* one cluster: L2 tables */
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
  char msg[256];
  va_list ap;

  if (!c->report)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  c->report(c->opaque, msg);
}

/* pread that treats bytes past the end of the file as zeros. */
static bool
read_at(ck *c, void *buf, size_t len, uint64_t off, vk_error **errp)
{
  unsigned char *b = buf;

  while (len > 0) {
    ssize_t r = pread(c->fd, b, len, (off_t)off);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: read error", c->file);
    }
    if (r == 0) {
      memset(b, 0, len);
      return true;
    }
    b += r;
    off += (uint64_t)r;
    len -= (size_t)r;
  }
  return true;
}

static bool
write_at(ck *c, const void *buf, size_t len, uint64_t off, vk_error **errp)
{
  const unsigned char *b = buf;

  while (len > 0) {
    ssize_t r = pwrite(c->fd, b, len, (off_t)off);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: write error", c->file);
    }
    b += r;
    off += (uint64_t)r;
    len -= (size_t)r;
  }
  return true;
}

/* +1 on every cluster touched by [off, off + len). */
static void
inc_refs(ck *c, uint64_t off, uint64_t len)
{
  if (len == 0)
    return;
  for (uint64_t k = off >> c->cbits; k <= (off + len - 1) >> c->cbits; k++) {
    if (k >= c->nb) {
      c->res->corruptions++;
      say(c, "ERROR reference to cluster %" PRIu64 " beyond the end of the file", k);
      continue;
    }
    if (c->refs[k] >= c->refmax || c->refs[k] == UINT32_MAX) {
      c->res->corruptions++;
      say(c, "ERROR: overflow cluster offset=0x%" PRIx64, k << c->cbits);
      continue;
    }
    c->refs[k]++;
  }
}

/* Kind of a standard L2 entry (the first word). */
static qcow2_ckind
l2_kind(const ck *c, uint64_t e)
{
  if (e & QCOW_OFLAG_COMPRESSED)
    return QC_COMPRESSED;
  if (!c->extl2 && (e & QCOW_OFLAG_ZERO))
    return (e & L2E_OFFSET_MASK) ? QC_ZERO_ALLOC : QC_ZERO_PLAIN;
  return (e & L2E_OFFSET_MASK) ? QC_NORMAL : QC_UNALLOC;
}

/* Byte range of a compressed cluster's data. */
static void
compressed_range(const ck *c, uint64_t e, uint64_t *off, uint64_t *len)
{
  unsigned shift = 62 - (c->cbits - 8);
  uint64_t nsec = ((e >> shift) & ((1ULL << (c->cbits - 8)) - 1)) + 1;

  *off = e & ((1ULL << shift) - 1);
  *len = nsec * 512 - (*off & 511);
}

/* Count the references of one L2 table. */
static bool
walk_l2(ck *c, uint64_t l2_off, bool active, vk_error **errp)
{
  uint64_t next = 0;

  if (!read_at(c, c->buf, c->cs, l2_off, errp))
    return false;
  for (uint64_t j = 0; j < c->l2_entries; j++) {
    const unsigned char *p = c->buf + j * c->l2_esize;
    uint64_t e = vk_be64(p), bitmap = c->extl2 ? vk_be64(p + 8) : 0;
    uint64_t off = e & L2E_OFFSET_MASK, coff, clen;

    switch (l2_kind(c, e)) {
    case QC_COMPRESSED:
      if (e & QCOW_OFLAG_COPIED) {
        c->res->corruptions++;
        say(c, "ERROR: coffset=0x%" PRIx64 ": copied flag must never be set for compressed clusters",
            (uint64_t)(e & ((1ULL << (62 - (c->cbits - 8))) - 1)));
      }
      if (bitmap) {
        c->res->corruptions++;
        say(c, "ERROR compressed cluster %" PRIu64 " with non-zero subcluster allocation bitmap, entry=0x%" PRIx64,
            j, e);
      }
      compressed_range(c, e, &coff, &clen);
      if (active) {
        c->res->allocated_clusters++;
        c->res->compressed_clusters++;
        c->res->fragmented_clusters++;
      }
      inc_refs(c, coff, clen);
      break;
    case QC_ZERO_ALLOC:
    case QC_NORMAL:
      if (e & (c->extl2 ? (L2E_RESERVED_MASK | 1) : L2E_RESERVED_MASK)) {
        c->res->corruptions++;
        say(c, "ERROR found L2 entry with reserved bits set: 0x%" PRIx64, e);
      }
      if ((bitmap >> 32) & bitmap) {
        c->res->corruptions++;
        say(c, "ERROR offset=0x%" PRIx64 ": subcluster both allocated and zero", off);
      }
      if (active) {
        c->res->allocated_clusters++;
        if (next && off != next)
          c->res->fragmented_clusters++;
        next = off + c->cs;
      }
      if (off & (c->cs - 1)) {
        c->res->corruptions++;
        say(c, "ERROR offset=0x%" PRIx64 ": %s cluster is not properly aligned; L2 entry corrupted",
            off, l2_kind(c, e) == QC_ZERO_ALLOC ? "Preallocated zero" : "Data");
      }
      inc_refs(c, off, c->cs);
      break;
    case QC_UNALLOC:
      if (bitmap & 0xffffffffULL) {
        c->res->corruptions++;
        say(c, "ERROR: unallocated cluster has non-zero subcluster allocation map, entry=0x%" PRIx64, e);
      }
      /* fall through */
    case QC_ZERO_PLAIN:
      if (e & (c->extl2 ? (L2E_RESERVED_MASK | 1) : L2E_RESERVED_MASK)) {
        c->res->corruptions++;
        say(c, "ERROR found L2 entry with reserved bits set: 0x%" PRIx64, e);
      }
      break;
    }
  }
  return true;
}

/* Count the references of one L1 table and everything below it. */
static bool
walk_l1(ck *c, uint64_t l1_off, uint64_t l1_size, bool active, vk_error **errp)
{
  uint64_t per = c->cs / 8;

  inc_refs(c, l1_off, l1_size * 8);
  for (uint64_t base = 0; base < l1_size; base += per) {
    uint64_t n = l1_size - base < per ? l1_size - base : per;
    CLEANUP_FREE unsigned char *l1 = malloc(n * 8);

    if (!l1)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "check");
    if (!read_at(c, l1, n * 8, l1_off + base * 8, errp))
      return false;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t e = vk_be64(l1 + i * 8), l2 = e & L1E_OFFSET_MASK;
      if (e & L1E_RESERVED_MASK) {
        c->res->corruptions++;
        say(c, "ERROR found L1 entry with reserved bits set: 0x%" PRIx64, e);
      }
      if (!l2)
        continue;
      inc_refs(c, l2, c->cs);
      if (l2 & (c->cs - 1)) {
        c->res->corruptions++;
        say(c, "ERROR l2_offset=0x%" PRIx64 ": Table is not cluster aligned; L1 entry corrupted", l2);
        continue;
      }
      if (!walk_l2(c, l2, active, errp))
        return false;
    }
  }
  return true;
}

/* The snapshot table: its own clusters and every snapshot's tree. */
static bool
walk_snapshots(ck *c, vk_error **errp)
{
  qcow2_snapshot_table t;
  bool ok = true;

  if (!qcow2_snapshot_table_read(c->fd, c->file, c->file_len, &c->h, &t, errp))
    return false;
  for (uint32_t i = 0; ok && i < t.n; i++) {
    const qcow2_snapshot *sn = &t.sn[i];
    if (sn->l1_offset & (c->cs - 1)) {
      c->res->corruptions++;
      say(c, "ERROR snapshot %u l1_offset=0x%" PRIx64 ": L1 table is not cluster aligned; snapshot table entry corrupted",
          i, sn->l1_offset);
      continue;
    }
    if ((uint64_t)sn->l1_size > QCOW2_MAX_L1_BYTES / 8) {
      c->res->corruptions++;
      say(c, "ERROR snapshot %u l1_size=%" PRIu32 ": L1 table is too large; snapshot table entry corrupted",
          i, sn->l1_size);
      continue;
    }
    ok = walk_l1(c, sn->l1_offset, sn->l1_size, false, errp);
  }
  if (ok)
    inc_refs(c, t.offset, t.len);
  qcow2_snapshot_table_clear(&t);
  return ok;
}

/* The refcount table and the blocks it points at. */
static bool
walk_refcount_table(ck *c, vk_error **errp)
{
  uint64_t bytes = (uint64_t)c->h.refcount_table_clusters * c->cs;
  CLEANUP_FREE unsigned char *raw = NULL;

  if (bytes > QCOW2_MAX_REFTABLE_BYTES)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: refcount table too large", c->file);
  raw = malloc(bytes ? bytes : 1);
  c->rt_n = bytes / 8;
  c->rt = calloc(c->rt_n ? c->rt_n : 1, sizeof *c->rt);
  if (!raw || !c->rt)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "check");
  if (!read_at(c, raw, bytes, c->h.refcount_table_offset, errp))
    return false;
  inc_refs(c, c->h.refcount_table_offset, bytes);
  for (uint64_t i = 0; i < c->rt_n; i++) {
    uint64_t off = vk_be64(raw + i * 8) & RTE_OFFSET_MASK;
    c->rt[i] = 0;
    if (!off)
      continue;
    if (off & (c->cs - 1)) {
      c->res->corruptions++;
      say(c, "ERROR refcount block %" PRIu64 " is not cluster aligned; refcount table entry corrupted", i);
      continue;
    }
    if ((off >> c->cbits) >= c->nb) {
      c->res->corruptions++;
      say(c, "ERROR refcount block %" PRIu64 " is outside image", i);
      continue;
    }
    c->rt[i] = off;
    inc_refs(c, off, c->cs);
  }
  return true;
}

static uint64_t
rb_get(const ck *c, uint64_t i)
{
  switch (c->rbits) {
  case 1: case 2: case 4: {
    uint64_t bit = i * c->rbits;
    return (c->rb[bit / 8] >> (bit % 8)) & ((1u << c->rbits) - 1);
  }
  case 8: return c->rb[i];
  case 16: return vk_be16(c->rb + i * 2);
  case 32: return vk_be32(c->rb + i * 4);
  default: return vk_be64(c->rb + i * 8);
  }
}

static void
rb_set(ck *c, uint64_t i, uint64_t v)
{
  switch (c->rbits) {
  case 1: case 2: case 4: {
    uint64_t bit = i * c->rbits;
    unsigned mask = ((1u << c->rbits) - 1) << (bit % 8);
    c->rb[bit / 8] = (unsigned char)((c->rb[bit / 8] & ~mask) | ((unsigned)v << (bit % 8)));
    break;
  }
  case 8: c->rb[i] = (unsigned char)v; break;
  case 16: vk_put_be16(c->rb + i * 2, (uint16_t)v); break;
  case 32: vk_put_be32(c->rb + i * 4, (uint32_t)v); break;
  default: vk_put_be64(c->rb + i * 8, v); break;
  }
}

static bool
rb_writeback(ck *c, vk_error **errp)
{
  if (!c->rb_dirty)
    return true;
  c->rb_dirty = false;
  return write_at(c, c->rb, c->cs, c->rt[c->rb_index], errp);
}

/* Load the refcount block covering cluster k; false (and *present false)
 * when there is none. */
static bool
rb_load(ck *c, uint64_t k, bool *present, vk_error **errp)
{
  uint64_t ri = k / c->rb_entries;

  *present = ri < c->rt_n && c->rt[ri];
  if (!*present || ri == c->rb_index)
    return true;
  if (!rb_writeback(c, errp))
    return false;
  c->rb_index = ri;
  return read_at(c, c->rb, c->cs, c->rt[ri], errp);
}

/* On-disk refcount of cluster k. */
static bool
disk_ref(ck *c, uint64_t k, uint64_t *out, vk_error **errp)
{
  bool present;

  if (!rb_load(c, k, &present, errp))
    return false;
  *out = present ? rb_get(c, k % c->rb_entries) : 0;
  return true;
}

/* Repair: clusters in use in a range that has no refcount block (a crash
 * with lazy refcounts, a damaged table) get new blocks, and the table a
 * larger copy when it is too short.  They go into a new area at the end
 * of the file that starts a range of its own: each range the area spans
 * holds its own block in its first cluster, then come the blocks of the
 * missing ranges, then the new table.  The blocks start zeroed; compare()
 * fills them in.  Every new cluster is counted once; the old table, when
 * replaced, no longer is (compare() then frees it). */
static bool
add_missing_blocks(ck *c, vk_error **errp)
{
  uint64_t rbn = c->rb_entries, nm = 0, maxr = 0, nr = 0, nt = 0, total = 0, start, newrt_n;
  CLEANUP_FREE uint64_t *missing = NULL;
  CLEANUP_FREE unsigned char *zero = NULL;
  uint64_t *nrt;
  uint32_t *nrefs;

  for (uint64_t k = 0; k < c->nb; k++) {
    uint64_t r = k / rbn;
    if (!c->refs[k] || (r < c->rt_n && c->rt[r]))
      continue;
    if (!(missing = realloc(missing, (nm + 1) * sizeof *missing)))
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "check");
    missing[nm++] = r;
    maxr = r;
    k = (r + 1) * rbn - 1;   /* next range */
  }
  if (!nm)
    return true;
  start = (c->nb + rbn - 1) / rbn * rbn;
  for (int iter = 0; iter < 64; iter++) {
    uint64_t t = nm + nt + nr, nr2 = (t + rbn - 1) / rbn, top = start / rbn + nr2 - 1, nt2 = 0;
    if (top > maxr)
      maxr = top;
    if (maxr >= c->rt_n)
      nt2 = ((maxr + 1 + (maxr + 1) / 4) * 8 + c->cs - 1) / c->cs;
    if (nr2 == nr && nt2 == nt)
      break;
    nr = nr2;
    nt = nt2;
  }
  total = nm + nt + nr;
  if ((uint64_t)nt * c->cs > QCOW2_MAX_REFTABLE_BYTES)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: refcount table would be too large", c->file);
  newrt_n = nt ? nt * c->cs / 8 : c->rt_n;
  nrt = realloc(c->rt, newrt_n * sizeof *nrt);
  if (!nrt)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "check");
  c->rt = nrt;
  memset(nrt + c->rt_n, 0, (newrt_n - c->rt_n) * sizeof *nrt);
  nrefs = realloc(c->refs, (start + total) * sizeof *nrefs);
  if (!nrefs)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "check");
  c->refs = nrefs;
  memset(nrefs + c->nb, 0, (start + total - c->nb) * sizeof *nrefs);
  if (!(zero = calloc(1, c->cs)))
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "check");

  /* Lay out the area and write the zeroed blocks. */
  {
    uint64_t mi = 0, tbl = 0;
    for (uint64_t p = 0; p < total; p++) {
      uint64_t k = start + p;
      nrefs[k] = 1;
      if (p % rbn == 0) {
        /* The area's own range; a block it had (elsewhere) is replaced. */
        uint64_t prev = nrt[k / rbn] >> c->cbits;
        if (nrt[k / rbn] && prev < start && c->refs[prev])
          c->refs[prev]--;
        nrt[k / rbn] = k * c->cs;
      } else if (mi < nm)
        nrt[missing[mi++]] = k * c->cs;
      else {
        if (!tbl)
          tbl = k;
        continue;
      }
      if (!write_at(c, zero, c->cs, k * c->cs, errp))
        return false;
      say(c, "Repairing refcount block %" PRIu64 " placed at cluster %" PRIu64, k / rbn, k);
    }
    c->nb = start + total;
    if (nt) {
      CLEANUP_FREE unsigned char *t = calloc(nt, c->cs);
      unsigned char hdr[12];
      if (!t)
        return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "check");
      for (uint64_t i = 0; i < newrt_n; i++)
        vk_put_be64(t + i * 8, nrt[i]);
      if (!write_at(c, t, nt * c->cs, tbl * c->cs, errp) || fdatasync(c->fd) < 0)
        return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot write a new refcount table", c->file);
      vk_put_be64(hdr, tbl * c->cs);
      vk_put_be32(hdr + 8, (uint32_t)nt);
      if (!write_at(c, hdr, sizeof hdr, 48, errp) || fdatasync(c->fd) < 0)
        return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot switch the refcount table", c->file);
      /* The old table is no longer referenced. */
      for (uint64_t k = c->h.refcount_table_offset >> c->cbits;
           k < ((c->h.refcount_table_offset + (uint64_t)c->h.refcount_table_clusters * c->cs) >> c->cbits) &&
           k < c->nb; k++)
        if (c->refs[k])
          c->refs[k]--;
      c->h.refcount_table_offset = tbl * c->cs;
      c->h.refcount_table_clusters = (uint32_t)nt;
      say(c, "Repairing refcount table: moved to cluster %" PRIu64, tbl);
    } else {
      unsigned char e[8];
      if (fdatasync(c->fd) < 0)
        return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot sync", c->file);
      for (uint64_t r = 0; r < c->rt_n; r++) {
        if (!nrt[r] || nrt[r] < start * c->cs)
          continue;
        vk_put_be64(e, nrt[r]);
        if (!write_at(c, e, 8, c->h.refcount_table_offset + r * 8, errp))
          return false;
      }
    }
    c->rt_n = newrt_n;
    c->res->corruptions_fixed += nm;
  }
  return true;
}

/* Compare rebuilt and on-disk refcounts; repair what *c allows. */
static bool
compare(ck *c, vk_error **errp)
{
  uint64_t highest = 0;
  bool any = false;

  for (uint64_t k = 0; k < c->nb; k++) {
    uint64_t disk, want = c->refs[k];
    bool present, fix;

    if (!rb_load(c, k, &present, errp))
      return false;
    disk = present ? rb_get(c, k % c->rb_entries) : 0;
    if (disk || want) {
      highest = k;
      any = true;
    }
    if (disk == want)
      continue;
    fix = (disk > want && c->repair >= VK_CHECK_REPAIR_LEAKS) ||
          (disk < want && c->repair >= VK_CHECK_REPAIR_ALL);
    if (fix && !present) {
      say(c, "ERROR cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64
          " (no refcount block to repair)", k, disk, want);
      fix = false;
    } else {
      say(c, "%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64,
          fix ? "Repairing" : disk < want ? "ERROR" : "Leaked", k, disk, want);
    }
    if (fix) {
      rb_set(c, k % c->rb_entries, want);
      c->rb_dirty = true;
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
  if (!rb_writeback(c, errp))
    return false;
  c->res->image_end_offset = any ? (highest + 1) * c->cs : 0;
  return true;
}

/* COPIED must be set exactly on active entries whose target has refcount 1. */
static bool
check_copied(ck *c, vk_error **errp)
{
  bool fix = c->repair >= VK_CHECK_REPAIR_ALL;
  uint64_t per = c->cs / 8;

  for (uint64_t base = 0; base < c->h.l1_size; base += per) {
    uint64_t n = c->h.l1_size - base < per ? c->h.l1_size - base : per;
    CLEANUP_FREE unsigned char *l1 = malloc(n * 8);
    bool l1_dirty = false;

    if (!l1)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "check");
    if (!read_at(c, l1, n * 8, c->h.l1_table_offset + base * 8, errp))
      return false;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t e = vk_be64(l1 + i * 8), l2 = e & L1E_OFFSET_MASK, ref;
      bool l2_dirty = false;

      if (!l2 || (l2 & (c->cs - 1)) || (l2 >> c->cbits) >= c->nb)
        continue;
      if (!disk_ref(c, l2 >> c->cbits, &ref, errp))
        return false;
      if ((ref == 1) != !!(e & QCOW_OFLAG_COPIED)) {
        say(c, "%s OFLAG_COPIED L2 cluster: l1_index=%" PRIu64 " l1_entry=%" PRIx64 " refcount=%" PRIu64,
            fix ? "Repairing" : "ERROR", base + i, e, ref);
        if (fix) {
          vk_put_be64(l1 + i * 8, ref == 1 ? e | QCOW_OFLAG_COPIED : e & ~QCOW_OFLAG_COPIED);
          l1_dirty = true;
          c->res->corruptions_fixed++;
        } else {
          c->res->corruptions++;
        }
      }
      if (!read_at(c, c->buf, c->cs, l2, errp))
        return false;
      for (uint64_t j = 0; j < c->l2_entries; j++) {
        unsigned char *p = c->buf + j * c->l2_esize;
        uint64_t le = vk_be64(p), d = le & L2E_OFFSET_MASK;
        qcow2_ckind kind = l2_kind(c, le);

        if (kind != QC_NORMAL && kind != QC_ZERO_ALLOC)
          continue;
        if ((d & (c->cs - 1)) || (d >> c->cbits) >= c->nb)
          continue;
        if (!disk_ref(c, d >> c->cbits, &ref, errp))
          return false;
        if ((ref == 1) == !!(le & QCOW_OFLAG_COPIED))
          continue;
        say(c, "%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64 " refcount=%" PRIu64,
            fix ? "Repairing" : "ERROR", le, ref);
        if (fix) {
          vk_put_be64(p, ref == 1 ? le | QCOW_OFLAG_COPIED : le & ~QCOW_OFLAG_COPIED);
          l2_dirty = true;
          c->res->corruptions_fixed++;
        } else {
          c->res->corruptions++;
        }
      }
      if (l2_dirty && !write_at(c, c->buf, c->cs, l2, errp))
        return false;
    }
    if (l1_dirty && !write_at(c, l1, n * 8, c->h.l1_table_offset + base * 8, errp))
      return false;
  }
  return true;
}

static bool
check_qcow2(ck *c, vk_error **errp)
{
  unsigned char first[512];
  CLEANUP_FREE unsigned char *hdr = NULL;
  uint64_t hlen;

  if (!read_at(c, first, sizeof first, 0, errp))
    return false;
  hlen = vk_be32(first + 20);               /* cluster_bits */
  hlen = hlen >= 9 && hlen <= 21 ? 1ULL << hlen : sizeof first;
  if (hlen > c->file_len)
    hlen = c->file_len < sizeof first ? sizeof first : c->file_len;
  hdr = malloc(hlen);
  if (!hdr)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "check");
  if (!read_at(c, hdr, hlen, 0, errp))
    return false;
  if (!qcow2_header_parse(&c->h, hdr, hlen, c->file_len, errp)) {
    vk_error_prefix(errp, "%s", c->file);
    return false;
  }
  if (c->h.data_file)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: images with an external data file cannot be checked yet", c->file);
  for (size_t i = 0; i < c->h.n_exts; i++)
    if (c->h.exts[i].type == QCOW2_EXT_BITMAPS)
      return vk_error_set(errp, VK_EXIT_FAILED, "%s: images with persistent bitmaps cannot be checked yet", c->file);

  c->cbits = c->h.cluster_bits;
  c->cs = 1ULL << c->cbits;
  c->extl2 = c->h.incompatible_features & QCOW2_INCOMPAT_EXTL2;
  c->l2_esize = c->extl2 ? 16 : 8;
  c->l2_entries = c->cs / c->l2_esize;
  c->rbits = 1u << c->h.refcount_order;
  c->rb_entries = c->cs * 8 / c->rbits;
  c->refmax = c->rbits >= 32 ? UINT32_MAX : (1ULL << c->rbits) - 1;
  c->nb = (c->file_len + c->cs - 1) >> c->cbits;
  c->res->total_clusters = (c->h.size + c->cs - 1) >> c->cbits;
  c->refs = calloc(c->nb ? c->nb : 1, sizeof *c->refs);
  c->buf = malloc(c->cs);
  c->rb = malloc(c->cs);
  c->rb_index = UINT64_MAX;
  if (!c->refs || !c->buf || !c->rb)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "check");

  inc_refs(c, 0, c->cs);                                   /* header */
  if (!walk_l1(c, c->h.l1_table_offset, c->h.l1_size, true, errp) ||
      !walk_snapshots(c, errp) ||
      !walk_refcount_table(c, errp) ||
      (c->repair >= VK_CHECK_REPAIR_ALL && !add_missing_blocks(c, errp)) ||
      !compare(c, errp) ||
      !check_copied(c, errp))
    return false;
  if (c->repair && (c->res->leaks_fixed || c->res->corruptions_fixed) &&
      fdatasync(c->fd) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot sync", c->file);
  /* Refcounts now match the tables: a lazy-refcounts image is clean. */
  if (c->repair && !c->res->corruptions && !c->res->leaks &&
      (c->h.incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
    unsigned char f[8];
    vk_put_be64(f, c->h.incompatible_features & ~QCOW2_INCOMPAT_DIRTY);
    if (!write_at(c, f, 8, 72, errp) || fdatasync(c->fd) < 0)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot clear the dirty bit", c->file);
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
  free(c.refs);
  free(c.rt);
  free(c.buf);
  free(c.rb);
  return ok;
}
