/* vkit — vinstall's run: create disks, define, start; roll back on failure. */
#include <config.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/install/install.h"
#include "virt/install/disk.h"

/* Stop between steps when asked to (a signal). */
static bool
go_on(const vk_install *in, vk_error **errp)
{
  if (in->cancel && atomic_load(in->cancel))
    return vk_error_set(errp, VK_EXIT_FAILED, "interrupted");
  return true;
}

static void refresh_pools(vk_install *in, virConnectPtr conn);

static bool
create_disks(vk_install *in, virConnectPtr conn, vk_error **errp)
{
  size_t total = 0, done = 0;

  for (size_t i = 0; i < in->spec.ndisks; i++)
    if (in->spec.disks[i].create)
      total++;
  if (total && in->progress)
    in->progress(in->progress_opaque, 0, total);
  for (size_t i = 0; i < in->spec.ndisks; i++) {
    vk_disk_spec *d = &in->spec.disks[i];
    if (!d->create)
      continue;
    if (!go_on(in, errp) || !vk_install_create_disk(d, errp))
      return false;
    d->created = true;
    if (in->progress)
      in->progress(in->progress_opaque, ++done, total);
  }
  refresh_pools(in, conn);
  return true;
}

/* Images made in a storage pool's directory become its volumes (or stop
 * being them) when the pool is refreshed. */
static void
refresh_pools(vk_install *in, virConnectPtr conn)
{
  for (size_t i = 0; conn && i < in->spec.ndisks; i++) {
    virStoragePoolPtr p;
    if (!in->spec.disks[i].pool || !(p = virStoragePoolLookupByName(conn, in->spec.disks[i].pool)))
      continue;
    if (virStoragePoolRefresh(p, 0) < 0)
      virResetLastError();
    virStoragePoolFree(p);
  }
}

void
vk_install_rollback(vk_install *in, virConnectPtr conn)
{
  bool made = false;

  if (in->dom) {
    if (in->started && virDomainIsActive(in->dom) == 1)
      virDomainDestroy(in->dom);
    if (in->defined)
      if (virDomainUndefineFlags(in->dom, VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_TPM |
                                              VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                              VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA) < 0)
        /* a driver without the TPM flag (the test driver) */
        virDomainUndefineFlags(in->dom, VIR_DOMAIN_UNDEFINE_NVRAM |
                                            VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                            VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA);
    virDomainFree(in->dom);
    in->dom = NULL;
  }
  in->started = in->defined = false;
  vk_location_cleanup(in);
  if (in->ci.seed_created)
    unlink(in->ci.seed_path);
  in->ci.seed_created = false;
  for (size_t i = 0; i < in->spec.ndisks; i++) {
    vk_disk_spec *d = &in->spec.disks[i];
    if (d->created && d->path) {
      unlink(d->path);
      made = true;
    }
    d->created = false;
  }
  if (made)
    refresh_pools(in, conn);
}

static bool
run_steps(vk_install *in, virConnectPtr conn, vk_error **errp)
{
  CLEANUP_FREE char *first = vk_install_xml(in, false, errp);
  CLEANUP_FREE char *final = NULL;

  if (!first)
    return false;
  if (!vk_install_preflight(in, conn, errp) || !create_disks(in, conn, errp) ||
      (in->ci.enabled && (!go_on(in, errp) || !vk_cloudinit_write(&in->ci, errp))) ||
      !go_on(in, errp) || !vk_location_fetch(in, errp) ||
      (in->before_define && !in->before_define(in->before_define_opaque, errp)) || !go_on(in, errp))
    return false;

  if (in->transient) {
    in->dom = virDomainCreateXML(conn, first, 0);
    if (!in->dom)
      return vk_virt_error(errp, conn, "starting domain %s", in->spec.name);
    in->started = true;
    vk_location_cleanup(in); /* QEMU has read the kernel and initrd */
    return true;
  }
  in->dom = virDomainDefineXML(conn, first);
  if (!in->dom)
    return vk_virt_error(errp, conn, "defining domain %s", in->spec.name);
  in->defined = true;
  if (!go_on(in, errp))
    return false;
  if (virDomainCreate(in->dom) < 0)
    return vk_virt_error(errp, conn, "starting domain %s", in->spec.name);
  in->started = true;
  vk_location_cleanup(in); /* QEMU has read the kernel and initrd */
  /* The persistent definition becomes the final one; the running guest
   * keeps its install configuration until it stops. */
  if (vk_install_redefines(in)) {
    char uuid[VIR_UUID_STRING_BUFLEN];
    virDomainPtr again;

    if (virDomainGetUUIDString(in->dom, uuid) < 0)
      return vk_virt_error(errp, conn, "domain %s", in->spec.name);
    free(in->spec.uuid);
    if (!(in->spec.uuid = strdup(uuid)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    if (!(final = vk_install_xml(in, true, errp)))
      return false;
    again = virDomainDefineXML(conn, final);
    if (!again)
      return vk_virt_error(errp, conn, "defining domain %s", in->spec.name);
    virDomainFree(again);
  }
  if (in->autostart && virDomainSetAutostart(in->dom, 1) < 0)
    return vk_virt_error(errp, conn, "setting autostart of %s", in->spec.name);
  return go_on(in, errp);
}

bool
vk_install_run(vk_install *in, virConnectPtr conn, vk_error **errp)
{
  if (run_steps(in, conn, errp))
    return true;
  vk_install_rollback(in, conn);
  return false;
}

bool
vk_install_finish(vk_install *in, virConnectPtr conn, vk_error **errp)
{
  /* A seed with disable=on (or of a transient guest) served its one boot
   * and is in no definition. */
  if (in->ci.seed_created && (in->ci.disable || in->transient)) {
    if (unlink(in->ci.seed_path) < 0 && errno != ENOENT)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot remove the cloud-init seed %s",
                                in->ci.seed_path);
    in->ci.seed_created = false;
  }
  if (!vk_install_two_phase(in) || in->noreboot || in->transient || !in->dom)
    return true;
  if (virDomainCreate(in->dom) < 0)
    return vk_virt_error(errp, conn, "starting domain %s after the install", in->spec.name);
  return true;
}
