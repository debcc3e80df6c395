/* vkit — what the guest agent tells and does. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt/conn.h"
#include "virt/guest.h"

bool
vk_guest_time(virDomainPtr dom, long long *secs, unsigned *nsecs, vk_error **errp)
{
  if (virDomainGetTime(dom, secs, nsecs, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot get the time of");
  return true;
}

bool
vk_guest_set_time(virDomainPtr dom, long long secs, unsigned nsecs, bool sync, vk_error **errp)
{
  if (virDomainSetTime(dom, secs, nsecs, sync ? VIR_DOMAIN_TIME_SYNC : 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot set the time of");
  return true;
}

bool
vk_guest_fsfreeze(virDomainPtr dom, bool thaw, const char **mounts, size_t n, int *count,
                  vk_error **errp)
{
  int r = thaw ? virDomainFSThaw(dom, n ? mounts : NULL, (unsigned)n, 0)
               : virDomainFSFreeze(dom, n ? mounts : NULL, (unsigned)n, 0);

  if (r < 0)
    return vk_virt_dom_error(
        errp, dom, thaw ? "cannot thaw the file systems of" : "cannot freeze the file systems of");
  *count = r;
  return true;
}

bool
vk_guest_fsinfo(virDomainPtr dom, vk_stat_list *out, vk_error **errp)
{
  virDomainFSInfoPtr *info = NULL;
  int n = virDomainGetFSInfo(dom, &info, 0);
  bool ok = true;

  memset(out, 0, sizeof *out);
  if (n < 0)
    return vk_virt_dom_error(errp, dom, "cannot get the file systems of");
  if (n > 0 && !(out->r = calloc((size_t)n, sizeof *out->r)))
    ok = false;
  for (int i = 0; i < n; i++) {
    virDomainFSInfoPtr f = info[i];
    if (ok) {
      vk_stat_record *r = &out->r[out->n++];
      char targets[1024] = "";
      size_t len = 0;
      for (size_t k = 0; k < f->ndevAlias && len < sizeof targets; k++)
        len += (size_t)snprintf(targets + len, sizeof targets - len, "%s%s", k ? ", " : "",
                                f->devAlias[k]);
      ok = (r->name = strdup(f->mountpoint ? f->mountpoint : "")) &&
           vk_stat_add_string(r, "name", f->name) && vk_stat_add_string(r, "type", f->fstype) &&
           vk_stat_add_string(r, "target", targets);
    }
    virDomainFSInfoFree(f);
  }
  free(info);
  if (!ok) {
    vk_stat_list_free(out);
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "out of memory");
  }
  return true;
}

bool
vk_guest_info(virDomainPtr dom, unsigned types, vk_stat_record *out, vk_error **errp)
{
  virTypedParameterPtr p = NULL;
  int n = 0;
  bool ok;

  memset(out, 0, sizeof *out);
  if (virDomainGetGuestInfo(dom, types, &p, &n, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot get the guest information of");
  ok = vk_stat_record_from_params(virDomainGetName(dom), p, n, out);
  virTypedParamsFree(p, n);
  if (!ok) {
    vk_stat_record_clear(out);
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "out of memory");
  }
  return true;
}

char *
vk_guest_hostname(virDomainPtr dom, const char *source, vk_error **errp)
{
  unsigned flags = 0;
  char *h;

  if (source && strcmp(source, "agent") == 0)
    flags = VIR_DOMAIN_GET_HOSTNAME_AGENT;
  else if (source && strcmp(source, "lease") == 0)
    flags = VIR_DOMAIN_GET_HOSTNAME_LEASE;
  else if (source) {
    vk_error_set(errp, VK_EXIT_USAGE, "--source '%s': agent or lease", source);
    return NULL;
  }
  if (!(h = virDomainGetHostname(dom, flags)))
    vk_virt_dom_error(errp, dom, "cannot get the host name of");
  return h;
}
