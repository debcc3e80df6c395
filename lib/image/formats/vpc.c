/* vkit — the vpc driver: VHD images (Virtual PC, Hyper-V, Azure).  Fixed
 * disks (the data, then a 512-byte footer) and dynamic disks (a footer
 * copy, a dynamic header, a block allocation table, blocks of a sector
 * bitmap and data, the footer) are read, written and created;
 * differencing disks are refused.  A dynamic disk's new block goes where
 * the footer was: the footer is written again after it, then the
 * block's bitmap, then its table entry (a crash loses at worst the
 * block).
 * Every structure is decoded and checked here before it is used: both
 * checksums, the disk type, the block size, the table and every block it
 * points to lie inside the file.
 *
 * The disk size follows what qemu-img does: the footer's CHS geometry
 * for images of Virtual PC and QEMU's "qemu" creator, the footer's
 * current size for Hyper-V, disk2vhd, XenServer/XenConverter and QEMU's
 * "qem2", and for any geometry at its maximum.  Blocks of a dynamic disk
 * are read whole when allocated (their sector bitmaps are not consulted,
 * as qemu-img does for dynamic disks).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/formats/blockmap.h"
#include "util/bytes.h"
#include "util/cleanup.h"
#include "util/random.h"

/* every message of this driver names the file and the format */
#define corrupt(img, errp, what) vk_fmt_corrupt((img)->filename, "vpc", (errp), (what))
#define unsupported(img, errp, what) vk_fmt_unsupported((img)->filename, "vpc", (errp), (what))

#define FOOTER_LEN 512
#define DYN_LEN 1024
#define VHD_FIXED 2
#define VHD_DYNAMIC 3
#define VHD_DIFF 4
#define BAT_FREE 0xffffffffu
#define MAX_GEOMETRY (65535ULL * 16 * 255)

typedef struct vpc_footer {
  uint64_t data_offset; /* the dynamic header */
  uint64_t current_size;
  uint16_t cyls;
  uint8_t heads, secs;
  uint32_t type;
  char creator[4];
} vpc_footer;

typedef struct vpc_dyn {
  uint64_t table_offset;
  uint32_t max_entries;
  uint32_t block_size;
} vpc_dyn;

typedef struct vpc_state {
  vk_blockmap m; /* m.table: sector offsets, host order (dynamic) */
  bool dynamic;
  uint32_t bitmap_size; /* the sector bitmap before each block's data */
  /* writing a dynamic disk */
  uint64_t table_offset;
  uint64_t footer_at; /* where the footer is: the next block goes there */
  unsigned char footer[FOOTER_LEN];
} vpc_state;

/* One's complement of the byte sum, the checksum field (4 bytes at
 * `at`) counted as zero. */
static uint32_t
checksum(const unsigned char *b, size_t n, size_t at)
{
  uint32_t sum = 0;

  for (size_t i = 0; i < n; i++)
    if (i < at || i >= at + 4)
      sum += b[i];
  return ~sum;
}

static bool
decode_footer(vk_image *img, const unsigned char *b, vpc_footer *f, vk_error **errp)
{
  if (memcmp(b, "conectix", 8) != 0)
    return corrupt(img, errp, "no footer (\"conectix\")");
  if (vk_be32(b + 64) != checksum(b, FOOTER_LEN, 64))
    return corrupt(img, errp, "the footer's checksum is wrong");
  f->data_offset = vk_be64(b + 16);
  f->current_size = vk_be64(b + 48);
  f->cyls = vk_be16(b + 56);
  f->heads = b[58];
  f->secs = b[59];
  f->type = vk_be32(b + 60);
  memcpy(f->creator, b + 28, 4);
  if (f->type == VHD_DIFF)
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "%s is a differencing VHD, which vkit does not read (fixed and dynamic ones only)",
        img->filename);
  if (f->type != VHD_FIXED && f->type != VHD_DYNAMIC)
    return corrupt(img, errp, "unknown disk type");
  return true;
}

static bool
decode_dyn(vk_image *img, const unsigned char *b, vpc_dyn *d, vk_error **errp)
{
  if (memcmp(b, "cxsparse", 8) != 0)
    return corrupt(img, errp, "no dynamic header (\"cxsparse\")");
  if (vk_be32(b + 36) != checksum(b, DYN_LEN, 36))
    return corrupt(img, errp, "the dynamic header's checksum is wrong");
  d->table_offset = vk_be64(b + 16);
  d->max_entries = vk_be32(b + 28);
  d->block_size = vk_be32(b + 32);
  if (d->block_size < 512 || d->block_size > (256u << 20) || (d->block_size & (d->block_size - 1)))
    return corrupt(img, errp, "the block size is not a power of two from 512 bytes to 256 MiB");
  return true;
}

