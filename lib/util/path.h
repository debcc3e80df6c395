/* vkit — file names: made absolute, or canonical (one spelling for one
 * file, so that two names of the same file compare equal). */
#ifndef VK_UTIL_PATH_H
#define VK_UTIL_PATH_H

/* `path` with the working directory in front when it is relative (not
 * resolved further).  A new string, or NULL when out of memory. */
char *vk_path_absolute(const char *path);

/* The canonical name of `path`: symbolic links, "." and ".." resolved
 * (realpath), or, for a file that does not exist yet, its directory
 * resolved and its name appended; absolute when nothing resolves.  A new
 * string, or NULL when out of memory. */
char *vk_path_canonical(const char *path);

#endif
