/* vkit — the install flow behind vinstall.
 *
 *   vk_install in;  vk_install_init(&in);
 *   vk_install_option(&in, VK_IOPT_NAME, "web1", &err);   once per option
 *   vk_install_prepare(&in, conn, &err);   defaults, osinfo, firmware, paths
 *   xml = vk_install_xml(&in, false, &err);               (--print-xml)
 *   vk_install_preflight(&in, conn, &err);  checks; creates nothing
 *   vk_install_run(&in, conn, &err);        disks, define, start; on any
 *                                            failure removes what it made
 *   vk_install_clear(&in);
 *
 * Notes meant for the user (a warning about TCG, an unknown OS variant, the
 * network chosen) are collected in in.notes; the library never prints.
 */
#ifndef VK_VIRT_INSTALL_H
#define VK_VIRT_INSTALL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "util/error.h"
#include "util/json.h"
#include "virt/domxml.h"
#include "virt/install/cloudinit.h"

/* Option keys, also used as popt `val`s by the front end. */
enum vk_install_opt {
  VK_IOPT_NAME = 1,
  VK_IOPT_MEMORY,
  VK_IOPT_VCPUS,
  VK_IOPT_CPU,
  VK_IOPT_MACHINE,
  VK_IOPT_ARCH,
  VK_IOPT_VIRT_TYPE,
  VK_IOPT_CDROM,
  VK_IOPT_IMPORT,
  VK_IOPT_BOOT,
  VK_IOPT_PXE,
  VK_IOPT_DISK,
  VK_IOPT_NETWORK,
  VK_IOPT_GRAPHICS,
  VK_IOPT_CONSOLE,
  VK_IOPT_SERIAL,
  VK_IOPT_OS_TYPE,
  VK_IOPT_OS_VARIANT,
  VK_IOPT_AUTOSTART,
  VK_IOPT_TRANSIENT,
  VK_IOPT_NOREBOOT,
  VK_IOPT_CLOUD_INIT,
  VK_IOPT_SSH_KEY,
  VK_IOPT_HOSTNAME,
  VK_IOPT_LOCATION,
  VK_IOPT_EXTRA_ARGS,
  VK_IOPT_INITRD_INJECT,
  VK_IOPT_CHANNEL,
  VK_IOPT_RNG,
  VK_IOPT_VIDEO,
  VK_IOPT_CONTROLLER,
  VK_IOPT_TPM,
  VK_IOPT_SOUND,
  VK_IOPT_INPUT,
  VK_IOPT_WATCHDOG,
  VK_IOPT_MEMBALLOON,
  VK_IOPT_HOSTDEV,
  VK_IOPT_FILESYSTEM,
  VK_IOPT_EVENTS,
  VK_IOPT_METADATA,
  VK_IOPT_CHECK,
};

/* How the guest's operating system gets onto its disk. */
enum vk_install_method {
  VK_INSTALL_NONE = 0, /* not said yet */
  VK_INSTALL_IMPORT,   /* boot the given disk */
  VK_INSTALL_CDROM,    /* boot an installer ISO, then the disk */
  VK_INSTALL_NETWORK,  /* PXE, then the disk */
  VK_INSTALL_KERNEL,   /* direct kernel boot */
  VK_INSTALL_LOCATION, /* the kernel and initrd of an ISO or tree, then the disk */
};

typedef struct vk_install {
  vk_domspec spec;       /* the machine, filled in by options and prepare */
  enum vk_install_method method;
  char *boot_order[4];   /* --boot hd,cdrom,network as given */
  bool memory_given, disk_none, network_none, graphics_given, virt_type_given;
  char *os_type;         /* "linux", "windows", ... informational */
  char *os_variant;      /* as given (the fallback with detect=on), or NULL */
  bool os_detect;        /* --os-variant detect[=on] */
  bool os_require;       /* ... require=on: an unknown OS fails the install */
  char *image_dir;       /* where images without a path go */
  bool autostart, transient, noreboot;
  vk_cloudinit ci;         /* --cloud-init, --ssh-key, --hostname */
  struct vk_location {     /* --location (location.c) */
    char *where;           /* the ISO or directory */
    char *kernel, *initrd; /* their names in it, given or found */
    char *extra_args;      /* --extra-args */
    char **injects;        /* --initrd-inject files */
    size_t ninjects;
    bool iso;        /* where is an ISO image */
    char *boot_base; /* NULL: VK_INSTALL_BOOT_DIR */
    char *boot_dir;  /* the files copied for the first boot, or NULL */
    bool boot_dir_made;
  } loc;
  bool skip_in_use;   /* --check path_in_use=off */
  bool skip_host;     /* --check all=off: no host memory/vCPU check either */
  bool no_rng;        /* --rng none: no default random number generator */
  bool tpm_emulator;  /* --tpm emulator: needs swtpm */
  bool shared_memory; /* virtiofs: memory the daemon can map */
  bool prepared;
  bool defined, started; /* progress of vk_install_run, for rollback */
  virDomainPtr dom;      /* the domain made by vk_install_run, or NULL */
  char **notes;          /* messages for the user */
  size_t nnotes;
  /* Progress of disk creation: called with bytes done and total. */
  void (*progress)(void *opaque, uint64_t done, uint64_t total);
  void *progress_opaque;
  /* Checked between the steps of vk_install_run(): when it becomes
   * non-zero the install stops and is rolled back (see util/cancel.h). */
  const atomic_int *cancel;
  /* Called after the disks are made and before the domain is defined;
   * false fails the install (a seam for the unit tests). */
  bool (*before_define)(void *opaque, vk_error **errp);
  void *before_define_opaque;
} vk_install;

