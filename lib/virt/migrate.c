/* vkit — live migration between hosts (see migrate.h). */
#include <config.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/domparse.h"
#include "virt/migrate.h"
#include "virt/pool.h"
#include "virt/volume.h"
#include "virt/xml.h"

/* ------------------------------------------------------------ storage */

/* The destination's images for --copy-storage-all: a disk the
 * destination lacks is created there before the migration, at the same
 * path, size and format, through the destination's storage API (so any
 * host libvirt reaches will do): a raw image as a sparse volume, a qcow2
 * one made empty by the vkit engine here and uploaded.  The pool is the
 * destination's pool for that directory, or a transient directory pool
 * made for the time of the upload. */

typedef struct dest_dir {
  virStoragePoolPtr pool;
  bool transient; /* made here: destroyed when done (the files stay) */
} dest_dir;

static bool
dest_dir_open(virConnectPtr dconn, const char *dir, dest_dir *dd, vk_error **errp)
{
  CLEANUP_FREE char *xml = NULL;
  char name[64];
  static unsigned seq;
  vk_pool_spec ps = { .name = name, .type = "dir", .target = dir };

  memset(dd, 0, sizeof *dd);
  if ((dd->pool = virStoragePoolLookupByTargetPath(dconn, dir))) {
    if (virStoragePoolIsActive(dd->pool) == 1) {
      virStoragePoolRefresh(dd->pool, 0);
      return true;
    }
    virStoragePoolFree(dd->pool);
    dd->pool = NULL;
  }
  virResetLastError();
  snprintf(name, sizeof name, "vkit-migrate-%ld-%u", (long)getpid(), seq++);
  if (!(xml = vk_pool_xml_build(&ps, errp)))
    return false;
  if (!(dd->pool = virStoragePoolCreateXML(dconn, xml, 0)))
    return vk_virt_error(errp, dconn, "the destination cannot use the directory '%s'", dir);
  dd->transient = true;
  return true;
}

static void
dest_dir_close(dest_dir *dd)
{
  if (!dd->pool)
    return;
  if (dd->transient)
    virStoragePoolDestroy(dd->pool);
  virStoragePoolFree(dd->pool);
  dd->pool = NULL;
}

/* Does `path` exist on the destination?  *exists; false on errors. */
static bool
dest_has(virConnectPtr dconn, const char *path, bool *exists, vk_error **errp)
{
  CLEANUP_FREE char *dir = strdup(path);
  virStorageVolPtr v;
  dest_dir dd;
  char *slash;

  if (!dir || !(slash = strrchr(dir, '/')))
    return vk_error_set(errp, VK_EXIT_USAGE, "disk '%s': not an absolute path", path);
  *slash = '\0';
  if (!dest_dir_open(dconn, *dir ? dir : "/", &dd, errp))
    return false;
  v = virStorageVolLookupByName(dd.pool, slash + 1);
  *exists = v != NULL;
  if (v)
    virStorageVolFree(v);
  dest_dir_close(&dd);
  return true;
}

/* Create `path` on the destination: virtual size `size`, format `fmt`. */
static bool
dest_create(virConnectPtr dconn, const char *path, const char *fmt, uint64_t size, vk_error **errp)
{
  CLEANUP_FREE char *dir = strdup(path);
  char tmpl[] = "/tmp/vkit-migrate-XXXXXX", local[64] = "";
  bool qcow2 = fmt && strcmp(fmt, "qcow2") == 0;
  vk_vol_spec vs = { .format = "raw", .capacity = size, .sparse = true };
  virStorageVolPtr v = NULL;
  dest_dir dd = { 0 };
  bool ok = false;
  char *slash;

  if (fmt && !qcow2 && strcmp(fmt, "raw") != 0)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "disk '%s': cannot create a %s image on the destination (raw and qcow2 "
                        "only); create it there first",
                        path, fmt);
  if (!dir || !(slash = strrchr(dir, '/')))
    return vk_error_set(errp, VK_EXIT_USAGE, "disk '%s': not an absolute path", path);
  *slash = '\0';
  vs.name = slash + 1;
  if (qcow2) {
    /* the empty image made here by the engine, its bytes uploaded */
    vk_image_opts io;
    struct stat sb;
    if (!mkdtemp(tmpl))
      return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot make a temporary directory");
    snprintf(local, sizeof local, "%s/disk.qcow2", tmpl);
    vk_image_opts_init(&io);
    io.format = VK_FMT_QCOW2;
    io.size = size;
    ok = vk_image_create(local, &io, 0, errp);
    vk_image_opts_clear(&io);
    if (!ok)
      goto out;
    ok = false;
    if (stat(local, &sb) < 0) {
      vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot read '%s'", local);
      goto out;
    }
    vs.capacity = (uint64_t)sb.st_size;
  }
  /* a raw volume of the full size, sparse; a qcow2 one of the empty image's */
  if (!dest_dir_open(dconn, *dir ? dir : "/", &dd, errp) ||
      !(v = vk_vol_create_libvirt(dd.pool, &vs, errp)))
    goto out;
  if (qcow2 && !vk_vol_upload(v, local, NULL, NULL, errp)) {
    virStorageVolDelete(v, 0);
    goto out;
  }
  ok = true;
