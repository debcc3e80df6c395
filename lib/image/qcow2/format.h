/* vkit — the qcow2 format layer: how each on-disk structure of qcow2 is
 * laid out, decoded, validated and encoded (shared/QCOW2.md).  Nothing
 * outside this header (and header.c, snapshot.c, bitmap.c, which decode
 * the variable-length structures with it) knows a byte offset or a bit
 * of the format.  The driver, the snapshot code and `vimg check` call the
 * same functions, so a rule added here holds for all of them.
 *
 * Validators return NULL for a well-formed value, or a short phrase that
 * says what is wrong ("reserved bits set"): the driver turns it into
 * VK_EXIT_CORRUPT, check into an ERROR line.  Nothing here allocates or
 * does I/O.
 */
#ifndef VK_IMAGE_QCOW2_FORMAT_H
#define VK_IMAGE_QCOW2_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"

/* ---------------------------------------------------------------- header */

/* The fixed header at offset 0: (width in bits, name) of each field, in
 * order, big-endian on disk.  Version 3 adds the second list, then one
 * byte of compression type and 7 of padding. */
#define QCOW2_V2_FIELDS(X)                                                  \
  X(32, magic) X(32, version) X(64, backing_file_offset)                    \
  X(32, backing_file_size) X(32, cluster_bits) X(64, size)                  \
  X(32, crypt_method) X(32, l1_size) X(64, l1_table_offset)                 \
  X(64, refcount_table_offset) X(32, refcount_table_clusters)               \
  X(32, nb_snapshots) X(64, snapshots_offset)
#define QCOW2_V3_FIELDS(X)                                                  \
  X(64, incompatible_features) X(64, compatible_features)                   \
  X(64, autoclear_features) X(32, refcount_order) X(32, header_length)

#define QCOW2_FIELD_DECL(bits, name) uint##bits##_t name;

/* The header as stored, for the offsets of its fields. */
typedef struct __attribute__((packed)) qcow2_disk_header {
  QCOW2_V2_FIELDS(QCOW2_FIELD_DECL)
  QCOW2_V3_FIELDS(QCOW2_FIELD_DECL)
  uint8_t compression_type;
  uint8_t padding[7];
} qcow2_disk_header;

/* Byte offset of a header field. */
#define QH(field) offsetof(qcow2_disk_header, field)

#define QCOW2_MAGIC 0x514649fbU
#define QCOW2_V2_HEADER_LEN QH(incompatible_features)     /* 72 */
#define QCOW2_V3_MIN_HEADER_LEN QH(compression_type)      /* 104 */
#define QCOW2_V3_HEADER_LEN sizeof(qcow2_disk_header)     /* 112: what vkit and QEMU 7.2 write */

_Static_assert(QH(size) == 24 && QH(l1_size) == 36 && QH(refcount_table_offset) == 48 &&
               QH(nb_snapshots) == 60 && QH(incompatible_features) == 72 &&
               QH(autoclear_features) == 88 && QH(header_length) == 100 &&
               sizeof(qcow2_disk_header) == 112, "qcow2 header layout");
/* The fields switched together by one write are adjacent. */
_Static_assert(QH(l1_table_offset) == QH(l1_size) + 4 &&
               QH(refcount_table_clusters) == QH(refcount_table_offset) + 8 &&
               QH(snapshots_offset) == QH(nb_snapshots) + 4, "qcow2 header field pairs");

#define QCOW2_INCOMPAT_DIRTY (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ULL << 4)
#define QCOW2_INCOMPAT_KNOWN 0x1fULL
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)
#define QCOW2_AUTOCLEAR_BITMAPS (1ULL << 0)
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW (1ULL << 1)

/* Header extensions: {u32 type, u32 length, data padded to 8}. */
#define QCOW2_EXT_HEADER_LEN 8
#define QCOW2_EXT_END 0
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acaU
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857U
#define QCOW2_EXT_BITMAPS 0x23852875U
/* The bitmaps extension: {u32 nb_bitmaps, u32 reserved, u64 directory
 * size, u64 directory offset}; the limits QEMU has too. */
#define QCOW2_BITMAPS_EXT_LEN 24
#define QCOW2_MAX_BITMAPS 65535
#define QCOW2_MAX_BITMAP_DIR (64ULL << 20)
#define QCOW2_MAX_BITMAP_NAME 1023
#define QCOW2_EXT_CRYPTO 0x0537be77U
#define QCOW2_EXT_DATA_FILE 0x44415441U
#define QCOW2_FEATURE_ENTRY_LEN 48   /* {u8 type, u8 bit, char name[46]} */

