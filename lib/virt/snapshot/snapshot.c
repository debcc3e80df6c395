/* vkit — domain snapshots through libvirt (see snapshot.h). */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "util/text.h"
#include "virt/conn.h"
#include "virt/domparse.h"
#include "virt/snapshot/snapshot.h"
#include "virt/xml.h"

void
vk_cleanup_snapshot(virDomainSnapshotPtr *p)
{
  if (*p)
    virDomainSnapshotFree(*p);
}

void
vk_snap_clear(vk_snap *s)
{
  free(s->name);
  free(s->parent);
  free(s->description);
  free(s->state);
  free(s->memory);
  free(s->memory_file);
  for (size_t i = 0; i < s->ndisks; i++) {
    free(s->disks[i].target);
    free(s->disks[i].kind);
    free(s->disks[i].file);
  }
  free(s->disks);
  memset(s, 0, sizeof *s);
}

void
vk_snap_list_free(vk_snap *s, size_t n)
{
  for (size_t i = 0; s && i < n; i++)
    vk_snap_clear(&s[i]);
  free(s);
}

static bool
snap_error(vk_error **errp, virDomainSnapshotPtr snap, const char *what)
{
  virErrorPtr saved = virSaveLastError();
  const char *name = virDomainSnapshotGetName(snap);
  virDomainPtr dom = virDomainSnapshotGetDomain(snap);
  CLEANUP_FREE char *msg = NULL;

  if (asprintf(&msg, "%s snapshot '%s' of domain '%s'", what, name ? name : "?",
               dom ? virDomainGetName(dom) : "?") < 0)
    msg = NULL;
  return vk_virt_error_from(errp, dom ? virDomainGetConnect(dom) : NULL, saved, msg ? msg : what);
}

/* Parse libvirt's <domainsnapshot> into s (name and the fields the XML
 * has; current, metadata and the counts are asked for separately). */
static bool
parse_xml(const char *xml, vk_snap *s, vk_error **errp)
{
  CLEANUP_XMLDOC xmlDocPtr doc = vk_xml_read(xml, strlen(xml), "snapshot XML");
  xmlNode *root, *n, *disks;
  CLEANUP_FREE char *ctime = NULL;

  if (!doc || !vk_xml_is(root = xmlDocGetRootElement(doc), "domainsnapshot"))
    return vk_error_set(errp, VK_EXIT_FAILED, "libvirt gave snapshot XML that cannot be read");
  s->name = vk_xml_text(vk_xml_child(root, "name"));
  s->description = vk_xml_text(vk_xml_child(root, "description"));
  s->state = vk_xml_text(vk_xml_child(root, "state"));
  s->parent = vk_xml_text(vk_xml_child(vk_xml_child(root, "parent"), "name"));
  ctime = vk_xml_text(vk_xml_child(root, "creationTime"));
  s->creation_time = ctime ? strtoll(ctime, NULL, 10) : 0;
  n = vk_xml_child(root, "memory");
  s->memory = vk_xml_attr(n, "snapshot");
  s->memory_file = vk_xml_attr(n, "file");
  if (s->memory && !strcmp(s->memory, "external"))
    s->external = true;
  disks = vk_xml_child(root, "disks");
  for (n = disks ? disks->children : NULL; n; n = n->next) {
    CLEANUP_FREE char *kind = NULL;
    struct vk_snap_disk *d, *grown;

    if (!vk_xml_is(n, "disk"))
      continue;
    kind = vk_xml_attr(n, "snapshot");
    if (kind && !strcmp(kind, "no"))
      continue;
    grown = realloc(s->disks, (s->ndisks + 1) * sizeof *s->disks);
    if (!grown)
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    s->disks = grown;
    d = &s->disks[s->ndisks++];
    d->target = vk_xml_attr(n, "name");
    d->kind = kind ? kind : strdup("internal");
    kind = NULL;
    d->file = vk_xml_attr(vk_xml_child(n, "source"), "file");
    if (!d->file)
      d->file = vk_xml_attr(vk_xml_child(n, "source"), "dev");
    if (d->kind && !strcmp(d->kind, "external"))
      s->external = true;
  }
  if (!s->name)
    return vk_error_set(errp, VK_EXIT_FAILED, "libvirt gave a snapshot without a name");
  return true;
}

