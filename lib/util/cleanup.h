/* vkit — cleanup attributes, so every early return is leak-free.
 *
 *   CLEANUP_FREE char *s = strdup(x);     free(s) at scope exit
 *   CLEANUP_CLOSE int fd = open(...);     close(fd) if fd >= 0
 *   CLEANUP_FCLOSE FILE *f = fopen(...);  fclose(f) if non-NULL
 *   CLEANUP_ERROR vk_error *err = NULL;   vk_error_free(err)
 *
 * To hand ownership out of the scope, use VK_STEAL(ptr) (returns the value
 * and sets the variable to NULL) or VK_STEAL_FD(fd).
 */
#ifndef VK_UTIL_CLEANUP_H
#define VK_UTIL_CLEANUP_H

#include <stdio.h>

void vk_cleanup_free(void *ptr);
void vk_cleanup_close(int *fd);
void vk_cleanup_fclose(FILE **fp);
void vk_cleanup_error(void *errp);

#define CLEANUP_FREE __attribute__((cleanup(vk_cleanup_free)))
#define CLEANUP_CLOSE __attribute__((cleanup(vk_cleanup_close)))
#define CLEANUP_FCLOSE __attribute__((cleanup(vk_cleanup_fclose)))
#define CLEANUP_ERROR __attribute__((cleanup(vk_cleanup_error)))

#define VK_STEAL(p) ({ __typeof__(p) vk_stolen_ = (p); (p) = NULL; vk_stolen_; })
#define VK_STEAL_FD(fd) ({ int vk_stolen_ = (fd); (fd) = -1; vk_stolen_; })

#endif
