/* vkit — a small streaming JSON writer.
 *
 * The writer tracks nesting and inserts commas and indentation itself;
 * callers only say what comes next.  Output is pretty-printed with two
 * spaces per level and ends with a newline after the outermost value.
 * Strings are escaped fully (quotes, backslash, control characters as
 * \uXXXX; invalid UTF-8 bytes become U+FFFD).
 *
 *   vk_json jw, *j = vk_json_init(&jw, stdout);
 *   vk_json_begin_object(j);
 *   vk_json_key(j, "name"); vk_json_string(j, "vm1");
 *   vk_json_kv_int(j, "memory", 1073741824);
 *   vk_json_end_object(j);
 *
 * The writer lives where the caller puts it (nothing is allocated, so
 * nothing can fail or leak); its fields are private.
 */
#ifndef VK_UTIL_JSON_H
#define VK_UTIL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VK_JSON_MAX_DEPTH 64

typedef struct vk_json {
  FILE *out;
  int depth;
  bool compact;
  bool after_key;                    /* a key was written, value comes next */
  bool done;                         /* outermost value finished */
  int count[VK_JSON_MAX_DEPTH + 1];  /* items written at each level */
  char kind[VK_JSON_MAX_DEPTH + 1];  /* '{' or '[' */
} vk_json;

/* Make *j a writer on `out` (not owned); returns j. */
vk_json *vk_json_init(vk_json *j, FILE *out);
/* Compact output (one line) instead of pretty-printed. */
void vk_json_set_compact(vk_json *j, bool compact);

void vk_json_begin_object(vk_json *j);
void vk_json_end_object(vk_json *j);
void vk_json_begin_array(vk_json *j);
void vk_json_end_array(vk_json *j);
void vk_json_key(vk_json *j, const char *key);
void vk_json_string(vk_json *j, const char *s);   /* NULL writes null */
void vk_json_string_len(vk_json *j, const char *s, size_t len);
void vk_json_int(vk_json *j, int64_t v);
void vk_json_uint(vk_json *j, uint64_t v);
void vk_json_double(vk_json *j, double v);
void vk_json_bool(vk_json *j, bool v);
void vk_json_null(vk_json *j);

/* Key and value in one call. */
void vk_json_kv_string(vk_json *j, const char *key, const char *s);
void vk_json_kv_int(vk_json *j, const char *key, int64_t v);
void vk_json_kv_uint(vk_json *j, const char *key, uint64_t v);
void vk_json_kv_double(vk_json *j, const char *key, double v);
void vk_json_kv_bool(vk_json *j, const char *key, bool v);
void vk_json_kv_null(vk_json *j, const char *key);
/* `key`: v when `known`, else null. */
void vk_json_kv_uint_or_null(vk_json *j, const char *key, bool known, uint64_t v);

/* True when every container opened was closed and a value was written. */
bool vk_json_complete(const vk_json *j);

#endif
