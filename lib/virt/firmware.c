/* vkit — UEFI firmware descriptors: a small JSON reader and the choice. */
#include <config.h>

#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "virt/firmware.h"

/* ---------------------------------------------------------------- JSON */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jval {
  enum jtype type;
  char *str;              /* J_STR */
  struct jval *items;     /* J_ARR, J_OBJ values */
  char **keys;            /* J_OBJ */
  size_t n;
} jval;

typedef struct {
  const char *p, *end;
  int depth;
} jparser;

static void
jfree(jval *v)
{
  free(v->str);
  for (size_t i = 0; i < v->n; i++) {
    jfree(&v->items[i]);
    if (v->keys)
      free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
}

static void
jskip(jparser *j)
{
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
    j->p++;
}

static bool jparse(jparser *j, jval *v);

static bool
jstring(jparser *j, char **out)
{
  size_t cap = 16, n = 0;
  char *s;

  if (j->p >= j->end || *j->p != '"')
    return false;
  j->p++;
  s = malloc(cap);
  if (!s)
    return false;
  while (j->p < j->end && *j->p != '"') {
    char c = *j->p++;
    if (c == '\\') {
      if (j->p >= j->end) {
        free(s);
        return false;
      }
      c = *j->p++;
      switch (c) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'u':
        /* Descriptors are ASCII; keep other code points out. */
        if (j->end - j->p < 4) {
          free(s);
          return false;
        }
        j->p += 4;
        c = '?';
        break;
      default: break;   /* '"', '\\', '/' */
      }
    }
    if (n + 2 > cap) {
      char *g = realloc(s, cap *= 2);
      if (!g) {
        free(s);
        return false;
      }
      s = g;
    }
    s[n++] = c;
  }
  if (j->p >= j->end) {
    free(s);
    return false;
  }
  j->p++;
  s[n] = '\0';
  *out = s;
  return true;
}

static bool
jappend(jval *v, jval *item, char *key)
{
  jval *items = realloc(v->items, (v->n + 1) * sizeof *items);

  if (!items)
    return false;
  v->items = items;
  if (v->type == J_OBJ) {
    char **keys = realloc(v->keys, (v->n + 1) * sizeof *keys);
    if (!keys)
      return false;
    v->keys = keys;
    keys[v->n] = key;
  }
  items[v->n++] = *item;
  return true;
}

static bool
jcontainer(jparser *j, jval *v, char close)
{
  j->p++;
  jskip(j);
  if (j->p < j->end && *j->p == close) {
    j->p++;
    return true;
  }
  for (;;) {
    char *key = NULL;
    jval item = { J_NULL, NULL, NULL, NULL, 0 };

    jskip(j);
    if (v->type == J_OBJ) {
      if (!jstring(j, &key))
        return false;
      jskip(j);
      if (j->p >= j->end || *j->p != ':') {
        free(key);
        return false;
      }
      j->p++;
    }
    if (!jparse(j, &item) || !jappend(v, &item, key)) {
      jfree(&item);
      free(key);
      return false;
    }
    jskip(j);
    if (j->p < j->end && *j->p == ',') {
      j->p++;
      continue;
    }
    if (j->p < j->end && *j->p == close) {
      j->p++;
      return true;
    }
    return false;
  }
}

static bool
jparse(jparser *j, jval *v)
{
  memset(v, 0, sizeof *v);
  jskip(j);
  if (j->p >= j->end || ++j->depth > 32)
    return false;
  switch (*j->p) {
  case '{':
    v->type = J_OBJ;
    if (!jcontainer(j, v, '}'))
      return false;
    break;
  case '[':
    v->type = J_ARR;
    if (!jcontainer(j, v, ']'))
      return false;
    break;
  case '"':
    v->type = J_STR;
    if (!jstring(j, &v->str))
      return false;
    break;
  default:
    /* true, false, null, numbers: skip the token. */
    v->type = *j->p == 't' || *j->p == 'f' ? J_BOOL : *j->p == 'n' ? J_NULL : J_NUM;
    while (j->p < j->end && !strchr(",]} \t\r\n", *j->p))
      j->p++;
    break;
  }
  j->depth--;
  return true;
}

static const jval *
jget(const jval *obj, const char *key)
{
  if (!obj || obj->type != J_OBJ)
    return NULL;
  for (size_t i = 0; i < obj->n; i++)
    if (strcmp(obj->keys[i], key) == 0)
      return &obj->items[i];
  return NULL;
}

static const char *
jstr(const jval *v)
{
  return v && v->type == J_STR ? v->str : NULL;
}

static bool
jarr_has(const jval *arr, const char *s)
{
  if (!arr || arr->type != J_ARR)
    return false;
  for (size_t i = 0; i < arr->n; i++)
    if (jstr(&arr->items[i]) && strcmp(arr->items[i].str, s) == 0)
      return true;
  return false;
}

/* ---------------------------------------------------------------- choice */

static const char *const default_dirs[] = { "/etc/qemu/firmware", "/usr/share/qemu/firmware", NULL };

/* Machine names as users write them, in the form descriptors match. */
static const char *
machine_for_match(const char *machine)
{
  if (!machine)
    return NULL;
  if (strcmp(machine, "q35") == 0)
    return "pc-q35-0.0";
  if (strcmp(machine, "pc") == 0)
    return "pc-i440fx-0.0";
  return machine;
}

