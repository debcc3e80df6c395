/* vkit — vinstall's pre-flight: everything that can be checked before
 * anything is created. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "image/lock.h"
#include "util/cleanup.h"
#include "util/size.h"
#include "virt/conn.h"
#include "virt/inuse.h"
#include "virt/install/install.h"

/* A file the guest reads: must exist and be readable. */
static bool
check_readable(const char *what, const char *path, vk_error **errp)
{
  struct stat st;

  if (access(path, R_OK) == 0) {
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
      return vk_error_set(errp, VK_EXIT_USAGE, "%s %s is a directory", what, path);
    return true;
  }
  if (errno == ENOENT)
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "%s %s does not exist", what, path);
  return vk_error_set_errno(errp, VK_EXIT_USAGE, errno, "%s %s cannot be read", what, path);
}

/* The directory an image will be created in must exist and be writable. */
static bool
check_creatable(const char *path, vk_error **errp)
{
  CLEANUP_FREE char *copy = strdup(path);
  const char *dir;
  struct stat st;

  if (!copy)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  dir = dirname(copy);
  if (stat(dir, &st) < 0) {
    if (errno == ENOENT)
      return vk_error_set(errp, VK_EXIT_NOTFOUND, "image directory %s does not exist (create it or give another path=)",
                          dir);
    return vk_error_set_errno(errp, VK_EXIT_USAGE, errno, "image directory %s", dir);
  }
  if (!S_ISDIR(st.st_mode))
    return vk_error_set(errp, VK_EXIT_USAGE, "%s is not a directory", dir);
  if (access(dir, W_OK) < 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "image directory %s is not writable (choose another path=)",
                        dir);
  return true;
}

/* Each disk: readable, writable unless read-only, not locked by a
 * writer, not a disk of another domain (u is filled at the first disk
 * that needs it). */
static bool
check_each_disk(vk_install *in, virConnectPtr conn, vk_in_use *u, bool *have_u,
                vk_error **errp)
{
  vk_domspec *s = &in->spec;

  for (size_t i = 0; i < s->ndisks; i++) {
    vk_disk_spec *d = &s->disks[i];
    const char *user;

    if (!d->path)
      continue;
    for (size_t j = 0; j < i; j++)
      if (s->disks[j].path && strcmp(s->disks[j].path, d->path) == 0)
        return vk_error_set(errp, VK_EXIT_USAGE, "%s is given twice", d->path);
    if (d->seed) {
      if (access(d->path, F_OK) == 0)
        return vk_error_set(
            errp, VK_EXIT_BUSY,
            "the cloud-init seed %s already exists (remove it, or choose another --name)", d->path);
      if (!check_creatable(d->path, errp))
        return false;
      continue;
    }
    if (d->create) {
      if (!check_creatable(d->path, errp))
        return false;
      if (d->backing && !check_readable("backing file", d->backing, errp))
        return false;
      continue;
    }
    if (vk_disk_is_cdrom(d)) {
      if (!check_readable("ISO image", d->path, errp))
        return false;
      continue;
    }
    if (!check_readable("disk image", d->path, errp))
      return false;
    if (!d->readonly && access(d->path, W_OK) < 0)
      return vk_error_set_errno(errp, VK_EXIT_USAGE, errno, "disk image %s is not writable (add readonly=on?)",
                                d->path);
    if (in->skip_in_use)
      continue; /* --check path_in_use=off */
    if (!d->readonly) {
      /* A process holding QEMU's write or resize lock on the image (a
       * guest of another hypervisor, qemu-img, vimg) writes it: refuse, as
       * QEMU would.  The read mode is enough to see such a writer; the
       * locks go away with the descriptor (O_NONBLOCK: a FIFO given
       * with format=raw must not hang the check). */
      CLEANUP_CLOSE int fd = open(d->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0 && !vk_image_lock(fd, d->path, VK_LOCK_READ, errp)) {
        vk_error_prefix(errp, "disk image %s is in use", d->path);
        return false;
      }
    }
    if (!*have_u && !vk_in_use_collect(conn, u, errp))
      return false;
    *have_u = true;
    if ((user = vk_in_use_path(u, d->path, s->name)))
      return vk_error_set(errp, VK_EXIT_BUSY, "disk image %s is in use by domain %s",
                          d->path, user);
  }
  return true;
}

static bool
check_disks(vk_install *in, virConnectPtr conn, vk_error **errp)
{
  vk_in_use u = { 0 };
  bool have_u = false, ok = check_each_disk(in, conn, &u, &have_u, errp);

  vk_in_use_clear(&u);
  return ok;
}

