/* vkit — vinstall --location: the installer's kernel and initrd from an
 * ISO image (read with libarchive) or a tree. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/iso.h"
#include "util/path.h"
#include "util/text.h"
#include "virt/install/install.h"

#define TREEINFO_MAX (256u << 10)

/* Kernel and initrd where install media keep them, most common first. */
static const char *const known[][2] = {
  { "install.amd/vmlinuz", "install.amd/initrd.gz" },          /* Debian */
  { "casper/vmlinuz", "casper/initrd" },                       /* Ubuntu live server */
  { "install/vmlinuz", "install/initrd.gz" },                  /* Ubuntu (older) */
  { "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img" },   /* Fedora, RHEL, CentOS */
  { "isolinux/vmlinuz", "isolinux/initrd.img" },               /* RHEL, CentOS (older) */
  { "boot/x86_64/loader/linux", "boot/x86_64/loader/initrd" }, /* openSUSE */
  { "arch/boot/x86_64/vmlinuz-linux", "arch/boot/x86_64/initramfs-linux.img" }, /* Arch */
  { "debian-installer/amd64/linux", "debian-installer/amd64/initrd.gz" },       /* netboot tree */
  { "main/installer-amd64/current/images/netboot/debian-installer/amd64/linux",
    "main/installer-amd64/current/images/netboot/debian-installer/amd64/initrd.gz" },
};
#define NKNOWN (sizeof known / sizeof known[0])

/* A member name as given: no leading '/', no "..". */
static bool
member_name(const char *what, const char *v, char **dst, vk_error **errp)
{
  while (*v == '/')
    v++;
  if (!*v || strstr(v, ".."))
    return vk_error_set(errp, VK_EXIT_USAGE, "--location: %s= must name a file inside the location",
                        what);
  return vk_strset(dst, v, errp);
}

