/* Unit tests for the domain XML builder: structure and escaping. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "tap.h"
#include "virt/domxml.h"

/* The string value of an XPath expression over xml, or NULL. */
static char *
xpath(const char *xml, const char *expr)
{
  xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);
  xmlXPathContextPtr ctx;
  xmlXPathObjectPtr obj;
  char *out = NULL;

  if (!doc)
    return NULL;
  ctx = xmlXPathNewContext(doc);
  obj = ctx ? xmlXPathEvalExpression(BAD_CAST expr, ctx) : NULL;
  if (obj && obj->type == XPATH_NODESET && obj->nodesetval && obj->nodesetval->nodeNr > 0) {
    xmlChar *s = xmlNodeGetContent(obj->nodesetval->nodeTab[0]);
    out = strdup((char *)s);
    xmlFree(s);
  } else if (obj && obj->type == XPATH_STRING) {
    out = strdup((char *)obj->stringval);
  } else if (obj && obj->type == XPATH_NUMBER) {
    if (asprintf(&out, "%g", obj->floatval) < 0)
      out = NULL;
  }
  xmlXPathFreeObject(obj);
  xmlXPathFreeContext(ctx);
  xmlFreeDoc(doc);
  return out;
}

static void
check(const char *xml, const char *expr, const char *want)
{
  char *got = xpath(xml, expr);
  is_str(got, want, expr);
  free(got);
}

static char *
s(const char *x)
{
  return strdup(x);
}

int
main(void)
{
  vk_domspec spec;
  vk_error *err = NULL;
  char *xml;
  const char *nasty = "we\"ird 'name' & <tag> here";
  const char *path = "/tmp/a dir/it's & <x>.qcow2";

  memset(&spec, 0, sizeof spec);
  spec.secure_boot = -1;
  spec.graphics_port = -1;

  xml = vk_domxml_build(&spec, &err);
  ok(!xml && err && err->code == VK_EXIT_USAGE, "a spec without a name is refused");
  vk_error_free(err);
  err = NULL;

  spec.name = s(nasty);
  spec.virt_type = s("qemu");
  spec.memory_kib = 524288;
  spec.vcpus = 2;
  spec.maxvcpus = 4;
  spec.sockets = 1;
  spec.cores = 2;
  spec.threads = 2;
  spec.cpu_mode = s("host-passthrough");
  spec.cpu_disable = calloc(1, sizeof *spec.cpu_disable);
  spec.cpu_disable[0] = s("arch-capabilities");
  spec.ncpu_disable = 1;
  spec.kernel = s("/boot/vmlinuz & co");
  spec.cmdline = s("console=ttyS0 quiet \"x<y\"");
  spec.disks = calloc(2, sizeof *spec.disks);
  spec.ndisks = 2;
  spec.disks[0].path = s(path);
  spec.disks[0].format = s("qcow2");
  spec.disks[0].bus = s("virtio");
  spec.disks[0].device = s("disk");
  spec.disks[0].target = s("vda");
  spec.disks[0].cache = s("none");
  spec.disks[1].device = s("cdrom");
  spec.disks[1].bus = s("scsi");
  spec.disks[1].target = s("sda");
  spec.nets = calloc(1, sizeof *spec.nets);
  spec.nnets = 1;
  spec.nets[0].type = s("bridge");
  spec.nets[0].source = s("br<0>");
  spec.nets[0].model = s("virtio");
  spec.nets[0].mac = s("52:54:00:12:34:56");
  spec.console.type = s("file");
  spec.console.path = s("/tmp/log & \"serial\".txt");
  spec.graphics = s("spice");
  spec.os_url = s("http://debian.org/debian/12");

  xml = vk_domxml_build(&spec, &err);
  ok(xml != NULL, "a full spec builds");
  if (!xml) {
    printf("# %s\n", err ? err->msg : "?");
    return tap_done();
  }
  check(xml, "string(/domain/@type)", "qemu");
  check(xml, "/domain/name", nasty);
  check(xml, "string(/domain/memory)", "524288");
  check(xml, "string(/domain/vcpu)", "4");
  check(xml, "string(/domain/vcpu/@current)", "2");
  check(xml, "string(/domain/cpu/@mode)", "host-passthrough");
  check(xml, "string(/domain/cpu/topology/@cores)", "2");
  check(xml, "string(/domain/cpu/feature[@policy='disable']/@name)", "arch-capabilities");
  check(xml, "/domain/os/kernel", "/boot/vmlinuz & co");
  check(xml, "/domain/os/cmdline", "console=ttyS0 quiet \"x<y\"");
  check(xml, "count(/domain/os/boot)", "0");
  check(xml, "string(/domain/devices/disk[1]/source/@file)", path);
  check(xml, "string(/domain/devices/disk[1]/driver/@cache)", "none");
  check(xml, "string(/domain/devices/disk[2]/@device)", "cdrom");
  check(xml, "count(/domain/devices/disk[2]/source)", "0");
  check(xml, "count(/domain/devices/disk[2]/readonly)", "1");
  check(xml, "string(/domain/devices/controller[@type='scsi']/@model)", "virtio-scsi");
  check(xml, "string(/domain/devices/interface/source/@bridge)", "br<0>");
  check(xml, "string(/domain/devices/interface/mac/@address)", "52:54:00:12:34:56");
  check(xml, "string(/domain/devices/serial/source/@path)", "/tmp/log & \"serial\".txt");
  check(xml, "string(/domain/devices/console/target/@type)", "serial");
  check(xml, "string(/domain/devices/graphics/@type)", "spice");
  check(xml, "string(/domain/devices/video/model/@type)", "qxl");
  check(xml, "count(/domain/features/acpi)", "1");
  ok(strstr(xml, "&amp;") && strstr(xml, "&lt;") && !strstr(xml, "& "),
     "'&' and '<' are escaped in the text");
  free(xml);

  /* UEFI with a chosen loader, and boot devices. */
  spec.uefi = true;
  spec.loader = s("/usr/share/OVMF/CODE.fd");
  spec.nvram_template = s("/usr/share/OVMF/VARS.fd");
  spec.secure_boot = 1;
  spec.smm = true;
  free(spec.kernel);
  free(spec.cmdline);
  spec.kernel = spec.cmdline = NULL;
  spec.uuid = s("c7a5fdbd-cdaf-9455-926a-d65c16db1809");
  spec.boot_dev[0] = s("cdrom");
  spec.boot_dev[1] = s("hd");
  spec.on_reboot = "destroy";
  xml = vk_domxml_build(&spec, &err);
  ok(xml != NULL, "a UEFI spec builds");
  check(xml, "/domain/os/loader", "/usr/share/OVMF/CODE.fd");
  check(xml, "string(/domain/os/loader/@secure)", "yes");
  check(xml, "string(/domain/os/nvram/@template)", "/usr/share/OVMF/VARS.fd");
  check(xml, "string(/domain/os/boot[1]/@dev)", "cdrom");
  check(xml, "string(/domain/os/boot[2]/@dev)", "hd");
  check(xml, "string(/domain/features/smm/@state)", "on");
  check(xml, "/domain/on_reboot", "destroy");
  check(xml, "/domain/uuid", "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
  free(xml);

  vk_domspec_clear(&spec);
  ok(spec.name == NULL && spec.ndisks == 0 && spec.graphics_port == -1,
     "vk_domspec_clear empties the spec");
  return tap_done();
}
