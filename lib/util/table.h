/* vkit — text tables aligned like virsh's: a leading space, columns
 * separated by three spaces, a dashed rule under the header. */
#ifndef VK_UTIL_TABLE_H
#define VK_UTIL_TABLE_H

#include <stdbool.h>
#include <stdio.h>

typedef struct vk_table vk_table;

/* A table with `ncols` columns whose header cells are given (copied).
 * Returns NULL when out of memory.  Free with vk_table_free(). */
vk_table *vk_table_new(size_t ncols, const char *const *header);

/* Append a row of ncols cells (copied; NULL prints "-").  Returns false
 * when out of memory or when t is NULL; the table remembers the failure,
 * so a caller may add all its rows and check once, at vk_table_print(). */
bool vk_table_add(vk_table *t, const char *const *cells);

/* Print header, rule and rows on f.  Returns false, printing nothing,
 * when t is NULL or a row could not be added. */
bool vk_table_print(const vk_table *t, FILE *f);

/* Free t (NULL is allowed). */
void vk_table_free(vk_table *t);

#endif
