/* Unit tests for the clone's identity: auto names, derived disk paths,
 * MAC and UUID checks (lib/virt/clone-ident.c). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "virt/clone.h"

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
  return tap_done();
}