bool
vk_snapshot_get(virDomainSnapshotPtr snap, vk_snap *out, vk_error **errp)
{
  CLEANUP_FREE char *xml = NULL;
  int cur, meta, kids, desc;

  memset(out, 0, sizeof *out);
  if (!(xml = virDomainSnapshotGetXMLDesc(snap, 0)))
    return snap_error(errp, snap, "cannot read");
  if ((cur = virDomainSnapshotIsCurrent(snap, 0)) < 0 ||
      (meta = virDomainSnapshotHasMetadata(snap, 0)) < 0 ||
      (kids = virDomainSnapshotNumChildren(snap, 0)) < 0 ||
      (desc = virDomainSnapshotNumChildren(snap, VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS)) < 0)
    return snap_error(errp, snap, "cannot inspect");
  if (!parse_xml(xml, out, errp)) {
    vk_snap_clear(out);
    return false;
  }
  out->current = cur;
  out->metadata = meta;
  out->children = kids;
  out->descendants = desc;
  return true;
}

static int
snap_cmp(const void *a, const void *b)
{
  const vk_snap *x = a, *y = b;

  if (x->creation_time != y->creation_time)
    return x->creation_time < y->creation_time ? -1 : 1;
  return strcmp(x->name, y->name);
}

bool
vk_snapshot_list(virDomainPtr dom, unsigned flags, const char *from, vk_snap **out, size_t *n,
                 vk_error **errp)
{
  CLEANUP_SNAPSHOT virDomainSnapshotPtr parent = NULL;
  virDomainSnapshotPtr *snaps = NULL;
  unsigned lf = 0;
  int count;
  bool ok = true;

  *out = NULL;
  *n = 0;
  if (flags & VK_SNAP_ROOTS)
    lf |= VIR_DOMAIN_SNAPSHOT_LIST_ROOTS;
  if (flags & VK_SNAP_LEAVES)
    lf |= VIR_DOMAIN_SNAPSHOT_LIST_LEAVES;
  if (flags & VK_SNAP_INTERNAL)
    lf |= VIR_DOMAIN_SNAPSHOT_LIST_INTERNAL;
  if (flags & VK_SNAP_EXTERNAL)
    lf |= VIR_DOMAIN_SNAPSHOT_LIST_EXTERNAL;
  if (from) {
    if (!(parent = vk_snapshot_lookup(dom, from, errp)))
      return false;
    if (flags & VK_SNAP_DESCENDANTS)
      lf |= VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS;
    lf &= ~(unsigned)VIR_DOMAIN_SNAPSHOT_LIST_ROOTS;
    count = virDomainSnapshotListAllChildren(parent, &snaps, lf);
  } else {
    count = virDomainListAllSnapshots(dom, &snaps, lf);
  }
  if (count < 0)
    return vk_virt_dom_error(errp, dom, "cannot list the snapshots of");
  if (count > 0 && !(*out = calloc((size_t)count, sizeof **out)))
    ok = vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  for (int i = 0; ok && i < count; i++) {
    if (!vk_snapshot_get(snaps[i], &(*out)[i], errp))
      ok = false;
    else
      ++*n;
  }
  for (int i = 0; i < count; i++)
    virDomainSnapshotFree(snaps[i]);
  free(snaps);
  if (!ok) {
    vk_snap_list_free(*out, *n);
    *out = NULL;
    *n = 0;
    return false;
  }
  if (*n > 1)
    qsort(*out, *n, sizeof **out, snap_cmp);
  return true;
}

