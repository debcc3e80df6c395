/* vkit — the block-driver vtable behind vk_image (internal to lib/image).
 *
 * Each driver fills a vk_image_driver; vk_image_open() picks one by format.
 * The generic layer (image.c) checks ranges before calling the driver, so
 * drivers may assume off+len <= virtual size and len > 0.
 */
#ifndef VK_IMAGE_DRIVER_H
#define VK_IMAGE_DRIVER_H

#include <sys/stat.h>
#include <sys/types.h>

#include "image.h"
#include "lock.h"

typedef struct vk_image_driver {
  const char *name;
  /* Open img->fd (already opened and locked); set img->size and img->priv. */
  bool (*open)(vk_image *img, vk_error **errp);
  bool (*pread)(vk_image *img, void *buf, size_t len, uint64_t off,
                vk_error **errp);
  bool (*pwrite)(vk_image *img, const void *buf, size_t len, uint64_t off,
                 vk_error **errp);
  bool (*pwrite_zeroes)(vk_image *img, uint64_t off, uint64_t len,
                        unsigned flags, vk_error **errp);
  bool (*discard)(vk_image *img, uint64_t off, uint64_t len, vk_error **errp);
  bool (*flush)(vk_image *img, vk_error **errp);
  bool (*truncate)(vk_image *img, uint64_t size, vk_prealloc prealloc,
                   unsigned flags, vk_error **errp);
  /* One extent of this layer only (depth 0). */
  bool (*block_status)(vk_image *img, uint64_t off, uint64_t len,
                       vk_extent *out, vk_error **errp);
  bool (*write_compressed)(vk_image *img, uint64_t off, const void *data,
                           size_t len, vk_error **errp);
  bool (*info)(vk_image *img, vk_image_info *info, vk_error **errp);
  /* vk_image_compresses(); NULL: false. */
  bool (*compresses)(const vk_image *img);
  /* vk_image_amend() with options already checked; NULL: nothing to amend. */
  bool (*amend)(vk_image *img, const vk_image_opts *o, vk_error **errp);
  /* vk_image_reserve() (off, len checked); NULL: nothing can be reserved. */
  bool (*reserve)(vk_image *img, uint64_t off, uint64_t len, uint64_t *host, uint64_t *got,
                  bool *zeroed, vk_error **errp);
  /* Record `name` (NULL: none) of format `fmt` as the backing file, in the
   * header only; NULL for formats without backing files. */
  bool (*set_backing)(vk_image *img, const char *name, vk_image_format fmt, vk_error **errp);
  /* Lay out a new empty image described by *o (validated) in the empty
   * file fd; NULL for raw and qcow2, which image.c creates itself. */
  bool (*create)(int fd, const char *path, const vk_image_opts *o, vk_error **errp);
  /* Write back state (clean bit); free priv.  Must not close img->fd. */
  bool (*close)(vk_image *img, vk_error **errp);
} vk_image_driver;

struct vk_image {
  const vk_image_driver *drv;
  vk_image_format format;
  char *filename;           /* as given */
  int fd;
  /* The file host offsets of guest data refer to (block status, reserve)
   * when it is not fd: a qcow2 external data file, opened and locked by
   * the driver, closed by vk_image_close().  -1 and NULL otherwise. */
  int data_fd;
  char *data_name; /* its name as recorded (relative: to the current directory) */
  bool writable;
  unsigned flags;           /* VK_IMAGE_* open flags */
  const char *snapshot;     /* during drv->open only: the internal snapshot
                               to show (qcow2), or NULL for the active one */
  uint64_t size;            /* virtual size */
  vk_image *backing;        /* owned */
  void *priv;               /* driver state */
  /* [ua_off, ua_off + ua_len): unallocated in this layer, as block status
   * last said; forgotten at every change (vk_image_changed()).  A chain's
   * block status asks a layer again for each extent found below one of its
   * unallocated runs: this answers those at once. */
  uint64_t ua_off, ua_len;
};

/* Whatever block status remembered of img is stale. */
static inline void
vk_image_changed(vk_image *img)
{
  img->ua_len = 0;
}

