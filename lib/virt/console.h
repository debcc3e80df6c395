/* vkit — a domain's serial console through a libvirt stream. */
#ifndef VK_VIRT_CONSOLE_H
#define VK_VIRT_CONSOLE_H

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

/* The escape character that ends an interactive session: Ctrl-]. */
#define VK_CONSOLE_ESCAPE 0x1d

typedef struct vk_console_opts {
  const char *device;   /* console or serial alias; NULL: the first console */
  int in_fd;            /* keyboard input to forward, or -1 for none */
  int out_fd;           /* where console output goes */
  int timeout_ms;       /* end after this long; -1: no limit */
  bool force;           /* take the console over from another session */
  bool resume;          /* resume the (paused) domain once attached */
} vk_console_opts;

/* How a console session ended. */
typedef enum {
  VK_CONSOLE_CLOSED,    /* the stream ended: the domain stopped */
  VK_CONSOLE_ESCAPED,   /* the escape character was typed */
  VK_CONSOLE_TIMEOUT,   /* timeout_ms elapsed */
} vk_console_end;

/* Attach to the console of running `dom` and copy its output to out_fd
 * (and in_fd to it) until one of vk_console_end happens, stored in *end.
 * Returns false with *errp set (BUSY when the domain is not running or
 * another session holds the console). */
bool vk_console_run(virDomainPtr dom, const vk_console_opts *o, vk_console_end *end,
                    vk_error **errp);

#endif
