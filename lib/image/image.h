/* vkit — disk images: formats, creation options, and the block-driver
 * interface shared by the drivers (raw, qcow2, and formats/).
 *
 * An image is opened with an explicit format (probing is allowed only for
 * read-only opens), used through vk_image_pread()/pwrite()/... and closed
 * with vk_image_close().  Backing chains are opened with the image and are
 * read through the same interface.  All offsets and lengths are in bytes
 * of the guest-visible (virtual) disk.
 *
 * Threads: one vk_image must be used by one thread at a time (callers that
 * compress in worker threads hand the results to a single writer thread).
 * Different images may be used from different threads.
 *
 * Errors: every function that can fail takes `vk_error **errp` last; codes
 * are VK_EXIT_USAGE (bad argument), VK_EXIT_NOTFOUND (missing file),
 * VK_EXIT_BUSY (image locked by another user), VK_EXIT_CORRUPT (the image
 * breaks the format) and VK_EXIT_FAILED (I/O error and everything else).
 */
#ifndef VK_IMAGE_IMAGE_H
#define VK_IMAGE_IMAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* ---------------------------------------------------------------- formats */

typedef enum vk_image_format {
  VK_FMT_NONE = 0, /* not given: probe (read-only opens only) */
  VK_FMT_RAW,
  VK_FMT_QCOW2,
  /* Recognised by vk_image_probe() and named by -f; vdi and vpc are
   * read (not written), the others neither:
   * vk_image_format_check_supported() refuses them. */
  VK_FMT_VMDK,
  VK_FMT_VDI,
  VK_FMT_VHDX,
  VK_FMT_VPC,
  VK_FMT_QED,
  VK_FMT_QCOW, /* qcow version 1 */
  VK_FMT_LUKS,
  VK_FMT_DMG,
  VK_FMT_PARALLELS,
  VK_FMT_CLOOP,
  VK_FMT_BOCHS,
} vk_image_format;

/* A format name as qemu-img spells it ("raw", "qcow2", "vmdk", "vdi",
 * "vhdx", "vpc", "qed", "qcow", "luks", "dmg", "parallels", "cloop",
 * "bochs") -> format; false and a usage error for other names.  Names of
 * unsupported formats are accepted: check them with
 * vk_image_format_check_supported() before opening an image. */
bool vk_image_format_parse(const char *name, vk_image_format *out,
                           vk_error **errp);
/* Format -> its qemu-img name (static string; "none" for VK_FMT_NONE). */
const char *vk_image_format_name(vk_image_format fmt);

/* True for the formats vkit reads: raw, qcow2, vmdk, vpc, vdi and vhdx
 * (also written: see vk_image_format_creatable()), qed (read only: an
 * image opened for writing is refused).  Otherwise false with a
 * VK_EXIT_USAGE error that names the format: "PATH is a dmg image; ..."
 * when `path` is given (the format was detected), "dmg images are not
 * supported; ..." when it is NULL (the format was given). */
bool vk_image_format_check_supported(vk_image_format fmt, const char *path,
                                     vk_error **errp);

/* True for the formats vkit writes in place (resizes, copies, commits
 * to, installs and clones on): raw and qcow2. */
bool vk_image_format_writable(vk_image_format fmt);
/* True for the formats vkit creates and converts to: raw, qcow2, vmdk,
 * vpc, vdi and vhdx (the last four are written by their own drivers: see
 * vimg(1)). */
bool vk_image_format_creatable(vk_image_format fmt);

/* Detect the format of the image at `path` by its magic, as qemu-img
 * does (lib/image/probe.c): qcow2 (magic "QFI\xfb", any version but 1),
 * qcow (the same magic, version 1), vmdk (sparse "KDMV", "COWD", or a
 * text descriptor), vdi, vhdx, vpc (dynamic, and fixed: the "conectix"
 * footer in the last 512 bytes, which qemu-img reads as raw), qed, luks,
 * dmg ("koly" trailer), parallels, cloop and bochs.  What matches none of
 * them is raw.  Only a regular file or a block device is probed: anything
 * else is a VK_EXIT_USAGE error ("PATH is not a regular file or block
 * device"), found without blocking (the file is opened O_NONBLOCK).
 * For read-only use only: never probe an image that will be written. */
