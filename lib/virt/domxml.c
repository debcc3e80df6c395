/* vkit — libvirt domain XML built with libxml2. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/tree.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "virt/domxml.h"
#include "virt/xml.h"

static void
attr_u64(vk_xml_builder *b, xmlNodePtr node, const char *name, uint64_t value)
{
  char buf[32];

  snprintf(buf, sizeof buf, "%" PRIu64, value);
  vk_xml_set(b, node, name, buf);
}

static xmlNodePtr
child_u64(vk_xml_builder *b, xmlNodePtr parent, const char *name, uint64_t value)
{
  char buf[32];

  snprintf(buf, sizeof buf, "%" PRIu64, value);
  return vk_xml_add(b, parent, name, buf);
}

static void
add_os_menu(vk_xml_builder *b, xmlNodePtr os, const vk_domspec *s)
{
  if (s->boot_menu)
    vk_xml_set(b, vk_xml_add(b, os, "bootmenu", NULL), "enable", "yes");
  if (s->bios_useserial)
    vk_xml_set(b, vk_xml_add(b, os, "bios", NULL), "useserial", "yes");
}

static void
add_os(vk_xml_builder *b, xmlNodePtr dom, const vk_domspec *s)
{
  xmlNodePtr os = vk_xml_add(b, dom, "os", NULL);
  xmlNodePtr type = vk_xml_add(b, os, "type", "hvm");

  vk_xml_set(b, type, "arch", s->arch);
  vk_xml_set(b, type, "machine", s->machine);
  if (s->uefi && s->loader) {
    xmlNodePtr loader = vk_xml_add(b, os, "loader", s->loader);
    vk_xml_set(b, loader, "readonly", "yes");
    vk_xml_set(b, loader, "type", s->loader_type ? s->loader_type : "pflash");
    if (s->secure_boot >= 0)
      vk_xml_set(b, loader, "secure", s->secure_boot ? "yes" : "no");
    if (s->nvram_template) {
      xmlNodePtr nvram = vk_xml_add(b, os, "nvram", NULL);
      vk_xml_set(b, nvram, "template", s->nvram_template);
    }
  } else if (s->uefi) {
    /* No descriptor chosen: let libvirt pick the firmware. */
    vk_xml_set(b, os, "firmware", "efi");
  }
  if (s->kernel) {
    vk_xml_add(b, os, "kernel", s->kernel);
    if (s->initrd)
      vk_xml_add(b, os, "initrd", s->initrd);
    if (s->cmdline)
      vk_xml_add(b, os, "cmdline", s->cmdline);
  }
  /* per-device boot orders exclude <os><boot dev=...> */
  bool per_device = false;
  for (size_t i = 0; i < s->ndisks; i++)
    per_device = per_device || s->disks[i].boot_order;
  for (size_t i = 0; !per_device && i < 4 && s->boot_dev[i]; i++)
    vk_xml_set(b, vk_xml_add(b, os, "boot", NULL), "dev", s->boot_dev[i]);
  add_os_menu(b, os, s);
}

static void
add_cpu(vk_xml_builder *b, xmlNodePtr dom, const vk_domspec *s)
{
  xmlNodePtr cpu;

  if (!s->cpu_mode && !s->sockets && !s->cores && !s->threads && !s->ncpu_disable &&
      !s->ncpu_require && !s->max_memory_kib)
    return;
  cpu = vk_xml_add(b, dom, "cpu", NULL);
  if (s->cpu_mode) {
    vk_xml_set(b, cpu, "mode", s->cpu_mode);
    if (strcmp(s->cpu_mode, "custom") == 0) {
      vk_xml_set(b, cpu, "match", "exact");
      if (s->cpu_model)
        vk_xml_set(b, vk_xml_add(b, cpu, "model", s->cpu_model), "fallback", "allow");
    }
  }
  if (s->sockets || s->cores || s->threads) {
    xmlNodePtr topo = vk_xml_add(b, cpu, "topology", NULL);
    attr_u64(b, topo, "sockets", s->sockets ? s->sockets : 1);
    attr_u64(b, topo, "dies", 1);
    attr_u64(b, topo, "cores", s->cores ? s->cores : 1);
    attr_u64(b, topo, "threads", s->threads ? s->threads : 1);
  }
  for (size_t i = 0; i < s->ncpu_require + s->ncpu_disable; i++) {
    xmlNodePtr f = vk_xml_add(b, cpu, "feature", NULL);
    bool req = i < s->ncpu_require;
    vk_xml_set(b, f, "policy", req ? "require" : "disable");
    vk_xml_set(b, f, "name", req ? s->cpu_require[i] : s->cpu_disable[i - s->ncpu_require]);
  }
  if (s->max_memory_kib) {
    /* memory hotplug needs a NUMA node: one, with every vCPU */
    char cpus[32];
    unsigned nv = s->maxvcpus > s->vcpus ? s->maxvcpus : s->vcpus;
    xmlNodePtr cell = vk_xml_add(b, vk_xml_add(b, cpu, "numa", NULL), "cell", NULL);
    snprintf(cpus, sizeof cpus, nv > 1 ? "0-%u" : "0", nv - 1);
    vk_xml_set(b, cell, "id", "0");
    vk_xml_set(b, cell, "cpus", cpus);
    attr_u64(b, cell, "memory", s->memory_kib);
    vk_xml_set(b, cell, "unit", "KiB");
  }
}

