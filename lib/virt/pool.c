/* vkit — storage pools (see pool.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/pool.h"
#include "virt/xml.h"

void
vk_cleanup_pool(virStoragePoolPtr *p)
{
  if (*p)
    virStoragePoolFree(*p);
}

bool
vk_pool_error(vk_error **errp, virStoragePoolPtr pool, const char *what)
{
  virErrorPtr saved = virSaveLastError();
  char buf[512];

  snprintf(buf, sizeof buf, "%s pool '%s'", what, virStoragePoolGetName(pool));
  return vk_virt_error_from(errp, virStoragePoolGetConnect(pool), saved, buf);
}

const char *
vk_pool_state_word(int state)
{
  switch (state) {
  case VIR_STORAGE_POOL_INACTIVE: return "inactive";
  case VIR_STORAGE_POOL_BUILDING: return "building";
  case VIR_STORAGE_POOL_RUNNING: return "running";
  case VIR_STORAGE_POOL_DEGRADED: return "degraded";
  case VIR_STORAGE_POOL_INACCESSIBLE: return "inaccessible";
  default: return "unknown";
  }
}

void
vk_pool_type_target(virStoragePoolPtr pool, char **type, char **target)
{
  CLEANUP_FREE char *xml = virStoragePoolGetXMLDesc(pool, 0);
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  xmlNode *root;

  *type = *target = NULL;
  if (!xml || !(doc = vk_xml_read(xml, strlen(xml), "pool XML")))
    return;
  root = xmlDocGetRootElement(doc);
  *type = vk_xml_attr(root, "type");
  *target = vk_xml_text(vk_xml_child(vk_xml_child(root, "target"), "path"));
}

bool
vk_pool_info(virStoragePoolPtr pool, vk_pool_entry *e, vk_error **errp)
{
  virStoragePoolInfo info;
  char uuid[VIR_UUID_STRING_BUFLEN];
  int a = 0;

  memset(e, 0, sizeof *e);
  if (virStoragePoolGetInfo(pool, &info) < 0 || virStoragePoolGetUUIDString(pool, uuid) < 0)
    return vk_pool_error(errp, pool, "cannot read");
  e->name = strdup(virStoragePoolGetName(pool));
  e->uuid = strdup(uuid);
  if (!e->name || !e->uuid) {
    vk_pool_entry_clear(e);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  e->state = info.state;
  e->capacity = info.capacity;
  e->allocation = info.allocation;
  e->available = info.available;
  e->persistent = virStoragePoolIsPersistent(pool) == 1;
  e->autostart = virStoragePoolGetAutostart(pool, &a) == 0 && a;
  vk_pool_type_target(pool, &e->type, &e->target);
  return true;
}

void
vk_pool_entry_clear(vk_pool_entry *e)
{
  free(e->name);
  free(e->uuid);
  free(e->type);
  free(e->target);
  memset(e, 0, sizeof *e);
}

static int
by_name(const void *a, const void *b)
{
  return strcmp(((const vk_pool_entry *)a)->name, ((const vk_pool_entry *)b)->name);
}

bool
vk_pool_list_get(virConnectPtr conn, unsigned flags, const char *type, vk_pool_list *out,
                 vk_error **errp)
{
  virStoragePoolPtr *pools = NULL;
  int n = virConnectListAllStoragePools(
      conn, &pools, (flags & VK_POOL_LIST_ALL) ? 0 : VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
  bool ok = true;

  memset(out, 0, sizeof *out);
  if (n < 0)
    return vk_virt_error(errp, conn, "cannot list the storage pools");
  if (n && !(out->pools = calloc((size_t)n, sizeof *out->pools)))
    ok = vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  for (int i = 0; i < n; i++) {
    if (ok) {
      vk_pool_entry e;
      if (!vk_pool_info(pools[i], &e, errp)) {
        ok = false;
      } else if (type && (!e.type || strcmp(e.type, type) != 0)) {
        vk_pool_entry_clear(&e);
      } else {
        out->pools[out->n++] = e;
      }
    }
    virStoragePoolFree(pools[i]);
  }
  free(pools);
  if (!ok) {
    vk_pool_list_free(out);
    return false;
  }
  qsort(out->pools, out->n, sizeof *out->pools, by_name);
  return true;
}

void
vk_pool_list_free(vk_pool_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    vk_pool_entry_clear(&l->pools[i]);
  free(l->pools);
  memset(l, 0, sizeof *l);
}

virStoragePoolPtr
vk_pool_lookup(virConnectPtr conn, const char *ident, vk_error **errp)
{
  virStoragePoolPtr p;

  if (vk_is_uuid(ident)) {
    if ((p = virStoragePoolLookupByUUIDString(conn, ident)))
      return p;
    virResetLastError();
  }
  if (!(p = virStoragePoolLookupByName(conn, ident)))
    vk_virt_error(errp, conn, "failed to get pool '%s'", ident);
  return p;
}

/* ------------------------------------------------------------ XML */

