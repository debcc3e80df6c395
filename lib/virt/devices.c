/* vkit — devices of a guest changed (see devices.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/devices.h"
#include "virt/domevent.h"
#include "virt/event.h"
#include "virt/xml.h"

static bool affects_live(virDomainPtr dom, unsigned vflags);

unsigned
vk_dev_libvirt_flags(virDomainPtr dom, unsigned flags)
{
  unsigned f = 0;

  if (flags & VK_DEV_PERSISTENT) {
    f |= VIR_DOMAIN_AFFECT_CONFIG;
    if (virDomainIsActive(dom) == 1)
      f |= VIR_DOMAIN_AFFECT_LIVE;
  }
  if (flags & VK_DEV_LIVE)
    f |= VIR_DOMAIN_AFFECT_LIVE;
  if (flags & VK_DEV_CONFIG)
    f |= VIR_DOMAIN_AFFECT_CONFIG;
  return f ? f : VIR_DOMAIN_AFFECT_CURRENT;
}

bool
vk_dev_affects_live(virDomainPtr dom, unsigned flags)
{
  return affects_live(dom, vk_dev_libvirt_flags(dom, flags));
}

static bool
affects_live(virDomainPtr dom, unsigned vflags)
{
  return (vflags & VIR_DOMAIN_AFFECT_LIVE) ||
         (vflags == VIR_DOMAIN_AFFECT_CURRENT && virDomainIsActive(dom) == 1);
}

bool
vk_device_attach(virDomainPtr dom, const char *xml, unsigned flags, vk_error **errp)
{
  if (virDomainAttachDeviceFlags(dom, xml, vk_dev_libvirt_flags(dom, flags)) < 0)
    return vk_virt_dom_error(errp, dom, "cannot attach the device to");
  return true;
}

bool
vk_device_update(virDomainPtr dom, const char *xml, unsigned flags, vk_error **errp)
{
  if (virDomainUpdateDeviceFlags(dom, xml, vk_dev_libvirt_flags(dom, flags)) < 0)
    return vk_virt_dom_error(errp, dom, "cannot update the device of");
  return true;
}

/* ------------------------------------------------------------ finding */

/* Call fn on every device element called `elem` of the domain's XML;
 * the first it accepts is returned serialized, *alias set. */
static char *
find_device(virDomainPtr dom, bool inactive, const char *elem,
            bool (*match)(xmlNode *n, const void *arg), const void *arg, bool unique, char **alias,
            vk_error **errp)
{
  CLEANUP_FREE char *xml = virDomainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  xmlNode *devs, *found = NULL;
  int n = 0;
  char *out = NULL;
  xmlBufferPtr buf;

  if (alias)
    *alias = NULL;
  if (!xml) {
    vk_virt_dom_error(errp, dom, "cannot read the XML of");
    return NULL;
  }
  if (!(doc = vk_xml_read(xml, strlen(xml), "domain XML"))) {
    vk_error_set(errp, VK_EXIT_FAILED, "cannot parse the XML of domain '%s'",
                 virDomainGetName(dom));
    return NULL;
  }
  devs = vk_xml_child(xmlDocGetRootElement(doc), "devices");
  for (xmlNode *c = devs ? devs->children : NULL; c; c = c->next)
    if (vk_xml_is(c, elem) && match(c, arg)) {
      if (!found)
        found = c;
      n++;
    }
  if (!found) {
    vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' has no such %s", virDomainGetName(dom), elem);
    return NULL;
  }
  if (unique && n > 1) {
    vk_error_set(errp, VK_EXIT_USAGE, "domain '%s' has %d such %ss: say which with --mac",
                 virDomainGetName(dom), n, elem);
    return NULL;
  }
  if (alias)
    *alias = vk_xml_attr(vk_xml_child(found, "alias"), "name");
  if ((buf = xmlBufferCreate())) {
    if (xmlNodeDump(buf, doc, found, 0, 0) >= 0)
      out = strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
  }
  if (!out)
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return out;
}

