/* Unit tests for lib/virt domparse (domain XML reading). */
#include <config.h>

#include <locale.h>
#include <stdlib.h>

#include "tap.h"
#include "util/cleanup.h"
#include "virt/domparse.h"

static const char xml[] =
  "<domain type='kvm'>\n"
  "  <name>vm &quot;1&quot; &lt;x&gt;</name>\n"
  "  <os><type arch='x86_64'>hvm</type></os>\n"
  "  <devices>\n"
  "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
  "<source file='/images/a b.qcow2'/><target dev='vda' bus='virtio'/></disk>\n"
  "    <disk type='volume' device='disk'><source pool='default' volume='v1'/><target dev='vdb'/></disk>\n"
  "    <disk type='network' device='disk'><source protocol='nbd' name='exp'/><target dev='vdc'/></disk>\n"
  "    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>\n"
  "    <disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vdd'/><shareable/></disk>\n"
  "    <interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><source bridge='br0'/>"
  "<target dev='vnet3'/><model type='virtio'/></interface>\n"
  "    <interface type='user'><mac address='52:54:00:aa:bb:cd'/></interface>\n"
  "    <graphics type='spice' port='5930'/>\n"
  "    <graphics type='vnc' port='5907' autoport='yes'><listen type='address' address='0.0.0.0'/></graphics>\n"
  "  </devices>\n"
  "</domain>\n";

static void
test_parse(void)
{
  vk_domxml d;
  vk_error *err = NULL;

  if (!ok(vk_domxml_parse(xml, &d, &err), "parse a domain"))
    return;
  is_str(d.os_type, "hvm", "os type");
  is_u64(d.ndisks, 5, "five disks");
  is_str(d.disks[0].source, "/images/a b.qcow2", "file source with a space");
  is_str(d.disks[0].format, "qcow2", "driver type");
  is_str(d.disks[0].bus, "virtio", "bus");
  is_str(d.disks[1].source, "default/v1", "volume source is pool/volume");
  is_str(d.disks[2].source, "exp", "network source is the export name");
  ok(d.disks[3].source == NULL && d.disks[3].readonly, "empty read-only cdrom");
  is_str(d.disks[3].device, "cdrom", "cdrom device");
  ok(d.disks[4].shareable && !d.disks[4].readonly, "shareable block disk");
  is_str(d.disks[4].source, "/dev/sdz", "block source");
  is_u64(d.nifaces, 2, "two interfaces");
  is_str(d.ifaces[0].source, "br0", "bridge source");
  is_str(d.ifaces[0].target, "vnet3", "target device");
  is_str(d.ifaces[0].model, "virtio", "model");
  ok(d.ifaces[1].source == NULL && d.ifaces[1].model == NULL, "user interface without source and model");
  is_str(d.ifaces[1].mac, "52:54:00:aa:bb:cd", "mac");
  is_u64(d.ngraphics, 2, "two graphics");
  ok(d.graphics[1].port == 5907, "vnc port");
  is_str(d.graphics[1].listen, "0.0.0.0", "listen from the listen element");
  vk_domxml_free(&d);
}

static void
test_bad(void)
{
  vk_domxml d;
  vk_error *err = NULL;

  ok(!vk_domxml_parse("<domain><devices>", &d, &err) && err && err->code == VK_EXIT_FAILED,
     "truncated XML is an error");
  vk_error_free(err);
  err = NULL;
  ok(!vk_domxml_parse("<network/>", &d, &err) && err, "not a domain");
  vk_error_free(err);
  err = NULL;
  ok(!vk_domxml_parse("<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain><name>&x;</name></domain>",
                      &d, &err) || d.ndisks == 0, "external entities are not fetched");
  if (!err)
    vk_domxml_free(&d);
  vk_error_free(err);
}

int
main(void)
{
  setlocale(LC_CTYPE, "C.UTF-8");
  test_parse();
  test_bad();
  return tap_done();
}
