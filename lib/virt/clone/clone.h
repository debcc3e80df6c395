/* vkit — cloning a domain (what virt-clone does) behind vclone.
 *
 *   vk_clone_opts o;  vk_clone_opts_init(&o);  ... fill o ...
 *   vk_clone c;
 *   vk_clone_plan(&c, conn, &o, &err);   checks everything, creates nothing:
 *                                         names, UUID, MACs, disk paths,
 *                                         free space, the new XML (c.xml)
 *   vk_clone_run(&c, conn, &err);        copies, defines; on any failure
 *                                         (or o.cancel set) removes all it made
 *   vk_clone_clear(&c);
 *
 * The original is never modified.  Copies are written under temporary
 * names next to their targets and renamed into place only once every copy
 * is complete and the new domain is defined, so an interrupted clone never
 * leaves a half-written image under a name a domain refers to.
 */
#ifndef VK_VIRT_CLONE_H
#define VK_VIRT_CLONE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"
#include "util/json.h"

/* How a disk of the clone was made. */
typedef enum vk_clone_how {
  VK_CLONE_COPY = 0,    /* data copied by the image engine */
  VK_CLONE_LINKED,      /* qcow2 overlay backed by the original's disk */
  VK_CLONE_REFLINK,     /* FICLONE: the filesystem shares the extents */
  VK_CLONE_SHARED,      /* not copied: cdrom, floppy, read-only, shareable, empty */
  VK_CLONE_SKIPPED,     /* not copied because of --skip-copy */
  VK_CLONE_PRESERVED,   /* --preserve-data: the given file used as it is */
} vk_clone_how;

/* "copy", "linked", "reflink", "shared", "skipped", "preserved". */
const char *vk_clone_how_name(vk_clone_how how);

typedef struct vk_clone_opts {
  const char *original;        /* name or UUID of a defined domain, or NULL */
  const char *original_xml;    /* file holding the original's XML, or NULL */
  const char *name;            /* new name; NULL with auto_clone */
  bool auto_clone;             /* name ORIG-clone[N] and derived paths */
  const char **files;          /* --file paths, one per copied disk, in order */
  size_t nfiles;
  const char **skip;           /* --skip-copy targets */
  size_t nskip;
  const char **force;          /* --force-copy targets */
  size_t nforce;
  const char **macs;           /* --mac values ("RANDOM" allowed) */
  size_t nmacs;
  const char *uuid;            /* new UUID, or NULL for a random one */
  const char *nvram;           /* new NVRAM path, or NULL for DIR/NAME_VARS.fd */
  bool preserve_data, nonsparse, reflink, linked, replace;
  bool sync;                   /* sync the copies before they are renamed into place */
  bool check_path_in_use;      /* default true */
  bool check_path_exists;      /* default true */
  /* Checked between pieces of work; non-zero stops the clone, which then
   * fails with "interrupted" after removing what it made.  May be NULL. */
  const atomic_int *cancel;       /* see util/cancel.h */
  /* Called with bytes copied so far and the total over all copied disks. */
  void (*progress)(void *opaque, uint64_t done, uint64_t total);
  void *opaque;
} vk_clone_opts;

/* One disk of the clone. */
typedef struct vk_clone_disk {
  char *target;       /* vda */
  char *device;       /* disk, cdrom, floppy, lun */
  char *source;       /* the original's path (NULL: empty drive) */
  char *path;         /* the clone's path (= source when not copied) */
  char *format;       /* the clone's format: raw, qcow2 */
  char *src_format;   /* the original's format */
  uint64_t size;      /* virtual size in bytes (0 when not looked at) */
  uint64_t need;      /* bytes the copy may allocate on the target */
  vk_clone_how how;
  char *create_opts;  /* qcow2 creation options of the copy ("cluster_size=...") */
  char *backing;      /* backing file the copy records, or NULL */
  char *backing_fmt;  /* its format, or NULL */
  char *src_pool;     /* a volume disk: the original's pool and volume */
  char *src_volume;
  char *src_pool_dir; /* that pool's directory, when the engine writes there */
  char *pool;         /* the clone's volume (same pool), NULL for a file */
  char *volume;
  /* run state */
  char *tmp;          /* temporary file being written, or NULL */
  bool created;       /* `path` was made by this clone */
} vk_clone_disk;

