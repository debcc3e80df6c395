/* vkit — vinstall's options: parsing the option strings into vk_install. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/size.h"
#include "util/text.h"
#include "virt/install/install.h"

#define MIB (1024ULL * 1024)
#define GIB (1024ULL * 1024 * 1024)
#define MAX_VCPUS 4096

/* A value is required for key in option opt. */
static bool
need_value(const char *opt, const vk_subopt *it, vk_error **errp)
{
  if (!it->value || !*it->value)
    return vk_error_set(errp, VK_EXIT_USAGE, "--%s: '%s' needs a value (%s=...)",
                        opt, it->key, it->key);
  return true;
}

bool
vk_install_one_of(const char *opt, const char *what, const char *value, const char *const *allowed,
                  vk_error **errp)
{
  for (size_t i = 0; allowed[i]; i++)
    if (strcmp(value, allowed[i]) == 0)
      return true;
  return vk_error_set(errp, VK_EXIT_USAGE, "--%s: unknown %s '%s'", opt, what, value);
}

static bool
parse_uint(const char *opt, const char *what, const char *s, unsigned long max,
           unsigned *out, vk_error **errp)
{
  char *end;
  unsigned long v;

  errno = 0;
  if (!s || !isdigit((unsigned char)*s))
    return vk_error_set(errp, VK_EXIT_USAGE, "--%s: %s '%s' is not a number",
                        opt, what, s ? s : "");
  v = strtoul(s, &end, 10);
  if (errno || *end)
    return vk_error_set(errp, VK_EXIT_USAGE, "--%s: %s '%s' is not a number", opt, what, s);
  if (v < 1 || v > max)
    return vk_error_set(errp, VK_EXIT_USAGE, "--%s: %s must be between 1 and %lu",
                        opt, what, max);
  *out = (unsigned)v;
  return true;
}

static bool
parse_bool(const char *opt, const vk_subopt *it, bool *out, vk_error **errp)
{
  const char *v = it->value;

  if (!v) {
    *out = true;   /* a bare key: on */
    return true;
  }
  if (vk_parse_bool(v, out))
    return true;
  return vk_error_set(errp, VK_EXIT_USAGE, "--%s: %s must be on or off, not '%s'",
                      opt, it->key, v);
}

/* --os-variant NAME | generic | detect | list |
 * [name=|short-id=]NAME | detect=on[,require=on][,name=FALLBACK] */
static bool
opt_os_variant(vk_install *in, const char *v, vk_error **errp)
{
  CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };

  if (!*v)
    return vk_error_set(errp, VK_EXIT_USAGE, "--os-variant: the name is empty");
  if (!vk_subopts_parse("os-variant", v, &so, errp))
    return false;
  in->os_detect = in->os_require = false;
  for (size_t i = 0; i < so.n; i++) {
    const vk_subopt *it = &so.items[i];
    bool on = true;
    if (!it->value && i == 0 && strcmp(it->key, "detect") == 0) {
      in->os_detect = true;
    } else if (!it->value && i == 0) {
      if (!vk_strset(&in->os_variant, it->key, errp))
        return false;
    } else if (!strcmp(it->key, "name") || !strcmp(it->key, "short-id")) {
      if (!it->value || !*it->value)
        return vk_error_set(errp, VK_EXIT_USAGE, "--os-variant: %s= needs a value", it->key);
      if (!vk_strset(&in->os_variant, it->value, errp))
        return false;
    } else if (!strcmp(it->key, "detect") || !strcmp(it->key, "require")) {
      if (!parse_bool("os-variant", it, &on, errp))
        return false;
      *(it->key[0] == 'd' ? &in->os_detect : &in->os_require) = on;
    } else {
      return vk_error_set(errp, VK_EXIT_USAGE, "--os-variant: unknown sub-option '%s'", it->key);
    }
  }
  if (in->os_require && !in->os_detect)
    return vk_error_set(errp, VK_EXIT_USAGE, "--os-variant: require= goes with detect=on");
  return true;
}

static bool
memory_kib(const char *what, const char *v, uint64_t *kib, vk_error **errp)
{
  uint64_t bytes;

  if (!vk_parse_size_unit(v, MIB, &bytes, errp)) {
    vk_error_prefix(errp, "--memory %s", what);
    return false;
  }
  if (bytes < MIB)
    return vk_error_set(errp, VK_EXIT_USAGE, "--memory: '%s' is less than 1 MiB", v);
  *kib = (bytes + 1023) / 1024;
  return true;
}

