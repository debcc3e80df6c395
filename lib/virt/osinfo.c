/* vkit — reading the osinfo database with libxml2. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util/cleanup.h"
#include "virt/osinfo.h"
#include "virt/xml.h"

#define MAX_DEPTH 16

const char *
vk_osinfo_dir(void)
{
  const char *d = getenv("OSINFO_SYSTEM_DIR");

  return d && *d ? d : "/usr/share/osinfo";
}

/* Read a whole (small) file; NULL on error. */
static char *
slurp(const char *path)
{
  CLEANUP_FCLOSE FILE *f = fopen(path, "re");
  char *buf = NULL;
  size_t len = 0;
  FILE *m;
  char chunk[8192];
  size_t n;

  if (!f)
    return NULL;
  m = open_memstream(&buf, &len);
  if (!m)
    return NULL;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    fwrite(chunk, 1, n, m);
  if (fclose(m) != 0 || ferror(f)) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* Find the file describing the OS whose short id is `short_id` (when
 * `is_id` is false) or whose id URL is `short_id` (when true).  Returns
 * the parsed document of the file, or NULL. */
static xmlDocPtr
find_os_file(const char *dir, const char *key, bool is_id)
{
  CLEANUP_FREE char *osdir = NULL;
  CLEANUP_FREE char *needle = NULL;
  DIR *top;
  struct dirent *vendor;
  xmlDocPtr found = NULL;

  if (asprintf(&osdir, "%s/os", dir) < 0)
    return NULL;
  if ((is_id ? asprintf(&needle, "<os id=\"%s\"", key)
             : asprintf(&needle, "<short-id>%s</short-id>", key)) < 0) {
    needle = NULL;
    return NULL;
  }
  top = opendir(osdir);
  if (!top)
    return NULL;
  while (!found && (vendor = readdir(top))) {
    CLEANUP_FREE char *vdir = NULL;
    DIR *vd;
    struct dirent *e;

    if (vendor->d_name[0] == '.')
      continue;
    if (asprintf(&vdir, "%s/%s", osdir, vendor->d_name) < 0) {
      vdir = NULL;
      break;
    }
    vd = opendir(vdir);
    if (!vd)
      continue;
    while (!found && (e = readdir(vd))) {
      CLEANUP_FREE char *path = NULL;
      CLEANUP_FREE char *text = NULL;
      size_t len = strlen(e->d_name);

      if (len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0)
        continue;
      if (asprintf(&path, "%s/%s", vdir, e->d_name) < 0) {
        path = NULL;
        break;
      }
      /* A cheap text search first; parse only the file that matches. */
      text = slurp(path);
      if (text && strstr(text, needle))
        found = vk_xml_read(text, strlen(text), path);
    }
    closedir(vd);
  }
  closedir(top);
  return found;
}

/* The <os> element in doc matching key (short id or id). */
static xmlNodePtr
find_os_node(xmlDocPtr doc, const char *key, bool is_id)
{
  xmlNodePtr root = xmlDocGetRootElement(doc);

  for (xmlNodePtr os = root ? root->children : NULL; os; os = os->next) {
    if (!vk_xml_is(os, "os"))
      continue;
    if (is_id) {
      CLEANUP_FREE char *id = (char *)xmlGetProp(os, BAD_CAST "id");
      if (id && strcmp(id, key) == 0)
        return os;
      continue;
    }
    for (xmlNodePtr c = os->children; c; c = c->next) {
      if (vk_xml_is(c, "short-id")) {
        CLEANUP_FREE char *t = (char *)xmlNodeGetContent(c);
        if (t && strcmp(t, key) == 0)
          return os;
      }
    }
  }
  return NULL;
}

static uint64_t
child_u64(xmlNodePtr parent, const char *name)
{
  CLEANUP_FREE char *t = vk_xml_text(vk_xml_child(parent, name));

  return t ? strtoull(t, NULL, 10) : 0;
}

/* Gather data from one <os>, then from the OSes it links to, filling
 * only what is still unknown. */
static void
gather(const char *dir, xmlNodePtr os, vk_osinfo *out, int depth)
{
  for (xmlNodePtr c = os->children; c; c = c->next) {
    if (vk_xml_is(c, "resources") && !out->recommended_ram) {
      CLEANUP_FREE char *arch = (char *)xmlGetProp(c, BAD_CAST "arch");
      if (arch && strcmp(arch, "all") != 0 && strcmp(arch, "x86_64") != 0)
        continue;
      for (xmlNodePtr r = c->children; r; r = r->next) {
        if (vk_xml_is(r, "recommended")) {
          out->recommended_ram = child_u64(r, "ram");
          out->recommended_storage = child_u64(r, "storage");
          out->recommended_vcpus = (unsigned)child_u64(r, "n-cpus");
        }
      }
    } else if (vk_xml_is(c, "devices")) {
      for (xmlNodePtr d = c->children; d; d = d->next) {
        CLEANUP_FREE char *id = vk_xml_is(d, "device") ? (char *)xmlGetProp(d, BAD_CAST "id") : NULL;
        if (!id)
          continue;
        if (strstr(id, "/pci/1af4/1001") || strstr(id, "/pci/1af4/1042"))
          out->virtio_block = true;
        if (strstr(id, "/pci/1af4/1000") || strstr(id, "/pci/1af4/1041"))
          out->virtio_net = true;
        if (strstr(id, "/pci/1af4/1005") || strstr(id, "/pci/1af4/1044"))
          out->virtio_rng = true;
        if (strstr(id, "/pci/1af4/1050"))
          out->virtio_gpu = true;
      }
    }
  }
  if (depth >= MAX_DEPTH || (out->recommended_ram && out->virtio_block && out->virtio_net &&
                             out->virtio_rng && out->virtio_gpu))
    return;
  for (xmlNodePtr c = os->children; c; c = c->next) {
    CLEANUP_FREE char *id = NULL;
    xmlDocPtr doc;
    xmlNodePtr parent;

    if (!vk_xml_is(c, "derives-from") && !vk_xml_is(c, "upgrades") && !vk_xml_is(c, "clones"))
      continue;
    id = (char *)xmlGetProp(c, BAD_CAST "id");
    if (!id)
      continue;
    /* The linked OS is usually in the same document. */
    parent = find_os_node(os->doc, id, true);
    if (parent) {
      gather(dir, parent, out, depth + 1);
    } else if ((doc = find_os_file(dir, id, true))) {
      parent = find_os_node(doc, id, true);
      if (parent)
        gather(dir, parent, out, depth + 1);
      xmlFreeDoc(doc);
    }
    break;   /* one line of ancestry is enough */
  }
}

bool
vk_osinfo_lookup(const char *dir, const char *short_id, vk_osinfo *out, vk_error **errp)
{
  xmlDocPtr doc;
  xmlNodePtr os;

  memset(out, 0, sizeof *out);
  doc = find_os_file(dir, short_id, false);
  os = doc ? find_os_node(doc, short_id, false) : NULL;
  if (!os) {
    if (doc)
      xmlFreeDoc(doc);
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "OS variant '%s' is not in the osinfo database %s",
                        short_id, dir);
  }
  out->id = (char *)xmlGetProp(os, BAD_CAST "id");
  for (xmlNodePtr c = os->children; c && !out->name; c = c->next) {
    xmlChar *lang = vk_xml_is(c, "name") ? xmlNodeGetLang(c) : NULL;
    if (vk_xml_is(c, "name") && !lang)
      out->name = (char *)xmlNodeGetContent(c);
    xmlFree(lang);
  }
  gather(dir, os, out, 0);
  xmlFreeDoc(doc);
  if (!out->id) {
    vk_osinfo_clear(out);
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "OS variant '%s' has no id in the osinfo database", short_id);
  }
  return true;
}

void
vk_osinfo_clear(vk_osinfo *info)
{
  xmlFree(info->id);
  xmlFree(info->name);
  memset(info, 0, sizeof *info);
}
