/* vkit — the vhdx driver: Hyper-V's VHDX images, read only.
 *
 * The first megabyte holds the file identifier ("vhdxfile"), two headers
 * (64 KiB and 128 KiB: the valid one with the higher sequence number
 * counts) and two copies of the region table (192 KiB, 256 KiB), which
 * place the block allocation table (BAT) and the metadata region.  The
 * metadata gives the block size, the virtual size, the logical sector
 * size and whether the disk has a parent.  The BAT has one entry per
 * payload block (its state, and its offset in MiB), with a sector bitmap
 * entry after every "chunk ratio" of them.
 *
 * Fixed and dynamic disks are read; a differencing disk (one with a
 * parent) is refused, and so is an image whose log holds changes not yet
 * written to it (a Hyper-V host that stopped midway): vkit does not
 * replay the log (exit 7, saying so).  Every structure is decoded here
 * and checked before it is used: signatures and CRC-32C checksums of the
 * headers, region tables and metadata table, the regions inside the
 * file, the metadata items' bounds and values, and each BAT entry's state
 * and block inside the file.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/formats/blockmap.h"
#include "util/bytes.h"

/* every message of this driver names the file and the format */
#define corrupt(img, errp, what) vk_fmt_corrupt((img)->filename, "vhdx", (errp), (what))
#define unsupported(img, errp, what) vk_fmt_unsupported((img)->filename, "vhdx", (errp), (what))

#define MiB (1024ULL * 1024)
#define KiB64 (64 * 1024)
#define HEADER_LEN 4096
#define MAX_ENTRIES 2047

enum {
  BLOCK_NOT_PRESENT = 0,
  BLOCK_UNDEFINED = 1,
  BLOCK_ZERO = 2,
  BLOCK_UNMAPPED = 3,
  BLOCK_FULLY_PRESENT = 6,
  BLOCK_PARTIALLY_PRESENT = 7,
};

/* GUIDs as they are stored (the first three fields little-endian). */
static const unsigned char guid_bat[16] = { 0x66, 0x77, 0xc2, 0x2d, 0x23, 0xf6, 0x00, 0x42,
                                            0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08 };
static const unsigned char guid_metadata[16] = { 0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b,
                                                 0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e };
static const unsigned char guid_file_params[16] = {
  0x37, 0x67, 0xa1, 0xca, 0x36, 0xfa, 0x43, 0x4d, 0xb3, 0xb6, 0x33, 0xf0, 0xaa, 0x44, 0xe7, 0x6b
};
static const unsigned char guid_disk_size[16] = { 0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48,
                                                  0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8 };
static const unsigned char guid_logical_sector[16] = { 0x1d, 0xbf, 0x41, 0x81, 0x6f, 0xa9,
                                                       0x09, 0x47, 0xba, 0x47, 0xf2, 0x33,
                                                       0xa8, 0xfa, 0xab, 0x5f };
static const unsigned char guid_physical_sector[16] = { 0xc7, 0x48, 0xa3, 0xcd, 0x5d, 0x44,
                                                        0x71, 0x44, 0x9c, 0xc9, 0xe9, 0x88,
                                                        0x52, 0x51, 0xc5, 0x56 };
static const unsigned char guid_page83[16] = { 0xab, 0x12, 0xca, 0xbe, 0xe6, 0xb2, 0x23, 0x45,
                                               0x93, 0xef, 0xc3, 0x09, 0xe0, 0x00, 0xc7, 0x46 };
static const unsigned char guid_parent_locator[16] = { 0x2d, 0x5f, 0xd3, 0xa8, 0x0b, 0xb3,
                                                       0x4d, 0x45, 0xab, 0xf7, 0xd3, 0xd8,
                                                       0x48, 0x34, 0xab, 0x0c };

typedef struct vhdx_state {
  uint32_t block_size;
  uint32_t nblocks;
  uint64_t *bat; /* the payload blocks' entries, host order */
} vhdx_state;

/* CRC-32C (Castagnoli, reflected), as VHDX checksums its structures. */
static uint32_t
crc32c(const unsigned char *p, size_t n)
{
  static uint32_t table[256];
  static bool ready;
  uint32_t c = 0xffffffffu;

  if (!ready) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t v = i;
      for (int k = 0; k < 8; k++)
        v = (v >> 1) ^ (v & 1 ? 0x82f63b78u : 0);
      table[i] = v;
    }
    ready = true;
  }
  while (n--)
    c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

/* The checksum at `at` of the n-byte structure b (counted as zero). */
static bool
checksum_ok(unsigned char *b, size_t n, size_t at)
{
  uint32_t want = vk_le32(b + at), got;

  memset(b + at, 0, 4);
  got = crc32c(b, n);
  b[at] = (unsigned char)want;
  b[at + 1] = (unsigned char)(want >> 8);
  b[at + 2] = (unsigned char)(want >> 16);
  b[at + 3] = (unsigned char)(want >> 24);
  return want == got;
}

