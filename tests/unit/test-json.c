/* Unit tests for lib/util/json. */
#include <config.h>

#include <stdlib.h>

#include "tap.h"
#include "util/json.h"

/* Run `build` against a memory stream and compare the text. */
#define CHECK(name, compact, want, ...) do {                    \
    char *buf = NULL; size_t len = 0;                           \
    FILE *f = open_memstream(&buf, &len);                       \
    vk_json j_w, *j = vk_json_init(&j_w, f);                    \
    vk_json_set_compact(j, compact);                            \
    __VA_ARGS__;                                                \
    bool complete = vk_json_complete(j);                        \
    fclose(f);                                                  \
    is_str(buf, want, name);                                    \
    ok(complete, "%s: complete", name);                         \
    free(buf);                                                  \
  } while (0)

int
main(void)
{
  CHECK("empty object", false, "{}\n",
        vk_json_begin_object(j); vk_json_end_object(j));
  CHECK("empty array", false, "[]\n",
        vk_json_begin_array(j); vk_json_end_array(j));
  CHECK("object with members", false,
        "{\n  \"a\": 1,\n  \"b\": \"x\",\n  \"c\": true,\n  \"d\": null\n}\n",
        vk_json_begin_object(j); vk_json_kv_int(j, "a", 1);
        vk_json_kv_string(j, "b", "x"); vk_json_kv_bool(j, "c", true);
        vk_json_kv_null(j, "d"); vk_json_end_object(j));
  CHECK("nested compact", true, "{\"l\":[1,[],{\"k\":false}],\"e\":{}}\n",
        vk_json_begin_object(j); vk_json_key(j, "l"); vk_json_begin_array(j);
        vk_json_int(j, 1); vk_json_begin_array(j); vk_json_end_array(j);
        vk_json_begin_object(j); vk_json_kv_bool(j, "k", false); vk_json_end_object(j);
        vk_json_end_array(j); vk_json_key(j, "e"); vk_json_begin_object(j);
        vk_json_end_object(j); vk_json_end_object(j));
  CHECK("64-bit integers", true, "[18446744073709551615,-9223372036854775808,9223372036854775807]\n",
        vk_json_begin_array(j); vk_json_uint(j, UINT64_MAX);
        vk_json_int(j, INT64_MIN); vk_json_int(j, INT64_MAX); vk_json_end_array(j));
  CHECK("escapes", true, "\"q\\\" b\\\\ n\\n t\\t r\\r \\u0001 \\u001f \\u007f /\"\n",
        vk_json_string(j, "q\" b\\ n\n t\t r\r \x01 \x1f \x7f /"));
  CHECK("utf-8 kept", true, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n",
        vk_json_string(j, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK("invalid utf-8 replaced", true, "\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\"\n",
        vk_json_string(j, "a\xff" "b\xc0\xaf" "c\xe2\x82"));
  CHECK("embedded NUL with explicit length", true, "\"a\\u0000b\"\n",
        vk_json_string_len(j, "a\0b", 3));
  CHECK("key escaping", true, "{\"<a\\\"b>\":\"v\"}\n",
        vk_json_begin_object(j); vk_json_kv_string(j, "<a\"b>", "v"); vk_json_end_object(j));
  CHECK("NULL string is null", true, "null\n", vk_json_string(j, NULL));
  CHECK("doubles", true, "[0.5,null,12.3,0.1,1e+300,-2.5,0.30000000000000004]\n",
        vk_json_begin_array(j); vk_json_double(j, 0.5); vk_json_double(j, 1.0 / 0.0);
        vk_json_double(j, 12.3); vk_json_double(j, 0.1); vk_json_double(j, 1e300);
        vk_json_double(j, -2.5); vk_json_double(j, 0.1 + 0.2); vk_json_end_array(j));

  {
    char *buf = NULL; size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    vk_json j_w, *j = vk_json_init(&j_w, f);
    vk_json_begin_object(j);
    vk_json_key(j, "x");
    ok(!vk_json_complete(j), "unfinished document is not complete");
    fclose(f);
    free(buf);
  }
  return tap_done();
}
