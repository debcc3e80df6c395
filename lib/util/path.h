/* vkit — file names: made absolute, or canonical (one spelling for one
 * file, so that two names of the same file compare equal), their
 * directory, whether two name one file; and writing all of a buffer to a
 * file. */
#ifndef VK_UTIL_PATH_H
#define VK_UTIL_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* `path` with the working directory in front when it is relative (not
 * resolved further).  A new string, or NULL when out of memory. */
char *vk_path_absolute(const char *path);

/* The canonical name of `path`: symbolic links, "." and ".." resolved
 * (realpath), or, for a file that does not exist yet, its directory
 * resolved and its name appended; absolute when nothing resolves.  A new
 * string, or NULL when out of memory. */
char *vk_path_canonical(const char *path);

/* The directory part of `path`: "." when it has none, "/" for a file in
 * the root.  A new string, or NULL when out of memory. */
char *vk_path_dir(const char *path);

/* Whether names a and b are one existing file (the same device and
 * inode), so that a tool does not open one file twice as two. */
bool vk_path_same_file(const char *a, const char *b);
/* The same for two open descriptors. */
bool vk_fd_same_file(int a, int b);

/* Write all n bytes at p to fd (again after EINTR and short writes);
 * false with errno set on an error. */
bool vk_write_all(int fd, const void *p, size_t n);

#endif
