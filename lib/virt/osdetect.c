/* vkit — OS detection and the list of OS ids, through libosinfo. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <osinfo/osinfo.h>

#include "util/cleanup.h"
#include "util/path.h"
#include "util/text.h"
#include "virt/osdetect.h"

/* The database under dir, or NULL with *errp set. */
static OsinfoLoader *
load(const char *dir, OsinfoDb **db, vk_error **errp)
{
  OsinfoLoader *loader = osinfo_loader_new();
  GError *gerr = NULL;
  struct stat st;

  if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
    g_object_unref(loader);
    vk_error_set(errp, VK_EXIT_NOTFOUND, "no osinfo database in %s (install osinfo-db)", dir);
    return NULL;
  }
  osinfo_loader_process_path(loader, dir, &gerr);
  if (gerr) {
    vk_error_set(errp, VK_EXIT_FAILED, "cannot read the osinfo database in %s: %s", dir,
                 gerr->message);
    g_error_free(gerr);
    g_object_unref(loader);
    return NULL;
  }
  *db = osinfo_loader_get_db(loader);
  return loader;
}

static char *
short_id_of(OsinfoOs *os, vk_error **errp)
{
  const char *id = os ? osinfo_product_get_short_id(OSINFO_PRODUCT(os)) : NULL;
  char *s = id ? strdup(id) : NULL;

  if (!s)
    vk_error_set(errp, VK_EXIT_FAILED, id ? "out of memory" : "the detected OS has no short id");
  return s;
}

char *
vk_osinfo_detect(const char *dir, const char *path, vk_error **errp)
{
  OsinfoDb *db = NULL;
  OsinfoLoader *loader = load(dir, &db, errp);
  CLEANUP_FREE char *abs = vk_path_absolute(path), *uri = NULL;
  GError *gerr = NULL;
  struct stat st;
  char *id = NULL;

  if (!loader)
    return NULL;
  if (!abs || stat(abs, &st) < 0) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, abs ? errno : ENOMEM, "--os-variant detect: %s", path);
  } else if (S_ISDIR(st.st_mode)) {
    /* the tree's .treeinfo, read here: libosinfo's own probe goes through
     * GIO and leaks */
    CLEANUP_FREE char *ti = NULL;
    static const char *const keys[][2] = {
      { "family", OSINFO_TREE_PROP_TREEINFO_FAMILY },
      { "version", OSINFO_TREE_PROP_TREEINFO_VERSION },
      { "arch", OSINFO_TREE_PROP_TREEINFO_ARCH },
      { "variant", OSINFO_TREE_PROP_TREEINFO_VARIANT },
    };
    OsinfoTree *tree;
    if (asprintf(&uri, "%s/.treeinfo", abs) < 0 ||
        !(ti = vk_read_file_max(uri, 1 << 20, NULL, NULL))) {
      vk_error_set(errp, VK_EXIT_NOTFOUND,
                   "--os-variant detect: %s is no install tree osinfo knows (no .treeinfo)", path);
      g_object_unref(loader);
      return NULL;
    }
    tree = osinfo_tree_new(abs, "x86_64");
    osinfo_entity_set_param(OSINFO_ENTITY(tree), OSINFO_TREE_PROP_HAS_TREEINFO, "true");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
      CLEANUP_FREE char *v = vk_ini_get(ti, "general", keys[i][0]);
      if (v)
        osinfo_entity_set_param(OSINFO_ENTITY(tree), keys[i][1], v);
    }
    if (!osinfo_db_identify_tree(db, tree))
      vk_error_set(errp, VK_EXIT_NOTFOUND,
                   "--os-variant detect: the osinfo database knows no OS of the tree %s", path);
    else
      id = short_id_of(osinfo_tree_get_os(tree), errp);
    g_object_unref(tree);
  } else {
    /* flags 0: a media need not be bootable to be recognised */
    OsinfoMedia *media = osinfo_media_create_from_location_with_flags(abs, NULL, 0, &gerr);
    if (!media)
      vk_error_set(errp, VK_EXIT_NOTFOUND,
                   "--os-variant detect: %s is no install media osinfo can read (%s)", path,
                   gerr ? gerr->message : "not an ISO image");
    else if (!osinfo_db_identify_media(db, media))
      vk_error_set(errp, VK_EXIT_NOTFOUND,
                   "--os-variant detect: the osinfo database knows no OS with the media %s", path);
    else
      id = short_id_of(osinfo_media_get_os(media), errp);
    if (media)
      g_object_unref(media);
  }
  if (gerr)
    g_error_free(gerr);
  g_object_unref(loader);
  return id;
}

static int
cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
vk_osinfo_list(const char *dir, vk_error **errp)
{
  OsinfoDb *db = NULL;
  OsinfoLoader *loader = load(dir, &db, errp);
  OsinfoOsList *list;
  gint n;
  char **v;
  size_t k = 0;

  if (!loader)
    return NULL;
  list = osinfo_db_get_os_list(db);
  n = osinfo_list_get_length(OSINFO_LIST(list));
  v = calloc((size_t)n + 1, sizeof *v);
  for (gint i = 0; v && i < n; i++) {
    OsinfoEntity *e = osinfo_list_get_nth(OSINFO_LIST(list), i);
    const char *id = osinfo_product_get_short_id(OSINFO_PRODUCT(e));
    if (id && !(v[k++] = strdup(id))) {
      vk_strv_free(v);
      v = NULL;
    }
  }
  g_object_unref(list);
  g_object_unref(loader);
  if (!v) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  qsort(v, k, sizeof *v, cmp_str);
  return v;
}
