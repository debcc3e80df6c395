/* vkit — reading a domain's XML with libxml2. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/domparse.h"

static bool
is(const xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* A copy of an attribute made with malloc (NULL if absent or empty). */
static char *
attr(const xmlNode *n, const char *name)
{
  xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
  char *s = NULL;

  if (v && *v)
    s = strdup((const char *)v);
  xmlFree(v);
  return s;
}

static const xmlNode *
child(const xmlNode *n, const char *name)
{
  for (const xmlNode *c = n->children; c; c = c->next)
    if (is(c, name))
      return c;
  return NULL;
}

static char *
child_attr(const xmlNode *n, const char *name, const char *a)
{
  const xmlNode *c = child(n, name);
  return c ? attr(c, a) : NULL;
}

static void
parse_disk(const xmlNode *n, vk_disk_info *d)
{
  const xmlNode *src = child(n, "source");

  d->type = attr(n, "type");
  d->device = attr(n, "device");
  if (!d->device)
    d->device = strdup("disk");
  if (!d->type)
    d->type = strdup("file");
  d->target = child_attr(n, "target", "dev");
  d->bus = child_attr(n, "target", "bus");
  d->format = child_attr(n, "driver", "type");
  d->readonly = child(n, "readonly") != NULL;
  d->shareable = child(n, "shareable") != NULL;
  if (src) {
    static const char *const keys[] = { "file", "dev", "dir", "name", "volume" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !d->source; i++)
      d->source = attr(src, keys[i]);
    if (d->source && d->type && strcmp(d->type, "volume") == 0) {
      char *pool = attr(src, "pool");
      char *both = NULL;
      if (pool && asprintf(&both, "%s/%s", pool, d->source) >= 0) {
        free(d->source);
        d->source = both;
      }
      free(pool);
    }
  }
}

static void
parse_iface(const xmlNode *n, vk_iface_info *f)
{
  const xmlNode *src = child(n, "source");

  f->type = attr(n, "type");
  f->mac = child_attr(n, "mac", "address");
  f->model = child_attr(n, "model", "type");
  f->target = child_attr(n, "target", "dev");
  if (src) {
    static const char *const keys[] = { "network", "bridge", "dev", "path" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !f->source; i++)
      f->source = attr(src, keys[i]);
  }
}

static void
parse_graphics(const xmlNode *n, vk_graphics_info *g)
{
  char *port = attr(n, "port");
  const xmlNode *l = child(n, "listen");

  g->type = attr(n, "type");
  g->port = port ? atoi(port) : -1;
  free(port);
  g->listen = attr(n, "listen");
  if (!g->listen && l)
    g->listen = attr(l, "address");
  g->passwd_set = attr(n, "passwd");
}

/* Grow an array by one zeroed element; returns it or NULL. */
static void *
grow(void **arr, size_t *n, size_t size)
{
  char *p = realloc(*arr, (*n + 1) * size);

  if (!p)
    return NULL;
  *arr = p;
  memset(p + *n * size, 0, size);
  return p + (*n)++ * size;
}

bool
vk_domxml_parse(const char *xml, vk_domxml *out, vk_error **errp)
{
  xmlDocPtr doc;
  const xmlNode *root, *devices, *os;
  bool ok = true;

  memset(out, 0, sizeof *out);
  doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc)
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot parse the domain XML");
  root = xmlDocGetRootElement(doc);
  if (!root || !is(root, "domain")) {
    xmlFreeDoc(doc);
    return vk_error_set(errp, VK_EXIT_FAILED, "the XML is not a domain description");
  }
  os = child(root, "os");
  if (os) {
    const xmlNode *t = child(os, "type");
    if (t) {
      xmlChar *c = xmlNodeGetContent(t);
      out->os_type = c ? strdup((const char *)c) : NULL;
      xmlFree(c);
    }
  }
  devices = child(root, "devices");
  for (const xmlNode *n = devices ? devices->children : NULL; n && ok; n = n->next) {
    void *e;

    if (is(n, "disk")) {
      if ((e = grow((void **)&out->disks, &out->ndisks, sizeof *out->disks)))
        parse_disk(n, e);
    } else if (is(n, "interface")) {
      if ((e = grow((void **)&out->ifaces, &out->nifaces, sizeof *out->ifaces)))
        parse_iface(n, e);
    } else if (is(n, "graphics")) {
      if ((e = grow((void **)&out->graphics, &out->ngraphics, sizeof *out->graphics)))
        parse_graphics(n, e);
    } else {
      continue;
    }
    ok = e != NULL;
  }
  xmlFreeDoc(doc);
  if (!ok) {
    vk_domxml_free(out);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory reading the domain XML");
  }
  return true;
}

void
vk_domxml_free(vk_domxml *d)
{
  for (size_t i = 0; i < d->ndisks; i++) {
    vk_disk_info *x = &d->disks[i];
    free(x->type); free(x->device); free(x->target); free(x->bus);
    free(x->format); free(x->source);
  }
  for (size_t i = 0; i < d->nifaces; i++) {
    vk_iface_info *x = &d->ifaces[i];
    free(x->type); free(x->source); free(x->target); free(x->model); free(x->mac);
  }
  for (size_t i = 0; i < d->ngraphics; i++) {
    vk_graphics_info *x = &d->graphics[i];
    free(x->type); free(x->listen); free(x->passwd_set);
  }
  free(d->disks);
  free(d->ifaces);
  free(d->graphics);
  free(d->os_type);
  memset(d, 0, sizeof *d);
}

bool
vk_domxml_get(virDomainPtr dom, bool inactive, vk_domxml *out, vk_error **errp)
{
  CLEANUP_FREE char *xml = virDomainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);

  memset(out, 0, sizeof *out);
  if (!xml)
    return vk_virt_dom_error(errp, dom, "cannot get the XML of");
  if (!vk_domxml_parse(xml, out, errp)) {
    vk_error_prefix(errp, "domain '%s'", virDomainGetName(dom));
    return false;
  }
  return true;
}

char *
vk_domain_vnc_display(virDomainPtr dom, vk_error **errp)
{
  const char *name = virDomainGetName(dom);
  vk_domxml d;
  char *s = NULL;
  int active = virDomainIsActive(dom);

  if (active < 0) {
    vk_virt_dom_error(errp, dom, "cannot get the state of");
    return NULL;
  }
  if (!active) {
    vk_error_set(errp, VK_EXIT_BUSY, "domain '%s' is not running", name);
    return NULL;
  }
  if (!vk_domxml_get(dom, false, &d, errp))
    return NULL;
  for (size_t i = 0; i < d.ngraphics; i++) {
    vk_graphics_info *g = &d.graphics[i];
    const char *host = g->listen ? g->listen : "";

    if (!g->type || strcmp(g->type, "vnc") != 0 || g->port < 5900)
      continue;
    if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
      host = "";
    if (asprintf(&s, "%s%s%s:%d", strchr(host, ':') ? "[" : "", host,
                 strchr(host, ':') ? "]" : "", g->port - 5900) < 0)
      s = NULL;
    break;
  }
  vk_domxml_free(&d);
  if (!s)
    vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' has no VNC display", name);
  return s;
}