bool
vk_location_option(vk_install *in, int key, const char *value, vk_error **errp)
{
  struct vk_location *l = &in->loc;
  CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };
  char **grown;

  switch (key) {
  case VK_IOPT_EXTRA_ARGS: return vk_strset(&l->extra_args, value, errp);
  case VK_IOPT_INITRD_INJECT:
    if (!*value)
      return vk_error_set(errp, VK_EXIT_USAGE, "--initrd-inject: the file name is empty");
    if (!(grown = realloc(l->injects, (l->ninjects + 1) * sizeof *grown)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    l->injects = grown;
    l->injects[l->ninjects] = NULL;
    if (!vk_strset(&l->injects[l->ninjects], value, errp))
      return false;
    l->ninjects++;
    return true;
  default: break;
  }
  if (!vk_subopts_parse("location", value, &so, errp))
    return false;
  for (size_t i = 0; i < so.n; i++) {
    const vk_subopt *it = &so.items[i];
    bool ok;
    if (i == 0 && !it->value)
      ok = vk_strset(&l->where, it->key, errp);
    else if (!strcmp(it->key, "kernel") && it->value)
      ok = member_name("kernel", it->value, &l->kernel, errp);
    else if (!strcmp(it->key, "initrd") && it->value)
      ok = member_name("initrd", it->value, &l->initrd, errp);
    else
      ok = vk_error_set(errp, VK_EXIT_USAGE, "--location: unknown sub-option '%s'", it->key);
    if (!ok)
      return false;
  }
  if (!l->where)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--location: give the ISO image or the directory first");
  return true;
}

/* Read a file of the location (the ISO's member or the tree's file) into
 * memory; NULL when there is none. */
static char *
read_member(const struct vk_location *l, const char *name)
{
  char *data = NULL;
  size_t len;

  if (l->iso) {
    if (!vk_iso_read(l->where, name, NULL, TREEINFO_MAX, &data, &len, NULL))
      return NULL;
    return data;
  } else {
    CLEANUP_FREE char *path = NULL;
    if (asprintf(&path, "%s/%s", l->where, name) < 0)
      return NULL;
    return vk_read_file_max(path, TREEINFO_MAX, NULL, NULL);
  }
}

static bool
has_member(const struct vk_location *l, const char *name)
{
  if (l->iso) {
    const char *names[1] = { name };
    return vk_iso_find(l->where, names, 1) == 0;
  } else {
    CLEANUP_FREE char *path = NULL;
    struct stat st;
    return asprintf(&path, "%s/%s", l->where, name) >= 0 && stat(path, &st) == 0 &&
           S_ISREG(st.st_mode);
  }
}

/* The kernel and initrd: given, from .treeinfo, else a known pair. */
static bool
find_boot_files(struct vk_location *l, vk_error **errp)
{
  const char *kernels[NKNOWN];
  int k = -1;

  if (l->kernel || l->initrd) {
    if (!l->kernel || !l->initrd)
      return vk_error_set(errp, VK_EXIT_USAGE, "--location: kernel= and initrd= go together");
  } else {
    CLEANUP_FREE char *ti = read_member(l, ".treeinfo");
    if (ti) {
      l->kernel = vk_ini_get(ti, "images-x86_64", "kernel");
      l->initrd = vk_ini_get(ti, "images-x86_64", "initrd");
      if (!l->kernel || !l->initrd) {
        free(l->kernel);
        free(l->initrd);
        l->kernel = l->initrd = NULL;
      }
    }
  }
  if (!l->kernel) {
    for (size_t i = 0; i < NKNOWN; i++)
      kernels[i] = known[i][0];
    if (l->iso) {
      k = vk_iso_find(l->where, kernels, NKNOWN);
    } else {
      for (size_t i = 0; i < NKNOWN && k < 0; i++)
        if (has_member(l, kernels[i]))
          k = (int)i;
    }
    if (k < 0)
      return vk_error_set(
          errp, VK_EXIT_NOTFOUND,
          "--location: no installer kernel found in %s (no .treeinfo, none of the known paths; say kernel=,initrd=)",
          l->where);
    if (!vk_strset(&l->kernel, known[k][0], errp) || !vk_strset(&l->initrd, known[k][1], errp))
      return false;
  }
  /* a kernel found by the scan above is there; one named is checked */
  if (k < 0 && !has_member(l, l->kernel))
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "--location: %s has no %s", l->where, l->kernel);
  if (!has_member(l, l->initrd))
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "--location: %s has no %s", l->where, l->initrd);
  return true;
}