static bool
need(const char *v, const char *type, const char *opt, vk_error **errp)
{
  if (v && *v)
    return true;
  return vk_error_set(errp, VK_EXIT_USAGE, "a %s pool needs %s", type, opt);
}

char *
vk_pool_xml_build(const vk_pool_spec *s, vk_error **errp)
{
  static const char *const types[] = { "dir", "fs", "netfs", "logical", "disk", "iscsi" };
  vk_xml_builder b = { 0 };
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  xmlNodePtr root, src = NULL, tgt;
  const char *t = s->type;
  bool known = false;
  char *xml;

  for (size_t i = 0; t && i < sizeof types / sizeof types[0]; i++)
    known = known || strcmp(t, types[i]) == 0;
  if (!known) {
    vk_error_set(errp, VK_EXIT_USAGE,
                 "pool type '%s': dir, fs, netfs, logical, disk or iscsi (others from XML with "
                 "pool-define)",
                 t ? t : "");
    return NULL;
  }
  if (!s->name || !*s->name) {
    vk_error_set(errp, VK_EXIT_USAGE, "a pool needs a name");
    return NULL;
  }
  if ((strcmp(t, "fs") == 0 && !need(s->source_dev, t, "--source-dev", errp)) ||
      (strcmp(t, "netfs") == 0 && (!need(s->source_host, t, "--source-host", errp) ||
                                   !need(s->source_path, t, "--source-path", errp))) ||
      (strcmp(t, "disk") == 0 && !need(s->source_dev, t, "--source-dev", errp)) ||
      (strcmp(t, "iscsi") == 0 &&
       (!need(s->source_host, t, "--source-host", errp) ||
        !need(s->source_path, t, "--source-path (the target IQN)", errp))) ||
      (strcmp(t, "logical") != 0 && strcmp(t, "iscsi") != 0 &&
       !need(s->target, t, "--target", errp)))
    return NULL;
  if (!(doc = xmlNewDoc(BAD_CAST "1.0"))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  root = xmlNewDocNode(doc, NULL, BAD_CAST "pool", NULL);
  if (!root) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  xmlDocSetRootElement(doc, root);
  vk_xml_set(&b, root, "type", t);
  vk_xml_add(&b, root, "name", s->name);
  if (strcmp(t, "dir") != 0)
    src = vk_xml_add(&b, root, "source", NULL);
  if (src && s->source_host)
    vk_xml_set(&b, vk_xml_add(&b, src, "host", NULL), "name", s->source_host);
  if (src && s->source_path)
    vk_xml_set(&b, vk_xml_add(&b, src, strcmp(t, "iscsi") == 0 ? "device" : "dir", NULL), "path",
               s->source_path);
  if (src && s->source_dev)
    vk_xml_set(&b, vk_xml_add(&b, src, "device", NULL), "path", s->source_dev);
  if (src && strcmp(t, "logical") == 0)
    vk_xml_add(&b, src, "name", s->source_name ? s->source_name : s->name);
  if (src && s->source_format)
    vk_xml_set(&b, vk_xml_add(&b, src, "format", NULL), "type", s->source_format);
  tgt = vk_xml_add(&b, root, "target", NULL);
  if (s->target)
    vk_xml_add(&b, tgt, "path", s->target);
  else if (strcmp(t, "logical") == 0) {
    char path[512];
    snprintf(path, sizeof path, "/dev/%s", s->source_name ? s->source_name : s->name);
    vk_xml_add(&b, tgt, "path", path);
  } else if (strcmp(t, "iscsi") == 0)
    vk_xml_add(&b, tgt, "path", "/dev/disk/by-path");
  if (!(xml = vk_xml_serialize(&b, doc)))
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return xml;
}

/* ------------------------------------------------------------ lifecycle */

virStoragePoolPtr
vk_pool_define(virConnectPtr conn, const char *xml, unsigned flags, vk_error **errp)
{
  bool create = flags & VK_POOL_CREATE, build = flags & VK_POOL_BUILD;
  virStoragePoolPtr p =
      create ? virStoragePoolCreateXML(conn, xml, build ? VIR_STORAGE_POOL_CREATE_WITH_BUILD : 0)
             : virStoragePoolDefineXML(conn, xml, 0);

  if (!p)
    vk_virt_error(errp, conn, "cannot %s the pool", create ? "create" : "define");
  return p;
}

bool
vk_pool_start(virStoragePoolPtr pool, bool build, bool *was, vk_error **errp)
{
  int active = virStoragePoolIsActive(pool);

  if (was)
    *was = active == 1;
  if (active == 1)
    return true;
  if (virStoragePoolCreate(pool, build ? VIR_STORAGE_POOL_CREATE_WITH_BUILD : 0) < 0)
    return vk_pool_error(errp, pool, "cannot start");
  return true;
}

bool
vk_pool_destroy(virStoragePoolPtr pool, bool *was, vk_error **errp)
{
  int active = virStoragePoolIsActive(pool);

  if (was)
    *was = active == 0;
  if (active == 0)
    return true;
  if (virStoragePoolDestroy(pool) < 0)
    return vk_pool_error(errp, pool, "cannot stop");
  return true;
}

bool
vk_pool_build(virStoragePoolPtr pool, vk_error **errp)
{
  if (virStoragePoolBuild(pool, 0) < 0)
    return vk_pool_error(errp, pool, "cannot build");
  return true;
}

bool
vk_pool_delete(virStoragePoolPtr pool, vk_error **errp)
{
  if (virStoragePoolIsActive(pool) == 1)
    return vk_error_set(errp, VK_EXIT_BUSY, "pool '%s' is active (pool-destroy it first)",
                        virStoragePoolGetName(pool));
  if (virStoragePoolDelete(pool, 0) < 0)
    return vk_pool_error(errp, pool, "cannot delete");
  return true;
}

bool
vk_pool_undefine(virStoragePoolPtr pool, vk_error **errp)
{
  if (virStoragePoolUndefine(pool) < 0)
    return vk_pool_error(errp, pool, "cannot undefine");
  return true;
}

bool
vk_pool_set_autostart(virStoragePoolPtr pool, bool on, vk_error **errp)
{
  if (virStoragePoolSetAutostart(pool, on) < 0)
    return vk_pool_error(errp, pool, "cannot change autostart of");
  return true;
}

bool
vk_pool_refresh(virStoragePoolPtr pool, vk_error **errp)
{
  if (virStoragePoolRefresh(pool, 0) < 0)
    return vk_pool_error(errp, pool, "cannot refresh");
  return true;
}

char *
vk_pool_xml(virStoragePoolPtr pool, bool inactive, vk_error **errp)
{
  char *xml = virStoragePoolGetXMLDesc(pool, inactive ? VIR_STORAGE_XML_INACTIVE : 0);

  if (!xml)
    vk_pool_error(errp, pool, "cannot read the XML of");
  return xml;
}
