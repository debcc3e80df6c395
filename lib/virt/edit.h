/* vkit — `edit`, `net-edit`, `pool-edit`, `snapshot-edit`: a persistent definition read,
 * edited (util/edit.h) and defined again, refused when the edit renamed
 * the object or changed its UUID, or when someone else changed the
 * definition meanwhile. */
#ifndef VK_VIRT_EDIT_H
#define VK_VIRT_EDIT_H

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

typedef enum { VK_EDIT_DOMAIN, VK_EDIT_NETWORK, VK_EDIT_POOL, VK_EDIT_SNAPSHOT } vk_edit_kind;

typedef struct vk_virt_edit {
  vk_edit_kind kind;
  void *obj;  /* virDomainPtr, virNetworkPtr, virStoragePoolPtr or
                 virDomainSnapshotPtr (not owned) */
  char *orig; /* the definition when the edit began */
} vk_virt_edit;

/* Read obj's persistent definition into e->orig.  A transient object
 * has none: VK_EXIT_BUSY.  Returns false with *errp set. */
bool vk_virt_edit_begin(vk_virt_edit *e, vk_edit_kind kind, void *obj, vk_error **errp);

/* Define `edited` (a vk_edit_apply for vk_cmd_edit(), opaque = e),
 * validated against libvirt's schema.  Refused (VK_EXIT_USAGE) when it
 * is not well-formed, is another kind of object, renames it or changes
 * its UUID; VK_EXIT_BUSY when the definition is no longer e->orig.  A
 * snapshot is redefined (and stays the current one if it was). */
bool vk_virt_edit_apply(const char *edited, void *opaque, vk_error **errp);

void vk_virt_edit_clear(vk_virt_edit *e);

#endif
