/* Unit tests for lib/util/size. */
#include <config.h>

#include <stdlib.h>

#include "tap.h"
#include "util/size.h"

static void
good(const char *s, uint64_t want)
{
  uint64_t v = 0;
  vk_error *err = NULL;
  bool r = vk_parse_size(s, &v, &err);
  if (!ok(r && v == want, "parse '%s' = %" PRIu64, s, want))
    printf("#   got %" PRIu64 " (%s)\n", v, err ? err->msg : "no error");
  vk_error_free(err);
}

static void
bad(const char *s, const char *why)
{
  uint64_t v = 12345;
  vk_error *err = NULL;
  bool r = vk_parse_size(s, &v, &err);
  ok(!r && err && err->code == VK_EXIT_USAGE && v == 12345,
     "reject '%s' (%s): %s", s, why, err ? err->msg : "accepted");
  vk_error_free(err);
}

static void
fmt(uint64_t n, const char *want)
{
  char buf[VK_SIZE_BUFLEN];
  char name[64];
  snprintf(name, sizeof name, "format %" PRIu64, n);
  is_str(vk_format_size(n, buf), want, name);
}

int
main(void)
{
  good("512", 512);
  good("0", 0);
  good("10K", 10240);
  good("10k", 10240);
  good("64k", 65536);
  good("20G", 20ULL << 30);
  good("1.5T", 3ULL << 39);
  good("4KiB", 4096);
  good("20GiB", 20ULL << 30);
  good("20gib", 20ULL << 30);
  good("1M", 1 << 20);
  good("2 MiB", 2 << 20);
  good("100B", 100);
  good("0.5K", 512);
  good("7E", 7ULL << 60);
  good("9223372036854775807", 9223372036854775807ULL);
  bad("", "empty");
  bad("-1", "negative");
  bad("-5G", "negative with unit");
  bad("abc", "garbage");
  bad("12abc", "trailing garbage");
  bad("10GB", "ambiguous unit");
  bad("10X", "unknown unit");
  bad("1.3", "fraction of a byte");
  bad("0.1K", "fraction of a byte after scaling");
  bad("9223372036854775808", "above INT64_MAX");
  bad("99999999999999999999999", "overflow in digits");
  bad("16777216T", "overflow after scaling");
  bad(".", "no digits");
  bad("K", "unit only");
  bad("+5", "sign");
  bad(" 5", "leading space");
  bad("5 ", "trailing space");
  bad("1e9", "exponent");
  bad("10Ki", "incomplete unit");

  {
    uint64_t v = 0;
    vk_error *err = NULL;
    ok(vk_parse_size_unit("2048", 1 << 20, &v, &err) && v == 2048ULL << 20,
       "default unit MiB applies to a bare number");
    ok(vk_parse_size_unit("2G", 1 << 20, &v, &err) && v == 2ULL << 30,
       "explicit unit overrides the default unit");
    vk_error_free(err);
  }

  fmt(0, "0 B");
  fmt(512, "512 B");
  fmt(1023, "1023 B");
  fmt(1024, "1 KiB");
  fmt(196624, "192.02 KiB");
  fmt(1536, "1.5 KiB");
  fmt(1ULL << 30, "1 GiB");
  fmt(3ULL << 39, "1.5 TiB");
  fmt(20ULL << 30, "20 GiB");
  fmt(UINT64_MAX, "16 EiB");
  return tap_done();
}