/* --memory SIZE | memory=SIZE[,currentMemory=SIZE][,maxMemory=SIZE,maxMemory.slots=N] */
/* --check path_in_use=off|on,all=off|on */
static bool
opt_check(vk_install *in, const char *v, vk_error **errp)
{
  CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };

  if (!vk_subopts_parse("check", v, &so, errp))
    return false;
  for (size_t i = 0; i < so.n; i++) {
    bool on;
    if (!parse_bool("check", &so.items[i], &on, errp))
      return false;
    if (!strcmp(so.items[i].key, "path_in_use"))
      in->skip_in_use = !on;
    else if (!strcmp(so.items[i].key, "all"))
      in->skip_in_use = in->skip_host = !on;
    else
      return vk_error_set(errp, VK_EXIT_USAGE, "--check: unknown check '%s' (path_in_use, all)",
                          so.items[i].key);
  }
  return true;
}

static bool
opt_memory(vk_install *in, const char *v, vk_error **errp)
{
  CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };
  vk_domspec *s = &in->spec;

  if (!strchr(v, '='))
    return memory_kib("", v, &s->memory_kib, errp) && (in->memory_given = true);
  if (!vk_subopts_parse("memory", v, &so, errp))
    return false;
  for (size_t i = 0; i < so.n; i++) {
    const vk_subopt *it = &so.items[i];
    bool ok;
    if (i == 0 && !it->value)
      ok = memory_kib("", it->key, &s->memory_kib, errp) && (in->memory_given = true);
    else if (!need_value("memory", it, errp))
      return false;
    else if (!strcmp(it->key, "memory"))
      ok = memory_kib("memory=", it->value, &s->memory_kib, errp) && (in->memory_given = true);
    else if (!strcmp(it->key, "currentMemory"))
      ok = memory_kib("currentMemory=", it->value, &s->current_kib, errp);
    else if (!strcmp(it->key, "maxMemory"))
      ok = memory_kib("maxMemory=", it->value, &s->max_memory_kib, errp);
    else if (!strcmp(it->key, "maxMemory.slots"))
      ok = parse_uint("memory", "maxMemory.slots", it->value, 255, &s->max_memory_slots, errp);
    else
      ok = vk_error_set(errp, VK_EXIT_USAGE, "--memory: unknown sub-option '%s'", it->key);
    if (!ok)
      return false;
  }
  if (s->current_kib && s->memory_kib && s->current_kib > s->memory_kib)
    return vk_error_set(errp, VK_EXIT_USAGE, "--memory: currentMemory is more than memory");
  if (s->max_memory_kib &&
      (!s->max_memory_slots || (s->memory_kib && s->max_memory_kib < s->memory_kib)))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--memory: maxMemory= needs maxMemory.slots= and is at least memory=");
  if (s->max_memory_slots && !s->max_memory_kib)
    return vk_error_set(errp, VK_EXIT_USAGE, "--memory: maxMemory.slots= needs maxMemory=");
  return true;
}

static bool
opt_vcpus(vk_install *in, const char *v, vk_error **errp)
{
  CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };
  vk_domspec *s = &in->spec;
  unsigned vcpus = 0, maxv = 0, sockets = 0, cores = 0, threads = 0;

  if (!vk_subopts_parse("vcpus", v, &so, errp))
    return false;
  for (size_t i = 0; i < so.n; i++) {
    vk_subopt *it = &so.items[i];
    unsigned *dst;

    if (i == 0 && !it->value) {
      if (!parse_uint("vcpus", "vCPU count", it->key, MAX_VCPUS, &vcpus, errp))
        return false;
      continue;
    }
    if (strcmp(it->key, "cpuset") == 0) {
      if (!need_value("vcpus", it, errp))
        return false;
      if (strspn(it->value, "0123456789,-^") != strlen(it->value) ||
          !isdigit((unsigned char)it->value[0]))
        return vk_error_set(errp, VK_EXIT_USAGE,
                            "--vcpus: cpuset '%s' is not a list of host CPUs like 0-3,^2",
                            it->value);
      if (!vk_strset(&s->cpuset, it->value, errp))
        return false;
      continue;
    }
    if (strcmp(it->key, "vcpus") == 0)
      dst = &vcpus;
    else if (strcmp(it->key, "maxvcpus") == 0)
      dst = &maxv;
    else if (strcmp(it->key, "sockets") == 0)
      dst = &sockets;
    else if (strcmp(it->key, "cores") == 0)
      dst = &cores;
    else if (strcmp(it->key, "threads") == 0)
      dst = &threads;
    else
      return vk_error_set(errp, VK_EXIT_USAGE, "--vcpus: unknown sub-option '%s'", it->key);
    if (!need_value("vcpus", it, errp) ||
        !parse_uint("vcpus", it->key, it->value, MAX_VCPUS, dst, errp))
      return false;
  }
  if (sockets || cores || threads) {
    unsigned long topo = (unsigned long)(sockets ? sockets : 1) * (cores ? cores : 1) *
                         (threads ? threads : 1);
    if (topo > MAX_VCPUS)
      return vk_error_set(errp, VK_EXIT_USAGE, "--vcpus: the topology gives more than %d vCPUs",
                          MAX_VCPUS);
    if (!maxv)
      maxv = vcpus > topo ? vcpus : (unsigned)topo;
    if (maxv != topo)
      return vk_error_set(errp, VK_EXIT_USAGE, "--vcpus: sockets*cores*threads is %lu but the maximum is %u vCPUs",
                          topo, maxv);
  }
  if (!vcpus)
    vcpus = maxv ? maxv : 1;
  if (maxv && maxv < vcpus)
    return vk_error_set(errp, VK_EXIT_USAGE, "--vcpus: maxvcpus=%u is less than %u vCPUs",
                        maxv, vcpus);
  s->vcpus = vcpus;
  s->maxvcpus = maxv;
  s->sockets = sockets;
  s->cores = cores;
  s->threads = threads;
  return true;
}