virDomainSnapshotPtr
vk_snapshot_lookup(virDomainPtr dom, const char *name, vk_error **errp)
{
  virDomainSnapshotPtr s;

  if (name) {
    if (!(s = virDomainSnapshotLookupByName(dom, name, 0))) {
      virErrorPtr e = virGetLastError();
      if (e && e->code == VIR_ERR_NO_DOMAIN_SNAPSHOT) {
        vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' has no snapshot '%s'",
                     virDomainGetName(dom), name);
        return NULL;
      }
      vk_virt_dom_error(errp, dom, "cannot find the snapshot of");
    }
    return s;
  }
  switch (virDomainHasCurrentSnapshot(dom, 0)) {
  case 0:
    vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' has no current snapshot",
                 virDomainGetName(dom));
    return NULL;
  case 1: break;
  default: vk_virt_dom_error(errp, dom, "cannot read the current snapshot of"); return NULL;
  }
  if (!(s = virDomainSnapshotCurrent(dom, 0)))
    vk_virt_dom_error(errp, dom, "cannot read the current snapshot of");
  return s;
}

char *
vk_snapshot_xml(virDomainSnapshotPtr snap, bool secure, vk_error **errp)
{
  char *xml = virDomainSnapshotGetXMLDesc(snap, secure ? VIR_DOMAIN_SNAPSHOT_XML_SECURE : 0);

  if (!xml)
    snap_error(errp, snap, "cannot read");
  return xml;
}

char *
vk_snapshot_overlay_name(const char *file, const char *snap)
{
  const char *slash = strrchr(file, '/'), *base = slash ? slash + 1 : file;
  const char *dot = strrchr(base, '.');
  size_t keep = dot && dot != base ? (size_t)(dot - file) : strlen(file);
  char *out;

  if (asprintf(&out, "%.*s.%s", (int)keep, file, snap) < 0)
    return NULL;
  return out;
}

/* ------------------------------------------------------------ creating */

/* What happens to one disk of the domain. */
typedef struct {
  const vk_disk_info *disk;
  const char *kind;   /* internal, external, no */
  const char *driver; /* overlay format (qcow2) */
  char *file;         /* external: the overlay */
  bool made;          /* the overlay was made by us */
} plan_disk;

typedef struct {
  plan_disk *d;
  size_t n;
  const char *mem_kind; /* internal, external, no; NULL: not given (disk-only) */
  const char *mem_file;
  vk_subopts mem;
  vk_subopts *specs;
  size_t nspecs;
} plan;

static void
plan_clear(plan *p, bool remove_made)
{
  for (size_t i = 0; i < p->n; i++) {
    if (remove_made && p->d[i].made)
      unlink(p->d[i].file);
    free(p->d[i].file);
  }
  free(p->d);
  vk_subopts_free(&p->mem);
  for (size_t i = 0; i < p->nspecs; i++)
    vk_subopts_free(&p->specs[i]);
  free(p->specs);
}

static bool
valid_kind(const char *opt, const char *v, vk_error **errp)
{
  if (v && (!strcmp(v, "internal") || !strcmp(v, "external") || !strcmp(v, "no")))
    return true;
  return vk_error_set(errp, VK_EXIT_USAGE, "--%s: snapshot=%s: say internal, external or no", opt,
                      v ? v : "");
}

/* --memspec [file=]PATH[,snapshot=KIND] */
static bool
parse_memspec(plan *p, const char *spec, vk_error **errp)
{
  if (!vk_subopts_parse("memspec", spec, &p->mem, errp))
    return false;
  for (size_t i = 0; i < p->mem.n; i++) {
    vk_subopt *it = &p->mem.items[i];
    if (i == 0 && !it->value && strcmp(it->key, "snapshot")) {
      p->mem_file = it->key;
    } else if (!strcmp(it->key, "file") && it->value) {
      p->mem_file = it->value;
    } else if (!strcmp(it->key, "snapshot")) {
      if (!valid_kind("memspec", it->value, errp))
        return false;
      p->mem_kind = it->value;
    } else {
      return vk_error_set(errp, VK_EXIT_USAGE, "--memspec: unknown item '%s'", it->key);
    }
  }
  if (!p->mem_kind)
    p->mem_kind = p->mem_file ? "external" : "internal";
  if (!strcmp(p->mem_kind, "external") && !p->mem_file)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--memspec: an external memory snapshot needs file=PATH");
  return true;
}

