/* vkit — vinstall's cloud-init: options, user-data and meta-data, seed. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/iso.h"
#include "util/random.h"
#include "util/text.h"
#include "virt/install/cloudinit.h"

#define MAX_SEED_FILE (4u << 20) /* no user-data is anywhere near this */
#define PASSWORD_LEN 16

static bool
set_path(char **dst, const vk_subopt *it, vk_error **errp)
{
  if (!it->value || !*it->value)
    return vk_error_set(errp, VK_EXIT_USAGE, "--cloud-init: '%s' needs a file (%s=FILE)", it->key,
                        it->key);
  return vk_strset(dst, it->value, errp);
}

static bool
set_bool(bool *dst, const vk_subopt *it, vk_error **errp)
{
  if (!it->value) {
    *dst = true;
    return true;
  }
  if (!vk_parse_bool(it->value, dst))
    return vk_error_set(errp, VK_EXIT_USAGE, "--cloud-init: %s must be on or off, not '%s'",
                        it->key, it->value);
  return true;
}

bool
vk_cloudinit_option(vk_cloudinit *ci, const char *value, vk_error **errp)
{
  CLEANUP_SUBOPTS vk_subopts so = { NULL, 0, NULL };

  ci->enabled = true;
  if (!value || !*value) {
    ci->bare = true;
    return true;
  }
  if (!vk_subopts_parse("cloud-init", value, &so, errp))
    return false;
  for (size_t i = 0; i < so.n; i++) {
    const vk_subopt *it = &so.items[i];
    const char *k = it->key;
    bool ok;

    if (!strcmp(k, "user-data"))
      ok = set_path(&ci->user_data, it, errp);
    else if (!strcmp(k, "meta-data"))
      ok = set_path(&ci->meta_data, it, errp);
    else if (!strcmp(k, "network-config"))
      ok = set_path(&ci->network_config, it, errp);
    else if (!strcmp(k, "vendor-data"))
      ok = set_path(&ci->vendor_data, it, errp);
    else if (!strcmp(k, "root-password-file"))
      ok = set_path(&ci->root_password_file, it, errp);
    else if (!strcmp(k, "root-ssh-key"))
      ok = set_path(&ci->root_ssh_key, it, errp);
    else if (!strcmp(k, "clouduser-ssh-key"))
      ok = set_path(&ci->clouduser_ssh_key, it, errp);
    else if (!strcmp(k, "root-password-generate"))
      ok = set_bool(&ci->root_password_generate, it, errp);
    else if (!strcmp(k, "disable"))
      ok = set_bool(&ci->disable, it, errp);
    else
      ok = vk_error_set(errp, VK_EXIT_USAGE, "--cloud-init: unknown sub-option '%s'", k);
    if (!ok)
      return false;
  }
  return true;
}

char *
vk_cloudinit_hostname(const char *name)
{
  size_t n = strlen(name), o = 0;
  char *h = malloc(n + sizeof "localhost");

  if (!h)
    return NULL;
  for (size_t i = 0; i < n && o < 63; i++) {
    unsigned char c = (unsigned char)name[i];
    if (isalnum(c))
      h[o++] = (char)c;
    else if (o && h[o - 1] != '-')
      h[o++] = '-';
  }
  while (o && h[o - 1] == '-')
    o--;
  if (!o)
    strcpy(h, "localhost");
  else
    h[o] = '\0';
  return h;
}

static bool
valid_hostname(const char *h)
{
  size_t label = 0, n = strlen(h);

  if (!n || n > 253)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)h[i];
    if (c == '.') {
      if (!label || h[i - 1] == '-')
        return false;
      label = 0;
    } else if (isalnum(c) || (c == '-' && label)) {
      if (++label > 63)
        return false;
    } else {
      return false;
    }
  }
  return label && h[n - 1] != '-';
}

/* A YAML double-quoted scalar: every byte that could end or bend it is
 * escaped, so a key file or a name cannot add keys of its own. */
