/* vkit — domain statistics as structured JSON.
 *
 * libvirt names its statistics with dotted paths ("cpu.time",
 * "block.0.rd.bytes", "cpu.cache.monitor.1.bank.0.bytes").  Scripts want
 * structure, so the fields of a record become a tree: the first part of a
 * name is a group (an object), a number starts an array of objects
 * ("block.0.name" -> block[0].name), and the parts between are joined in
 * snake_case ("rd.bytes" -> rd_bytes, "backingIndex" -> backing_index).
 * A "<x>.count" beside the array x is its length and is left out; the
 * other plain fields of a group that is an array ("vcpu.current") move up
 * beside it as "vcpu_current".
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "virt/stats.h"

typedef enum { N_LEAF, N_OBJECT, N_ARRAY } node_kind;

typedef struct node node;
struct node {
  node_kind kind;
  char *key;                     /* key in the parent object; NULL for array elements */
  unsigned long index;           /* array element: libvirt's number */
  const vk_stat_field *leaf;
  node **kids;
  size_t nkids;
};

static void
node_free(node *n)
{
  if (!n)
    return;
  for (size_t i = 0; i < n->nkids; i++)
    node_free(n->kids[i]);
  free(n->kids);
  free(n->key);
  free(n);
}

static node *
node_add(node *parent, node_kind kind, char *key, unsigned long index)
{
  node **k = realloc(parent->kids, (parent->nkids + 1) * sizeof *k);
  node *n;

  if (!k)
    return NULL;
  parent->kids = k;
  if (!(n = calloc(1, sizeof *n)))
    return NULL;
  n->kind = kind;
  n->key = key;
  n->index = index;
  parent->kids[parent->nkids++] = n;
  return n;
}

static bool
is_index(const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++)
    if (!isdigit((unsigned char)*s))
      return false;
  return true;
}

/* segs[0..n-1] joined with '_', in snake_case.  Returns a new string or
 * NULL (out of memory). */
static char *
snake(char *const *segs, size_t n)
{
  size_t len = 0;
  char *out, *p;

  for (size_t i = 0; i < n; i++)
    len += 2 * strlen(segs[i]) + 1;
  if (!(p = out = malloc(len + 1)))
    return NULL;
  for (size_t i = 0; i < n; i++) {
    const char *s = segs[i];

    if (i > 0)
      *p++ = '_';
    for (size_t c = 0; s[c]; c++) {
      unsigned char ch = (unsigned char)s[c];

      if (ch == '-') {
        *p++ = '_';
      } else if (isupper(ch)) {
        if (c > 0 && (islower((unsigned char)s[c - 1]) || isdigit((unsigned char)s[c - 1])))
          *p++ = '_';
        *p++ = (char)tolower(ch);
      } else {
        *p++ = (char)ch;
      }
    }
  }
  *p = '\0';
  return out;
}

/* The child of obj with this key and kind, made if missing (key is
 * consumed either way).  NULL when out of memory. */
static node *
child(node *obj, char *key, node_kind kind)
{
  node *n;

  if (!key)
    return NULL;
  for (size_t i = 0; i < obj->nkids; i++) {
    if (obj->kids[i]->kind == kind && strcmp(obj->kids[i]->key, key) == 0) {
      free(key);
      return obj->kids[i];
    }
  }
  if (!(n = node_add(obj, kind, key, 0)))
    free(key);
  return n;
}

static node *
element(node *arr, const char *seg)
{
  unsigned long idx = strtoul(seg, NULL, 10);

  for (size_t i = 0; i < arr->nkids; i++)
    if (arr->kids[i]->index == idx)
      return arr->kids[i];
  return node_add(arr, N_OBJECT, NULL, idx);
}

/* First part after the first that is a number and not the last part. */
static size_t
first_index(char *const *segs, size_t n)
{
  for (size_t i = 1; i + 1 < n; i++)
    if (is_index(segs[i]))
      return i;
  return 0;
}

/* Put field f, named by segs[0..n-1], into obj.  top: obj is the record,
 * where the first part names a group. */
static bool
insert(node *obj, char *const *segs, size_t n, const vk_stat_field *f, bool top)
{
  size_t k = first_index(segs, n);
  node *leaf, *sub;

  if (k > 0 && (!top || k == 1)) {
    node *arr = child(obj, snake(segs, k), N_ARRAY);
    if (!arr || !(sub = element(arr, segs[k])))
      return false;
    return insert(sub, segs + k + 1, n - k - 1, f, false);
  }
  if (top && n > 1) {
    if (!(sub = child(obj, snake(segs, 1), N_OBJECT)))
      return false;
    return insert(sub, segs + 1, n - 1, f, false);
  }
  if (!(leaf = child(obj, snake(segs, n), N_LEAF)))
    return false;
  leaf->leaf = f;
  return true;
}

