/* vkit — reading a domain's XML with libxml2. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/domparse.h"
#include "virt/xml.h"

static char *
child_attr(const xmlNode *n, const char *name, const char *a)
{
  return vk_xml_attr(vk_xml_child(n, name), a);
}

static void
parse_disk(const xmlNode *n, vk_disk_info *d)
{
  const xmlNode *src = vk_xml_child(n, "source");

  d->type = vk_xml_attr(n, "type");
  d->device = vk_xml_attr(n, "device");
  if (!d->device)
    d->device = strdup("disk");
  if (!d->type)
    d->type = strdup("file");
  d->target = child_attr(n, "target", "dev");
  d->bus = child_attr(n, "target", "bus");
  d->format = child_attr(n, "driver", "type");
  d->readonly = vk_xml_child(n, "readonly") != NULL;
  d->shareable = vk_xml_child(n, "shareable") != NULL;
  if (src) {
    static const char *const keys[] = { "file", "dev", "dir", "name", "volume" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !d->source; i++)
      d->source = vk_xml_attr(src, keys[i]);
    if (d->source && d->type && strcmp(d->type, "volume") == 0) {
      char *pool = vk_xml_attr(src, "pool");
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
  const xmlNode *src = vk_xml_child(n, "source");

  f->type = vk_xml_attr(n, "type");
  f->mac = child_attr(n, "mac", "address");
  f->model = child_attr(n, "model", "type");
  f->target = child_attr(n, "target", "dev");
  if (src) {
    static const char *const keys[] = { "network", "bridge", "dev", "path" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !f->source; i++)
      f->source = vk_xml_attr(src, keys[i]);
  }
}

static void
parse_graphics(const xmlNode *n, vk_graphics_info *g)
{
  char *port = vk_xml_attr(n, "port");
  const xmlNode *l = vk_xml_child(n, "listen");

  g->type = vk_xml_attr(n, "type");
  g->port = port ? atoi(port) : -1;
  free(port);
  g->listen = vk_xml_attr(n, "listen");
  if (!g->listen && l)
    g->listen = vk_xml_attr(l, "address");
  g->passwd_set = vk_xml_attr(n, "passwd");
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
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  const xmlNode *root, *devices;
  bool ok = true;

  memset(out, 0, sizeof *out);
  if (!(doc = vk_xml_read(xml, strlen(xml), "domain.xml")))
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot parse the domain XML");
  root = xmlDocGetRootElement(doc);
  if (!vk_xml_is(root, "domain"))
    return vk_error_set(errp, VK_EXIT_FAILED, "the XML is not a domain description");
  out->os_type = vk_xml_text(vk_xml_child(vk_xml_child(root, "os"), "type"));
  devices = vk_xml_child(root, "devices");
  for (const xmlNode *n = devices ? devices->children : NULL; n && ok; n = n->next) {
    void *e;

    if (vk_xml_is(n, "disk")) {
      if ((e = grow((void **)&out->disks, &out->ndisks, sizeof *out->disks)))
        parse_disk(n, e);
    } else if (vk_xml_is(n, "interface")) {
      if ((e = grow((void **)&out->ifaces, &out->nifaces, sizeof *out->ifaces)))
        parse_iface(n, e);
    } else if (vk_xml_is(n, "graphics")) {
      if ((e = grow((void **)&out->graphics, &out->ngraphics, sizeof *out->graphics)))
        parse_graphics(n, e);
    } else {
      continue;
    }
    ok = e != NULL;
  }
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