static void
yaml_str(FILE *f, const char *s)
{
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      fprintf(f, "\\x%02x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

static bool
random_text(char *out, size_t n, vk_error **errp)
{
  static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  unsigned char r[64];

  if (n > sizeof r)
    return vk_error_set(errp, VK_EXIT_FAILED, "internal: random text too long");
  if (!vk_random_bytes(r, n, errp))
    return false;
  /* 57 letters: the bias of r % 57 is small and harmless for this use */
  for (size_t i = 0; i < n; i++)
    out[i] = alphabet[r[i] % (sizeof alphabet - 1)];
  out[n] = '\0';
  return true;
}

static bool
read_user_file(const char *what, const char *path, char **data, size_t *len, vk_error **errp)
{
  vk_error *e = NULL;

  *data = vk_read_file_max(path, MAX_SEED_FILE, len, &e);
  if (!*data) {
    vk_error_prefix(&e, "--cloud-init %s", what);
    vk_error_propagate(errp, e);
    return false;
  }
  return true;
}

/* The public keys of a key file, one a line ('#' comments and blank
 * lines dropped), as a YAML list at `indent`. */
static bool
emit_keys(FILE *f, const char *what, const char *path, int indent, vk_error **errp)
{
  CLEANUP_FREE char *text = NULL;
  size_t len, nkeys = 0;
  char *line, *save = NULL;

  if (!read_user_file(what, path, &text, &len, errp))
    return false;
  if (strlen(text) != len)
    return vk_error_set(errp, VK_EXIT_USAGE, "--cloud-init %s: %s is not a text file", what, path);
  if (strstr(text, "PRIVATE KEY-----"))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--cloud-init %s: %s is a private key; give the public one (.pub)", what,
                        path);
  for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
      line[--n] = '\0';
    while (*line == ' ' || *line == '\t')
      line++;
    if (!*line || *line == '#')
      continue;
    fprintf(f, "%*s- ", indent, "");
    yaml_str(f, line);
    fputc('\n', f);
    nkeys++;
  }
  if (!nkeys)
    return vk_error_set(errp, VK_EXIT_USAGE, "--cloud-init %s: %s holds no key", what, path);
  return true;
}

