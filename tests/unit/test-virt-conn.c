/* Unit tests for lib/virt conn and event: error mapping, lookup, waits,
 * on libvirt's test:///default driver (no daemon). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "tap.h"
#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/domstate.h"
#include "virt/event.h"
#include "virt/hosts.h"

static void
test_error_codes(void)
{
  ok(vk_virt_error_code(VIR_ERR_NO_DOMAIN, VIR_FROM_QEMU, NULL) == VK_EXIT_NOTFOUND, "no domain -> 3");
  ok(vk_virt_error_code(VIR_ERR_OPERATION_INVALID, VIR_FROM_QEMU, NULL) == VK_EXIT_BUSY, "operation invalid -> 5");
  ok(vk_virt_error_code(VIR_ERR_OPERATION_TIMEOUT, VIR_FROM_QEMU, NULL) == VK_EXIT_TIMEOUT, "timeout -> 4");
  ok(vk_virt_error_code(VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC, NULL) == VK_EXIT_CONNECT, "rpc system error -> 6");
  ok(vk_virt_error_code(VIR_ERR_SYSTEM_ERROR, VIR_FROM_QEMU, NULL) == VK_EXIT_FAILED, "other system error -> 1");
  ok(vk_virt_error_code(VIR_ERR_XML_ERROR, VIR_FROM_DOMAIN, NULL) == VK_EXIT_USAGE, "xml error -> 2");
  ok(vk_virt_error_code(VIR_ERR_INTERNAL_ERROR, VIR_FROM_QEMU, NULL) == VK_EXIT_FAILED, "internal error -> 1");
  ok(vk_virt_error_code(VIR_ERR_DOM_EXIST, VIR_FROM_QEMU, NULL) == VK_EXIT_BUSY, "domain exists -> 5");
  ok(vk_virt_error_code(VIR_ERR_RESOURCE_BUSY, VIR_FROM_QEMU, NULL) == VK_EXIT_BUSY, "resource busy -> 5");
  ok(vk_virt_error_code(VIR_ERR_OPERATION_FAILED, VIR_FROM_DOMAIN,
                        "operation failed: domain 'a' already exists with uuid 6695eb01-f6a4-8304-79aa-97f2502e193f")
     == VK_EXIT_BUSY, "operation failed, name already exists -> 5");
  ok(vk_virt_error_code(VIR_ERR_OPERATION_FAILED, VIR_FROM_NETWORK,
                        "operation failed: network 'n' is already defined with uuid x") == VK_EXIT_BUSY,
     "operation failed, network already defined -> 5");
  ok(vk_virt_error_code(VIR_ERR_OPERATION_FAILED, VIR_FROM_QEMU, "operation failed: cannot read") == VK_EXIT_FAILED,
     "other failed operation -> 1");
  ok(vk_virt_error_code(VIR_ERR_OPERATION_FAILED, VIR_FROM_QEMU, NULL) == VK_EXIT_FAILED,
     "failed operation without message -> 1");
}

static void
test_states(void)
{
  is_str(vk_state_text(VIR_DOMAIN_SHUTOFF), "shut off", "shutoff text like virsh");
  is_str(vk_state_word(VIR_DOMAIN_SHUTOFF), "shutoff", "shutoff word");
  is_str(vk_state_text(VIR_DOMAIN_BLOCKED), "idle", "blocked text like virsh");
  is_str(vk_state_reason_text(VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_FROM_SNAPSHOT), "from snapshot", "reason text");
  is_str(vk_state_reason_word(VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_IOERROR), "io_error", "reason word");
  is_str(vk_state_reason_text(VIR_DOMAIN_RUNNING, 999), "unknown", "unknown reason");
}

static void
test_open_errors(void)
{
  vk_error *err = NULL;
  virConnectPtr c = vk_conn_open("qemu+unix:///system?socket=/nonexistent/sock", 0, &err);

  ok(c == NULL && err && err->code == VK_EXIT_CONNECT, "missing socket -> 6");
  ok(err && strstr(err->msg, "/nonexistent/sock") != NULL, "message keeps libvirt's text: %s",
     err ? err->msg : "");
  vk_error_free(err);
  err = NULL;
  c = vk_conn_open("nosuchdriver:///x", VK_CONN_READONLY, &err);
  ok(c == NULL && err && err->code == VK_EXIT_CONNECT, "unknown driver -> 6");
  vk_error_free(err);
}

static void
test_lookup_and_wait(void)
{
  CLEANUP_ERROR vk_error *err = NULL;
  CLEANUP_CONN virConnectPtr c = vk_conn_open("test:///default", 0, &err);
  CLEANUP_DOMAIN virDomainPtr d = NULL;
  CLEANUP_DOMAIN virDomainPtr byid = NULL;
  CLEANUP_DOMAIN virDomainPtr byuuid = NULL;
  char uuid[VIR_UUID_STRING_BUFLEN];
  int state = -1;

  if (!ok(c != NULL, "open test:///default"))
    return;
  d = vk_domain_lookup(c, "test", &err);
  ok(d != NULL, "lookup by name");
  byid = vk_domain_lookup(c, "1", &err);
  ok(byid && strcmp(virDomainGetName(byid), "test") == 0, "lookup by id");
  virDomainGetUUIDString(d, uuid);
  byuuid = vk_domain_lookup(c, uuid, &err);
  ok(byuuid && strcmp(virDomainGetName(byuuid), "test") == 0, "lookup by uuid");
  ok(vk_domain_lookup(c, "nope", &err) == NULL && err && err->code == VK_EXIT_NOTFOUND,
     "unknown name -> 3");
  ok(err && strstr(err->msg, "failed to get domain 'nope'") && strstr(err->msg, "Domain not found"),
     "message: %s", err ? err->msg : "");
  vk_error_free(err);
  err = NULL;

  ok(!vk_domain_wait_state(d, VK_STATE_BIT(VIR_DOMAIN_SHUTOFF), 200, &state, &err) &&
     err && err->code == VK_EXIT_TIMEOUT, "wait that expires -> 4");
  ok(err && strstr(err->msg, "still running"), "timeout message: %s", err ? err->msg : "");
  vk_error_free(err);
  err = NULL;

  ok(vk_domain_wait_state(d, VK_STATE_BIT(VIR_DOMAIN_RUNNING), 0, &state, &err) &&
     state == VIR_DOMAIN_RUNNING, "already in the state: immediate success");
  ok(virDomainDestroy(d) == 0, "destroy");
  ok(vk_domain_wait_state(d, VK_STATE_BIT(VIR_DOMAIN_SHUTOFF), 5000, &state, &err) &&
     state == VIR_DOMAIN_SHUTOFF, "wait for shut off");
}

static void
short_name(const char *uri, const char *want)
{
  char *n = vk_uri_short_name(uri);

  is_str(n, want, uri);
  free(n);
}

/* Hosts files and short names (lib/virt/hosts.c). */
static void
test_hosts(void)
{
  char dir[] = "/tmp/vkit-hosts-XXXXXX", file[64];
  vk_hosts h = { 0 };
  vk_error *err = NULL;
  FILE *f;

  short_name("qemu+ssh://root@host2/system", "host2");
  short_name("qemu+tcp://host3:16509/system", "host3");
  short_name("qemu+ssh://[2001:db8::1]:22/system", "2001:db8::1");
  short_name("qemu:///system", "qemu:///system");
  short_name("qemu+unix:///system?socket=/x", "qemu+unix:///system?socket=/x");
  ok(mkdtemp(dir) != NULL, "temporary directory");
  snprintf(file, sizeof file, "%s/hosts", dir);
  f = fopen(file, "w");
  fputs("# the rack\n\nqemu+ssh://root@a.example/system\n  b   qemu+tcp://10.0.0.2/system  \n"
        "\t# indented comment\n",
        f);
  fclose(f);
  ok(vk_hosts_load(&h, file, &err), "a hosts file loads");
  ok(h.n == 2, "two hosts");
  is_str(h.v[0].name, "a.example", "a bare URI is named by its host");
  is_str(h.v[1].name, "b", "NAME URI");
  is_str(vk_hosts_lookup(&h, "b"), "qemu+tcp://10.0.0.2/system", "lookup by short name");
  ok(vk_hosts_lookup(&h, "c") == NULL, "an unknown name");
  vk_hosts_free(&h);
  f = fopen(file, "w");
  fputs("a qemu:///system\nb qemu:///system extra\n", f);
  fclose(f);
  ok(!vk_hosts_load(&h, file, &err) && err->code == VK_EXIT_USAGE, "three words: usage error");
  ok(err && strstr(err->msg, "hosts:2:"), "the message names the line");
  vk_error_free(err);
  err = NULL;
  vk_hosts_free(&h);
  f = fopen(file, "w");
  fputs("a qemu:///system\na test:///default\n", f);
  fclose(f);
  ok(!vk_hosts_load(&h, file, &err) && err->code == VK_EXIT_USAGE, "a name twice: usage error");
  vk_error_free(err);
  err = NULL;
  vk_hosts_free(&h);
  unlink(file);
  ok(!vk_hosts_load(&h, file, &err) && err->code == VK_EXIT_NOTFOUND, "a missing file: 3");
  vk_error_free(err);
  vk_hosts_free(&h);
  rmdir(dir);
}