/* Limits (as QEMU's). */
#define QCOW2_MAX_L1_BYTES (32U * 1024 * 1024)
#define QCOW2_MAX_REFTABLE_BYTES (8U * 1024 * 1024)
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_HOST_OFFSET (1ULL << 56)
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_MAX_VIRTUAL_SIZE (1ULL << 62)

/* One header field (or adjacent pair) as it is written in place: `len`
 * bytes of `b` at offset `off`.  Every in-place header update goes
 * through one of these. */
typedef struct qcow2_hdr_patch {
  unsigned off, len;
  unsigned char b[12];
} qcow2_hdr_patch;

/* A field of `bits` at `off` set to `v`, followed (bits2 > 0) by the
 * adjacent one set to `v2`. */
static inline qcow2_hdr_patch
qcow2_patch(unsigned off, unsigned bits, uint64_t v, unsigned bits2, uint64_t v2)
{
  qcow2_hdr_patch p = { off, (bits + bits2) / 8, { 0 } };

  if (bits == 64)
    vk_put_be64(p.b, v);
  else
    vk_put_be32(p.b, (uint32_t)v);
  if (bits2 == 64)
    vk_put_be64(p.b + bits / 8, v2);
  else if (bits2)
    vk_put_be32(p.b + bits / 8, (uint32_t)v2);
  return p;
}

#define qcow2_patch_size(v_) qcow2_patch(QH(size), 64, (v_), 0, 0)
#define qcow2_patch_l1(n_, off_) qcow2_patch(QH(l1_size), 32, (n_), 64, (off_))
#define qcow2_patch_refcount_table(off_, n_) \
  qcow2_patch(QH(refcount_table_offset), 64, (off_), 32, (n_))
#define qcow2_patch_snapshots(n_, off_) qcow2_patch(QH(nb_snapshots), 32, (n_), 64, (off_))
#define qcow2_patch_incompatible(v_) qcow2_patch(QH(incompatible_features), 64, (v_), 0, 0)
#define qcow2_patch_autoclear(v_) qcow2_patch(QH(autoclear_features), 64, (v_), 0, 0)

/* ---------------------------------------------------------------- geometry */

/* What the header's fields imply for every table. */
typedef struct qcow2_geom {
  unsigned version;          /* 2 or 3 */
  unsigned cluster_bits;
  uint64_t cs;               /* cluster size */
  bool extl2;                /* extended L2 entries */
  unsigned l2_esize;         /* bytes per L2 entry: 8, or 16 with extl2 */
  uint64_t l2_entries;       /* entries per L2 table */
  uint64_t sc_size;          /* subcluster size: cs / 32 with extl2, else cs */
  unsigned refcount_order;
  unsigned refcount_bits;
  uint64_t rb_entries;       /* refcounts per refcount block */
  uint64_t refmax;           /* largest refcount value */
  bool data_file;            /* guest data in an external data file: data
                                clusters sit at their guest offset there, are
                                not refcounted, never compressed */
} qcow2_geom;

/* Fill *g; cluster_bits 9..21 and refcount_order 0..6 (the header parser
 * has checked them). */
static inline void
qcow2_geom_set(qcow2_geom *g, unsigned version, unsigned cluster_bits, bool extl2,
               unsigned refcount_order)
{
  g->version = version;
  g->cluster_bits = cluster_bits;
  g->cs = 1ULL << cluster_bits;
  g->extl2 = extl2;
  g->l2_esize = extl2 ? 16 : 8;
  g->l2_entries = g->cs / g->l2_esize;
  g->sc_size = extl2 ? g->cs / 32 : g->cs;
  g->refcount_order = refcount_order;
  g->refcount_bits = 1u << refcount_order;
  g->rb_entries = g->cs * 8 >> refcount_order;
  g->refmax = refcount_order == 6 ? UINT64_MAX : (1ULL << g->refcount_bits) - 1;
  g->data_file = false;
}

/* Guest bytes one L1 entry (one L2 table) maps. */
static inline uint64_t
qcow2_l1_span(const qcow2_geom *g)
{
  return g->cs * g->l2_entries;
}

/* L1 entries needed for a virtual size. */
static inline uint64_t
qcow2_l1_entries_for(const qcow2_geom *g, uint64_t size)
{
  return (size + qcow2_l1_span(g) - 1) / qcow2_l1_span(g);
}

/* End of the host area a table entry may point into: the file length
 * rounded up to a whole cluster (a last cluster may be partly present). */
static inline uint64_t
qcow2_file_end(const qcow2_geom *g, uint64_t file_len)
{
  return (file_len + g->cs - 1) & ~(g->cs - 1);
}