/* The disk size qemu-img gives it (see the top of the file). */
static uint64_t
disk_size(const vpc_footer *f)
{
  uint64_t chs = (uint64_t)f->cyls * f->heads * f->secs;
  bool use_chs = memcmp(f->creator, "win ", 4) && memcmp(f->creator, "qem2", 4) &&
                 memcmp(f->creator, "d2v ", 4) && memcmp(f->creator, "CTXS", 4) &&
                 memcmp(f->creator, "tap", 4);

  if (!use_chs || chs == MAX_GEOMETRY)
    return f->current_size / 512 * 512;
  return chs * 512;
}

/* A new block where the footer is: the footer moved past it, the block's
 * bitmap (every sector present: the new block reads as zeros), its
 * table entry. */
static int64_t
vpc_alloc(vk_image *img, uint64_t block, vk_error **errp)
{
  vpc_state *s = img->priv;
  uint32_t *bat = s->m.table;
  uint64_t at = s->footer_at, next = at + s->bitmap_size + s->m.block_size;
  CLEANUP_FREE unsigned char *bitmap = malloc(s->bitmap_size);
  unsigned char e[4];

  if (!bitmap) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return VK_BLOCK_ERROR;
  }
  if (next / 512 > UINT32_MAX) {
    vk_error_set(errp, VK_EXIT_FAILED, "%s: a vpc image cannot grow past 2 TiB", img->filename);
    return VK_BLOCK_ERROR;
  }
  memset(bitmap, 0xff, s->bitmap_size);
  if (!vk_host_pwrite(img->fd, s->footer, FOOTER_LEN, next, img->filename, errp) ||
      !vk_host_zero(img->fd, img->filename, at, s->bitmap_size + s->m.block_size, true, errp) ||
      !vk_host_pwrite(img->fd, bitmap, s->bitmap_size, at, img->filename, errp) ||
      !vk_image_sync(img, errp))
    return VK_BLOCK_ERROR;
  vk_put_be32(e, (uint32_t)(at / 512));
  if (!vk_host_pwrite(img->fd, e, 4, s->table_offset + block * 4, img->filename, errp))
    return VK_BLOCK_ERROR;
  bat[block] = (uint32_t)(at / 512);
  s->footer_at = next;
  return (int64_t)(at + s->bitmap_size);
}

static int64_t
vpc_lookup(vk_image *img, uint64_t block, uint64_t *same, vk_error **errp)
{
  const vpc_state *s = img->priv;
  const uint32_t *bat = s->m.table;
  uint32_t e = block < s->m.nblocks ? bat[block] : BAT_FREE;

  (void)same;
  (void)errp;
  return e == BAT_FREE ? -1 : (int64_t)e * 512 + s->bitmap_size;
}

