/* vkit — planning a clone: every check before anything is created. */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "util/size.h"
#include "virt/clone/internal.h"
#include "virt/clone/clone.h"
#include "virt/inuse.h"
#include "virt/conn.h"
#include "virt/domain.h"
#include "virt/domparse.h"
#include "virt/pool.h"
#include "virt/volume.h"

/* A linked clone's overlay: header, tables; generous. */
#define LINKED_NEED (1024 * 1024)

const char *
vk_clone_how_name(vk_clone_how how)
{
  static const char *const names[] = {
    "copy", "linked", "reflink", "shared", "skipped", "preserved",
  };
  return (unsigned)how < sizeof names / sizeof names[0] ? names[how] : "?";
}

void
vk_clone_opts_init(vk_clone_opts *o)
{
  memset(o, 0, sizeof *o);
  o->check_path_in_use = true;
  o->check_path_exists = true;
}

void
vk_clone_clear(vk_clone *c)
{
  for (size_t i = 0; i < c->ndisks; i++) {
    vk_clone_disk *d = &c->disks[i];
    free(d->target); free(d->device); free(d->source); free(d->path);
    free(d->format); free(d->src_format); free(d->create_opts);
    free(d->backing); free(d->backing_fmt); free(d->tmp);
    free(d->src_pool);
    free(d->src_volume);
    free(d->src_pool_dir);
    free(d->pool);
    free(d->volume);
  }
  for (size_t i = 0; i < c->nmacs; i++)
    free(c->macs[i]);
  free(c->macs);
  free(c->disks);
  free(c->orig_name);
  free(c->name);
  free(c->nvram_src);
  free(c->nvram);
  free(c->nvram_tmp);
  free(c->xml);
  free(c->old_xml);
  free(c->old_nvram);
  if (c->dom)
    virDomainFree(c->dom);
  memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------ helpers */

static bool
in_list(const char **list, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (s && strcmp(list[i], s) == 0)
      return true;
  return false;
}

static bool
name_taken(void *opaque, const char *name)
{
  virDomainPtr d = virDomainLookupByName(opaque, name);

  if (!d) {
    virResetLastError();
    return false;
  }
  virDomainFree(d);
  return true;
}

static bool
path_exists(void *opaque, const char *path)
{
  struct stat st;

  (void)opaque;
  return lstat(path, &st) == 0 || errno != ENOENT;
}

/* Two names of one file (compared in canonical form). */
static bool
same_file(const char *a, const char *b)
{
  CLEANUP_FREE char *ca = vk_path_canonical(a);
  CLEANUP_FREE char *cb = vk_path_canonical(b);

  return ca && cb && strcmp(ca, cb) == 0;
}

/* ------------------------------------------------------------ steps */

static bool is_copy(vk_clone_how how);

/* vclone reads and writes the disks itself: the hypervisor must see the
 * same files, so it must be on this host. */
static bool
check_local(virConnectPtr conn, const vk_clone *c, vk_error **errp)
{
  CLEANUP_FREE char *uri = NULL;
  bool copies = false;

  for (size_t i = 0; i < c->ndisks; i++)
    copies = copies || is_copy(c->disks[i].how);
  if (!copies || vk_conn_is_local(conn))
    return true;
  uri = virConnectGetURI(conn);
  return vk_error_set(errp, VK_EXIT_USAGE, "'%s' is another host's hypervisor: vclone copies disks itself and needs one on this host (or --skip-copy every disk)",
                      uri ? uri : "?");
}

static bool
check_opts(const vk_clone_opts *o, vk_error **errp)
{
  if (!o->original && !o->original_xml)
    return vk_error_set(errp, VK_EXIT_USAGE, "an original is required: --original NAME or --original-xml FILE");
  if (o->original && o->original_xml)
    return vk_error_set(errp, VK_EXIT_USAGE, "--original and --original-xml cannot be used together");
  if (!o->name && !o->auto_clone)
    return vk_error_set(errp, VK_EXIT_USAGE, "a name for the clone is required: --name NEWNAME, or --auto-clone");
  if (o->name && !*o->name)
    return vk_error_set(errp, VK_EXIT_USAGE, "the new name is empty");
  if (o->linked + o->reflink + o->preserve_data > 1)
    return vk_error_set(errp, VK_EXIT_USAGE, "--linked, --reflink and --preserve-data exclude each other");
  if (o->nonsparse && (o->linked || o->reflink))
    return vk_error_set(errp, VK_EXIT_USAGE, "--nonsparse cannot be used with --linked or --reflink");
  if (o->preserve_data && o->nfiles == 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "--preserve-data needs a --file for every disk to clone");
  for (size_t i = 0; i < o->nmacs; i++)
    if (strcmp(o->macs[i], "RANDOM") != 0 && !vk_clone_mac_valid(o->macs[i]))
      return vk_error_set(errp, VK_EXIT_USAGE, "--mac '%s' is not a unicast MAC address (like 52:54:00:12:34:56) or RANDOM",
                          o->macs[i]);
  if (o->uuid) {
    char u[VIR_UUID_STRING_BUFLEN];
    if (!vk_clone_uuid_parse(o->uuid, u))
      return vk_error_set(errp, VK_EXIT_USAGE, "--uuid '%s' is not a UUID", o->uuid);
  }
  for (size_t i = 0; i < o->nfiles; i++)
    if (!*o->files[i])
      return vk_error_set(errp, VK_EXIT_USAGE, "--file: empty path");
  return true;
}

/* The original's XML (inactive, with secrets) and name. */
static char *
original_xml(vk_clone *c, virConnectPtr conn, const vk_clone_opts *o, vk_error **errp)
{
  CLEANUP_DOMAIN virDomainPtr dom = NULL;
  char *xml, *nvram = NULL;
  int state, reason;

  if (o->original_xml) {
    xml = vk_read_file(o->original_xml, errp);
  } else {
    if (!(dom = vk_domain_lookup(conn, o->original, errp)))
      return NULL;
    if (virDomainGetState(dom, &state, &reason, 0) < 0) {
      vk_virt_dom_error(errp, dom, "cannot get the state of");
      return NULL;
    }
    if (state != VIR_DOMAIN_SHUTOFF) {
      vk_error_set(errp, VK_EXIT_BUSY, "domain '%s' is %s: shut it down before cloning it",
                   virDomainGetName(dom),
                   state == VIR_DOMAIN_PAUSED ? "paused" : "running");
      return NULL;
    }
    xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    if (!xml) {
      vk_virt_dom_error(errp, dom, "cannot get the XML of");
      return NULL;
    }
  }
  if (xml && !vk_clone_xml_read(xml, &c->orig_name, &nvram, errp)) {
    free(xml);
    return NULL;
  }
  c->nvram_src = nvram;
  return xml;
}

static bool
choose_name(vk_clone *c, virConnectPtr conn, const vk_clone_opts *o, vk_error **errp)
{
  CLEANUP_DOMAIN virDomainPtr old = NULL;
  int active;

  if (o->name) {
    c->name = strdup(o->name);
  } else {
    c->name = vk_clone_auto_name(c->orig_name, name_taken, conn);
  }
  if (!c->name)
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot choose a name for the clone");
  if (strcmp(c->name, c->orig_name) == 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "the clone cannot have the original's name '%s'", c->name);
  old = virDomainLookupByName(conn, c->name);
  if (!old) {
    virResetLastError();
    return true;
  }
  if (!o->replace)
    return vk_error_set(errp, VK_EXIT_BUSY, "domain '%s' already exists (--replace replaces it)", c->name);
  active = virDomainIsActive(old);
  if (active < 0)
    return vk_virt_dom_error(errp, old, "cannot get the state of");
  if (active)
    return vk_error_set(errp, VK_EXIT_BUSY, "domain '%s' is running: --replace does not remove a running domain; shut it down first",
                        c->name);
  c->replace_existing = true;
  c->old_xml = virDomainGetXMLDesc(old, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
  if (!c->old_xml)
    return vk_virt_dom_error(errp, old, "cannot get the XML of");
  {
    char *n = NULL;
    if (!vk_clone_xml_read(c->old_xml, &n, &c->old_nvram, errp))
      return false;
    free(n);
  }
  return true;
}

static bool
choose_uuid(vk_clone *c, virConnectPtr conn, const vk_clone_opts *o, vk_error **errp)
{
  for (int tries = 0; tries < 100; tries++) {
    virDomainPtr d;

    if (o->uuid)
      vk_clone_uuid_parse(o->uuid, c->uuid);
    else if (!vk_clone_random_uuid(c->uuid, errp))
      return false;
    d = virDomainLookupByUUIDString(conn, c->uuid);
    if (!d) {
      virResetLastError();
      return true;
    }
    if (o->uuid) {
      bool same = c->replace_existing && strcmp(virDomainGetName(d), c->name) == 0;
      virDomainFree(d);
      if (same)
        return true;
      return vk_error_set(errp, VK_EXIT_BUSY, "UUID %s is already used by another domain", c->uuid);
    }
    virDomainFree(d);
  }
  return vk_error_set(errp, VK_EXIT_FAILED, "cannot find a free UUID");
}

static bool
choose_macs(vk_clone *c, const vk_domxml *d, const vk_in_use *u, const vk_clone_opts *o,
            vk_error **errp)
{
  if (o->nmacs > d->nifaces)
    return vk_error_set(errp, VK_EXIT_USAGE, "%zu --mac given, but the original has %zu network interface%s",
                        o->nmacs, d->nifaces, d->nifaces == 1 ? "" : "s");
  c->macs = calloc(d->nifaces ? d->nifaces : 1, sizeof *c->macs);
  if (!c->macs)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot plan the clone");
  for (size_t i = 0; i < d->nifaces; i++) {
    char mac[VK_CLONE_MAC_BUFLEN];
    const char *owner;

    if (i < o->nmacs && strcmp(o->macs[i], "RANDOM") != 0) {
      snprintf(mac, sizeof mac, "%s", o->macs[i]);
      for (char *p = mac; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
      owner = vk_in_use_mac(u, mac);
      if (owner && !(c->replace_existing && strcmp(owner, c->name) == 0))
        return vk_error_set(errp, VK_EXIT_BUSY, "MAC address %s is used by domain '%s'", mac, owner);
    } else {
      int tries = 0;
      bool clash;
      do {
        if (!vk_clone_random_mac(mac, errp))
          return false;
        clash = vk_in_use_mac(u, mac) != NULL;
        for (size_t k = 0; k < i && !clash; k++)
          clash = strcmp(c->macs[k], mac) == 0;
      } while (clash && ++tries < 1000);
      if (clash)
        return vk_error_set(errp, VK_EXIT_FAILED, "cannot find a free MAC address");
    }
    for (size_t k = 0; k < i; k++)
      if (strcmp(c->macs[k], mac) == 0)
        return vk_error_set(errp, VK_EXIT_USAGE, "MAC address %s is given twice", mac);
    if (!(c->macs[i] = strdup(mac)))
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot plan the clone");
    c->nmacs++;
  }
  return true;
}

static bool
is_copy(vk_clone_how how)
{
  return how == VK_CLONE_COPY || how == VK_CLONE_LINKED || how == VK_CLONE_REFLINK ||
         how == VK_CLONE_PRESERVED;
}

/* A disk that is volume x->src_volume of pool x->src_pool: its file
 * (x->source), its format when the disk does not say, and the pool's
 * directory when the engine can write the copy there. */
static bool
resolve_volume(virConnectPtr conn, vk_clone_disk *x, vk_error **errp)
{
  CLEANUP_POOL virStoragePoolPtr pool = vk_pool_lookup(conn, x->src_pool, errp);
  CLEANUP_VOL virStorageVolPtr vol = NULL;
  vk_vol_entry e = { 0 };
  bool ok;

  if (!pool) {
    vk_error_prefix(errp, "disk %s", x->target);
    return false;
  }
  if (virStoragePoolIsActive(pool) != 1)
    return vk_error_set(errp, VK_EXIT_BUSY, "disk %s: pool '%s' is not active (pool-start it)",
                        x->target, x->src_pool);
  if (!(vol = virStorageVolLookupByName(pool, x->src_volume))) {
    virResetLastError();
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "disk %s: pool '%s' has no volume '%s'", x->target,
                        x->src_pool, x->src_volume);
  }
  ok = vk_vol_info(vol, &e, errp);
  if (ok && (!e.path || strcmp(e.type, "file") != 0))
    ok = vk_error_set(
        errp, VK_EXIT_USAGE,
        "disk %s: volume %s/%s is not a file, which vclone cannot copy; keep it shared with --skip-copy %s",
        x->target, x->src_pool, x->src_volume, x->target);
  if (ok) {
    free(x->source);
    x->source = e.path;
    e.path = NULL;
    if (!x->src_format && e.format) {
      x->src_format = e.format;
      e.format = NULL;
    }
    x->src_pool_dir = vk_vol_pool_dir(pool);
  }
  vk_vol_entry_clear(&e);
  return ok;
}

/* What to do with each disk, before any path is chosen. */
static bool
classify_disks(vk_clone *c, virConnectPtr conn, const vk_domxml *d, const vk_clone_opts *o,
               vk_error **errp)
{
  const char **lists[2] = { o->skip, o->force };
  size_t counts[2] = { o->nskip, o->nforce };
  const char *what[2] = { "--skip-copy", "--force-copy" };

  for (int l = 0; l < 2; l++)
    for (size_t i = 0; i < counts[l]; i++) {
      bool found = false;
      for (size_t k = 0; k < d->ndisks && !found; k++)
        found = d->disks[k].target && strcmp(d->disks[k].target, lists[l][i]) == 0;
      if (!found)
        return vk_error_set(errp, VK_EXIT_USAGE, "%s %s: the original has no disk with that target",
                            what[l], lists[l][i]);
      if (l == 1 && in_list(o->skip, o->nskip, lists[l][i]))
        return vk_error_set(errp, VK_EXIT_USAGE, "%s is given to both --skip-copy and --force-copy", lists[l][i]);
    }
  c->disks = calloc(d->ndisks ? d->ndisks : 1, sizeof *c->disks);
  if (!c->disks)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot plan the clone");
  c->ndisks = d->ndisks;
  for (size_t i = 0; i < d->ndisks; i++) {
    const vk_disk_info *s = &d->disks[i];
    vk_clone_disk *x = &c->disks[i];
    bool forced = in_list(o->force, o->nforce, s->target);
    vk_image_format fmt;

    x->target = s->target ? strdup(s->target) : NULL;
    x->device = strdup(s->device);
    x->source = s->source ? strdup(s->source) : NULL;
    x->src_format = s->format ? strdup(s->format) : NULL;
    if (in_list(o->skip, o->nskip, s->target))
      x->how = VK_CLONE_SKIPPED;
    else if (!s->source)
      x->how = VK_CLONE_SHARED;
    else if (!forced && (strcmp(s->device, "disk") != 0 || s->readonly || s->shareable))
      x->how = VK_CLONE_SHARED;
    else if (o->preserve_data)
      x->how = VK_CLONE_PRESERVED;
    else if (o->linked)
      x->how = VK_CLONE_LINKED;
    else if (o->reflink)
      x->how = VK_CLONE_REFLINK;
    else
      x->how = VK_CLONE_COPY;
    if (is_copy(x->how) && s->type && strcmp(s->type, "volume") == 0) {
      const char *slash = strchr(s->source, '/');
      if (!slash)
        return vk_error_set(errp, VK_EXIT_USAGE, "disk %s: volume '%s' names no pool", s->target,
                            s->source);
      x->src_pool = strndup(s->source, (size_t)(slash - s->source));
      x->src_volume = strdup(slash + 1);
      if (!x->src_pool || !x->src_volume)
        return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot plan the clone");
      if (!resolve_volume(conn, x, errp))
        return false;
    } else if (is_copy(x->how) && s->type && strcmp(s->type, "file") != 0)
      return vk_error_set(errp, VK_EXIT_USAGE, "disk %s is a '%s' disk, which vclone cannot copy; keep it shared with --skip-copy %s",
                          s->target, s->type, s->target);
    if (!x->src_format && !(x->src_format = strdup("raw")))
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot plan the clone");
    if (is_copy(x->how) && x->how != VK_CLONE_PRESERVED &&
        (!vk_image_format_parse(x->src_format, &fmt, NULL) || !vk_image_format_writable(fmt)))
      return vk_error_set(errp, VK_EXIT_USAGE, "disk %s has format '%s', which vclone cannot copy; keep it shared with --skip-copy %s",
                          s->target, x->src_format, s->target);
    x->format = strdup(x->how == VK_CLONE_LINKED ? "qcow2" : x->src_format);
    if (!x->device || !x->src_format || !x->format)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot plan the clone");
  }
  return true;
}

/* A name is taken in a pool when a file or a volume has it. */
static bool
volume_taken(void *opaque, const char *path)
{
  const char *slash = strrchr(path, '/');
  virStorageVolPtr v;

  if (path_exists(NULL, path))
    return true;
  if (!(v = virStorageVolLookupByName(opaque, slash ? slash + 1 : path))) {
    virResetLastError();
    return false;
  }
  virStorageVolFree(v);
  return true;
}

/* The clone of a volume disk: a new volume of the same pool, named as a
 * file copy would be. */
static bool
choose_volume(virConnectPtr conn, vk_clone_disk *x, const vk_clone *c, vk_error **errp)
{
  CLEANUP_POOL virStoragePoolPtr pool = NULL;
  CLEANUP_FREE char *base = NULL;

  if (!x->src_pool_dir)
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "disk %s is volume %s/%s, and vclone makes volumes in directory pools of this host only: give a --file for it, or --skip-copy %s",
        x->target, x->src_pool, x->src_volume, x->target);
  if (!(pool = vk_pool_lookup(conn, x->src_pool, errp)))
    return false;
  if (asprintf(&base, "%s/%s", x->src_pool_dir, x->src_volume) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot plan the clone");
  x->path = vk_clone_disk_path(base, c->orig_name, c->name, volume_taken, pool);
  if (!x->path)
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot choose a volume for the clone of disk %s",
                        x->target);
  x->pool = strdup(x->src_pool);
  x->volume = strdup(strrchr(x->path, '/') + 1);
  if (!x->pool || !x->volume)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot plan the clone");
  return true;
}

/* The path of each copied disk: --file in order, else derived. */
static bool
choose_paths(vk_clone *c, virConnectPtr conn, const vk_in_use *u, const vk_clone_opts *o,
             vk_error **errp)
{
  size_t ncopy = 0, k = 0;

  for (size_t i = 0; i < c->ndisks; i++)
    if (is_copy(c->disks[i].how))
      ncopy++;
  if (o->nfiles > ncopy || (o->nfiles && o->nfiles < ncopy && !o->auto_clone) ||
      (o->preserve_data && o->nfiles != ncopy))
    return vk_error_set(errp, VK_EXIT_USAGE, "%zu --file given, but %zu disk%s of the original %s to be cloned",
                        o->nfiles, ncopy, ncopy == 1 ? "" : "s", ncopy == 1 ? "is" : "are");
  for (size_t i = 0; i < c->ndisks; i++) {
    vk_clone_disk *x = &c->disks[i];
    struct stat st;
    bool given = false;

    if (!is_copy(x->how)) {
      x->path = x->source ? strdup(x->source) : NULL;
      continue;
    }
    if (k < o->nfiles) {
      x->path = vk_path_absolute(o->files[k++]);
      if (!x->path)
        return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot plan the clone");
      if (x->how == VK_CLONE_PRESERVED) {
        if (stat(x->path, &st) < 0)
          return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "--preserve-data: '%s'", x->path);
        if (o->check_path_in_use) {
          const char *owner = vk_in_use_path(u, x->path, c->replace_existing ? c->name : NULL);
          if (owner)
            return vk_error_set(errp, VK_EXIT_BUSY, "'%s' is a disk of domain '%s' (--check path_in_use=off allows it)",
                                x->path, owner);
        }
      } else {
        given = true;
      }
    } else if (x->src_pool) {
      if (!choose_volume(conn, x, c, errp))
        return false;
    } else {
      x->path = vk_clone_disk_path(x->source, c->orig_name, c->name, path_exists, NULL);
      if (!x->path)
        return vk_error_set(errp, VK_EXIT_FAILED, "cannot choose a path for the clone of disk %s", x->target);
    }
    if (x->how != VK_CLONE_PRESERVED) {
      CLEANUP_FREE char *dir = vk_path_dir(x->path);
      if (!dir || stat(dir, &st) < 0)
        return vk_error_set_errno(errp, VK_EXIT_FAILED, dir ? errno : ENOMEM, "directory of '%s'", x->path);
      if (same_file(x->path, x->source))
        return vk_error_set(errp, VK_EXIT_USAGE, "'%s' is the original's disk %s", x->path, x->target);
      if (o->check_path_in_use) {
        const char *owner = vk_in_use_path(u, x->path, NULL);
        if (owner)
          return vk_error_set(errp, VK_EXIT_BUSY, "'%s' is a disk of domain '%s' (--check path_in_use=off allows it)",
                              x->path, owner);
      }
      if (given && o->check_path_exists && path_exists(NULL, x->path))
        return vk_error_set(errp, VK_EXIT_FAILED, "'%s' already exists (--check path_exists=off replaces it)", x->path);
    }
    for (size_t j = 0; j < i; j++)
      if (is_copy(c->disks[j].how) && strcmp(c->disks[j].path, x->path) == 0)
        return vk_error_set(errp, VK_EXIT_USAGE, "disks %s and %s would both be cloned to '%s'",
                            c->disks[j].target, x->target, x->path);
  }
  return true;
}