bool vk_image_probe(const char *path, vk_image_format *out, vk_error **errp);

/* The format to open `path` with: *fmt as given, or detected by
 * vk_image_probe() when it is VK_FMT_NONE.  False, with the error of
 * vk_image_format_check_supported(), for a format vkit does not read
 * (the message names `path` when the format was detected). */
bool vk_image_format_resolve(const char *path, vk_image_format *fmt,
                             vk_error **errp);
/* The same on an open descriptor (probed with vk_image_probe_fd()). */
bool vk_image_format_resolve_fd(int fd, const char *path, vk_image_format *fmt,
                                vk_error **errp);

/* The same on an open descriptor (not moved: only pread() is used);
 * `path` names it in messages.  The descriptor is checked with fstat()
 * before anything is read. */
bool vk_image_probe_fd(int fd, const char *path, vk_image_format *out,
                       vk_error **errp);

/* ---------------------------------------------------------------- options */

typedef enum vk_prealloc {
  VK_PREALLOC_OFF = 0,
  VK_PREALLOC_METADATA,
  VK_PREALLOC_FALLOC,
  VK_PREALLOC_FULL,
} vk_prealloc;

bool vk_prealloc_parse(const char *name, vk_prealloc *out, vk_error **errp);

typedef enum vk_compression {
  VK_COMPRESS_ZLIB = 0, /* the on-disk values of header byte 104 */
  VK_COMPRESS_ZSTD = 1,
  VK_COMPRESS_ZLIB_STREAM = 2, /* not qcow2's: a zlib stream (RFC 1950,
                                  32 KiB window), a vmdk grain */
} vk_compression;

const char *vk_compression_name(vk_compression c);   /* "zlib", "zstd" */

/* What `-o subformat=` names. */
typedef enum vk_subformat {
  VK_SUB_DEFAULT = 0,       /* the format's default */
  VK_SUB_MONOLITHIC_SPARSE, /* vmdk (default): one file, grains on demand */
  VK_SUB_STREAM_OPTIMIZED,  /* vmdk: compressed grains, written once in order */
  VK_SUB_DYNAMIC,           /* vpc, vhdx (default): blocks on demand */
  VK_SUB_FIXED,             /* vpc: the whole disk, then the footer; vhdx:
                               every block stored */
} vk_subformat;

/* Creation options: what `-o` says, plus size and format.  Fields set by
 * the parser have the matching `has_*` flag set, so drivers can reject
 * options that do not apply to them (e.g. cluster_size for raw). */
typedef struct vk_image_opts {
  vk_image_format format;     /* default VK_FMT_RAW */
  uint64_t size;              /* virtual size in bytes */
  uint32_t cluster_size;      /* qcow2: 512..2M, power of two; default 64k */
  int version;                /* qcow2: 2 (compat=0.10) or 3 (1.1, default) */
  bool lazy_refcounts;
  int refcount_bits;          /* 1, 2, 4, ..., 64; default 16 */
  vk_compression compression;
  vk_prealloc prealloc;
  bool extended_l2;
  char *backing_file;         /* owned; NULL for none */
  vk_image_format backing_fmt; /* VK_FMT_NONE: detect from the backing file */
  char *data_file;             /* qcow2: external data file name (owned), or NULL */
  bool data_file_raw;          /* qcow2: the data file is kept a raw image of the disk */
  /* the other formats vkit writes */
  vk_subformat subformat;   /* vmdk, vpc: the kind of file */
  bool force_size;          /* vpc: the exact size, not the CHS geometry's */
  bool static_image;        /* vdi: every block allocated (static=on) */
  uint32_t block_size;      /* vhdx: 1 MiB to 256 MiB, a power of two; 0: QEMU's choice */
  const char *adapter_type; /* vmdk: ide (default), lsilogic, buslogic, legacyESX (static) */
  unsigned hwversion;       /* vmdk: ddb.virtualHWVersion (default 4; compat6: 6) */
  uint32_t toolsversion;    /* vmdk: ddb.toolsVersion (default 2147483647, as QEMU) */
  unsigned has_cluster_size : 1, has_version : 1, has_lazy_refcounts : 1, has_refcount_bits : 1,
      has_compression : 1, has_prealloc : 1, has_extended_l2 : 1, has_backing_fmt : 1,
      has_subformat : 1, has_force_size : 1, has_static : 1, has_block_size : 1, has_vmdk_ddb : 1,
      has_data_file_raw : 1;
} vk_image_opts;