static bool
open_dynamic(vk_image *img, vpc_state *s, const vpc_footer *f, uint64_t file_size, vk_error **errp)
{
  unsigned char b[DYN_LEN];
  unsigned char *raw;
  uint32_t *bat;
  vpc_dyn d = { 0 };
  uint64_t need, bitmap;

  if (f->data_offset < FOOTER_LEN || f->data_offset > file_size ||
      file_size - f->data_offset < DYN_LEN)
    return corrupt(img, errp, "the dynamic header lies outside the file");
  if (!vk_host_pread(img->fd, b, DYN_LEN, f->data_offset, img->filename, errp) ||
      !decode_dyn(img, b, &d, errp))
    return false;
  need = (img->size + d.block_size - 1) / d.block_size;
  if (need > d.max_entries)
    return corrupt(img, errp, "the block table is too small for the disk size");
  if (d.table_offset < FOOTER_LEN || d.table_offset > file_size ||
      (file_size - d.table_offset) / 4 < need)
    return corrupt(img, errp, "the block table lies outside the file");
  s->dynamic = true;
  s->m.block_size = d.block_size;
  s->m.lookup = vpc_lookup;
  s->m.alloc = vpc_alloc;
  s->table_offset = d.table_offset;
  bitmap = ((uint64_t)d.block_size / 512 + 7) / 8;
  s->bitmap_size = (uint32_t)((bitmap + 511) / 512 * 512);
  s->m.nblocks = (uint32_t)need;
  if (!(s->m.table = bat = calloc(need ? need : 1, sizeof *bat)) ||
      !(raw = malloc(need ? need * 4 : 1)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(img->fd, raw, need * 4, d.table_offset, img->filename, errp)) {
    free(raw);
    return false;
  }
  for (uint64_t i = 0; i < need; i++) {
    uint32_t e = vk_be32(raw + i * 4);
    uint64_t start = (uint64_t)e * 512;
    bat[i] = e;
    if (e == BAT_FREE)
      continue;
    if (start < FOOTER_LEN || start > file_size ||
        file_size - start < (uint64_t)s->bitmap_size + d.block_size) {
      free(raw);
      return corrupt(img, errp, "a block lies outside the file");
    }
  }
  free(raw);
  if (img->writable) {
    /* new blocks go at the footer, which must be the file's last sector,
     * after every block and the table */
    uint64_t end = d.table_offset + (uint64_t)d.max_entries * 4;
    if (file_size % 512 || file_size - FOOTER_LEN < end)
      return corrupt(img, errp, "the footer is not the last sector, after the block table");
    for (uint64_t i = 0; i < need; i++)
      if (bat[i] != BAT_FREE &&
          (uint64_t)bat[i] * 512 + s->bitmap_size + d.block_size > file_size - FOOTER_LEN)
        return corrupt(img, errp, "a block overlaps the footer");
    s->footer_at = file_size - FOOTER_LEN;
    if (!vk_host_pread(img->fd, s->footer, FOOTER_LEN, s->footer_at, img->filename, errp))
      return false;
    if (memcmp(s->footer, "conectix", 8) != 0)
      return corrupt(img, errp, "no footer in the last sector");
  }
  return true;
}

static bool
vpc_open(vk_image *img, vk_error **errp)
{
  unsigned char b[FOOTER_LEN];
  uint64_t file_size;
  vpc_footer f = { 0 };
  vpc_state *s;

  if (!vk_host_size(img->fd, img->filename, &file_size, errp))
    return false;
  if (file_size < FOOTER_LEN)
    return corrupt(img, errp, "shorter than its footer");
  /* a dynamic disk's copy of the footer comes first; a fixed disk has
   * only the one at the end */
  if (!vk_host_pread(img->fd, b, FOOTER_LEN, 0, img->filename, errp))
    return false;
  if (memcmp(b, "conectix", 8) != 0 &&
      !vk_host_pread(img->fd, b, FOOTER_LEN, file_size - FOOTER_LEN, img->filename, errp))
    return false;
  if (!decode_footer(img, b, &f, errp))
    return false;
  img->size = disk_size(&f);
  if (!vk_fmt_size_ok(img, "vpc", errp))
    return false;
  if (!(s = calloc(1, sizeof *s)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  img->priv = s;
  if (f.type == VHD_FIXED)
    return img->size <= file_size - FOOTER_LEN ||
           corrupt(img, errp, "the file is shorter than the disk");
  return open_dynamic(img, s, &f, file_size, errp);
}

static bool
vpc_pread(vk_image *img, void *buf, size_t len, uint64_t off, vk_error **errp)
{
  vpc_state *s = img->priv;

  if (!s->dynamic)
    return vk_host_pread(img->fd, buf, len, off, img->filename, errp);
  return vk_blockmap_pread(img, buf, len, off, errp);
}

static bool
vpc_pwrite(vk_image *img, const void *buf, size_t len, uint64_t off, vk_error **errp)
{
  vpc_state *s = img->priv;

  if (!s->dynamic)
    return vk_host_pwrite(img->fd, buf, len, off, img->filename, errp);
  return vk_blockmap_pwrite(img, buf, len, off, errp);
}

static bool
vpc_pwrite_zeroes(vk_image *img, uint64_t off, uint64_t len, unsigned flags, vk_error **errp)
{
  vpc_state *s = img->priv;

  if (!s->dynamic)
    return vk_host_zero(img->fd, img->filename, off, len, true, errp);
  return vk_blockmap_pwrite_zeroes(img, off, len, flags, errp);
}

static bool
vpc_block_status(vk_image *img, uint64_t off, uint64_t len, vk_extent *out, vk_error **errp)
{
  vpc_state *s = img->priv;

  /* a fixed disk's data is laid out as a raw file's */
  if (!s->dynamic)
    return vk_raw_driver.block_status(img, off, len, out, errp);
  return vk_blockmap_status(img, off, len, out, errp);
}

/* ------------------------------------------------------------ creating */

/* The CHS geometry of the VHD specification for `sectors` (at most its
 * maximum, 65535 x 16 x 255). */
static void
geometry(uint64_t sectors, uint16_t *cyls, uint8_t *heads, uint8_t *secs)
{
  uint64_t spt, h, cth;

  if (sectors > MAX_GEOMETRY)
    sectors = MAX_GEOMETRY;
  if (sectors >= 65535ULL * 16 * 63) {
    spt = 255;
    h = 16;
    cth = sectors / spt;
  } else {
    spt = 17;
    cth = sectors / spt;
    h = (cth + 1023) / 1024;
    if (h < 4)
      h = 4;
    if (cth >= h * 1024 || h > 16) {
      spt = 31;
      h = 16;
      cth = sectors / spt;
    }
    if (cth >= h * 1024) {
      spt = 63;
      h = 16;
      cth = sectors / spt;
    }
  }
  *cyls = (uint16_t)(cth / h);
  *heads = (uint8_t)h;
  *secs = (uint8_t)spt;
}

static void
put_checksum(unsigned char *b, size_t n, size_t at)
{
  vk_put_be32(b + at, checksum(b, n, at));
}

/* The disk size and geometry of a new image.  Without force_size, as
 * qemu-img: the size grows to the first whole geometry that holds it,
 * which every reader agrees on.  With it the size is kept exactly and
 * the geometry is the maximum, which qemu-img (whatever the creator)
 * and Hyper-V read as "use the current size". */
static void
new_geometry(const vk_image_opts *o, uint64_t *size, unsigned char *f)
{
  uint64_t sectors = o->size / 512;
  uint16_t c = 0;
  uint8_t h = 0, spt = 0;

  if (o->force_size) {
    c = 65535;
    h = 16;
    spt = 255;
    *size = o->size;
  } else {
    for (uint64_t i = 0; sectors + i <= MAX_GEOMETRY; i++) {
      geometry(sectors + i, &c, &h, &spt);
      if ((uint64_t)c * h * spt >= sectors)
        break;
    }
    *size = (uint64_t)c * h * spt == MAX_GEOMETRY ? o->size : (uint64_t)c * h * spt * 512;
  }
  vk_put_be16(f + 56, c);
  f[58] = h;
  f[59] = spt;
}

static bool
vpc_create(int fd, const char *path, const vk_image_opts *o, vk_error **errp)
{
  bool fixed = o->subformat == VK_SUB_FIXED;
  uint32_t block = 2u << 20;
  unsigned char f[FOOTER_LEN] = { 0 }, d[DYN_LEN] = { 0 };
  CLEANUP_FREE unsigned char *bat = NULL;
  uint64_t size, entries, bat_len;
  time_t now = time(NULL);

  if (o->size > (2040ULL << 30))
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: a vpc image holds at most 2040 GiB", path);
  memcpy(f, "conectix", 8);
  vk_put_be32(f + 8, 2);        /* features: reserved, always set */
  vk_put_be32(f + 12, 0x10000); /* version 1.0 */
  vk_put_be64(f + 16, fixed ? UINT64_MAX : FOOTER_LEN);
  /* seconds since 2000-01-01 */
  vk_put_be32(f + 24, now > 946684800 ? (uint32_t)(now - 946684800) : 0);
  memcpy(f + 28, "vkit", 4);
  vk_put_be32(f + 32, 0x10000);
  memcpy(f + 36, "Wi2k", 4);
  new_geometry(o, &size, f);
  vk_put_be64(f + 40, size);
  vk_put_be64(f + 48, size);
  vk_put_be32(f + 60, fixed ? VHD_FIXED : VHD_DYNAMIC);
  if (!vk_random_uuid(f + 68, errp))
    return false;
  put_checksum(f, FOOTER_LEN, 64);
  if (fixed)
    return vk_host_extend(fd, size, path, errp) &&
           vk_host_pwrite(fd, f, FOOTER_LEN, size, path, errp);
  entries = (size + block - 1) / block;
  bat_len = (entries * 4 + 511) / 512 * 512;
  memcpy(d, "cxsparse", 8);
  vk_put_be64(d + 8, UINT64_MAX);
  vk_put_be64(d + 16, FOOTER_LEN + DYN_LEN);
  vk_put_be32(d + 24, 0x10000);
  vk_put_be32(d + 28, (uint32_t)entries);
  vk_put_be32(d + 32, block);
  put_checksum(d, DYN_LEN, 36);
  if (!(bat = malloc(bat_len ? bat_len : 1)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  memset(bat, 0xff, bat_len);
  return vk_host_pwrite(fd, f, FOOTER_LEN, 0, path, errp) &&
         vk_host_pwrite(fd, d, DYN_LEN, FOOTER_LEN, path, errp) &&
         vk_host_pwrite(fd, bat, bat_len, FOOTER_LEN + DYN_LEN, path, errp) &&
         vk_host_pwrite(fd, f, FOOTER_LEN, FOOTER_LEN + DYN_LEN + bat_len, path, errp);
}

const vk_image_driver vk_vpc_driver = {
  .name = "vpc",
  .open = vpc_open,
  .pread = vpc_pread,
  .pwrite = vpc_pwrite,
  .pwrite_zeroes = vpc_pwrite_zeroes,
  .flush = vk_blockmap_flush,
  .block_status = vpc_block_status,
  .info = vk_blockmap_info, /* a fixed disk's block size is 0 */
  .create = vpc_create,
  .close = vk_blockmap_close,
};