/* ---------------------------------------------------------------- L1 */

#define QCOW2_L1E_OFFSET_MASK 0x00fffffffffffe00ULL
#define QCOW2_L1E_RESERVED_MASK 0x7f000000000001ffULL
#define QCOW2_OFLAG_COPIED (1ULL << 63)
#define QCOW2_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW2_OFLAG_ZERO 1ULL

static inline uint64_t
qcow2_l1e_offset(uint64_t e)
{
  return e & QCOW2_L1E_OFFSET_MASK;
}

/* What is wrong with L1 entry `e` in a file whose tables may point below
 * `file_end` (qcow2_file_end()); NULL when nothing. */
static inline const char *
qcow2_l1e_problem(const qcow2_geom *g, uint64_t e, uint64_t file_end)
{
  uint64_t off = e & QCOW2_L1E_OFFSET_MASK;

  if (e & QCOW2_L1E_RESERVED_MASK)
    return "reserved bits set in an L1 entry";
  if (!off)
    return e ? "COPIED flag set on an L1 entry without an L2 table" : NULL;
  if (off & (g->cs - 1))
    return "L2 table offset not cluster aligned";
  if (off < g->cs)
    return "L2 table overlaps the header";
  if (off >= file_end)
    return "L2 table past the end of the file";
  return NULL;
}

/* ---------------------------------------------------------------- L2 */

#define QCOW2_L2E_OFFSET_MASK 0x00fffffffffffe00ULL
#define QCOW2_L2E_RESERVED_MASK 0x3f000000000001feULL
#define QCOW2_SC_ALL_ALLOC 0x00000000ffffffffULL   /* extended L2 bitmap */
#define QCOW2_SC_ALL_ZERO 0xffffffff00000000ULL

/* Kind of one (sub)cluster mapping. */
typedef enum qcow2_ckind {
  QC_UNALLOC,               /* read the backing file (or zeros) */
  QC_ZERO_PLAIN,            /* zeros, no host cluster */
  QC_ZERO_ALLOC,            /* zeros, host cluster kept */
  QC_NORMAL,                /* data in a host cluster */
  QC_COMPRESSED,
} qcow2_ckind;

/* One L2 entry, decoded. */
typedef struct qcow2_l2e {
  uint64_t word;            /* the standard 64-bit word */
  uint64_t bitmap;          /* extended L2 subcluster bitmap (0 otherwise) */
  uint64_t host;            /* cluster offset (normal, zero-allocated), or
                               the compressed data's byte offset */
  uint64_t clen;            /* compressed: bytes the data may occupy */
  bool compressed;
  /* A host cluster of its own: normal or zero-allocated (not compressed).
   * Offset 0 is a cluster too in an external data file, told from
   * unallocated by the COPIED flag, as QEMU does (those clusters always
   * have it). */
  bool mapped;
} qcow2_l2e;

/* Shift of the compressed descriptor's sector count. */
static inline unsigned
qcow2_csize_shift(const qcow2_geom *g)
{
  return 62 - (g->cluster_bits - 8);
}

/* Entry `idx` of L2 table `t`, decoded (not validated). */
static inline void
qcow2_l2e_get(const qcow2_geom *g, const unsigned char *t, uint64_t idx, qcow2_l2e *e)
{
  const unsigned char *p = t + idx * g->l2_esize;

  e->word = vk_be64(p);
  e->bitmap = g->extl2 ? vk_be64(p + 8) : 0;
  e->compressed = e->word & QCOW2_OFLAG_COMPRESSED;
  if (e->compressed) {
    unsigned shift = qcow2_csize_shift(g);
    uint64_t nsec = (e->word >> shift) & ((1ULL << (g->cluster_bits - 8)) - 1);
    e->host = e->word & ((1ULL << shift) - 1);
    e->clen = (nsec + 1) * 512 - (e->host & 511);
    e->mapped = false;
  } else {
    e->host = e->word & QCOW2_L2E_OFFSET_MASK;
    e->clen = 0;
    e->mapped = e->host || (g->data_file && (e->word & QCOW2_OFLAG_COPIED) &&
                            (g->extl2 || !(e->word & QCOW2_OFLAG_ZERO)));
  }
}

/* Store an entry (word and, with extended L2, bitmap). */
static inline void
qcow2_l2e_put(const qcow2_geom *g, unsigned char *t, uint64_t idx, uint64_t word,
              uint64_t bitmap)
{
  vk_put_be64(t + idx * g->l2_esize, word);
  if (g->extl2)
    vk_put_be64(t + idx * g->l2_esize + 8, bitmap);
}