/* The longest external data file name recorded (as a backing file's). */
#define VK_MAX_DATA_FILE_NAME 1023

/* Fill *o with the defaults (raw, size 0, qcow2 defaults as qemu-img's). */
void vk_image_opts_init(vk_image_opts *o);
/* Release what *o owns (backing_file). */
void vk_image_opts_clear(vk_image_opts *o);

/* Parse a `-o` string: "key=value,key=value,...".  Keys: cluster_size,
 * compat (0.10|v2|1.1|v3), lazy_refcounts (on|off), refcount_bits,
 * compression_type (zlib|zstd), preallocation (off|metadata|falloc|full),
 * extended_l2 (on|off), backing_file, backing_fmt, data_file,
 * data_file_raw (on|off), size; subformat
 * (monolithicSparse|streamOptimized for vmdk, dynamic|fixed for vpc and
 * vhdx), force_size (on|off, vpc), static (on|off, vdi), block_size
 * (vhdx), adapter_type, hwversion, toolsversion, compat6, zeroed_grain=off
 * (vmdk).  May be called
 * several times (later values win).  Unknown keys and bad values are
 * VK_EXIT_USAGE errors. */
bool vk_image_opts_parse(vk_image_opts *o, const char *s, vk_error **errp);

/* Check option combinations for o->format (e.g. compression_type=zstd
 * needs compat=1.1, lazy_refcounts needs compat=1.1, extended_l2 needs
 * cluster_size >= 16k, qcow2 options given with raw); VK_EXIT_USAGE. */
bool vk_image_opts_validate(const vk_image_opts *o, vk_error **errp);

/* ---------------------------------------------------------------- images */

typedef struct vk_image vk_image;

enum {
  VK_IMAGE_CREATE_FORCE = 1 << 0,   /* replace an existing file */
};

/* Create an image at `path` as described by *opts (validated here).  An
 * existing file is refused (VK_EXIT_FAILED, "file exists") unless
 * VK_IMAGE_CREATE_FORCE is given.  With a backing file, its format is
 * taken from opts->backing_fmt or probed from a read-only open, and
 * recorded; the backing file must exist.  On any failure the file this
 * call created is removed.  Returns true on success. */
bool vk_image_create(const char *path, const vk_image_opts *opts,
                     unsigned flags, vk_error **errp);

enum {
  VK_IMAGE_RDWR = 1 << 0,         /* open for writing (else read-only) */
  VK_IMAGE_FORCE_SHARE = 1 << 1,  /* -U: read-only, take no locks that
                                     could conflict with a writer */
  VK_IMAGE_NO_BACKING = 1 << 2,   /* do not open the backing chain */
  VK_IMAGE_NO_LOCK = 1 << 3,      /* take no locks at all */
  VK_IMAGE_UNSAFE = 1 << 4,       /* never sync: flushes and the ordering
                                     barriers of metadata updates become
                                     no-ops (like QEMU's cache=unsafe) */
  VK_IMAGE_NO_DATA_FILE = 1 << 5, /* do not open a qcow2 image's external
                                     data file: its metadata can be read
                                     and changed, its guest data cannot
                                     (reads and writes of it fail) */
};

/* The longest backing chain below an image that is opened: deeper is
 * VK_EXIT_CORRUPT, as a chain that comes back to one of its files. */
#define VK_IMAGE_MAX_BACKING 64

