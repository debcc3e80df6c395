/* vkit — storage volumes (see volume.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/convert.h"
#include "image/image.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "virt/conn.h"
#include "virt/pool.h"
#include "virt/volume.h"
#include "virt/xml.h"

void
vk_cleanup_vol(virStorageVolPtr *v)
{
  if (*v)
    virStorageVolFree(*v);
}

bool
vk_vol_error(vk_error **errp, virStorageVolPtr vol, const char *what)
{
  virErrorPtr saved = virSaveLastError();
  char buf[1024];

  snprintf(buf, sizeof buf, "%s volume '%s'", what, virStorageVolGetName(vol));
  return vk_virt_error_from(errp, virStorageVolGetConnect(vol), saved, buf);
}

static const char *
vol_type_word(int t)
{
  switch (t) {
  case VIR_STORAGE_VOL_FILE: return "file";
  case VIR_STORAGE_VOL_BLOCK: return "block";
  case VIR_STORAGE_VOL_DIR: return "dir";
  case VIR_STORAGE_VOL_NETWORK: return "network";
  case VIR_STORAGE_VOL_NETDIR: return "netdir";
  case VIR_STORAGE_VOL_PLOOP: return "ploop";
  default: return "unknown";
  }
}

/* the target format of a volume's XML */
static char *
vol_format(virStorageVolPtr vol)
{
  CLEANUP_FREE char *xml = virStorageVolGetXMLDesc(vol, 0);
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  xmlNode *t;

  if (!xml || !(doc = vk_xml_read(xml, strlen(xml), "volume XML")))
    return NULL;
  t = vk_xml_child(xmlDocGetRootElement(doc), "target");
  return vk_xml_attr(vk_xml_child(t, "format"), "type");
}

bool
vk_vol_info(virStorageVolPtr vol, vk_vol_entry *e, vk_error **errp)
{
  virStorageVolInfo info;
  char *path;

  memset(e, 0, sizeof *e);
  if (virStorageVolGetInfo(vol, &info) < 0 || !(path = virStorageVolGetPath(vol)))
    return vk_vol_error(errp, vol, "cannot read");
  e->path = path;
  e->name = strdup(virStorageVolGetName(vol));
  e->key = strdup(virStorageVolGetKey(vol));
  if (!e->name || !e->key) {
    vk_vol_entry_clear(e);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  e->type = vol_type_word(info.type);
  e->capacity = info.capacity;
  e->allocation = info.allocation;
  e->format = vol_format(vol);
  return true;
}

void
vk_vol_entry_clear(vk_vol_entry *e)
{
  free(e->name);
  free(e->path);
  free(e->key);
  free(e->format);
  memset(e, 0, sizeof *e);
}

static int
by_name(const void *a, const void *b)
{
  return strcmp(((const vk_vol_entry *)a)->name, ((const vk_vol_entry *)b)->name);
}

bool
vk_vol_list_get(virStoragePoolPtr pool, vk_vol_list *out, vk_error **errp)
{
  virStorageVolPtr *vols = NULL;
  int n = virStoragePoolListAllVolumes(pool, &vols, 0);
  bool ok = true;

  memset(out, 0, sizeof *out);
  if (n < 0) {
    virErrorPtr saved = virSaveLastError();
    char what[512];
    snprintf(what, sizeof what, "cannot list the volumes of pool '%s'",
             virStoragePoolGetName(pool));
    return vk_virt_error_from(errp, virStoragePoolGetConnect(pool), saved, what);
  }
  if (n && !(out->vols = calloc((size_t)n, sizeof *out->vols)))
    ok = vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  for (int i = 0; i < n; i++) {
    if (ok && (ok = vk_vol_info(vols[i], &out->vols[out->n], errp)))
      out->n++;
    virStorageVolFree(vols[i]);
  }
  free(vols);
  if (!ok) {
    vk_vol_list_free(out);
    return false;
  }
  qsort(out->vols, out->n, sizeof *out->vols, by_name);
  return true;
}

void
vk_vol_list_free(vk_vol_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    vk_vol_entry_clear(&l->vols[i]);
  free(l->vols);
  memset(l, 0, sizeof *l);
}

virStorageVolPtr
vk_vol_lookup(virConnectPtr conn, virStoragePoolPtr pool, const char *ident, vk_error **errp)
{
  virStorageVolPtr v;

  if (pool && (v = virStorageVolLookupByName(pool, ident)))
    return v;
  virResetLastError();
  if (ident[0] == '/' && (v = virStorageVolLookupByPath(conn, ident)))
    return v;
  virResetLastError();
  if ((v = virStorageVolLookupByKey(conn, ident)))
    return v;
  if (pool)
    vk_error_set(errp, VK_EXIT_NOTFOUND, "no volume '%s' in pool '%s'", ident,
                 virStoragePoolGetName(pool));
  else
    vk_error_set(errp, VK_EXIT_NOTFOUND,
                 "no volume '%s' (give its pool with --pool, or its path or key)", ident);
  return NULL;
}

/* ------------------------------------------------------------ creation */

static char *pool_dir(virStoragePoolPtr pool);

char *
vk_vol_pool_dir(virStoragePoolPtr pool)
{
  char *dir = pool_dir(pool);
  struct stat st;

  if (dir && (!vk_conn_is_local(virStoragePoolGetConnect(pool)) || stat(dir, &st) < 0 ||
              !S_ISDIR(st.st_mode))) {
    free(dir);
    return NULL;
  }
  return dir;
}

/* The target path of a pool of type dir, as its XML says. */
static char *
pool_dir(virStoragePoolPtr pool)
{
  CLEANUP_FREE char *type = NULL;
  char *target;

  vk_pool_type_target(pool, &type, &target);
  if (!type || strcmp(type, "dir") != 0) {
    free(target);
    return NULL;
  }
  return target;
}

static bool
name_ok(const char *name, vk_error **errp)
{
  if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "'%s' is not a volume name (no '/', not empty)",
                        name ? name : "");
  return true;
}

