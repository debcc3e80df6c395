/* vkit — the clone's domain XML, written with libxml2. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include "util/cleanup.h"
#include "virt/clone/internal.h"
#include "virt/xml.h"

static void
remove_children(xmlNode *n, const char *name)
{
  xmlNode *c = n->children, *next;

  for (; c; c = next) {
    next = c->next;
    if (vk_xml_is(c, name)) {
      /* with the indentation before it */
      if (c->prev && xmlIsBlankNode(c->prev)) {
        xmlNode *ws = c->prev;
        xmlUnlinkNode(ws);
        xmlFreeNode(ws);
      }
      xmlUnlinkNode(c);
      xmlFreeNode(c);
    }
  }
}

static const xmlChar *
X(const char *s)
{
  return (const xmlChar *)s;
}

/* The child element `name` of n, made (empty) when missing. */
static xmlNode *
ensure_child(xmlNode *n, const char *name)
{
  xmlNode *c = vk_xml_child(n, name);

  return c ? c : xmlNewChild(n, NULL, X(name), NULL);
}

/* Set the text of element `name` under root (created when missing). */
static bool
set_text(xmlNode *root, const char *name, const char *text)
{
  xmlNode *n = ensure_child(root, name);

  if (!n)
    return false;
  xmlNodeSetContent(n, NULL);
  xmlNodeAddContent(n, X(text));   /* escapes &, <, > */
  return true;
}

static bool
attr_is(const xmlNode *n, const char *a, const char *v)
{
  xmlChar *s = xmlGetProp(n, X(a));
  bool r = s && strcmp((const char *)s, v) == 0;

  xmlFree(s);
  return r;
}

static bool
rewrite_disk(xmlNode *n, const vk_clone_disk *d)
{
  xmlNode *src, *drv;

  if (d->how == VK_CLONE_SHARED || d->how == VK_CLONE_SKIPPED)
    return true;
  if (!(src = ensure_child(n, "source")))
    return false;
  xmlUnsetProp(src, X("dev"));
  if (d->volume) {
    xmlSetProp(n, X("type"), X("volume"));
    xmlUnsetProp(src, X("file"));
    xmlSetProp(src, X("pool"), X(d->pool));
    xmlSetProp(src, X("volume"), X(d->volume));
  } else {
    xmlSetProp(n, X("type"), X("file"));
    xmlUnsetProp(src, X("pool"));
    xmlUnsetProp(src, X("volume"));
    xmlUnsetProp(src, X("mode"));
    xmlSetProp(src, X("file"), X(d->path));
  }
  if (!(drv = vk_xml_child(n, "driver"))) {
    if (!(drv = xmlNewChild(n, NULL, X("driver"), NULL)))
      return false;
    xmlSetProp(drv, X("name"), X("qemu"));
  }
  xmlSetProp(drv, X("type"), X(d->format));
  /* The original's chain says nothing about the clone's: libvirt reads
   * the clone's own backing chain from the image. */
  remove_children(n, "backingStore");
  return true;
}

static void
rewrite_iface(xmlNode *n, const char *mac)
{
  xmlNode *m = ensure_child(n, "mac");

  if (m)
    xmlSetProp(m, X("address"), X(mac));
  remove_children(n, "target");     /* the host-side device name */
}

static void
rewrite_graphics(xmlNode *n)
{
  xmlChar *port = xmlGetProp(n, X("port"));

  if (port && strcmp((const char *)port, "-1") != 0) {
    xmlSetProp(n, X("port"), X("-1"));
    xmlSetProp(n, X("autoport"), X("yes"));
  }
  xmlFree(port);
}

/* A guest-agent style channel whose socket is named after the original:
 * let libvirt make one for the clone. */
static void
rewrite_channel(xmlNode *n)
{
  xmlNode *src = vk_xml_child(n, "source"), *tgt = vk_xml_child(n, "target");
  xmlChar *path, *name;

  if (!attr_is(n, "type", "unix") || !src || !tgt)
    return;
  path = xmlGetProp(src, X("path"));
  name = xmlGetProp(tgt, X("name"));
  if (path && name && strstr((const char *)path, (const char *)name))
    xmlUnsetProp(src, X("path"));
  xmlFree(path);
  xmlFree(name);
}