/* True when the entry is all zero (nothing recorded at all). */
static inline bool
qcow2_l2e_empty(const qcow2_l2e *e)
{
  return !e->word && !e->bitmap;
}

/* What is wrong with a decoded L2 entry (NULL: nothing), given the end
 * of the host area (qcow2_file_end()).  In an image with an external
 * data file the offset must also be the guest cluster's own: see
 * qcow2_l2e_misplaced(). */
static inline const char *
qcow2_l2e_problem(const qcow2_geom *g, const qcow2_l2e *e, uint64_t file_end)
{
  if (e->compressed && g->data_file)
    return "compressed cluster in an image with an external data file";
  if (e->compressed) {
    if (e->word & QCOW2_OFLAG_COPIED)
      return "compressed cluster entry with the COPIED flag";
    if (e->bitmap)
      return "compressed cluster entry with subcluster bits";
    if (e->host < g->cs || e->host >= file_end)
      return "compressed cluster outside the file";
    /* a writer stores at most cs - 1 bytes (more: the cluster is written
     * plain), so no sector count reaches further; a longer one covers
     * clusters of others, which freeing this one would take from them */
    if (((e->host + e->clen - 1) >> 9) > ((e->host + g->cs - 2) >> 9))
      return "compressed cluster data longer than a cluster";
    return NULL;
  }
  if (e->word & QCOW2_L2E_RESERVED_MASK)
    return "reserved bits set in an L2 entry";
  if (e->word & QCOW2_OFLAG_ZERO) {
    if (g->extl2)
      return "zero flag set in an extended L2 entry";
    if (g->version < 3)
      return "zero flag in a version 2 image";
  }
  if (e->host & (g->cs - 1))
    return "data cluster offset not cluster aligned";
  if (g->data_file) {
    if (e->host >= QCOW2_MAX_VIRTUAL_SIZE)
      return "data cluster offset beyond any virtual size";
  } else if (e->host && (e->host < g->cs || e->host >= file_end)) {
    return "data cluster outside the file";
  }
  if (g->extl2) {
    uint32_t alloc = (uint32_t)e->bitmap, zero = (uint32_t)(e->bitmap >> 32);
    if (alloc & zero)
      return "subcluster both allocated and zero";
    if (alloc && !e->mapped)
      return "allocated subclusters without a cluster offset";
  }
  return NULL;
}

/* In an image with an external data file: whether the valid entry of the
 * guest cluster at `guest` points anywhere but at `guest` (the spec's
 * rule; QEMU only ever allocates there). */
static inline bool
qcow2_l2e_misplaced(const qcow2_geom *g, const qcow2_l2e *e, uint64_t guest)
{
  return g->data_file && e->mapped && e->host != (guest & ~(g->cs - 1));
}

/* Kind of subcluster `sc` (0 for standard L2) of a valid entry. */
static inline qcow2_ckind
qcow2_l2e_kind(const qcow2_geom *g, const qcow2_l2e *e, unsigned sc)
{
  if (e->compressed)
    return QC_COMPRESSED;
  if (g->extl2) {
    if ((e->bitmap >> (32 + sc)) & 1)
      return e->mapped ? QC_ZERO_ALLOC : QC_ZERO_PLAIN;
    if ((e->bitmap >> sc) & 1)
      return QC_NORMAL;
    return QC_UNALLOC;
  }
  if (e->word & QCOW2_OFLAG_ZERO)
    return e->mapped ? QC_ZERO_ALLOC : QC_ZERO_PLAIN;
  return e->mapped ? QC_NORMAL : QC_UNALLOC;
}

/* True when the entry holds a host cluster of its own (normal or
 * zero-allocated, with or without subclusters in use). */
static inline bool
qcow2_l2e_has_cluster(const qcow2_l2e *e)
{
  return e->mapped;
}

/* The word of a compressed entry for `clen` bytes at byte offset `coff`. */
static inline uint64_t
qcow2_compressed_word(const qcow2_geom *g, uint64_t coff, uint64_t clen)
{
  uint64_t nsec = ((coff + clen - 1) >> 9) - (coff >> 9);
  return QCOW2_OFLAG_COMPRESSED | (nsec << qcow2_csize_shift(g)) | coff;
}

/* The host clusters a compressed entry's data touches: [*first, *first +
 * *n * cs). */
static inline void
qcow2_compressed_clusters(const qcow2_geom *g, const qcow2_l2e *e, uint64_t *first,
                          uint64_t *n)
{
  uint64_t last = (e->host + e->clen - 1) & ~(g->cs - 1);

  *first = e->host & ~(g->cs - 1);
  *n = (last - *first) / g->cs + 1;
}