static bool
opt_cpu(vk_install *in, const char *v, vk_error **errp)
{
  CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };
  vk_domspec *s = &in->spec;

  if (!vk_subopts_parse("cpu", v, &so, errp))
    return false;
  for (size_t i = 0; i < so.n; i++) {
    vk_subopt *it = &so.items[i];
    const char *feature = NULL;
    char **grown;

    if (i == 0 && !it->value && it->key[0] != '-') {
      const char *mode = it->key;
      if (strcmp(mode, "host-passthrough") == 0 || strcmp(mode, "host-model") == 0) {
        if (!vk_strset(&s->cpu_mode, mode, errp))
          return false;
      } else {
        if (!vk_strset(&s->cpu_mode, "custom", errp) || !vk_strset(&s->cpu_model, mode, errp))
          return false;
      }
      continue;
    }
    bool require = false;
    char ***list;
    size_t *n;
    if (it->key[0] == '-' && !it->value)
      feature = it->key + 1;
    else if (it->key[0] == '+' && !it->value)
      feature = it->key + 1, require = true;
    else if (strcmp(it->key, "disable") == 0 && it->value)
      feature = it->value;
    else if (strcmp(it->key, "require") == 0 && it->value)
      feature = it->value, require = true;
    if (!feature || !*feature)
      return vk_error_set(
          errp, VK_EXIT_USAGE,
          "--cpu: unknown sub-option '%s' (features: +FEATURE requires, -FEATURE disables)",
          it->key);
    list = require ? &s->cpu_require : &s->cpu_disable;
    n = require ? &s->ncpu_require : &s->ncpu_disable;
    grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown)
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    *list = grown;
    if (!(grown[*n] = strdup(feature)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    (*n)++;
  }
  return true;
}

static bool
set_method(vk_install *in, enum vk_install_method m, const char *how, vk_error **errp)
{
  if (in->method != VK_INSTALL_NONE && in->method != m)
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "%s: only one install method may be given (--cdrom, --location, --import, --pxe or --boot kernel=)",
        how);
  in->method = m;
  return true;
}