/* Look at each source through the image engine: its size and creation
 * options, and whether a running VM holds it (the engine's locks). */
static bool
inspect_sources(vk_clone *c, const vk_clone_opts *o, vk_error **errp)
{
  for (size_t i = 0; i < c->ndisks; i++) {
    vk_clone_disk *x = &c->disks[i];
    vk_image_format fmt;
    vk_image_info info;
    vk_image *img;
    struct stat st;
    bool ok;

    if (!is_copy(x->how) || x->how == VK_CLONE_PRESERVED)
      continue;
    if (!vk_image_format_parse(x->src_format, &fmt, errp))
      return false;
    if (stat(x->source, &st) < 0)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "disk %s: '%s'", x->target, x->source);
    img = vk_image_open(x->source, fmt, VK_IMAGE_NO_BACKING, errp);
    if (!img) {
      vk_error_prefix(errp, "disk %s", x->target);
      return false;
    }
    ok = vk_image_get_info(img, &info, errp);
    if (ok) {
      x->size = info.virtual_size;
      if (x->how == VK_CLONE_LINKED)
        x->need = LINKED_NEED;
      else if (x->how == VK_CLONE_REFLINK)
        x->need = 0;
      else if (o->nonsparse)
        x->need = info.virtual_size > info.file_length ? info.virtual_size : info.file_length;
      else
        x->need = (uint64_t)st.st_blocks * 512;
      if (x->how == VK_CLONE_COPY && fmt == VK_FMT_QCOW2) {
        int r = asprintf(&x->create_opts, "cluster_size=%u,compat=%s,refcount_bits=%d%s%s%s%s",
                         info.cluster_size, info.version >= 3 ? "1.1" : "0.10", info.refcount_bits,
                         info.version >= 3 ? ",compression_type=" : "",
                         info.version >= 3 ? vk_compression_name(info.compression) : "",
                         info.version >= 3 && info.lazy_refcounts ? ",lazy_refcounts=on" : "",
                         info.extended_l2 ? ",extended_l2=on" : "");
        if (r < 0)
          x->create_opts = NULL;
        ok = r >= 0;
        if (ok && info.backing_file) {
          /* Keep the reference as recorded when the clone sits next to
           * the original; elsewhere a relative name would not resolve. */
          CLEANUP_FREE char *d1 = vk_path_dir(x->source);
          CLEANUP_FREE char *d2 = vk_path_dir(x->path);
          bool same_dir = d1 && d2 && strcmp(d1, d2) == 0;
          x->backing = info.backing_file[0] == '/' || same_dir
                       ? strdup(info.backing_file)
                       : vk_image_resolve_backing(x->source, info.backing_file);
          x->backing_fmt = info.backing_format ? strdup(info.backing_format) : NULL;
          ok = x->backing != NULL;
        }
      }
    }
    vk_image_close(img, NULL);
    if (!ok)
      return vk_error_set(errp, VK_EXIT_FAILED, "disk %s: cannot read '%s'", x->target, x->source);
  }
  return true;
}

