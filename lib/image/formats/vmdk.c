/* vkit — the vmdk driver: VMware disks, read and (two kinds) written.
 *
 * An image is a text descriptor (a file of its own, or embedded in a
 * sparse extent) listing extents, or a hosted sparse extent ("KDMV")
 * opened directly.  Extents are FLAT (raw bytes of a file from an
 * offset), ZERO, or SPARSE: a header, a grain directory (GD) of grain
 * tables (GT) of grain offsets; 0 is a grain not stored (zeros, or the
 * parent's in a delta), 1 a zeroed grain where the header says so.
 * streamOptimized extents keep their header at the end (the footer) and
 * store each grain deflated behind a 12-byte marker; SESPARSE extents
 * (ESXi snapshots) have 64-bit tables of 4 KiB grains, decoded here into
 * the same entries.  What monolithicSparse, monolithicFlat,
 * twoGbMaxExtentSparse, twoGbMaxExtentFlat, streamOptimized and seSparse
 * images (qemu-img's subformats, VMware's and OVA exports, ESXi
 * snapshots) are made of is read, deltas through their parent (the
 * backing file, its CID checked before it is read); ESX COWD extents and
 * other kinds are refused by name.
 *
 * Written: monolithicSparse (one file: header, descriptor, redundant and
 * main grain tables all made at creation, as qemu-img does; a new grain
 * goes at the end of the file, then its entries in both tables) and
 * streamOptimized, which is written once from start to end, as an export
 * is: each grain deflated behind its marker as it comes, then the grain
 * tables, the directory, the footer and the end-of-stream marker when
 * the image is closed (VMware's layout, the grain directory at the end).
 * An image opened for writing must be one of these, in one file, with
 * every grain table in place (monolithicSparse) or no grain yet (stream).
 *
 * Everything is decoded and checked here before it is used: the header's
 * grain size and table sizes, the directory and each grain table inside
 * the file (a table when it is first read, all its entries), each
 * compressed grain's length and its inflated size, the extents' sizes
 * against the descriptor's.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "image/formats/blockmap.h"
#include "image/lock.h"
#include "util/bytes.h"
#include "util/cleanup.h"
#include "util/random.h"

/* every message of this driver names the file and the format */
#define corrupt(file, errp, what) vk_fmt_corrupt((file), "vmdk", (errp), (what))
#define unsupported(file, errp, what) vk_fmt_unsupported((file), "vmdk", (errp), (what))

#define SECTOR 512ULL
#define MAX_DESCRIPTOR (64 * 1024)
#define MAX_EXTENTS 1024
#define MAX_GRAIN (16ULL << 20)
#define GT_CACHE 16
#define MAX_GTES 4096
#define FLAG_NL_TEST (1u << 0)
#define FLAG_RGD (1u << 1)
#define FLAG_ZERO_GRAIN (1u << 2)
#define FLAG_COMPRESSED (1u << 16)
#define FLAG_MARKERS (1u << 17)
#define GD_AT_END 0xffffffffffffffffULL
/* seSparse (VMware's format for snapshots on VMFS 6; not documented:
 * what QEMU reads is read, with the same strict checks) */
#define SE_MAGIC 0xcafebabeULL
#define SE_VOLATILE_MAGIC 0xcafecafeULL
#define SE_VERSION 0x200000001ULL
#define SE_GRAIN_SECTORS 8
#define SE_GT_SECTORS 64
#define SE_BAD UINT64_MAX /* a grain table entry of no known type */

typedef enum { EXT_FLAT, EXT_ZERO, EXT_SPARSE } ext_kind;

/* A sparse extent's header, as decoded. */
typedef struct sparse_header {
  uint32_t version, flags;
  uint64_t capacity, grain, desc_off, desc_size;
  uint32_t gtes;
  uint64_t rgd_off, gd_off, overhead;
  uint16_t compress;
} sparse_header;

/* What the extents share: a cache of grain tables, the buffers of the
 * last compressed grain inflated (grown to the largest grain read). */
typedef struct vmdk_cache {
  uint64_t *gt;                 /* GT_CACHE tables of up to MAX_GTES entries, decoded:
                                   0 not stored, 1 zeroed, else the grain's sector */
  const void *gt_ext[GT_CACHE]; /* whose table each slot holds */
  int64_t gt_of[GT_CACHE];
  unsigned char *zbuf, *grain_buf;
  size_t zcap, gcap;
  const void *grain_ext; /* whose grain grain_buf holds */
  int64_t grain_at;
} vmdk_cache;

typedef struct extent {
  ext_kind kind;
  vmdk_cache *cache;
  char *path; /* for messages and block status */
  int fd;     /* -1 for ZERO; the image's own fd is not owned */
  bool own_fd;
  uint64_t start, len; /* guest bytes */
  uint64_t flat_off;   /* FLAT: where the data starts in the file */
  uint64_t file_size;
  /* SPARSE */
  uint32_t flags;
  uint64_t grain; /* bytes */
  uint32_t gtes;  /* entries per grain table */
  uint32_t ngd;
  uint32_t *gd;            /* sector offsets of the grain tables */
  uint32_t *rgd;           /* writing: the redundant ones, or NULL */
  bool se;                 /* a seSparse extent: 64-bit tables of 4 KiB grains */
  uint64_t se_grains;      /* seSparse: the sector where the grains start */
  struct stream_writer *w; /* writing a stream: the grain tables are here */
} extent;

/* Writing a streamOptimized image: grains go out in order, deflated. */
struct stream_writer {
  uint64_t at;        /* where the next grain goes in the file */
  uint64_t done;      /* grains before this one are final */
  uint64_t pending;   /* the grain in buf, or UINT64_MAX */
  unsigned char *buf; /* that grain */
  unsigned char *z;   /* its marker and deflated data */
  size_t zcap;
  uint32_t **gt;     /* per grain table: its entries, NULL while all 0 */
  uint64_t capacity; /* sectors */
  bool started;      /* written to: the file is being rewritten */
};
typedef struct stream_writer stream_writer;

typedef struct vmdk_state {
  vmdk_cache cache;
  extent *ext;
  size_t n;
  uint64_t grain; /* the first sparse extent's, for info */
  /* a delta: its parent (the backing file) and the parent's CID it was
   * made on top of, checked before anything is read from the parent */
  char *parent;
  uint32_t cid, parent_cid;
  bool has_cid, has_parent, parent_checked;
  /* writing */
  uint64_t end;     /* monolithicSparse: the file's end, where grains go */
  stream_writer *w; /* streamOptimized */
} vmdk_state;

static bool unsupported_write(const vk_image *img, vk_error **errp);
static bool open_writer(vk_image *img, vmdk_state *s, const sparse_header *h, uint64_t desc_off,
                        uint64_t desc_size, vk_error **errp);

/* ------------------------------------------------------------ decoding */

static bool
decode_sparse_header(const char *file, const unsigned char *b, sparse_header *h, vk_error **errp)
{
  if (memcmp(b, "KDMV", 4) != 0)
    return corrupt(file, errp, "a sparse extent without its header (\"KDMV\")");
  h->version = vk_le32(b + 4);
  h->flags = vk_le32(b + 8);
  h->capacity = vk_le64(b + 12);
  h->grain = vk_le64(b + 20);
  h->desc_off = vk_le64(b + 28);
  h->desc_size = vk_le64(b + 36);
  h->gtes = vk_le32(b + 44);
  h->rgd_off = vk_le64(b + 48);
  h->gd_off = vk_le64(b + 56);
  h->overhead = vk_le64(b + 64);
  h->compress = (uint16_t)(b[77] | b[78] << 8);
  if (h->version < 1 || h->version > 3)
    return unsupported(file, errp, "a sparse extent of another version than 1 to 3");
  if ((h->flags & FLAG_NL_TEST) &&
      (b[73] != '\n' || b[74] != ' ' || b[75] != '\r' || b[76] != '\n'))
    return corrupt(file, errp, "the header's newline test fails (a transfer in text mode?)");
  if (h->grain == 0 || h->grain > MAX_GRAIN / SECTOR || (h->grain & (h->grain - 1)))
    return corrupt(file, errp, "the grain size is not a power of two up to 16 MiB");
  if (h->gtes == 0 || h->gtes > MAX_GTES)
    return corrupt(file, errp, "the grain tables' size is not 1 to 4096 entries");
  if (h->capacity > (UINT64_MAX / SECTOR) / 2)
    return corrupt(file, errp, "the capacity is too large");
  if ((h->flags & FLAG_COMPRESSED) && h->compress != 1)
    return unsupported(file, errp, "grains compressed otherwise than with deflate");
  return true;
}

