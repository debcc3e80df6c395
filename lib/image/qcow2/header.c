/* vkit — qcow2 header parsing (with every bound checked) and writing. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/qcow2/header.h"

void
qcow2_header_clear(qcow2_header *h)
{
  free(h->extra_header);
  free(h->backing_file);
  free(h->data_file);
  free(h->feature_table);
  for (size_t i = 0; i < h->n_exts; i++)
    free(h->exts[i].data);
  free(h->exts);
  memset(h, 0, sizeof *h);
}

void
qcow2_header_geom(const qcow2_header *h, qcow2_geom *g)
{
  qcow2_geom_set(g, h->version, h->cluster_bits,
                 h->incompatible_features & QCOW2_INCOMPAT_EXTL2, h->refcount_order);
  g->data_file = h->incompatible_features & QCOW2_INCOMPAT_DATA_FILE;
}

static const struct {
  int type, bit;
  const char *name;
} builtin_features[] = {
  { 0, 0, "dirty bit" },
  { 0, 1, "corrupt bit" },
  { 0, 2, "external data file" },
  { 0, 3, "compression type" },
  { 0, 4, "extended L2 entries" },
  { 1, 0, "lazy refcounts" },
  { 2, 0, "bitmaps" },
  { 2, 1, "raw external data" },
};
#define N_FEATURES (sizeof builtin_features / sizeof *builtin_features)

const char *
qcow2_header_feature_name(const qcow2_header *h, int type, int bit)
{
  static __thread char name[47];

  for (size_t off = 0; h->feature_table && off + QCOW2_FEATURE_ENTRY_LEN <= h->feature_table_len;
       off += QCOW2_FEATURE_ENTRY_LEN) {
    const unsigned char *e = h->feature_table + off;
    if (e[0] == type && e[1] == bit) {
      memcpy(name, e + 2, 46);
      name[46] = '\0';
      return name;
    }
  }
  for (size_t i = 0; i < N_FEATURES; i++)
    if (builtin_features[i].type == type && builtin_features[i].bit == bit)
      return builtin_features[i].name;
  return NULL;
}

static bool
corrupt(vk_error **errp, const char *what)
{
  return vk_error_set(errp, VK_EXIT_CORRUPT, "corrupt qcow2 header: %s", what);
}

static bool
add_ext(qcow2_header *h, uint32_t type, const unsigned char *data, uint32_t len,
        vk_error **errp)
{
  qcow2_ext *n = realloc(h->exts, (h->n_exts + 1) * sizeof *n);
  if (!n)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  h->exts = n;
  n[h->n_exts].type = type;
  n[h->n_exts].len = len;
  n[h->n_exts].data = malloc(len ? len : 1);
  if (!n[h->n_exts].data)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  memcpy(n[h->n_exts].data, data, len);
  h->n_exts++;
  return true;
}

static bool
parse_bitmaps_ext(qcow2_header *h, const unsigned char *d, uint32_t len, vk_error **errp)
{
  if (len != QCOW2_BITMAPS_EXT_LEN)
    return corrupt(errp, "bitmaps extension of the wrong length");
  if (!(h->autoclear_features & QCOW2_AUTOCLEAR_BITMAPS))
    return true;   /* written by a program that did not keep it: stale */
  h->nb_bitmaps = vk_be32(d);
  h->bitmap_dir_size = vk_be64(d + 8);
  h->bitmap_dir_offset = vk_be64(d + 16);
  if (vk_be32(d + 4))
    return corrupt(errp, "reserved field of the bitmaps extension is not zero");
  if (h->nb_bitmaps == 0 || h->nb_bitmaps > QCOW2_MAX_BITMAPS)
    return corrupt(errp, "bad number of bitmaps");
  if (h->bitmap_dir_size == 0 || h->bitmap_dir_size > QCOW2_MAX_BITMAP_DIR)
    return corrupt(errp, "bad bitmap directory size");
  if (!h->bitmap_dir_offset || h->bitmap_dir_offset & ((1ULL << h->cluster_bits) - 1) ||
      h->bitmap_dir_offset >= QCOW2_MAX_HOST_OFFSET)
    return corrupt(errp, "bitmap directory offset not cluster aligned");
  h->has_bitmaps = true;
  return true;
}