typedef struct vk_clone {
  char *orig_name;
  char *name;
  char uuid[VIR_UUID_STRING_BUFLEN];
  char **macs;                 /* the clone's MACs, one per interface */
  size_t nmacs;
  vk_clone_disk *disks;
  size_t ndisks;
  char *nvram_src, *nvram;     /* UEFI variable store: original's, clone's */
  char *nvram_tmp;
  bool nvram_created;
  char *xml;                   /* the clone's domain XML */
  bool replace_existing;       /* --replace found a domain to undefine */
  char *old_xml;               /* its definition, to restore on failure */
  char *old_nvram;             /* its NVRAM file */
  bool old_undefined;
  const vk_clone_opts *opts;   /* not owned */
  virDomainPtr dom;            /* after vk_clone_run() */
  bool defined;
} vk_clone;

/* Defaults: everything off, both checks on. */
void vk_clone_opts_init(vk_clone_opts *o);

/* Work out the whole clone and check it: the original exists (NOTFOUND)
 * and is shut off (BUSY), the new name and UUID are free (BUSY, unless
 * --replace for the name), the target files do not exist, the sources are
 * not in use by a running VM (BUSY), there is room for the copies on each
 * target filesystem, the options fit the original (USAGE).  A disk that is
 * a volume of a directory pool is copied into a new volume of that pool
 * (named as a file would be), unless a --file is given for it; the pool
 * is refreshed once the copy is in place.  Creates
 * nothing.  On success fills *c (release with vk_clone_clear()); *o must
 * outlive *c. */
bool vk_clone_plan(vk_clone *c, virConnectPtr conn, const vk_clone_opts *o,
                   vk_error **errp);

/* Make the clone planned in *c: undefine the domain --replace replaces,
 * copy the disks and the NVRAM file, define the new domain (c->dom).  On
 * failure or cancellation everything this call created is removed and
 * the new domain is undefined; returns false with *errp set. */
bool vk_clone_run(vk_clone *c, virConnectPtr conn, vk_error **errp);

/* Write the made clone to j as one JSON object (name, uuid, original,
 * disks with target, device, source, path, format, size, allocation and
 * how, macs, nvram): the report of vclone --json. */
void vk_clone_report_json(const vk_clone *c, vk_json *j);

/* Release what *c owns. */
void vk_clone_clear(vk_clone *c);

/* ---- pieces, exposed for the unit test ---- */

/* The auto-clone name for `orig` as virt-clone makes it: "ORIG-clone",
 * else "ORIG-clone1", "ORIG-clone2", ... ("X-clone3" goes on with
 * "X-clone4").  `taken` says whether a name is in use.  Returns a new
 * string or NULL when out of memory. */
char *vk_clone_auto_name(const char *orig, bool (*taken)(void *opaque, const char *name),
                         void *opaque);

/* A path for the clone of disk `path` of domain `orig` renamed to `name`:
 * "DIR/NAME.EXT" when the file is called after the domain, else
 * "DIR/BASE-clone.EXT"; "-1", "-2", ... is appended to the base while
 * `taken` says the path exists.  Returns a new string or NULL. */
char *vk_clone_disk_path(const char *path, const char *orig, const char *name,
                         bool (*taken)(void *opaque, const char *path), void *opaque);

/* True for "52:54:00:12:ab:CD"-style MAC addresses (unicast). */
bool vk_clone_mac_valid(const char *mac);

/* Normalise a UUID ("8-4-4-4-12" hex, or 32 hex digits) into out; false
 * when it is not one. */
bool vk_clone_uuid_parse(const char *s, char out[VIR_UUID_STRING_BUFLEN]);

#endif
