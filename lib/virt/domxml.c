/* vkit — libvirt domain XML built with libxml2. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "virt/domxml.h"

/* Builder state: the first allocation failure is remembered and checked
 * once at the end, so the code below reads like the XML it writes. */
typedef struct {
  bool oom;
} builder;

static xmlNodePtr
child(builder *b, xmlNodePtr parent, const char *name, const char *text)
{
  xmlNodePtr n;

  if (!parent) {
    b->oom = true;
    return NULL;
  }
  /* xmlNewTextChild escapes its content; xmlNewChild would not. */
  n = xmlNewTextChild(parent, NULL, BAD_CAST name, text ? BAD_CAST text : NULL);
  if (!n)
    b->oom = true;
  return n;
}

static void
attr(builder *b, xmlNodePtr node, const char *name, const char *value)
{
  if (!node || !value)
    return;
  if (!xmlNewProp(node, BAD_CAST name, BAD_CAST value))
    b->oom = true;
}

static void
attr_u64(builder *b, xmlNodePtr node, const char *name, uint64_t value)
{
  char buf[32];

  snprintf(buf, sizeof buf, "%" PRIu64, value);
  attr(b, node, name, buf);
}

static xmlNodePtr
child_u64(builder *b, xmlNodePtr parent, const char *name, uint64_t value)
{
  char buf[32];

  snprintf(buf, sizeof buf, "%" PRIu64, value);
  return child(b, parent, name, buf);
}

static void
add_os(builder *b, xmlNodePtr dom, const vk_domspec *s)
{
  xmlNodePtr os = child(b, dom, "os", NULL);
  xmlNodePtr type = child(b, os, "type", "hvm");

  attr(b, type, "arch", s->arch);
  attr(b, type, "machine", s->machine);
  if (s->uefi && s->loader) {
    xmlNodePtr loader = child(b, os, "loader", s->loader);
    attr(b, loader, "readonly", "yes");
    attr(b, loader, "type", s->loader_type ? s->loader_type : "pflash");
    if (s->secure_boot >= 0)
      attr(b, loader, "secure", s->secure_boot ? "yes" : "no");
    if (s->nvram_template) {
      xmlNodePtr nvram = child(b, os, "nvram", NULL);
      attr(b, nvram, "template", s->nvram_template);
    }
  } else if (s->uefi) {
    /* No descriptor chosen: let libvirt pick the firmware. */
    attr(b, os, "firmware", "efi");
  }
  if (s->kernel) {
    child(b, os, "kernel", s->kernel);
    if (s->initrd)
      child(b, os, "initrd", s->initrd);
    if (s->cmdline)
      child(b, os, "cmdline", s->cmdline);
  }
  for (size_t i = 0; i < 4 && s->boot_dev[i]; i++)
    attr(b, child(b, os, "boot", NULL), "dev", s->boot_dev[i]);
}

static void
add_cpu(builder *b, xmlNodePtr dom, const vk_domspec *s)
{
  xmlNodePtr cpu;

  if (!s->cpu_mode && !s->sockets && !s->cores && !s->threads && !s->ncpu_disable)
    return;
  cpu = child(b, dom, "cpu", NULL);
  if (s->cpu_mode) {
    attr(b, cpu, "mode", s->cpu_mode);
    if (strcmp(s->cpu_mode, "custom") == 0) {
      attr(b, cpu, "match", "exact");
      if (s->cpu_model)
        attr(b, child(b, cpu, "model", s->cpu_model), "fallback", "allow");
    }
  }
  if (s->sockets || s->cores || s->threads) {
    xmlNodePtr topo = child(b, cpu, "topology", NULL);
    attr_u64(b, topo, "sockets", s->sockets ? s->sockets : 1);
    attr_u64(b, topo, "dies", 1);
    attr_u64(b, topo, "cores", s->cores ? s->cores : 1);
    attr_u64(b, topo, "threads", s->threads ? s->threads : 1);
  }
  for (size_t i = 0; i < s->ncpu_disable; i++) {
    xmlNodePtr f = child(b, cpu, "feature", NULL);
    attr(b, f, "policy", "disable");
    attr(b, f, "name", s->cpu_disable[i]);
  }
}

