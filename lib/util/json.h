/* vkit — a small streaming JSON writer.
 *
 * The writer tracks nesting and inserts commas and indentation itself;
 * callers only say what comes next.  Output is pretty-printed with two
 * spaces per level and ends with a newline after the outermost value.
 * Strings are escaped fully (quotes, backslash, control characters as
 * \uXXXX; invalid UTF-8 bytes become U+FFFD).
 *
 *   vk_json *j = vk_json_new(stdout);
 *   vk_json_begin_object(j);
 *   vk_json_key(j, "name"); vk_json_string(j, "vm1");
 *   vk_json_kv_int(j, "memory", 1073741824);
 *   vk_json_end_object(j);
 *   vk_json_free(j);
 */
#ifndef VK_UTIL_JSON_H
#define VK_UTIL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct vk_json vk_json;

/* A writer on `out` (not owned).  Returns NULL only when out of memory. */
vk_json *vk_json_new(FILE *out);
/* Frees the writer (not the stream). */
void vk_json_free(vk_json *j);
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

/* True when every container opened was closed and a value was written. */
bool vk_json_complete(const vk_json *j);

#endif
