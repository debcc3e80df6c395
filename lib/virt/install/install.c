/* vkit — the install flow: defaults, XML, pre-flight, run, rollback. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/text.h"
#include "util/path.h"
#include "util/size.h"
#include "virt/conn.h"
#include "virt/firmware.h"
#include "virt/install/install.h"
#include "virt/osdetect.h"
#include "virt/osinfo.h"
#include "virt/pool.h"
#include "virt/volume.h"

#define DEFAULT_MEMORY_KIB (1024 * 1024)

void
vk_install_init(vk_install *in)
{
  memset(in, 0, sizeof *in);
  in->spec.secure_boot = -1;
  in->spec.graphics_port = -1;
}

void
vk_install_clear(vk_install *in)
{
  vk_domspec_clear(&in->spec);
  for (size_t i = 0; i < 4; i++)
    free(in->boot_order[i]);
  free(in->os_type);
  free(in->os_variant);
  free(in->image_dir);
  vk_cloudinit_clear(&in->ci);
  free(in->loc.where);
  free(in->loc.kernel);
  free(in->loc.initrd);
  free(in->loc.extra_args);
  for (size_t i = 0; i < in->loc.ninjects; i++)
    free(in->loc.injects[i]);
  free(in->loc.injects);
  free(in->loc.boot_base);
  free(in->loc.boot_dir);
  for (size_t i = 0; i < in->nnotes; i++)
    free(in->notes[i]);
  free(in->notes);
  if (in->dom)
    virDomainFree(in->dom);
  vk_install_init(in);
}

static void __attribute__((format(printf, 2, 3)))
note(vk_install *in, const char *fmt, ...)
{
  va_list ap;
  char *msg, **grown;

  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  if (!msg)
    return;
  grown = realloc(in->notes, (in->nnotes + 1) * sizeof *grown);
  if (!grown) {
    free(msg);
    return;
  }
  in->notes = grown;
  in->notes[in->nnotes++] = msg;
}

/* /dev/kvm is the KVM device (not, say, a file some script left there)
 * and opens for writing. */
static bool
kvm_usable(void)
{
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC | O_NOCTTY);
  struct stat st;
  bool ok;

  if (fd < 0)
    return false;
  ok = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode);
  close(fd);
  return ok;
}

static bool
is_q35(const char *machine)
{
  return machine && strstr(machine, "q35");
}

/* Does a path name an existing file (or device)? */
static bool
exists(const char *path)
{
  struct stat st;

  return stat(path, &st) == 0;
}

static bool
path_taken(const vk_install *in, const char *path)
{
  for (size_t i = 0; i < in->spec.ndisks; i++)
    if (in->spec.disks[i].path && strcmp(in->spec.disks[i].path, path) == 0)
      return true;
  return exists(path);
}

/* IMAGE_DIR/NAME.qcow2, else NAME-1.qcow2, NAME-2.qcow2, ... (in `dir`
 * when given: a pool's directory) */
static bool
default_image_path(vk_install *in, vk_disk_spec *d, const char *in_dir, vk_error **errp)
{
  const char *dir = in_dir ? in_dir : in->image_dir ? in->image_dir : VK_INSTALL_DEFAULT_IMAGE_DIR;

  for (unsigned n = 0; n < 1000; n++) {
    char *path;
    int r = n ? asprintf(&path, "%s/%s-%u.%s", dir, in->spec.name, n, d->format)
              : asprintf(&path, "%s/%s.%s", dir, in->spec.name, d->format);
    if (r < 0)
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    if (!path_taken(in, path)) {
      d->path = path;
      return true;
    }
    free(path);
  }
  return vk_error_set(errp, VK_EXIT_BUSY, "no free image name for %s in %s", in->spec.name, dir);
}

/* An existing image given without format= gets the format it has: qcow2
 * or raw.  One of a format vkit does not hand to a guest (vmdk, vdi, ...)
 * is refused with its name rather than attached as raw bytes. */
