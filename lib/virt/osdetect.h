/* vkit — which OS an install ISO or tree holds, and the known OS ids,
 * asked of libosinfo (the library and database virt-install uses).
 *
 * Looking an id up (osinfo.h) reads the database's files directly; telling
 * an OS from its media needs the database's media and tree patterns
 * (volume ids, .treeinfo families), which libosinfo matches.
 */
#ifndef VK_VIRT_OSDETECT_H
#define VK_VIRT_OSDETECT_H

#include <stdbool.h>

#include "util/error.h"

/* The short id ("debian11") of the OS on the ISO image or in the install
 * tree (a directory with .treeinfo) at `path`, read with the database
 * under `dir`.  Returns a string the caller frees, or NULL with *errp
 * set: VK_EXIT_NOTFOUND when the database knows no such media. */
char *vk_osinfo_detect(const char *dir, const char *path, vk_error **errp);

/* Every OS short id the database under `dir` knows, sorted, NULL-
 * terminated (free with vk_strv_free), or NULL with *errp set. */
char **vk_osinfo_list(const char *dir, vk_error **errp);

#endif
