/* vkit — the vhdx driver: Hyper-V's VHDX images, read, written and
 * created (dynamic and fixed).
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
 *
 * Writing: before the first change both headers are rewritten, one after
 * the other and synced, with new file and data write GUIDs (what the
 * format asks of a writer, and what QEMU does).  A new block goes at the
 * end of the file, 1 MiB aligned: the file is extended (the block reads as
 * zeros) and synced, then its 8-byte BAT entry is written in place (one
 * sector: a crash leaves the old entry or the new, at worst a zero block
 * beyond the end that nothing points to).  vkit does not write through
 * the log: each BAT update is that one sector, which needs no replay.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/formats/blockmap.h"
#include "util/bytes.h"
#include "util/cleanup.h"
#include "util/random.h"

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
  vk_blockmap m;                   /* m.table: the payload blocks' BAT entries, host order */
  uint64_t bat_off;                /* the BAT region */
  uint64_t chunk;                  /* payload blocks per sector bitmap entry */
  uint64_t next;                   /* writing: where the next new block goes */
  unsigned char hs[2][HEADER_LEN]; /* the headers as read (or written) */
  int cur;                         /* the current one (0: at 64 KiB, 1: at 128 KiB) */
  bool headers_done;               /* rewritten with new write GUIDs */
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

/* Store the checksum of the n-byte structure b at `at`. */
static void
checksum_put(unsigned char *b, size_t n, size_t at)
{
  memset(b + at, 0, 4);
  vk_put_le32(b + at, crc32c(b, n));
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
  if (p->disk_size > (64ULL << 40) || p->disk_size % p->logical_sector)
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

/* Both headers anew from hs[*cur], the other slot first, each with the
 * next sequence number, new file and data write GUIDs and no log GUID
 * (vkit writes no log), synced; hs and *cur follow. */
static bool
write_headers(vk_image *img, unsigned char hs[2][HEADER_LEN], int *cur, vk_error **errp)
{
  unsigned char h[HEADER_LEN];

  memcpy(h, hs[*cur], HEADER_LEN);
  memset(h + 48, 0, 16);
  if (!vk_random_uuid(h + 16, errp) || !vk_random_uuid(h + 32, errp))
    return false;
  for (int i = 0; i < 2; i++) {
    int slot = 1 - *cur;
    vk_put_le64(h + 8, vk_le64(h + 8) + 1);
    checksum_put(h, HEADER_LEN, 4);
    if (!vk_host_pwrite(img->fd, h, HEADER_LEN, KiB64 * (uint64_t)(slot + 1), img->filename,
                        errp) ||
        !vk_image_sync(img, errp))
      return false;
    *cur = slot;
    memcpy(hs[slot], h, HEADER_LEN);
  }
  return true;
}

/* Before the first change of a session. */
static bool
update_headers(vk_image *img, vk_error **errp)
{
  vhdx_state *s = img->priv;

  if (!write_headers(img, s->hs, &s->cur, errp))
    return false;
  s->headers_done = true;
  return true;
}

/* A new block at the end of the file, zeros; then its BAT entry. */
static int64_t
vhdx_alloc(vk_image *img, uint64_t block, vk_error **errp)
{
  vhdx_state *s = img->priv;
  uint64_t *bat = s->m.table, host = s->next, e;
  unsigned char b[8];

  if (!s->headers_done && !update_headers(img, errp))
    return VK_BLOCK_ERROR;
  if (host / MiB >= (1ULL << 44)) {
    vk_error_set(errp, VK_EXIT_FAILED, "%s: the vhdx image is full", img->filename);
    return VK_BLOCK_ERROR;
  }
  if (!vk_host_extend(img->fd, host + s->m.block_size, img->filename, errp) ||
      !vk_image_sync(img, errp))
    return VK_BLOCK_ERROR;
  e = (host / MiB) << 20 | BLOCK_FULLY_PRESENT;
  vk_put_le64(b, e);
  if (!vk_host_pwrite(img->fd, b, 8, s->bat_off + (block + block / s->chunk) * 8, img->filename,
                      errp))
    return VK_BLOCK_ERROR;
  bat[block] = e;
  s->next = host + s->m.block_size;
  return (int64_t)host;
}

/* Writes to stored blocks change the data too: the headers first. */
static bool
vhdx_pwrite(vk_image *img, const void *buf, size_t len, uint64_t off, vk_error **errp)
{
  vhdx_state *s = img->priv;
  return (s->headers_done || update_headers(img, errp)) &&
         vk_blockmap_pwrite(img, buf, len, off, errp);
}

static bool
vhdx_pwrite_zeroes(vk_image *img, uint64_t off, uint64_t len, unsigned flags, vk_error **errp)
{
  vhdx_state *s = img->priv;
  return (s->headers_done || update_headers(img, errp)) &&
         vk_blockmap_pwrite_zeroes(img, off, len, flags, errp);
}

/* ---------------------------------------------------------------- log */

#define LOG_SECTOR 4096u
#define MAX_FILE (65ULL << 40) /* 64 TiB of blocks and the metadata, at most */

typedef struct log_entry {
  uint64_t pos;  /* in the log */
  uint32_t len;  /* bytes */
  uint32_t tail; /* where its sequence starts */
  uint64_t seq;
  uint64_t flushed, last; /* file sizes it records */
} log_entry;

/* n bytes of the circular log (at `log_off`, `log_len` bytes) from `pos`. */
static bool
log_read(vk_image *img, uint64_t log_off, uint64_t log_len, uint64_t pos, unsigned char *b,
         uint64_t n, vk_error **errp)
{
  while (n) {
    uint64_t k = log_len - pos < n ? log_len - pos : n;
    if (!vk_host_pread(img->fd, b, (size_t)k, log_off + pos, img->filename, errp))
      return false;
    b += k;
    n -= k;
    pos = 0;
  }
  return true;
}

/* Decode the entry at `pos` of the log and check it whole: signature,
 * length, checksum, the log GUID, each descriptor and its data sector.
 * Returns 1 (valid; *buf holds it, caller frees), 0 (not a valid entry),
 * -1 (read error). */
static int
log_entry_at(vk_image *img, uint64_t log_off, uint64_t log_len, const unsigned char *guid,
             uint64_t pos, log_entry *e, unsigned char **buf, uint64_t *budget, vk_error **errp)
{
  unsigned char h[LOG_SECTOR], *b;
  uint32_t ndesc, ndata = 0;
  uint64_t hdr_sectors;

  *buf = NULL;
  if (!log_read(img, log_off, log_len, pos, h, LOG_SECTOR, errp))
    return -1;
  if (memcmp(h, "loge", 4) != 0 || memcmp(h + 32, guid, 16) != 0)
    return 0;
  e->pos = pos;
  e->len = vk_le32(h + 8);
  e->tail = vk_le32(h + 12);
  e->seq = vk_le64(h + 16);
  ndesc = vk_le32(h + 24);
  e->flushed = vk_le64(h + 48);
  e->last = vk_le64(h + 56);
  hdr_sectors = (64 + (uint64_t)ndesc * 32 + LOG_SECTOR - 1) / LOG_SECTOR;
  if (e->len < LOG_SECTOR || e->len % LOG_SECTOR || e->len > log_len || e->tail % LOG_SECTOR ||
      e->tail >= log_len || e->seq == 0 || hdr_sectors > e->len / LOG_SECTOR)
    return 0;
  /* every entry read is paid for: a log of overlapping entries that
   * fail their checksums cannot make the search read it again and again */
  if (e->len > *budget)
    return corrupt(img, errp, "the log is too damaged to replay"), -1;
  *budget -= e->len;
  if (!(b = malloc(e->len)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory"), -1;
  if (!log_read(img, log_off, log_len, pos, b, e->len, errp)) {
    free(b);
    return -1;
  }
  if (!checksum_ok(b, e->len, 4))
    goto bad;
  for (uint32_t i = 0; i < ndesc; i++) {
    const unsigned char *d = b + 64 + (size_t)i * 32;
    if (vk_le64(d + 24) != e->seq)
      goto bad;
    if (!memcmp(d, "desc", 4)) {
      const unsigned char *ds = b + (hdr_sectors + ndata++) * LOG_SECTOR;
      if ((hdr_sectors + ndata) * LOG_SECTOR > e->len || memcmp(ds, "data", 4) != 0 ||
          vk_le32(ds + 4) != (uint32_t)(e->seq >> 32) ||
          vk_le32(ds + LOG_SECTOR - 4) != (uint32_t)e->seq || vk_le64(d + 16) % LOG_SECTOR)
        goto bad;
    } else if (!memcmp(d, "zero", 4)) {
      if (vk_le64(d + 8) % LOG_SECTOR || vk_le64(d + 16) % LOG_SECTOR)
        goto bad;
    } else {
      goto bad;
    }
  }
  if ((hdr_sectors + ndata) * LOG_SECTOR != e->len)
    goto bad;
  *buf = b;
  return 1;
bad:
  free(b);
  return 0;
}

/* Apply one entry: each data descriptor's 4 KiB (the leading 8 bytes and
 * trailing 4 from the descriptor, the rest from its data sector), each
 * zero descriptor's range; every target beyond the first MiB, outside the
 * log, below `limit`. */
static bool
log_apply(vk_image *img, const unsigned char *b, const log_entry *e, uint64_t log_off,
          uint64_t log_len, uint64_t limit, vk_error **errp)
{
  uint32_t ndesc = vk_le32(b + 24), ndata = 0;
  uint64_t hdr_sectors = (64 + (uint64_t)ndesc * 32 + LOG_SECTOR - 1) / LOG_SECTOR;
  unsigned char sec[LOG_SECTOR];

  for (uint32_t i = 0; i < ndesc; i++) {
    const unsigned char *d = b + 64 + (size_t)i * 32;
    bool data = !memcmp(d, "desc", 4);
    uint64_t off = vk_le64(d + 16), len = data ? LOG_SECTOR : vk_le64(d + 8);
    if (off < MiB || off > limit || len > limit - off ||
        (off < log_off + log_len && off + len > log_off))
      return corrupt(img, errp, "the log writes outside the file's data");
    if (!data) {
      if (len && !vk_host_zero(img->fd, img->filename, off, len, true, errp))
        return false;
      continue;
    }
    memcpy(sec, d + 8, 8);
    memcpy(sec + 8, b + (hdr_sectors + ndata) * LOG_SECTOR + 8, LOG_SECTOR - 12);
    memcpy(sec + LOG_SECTOR - 4, d + 4, 4);
    ndata++;
    if (!vk_host_pwrite(img->fd, sec, LOG_SECTOR, off, img->filename, errp))
      return false;
  }
  (void)e;
  return true;
}

/* Read the entry at `pos` into *e (valid: 1, not: 0, error: -1),
 * nothing kept. */
static int
log_peek(vk_image *img, uint64_t log_off, uint64_t log_len, const unsigned char *guid, uint64_t pos,
         log_entry *e, uint64_t *budget, vk_error **errp)
{
  unsigned char *b;
  int r = log_entry_at(img, log_off, log_len, guid, pos, e, &b, budget, errp);
  free(b);
  return r;
}

/* The head of the log of the image whose current header is `hdr`: of the
 * sequences of valid entries (the header's log GUID, consecutive numbers,
 * each starting where the last ends), the last entry with the highest
 * sequence number whose tail is an entry of its own sequence.  The log is
 * scanned once, from each sequence's end on (entries do not overlap), so
 * the search reads it a bounded number of times.  *found is false when
 * there is none: the log is empty (a writer stopped before its first
 * entry was whole), nothing to replay. */
static bool
log_head(vk_image *img, const unsigned char *hdr, uint64_t file_size, log_entry *best, bool *found,
         vk_error **errp)
{
  uint64_t log_len = vk_le32(hdr + 68), log_off = vk_le64(hdr + 72), pos = 0;
  uint64_t budget = 8 * log_len + MiB, max = log_len / LOG_SECTOR;
  const unsigned char *guid = hdr + 48;

  *found = false;
  if (log_len < LOG_SECTOR || log_len % MiB || log_off < MiB || log_off % MiB ||
      log_off > file_size || file_size - log_off < log_len)
    return corrupt(img, errp, "the log lies outside the file");
  while (pos < log_len) {
    log_entry first, cur, x;
    uint64_t n = 1, end;
    int r = log_peek(img, log_off, log_len, guid, pos, &first, &budget, errp);
    if (r < 0)
      return false;
    if (r == 0) {
      pos += LOG_SECTOR;
      continue;
    }
    /* the sequence from here: each entry where the last ends, numbered
     * one more */
    cur = first;
    while (n < max) {
      r = log_peek(img, log_off, log_len, guid, (cur.pos + cur.len) % log_len, &x, &budget, errp);
      if (r < 0)
        return false;
      if (r == 0 || x.seq != cur.seq + 1)
        break;
      cur = x;
      n++;
    }
    if (!*found || cur.seq > best->seq) {
      /* its tail must be one of its entries */
      log_entry w = first;
      for (uint64_t k = 0; k < n; k++) {
        if (w.pos == cur.tail) {
          *best = cur;
          *found = true;
          break;
        }
        if (k + 1 < n &&
            log_peek(img, log_off, log_len, guid, (w.pos + w.len) % log_len, &w, &budget, errp) < 0)
          return false;
      }
    }
    end = cur.pos + cur.len;
    if (end <= pos || end > log_len)
      break; /* it wrapped: what follows was part of it */
    pos = end;
  }
  return true;
}

/* Replay the log of an image opened for writing whose current header is
 * hs[*cur] and whose log head is *head: apply the entries from its tail
 * in order, sync, make the file as long as the last entry says, then
 * write both headers without the log GUID (write_headers()). */
static bool
replay_log(vk_image *img, unsigned char hs[2][HEADER_LEN], int *cur, const log_entry *head,
           uint64_t file_size, vk_error **errp)
{
  const unsigned char *hdr = hs[*cur], *guid = hdr + 48;
  uint64_t log_len = vk_le32(hdr + 68), log_off = vk_le64(hdr + 72), count = 0;
  log_entry best = *head, e;
  unsigned char *b;
  uint64_t budget = 2 * log_len;

  if (file_size < best.flushed)
    return corrupt(img, errp, "the file is shorter than the log says it was (data is lost)");
  if (best.last > MAX_FILE)
    return corrupt(img, errp, "the log gives a file size past what a vhdx image can have");
  /* replay from the tail, in order */
  {
    uint64_t at = best.tail, limit = best.last > file_size ? best.last : file_size, prev = 0;
    for (;;) {
      int r = log_entry_at(img, log_off, log_len, guid, at, &e, &b, &budget, errp);
      if (r <= 0)
        return r < 0 ? false : corrupt(img, errp, "the log changed while it was read");
      if (prev && e.seq != prev + 1) {
        free(b);
        return corrupt(img, errp, "the log's sequence numbers are not consecutive");
      }
      if (!log_apply(img, b, &e, log_off, log_len, limit, errp)) {
        free(b);
        return false;
      }
      free(b);
      count++;
      prev = e.seq;
      if (e.pos == best.pos)
        break;
      at = (at + e.len) % log_len;
    }
  }
  if (best.last > file_size && !vk_host_extend(img->fd, best.last, img->filename, errp))
    return false;
  if (!vk_image_sync(img, errp))
    return false;
  if (!write_headers(img, hs, cur, errp))
    return false;
  vk_image_notice("%s: the log of the vhdx image was replayed (%llu %s)", img->filename,
                  (unsigned long long)count, count == 1 ? "entry" : "entries");
  return true;
}

static bool
vhdx_open(vk_image *img, vk_error **errp)
{
  unsigned char id[8], h[2][HEADER_LEN], *raw;
  uint64_t file_size, seq[2] = { 0, 0 }, chunk, entries;
  region bat = { 0, 0 }, meta = { 0, 0 }, bat2, meta2;
  bool valid[2], rvalid;
  params p;
  vhdx_state *s;
  uint64_t *tab;
  int cur = -1;

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
  if (!vk_all_zero(h[cur] + 48, 16)) {
    log_entry head = { 0 };
    bool found;
    if (!log_head(img, h[cur], file_size, &head, &found, errp))
      return false;
    if (found && !img->writable)
      return vk_error_set(
          errp, VK_EXIT_CORRUPT,
          "%s: the vhdx image has a log to replay (it was not closed cleanly); it is replayed when the image is opened for writing (vimg check -r all)",
          img->filename);
    if (found && (!replay_log(img, h, &cur, &head, file_size, errp) ||
                  !vk_host_size(img->fd, img->filename, &file_size, errp)))
      return false;
  }
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
  s->m.block_size = p.block_size;
  s->m.lookup = vhdx_lookup;
  s->m.alloc = vhdx_alloc;
  s->m.nblocks = (uint32_t)((p.disk_size + p.block_size - 1) / p.block_size);
  s->bat_off = bat.off;
  s->chunk = chunk;
  s->cur = cur;
  memcpy(s->hs, h, sizeof s->hs);
  /* new blocks go past everything: the file's end and every region */
  s->next = (file_size + MiB - 1) / MiB * MiB;
  if (s->next < bat.off + bat.len)
    s->next = bat.off + bat.len;
  if (s->next < meta.off + meta.len)
    s->next = meta.off + meta.len;
  entries = s->m.nblocks + (s->m.nblocks ? (s->m.nblocks - 1) / chunk : 0);
  if (entries > bat.len / 8)
    return corrupt(img, errp, "the BAT region is too small for the disk size");
  if (!(s->m.table = tab = calloc(s->m.nblocks ? s->m.nblocks : 1, 8)) ||
      !(raw = malloc(entries ? entries * 8 : 1)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(img->fd, raw, entries * 8, bat.off, img->filename, errp)) {
    free(raw);
    return false;
  }
  for (uint64_t i = 0; i < s->m.nblocks; i++) {
    uint64_t e = vk_le64(raw + (i + i / chunk) * 8);
    uint64_t state = e & 7, at = (e >> 20) * MiB;
    tab[i] = e;
    if (state == BLOCK_FULLY_PRESENT) {
      if (at < MiB || at > file_size || file_size - at < p.block_size) {
        free(raw);
        return corrupt(img, errp, "a block lies outside the file");
      }
      if (at + p.block_size > s->next)
        s->next = (at + p.block_size + MiB - 1) / MiB * MiB;
    } else if (state != BLOCK_NOT_PRESENT && state != BLOCK_UNDEFINED && state != BLOCK_ZERO &&
               state != BLOCK_UNMAPPED) {
      free(raw);
      return corrupt(img, errp, "a block's state is not one of a disk without a parent");
    }
  }
  free(raw);
  return true;
}

/* ---------------------------------------------------------------- create */

static const char creator[] = "vkit";

/* The block size QEMU chooses for a disk of `size` bytes. */
static uint32_t
default_block_size(uint64_t size)
{
  if (size > 32ULL << 40)
    return 64 * MiB;
  if (size > 100ULL << 30)
    return 32 * MiB;
  if (size > 1ULL << 30)
    return 16 * MiB;
  return 8 * MiB;
}

static void
put_region(unsigned char *t, int i, const unsigned char guid[16], uint64_t off, uint32_t len)
{
  unsigned char *e = t + 16 + i * 32;
  memcpy(e, guid, 16);
  vk_put_le64(e + 16, off);
  vk_put_le32(e + 24, len);
  vk_put_le32(e + 28, 1); /* required */
}

static void
put_item(unsigned char *m, int i, const unsigned char guid[16], uint32_t off, uint32_t len,
         uint32_t flags)
{
  unsigned char *e = m + 32 + i * 32;
  memcpy(e, guid, 16);
  vk_put_le32(e + 16, off);
  vk_put_le32(e + 20, len);
  vk_put_le32(e + 24, flags);
}

/* A new image, laid out as QEMU lays it out: the identifier, two headers
 * and two region tables in the first MiB, the (empty) log in the second,
 * the BAT, then the metadata region; a fixed disk's blocks after it, every
 * one stored (what Hyper-V makes; QEMU marks them zero instead). */
static bool
vhdx_create(int fd, const char *path, const vk_image_opts *o, vk_error **errp)
{
  uint32_t bs = o->block_size ? o->block_size : default_block_size(o->size);
  uint64_t nblocks = (o->size + bs - 1) / bs, chunk = (1ULL << 23) * 512 / bs;
  /* QEMU sizes the BAT of an empty disk with 32-bit arithmetic (0 - 1
   * wraps) and will not open one whose BAT is smaller: the same here */
  uint64_t entries = nblocks + (uint32_t)(nblocks - 1) / chunk;
  uint64_t bat_len = (entries * 8 + MiB - 1) / MiB * MiB, bat_off = 2 * MiB;
  uint64_t meta_off = bat_off + (bat_len ? bat_len : MiB), data = meta_off + MiB;
  bool fixed = o->subformat == VK_SUB_FIXED;
  CLEANUP_FREE unsigned char *first = calloc(1, MiB);
  CLEANUP_FREE unsigned char *batb = fixed ? calloc(1, bat_len ? bat_len : MiB) : NULL;
  CLEANUP_FREE unsigned char *meta = calloc(1, MiB);

  if (!bat_len)
    bat_len = MiB;
  if (o->size > 64ULL << 40)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: a vhdx image holds at most 64 TiB", path);
  if (!first || (fixed && !batb) || !meta)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  /* the file identifier: signature, creator (UTF-16LE) */
  memcpy(first, "vhdxfile", 8);
  for (size_t i = 0; creator[i]; i++)
    first[8 + 2 * i] = (unsigned char)creator[i];
  /* the headers: sequence 1 and 2, the same GUIDs, no log to replay */
  for (int i = 0; i < 2; i++) {
    unsigned char *h = first + KiB64 * (i + 1);
    memcpy(h, "head", 4);
    vk_put_le64(h + 8, (uint64_t)i + 1);
    if (i == 0 && (!vk_random_uuid(h + 16, errp) || !vk_random_uuid(h + 32, errp)))
      return false;
    if (i == 1)
      memcpy(h + 16, first + KiB64 + 16, 32);
    h[66] = 1;                          /* version */
    vk_put_le32(h + 68, (uint32_t)MiB); /* log length */
    vk_put_le64(h + 72, MiB);           /* log offset */
    checksum_put(h, HEADER_LEN, 4);
  }
  for (int i = 0; i < 2; i++) {
    unsigned char *t = first + KiB64 * (i + 3);
    memcpy(t, "regi", 4);
    vk_put_le32(t + 8, 2);
    put_region(t, 0, guid_bat, bat_off, (uint32_t)bat_len);
    put_region(t, 1, guid_metadata, meta_off, (uint32_t)MiB);
    checksum_put(t, KiB64, 4);
  }
  /* the metadata: table, then the items at 64 KiB */
  memcpy(meta, "metadata", 8);
  meta[10] = 5;
  put_item(meta, 0, guid_file_params, KiB64, 8, 4);
  put_item(meta, 1, guid_disk_size, KiB64 + 8, 8, 6);
  put_item(meta, 2, guid_page83, KiB64 + 16, 16, 6);
  put_item(meta, 3, guid_logical_sector, KiB64 + 32, 4, 6);
  put_item(meta, 4, guid_physical_sector, KiB64 + 36, 4, 6);
  vk_put_le32(meta + KiB64, bs);
  vk_put_le32(meta + KiB64 + 4, fixed ? 1 : 0); /* leave blocks allocated */
  vk_put_le64(meta + KiB64 + 8, o->size);
  if (!vk_random_uuid(meta + KiB64 + 16, errp))
    return false;
  vk_put_le32(meta + KiB64 + 32, 512);
  vk_put_le32(meta + KiB64 + 36, 512);
  for (uint64_t i = 0; fixed && i < nblocks; i++)
    vk_put_le64(batb + (i + i / chunk) * 8, ((data + i * bs) / MiB) << 20 | BLOCK_FULLY_PRESENT);
  if (!vk_host_pwrite(fd, first, MiB, 0, path, errp) ||
      (fixed && !vk_host_pwrite(fd, batb, bat_len, bat_off, path, errp)) ||
      !vk_host_pwrite(fd, meta, MiB, meta_off, path, errp))
    return false;
  return vk_host_extend(fd, data + (fixed ? nblocks * bs : 0), path, errp);
}

const vk_image_driver vk_vhdx_driver = {
  .name = "vhdx",
  .open = vhdx_open,
  .pread = vk_blockmap_pread,
  .pwrite = vhdx_pwrite,
  .pwrite_zeroes = vhdx_pwrite_zeroes,
  .flush = vk_blockmap_flush,
  .block_status = vk_blockmap_status,
  .info = vk_blockmap_info,
  .create = vhdx_create,
  .close = vk_blockmap_close,
};
