/* vkit — a guest's screen (screenshot) and keyboard (send-key). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/input-event-codes.h>

#include "util/cleanup.h"
#include "util/path.h"
#include "virt/conn.h"
#include "virt/screen.h"

/* ------------------------------------------------------------ screenshot */

typedef struct sink {
  int fd;
  int err;
} sink;

static int
write_all(virStreamPtr st, const char *data, size_t n, void *opaque)
{
  sink *s = opaque;

  (void)st;
  if (!vk_write_all(s->fd, data, n)) {
    s->err = errno;
    return -1;
  }
  return (int)n;
}

/* NAME-YYYY-MM-DD-HH:MM:SS.EXT, as virsh names it. */
static char *
default_name(virDomainPtr dom, const char *mime)
{
  time_t now = time(NULL);
  struct tm tm;
  char stamp[32] = "";
  const char *ext = strcmp(mime, "image/png") == 0                 ? ".png"
                    : strcmp(mime, "image/x-portable-pixmap") == 0 ? ".ppm"
                                                                   : "";
  char *s;

  if (localtime_r(&now, &tm))
    strftime(stamp, sizeof stamp, "%Y-%m-%d-%H:%M:%S", &tm);
  if (asprintf(&s, "%s-%s%s", virDomainGetName(dom), stamp, ext) < 0)
    return NULL;
  return s;
}

static bool
place(const char *tmp, const char *path, bool overwrite, vk_error **errp)
{
  if (overwrite) {
    if (rename(tmp, path) == 0)
      return true;
  } else if (link(tmp, path) == 0) {
    unlink(tmp);
    return true;
  } else if (errno == EEXIST) {
    return vk_error_set(errp, VK_EXIT_BUSY, "'%s' exists (--overwrite replaces it)", path);
  }
  return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot write '%s'", path);
}

bool
vk_domain_screenshot(virDomainPtr dom, unsigned screen, const char *path, bool overwrite,
                     char **written, char **mime_out, vk_error **errp)
{
  virConnectPtr conn = virDomainGetConnect(dom);
  CLEANUP_FREE char *mime = NULL, *target = NULL, *dir = NULL, *tmp = NULL;
  virStreamPtr st = NULL;
  struct stat sb;
  sink s = { .fd = -1 };
  mode_t mask;
  bool ok = false;

  *written = *mime_out = NULL;
  if (path && !*path)
    return vk_error_set(errp, VK_EXIT_USAGE, "--file: empty path");
  /* refused before the guest is asked: an existing file, a missing directory */
  if (path) {
    if (!overwrite && lstat(path, &sb) == 0)
      return vk_error_set(errp, VK_EXIT_BUSY, "'%s' exists (--overwrite replaces it)", path);
    if (!(dir = vk_path_dir(path)))
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "screenshot");
    if (stat(dir, &sb) < 0)
      return vk_error_set_errno(errp, errno == ENOENT ? VK_EXIT_NOTFOUND : VK_EXIT_FAILED, errno,
                                "directory '%s'", dir);
    if (!S_ISDIR(sb.st_mode))
      return vk_error_set(errp, VK_EXIT_NOTFOUND, "'%s' is not a directory", dir);
  }
  if (!(st = virStreamNew(conn, 0)))
    return vk_virt_error(errp, conn, "cannot take a screenshot");
  if (!(mime = virDomainScreenshot(dom, st, screen, 0))) {
    vk_virt_dom_error(errp, dom, "cannot take a screenshot of");
    virStreamFree(st);
    return false;
  }
  if (!path && !(target = default_name(dom, mime))) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "screenshot");
    goto out;
  }
  if (!target && !(target = strdup(path))) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "screenshot");
    goto out;
  }
  if (!dir && !(dir = vk_path_dir(target))) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "screenshot");
    goto out;
  }
  if (asprintf(&tmp, "%s/.vkit-screenshot-XXXXXX", dir) < 0) {
    tmp = NULL;
    vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "screenshot");
    goto out;
  }
  if ((s.fd = mkstemp(tmp)) < 0) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot write in '%s'", dir);
    free(tmp);
    tmp = NULL;
    goto out;
  }
  /* mkstemp makes it 0600: give it the mode a new file gets */
  mask = umask(0);
  umask(mask);
  if (fchmod(s.fd, 0666 & ~mask) < 0) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot write '%s'", tmp);
    goto out;
  }
  if (virStreamRecvAll(st, write_all, &s) < 0) {
    if (s.err)
      vk_error_set_errno(errp, VK_EXIT_FAILED, s.err, "cannot write '%s'", target);
    else
      vk_virt_dom_error(errp, dom, "cannot receive the screenshot of");
    virStreamAbort(st);
    goto out;
  }
  if (virStreamFinish(st) < 0) {
    vk_virt_dom_error(errp, dom, "cannot receive the screenshot of");
    goto out;
  }
  if (close(s.fd) < 0) {
    s.fd = -1;
    vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot write '%s'", target);
    goto out;
  }
  s.fd = -1;
  if (!place(tmp, target, overwrite, errp))
    goto out;
  free(tmp);
  tmp = NULL;
  *written = target;
  *mime_out = mime;
  target = mime = NULL;
  ok = true;
out:
  if (s.fd >= 0)
    close(s.fd);
  if (tmp)
    unlink(tmp);
  virStreamFree(st);
  return ok;
}

/* ------------------------------------------------------------ keys */