/* Apply one --diskspec TARGET[,snapshot=KIND][,driver=FMT][,file=PATH]. */
static bool
apply_diskspec(plan *p, vk_subopts *so, const char *spec, const char *dom_name, vk_error **errp)
{
  plan_disk *d = NULL;

  if (!vk_subopts_parse("diskspec", spec, so, errp))
    return false;
  if (so->items[0].value)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--diskspec: '%s' must start with the disk's target (vda)", spec);
  for (size_t i = 0; i < p->n; i++)
    if (p->d[i].disk->target && !strcmp(p->d[i].disk->target, so->items[0].key))
      d = &p->d[i];
  if (!d)
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "--diskspec: domain '%s' has no disk '%s'",
                        dom_name, so->items[0].key);
  for (size_t i = 1; i < so->n; i++) {
    vk_subopt *it = &so->items[i];
    if (!it->value || !*it->value)
      return vk_error_set(errp, VK_EXIT_USAGE, "--diskspec: '%s' needs a value", it->key);
    if (!strcmp(it->key, "snapshot")) {
      if (!valid_kind("diskspec", it->value, errp))
        return false;
      d->kind = it->value;
    } else if (!strcmp(it->key, "driver")) {
      if (strcmp(it->value, "qcow2"))
        return vk_error_set(errp, VK_EXIT_USAGE, "--diskspec: driver=%s: overlays are qcow2",
                            it->value);
      d->driver = it->value;
    } else if (!strcmp(it->key, "file")) {
      free(d->file);
      if (!(d->file = vk_path_absolute(it->value)))
        return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
      d->kind = "external";
    } else {
      return vk_error_set(errp, VK_EXIT_USAGE, "--diskspec: unknown item '%s'", it->key);
    }
  }
  return true;
}

/* Overlay of file `d->file` on top of the disk's current image, with the
 * qcow2 options of that image. */
static bool
make_overlay(plan_disk *d, vk_error **errp)
{
  vk_image_format fmt = VK_FMT_NONE;
  vk_image_opts o;
  vk_image_info info;
  vk_image *base;
  bool ok;

  if (d->disk->format && !vk_image_format_parse(d->disk->format, &fmt, errp))
    return false;
  /* The guest may be running: read the base without conflicting locks. */
  base = vk_image_open(d->disk->source, fmt, VK_IMAGE_FORCE_SHARE | VK_IMAGE_NO_BACKING, errp);
  if (!base)
    return false;
  if (!vk_image_get_info(base, &info, errp)) {
    vk_image_close(base, NULL);
    return false;
  }
  vk_image_opts_init(&o);
  o.format = VK_FMT_QCOW2;
  o.size = info.virtual_size;
  if (info.format == VK_FMT_QCOW2) {
    o.cluster_size = info.cluster_size;
    o.version = info.version;
    o.refcount_bits = info.refcount_bits;
    o.compression = info.compression;
    o.extended_l2 = info.extended_l2;
    o.lazy_refcounts = info.lazy_refcounts;
    o.has_cluster_size = o.has_version = o.has_refcount_bits = o.has_extended_l2 = 1;
    o.has_compression = o.has_lazy_refcounts = 1;
  }
  o.backing_file = strdup(d->disk->source);
  o.backing_fmt = info.format;
  o.has_backing_fmt = 1;
  vk_image_close(base, NULL);
  ok = o.backing_file ? vk_image_create(d->file, &o, 0, errp)
                      : vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  vk_image_opts_clear(&o);
  if (ok)
    d->made = true;
  return ok;
}