static bool
add_file(vk_cloudinit *ci, const char *name, char *data, size_t len, vk_error **errp)
{
  struct vk_cloudinit_file *f = &ci->files[ci->nfiles];

  if (ci->nfiles >= sizeof ci->files / sizeof ci->files[0] || !(f->name = strdup(name))) {
    free(data);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  f->data = data;
  f->len = len;
  ci->nfiles++;
  return true;
}

static bool
add_user_file(vk_cloudinit *ci, const char *name, const char *path, vk_error **errp)
{
  char *data;
  size_t len;

  if (!path)
    return true;
  return read_user_file(name, path, &data, &len, errp) && add_file(ci, name, data, len, errp);
}

static bool
read_password(vk_cloudinit *ci, vk_error **errp)
{
  CLEANUP_FREE char *text = NULL;
  size_t len, n;

  if (!read_user_file("root-password-file", ci->root_password_file, &text, &len, errp))
    return false;
  n = strcspn(text, "\r\n");
  if (n == 0 || strlen(text) != len)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--cloud-init root-password-file: %s holds no password on its first line",
                        ci->root_password_file);
  if (!(ci->root_password = strndup(text, n)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return true;
}

/* user-data vinstall writes when the user gave none: #cloud-config. */
static bool
compose_user_data(vk_cloudinit *ci, vk_error **errp)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  bool ok = true;

  if (!f)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot compose user-data");
  fputs("#cloud-config\n", f);
  if (ci->root_password) {
    /* the list form: every cloud-init release knows it */
    fprintf(f, "chpasswd:\n  expire: %s\n  list: |\n    root:%s\n",
            ci->root_password_generate ? "true" : "false", ci->root_password);
  }
  if (ci->root_ssh_key) {
    /* disable_root would make root's keys print "log in as ..." and quit */
    fputs("disable_root: false\nusers:\n  - default\n  - name: root\n    ssh_authorized_keys:\n",
          f);
    ok = emit_keys(f, "root-ssh-key", ci->root_ssh_key, 6, errp);
  }
  if (ok && ci->clouduser_ssh_key) {
    fputs("ssh_authorized_keys:\n", f);
    ok = emit_keys(f, "clouduser-ssh-key", ci->clouduser_ssh_key, 2, errp);
  }
  if (ok && ci->disable)
    fputs("runcmd:\n  - [touch, /etc/cloud/cloud-init.disabled]\n", f);
  if (fclose(f) != 0 && ok)
    ok = vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot compose user-data");
  if (!ok) {
    free(buf);
    return false;
  }
  return add_file(ci, "user-data", buf, len, errp);
}

static bool
compose_meta_data(vk_cloudinit *ci, const char *name, vk_error **errp)
{
  char rnd[13], *buf = NULL;
  CLEANUP_FREE char *host = ci->hostname ? strdup(ci->hostname) : vk_cloudinit_hostname(name);
  size_t len = 0;
  FILE *f;

  if (!host || !random_text(rnd, 12, errp) ||
      asprintf(&ci->instance_id, "iid-%s-%s", host, rnd) < 0) {
    ci->instance_id = NULL;
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  if (!(f = open_memstream(&buf, &len)))
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot compose meta-data");
  fputs("instance-id: ", f);
  yaml_str(f, ci->instance_id);
  fputs("\nlocal-hostname: ", f);
  yaml_str(f, host);
  fputc('\n', f);
  if (fclose(f) != 0) {
    free(buf);
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot compose meta-data");
  }
  return add_file(ci, "meta-data", buf, len, errp);
}

bool
vk_cloudinit_prepare(vk_cloudinit *ci, const char *name, char *seed_path, vk_error **errp)
{
  bool composing;

  free(ci->seed_path);
  ci->seed_path = seed_path;
  if (ci->bare && !ci->user_data && !ci->meta_data && !ci->network_config && !ci->vendor_data &&
      !ci->root_password_file && !ci->root_ssh_key && !ci->clouduser_ssh_key &&
      !ci->root_password_generate && !ci->disable) {
    /* as virt-install: --cloud-init alone */
    ci->root_password_generate = true;
    ci->disable = true;
  }
  composing = ci->root_password_generate || ci->root_password_file || ci->root_ssh_key ||
              ci->clouduser_ssh_key || ci->disable;
  if (ci->user_data && composing)
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "--cloud-init: user-data= is used as it is; put passwords, keys and runcmd in it instead of root-password-*, *-ssh-key, disable= or --ssh-key");
  if (ci->root_password_generate && ci->root_password_file)
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "--cloud-init: root-password-generate and root-password-file do not go together");
  if (ci->meta_data && ci->hostname)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--hostname: meta-data= is used as it is; put local-hostname in it");
  if (ci->hostname && !valid_hostname(ci->hostname))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--hostname: '%s' is not a host name (letters, digits, '-' and '.')",
                        ci->hostname);

  if (ci->root_password_generate) {
    char pw[PASSWORD_LEN + 1];
    if (!random_text(pw, PASSWORD_LEN, errp) || !(ci->root_password = strdup(pw)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  } else if (ci->root_password_file && !read_password(ci, errp)) {
    return false;
  }
  if (ci->user_data ? !add_user_file(ci, "user-data", ci->user_data, errp)
                    : !compose_user_data(ci, errp))
    return false;
  if (ci->meta_data ? !add_user_file(ci, "meta-data", ci->meta_data, errp)
                    : !compose_meta_data(ci, name, errp))
    return false;
  return add_user_file(ci, "network-config", ci->network_config, errp) &&
         add_user_file(ci, "vendor-data", ci->vendor_data, errp);
}

bool
vk_cloudinit_write(vk_cloudinit *ci, vk_error **errp)
{
  vk_iso_file files[4];

  for (size_t i = 0; i < ci->nfiles; i++)
    files[i] = (vk_iso_file){ ci->files[i].name, ci->files[i].data, ci->files[i].len };
  /* 0600: the seed may hold a password; libvirt hands it to QEMU's user */
  if (!vk_iso_write(ci->seed_path, "cidata", files, ci->nfiles, 0600, errp)) {
    vk_error_prefix(errp, "--cloud-init");
    return false;
  }
  ci->seed_created = true;
  return true;
}

void
vk_cloudinit_clear(vk_cloudinit *ci)
{
  free(ci->user_data);
  free(ci->meta_data);
  free(ci->network_config);
  free(ci->vendor_data);
  free(ci->root_password_file);
  free(ci->root_ssh_key);
  free(ci->clouduser_ssh_key);
  free(ci->hostname);
  free(ci->root_password);
  free(ci->instance_id);
  free(ci->seed_path);
  for (size_t i = 0; i < ci->nfiles; i++) {
    free(ci->files[i].name);
    free(ci->files[i].data);
  }
  memset(ci, 0, sizeof *ci);
}
