/* vkit — vinstall's device options: --channel, --rng, --video,
 * --controller, --tpm, --sound, --input, --watchdog, --memballoon,
 * --hostdev, --filesystem, --events, --metadata.  Each becomes a vk_elem
 * tree that the domain XML builder writes. */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/text.h"
#include "virt/install/install.h"

#define OOM(errp) vk_error_set(errp, VK_EXIT_FAILED, "out of memory")

/* The value of sub-option `key` (or of its alias), or NULL. */
static const char *
get(const vk_subopts *so, const char *key, const char *alias)
{
  for (size_t i = 0; i < so->n; i++)
    if (!strcmp(so->items[i].key, key) || (alias && !strcmp(so->items[i].key, alias)))
      return so->items[i].value ? so->items[i].value : "";
  return NULL;
}

/* Every sub-option is one of `known` (NULL-terminated); the first item
 * may be a bare word (the device's kind). */
static bool
only(const char *opt, const vk_subopts *so, const char *const *known, vk_error **errp)
{
  for (size_t i = 0; i < so->n; i++) {
    bool ok = i == 0 && !so->items[i].value;
    for (size_t k = 0; !ok && known[k]; k++)
      ok = !strcmp(so->items[i].key, known[k]);
    if (!ok)
      return vk_error_set(errp, VK_EXIT_USAGE, "--%s: unknown sub-option '%s'", opt,
                          so->items[i].key);
  }
  return true;
}

/* The kind: the first bare word, else type= (or model=). */
static const char *
kind(const vk_subopts *so, const char *key)
{
  if (so->n && !so->items[0].value)
    return so->items[0].key;
  return get(so, key, NULL);
}

static bool
is_number(const char *v)
{
  if (!v || !*v)
    return false;
  for (; *v; v++)
    if (!isdigit((unsigned char)*v))
      return false;
  return true;
}

static vk_elem *
device(vk_install *in, const char *name, vk_error **errp)
{
  vk_elem *e = vk_elem_add(&in->spec.devices, &in->spec.ndevices, name);

  if (!e)
    OOM(errp);
  return e;
}

static vk_elem *
child(vk_elem *e, const char *name, vk_error **errp)
{
  vk_elem *c = vk_elem_add(&e->kids, &e->nkids, name);

  if (!c)
    OOM(errp);
  return c;
}

static bool
attr(vk_elem *e, const char *name, const char *value, vk_error **errp)
{
  return vk_elem_attr(e, name, value) || OOM(errp);
}

static bool
text(vk_elem *e, const char *value, vk_error **errp)
{
  return vk_strset(&e->text, value, errp);
}

/* --channel unix|pty|spicevmc|qemu-vdagent[,target.type=virtio|guestfwd]
 * [,name=NAME][,source.path=PATH][,target.address=,target.port=] */
static bool
opt_channel(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  static const char *const known[] = { "type",           "target.type", "target_type",
                                       "name",           "target.name", "source.path",
                                       "path",           "source.mode", "mode",
                                       "target.address", "target.port", NULL };
  static const char *const types[] = { "unix", "pty", "spicevmc", "qemu-vdagent", NULL };
  const char *t = kind(so, "type"), *tt = get(so, "target.type", "target_type"),
             *name = get(so, "name", "target.name"), *path = get(so, "source.path", "path"),
             *mode = get(so, "source.mode", "mode");
  vk_elem *e, *target;

  if (!only("channel", so, known, errp))
    return false;
  if (!t || !vk_install_one_of("channel", "type", t, types, errp))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--channel: say the type (unix, pty, spicevmc, qemu-vdagent)");
  if (!tt)
    tt = "virtio";
  if (!name && (!strcmp(t, "spicevmc") || !strcmp(t, "qemu-vdagent")))
    name = "com.redhat.spice.0";
  if (!strcmp(tt, "virtio") && !name)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--channel: a virtio channel needs name= (org.qemu.guest_agent.0, ...)");
  if (!(e = device(in, "channel", errp)) || !attr(e, "type", t, errp))
    return false;
  if (path || mode) {
    vk_elem *src = child(e, "source", errp);
    if (!src || !attr(src, "mode", mode ? mode : "bind", errp) || !attr(src, "path", path, errp))
      return false;
  }
  target = child(e, "target", errp);
  return target && attr(target, "type", tt, errp) && attr(target, "name", name, errp) &&
         attr(target, "address", get(so, "target.address", NULL), errp) &&
         attr(target, "port", get(so, "target.port", NULL), errp);
}