static bool
opt_boot(vk_install *in, const char *v, vk_error **errp)
{
  static const char *const onoff[] = { "on", "off", NULL };
  CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };
  vk_domspec *s = &in->spec;
  size_t nboot = 0;

  while (nboot < 3 && in->boot_order[nboot])
    nboot++;
  if (!vk_subopts_parse("boot", v, &so, errp))
    return false;
  for (size_t i = 0; i < so.n; i++) {
    vk_subopt *it = &so.items[i];
    const char *k = it->key;

    if (!it->value && (strcmp(k, "hd") == 0 || strcmp(k, "cdrom") == 0 ||
                       strcmp(k, "network") == 0)) {
      for (size_t j = 0; j < nboot; j++)
        if (strcmp(in->boot_order[j], k) == 0)
          return vk_error_set(errp, VK_EXIT_USAGE, "--boot: '%s' given twice", k);
      if (!vk_strset(&in->boot_order[nboot++], k, errp))
        return false;
    } else if (strcmp(k, "kernel") == 0) {
      if (!need_value("boot", it, errp) || !vk_strset(&s->kernel, it->value, errp) ||
          !set_method(in, VK_INSTALL_KERNEL, "--boot kernel=", errp))
        return false;
    } else if (strcmp(k, "initrd") == 0) {
      if (!need_value("boot", it, errp) || !vk_strset(&s->initrd, it->value, errp))
        return false;
    } else if (strcmp(k, "cmdline") == 0 || strcmp(k, "kernel_args") == 0) {
      if (!vk_strset(&s->cmdline, it->value ? it->value : "", errp))
        return false;
    } else if (strcmp(k, "uefi") == 0 && !it->value) {
      s->uefi = true;
    } else if (strcmp(k, "firmware") == 0) {
      if (!need_value("boot", it, errp))
        return false;
      if (strcmp(it->value, "efi") && strcmp(it->value, "bios"))
        return vk_error_set(errp, VK_EXIT_USAGE, "--boot: firmware is efi or bios");
      s->uefi = strcmp(it->value, "efi") == 0;
    } else if (strcmp(k, "loader") == 0) {
      /* a firmware file of the user's: no descriptor is consulted */
      if (!need_value("boot", it, errp) || !vk_strset(&s->user_loader, it->value, errp))
        return false;
      s->uefi = true;
    } else if (strcmp(k, "nvram.template") == 0) {
      if (!need_value("boot", it, errp) || !vk_strset(&s->user_nvram_template, it->value, errp))
        return false;
    } else if (strcmp(k, "menu") == 0 || strcmp(k, "bootmenu.enable") == 0) {
      if (!parse_bool("boot", it, &s->boot_menu, errp))
        return false;
    } else if (strcmp(k, "useserial") == 0 || strcmp(k, "bios.useserial") == 0) {
      if (!parse_bool("boot", it, &s->bios_useserial, errp))
        return false;
    } else if (strcmp(k, "secure-boot") == 0) {
      if (!need_value("boot", it, errp) ||
          !vk_install_one_of("boot", "secure-boot value", it->value, onoff, errp))
        return false;
      s->secure_boot = strcmp(it->value, "on") == 0;
    } else {
      return vk_error_set(
          errp, VK_EXIT_USAGE,
          "--boot: unknown item '%s' (hd, cdrom, network, kernel=, initrd=, cmdline=, uefi, firmware=, loader=, nvram.template=, menu=, useserial=, secure-boot=)",
          k);
    }
  }
  return true;
}

static bool
grow(void **arr, size_t n, size_t size, vk_error **errp)
{
  void *p = realloc(*arr, (n + 1) * size);

  if (!p)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  memset((char *)p + n * size, 0, size);
  *arr = p;
  return true;
}