static bool
add_media(vk_install *in, vk_error **errp)
{
  vk_domspec *s = &in->spec;
  vk_disk_spec *grown, *d;

  if (!(grown = realloc(s->disks, (s->ndisks + 1) * sizeof *grown)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  s->disks = grown;
  d = memset(&s->disks[s->ndisks++], 0, sizeof *d);
  d->media = true;
  d->readonly = true;
  return vk_strset(&d->path, in->loc.where, errp) && vk_strset(&d->device, "cdrom", errp) &&
         vk_strset(&d->format, "raw", errp);
}

bool
vk_location_prepare(vk_install *in, vk_error **errp)
{
  struct vk_location *l = &in->loc;
  vk_domspec *s = &in->spec;
  struct stat st;
  char *abs;

  if (in->method != VK_INSTALL_LOCATION) {
    if (l->extra_args || l->ninjects)
      return vk_error_set(errp, VK_EXIT_USAGE, "%s needs --location",
                          l->extra_args ? "--extra-args" : "--initrd-inject");
    return true;
  }
  if (!(abs = vk_path_absolute(l->where)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  free(l->where);
  l->where = abs;
  if (stat(l->where, &st) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "--location %s", l->where);
  if (S_ISDIR(st.st_mode))
    l->iso = false;
  else if (S_ISREG(st.st_mode) && vk_iso_is_iso(l->where))
    l->iso = true;
  else
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--location: %s is neither an ISO image nor a directory", l->where);
  for (size_t i = 0; i < l->ninjects; i++) {
    if (access(l->injects[i], R_OK) < 0)
      return vk_error_set_errno(errp, VK_EXIT_USAGE, errno, "--initrd-inject %s", l->injects[i]);
  }
  if (!find_boot_files(l, errp))
    return false;

  /* The first boot's kernel and initrd: the tree's own files, or copies
   * in a directory of their own (an ISO's members; an initrd that gets
   * injected files). */
  free(s->kernel);
  free(s->initrd);
  s->kernel = s->initrd = NULL;
  if (l->iso || l->ninjects) {
    free(l->boot_dir);
    if (asprintf(&l->boot_dir, "%s/vinstall-%s", l->boot_base ? l->boot_base : VK_INSTALL_BOOT_DIR,
                 s->name) < 0) {
      l->boot_dir = NULL;
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    }
  }
  if ((l->iso ? asprintf(&s->kernel, "%s/vmlinuz", l->boot_dir)
              : asprintf(&s->kernel, "%s/%s", l->where, l->kernel)) < 0 ||
      (l->boot_dir ? asprintf(&s->initrd, "%s/initrd", l->boot_dir)
                   : asprintf(&s->initrd, "%s/%s", l->where, l->initrd)) < 0) {
    s->kernel = s->initrd = NULL;
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  if (l->extra_args && !vk_strset(&s->cmdline, l->extra_args, errp))
    return false;
  /* the installer finds its packages on the ISO: it is a CD-ROM too */
  return !l->iso || add_media(in, errp);
}

/* Copy the tree's file `src` to `dst` (a new file). */
static bool
copy_file(const char *src, const char *dst, vk_error **errp)
{
  CLEANUP_CLOSE int in = open(src, O_RDONLY | O_CLOEXEC);
  CLEANUP_CLOSE int out = -1;
  char buf[1 << 16];
  ssize_t n;

  if (in < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot open %s", src);
  out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot create %s", dst);
  while ((n = read(in, buf, sizeof buf)) > 0)
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return vk_error_set_errno(errp, VK_EXIT_FAILED, w < 0 ? errno : ENOSPC, "cannot write %s",
                                  dst);
      off += w;
    }
  if (n < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot read %s", src);
  return true;
}

bool
vk_location_fetch(vk_install *in, vk_error **errp)
{
  struct vk_location *l = &in->loc;
  vk_domspec *s = &in->spec;
  CLEANUP_FREE char *src_initrd = NULL;

  if (in->method != VK_INSTALL_LOCATION || !l->boot_dir)
    return true;
  /* QEMU's user must reach the files: the directory is 0755 */
  if (mkdir(l->boot_base ? l->boot_base : VK_INSTALL_BOOT_DIR, 0711) < 0 && errno != EEXIST)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot create %s",
                              l->boot_base ? l->boot_base : VK_INSTALL_BOOT_DIR);
  if (mkdir(l->boot_dir, 0755) < 0)
    return vk_error_set_errno(errp, errno == EEXIST ? VK_EXIT_BUSY : VK_EXIT_FAILED, errno,
                              "--location: cannot create %s", l->boot_dir);
  l->boot_dir_made = true;
  if (chmod(l->boot_dir, 0755) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "--location: %s", l->boot_dir);
  if (l->iso) {
    if (!vk_iso_read(l->where, l->kernel, s->kernel, 0, NULL, NULL, errp) ||
        !vk_iso_read(l->where, l->initrd, s->initrd, 0, NULL, NULL, errp))
      return false;
  } else {
    if (asprintf(&src_initrd, "%s/%s", l->where, l->initrd) < 0) {
      src_initrd = NULL;
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    }
    if (!copy_file(src_initrd, s->initrd, errp))
      return false;
  }
  return !l->ninjects || vk_cpio_append(s->initrd, l->injects, l->ninjects, errp);
}

void
vk_location_cleanup(vk_install *in)
{
  struct vk_location *l = &in->loc;

  if (!l->boot_dir_made)
    return;
  if (l->iso)
    unlink(in->spec.kernel);
  unlink(in->spec.initrd);
  rmdir(l->boot_dir);
  l->boot_dir_made = false;
}