/* Open `path` as `fmt`.  VK_FMT_NONE probes, and is refused with
 * VK_IMAGE_RDWR.  With VK_IMAGE_UNSAFE nothing written is synced to disk,
 * not even by vk_image_flush() or vk_image_close(): after a crash of the
 * host (not of the process) the image may be corrupt.  Use it only for
 * images that are thrown away when the work fails, such as the target of
 * a conversion (what QEMU calls cache=unsafe).  Takes QEMU-compatible locks (VK_EXIT_BUSY when
 * another process writes the image, or reads it while we want to write).  Opens the backing chain
 * read-only.  Only regular files and block devices are opened (anything else is VK_EXIT_USAGE, or
 * VK_EXIT_CORRUPT as a backing file: the chain is broken), and only images of a format vkit reads
 * (vk_image_format_resolve_fd(): another format, given or detected, is VK_EXIT_USAGE; a vhdx or qed
 * image opened for writing too, and a vmdk that is not of the two kinds vkit writes).  Memory: the
 * qcow2 driver caches at most 32 MiB of L2 tables and 8 MiB of refcount blocks for an image opened
 * for writing, 8 MiB of L2 tables for one opened read-only and 1 MiB (at least 4 tables) for each
 * backing layer, made only as tables are used.  Returns a new image, owned by the caller
 * (vk_image_close()), or NULL. */
vk_image *vk_image_open(const char *path, vk_image_format fmt, unsigned flags,
                        vk_error **errp);

/* Open the view of internal snapshot `snapshot` of the qcow2 image at
 * `path`, read-only (VK_IMAGE_RDWR is a usage error): reads go through
 * the snapshot's L1 table; the virtual size is the snapshot's disk size.
 * `snapshot` is "snapshot.id=ID", "snapshot.name=NAME" or an ID or name
 * (IDs are tried first), as in qemu-img's -l.  Other flags as for
 * vk_image_open().  An unknown snapshot is VK_EXIT_NOTFOUND; a raw image
 * VK_EXIT_FAILED; a broken snapshot table VK_EXIT_CORRUPT.  Returns a
 * new image owned by the caller, or NULL. */
vk_image *vk_image_open_snapshot(const char *path, vk_image_format fmt,
                                 unsigned flags, const char *snapshot,
                                 vk_error **errp);

void vk_cleanup_image(vk_image **img);
/* Closes the image (without reporting errors) at scope exit. */
#define CLEANUP_IMAGE __attribute__((cleanup(vk_cleanup_image)))

/* Flush (for writable images), mark a qcow2 image clean, release locks,
 * close the backing chain and free img.  Returns false if something could
 * not be written back; img is freed either way.  NULL is a no-op. */
bool vk_image_close(vk_image *img, vk_error **errp);

/* Read `len` bytes at guest offset `off` (must be within the virtual size).
 * Unallocated ranges read from the backing chain, or as zeros. */
bool vk_image_pread(vk_image *img, void *buf, size_t len, uint64_t off,
                    vk_error **errp);

/* Write `len` bytes at `off` (within the virtual size). */
bool vk_image_pwrite(vk_image *img, const void *buf, size_t len, uint64_t off,
                     vk_error **errp);

enum {
  VK_ZERO_MAY_UNMAP = 1 << 0,   /* the range may be deallocated */
};

/* Make [off, off+len) read as zeros (without writing data where the format
 * can record zeros). */
bool vk_image_pwrite_zeroes(vk_image *img, uint64_t off, uint64_t len,
                            unsigned flags, vk_error **errp);

/* Discard [off, off+len): afterwards the range reads as zeros (as with
 * QEMU's discard on qcow2 v3).  Whole clusters give their host space back
 * (raw: holes are punched); partial clusters are zeroed.  On a version 2
 * qcow2 image with a backing file, zeros are written. */
bool vk_image_discard(vk_image *img, uint64_t off, uint64_t len,
                      vk_error **errp);

/* Write back everything and sync it to disk. */
bool vk_image_flush(vk_image *img, vk_error **errp);

enum {
  VK_TRUNCATE_SHRINK = 1 << 0,   /* allow making the image smaller */
};

/* Change the virtual size to `size` (a multiple of 512).  Growing with
 * `prealloc` other than off allocates the new range.  Shrinking needs
 * VK_TRUNCATE_SHRINK (VK_EXIT_USAGE otherwise). */
bool vk_image_truncate(vk_image *img, uint64_t size, vk_prealloc prealloc,
                       unsigned flags, vk_error **errp);

/* Resize the image file at `path` (format `fmt`, VK_FMT_NONE: probed):
 * to `amount` bytes (sign 0), or by it (sign +1 grows, -1 shrinks).  A
 * smaller size needs `shrink`; VK_EXIT_USAGE errors for that, for a size
 * below zero or past 2^64.  The image is locked while it changes. */
