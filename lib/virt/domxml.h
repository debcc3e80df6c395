/* vkit — libvirt domain XML built with libxml2 from a plain description.
 *
 * A vk_domspec says what the new machine looks like; vk_domxml_build()
 * turns it into libvirt domain XML.  Every name, path and string reaches the
 * XML through libxml2 (text nodes and attribute values), so quotes, '&', '<'
 * and spaces are always escaped correctly.  Filling in defaults (disk
 * targets, the network, firmware) is the caller's job (see install.h); the
 * builder writes what it is given.
 */
#ifndef VK_VIRT_DOMXML_H
#define VK_VIRT_DOMXML_H

#include <stdbool.h>
#include <string.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* The namespace of the domain metadata element <vkit:seed path='...'/>
 * that names vinstall's cloud-init seed, so that undefine
 * --remove-all-storage removes it with the disks. */
#define VK_SEED_NS "http://vkit.invalid/xmlns/seed/1"

typedef struct vk_disk_spec {
  char *path;            /* image, ISO or device; NULL: empty cdrom drive */
  char *format;          /* "raw" or "qcow2"; NULL: let libvirt decide */
  char *bus;             /* "virtio", "sata", "scsi", "ide" */
  char *cache;           /* libvirt cache mode, or NULL */
  char *backing;         /* backing file of an image to create, or NULL */
  char *backing_format;  /* its format, or NULL */
  char *device;          /* "disk" or "cdrom" */
  char *target;          /* "vda", "sdb", ...: set before building */
  uint64_t size;         /* bytes to create; 0: an existing image */
  bool readonly;
  bool shareable;        /* <shareable/>: other guests may use it too */
  char *serial;          /* <serial>, or NULL */
  char *discard;         /* unmap|ignore, or NULL */
  char *detect_zeroes;   /* on|off|unmap, or NULL */
  char *io;              /* native|threads|io_uring, or NULL */
  unsigned boot_order;   /* <boot order=N/>; 0: none */
  bool target_given;     /* target= said: not named by the installer */
  bool block;            /* type=block: a host block device */
  bool preallocate;      /* sparse=off: all the image's space allocated */
  char *pool;            /* pool=: a new volume in this storage pool */
  char *vol;             /* vol=POOL/VOL: an existing volume */
  bool seed;             /* vinstall's cloud-init seed (a cdrom) */
  bool media;            /* the install medium (--cdrom): emptied after */
  bool create;           /* the image is created by the install */
  bool created;          /* ... and was created (for rollback) */
} vk_disk_spec;

/* Begin the JSON object of one disk in a report (vinstall's, vclone's):
 * target, device, path, format; the caller adds its keys and ends it. */
struct vk_json;
void vk_disk_json_begin(struct vk_json *j, const char *target, const char *device, const char *path,
                        const char *format);

/* A CD-ROM drive (device=cdrom). */
static inline bool
vk_disk_is_cdrom(const vk_disk_spec *d)
{
  return d->device && strcmp(d->device, "cdrom") == 0;
}

typedef struct vk_net_spec {
  char *type;            /* "network", "bridge" or "user" */
  char *source;          /* network or bridge name; NULL for user */
  char *model;           /* "virtio", "e1000", ... */
  char *mac;             /* "52:54:00:..." or NULL: libvirt picks one */
  char *target;          /* the host-side device name, or NULL */
  char *mode;            /* type direct: bridge, vepa, private, passthrough */
} vk_net_spec;

typedef struct vk_chardev_spec {
  char *type;            /* "pty" or "file" */
  char *path;            /* for "file" */
} vk_chardev_spec;

/* A device (or other element) given as a small tree: the install options
 * that add devices (--channel, --rng, --tpm, ...) describe them so, and
 * the builder writes them with libxml2 like everything else. */
typedef struct vk_elem {
  char *name;
  char *text;    /* text content, or NULL */
  char **attrs;  /* name, value, name, value, ... */
  size_t nattrs; /* pairs */
  struct vk_elem *kids;
  size_t nkids;
} vk_elem;

/* Append an element called `name` to the array *v of *n elements; a
 * pointer to it (valid until the next append to the same array), or NULL
 * when out of memory. */