static bool
opt_disk(vk_install *in, const char *v, vk_error **errp)
{
  static const char *const formats[] = { "raw", "qcow2", NULL };
  static const char *const buses[] = { "virtio", "sata", "scsi", "ide", "usb", "sd", "fdc", NULL };
  static const char *const devices[] = { "disk", "cdrom", "floppy", "lun", NULL };
  static const char *const discards[] = { "unmap", "ignore", NULL };
  static const char *const zeroes[] = { "on", "off", "unmap", NULL };
  static const char *const ios[] = { "native", "threads", "io_uring", NULL };
  static const char *const caches[] = { "default", "none", "writethrough", "writeback",
                                        "directsync", "unsafe", NULL };
  CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };
  vk_disk_spec *d;

  if (strcmp(v, "none") == 0) {
    for (size_t i = 0; i < in->spec.ndisks; i++)
      if (strcmp(in->spec.disks[i].device, "cdrom") != 0)
        return vk_error_set(errp, VK_EXIT_USAGE, "--disk none cannot be combined with other disks");
    in->disk_none = true;
    return true;
  }
  if (in->disk_none)
    return vk_error_set(errp, VK_EXIT_USAGE, "--disk none cannot be combined with other disks");
  if (!vk_subopts_parse("disk", v, &so, errp))
    return false;
  if (!grow((void **)&in->spec.disks, in->spec.ndisks, sizeof *d, errp))
    return false;
  d = &in->spec.disks[in->spec.ndisks++];
  for (size_t i = 0; i < so.n; i++) {
    vk_subopt *it = &so.items[i];
    const char *k = it->key;

    if (i == 0 && !it->value && strcmp(k, "readonly") != 0) {
      if (!vk_strset(&d->path, k, errp))
        return false;
    } else if (strcmp(k, "readonly") == 0) {
      if (!parse_bool("disk", it, &d->readonly, errp))
        return false;
    } else if (strcmp(k, "shareable") == 0) {
      if (!parse_bool("disk", it, &d->shareable, errp))
        return false;
    } else if (strcmp(k, "sparse") == 0) {
      bool sparse;
      if (!parse_bool("disk", it, &sparse, errp))
        return false;
      d->preallocate = !sparse;
    } else if (!need_value("disk", it, errp)) {
      return false;
    } else if (strcmp(k, "pool") == 0) {
      if (!vk_strset(&d->pool, it->value, errp))
        return false;
    } else if (strcmp(k, "vol") == 0) {
      if (!strchr(it->value, '/') || it->value[0] == '/')
        return vk_error_set(errp, VK_EXIT_USAGE, "--disk: vol= is POOL/VOLUME");
      if (!vk_strset(&d->vol, it->value, errp))
        return false;
    } else if (strcmp(k, "path") == 0) {
      if (!vk_strset(&d->path, it->value, errp))
        return false;
    } else if (strcmp(k, "size") == 0) {
      if (!vk_parse_size_unit(it->value, GIB, &d->size, errp)) {
        vk_error_prefix(errp, "--disk size");
        return false;
      }
      if (d->size == 0)
        return vk_error_set(errp, VK_EXIT_USAGE, "--disk: size must be more than 0");
    } else if (strcmp(k, "format") == 0) {
      if (!vk_install_one_of("disk", "format", it->value, formats, errp) ||
          !vk_strset(&d->format, it->value, errp))
        return false;
    } else if (strcmp(k, "bus") == 0) {
      if (!vk_install_one_of("disk", "bus", it->value, buses, errp) ||
          !vk_strset(&d->bus, it->value, errp))
        return false;
    } else if (strcmp(k, "cache") == 0) {
      if (!vk_install_one_of("disk", "cache mode", it->value, caches, errp) ||
          !vk_strset(&d->cache, it->value, errp))
        return false;
    } else if (strcmp(k, "backing") == 0 || strcmp(k, "backing_store") == 0) {
      if (!vk_strset(&d->backing, it->value, errp))
        return false;
    } else if (strcmp(k, "backing_format") == 0) {
      if (!vk_install_one_of("disk", "backing format", it->value, formats, errp) ||
          !vk_strset(&d->backing_format, it->value, errp))
        return false;
    } else if (strcmp(k, "device") == 0) {
      if (!vk_install_one_of("disk", "device", it->value, devices, errp) ||
          !vk_strset(&d->device, it->value, errp))
        return false;
    } else if (strcmp(k, "serial") == 0) {
      if (strlen(it->value) > 20 ||
          strspn(it->value,
                 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+- ") !=
              strlen(it->value))
        return vk_error_set(
            errp, VK_EXIT_USAGE,
            "--disk: serial= is at most 20 letters, digits and _.+- (libvirt's and QEMU's limits)");
      if (!vk_strset(&d->serial, it->value, errp))
        return false;
    } else if (strcmp(k, "target") == 0 || strcmp(k, "target.dev") == 0) {
      size_t n = strlen(it->value);
      if (n < 3 || n > 8 || !islower((unsigned char)it->value[0]) ||
          !islower((unsigned char)it->value[n - 1]))
        return vk_error_set(errp, VK_EXIT_USAGE,
                            "--disk: '%s' is not a target name like vdb or sdc", it->value);
      if (!vk_strset(&d->target, it->value, errp))
        return false;
      d->target_given = true;
    } else if (strcmp(k, "boot.order") == 0 || strcmp(k, "boot_order") == 0) {
      if (!parse_uint("disk", "boot.order", it->value, 1000, &d->boot_order, errp))
        return false;
    } else if (strcmp(k, "discard") == 0) {
      if (!vk_install_one_of("disk", "discard", it->value, discards, errp) ||
          !vk_strset(&d->discard, it->value, errp))
        return false;
    } else if (strcmp(k, "detect_zeroes") == 0) {
      if (!vk_install_one_of("disk", "detect_zeroes", it->value, zeroes, errp) ||
          !vk_strset(&d->detect_zeroes, it->value, errp))
        return false;
    } else if (strcmp(k, "io") == 0) {
      if (!vk_install_one_of("disk", "io", it->value, ios, errp) ||
          !vk_strset(&d->io, it->value, errp))
        return false;
    } else if (strcmp(k, "type") == 0) {
      if (strcmp(it->value, "block") && strcmp(it->value, "file"))
        return vk_error_set(errp, VK_EXIT_USAGE, "--disk: type is file or block");
      d->block = strcmp(it->value, "block") == 0;
    } else {
      return vk_error_set(errp, VK_EXIT_USAGE, "--disk: unknown sub-option '%s'", k);
    }
  }
  if (!d->device && !vk_strset(&d->device, "disk", errp))
    return false;
  if (strcmp(d->device, "cdrom") == 0 && (d->size || d->backing))
    return vk_error_set(errp, VK_EXIT_USAGE, "--disk: a cdrom cannot be created (no size= or backing=)");
  if (strcmp(d->device, "lun") == 0) {
    /* SCSI commands go to the host device itself */
    if (d->size || d->backing)
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "--disk: device=lun is a host block device (no size= or backing=)");
    d->block = true;
    if (!d->bus && !vk_strset(&d->bus, "scsi", errp))
      return false;
    if (strcmp(d->bus, "scsi") != 0)
      return vk_error_set(errp, VK_EXIT_USAGE, "--disk: device=lun is on the scsi bus");
  }
  if (strcmp(d->device, "floppy") == 0 && !d->bus && !vk_strset(&d->bus, "fdc", errp))
    return false;
  if (d->bus && strcmp(d->bus, "fdc") == 0 && strcmp(d->device, "floppy") != 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "--disk: the fdc bus is for device=floppy");
  if (d->preallocate && !d->size)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--disk: sparse=off is for an image vinstall creates (size=)");
  if (d->backing_format && !d->backing)
    return vk_error_set(errp, VK_EXIT_USAGE, "--disk: backing_format= needs backing=");
  if ((d->pool || d->vol) && d->path)
    return vk_error_set(errp, VK_EXIT_USAGE, "--disk: path= and %s= do not go together",
                        d->pool ? "pool" : "vol");
  if (d->pool && d->vol)
    return vk_error_set(errp, VK_EXIT_USAGE, "--disk: pool= and vol= do not go together");
  if (d->pool && !d->size && !d->backing)
    return vk_error_set(errp, VK_EXIT_USAGE, "--disk: pool= makes a new volume: give size=");
  if (d->vol && (d->size || d->backing))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--disk: vol= is an existing volume (no size= or backing=)");
  if (!d->path && !d->vol && !d->size && !d->backing && strcmp(d->device, "cdrom") != 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "--disk: give path=, size= or both");
  return true;
}

