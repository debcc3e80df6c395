/* vkit — what the osinfo database (osinfo-db) says about an OS variant.
 *
 * The database is a tree of XML files (read with libxml2); an OS is found by
 * its short id ("debian11", "win10").  Devices such as virtio disks are
 * often listed only on an older release the OS derives from, so the
 * lookup follows <derives-from>, <upgrades> and <clones> links.
 */
#ifndef VK_VIRT_OSINFO_H
#define VK_VIRT_OSINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

typedef struct vk_osinfo {
  char *id;                  /* "http://debian.org/debian/11" */
  char *name;                /* "Debian 11" */
  uint64_t recommended_ram;  /* bytes; 0 if the database does not say */
  uint64_t recommended_storage;
  unsigned recommended_vcpus; /* 0 if the database does not say */
  bool virtio_block;         /* supports virtio disks */
  bool virtio_net;           /* supports virtio network cards */
  bool virtio_rng;           /* ... a virtio random number generator */
  bool virtio_gpu;           /* ... virtio graphics */
} vk_osinfo;

/* The database directory: $OSINFO_SYSTEM_DIR, else /usr/share/osinfo. */
const char *vk_osinfo_dir(void);

/* Look `short_id` up in the database under `dir`.  Returns true and fills
 * *out (the caller releases it with vk_osinfo_clear); false with
 * VK_EXIT_NOTFOUND when the database is missing or has no such OS. */
bool vk_osinfo_lookup(const char *dir, const char *short_id, vk_osinfo *out,
                      vk_error **errp);

void vk_osinfo_clear(vk_osinfo *info);

#endif
