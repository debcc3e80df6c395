/* vkit — size parsing and printing. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "size.h"

static const char units[] = "BKMGTPE";

static int
unit_shift(char c)
{
  const char *p = strchr(units, toupper((unsigned char)c));
  return p && c ? (int)(p - units) * 10 : -1;
}

bool
vk_parse_size_unit(const char *s, uint64_t default_unit, uint64_t *out,
                   vk_error **errp)
{
  const char *p = s;
  unsigned __int128 whole = 0, frac_num = 0, frac_den = 1, mult, total;
  bool digits = false;

  if (!s || !*s)
    return vk_error_set(errp, VK_EXIT_USAGE, "empty size");
  if (*p == '-')
    return vk_error_set(errp, VK_EXIT_USAGE, "invalid size '%s': negative", s);
  while (isdigit((unsigned char)*p)) {
    whole = whole * 10 + (unsigned)(*p - '0');
    if (whole > INT64_MAX)
      return vk_error_set(errp, VK_EXIT_USAGE, "invalid size '%s': too large", s);
    digits = true;
    p++;
  }
  if (*p == '.') {
    p++;
    while (isdigit((unsigned char)*p)) {
      if (frac_den < 1000000000000000000ULL) {
        frac_num = frac_num * 10 + (unsigned)(*p - '0');
        frac_den *= 10;
      }
      digits = true;
      p++;
    }
  }
  if (!digits)
    return vk_error_set(errp, VK_EXIT_USAGE, "invalid size '%s'", s);

  if (*p == ' ' && p[1] != '\0')
    p++;
  if (*p == '\0') {
    mult = default_unit;
  } else {
    int shift = unit_shift(*p);
    if (shift < 0)
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "invalid size '%s': unknown unit '%s'", s, p);
    mult = (unsigned __int128)1 << shift;
    p++;
    if (shift > 0 && (strcmp(p, "iB") == 0 || strcmp(p, "ib") == 0))
      p += 2;
    else if (shift > 0 && (*p == 'B' || *p == 'b') && p[1] == '\0')
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "invalid size '%s': ambiguous unit, write %c or %ciB",
                          s, toupper((unsigned char)p[-1]),
                          toupper((unsigned char)p[-1]));
    if (*p != '\0')
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "invalid size '%s': unknown unit", s);
  }

  total = whole * mult;
  if (total > INT64_MAX)
    return vk_error_set(errp, VK_EXIT_USAGE, "invalid size '%s': too large", s);
  if (frac_num) {
    unsigned __int128 f = frac_num * mult;
    if (f % frac_den)
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "invalid size '%s': not a whole number of bytes", s);
    total += f / frac_den;
    if (total > INT64_MAX)
      return vk_error_set(errp, VK_EXIT_USAGE, "invalid size '%s': too large", s);
  }
  *out = (uint64_t)total;
  return true;
}

bool
vk_parse_size(const char *s, uint64_t *out, vk_error **errp)
{
  return vk_parse_size_unit(s, 1, out, errp);
}

char *
vk_format_size(uint64_t bytes, char *buf)
{
  static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  int i = 0;
  uint64_t scaled, rem, cents;

  while (i < 6 && bytes >> (10 * (i + 1)))
    i++;
  if (i == 0) {
    snprintf(buf, VK_SIZE_BUFLEN, "%" PRIu64 " B", bytes);
    return buf;
  }
  scaled = bytes >> (10 * i);
  rem = bytes - (scaled << (10 * i));
  /* two decimals, rounded to nearest */
  cents = (uint64_t)(((unsigned __int128)rem * 100 + ((uint64_t)1 << (10 * i - 1))) >> (10 * i));
  if (cents == 100) {
    scaled++;
    cents = 0;
  }
  if (cents == 0)
    snprintf(buf, VK_SIZE_BUFLEN, "%" PRIu64 " %s", scaled, names[i]);
  else if (cents % 10 == 0)
    snprintf(buf, VK_SIZE_BUFLEN, "%" PRIu64 ".%" PRIu64 " %s", scaled, cents / 10, names[i]);
  else
    snprintf(buf, VK_SIZE_BUFLEN, "%" PRIu64 ".%02" PRIu64 " %s", scaled, cents, names[i]);
  return buf;
}

bool
vk_parse_duration(const char *opt, const char *s, int *ms, vk_error **errp)
{
  static const struct {
    const char *unit;
    double ms;
  } per_unit[] = { { "", 1000 },   { "s", 1000 },    { "ms", 1 },
                   { "m", 60000 }, { "min", 60000 }, { "h", 3600000 } };
  char *end;
  double v;

  errno = 0;
  if (!s || !(isdigit((unsigned char)*s) || *s == '.'))
    return vk_error_set(errp, VK_EXIT_USAGE, "--%s: '%s' is not a duration (90, 90s, 10m, 1h)", opt,
                        s ? s : "");
  v = strtod(s, &end);
  if (errno || end == s || !(v >= 0))
    return vk_error_set(errp, VK_EXIT_USAGE, "--%s: '%s' is not a duration (90, 90s, 10m, 1h)", opt,
                        s);
  for (size_t i = 0; i < sizeof per_unit / sizeof per_unit[0]; i++)
    if (strcmp(end, per_unit[i].unit) == 0) {
      v *= per_unit[i].ms;
      if (v > INT_MAX)
        return vk_error_set(errp, VK_EXIT_USAGE, "--%s: '%s' is too long", opt, s);
      *ms = (int)v;
      return true;
    }
  return vk_error_set(errp, VK_EXIT_USAGE, "--%s: '%s' is not a duration (90, 90s, 10m, 1h)", opt,
                      s);
}