static bool
disk_matches(xmlNode *n, const void *arg)
{
  const char *want = arg;
  CLEANUP_FREE char *dev = vk_xml_attr(vk_xml_child(n, "target"), "dev");
  xmlNode *src = vk_xml_child(n, "source");
  CLEANUP_FREE char *file = vk_xml_attr(src, "file");
  CLEANUP_FREE char *bdev = vk_xml_attr(src, "dev");

  return (dev && strcmp(dev, want) == 0) || (file && strcmp(file, want) == 0) ||
         (bdev && strcmp(bdev, want) == 0);
}

char *
vk_domain_find_disk(virDomainPtr dom, const char *target, bool inactive, char **alias,
                    vk_error **errp)
{
  char *xml = find_device(dom, inactive, "disk", disk_matches, target, false, alias, errp);

  if (!xml && *errp && (*errp)->code == VK_EXIT_NOTFOUND) {
    vk_error_free(*errp);
    *errp = NULL;
    vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' has no disk '%s'%s", virDomainGetName(dom),
                 target, inactive ? " in its definition" : "");
  }
  return xml;
}

typedef struct {
  const char *type, *mac;
} iface_key;

static bool
iface_matches(xmlNode *n, const void *arg)
{
  const iface_key *k = arg;
  CLEANUP_FREE char *type = vk_xml_attr(n, "type");
  CLEANUP_FREE char *mac = vk_xml_attr(vk_xml_child(n, "mac"), "address");

  if (k->type && (!type || strcmp(type, k->type) != 0))
    return false;
  return !k->mac || (mac && strcasecmp(mac, k->mac) == 0);
}

char *
vk_domain_find_iface(virDomainPtr dom, const char *type, const char *mac, bool inactive,
                     char **alias, vk_error **errp)
{
  iface_key k = { type, mac };
  char *xml = find_device(dom, inactive, "interface", iface_matches, &k, true, alias, errp);

  if (!xml && *errp && (*errp)->code == VK_EXIT_NOTFOUND) {
    vk_error_free(*errp);
    *errp = NULL;
    vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' has no %s interface%s%s",
                 virDomainGetName(dom), type ? type : "", mac ? " with MAC " : "", mac ? mac : "");
  }
  return xml;
}

/* ------------------------------------------------------------ link state */

/* An interface by its host-side device name (vnet0) or its MAC. */
static bool
iface_named(xmlNode *n, const void *arg)
{
  CLEANUP_FREE char *dev = vk_xml_attr(vk_xml_child(n, "target"), "dev");
  CLEANUP_FREE char *mac = vk_xml_attr(vk_xml_child(n, "mac"), "address");

  return (dev && strcmp(dev, arg) == 0) || (mac && strcasecmp(mac, arg) == 0);
}

/* The interface's XML parsed, or NULL with *errp set. */
static xmlDocPtr
iface_doc(virDomainPtr dom, const char *iface, bool inactive, vk_error **errp)
{
  CLEANUP_FREE char *xml =
      find_device(dom, inactive, "interface", iface_named, iface, false, NULL, errp);
  xmlDocPtr doc;

  if (!xml) {
    if (*errp && (*errp)->code == VK_EXIT_NOTFOUND) {
      vk_error_free(*errp);
      *errp = NULL;
      vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' has no interface '%s'%s",
                   virDomainGetName(dom), iface, inactive ? " in its definition" : "");
    }
    return NULL;
  }
  if (!(doc = vk_xml_read(xml, strlen(xml), "interface XML")))
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return doc;
}

char *
vk_iface_link_get(virDomainPtr dom, const char *iface, bool inactive, vk_error **errp)
{
  CLEANUP_XMLDOC xmlDocPtr doc = iface_doc(dom, iface, inactive, errp);
  char *state;

  if (!doc)
    return NULL;
  state = vk_xml_attr(vk_xml_child(xmlDocGetRootElement(doc), "link"), "state");
  if (!state && !(state = strdup("up")))
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return state;
}