out:
  if (v)
    virStorageVolFree(v);
  dest_dir_close(&dd);
  if (local[0]) {
    unlink(local);
    rmdir(tmpl);
  }
  return ok;
}

/* Remove what dest_create() made. */
static void
dest_remove(virConnectPtr dconn, const char *path)
{
  CLEANUP_FREE char *dir = strdup(path);
  virStorageVolPtr v;
  dest_dir dd;
  vk_error *e = NULL;
  char *slash;

  if (!dir || !(slash = strrchr(dir, '/')))
    return;
  *slash = '\0';
  if (!dest_dir_open(dconn, *dir ? dir : "/", &dd, &e)) {
    vk_error_free(e);
    return;
  }
  if ((v = virStorageVolLookupByName(dd.pool, slash + 1))) {
    virStorageVolDelete(v, 0);
    virStorageVolFree(v);
  }
  dest_dir_close(&dd);
}

/* The disks a migration copies: the writable file disks. */
static bool
copied_disk(const vk_disk_info *d)
{
  return d->source && !d->readonly && (!d->device || strcmp(d->device, "disk") == 0) &&
         (!d->type || strcmp(d->type, "file") == 0);
}

/* ------------------------------------------------------------ checks */

static bool
usage(vk_error **errp, const char *msg)
{
  return vk_error_set(errp, VK_EXIT_USAGE, "%s", msg);
}

static bool
check_options(const vk_migrate_opts *o, vk_error **errp)
{
  unsigned f = o->flags;

  if ((f & VK_MIGRATE_LIVE) && (f & VK_MIGRATE_OFFLINE))
    return usage(errp, "--live and --offline exclude each other");
  if ((f & VK_MIGRATE_COPY_ALL) && (f & VK_MIGRATE_COPY_INC))
    return usage(errp, "--copy-storage-all and --copy-storage-inc exclude each other");
  if ((f & VK_MIGRATE_OFFLINE) && !(f & VK_MIGRATE_PERSISTENT))
    return usage(errp, "--offline moves only the definition: it needs --persistent");
  if ((f & VK_MIGRATE_OFFLINE) && (f & (VK_MIGRATE_COPY_ALL | VK_MIGRATE_COPY_INC)))
    return usage(errp, "--offline copies no storage (copy the images, then migrate)");
  if ((f & VK_MIGRATE_TUNNELLED) && !(f & VK_MIGRATE_P2P))
    return usage(errp, "--tunnelled needs --p2p");
  if ((f & VK_MIGRATE_TUNNELLED) && o->migrate_uri)
    return usage(errp, "--tunnelled sends the data over the daemons' connection: no --migrateuri");
  if ((f & VK_MIGRATE_POSTCOPY_AFTER_PRECOPY) && !(f & VK_MIGRATE_POSTCOPY))
    return usage(errp, "--postcopy-after-precopy needs --postcopy");
  if (o->timeout_s > 0 && !(f & VK_MIGRATE_LIVE))
    return usage(errp, "--timeout needs --live");
  if (o->timeout_s > 0 && o->timeout_action == VK_MIGRATE_TIMEOUT_POSTCOPY &&
      !(f & VK_MIGRATE_POSTCOPY))
    return usage(errp, "--timeout-postcopy needs --postcopy");
  if (o->parallel_connections && !(f & VK_MIGRATE_PARALLEL))
    return usage(errp, "--parallel-connections needs --parallel");
  if (o->parallel_connections < 0)
    return usage(errp, "--parallel-connections: a positive number, please");
  return true;
}