bool vk_image_resize_path(const char *path, vk_image_format fmt, int sign, uint64_t amount,
                          vk_prealloc prealloc, bool shrink, vk_error **errp);

/* Block status of a range. */
typedef enum vk_extent_kind {
  VK_EXTENT_DATA = 0,       /* data stored in some layer */
  VK_EXTENT_ZERO = 1,       /* reads as zeros, recorded as such */
  VK_EXTENT_UNALLOCATED = 2 /* nothing in this layer; from backing or zero */
} vk_extent_kind;

typedef struct vk_extent {
  uint64_t offset;          /* guest offset: the `off` asked for */
  uint64_t length;          /* > 0, <= the length asked for */
  vk_extent_kind kind;
  bool allocated;           /* ZERO with host space reserved (qcow2 zero
                               cluster with an offset, raw: hole = false) */
  int64_t host_offset;      /* byte offset in `file` of guest `offset`, or
                               -1 (zeros, compressed, unallocated) */
  int depth;                /* 0 = this image, 1 = its backing file, ... */
  const char *file;         /* file holding the data (owned by the image) */
} vk_extent;

/* Describe the longest run starting at `off` (at most `len` bytes) that
 * has one kind, one layer and (for data) contiguous host offsets.  Walks
 * the backing chain for unallocated ranges: the result is UNALLOCATED only
 * where no layer has anything (it then reads as zeros).  `len` must be > 0
 * and off+len within the virtual size. */
bool vk_image_block_status(vk_image *img, uint64_t off, uint64_t len,
                           vk_extent *out, vk_error **errp);

/* Same, for this layer only (depth is always 0). */
bool vk_image_block_status_layer(vk_image *img, uint64_t off, uint64_t len,
                                 vk_extent *out, vk_error **errp);

/* Store one cluster given already compressed (by vk_compress(), with the
 * image's compression type and cluster size) at cluster-aligned guest
 * offset `off`.  `len` must be less than the cluster size.  qcow2, and
 * images that vk_image_compresses() (VK_EXIT_USAGE for others).  The cluster must not be allocated
 * yet in this image (convert writes each cluster once); VK_EXIT_FAILED otherwise. */
bool vk_image_write_compressed(vk_image *img, uint64_t off, const void *data,
                               size_t len, vk_error **errp);

/* Map the guest clusters at cluster-aligned `off` (up to `len` bytes,
 * whole clusters, or up to the virtual size for the last one) to newly
 * allocated host clusters, for data the caller then writes itself with
 * vk_image_pwrite_reserved(): the metadata is done here, in the caller's
 * order; the data writes may then run in any order and in parallel, since
 * they touch nothing but the clusters reserved.  Sets *got to the bytes
 * mapped (a leading run of unallocated clusters in one L2 table, host
 * contiguous from *host), or 0 when the first cluster cannot be reserved
 * (allocated already, not qcow2, or the image not opened with
 * VK_IMAGE_UNSAFE: the tables pointing at the clusters may reach the disk
 * before their data, which only a throw-away target may allow).  The
 * reserved clusters read as garbage until written: write all of them
 * before the next read, flush or close, except that when *zeroed is set
 * they read as zeros already (the file was never written there), and
 * only their non-zero parts need writing. */
bool vk_image_reserve(vk_image *img, uint64_t off, uint64_t len, uint64_t *host, uint64_t *got,
                      bool *zeroed, vk_error **errp);
/* Write guest data into clusters vk_image_reserve() returned (host file
 * offset `host`); safe from several threads at once. */
bool vk_image_pwrite_reserved(vk_image *img, const void *buf, size_t len, uint64_t host,
                              vk_error **errp);

/* ---------------------------------------------------------------- accessors */

uint64_t vk_image_size(const vk_image *img);            /* virtual size */
vk_image_format vk_image_get_format(const vk_image *img);
const char *vk_image_filename(const vk_image *img);     /* as opened */
/* Cluster size (qcow2), or 65536 for raw as a convenient I/O unit. */
uint32_t vk_image_cluster_size(const vk_image *img);
/* qcow2 compression type (zlib for raw); VK_COMPRESS_ZLIB_STREAM for an
 * image that vk_image_compresses(). */
