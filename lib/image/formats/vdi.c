/* vkit — the vdi driver: VirtualBox images.  A 512-byte header (a text
 * line, then little-endian fields), a block map of 32-bit entries (a
 * block index, or unallocated, or discarded: both read as zeros), and
 * the blocks.  Static and dynamic images are read, written and created
 * (1 MiB blocks, as VirtualBox and qemu-img make them); a new block goes
 * after the last, the header's count of blocks first, then the map entry
 * (a crash loses at worst the block, never maps two to one place).  Undo and
 * differencing images, linked images, and what qemu-img does not read
 * either (another version than 1.1, sectors other than 512 bytes, extra
 * bytes per block) are refused by name.  Every field is decoded and
 * checked here before it is used: the map and each block it points to
 * lie inside the file, the blocks cover the disk.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/formats/blockmap.h"
#include "util/bytes.h"
#include "util/cleanup.h"
#include "util/random.h"

/* every message of this driver names the file and the format */
#define corrupt(img, errp, what) vk_fmt_corrupt((img)->filename, "vdi", (errp), (what))
#define unsupported(img, errp, what) vk_fmt_unsupported((img)->filename, "vdi", (errp), (what))

#define HEADER_LEN 512
#define SIGNATURE 0xbeda107fu
#define VERSION_1_1 0x00010001u
#define TYPE_DYNAMIC 1
#define TYPE_STATIC 2
#define MAP_FREE 0xffffffffu
#define MAP_DISCARDED 0xfffffffeu
#define BLOCK_SIZE (1u << 20)
#define MAX_SIZE (BLOCK_SIZE * (uint64_t)0x3fffffff) /* what the map can hold */

typedef struct vdi_header {
  uint32_t version, type;
  uint32_t offset_bmap, offset_data;
  uint32_t sector_size;
  uint64_t disk_size;
  uint32_t block_size, block_extra;
  uint32_t blocks_in_image, blocks_allocated;
  bool linked, has_parent;
} vdi_header;

typedef struct vdi_state {
  vk_blockmap m; /* m.table: the block indexes, host order */
  uint32_t offset_bmap, offset_data;
  uint32_t blocks_in_image;
  uint32_t next; /* writing: the index of the next new block */
} vdi_state;

static bool
decode_header(vk_image *img, const unsigned char *b, vdi_header *h, vk_error **errp)
{
  if (vk_le32(b + 64) != SIGNATURE)
    return corrupt(img, errp, "no signature");
  h->version = vk_le32(b + 68);
  h->type = vk_le32(b + 76);
  h->offset_bmap = vk_le32(b + 340);
  h->offset_data = vk_le32(b + 344);
  h->sector_size = vk_le32(b + 360);
  h->disk_size = vk_le64(b + 368);
  h->block_size = vk_le32(b + 376);
  h->block_extra = vk_le32(b + 380);
  h->blocks_in_image = vk_le32(b + 384);
  h->blocks_allocated = vk_le32(b + 388);
  h->linked = !vk_all_zero(b + 424, 16);
  h->has_parent = !vk_all_zero(b + 440, 16);
  if (h->version != VERSION_1_1)
    return unsupported(img, errp, "not version 1.1");
  if (h->type != TYPE_DYNAMIC && h->type != TYPE_STATIC)
    return unsupported(img, errp, "an undo or differencing image");
  if (h->linked || h->has_parent)
    return unsupported(img, errp, "a linked image, or one with a parent");
  if (h->sector_size != 512)
    return unsupported(img, errp, "its sectors are not 512 bytes");
  if (h->block_extra)
    return unsupported(img, errp, "extra bytes in its blocks");
  if (h->offset_bmap % 512 || h->offset_data % 512)
    return corrupt(img, errp, "the block map or the data is not sector aligned");
  if (h->block_size < 512 || h->block_size > (256u << 20) || (h->block_size & (h->block_size - 1)))
    return corrupt(img, errp, "the block size is not a power of two from 512 bytes to 256 MiB");
  /* VBoxManage convertfromraw writes sizes of odd bytes: the last partial
   * sector is not part of the disk (as qemu-img reads it) */
  h->disk_size = h->disk_size / 512 * 512;
  if (h->disk_size > (uint64_t)h->blocks_in_image * h->block_size)
    return corrupt(img, errp, "the blocks do not cover the disk size");
  return true;
}

static int64_t
vdi_lookup(vk_image *img, uint64_t block, uint64_t *same, vk_error **errp)
{
  const vdi_state *s = img->priv;
  const uint32_t *map = s->m.table;
  uint32_t e = block < s->m.nblocks ? map[block] : MAP_FREE;

  (void)same;
  (void)errp;
  if (e == MAP_FREE || e == MAP_DISCARDED)
    return -1;
  return (int64_t)s->offset_data + (int64_t)e * s->m.block_size;
}

/* The header's count of blocks in use, then the map entry. */
static int64_t
vdi_alloc(vk_image *img, uint64_t block, vk_error **errp)
{
  vdi_state *s = img->priv;
  uint32_t *map = s->m.table;
  unsigned char b[4];
  uint64_t host = (uint64_t)s->offset_data + (uint64_t)s->next * s->m.block_size;

  if (s->next >= s->blocks_in_image) {
    corrupt(img, errp, "more blocks in use than the image has");
    return VK_BLOCK_ERROR;
  }
  if (!vk_host_extend(img->fd, host + s->m.block_size, img->filename, errp))
    return VK_BLOCK_ERROR;
  vk_put_le32(b, s->next + 1);
  if (!vk_host_pwrite(img->fd, b, 4, 388, img->filename, errp) || !vk_image_sync(img, errp))
    return VK_BLOCK_ERROR;
  vk_put_le32(b, s->next);
  if (!vk_host_pwrite(img->fd, b, 4, s->offset_bmap + block * 4, img->filename, errp))
    return VK_BLOCK_ERROR;
  map[block] = s->next++;
  return (int64_t)host;
}

