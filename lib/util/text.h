/* vkit — small text helpers: yes/no words, string vectors, whole files. */
#ifndef VK_UTIL_TEXT_H
#define VK_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* "on", "yes", "true" -> true; "off", "no", "false" -> false.  Returns
 * false for any other word (*out untouched); the caller says why. */
bool vk_parse_bool(const char *s, bool *out);

/* Replace *dst (freed) with a copy of s; false with *errp set (out of
 * memory). */
bool vk_strset(char **dst, const char *s, vk_error **errp);

/* Free a NULL-terminated list of strings (NULL is a no-op). */
void vk_strv_free(char **v);
void vk_cleanup_strv(char ***v);
#define CLEANUP_STRV __attribute__((cleanup(vk_cleanup_strv)))

/* Read a whole file ("-": stdin) into a NUL-terminated string the caller
 * frees; NULL with *errp set (NOTFOUND for a missing file). */
char *vk_read_file(const char *path, vk_error **errp);

/* The same, refusing a file of more than `max` bytes (VK_EXIT_USAGE); the
 * length (the file may hold NUL bytes) goes to *len when len is non-NULL. */
char *vk_read_file_max(const char *path, size_t max, size_t *len, vk_error **errp);

/* The value of `key` in section [section] of an INI text (a .treeinfo),
 * blanks around '=' and at the end dropped, in a new string; NULL when
 * there is none. */
char *vk_ini_get(const char *text, const char *section, const char *key);

/* One "key=value" item of a sub-option list; value is NULL for "key". */
typedef struct vk_subopt {
  char *key;
  char *value;
} vk_subopt;

typedef struct vk_subopts {
  vk_subopt *items;
  size_t n;
  char *buf; /* the items point into this copy */
} vk_subopts;

/* Split "a=1,b,c=x,,y" into items (",," is a literal comma), as virsh and
 * virt-install read their option lists.  An empty item is VK_EXIT_USAGE,
 * with a message naming --opt.  Free with vk_subopts_free(), also after
 * a failure. */
bool vk_subopts_parse(const char *opt, const char *s, vk_subopts *so, vk_error **errp);
void vk_subopts_free(vk_subopts *so);
#define CLEANUP_SUBOPTS __attribute__((cleanup(vk_subopts_free)))

#endif