static const struct {
  const char *name;
  unsigned set;
} sets[] = {
  { "linux", VIR_KEYCODE_SET_LINUX },   { "xt", VIR_KEYCODE_SET_XT },
  { "atset1", VIR_KEYCODE_SET_ATSET1 }, { "atset2", VIR_KEYCODE_SET_ATSET2 },
  { "atset3", VIR_KEYCODE_SET_ATSET3 }, { "os_x", VIR_KEYCODE_SET_OSX },
  { "xt_kbd", VIR_KEYCODE_SET_XT_KBD }, { "usb", VIR_KEYCODE_SET_USB },
  { "win32", VIR_KEYCODE_SET_WIN32 },   { "qnum", VIR_KEYCODE_SET_QNUM },
  { "rfb", VIR_KEYCODE_SET_RFB },
};

bool
vk_keycode_set_parse(const char *name, unsigned *set, vk_error **errp)
{
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
    if (strcasecmp(name, sets[i].name) == 0) {
      *set = sets[i].set;
      return true;
    }
  return vk_error_set(
      errp, VK_EXIT_USAGE,
      "--codeset '%s': one of linux, xt, atset1, atset2, atset3, os_x, xt_kbd, usb, win32, qnum, rfb",
      name);
}

#define K(n)                                                                                       \
  {                                                                                                \
#n, KEY_##n                                                                                    \
  }
static const struct {
  const char *name; /* without KEY_ */
  unsigned code;
} linux_keys[] = {
  K(ESC),        K(1),         K(2),          K(3),          K(4),         K(5),
  K(6),          K(7),         K(8),          K(9),          K(0),         K(MINUS),
  K(EQUAL),      K(BACKSPACE), K(TAB),        K(Q),          K(W),         K(E),
  K(R),          K(T),         K(Y),          K(U),          K(I),         K(O),
  K(P),          K(LEFTBRACE), K(RIGHTBRACE), K(ENTER),      K(LEFTCTRL),  K(A),
  K(S),          K(D),         K(F),          K(G),          K(H),         K(J),
  K(K),          K(L),         K(SEMICOLON),  K(APOSTROPHE), K(GRAVE),     K(LEFTSHIFT),
  K(BACKSLASH),  K(Z),         K(X),          K(C),          K(V),         K(B),
  K(N),          K(M),         K(COMMA),      K(DOT),        K(SLASH),     K(RIGHTSHIFT),
  K(KPASTERISK), K(LEFTALT),   K(SPACE),      K(CAPSLOCK),   K(F1),        K(F2),
  K(F3),         K(F4),        K(F5),         K(F6),         K(F7),        K(F8),
  K(F9),         K(F10),       K(F11),        K(F12),        K(F13),       K(F14),
  K(F15),        K(F16),       K(F17),        K(F18),        K(F19),       K(F20),
  K(F21),        K(F22),       K(F23),        K(F24),        K(NUMLOCK),   K(SCROLLLOCK),
  K(KP0),        K(KP1),       K(KP2),        K(KP3),        K(KP4),       K(KP5),
  K(KP6),        K(KP7),       K(KP8),        K(KP9),        K(KPMINUS),   K(KPPLUS),
  K(KPDOT),      K(KPENTER),   K(KPSLASH),    K(KPEQUAL),    K(RIGHTCTRL), K(SYSRQ),
  K(RIGHTALT),   K(HOME),      K(UP),         K(PAGEUP),     K(LEFT),      K(RIGHT),
  K(END),        K(DOWN),      K(PAGEDOWN),   K(INSERT),     K(DELETE),    K(MUTE),
  K(VOLUMEDOWN), K(VOLUMEUP),  K(POWER),      K(PAUSE),      K(LEFTMETA),  K(RIGHTMETA),
  K(COMPOSE),    K(STOP),      K(SLEEP),      K(WAKEUP),     K(MENU),      K(PRINT),
  K(102ND),
};
#undef K

bool
vk_keycode_parse(unsigned set, const char *key, unsigned *code, vk_error **errp)
{
  const char *name = key;
  char *end;
  unsigned long v;

  if (*key >= '0' && *key <= '9') {
    errno = 0;
    v = strtoul(key, &end, 0);
    if (!errno && !*end && v <= 0xffff) {
      *code = (unsigned)v;
      return true;
    }
    if (key[1] != '\0' || set != VIR_KEYCODE_SET_LINUX)
      return vk_error_set(errp, VK_EXIT_USAGE, "key '%s': a keycode is a number from 0 to 0xffff",
                          key);
  }
  if (set != VIR_KEYCODE_SET_LINUX)
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "key '%s': names are known in the linux codeset; give a number for this one", key);
  if (strncasecmp(name, "KEY_", 4) == 0)
    name += 4;
  for (size_t i = 0; i < sizeof linux_keys / sizeof linux_keys[0]; i++)
    if (strcasecmp(name, linux_keys[i].name) == 0) {
      *code = linux_keys[i].code;
      return true;
    }
  return vk_error_set(errp, VK_EXIT_USAGE,
                      "key '%s' is not a key name (KEY_A, KEY_ENTER, ...) or a number", key);
}

bool
vk_domain_send_key(virDomainPtr dom, unsigned set, unsigned holdtime, const unsigned *codes,
                   size_t n, vk_error **errp)
{
  if (n == 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "no key given");
  if (n > VIR_DOMAIN_SEND_KEY_MAX_KEYS)
    return vk_error_set(errp, VK_EXIT_USAGE, "%zu keys given: at most %d are pressed together", n,
                        VIR_DOMAIN_SEND_KEY_MAX_KEYS);
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < i; k++)
      if (codes[k] == codes[i])
        return vk_error_set(errp, VK_EXIT_USAGE, "keycode %u is given twice", codes[i]);
  unsigned keys[VIR_DOMAIN_SEND_KEY_MAX_KEYS];
  memcpy(keys, codes, n * sizeof *codes);
  if (virDomainSendKey(dom, set, holdtime, keys, (int)n, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot send keys to");
  return true;
}