/* A domain found on the one host of several that has it. */
static void
test_hosts_find(void)
{
  vk_hosts h = { 0 };
  virConnectPtr c[2];
  vk_error *errs[2] = { NULL, NULL }, *err = NULL;
  virDomainPtr d;
  size_t which = 9;

  vk_hosts_add(&h, "x", "test:///default", &err);
  vk_hosts_add(&h, "y", "qemu+unix:///system?socket=/nonexistent-vkit", &err);
  vk_hosts_open(&h, VK_CONN_READONLY, c, errs);
  ok(c[0] != NULL && c[1] == NULL && errs[1] && errs[1]->code == VK_EXIT_CONNECT,
     "opened at once: one answers, one does not (6)");
  d = vk_hosts_find_domain(&h, c, "test", &which, &err);
  ok(d && which == 0, "the domain is found on the host that has it");
  if (d)
    virDomainFree(d);
  d = vk_hosts_find_domain(&h, c, "nosuch", &which, &err);
  ok(!d && err && err->code == VK_EXIT_NOTFOUND, "nowhere: 3");
  vk_error_free(err);
  err = NULL;
  c[1] = c[0];
  d = vk_hosts_find_domain(&h, c, "test", &which, &err);
  ok(!d && err && err->code == VK_EXIT_USAGE && strstr(err->msg, "two hosts"),
     "on two hosts: an error naming both");
  vk_error_free(err);
  vk_error_free(errs[1]);
  virConnectClose(c[0]);
  vk_hosts_free(&h);
}

int
main(void)
{
  test_error_codes();
  test_states();
  test_open_errors();
  test_lookup_and_wait();
  test_hosts();
  test_hosts_find();
  return tap_done();
}