vk_compression vk_image_compression(const vk_image *img);
/* True for an image opened for writing that stores every cluster
 * compressed (a vmdk streamOptimized): its writer gives it clusters
 * compressed with vk_image_write_compressed() (which takes them only in
 * order), and whole clusters it could not compress with pwrite. */
bool vk_image_compresses(const vk_image *img);
/* The backing image, or NULL (owned by img). */
vk_image *vk_image_backing(const vk_image *img);
/* Host file descriptor of this layer (owned by img). */
int vk_image_fd(const vk_image *img);
/* The file host offsets of guest data refer to (vk_extent.host_offset,
 * vk_image_reserve()): a qcow2 image's external data file, or the
 * image's own file; and its path. */
int vk_image_data_fd(const vk_image *img);
const char *vk_image_data_name(const vk_image *img);

/* Resolve a backing file name as recorded in `overlay` against the
 * directory of `overlay` (absolute names stay as they are).  Returns a new
 * string (caller frees) or NULL when out of memory. */
char *vk_image_resolve_backing(const char *overlay, const char *name);

/* What `vimg info` reports about one layer. */
typedef struct vk_image_info {
  const char *filename;
  vk_image_format format;
  uint64_t virtual_size;
  uint64_t disk_size;           /* bytes allocated on the host (st_blocks) */
  uint64_t file_length;         /* host file length */
  /* qcow2 only (cluster_size 0 for raw) */
  uint32_t cluster_size;
  int version;                  /* 2 or 3 */
  int refcount_bits;
  vk_compression compression;
  bool lazy_refcounts, extended_l2, corrupt, dirty;
  const char *backing_file;     /* as recorded, or NULL */
  const char *backing_full;     /* resolved path, or NULL */
  const char *backing_format;   /* recorded format name, or NULL */
  const char *data_file;        /* external data file name as recorded, or NULL */
  bool data_file_raw;           /* ... kept a raw image of the disk */
  uint64_t incompatible_features, compatible_features, autoclear_features;
  uint32_t nb_snapshots;
} vk_image_info;

/* One internal snapshot, as `vimg info` lists it. */
typedef struct vk_snapshot_info {
  char *id, *name;              /* owned by the array */
  uint64_t vm_state_size;
  uint32_t date_sec, date_nsec;
  uint64_t vm_clock_nsec;
  uint64_t disk_size;           /* guest size when the snapshot was taken */
  int64_t icount;               /* -1 when not recorded */
} vk_snapshot_info;

/* List the internal snapshots of this layer (none for raw) in table
 * order.  On success *out is a new array of *n entries (free it with
 * vk_snapshot_info_free(); NULL when *n is 0).  A broken snapshot table
 * is VK_EXIT_CORRUPT. */
bool vk_image_list_snapshots(vk_image *img, vk_snapshot_info **out, size_t *n,
                             vk_error **errp);
/* Free an array from vk_image_list_snapshots(). */
void vk_snapshot_info_free(vk_snapshot_info *s, size_t n);

/* Internal snapshots of a qcow2 image opened read-write (raw images have
 * none: VK_EXIT_FAILED).  `spec` finds a snapshot as for
 * vk_image_open_snapshot(); an unknown one is VK_EXIT_NOTFOUND.  Each
 * operation is ordered so that a crash in the middle leaves at worst
 * leaked clusters.
 *
 * Create: a snapshot of the active state named `name` (a new name: one
 * that is already a snapshot's name or ID is VK_EXIT_FAILED), with the
 * next free numeric ID; its clusters become shared and are copied on
 * the next write.  Refcounts that would overflow (refcount_bits=1) fail
 * with nothing changed.  Apply: the active state becomes the snapshot's
 * (virtual size included); what only the old state used is freed.
 * Delete: the snapshot goes; clusters only it used are freed. */
bool vk_image_snapshot_create(vk_image *img, const char *name, vk_error **errp);
bool vk_image_snapshot_apply(vk_image *img, const char *spec, vk_error **errp);
bool vk_image_snapshot_delete(vk_image *img, const char *spec, vk_error **errp);

