/* vkit — small text helpers: yes/no words, string vectors, whole files. */
#ifndef VK_UTIL_TEXT_H
#define VK_UTIL_TEXT_H

#include <stdbool.h>

#include "util/error.h"

/* "on", "yes", "true" -> true; "off", "no", "false" -> false.  Returns
 * false for any other word (*out untouched); the caller says why. */
bool vk_parse_bool(const char *s, bool *out);

/* Free a NULL-terminated list of strings (NULL is a no-op). */
void vk_strv_free(char **v);
void vk_cleanup_strv(char ***v);
#define CLEANUP_STRV __attribute__((cleanup(vk_cleanup_strv)))

/* Read a whole file ("-": stdin) into a NUL-terminated string the caller
 * frees; NULL with *errp set (NOTFOUND for a missing file). */
char *vk_read_file(const char *path, vk_error **errp);

#endif