static bool
fits(const jval *doc, const char *arch, const char *machine, int secure_boot)
{
  const jval *map = jget(doc, "mapping");
  const jval *targets = jget(doc, "targets");
  const jval *features = jget(doc, "features");
  const char *m = machine_for_match(machine);
  bool target_ok = false;

  if (!jarr_has(jget(doc, "interface-types"), "uefi"))
    return false;
  if (!jstr(jget(map, "device")) || strcmp(jstr(jget(map, "device")), "flash") != 0)
    return false;
  if (!jstr(jget(jget(map, "executable"), "filename")))
    return false;
  if (secure_boot == 1 && !jarr_has(features, "secure-boot"))
    return false;
  if (secure_boot == 0 && jarr_has(features, "secure-boot"))
    return false;
  for (size_t i = 0; targets && targets->type == J_ARR && i < targets->n; i++) {
    const jval *t = &targets->items[i];
    const jval *machines = jget(t, "machines");
    if (!jstr(jget(t, "architecture")) || strcmp(jstr(jget(t, "architecture")), arch) != 0)
      continue;
    if (!m)
      return true;
    for (size_t k = 0; machines && machines->type == J_ARR && k < machines->n; k++)
      if (jstr(&machines->items[k]) && fnmatch(machines->items[k].str, m, 0) == 0)
        target_ok = true;
  }
  return target_ok;
}

static int
cmp_names(const void *a, const void *b)
{
  const char *x = strrchr(*(char *const *)a, '/'), *y = strrchr(*(char *const *)b, '/');
  return strcmp(x, y);
}

/* All descriptor paths, sorted by file name, earlier dirs hiding later
 * ones of the same name. */
static char **
list_descriptors(const char *const *dirs, size_t *count)
{
  char **paths = NULL;
  size_t n = 0;

  for (size_t d = 0; dirs[d]; d++) {
    DIR *dir = opendir(dirs[d]);
    struct dirent *e;

    if (!dir)
      continue;
    while ((e = readdir(dir))) {
      size_t len = strlen(e->d_name);
      bool hidden = false;
      char *path, **grown;

      if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
        continue;
      for (size_t i = 0; i < n; i++)
        if (strcmp(strrchr(paths[i], '/') + 1, e->d_name) == 0)
          hidden = true;
      if (hidden)
        continue;
      if (asprintf(&path, "%s/%s", dirs[d], e->d_name) < 0)
        continue;
      grown = realloc(paths, (n + 1) * sizeof *grown);
      if (!grown) {
        free(path);
        continue;
      }
      paths = grown;
      paths[n++] = path;
    }
    closedir(dir);
  }
  if (n)
    qsort(paths, n, sizeof *paths, cmp_names);
  *count = n;
  return paths;
}

static char *
read_small(const char *path, size_t *len)
{
  CLEANUP_FCLOSE FILE *f = fopen(path, "re");
  char *buf;

  if (!f)
    return NULL;
  buf = malloc(65536);
  if (!buf)
    return NULL;
  *len = fread(buf, 1, 65536, f);
  return buf;
}

bool
vk_firmware_choose(const char *const *dirs, const char *arch, const char *machine,
                   int secure_boot, vk_firmware *out, vk_error **errp)
{
  size_t n = 0;
  char **paths;
  bool found = false;

  memset(out, 0, sizeof *out);
  if (!dirs)
    dirs = default_dirs;
  paths = list_descriptors(dirs, &n);
  for (size_t i = 0; i < n; i++) {
    size_t len = 0;
    CLEANUP_FREE char *text = found ? NULL : read_small(paths[i], &len);
    jparser j = { text, text + len, 0 };
    jval doc;

    if (!text)
      continue;
    if (!jparse(&j, &doc)) {
      jfree(&doc);
      continue;   /* a broken descriptor is skipped, as QEMU does */
    }
    if (fits(&doc, arch, machine, secure_boot)) {
      const jval *map = jget(&doc, "mapping");
      const char *vars = jstr(jget(jget(map, "nvram-template"), "filename"));

      out->descriptor = strdup(paths[i]);
      out->code = strdup(jstr(jget(jget(map, "executable"), "filename")));
      out->vars = vars ? strdup(vars) : NULL;
      out->secure_boot = jarr_has(jget(&doc, "features"), "secure-boot");
      out->requires_smm = jarr_has(jget(&doc, "features"), "requires-smm");
      found = out->descriptor && out->code && (!vars || out->vars);
    }
    jfree(&doc);
  }
  for (size_t i = 0; i < n; i++)
    free(paths[i]);
  free(paths);
  if (!found) {
    vk_firmware_clear(out);
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "no UEFI firmware%s for %s%s%s in the firmware descriptors (install ovmf)",
                        secure_boot == 1 ? " with secure boot" : secure_boot == 0 ? " without secure boot" : "",
                        arch, machine ? " machine " : "", machine ? machine : "");
  }
  return true;
}

void
vk_firmware_clear(vk_firmware *fw)
{
  free(fw->descriptor);
  free(fw->code);
  free(fw->vars);
  memset(fw, 0, sizeof *fw);
}