static bool
pool_active(virStoragePoolPtr pool, vk_error **errp)
{
  if (virStoragePoolIsActive(pool) != 1)
    return vk_error_set(errp, VK_EXIT_BUSY, "pool '%s' is not active (pool-start it)",
                        virStoragePoolGetName(pool));
  return true;
}

/* The new file's path in a directory pool; refused when the name is
 * taken (a file there, or a volume). */
static char *
new_path(virStoragePoolPtr pool, const char *dir, const char *name, vk_error **errp)
{
  struct stat st;
  virStorageVolPtr v;
  char *path;

  if (!name_ok(name, errp))
    return NULL;
  if ((v = virStorageVolLookupByName(pool, name))) {
    virStorageVolFree(v);
    vk_error_set(errp, VK_EXIT_BUSY, "volume '%s' exists in pool '%s'", name,
                 virStoragePoolGetName(pool));
    return NULL;
  }
  virResetLastError();
  if (asprintf(&path, "%s/%s", dir, name) < 0) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  if (lstat(path, &st) == 0) {
    vk_error_set(errp, VK_EXIT_BUSY, "'%s' exists already", path);
    free(path);
    return NULL;
  }
  return path;
}

/* After the engine made `path`: the pool sees it. */
static virStorageVolPtr
refreshed(virStoragePoolPtr pool, const char *path, const char *name, vk_error **errp)
{
  virStorageVolPtr v;

  if (virStoragePoolRefresh(pool, 0) < 0) {
    virErrorPtr saved = virSaveLastError();
    unlink(path);
    vk_virt_error_from(errp, virStoragePoolGetConnect(pool), saved, "cannot refresh the pool");
    return NULL;
  }
  if (!(v = virStorageVolLookupByName(pool, name))) {
    vk_virt_error(errp, virStoragePoolGetConnect(pool), "the new volume '%s' is not in the pool",
                  name);
    unlink(path);
  }
  return v;
}