static bool
parse_exts(qcow2_header *h, const unsigned char *buf, size_t end, vk_error **errp)
{
  size_t off = h->header_length;

  while (off + QCOW2_EXT_HEADER_LEN <= end) {
    uint32_t type = vk_be32(buf + off), len = vk_be32(buf + off + 4);
    const unsigned char *d = buf + off + QCOW2_EXT_HEADER_LEN;

    /* The length is checked first, for the end marker too (as QEMU). */
    if (len > end - off - QCOW2_EXT_HEADER_LEN)
      return corrupt(errp, "header extension runs past its area");
    switch (type) {
    case QCOW2_EXT_END:
      return true;
    case QCOW2_EXT_BACKING_FORMAT:
      if (len >= sizeof h->backing_fmt)
        return corrupt(errp, "backing format name too long");
      /* Up to a NUL byte, as QEMU reads it. */
      memcpy(h->backing_fmt, d, len);
      h->backing_fmt[len] = '\0';
      break;
    case QCOW2_EXT_FEATURE_TABLE:
      free(h->feature_table);
      h->feature_table = malloc(len ? len : 1);
      if (!h->feature_table)
        return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      memcpy(h->feature_table, d, len);
      h->feature_table_len = len;
      break;
    case QCOW2_EXT_DATA_FILE:
      free(h->data_file);
      h->data_file = strndup((const char *)d, len);
      if (!h->data_file)
        return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      break;
    case QCOW2_EXT_CRYPTO:
      if (h->crypt_method != 2)
        return corrupt(errp, "encryption header extension on an image that is not LUKS-encrypted");
      if (!add_ext(h, type, d, len, errp))
        return false;
      break;
    case QCOW2_EXT_BITMAPS:
      if (!parse_bitmaps_ext(h, d, len, errp) || !add_ext(h, type, d, len, errp))
        return false;
      break;
    default:
      if (!add_ext(h, type, d, len, errp))
        return false;
    }
    off += QCOW2_EXT_HEADER_LEN + (((size_t)len + 7) & ~(size_t)7);
  }
  /* No end marker before the limit: QEMU stops at the limit too. */
  return true;
}