/* The host UUID in a connection's capabilities (NULL if unknown). */
static char *
caps_host_uuid(virConnectPtr conn)
{
  CLEANUP_FREE char *caps = virConnectGetCapabilities(conn);
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  xmlNode *host;

  if (!caps || !(doc = vk_xml_read(caps, strlen(caps), "capabilities")))
    return NULL;
  host = vk_xml_child(xmlDocGetRootElement(doc), "host");
  return host ? vk_xml_text(vk_xml_child(host, "uuid")) : NULL;
}

static void planned(FILE *plan, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
planned(FILE *plan, const char *fmt, ...)
{
  va_list ap;

  if (!plan)
    return;
  fputs("ok: ", plan);
  va_start(ap, fmt);
  vfprintf(plan, fmt, ap);
  va_end(ap);
  fputc('\n', plan);
}

/* The domain's name and UUID must be free on the destination, or be the
 * same domain's inactive definition there (which the migration updates). */
static bool
check_dest_names(virDomainPtr dom, virConnectPtr dconn, const vk_migrate_opts *o, FILE *plan,
                 vk_error **errp)
{
  const char *name = o->dname ? o->dname : virDomainGetName(dom);
  unsigned char uuid[VIR_UUID_BUFLEN];
  char uuid_s[VIR_UUID_STRING_BUFLEN];
  virDomainPtr d;

  if (virDomainGetUUID(dom, uuid) < 0 || virDomainGetUUIDString(dom, uuid_s) < 0)
    return vk_virt_dom_error(errp, dom, "cannot read the UUID of");
  if ((d = virDomainLookupByUUID(dconn, uuid))) {
    int active = virDomainIsActive(d);
    CLEANUP_FREE char *dname = strdup(virDomainGetName(d));
    virDomainFree(d);
    if (!dname)
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    if (active == 1)
      return vk_error_set(errp, VK_EXIT_BUSY,
                          "domain '%s' (UUID %s) runs on the destination already", dname, uuid_s);
    if (strcmp(dname, name) != 0)
      return vk_error_set(errp, VK_EXIT_BUSY,
                          "the destination has UUID %s defined as '%s', not '%s'", uuid_s, dname,
                          name);
    planned(plan, "the destination has '%s' defined (not running): the migration updates it", name);
    return true;
  }
  if ((d = virDomainLookupByName(dconn, name))) {
    virDomainFree(d);
    return vk_error_set(errp, VK_EXIT_BUSY,
                        "another domain named '%s' exists on the destination (--dname NAME)", name);
  }
  planned(plan, "the name '%s' and UUID %s are free on the destination", name, uuid_s);
  return true;
}

static bool
check_state(virDomainPtr dom, const vk_migrate_opts *o, FILE *plan, vk_error **errp)
{
  const char *name = virDomainGetName(dom);
  int state, reason, persistent;

  if (virDomainGetState(dom, &state, &reason, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot read the state of");
  persistent = virDomainIsPersistent(dom);
  if (o->flags & VK_MIGRATE_OFFLINE) {
    if (state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_PAUSED || state == VIR_DOMAIN_BLOCKED)
      return vk_error_set(errp, VK_EXIT_BUSY,
                          "domain '%s' is running: --offline moves a shut-off domain's definition",
                          name);
    if (persistent != 1)
      return vk_error_set(errp, VK_EXIT_BUSY, "domain '%s' has no definition to move", name);
    planned(plan, "domain '%s' is shut off: its definition moves", name);
    return true;
  }
  if (state != VIR_DOMAIN_RUNNING && state != VIR_DOMAIN_PAUSED && state != VIR_DOMAIN_BLOCKED)
    return vk_error_set(errp, VK_EXIT_BUSY,
                        "domain '%s' is not running (--offline --persistent moves its definition)",
                        name);
  if ((o->flags & VK_MIGRATE_UNDEFINE_SOURCE) && persistent != 1 &&
      !(o->flags & VK_MIGRATE_PERSISTENT))
    planned(plan, "domain '%s' is transient: nothing to undefine on the source", name);
  planned(plan, "domain '%s' is %s: %s", name, state == VIR_DOMAIN_PAUSED ? "paused" : "running",
          (o->flags & VK_MIGRATE_LIVE) ? "it keeps running while its memory is copied"
                                       : "it is paused while its memory is copied");
  return true;
}

/* The <cpu> of the domain's migratable XML, compared with what the
 * destination's hypervisor can run. */
static bool
check_cpu(virDomainPtr dom, virConnectPtr dconn, FILE *plan, vk_error **errp)
{
  CLEANUP_FREE char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_MIGRATABLE);
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  CLEANUP_FREE char *mode = NULL, *model = NULL, *arch = NULL, *machine = NULL, *virt = NULL,
                    *emulator = NULL;
  xmlNode *root, *cpu, *os, *type, *devices;
  xmlBufferPtr buf;
  int r;

  if (!xml)
    return vk_virt_dom_error(errp, dom, "cannot read the XML of");
  if (!(doc = vk_xml_read(xml, strlen(xml), "domain XML")))
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot parse the XML of domain '%s'",
                        virDomainGetName(dom));
  root = xmlDocGetRootElement(doc);
  cpu = vk_xml_child(root, "cpu");
  if (cpu) {
    mode = vk_xml_attr(cpu, "mode");
    model = vk_xml_text(vk_xml_child(cpu, "model"));
  }
  if (!cpu || (!model && (!mode || strcmp(mode, "custom") == 0))) {
    planned(plan, "CPU: the hypervisor's default model (nothing to compare)");
    return true;
  }
  if (mode && strcmp(mode, "host-passthrough") == 0) {
    planned(plan, "CPU: host-passthrough (the destination's CPU must be the same model; not "
                  "checked)");
    return true;
  }
  virt = vk_xml_attr(root, "type");
  if ((os = vk_xml_child(root, "os")) && (type = vk_xml_child(os, "type"))) {
    arch = vk_xml_attr(type, "arch");
    machine = vk_xml_attr(type, "machine");
  }
  if ((devices = vk_xml_child(root, "devices")))
    emulator = vk_xml_text(vk_xml_child(devices, "emulator"));
  if (!(buf = xmlBufferCreate()))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  xmlNodeDump(buf, doc, cpu, 0, 0);
  r = virConnectCompareHypervisorCPU(dconn, emulator, arch, machine, virt,
                                     (const char *)xmlBufferContent(buf), 0);
  xmlBufferFree(buf);
  if (r == VIR_CPU_COMPARE_ERROR)
    return vk_virt_error(errp, dconn, "cannot compare the CPU of domain '%s' with the destination",
                         virDomainGetName(dom));
  if (r == VIR_CPU_COMPARE_INCOMPATIBLE)
    return vk_error_set(errp, VK_EXIT_BUSY,
                        "the destination cannot run the CPU of domain '%s' (%s)",
                        virDomainGetName(dom), model ? model : mode);
  planned(plan, "CPU %s: the destination can run it", model ? model : mode);
  return true;
}

/* What happens to each disk; a disk used in place must be there on the
 * destination, one --copy-storage-inc copies onto too. */
static bool
check_disks(virDomainPtr dom, virConnectPtr dconn, const vk_migrate_opts *o, FILE *plan,
            vk_error **errp)
{
  vk_domxml dx;
  bool ok = true;

  if (!vk_domxml_get(dom, false, &dx, errp))
    return false;
  for (size_t i = 0; ok && i < dx.ndisks; i++) {
    const vk_disk_info *d = &dx.disks[i];
    bool exists = false;
    vk_error *e = NULL;

    if (!d->source) {
      planned(plan, "disk %s: empty", d->target);
      continue;
    }
    if (!copied_disk(d) && !(d->readonly || (d->device && strcmp(d->device, "cdrom") == 0))) {
      planned(plan, "disk %s: %s (%s): the destination must reach it the same way", d->target,
              d->source, d->type ? d->type : "?");
      continue;
    }
    if (!dest_has(dconn, d->source, &exists, &e)) {
      if (!(o->flags & VK_MIGRATE_COPY_ALL) || e->code == VK_EXIT_USAGE) {
        vk_error_propagate(errp, e);
        ok = false;
        break;
      }
      vk_error_free(e);
    }
    if (!copied_disk(d)) {
      if (!exists) {
        ok = vk_error_set(errp, VK_EXIT_NOTFOUND,
                          "disk %s: %s (read-only) does not exist on the destination", d->target,
                          d->source);
        break;
      }
      planned(plan, "disk %s: %s is read-only and exists on the destination", d->target, d->source);
    } else if (o->flags & VK_MIGRATE_COPY_ALL) {
      planned(plan, "disk %s: %s is copied %s", d->target, d->source,
              exists ? "onto the image the destination has" : "to an image vctl creates there");
    } else if (!exists) {
      ok = vk_error_set(errp, VK_EXIT_NOTFOUND,
                        "disk %s: %s does not exist on the destination (--copy-storage-all copies "
                        "it)",
                        d->target, d->source);
    } else if (o->flags & VK_MIGRATE_COPY_INC) {
      planned(plan, "disk %s: %s: its top image is copied onto the destination's", d->target,
              d->source);
    } else {
      planned(plan, "disk %s: %s is used in place: the destination sees it too%s", d->target,
              d->source, (o->flags & VK_MIGRATE_UNSAFE) ? " (--unsafe)" : "");
    }
  }
  vk_domxml_free(&dx);
  return ok;
}

/* --copy-storage-all: create the disks the destination lacks; their paths
 * go to *made (NULL-terminated, for undo). */
static bool
create_disks(virDomainPtr dom, virConnectPtr dconn, char ***made, vk_error **errp)
{
  vk_domxml dx;
  size_t n = 0;
  bool ok = true;

  *made = NULL;
  if (!vk_domxml_get(dom, false, &dx, errp))
    return false;
  if (!(*made = calloc(dx.ndisks + 1, sizeof **made))) {
    vk_domxml_free(&dx);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  for (size_t i = 0; ok && i < dx.ndisks; i++) {
    const vk_disk_info *d = &dx.disks[i];
    virDomainBlockInfo bi;
    bool exists = false;

    if (!copied_disk(d))
      continue;
    if (!(ok = dest_has(dconn, d->source, &exists, errp)))
      break;
    if (exists)
      continue;
    if (virDomainGetBlockInfo(dom, d->target, &bi, 0) < 0) {
      ok = vk_virt_dom_error(errp, dom, "cannot read the size of a disk of");
      break;
    }
    if (!(ok = dest_create(dconn, d->source, d->format, bi.capacity, errp)))
      break;
    if (!((*made)[n++] = strdup(d->source)))
      ok = vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  vk_domxml_free(&dx);
  return ok;
}

static void
remove_disks(virConnectPtr dconn, char **made)
{
  for (size_t i = 0; made && made[i]; i++) {
    dest_remove(dconn, made[i]);
    free(made[i]);
  }
  free(made);
}

static bool
check_memory(virDomainPtr dom, virConnectPtr dconn, FILE *plan, vk_error **errp)
{
  virDomainInfo info;
  virNodeMemoryStatsPtr st = NULL;
  int n = 0;
  uint64_t avail = 0, need;

  if (virDomainGetInfo(dom, &info) < 0)
    return vk_virt_dom_error(errp, dom, "cannot read the memory of");
  need = (uint64_t)info.memory * 1024;
  if (virNodeGetMemoryStats(dconn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) < 0 || n <= 0 ||
      !(st = calloc((size_t)n, sizeof *st)) ||
      virNodeGetMemoryStats(dconn, VIR_NODE_MEMORY_STATS_ALL_CELLS, st, &n, 0) < 0) {
    free(st);
    planned(plan, "memory: the destination does not report its free memory (not checked)");
    return true;
  }
  /* free plus what the kernel gives back on demand (buffers, page cache) */
  for (int i = 0; i < n; i++)
    if (strcmp(st[i].field, VIR_NODE_MEMORY_STATS_FREE) == 0 ||
        strcmp(st[i].field, VIR_NODE_MEMORY_STATS_BUFFERS) == 0 ||
        strcmp(st[i].field, VIR_NODE_MEMORY_STATS_CACHED) == 0)
      avail += st[i].value * 1024;
  free(st);
  if (avail < need)
    return vk_error_set(errp, VK_EXIT_BUSY,
                        "the destination has %" PRIu64 " MiB of memory available, domain '%s' "
                        "needs %" PRIu64 " MiB",
                        avail >> 20, virDomainGetName(dom), need >> 20);
  planned(plan, "memory: %" PRIu64 " MiB needed, %" PRIu64 " MiB available on the destination",
          need >> 20, avail >> 20);
  return true;
}

bool
vk_migrate_check(virDomainPtr dom, virConnectPtr dconn, const vk_migrate_opts *o, FILE *plan,
                 vk_error **errp)
{
  CLEANUP_FREE char *src_host = NULL, *dst_host = NULL;

  if (!check_options(o, errp))
    return false;
  if (virConnectIsAlive(dconn) != 1)
    return vk_error_set(errp, VK_EXIT_CONNECT, "the destination does not answer");
  src_host = caps_host_uuid(virDomainGetConnect(dom));
  dst_host = caps_host_uuid(dconn);
  if (!dst_host)
    return vk_virt_error(errp, dconn, "cannot read the destination's capabilities");
  if (src_host && strcmp(src_host, dst_host) == 0)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "the destination is this same host (host UUID %s): migrate to another one",
                        dst_host);
  planned(plan, "the destination answers (host UUID %s)", dst_host);
  return check_state(dom, o, plan, errp) && check_dest_names(dom, dconn, o, plan, errp) &&
         ((o->flags & VK_MIGRATE_OFFLINE) || check_cpu(dom, dconn, plan, errp)) &&
         check_disks(dom, dconn, o, plan, errp) &&
         ((o->flags & VK_MIGRATE_OFFLINE) || check_memory(dom, dconn, plan, errp));
}

/* ------------------------------------------------------------ migration */

typedef struct mig {
  virDomainPtr dom;
  virConnectPtr dconn;
  const char *dest_uri;
  const vk_migrate_opts *o;
  virTypedParameterPtr params;
  int nparams;
  unsigned vflags;
  virDomainPtr result; /* non-p2p: the domain on the destination */
  struct timespec start;
  bool timed_out, postcopy_started, aborted_for_timeout;
} mig;

static unsigned
libvirt_flags(unsigned f)
{
  unsigned v = 0;

  if (f & VK_MIGRATE_LIVE)
    v |= VIR_MIGRATE_LIVE;
  if (f & VK_MIGRATE_OFFLINE)
    v |= VIR_MIGRATE_OFFLINE;
  if (f & VK_MIGRATE_P2P)
    v |= VIR_MIGRATE_PEER2PEER;
  if (f & VK_MIGRATE_TUNNELLED)
    v |= VIR_MIGRATE_TUNNELLED;
  if (f & VK_MIGRATE_PERSISTENT)
    v |= VIR_MIGRATE_PERSIST_DEST;
  if (f & VK_MIGRATE_UNDEFINE_SOURCE)
    v |= VIR_MIGRATE_UNDEFINE_SOURCE;
  if (f & VK_MIGRATE_COPY_ALL)
    v |= VIR_MIGRATE_NON_SHARED_DISK;
  if (f & VK_MIGRATE_COPY_INC)
    v |= VIR_MIGRATE_NON_SHARED_INC;
  if (f & VK_MIGRATE_UNSAFE)
    v |= VIR_MIGRATE_UNSAFE;
  if (f & VK_MIGRATE_AUTO_CONVERGE)
    v |= VIR_MIGRATE_AUTO_CONVERGE;
  if (f & VK_MIGRATE_POSTCOPY)
    v |= VIR_MIGRATE_POSTCOPY;
  if (f & VK_MIGRATE_COMPRESSED)
    v |= VIR_MIGRATE_COMPRESSED;
  if (f & VK_MIGRATE_PARALLEL)
    v |= VIR_MIGRATE_PARALLEL;
  if (f & VK_MIGRATE_PAUSED)
    v |= VIR_MIGRATE_PAUSED;
  /* an I/O error on a disk ends the migration instead of carrying on */
  v |= VIR_MIGRATE_ABORT_ON_ERROR;
  return v;
}

static bool
build_params(mig *m, vk_error **errp)
{
  const vk_migrate_opts *o = m->o;
  int max = 0;
  bool ok = true;

  if (o->migrate_uri)
    ok = ok && virTypedParamsAddString(&m->params, &m->nparams, &max, VIR_MIGRATE_PARAM_URI,
                                       o->migrate_uri) == 0;
  if (o->listen_address)
    ok = ok && virTypedParamsAddString(&m->params, &m->nparams, &max,
                                       VIR_MIGRATE_PARAM_LISTEN_ADDRESS, o->listen_address) == 0;
  if (o->dname)
    ok = ok && virTypedParamsAddString(&m->params, &m->nparams, &max, VIR_MIGRATE_PARAM_DEST_NAME,
                                       o->dname) == 0;
  if (o->xml)
    ok = ok && virTypedParamsAddString(&m->params, &m->nparams, &max, VIR_MIGRATE_PARAM_DEST_XML,
                                       o->xml) == 0;
  if (o->bandwidth)
    ok = ok && virTypedParamsAddULLong(&m->params, &m->nparams, &max, VIR_MIGRATE_PARAM_BANDWIDTH,
                                       o->bandwidth) == 0;
  if (o->parallel_connections)
    ok = ok &&
         virTypedParamsAddInt(&m->params, &m->nparams, &max, VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS,
                              o->parallel_connections) == 0;
  if (!ok)
    return vk_virt_error(errp, NULL, "cannot build the migration parameters");
  return true;
}

static int
call_migrate(vk_job *j)
{
  mig *m = j->opaque;

  if (m->o->flags & VK_MIGRATE_P2P)
    return virDomainMigrateToURI3(m->dom, m->dest_uri, m->params, (unsigned)m->nparams, m->vflags);
  m->result = virDomainMigrate3(m->dom, m->dconn, m->params, (unsigned)m->nparams, m->vflags);
  return m->result ? 0 : -1;
}

static double
since(const struct timespec *t0)
{
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Twice a second while the migration runs: progress, --timeout,
 * --postcopy-after-precopy. */
static void
tick(vk_job *j)
{
  mig *m = j->opaque;
  const vk_migrate_opts *o = m->o;
  vk_job_info ji;
  vk_error *e = NULL;
  bool have = vk_domain_job_info(m->dom, false, &ji, &e);

  if (!have)
    vk_error_free(e);
  if (have && o->progress && ji.type != VIR_DOMAIN_JOB_NONE)
    o->progress(o->progress_opaque, &ji);
  if ((o->flags & VK_MIGRATE_POSTCOPY_AFTER_PRECOPY) && !m->postcopy_started && have &&
      ji.has_memory_iteration && ji.memory_iteration >= 2) {
    /* the first pass over memory is done: the rest moves on demand */
    if (virDomainMigrateStartPostCopy(m->dom, 0) == 0)
      m->postcopy_started = true;
  }
  if (o->timeout_s > 0 && !m->timed_out && since(&m->start) >= o->timeout_s) {
    m->timed_out = true;
    switch (o->timeout_action) {
    case VK_MIGRATE_TIMEOUT_SUSPEND: virDomainSuspend(m->dom); break;
    case VK_MIGRATE_TIMEOUT_POSTCOPY:
      if (!m->postcopy_started && virDomainMigrateStartPostCopy(m->dom, 0) == 0)
        m->postcopy_started = true;
      break;
    case VK_MIGRATE_TIMEOUT_ABORT:
      m->aborted_for_timeout = true;
      virDomainAbortJob(m->dom);
      break;
    }
  }
  if (have)
    vk_job_info_clear(&ji);
}

/* After a failed migration: the guest runs on the source as it did, and
 * nothing the migration made stays on the destination. */
static void
undo(mig *m, const unsigned char *uuid, int state_before, bool dest_had_it)
{
  virDomainPtr d;
  int st, reason;

  if (virDomainGetState(m->dom, &st, &reason, 0) == 0 && st == VIR_DOMAIN_PAUSED &&
      state_before == VIR_DOMAIN_RUNNING && !m->postcopy_started)
    virDomainResume(m->dom);
  if (!(d = virDomainLookupByUUID(m->dconn, uuid)))
    return;
  if (virDomainIsActive(d) == 1 && virDomainIsActive(m->dom) == 1 && !m->postcopy_started &&
      virDomainGetState(d, &st, &reason, 0) == 0 && st == VIR_DOMAIN_PAUSED)
    virDomainDestroy(d); /* an incoming half the destination kept */
  if (!dest_had_it && virDomainIsActive(d) == 0 && virDomainIsActive(m->dom) == 1)
    virDomainUndefineFlags(d, VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
  virDomainFree(d);
}

/* The statistics of the completed migration: the source keeps them while
 * its domain object exists, the destination keeps its own. */
static void
completed_stats(mig *m, const unsigned char *uuid, vk_migrate_result *res)
{
  vk_error *e = NULL;
  virDomainPtr d;

  if (vk_domain_job_info(m->dom, true, &res->stats, &e) &&
      res->stats.type == VIR_DOMAIN_JOB_COMPLETED) {
    res->has_stats = true;
    return;
  }
  vk_error_free(e);
  e = NULL;
  vk_job_info_clear(&res->stats);
  if ((d = virDomainLookupByUUID(m->dconn, uuid))) {
    if (vk_domain_job_info(d, true, &res->stats, &e) && res->stats.type == VIR_DOMAIN_JOB_COMPLETED)
      res->has_stats = true;
    else
      vk_job_info_clear(&res->stats);
    vk_error_free(e);
    virDomainFree(d);
  }
}

bool
vk_migrate(virDomainPtr dom, virConnectPtr dconn, const char *dest_uri, const vk_migrate_opts *o,
           const atomic_int *cancel, vk_migrate_result *res, vk_error **errp)
{
  mig m = { .dom = dom, .dconn = dconn, .dest_uri = dest_uri, .o = o };
  vk_job j = { .call = call_migrate,
               .conn = virDomainGetConnect(dom),
               .dom = dom,
               .opaque = &m,
               .tick = tick,
               .tick_ms = 500 };
  unsigned char uuid[VIR_UUID_BUFLEN];
  virDomainPtr d;
  bool dest_had_it = false;
  int state = VIR_DOMAIN_NOSTATE, reason;
  char **made = NULL;

  memset(res, 0, sizeof *res);
  if (!vk_migrate_check(dom, dconn, o, NULL, errp))
    return false;
  if (virDomainGetUUID(dom, uuid) < 0 || virDomainGetState(dom, &state, &reason, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot read the state of");
  if ((d = virDomainLookupByUUID(dconn, uuid))) {
    dest_had_it = true;
    virDomainFree(d);
  }
  if ((o->flags & VK_MIGRATE_P2P) && !dest_uri)
    return usage(errp, "--p2p needs the destination's URI");
  m.vflags = libvirt_flags(o->flags);
  if (!build_params(&m, errp))
    return false;
  if ((o->flags & VK_MIGRATE_COPY_ALL) && !create_disks(dom, dconn, &made, errp)) {
    remove_disks(dconn, made);
    virTypedParamsFree(m.params, m.nparams);
    return false;
  }
  clock_gettime(CLOCK_MONOTONIC, &m.start);
  if (vk_job_run(&j, cancel) < 0) {
    bool timeout = m.aborted_for_timeout;
    virErrorPtr saved = j.err;
    int code;

    j.err = NULL;
    undo(&m, uuid, state, dest_had_it);
    remove_disks(dconn, made);
    virTypedParamsFree(m.params, m.nparams);
    if (timeout) {
      if (saved)
        virFreeError(saved);
      return vk_error_set(errp, VK_EXIT_TIMEOUT,
                          "cannot migrate domain '%s': not done after %d s (--timeout-abort); it "
                          "runs on the source",
                          virDomainGetName(dom), o->timeout_s);
    }
    code = saved ? saved->code : 0;
    j.err = saved;
    vk_job_error(&j, "migrate", errp);
    if (code == VIR_ERR_MIGRATE_UNSAFE) {
      (*errp)->code = VK_EXIT_BUSY;
    } else if ((*errp)->code != VK_EXIT_USAGE) {
      /* begun and failed (a lost destination included): the guest is back */
      (*errp)->code = VK_EXIT_FAILED;
    }
    return false;
  }
  res->seconds = since(&m.start);
  res->timed_out = m.timed_out;
  for (size_t i = 0; made && made[i]; i++)
    free(made[i]);
  free(made);
  completed_stats(&m, uuid, res);
  if (m.result)
    virDomainFree(m.result);
  virTypedParamsFree(m.params, m.nparams);
  return true;
}

/* ------------------------------------------------------------ tuning */

bool
vk_migrate_set_speed(virDomainPtr dom, uint64_t mib_per_s, bool postcopy, vk_error **errp)
{
  if (virDomainMigrateSetMaxSpeed(dom, (unsigned long)mib_per_s,
                                  postcopy ? VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY : 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot set the migration speed of");
  return true;
}

bool
vk_migrate_get_speed(virDomainPtr dom, bool postcopy, uint64_t *mib_per_s, vk_error **errp)
{
  unsigned long v = 0;

  if (virDomainMigrateGetMaxSpeed(dom, &v, postcopy ? VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY : 0) <
      0)
    return vk_virt_dom_error(errp, dom, "cannot read the migration speed of");
  *mib_per_s = v;
  return true;
}

bool
vk_migrate_set_max_downtime(virDomainPtr dom, uint64_t ms, vk_error **errp)
{
  if (virDomainMigrateSetMaxDowntime(dom, ms, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot set the maximum downtime of");
  return true;
}

bool
vk_migrate_get_max_downtime(virDomainPtr dom, uint64_t *ms, vk_error **errp)
{
  unsigned long long v = 0;

  if (virDomainMigrateGetMaxDowntime(dom, &v, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot read the maximum downtime of");
  *ms = v;
  return true;
}

bool
vk_migrate_start_postcopy(virDomainPtr dom, vk_error **errp)
{
  if (virDomainMigrateStartPostCopy(dom, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot switch to post-copy the migration of");
  return true;
}