/* --rng /dev/urandom|/dev/random|builtin|none[,model=virtio][,rate.bytes=,rate.period=] */
static bool
opt_rng(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  static const char *const known[] = {
    "type", "model", "backend", "rate.bytes", "rate.period", NULL
  };
  const char *b = kind(so, "type");
  const char *bytes = get(so, "rate.bytes", NULL), *period = get(so, "rate.period", NULL);
  vk_elem *e, *be;

  if (!only("rng", so, known, errp))
    return false;
  if (!b)
    b = get(so, "backend", NULL);
  if (!b)
    b = "/dev/urandom";
  if (!strcmp(b, "none")) {
    in->no_rng = true;
    return true;
  }
  if (strcmp(b, "builtin") != 0 && strncmp(b, "/dev/", 5) != 0)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--rng: '%s' is neither a device (/dev/urandom) nor builtin", b);
  if ((bytes && !is_number(bytes)) || (period && !is_number(period)))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--rng: rate.bytes= and rate.period= are whole numbers");
  if (!(e = device(in, "rng", errp)) ||
      !attr(e, "model", get(so, "model", NULL) ? get(so, "model", NULL) : "virtio", errp))
    return false;
  if (bytes) {
    vk_elem *rate = child(e, "rate", errp);
    if (!rate || !attr(rate, "bytes", bytes, errp) || !attr(rate, "period", period, errp))
      return false;
  }
  if (!(be = child(e, "backend", errp)))
    return false;
  if (!strcmp(b, "builtin"))
    return attr(be, "model", "builtin", errp);
  return attr(be, "model", "random", errp) && text(be, b, errp);
}

/* --video virtio|vga|qxl|bochs|ramfb|cirrus|none[,heads=N][,vram=KIB][,accel3d=yes|no] */
static bool
opt_video(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  static const char *const known[] = { "model", "model.type", "heads", "vram", "accel3d", NULL };
  static const char *const models[] = { "virtio", "vga",    "qxl",  "bochs",
                                        "ramfb",  "cirrus", "none", NULL };
  const char *m = kind(so, "model");
  const char *heads = get(so, "heads", NULL), *vram = get(so, "vram", NULL),
             *a3d = get(so, "accel3d", NULL);
  vk_elem *e, *model;

  if (!m)
    m = get(so, "model.type", NULL);
  if (!only("video", so, known, errp) || !m ||
      !vk_install_one_of("video", "model", m, models, errp))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--video: say the model (virtio, vga, qxl, bochs, ramfb, none)");
  if (!strcmp(m, "none")) {
    in->spec.no_video = true;
    return true;
  }
  if ((heads && !is_number(heads)) || (vram && !is_number(vram)))
    return vk_error_set(errp, VK_EXIT_USAGE, "--video: heads= and vram= are whole numbers");
  if (!(e = device(in, "video", errp)) || !(model = child(e, "model", errp)) ||
      !attr(model, "type", m, errp) || !attr(model, "heads", heads, errp) ||
      !attr(model, "vram", vram, errp))
    return false;
  if (a3d) {
    vk_elem *acc = child(model, "acceleration", errp);
    bool on;
    if (!vk_parse_bool(a3d, &on))
      return vk_error_set(errp, VK_EXIT_USAGE, "--video: accel3d must be yes or no");
    return acc && attr(acc, "accel3d", on ? "yes" : "no", errp);
  }
  return true;
}

/* --controller usb|usb2|usb3|scsi|virtio-serial|sata|ide|pci[,model=][,index=] */
static bool
opt_controller(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  static const char *const known[] = { "type", "model", "index", NULL };
  static const char *const types[] = { "usb",           "usb2", "usb3", "scsi",
                                       "virtio-serial", "sata", "ide",  "pci",
                                       "fdc",           "ccid", NULL };
  const char *t = kind(so, "type"), *model = get(so, "model", NULL),
             *index = get(so, "index", NULL);
  vk_elem *e;

  if (!only("controller", so, known, errp) || !t ||
      !vk_install_one_of("controller", "type", t, types, errp))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--controller: say the type (usb, scsi, virtio-serial, ...)");
  if (index && !is_number(index))
    return vk_error_set(errp, VK_EXIT_USAGE, "--controller: index= is a whole number");
  /* virt-install's shortcuts */
  if (!strcmp(t, "usb3"))
    t = "usb", model = model ? model : "qemu-xhci";
  else if (!strcmp(t, "usb2"))
    t = "usb", model = model ? model : "ich9-ehci1";
  else if (!strcmp(t, "scsi") && !model)
    model = "virtio-scsi";
  if (!(e = device(in, "controller", errp)))
    return false;
  return attr(e, "type", t, errp) && attr(e, "index", index, errp) && attr(e, "model", model, errp);
}