static void
add_disk(vk_xml_builder *b, xmlNodePtr devs, const vk_disk_spec *d)
{
  xmlNodePtr disk = vk_xml_add(b, devs, "disk", NULL);
  bool block = false;
  struct stat st;

  if (d->block || (d->path && stat(d->path, &st) == 0 && S_ISBLK(st.st_mode)))
    block = true;
  vk_xml_set(b, disk, "type", block ? "block" : "file");
  vk_xml_set(b, disk, "device", d->device ? d->device : "disk");
  if (d->format || d->cache || d->discard || d->detect_zeroes || d->io) {
    xmlNodePtr drv = vk_xml_add(b, disk, "driver", NULL);
    vk_xml_set(b, drv, "name", "qemu");
    vk_xml_set(b, drv, "type", d->format);
    vk_xml_set(b, drv, "cache", d->cache);
    vk_xml_set(b, drv, "io", d->io);
    vk_xml_set(b, drv, "discard", d->discard);
    vk_xml_set(b, drv, "detect_zeroes", d->detect_zeroes);
  }
  if (d->path)
    vk_xml_set(b, vk_xml_add(b, disk, "source", NULL), block ? "dev" : "file", d->path);
  {
    xmlNodePtr target = vk_xml_add(b, disk, "target", NULL);
    vk_xml_set(b, target, "dev", d->target);
    vk_xml_set(b, target, "bus", d->bus);
  }
  if (d->boot_order)
    attr_u64(b, vk_xml_add(b, disk, "boot", NULL), "order", d->boot_order);
  if (d->readonly || (d->device && strcmp(d->device, "cdrom") == 0))
    vk_xml_add(b, disk, "readonly", NULL);
  if (d->shareable)
    vk_xml_add(b, disk, "shareable", NULL);
  if (d->serial)
    vk_xml_add(b, disk, "serial", d->serial);
}

static void
add_iface(vk_xml_builder *b, xmlNodePtr devs, const vk_net_spec *n)
{
  xmlNodePtr iface = vk_xml_add(b, devs, "interface", NULL);
  const char *t = n->type ? n->type : "network";

  vk_xml_set(b, iface, "type", t);
  if (n->source) {
    xmlNodePtr src = vk_xml_add(b, iface, "source", NULL);
    vk_xml_set(b, src,
               strcmp(t, "bridge") == 0   ? "bridge"
               : strcmp(t, "direct") == 0 ? "dev"
                                          : "network",
               n->source);
    if (strcmp(t, "direct") == 0)
      vk_xml_set(b, src, "mode", n->mode ? n->mode : "bridge");
  }
  if (n->mac)
    vk_xml_set(b, vk_xml_add(b, iface, "mac", NULL), "address", n->mac);
  if (n->target)
    vk_xml_set(b, vk_xml_add(b, iface, "target", NULL), "dev", n->target);
  if (n->model)
    vk_xml_set(b, vk_xml_add(b, iface, "model", NULL), "type", n->model);
}

/* One device element alone, as a document (attach-disk, attach-interface). */
static char *
device_xml(void (*add)(vk_xml_builder *, xmlNodePtr, const void *), const void *spec,
           vk_error **errp)
{
  vk_xml_builder b = { 0 };
  CLEANUP_XMLDOC xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
  xmlNodePtr holder = xmlNewNode(NULL, BAD_CAST "devices"), dev;
  char *xml = NULL;

  if (doc && holder) {
    add(&b, holder, spec);
    if ((dev = holder->children)) {
      xmlUnlinkNode(dev);
      xmlDocSetRootElement(doc, dev);
      xml = vk_xml_serialize(&b, doc);
    }
  }
  if (holder)
    xmlFreeNode(holder);
  if (!xml)
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return xml;
}