/* One line "ACCESS SECTORS TYPE \"FILE\" [OFFSET]" of a descriptor. */
typedef struct ext_line {
  char type[16];
  uint64_t sectors, offset;
  char file[4096];
} ext_line;

static bool
parse_extent_line(const char *line, ext_line *e)
{
  char access[16];
  const char *q, *end;
  int used = 0;

  memset(e, 0, sizeof *e);
  if (sscanf(line, "%15s %" SCNu64 " %15s %n", access, &e->sectors, e->type, &used) < 3 || !used)
    return false;
  if (strcmp(access, "RW") && strcmp(access, "RDONLY") && strcmp(access, "NOACCESS"))
    return false;
  q = line + used;
  if (strcmp(e->type, "ZERO") == 0)
    return true;
  if (*q != '"' || !(end = strchr(q + 1, '"')) || (size_t)(end - q - 1) >= sizeof e->file ||
      end == q + 1)
    return false;
  memcpy(e->file, q + 1, (size_t)(end - q - 1));
  e->file[end - q - 1] = '\0';
  if (end[1] && sscanf(end + 1, " %" SCNu64, &e->offset) != 1) {
    for (const char *r = end + 1; *r; r++)
      if (*r != ' ' && *r != '\t' && *r != '\r')
        return false;
  }
  return true;
}

/* ------------------------------------------------------------ opening */

static void
extent_free(extent *x)
{
  if (x->own_fd && x->fd >= 0)
    close(x->fd);
  free(x->path);
  free(x->gd);
  free(x->rgd);
}

/* The sparse extent in x->fd: header (the footer's for a stream), grain
 * directory.  `expect` is the extent's size in sectors (0: the header's
 * capacity). */