static char *
build_xml(const vk_snap_spec *s, const plan *p, bool disk_only, vk_error **errp)
{
  vk_xml_builder b = { false };
  xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
  xmlNodePtr root = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "domainsnapshot", NULL) : NULL;
  xmlNodePtr disks, n;
  char *out = NULL;

  if (!root) {
    b.oom = true;
    goto done;
  }
  xmlDocSetRootElement(doc, root);
  if (s->name)
    vk_xml_add(&b, root, "name", s->name);
  if (s->description)
    vk_xml_add(&b, root, "description", s->description);
  if (!disk_only && p->mem_kind) {
    n = vk_xml_add(&b, root, "memory", NULL);
    vk_xml_set(&b, n, "snapshot", p->mem_kind);
    if (!strcmp(p->mem_kind, "external"))
      vk_xml_set(&b, n, "file", p->mem_file);
  }
  disks = vk_xml_add(&b, root, "disks", NULL);
  for (size_t i = 0; i < p->n; i++) {
    const plan_disk *d = &p->d[i];
    if (!d->disk->target)
      continue;
    n = vk_xml_add(&b, disks, "disk", NULL);
    vk_xml_set(&b, n, "name", d->disk->target);
    vk_xml_set(&b, n, "snapshot", d->kind);
    if (!strcmp(d->kind, "external")) {
      vk_xml_set(&b, n, "type", "file");
      vk_xml_set(&b, vk_xml_add(&b, n, "driver", NULL), "type", "qcow2");
      vk_xml_set(&b, vk_xml_add(&b, n, "source", NULL), "file", d->file);
    }
  }
  if (!b.oom)
    out = vk_xml_serialize(&b, doc);
done:
  if (doc)
    xmlFreeDoc(doc);
  if (b.oom) {
    free(out);
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory while building the snapshot XML");
    return NULL;
  }
  return out;
}

static bool
finish_create(virDomainPtr dom, virDomainSnapshotPtr snap, unsigned flags,
              virDomainSnapshotPtr *out, vk_error **errp)
{
  if (!snap)
    return vk_virt_dom_error(errp, dom, "cannot take a snapshot of");
  if (out)
    *out = (flags & VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA) ? NULL : snap;
  if (!out || (flags & VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA))
    virDomainSnapshotFree(snap);
  return true;
}

bool
vk_snapshot_create_xml(virDomainPtr dom, const char *xml, unsigned flags, virDomainSnapshotPtr *out,
                       vk_error **errp)
{
  if (out)
    *out = NULL;
  return finish_create(dom, virDomainSnapshotCreateXML(dom, xml, flags), flags, out, errp);
}

