/* vkit — reading a domain's XML (libxml2): disks, interfaces, graphics,
 * for the inspection commands and for storage removal. */
#ifndef VK_VIRT_DOMPARSE_H
#define VK_VIRT_DOMPARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

typedef struct vk_disk_info {
  char *type;        /* file, block, network, volume, dir (attribute "type") */
  char *device;      /* disk, cdrom, floppy, lun */
  char *target;      /* vda */
  char *bus;         /* virtio, sata, ... (NULL if absent) */
  char *format;      /* driver type: qcow2, raw (NULL if absent) */
  char *source;      /* file path, device, pool/volume, or protocol name; NULL if empty */
  bool readonly, shareable;
} vk_disk_info;

typedef struct vk_iface_info {
  char *type;        /* network, bridge, direct, user, ... */
  char *source;      /* network name, bridge, device (NULL if none) */
  char *target;      /* host-side device (NULL while not running) */
  char *model;       /* virtio, e1000 (NULL if absent) */
  char *mac;
} vk_iface_info;

typedef struct vk_graphics_info {
  char *type;        /* vnc, spice, ... */
  int port;          /* -1 if not (yet) allocated */
  char *listen;      /* listen address (NULL if absent) */
  char *passwd_set;  /* non-NULL when a password is configured */
} vk_graphics_info;

typedef struct vk_domxml {
  vk_disk_info *disks;
  size_t ndisks;
  vk_iface_info *ifaces;
  size_t nifaces;
  vk_graphics_info *graphics;
  size_t ngraphics;
  char *os_type;     /* hvm, linux, ... */
} vk_domxml;

/* Parse domain XML.  Returns false with *errp set (VK_EXIT_FAILED) when
 * the document cannot be parsed.  Free with vk_domxml_free(). */
bool vk_domxml_parse(const char *xml, vk_domxml *out, vk_error **errp);
void vk_domxml_free(vk_domxml *d);

/* Parse the XML of `dom` (live, or the persistent definition when
 * `inactive`).  Returns false with *errp set. */
bool vk_domxml_get(virDomainPtr dom, bool inactive, vk_domxml *out, vk_error **errp);

/* The VNC display of a running domain as virsh prints it: "HOST:N" (N =
 * port - 5900; HOST empty when listening on all addresses).  Returns a
 * string the caller frees, or NULL with *errp set: VK_EXIT_BUSY when the
 * domain is not running, VK_EXIT_NOTFOUND when it has no VNC display. */
char *vk_domain_vnc_display(virDomainPtr dom, vk_error **errp);

#endif
