/* vkit — facts about one domain. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "virt/conn.h"
#include "virt/dominfo.h"

static int
tri(int v)
{
  if (v < 0) {
    virResetLastError();
    return -1;
  }
  return v ? 1 : 0;
}

bool
vk_dominfo_get(virDomainPtr dom, vk_dominfo *out, vk_error **errp)
{
  virConnectPtr conn = virDomainGetConnect(dom);
  virDomainInfo info;
  virSecurityModel model;
  unsigned id = virDomainGetID(dom);
  int autostart = 0;

  memset(out, 0, sizeof *out);
  out->id = id == (unsigned)-1 ? -1 : (int)id;
  snprintf(out->name, sizeof out->name, "%s", virDomainGetName(dom));
  virDomainGetUUIDString(dom, out->uuid);
  if (virDomainGetInfo(dom, &info) < 0 ||
      virDomainGetState(dom, &out->state, &out->reason, 0) < 0)
    return vk_virt_error(errp, conn, "cannot get information about domain '%s'", out->name);
  out->vcpus = info.nrVirtCpu;
  out->cpu_time_ns = info.cpuTime;
  out->max_memory = (uint64_t)info.maxMem * 1024;
  out->memory = (uint64_t)info.memory * 1024;
  out->os_type = virDomainGetOSType(dom);
  if (!out->os_type)
    virResetLastError();
  out->persistent = tri(virDomainIsPersistent(dom));
  out->autostart = virDomainGetAutostart(dom, &autostart) < 0 ? tri(-1) : (autostart != 0);
  out->managed_save = tri(virDomainHasManagedSaveImage(dom, 0));
  out->security_enforcing = -1;
  memset(&model, 0, sizeof model);
  if (virNodeGetSecurityModel(conn, &model) < 0) {
    virResetLastError();
  } else if (model.model[0]) {
    out->security_model = strdup(model.model);
    out->security_doi = strdup(model.doi);
    if (out->id >= 0) {
      virSecurityLabel label;
      memset(&label, 0, sizeof label);
      if (virDomainGetSecurityLabel(dom, &label) < 0) {
        virResetLastError();
      } else if (label.label[0]) {
        out->security_label = strdup(label.label);
        out->security_enforcing = label.enforcing ? 1 : 0;
      }
    }
  }
#if LIBVIR_CHECK_VERSION(7, 1, 0)
  {
    char **msgs = NULL;
    int n = virDomainGetMessages(dom, &msgs, 0);
    if (n < 0)
      virResetLastError();
    else if (n == 0)
      free(msgs);
    else
      out->messages = msgs;
  }
#endif
  return true;
}

void
vk_dominfo_free(vk_dominfo *i)
{
  free(i->os_type);
  free(i->security_model);
  free(i->security_doi);
  free(i->security_label);
  for (char **p = i->messages; p && *p; p++)
    free(*p);
  free(i->messages);
  i->messages = NULL;
  i->os_type = i->security_model = i->security_doi = i->security_label = NULL;
}

bool
vk_domain_state(virDomainPtr dom, int *state, int *reason, vk_error **errp)
{
  if (virDomainGetState(dom, state, reason, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot get the state of");
  return true;
}
