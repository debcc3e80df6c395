/* Unit tests for lib/virt conn and event: error mapping, lookup, waits,
 * on libvirt's test:///default driver (no daemon). */
#include <config.h>

#include <stdlib.h>

#include <libvirt/virterror.h>

#include "tap.h"
#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/domstate.h"
#include "virt/event.h"

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

int
main(void)
{
  test_error_codes();
  test_states();
  test_open_errors();
  test_lookup_and_wait();
  return tap_done();
}