static void
add_disk(builder *b, xmlNodePtr devs, const vk_disk_spec *d)
{
  xmlNodePtr disk = child(b, devs, "disk", NULL);
  bool block = false;
  struct stat st;

  if (d->path && stat(d->path, &st) == 0 && S_ISBLK(st.st_mode))
    block = true;
  attr(b, disk, "type", block ? "block" : "file");
  attr(b, disk, "device", d->device ? d->device : "disk");
  if (d->format || d->cache) {
    xmlNodePtr drv = child(b, disk, "driver", NULL);
    attr(b, drv, "name", "qemu");
    attr(b, drv, "type", d->format);
    attr(b, drv, "cache", d->cache);
  }
  if (d->path)
    attr(b, child(b, disk, "source", NULL), block ? "dev" : "file", d->path);
  {
    xmlNodePtr target = child(b, disk, "target", NULL);
    attr(b, target, "dev", d->target);
    attr(b, target, "bus", d->bus);
  }
  if (d->readonly || (d->device && strcmp(d->device, "cdrom") == 0))
    child(b, disk, "readonly", NULL);
}

static void
add_chardev(builder *b, xmlNodePtr devs, const char *elem,
            const vk_chardev_spec *c, unsigned port, bool console)
{
  xmlNodePtr dev = child(b, devs, elem, NULL);
  xmlNodePtr target;

  attr(b, dev, "type", c->type ? c->type : "pty");
  if (c->type && strcmp(c->type, "file") == 0)
    attr(b, child(b, dev, "source", NULL), "path", c->path);
  target = child(b, dev, "target", NULL);
  if (console)
    attr(b, target, "type", "serial");
  attr_u64(b, target, "port", port);
}

static void
add_devices(builder *b, xmlNodePtr dom, const vk_domspec *s)
{
  xmlNodePtr devs = child(b, dom, "devices", NULL);
  bool scsi = false;

  for (size_t i = 0; i < s->ndisks; i++) {
    add_disk(b, devs, &s->disks[i]);
    if (s->disks[i].bus && strcmp(s->disks[i].bus, "scsi") == 0)
      scsi = true;
  }
  if (scsi) {
    xmlNodePtr ctl = child(b, devs, "controller", NULL);
    attr(b, ctl, "type", "scsi");
    attr(b, ctl, "index", "0");
    attr(b, ctl, "model", "virtio-scsi");
  }
  for (size_t i = 0; i < s->nnets; i++) {
    const vk_net_spec *n = &s->nets[i];
    xmlNodePtr iface = child(b, devs, "interface", NULL);

    attr(b, iface, "type", n->type);
    if (n->source)
      attr(b, child(b, iface, "source", NULL),
           strcmp(n->type, "bridge") == 0 ? "bridge" : "network", n->source);
    if (n->mac)
      attr(b, child(b, iface, "mac", NULL), "address", n->mac);
    if (n->model)
      attr(b, child(b, iface, "model", NULL), "type", n->model);
  }
  add_chardev(b, devs, "serial", &s->console, 0, false);
  add_chardev(b, devs, "console", &s->console, 0, true);
  for (size_t i = 0; i < s->nserials; i++)
    add_chardev(b, devs, "serial", &s->serials[i], (unsigned)i + 1, false);
  if (s->graphics) {
    xmlNodePtr g = child(b, devs, "graphics", NULL);
    xmlNodePtr video, input;

    attr(b, g, "type", s->graphics);
    if (s->graphics_port >= 0) {
      attr_u64(b, g, "port", (uint64_t)s->graphics_port);
      attr(b, g, "autoport", "no");
    } else {
      attr(b, g, "port", "-1");
      attr(b, g, "autoport", "yes");
    }
    if (s->graphics_listen) {
      xmlNodePtr listen = child(b, g, "listen", NULL);
      attr(b, listen, "type", "address");
      attr(b, listen, "address", s->graphics_listen);
    }
    video = child(b, devs, "video", NULL);
    attr(b, child(b, video, "model", NULL), "type",
         strcmp(s->graphics, "spice") == 0 ? "qxl" : "vga");
    input = child(b, devs, "input", NULL);
    attr(b, input, "type", "tablet");
    attr(b, input, "bus", "usb");
  }
}