static bool
choose_nvram(vk_clone *c, const vk_clone_opts *o, vk_error **errp)
{
  CLEANUP_FREE char *dir = NULL;

  if (!c->nvram_src) {
    if (o->nvram)
      return vk_error_set(errp, VK_EXIT_USAGE, "--nvram: the original has no NVRAM file");
    return true;
  }
  if (o->preserve_data && !o->nvram) {
    c->nvram = strdup(c->nvram_src);
    return c->nvram || vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "nvram");
  }
  if (o->nvram) {
    c->nvram = vk_path_absolute(o->nvram);
  } else {
    dir = vk_path_dir(c->nvram_src);
    if (!dir || asprintf(&c->nvram, "%s/%s_VARS.fd", dir, c->name) < 0)
      c->nvram = NULL;
  }
  if (!c->nvram)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "nvram");
  if (strcmp(c->nvram, c->nvram_src) == 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "'%s' is the original's NVRAM file", c->nvram);
  if (o->preserve_data)
    return true;
  if (o->check_path_exists && path_exists(NULL, c->nvram) &&
      !(c->replace_existing && c->old_nvram && strcmp(c->old_nvram, c->nvram) == 0))
    return vk_error_set(errp, VK_EXIT_FAILED, "NVRAM file '%s' already exists (--check path_exists=off replaces it)",
                        c->nvram);
  return true;
}