/* One persistent bitmap of a qcow2 image (the bitmaps extension). */
typedef struct vk_bitmap_info {
  char *name;           /* owned by the array */
  uint32_t granularity; /* bytes of guest data per bit */
  bool enabled;         /* "auto": QEMU records writes in it */
  bool in_use;          /* inconsistent: a writer did not close it,
                           or vkit wrote guest data past it */
} vk_bitmap_info;

/* List the persistent bitmaps of this layer (none for other formats), in
 * directory order, as vk_image_list_snapshots() lists snapshots.  A broken
 * bitmap directory is VK_EXIT_CORRUPT. */
bool vk_image_list_bitmaps(vk_image *img, vk_bitmap_info **out, size_t *n, vk_error **errp);
void vk_bitmap_info_free(vk_bitmap_info *b, size_t n);

typedef enum vk_bitmap_action {
  VK_BITMAP_ADD, /* a new, empty, enabled bitmap */
  VK_BITMAP_REMOVE,
  VK_BITMAP_CLEAR, /* every bit zero */
  VK_BITMAP_ENABLE,
  VK_BITMAP_DISABLE,
  VK_BITMAP_MERGE, /* OR bitmap `source` (of `src`) into it */
} vk_bitmap_action;

typedef struct vk_bitmap_op {
  vk_bitmap_action action;
  const char *source; /* MERGE: the bitmap merged in */
} vk_bitmap_op;

/* Apply `ops`, in order, to bitmap `name` of the qcow2 image `img` opened
 * read-write (`vimg bitmap`).  ADD makes it with `granularity` bytes per
 * bit (a power of two from 512 to 2 GiB; 0: the cluster size within
 * [4 KiB, 64 KiB], QEMU's default); MERGE reads its source from `src` (a
 * qcow2 image of the same virtual size; NULL: img itself, as the earlier
 * ops left it).  Everything is decided in memory first; then new bitmap
 * data, tables and directory go to new clusters, the header switches to
 * them with one synced write, and the old ones are freed: a crash leaves
 * the old bitmaps or the new ones, and at worst leaked clusters.
 * Errors: VK_EXIT_NOTFOUND (no such bitmap), VK_EXIT_USAGE (a bad
 * granularity or name), VK_EXIT_FAILED (a bitmap of that name exists, a
 * compat=0.10 image or one of size 0, sizes that differ, an in-use
 * bitmap used for anything but REMOVE), VK_EXIT_CORRUPT. */
bool vk_image_bitmap_apply(vk_image *img, const char *name, const vk_bitmap_op *ops, size_t n,
                           uint32_t granularity, vk_image *src, vk_error **errp);

/* Copy every persistent bitmap of the qcow2 image `src` into the qcow2
 * image `dst` (opened read-write, of the same virtual size, without
 * bitmaps of those names): same names, granularities, enabled state and
 * bits (`convert --bitmaps`).  An in-use bitmap of src is VK_EXIT_FAILED,
 * or skipped when `skip_broken`. */
bool vk_image_copy_bitmaps(vk_image *dst, vk_image *src, bool skip_broken, vk_error **errp);

/* Bytes the persistent bitmaps of `img` take in a qcow2 image of
 * `cluster_size` clusters, counted as QEMU's measure does (every data
 * cluster allocated, the tables, the directory); 0 for other formats. */
bool vk_image_bitmaps_size(vk_image *img, uint64_t cluster_size, uint64_t *out, vk_error **errp);

/* Record `name` (NULL: none) of format `fmt` as the backing file of a
 * qcow2 image opened read-write, in its header only: what the image reads
 * is then what its clusters and the new backing file give
 * (vk_image_rebase() keeps the content).  The name is stored as given
 * and resolved against the image's directory when opened.  Raw images
 * have no backing file: VK_EXIT_USAGE. */
bool vk_image_set_backing(vk_image *img, const char *name, vk_image_format fmt, vk_error **errp);

enum {
  VK_REBASE_UNSAFE = 1 << 0, /* header only (-u): no content compared */
};

typedef struct vk_rebase_opts {
  unsigned flags;
  const atomic_int *cancel; /* a signal stops it before the header changes */
  void (*progress)(void *opaque, uint64_t done, uint64_t total);
  void *opaque;
} vk_rebase_opts;