/* --tpm emulator|passthrough[,path=/dev/tpm0]|none[,model=tpm-crb|tpm-tis][,version=2.0|1.2] */
static bool
opt_tpm(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  static const char *const known[] = {
    "type", "backend.type",        "model", "version", "backend.version",
    "path", "backend.device.path", NULL
  };
  const char *t = kind(so, "type"), *model = get(so, "model", NULL),
             *version = get(so, "version", "backend.version"),
             *path = get(so, "path", "backend.device.path");
  vk_elem *e, *be;

  if (!t)
    t = get(so, "backend.type", NULL);
  if (!t)
    t = "emulator";
  if (!only("tpm", so, known, errp))
    return false;
  if (!strcmp(t, "none"))
    return true;
  if (!model)
    model = "tpm-crb";
  if (strcmp(model, "tpm-crb") && strcmp(model, "tpm-tis"))
    return vk_error_set(errp, VK_EXIT_USAGE, "--tpm: unknown model '%s' (tpm-crb, tpm-tis)", model);
  if (!strcmp(t, "emulator")) {
    if (version && strcmp(version, "2.0") && strcmp(version, "1.2"))
      return vk_error_set(errp, VK_EXIT_USAGE, "--tpm: version is 2.0 or 1.2");
    in->tpm_emulator = true; /* checked in the pre-flight: swtpm */
  } else if (!strcmp(t, "passthrough")) {
    if (!path)
      path = "/dev/tpm0";
  } else {
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--tpm: unknown type '%s' (emulator, passthrough, none)", t);
  }
  if (!(e = device(in, "tpm", errp)) || !attr(e, "model", model, errp) ||
      !(be = child(e, "backend", errp)) || !attr(be, "type", t, errp))
    return false;
  if (!strcmp(t, "emulator"))
    return attr(be, "version", version ? version : "2.0", errp);
  {
    vk_elem *dev = child(be, "device", errp);
    return dev && attr(dev, "path", path, errp);
  }
}

/* --sound ich9|ich6|ac97|es1370|sb16|usb|default|none */
static bool
opt_sound(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  static const char *const known[] = { "model", NULL };
  static const char *const models[] = { "ich9", "ich6",    "ac97", "es1370", "sb16",
                                        "usb",  "default", "none", NULL };
  const char *m = kind(so, "model");
  vk_elem *e;

  if (!m)
    m = "default";
  if (!only("sound", so, known, errp) || !vk_install_one_of("sound", "model", m, models, errp))
    return false;
  if (!strcmp(m, "none"))
    return true;
  if (!strcmp(m, "default"))
    m = in->spec.machine && strstr(in->spec.machine, "q35") ? "ich9" : "ich6";
  return (e = device(in, "sound", errp)) && attr(e, "model", m, errp);
}

/* --input tablet|mouse|keyboard|evdev[,bus=usb|ps2|virtio] */
static bool
opt_input(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  static const char *const known[] = { "type", "bus", NULL };
  static const char *const types[] = { "tablet", "mouse", "keyboard", NULL };
  static const char *const buses[] = { "usb", "ps2", "virtio", NULL };
  const char *t = kind(so, "type"), *bus = get(so, "bus", NULL);
  vk_elem *e;

  if (!only("input", so, known, errp) || !t || !vk_install_one_of("input", "type", t, types, errp))
    return vk_error_set(errp, VK_EXIT_USAGE, "--input: say the type (tablet, mouse, keyboard)");
  if (!bus)
    bus = !strcmp(t, "tablet") ? "usb" : "ps2";
  if (!vk_install_one_of("input", "bus", bus, buses, errp))
    return false;
  if (!strcmp(t, "tablet") && !strcmp(bus, "ps2"))
    return vk_error_set(errp, VK_EXIT_USAGE, "--input: a tablet is on the usb or virtio bus");
  in->spec.no_tablet = true;
  return (e = device(in, "input", errp)) && attr(e, "type", t, errp) && attr(e, "bus", bus, errp);
}

