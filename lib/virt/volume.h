/* vkit — storage volumes (vctl vol-*).  In a directory pool the image
 * files are made, resized and copied by the vkit image engine (qcow2 with
 * its options, the image locks honoured), and the pool refreshed after;
 * other pools use libvirt's own storage backends.
 */
#ifndef VK_VIRT_VOLUME_H
#define VK_VIRT_VOLUME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

typedef struct vk_vol_entry {
  char *name;
  char *path;
  char *key;
  const char *type;    /* file, block, dir, network, netdir, ploop */
  char *format;        /* raw, qcow2, ... (NULL if unknown) */
  uint64_t capacity;   /* virtual size, bytes */
  uint64_t allocation; /* bytes on disk */
} vk_vol_entry;

typedef struct vk_vol_list {
  vk_vol_entry *vols;
  size_t n;
} vk_vol_list;

bool vk_vol_list_get(virStoragePoolPtr pool, vk_vol_list *out, vk_error **errp);
void vk_vol_list_free(vk_vol_list *l);
bool vk_vol_info(virStorageVolPtr vol, vk_vol_entry *out, vk_error **errp);
void vk_vol_entry_clear(vk_vol_entry *e);

/* A volume by its name in `pool` (may be NULL), else by its path or key.
 * VK_EXIT_NOTFOUND when none matches. */
virStorageVolPtr vk_vol_lookup(virConnectPtr conn, virStoragePoolPtr pool, const char *ident,
                               vk_error **errp);

typedef struct vk_vol_spec {
  const char *name;
  uint64_t capacity;
  const char *format;         /* raw (default), qcow2, or another libvirt knows */
  const char *backing;        /* a backing volume (name in the pool, path or key) */
  const char *backing_format; /* its format (NULL: probed) */
  bool prealloc_metadata;     /* qcow2: preallocation=metadata */
  const char *options;        /* qcow2 creation options (k=v,...) for the engine */
  bool sparse;                /* through libvirt: allocation 0 (else libvirt's default) */
} vk_vol_spec;

/* Create a volume: a directory pool's by the engine, another's through
 * libvirt.  A name taken is VK_EXIT_BUSY.  Returns the new volume. */
virStorageVolPtr vk_vol_create(virStoragePoolPtr pool, const vk_vol_spec *s, vk_error **errp);

/* The same through libvirt's storage backend, whatever the pool (for a
 * pool on another host, whose files the engine cannot reach). */
virStorageVolPtr vk_vol_create_libvirt(virStoragePoolPtr pool, const vk_vol_spec *s,
                                       vk_error **errp);

/* Create a volume from libvirt volume XML (name, capacity, target format,
 * backingStore); in a directory pool with the engine. */
virStorageVolPtr vk_vol_create_xml(virStoragePoolPtr pool, const char *xml, vk_error **errp);

/* A copy of `src` (any pool) as a new volume `name` (format: `format`,
 * NULL: src's) in `pool`; with the engine when `pool` is a directory and
 * `src` a file.  `cancel` (may be NULL) stops it; the partial copy goes. */
virStorageVolPtr vk_vol_copy(virStoragePoolPtr pool, const char *name, const char *format,
                             virStorageVolPtr src, const atomic_int *cancel, vk_error **errp);

/* The copy `xml` describes (its name and target format), as vk_vol_copy(). */
virStorageVolPtr vk_vol_copy_xml(virStoragePoolPtr pool, const char *xml, virStorageVolPtr src,
                                 const atomic_int *cancel, vk_error **errp);

/* Resize to `amount` bytes (sign 0) or by it (+1 grows, -1 shrinks); a
 * smaller size needs `shrink` (VK_EXIT_USAGE otherwise). */
bool vk_vol_resize(virStorageVolPtr vol, int sign, uint64_t amount, bool shrink, vk_error **errp);
bool vk_vol_delete(virStorageVolPtr vol, vk_error **errp);
bool vk_vol_wipe(virStorageVolPtr vol, vk_error **errp);

/* Upload `file` into the volume, download the volume into `file` (a new
 * file, written sparse: holes stay holes); `progress` (may be NULL) gets
 * (done, total).  A download that fails removes its file. */
bool vk_vol_upload(virStorageVolPtr vol, const char *file,
                   void (*progress)(void *, uint64_t, uint64_t), void *opaque, vk_error **errp);
bool vk_vol_download(virStorageVolPtr vol, const char *file,
                     void (*progress)(void *, uint64_t, uint64_t), void *opaque, vk_error **errp);

/* The target directory of a directory pool whose files the engine can
 * reach: the pool's daemon is this host's and the directory is here (a
 * new string).  NULL for any other pool (libvirt's backends do the work). */
char *vk_vol_pool_dir(virStoragePoolPtr pool);

bool vk_vol_error(vk_error **errp, virStorageVolPtr vol, const char *what);
void vk_cleanup_vol(virStorageVolPtr *v);
#define CLEANUP_VOL __attribute__((cleanup(vk_cleanup_vol)))

#endif
