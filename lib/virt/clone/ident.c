/* vkit — the clone's identity: name, disk paths, MAC addresses, UUID. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt/clone/clone.h"
#include "util/random.h"
#include "virt/clone/internal.h"

char *
vk_clone_auto_name(const char *orig, bool (*taken)(void *opaque, const char *name),
                   void *opaque)
{
  size_t len = strlen(orig), base_len = len;
  unsigned long start = 1;
  bool force_num = false;
  const char *p;
  char *s = NULL;

  /* "X-clone" and "X-clone3" go on as "X-clone1" and "X-clone4", not
   * "X-clone-clone". */
  p = orig + len;
  while (p > orig && p[-1] >= '1' && p[-1] <= '9')
    p--;
  if ((size_t)(p - orig) >= 6 && strncmp(p - 6, "-clone", 6) == 0) {
    force_num = true;
    if (*p)
      start = strtoul(p, NULL, 10) + 1;
    base_len = (size_t)(p - 6 - orig);
  }
  if (!force_num) {
    if (asprintf(&s, "%.*s-clone", (int)base_len, orig) < 0)
      return NULL;
    if (!taken(opaque, s))
      return s;
    free(s);
  }
  for (unsigned long i = start; i < start + 100000; i++) {
    if (asprintf(&s, "%.*s-clone%lu", (int)base_len, orig, i) < 0)
      return NULL;
    if (!taken(opaque, s))
      return s;
    free(s);
  }
  return NULL;
}

char *
vk_clone_disk_path(const char *path, const char *orig, const char *name,
                   bool (*taken)(void *opaque, const char *path), void *opaque)
{
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  const char *dot = strrchr(base, '.');
  size_t dirlen = (size_t)(base - path), baselen;
  const char *ext = "";
  char *stem = NULL, *s = NULL;

  /* An extension of at most 7 characters is kept: disk.qcow2 ->
   * disk-clone.qcow2; a longer one is part of the name. */
  if (dot && dot != base && strlen(dot + 1) <= 7)
    ext = dot;
  baselen = strlen(base) - strlen(ext);
  if (orig && strlen(orig) == baselen && strncmp(base, orig, baselen) == 0) {
    if (asprintf(&stem, "%.*s%s", (int)dirlen, path, name) < 0)
      return NULL;
  } else if (asprintf(&stem, "%.*s-clone", (int)(dirlen + baselen), path) < 0) {
    return NULL;
  }
  for (long i = 0; i < 100000; i++) {
    int r = i == 0 ? asprintf(&s, "%s%s", stem, ext) : asprintf(&s, "%s-%ld%s", stem, i, ext);
    if (r < 0) {
      s = NULL;
      break;
    }
    if (!taken(opaque, s))
      break;
    free(s);
    s = NULL;
  }
  free(stem);
  return s;
}

bool
vk_clone_mac_valid(const char *mac)
{
  unsigned first;

  if (strlen(mac) != 17)
    return false;
  for (int i = 0; i < 17; i++) {
    if (i % 3 == 2) {
      if (mac[i] != ':')
        return false;
    } else if (!isxdigit((unsigned char)mac[i])) {
      return false;
    }
  }
  if (sscanf(mac, "%2x", &first) != 1)
    return false;
  return (first & 1) == 0;     /* a multicast address cannot be a NIC's */
}

bool
vk_clone_uuid_parse(const char *s, char out[VIR_UUID_STRING_BUFLEN])
{
  char hex[33];
  size_t n = 0;

  for (const char *p = s; *p; p++) {
    if (*p == '-') {
      long pos = p - s;
      if (strlen(s) != 36 || (pos != 8 && pos != 13 && pos != 18 && pos != 23))
        return false;
      continue;
    }
    if (!isxdigit((unsigned char)*p) || n == 32)
      return false;
    hex[n++] = (char)tolower((unsigned char)*p);
  }
  if (n != 32 || (strlen(s) != 32 && strlen(s) != 36))
    return false;
  hex[32] = '\0';
  snprintf(out, VIR_UUID_STRING_BUFLEN, "%.8s-%.4s-%.4s-%.4s-%.12s",
           hex, hex + 8, hex + 12, hex + 16, hex + 20);
  return true;
}

bool
vk_clone_random_uuid(char out[VIR_UUID_STRING_BUFLEN], vk_error **errp)
{
  unsigned char u[16];

  if (!vk_random_bytes(u, sizeof u, errp))
    return false;
  u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);   /* version 4 */
  u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
  snprintf(out, VIR_UUID_STRING_BUFLEN,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
           u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
           u[11], u[12], u[13], u[14], u[15]);
  return true;
}

bool
vk_clone_random_mac(char out[VK_CLONE_MAC_BUFLEN], vk_error **errp)
{
  unsigned char b[3];

  if (!vk_random_bytes(b, sizeof b, errp))
    return false;
  snprintf(out, VK_CLONE_MAC_BUFLEN, "52:54:00:%02x:%02x:%02x", b[0], b[1], b[2]);
  return true;
}