static void
add_disk_any(vk_xml_builder *b, xmlNodePtr devs, const void *d)
{
  add_disk(b, devs, d);
}

static void
add_iface_any(vk_xml_builder *b, xmlNodePtr devs, const void *n)
{
  add_iface(b, devs, n);
}

char *
vk_disk_xml(const vk_disk_spec *d, vk_error **errp)
{
  return device_xml(add_disk_any, d, errp);
}

char *
vk_iface_xml(const vk_net_spec *n, vk_error **errp)
{
  return device_xml(add_iface_any, n, errp);
}

static void
add_chardev(vk_xml_builder *b, xmlNodePtr devs, const char *elem, const vk_chardev_spec *c,
            unsigned port, bool console)
{
  xmlNodePtr dev = vk_xml_add(b, devs, elem, NULL);
  xmlNodePtr target;

  vk_xml_set(b, dev, "type", c->type ? c->type : "pty");
  if (c->type && strcmp(c->type, "file") == 0)
    vk_xml_set(b, vk_xml_add(b, dev, "source", NULL), "path", c->path);
  target = vk_xml_add(b, dev, "target", NULL);
  if (console)
    vk_xml_set(b, target, "type", "serial");
  attr_u64(b, target, "port", port);
}

vk_elem *
vk_elem_add(vk_elem **v, size_t *n, const char *name)
{
  vk_elem *grown = realloc(*v, (*n + 1) * sizeof *grown), *e;

  if (!grown)
    return NULL;
  *v = grown;
  e = memset(&grown[*n], 0, sizeof *e);
  if (!(e->name = strdup(name)))
    return NULL;
  (*n)++;
  return e;
}

bool
vk_elem_attr(vk_elem *e, const char *name, const char *value)
{
  char **grown;

  if (!value)
    return true;
  if (!(grown = realloc(e->attrs, (e->nattrs + 1) * 2 * sizeof *grown)))
    return false;
  e->attrs = grown;
  grown[2 * e->nattrs] = strdup(name);
  grown[2 * e->nattrs + 1] = strdup(value);
  e->nattrs++;
  return grown[2 * e->nattrs - 2] && grown[2 * e->nattrs - 1];
}

void
vk_elem_clear(vk_elem *e)
{
  free(e->name);
  free(e->text);
  for (size_t i = 0; i < 2 * e->nattrs; i++)
    free(e->attrs[i]);
  free(e->attrs);
  for (size_t i = 0; i < e->nkids; i++)
    vk_elem_clear(&e->kids[i]);
  free(e->kids);
  memset(e, 0, sizeof *e);
}

static void
add_elem(vk_xml_builder *b, xmlNodePtr parent, const vk_elem *e)
{
  xmlNodePtr n = vk_xml_add(b, parent, e->name, e->text);

  for (size_t i = 0; i < e->nattrs; i++)
    vk_xml_set(b, n, e->attrs[2 * i], e->attrs[2 * i + 1]);
  for (size_t i = 0; i < e->nkids; i++)
    add_elem(b, n, &e->kids[i]);
}

bool
vk_domspec_has_device(const vk_domspec *s, const char *name)
{
  for (size_t i = 0; i < s->ndevices; i++)
    if (strcmp(s->devices[i].name, name) == 0)
      return true;
  return false;
}