bool
vk_snapshot_create_as(virDomainPtr dom, const vk_snap_spec *s, virDomainSnapshotPtr *out,
                      vk_error **errp)
{
  const char *dname = virDomainGetName(dom);
  vk_domxml dx = { 0 };
  plan p;
  char stamp[32];
  vk_snap_spec spec = *s;
  CLEANUP_FREE char *xml = NULL;
  unsigned flags = 0;
  bool any_external = false, ok = false, disk_only = s->disk_only;
  int active;
  virDomainSnapshotPtr snap;

  memset(&p, 0, sizeof p);
  if (out)
    *out = NULL;
  if ((active = virDomainIsActive(dom)) < 0)
    return vk_virt_dom_error(errp, dom, "cannot read the state of");
  if (!spec.name) {
    /* libvirt's default name, chosen here so that overlays can carry it */
    snprintf(stamp, sizeof stamp, "%lld", (long long)time(NULL));
    spec.name = stamp;
  }
  if (strchr(spec.name, '/'))
    return vk_error_set(errp, VK_EXIT_USAGE, "a snapshot name cannot contain '/': %s", spec.name);
  if (s->memspec && disk_only)
    return vk_error_set(errp, VK_EXIT_USAGE, "--memspec and --disk-only exclude each other");
  if (s->memspec && !parse_memspec(&p, s->memspec, errp))
    goto out;
  if (!vk_domxml_get(dom, !active, &dx, errp))
    goto out;
  if (!(p.d = calloc(dx.ndisks ? dx.ndisks : 1, sizeof *p.d)) ||
      !(p.specs = calloc(s->ndiskspecs ? s->ndiskspecs : 1, sizeof *p.specs))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    goto out;
  }
  /* Defaults: what libvirt would choose, written out so that every disk's
   * fate is decided (and checked) here. */
  for (size_t i = 0; i < dx.ndisks; i++) {
    plan_disk *d = &p.d[p.n++];
    const vk_disk_info *di = &dx.disks[i];
    bool data = di->device && !strcmp(di->device, "disk") && !di->readonly && di->source;
    d->disk = di;
    d->driver = "qcow2";
    if (!data)
      d->kind = "no";
    else if (disk_only || (p.mem_kind && !strcmp(p.mem_kind, "external")))
      d->kind = "external";
    else
      d->kind = "internal";
  }
  for (size_t i = 0; i < s->ndiskspecs; i++, p.nspecs++)
    if (!apply_diskspec(&p, &p.specs[i], s->diskspecs[i], dname, errp))
      goto out;
  for (size_t i = 0; i < p.n; i++) {
    plan_disk *d = &p.d[i];
    const vk_disk_info *di = d->disk;
    if (!strcmp(d->kind, "internal")) {
      if (!di->format || strcmp(di->format, "qcow2")) {
        vk_error_set(
            errp, VK_EXIT_FAILED,
            "domain '%s': disk %s is %s: an internal snapshot needs qcow2 (--disk-only takes an external one)",
            dname, di->target ? di->target : "?", di->format ? di->format : "not qcow2");
        goto out;
      }
    } else if (!strcmp(d->kind, "external")) {
      any_external = true;
      if (!d->file && (!di->type || strcmp(di->type, "file"))) {
        vk_error_set(
            errp, VK_EXIT_USAGE,
            "domain '%s': disk %s is not a file: name its overlay with --diskspec %s,file=PATH",
            dname, di->target ? di->target : "?", di->target ? di->target : "TARGET");
        goto out;
      }
      if (!d->file && !(d->file = vk_snapshot_overlay_name(di->source, spec.name))) {
        vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
        goto out;
      }
    }
  }
  /* Every overlay is checked before the first is made. */
  for (size_t i = 0; i < p.n; i++) {
    struct stat st;
    plan_disk *d = &p.d[i];
    if (strcmp(d->kind, "external"))
      continue;
    if (s->reuse_external && stat(d->file, &st) < 0) {
      vk_error_set_errno(errp, VK_EXIT_NOTFOUND, errno, "--reuse-external: overlay '%s'", d->file);
      goto out;
    }
    if (!s->reuse_external && lstat(d->file, &st) == 0) {
      vk_error_set(errp, VK_EXIT_BUSY,
                   "overlay '%s' for disk %s exists already (remove it, or give --reuse-external)",
                   d->file, d->disk->target);
      goto out;
    }
  }
  if (!s->reuse_external)
    for (size_t i = 0; i < p.n; i++)
      if (!strcmp(p.d[i].kind, "external") && !make_overlay(&p.d[i], errp))
        goto out;
  if (!(xml = build_xml(&spec, &p, disk_only, errp)))
    goto out;
  if (disk_only)
    flags |= VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY;
  if (any_external)
    flags |= VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT | VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC;
  if (s->atomic)
    flags |= VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC;
  if (s->quiesce)
    flags |= VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE;
  if (s->live)
    flags |= VIR_DOMAIN_SNAPSHOT_CREATE_LIVE;
  if (s->no_metadata)
    flags |= VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA;
  snap = virDomainSnapshotCreateXML(dom, xml, flags);
  ok = finish_create(dom, snap, flags, out, errp);
out:
  plan_clear(&p, !ok);
  vk_domxml_free(&dx);
  return ok;
}

bool
vk_snapshot_revert(virDomainSnapshotPtr snap, unsigned flags, vk_error **errp)
{
  if (virDomainRevertToSnapshot(snap, flags) < 0)
    return snap_error(errp, snap, "cannot revert to");
  return true;
}

bool
vk_snapshot_delete(virDomainSnapshotPtr snap, unsigned flags, vk_error **errp)
{
  if (virDomainSnapshotDelete(snap, flags) < 0)
    return snap_error(errp, snap, "cannot delete");
  return true;
}
