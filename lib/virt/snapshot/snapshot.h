/* vkit — domain snapshots through libvirt (vctl snapshot-*).
 *
 * Internal snapshots live in the guest's qcow2 images (memory included
 * for a running guest).  External snapshots put a new overlay on top of
 * each disk; vkit makes those overlays itself with its image engine (the
 * base's qcow2 options kept) and hands them to libvirt as "reuse
 * external", so that a failure anywhere leaves no overlay behind and the
 * domain on its original disks.
 */
#ifndef VK_VIRT_SNAPSHOT_H
#define VK_VIRT_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

/* One snapshot as listed and shown. */
typedef struct vk_snap {
  char *name;
  char *parent;          /* NULL for a root */
  char *description;     /* NULL if none */
  int64_t creation_time; /* seconds since the epoch */
  char *state;           /* the domain's state it holds: running, paused,
                            shutoff, disk-snapshot */
  bool current;
  bool external;     /* memory or a disk saved outside the images */
  bool metadata;     /* libvirt keeps metadata for it */
  char *memory;      /* memory: internal, external or no */
  char *memory_file; /* external memory: its file, else NULL */
  size_t ndisks;     /* the disks the snapshot covers (snapshot != no) */
  struct vk_snap_disk {
    char *target; /* vda */
    char *kind;   /* internal, external */
    char *file;   /* external: the overlay, else NULL */
  } * disks;
  int children, descendants;
} vk_snap;

void vk_snap_clear(vk_snap *s);
void vk_snap_list_free(vk_snap *s, size_t n);

/* Filters of vk_snapshot_list(), virsh's. */
enum {
  VK_SNAP_ROOTS = 1 << 0,       /* only snapshots without a parent */
  VK_SNAP_LEAVES = 1 << 1,      /* only snapshots without children */
  VK_SNAP_INTERNAL = 1 << 2,    /* only internal ones */
  VK_SNAP_EXTERNAL = 1 << 3,    /* only external ones */
  VK_SNAP_DESCENDANTS = 1 << 4, /* with `from`: all descendants, not only children */
};

/* The snapshots of `dom` matching `flags`, sorted by creation time (then
 * name); with `from` (a snapshot name), only its children (all its
 * descendants with VK_SNAP_DESCENDANTS).  *out is a new array of *n
 * entries (vk_snap_list_free()).  An unknown `from` is VK_EXIT_NOTFOUND. */
bool vk_snapshot_list(virDomainPtr dom, unsigned flags, const char *from, vk_snap **out, size_t *n,
                      vk_error **errp);

/* Find snapshot `name` of `dom` (NULL: the current one).  Returns a new
 * reference (virDomainSnapshotFree) or NULL with *errp set:
 * VK_EXIT_NOTFOUND for no such snapshot, or no current one. */
virDomainSnapshotPtr vk_snapshot_lookup(virDomainPtr dom, const char *name, vk_error **errp);

/* What vk_snapshot_list() reports, for one snapshot. */
bool vk_snapshot_get(virDomainSnapshotPtr snap, vk_snap *out, vk_error **errp);

/* The snapshot's XML, with security-sensitive data (VNC passwords) when
 * `secure`.  A new string, or NULL with *errp set. */
char *vk_snapshot_xml(virDomainSnapshotPtr snap, bool secure, vk_error **errp);

/* What snapshot-create-as asks for, in virsh's terms. */
typedef struct vk_snap_spec {
  const char *name; /* NULL: the current time in seconds, like libvirt */
  const char *description;
  const char *memspec;          /* "[file=]PATH[,snapshot=external|internal|no]" */
  const char *const *diskspecs; /* "TARGET[,snapshot=external|internal|no]
                                   [,driver=qcow2][,file=PATH]" each */
  size_t ndiskspecs;
  bool disk_only;      /* external overlays for the disks, no memory */
  bool live;           /* external memory while the guest runs */
  bool quiesce;        /* freeze the guest's filesystems (agent) */
  bool atomic;         /* all disks or none (always so for external disks) */
  bool no_metadata;    /* libvirt keeps no record of it */
  bool reuse_external; /* the overlays exist already: use them */
} vk_snap_spec;

/* Take a snapshot.  Disks given external (--disk-only, or a diskspec
 * with snapshot=external or file=) get new qcow2 overlays made here
 * unless reuse_external: the default name is the disk's file name with
 * its extension replaced by the snapshot name (libvirt's rule); an
 * existing file is refused (VK_EXIT_BUSY) before anything is made.  On
 * failure every overlay made here is removed again.  An internal snapshot
 * of a disk that is not qcow2 is refused before libvirt is asked
 * (VK_EXIT_FAILED, naming the disk).  Returns the new snapshot (a
 * reference; with no_metadata none: NULL and true) or false. */
bool vk_snapshot_create_as(virDomainPtr dom, const vk_snap_spec *spec, virDomainSnapshotPtr *out,
                           vk_error **errp);

/* Take a snapshot described by libvirt snapshot XML, with
 * virDomainSnapshotCreateFlags.  Same rule for out as above. */
bool vk_snapshot_create_xml(virDomainPtr dom, const char *xml, unsigned flags,
                            virDomainSnapshotPtr *out, vk_error **errp);

/* Revert the domain to the snapshot (virDomainSnapshotRevertFlags). */
bool vk_snapshot_revert(virDomainSnapshotPtr snap, unsigned flags, vk_error **errp);

/* Delete (virDomainSnapshotDeleteFlags). */
bool vk_snapshot_delete(virDomainSnapshotPtr snap, unsigned flags, vk_error **errp);

/* The default overlay file of an external snapshot `snap` of disk file
 * `file`: the extension of the last path component replaced by ".snap",
 * or ".snap" appended when there is none (libvirt's naming).  A new
 * string or NULL (out of memory). */
char *vk_snapshot_overlay_name(const char *file, const char *snap);

void vk_cleanup_snapshot(virDomainSnapshotPtr *p);
#define CLEANUP_SNAPSHOT __attribute__((cleanup(vk_cleanup_snapshot)))

#endif