static void
add_devices(vk_xml_builder *b, xmlNodePtr dom, const vk_domspec *s)
{
  xmlNodePtr devs = vk_xml_add(b, dom, "devices", NULL);
  bool scsi = false;

  for (size_t i = 0; i < s->ndisks; i++) {
    add_disk(b, devs, &s->disks[i]);
    if (s->disks[i].bus && strcmp(s->disks[i].bus, "scsi") == 0)
      scsi = true;
  }
  if (scsi) {
    xmlNodePtr ctl = vk_xml_add(b, devs, "controller", NULL);
    vk_xml_set(b, ctl, "type", "scsi");
    vk_xml_set(b, ctl, "index", "0");
    vk_xml_set(b, ctl, "model", "virtio-scsi");
  }
  for (size_t i = 0; i < s->nnets; i++)
    add_iface(b, devs, &s->nets[i]);
  add_chardev(b, devs, "serial", &s->console, 0, false);
  add_chardev(b, devs, "console", &s->console, 0, true);
  for (size_t i = 0; i < s->nserials; i++)
    add_chardev(b, devs, "serial", &s->serials[i], (unsigned)i + 1, false);
  if (s->graphics) {
    xmlNodePtr g = vk_xml_add(b, devs, "graphics", NULL);
    xmlNodePtr video, input;

    vk_xml_set(b, g, "type", s->graphics);
    if (s->graphics_port >= 0) {
      attr_u64(b, g, "port", (uint64_t)s->graphics_port);
      vk_xml_set(b, g, "autoport", "no");
    } else {
      vk_xml_set(b, g, "port", "-1");
      vk_xml_set(b, g, "autoport", "yes");
    }
    if (s->graphics_listen) {
      xmlNodePtr listen = vk_xml_add(b, g, "listen", NULL);
      vk_xml_set(b, listen, "type", "address");
      vk_xml_set(b, listen, "address", s->graphics_listen);
    }
    if (!s->no_video && !vk_domspec_has_device(s, "video")) {
      video = vk_xml_add(b, devs, "video", NULL);
      vk_xml_set(b, vk_xml_add(b, video, "model", NULL), "type",
                 s->video_model                      ? s->video_model
                 : strcmp(s->graphics, "spice") == 0 ? "qxl"
                                                     : "vga");
    }
    if (!s->no_tablet) {
      input = vk_xml_add(b, devs, "input", NULL);
      vk_xml_set(b, input, "type", "tablet");
      vk_xml_set(b, input, "bus", "usb");
    }
  }
  for (size_t i = 0; i < s->ndevices; i++)
    add_elem(b, devs, &s->devices[i]);
}

char *
vk_domxml_build(const vk_domspec *s, vk_error **errp)
{
  vk_xml_builder b = { false };
  xmlDocPtr doc;
  xmlNodePtr dom, n, meta = NULL;
  const char *seed = NULL;
  char *out = NULL;

  if (!s->name || !*s->name) {
    vk_error_set(errp, VK_EXIT_USAGE, "the domain needs a name");
    return NULL;
  }
  if (!s->virt_type || !s->memory_kib || !s->vcpus) {
    vk_error_set(errp, VK_EXIT_USAGE, "the domain needs a type, memory and vCPUs");
    return NULL;
  }

  doc = xmlNewDoc(BAD_CAST "1.0");
  if (!doc) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  dom = xmlNewDocNode(doc, NULL, BAD_CAST "domain", NULL);
  if (!dom) {
    b.oom = true;
    goto done;
  }
  xmlDocSetRootElement(doc, dom);
  vk_xml_set(&b, dom, "type", s->virt_type);
  vk_xml_add(&b, dom, "name", s->name);
  if (s->uuid)
    vk_xml_add(&b, dom, "uuid", s->uuid);
  if (s->title)
    vk_xml_add(&b, dom, "title", s->title);
  if (s->description)
    vk_xml_add(&b, dom, "description", s->description);
  for (size_t i = 0; i < s->ndisks && !seed; i++)
    if (s->disks[i].seed && s->disks[i].path)
      seed = s->disks[i].path;
  if (s->os_url || seed)
    meta = vk_xml_add(&b, dom, "metadata", NULL);
  if (seed) {
    /* names the cloud-init seed, for undefine --remove-all-storage */
    xmlNodePtr el = vk_xml_add(&b, meta, "seed", NULL);
    xmlNsPtr ns = el ? xmlNewNs(el, BAD_CAST VK_SEED_NS, BAD_CAST "vkit") : NULL;

    if (el && !ns)
      b.oom = true;
    xmlSetNs(el, ns);
    vk_xml_set(&b, el, "path", seed);
  }
  if (s->os_url) {
    xmlNodePtr li = vk_xml_add(&b, meta, "libosinfo", NULL);
    xmlNsPtr ns = li ? xmlNewNs(li, BAD_CAST "http://libosinfo.org/xmlns/libvirt/domain/1.0",
                                BAD_CAST "libosinfo") : NULL;
    xmlNodePtr os;

    if (li && !ns)
      b.oom = true;
    xmlSetNs(li, ns);
    os = vk_xml_add(&b, li, "os", NULL);
    xmlSetNs(os, ns);
    vk_xml_set(&b, os, "id", s->os_url);
  }
  if (s->max_memory_kib) {
    n = child_u64(&b, dom, "maxMemory", s->max_memory_kib);
    attr_u64(&b, n, "slots", s->max_memory_slots);
    vk_xml_set(&b, n, "unit", "KiB");
  }
  vk_xml_set(&b, child_u64(&b, dom, "memory", s->memory_kib), "unit", "KiB");
  vk_xml_set(&b,
             child_u64(&b, dom, "currentMemory", s->current_kib ? s->current_kib : s->memory_kib),
             "unit", "KiB");
  n = child_u64(&b, dom, "vcpu", s->maxvcpus > s->vcpus ? s->maxvcpus : s->vcpus);
  vk_xml_set(&b, n, "placement", "static");
  vk_xml_set(&b, n, "cpuset", s->cpuset);
  if (s->maxvcpus > s->vcpus)
    attr_u64(&b, n, "current", s->vcpus);
  add_os(&b, dom, s);
  n = vk_xml_add(&b, dom, "features", NULL);
  vk_xml_add(&b, n, "acpi", NULL);
  vk_xml_add(&b, n, "apic", NULL);
  if (s->smm)
    vk_xml_set(&b, vk_xml_add(&b, n, "smm", NULL), "state", "on");
  add_cpu(&b, dom, s);
  for (size_t i = 0; i < s->nextra; i++)
    add_elem(&b, dom, &s->extra[i]);
  vk_xml_set(&b, vk_xml_add(&b, dom, "clock", NULL), "offset", "utc");
  vk_xml_add(&b, dom, "on_poweroff", s->on_poweroff ? s->on_poweroff : "destroy");
  vk_xml_add(&b, dom, "on_reboot", s->on_reboot ? s->on_reboot : "restart");
  vk_xml_add(&b, dom, "on_crash", s->on_crash ? s->on_crash : "destroy");
  add_devices(&b, dom, s);
  if (b.oom)
    goto done;

  out = vk_xml_serialize(&b, doc);

done:
  xmlFreeDoc(doc);
  if (b.oom) {
    free(out);
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory while building the domain XML");
    return NULL;
  }
  return out;
}

