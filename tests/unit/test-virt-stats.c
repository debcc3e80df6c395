/* Unit tests for lib/virt stats-json: libvirt's dotted statistics names
 * as structured JSON. */
#include <config.h>

#include <stdlib.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "virt/stats.h"

#define U(k, x) { (char *)(k), VK_STAT_UINT, { .u = (x) } }
#define I(k, x) { (char *)(k), VK_STAT_INT, { .i = (x) } }
#define S(k, x) { (char *)(k), VK_STAT_STRING, { .s = (char *)(x) } }
#define B(k, x) { (char *)(k), VK_STAT_BOOL, { .b = (x) } }

/* The record as compact JSON (caller frees), or NULL on failure. */
static char *
to_json(vk_stat_field *f, size_t n)
{
  vk_stat_record r = { (char *)"vm", f, n };
  vk_error *err = NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  vk_json j_w, *j = vk_json_init(&j_w, out);
  bool ok;

  vk_json_set_compact(j, true);
  ok = vk_stat_record_json(&r, j, &err) && vk_json_complete(j);
  fclose(out);
  vk_error_free(err);
  if (!ok) {
    free(buf);
    return NULL;
  }
  if (len > 0 && buf[len - 1] == '\n')
    buf[len - 1] = '\0';   /* the writer ends a document with a newline */
  return buf;
}

static void
test_groups(void)
{
  vk_stat_field f[] = {
    I("state.state", 1), I("state.reason", 1),
    U("cpu.time", 123), U("cpu.user", 100),
    U("cpu.haltpoll.success.time", 7),
    U("balloon.current", 32768), U("balloon.last-update", 5),
    U("vcpu.current", 1), U("vcpu.maximum", 2),
    I("vcpu.0.state", 1), U("vcpu.0.time", 55),
    I("vcpu.1.state", 0), U("vcpu.1.time", 0),
    U("net.count", 1), S("net.0.name", "vnet0"), U("net.0.rx.bytes", 10), U("net.0.tx.pkts", 2),
    U("block.count", 2),
    S("block.0.name", "vda"), S("block.0.path", "/images/a b.qcow2"), U("block.0.rd.bytes", 512),
    U("block.0.backingIndex", 1),
    S("block.1.name", "sda"), U("block.1.rd.bytes", 0),
  };
  CLEANUP_FREE char *got = to_json(f, sizeof f / sizeof *f);

  is_str(got,
         "{\"state\":{\"state\":1,\"reason\":1},"
         "\"cpu\":{\"time\":123,\"user\":100,\"haltpoll_success_time\":7},"
         "\"balloon\":{\"current\":32768,\"last_update\":5},"
         "\"vcpu_current\":1,\"vcpu_maximum\":2,"
         "\"vcpu\":[{\"state\":1,\"time\":55},{\"state\":0,\"time\":0}],"
         "\"net\":[{\"name\":\"vnet0\",\"rx_bytes\":10,\"tx_pkts\":2}],"
         "\"block\":[{\"name\":\"vda\",\"path\":\"/images/a b.qcow2\",\"rd_bytes\":512,\"backing_index\":1},"
         "{\"name\":\"sda\",\"rd_bytes\":0}]}",
         "groups are objects, numbered items arrays, keys snake_case, counts left out");
}

static void
test_nested(void)
{
  vk_stat_field f[] = {
    U("cpu.time", 1),
    U("cpu.cache.monitor.count", 1),
    S("cpu.cache.monitor.0.name", "m0"), S("cpu.cache.monitor.0.vcpus", "0-1"),
    U("cpu.cache.monitor.0.bank.count", 2),
    U("cpu.cache.monitor.0.bank.1.id", 1), U("cpu.cache.monitor.0.bank.1.bytes", 20),
    U("cpu.cache.monitor.0.bank.0.id", 0), U("cpu.cache.monitor.0.bank.0.bytes", 10),
    B("perf.cmt", true),
    S("dirtyrate.calc_status", "measured"), U("dirtyrate.vcpu.0.megabytes_per_second", 3),
  };
  CLEANUP_FREE char *got = to_json(f, sizeof f / sizeof *f);

  is_str(got,
         "{\"cpu\":{\"time\":1,\"cache_monitor\":[{\"name\":\"m0\",\"vcpus\":\"0-1\","
         "\"bank\":[{\"id\":0,\"bytes\":10},{\"id\":1,\"bytes\":20}]}]},"
         "\"perf\":{\"cmt\":true},"
         "\"dirtyrate\":{\"calc_status\":\"measured\",\"vcpu\":[{\"megabytes_per_second\":3}]}}",
         "arrays inside groups and items, sorted by number");
}

static void
test_odd_names(void)
{
  vk_stat_field f[] = { U("plain", 4), U("a.7", 5), U("x..y", 6) };
  CLEANUP_FREE char *got = to_json(f, sizeof f / sizeof *f);
  vk_stat_field none[1];
  CLEANUP_FREE char *empty = to_json(none, 0);

  is_str(got, "{\"plain\":4,\"a\":{\"7\":5},\"x\":{\"y\":6}}",
         "a name without group, a number last, an empty part");
  is_str(empty, "{}", "no fields: an empty object");
}

int
main(void)
{
  test_groups();
  test_nested();
  test_odd_names();
  return tap_done();
}