vk_elem *vk_elem_add(vk_elem **v, size_t *n, const char *name);
/* Set attribute `name` (a NULL value sets nothing); false when out of memory. */
bool vk_elem_attr(vk_elem *e, const char *name, const char *value);
void vk_elem_clear(vk_elem *e);

typedef struct vk_domspec {
  char *name;
  char *uuid;            /* NULL: libvirt makes one up */
  char *virt_type;       /* "kvm" or "qemu" */
  char *arch;            /* "x86_64", ... or NULL */
  char *machine;         /* "q35", "pc", ... or NULL */
  uint64_t memory_kib;
  unsigned vcpus, maxvcpus;          /* maxvcpus 0: same as vcpus */
  unsigned sockets, cores, threads;  /* 0 each: no topology */
  char *cpu_mode;        /* "host-passthrough", "host-model", "custom" or NULL */
  char *cpu_model;       /* for "custom" */
  char **cpu_disable;    /* features to disable */
  size_t ncpu_disable;
  char **cpu_require; /* features to require */
  size_t ncpu_require;
  char *cpuset;            /* host CPUs the vCPUs may run on ("0-3,^2"), or NULL */
  uint64_t current_kib;    /* currentMemory; 0: memory_kib */
  uint64_t max_memory_kib; /* maxMemory for hotplug; 0: none */
  unsigned max_memory_slots;

  /* Boot: either boot devices in order, or a kernel. */
  char *boot_dev[4];     /* "hd", "cdrom", "network"; NULL-terminated */
  char *kernel, *initrd, *cmdline;
  bool uefi;
  int secure_boot;       /* -1: not asked, 0 off, 1 on */
  char *loader;          /* firmware code file (chosen from descriptors) */
  char *loader_type;     /* "pflash" or "rom" */
  char *nvram_template;  /* firmware variables template */
  bool smm;              /* secure boot needs SMM */
  char *user_loader;     /* --boot loader=: the user's firmware file */
  char *user_nvram_template;
  bool boot_menu;      /* <bootmenu enable='yes'/> */
  bool bios_useserial; /* <bios useserial='yes'/> */

  char *os_url;          /* libosinfo id URL for <metadata>, or NULL */
  const char *on_reboot; /* "restart" or "destroy" */

  vk_disk_spec *disks;
  size_t ndisks;
  vk_net_spec *nets;
  size_t nnets;
  char *graphics;        /* "vnc", "spice" or NULL: none */
  char *graphics_listen; /* address or NULL */
  int graphics_port;     /* -1: automatic */
  vk_chardev_spec console;       /* the first serial port, also the console */
  vk_chardev_spec *serials;      /* more serial ports */
  size_t nserials;
  vk_elem *devices; /* more devices, written at the end of <devices> */
  size_t ndevices;
  vk_elem *extra; /* more elements of <domain> (memoryBacking, ...) */
  size_t nextra;
  bool no_video;                                  /* --video none: graphics without a video card */
  char *video_model;                              /* the default video card's model, or NULL */
  bool no_tablet;                                 /* an --input was given: no default tablet */
  char *title, *description;                      /* --metadata */
  char *on_poweroff, *on_crash, *on_reboot_final; /* --events; NULL: defaults */
} vk_domspec;

/* Build the domain XML for spec.  Returns a newly allocated string the
 * caller frees, or NULL with *errp set (an unusable spec is
 * VK_EXIT_USAGE, out of memory VK_EXIT_FAILED). */
char *vk_domxml_build(const vk_domspec *spec, vk_error **errp);

/* The <disk> or <interface> element alone (attach-disk, attach-interface,
 * change-media), built the same way. */
char *vk_disk_xml(const vk_disk_spec *d, vk_error **errp);
char *vk_iface_xml(const vk_net_spec *n, vk_error **errp);

/* Is there a device element `name` among spec's extra devices? */
bool vk_domspec_has_device(const vk_domspec *spec, const char *name);

/* Release everything a spec owns (the strings, arrays) and zero it; the
 * struct itself belongs to the caller. */
void vk_domspec_clear(vk_domspec *spec);

#endif