char *
vk_domxml_build(const vk_domspec *s, vk_error **errp)
{
  builder b = { false };
  xmlDocPtr doc;
  xmlNodePtr dom, n;
  xmlBufferPtr buf = NULL;
  xmlSaveCtxtPtr save;
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
  attr(&b, dom, "type", s->virt_type);
  child(&b, dom, "name", s->name);
  if (s->uuid)
    child(&b, dom, "uuid", s->uuid);
  if (s->os_url) {
    xmlNodePtr meta = child(&b, dom, "metadata", NULL);
    xmlNodePtr li = child(&b, meta, "libosinfo", NULL);
    xmlNsPtr ns = li ? xmlNewNs(li, BAD_CAST "http://libosinfo.org/xmlns/libvirt/domain/1.0",
                                BAD_CAST "libosinfo") : NULL;
    xmlNodePtr os;

    if (li && !ns)
      b.oom = true;
    xmlSetNs(li, ns);
    os = child(&b, li, "os", NULL);
    xmlSetNs(os, ns);
    attr(&b, os, "id", s->os_url);
  }
  attr(&b, child_u64(&b, dom, "memory", s->memory_kib), "unit", "KiB");
  attr(&b, child_u64(&b, dom, "currentMemory", s->memory_kib), "unit", "KiB");
  n = child_u64(&b, dom, "vcpu", s->maxvcpus > s->vcpus ? s->maxvcpus : s->vcpus);
  attr(&b, n, "placement", "static");
  if (s->maxvcpus > s->vcpus)
    attr_u64(&b, n, "current", s->vcpus);
  add_os(&b, dom, s);
  n = child(&b, dom, "features", NULL);
  child(&b, n, "acpi", NULL);
  child(&b, n, "apic", NULL);
  if (s->smm)
    attr(&b, child(&b, n, "smm", NULL), "state", "on");
  add_cpu(&b, dom, s);
  attr(&b, child(&b, dom, "clock", NULL), "offset", "utc");
  child(&b, dom, "on_poweroff", "destroy");
  child(&b, dom, "on_reboot", s->on_reboot ? s->on_reboot : "restart");
  child(&b, dom, "on_crash", "destroy");
  add_devices(&b, dom, s);
  if (b.oom)
    goto done;

  buf = xmlBufferCreate();
  if (!buf) {
    b.oom = true;
    goto done;
  }
  save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
  if (!save || xmlSaveDoc(save, doc) < 0) {
    if (save)
      xmlSaveClose(save);
    b.oom = true;
    goto done;
  }
  xmlSaveClose(save);
  out = strdup((const char *)xmlBufferContent(buf));
  if (!out)
    b.oom = true;

done:
  if (buf)
    xmlBufferFree(buf);
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
  }
  free(s->disks);
  for (size_t i = 0; i < s->nnets; i++) {
    free(s->nets[i].type);
    free(s->nets[i].source);
    free(s->nets[i].model);
    free(s->nets[i].mac);
  }
  free(s->nets);
  free(s->graphics);
  free(s->graphics_listen);
  chardev_clear(&s->console);
  for (size_t i = 0; i < s->nserials; i++)
    chardev_clear(&s->serials[i]);
  free(s->serials);
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
