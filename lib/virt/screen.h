/* vkit — a running guest's screen and keyboard: a screenshot written to
 * a file (vctl screenshot), keys pressed on its keyboard (vctl send-key).
 */
#ifndef VK_VIRT_SCREEN_H
#define VK_VIRT_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

/* Write a screenshot of screen `screen` of `dom` to `path`, or, when
 * `path` is NULL, to NAME-YYYY-MM-DD-HH:MM:SS.EXT in the current
 * directory (.png or .ppm by the type the hypervisor gives).  The image is
 * written to a temporary file next to the target and renamed into place:
 * an existing file is VK_EXIT_BUSY unless `overwrite`, a missing
 * directory VK_EXIT_NOTFOUND; a failure leaves no file.  *written gets
 * the path (a new string), *mime the type ("image/png"). */
bool vk_domain_screenshot(virDomainPtr dom, unsigned screen, const char *path, bool overwrite,
                          char **written, char **mime, vk_error **errp);

/* The keycode set named `name` (linux, xt, atset1, atset2, atset3, os_x,
 * xt_kbd, usb, win32, qnum, rfb; case does not matter) into *set; false
 * with *errp set (USAGE) otherwise. */
bool vk_keycode_set_parse(const char *name, unsigned *set, vk_error **errp);

/* A key of set `set`: a number (decimal, 0x hex or 0 octal, at most
 * 0xffff), or for the linux set a name as in <linux/input-event-codes.h>
 * (KEY_ENTER; "KEY_" and case may be left out: enter).  False with *errp
 * set (USAGE) when it is neither. */
bool vk_keycode_parse(unsigned set, const char *key, unsigned *code, vk_error **errp);

/* Press the n keys (at most VIR_DOMAIN_SEND_KEY_MAX_KEYS) together for
 * `holdtime` ms (0: the hypervisor's default), then release them. */
bool vk_domain_send_key(virDomainPtr dom, unsigned set, unsigned holdtime, const unsigned *codes,
                        size_t n, vk_error **errp);

#endif
