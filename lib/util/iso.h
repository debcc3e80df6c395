/* vkit — ISO 9660 images, written and read with libarchive.
 *
 * vinstall writes a NoCloud seed (a small ISO 9660 volume with Rock Ridge
 * and Joliet names, labelled "cidata") and, for --location, reads the
 * kernel and initrd out of an install ISO.  libarchive does the format
 * work both ways; the only bytes vkit touches itself are the volume
 * identifiers of the volume descriptors (vk_iso_volume_id reads the
 * primary one; vk_iso_write puts a lower-case label back).
 */
#ifndef VK_UTIL_ISO_H
#define VK_UTIL_ISO_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

typedef struct vk_iso_file {
  const char *name; /* at the root of the volume: "user-data" */
  const char *data;
  size_t len;
} vk_iso_file;

/* Write an ISO 9660 image holding `files` at its root to `path` (created,
 * never overwritten: an existing file is VK_EXIT_BUSY), volume id `label`
 * (kept lower case, as NoCloud's "cidata" must read), with Rock Ridge and
 * Joliet names.  The file is created with `mode`.  On failure nothing is
 * left at `path`.  Returns false with *errp set. */
bool vk_iso_write(const char *path, const char *label, const vk_iso_file *files, size_t n,
                  unsigned mode, vk_error **errp);

/* The volume identifier of an ISO 9660 image (trailing blanks removed),
 * in a string the caller frees.  NULL with *errp set when `path` cannot
 * be read or is no ISO 9660 image (VK_EXIT_USAGE). */
char *vk_iso_volume_id(const char *path, vk_error **errp);

/* Is `path` an ISO 9660 image (a primary volume descriptor at 32 KiB)? */
bool vk_iso_is_iso(const char *path);

/* Read member `name` ("install.amd/vmlinuz"; no leading '/', matched
 * without case when the image has no Rock Ridge names) of the ISO image
 * `iso`.  With `dest`, the member is written to that new file (mode 0644)
 * and *data is left alone; without, at most `max` bytes are returned in
 * *data (NUL-terminated, the caller frees) and *len.  Returns false with
 * *errp set: VK_EXIT_NOTFOUND when the image has no such member. */
bool vk_iso_read(const char *iso, const char *name, const char *dest, size_t max, char **data,
                 size_t *len, vk_error **errp);

/* The index of the first of `names` (regular files, named as for
 * vk_iso_read) that the ISO image `iso` has, or -1 (also when the image
 * cannot be read).  One pass over the image's directories. */
int vk_iso_find(const char *iso, const char *const *names, size_t n);

/* Append to the file `path` a gzip-compressed newc cpio archive holding
 * the files `files` (each stored at the root under its base name), as
 * the kernel reads concatenated initramfs archives.  Returns false with
 * *errp set; the file may then have a partial tail (callers use a copy). */
bool vk_cpio_append(const char *path, char *const *files, size_t n, vk_error **errp);

#endif