/* --watchdog
 * i6300esb|ib700|itco|diag288[,action=reset|shutdown|poweroff|pause|none|dump|inject-nmi] */
static bool
opt_watchdog(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  static const char *const known[] = { "model", "action", NULL };
  static const char *const models[] = { "i6300esb", "ib700", "itco", "diag288", NULL };
  static const char *const actions[] = { "reset", "shutdown", "poweroff",   "pause",
                                         "none",  "dump",     "inject-nmi", NULL };
  const char *m = kind(so, "model"), *action = get(so, "action", NULL);
  vk_elem *e;

  if (!m)
    m = "i6300esb";
  if (!only("watchdog", so, known, errp) ||
      !vk_install_one_of("watchdog", "model", m, models, errp) ||
      (action && !vk_install_one_of("watchdog", "action", action, actions, errp)))
    return false;
  return (e = device(in, "watchdog", errp)) && attr(e, "model", m, errp) &&
         attr(e, "action", action ? action : "reset", errp);
}

/* --memballoon virtio|virtio-transitional|virtio-non-transitional|none */
static bool
opt_memballoon(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  static const char *const known[] = { "model", NULL };
  static const char *const models[] = { "virtio", "virtio-transitional", "virtio-non-transitional",
                                        "none", NULL };
  const char *m = kind(so, "model");
  vk_elem *e;

  if (!only("memballoon", so, known, errp) || !m ||
      !vk_install_one_of("memballoon", "model", m, models, errp))
    return vk_error_set(errp, VK_EXIT_USAGE, "--memballoon: say the model (virtio, none)");
  if (vk_domspec_has_device(&in->spec, "memballoon"))
    return vk_error_set(errp, VK_EXIT_USAGE, "--memballoon: a domain has one memory balloon");
  return (e = device(in, "memballoon", errp)) && attr(e, "model", m, errp);
}

/* --hostdev pci_0000_01_00_0 | 0000:01:00.0 | 01:00.0 | 0x1234:0x5678 (USB vendor:product) |
 * 001.003 (USB bus.device) */
static bool
opt_hostdev(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  static const char *const known[] = { "name", NULL };
  const char *v = kind(so, "name");
  unsigned dom = 0, bus, slot, fn, vendor, product, ubus, udev;
  char extra;
  vk_elem *e, *src, *addr;
  char buf[4][16];

  if (!only("hostdev", so, known, errp) || !v || !*v)
    return vk_error_set(errp, VK_EXIT_USAGE, "--hostdev: say which device");
  if (!(e = device(in, "hostdev", errp)) || !attr(e, "mode", "subsystem", errp))
    return false;
  if (sscanf(v, "pci_%4x_%2x_%2x_%1x%c", &dom, &bus, &slot, &fn, &extra) == 4 ||
      sscanf(v, "%4x:%2x:%2x.%1x%c", &dom, &bus, &slot, &fn, &extra) == 4 ||
      (dom = 0, sscanf(v, "%2x:%2x.%1x%c", &bus, &slot, &fn, &extra) == 3)) {
    if (slot > 0x1f || fn > 7)
      return vk_error_set(errp, VK_EXIT_USAGE, "--hostdev: '%s' is no PCI address", v);
    snprintf(buf[0], sizeof buf[0], "0x%04x", dom);
    snprintf(buf[1], sizeof buf[1], "0x%02x", bus);
    snprintf(buf[2], sizeof buf[2], "0x%02x", slot);
    snprintf(buf[3], sizeof buf[3], "0x%x", fn);
    return attr(e, "type", "pci", errp) && attr(e, "managed", "yes", errp) &&
           (src = child(e, "source", errp)) && (addr = child(src, "address", errp)) &&
           attr(addr, "domain", buf[0], errp) && attr(addr, "bus", buf[1], errp) &&
           attr(addr, "slot", buf[2], errp) && attr(addr, "function", buf[3], errp);
  }
  if (sscanf(v, "0x%4x:0x%4x%c", &vendor, &product, &extra) == 2 ||
      sscanf(v, "%4x:%4x%c", &vendor, &product, &extra) == 2) {
    vk_elem *ven, *prod;
    snprintf(buf[0], sizeof buf[0], "0x%04x", vendor);
    snprintf(buf[1], sizeof buf[1], "0x%04x", product);
    return attr(e, "type", "usb", errp) && attr(e, "managed", "yes", errp) &&
           (src = child(e, "source", errp)) && (ven = child(src, "vendor", errp)) &&
           attr(ven, "id", buf[0], errp) && (prod = child(src, "product", errp)) &&
           attr(prod, "id", buf[1], errp);
  }
  if (sscanf(v, "%3u.%3u%c", &ubus, &udev, &extra) == 2) {
    snprintf(buf[0], sizeof buf[0], "%u", ubus);
    snprintf(buf[1], sizeof buf[1], "%u", udev);
    return attr(e, "type", "usb", errp) && attr(e, "managed", "yes", errp) &&
           (src = child(e, "source", errp)) && (addr = child(src, "address", errp)) &&
           attr(addr, "bus", buf[0], errp) && attr(addr, "device", buf[1], errp);
  }
  return vk_error_set(
      errp, VK_EXIT_USAGE,
      "--hostdev: '%s' is neither a PCI address (01:00.0, pci_0000_01_00_0) nor a USB device (0x1234:0x5678, 001.003)",
      v);
}