static bool
open_sparse(extent *x, uint64_t expect, uint64_t *desc_off, uint64_t *desc_size, sparse_header *hdr,
            vk_error **errp)
{
  unsigned char b[SECTOR], *raw;
  sparse_header h;
  uint64_t grains, ngd;

  if (x->file_size < SECTOR)
    return corrupt(x->path, errp, "shorter than its header");
  if (!vk_host_pread(x->fd, b, SECTOR, 0, x->path, errp) ||
      !decode_sparse_header(x->path, b, &h, errp))
    return false;
  if (desc_off) {
    *desc_off = h.desc_off;
    *desc_size = h.desc_size;
  }
  if (h.gd_off == GD_AT_END) {
    /* streamOptimized: the header that counts is the footer, the second
     * to last sector (the last is the end-of-stream marker) */
    if (x->file_size < 3 * SECTOR ||
        !vk_host_pread(x->fd, b, SECTOR, x->file_size - 2 * SECTOR, x->path, errp))
      return corrupt(x->path, errp, "a stream without its footer");
    if (!decode_sparse_header(x->path, b, &h, errp))
      return false;
    if (h.gd_off == GD_AT_END)
      return corrupt(x->path, errp, "the footer has no grain directory");
  }
  if (hdr)
    *hdr = h;
  if (expect && h.capacity < expect)
    return corrupt(x->path, errp, "the extent is smaller than the descriptor says");
  if (!expect)
    expect = h.capacity;
  x->flags = h.flags;
  x->grain = h.grain * SECTOR;
  x->gtes = h.gtes;
  x->len = expect * SECTOR;
  grains = (x->len + x->grain - 1) / x->grain;
  ngd = (grains + h.gtes - 1) / h.gtes;
  if (ngd > UINT32_MAX)
    return corrupt(x->path, errp, "the grain directory is too large");
  if (h.gd_off == 0 || h.gd_off > x->file_size / SECTOR ||
      (x->file_size - h.gd_off * SECTOR) / 4 < ngd)
    return corrupt(x->path, errp, "the grain directory lies outside the file");
  x->ngd = (uint32_t)ngd;
  if (!(x->gd = calloc(ngd ? ngd : 1, 4)) || !(raw = malloc(ngd ? ngd * 4 : 1)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(x->fd, raw, ngd * 4, h.gd_off * SECTOR, x->path, errp)) {
    free(raw);
    return false;
  }
  for (uint64_t i = 0; i < ngd; i++) {
    uint64_t at = (uint64_t)vk_le32(raw + i * 4) * SECTOR;
    x->gd[i] = vk_le32(raw + i * 4);
    if (x->gd[i] && (at < SECTOR || at > x->file_size || (x->file_size - at) / 4 < h.gtes)) {
      free(raw);
      return corrupt(x->path, errp, "a grain table lies outside the file");
    }
  }
  free(raw);
  return true;
}

/* The seSparse extent in x->fd: the constant header (sector 0), the
 * volatile one (its journal must not need replaying), the grain
 * directory; `expect` sectors. */
static bool
open_sesparse(extent *x, uint64_t expect, vk_error **errp)
{
  unsigned char b[SECTOR], v[SECTOR], *raw;
  uint64_t cap, voff, gdoff, gdsize, gtoff, grains, ngd, need;

  if (x->file_size < SECTOR || !vk_host_pread(x->fd, b, SECTOR, 0, x->path, errp))
    return x->file_size < SECTOR ? corrupt(x->path, errp, "shorter than its header") : false;
  if (vk_le64(b) != SE_MAGIC)
    return corrupt(x->path, errp, "a seSparse extent without its header magic");
  if (vk_le64(b + 8) != SE_VERSION)
    return unsupported(x->path, errp, "a seSparse extent of another version");
  if (vk_le64(b + 24) != SE_GRAIN_SECTORS || vk_le64(b + 32) != SE_GT_SECTORS ||
      vk_le64(b + 40) != 0)
    return unsupported(x->path, errp,
                       "a seSparse extent with other grain or table sizes, or flags");
  for (size_t i = 48; i < SECTOR; i++)
    if (b[i] && (i < 80 || i >= 208))
      return unsupported(x->path, errp, "a seSparse header with reserved fields set");
  cap = vk_le64(b + 16);
  voff = vk_le64(b + 80);
  gdoff = vk_le64(b + 128);
  gdsize = vk_le64(b + 136);
  gtoff = vk_le64(b + 144);
  x->se_grains = vk_le64(b + 192);
  if (cap < expect)
    return corrupt(x->path, errp, "the extent is smaller than the descriptor says");
  if (voff == 0 || voff >= x->file_size / SECTOR ||
      !vk_host_pread(x->fd, v, SECTOR, voff * SECTOR, x->path, errp))
    return voff == 0 || voff >= x->file_size / SECTOR
               ? corrupt(x->path, errp, "the volatile header lies outside the file")
               : false;
  if (vk_le64(v) != SE_VOLATILE_MAGIC)
    return corrupt(x->path, errp, "the volatile header's magic is wrong");
  if (vk_le64(v + 24))
    return unsupported(x->path, errp, "a seSparse extent whose journal needs replaying (dirty)");
  for (size_t i = 32; i < SECTOR; i++)
    if (v[i])
      return unsupported(x->path, errp, "a seSparse volatile header with reserved bytes set");
  if (x->se_grains == 0 || x->se_grains >= UINT32_MAX || gtoff == 0 || gtoff >= UINT32_MAX)
    return corrupt(x->path, errp, "the grain tables or grains lie outside the file");
  x->flags = FLAG_ZERO_GRAIN; /* an entry decoded as 1 reads zeros */
  x->grain = SE_GRAIN_SECTORS * SECTOR;
  x->gtes = SE_GT_SECTORS * SECTOR / 8;
  x->len = expect * SECTOR;
  grains = (x->len + x->grain - 1) / x->grain;
  need = (grains + x->gtes - 1) / x->gtes;
  ngd = gdsize > UINT32_MAX / 64 ? UINT32_MAX : gdsize * SECTOR / 8;
  if (need > ngd)
    return corrupt(x->path, errp, "the grain directory does not cover the extent");
  if (gdoff == 0 || gdoff > x->file_size / SECTOR || (x->file_size - gdoff * SECTOR) / 8 < need)
    return corrupt(x->path, errp, "the grain directory lies outside the file");
  x->ngd = (uint32_t)need;
  if (!(x->gd = calloc(need ? need : 1, 4)) || !(raw = malloc(need ? need * 8 : 1)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(x->fd, raw, need * 8, gdoff * SECTOR, x->path, errp)) {
    free(raw);
    return false;
  }
  for (uint64_t i = 0; i < need; i++) {
    uint64_t e = vk_le64(raw + i * 8), at;
    if (!e)
      continue;
    /* allocated tables: 0x10000000 in the top half, an index below */
    at = (gtoff + (e & 0xffffffffULL) * SE_GT_SECTORS);
    if ((e >> 32) != 0x10000000 || at > UINT32_MAX || at > x->file_size / SECTOR ||
        (x->file_size - at * SECTOR) / 8 < x->gtes) {
      free(raw);
      return corrupt(x->path, errp, "a grain table lies outside the file");
    }
    x->gd[i] = (uint32_t)at;
  }
  free(raw);
  return true;
}

/* A file named by a descriptor, relative to the descriptor's directory. */
static char *
extent_path(const char *desc_path, const char *name)
{
  CLEANUP_FREE char *copy = strdup(desc_path);
  const char *dir;
  char *out;

  if (name[0] == '/' || !strchr(desc_path, '/'))
    return strdup(name);
  if (!copy)
    return NULL;
  dir = dirname(copy);
  if (asprintf(&out, "%s/%s", dir, name) < 0)
    return NULL;
  return out;
}

static bool
add_extent(vk_image *img, vmdk_state *s, const ext_line *l, bool self, vk_error **errp)
{
  extent *x;

  if (s->n >= MAX_EXTENTS)
    return unsupported(img->filename, errp, "more than 1024 extents");
  if (l->sectors == 0 || l->sectors > VK_FMT_MAX_SIZE / SECTOR ||
      img->size > VK_FMT_MAX_SIZE - l->sectors * SECTOR)
    return corrupt(img->filename, errp, "an extent of no size, or the disk larger than 4 EiB");
  x = &s->ext[s->n];
  memset(x, 0, sizeof *x);
  x->cache = &s->cache;
  x->fd = -1;
  x->start = img->size;
  x->len = l->sectors * SECTOR;
  s->n++;
  if (strcmp(l->type, "ZERO") == 0) {
    x->kind = EXT_ZERO;
    x->path = strdup(img->filename);
    img->size += x->len;
    return x->path || vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  if (strcmp(l->type, "FLAT") == 0 || strcmp(l->type, "VMFS") == 0) {
    x->kind = EXT_FLAT;
  } else if (strcmp(l->type, "SPARSE") == 0) {
    x->kind = EXT_SPARSE;
  } else if (strcmp(l->type, "SESPARSE") == 0) {
    x->kind = EXT_SPARSE;
    x->se = true;
  } else {
    char what[64];
    snprintf(what, sizeof what, "an extent of type %s", l->type);
    return unsupported(img->filename, errp, what);
  }
  if (self) {
    x->fd = img->fd;
    x->path = strdup(img->filename);
  } else {
    struct stat st;
    /* Extents are files beside the descriptor: an absolute name, "..", or
     * a device would let an image read any file of the host into what it
     * is converted to. */
    if (l->file[0] == '/' || strstr(l->file, "..")) {
      char what[64 + sizeof l->file];
      snprintf(what, sizeof what, "extent \"%s\" is not a file beside the descriptor", l->file);
      return unsupported(img->filename, errp, what);
    }
    x->path = extent_path(img->filename, l->file);
    if (x->path) {
      x->own_fd = true;
      x->fd = vk_host_open_file(x->path, O_RDONLY, errp);
      if (x->fd < 0) {
        vk_error_prefix(errp, "%s: extent", img->filename);
        return false;
      }
      if (fstat(x->fd, &st) < 0 || !S_ISREG(st.st_mode))
        return unsupported(img->filename, errp, "an extent that is not a regular file");
      if (!(img->flags & (VK_IMAGE_FORCE_SHARE | VK_IMAGE_NO_LOCK)) &&
          !vk_image_lock(x->fd, x->path, VK_LOCK_READ, errp))
        return false;
    }
  }
  if (!x->path)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_size(x->fd, x->path, &x->file_size, errp))
    return false;
  if (x->kind == EXT_FLAT) {
    if (l->offset > UINT64_MAX / SECTOR / 2)
      return corrupt(x->path, errp, "the extent's offset is too large");
    x->flat_off = l->offset * SECTOR;
    if (x->file_size < x->flat_off || x->file_size - x->flat_off < x->len)
      return corrupt(x->path, errp, "a flat extent's file is shorter than the extent");
  } else {
    if (x->se ? !open_sesparse(x, l->sectors, errp)
              : !open_sparse(x, l->sectors, NULL, NULL, NULL, errp))
      return false;
    if (!s->grain)
      s->grain = x->grain;
  }
  img->size += x->len;
  return true;
}

/* The descriptor text: parentCID must say "none", then the extents. */
static bool
parse_descriptor(vk_image *img, vmdk_state *s, char *text, bool embedded, vk_error **errp)
{
  bool any = false;
  char *save = NULL;

  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    ext_line l;
    size_t n = strlen(line);

    if (n && line[n - 1] == '\r')
      line[n - 1] = '\0';
    while (*line == ' ' || *line == '\t')
      line++;
    if (!*line || *line == '#')
      continue;
    if (strncmp(line, "parentCID", 9) == 0 || strncmp(line, "CID", 3) == 0) {
      const char *v = strchr(line, '=');
      char *end;
      unsigned long cid;
      while (v && (*++v == ' ' || *v == '\t'))
        ;
      cid = v ? strtoul(v, &end, 16) : 0;
      if (!v || end == v || cid > UINT32_MAX)
        return corrupt(img->filename, errp, "a CID of the descriptor is not a hexadecimal number");
      if (line[0] == 'C') {
        s->cid = (uint32_t)cid;
        s->has_cid = true;
      } else {
        s->parent_cid = (uint32_t)cid;
        s->has_parent = cid != 0xffffffff;
      }
      continue;
    }
    if (strncmp(line, "parentFileNameHint", 18) == 0) {
      const char *q = strchr(line, '"'), *end = q ? strchr(q + 1, '"') : NULL;
      if (!end || end == q + 1)
        return corrupt(img->filename, errp, "parentFileNameHint names no file");
      free(s->parent);
      if (!(s->parent = strndup(q + 1, (size_t)(end - q - 1))))
        return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      continue;
    }
    if (strncmp(line, "createType", 10) == 0) {
      if (strstr(line, "vmfsSparse") || strstr(line, "vmfsRDM") || strstr(line, "vmfsRaw"))
        return unsupported(img->filename, errp, "an ESX sparse (COWD) or raw device image");
      continue;
    }
    if (strncmp(line, "RW ", 3) && strncmp(line, "RDONLY ", 7) && strncmp(line, "NOACCESS ", 9))
      continue;
    if (!parse_extent_line(line, &l))
      return corrupt(img->filename, errp, "an extent line of the descriptor is not understood");
    if (embedded) {
      /* a monolithic sparse file describes itself: its one extent is it */
      if (any)
        return unsupported(img->filename, errp, "an embedded descriptor with several extents");
      if (strcmp(l.type, "SPARSE") != 0)
        return corrupt(img->filename, errp, "an embedded descriptor's extent is not sparse");
      any = true;
      continue;
    }
    if (!add_extent(img, s, &l, false, errp))
      return false;
    any = true;
  }
  if (!any)
    return corrupt(img->filename, errp, "the descriptor lists no extent");
  if (s->has_parent && !s->parent)
    return corrupt(img->filename, errp, "it has a parentCID but no parentFileNameHint");
  if (!s->has_parent) {
    free(s->parent);
    s->parent = NULL;
  }
  if (s->has_parent && img->writable)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: vkit does not write vmdk deltas (images with a parent): convert it "
                        "to another image",
                        img->filename);
  return true;
}

