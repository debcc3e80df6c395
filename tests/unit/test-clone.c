/* Unit tests for the clone's identity: auto names, derived disk paths,
 * MAC and UUID checks (lib/virt/clone-ident.c). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "virt/clone/internal.h"
#include "virt/clone/clone.h"

/* Names or paths in use, NULL-terminated. */
static bool
taken(void *opaque, const char *s)
{
  for (const char *const *p = opaque; *p; p++)
    if (strcmp(*p, s) == 0)
      return true;
  return false;
}

static void
name_is(const char *orig, const char *const *used, const char *want)
{
  char *got = vk_clone_auto_name(orig, taken, (void *)used);
  is_str(got, want, orig);
  free(got);
}

static void
path_is(const char *path, const char *orig, const char *name, const char *const *used,
        const char *want)
{
  char *got = vk_clone_disk_path(path, orig, name, taken, (void *)used);
  is_str(got, want, path);
  free(got);
}

static const char orig_xml[] =
  "<domain type='kvm' id='7'>\n"
  "  <name>web</name>\n"
  "  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n"
  "  <title>web server</title>\n"
  "  <os><type>hvm</type><nvram template='/t.fd'>/nv/web_VARS.fd</nvram></os>\n"
  "  <devices>\n"
  "    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
  "<source file='/i/web.img'/><backingStore/><target dev='vda'/></disk>\n"
  "    <disk type='file' device='cdrom'><source file='/i/cd.iso'/><target dev='sda'/></disk>\n"
  "    <interface type='network'><mac address='52:54:00:00:00:01'/>"
  "<source network='default'/><target dev='vnet3'/></interface>\n"
  "    <graphics type='vnc' port='5901' autoport='no'/>\n"
  "    <channel type='unix'><source mode='bind' path='/run/web/org.qemu.guest_agent.0'/>"
  "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>\n"
  "  </devices>\n"
  "</domain>\n";

static bool
has(const char *xml, const char *s)
{
  return xml && strstr(xml, s) != NULL;
}

/* The XML rewrite, for a linked clone with an awkward name. */
static void
test_xml(void)
{
  vk_clone_disk disks[2] = {
    { .target = "vda", .path = "/i/a&b <c>.img", .format = "qcow2", .how = VK_CLONE_LINKED },
    { .target = "sda", .path = "/i/cd.iso", .format = "raw", .how = VK_CLONE_SHARED },
  };
  char *macs[1] = { "52:54:00:12:34:56" };
  vk_clone c = {
    .name = "a&b <c>", .uuid = "11111111-2222-4333-8444-555555555555",
    .macs = macs, .nmacs = 1, .disks = disks, .ndisks = 2, .nvram = "/nv/a&b_VARS.fd",
  };
  vk_error *err = NULL;
  char *xml = vk_clone_xml_build(orig_xml, &c, &err), *name = NULL, *nvram = NULL;

  ok(xml != NULL, "XML built");
  ok(has(xml, "<name>a&amp;b &lt;c&gt;</name>"), "name escaped");
  ok(has(xml, "<uuid>11111111-2222-4333-8444-555555555555</uuid>"), "new UUID");
  ok(!has(xml, "id=") && !has(xml, "<title>"), "no id, no title");
  ok(has(xml, "file=\"/i/a&amp;b &lt;c&gt;.img\""), "disk path escaped");
  ok(has(xml, "type=\"qcow2\"") && !has(xml, "backingStore"), "linked disk: qcow2, no backingStore");
  ok(has(xml, "/i/cd.iso"), "CD-ROM kept");
  ok(has(xml, "52:54:00:12:34:56") && !has(xml, "vnet3"), "new MAC, no host device");
  ok(has(xml, "port=\"-1\"") && has(xml, "autoport=\"yes\""), "graphics port automatic");
  ok(!has(xml, "/run/web/org.qemu.guest_agent.0"), "agent socket path dropped");
  ok(has(xml, ">/nv/a&amp;b_VARS.fd</nvram>") && has(xml, "template=\"/t.fd\""), "NVRAM path replaced, template kept");
  ok(vk_clone_xml_read(xml, &name, &nvram, &err), "XML read back");
  is_str(name, "a&b <c>", "name read back");
  is_str(nvram, "/nv/a&b_VARS.fd", "NVRAM read back");
  free(name);
  free(nvram);
  ok(!vk_clone_xml_read("<network/>", &name, &nvram, &err) && err && err->code == VK_EXIT_USAGE,
     "not a domain: usage error");
  vk_error_free(err);
  free(xml);
}

int
main(void)
{
  static const char *const none[] = { NULL };
  static const char *const web[] = { "web-clone", "web-clone1", NULL };
  static const char *const files[] = { "/i/web-clone.qcow2", "/i/web-clone-1.qcow2", NULL };
  char u[VIR_UUID_STRING_BUFLEN];

  name_is("web", none, "web-clone");
  name_is("web", web, "web-clone2");
  name_is("web-clone", none, "web-clone1");
  name_is("web-clone3", none, "web-clone4");
  name_is("a'b <c>", none, "a'b <c>-clone");

  path_is("/i/web.qcow2", "web", "new", none, "/i/new.qcow2");
  path_is("/i/disk.qcow2", "web", "new", none, "/i/disk-clone.qcow2");
  path_is("/i/web.qcow2", "web", "web-clone", files, "/i/web-clone-2.qcow2");
  path_is("/i/disk", "web", "new", none, "/i/disk-clone");
  path_is("/i/disk.verylongext", "web", "new", none, "/i/disk.verylongext-clone");
  path_is("/i.d/disk", "web", "new", none, "/i.d/disk-clone");

  ok(vk_clone_mac_valid("52:54:00:ab:CD:01"), "MAC valid");
  ok(!vk_clone_mac_valid("52:54:00:ab:cd"), "MAC too short");
  ok(!vk_clone_mac_valid("52-54-00-ab-cd-01"), "MAC with dashes");
  ok(!vk_clone_mac_valid("01:54:00:ab:cd:01"), "multicast MAC");
  ok(!vk_clone_mac_valid("52:54:00:ab:cd:0g"), "MAC not hex");

  ok(vk_clone_uuid_parse("6695EB01-f6a4-8304-79aa-97f2502e193f", u), "UUID with dashes");
  is_str(u, "6695eb01-f6a4-8304-79aa-97f2502e193f", "UUID normalised");
  ok(vk_clone_uuid_parse("6695eb01f6a4830479aa97f2502e193f", u), "UUID without dashes");
  is_str(u, "6695eb01-f6a4-8304-79aa-97f2502e193f", "UUID without dashes normalised");
  ok(!vk_clone_uuid_parse("6695eb01-f6a4-8304-79aa-97f2502e193", u), "UUID too short");
  ok(!vk_clone_uuid_parse("6695eb01f-6a4-8304-79aa-97f2502e193f", u), "UUID dash misplaced");

  is_str(vk_clone_how_name(VK_CLONE_REFLINK), "reflink", "how name");
  test_xml();
  return tap_done();
}