static bool
valid_mac(const char *mac)
{
  if (strlen(mac) != 17)
    return false;
  for (int i = 0; i < 17; i++) {
    if (i % 3 == 2 ? mac[i] != ':' : !isxdigit((unsigned char)mac[i]))
      return false;
  }
  /* A unicast address: the low bit of the first octet is clear. */
  return (strtoul(mac, NULL, 16) & 1) == 0;
}

static bool
opt_network(vk_install *in, const char *v, vk_error **errp)
{
  CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };
  vk_net_spec *n;

  if (strcmp(v, "none") == 0) {
    if (in->spec.nnets)
      return vk_error_set(errp, VK_EXIT_USAGE, "--network none cannot be combined with other networks");
    in->network_none = true;
    return true;
  }
  if (in->network_none)
    return vk_error_set(errp, VK_EXIT_USAGE, "--network none cannot be combined with other networks");
  if (!vk_subopts_parse("network", v, &so, errp))
    return false;
  if (!grow((void **)&in->spec.nets, in->spec.nnets, sizeof *n, errp))
    return false;
  n = &in->spec.nets[in->spec.nnets++];
  for (size_t i = 0; i < so.n; i++) {
    vk_subopt *it = &so.items[i];
    const char *k = it->key;

    if (i == 0 && strcmp(k, "user") == 0 && !it->value) {
      if (!vk_strset(&n->type, "user", errp))
        return false;
    } else if (i == 0 && (strcmp(k, "network") == 0 || strcmp(k, "bridge") == 0)) {
      if (!need_value("network", it, errp) || !vk_strset(&n->type, k, errp) ||
          !vk_strset(&n->source, it->value, errp))
        return false;
    } else if (i == 0 && strcmp(k, "type") == 0 && it->value &&
               (!strcmp(it->value, "direct") || !strcmp(it->value, "network") ||
                !strcmp(it->value, "bridge") || !strcmp(it->value, "user"))) {
      if (!vk_strset(&n->type, it->value, errp))
        return false;
    } else if (i == 0) {
      return vk_error_set(
          errp, VK_EXIT_USAGE,
          "--network: expected network=NAME, bridge=BR, type=direct, user or none first, not '%s'",
          k);
    } else if (!need_value("network", it, errp)) {
      return false;
    } else if (strcmp(k, "model") == 0 || strcmp(k, "model.type") == 0) {
      if (!vk_strset(&n->model, it->value, errp))
        return false;
    } else if (strcmp(k, "source") == 0 && n->type && strcmp(n->type, "user") != 0) {
      if (!vk_strset(&n->source, it->value, errp))
        return false;
    } else if (strcmp(k, "source.mode") == 0 && n->type && strcmp(n->type, "direct") == 0) {
      static const char *const modes[] = { "bridge", "vepa", "private", "passthrough", NULL };
      if (!vk_install_one_of("network", "source.mode", it->value, modes, errp) ||
          !vk_strset(&n->mode, it->value, errp))
        return false;
    } else if (strcmp(k, "mac") == 0) {
      if (!valid_mac(it->value))
        return vk_error_set(errp, VK_EXIT_USAGE, "--network: '%s' is not a unicast MAC address like 52:54:00:12:34:56",
                            it->value);
      if (!vk_strset(&n->mac, it->value, errp))
        return false;
    } else {
      return vk_error_set(errp, VK_EXIT_USAGE, "--network: unknown sub-option '%s'", k);
    }
  }
  if (n->type && strcmp(n->type, "user") != 0 && !n->source)
    return vk_error_set(errp, VK_EXIT_USAGE, "--network: type=%s needs source=", n->type);
  return true;
}

