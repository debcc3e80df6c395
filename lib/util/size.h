/* vkit — sizes as users type them and as vkit prints them.
 *
 * Accepted: a decimal number, optionally with a fraction, optionally
 * followed by a unit: B, K, M, G, T, P, E (case-insensitive, powers of
 * 1024), or KiB, MiB, GiB, TiB, PiB, EiB.  "KB", "GB", ... are refused as
 * ambiguous (1000 or 1024?).  The result must be a whole number of bytes
 * no larger than INT64_MAX.  Empty strings, signs, garbage, overflow and
 * fractions of a byte are usage errors (VK_EXIT_USAGE).
 */
#ifndef VK_UTIL_SIZE_H
#define VK_UTIL_SIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* Parse `s` into *out.  `default_unit` is the multiplier for a number
 * without a unit (1 for bytes; 1024*1024 for "MiB by default"). */
bool vk_parse_size_unit(const char *s, uint64_t default_unit, uint64_t *out,
                        vk_error **errp);

/* Same with bytes as the default unit. */
bool vk_parse_size(const char *s, uint64_t *out, vk_error **errp);

/* A duration as the --wait options take it: a non-negative number of
 * seconds, a fraction allowed, optionally with a unit: ms, s, m (or min),
 * h ("90", "1.5", "90s", "10m", "1h").  *ms receives milliseconds (at
 * most INT_MAX).  Anything else is VK_EXIT_USAGE, the message naming
 * --opt. */
bool vk_parse_duration(const char *opt, const char *s, int *ms, vk_error **errp);

/* v rounded up to a multiple of a (a > 0), and the quotient rounded up. */
static inline uint64_t
vk_round_up(uint64_t v, uint64_t a)
{
  return (v + a - 1) / a * a;
}

static inline uint64_t
vk_div_up(uint64_t v, uint64_t a)
{
  return (v + a - 1) / a;
}

#define VK_SIZE_BUFLEN 64

/* Human form: "512 B", "64 KiB", "1.5 GiB" (at most two decimals, trailing
 * zeros dropped, the largest unit that keeps the number >= 1).
 * Writes into buf (VK_SIZE_BUFLEN bytes) and returns it. */
char *vk_format_size(uint64_t bytes, char *buf);

#endif