bool
qcow2_header_parse(qcow2_header *h, const unsigned char *buf, size_t buf_len,
                   uint64_t file_len, vk_error **errp)
{
  qcow2_geom g;
  uint64_t cs, need_l1;
  size_t ext_end;

  memset(h, 0, sizeof *h);
  if (buf_len < 4 || vk_be32(buf + QH(magic)) != QCOW2_MAGIC)
    return vk_error_set(errp, VK_EXIT_FAILED, "not a qcow2 image");
  if (buf_len < QCOW2_V2_HEADER_LEN)
    return corrupt(errp, "file too short for a qcow2 header");
#define GET(bits, name) h->name = vk_be##bits(buf + QH(name));
  QCOW2_V2_FIELDS(GET)
  if (h->version != 2 && h->version != 3)
    return vk_error_set(errp, VK_EXIT_FAILED, "unsupported qcow2 version %u", h->version);
  if (h->version == 2) {
    h->refcount_order = 4;
    h->header_length = QCOW2_V2_HEADER_LEN;
  } else {
    if (buf_len < QCOW2_V3_MIN_HEADER_LEN)
      return corrupt(errp, "file too short for a version 3 header");
    QCOW2_V3_FIELDS(GET)
  }
#undef GET
  if (h->cluster_bits < 9 || h->cluster_bits > 21)
    return corrupt(errp, "cluster size out of range (512 bytes to 2 MiB)");
  cs = 1ULL << h->cluster_bits;
  if (h->version == 3) {
    if (h->header_length < QCOW2_V3_MIN_HEADER_LEN || h->header_length % 8 || h->header_length > cs)
      return corrupt(errp, "invalid header length");
    if (h->header_length > buf_len)
      return corrupt(errp, "file too short for its header");
    if (h->header_length > QH(compression_type))
      h->compression_type = buf[QH(compression_type)];
    if (h->header_length > QCOW2_V3_HEADER_LEN) {
      h->extra_header_len = h->header_length - QCOW2_V3_HEADER_LEN;
      h->extra_header = malloc(h->extra_header_len);
      if (!h->extra_header)
        return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      memcpy(h->extra_header, buf + QCOW2_V3_HEADER_LEN, h->extra_header_len);
    }
  }
  if (h->refcount_order > 6)
    return corrupt(errp, "refcount order above 6");
  if (h->crypt_method != 0)
    return vk_error_set(errp, VK_EXIT_FAILED, "encrypted qcow2 images are not supported");

  /* Extensions first: the feature table names unknown features. */
  ext_end = buf_len < cs ? buf_len : (size_t)cs;
  if (h->backing_file_offset) {
    if (h->backing_file_offset >= cs || h->backing_file_offset < h->header_length)
      return corrupt(errp, "backing file name offset outside the header cluster");
    if (h->backing_file_size > QCOW2_MAX_BACKING_NAME ||
        h->backing_file_offset + h->backing_file_size > cs)
      return corrupt(errp, "backing file name too long");
    if (h->backing_file_offset + h->backing_file_size > buf_len)
      return corrupt(errp, "backing file name past the end of the file");
    if (h->backing_file_offset < ext_end)
      ext_end = (size_t)h->backing_file_offset;
    if (h->backing_file_size == 0)
      return corrupt(errp, "empty backing file name");
    h->backing_file = strndup((const char *)buf + h->backing_file_offset,
                              h->backing_file_size);
    if (!h->backing_file)
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    if (strlen(h->backing_file) != h->backing_file_size)
      return corrupt(errp, "backing file name contains a NUL byte");
  }
  if (!parse_exts(h, buf, ext_end, errp))
    return false;

  if (h->incompatible_features & ~QCOW2_INCOMPAT_KNOWN) {
    for (int bit = 0; bit < 64; bit++)
      if ((h->incompatible_features & ~QCOW2_INCOMPAT_KNOWN) & (1ULL << bit)) {
        const char *name = qcow2_header_feature_name(h, 0, bit);
        if (name)
          return vk_error_set(errp, VK_EXIT_FAILED,
                              "unsupported qcow2 feature: %s (incompatible bit %d)",
                              name, bit);
        return vk_error_set(errp, VK_EXIT_FAILED,
                            "unsupported qcow2 feature: unknown incompatible bit %d", bit);
      }
  }
  if (h->compression_type > 1)
    return vk_error_set(errp, VK_EXIT_FAILED, "unsupported compression type %u",
                        h->compression_type);
  if ((h->compression_type != 0) != !!(h->incompatible_features & QCOW2_INCOMPAT_COMPRESSION))
    return corrupt(errp, "compression type and its feature bit disagree");
  if ((h->autoclear_features & QCOW2_AUTOCLEAR_DATA_FILE_RAW) &&
      !(h->incompatible_features & QCOW2_INCOMPAT_DATA_FILE))
    return corrupt(errp, "raw external data without an external data file");
  if ((h->incompatible_features & QCOW2_INCOMPAT_DATA_FILE) && h->version < 3)
    return corrupt(errp, "external data file in a version 2 image");
  if ((h->incompatible_features & QCOW2_INCOMPAT_EXTL2) && h->cluster_bits < 14)
    return corrupt(errp, "extended L2 entries need clusters of at least 16 KiB");

  /* Tables: aligned, bounded, inside the file. */
  qcow2_header_geom(h, &g);
  if (h->size > QCOW2_MAX_VIRTUAL_SIZE)
    return corrupt(errp, "virtual size too large");
  need_l1 = qcow2_l1_entries_for(&g, h->size);
  if ((uint64_t)h->l1_size * sizeof(uint64_t) > QCOW2_MAX_L1_BYTES)
    return corrupt(errp, "L1 table too large");
  if (h->l1_size < need_l1)
    return corrupt(errp, "L1 table too small for the virtual size");
  if (h->l1_size) {
    if (h->l1_table_offset % cs || !h->l1_table_offset)
      return corrupt(errp, "L1 table offset not cluster aligned");
    if (h->l1_table_offset >= QCOW2_MAX_HOST_OFFSET ||
        h->l1_table_offset + (uint64_t)h->l1_size * 8 > file_len)
      return corrupt(errp, "L1 table past the end of the file");
  }
  if ((uint64_t)h->refcount_table_clusters * cs > QCOW2_MAX_REFTABLE_BYTES)
    return corrupt(errp, "refcount table too large");
  if (h->refcount_table_clusters == 0)
    return corrupt(errp, "no refcount table");
  if (h->refcount_table_offset % cs || !h->refcount_table_offset)
    return corrupt(errp, "refcount table offset not cluster aligned");
  if (h->refcount_table_offset >= QCOW2_MAX_HOST_OFFSET ||
      h->refcount_table_offset + (uint64_t)h->refcount_table_clusters * cs > file_len + cs)
    return corrupt(errp, "refcount table past the end of the file");
  if (h->nb_snapshots > QCOW2_MAX_SNAPSHOTS)
    return corrupt(errp, "too many snapshots");
  if (h->snapshots_offset % cs)
    return corrupt(errp, "snapshot table offset not cluster aligned");
  if (h->nb_snapshots && h->snapshots_offset >= file_len)
    return corrupt(errp, "snapshot table past the end of the file");
  /* Overlaps between the fixed structures. */
  if (h->l1_size && h->l1_table_offset < cs)
    return corrupt(errp, "L1 table overlaps the header");
  if (h->refcount_table_offset < cs)
    return corrupt(errp, "refcount table overlaps the header");
  if (h->l1_size) {
    uint64_t l1_end = h->l1_table_offset + (uint64_t)h->l1_size * 8;
    uint64_t rt_end = h->refcount_table_offset + (uint64_t)h->refcount_table_clusters * cs;
    if (h->l1_table_offset < rt_end && h->refcount_table_offset < l1_end)
      return corrupt(errp, "L1 table overlaps the refcount table");
  }
  return true;
}