virStorageVolPtr
vk_vol_create_libvirt(virStoragePoolPtr pool, const vk_vol_spec *s, vk_error **errp)
{
  vk_xml_builder b = { 0 };
  CLEANUP_XMLDOC xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
  CLEANUP_FREE char *xml = NULL;
  xmlNodePtr root, t;
  char cap[32];
  virStorageVolPtr v;

  if (!doc || !(root = xmlNewDocNode(doc, NULL, BAD_CAST "volume", NULL))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  xmlDocSetRootElement(doc, root);
  vk_xml_add(&b, root, "name", s->name);
  snprintf(cap, sizeof cap, "%" PRIu64, s->capacity);
  vk_xml_set(&b, vk_xml_add(&b, root, "capacity", cap), "unit", "bytes");
  if (s->sparse)
    vk_xml_set(&b, vk_xml_add(&b, root, "allocation", "0"), "unit", "bytes");
  if (s->format) {
    t = vk_xml_add(&b, root, "target", NULL);
    vk_xml_set(&b, vk_xml_add(&b, t, "format", NULL), "type", s->format);
  }
  if (s->backing) {
    xmlNodePtr bs = vk_xml_add(&b, root, "backingStore", NULL);
    vk_xml_add(&b, bs, "path", s->backing);
    if (s->backing_format)
      vk_xml_set(&b, vk_xml_add(&b, bs, "format", NULL), "type", s->backing_format);
  }
  if (!(xml = vk_xml_serialize(&b, doc))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  if (!(v = virStorageVolCreateXML(
            pool, xml, s->prealloc_metadata ? VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA : 0)))
    vk_virt_error(errp, virStoragePoolGetConnect(pool), "cannot create volume '%s'", s->name);
  return v;
}

virStorageVolPtr
vk_vol_create(virStoragePoolPtr pool, const vk_vol_spec *s, vk_error **errp)
{
  CLEANUP_FREE char *dir = NULL, *path = NULL, *backing_path = NULL;
  vk_image_opts io;
  bool ok;

  if (!pool_active(pool, errp) || !name_ok(s->name, errp))
    return NULL;
  if (s->backing) {
    virStorageVolPtr bv = vk_vol_lookup(virStoragePoolGetConnect(pool), pool, s->backing, errp);
    if (!bv)
      return NULL;
    backing_path = virStorageVolGetPath(bv);
    virStorageVolFree(bv);
  }
  if (!(dir = vk_vol_pool_dir(pool))) {
    vk_vol_spec t = *s;
    t.backing = backing_path;
    return vk_vol_create_libvirt(pool, &t, errp);
  }
  /* a directory pool: the engine makes the file */
  vk_image_opts_init(&io);
  if (s->format && !vk_image_format_parse(s->format, &io.format, errp)) {
    vk_image_opts_clear(&io);
    return NULL;
  }
  if (!vk_image_format_check_supported(io.format, NULL, errp) ||
      (!vk_image_format_creatable(io.format) &&
       !vk_error_set(errp, VK_EXIT_USAGE, "vkit does not create %s images",
                     vk_image_format_name(io.format))) ||
      /* libvirt does not know vhdx: it would list the volume as raw and
       * hand the container to a guest as its disk */
      (io.format == VK_FMT_VHDX &&
       !vk_error_set(errp, VK_EXIT_USAGE,
                     "libvirt does not know vhdx volumes (it would use one as raw); make a "
                     "qcow2 volume, or convert with vimg outside the pool")) ||
      (s->options && !vk_image_opts_parse(&io, s->options, errp))) {
    vk_image_opts_clear(&io);
    return NULL;
  }
  io.size = s->capacity;
  if (s->prealloc_metadata) {
    io.prealloc = VK_PREALLOC_METADATA;
    io.has_prealloc = 1;
  }
  if (backing_path) {
    free(io.backing_file);
    io.backing_file = strdup(backing_path);
    if (s->backing_format && !vk_image_format_parse(s->backing_format, &io.backing_fmt, errp)) {
      vk_image_opts_clear(&io);
      return NULL;
    }
    io.has_backing_fmt = s->backing_format != NULL;
    if (!io.size) {
      /* the backing image's size, as qemu-img does */
      vk_image *bi = vk_image_open(backing_path, io.has_backing_fmt ? io.backing_fmt : VK_FMT_NONE,
                                   VK_IMAGE_FORCE_SHARE | VK_IMAGE_NO_BACKING, errp);
      if (!bi) {
        vk_image_opts_clear(&io);
        return NULL;
      }
      io.size = vk_image_size(bi);
      vk_image_close(bi, NULL);
    }
  }
  if (!(path = new_path(pool, dir, s->name, errp))) {
    vk_image_opts_clear(&io);
    return NULL;
  }
  ok = vk_image_create(path, &io, 0, errp);
  vk_image_opts_clear(&io);
  if (!ok)
    return NULL;
  return refreshed(pool, path, s->name, errp);
}

virStorageVolPtr
vk_vol_create_xml(virStoragePoolPtr pool, const char *xml, vk_error **errp)
{
  CLEANUP_XMLDOC xmlDocPtr doc = vk_xml_read(xml, strlen(xml), "volume XML");
  CLEANUP_FREE char *name = NULL, *cap = NULL, *unit = NULL, *fmt = NULL, *bpath = NULL,
                    *bfmt = NULL, *dir = NULL;
  xmlNode *root, *n;
  vk_vol_spec s = { 0 };
  uint64_t mult = 1;
  char *end;
  virStorageVolPtr v;

  if (!doc) {
    vk_error_set(errp, VK_EXIT_USAGE, "the volume XML is not well-formed");
    return NULL;
  }
  if (!(dir = vk_vol_pool_dir(pool))) {
    if (!(v = virStorageVolCreateXML(pool, xml, 0)))
      vk_virt_error(errp, virStoragePoolGetConnect(pool), "cannot create the volume");
    return v;
  }
  root = xmlDocGetRootElement(doc);
  name = vk_xml_text(vk_xml_child(root, "name"));
  n = vk_xml_child(root, "capacity");
  cap = vk_xml_text(n);
  unit = vk_xml_attr(n, "unit");
  fmt = vk_xml_attr(vk_xml_child(vk_xml_child(root, "target"), "format"), "type");
  n = vk_xml_child(root, "backingStore");
  bpath = vk_xml_text(vk_xml_child(n, "path"));
  bfmt = vk_xml_attr(vk_xml_child(n, "format"), "type");
  if (unit) {
    /* libvirt's units: b/bytes, KB/K/KiB ... (powers of 1000 for KB, MB...) */
    static const struct {
      const char *u;
      uint64_t m;
    } units[] = { { "b", 1 },
                  { "bytes", 1 },
                  { "K", 1ULL << 10 },
                  { "KiB", 1ULL << 10 },
                  { "KB", 1000 },
                  { "M", 1ULL << 20 },
                  { "MiB", 1ULL << 20 },
                  { "MB", 1000000 },
                  { "G", 1ULL << 30 },
                  { "GiB", 1ULL << 30 },
                  { "GB", 1000000000 },
                  { "T", 1ULL << 40 },
                  { "TiB", 1ULL << 40 },
                  { "TB", 1000000000000 } };
    bool found = false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
      if (strcmp(unit, units[i].u) == 0) {
        mult = units[i].m;
        found = true;
      }
    if (!found) {
      vk_error_set(errp, VK_EXIT_USAGE, "volume XML: unknown capacity unit '%s'", unit);
      return NULL;
    }
  }
  if (!name || !cap) {
    vk_error_set(errp, VK_EXIT_USAGE, "volume XML: a <name> and a <capacity> are needed");
    return NULL;
  }
  errno = 0;
  s.capacity = strtoull(cap, &end, 10);
  if (errno || *end || cap[0] == '-' || (mult > 1 && s.capacity > UINT64_MAX / mult)) {
    vk_error_set(errp, VK_EXIT_USAGE, "volume XML: capacity '%s' is not a size", cap);
    return NULL;
  }
  s.capacity *= mult;
  s.name = name;
  s.format = fmt;
  s.backing = bpath;
  s.backing_format = bfmt;
  return vk_vol_create(pool, &s, errp);
}

virStorageVolPtr
vk_vol_copy_xml(virStoragePoolPtr pool, const char *xml, virStorageVolPtr src,
                const atomic_int *cancel, vk_error **errp)
{
  CLEANUP_XMLDOC xmlDocPtr doc = vk_xml_read(xml, strlen(xml), "volume XML");
  CLEANUP_FREE char *name = NULL, *fmt = NULL;
  xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;

  if (!root || !(name = vk_xml_text(vk_xml_child(root, "name")))) {
    vk_error_set(errp, VK_EXIT_USAGE, "volume XML with a <name>, please");
    return NULL;
  }
  fmt = vk_xml_attr(vk_xml_child(vk_xml_child(root, "target"), "format"), "type");
  return vk_vol_copy(pool, name, fmt, src, cancel, errp);
}

virStorageVolPtr
vk_vol_copy(virStoragePoolPtr pool, const char *name, const char *format, virStorageVolPtr src,
            const atomic_int *cancel, vk_error **errp)
{
  CLEANUP_FREE char *dir = NULL, *path = NULL, *srcpath = NULL, *srcfmt = NULL;
  virStorageVolInfo si;
  vk_convert_opts co;
  const char *srcs[1];
  virStorageVolPtr v;

  if (!pool_active(pool, errp) || !name_ok(name, errp))
    return NULL;
  if (virStorageVolGetInfo(src, &si) < 0 || !(srcpath = virStorageVolGetPath(src))) {
    vk_vol_error(errp, src, "cannot read");
    return NULL;
  }
  srcfmt = vol_format(src);
  dir = vk_vol_pool_dir(pool);
  if (!dir || si.type != VIR_STORAGE_VOL_FILE || !srcfmt ||
      (strcmp(srcfmt, "raw") != 0 && strcmp(srcfmt, "qcow2") != 0)) {
    /* libvirt copies: another pool type, or a format the engine does not write */
    vk_xml_builder b = { 0 };
    CLEANUP_XMLDOC xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    CLEANUP_FREE char *xml = NULL;
    xmlNodePtr root;
    char cap[32];
    if (!doc || !(root = xmlNewDocNode(doc, NULL, BAD_CAST "volume", NULL))) {
      vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      return NULL;
    }
    xmlDocSetRootElement(doc, root);
    vk_xml_add(&b, root, "name", name);
    snprintf(cap, sizeof cap, "%llu", si.capacity);
    vk_xml_set(&b, vk_xml_add(&b, root, "capacity", cap), "unit", "bytes");
    if (format || srcfmt)
      vk_xml_set(&b, vk_xml_add(&b, vk_xml_add(&b, root, "target", NULL), "format", NULL), "type",
                 format ? format : srcfmt);
    if (!(xml = vk_xml_serialize(&b, doc))) {
      vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      return NULL;
    }
    if (!(v = virStorageVolCreateXMLFrom(pool, xml, src, 0)))
      vk_virt_error(errp, virStoragePoolGetConnect(pool), "cannot copy volume '%s'",
                    virStorageVolGetName(src));
    return v;
  }
  if (!(path = new_path(pool, dir, name, errp)))
    return NULL;
  vk_convert_opts_init(&co);
  srcs[0] = srcpath;
  co.src = srcs;
  co.nsrc = 1;
  co.src_fmt = srcfmt;
  co.dst = path;
  co.dst_fmt = format ? format : srcfmt;
  co.cancel = cancel;
  if (!vk_convert(&co, errp)) {
    unlink(path);
    return NULL;
  }
  return refreshed(pool, path, name, errp);
}

/* ------------------------------------------------------------ changes */

/* The path of a file volume in a directory pool (the engine's), or NULL. */
static char *
engine_path(virStorageVolPtr vol, char **fmt)
{
  virStorageVolInfo info;
  virStoragePoolPtr pool = virStoragePoolLookupByVolume(vol);
  CLEANUP_FREE char *dir = pool ? vk_vol_pool_dir(pool) : NULL;

  *fmt = NULL;
  if (pool)
    virStoragePoolFree(pool);
  if (!dir || virStorageVolGetInfo(vol, &info) < 0 || info.type != VIR_STORAGE_VOL_FILE)
    return NULL;
  *fmt = vol_format(vol);
  if (!*fmt || (strcmp(*fmt, "raw") != 0 && strcmp(*fmt, "qcow2") != 0)) {
    free(*fmt);
    *fmt = NULL;
    return NULL;
  }
  return virStorageVolGetPath(vol);
}

bool
vk_vol_resize(virStorageVolPtr vol, int sign, uint64_t amount, bool shrink, vk_error **errp)
{
  CLEANUP_FREE char *fmt = NULL;
  CLEANUP_FREE char *path = engine_path(vol, &fmt);
  virStoragePoolPtr pool;
  vk_image_format f = VK_FMT_NONE;
  bool ok;

  if (sign < 0 && !shrink)
    return vk_error_set(errp, VK_EXIT_USAGE, "shrinking loses data past the new end: use --shrink");
  if (!path) {
    /* libvirt: DELTA adds, DELTA|SHRINK takes away, SHRINK alone allows a smaller size */
    unsigned vf = (sign ? VIR_STORAGE_VOL_RESIZE_DELTA : 0) |
                  ((sign < 0 || (sign == 0 && shrink)) ? VIR_STORAGE_VOL_RESIZE_SHRINK : 0);
    if (virStorageVolResize(vol, amount, vf) < 0)
      return vk_vol_error(errp, vol, "cannot resize");
    return true;
  }
  if (!vk_image_format_parse(fmt, &f, errp))
    return false;
  ok = vk_image_resize_path(path, f, sign, amount, VK_PREALLOC_OFF, shrink, errp);
  if ((pool = virStoragePoolLookupByVolume(vol))) {
    virStoragePoolRefresh(pool, 0);
    virStoragePoolFree(pool);
  }
  return ok;
}

bool
vk_vol_delete(virStorageVolPtr vol, vk_error **errp)
{
  if (virStorageVolDelete(vol, 0) < 0)
    return vk_vol_error(errp, vol, "cannot delete");
  return true;
}

bool
vk_vol_wipe(virStorageVolPtr vol, vk_error **errp)
{
  if (virStorageVolWipe(vol, 0) < 0)
    return vk_vol_error(errp, vol, "cannot wipe");
  return true;
}

/* ------------------------------------------------------------ streams */

typedef struct xfer {
  int fd;
  uint64_t done, total;
  void (*progress)(void *, uint64_t, uint64_t);
  void *opaque;
} xfer;

static void
advance(xfer *x, uint64_t n)
{
  x->done += n;
  if (x->progress)
    x->progress(x->opaque, x->done, x->total);
}

static int
send_data(virStreamPtr st, char *data, size_t n, void *opaque)
{
  xfer *x = opaque;
  ssize_t r;

  (void)st;
  do
    r = read(x->fd, data, n);
  while (r < 0 && errno == EINTR);
  if (r > 0)
    advance(x, (uint64_t)r);
  return (int)r;
}

/* where the file is: in data or a hole, and how long that lasts */
static int
send_hole(virStreamPtr st, int *in_data, long long *length, void *opaque)
{
  xfer *x = opaque;
  off_t cur = lseek(x->fd, 0, SEEK_CUR), data, hole;

  (void)st;
  if (cur < 0)
    return -1;
  data = lseek(x->fd, cur, SEEK_DATA);
  if (data < 0 && errno == ENXIO) {
    /* a hole up to the end */
    off_t end = lseek(x->fd, 0, SEEK_END);
    if (end < 0)
      return -1;
    *in_data = 0;
    *length = end - cur;
  } else if (data < 0) {
    return -1;
  } else if (data > cur) {
    *in_data = 0;
    *length = data - cur;
  } else {
    hole = lseek(x->fd, cur, SEEK_HOLE);
    if (hole < 0)
      return -1;
    *in_data = 1;
    *length = hole - cur;
  }
  return lseek(x->fd, cur, SEEK_SET) < 0 ? -1 : 0;
}

static int
skip_hole(virStreamPtr st, long long length, void *opaque)
{
  xfer *x = opaque;

  (void)st;
  if (lseek(x->fd, length, SEEK_CUR) < 0)
    return -1;
  advance(x, (uint64_t)length);
  return 0;
}

bool
vk_vol_upload(virStorageVolPtr vol, const char *file, void (*progress)(void *, uint64_t, uint64_t),
              void *opaque, vk_error **errp)
{
  xfer x = { .progress = progress, .opaque = opaque };
  struct stat st;
  virStreamPtr s = NULL;
  bool ok = false;

  if ((x.fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
    return vk_error_set_errno(errp, errno == ENOENT ? VK_EXIT_NOTFOUND : VK_EXIT_FAILED, errno,
                              "cannot read '%s'", file);
  if (fstat(x.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(x.fd);
    return vk_error_set(errp, VK_EXIT_USAGE, "'%s' is not a regular file", file);
  }
  x.total = (uint64_t)st.st_size;
  if (!(s = virStreamNew(virStorageVolGetConnect(vol), 0)) ||
      virStorageVolUpload(vol, s, 0, x.total, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) < 0 ||
      virStreamSparseSendAll(s, send_data, send_hole, skip_hole, &x) < 0 ||
      virStreamFinish(s) < 0) {
    vk_vol_error(errp, vol, "cannot upload to");
    if (s)
      virStreamAbort(s);
  } else {
    ok = true;
  }
  if (s)
    virStreamFree(s);
  close(x.fd);
  return ok;
}

static int
recv_data(virStreamPtr st, const char *data, size_t n, void *opaque)
{
  xfer *x = opaque;

  (void)st;
  if (!vk_write_all(x->fd, data, n))
    return -1;
  advance(x, n);
  return (int)n;
}

static int
recv_hole(virStreamPtr st, long long length, void *opaque)
{
  xfer *x = opaque;
  off_t cur;

  (void)st;
  if ((cur = lseek(x->fd, length, SEEK_CUR)) < 0 || ftruncate(x->fd, cur) < 0)
    return -1;
  advance(x, (uint64_t)length);
  return 0;
}

bool
vk_vol_download(virStorageVolPtr vol, const char *file,
                void (*progress)(void *, uint64_t, uint64_t), void *opaque, vk_error **errp)
{
  xfer x = { .progress = progress, .opaque = opaque };
  virStorageVolInfo info;
  virStreamPtr s = NULL;
  bool ok = false;

  if (virStorageVolGetInfo(vol, &info) < 0)
    return vk_vol_error(errp, vol, "cannot read");
  x.total = info.capacity;
  if ((x.fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
    return vk_error_set_errno(errp, errno == EEXIST ? VK_EXIT_BUSY : VK_EXIT_FAILED, errno,
                              "cannot create '%s'", file);
  if (!(s = virStreamNew(virStorageVolGetConnect(vol), 0)) ||
      virStorageVolDownload(vol, s, 0, 0, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM) < 0 ||
      virStreamSparseRecvAll(s, recv_data, recv_hole, &x) < 0 || virStreamFinish(s) < 0) {
    vk_vol_error(errp, vol, "cannot download");
    if (s)
      virStreamAbort(s);
  } else if (close(x.fd) < 0) {
    x.fd = -1;
    vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot write '%s'", file);
  } else {
    x.fd = -1;
    ok = true;
  }
  if (s)
    virStreamFree(s);
  if (x.fd >= 0)
    close(x.fd);
  if (!ok)
    unlink(file);
  return ok;
}