static bool
vmdk_open(vk_image *img, vk_error **errp)
{
  unsigned char head[SECTOR];
  uint64_t file_size, desc_off = 0, desc_size = 0;
  CLEANUP_FREE char *text = NULL;
  sparse_header h = { 0 };
  vmdk_state *s;

  if (!(s = calloc(1, sizeof *s)) || !(s->ext = calloc(MAX_EXTENTS, sizeof *s->ext))) {
    free(s);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  img->priv = s;
  img->size = 0;
  if (!(s->cache.gt = malloc((size_t)GT_CACHE * MAX_GTES * sizeof *s->cache.gt)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_size(img->fd, img->filename, &file_size, errp))
    return false;
  memset(head, 0, sizeof head);
  if (!vk_host_pread(img->fd, head, file_size < SECTOR ? (size_t)file_size : SECTOR, 0,
                     img->filename, errp))
    return false;
  if (memcmp(head, "COWD", 4) == 0)
    return unsupported(img->filename, errp, "an ESX sparse (COWD) extent");
  if (memcmp(head, "KDMV", 4) == 0) {
    /* a sparse extent opened directly: itself, all of its capacity */
    extent *x = &s->ext[0];
    x->kind = EXT_SPARSE;
    x->cache = &s->cache;
    x->fd = img->fd;
    x->file_size = file_size;
    s->n = 1;
    if (!(x->path = strdup(img->filename)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    if (!open_sparse(x, 0, &desc_off, &desc_size, &h, errp))
      return false;
    s->grain = x->grain;
    img->size = x->len;
    if (!vk_fmt_size_ok(img, "vmdk", errp))
      return false;
    if (desc_off && desc_size) {
      if (desc_size > MAX_DESCRIPTOR / SECTOR || desc_off > file_size / SECTOR ||
          file_size - desc_off * SECTOR < desc_size * SECTOR)
        return corrupt(img->filename, errp, "the embedded descriptor lies outside the file");
      if (!(text = calloc(1, desc_size * SECTOR + 1)))
        return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      if (!vk_host_pread(img->fd, text, desc_size * SECTOR, desc_off * SECTOR, img->filename, errp))
        return false;
      if (!parse_descriptor(img, s, text, true, errp))
        return false;
    }
    return !img->writable || open_writer(img, s, &h, desc_off, desc_size, errp);
  }
  if (img->writable)
    return unsupported_write(img, errp);
  /* a descriptor file */
  if (file_size > MAX_DESCRIPTOR)
    return corrupt(img->filename, errp, "not a descriptor (larger than 64 KiB)");
  if (!(text = calloc(1, file_size + 1)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(img->fd, text, file_size, 0, img->filename, errp))
    return false;
  /* (the text ends at the first NUL: qemu-img pads it to a sector) */
  return parse_descriptor(img, s, text, false, errp);
}

/* ------------------------------------------------------------ reading */

/* A seSparse grain table entry, decoded: 0 not stored, 1 zeros (unmapped
 * or zeroed), the grain's sector, or SE_BAD.  An allocated grain's index
 * is stored with its low 12 bits in bits 48-59. */
static uint64_t
se_grain_sector(const extent *x, uint64_t e)
{
  uint64_t i;

  switch (e >> 60) {
  case 0: return e ? SE_BAD : 0;
  case 1:
  case 2: return 1;
  case 3:
    i = ((e >> 48) & 0xfff) | ((e & 0xffffffffffffULL) << 12);
    if (i > (UINT64_MAX / SECTOR - x->se_grains) / SE_GRAIN_SECTORS / 2)
      return SE_BAD;
    return x->se_grains + i * SE_GRAIN_SECTORS;
  default: return SE_BAD;
  }
}

/* Before the parent is read: it must be the image this delta was made
 * on (its CID the delta's parentCID), or what it reads is not the disk. */
static bool
parent_ok(vk_image *img, vk_error **errp)
{
  vmdk_state *s = img->priv;
  const vmdk_state *p;

  if (s->parent_checked || !img->backing || img->backing->drv != &vk_vmdk_driver)
    return true;
  p = img->backing->priv;
  if (p->has_cid && p->cid != s->parent_cid) {
    char what[160];
    snprintf(what, sizeof what,
             "its parent has changed since it was made (the parent's CID is %08x, its "
             "parentCID %08x)",
             p->cid, s->parent_cid);
    return corrupt(img->filename, errp, what);
  }
  s->parent_checked = true;
  return true;
}

/* The grain table `gdi` of x (read and checked on first use). */
static const uint64_t *
grain_table(extent *x, uint32_t gdi, vk_error **errp)
{
  vmdk_cache *c = x->cache;
  int slot = (int)(gdi % GT_CACHE);
  uint64_t *gt = c->gt + (size_t)slot * MAX_GTES;
  size_t esize = x->se ? 8 : 4;
  unsigned char *raw;

  if (c->gt_ext[slot] == x && c->gt_of[slot] == (int64_t)gdi)
    return gt;
  if (!(raw = malloc((size_t)x->gtes * esize))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  c->gt_ext[slot] = NULL;
  if (!vk_host_pread(x->fd, raw, (size_t)x->gtes * esize, (uint64_t)x->gd[gdi] * SECTOR, x->path,
                     errp)) {
    free(raw);
    return NULL;
  }
  for (uint32_t i = 0; i < x->gtes; i++) {
    uint64_t e =
        x->se ? se_grain_sector(x, vk_le64(raw + (size_t)i * 8)) : vk_le32(raw + (size_t)i * 4);
    uint64_t at = e * SECTOR;
    bool ok =
        e == 0 || (e == 1 && (x->flags & FLAG_ZERO_GRAIN)) ||
        (e != 1 && e != SE_BAD && at >= SECTOR && at < x->file_size &&
         ((x->flags & FLAG_COMPRESSED) ? x->file_size - at >= 12 : x->file_size - at >= x->grain));
    if (!ok) {
      free(raw);
      corrupt(x->path, errp,
              e == SE_BAD ? "a grain table entry of an unknown type"
                          : "a grain lies outside the file");
      return NULL;
    }
    gt[i] = e;
  }
  free(raw);
  c->gt_ext[slot] = x;
  c->gt_of[slot] = gdi;
  return gt;
}

/* Has grain g a grain table? */
static bool
table_present(const extent *x, uint64_t g)
{
  uint64_t gdi = g / x->gtes;

  if (x->w)
    return gdi < x->ngd && x->w->gt[gdi];
  return gdi < x->ngd && x->gd[gdi] != 0;
}

/* The entry of grain g: 0 not stored, 1 zeroed, else its sector. */
static bool
grain_entry(extent *x, uint64_t g, uint64_t *entry, vk_error **errp)
{
  uint64_t gdi = g / x->gtes;
  const uint64_t *gt;

  if (x->w) {
    *entry = gdi < x->ngd && x->w->gt[gdi] ? x->w->gt[gdi][g % x->gtes] : 0;
    return true;
  }
  if (gdi >= x->ngd || x->gd[gdi] == 0) {
    *entry = 0;
    return true;
  }
  if (!(gt = grain_table(x, (uint32_t)gdi, errp)))
    return false;
  *entry = gt[g % x->gtes];
  return true;
}

/* Inflate compressed grain g (stored at sector `entry`) into x->grain_buf. */
static bool
inflate_grain(extent *x, uint64_t g, uint64_t entry, vk_error **errp)
{
  vmdk_cache *c = x->cache;
  unsigned char m[12];
  uint64_t at = entry * SECTOR;
  size_t zmax = x->grain + x->grain / 8 + 1024; /* deflate may grow data a little */
  uint32_t size;
  uLongf out = (uLongf)x->grain;

  if (c->grain_ext == x && c->grain_at == (int64_t)g)
    return true;
  c->grain_ext = NULL;
  if (c->zcap < zmax || c->gcap < x->grain) {
    unsigned char *z = realloc(c->zbuf, zmax), *gb;
    if (z)
      c->zbuf = z;
    gb = z ? realloc(c->grain_buf, x->grain) : NULL;
    if (!z || !gb)
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    c->grain_buf = gb;
    c->zcap = zmax;
    c->gcap = x->grain;
  }
  if (!vk_host_pread(x->fd, m, sizeof m, at, x->path, errp))
    return false;
  size = vk_le32(m + 8);
  if (size == 0 || size > zmax || x->file_size - at - 12 < size)
    return corrupt(x->path, errp, "a compressed grain's length is wrong");
  if (!vk_host_pread(x->fd, c->zbuf, size, at + 12, x->path, errp))
    return false;
  if (uncompress(c->grain_buf, &out, c->zbuf, size) != Z_OK || out != x->grain)
    return corrupt(x->path, errp, "a compressed grain does not inflate to a whole grain");
  c->grain_ext = x;
  c->grain_at = (int64_t)g;
  return true;
}

static extent *
extent_at(vmdk_state *s, uint64_t off)
{
  size_t lo = 0, hi = s->n;

  while (lo + 1 < hi) {
    size_t mid = (lo + hi) / 2;
    if (s->ext[mid].start <= off)
      lo = mid;
    else
      hi = mid;
  }
  return &s->ext[lo];
}

static bool
vmdk_pread(vk_image *img, void *buf, size_t len, uint64_t off, vk_error **errp)
{
  vmdk_state *s = img->priv;
  unsigned char *p = buf;

  while (len) {
    extent *x = extent_at(s, off);
    uint64_t in = off - x->start;
    size_t n = x->len - in < len ? (size_t)(x->len - in) : len;

    if (x->kind == EXT_ZERO) {
      memset(p, 0, n);
    } else if (x->kind == EXT_FLAT) {
      if (!vk_host_pread(x->fd, p, n, x->flat_off + in, x->path, errp))
        return false;
    } else {
      uint64_t g = in / x->grain, gin = in % x->grain;
      uint64_t e;
      if (n > x->grain - gin)
        n = (size_t)(x->grain - gin);
      if (!grain_entry(x, g, &e, errp))
        return false;
      if (x->w && x->w->pending == g) { /* a stream's grain not written yet */
        memcpy(p, x->w->buf + gin, n);
      } else if (e == 0 && img->backing) { /* not stored: the parent's */
        if (!parent_ok(img, errp) || !vk_image_read_backing(img, p, n, off, errp))
          return false;
      } else if (e <= 1) { /* not stored, or zeroed (a 1 is refused without the flag) */
        memset(p, 0, n);
      } else if (x->flags & FLAG_COMPRESSED) {
        if (!inflate_grain(x, g, e, errp))
          return false;
        memcpy(p, x->cache->grain_buf + gin, n);
      } else if (!vk_host_pread(x->fd, p, n, e * SECTOR + gin, x->path, errp)) {
        return false;
      }
    }
    p += n;
    off += n;
    len -= n;
  }
  return true;
}

static bool
vmdk_block_status(vk_image *img, uint64_t off, uint64_t len, vk_extent *out, vk_error **errp)
{
  vmdk_state *s = img->priv;
  extent *x = extent_at(s, off);
  uint64_t in = off - x->start, g, at;
  uint64_t e, next;

  if (len > x->len - in)
    len = x->len - in;
  out->file = x->path;
  if (x->kind == EXT_ZERO) {
    out->kind = VK_EXTENT_ZERO;
    out->length = len;
    return true;
  }
  if (x->kind == EXT_FLAT) {
    vk_host_block_status(x->fd, x->flat_off + in, len, out);
    return true;
  }
  g = in / x->grain;
  if (!grain_entry(x, g, &e, errp))
    return false;
  /* runs of grains of one kind (stored ones: contiguous in the file); a
   * grain table that is not there is skipped whole */
  at = (g + 1) * x->grain;
  if (e == 0 && !table_present(x, g))
    at = (g / x->gtes + 1) * x->gtes * x->grain;
  while (at < in + len) {
    uint64_t ag = at / x->grain;
    if (e == 0 && !table_present(x, ag)) {
      at = (ag / x->gtes + 1) * x->gtes * x->grain;
      continue;
    }
    if (!grain_entry(x, ag, &next, errp))
      return false;
    if (e == 0 ? next != 0
        : e == 1 && (x->flags & FLAG_ZERO_GRAIN)
            ? next != 1
            : (x->flags & FLAG_COMPRESSED) || next != e + (at - g * x->grain) / SECTOR)
      break;
    at += x->grain;
  }
  out->length = (at < in + len ? at : in + len) - in;
  if (e == 0) {
    out->kind = VK_EXTENT_UNALLOCATED;
    if (img->backing && !parent_ok(img, errp))
      return false;
  } else if (e == 1 && (x->flags & FLAG_ZERO_GRAIN)) {
    out->kind = VK_EXTENT_ZERO;
  } else {
    out->kind = VK_EXTENT_DATA;
    out->allocated = true;
    if (!(x->flags & FLAG_COMPRESSED))
      out->host_offset = (int64_t)(e * SECTOR + in % x->grain);
  }
  return true;
}

/* ------------------------------------------------------------ writing */

static bool
unsupported_write(const vk_image *img, vk_error **errp)
{
  return vk_error_set(errp, VK_EXIT_USAGE,
                      "%s: vkit writes only monolithicSparse vmdk images with all their grain "
                      "tables, and empty streamOptimized ones (convert to another image)",
                      img->filename);
}

/* A sparse extent's header (one sector). */
static void
put_header(unsigned char *b, uint32_t version, uint32_t flags, uint64_t capacity, uint64_t desc_off,
           uint64_t desc_size, uint64_t rgd_off, uint64_t gd_off, uint64_t overhead)
{
  memset(b, 0, SECTOR);
  memcpy(b, "KDMV", 4);
  vk_put_le32(b + 4, version);
  vk_put_le32(b + 8, flags);
  vk_put_le64(b + 12, capacity);
  vk_put_le64(b + 20, 128); /* grains of 64 KiB */
  vk_put_le64(b + 28, desc_off);
  vk_put_le64(b + 36, desc_size);
  vk_put_le32(b + 44, 512); /* entries per grain table */
  vk_put_le64(b + 48, rgd_off);
  vk_put_le64(b + 56, gd_off);
  vk_put_le64(b + 64, overhead);
  memcpy(b + 73, "\n \r\n", 4);
  b[77] = (flags & FLAG_COMPRESSED) ? 1 : 0; /* deflate */
}

/* The grain entries of the monolithicSparse extent x: both tables. */
static bool
sparse_set_entry(extent *x, uint64_t g, uint32_t e, vk_error **errp)
{
  uint64_t gdi = g / x->gtes, i = g % x->gtes;
  vmdk_cache *c = x->cache;
  int slot = (int)(gdi % GT_CACHE);
  unsigned char b[4];

  vk_put_le32(b, e);
  if (x->rgd && !vk_host_pwrite(x->fd, b, 4, (uint64_t)x->rgd[gdi] * SECTOR + i * 4, x->path, errp))
    return false;
  if (!vk_host_pwrite(x->fd, b, 4, (uint64_t)x->gd[gdi] * SECTOR + i * 4, x->path, errp))
    return false;
  if (c->gt_ext[slot] == x && c->gt_of[slot] == (int64_t)gdi)
    c->gt[(size_t)slot * MAX_GTES + i] = e;
  return true;
}

static int64_t
sparse_lookup(vk_image *img, uint64_t g, uint64_t *same, vk_error **errp)
{
  vmdk_state *s = img->priv;
  extent *x = &s->ext[0];
  uint64_t e;

  (void)same;
  if (!grain_entry(x, g, &e, errp))
    return VK_BLOCK_ERROR;
  if (e == 0)
    return VK_BLOCK_ABSENT;
  if (e == 1)
    return VK_BLOCK_ZERO;
  return (int64_t)(e * SECTOR);
}

/* A new grain at the end of the file, then its entries. */
static int64_t
sparse_alloc(vk_image *img, uint64_t g, vk_error **errp)
{
  vmdk_state *s = img->priv;
  extent *x = &s->ext[0];
  uint64_t at = s->end;

  if ((at + x->grain) / SECTOR > UINT32_MAX) {
    vk_error_set(errp, VK_EXIT_FAILED, "%s: a vmdk extent cannot grow past 2 TiB", img->filename);
    return VK_BLOCK_ERROR;
  }
  if (!vk_host_extend(img->fd, at + x->grain, img->filename, errp) || !vk_image_sync(img, errp) ||
      !sparse_set_entry(x, g, (uint32_t)(at / SECTOR), errp))
    return VK_BLOCK_ERROR;
  s->end = at + x->grain;
  x->file_size = s->end;
  return (int64_t)at;
}

/* Read a grain directory of n entries at `sector` (every table in the
 * file); into *out. */
static bool
read_directory(extent *x, uint64_t sector, uint32_t **out, vk_error **errp)
{
  CLEANUP_FREE unsigned char *raw = malloc(x->ngd ? (size_t)x->ngd * 4 : 1);
  uint32_t *gd = calloc(x->ngd ? x->ngd : 1, 4);

  *out = gd;
  if (!raw || !gd)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (sector > x->file_size / SECTOR || (x->file_size - sector * SECTOR) / 4 < x->ngd)
    return corrupt(x->path, errp, "the redundant grain directory lies outside the file");
  if (!vk_host_pread(x->fd, raw, (size_t)x->ngd * 4, sector * SECTOR, x->path, errp))
    return false;
  for (uint32_t i = 0; i < x->ngd; i++) {
    uint64_t at = (uint64_t)vk_le32(raw + (size_t)i * 4) * SECTOR;
    gd[i] = vk_le32(raw + (size_t)i * 4);
    if (at < SECTOR || at > x->file_size || (x->file_size - at) / 4 < x->gtes)
      return corrupt(x->path, errp, "a redundant grain table lies outside the file");
  }
  return true;
}

/* An image opened for writing: a monolithicSparse file with every grain
 * table in place, or an empty stream, started again after its
 * descriptor. */
static bool
open_writer(vk_image *img, vmdk_state *s, const sparse_header *h, uint64_t desc_off,
            uint64_t desc_size, vk_error **errp)
{
  extent *x = &s->ext[0];

  if (s->n != 1 || x->grain != 65536 || x->gtes != 512)
    return unsupported_write(img, errp);
  if (!(x->flags & FLAG_COMPRESSED)) {
    for (uint32_t i = 0; i < x->ngd; i++)
      if (x->gd[i] == 0)
        return unsupported_write(img, errp);
    if ((x->flags & FLAG_RGD) && !read_directory(x, h->rgd_off, &x->rgd, errp))
      return false;
    s->end = (x->file_size + SECTOR - 1) / SECTOR * SECTOR;
    return true;
  }
  for (uint64_t g = 0; g < (x->len + x->grain - 1) / x->grain; g += x->gtes) {
    uint64_t e;
    if (!table_present(x, g))
      continue;
    for (uint64_t i = 0; i < x->gtes; i++) {
      if (!grain_entry(x, g + i, &e, errp))
        return false;
      if (e)
        return unsupported_write(img, errp);
    }
  }
  if (!desc_off || desc_off > 1 || desc_size > 64)
    return unsupported_write(img, errp);
  if (!(x->w = s->w = calloc(1, sizeof *s->w)) ||
      !(s->w->gt = calloc(x->ngd ? x->ngd : 1, sizeof *s->w->gt)) ||
      !(s->w->buf = malloc(x->grain)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  s->w->capacity = x->len / SECTOR;
  s->w->pending = UINT64_MAX;
  s->w->at = (desc_off + desc_size) * SECTOR;
  return true;
}

/* The first write to a stream: the header says the directory is at the
 * end, and nothing after the descriptor stays (an image opened but not
 * written is left as it was). */
static bool
stream_start(vk_image *img, vmdk_state *s, vk_error **errp)
{
  extent *x = &s->ext[0];
  unsigned char b[SECTOR], old[SECTOR];

  if (s->w->started)
    return true;
  if (!vk_host_pread(img->fd, old, SECTOR, 0, img->filename, errp))
    return false;
  put_header(b, 3, FLAG_NL_TEST | FLAG_COMPRESSED | FLAG_MARKERS, s->w->capacity, vk_le64(old + 28),
             vk_le64(old + 36), 0, GD_AT_END, s->w->at / SECTOR);
  if (!vk_host_pwrite(img->fd, b, SECTOR, 0, img->filename, errp))
    return false;
  if (ftruncate(img->fd, (off_t)s->w->at) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "%s: cannot truncate", img->filename);
  x->file_size = s->w->at;
  s->w->started = true;
  return true;
}

/* Write the grain in w->buf (grain w->pending) out: deflated behind its
 * marker, or not at all when it is all zeros. */
static bool stream_put(vk_image *img, vmdk_state *s, uint64_t g, size_t zlen, vk_error **errp);
static bool grow_z(vmdk_state *s, size_t need, vk_error **errp);

static bool
stream_flush_grain(vk_image *img, vmdk_state *s, vk_error **errp)
{
  stream_writer *w = s->w;
  extent *x = &s->ext[0];
  uint64_t g = w->pending;
  size_t need = (size_t)compressBound((uLong)x->grain) + 12 + SECTOR;
  uLongf zlen;

  if (g == UINT64_MAX)
    return true;
  w->pending = UINT64_MAX;
  w->done = g + 1;
  if (vk_all_zero(w->buf, x->grain))
    return true;
  if (!grow_z(s, need, errp))
    return false;
  zlen = (uLongf)(need - 12 - SECTOR);
  if (compress2(w->z + 12, &zlen, w->buf, (uLong)x->grain, Z_DEFAULT_COMPRESSION) != Z_OK)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: deflate failed", img->filename);
  return stream_put(img, s, g, (size_t)zlen, errp);
}

/* Append grain g, its zlen deflated bytes at w->z + 12, behind its marker. */
static bool
stream_put(vk_image *img, vmdk_state *s, uint64_t g, size_t zlen, vk_error **errp)
{
  stream_writer *w = s->w;
  extent *x = &s->ext[0];
  uint64_t gdi = g / x->gtes;
  size_t total;

  if (!w->gt[gdi] && !(w->gt[gdi] = calloc(x->gtes, 4)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  vk_put_le64(w->z, g * (x->grain / SECTOR));
  vk_put_le32(w->z + 8, (uint32_t)zlen);
  total = (12 + zlen + SECTOR - 1) / SECTOR * SECTOR;
  memset(w->z + 12 + zlen, 0, total - 12 - zlen);
  if ((w->at + total) / SECTOR > UINT32_MAX)
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: a vmdk stream cannot grow past 2 TiB",
                        img->filename);
  if (!vk_host_pwrite(img->fd, w->z, total, w->at, img->filename, errp))
    return false;
  w->gt[gdi][g % x->gtes] = (uint32_t)(w->at / SECTOR);
  w->at += total;
  x->file_size = w->at;
  return true;
}

static bool
grow_z(vmdk_state *s, size_t need, vk_error **errp)
{
  stream_writer *w = s->w;
  unsigned char *z;

  if (w->zcap >= need)
    return true;
  if (!(z = realloc(w->z, need)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  w->z = z;
  w->zcap = need;
  return true;
}

/* drv->write_compressed: a grain deflated by the caller (a zlib stream),
 * in order. */
static bool
vmdk_write_compressed(vk_image *img, uint64_t off, const void *data, size_t len, vk_error **errp)
{
  vmdk_state *s = img->priv;
  uint64_t g;

  if (!s->w)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: only a streamOptimized vmdk stores compressed grains", img->filename);
  g = off / s->ext[0].grain;
  if (!stream_start(img, s, errp) ||
      (s->w->pending != UINT64_MAX && !stream_flush_grain(img, s, errp)))
    return false;
  if (off % s->ext[0].grain || g < s->w->done)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: a streamOptimized vmdk is written once, from start to end "
                        "(grain %llu is written already)",
                        img->filename, (unsigned long long)g);
  if (!grow_z(s, len + 12 + SECTOR, errp))
    return false;
  memcpy(s->w->z + 12, data, len);
  s->w->done = g + 1;
  return stream_put(img, s, g, len, errp);
}

static bool
vmdk_compresses(const vk_image *img)
{
  const vmdk_state *s = img->priv;

  return s && s->w;
}

/* Put [off, off + len) of grain data (NULL: zeros) into the stream. */
static bool
stream_write(vk_image *img, const void *buf, size_t len, uint64_t off, vk_error **errp)
{
  vmdk_state *s = img->priv;
  stream_writer *w = s->w;
  extent *x = &s->ext[0];
  const unsigned char *p = buf;

  if (!stream_start(img, s, errp))
    return false;
  while (len) {
    uint64_t g = off / x->grain, in = off % x->grain;
    size_t n = x->grain - in < len ? (size_t)(x->grain - in) : len;

    if (g != w->pending) {
      if (g < w->done) {
        uint64_t e;
        if (!buf && grain_entry(x, g, &e, NULL) && e == 0)
          goto next; /* zeros where there are zeros */
        return vk_error_set(errp, VK_EXIT_USAGE,
                            "%s: a streamOptimized vmdk is written once, from start to end "
                            "(grain %llu is written already)",
                            img->filename, (unsigned long long)g);
      }
      if (!buf)
        goto next; /* a grain not begun is zeros */
      if (!stream_flush_grain(img, s, errp))
        return false;
      memset(w->buf, 0, x->grain);
      w->pending = g;
    }
    if (buf)
      memcpy(w->buf + in, p, n);
    else
      memset(w->buf + in, 0, n);
    if (in + n == x->grain && !stream_flush_grain(img, s, errp))
      return false;
  next:
    if (p)
      p += n;
    off += n;
    len -= n;
  }
  return true;
}

/* The end of a stream: the last grain, the grain tables, the directory,
 * the footer, the end-of-stream marker. */
static bool
stream_finish(vk_image *img, vmdk_state *s, vk_error **errp)
{
  stream_writer *w = s->w;
  extent *x = &s->ext[0];
  uint64_t gt_sectors = (uint64_t)x->gtes * 4 / SECTOR;
  uint64_t gd_sectors = ((uint64_t)x->ngd * 4 + SECTOR - 1) / SECTOR;
  CLEANUP_FREE unsigned char *gt = malloc((size_t)(gt_sectors * SECTOR));
  CLEANUP_FREE unsigned char *gd = calloc(gd_sectors ? gd_sectors : 1, SECTOR);
  unsigned char m[SECTOR];
  uint64_t gd_at, desc_off, desc_size;
  unsigned char head[SECTOR];

  if (!gt || !gd)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!stream_flush_grain(img, s, errp))
    return false;
  for (uint32_t i = 0; i < x->ngd; i++) {
    if (!w->gt[i])
      continue;
    memset(m, 0, sizeof m);
    vk_put_le64(m, gt_sectors);
    vk_put_le32(m + 12, 1); /* grain table marker */
    for (uint32_t j = 0; j < x->gtes; j++)
      vk_put_le32(gt + (size_t)j * 4, w->gt[i][j]);
    if (!vk_host_pwrite(img->fd, m, SECTOR, w->at, img->filename, errp) ||
        !vk_host_pwrite(img->fd, gt, (size_t)(gt_sectors * SECTOR), w->at + SECTOR, img->filename,
                        errp))
      return false;
    vk_put_le32(gd + (size_t)i * 4, (uint32_t)(w->at / SECTOR + 1));
    w->at += (1 + gt_sectors) * SECTOR;
  }
  memset(m, 0, sizeof m);
  vk_put_le64(m, gd_sectors);
  vk_put_le32(m + 12, 2); /* grain directory marker */
  gd_at = w->at / SECTOR + 1;
  if (!vk_host_pwrite(img->fd, m, SECTOR, w->at, img->filename, errp) ||
      !vk_host_pwrite(img->fd, gd, (size_t)(gd_sectors * SECTOR), w->at + SECTOR, img->filename,
                      errp))
    return false;
  w->at += (1 + gd_sectors) * SECTOR;
  if (!vk_host_pread(img->fd, head, SECTOR, 0, img->filename, errp))
    return false;
  desc_off = vk_le64(head + 28);
  desc_size = vk_le64(head + 36);
  memset(m, 0, sizeof m);
  vk_put_le64(m, 1);
  vk_put_le32(m + 12, 3); /* footer marker */
  put_header(head, 3, FLAG_NL_TEST | FLAG_COMPRESSED | FLAG_MARKERS, w->capacity, desc_off,
             desc_size, 0, gd_at, desc_off + desc_size);
  if (!vk_host_pwrite(img->fd, m, SECTOR, w->at, img->filename, errp) ||
      !vk_host_pwrite(img->fd, head, SECTOR, w->at + SECTOR, img->filename, errp))
    return false;
  memset(m, 0, sizeof m); /* end of stream */
  if (!vk_host_pwrite(img->fd, m, SECTOR, w->at + 2 * SECTOR, img->filename, errp))
    return false;
  w->at += 3 * SECTOR;
  x->file_size = w->at;
  return vk_image_sync(img, errp);
}

static bool
vmdk_pwrite(vk_image *img, const void *buf, size_t len, uint64_t off, vk_error **errp)
{
  vmdk_state *s = img->priv;

  if (s->w)
    return stream_write(img, buf, len, off, errp);
  return vk_block_write(img, (uint32_t)s->ext[0].grain, sparse_lookup, sparse_alloc, buf, len, off,
                        errp);
}

static bool
vmdk_pwrite_zeroes(vk_image *img, uint64_t off, uint64_t len, unsigned flags, vk_error **errp)
{
  vmdk_state *s = img->priv;

  (void)flags;
  if (s->w)
    return stream_write(img, NULL, (size_t)len, off, errp);
  return vk_block_write_zeroes(img, (uint32_t)s->ext[0].grain, sparse_lookup, off, len, errp);
}

static bool
vmdk_flush(vk_image *img, vk_error **errp)
{
  return vk_image_sync(img, errp);
}

/* ------------------------------------------------------------ creating */

static bool
vmdk_create(int fd, const char *path, const vk_image_opts *o, vk_error **errp)
{
  bool stream = o->subformat == VK_SUB_STREAM_OPTIMIZED;
  uint64_t capacity = o->size / SECTOR, grains = (capacity + 127) / 128;
  uint64_t ngd = (grains + 511) / 512, gd_sectors = (ngd * 4 + SECTOR - 1) / SECTOR;
  uint64_t rgd = 21, rgt = rgd + gd_sectors, gd = rgt + ngd * 4, gt = gd + gd_sectors;
  const char *adapter = o->adapter_type ? o->adapter_type : "ide";
  unsigned heads = strcmp(adapter, "ide") == 0 ? 16 : 255;
  uint64_t overhead = (gt + ngd * 4 + 127) / 128 * 128, cyls = capacity / (heads * 63);
  CLEANUP_FREE unsigned char *table = NULL;
  CLEANUP_FREE char *base = strdup(path);
  unsigned char h[SECTOR], cid[4];
  char desc[20 * SECTOR] = { 0 };
  const char *name;
  int n;

  if (!base)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (capacity > (2ULL << 40) / SECTOR - 1)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: a vmdk image holds at most 2 TiB", path);
  name = strrchr(base, '/') ? strrchr(base, '/') + 1 : base;
  if (strchr(name, '"') || strchr(name, '\n'))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "%s: a vmdk descriptor cannot name a file with '\"' or a newline", path);
  if (!vk_random_bytes(cid, sizeof cid, errp))
    return false;
  n = snprintf(desc, sizeof desc,
               "# Disk DescriptorFile\nversion=1\nCID=%08" PRIx32 "\nparentCID=ffffffff\n"
               "createType=\"%s\"\n\n# Extent description\nRW %" PRIu64 " SPARSE \"%s\"\n\n"
               "# The Disk Data Base\n#DDB\n\nddb.virtualHWVersion = \"%u\"\n"
               "ddb.geometry.cylinders = \"%" PRIu64 "\"\nddb.geometry.heads = \"%u\"\n"
               "ddb.geometry.sectors = \"63\"\nddb.adapterType = \"%s\"\n"
               "ddb.toolsVersion = \"%" PRIu32 "\"\n",
               vk_le32(cid), stream ? "streamOptimized" : "monolithicSparse", capacity, name,
               o->hwversion ? o->hwversion : 4, heads == 16 && cyls > 16383 ? 16383 : cyls, heads,
               adapter, o->toolsversion ? o->toolsversion : 2147483647u);
  if (n < 0 || (size_t)n >= sizeof desc)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: the file name is too long for a vmdk", path);
  if (stream) {
    /* empty: no grain, no table; the directory and footer come at close
     * (an image never written gets them from vimg create's close) */
    unsigned char m[SECTOR] = { 0 };
    uint64_t at = 21 * SECTOR;
    put_header(h, 3, FLAG_NL_TEST | FLAG_COMPRESSED | FLAG_MARKERS, capacity, 1, 20, 0, GD_AT_END,
               21);
    if (!vk_host_pwrite(fd, h, SECTOR, 0, path, errp) ||
        !vk_host_pwrite(fd, desc, sizeof desc, SECTOR, path, errp))
      return false;
    if (!(table = calloc(gd_sectors ? gd_sectors : 1, SECTOR)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    vk_put_le64(m, gd_sectors);
    vk_put_le32(m + 12, 2);
    if (!vk_host_pwrite(fd, m, SECTOR, at, path, errp) ||
        !vk_host_pwrite(fd, table, (size_t)(gd_sectors * SECTOR), at + SECTOR, path, errp))
      return false;
    at += (1 + gd_sectors) * SECTOR;
    vk_put_le64(m, 1);
    vk_put_le32(m + 12, 3);
    put_header(h, 3, FLAG_NL_TEST | FLAG_COMPRESSED | FLAG_MARKERS, capacity, 1, 20, 0, 22, 21);
    memset(m + 12, 0, 4);
    vk_put_le32(m + 12, 3);
    if (!vk_host_pwrite(fd, m, SECTOR, at, path, errp) ||
        !vk_host_pwrite(fd, h, SECTOR, at + SECTOR, path, errp))
      return false;
    memset(m, 0, sizeof m);
    return vk_host_pwrite(fd, m, SECTOR, at + 2 * SECTOR, path, errp);
  }
  put_header(h, 1, FLAG_NL_TEST | FLAG_RGD, capacity, 1, 20, rgd, gd, overhead);
  if (!(table = calloc(gd_sectors ? gd_sectors : 1, SECTOR)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pwrite(fd, h, SECTOR, 0, path, errp) ||
      !vk_host_pwrite(fd, desc, sizeof desc, SECTOR, path, errp))
    return false;
  /* both directories; the tables they point at are zeros */
  for (int copy = 0; copy < 2; copy++) {
    uint64_t dir = copy ? gd : rgd, first = copy ? gt : rgt;
    for (uint64_t i = 0; i < ngd; i++)
      vk_put_le32(table + i * 4, (uint32_t)(first + i * 4));
    if (!vk_host_pwrite(fd, table, (size_t)(gd_sectors * SECTOR), dir * SECTOR, path, errp))
      return false;
  }
  return vk_host_extend(fd, overhead * SECTOR, path, errp);
}

static bool
vmdk_info(vk_image *img, vk_image_info *info, vk_error **errp)
{
  vmdk_state *s = img->priv;

  (void)errp;
  info->cluster_size = (uint32_t)s->grain;
  info->backing_file = s->parent;
  info->backing_format = s->parent ? "vmdk" : NULL;
  return true;
}

static bool
vmdk_close(vk_image *img, vk_error **errp)
{
  vmdk_state *s = img->priv;

  bool ok = true;

  if (s && s->w) {
    ok = !s->w->started || stream_finish(img, s, errp);
    for (uint32_t i = 0; i < s->ext[0].ngd; i++)
      free(s->w->gt[i]);
    free(s->w->gt);
    free(s->w->buf);
    free(s->w->z);
    free(s->w);
  }
  if (s) {
    for (size_t i = 0; i < s->n; i++)
      extent_free(&s->ext[i]);
    free(s->ext);
    free(s->cache.gt);
    free(s->cache.zbuf);
    free(s->cache.grain_buf);
    free(s->parent);
  }
  free(s);
  img->priv = NULL;
  return ok;
}

const vk_image_driver vk_vmdk_driver = {
  .name = "vmdk",
  .open = vmdk_open,
  .pread = vmdk_pread,
  .pwrite = vmdk_pwrite,
  .pwrite_zeroes = vmdk_pwrite_zeroes,
  .flush = vmdk_flush,
  .block_status = vmdk_block_status,
  .info = vmdk_info,
  .compresses = vmdk_compresses,
  .write_compressed = vmdk_write_compressed,
  .create = vmdk_create,
  .close = vmdk_close,
};