static bool
opt_graphics(vk_install *in, const char *v, vk_error **errp)
{
  CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };
  vk_domspec *s = &in->spec;

  if (!vk_subopts_parse("graphics", v, &so, errp))
    return false;
  in->graphics_given = true;
  free(s->graphics);
  s->graphics = NULL;
  for (size_t i = 0; i < so.n; i++) {
    vk_subopt *it = &so.items[i];
    const char *k = it->key;

    if (i == 0 && !it->value) {
      if (strcmp(k, "none") == 0) {
        if (so.n > 1)
          return vk_error_set(errp, VK_EXIT_USAGE, "--graphics none takes no sub-options");
        return true;
      }
      if (strcmp(k, "vnc") != 0 && strcmp(k, "spice") != 0)
        return vk_error_set(errp, VK_EXIT_USAGE, "--graphics: unknown type '%s' (vnc, spice or none)", k);
      if (!vk_strset(&s->graphics, k, errp))
        return false;
    } else if (i == 0) {
      return vk_error_set(errp, VK_EXIT_USAGE, "--graphics: give the type first (vnc, spice or none)");
    } else if (!need_value("graphics", it, errp)) {
      return false;
    } else if (strcmp(k, "listen") == 0) {
      if (!vk_strset(&s->graphics_listen, it->value, errp))
        return false;
    } else if (strcmp(k, "port") == 0) {
      unsigned port;
      if (strcmp(it->value, "-1") == 0 || strcmp(it->value, "auto") == 0) {
        s->graphics_port = -1;
        continue;
      }
      if (!parse_uint("graphics", "port", it->value, 65535, &port, errp))
        return false;
      if (port < 5900)
        return vk_error_set(errp, VK_EXIT_USAGE, "--graphics: port %u is below 5900", port);
      s->graphics_port = (int)port;
    } else {
      return vk_error_set(errp, VK_EXIT_USAGE, "--graphics: unknown sub-option '%s'", k);
    }
  }
  return true;
}

/* "pty", "file=PATH" or "file,path=PATH". */
static bool
parse_chardev(const char *opt, const char *v, vk_chardev_spec *c, vk_error **errp)
{
  CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };

  if (!vk_subopts_parse(opt, v, &so, errp))
    return false;
  for (size_t i = 0; i < so.n; i++) {
    vk_subopt *it = &so.items[i];

    if (i == 0 && strcmp(it->key, "pty") == 0 && !it->value) {
      if (!vk_strset(&c->type, "pty", errp))
        return false;
    } else if (i == 0 && strcmp(it->key, "file") == 0) {
      if (!vk_strset(&c->type, "file", errp))
        return false;
      if (it->value && (!*it->value || !vk_strset(&c->path, it->value, errp)))
        return vk_error_set(errp, VK_EXIT_USAGE, "--%s: file= needs a path", opt);
    } else if (i > 0 && strcmp(it->key, "path") == 0 && c->type &&
               strcmp(c->type, "file") == 0) {
      if (!need_value(opt, it, errp) || !vk_strset(&c->path, it->value, errp))
        return false;
    } else {
      return vk_error_set(errp, VK_EXIT_USAGE, "--%s: expected pty or file=PATH, not '%s'", opt, v);
    }
  }
  if (strcmp(c->type, "file") == 0 && !c->path)
    return vk_error_set(errp, VK_EXIT_USAGE, "--%s: file needs a path (file=PATH)", opt);
  return true;
}