/* --filesystem SOURCE,TARGET |
 * source=DIR,target=TAG[,driver.type=virtiofs|path][,accessmode=][,readonly=on] */
static bool
opt_filesystem(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  static const char *const known[] = { "source",      "source.dir", "target",     "target.dir",
                                       "driver.type", "driver",     "accessmode", "mode",
                                       "readonly",    NULL };
  const char *src = get(so, "source", "source.dir"), *tgt = get(so, "target", "target.dir"),
             *drv = get(so, "driver.type", "driver"), *mode = get(so, "accessmode", "mode"),
             *ro = get(so, "readonly", NULL);
  vk_elem *e, *c;
  bool readonly = false;

  /* SOURCE,TARGET: two bare words */
  if (so->n >= 2 && !so->items[0].value && !so->items[1].value) {
    src = so->items[0].key;
    tgt = so->items[1].key;
    for (size_t i = 2; i < so->n; i++)
      if (!so->items[i].value)
        return vk_error_set(errp, VK_EXIT_USAGE, "--filesystem: '%s' is not key=value",
                            so->items[i].key);
  } else if (!only("filesystem", so, known, errp)) {
    return false;
  }
  for (size_t i = 2; i < so->n; i++) {
    bool ok = false;
    for (size_t k = 0; !ok && known[k]; k++)
      ok = !strcmp(so->items[i].key, known[k]);
    if (!ok)
      return vk_error_set(errp, VK_EXIT_USAGE, "--filesystem: unknown sub-option '%s'",
                          so->items[i].key);
  }
  if (!src || !*src || !tgt || !*tgt)
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "--filesystem: give the host directory and the guest's tag (SOURCE,TARGET)");
  if (ro && !vk_parse_bool(ro, &readonly))
    return vk_error_set(errp, VK_EXIT_USAGE, "--filesystem: readonly must be on or off");
  if (!drv)
    drv = "virtiofs";
  if (strcmp(drv, "virtiofs") && strcmp(drv, "path"))
    return vk_error_set(errp, VK_EXIT_USAGE, "--filesystem: driver.type is virtiofs or path (9p)");
  if (mode && strcmp(mode, "passthrough") && strcmp(mode, "mapped") && strcmp(mode, "squash"))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--filesystem: accessmode is passthrough, mapped or squash");
  if (!strcmp(drv, "virtiofs")) {
    if (mode && strcmp(mode, "passthrough"))
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "--filesystem: virtiofs has only accessmode=passthrough");
    in->shared_memory = true; /* virtiofs needs memory the daemon can map */
  }
  if (!(e = device(in, "filesystem", errp)) || !attr(e, "type", "mount", errp) ||
      !attr(e, "accessmode",
            mode                      ? mode
            : strcmp(drv, "virtiofs") ? "mapped"
                                      : "passthrough",
            errp) ||
      !(c = child(e, "driver", errp)) || !attr(c, "type", drv, errp) ||
      !(c = child(e, "source", errp)) || !attr(c, "dir", src, errp) ||
      !(c = child(e, "target", errp)) || !attr(c, "dir", tgt, errp))
    return false;
  return !readonly || child(e, "readonly", errp);
}