static bool
has_array(const node *obj, const char *key, size_t len)
{
  for (size_t i = 0; i < obj->nkids; i++)
    if (obj->kids[i]->kind == N_ARRAY && strlen(obj->kids[i]->key) == len &&
        strncmp(obj->kids[i]->key, key, len) == 0)
      return true;
  return false;
}

/* A "<x>_count" leaf beside an array x (its length). */
static bool
is_count_of_array(const node *obj, const char *key)
{
  size_t len = strlen(key);

  return len > 6 && strcmp(key + len - 6, "_count") == 0 && has_array(obj, key, len - 6);
}

static void
emit_value(vk_json *j, const char *key, const vk_stat_field *f)
{
  switch (f->kind) {
  case VK_STAT_INT: vk_json_kv_int(j, key, f->v.i); break;
  case VK_STAT_UINT: vk_json_kv_uint(j, key, f->v.u); break;
  case VK_STAT_DOUBLE: vk_json_kv_double(j, key, f->v.d); break;
  case VK_STAT_BOOL: vk_json_kv_bool(j, key, f->v.b); break;
  case VK_STAT_STRING: vk_json_kv_string(j, key, f->v.s); break;
  }
}

static int
element_cmp(const void *a, const void *b)
{
  const node *x = *(node *const *)a, *y = *(node *const *)b;

  return x->index < y->index ? -1 : x->index > y->index;
}

static bool emit_members(vk_json *j, const node *obj, const char *prefix);

static bool
emit_node(vk_json *j, const node *parent, const node *n, const char *prefix)
{
  CLEANUP_FREE char *key = NULL;

  if (asprintf(&key, "%s%s", prefix, n->key) < 0)
    return false;
  switch (n->kind) {
  case N_LEAF:
    if (!is_count_of_array(parent, n->key))
      emit_value(j, key, n->leaf);
    return true;
  case N_OBJECT:
    if (has_array(parent, n->key, strlen(n->key))) {
      /* plain fields of a group that is an array: beside it, prefixed */
      CLEANUP_FREE char *pre = NULL;
      if (asprintf(&pre, "%s_", key) < 0)
        return false;
      return emit_members(j, n, pre);
    }
    vk_json_key(j, key);
    vk_json_begin_object(j);
    if (!emit_members(j, n, ""))
      return false;
    vk_json_end_object(j);
    return true;
  case N_ARRAY:
    qsort(n->kids, n->nkids, sizeof *n->kids, element_cmp);
    vk_json_key(j, key);
    vk_json_begin_array(j);
    for (size_t i = 0; i < n->nkids; i++) {
      vk_json_begin_object(j);
      if (!emit_members(j, n->kids[i], ""))
        return false;
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
    return true;
  }
  return true;
}

static bool
emit_members(vk_json *j, const node *obj, const char *prefix)
{
  for (size_t i = 0; i < obj->nkids; i++) {
    const node *n = obj->kids[i];

    /* "vcpu.count" style: the group's own count beside its array */
    if (*prefix && n->kind == N_LEAF && strcmp(n->key, "count") == 0)
      continue;
    if (!emit_node(j, obj, n, prefix))
      return false;
  }
  return true;
}

bool
vk_stat_record_json(const vk_stat_record *r, vk_json *j, vk_error **errp)
{
  node root = { .kind = N_OBJECT };
  bool ok = true;

  for (size_t i = 0; ok && i < r->n; i++) {
    CLEANUP_FREE char *copy = strdup(r->f[i].key);
    CLEANUP_FREE char **segs = NULL;
    size_t n = 1;

    if (!copy) {
      ok = false;
      break;
    }
    for (char *p = copy; *p; p++)
      n += *p == '.';
    if (!(segs = calloc(n, sizeof *segs))) {
      ok = false;
      break;
    }
    n = 0;
    for (char *p = copy, *save = NULL, *s; (s = strtok_r(p, ".", &save)); p = NULL)
      segs[n++] = s;
    if (n > 0)
      ok = insert(&root, segs, n, &r->f[i], true);
  }
  if (ok) {
    vk_json_begin_object(j);
    ok = emit_members(j, &root, "");
    vk_json_end_object(j);
  }
  for (size_t i = 0; i < root.nkids; i++)
    node_free(root.kids[i]);
  free(root.kids);
  if (!ok)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot format the statistics of '%s'", r->name);
  return true;
}