/* Give the qcow2 image `path` the backing file `backing` (NULL or "": none,
 * the image stands alone) of format `bfmt` (VK_FMT_NONE: probed; with
 * VK_REBASE_UNSAFE and a backing file that does not exist, it must be
 * given).  Unless unsafe, what the image reads stays the same: every
 * cluster the image does not have itself, where the old chain and the new
 * backing file read differently, is written into the image with the old
 * content first, and the header changes last, so that an interruption
 * (a crash, a signal: VK_EXIT_FAILED "interrupted") leaves the image on
 * its old backing file reading as before. */
bool vk_image_rebase(const char *path, vk_image_format fmt, const char *backing,
                     vk_image_format bfmt, const vk_rebase_opts *o, vk_error **errp);

typedef struct vk_commit_opts {
  const char *base;         /* -b: commit into this file of the backing chain
                               (as the shell or the chain names it); NULL:
                               the image's own backing file.  Implies drop. */
  bool drop;                /* -d: leave the image as it is afterwards */
  uint64_t rate;            /* -r: at most this many bytes a second; 0: no limit */
  const atomic_int *cancel; /* a signal stops it; the chain reads the same */
  void (*progress)(void *opaque, uint64_t done, uint64_t total);
  void *opaque;
} vk_commit_opts;

/* Write what the qcow2 image `path` (format `fmt`, VK_FMT_NONE: probed)
 * and the layers between it and the base hold into the base (its backing
 * file, or o->base further down): data as the image reads it, and zeros
 * where an upper layer reads zeros over data of the base; a base smaller
 * than the image grows to its size.  Then, unless o->drop or o->base, the
 * image is emptied (every cluster unallocated: it reads what the base now
 * holds).  The base is opened for writing with QEMU's locks first (in
 * use by anyone else: VK_EXIT_BUSY), the image and the layers above the
 * base locked as well.  The base is synced before the image changes, so
 * an interruption (a signal: VK_EXIT_FAILED "interrupted", a crash)
 * leaves a chain that reads as before, with at worst leaked clusters.
 * After a commit into a base below an intermediate layer, that layer
 * still holds its old data: whatever reads it alone sees the base's
 * new content where it has none itself (as with qemu-img commit -b). */
bool vk_image_commit(const char *path, vk_image_format fmt, const vk_commit_opts *o,
                     vk_error **errp);

/* Change the options of an existing image (vimg amend -o): for qcow2,
 * compat (0.10 or 1.1), lazy_refcounts and refcount_bits.  Going to
 * compat=0.10 is refused (VK_EXIT_USAGE, with the reason) for an image
 * that uses what only 1.1 stores: extended L2, zstd, a refcount width
 * other than 16 (unless refcount_bits=16 comes with it), bitmaps, a data
 * file, internal snapshots; zero clusters are written out first (as
 * qemu-img does), one L2 table at a time, the zeros synced before the
 * table changes.  Options vimg cannot change
 * (cluster_size, extended_l2, compression_type, preallocation, the
 * backing file, the size) are usage errors naming what does it instead.
 * The caches are flushed first and the header is rewritten in one write,
 * synced.  A new refcount width rewrites the refcount table and blocks
 * into new clusters past the end of the file, switched to by that one
 * header write (a crash leaves the old width or the new); a refcount the
 * new width cannot hold (a snapshot's shared clusters with
 * refcount_bits=1) is VK_EXIT_FAILED with nothing changed. */
bool vk_image_amend(const char *path, vk_image_format fmt, const char *options, vk_error **errp);

/* Make every cluster of a qcow2 image unallocated (it reads its backing
 * file, or zeros without one), its data clusters freed.  Raw images:
 * VK_EXIT_USAGE. */
bool vk_image_make_empty(vk_image *img, vk_error **errp);

/* Notices: things the library did on its own that a user should hear of
 * (a dirty image repaired when opened for writing).  The function gets
 * one line without a newline; NULL (the default) drops them.  Process-wide. */
typedef void vk_image_notice_fn(const char *msg);
void vk_image_set_notice(vk_image_notice_fn *fn);
/* Send one notice (for the drivers). */
void vk_image_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fill *info for this layer; the strings belong to img. */
bool vk_image_get_info(vk_image *img, vk_image_info *info, vk_error **errp);

#endif