static bool
check_networks(vk_install *in, virConnectPtr conn, vk_error **errp)
{
  for (size_t i = 0; i < in->spec.nnets; i++) {
    const vk_net_spec *n = &in->spec.nets[i];
    virNetworkPtr net;
    int active;

    bool bridge = strcmp(n->type, "bridge") == 0, direct = strcmp(n->type, "direct") == 0;
    if ((bridge || direct) && vk_conn_is_local(conn)) {
      CLEANUP_FREE char *sys = NULL;
      struct stat st;
      if (asprintf(&sys, "/sys/class/net/%s%s", n->source, bridge ? "/bridge" : "") < 0)
        return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      if (stat(sys, &st) < 0)
        return vk_error_set(errp, VK_EXIT_NOTFOUND, "%s '%s' does not exist on this host",
                            bridge ? "bridge" : "network interface", n->source);
    }
    if (strcmp(n->type, "network") != 0)
      continue;
    net = virNetworkLookupByName(conn, n->source);
    if (!net) {
      vk_error *e = NULL;
      vk_virt_error(&e, conn, "network %s", n->source);
      if (e->code == VK_EXIT_NOTFOUND) {
        vk_error_free(e);
        return vk_error_set(errp, VK_EXIT_NOTFOUND, "network '%s' does not exist (see virsh net-list --all)",
                            n->source);
      }
      vk_error_propagate(errp, e);
      return false;
    }
    active = virNetworkIsActive(net);
    virNetworkFree(net);
    if (active == 0)
      return vk_error_set(errp, VK_EXIT_BUSY, "network '%s' is not active (start it with virsh net-start %s)",
                          n->source, n->source);
    if (active < 0)
      return vk_virt_error(errp, conn, "network %s", n->source);
  }
  return true;
}

static bool
check_host(vk_install *in, virConnectPtr conn, vk_error **errp)
{
  virNodeInfo info;
  char want[VK_SIZE_BUFLEN], have[VK_SIZE_BUFLEN];

  if (virNodeGetInfo(conn, &info) < 0)
    return vk_virt_error(errp, conn, "host information");
  if (in->spec.memory_kib > info.memory)
    return vk_error_set(errp, VK_EXIT_USAGE, "--memory: %s is more than the host's %s",
                        vk_format_size(in->spec.memory_kib * 1024, want),
                        vk_format_size((uint64_t)info.memory * 1024, have));
  if (in->spec.vcpus > info.cpus)
    return vk_error_set(errp, VK_EXIT_USAGE, "--vcpus: %u vCPUs are more than the host's %u CPUs",
                        in->spec.vcpus, info.cpus);
  return true;
}

/* A file the hypervisor writes (a console log): its directory must exist. */
static bool
exists_dir_of(const char *path, vk_error **errp)
{
  CLEANUP_FREE char *copy = strdup(path);
  struct stat st;

  if (!copy)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (stat(dirname(copy), &st) < 0 || !S_ISDIR(st.st_mode))
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "the directory of console file %s does not exist", path);
  return true;
}

bool
vk_install_preflight(vk_install *in, virConnectPtr conn, vk_error **errp)
{
  vk_domspec *s = &in->spec;
  virDomainPtr other;

  if (!in->prepared)
    return vk_error_set(errp, VK_EXIT_FAILED, "the install is not prepared");
  other = virDomainLookupByName(conn, s->name);
  if (other) {
    virDomainFree(other);
    return vk_error_set(errp, VK_EXIT_BUSY, "a domain named '%s' already exists (choose another --name)",
                        s->name);
  } else {
    vk_error *e = NULL;
    vk_virt_error(&e, conn, "domain %s", s->name);
    if (e->code != VK_EXIT_NOTFOUND) {
      vk_error_propagate(errp, e);
      return false;
    }
    vk_error_free(e);
  }
  if (in->loc.boot_dir) {
    /* --location: the files go there; a previous install's must not */
    if (access(in->loc.boot_dir, F_OK) == 0)
      return vk_error_set(errp, VK_EXIT_BUSY,
                          "%s already exists (left by an install of the same name? remove it)",
                          in->loc.boot_dir);
  }
  if (s->kernel && !(in->loc.boot_dir && in->loc.iso) && !check_readable("kernel", s->kernel, errp))
    return false;
  if (s->initrd && !in->loc.boot_dir && !check_readable("initrd", s->initrd, errp))
    return false;
  if (s->loader && !check_readable("firmware", s->loader, errp))
    return false;
  if (s->nvram_template && !check_readable("firmware variables template", s->nvram_template, errp))
    return false;
  for (size_t i = 0; i < s->nserials + 1; i++) {
    const vk_chardev_spec *c = i ? &s->serials[i - 1] : &s->console;
    if (c->type && strcmp(c->type, "file") == 0 && !exists_dir_of(c->path, errp))
      return false;
  }
  if (in->tpm_emulator && vk_conn_is_local(conn) && access("/usr/bin/swtpm", X_OK) < 0)
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "--tpm emulator needs swtpm (Debian packages swtpm and swtpm-tools); or say --tpm passthrough or --tpm none");
  return (in->skip_host || check_host(in, conn, errp)) && check_networks(in, conn, errp) &&
         check_disks(in, conn, errp);
}