typedef struct region {
  uint64_t off;
  uint32_t len;
} region;

/* A region table (64 KiB at `at`): the BAT and metadata regions. */
static bool
read_regions(vk_image *img, uint64_t at, uint64_t file_size, region *bat, region *meta, bool *valid,
             vk_error **errp)
{
  unsigned char *b = malloc(KiB64);
  uint32_t n;
  bool ok = true;

  *valid = false;
  if (!b)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(img->fd, b, KiB64, at, img->filename, errp)) {
    free(b);
    return false;
  }
  n = vk_le32(b + 8);
  if (memcmp(b, "regi", 4) != 0 || !checksum_ok(b, KiB64, 4) || n > MAX_ENTRIES) {
    free(b);
    return true; /* this copy is not valid: the other may be */
  }
  bat->len = meta->len = 0;
  for (uint32_t i = 0; i < n && ok; i++) {
    const unsigned char *e = b + 16 + (size_t)i * 32;
    region r = { vk_le64(e + 16), vk_le32(e + 24) };
    bool required = vk_le32(e + 28) & 1;
    region *dst = !memcmp(e, guid_bat, 16) ? bat : !memcmp(e, guid_metadata, 16) ? meta : NULL;

    if (!dst) {
      if (required)
        ok = unsupported(img, errp, "a region it requires that vkit does not know");
      continue;
    }
    if (r.off < MiB || r.off % MiB || r.len == 0 || r.len % MiB || r.off > file_size ||
        file_size - r.off < r.len)
      ok = corrupt(img, errp, "a region lies outside the file");
    *dst = r;
  }
  free(b);
  if (ok && (!bat->len || !meta->len))
    ok = corrupt(img, errp, "the region table has no BAT or no metadata region");
  *valid = ok;
  return ok;
}

typedef struct params {
  uint32_t block_size, logical_sector;
  uint64_t disk_size;
  bool has_parent, have_fp, have_size, have_ls;
} params;

static bool
read_metadata(vk_image *img, const region *meta, params *p, vk_error **errp)
{
  unsigned char *b = malloc(KiB64);
  uint16_t n;
  bool ok = true;

  memset(p, 0, sizeof *p);
  if (!b)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(img->fd, b, KiB64, meta->off, img->filename, errp)) {
    free(b);
    return false;
  }
  n = (uint16_t)(b[10] | b[11] << 8);
  if (memcmp(b, "metadata", 8) != 0 || n > MAX_ENTRIES) {
    free(b);
    return corrupt(img, errp, "no metadata table");
  }
  for (uint16_t i = 0; i < n && ok; i++) {
    const unsigned char *e = b + 32 + (size_t)i * 32;
    uint32_t off = vk_le32(e + 16), len = vk_le32(e + 20), flags = vk_le32(e + 24);
    unsigned char v[8];

    if (len == 0)
      continue;
    if (off < KiB64 || off > meta->len || meta->len - off < len) {
      ok = corrupt(img, errp, "a metadata item lies outside its region");
      break;
    }
    if (!memcmp(e, guid_file_params, 16) || !memcmp(e, guid_disk_size, 16) ||
        !memcmp(e, guid_logical_sector, 16)) {
      if (len < 4 || (len < 8 && memcmp(e, guid_logical_sector, 16) != 0)) {
        ok = corrupt(img, errp, "a metadata item is too short");
        break;
      }
      if (!vk_host_pread(img->fd, v, len < 8 ? 4 : 8, meta->off + off, img->filename, errp)) {
        ok = false;
        break;
      }
      if (!memcmp(e, guid_file_params, 16)) {
        p->block_size = vk_le32(v);
        p->has_parent = vk_le32(v + 4) & 2;
        p->have_fp = true;
      } else if (!memcmp(e, guid_disk_size, 16)) {
        p->disk_size = vk_le64(v);
        p->have_size = true;
      } else {
        p->logical_sector = vk_le32(v);
        p->have_ls = true;
      }
    } else if (memcmp(e, guid_physical_sector, 16) && memcmp(e, guid_page83, 16) &&
               memcmp(e, guid_parent_locator, 16) && (flags & 4)) {
      ok = unsupported(img, errp, "a metadata item it requires that vkit does not know");
    }
  }
  free(b);
  if (!ok)
    return false;
  if (!p->have_fp || !p->have_size || !p->have_ls)
    return corrupt(img, errp, "the block size, disk size or sector size is missing");
  if (p->has_parent)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s is a differencing VHDX (it has a parent), which vkit does not read",
                        img->filename);
  if (p->block_size < MiB || p->block_size > 256 * MiB || (p->block_size & (p->block_size - 1)))
    return corrupt(img, errp, "the block size is not a power of two from 1 to 256 MiB");
  if (p->logical_sector != 512 && p->logical_sector != 4096)
    return corrupt(img, errp, "the logical sector size is not 512 or 4096");
  if (p->disk_size == 0 || p->disk_size > (64ULL << 40) || p->disk_size % p->logical_sector)
    return corrupt(img, errp, "the disk size is not a multiple of the sector size up to 64 TiB");
  return true;
}