bool
vk_iface_link_set(virDomainPtr dom, const char *iface, const char *state, unsigned flags,
                  vk_error **errp)
{
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  xmlNode *root, *link;
  xmlBufferPtr buf;
  bool ok = false;

  if (strcmp(state, "up") != 0 && strcmp(state, "down") != 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "link state '%s': up or down", state);
  if (!(doc = iface_doc(dom, iface, !vk_dev_affects_live(dom, flags), errp)))
    return false;
  root = xmlDocGetRootElement(doc);
  if (!(link = vk_xml_child(root, "link")) &&
      !(link = xmlNewChild(root, NULL, (const xmlChar *)"link", NULL)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  xmlSetProp(link, (const xmlChar *)"state", (const xmlChar *)state);
  if (!(buf = xmlBufferCreate()))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (xmlNodeDump(buf, doc, root, 0, 0) >= 0)
    ok = vk_device_update(dom, (const char *)xmlBufferContent(buf), flags, errp);
  else
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  xmlBufferFree(buf);
  return ok;
}

/* ------------------------------------------------------------ detach */

/* Is the device `alias` still in the live XML? */
static bool
still_there(virDomainPtr dom, const char *alias)
{
  CLEANUP_FREE char *xml = virDomainGetXMLDesc(dom, 0);
  char needle[512];

  if (!xml)
    return false;
  snprintf(needle, sizeof needle, "<alias name='%s'/>", alias);
  return strstr(xml, needle) != NULL;
}

typedef struct {
  const char *alias;
  bool removed, failed;
} removal;

static bool
on_removal(const vk_dom_event *e, void *opaque)
{
  removal *r = opaque;

  if (!e->detail || strcmp(e->detail, r->alias) != 0)
    return true;
  if (strcmp(e->event, "device-removed") == 0)
    r->removed = true;
  else
    r->failed = true;
  return false;
}

/* After a live detach was asked: wait for the guest to let `alias` go,
 * until `deadline` (vk_now_ms(); < 0: no limit) of a wait of wait_ms. */
static bool
wait_removed(virDomainPtr dom, const char *alias, int64_t deadline, int wait_ms, vk_error **errp)
{
  static const char *const names[] = { "device-removed", "device-removal-failed" };
  removal r = { alias, false, false };
  unsigned long count;
  vk_error *e = NULL;

  while (still_there(dom, alias)) {
    int left = deadline < 0 ? 1000 : (int)(deadline - vk_now_ms());
    if (deadline >= 0 && left <= 0)
      return vk_error_set(errp, VK_EXIT_TIMEOUT,
                          "the guest of domain '%s' did not release device '%s' within %g s "
                          "(the request stays pending)",
                          virDomainGetName(dom), alias, wait_ms / 1000.0);
    if (left > 1000)
      left = 1000; /* look at the XML again now and then: an event may come before we watch */
    if (!vk_events_watch(virDomainGetConnect(dom), dom, names, 2, true, left, NULL, on_removal, &r,
                         &count, &e)) {
      if (e->code != VK_EXIT_TIMEOUT) {
        vk_error_propagate(errp, e);
        return false;
      }
      vk_error_free(e);
      e = NULL;
    }
    if (r.failed)
      return vk_error_set(errp, VK_EXIT_FAILED, "the guest of domain '%s' refused to release '%s'",
                          virDomainGetName(dom), alias);
    if (r.removed)
      return true;
  }
  return true;
}

/* The alias of the device `xml` in the live domain. */
static char *
live_alias(virDomainPtr dom, const char *xml)
{
  CLEANUP_XMLDOC xmlDocPtr doc = vk_xml_read(xml, strlen(xml), "device XML");
  xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
  char *alias = NULL;
  vk_error *e = NULL;

  if (!root)
    return NULL;
  if ((alias = vk_xml_attr(vk_xml_child(root, "alias"), "name")))
    return alias;
  if (vk_xml_is(root, "disk")) {
    CLEANUP_FREE char *dev = vk_xml_attr(vk_xml_child(root, "target"), "dev");
    free(dev ? vk_domain_find_disk(dom, dev, false, &alias, &e) : NULL);
  } else if (vk_xml_is(root, "interface")) {
    CLEANUP_FREE char *mac = vk_xml_attr(vk_xml_child(root, "mac"), "address");
    CLEANUP_FREE char *type = vk_xml_attr(root, "type");
    free(mac ? vk_domain_find_iface(dom, type, mac, false, &alias, &e) : NULL);
  }
  vk_error_free(e);
  return alias;
}

bool
vk_device_detach(virDomainPtr dom, const char *xml, unsigned flags, bool wait, int wait_ms,
                 vk_error **errp)
{
  unsigned vf = vk_dev_libvirt_flags(dom, flags);
  CLEANUP_FREE char *alias = wait && affects_live(dom, vf) ? live_alias(dom, xml) : NULL;
  /* libvirt itself waits a few seconds for the guest: that counts too */
  int64_t deadline = wait_ms >= 0 ? vk_now_ms() + wait_ms : -1;

  if (virDomainDetachDeviceFlags(dom, xml, vf) < 0)
    return vk_virt_dom_error(errp, dom, "cannot detach the device from");
  if (alias)
    return wait_removed(dom, alias, deadline, wait_ms, errp);
  return true;
}

bool
vk_device_detach_alias(virDomainPtr dom, const char *alias, unsigned flags, bool wait, int wait_ms,
                       vk_error **errp)
{
  unsigned vf = vk_dev_libvirt_flags(dom, flags);
  int64_t deadline = wait_ms >= 0 ? vk_now_ms() + wait_ms : -1;

  if (virDomainDetachDeviceAlias(dom, alias, vf) < 0)
    return vk_virt_dom_error(errp, dom, "cannot detach the device from");
  if (wait && affects_live(dom, vf))
    return wait_removed(dom, alias, deadline, wait_ms, errp);
  return true;
}

/* ------------------------------------------------------------ media */

bool
vk_change_media(virDomainPtr dom, const char *path, const char *source, unsigned flags,
                vk_error **errp)
{
  unsigned vf = vk_dev_libvirt_flags(dom, flags);
  bool inactive = !affects_live(dom, vf);
  CLEANUP_FREE char *xml = vk_domain_find_disk(dom, path, inactive, NULL, errp), *out = NULL;
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  CLEANUP_FREE char *device = NULL;
  vk_xml_builder b = { 0 };
  xmlNode *root, *src;

  if (!xml)
    return false;
  if (!(doc = vk_xml_read(xml, strlen(xml), "disk XML")))
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot parse the disk XML");
  root = xmlDocGetRootElement(doc);
  device = vk_xml_attr(root, "device");
  if (!device || (strcmp(device, "cdrom") != 0 && strcmp(device, "floppy") != 0))
    return vk_error_set(errp, VK_EXIT_USAGE, "'%s' of domain '%s' is a %s, not a CD-ROM or floppy",
                        path, virDomainGetName(dom), device ? device : "disk");
  if ((src = vk_xml_child(root, "source"))) {
    xmlUnlinkNode(src);
    xmlFreeNode(src);
  }
  /* <alias> and <address> stay: they say which drive */
  if (source) {
    if (!xmlSetProp(root, BAD_CAST "type", BAD_CAST "file"))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    src = vk_xml_add(&b, root, "source", NULL);
    vk_xml_set(&b, src, "file", source);
    /* <source> goes before <target>, as libvirt writes it */
    if (src && vk_xml_child(root, "target")) {
      xmlUnlinkNode(src);
      xmlAddPrevSibling(vk_xml_child(root, "target"), src);
    }
  }
  if (!(out = vk_xml_serialize(&b, doc)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (virDomainUpdateDeviceFlags(dom, out, vf | VIR_DOMAIN_DEVICE_MODIFY_FORCE) < 0)
    return vk_virt_dom_error(errp, dom, "cannot change the media of");
  return true;
}