/* --events on_poweroff=,on_reboot=,on_crash= */
static bool
opt_events(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  static const char *const actions[] = {
    "destroy", "restart", "preserve", "rename-restart", "coredump-destroy", "coredump-restart", NULL
  };
  vk_domspec *s = &in->spec;

  for (size_t i = 0; i < so->n; i++) {
    const vk_subopt *it = &so->items[i];
    char **dst = !strcmp(it->key, "on_poweroff") ? &s->on_poweroff
                 : !strcmp(it->key, "on_reboot") ? &s->on_reboot_final
                 : !strcmp(it->key, "on_crash")  ? &s->on_crash
                                                 : NULL;
    if (!dst)
      return vk_error_set(errp, VK_EXIT_USAGE, "--events: unknown sub-option '%s'", it->key);
    if (!it->value || !vk_install_one_of("events", "action", it->value, actions, errp))
      return vk_error_set(errp, VK_EXIT_USAGE, "--events: %s needs an action", it->key);
    if (strncmp(it->value, "coredump", 8) == 0 && dst != &s->on_crash)
      return vk_error_set(errp, VK_EXIT_USAGE, "--events: %s is for on_crash only", it->value);
    if (!vk_strset(dst, it->value, errp))
      return false;
  }
  return true;
}

/* --metadata name=,title=,description=,uuid= */
static bool
opt_metadata(vk_install *in, const vk_subopts *so, vk_error **errp)
{
  vk_domspec *s = &in->spec;

  for (size_t i = 0; i < so->n; i++) {
    const vk_subopt *it = &so->items[i];
    char **dst = !strcmp(it->key, "name")          ? &s->name
                 : !strcmp(it->key, "title")       ? &s->title
                 : !strcmp(it->key, "description") ? &s->description
                 : !strcmp(it->key, "uuid")        ? &s->uuid
                                                   : NULL;
    if (!dst)
      return vk_error_set(errp, VK_EXIT_USAGE, "--metadata: unknown sub-option '%s'", it->key);
    if (!it->value || !*it->value)
      return vk_error_set(errp, VK_EXIT_USAGE, "--metadata: %s needs a value", it->key);
    if (!vk_strset(dst, it->value, errp))
      return false;
  }
  return true;
}

bool
vk_install_device_option(vk_install *in, int key, const char *value, vk_error **errp)
{
  static const struct {
    int key;
    const char *name;
    bool (*fn)(vk_install *, const vk_subopts *, vk_error **);
  } opts[] = {
    { VK_IOPT_CHANNEL, "channel", opt_channel },
    { VK_IOPT_RNG, "rng", opt_rng },
    { VK_IOPT_VIDEO, "video", opt_video },
    { VK_IOPT_CONTROLLER, "controller", opt_controller },
    { VK_IOPT_TPM, "tpm", opt_tpm },
    { VK_IOPT_SOUND, "sound", opt_sound },
    { VK_IOPT_INPUT, "input", opt_input },
    { VK_IOPT_WATCHDOG, "watchdog", opt_watchdog },
    { VK_IOPT_MEMBALLOON, "memballoon", opt_memballoon },
    { VK_IOPT_HOSTDEV, "hostdev", opt_hostdev },
    { VK_IOPT_FILESYSTEM, "filesystem", opt_filesystem },
    { VK_IOPT_EVENTS, "events", opt_events },
    { VK_IOPT_METADATA, "metadata", opt_metadata },
  };

  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
    CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };
    if (opts[i].key != key)
      continue;
    if ((!value || !*value) && key == VK_IOPT_SOUND)
      value = "default"; /* --sound alone */
    if (!value || !*value)
      return vk_error_set(errp, VK_EXIT_USAGE, "--%s: the value is empty", opts[i].name);
    if (!vk_subopts_parse(opts[i].name, value, &so, errp))
      return false;
    return opts[i].fn(in, &so, errp);
  }
  return vk_error_set(errp, VK_EXIT_USAGE, "unknown option");
}
