/* vkit — streaming JSON writer. */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"



vk_json *
vk_json_init(vk_json *j, FILE *out)
{
  memset(j, 0, sizeof *j);
  j->out = out;
  return j;
}

void
vk_json_set_compact(vk_json *j, bool compact)
{
  j->compact = compact;
}

static void
newline_indent(vk_json *j)
{
  if (j->compact)
    return;
  fputc('\n', j->out);
  for (int i = 0; i < j->depth; i++)
    fputs("  ", j->out);
}

/* Called before every value or key. */
static void
before_item(vk_json *j)
{
  if (j->after_key) {
    j->after_key = false;
    return;
  }
  if (j->depth > 0) {
    if (j->count[j->depth]++ > 0)
      fputc(',', j->out);
    newline_indent(j);
  }
}

static void
after_value(vk_json *j)
{
  if (j->depth == 0) {
    fputc('\n', j->out);
    j->done = true;
  }
}

static void
open_container(vk_json *j, char kind)
{
  before_item(j);
  fputc(kind, j->out);
  if (j->depth < VK_JSON_MAX_DEPTH)
    j->depth++;
  j->count[j->depth] = 0;
  j->kind[j->depth] = kind;
}

static void
close_container(vk_json *j, char kind)
{
  bool empty = j->count[j->depth] == 0;
  if (j->depth > 0)
    j->depth--;
  if (!empty)
    newline_indent(j);
  fputc(kind, j->out);
  after_value(j);
}

void vk_json_begin_object(vk_json *j) { open_container(j, '{'); }
void vk_json_end_object(vk_json *j) { close_container(j, '}'); }
void vk_json_begin_array(vk_json *j) { open_container(j, '['); }
void vk_json_end_array(vk_json *j) { close_container(j, ']'); }

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
  size_t len;
  uint32_t cp;

  if (s[0] < 0x80)
    return 1;
  if ((s[0] & 0xe0) == 0xc0) { len = 2; cp = s[0] & 0x1f; }
  else if ((s[0] & 0xf0) == 0xe0) { len = 3; cp = s[0] & 0x0f; }
  else if ((s[0] & 0xf8) == 0xf0) { len = 4; cp = s[0] & 0x07; }
  else return 0;
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

static void
write_escaped(FILE *out, const char *str, size_t n)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;

  fputc('"', out);
  while (i < n) {
    unsigned char c = s[i];
    switch (c) {
    case '"': fputs("\\\"", out); i++; continue;
    case '\\': fputs("\\\\", out); i++; continue;
    case '\b': fputs("\\b", out); i++; continue;
    case '\f': fputs("\\f", out); i++; continue;
    case '\n': fputs("\\n", out); i++; continue;
    case '\r': fputs("\\r", out); i++; continue;
    case '\t': fputs("\\t", out); i++; continue;
    default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      fprintf(out, "\\u%04x", c);
      i++;
    } else {
      size_t len = utf8_len(s + i, n - i);
      if (len == 0) {
        fputs("\\ufffd", out);
        i++;
      } else {
        fwrite(s + i, 1, len, out);
        i += len;
      }
    }
  }
  fputc('"', out);
}

void
vk_json_key(vk_json *j, const char *key)
{
  before_item(j);
  write_escaped(j->out, key, strlen(key));
  fputs(j->compact ? ":" : ": ", j->out);
  j->after_key = true;
}

void
vk_json_string_len(vk_json *j, const char *s, size_t len)
{
  before_item(j);
  write_escaped(j->out, s, len);
  after_value(j);
}

void
vk_json_string(vk_json *j, const char *s)
{
  if (!s) {
    vk_json_null(j);
    return;
  }
  vk_json_string_len(j, s, strlen(s));
}

void
vk_json_int(vk_json *j, int64_t v)
{
  before_item(j);
  fprintf(j->out, "%" PRId64, v);
  after_value(j);
}

void
vk_json_uint(vk_json *j, uint64_t v)
{
  before_item(j);
  fprintf(j->out, "%" PRIu64, v);
  after_value(j);
}

void
vk_json_double(vk_json *j, double v)
{
  before_item(j);
  if (isfinite(v)) {
    /* the shortest form that reads back as the same double */
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(buf, sizeof buf, "%.*g", prec, v);
      if (strtod(buf, NULL) == v)
        break;
    }
    fputs(buf, j->out);
  } else {
    fputs("null", j->out);
  }
  after_value(j);
}

void
vk_json_bool(vk_json *j, bool v)
{
  before_item(j);
  fputs(v ? "true" : "false", j->out);
  after_value(j);
}

void
vk_json_null(vk_json *j)
{
  before_item(j);
  fputs("null", j->out);
  after_value(j);
}

void vk_json_kv_string(vk_json *j, const char *k, const char *s) { vk_json_key(j, k); vk_json_string(j, s); }
void vk_json_kv_int(vk_json *j, const char *k, int64_t v) { vk_json_key(j, k); vk_json_int(j, v); }
void vk_json_kv_uint(vk_json *j, const char *k, uint64_t v) { vk_json_key(j, k); vk_json_uint(j, v); }
void vk_json_kv_double(vk_json *j, const char *k, double v) { vk_json_key(j, k); vk_json_double(j, v); }
void vk_json_kv_bool(vk_json *j, const char *k, bool v) { vk_json_key(j, k); vk_json_bool(j, v); }
void vk_json_kv_null(vk_json *j, const char *k) { vk_json_key(j, k); vk_json_null(j); }

bool
vk_json_complete(const vk_json *j)
{
  return j->done && j->depth == 0 && !j->after_key;
}

void
vk_json_kv_uint_or_null(vk_json *j, const char *key, bool known, uint64_t v)
{
  if (known)
    vk_json_kv_uint(j, key, v);
  else
    vk_json_kv_null(j, key);
}
