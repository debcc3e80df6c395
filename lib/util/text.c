/* vkit — small text helpers (see text.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

bool
vk_parse_bool(const char *s, bool *out)
{
  static const char *const yes[] = { "on", "yes", "true" }, *const no[] = { "off", "no", "false" };

  for (size_t i = 0; i < 3; i++) {
    if (strcmp(s, yes[i]) == 0) {
      *out = true;
      return true;
    }
    if (strcmp(s, no[i]) == 0) {
      *out = false;
      return true;
    }
  }
  return false;
}

void
vk_strv_free(char **v)
{
  if (!v)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}

void
vk_cleanup_strv(char ***v)
{
  vk_strv_free(*v);
}

char *
vk_read_file(const char *path, vk_error **errp)
{
  return vk_read_file_max(path, SIZE_MAX, NULL, errp);
}

char *
vk_read_file_max(const char *path, size_t max, size_t *lenp, vk_error **errp)
{
  bool is_stdin = strcmp(path, "-") == 0;
  FILE *f = is_stdin ? stdin : fopen(path, "re");
  char *buf = NULL;
  size_t len = 0, cap = 0;

  if (!f) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot open '%s'", path);
    return NULL;
  }
  for (;;) {
    size_t n;
    if (cap - len < 4096) {
      char *b = realloc(buf, cap ? cap * 2 : 16384);
      if (!b) {
        free(buf);
        if (!is_stdin)
          fclose(f);
        vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot read '%s'", path);
        return NULL;
      }
      buf = b;
      cap = cap ? cap * 2 : 16384;
    }
    n = fread(buf + len, 1, cap - len - 1, f);
    len += n;
    if (n == 0)
      break;
    if (len > max) {
      free(buf);
      if (!is_stdin)
        fclose(f);
      vk_error_set(errp, VK_EXIT_USAGE, "'%s' is larger than %zu bytes", path, max);
      return NULL;
    }
  }
  if (ferror(f)) {
    int e = errno;
    free(buf);
    if (!is_stdin)
      fclose(f);
    vk_error_set_errno(errp, VK_EXIT_FAILED, e, "cannot read '%s'", is_stdin ? "standard input" : path);
    return NULL;
  }
  if (!is_stdin)
    fclose(f);
  buf[len] = '\0';
  if (lenp)
    *lenp = len;
  return buf;
}

void
vk_subopts_free(vk_subopts *so)
{
  free(so->items);
  free(so->buf);
}

bool
vk_subopts_parse(const char *opt, const char *s, vk_subopts *so, vk_error **errp)
{
  size_t len = strlen(s), cap = 1;
  char *w;

  memset(so, 0, sizeof *so);
  for (const char *p = s; *p; p++)
    if (*p == ',')
      cap++;
  so->buf = malloc(len + 1);
  so->items = calloc(cap, sizeof *so->items);
  if (!so->buf || !so->items)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  w = so->buf;
  so->items[0].key = w;
  so->n = 1;
  for (const char *p = s; *p; p++) {
    if (*p == ',' && p[1] == ',') {
      *w++ = ',';
      p++;
    } else if (*p == ',') {
      *w++ = '\0';
      so->items[so->n++].key = w;
    } else {
      *w++ = *p;
    }
  }
  *w = '\0';
  for (size_t i = 0; i < so->n; i++) {
    char *eq = strchr(so->items[i].key, '=');
    if (eq) {
      *eq = '\0';
      so->items[i].value = eq + 1;
    }
    if (!*so->items[i].key)
      return vk_error_set(errp, VK_EXIT_USAGE, "--%s: empty item in '%s'", opt, s);
  }
  return true;
}

bool
vk_strset(char **dst, const char *s, vk_error **errp)
{
  char *c = strdup(s);

  if (!c)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  free(*dst);
  *dst = c;
  return true;
}

char *
vk_ini_get(const char *text, const char *section, const char *key)
{
  size_t slen = strlen(section), klen = strlen(key);
  bool in_section = false;

  for (const char *line = text; line && *line;
       line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
      n--;
    if (n && line[0] == '[') {
      in_section = n == slen + 2 && line[n - 1] == ']' && !strncmp(line + 1, section, slen);
      continue;
    }
    if (in_section && n > klen && !strncmp(line, key, klen)) {
      const char *p = line + klen;
      while (p < line + n && *p == ' ')
        p++;
      if (p < line + n && *p == '=') {
        p++;
        while (p < line + n && *p == ' ')
          p++;
        return p < line + n ? strndup(p, (size_t)(line + n - p)) : NULL;
      }
    }
  }
  return NULL;
}