bool
vk_install_option(vk_install *in, int key, const char *value, vk_error **errp)
{
  vk_domspec *s = &in->spec;

  switch (key) {
  case VK_IOPT_NAME:
    if (!value || !*value)
      return vk_error_set(errp, VK_EXIT_USAGE, "--name: the name is empty");
    if (strchr(value, '/'))
      return vk_error_set(errp, VK_EXIT_USAGE, "--name: a name cannot contain '/'");
    return vk_strset(&s->name, value, errp);
  case VK_IOPT_MEMORY:
    return opt_memory(in, value, errp);
  case VK_IOPT_VCPUS:
    return opt_vcpus(in, value, errp);
  case VK_IOPT_CPU:
    return opt_cpu(in, value, errp);
  case VK_IOPT_MACHINE: return vk_strset(&s->machine, value, errp);
  case VK_IOPT_ARCH: return vk_strset(&s->arch, value, errp);
  case VK_IOPT_VIRT_TYPE:
    if (strcmp(value, "kvm") != 0 && strcmp(value, "qemu") != 0)
      return vk_error_set(errp, VK_EXIT_USAGE, "--virt-type: '%s' is not kvm or qemu", value);
    in->virt_type_given = true;
    return vk_strset(&s->virt_type, value, errp);
  case VK_IOPT_CDROM:
    if (!*value)
      return vk_error_set(errp, VK_EXIT_USAGE, "--cdrom: the path is empty");
    if (!set_method(in, VK_INSTALL_CDROM, "--cdrom", errp))
      return false;
    {
      vk_disk_spec *d;
      if (!grow((void **)&s->disks, s->ndisks, sizeof *d, errp))
        return false;
      d = &s->disks[s->ndisks++];
      d->media = true;
      return vk_strset(&d->path, value, errp) && vk_strset(&d->device, "cdrom", errp) &&
             vk_strset(&d->format, "raw", errp);
    }
  case VK_IOPT_IMPORT:
    return set_method(in, VK_INSTALL_IMPORT, "--import", errp);
  case VK_IOPT_PXE:
    return set_method(in, VK_INSTALL_NETWORK, "--pxe", errp);
  case VK_IOPT_BOOT:
    return opt_boot(in, value, errp);
  case VK_IOPT_DISK:
    return opt_disk(in, value, errp);
  case VK_IOPT_NETWORK:
    return opt_network(in, value, errp);
  case VK_IOPT_GRAPHICS:
    return opt_graphics(in, value, errp);
  case VK_IOPT_CONSOLE:
    free(s->console.type);
    free(s->console.path);
    s->console.type = s->console.path = NULL;
    return parse_chardev("console", value, &s->console, errp);
  case VK_IOPT_SERIAL:
    if (!grow((void **)&s->serials, s->nserials, sizeof *s->serials, errp))
      return false;
    s->nserials++;
    return parse_chardev("serial", value ? value : "pty", &s->serials[s->nserials - 1], errp);
  case VK_IOPT_OS_TYPE: return vk_strset(&in->os_type, value, errp);
  case VK_IOPT_OS_VARIANT: return opt_os_variant(in, value, errp);
  case VK_IOPT_AUTOSTART:
    in->autostart = true;
    return true;
  case VK_IOPT_TRANSIENT:
    in->transient = true;
    return true;
  case VK_IOPT_NOREBOOT:
    in->noreboot = true;
    return true;
  case VK_IOPT_LOCATION:
    if (!*value)
      return vk_error_set(errp, VK_EXIT_USAGE, "--location: the path is empty");
    return set_method(in, VK_INSTALL_LOCATION, "--location", errp) &&
           vk_location_option(in, key, value, errp);
  case VK_IOPT_EXTRA_ARGS:
  case VK_IOPT_INITRD_INJECT: return vk_location_option(in, key, value, errp);
  case VK_IOPT_CHANNEL:
  case VK_IOPT_RNG:
  case VK_IOPT_VIDEO:
  case VK_IOPT_CONTROLLER:
  case VK_IOPT_TPM:
  case VK_IOPT_SOUND:
  case VK_IOPT_INPUT:
  case VK_IOPT_WATCHDOG:
  case VK_IOPT_MEMBALLOON:
  case VK_IOPT_HOSTDEV:
  case VK_IOPT_FILESYSTEM:
  case VK_IOPT_EVENTS:
  case VK_IOPT_METADATA: return vk_install_device_option(in, key, value, errp);
  case VK_IOPT_CHECK: return opt_check(in, value, errp);
  case VK_IOPT_CLOUD_INIT: return vk_cloudinit_option(&in->ci, value, errp);
  case VK_IOPT_SSH_KEY:
    if (!*value)
      return vk_error_set(errp, VK_EXIT_USAGE, "--ssh-key: the file name is empty");
    in->ci.enabled = true;
    return vk_strset(&in->ci.clouduser_ssh_key, value, errp);
  case VK_IOPT_HOSTNAME: in->ci.enabled = true; return vk_strset(&in->ci.hostname, value, errp);
  default:
    return vk_error_set(errp, VK_EXIT_USAGE, "unknown option");
  }
}
