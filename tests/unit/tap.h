/* vkit — a few lines of TAP for the C unit tests (header only).
 *
 *   ok(cond, "name %d", i);   is_str(got, want, name);   is_u64(got, want, name);
 *   return tap_done();        prints the plan, returns 0 or 1
 */
#ifndef VK_TESTS_TAP_H
#define VK_TESTS_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline bool __attribute__((format(printf, 2, 3)))
ok(bool cond, const char *fmt, ...)
{
  va_list ap;
  printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  if (!cond)
    tap_failed++;
  fflush(stdout);
  return cond;
}

static inline bool
is_str(const char *got, const char *want, const char *name)
{
  bool same = got && want ? strcmp(got, want) == 0 : got == want;
  if (!ok(same, "%s", name))
    printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
  return same;
}

static inline bool
is_u64(uint64_t got, uint64_t want, const char *name)
{
  if (!ok(got == want, "%s", name))
    printf("#   got:  %" PRIu64 "\n#   want: %" PRIu64 "\n", got, want);
  return got == want;
}

static inline int
tap_done(void)
{
  printf("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}

#endif
