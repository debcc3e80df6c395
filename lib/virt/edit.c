/* vkit — edit a persistent definition and define it again. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/edit.h"
#include "virt/xml.h"

static const char *const kinds[] = { "domain", "network", "pool", "snapshot" };

/* The persistent definition of e->obj, or NULL with *errp set. */
static char *
current(const vk_virt_edit *e, vk_error **errp)
{
  char *xml = NULL;
  virConnectPtr conn = NULL;
  int persistent = -1;

  switch (e->kind) {
  case VK_EDIT_DOMAIN:
    conn = virDomainGetConnect(e->obj);
    if ((persistent = virDomainIsPersistent(e->obj)) == 1)
      xml = virDomainGetXMLDesc(e->obj, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    break;
  case VK_EDIT_NETWORK:
    conn = virNetworkGetConnect(e->obj);
    if ((persistent = virNetworkIsPersistent(e->obj)) == 1)
      xml = virNetworkGetXMLDesc(e->obj, VIR_NETWORK_XML_INACTIVE);
    break;
  case VK_EDIT_POOL:
    conn = virStoragePoolGetConnect(e->obj);
    if ((persistent = virStoragePoolIsPersistent(e->obj)) == 1)
      xml = virStoragePoolGetXMLDesc(e->obj, VIR_STORAGE_XML_INACTIVE);
    break;
  case VK_EDIT_SNAPSHOT:
    conn = virDomainSnapshotGetConnect(e->obj);
    xml = virDomainSnapshotGetXMLDesc(e->obj, VIR_DOMAIN_SNAPSHOT_XML_SECURE);
    break;
  }
  if (persistent == 0)
    vk_error_set(errp, VK_EXIT_BUSY,
                 "the %s is transient: it has no definition to edit (dumpxml, then define)",
                 kinds[e->kind]);
  else if (!xml)
    vk_virt_error(errp, conn, "cannot get the definition of the %s", kinds[e->kind]);
  return xml;
}

bool
vk_virt_edit_begin(vk_virt_edit *e, vk_edit_kind kind, void *obj, vk_error **errp)
{
  e->kind = kind;
  e->obj = obj;
  e->orig = current(e, errp);
  return e->orig != NULL;
}

void
vk_virt_edit_clear(vk_virt_edit *e)
{
  free(e->orig);
  e->orig = NULL;
}

/* The text of root's child `name`, or NULL. */
static char *
child_text(xmlDocPtr doc, const char *name)
{
  return vk_xml_text(vk_xml_child(xmlDocGetRootElement(doc), name));
}

static bool
same(const char *a, const char *b)
{
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool
vk_virt_edit_apply(const char *edited, void *opaque, vk_error **errp)
{
  vk_virt_edit *e = opaque;
  const char *kind = kinds[e->kind];
  CLEANUP_XMLDOC xmlDocPtr a = vk_xml_read(e->orig, strlen(e->orig), "the definition");
  CLEANUP_XMLDOC xmlDocPtr b = vk_xml_read(edited, strlen(edited), "the edited definition");
  CLEANUP_FREE char *name_a = NULL, *name_b = NULL, *uuid_a = NULL, *uuid_b = NULL, *now = NULL;
  virConnectPtr conn = NULL;
  bool ok = false;

  if (!b || !xmlDocGetRootElement(b))
    return vk_error_set(errp, VK_EXIT_USAGE, "the edited definition is not well-formed XML");
  if (!a || !vk_xml_is(xmlDocGetRootElement(b), (const char *)xmlDocGetRootElement(a)->name))
    return vk_error_set(errp, VK_EXIT_USAGE, "the edited definition is not a %s", kind);
  name_a = child_text(a, "name");
  name_b = child_text(b, "name");
  uuid_a = child_text(a, "uuid");
  uuid_b = child_text(b, "uuid");
  if (!same(name_a, name_b))
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        e->kind == VK_EDIT_DOMAIN
            ? "the edit renames the domain: use domrename (edit changes one domain, "
              "it never makes a second)"
            : "the edit renames the %s: edit changes one %s, it never makes a second",
        kind, kind);
  if (uuid_b && !same(uuid_a, uuid_b))
    return vk_error_set(errp, VK_EXIT_USAGE, "the edit changes the %s's UUID", kind);
  /* someone else's change since the edit began would be lost */
  if (!(now = current(e, errp)))
    return false;
  if (strcmp(now, e->orig) != 0)
    return vk_error_set(errp, VK_EXIT_BUSY,
                        "the %s's definition changed while it was being edited: edit it again",
                        kind);
  switch (e->kind) {
  case VK_EDIT_DOMAIN: {
    virDomainPtr d;
    conn = virDomainGetConnect(e->obj);
    if ((d = virDomainDefineXMLFlags(conn, edited, VIR_DOMAIN_DEFINE_VALIDATE))) {
      virDomainFree(d);
      ok = true;
    }
    break;
  }
  case VK_EDIT_NETWORK: {
    virNetworkPtr n;
    conn = virNetworkGetConnect(e->obj);
    if ((n = virNetworkDefineXMLFlags(conn, edited, VIR_NETWORK_DEFINE_VALIDATE))) {
      virNetworkFree(n);
      ok = true;
    }
    break;
  }
  case VK_EDIT_SNAPSHOT: {
    virDomainSnapshotPtr s;
    unsigned fl = VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE | VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE;
    conn = virDomainSnapshotGetConnect(e->obj);
    if (virDomainSnapshotIsCurrent(e->obj, 0) == 1)
      fl |= VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT;
    if ((s = virDomainSnapshotCreateXML(virDomainSnapshotGetDomain(e->obj), edited, fl))) {
      virDomainSnapshotFree(s);
      ok = true;
    }
    break;
  }
  case VK_EDIT_POOL: {
    virStoragePoolPtr p;
    conn = virStoragePoolGetConnect(e->obj);
    if ((p = virStoragePoolDefineXML(conn, edited, VIR_STORAGE_POOL_DEFINE_VALIDATE))) {
      virStoragePoolFree(p);
      ok = true;
    }
    break;
  }
  }
  if (!ok)
    return vk_virt_error(errp, conn, "the edited %s is refused", kind);
  return true;
}
