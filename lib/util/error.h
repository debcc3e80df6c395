/* vkit — error objects and the exit-status table shared by every tool.
 *
 * Library functions report failure by returning false / NULL / -1 and, when
 * the caller passed a non-NULL `vk_error **errp` (always the last argument),
 * storing a newly allocated vk_error there.  The caller owns it and releases
 * it with vk_error_free().  Library code never prints and never exits.
 */
#ifndef VK_UTIL_ERROR_H
#define VK_UTIL_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

/* Exit statuses: the same table is in every man page (vkit(7)). */
enum vk_exit {
  VK_EXIT_OK = 0,        /* success */
  VK_EXIT_FAILED = 1,    /* operation failed */
  VK_EXIT_USAGE = 2,     /* usage error: bad option, size, name, ... */
  VK_EXIT_NOTFOUND = 3,  /* object not found: file, domain, network */
  VK_EXIT_TIMEOUT = 4,   /* a wait expired */
  VK_EXIT_BUSY = 5,      /* busy or locked, or in the wrong state */
  VK_EXIT_CONNECT = 6,   /* cannot reach the hypervisor */
  VK_EXIT_CORRUPT = 7,   /* image corrupt */
  VK_EXIT_LEAKS = 8,     /* image has leaked clusters only */
};

typedef struct vk_error {
  int code;      /* one of enum vk_exit, never VK_EXIT_OK */
  int errnum;    /* saved errno, 0 if none */
  char *msg;     /* one line, no trailing newline */
} vk_error;

/* Store a new error in *errp (if errp is non-NULL and *errp is NULL; a
 * first error is never overwritten).  Always returns false so callers can
 * write `return vk_error_set(...)`. */
bool vk_error_set(vk_error **errp, int code, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
bool vk_error_setv(vk_error **errp, int code, const char *fmt, va_list ap)
  __attribute__((format(printf, 3, 0)));

/* Like vk_error_set(), appending ": strerror(errnum)" and saving errnum.
 * The exit code is derived from errnum: ENOENT -> NOTFOUND, EBUSY/EAGAIN
 * -> BUSY, otherwise `code`. */
bool vk_error_set_errno(vk_error **errp, int code, int errnum,
                        const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

/* Prefix the message of *errp (if any) with "prefix: ". */
void vk_error_prefix(vk_error **errp, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

/* Move *src into *dst (if dst is non-NULL and empty), else free it. */
void vk_error_propagate(vk_error **dst, vk_error *src);

void vk_error_free(vk_error *err);

/* Name of the exit status, for JSON and messages: "ok", "failed", ... */
const char *vk_exit_name(int code);

#endif
