/* vkit — what the clone modules share (not a public API). */
#ifndef VK_VIRT_CLONE_INT_H
#define VK_VIRT_CLONE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"
#include "virt/clone/clone.h"

#define VK_CLONE_MAC_BUFLEN 18

/* Fill buf with len random bytes (getrandom). */
/* A random version-4 UUID. */
bool vk_clone_random_uuid(char out[VIR_UUID_STRING_BUFLEN], vk_error **errp);
/* A random MAC address with libvirt's prefix 52:54:00. */
bool vk_clone_random_mac(char out[VK_CLONE_MAC_BUFLEN], vk_error **errp);

/* The clone's domain XML: the original's (orig_xml) with c's name, UUID,
 * MACs, disk paths and formats and NVRAM path, and without what belongs
 * to the original alone (id, title, host-side interface names, fixed
 * graphics ports).  Written through libxml2.  Returns a new string or
 * NULL with *errp set. */
char *vk_clone_xml_build(const char *orig_xml, const vk_clone *c, vk_error **errp);

/* The name and the NVRAM path (os/nvram; *nvram NULL when none) in a
 * domain XML; new strings.  False with *errp set (USAGE) when the XML is
 * not a domain description or has no name. */
bool vk_clone_xml_read(const char *xml, char **name, char **nvram, vk_error **errp);

/* Copy the disks and the NVRAM file of c into temporary files next to
 * their targets (disk->tmp, c->nvram_tmp).  Returns false with *errp set;
 * what was made stays recorded in c for vk_clone_discard(). */
bool vk_clone_copy_all(vk_clone *c, vk_error **errp);

/* Rename every temporary file into place (refusing to replace a file
 * unless the path_exists check is off).  Returns false with *errp set. */
bool vk_clone_commit_files(vk_clone *c, vk_error **errp);

/* Remove every file the clone made (temporary and renamed). */
void vk_clone_discard(vk_clone *c);

#endif