/* Internal open flag: the image is a backing layer of another (the qcow2
 * driver gives it a small cache). */
#define VK_IMAGE_LAYER (1u << 17)

/* Internal zero-write flag (vk_image_make_empty()): whole clusters become
 * unallocated, reading from the backing file again. */
#define VK_ZERO_UNALLOCATE (1u << 16)

/* Internal truncate flag: the size is already `size`; only preallocate
 * [0, size) (image creation). */
#define VK_TRUNCATE_PREALLOC_ONLY (1u << 16)

extern const vk_image_driver vk_raw_driver;
extern const vk_image_driver vk_qcow2_driver;
/* formats/: vpc, vdi, vmdk and vhdx are read and written (pwrite,
 * zeroes, flush, create: no resize, discard or backing file); qed is
 * read only (its open refuses an image opened for writing) */
extern const vk_image_driver vk_vpc_driver;
extern const vk_image_driver vk_vdi_driver;
extern const vk_image_driver vk_vmdk_driver;
extern const vk_image_driver vk_vhdx_driver;
extern const vk_image_driver vk_qed_driver;

/* Full pread/pwrite on a host fd: loops over short transfers; a pread
 * past EOF fills the rest with zeros. */
bool vk_host_pread(int fd, void *buf, size_t len, uint64_t off,
                   const char *file, vk_error **errp);
bool vk_host_pwrite(int fd, const void *buf, size_t len, uint64_t off,
                    const char *file, vk_error **errp);
/* raw.c: what a raw file holds at [off, off + len), by SEEK_DATA and
 * SEEK_HOLE: *out's kind (DATA or ZERO), length, allocated, host_offset
 * (= off).  Without SEEK_DATA: all data. */
void vk_host_block_status(int fd, uint64_t off, uint64_t len, vk_extent *out);
/* raw.c: make [off, off + len) of a host file read zeros (a hole punched
 * when `unmap`, else zeroed in place, else zeros written). */
bool vk_host_zero(int fd, const char *file, uint64_t off, uint64_t len, bool unmap,
                  vk_error **errp);
/* raw.c: set a host file's length to `size` (when set_size) and
 * preallocate [from, size) as `prealloc` says (falloc, full; metadata and
 * off: nothing). */
bool vk_host_resize(int fd, const char *file, uint64_t from, uint64_t size, bool set_size,
                    vk_prealloc prealloc, vk_error **errp);
/* blockmap.c: make the file at least `size` bytes long (the new part
 * reads as zeros). */
bool vk_host_extend(int fd, uint64_t size, const char *file, vk_error **errp);
/* probe.c: fd must be a regular file or a block device (*st filled);
 * otherwise a VK_EXIT_USAGE error "PATH is not a regular file or block
 * device". */
bool vk_host_check_file(int fd, const char *path, struct stat *st, vk_error **errp);
/* Open an image file: open(path, flags) with O_NONBLOCK (a FIFO must not
 * block the open), then vk_host_check_file(), then O_NONBLOCK cleared.
 * Returns the descriptor (close-on-exec), or -1 with *errp set. */
int vk_host_open_file(const char *path, int flags, vk_error **errp);
/* fdatasync with an error message. */
bool vk_host_sync(int fd, const char *file, vk_error **errp);
/* The locks img's files take: none with VK_IMAGE_FORCE_SHARE or
 * VK_IMAGE_NO_LOCK, else read or write as it is opened. */
vk_lock_mode vk_image_lock_mode(const vk_image *img);
/* Sync img's file (a barrier or the final flush); a no-op when img was
 * opened with VK_IMAGE_UNSAFE. */
bool vk_image_sync(vk_image *img, vk_error **errp);

/* Read from the backing chain (zeros past its end or without one). */
bool vk_image_read_backing(vk_image *img, void *buf, size_t len, uint64_t off,
                           vk_error **errp);


/* qcow2-create.c: write a new empty qcow2 image described by *o into the
 * empty file fd (no preallocation; that is done through the driver). */
bool qcow2_create_file(int fd, const char *path, const vk_image_opts *o,
                       const char *backing_fmt, vk_error **errp);

#endif