static void
chardev_clear(vk_chardev_spec *c)
{
  free(c->type);
  free(c->path);
}

void
vk_domspec_clear(vk_domspec *s)
{
  free(s->name);
  free(s->uuid);
  free(s->virt_type);
  free(s->arch);
  free(s->machine);
  free(s->cpu_mode);
  free(s->cpu_model);
  for (size_t i = 0; i < s->ncpu_disable; i++)
    free(s->cpu_disable[i]);
  free(s->cpu_disable);
  for (size_t i = 0; i < s->ncpu_require; i++)
    free(s->cpu_require[i]);
  free(s->cpu_require);
  free(s->cpuset);
  free(s->user_loader);
  free(s->user_nvram_template);
  for (size_t i = 0; i < 4; i++)
    free(s->boot_dev[i]);
  free(s->kernel);
  free(s->initrd);
  free(s->cmdline);
  free(s->loader);
  free(s->loader_type);
  free(s->nvram_template);
  free(s->os_url);
  for (size_t i = 0; i < s->ndisks; i++) {
    vk_disk_spec *d = &s->disks[i];
    free(d->path);
    free(d->format);
    free(d->bus);
    free(d->cache);
    free(d->backing);
    free(d->backing_format);
    free(d->device);
    free(d->target);
    free(d->serial);
    free(d->pool);
    free(d->vol);
    free(d->discard);
    free(d->detect_zeroes);
    free(d->io);
  }
  free(s->disks);
  for (size_t i = 0; i < s->nnets; i++) {
    free(s->nets[i].type);
    free(s->nets[i].source);
    free(s->nets[i].model);
    free(s->nets[i].mac);
    free(s->nets[i].target);
    free(s->nets[i].mode);
  }
  free(s->nets);
  free(s->graphics);
  free(s->graphics_listen);
  chardev_clear(&s->console);
  for (size_t i = 0; i < s->nserials; i++)
    chardev_clear(&s->serials[i]);
  free(s->serials);
  for (size_t i = 0; i < s->ndevices; i++)
    vk_elem_clear(&s->devices[i]);
  free(s->devices);
  for (size_t i = 0; i < s->nextra; i++)
    vk_elem_clear(&s->extra[i]);
  free(s->extra);
  free(s->video_model);
  free(s->title);
  free(s->description);
  free(s->on_poweroff);
  free(s->on_crash);
  free(s->on_reboot_final);
  memset(s, 0, sizeof *s);
  s->secure_boot = -1;
  s->graphics_port = -1;
}

void
vk_disk_json_begin(vk_json *j, const char *target, const char *device, const char *path,
                   const char *format)
{
  vk_json_begin_object(j);
  vk_json_kv_string(j, "target", target);
  vk_json_kv_string(j, "device", device);
  vk_json_kv_string(j, "path", path);
  vk_json_kv_string(j, "format", format);
}