static size_t
put_ext(unsigned char *buf, size_t off, size_t cap, uint32_t type,
        const void *data, size_t len)
{
  size_t padded = (len + 7) & ~(size_t)7;
  if (off + QCOW2_EXT_HEADER_LEN + padded > cap)
    return 0;
  vk_put_be32(buf + off, type);
  vk_put_be32(buf + off + 4, (uint32_t)len);
  if (len)
    memcpy(buf + off + QCOW2_EXT_HEADER_LEN, data, len);
  return off + QCOW2_EXT_HEADER_LEN + padded;
}

size_t
qcow2_header_write(qcow2_header *h, unsigned char *buf, size_t cs, vk_error **errp)
{
  size_t off;

  memset(buf, 0, cs);
  if (h->version == 2) {
    h->header_length = QCOW2_V2_HEADER_LEN;
  } else {
    h->header_length = (uint32_t)(QCOW2_V3_HEADER_LEN + h->extra_header_len);
    if (h->header_length > cs)
      goto toobig;
  }
  if (h->version == 3) {
    buf[QH(compression_type)] = h->compression_type;
    if (h->extra_header_len)
      memcpy(buf + QCOW2_V3_HEADER_LEN, h->extra_header, h->extra_header_len);
  }
  off = h->header_length;
  if (h->backing_fmt[0] &&
      !(off = put_ext(buf, off, cs, QCOW2_EXT_BACKING_FORMAT, h->backing_fmt,
                      strlen(h->backing_fmt))))
    goto toobig;
  if (h->data_file &&
      !(off = put_ext(buf, off, cs, QCOW2_EXT_DATA_FILE, h->data_file, strlen(h->data_file))))
    goto toobig;
  for (size_t i = 0; i < h->n_exts; i++)
    if (h->exts[i].type == QCOW2_EXT_CRYPTO &&
        !(off = put_ext(buf, off, cs, h->exts[i].type, h->exts[i].data, h->exts[i].len)))
      goto toobig;
  if (h->version == 3 && cs > 4096) {
    if (off + QCOW2_EXT_HEADER_LEN + QCOW2_FEATURE_ENTRY_LEN * N_FEATURES > cs)
      goto toobig;
    vk_put_be32(buf + off, QCOW2_EXT_FEATURE_TABLE);
    vk_put_be32(buf + off + 4, QCOW2_FEATURE_ENTRY_LEN * N_FEATURES);
    off += QCOW2_EXT_HEADER_LEN;
    for (size_t i = 0; i < N_FEATURES; i++, off += QCOW2_FEATURE_ENTRY_LEN) {
      buf[off] = (unsigned char)builtin_features[i].type;
      buf[off + 1] = (unsigned char)builtin_features[i].bit;
      memcpy(buf + off + 2, builtin_features[i].name, strlen(builtin_features[i].name));
    }
  }
  for (size_t i = 0; i < h->n_exts; i++)
    if (h->exts[i].type != QCOW2_EXT_CRYPTO &&
        !(off = put_ext(buf, off, cs, h->exts[i].type, h->exts[i].data, h->exts[i].len)))
      goto toobig;
  if (off + QCOW2_EXT_HEADER_LEN > cs)
    goto toobig;
  off += QCOW2_EXT_HEADER_LEN;   /* end marker: zeros */
  if (h->backing_file) {
    size_t n = strlen(h->backing_file);
    if (n > QCOW2_MAX_BACKING_NAME || off + n > cs)
      goto toobig;
    memcpy(buf + off, h->backing_file, n);
    h->backing_file_offset = off;
    h->backing_file_size = (uint32_t)n;
    off += n;
  } else {
    h->backing_file_offset = 0;
    h->backing_file_size = 0;
  }
  h->magic = QCOW2_MAGIC;
#define PUT(bits, name) vk_put_be##bits(buf + QH(name), h->name);
  QCOW2_V2_FIELDS(PUT)
  if (h->version == 3) {
    QCOW2_V3_FIELDS(PUT)
  }
#undef PUT
  return off;

toobig:
  vk_error_set(errp, VK_EXIT_FAILED, "qcow2 header does not fit in one cluster");
  return 0;
}