#define VK_INSTALL_DEFAULT_IMAGE_DIR "/var/lib/libvirt/images"
/* Where the kernel and initrd of --location are put for the first boot
 * (a directory vinstall-NAME, removed once the guest started). */
#define VK_INSTALL_BOOT_DIR "/var/lib/libvirt/boot"

/* location.c: --location's kernel and initrd.  _option applies
 * --location, --extra-args and --initrd-inject; _prepare finds the kernel
 * and initrd (the tree's .treeinfo, else the well-known paths of Debian,
 * Ubuntu, Fedora/RHEL/CentOS, openSUSE and Arch media) and fills in the
 * domain's kernel, initrd, cmdline and the ISO's CD-ROM drive; _fetch puts
 * the files in place (extracted from the ISO, injected files appended);
 * _cleanup removes what _fetch made. */
struct vk_install;
/* devopts.c: --channel, --rng, --video, --controller, --tpm, --sound,
 * --input, --watchdog, --memballoon, --hostdev, --filesystem, --events,
 * --metadata. */
bool vk_install_device_option(struct vk_install *in, int key, const char *value, vk_error **errp);
/* opts.c: `value` is one of `allowed` (NULL-terminated), else a usage
 * error "--OPT: unknown WHAT 'VALUE'". */
bool vk_install_one_of(const char *opt, const char *what, const char *value,
                       const char *const *allowed, vk_error **errp);
bool vk_location_option(struct vk_install *in, int key, const char *value, vk_error **errp);
bool vk_location_prepare(struct vk_install *in, vk_error **errp);
bool vk_location_fetch(struct vk_install *in, vk_error **errp);
void vk_location_cleanup(struct vk_install *in);

void vk_install_init(vk_install *in);

/* Release everything in `in` (not the struct itself). */
void vk_install_clear(vk_install *in);

/* Apply one command-line option.  `value` is the option's argument (NULL
 * for flags).  Sub-options (--disk, --network, --vcpus, --boot, ...) are
 * "key=value" lists separated by commas; ",," stands for a literal comma.
 * Returns false with a VK_EXIT_USAGE error on a bad value. */
bool vk_install_option(vk_install *in, int key, const char *value, vk_error **errp);

/* Fill in every default: virt type, memory, vCPUs, OS variant data, disk
 * paths/targets/buses, the network (needs `conn` to see whether the
 * `default` network is active), console, firmware.  Checks that the
 * options fit together.  Creates nothing.  Returns false with *errp set. */
bool vk_install_prepare(vk_install *in, virConnectPtr conn, vk_error **errp);

/* The domain XML of a prepared install: the first boot (`final` false:
 * installer media first, no reboot) or the definition kept afterwards.
 * Returns a string the caller frees, or NULL with *errp set. */
char *vk_install_xml(const vk_install *in, bool final, vk_error **errp);

/* True when the first boot differs from the final definition (a cdrom or
 * network install: the guest is started again from the final one). */
bool vk_install_two_phase(const vk_install *in);

/* True when the definition kept after the first boot differs from the
 * first boot's (two-phase, or a cloud-init seed with disable=on, which
 * stays out of the definition). */
bool vk_install_redefines(const vk_install *in);

/* Check, before anything is created, that the install can succeed: name
 * free, networks present and active, images writable and not in use,
 * memory and vCPUs within the host, media readable.  Returns false with
 * *errp set (one line saying what to fix; exit status per vkit(7)). */
bool vk_install_preflight(vk_install *in, virConnectPtr conn, vk_error **errp);

/* Create the disks, define and start the domain (or create it, when
 * transient), set autostart.  On any failure, everything created so far is
 * removed again before returning false with *errp set. */
bool vk_install_run(vk_install *in, virConnectPtr conn, vk_error **errp);

/* After the first boot of a two-phase install ended (the guest is off):
 * start the guest again from its final definition, unless --noreboot or
 * --transient.  Returns false with *errp set. */
bool vk_install_finish(vk_install *in, virConnectPtr conn, vk_error **errp);

/* Write what a successful vk_install_run() made on j, as one JSON object:
 * name, uuid, state (now: "running", or "shutoff" after the guest
 * stopped), virt_type, autostart, transient, disks (target, device, path,
 * format, created, size: bytes created or null) and console (type, path:
 * the pty of a running guest or the log file, attach: the vctl command
 * that attaches to a pty console, as an argument vector).  Returns false with *errp set. */
bool vk_install_report_json(const vk_install *in, vk_json *j, vk_error **errp);

/* Remove what vk_install_run made (domain, images).  For callers whose
 * later step failed (e.g. a wait); errors are ignored. */
void vk_install_rollback(vk_install *in, virConnectPtr conn);

#endif
