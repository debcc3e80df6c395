/* vkit — what an install made, as JSON (vinstall --json). */
#include <config.h>

#include <string.h>

#include <libvirt/virterror.h>
#include <libxml/xpath.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/domstate.h"
#include "virt/install/install.h"
#include "virt/xml.h"

/* The host side of the domain's console (the pty of a running guest), or
 * NULL when the live XML does not say (the guest stopped).  The caller
 * frees the string. */
static char *
console_path(virDomainPtr dom)
{
  CLEANUP_FREE char *xml = virDomainGetXMLDesc(dom, 0);
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  xmlXPathContextPtr ctx = NULL;
  xmlXPathObjectPtr obj = NULL;
  char *path = NULL;

  if (!xml) {
    virResetLastError();
    return NULL;
  }
  doc = vk_xml_read(xml, strlen(xml), "domain.xml");
  if (doc && (ctx = xmlXPathNewContext(doc)) &&
      (obj = xmlXPathEvalExpression(BAD_CAST "string(/domain/devices/console[1]/source/@path)", ctx)) &&
      obj->type == XPATH_STRING && obj->stringval && *obj->stringval)
    path = strdup((const char *)obj->stringval);
  xmlXPathFreeObject(obj);
  xmlXPathFreeContext(ctx);
  return path;
}

/* The domain's state word ("running", "shutoff", ...); a transient domain
 * that stopped no longer exists and is "shutoff". */
static bool
state_word(virDomainPtr dom, const char **word, vk_error **errp)
{
  int state, reason;

  if (virDomainGetState(dom, &state, &reason, 0) < 0) {
    virErrorPtr e = virGetLastError();
    if (e && e->code == VIR_ERR_NO_DOMAIN) {
      virResetLastError();
      *word = vk_state_word(VIR_DOMAIN_SHUTOFF);
      return true;
    }
    return vk_virt_dom_error(errp, dom, "cannot get the state of");
  }
  *word = vk_state_word(state);
  return true;
}

bool
vk_install_report_json(const vk_install *in, vk_json *j, vk_error **errp)
{
  char uuid[VIR_UUID_STRING_BUFLEN];
  const char *state = NULL;
  const vk_chardev_spec *con = &in->spec.console;
  CLEANUP_FREE char *pty = NULL, *uri = NULL;
  bool is_pty = con->type && strcmp(con->type, "pty") == 0;

  if (!in->dom)
    return vk_error_set(errp, VK_EXIT_FAILED, "no domain was made");
  if (virDomainGetUUIDString(in->dom, uuid) < 0)
    return vk_virt_dom_error(errp, in->dom, "cannot get the UUID of");
  if (!state_word(in->dom, &state, errp))
    return false;
  if (is_pty && !(uri = virConnectGetURI(virDomainGetConnect(in->dom))))
    return vk_virt_dom_error(errp, in->dom, "cannot get the connection URI of");
  vk_json_begin_object(j);
  vk_json_kv_string(j, "name", in->spec.name);
  vk_json_kv_string(j, "uuid", uuid);
  vk_json_kv_string(j, "state", state);
  vk_json_kv_string(j, "virt_type", in->spec.virt_type);
  vk_json_kv_bool(j, "autostart", in->autostart);
  vk_json_kv_bool(j, "transient", in->transient);
  vk_json_key(j, "disks");
  vk_json_begin_array(j);
  for (size_t i = 0; i < in->spec.ndisks; i++) {
    const vk_disk_spec *d = &in->spec.disks[i];

    vk_disk_json_begin(j, d->target, d->device, d->path, d->format);
    vk_json_kv_bool(j, "created", d->seed ? in->ci.seed_created : d->created);
    vk_json_kv_uint_or_null(j, "size", d->created, d->size);
    vk_json_end_object(j);
  }
  vk_json_end_array(j);
  vk_json_key(j, "console");
  vk_json_begin_object(j);
  vk_json_kv_string(j, "type", con->type);
  if (is_pty) {
    pty = strcmp(state, "running") == 0 || strcmp(state, "paused") == 0 ? console_path(in->dom) : NULL;
    vk_json_kv_string(j, "path", pty);
    /* as an argument vector: nothing to quote, whatever the URI holds */
    vk_json_key(j, "attach");
    vk_json_begin_array(j);
    vk_json_string(j, "vctl");
    vk_json_string(j, "-c");
    vk_json_string(j, uri);
    vk_json_string(j, "console");
    vk_json_string(j, uuid);
    vk_json_end_array(j);
  } else {
    vk_json_kv_string(j, "path", con->path);
    vk_json_kv_null(j, "attach");
  }
  vk_json_end_object(j);
  vk_json_key(j, "cloud_init");
  if (in->ci.enabled) {
    vk_json_begin_object(j);
    /* null once removed (disable=on, after the first boot) */
    vk_json_kv_string(j, "seed", in->ci.seed_created ? in->ci.seed_path : NULL);
    vk_json_kv_bool(j, "in_definition", !in->ci.disable && !in->transient);
    vk_json_kv_string(j, "instance_id", in->ci.instance_id);
    vk_json_kv_string(j, "root_password", in->ci.root_password);
    vk_json_end_object(j);
  } else {
    vk_json_null(j);
  }
  vk_json_end_object(j);
  return true;
}