/* ---------------------------------------------------------------- refcounts */

#define QCOW2_RTE_OFFSET_MASK 0xfffffffffffffe00ULL
#define QCOW2_RTE_RESERVED_MASK 0x1ffULL

/* What is wrong with refcount table entry `i` (value `e`), NULL when
 * nothing.  Entry 0 must be set: it counts the header. */
static inline const char *
qcow2_rte_problem(const qcow2_geom *g, uint64_t i, uint64_t e, uint64_t file_end)
{
  uint64_t off = e & QCOW2_RTE_OFFSET_MASK;

  if (e & QCOW2_RTE_RESERVED_MASK)
    return "reserved bits set in a refcount table entry";
  if (!off)
    return i == 0 ? "no refcount block for the header (refcount table entry 0 is empty)" : NULL;
  if (off & (g->cs - 1))
    return "refcount block not cluster aligned";
  if (off < g->cs)
    return "refcount block overlaps the header";
  if (off >= QCOW2_MAX_HOST_OFFSET || off >= file_end)
    return "refcount block past the end of the file";
  return NULL;
}

/* Refcount `i` of refcount block `rb`.  Widths below 8 bits pack from the
 * least significant bit of each byte; 8 and more are big-endian. */
static inline uint64_t
qcow2_rb_get(const qcow2_geom *g, const unsigned char *rb, uint64_t i)
{
  switch (g->refcount_bits) {
  case 1: case 2: case 4: {
    uint64_t bit = i * g->refcount_bits;
    return (rb[bit / 8] >> (bit % 8)) & ((1u << g->refcount_bits) - 1);
  }
  case 8: return rb[i];
  case 16: return vk_be16(rb + i * 2);
  case 32: return vk_be32(rb + i * 4);
  default: return vk_be64(rb + i * 8);
  }
}

static inline void
qcow2_rb_set(const qcow2_geom *g, unsigned char *rb, uint64_t i, uint64_t v)
{
  switch (g->refcount_bits) {
  case 1: case 2: case 4: {
    uint64_t bit = i * g->refcount_bits;
    unsigned mask = ((1u << g->refcount_bits) - 1) << (bit % 8);
    rb[bit / 8] = (unsigned char)((rb[bit / 8] & ~mask) | ((unsigned)v << (bit % 8)));
    break;
  }
  case 8: rb[i] = (unsigned char)v; break;
  case 16: vk_put_be16(rb + i * 2, (uint16_t)v); break;
  case 32: vk_put_be32(rb + i * 4, (uint32_t)v); break;
  default: vk_put_be64(rb + i * 8, v); break;
  }
}

/* A refcount area: new refcount blocks and a new refcount table placed
 * together at the end of the file (image creation, table growth, and the
 * rebuild of `check -r all`). */
typedef struct qcow2_area {
  uint64_t blocks;          /* new refcount blocks */
  uint64_t table;           /* clusters of the new refcount table */
  uint64_t entries;         /* entries of the new table (whole clusters) */
} qcow2_area;

/* Size the area of blocks + table + `extra` more clusters that starts at
 * cluster `start` (the caller decides the order inside it): one new block for each of the
 * `outside` ranges elsewhere that need one, and one for each range the
 * area itself spans for which `has_block(opaque, range)` is false (NULL:
 * none has).  The table has at least `min_entries` entries and one for
 * every range up to the area's end; with `slack` a quarter more, so that
 * it does not grow again at once. */
static inline qcow2_area
qcow2_refcount_area(const qcow2_geom *g, uint64_t start, uint64_t extra, uint64_t outside,
                    uint64_t min_entries, bool slack,
                    bool (*has_block)(const void *opaque, uint64_t range),
                    const void *opaque)
{
  qcow2_area a = { outside, 1, 0 };

  for (int iter = 0; iter < 64; iter++) {
    uint64_t end = start + a.blocks + a.table + extra, nb = outside, nt, want;
    for (uint64_t r = start / g->rb_entries; r <= (end - 1) / g->rb_entries; r++)
      if (!has_block || !has_block(opaque, r))
        nb++;
    want = (end - 1) / g->rb_entries + 1;
    if (want < min_entries)
      want = min_entries;
    if (slack)
      want += want / 4;
    nt = (want * 8 + g->cs - 1) / g->cs;
    if (nb == a.blocks && nt == a.table)
      break;
    a.blocks = nb;
    a.table = nt;
  }
  a.entries = a.table * g->cs / 8;
  return a;
}

#endif