static int64_t
vhdx_lookup(vk_image *img, uint64_t block, uint64_t *same, vk_error **errp)
{
  const vk_blockmap *m = img->priv;
  const uint64_t *bat = m->table; /* the payload blocks' entries, host order */
  uint64_t e = block < m->nblocks ? bat[block] : 0;

  (void)same;
  (void)errp;
  if ((e & 7) == BLOCK_FULLY_PRESENT)
    return (int64_t)((e >> 20) * MiB);
  return (e & 7) == BLOCK_ZERO ? VK_BLOCK_ZERO : VK_BLOCK_ABSENT;
}

static bool
vhdx_open(vk_image *img, vk_error **errp)
{
  unsigned char id[8], h[2][HEADER_LEN], *raw;
  uint64_t file_size, seq[2] = { 0, 0 }, chunk, entries;
  region bat = { 0, 0 }, meta = { 0, 0 }, bat2, meta2;
  bool valid[2], rvalid;
  params p;
  vk_blockmap *s;
  uint64_t *tab;
  int cur = -1;

  if (!vk_fmt_read_only(img, errp))
    return false;
  if (!vk_host_size(img->fd, img->filename, &file_size, errp))
    return false;
  if (file_size < MiB)
    return corrupt(img, errp, "shorter than its headers");
  if (!vk_host_pread(img->fd, id, 8, 0, img->filename, errp))
    return false;
  if (memcmp(id, "vhdxfile", 8) != 0)
    return corrupt(img, errp, "no file identifier (\"vhdxfile\")");
  for (int i = 0; i < 2; i++) {
    if (!vk_host_pread(img->fd, h[i], HEADER_LEN, KiB64 * (uint64_t)(i + 1), img->filename, errp))
      return false;
    valid[i] = memcmp(h[i], "head", 4) == 0 && checksum_ok(h[i], HEADER_LEN, 4) &&
               (h[i][66] | h[i][67] << 8) == 1;
    seq[i] = vk_le64(h[i] + 8);
    if (valid[i] && (cur < 0 || seq[i] > seq[cur]))
      cur = i;
  }
  if (cur < 0)
    return corrupt(img, errp, "neither header is valid");
  /* the log GUID is set while the log holds changes to replay */
  if (!vk_all_zero(h[cur] + 48, 16))
    return vk_error_set(
        errp, VK_EXIT_CORRUPT,
        "%s: the vhdx image has a log to replay (it was not closed cleanly); vkit does not replay it: open it once with Hyper-V or qemu-img",
        img->filename);
  if (!read_regions(img, 3 * KiB64, file_size, &bat, &meta, &rvalid, errp))
    return false;
  if (!rvalid) {
    if (!read_regions(img, 4 * KiB64, file_size, &bat2, &meta2, &rvalid, errp))
      return false;
    if (!rvalid)
      return corrupt(img, errp, "neither region table is valid");
    bat = bat2;
    meta = meta2;
  }
  if (!read_metadata(img, &meta, &p, errp))
    return false;
  img->size = p.disk_size;
  chunk = (1ULL << 23) * p.logical_sector / p.block_size;
  if (!(s = calloc(1, sizeof *s)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  img->priv = s;
  s->block_size = p.block_size;
  s->lookup = vhdx_lookup;
  s->nblocks = (uint32_t)((p.disk_size + p.block_size - 1) / p.block_size);
  entries = s->nblocks + (s->nblocks ? (s->nblocks - 1) / chunk : 0);
  if (entries > bat.len / 8)
    return corrupt(img, errp, "the BAT region is too small for the disk size");
  if (!(s->table = tab = calloc(s->nblocks ? s->nblocks : 1, 8)) ||
      !(raw = malloc(entries ? entries * 8 : 1)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(img->fd, raw, entries * 8, bat.off, img->filename, errp)) {
    free(raw);
    return false;
  }
  for (uint64_t i = 0; i < s->nblocks; i++) {
    uint64_t e = vk_le64(raw + (i + i / chunk) * 8);
    uint64_t state = e & 7, at = (e >> 20) * MiB;
    tab[i] = e;
    if (state == BLOCK_FULLY_PRESENT) {
      if (at < MiB || at > file_size || file_size - at < p.block_size) {
        free(raw);
        return corrupt(img, errp, "a block lies outside the file");
      }
    } else if (state != BLOCK_NOT_PRESENT && state != BLOCK_UNDEFINED && state != BLOCK_ZERO &&
               state != BLOCK_UNMAPPED) {
      free(raw);
      return corrupt(img, errp, "a block's state is not one of a disk without a parent");
    }
  }
  free(raw);
  return true;
}

const vk_image_driver vk_vhdx_driver = {
  .name = "vhdx",
  .open = vhdx_open,
  .pread = vk_blockmap_pread,
  .block_status = vk_blockmap_status,
  .info = vk_blockmap_info,
  .close = vk_blockmap_close,
};