static bool
vdi_open(vk_image *img, vk_error **errp)
{
  unsigned char b[HEADER_LEN], *raw;
  uint64_t file_size, need;
  vdi_header h = { 0 };
  vdi_state *s;
  uint32_t *map;

  if (!vk_host_size(img->fd, img->filename, &file_size, errp))
    return false;
  if (file_size < HEADER_LEN)
    return corrupt(img, errp, "shorter than its header");
  if (!vk_host_pread(img->fd, b, HEADER_LEN, 0, img->filename, errp) ||
      !decode_header(img, b, &h, errp))
    return false;
  img->size = h.disk_size;
  if (!vk_fmt_size_ok(img, "vdi", errp))
    return false;
  need = (h.disk_size + h.block_size - 1) / h.block_size;
  if (h.offset_bmap < HEADER_LEN || h.offset_bmap > file_size ||
      (file_size - h.offset_bmap) / 4 < h.blocks_in_image)
    return corrupt(img, errp, "the block map lies outside the file");
  if (h.offset_data < h.offset_bmap + (uint64_t)h.blocks_in_image * 4)
    return corrupt(img, errp, "the data starts inside the block map");
  if (!(s = calloc(1, sizeof *s)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  img->priv = s;
  s->m.block_size = h.block_size;
  s->m.lookup = vdi_lookup;
  s->offset_data = h.offset_data;
  s->offset_bmap = h.offset_bmap;
  s->blocks_in_image = h.blocks_in_image;
  s->next = h.blocks_allocated;
  s->m.alloc = vdi_alloc;
  s->m.nblocks = (uint32_t)need;
  if (!(s->m.table = map = calloc(need ? need : 1, sizeof *map)) ||
      !(raw = malloc(need ? need * 4 : 1)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_host_pread(img->fd, raw, need * 4, h.offset_bmap, img->filename, errp)) {
    free(raw);
    return false;
  }
  for (uint64_t i = 0; i < need; i++) {
    uint32_t e = vk_le32(raw + i * 4);
    uint64_t start = (uint64_t)h.offset_data + (uint64_t)e * h.block_size;
    map[i] = e;
    if (e == MAP_FREE || e == MAP_DISCARDED)
      continue;
    /* a new block goes after every block in use, whatever the header
     * counts */
    if (e >= s->next)
      s->next = e + 1;
    if (e >= h.blocks_in_image || start > file_size || file_size - start < h.block_size) {
      free(raw);
      return corrupt(img, errp, "a block lies outside the file");
    }
  }
  free(raw);
  return true;
}

/* A new image: the header, the map (every block free, or with static=on
 * every block in place), the data area; laid out as qemu-img does. */
static bool
vdi_create(int fd, const char *path, const vk_image_opts *o, vk_error **errp)
{
  static const char text[] = "<<< vkit Virtual Disk Image >>>\n";
  uint64_t blocks = (o->size + BLOCK_SIZE - 1) / BLOCK_SIZE;
  uint64_t map_len = (blocks * 4 + 511) / 512 * 512, data = 512 + map_len;
  CLEANUP_FREE unsigned char *map = NULL;
  unsigned char h[HEADER_LEN] = { 0 };

  if (o->size > MAX_SIZE)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: a vdi image holds at most %llu bytes", path,
                        (unsigned long long)MAX_SIZE);
  memcpy(h, text, sizeof text - 1);
  vk_put_le32(h + 64, SIGNATURE);
  vk_put_le32(h + 68, VERSION_1_1);
  vk_put_le32(h + 72, 0x180); /* the header's size after its start */
  vk_put_le32(h + 76, o->static_image ? TYPE_STATIC : TYPE_DYNAMIC);
  vk_put_le32(h + 340, 512);            /* the map */
  vk_put_le32(h + 344, (uint32_t)data); /* the blocks */
  vk_put_le32(h + 360, 512);            /* sector size */
  vk_put_le64(h + 368, o->size);
  vk_put_le32(h + 376, BLOCK_SIZE);
  vk_put_le32(h + 384, (uint32_t)blocks);
  vk_put_le32(h + 388, o->static_image ? (uint32_t)blocks : 0);
  if (!vk_random_uuid(h + 392, errp) || !vk_random_uuid(h + 408, errp))
    return false;
  if (!(map = malloc(map_len ? map_len : 1)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  memset(map, 0, map_len);
  for (uint64_t i = 0; i < blocks; i++)
    vk_put_le32(map + i * 4, o->static_image ? (uint32_t)i : MAP_FREE);
  if (!vk_host_pwrite(fd, h, sizeof h, 0, path, errp) ||
      !vk_host_pwrite(fd, map, map_len, 512, path, errp))
    return false;
  return vk_host_extend(fd, data + (o->static_image ? blocks * BLOCK_SIZE : 0), path, errp);
}

const vk_image_driver vk_vdi_driver = {
  .name = "vdi",
  .open = vdi_open,
  .pread = vk_blockmap_pread,
  .pwrite = vk_blockmap_pwrite,
  .pwrite_zeroes = vk_blockmap_pwrite_zeroes,
  .flush = vk_blockmap_flush,
  .block_status = vk_blockmap_status,
  .info = vk_blockmap_info,
  .create = vdi_create,
  .close = vk_blockmap_close,
};
