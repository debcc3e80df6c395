/* vkit — vinstall's run: create disks, define, start; roll back on failure. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/install.h"
#include "virt/install-disk.h"

static bool
create_disks(vk_install *in, vk_error **errp)
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
    if (!vk_install_create_disk(d, errp))
      return false;
    d->created = true;
    if (in->progress)
      in->progress(in->progress_opaque, ++done, total);
  }
  return true;
}

/* A test hook: a command run after the disks are created and before the
 * domain is defined, so a test can make the define fail (for instance by
 * defining a domain of the same name) and check the rollback. */
static bool
test_hook(vk_error **errp)
{
  const char *cmd = getenv("VKIT_INSTALL_HOOK_BEFORE_DEFINE");

  if (cmd && *cmd && system(cmd) != 0)
    return vk_error_set(errp, VK_EXIT_FAILED, "the VKIT_INSTALL_HOOK_BEFORE_DEFINE command failed");
  return true;
}

void
vk_install_rollback(vk_install *in, virConnectPtr conn)
{
  (void)conn;
  if (in->dom) {
    if (in->started && virDomainIsActive(in->dom) == 1)
      virDomainDestroy(in->dom);
    if (in->defined)
      virDomainUndefineFlags(in->dom, VIR_DOMAIN_UNDEFINE_NVRAM |
                                      VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                      VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA);
    virDomainFree(in->dom);
    in->dom = NULL;
  }
  in->started = in->defined = false;
  for (size_t i = 0; i < in->spec.ndisks; i++) {
    vk_disk_spec *d = &in->spec.disks[i];
    if (d->created && d->path)
      unlink(d->path);
    d->created = false;
  }
}

static bool
run_steps(vk_install *in, virConnectPtr conn, vk_error **errp)
{
  CLEANUP_FREE char *first = vk_install_xml(in, false, errp);
  CLEANUP_FREE char *final = NULL;

  if (!first)
    return false;
  if (!vk_install_preflight(in, conn, errp) || !create_disks(in, errp) || !test_hook(errp))
    return false;

  if (in->transient) {
    in->dom = virDomainCreateXML(conn, first, 0);
    if (!in->dom)
      return vk_virt_error(errp, conn, "starting domain %s", in->spec.name);
    in->started = true;
    return true;
  }
  in->dom = virDomainDefineXML(conn, first);
  if (!in->dom)
    return vk_virt_error(errp, conn, "defining domain %s", in->spec.name);
  in->defined = true;
  if (virDomainCreate(in->dom) < 0)
    return vk_virt_error(errp, conn, "starting domain %s", in->spec.name);
  in->started = true;
  /* The persistent definition becomes the final one; the running guest
   * keeps its install configuration until it stops. */
  if (vk_install_two_phase(in)) {
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
  return true;
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
  if (!vk_install_two_phase(in) || in->noreboot || in->transient || !in->dom)
    return true;
  if (virDomainCreate(in->dom) < 0)
    return vk_virt_error(errp, conn, "starting domain %s after the install", in->spec.name);
  return true;
}