static bool
rewrite_nvram(xmlNode *root, const char *path)
{
  xmlNode *nv = vk_xml_child(vk_xml_child(root, "os"), "nvram");
  xmlNode *src;

  if (!nv)
    return true;
  if ((src = vk_xml_child(nv, "source"))) {
    xmlSetProp(src, X("file"), X(path));
    return true;
  }
  xmlNodeSetContent(nv, NULL);
  xmlNodeAddContent(nv, X(path));
  return true;
}

static xmlDocPtr
read_doc(const char *xml, vk_error **errp)
{
  xmlDocPtr doc = vk_xml_read(xml, strlen(xml), "domain.xml");
  xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;

  if (!vk_xml_is(root, "domain")) {
    xmlFreeDoc(doc);
    vk_error_set(errp, VK_EXIT_USAGE, "the original's XML is not a domain description");
    return NULL;
  }
  return doc;
}


bool
vk_clone_xml_read(const char *xml, char **name, char **nvram, vk_error **errp)
{
  xmlDocPtr doc = read_doc(xml, errp);
  xmlNode *root, *nv, *src;

  *name = *nvram = NULL;
  if (!doc)
    return false;
  root = xmlDocGetRootElement(doc);
  *name = vk_xml_text(vk_xml_child(root, "name"));
  nv = vk_xml_child(vk_xml_child(root, "os"), "nvram");
  if ((src = vk_xml_child(nv, "source"))) {
    xmlChar *v = xmlGetProp(src, X("file"));
    *nvram = v && *v ? strdup((const char *)v) : NULL;
    xmlFree(v);
  } else {
    *nvram = vk_xml_text(nv);
  }
  xmlFreeDoc(doc);
  if (!*name) {
    free(*nvram);
    *nvram = NULL;
    return vk_error_set(errp, VK_EXIT_USAGE, "the original's XML has no name");
  }
  return true;
}

char *
vk_clone_xml_build(const char *orig_xml, const vk_clone *c, vk_error **errp)
{
  xmlDocPtr doc = read_doc(orig_xml, errp);
  xmlNode *root, *devices;
  xmlBufferPtr buf = NULL;
  xmlSaveCtxtPtr save;
  size_t ndisk = 0, niface = 0;
  char *out = NULL;
  bool ok = true;

  if (!doc)
    return NULL;
  root = xmlDocGetRootElement(doc);
  xmlUnsetProp(root, X("id"));
  remove_children(root, "title");
  ok = set_text(root, "name", c->name) && set_text(root, "uuid", c->uuid);
  if (ok && c->nvram)
    ok = rewrite_nvram(root, c->nvram);
  devices = vk_xml_child(root, "devices");
  for (xmlNode *n = devices ? devices->children : NULL; ok && n; n = n->next) {
    if (vk_xml_is(n, "disk")) {
      if (ndisk < c->ndisks)
        ok = rewrite_disk(n, &c->disks[ndisk]);
      ndisk++;
    } else if (vk_xml_is(n, "interface")) {
      if (niface < c->nmacs)
        rewrite_iface(n, c->macs[niface]);
      niface++;
    } else if (vk_xml_is(n, "graphics")) {
      rewrite_graphics(n);
    } else if (vk_xml_is(n, "channel")) {
      rewrite_channel(n);
    }
  }
  if (ok && ndisk != c->ndisks)
    ok = false;
  if (ok && (buf = xmlBufferCreate()) &&
      (save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL | XML_SAVE_FORMAT))) {
    ok = xmlSaveTree(save, root) >= 0;
    if (xmlSaveClose(save) < 0)
      ok = false;
    if (ok) {
      size_t len = (size_t)xmlBufferLength(buf);
      out = malloc(len + 2);
      if (out) {
        memcpy(out, xmlBufferContent(buf), len);
        if (len == 0 || out[len - 1] != '\n')
          out[len++] = '\n';
        out[len] = '\0';
      }
    }
  }
  if (buf)
    xmlBufferFree(buf);
  xmlFreeDoc(doc);
  if (!out)
    vk_error_set(errp, VK_EXIT_FAILED, "cannot write the clone's domain XML");
  return out;
}