static bool
existing_format(vk_disk_spec *d, vk_error **errp)
{
  vk_image_format fmt = VK_FMT_NONE;
  vk_error *e = NULL;

  if (d->format)
    return true;
  if (!vk_image_probe(d->path, &fmt, &e)) {
    vk_error_prefix(&e, "%s", e->code == VK_EXIT_USAGE ? "--disk"
                    : "--disk: cannot detect the format (say format=raw or format=qcow2)");
    vk_error_propagate(errp, e);
    return false;
  }
  if (fmt == VK_FMT_QCOW2)
    return vk_strset(&d->format, "qcow2", errp);
  if (fmt != VK_FMT_RAW)
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "--disk: %s is a %s image; vinstall attaches only raw and qcow2 images (convert it with vimg convert, or say format=raw to attach its bytes as they are)",
        d->path, vk_image_format_name(fmt));
  return vk_strset(&d->format, "raw", errp);
}

/* The hypervisor does not run in our directory: relative names are made
 * absolute, as virt-install does. */
static bool
make_absolute(char **path, vk_error **errp)
{
  char *abs;

  if (!*path || (*path)[0] == '/')
    return true;
  if (!(abs = vk_path_absolute(*path)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  free(*path);
  *path = abs;
  return true;
}

static bool
absolute_paths(vk_install *in, vk_error **errp)
{
  vk_domspec *s = &in->spec;

  for (size_t i = 0; i < s->ndisks; i++)
    if (!make_absolute(&s->disks[i].path, errp) || !make_absolute(&s->disks[i].backing, errp))
      return false;
  for (size_t i = 0; i < s->nserials; i++)
    if (!make_absolute(&s->serials[i].path, errp))
      return false;
  return make_absolute(&s->kernel, errp) && make_absolute(&s->initrd, errp) &&
         make_absolute(&s->user_loader, errp) && make_absolute(&s->user_nvram_template, errp) &&
         make_absolute(&s->console.path, errp);
}

/* Is `target` one of the targets said with target= (other than disk `self`)? */
static bool
target_said(const vk_domspec *s, const char *target, size_t self)
{
  for (size_t i = 0; i < s->ndisks; i++)
    if (i != self && s->disks[i].target_given && !strcmp(s->disks[i].target, target))
      return true;
  return false;
}

/* pool= and vol=: the volume's file, so that the rest treats it as any
 * image.  A new volume goes into a directory pool's directory (the image
 * engine makes it and the pool is refreshed after); an existing one is
 * found through libvirt, its format with it. */
static bool
resolve_volumes(vk_install *in, virConnectPtr conn, vk_error **errp)
{
  for (size_t i = 0; i < in->spec.ndisks; i++) {
    vk_disk_spec *d = &in->spec.disks[i];
    const char *pname = d->pool;
    CLEANUP_FREE char *pool_name = NULL, *type = NULL, *target = NULL;
    virStoragePoolPtr pool;
    bool ok = true;

    if (!d->pool && !d->vol)
      continue;
    if (!conn)
      return vk_error_set(errp, VK_EXIT_USAGE, "--disk %s= needs a hypervisor connection",
                          d->pool ? "pool" : "vol");
    if (d->vol) {
      pool_name = strndup(d->vol, (size_t)(strchr(d->vol, '/') - d->vol));
      pname = pool_name;
    }
    if (!pname || !(pool = vk_pool_lookup(conn, pname, errp)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory"); /* or the lookup's error, kept */
    if (virStoragePoolIsActive(pool) != 1) {
      virStoragePoolFree(pool);
      return vk_error_set(errp, VK_EXIT_BUSY,
                          "storage pool '%s' is not active (vctl pool-start %s)", pname, pname);
    }
    if (d->vol) {
      virStorageVolPtr vol = vk_vol_lookup(conn, pool, strchr(d->vol, '/') + 1, errp);
      vk_vol_entry e = { 0 };
      ok = vol && vk_vol_info(vol, &e, errp);
      if (ok && (!e.path || (strcmp(e.type, "file") != 0 && strcmp(e.type, "block") != 0)))
        ok = vk_error_set(errp, VK_EXIT_USAGE, "--disk vol=%s: not a file or block volume", d->vol);
      if (ok)
        ok = vk_strset(&d->path, e.path, errp) &&
             (d->format || !e.format || vk_strset(&d->format, e.format, errp));
      vk_vol_entry_clear(&e);
      if (vol)
        virStorageVolFree(vol);
    } else {
      vk_pool_type_target(pool, &type, &target);
      if (!type || !target || (strcmp(type, "dir") && strcmp(type, "fs") && strcmp(type, "netfs")))
        ok = vk_error_set(
            errp, VK_EXIT_USAGE,
            "storage pool '%s' is of type %s: vinstall makes disks in directory pools (dir, fs, netfs); make the volume with vctl vol-create-as and give vol=%s/VOLUME",
            pname, type ? type : "unknown", pname);
      else if (!d->format)
        ok = vk_strset(&d->format, "qcow2", errp);
      ok = ok && default_image_path(in, d, target, errp);
    }
    virStoragePoolFree(pool);
    if (!ok)
      return false;
  }
  return true;
}

static bool
prepare_disks(vk_install *in, bool virtio, uint64_t default_size, vk_error **errp)
{
  vk_domspec *s = &in->spec;
  unsigned nvd = 0, nsd = 0, nhd = 0, nfd = 0;

  for (size_t i = 0; i < s->ndisks; i++)
    if (s->disks[i].target_given && target_said(s, s->disks[i].target, i))
      return vk_error_set(errp, VK_EXIT_USAGE, "--disk: target=%s is given twice",
                          s->disks[i].target);

  for (size_t i = 0; i < s->ndisks; i++) {
    vk_disk_spec *d = &s->disks[i];
    char *target;
    unsigned *counter;
    const char *prefix;

    if (!vk_disk_is_cdrom(d)) {
      if (d->path && exists(d->path)) {
        if (d->size || d->backing)
          return vk_error_set(errp, VK_EXIT_BUSY, "--disk: %s already exists; drop size= and backing= to use it as it is",
                              d->path);
        if (!existing_format(d, errp))
          return false;
      } else if (d->size || d->backing || (default_size && d->path)) {
        if (!d->size && !d->backing) {
          char buf[VK_SIZE_BUFLEN];
          d->size = default_size;
          note(in, "--disk: %s does not exist: created with the OS variant's recommended %s",
               d->path, vk_format_size(default_size, buf));
        }
        d->create = true;
        if (!d->format && !vk_strset(&d->format, "qcow2", errp))
          return false;
        if (d->backing && strcmp(d->format, "qcow2") != 0)
          return vk_error_set(errp, VK_EXIT_USAGE, "--disk: only a qcow2 image can have a backing file");
        if (!d->path && !default_image_path(in, d, NULL, errp))
          return false;
      } else {
        return vk_error_set(errp, VK_EXIT_NOTFOUND, "--disk: %s does not exist (add size= to create it)",
                            d->path);
      }
    }
    if (!d->bus) {
      const char *bus = vk_disk_is_cdrom(d) ? (is_q35(s->machine) ? "sata" : "ide")
                        : virtio ? "virtio" : is_q35(s->machine) ? "sata" : "ide";
      if (!vk_strset(&d->bus, bus, errp))
        return false;
    }
    if (strcmp(d->bus, "virtio") == 0) {
      if (vk_disk_is_cdrom(d))
        return vk_error_set(errp, VK_EXIT_USAGE, "--disk: a cdrom cannot be on the virtio bus (use sata, scsi or ide)");
      counter = &nvd, prefix = "vd";
    } else if (strcmp(d->bus, "ide") == 0) {
      if (is_q35(s->machine))
        return vk_error_set(errp, VK_EXIT_USAGE, "--disk: the q35 machine has no IDE bus (use sata)");
      counter = &nhd, prefix = "hd";
    } else if (strcmp(d->bus, "fdc") == 0) {
      counter = &nfd, prefix = "fd";
    } else {
      counter = &nsd, prefix = "sd";
    }
    if (d->target_given) {
      if (strncmp(d->target, prefix, 2) != 0)
        return vk_error_set(errp, VK_EXIT_USAGE,
                            "--disk: target=%s does not fit the %s bus (%s...)", d->target, d->bus,
                            prefix);
      continue;
    }
    do {
      if (*counter >= 26 || (prefix[0] == 'h' && *counter >= 4) ||
          (prefix[0] == 'f' && *counter >= 2))
        return vk_error_set(errp, VK_EXIT_USAGE, "--disk: too many disks on the %s bus", d->bus);
      if (asprintf(&target, "%s%c", prefix, 'a' + (*counter)++) < 0)
        return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      free(d->target);
      d->target = target;
    } while (target_said(s, d->target, i));
  }
  return true;
}

static bool
prepare_network(vk_install *in, virConnectPtr conn, bool virtio, vk_error **errp)
{
  vk_domspec *s = &in->spec;

  if (in->network_none) {
    if (in->method == VK_INSTALL_NETWORK)
      return vk_error_set(errp, VK_EXIT_USAGE, "--pxe needs a network (not --network none)");
    return true;
  }
  if (!s->nnets) {
    virNetworkPtr net = conn ? virNetworkLookupByName(conn, "default") : NULL;
    bool active = net && virNetworkIsActive(net) == 1;

    if (net)
      virNetworkFree(net);
    s->nets = calloc(1, sizeof *s->nets);
    if (!s->nets)
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    s->nnets = 1;
    if (active) {
      if (!vk_strset(&s->nets[0].type, "network", errp) ||
          !vk_strset(&s->nets[0].source, "default", errp))
        return false;
    } else {
      note(in, "no active network named 'default': using user-mode networking (--network user)");
      if (!vk_strset(&s->nets[0].type, "user", errp))
        return false;
    }
  }
  for (size_t i = 0; i < s->nnets; i++)
    if (!s->nets[i].model && !vk_strset(&s->nets[i].model, virtio ? "virtio" : "e1000", errp))
      return false;
  return true;
}

static bool
prepare_firmware(vk_install *in, vk_error **errp)
{
  vk_domspec *s = &in->spec;
  vk_firmware fw;
  struct utsname u;
  const char *arch = s->arch;

  if (!s->uefi) {
    if (s->secure_boot >= 0)
      return vk_error_set(errp, VK_EXIT_USAGE, "--boot secure-boot= needs uefi");
    if (s->user_nvram_template)
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "--boot nvram.template= needs UEFI (firmware=efi or loader=)");
    return true;
  }
  if (s->user_loader) {
    /* the user's firmware: as given, no descriptor consulted */
    return vk_strset(&s->loader, s->user_loader, errp) &&
           vk_strset(&s->loader_type, "pflash", errp) &&
           (!s->user_nvram_template || vk_strset(&s->nvram_template, s->user_nvram_template, errp));
  }
  if (!arch) {
    if (uname(&u) < 0)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "uname");
    arch = u.machine;
  }
  /* Secure boot needs SMM, which needs q35; q35 suits UEFI in general. */
  if (!s->machine && !vk_strset(&s->machine, "q35", errp))
    return false;
  if (!vk_firmware_choose(NULL, arch, s->machine, s->secure_boot, &fw, errp))
    return false;
  free(s->loader);
  free(s->nvram_template);
  s->loader = fw.code;
  s->nvram_template = fw.vars;
  fw.code = fw.vars = NULL;
  s->smm = fw.requires_smm;
  if (s->secure_boot < 0)
    s->secure_boot = fw.secure_boot;
  if (s->smm && !is_q35(s->machine)) {
    vk_firmware_clear(&fw);
    return vk_error_set(errp, VK_EXIT_USAGE, "--boot uefi: secure boot firmware needs the q35 machine");
  }
  vk_firmware_clear(&fw);
  return vk_strset(&s->loader_type, "pflash", errp);
}

/* The cloud-init seed is a CD-ROM drive of its own, at the end. */
static bool
add_seed_disk(vk_install *in, vk_error **errp)
{
  vk_domspec *s = &in->spec;
  vk_disk_spec *grown, *d;

  if (!in->ci.enabled)
    return true;
  if (!(grown = realloc(s->disks, (s->ndisks + 1) * sizeof *grown)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  s->disks = grown;
  d = memset(&s->disks[s->ndisks++], 0, sizeof *d);
  d->seed = true;
  d->readonly = true;
  return vk_strset(&d->device, "cdrom", errp) && vk_strset(&d->format, "raw", errp);
}

/* The seed goes beside the first disk, NAME-cidata.iso, so that the guest
 * starts again after its first boot (and it is found by people). */
static bool
prepare_seed(vk_install *in, vk_error **errp)
{
  vk_domspec *s = &in->spec;
  const char *first = NULL;
  CLEANUP_FREE char *dir = NULL;
  vk_disk_spec *seed = NULL;
  char *path;

  if (!in->ci.enabled)
    return true;
  for (size_t i = 0; i < s->ndisks; i++) {
    if (s->disks[i].seed)
      seed = &s->disks[i];
    else if (!first && !vk_disk_is_cdrom(&s->disks[i]) && s->disks[i].path)
      first = s->disks[i].path;
  }
  if (first) {
    CLEANUP_FREE char *abs = vk_path_absolute(first);
    const char *slash = abs ? strrchr(abs, '/') : NULL;
    dir = slash ? strndup(abs, slash == abs ? 1 : (size_t)(slash - abs)) : NULL;
  } else {
    dir = strdup(in->image_dir ? in->image_dir : VK_INSTALL_DEFAULT_IMAGE_DIR);
  }
  if (!dir || asprintf(&path, "%s%s%s-cidata.iso", dir, strcmp(dir, "/") ? "/" : "", s->name) < 0)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_strset(&seed->path, path, errp)) {
    free(path);
    return false;
  }
  return vk_cloudinit_prepare(&in->ci, s->name, path, errp);
}

/* --os-variant detect: the OS of the --cdrom ISO or the --location, by
 * libosinfo; else the fallback name (or generic), or with require=on a
 * failure. */
static bool
detect_os(vk_install *in, vk_error **errp)
{
  const char *media = NULL;
  vk_error *e = NULL;
  char *id;

  for (size_t i = 0; !media && i < in->spec.ndisks; i++)
    if (in->spec.disks[i].media)
      media = in->spec.disks[i].path;
  if (in->method == VK_INSTALL_LOCATION)
    media = in->loc.where;
  if (!media) {
    if (in->os_require)
      return vk_error_set(
          errp, VK_EXIT_USAGE,
          "--os-variant detect: there is no install media to look at (--cdrom or --location)");
    note(in, "--os-variant detect: no --cdrom or --location to look at; using %s settings",
         in->os_variant ? in->os_variant : "generic");
    return true;
  }
  if (!(id = vk_osinfo_detect(vk_osinfo_dir(), media, &e))) {
    if (in->os_require) {
      vk_error_propagate(errp, e);
      return false;
    }
    note(in, "%s; using %s settings", e->msg, in->os_variant ? in->os_variant : "generic");
    vk_error_free(e);
    return true;
  }
  note(in, "--os-variant detect: %s holds %s", media, id);
  free(in->os_variant);
  in->os_variant = id;
  return true;
}

/* Defaults from the OS variant, as virt-install applies them: a virtio
 * random number generator and the QEMU guest agent's channel for an OS
 * with virtio drivers, virtio graphics where the OS has the driver; and
 * what the device options left to the machine (sound "default", the
 * shared memory virtiofs needs). */
static bool
prepare_devices(vk_install *in, const vk_osinfo *os, vk_error **errp)
{
  vk_domspec *s = &in->spec;
  vk_elem *e, *c;

  for (size_t i = 0; i < s->ndevices; i++) {
    vk_elem *d = &s->devices[i];
    if (!strcmp(d->name, "sound") && d->nattrs && !strcmp(d->attrs[1], "default") &&
        !vk_strset(&d->attrs[1], is_q35(s->machine) ? "ich9" : "ich6", errp))
      return false;
  }
  if (in->shared_memory) {
    if (!(e = vk_elem_add(&s->extra, &s->nextra, "memoryBacking")) ||
        !(c = vk_elem_add(&e->kids, &e->nkids, "source")) || !vk_elem_attr(c, "type", "memfd") ||
        !(c = vk_elem_add(&e->kids, &e->nkids, "access")) || !vk_elem_attr(c, "mode", "shared"))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  if (!os)
    return true;
  if (os->virtio_rng && !in->no_rng && !vk_domspec_has_device(s, "rng")) {
    if (!(e = vk_elem_add(&s->devices, &s->ndevices, "rng")) ||
        !vk_elem_attr(e, "model", "virtio") || !(c = vk_elem_add(&e->kids, &e->nkids, "backend")) ||
        !vk_elem_attr(c, "model", "random") || !(c->text = strdup("/dev/urandom")))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  if (os->virtio_block) {
    bool have = false;
    for (size_t i = 0; i < s->ndevices && !have; i++) {
      const vk_elem *d = &s->devices[i];
      for (size_t k = 0; !strcmp(d->name, "channel") && k < d->nkids && !have; k++)
        for (size_t a = 0; a < d->kids[k].nattrs; a++)
          have = have || !strcmp(d->kids[k].attrs[2 * a + 1], "org.qemu.guest_agent.0");
    }
    if (!have &&
        (!(e = vk_elem_add(&s->devices, &s->ndevices, "channel")) ||
         !vk_elem_attr(e, "type", "unix") || !(c = vk_elem_add(&e->kids, &e->nkids, "target")) ||
         !vk_elem_attr(c, "type", "virtio") || !vk_elem_attr(c, "name", "org.qemu.guest_agent.0")))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  if (os->virtio_gpu && s->graphics && !s->video_model &&
      !vk_strset(&s->video_model, "virtio", errp))
    return false;
  return true;
}

bool
vk_install_prepare(vk_install *in, virConnectPtr conn, vk_error **errp)
{
  vk_domspec *s = &in->spec;
  vk_osinfo os = { 0 };
  bool have_os = false, virtio = true;
  size_t nhd = 0;

  if (!s->name)
    return vk_error_set(errp, VK_EXIT_USAGE, "--name is required");
  for (size_t i = 0; i < s->ndisks; i++)
    if (!vk_disk_is_cdrom(&s->disks[i]))
      nhd++;

  /* The install method. */
  if (in->method == VK_INSTALL_NONE && in->boot_order[0])
    in->method = VK_INSTALL_IMPORT;
  if (in->method == VK_INSTALL_NONE)
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "say how to install: --cdrom ISO, --location ISO|DIR, --import, --pxe or --boot kernel=PATH");
  if (in->method == VK_INSTALL_IMPORT && !nhd)
    return vk_error_set(errp, VK_EXIT_USAGE, "--import needs a --disk to boot from");
  if (s->initrd && !s->kernel)
    return vk_error_set(errp, VK_EXIT_USAGE, "--boot initrd= needs kernel=");
  if (s->cmdline && !s->kernel)
    return vk_error_set(errp, VK_EXIT_USAGE, "--boot cmdline= needs kernel=");
  if (in->autostart && in->transient)
    return vk_error_set(errp, VK_EXIT_USAGE, "--autostart and --transient do not go together");

  /* Accelerator. */
  if (!s->virt_type) {
    if (kvm_usable()) {
      if (!vk_strset(&s->virt_type, "kvm", errp))
        return false;
    } else {
      note(in, "/dev/kvm is not usable: the guest runs under plain QEMU emulation (--virt-type qemu), which is much slower");
      if (!vk_strset(&s->virt_type, "qemu", errp))
        return false;
    }
  }

  /* What the OS variant says. */
  if (in->os_detect && !detect_os(in, errp))
    return false;
  if (in->os_variant && strcmp(in->os_variant, "generic") != 0) {
    vk_error *e = NULL;
    if (vk_osinfo_lookup(vk_osinfo_dir(), in->os_variant, &os, &e)) {
      have_os = true;
    } else {
      note(in, "%s; using generic settings", e->msg);
      vk_error_free(e);
    }
  }
  if (have_os) {
    if (!os.virtio_block)
      virtio = false;
    if (!vk_strset(&s->os_url, os.id, errp)) {
      vk_osinfo_clear(&os);
      return false;
    }
  }
  if (!in->memory_given)
    s->memory_kib = have_os && os.recommended_ram ? os.recommended_ram / 1024 : DEFAULT_MEMORY_KIB;
  if (!s->vcpus)
    s->vcpus = have_os && os.recommended_vcpus ? os.recommended_vcpus : 1;
  {
    bool net_virtio = have_os ? os.virtio_net || os.virtio_block : true;
    bool ok = resolve_volumes(in, conn, errp) && absolute_paths(in, errp) &&
              vk_location_prepare(in, errp) && prepare_firmware(in, errp) &&
              add_seed_disk(in, errp) &&
              prepare_disks(in, virtio, have_os ? os.recommended_storage : 0, errp) &&
              prepare_seed(in, errp) && prepare_network(in, conn, net_virtio, errp);
    if (ok && !s->console.type)
      ok = vk_strset(&s->console.type, "pty", errp);
    if (ok && !in->graphics_given && getenv("DISPLAY") && *getenv("DISPLAY"))
      ok = vk_strset(&s->graphics, "vnc", errp);
    ok = ok && prepare_devices(in, have_os ? &os : NULL, errp);
    vk_osinfo_clear(&os);
    if (!ok)
      return false;
  }
  in->prepared = true;
  return true;
}

bool
vk_install_two_phase(const vk_install *in)
{
  return in->method == VK_INSTALL_CDROM || in->method == VK_INSTALL_NETWORK ||
         in->method == VK_INSTALL_LOCATION;
}

bool
vk_install_redefines(const vk_install *in)
{
  return vk_install_two_phase(in) || (in->ci.enabled && in->ci.disable);
}

char *
vk_install_xml(const vk_install *in, bool final, vk_error **errp)
{
  vk_domspec s = in->spec; /* shallow copy: only boot, reboot and media differ */
  CLEANUP_FREE vk_disk_spec *disks = NULL;
  size_t n = 0;

  if (!in->prepared) {
    vk_error_set(errp, VK_EXIT_FAILED, "the install is not prepared");
    return NULL;
  }
  if (final && s.ndisks) {
    /* After the install the installer's CD-ROM drive is empty (the ISO may
     * go away), and a seed with disable=on is not kept. */
    if (!(disks = calloc(s.ndisks, sizeof *disks))) {
      vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      return NULL;
    }
    s.ndisks = 0;
    for (size_t i = 0; i < in->spec.ndisks; i++) {
      const vk_disk_spec *d = &in->spec.disks[i];
      if (d->seed && in->ci.disable)
        continue;
      disks[s.ndisks] = *d;
      if (d->media && !in->noreboot)
        disks[s.ndisks].path = NULL;
      s.ndisks++;
    }
    s.disks = disks;
  }
  if (final && in->method == VK_INSTALL_LOCATION)
    s.kernel = s.initrd = s.cmdline = NULL; /* the installed system boots its disk */
  memset(s.boot_dev, 0, sizeof s.boot_dev);
  if (in->boot_order[0]) {
    for (size_t i = 0; i < 3 && in->boot_order[i]; i++)
      s.boot_dev[n++] = in->boot_order[i];
  } else if (in->method != VK_INSTALL_KERNEL) {
    if (!final && in->method == VK_INSTALL_CDROM)
      s.boot_dev[n++] = (char *)"cdrom";
    if (!final && in->method == VK_INSTALL_NETWORK)
      s.boot_dev[n++] = (char *)"network";
    s.boot_dev[n++] = (char *)"hd";
  }
  s.on_reboot = !final && vk_install_two_phase(in) ? "destroy"
                : in->spec.on_reboot_final         ? in->spec.on_reboot_final
                                                   : "restart";
  return vk_domxml_build(&s, errp);
}