/* Is there room on every target filesystem for what will be written? */
static bool
check_space(vk_clone *c, vk_error **errp)
{
  for (size_t i = 0; i < c->ndisks; i++) {
    vk_clone_disk *x = &c->disks[i];
    CLEANUP_FREE char *dir = NULL;
    struct statvfs vfs;
    struct stat st;
    uint64_t need = 0, avail;

    if (!is_copy(x->how) || x->how == VK_CLONE_PRESERVED || x->need == 0)
      continue;
    dir = vk_path_dir(x->path);
    if (!dir || stat(dir, &st) < 0)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "directory of '%s'", x->path);
    /* Everything going to the same filesystem, counted once, at its
     * first disk. */
    bool seen = false;
    for (size_t j = 0; j < c->ndisks; j++) {
      vk_clone_disk *y = &c->disks[j];
      CLEANUP_FREE char *d2 = NULL;
      struct stat st2;
      if (!is_copy(y->how) || y->how == VK_CLONE_PRESERVED || y->need == 0)
        continue;
      d2 = vk_path_dir(y->path);
      if (!d2 || stat(d2, &st2) < 0 || st2.st_dev != st.st_dev)
        continue;
      if (j < i) {
        seen = true;
        break;
      }
      need += y->need;
    }
    if (seen)
      continue;
    if (statvfs(dir, &vfs) < 0)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot get the free space in '%s'", dir);
    avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    if (need > avail) {
      char nb[VK_SIZE_BUFLEN], ab[VK_SIZE_BUFLEN];
      vk_format_size(need, nb);
      vk_format_size(avail, ab);
      return vk_error_set(errp, VK_EXIT_FAILED, "not enough space in '%s': the clone needs %s there, %s is free",
                          dir, nb, ab);
    }
  }
  return true;
}

bool
vk_clone_plan(vk_clone *c, virConnectPtr conn, const vk_clone_opts *o, vk_error **errp)
{
  CLEANUP_FREE char *xml = NULL;
  vk_domxml d = { 0 };
  vk_in_use u = { 0 };
  bool ok;

  memset(c, 0, sizeof *c);
  c->opts = o;
  if (!check_opts(o, errp) || !(xml = original_xml(c, conn, o, errp)))
    return false;
  if (!vk_domxml_parse(xml, &d, errp))
    return false;
  ok = choose_name(c, conn, o, errp) && choose_uuid(c, conn, o, errp) &&
       vk_in_use_collect(conn, &u, errp) && choose_macs(c, &d, &u, o, errp) &&
       classify_disks(c, conn, &d, o, errp) && check_local(conn, c, errp) &&
       choose_paths(c, conn, &u, o, errp) && inspect_sources(c, o, errp) &&
       choose_nvram(c, o, errp) && check_space(c, errp);
  if (ok && !(c->xml = vk_clone_xml_build(xml, c, errp)))
    ok = false;
  vk_in_use_clear(&u);
  vk_domxml_free(&d);
  return ok;
}
