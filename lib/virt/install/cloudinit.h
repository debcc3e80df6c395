/* vkit — vinstall's cloud-init: the NoCloud seed of a cloud image.
 *
 * --cloud-init (and --ssh-key, --hostname) fill a vk_cloudinit;
 * vk_cloudinit_prepare() reads the user's files and composes user-data
 * and meta-data in memory (so that every mistake is found before anything
 * is made); vk_cloudinit_write() writes the seed ISO (ISO 9660, Rock Ridge
 * and Joliet, volume id "cidata", the files at its root) to seed_path.
 */
#ifndef VK_VIRT_INSTALL_CLOUDINIT_H
#define VK_VIRT_INSTALL_CLOUDINIT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

typedef struct vk_cloudinit {
  bool enabled; /* --cloud-init, --ssh-key or --hostname given */
  bool bare;    /* --cloud-init without sub-options */
  char *user_data, *meta_data, *network_config, *vendor_data; /* files */
  bool root_password_generate;
  char *root_password_file;
  char *root_ssh_key, *clouduser_ssh_key; /* files */
  bool disable;                           /* cloud-init runs once; the seed leaves the definition */
  char *hostname;                         /* --hostname, or NULL */

  /* Filled in by vk_cloudinit_prepare(). */
  char *root_password; /* generated or read, or NULL */
  char *instance_id;   /* of the meta-data vinstall wrote, or NULL */
  char *seed_path;     /* where the seed goes */
  struct vk_cloudinit_file {
    char *name;
    char *data;
    size_t len;
  } files[4];
  size_t nfiles;
  bool seed_created; /* by vk_cloudinit_write (for rollback) */
} vk_cloudinit;

/* Apply --cloud-init's value (NULL or "" for the bare option). */
bool vk_cloudinit_option(vk_cloudinit *ci, const char *value, vk_error **errp);

/* Read the files, generate the password, compose user-data and meta-data
 * for a domain called `name`; the seed goes to `seed_path` (taken).
 * Returns false with *errp set (VK_EXIT_USAGE for options that do not go
 * together, VK_EXIT_NOTFOUND for a missing file). */
bool vk_cloudinit_prepare(vk_cloudinit *ci, const char *name, char *seed_path, vk_error **errp);

/* Write the seed ISO; false with *errp set (nothing is left behind). */
bool vk_cloudinit_write(vk_cloudinit *ci, vk_error **errp);

/* A hostname made of a domain name: letters, digits and '-' only. */
char *vk_cloudinit_hostname(const char *name);

void vk_cloudinit_clear(vk_cloudinit *ci);

#endif
