/* vkit — storage pools (vctl pool-*): listing, lookup, definition from
 * options (XML built with libxml2) or XML, and their lifecycle.
 */
#ifndef VK_VIRT_POOL_H
#define VK_VIRT_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

typedef struct vk_pool_entry {
  char *name;
  char *uuid;
  char *type;   /* dir, fs, netfs, logical, disk, iscsi, ... */
  char *target; /* the target path (NULL if none) */
  int state;    /* virStoragePoolState */
  bool persistent, autostart;
  uint64_t capacity, allocation, available; /* bytes (0 while inactive) */
} vk_pool_entry;

typedef struct vk_pool_list {
  vk_pool_entry *pools;
  size_t n;
} vk_pool_list;

enum {
  VK_POOL_LIST_ALL = 1 << 0, /* inactive pools too */
};

/* The pools (active ones, or all), by name; `type` (NULL: any) keeps
 * only pools of that type. */
bool vk_pool_list_get(virConnectPtr conn, unsigned flags, const char *type, vk_pool_list *out,
                      vk_error **errp);
void vk_pool_list_free(vk_pool_list *l);

bool vk_pool_info(virStoragePoolPtr pool, vk_pool_entry *out, vk_error **errp);
void vk_pool_entry_clear(vk_pool_entry *e);

/* The pool's type and target path, as its XML says (NULL when absent). */
void vk_pool_type_target(virStoragePoolPtr pool, char **type, char **target);

/* "inactive", "building", "running", "degraded", "inaccessible" */
const char *vk_pool_state_word(int state);

/* A pool by name or UUID: VK_EXIT_NOTFOUND when there is none. */
virStoragePoolPtr vk_pool_lookup(virConnectPtr conn, const char *ident, vk_error **errp);

/* What pool-define-as / pool-create-as say. */
typedef struct vk_pool_spec {
  const char *name;
  const char *type;          /* dir, fs, netfs, logical, disk, iscsi */
  const char *source_host;   /* netfs, iscsi */
  const char *source_path;   /* netfs: the exported directory; iscsi: the target IQN */
  const char *source_dev;    /* fs, disk, logical: a device (logical: a physical volume) */
  const char *source_name;   /* logical: the volume group */
  const char *source_format; /* fs: ext4, ...; netfs: nfs, cifs; disk: dos, gpt */
  const char *target;        /* the directory (dir, fs, netfs) or device directory */
} vk_pool_spec;

/* The pool XML for *s; VK_EXIT_USAGE naming what the type lacks. */
char *vk_pool_xml_build(const vk_pool_spec *s, vk_error **errp);

enum {
  VK_POOL_CREATE = 1 << 0, /* start it (transient unless defined) */
  VK_POOL_BUILD = 1 << 1,  /* build it first (the directory, the file system, ...) */
};

/* Define (or with VK_POOL_CREATE only, create a transient) pool from
 * XML.  A name taken is VK_EXIT_BUSY. */
virStoragePoolPtr vk_pool_define(virConnectPtr conn, const char *xml, unsigned flags,
                                 vk_error **errp);

/* Start, stop, build, delete (what build made: the directory, the
 * volume group...), undefine, autostart, refresh. *was (may be NULL):
 * it was already in that state (nothing done). */
bool vk_pool_start(virStoragePoolPtr pool, bool build, bool *was, vk_error **errp);
bool vk_pool_destroy(virStoragePoolPtr pool, bool *was, vk_error **errp);
bool vk_pool_build(virStoragePoolPtr pool, vk_error **errp);
bool vk_pool_delete(virStoragePoolPtr pool, vk_error **errp);
bool vk_pool_undefine(virStoragePoolPtr pool, vk_error **errp);
bool vk_pool_set_autostart(virStoragePoolPtr pool, bool on, vk_error **errp);
bool vk_pool_refresh(virStoragePoolPtr pool, vk_error **errp);
char *vk_pool_xml(virStoragePoolPtr pool, bool inactive, vk_error **errp);

void vk_cleanup_pool(virStoragePoolPtr *p);
#define CLEANUP_POOL __attribute__((cleanup(vk_cleanup_pool)))

/* A pool error: "<what> pool '<name>': <libvirt's message>". */
bool vk_pool_error(vk_error **errp, virStoragePoolPtr pool, const char *what);

#endif
