/* vkit — domains: listing, lifecycle and definitions. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/domain.h"
#include "virt/domparse.h"
#include "virt/domxml.h"
#include "virt/event.h"
#include "virt/snapshot/snapshot.h"
#include "virt/xml.h"

/* ------------------------------------------------------------ listing */

static int
entry_cmp(const void *a, const void *b)
{
  const vk_dom_entry *x = a, *y = b;

  if (x->id >= 0 && y->id >= 0)
    return x->id < y->id ? -1 : x->id > y->id;
  if (x->id >= 0)
    return -1;
  if (y->id >= 0)
    return 1;
  return strcasecmp(x->name, y->name);
}

static int
uuid_cmp(const void *a, const void *b)
{
  return strcmp(a, *(const char *const *)b);
}

static int
uuidp_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Which field mark() sets. */
enum mark_field { MARK_AUTOSTART, MARK_TRANSIENT, MARK_MANAGED_SAVE, MARK_SNAPSHOT };

/* Mark entries whose UUID is among the domains listed with `flag`. */
static bool
mark(virConnectPtr conn, unsigned flag, vk_dom_list *l, enum mark_field field, vk_error **errp)
{
  virDomainPtr *doms = NULL;
  int n = virConnectListAllDomains(conn, &doms, flag);
  char (*uuids)[VIR_UUID_STRING_BUFLEN];
  const char **idx;

  if (n < 0)
    return vk_virt_error(errp, conn, "cannot list domains");
  uuids = calloc((size_t)n + 1, sizeof *uuids);
  idx = calloc((size_t)n + 1, sizeof *idx);
  for (int i = 0; i < n; i++) {
    if (uuids && idx) {
      virDomainGetUUIDString(doms[i], uuids[i]);
      idx[i] = uuids[i];
    }
    virDomainFree(doms[i]);
  }
  free(doms);
  if (!uuids || !idx) {
    free(uuids);
    free(idx);
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot list domains");
  }
  qsort(idx, (size_t)n, sizeof *idx, uuidp_cmp);
  for (size_t i = 0; i < l->n; i++) {
    bool in = n > 0 && bsearch(l->doms[i].uuid, idx, (size_t)n, sizeof *idx, uuid_cmp);
    switch (field) {
    case MARK_TRANSIENT: l->doms[i].persistent = !in; break;
    case MARK_AUTOSTART: l->doms[i].autostart = in; break;
    case MARK_MANAGED_SAVE: l->doms[i].managed_save = in; break;
    case MARK_SNAPSHOT: l->doms[i].has_snapshot = in; break;
    }
  }
  free(uuids);
  free(idx);
  return true;
}

bool
vk_domain_list(virConnectPtr conn, unsigned flags, bool saved_state, vk_dom_list *out,
               vk_error **errp)
{
  virDomainPtr *doms = NULL;
  virDomainStatsRecordPtr *stats = NULL;
  int n, ns;
  bool ok = false;

  memset(out, 0, sizeof *out);
  n = virConnectListAllDomains(conn, &doms, flags);
  if (n < 0)
    return vk_virt_error(errp, conn, "cannot list domains");
  out->doms = calloc((size_t)n + 1, sizeof *out->doms);
  if (!out->doms) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot list domains");
    goto out;
  }
  for (int i = 0; i < n; i++) {
    vk_dom_entry *e = &out->doms[i];
    e->name = strdup(virDomainGetName(doms[i]));
    if (!e->name) {
      vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot list domains");
      goto out;
    }
    out->n++;
    virDomainGetUUIDString(doms[i], e->uuid);
    e->id = virDomainGetID(doms[i]) == (unsigned)-1 ? -1 : (int)virDomainGetID(doms[i]);
    e->state = VIR_DOMAIN_NOSTATE;
    e->persistent = true;
  }

  /* States for all domains in one round trip where the driver can. */
  ns = n > 0 ? virDomainListGetStats(doms, VIR_DOMAIN_STATS_STATE, &stats, 0) : 0;
  if (ns >= 0) {
    for (int i = 0; i < ns; i++) {
      int idx;
      for (idx = 0; idx < n; idx++)
        if (doms[(i + idx) % n] == stats[i]->dom ||
            strcmp(virDomainGetName(stats[i]->dom), out->doms[(i + idx) % n].name) == 0)
          break;
      if (idx == n)
        continue;
      idx = (i + idx) % n;
      for (int p = 0; p < stats[i]->nparams; p++) {
        virTypedParameterPtr tp = &stats[i]->params[p];
        if (strcmp(tp->field, "state.state") == 0)
          out->doms[idx].state = tp->value.i;
        else if (strcmp(tp->field, "state.reason") == 0)
          out->doms[idx].reason = tp->value.i;
      }
    }
    virDomainStatsRecordListFree(stats);
  } else {
    virResetLastError();
    for (int i = 0; i < n; i++) {
      if (virDomainGetState(doms[i], &out->doms[i].state, &out->doms[i].reason, 0) < 0) {
        if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN) {   /* vanished meanwhile */
          virResetLastError();
          out->doms[i].state = VIR_DOMAIN_SHUTOFF;
          continue;
        }
        vk_virt_error(errp, conn, "cannot get the state of domain '%s'", out->doms[i].name);
        goto out;
      }
    }
  }
  if (!mark(conn, VIR_CONNECT_LIST_DOMAINS_AUTOSTART, out, MARK_AUTOSTART, errp) ||
      !mark(conn, VIR_CONNECT_LIST_DOMAINS_TRANSIENT, out, MARK_TRANSIENT, errp))
    goto out;
  /* best effort: a driver may know neither managed saves nor snapshots */
  if (saved_state &&
      !mark(conn, VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE, out, MARK_MANAGED_SAVE, NULL))
    virResetLastError();
  if (saved_state && !mark(conn, VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT, out, MARK_SNAPSHOT, NULL))
    virResetLastError();
  qsort(out->doms, out->n, sizeof *out->doms, entry_cmp);
  ok = true;
out:
  for (int i = 0; i < n; i++)
    virDomainFree(doms[i]);
  free(doms);
  if (!ok)
    vk_dom_list_free(out);
  return ok;
}

void
vk_dom_list_free(vk_dom_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->doms[i].name);
  free(l->doms);
  l->doms = NULL;
  l->n = 0;
}

/* ------------------------------------------------------------ lifecycle */

static bool
get_state(virDomainPtr dom, int *state, vk_error **errp)
{
  int reason;

  if (virDomainGetState(dom, state, &reason, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot get the state of");
  return true;
}

/* Record what a lifecycle call did; true, for `return set_outcome(...)`. */
static bool
set_outcome(vk_dom_outcome *out, vk_dom_outcome what)
{
  if (out)
    *out = what;
  return true;
}

static bool
is_active_state(int s)
{
  return s != VIR_DOMAIN_SHUTOFF && s != VIR_DOMAIN_NOSTATE;
}

/* Precondition of an action on a running (or paused) domain.  Returns 1
 * to go on, with the state in *state; 0 when the domain is off and flags
 * has VK_DOM_IDEMPOTENT (nothing to do); -1 with *errp set (BUSY when
 * the domain is not running). */
static int
need_running(virDomainPtr dom, unsigned flags, int *state, vk_error **errp)
{
  if (!get_state(dom, state, errp))
    return -1;
  if (is_active_state(*state))
    return 1;
  if (flags & VK_DOM_IDEMPOTENT)
    return 0;
  vk_error_set(errp, VK_EXIT_BUSY, "domain '%s' is not running", virDomainGetName(dom));
  return -1;
}

bool
vk_domain_require(virDomainPtr dom, bool running, int *state, vk_error **errp)
{
  int st;

  if (!get_state(dom, &st, errp))
    return false;
  if (state)
    *state = st;
  if (is_active_state(st) == running)
    return true;
  return vk_error_set(errp, VK_EXIT_BUSY,
                      running ? "domain '%s' is not running" : "domain '%s' is running",
                      virDomainGetName(dom));
}

bool
vk_domain_start(virDomainPtr dom, unsigned flags, bool wait, int wait_ms, vk_dom_outcome *out,
                vk_error **errp)
{
  const char *name = virDomainGetName(dom);
  int state;

  set_outcome(out, VK_DOM_DONE);
  if (!get_state(dom, &state, errp))
    return false;
  if (is_active_state(state)) {
    if (flags & VK_DOM_IDEMPOTENT)
      return set_outcome(out, VK_DOM_ALREADY);
    return vk_error_set(errp, VK_EXIT_BUSY, "domain '%s' is already running", name);
  }
  if (virDomainCreateWithFlags(dom, (flags & VK_DOM_PAUSED) ? VIR_DOMAIN_START_PAUSED : 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot start");
  if (wait)
    return vk_domain_wait_state(dom, VK_STATE_BIT(VIR_DOMAIN_RUNNING) | VK_STATE_BIT(VIR_DOMAIN_BLOCKED) |
                                ((flags & VK_DOM_PAUSED) ? VK_STATE_BIT(VIR_DOMAIN_PAUSED) : 0),
                                wait_ms, NULL, errp);
  return true;
}

bool
vk_domain_power_mode(const char *list, unsigned *mode, vk_error **errp)
{
  static const struct {
    const char *name;
    unsigned bit;
  } modes[] = {
    { "acpi", VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN }, { "agent", VIR_DOMAIN_SHUTDOWN_GUEST_AGENT },
    { "initctl", VIR_DOMAIN_SHUTDOWN_INITCTL },     { "signal", VIR_DOMAIN_SHUTDOWN_SIGNAL },
    { "paravirt", VIR_DOMAIN_SHUTDOWN_PARAVIRT },
  };
  const char *p = list;

  *mode = 0;
  while (p && *p) {
    size_t len = strcspn(p, ","), i;
    for (i = 0; i < sizeof modes / sizeof modes[0]; i++)
      if (strlen(modes[i].name) == len && strncmp(p, modes[i].name, len) == 0)
        break;
    if (i == sizeof modes / sizeof modes[0])
      return vk_error_set(
          errp, VK_EXIT_USAGE,
          "--mode '%s': acpi, agent, initctl, signal or paravirt (a list: agent,acpi)", list);
    *mode |= modes[i].bit;
    p += len + (p[len] == ',');
  }
  return true;
}

bool
vk_domain_shutdown(virDomainPtr dom, unsigned flags, unsigned mode, bool wait, int wait_ms,
                   int force_after_ms, vk_dom_outcome *out, vk_error **errp)
{
  unsigned off = VK_STATE_BIT(VIR_DOMAIN_SHUTOFF);
  vk_error *err = NULL;
  int state, go;

  set_outcome(out, VK_DOM_DONE);
  go = need_running(dom, flags, &state, errp);
  if (go <= 0)
    return go == 0 && set_outcome(out, VK_DOM_ALREADY);
  if (virDomainShutdownFlags(dom, mode) < 0) {
    vk_error *e2 = NULL;

    vk_virt_dom_error(&err, dom, "cannot shut down");
    /* A guest that powered off by itself meanwhile is what was asked; the
     * hypervisor may say "not running" a moment before its state says so. */
    if (err->code == VK_EXIT_BUSY &&
        vk_domain_wait_state(dom, off, 5000, NULL, &e2)) {
      vk_error_free(err);
      return true;
    }
    vk_error_free(e2);
    vk_error_propagate(errp, err);
    return false;
  }
  if (force_after_ms >= 0) {
    if (vk_domain_wait_state(dom, off, force_after_ms, NULL, &err))
      return true;
    if (err->code != VK_EXIT_TIMEOUT) {
      vk_error_propagate(errp, err);
      return false;
    }
    vk_error_free(err);
    if (virDomainDestroy(dom) < 0) {
      err = NULL;
      vk_virt_dom_error(&err, dom, "cannot force off");
      if (virDomainIsActive(dom) != 0) {
        vk_error_propagate(errp, err);
        return false;
      }
      vk_error_free(err);
    }
    virResetLastError();
    set_outcome(out, VK_DOM_FORCED);
    if (!wait)
      return true;
    /* The remaining time of the wait, if it had a limit. */
    if (wait_ms >= 0)
      wait_ms = wait_ms > force_after_ms ? wait_ms - force_after_ms : 0;
    if (wait_ms >= 0 && wait_ms < 5000)
      wait_ms = 5000;   /* destroy is synchronous; only its event can lag */
  }
  if (wait)
    return vk_domain_wait_state(dom, off, wait_ms, NULL, errp);
  return true;
}

bool
vk_domain_destroy(virDomainPtr dom, unsigned flags, bool graceful, vk_dom_outcome *out,
                  vk_error **errp)
{
  int state, go;

  set_outcome(out, VK_DOM_DONE);
  go = need_running(dom, flags, &state, errp);
  if (go <= 0)
    return go == 0 && set_outcome(out, VK_DOM_ALREADY);
  if (virDomainDestroyFlags(dom, graceful ? VIR_DOMAIN_DESTROY_GRACEFUL : 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot destroy");
  return true;
}

bool
vk_domain_reboot(virDomainPtr dom, unsigned mode, vk_error **errp)
{
  int state;

  if (need_running(dom, 0, &state, errp) < 0)
    return false;
  if (virDomainReboot(dom, mode) < 0)
    return vk_virt_dom_error(errp, dom, "cannot reboot");
  return true;
}

bool
vk_domain_reset(virDomainPtr dom, vk_error **errp)
{
  int state;

  if (need_running(dom, 0, &state, errp) < 0)
    return false;
  if (virDomainReset(dom, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot reset");
  return true;
}

bool
vk_domain_rename(virDomainPtr dom, const char *name, vk_error **errp)
{
  virConnectPtr conn = virDomainGetConnect(dom);
  virDomainPtr other;
  int active = virDomainIsActive(dom);

  if (!name || !*name)
    return vk_error_set(errp, VK_EXIT_USAGE, "the new name is empty");
  if (active == 1)
    return vk_error_set(errp, VK_EXIT_BUSY,
                        "domain '%s' is running: only a shut-off domain can be renamed",
                        virDomainGetName(dom));
  if ((other = virDomainLookupByName(conn, name))) {
    virDomainFree(other);
    return vk_error_set(errp, VK_EXIT_BUSY, "a domain named '%s' exists already", name);
  }
  virResetLastError();
  if (virDomainRename(dom, name, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot rename");
  return true;
}

/* libvirt's "no description" is an error of its own (VIR_ERR_NO_DOMAIN_METADATA) */
static bool
no_metadata(void)
{
  virErrorPtr e = virGetLastError();

  return e && e->code == VIR_ERR_NO_DOMAIN_METADATA;
}

static char *
get_metadata(virDomainPtr dom, int type, const char *uri, unsigned flags, bool *none,
             vk_error **errp)
{
  char *v = virDomainGetMetadata(dom, type, uri, flags);

  *none = false;
  if (!v && no_metadata()) {
    virResetLastError();
    *none = true;
  } else if (!v) {
    vk_virt_dom_error(errp, dom, "cannot get the metadata of");
  }
  return v;
}

char *
vk_domain_desc(virDomainPtr dom, bool title, unsigned flags, bool *none, vk_error **errp)
{
  return get_metadata(dom, title ? VIR_DOMAIN_METADATA_TITLE : VIR_DOMAIN_METADATA_DESCRIPTION,
                      NULL, flags, none, errp);
}

bool
vk_domain_set_desc(virDomainPtr dom, bool title, const char *text, unsigned flags, vk_error **errp)
{
  if (title && text && strchr(text, '\n'))
    return vk_error_set(errp, VK_EXIT_USAGE, "a title is one line: it holds a newline");
  if (virDomainSetMetadata(dom, title ? VIR_DOMAIN_METADATA_TITLE : VIR_DOMAIN_METADATA_DESCRIPTION,
                           text && *text ? text : NULL, NULL, NULL, flags) < 0)
    return vk_virt_dom_error(errp, dom,
                             title ? "cannot set the title of" : "cannot set the description of");
  return true;
}

char *
vk_domain_metadata(virDomainPtr dom, const char *uri, unsigned flags, bool *none, vk_error **errp)
{
  return get_metadata(dom, VIR_DOMAIN_METADATA_ELEMENT, uri, flags, none, errp);
}

bool
vk_domain_set_metadata(virDomainPtr dom, const char *uri, const char *key, const char *xml,
                       unsigned flags, vk_error **errp)
{
  if (xml && (!key || !*key))
    return vk_error_set(errp, VK_EXIT_USAGE, "setting metadata needs --key (its namespace prefix)");
  if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml, xml ? key : NULL, uri, flags) < 0)
    return vk_virt_dom_error(errp, dom, "cannot set the metadata of");
  return true;
}

bool
vk_domain_suspend(virDomainPtr dom, unsigned flags, vk_dom_outcome *out, vk_error **errp)
{
  int state;

  set_outcome(out, VK_DOM_DONE);
  if (need_running(dom, 0, &state, errp) < 0)
    return false;
  if (state == VIR_DOMAIN_PAUSED) {
    if (flags & VK_DOM_IDEMPOTENT)
      return set_outcome(out, VK_DOM_ALREADY);
    return vk_error_set(errp, VK_EXIT_BUSY, "domain '%s' is already paused", virDomainGetName(dom));
  }
  if (virDomainSuspend(dom) < 0)
    return vk_virt_dom_error(errp, dom, "cannot suspend");
  return true;
}

bool
vk_domain_resume(virDomainPtr dom, unsigned flags, vk_dom_outcome *out, vk_error **errp)
{
  int state;

  set_outcome(out, VK_DOM_DONE);
  if (need_running(dom, 0, &state, errp) < 0)
    return false;
  if (state != VIR_DOMAIN_PAUSED) {
    if (flags & VK_DOM_IDEMPOTENT)
      return set_outcome(out, VK_DOM_ALREADY);
    return vk_error_set(errp, VK_EXIT_BUSY, "domain '%s' is not paused", virDomainGetName(dom));
  }
  if (virDomainResume(dom) < 0)
    return vk_virt_dom_error(errp, dom, "cannot resume");
  return true;
}

bool
vk_domain_set_autostart(virDomainPtr dom, bool on, vk_error **errp)
{
  if (virDomainSetAutostart(dom, on) < 0)
    return vk_virt_dom_error(errp, dom, on ? "cannot enable autostart for" : "cannot disable autostart for");
  return true;
}

/* ------------------------------------------------------------ undefine */

/* The backing file of image `file` (resolved), or NULL. */
static char *
backing_of(const char *file)
{
  vk_image *img =
      vk_image_open(file, VK_FMT_NONE, VK_IMAGE_NO_BACKING | VK_IMAGE_FORCE_SHARE, NULL);
  vk_image_info info;
  char *b = NULL;

  if (img && vk_image_get_info(img, &info, NULL) && info.backing_file)
    b = vk_image_resolve_backing(file, info.backing_file);
  if (img)
    vk_image_close(img, NULL);
  return b;
}

/* Add to the list v (n entries, room for cap) the images the domain's
 * external snapshots made its disks leave behind: below each file of v
 * that is one of the snapshots' overlays, its backing file (the disk as
 * it was when the snapshot was taken), down the chain.  A backing file
 * that no snapshot of this domain put an overlay on (a template shared by
 * linked clones) is never added. */
static char **
add_snapshot_chain(virDomainPtr dom, char **v, size_t n)
{
  vk_snap *snaps = NULL;
  size_t ns = 0, cap = n + 1;

  if (!vk_snapshot_list(dom, VK_SNAP_EXTERNAL, NULL, &snaps, &ns, NULL) || !ns)
    return v;
  for (size_t i = 0, n0 = n; i < n0; i++) {
    CLEANUP_FREE char *cur = strdup(v[i]);
    for (int depth = 0; cur && depth < VK_IMAGE_MAX_BACKING; depth++) {
      bool overlay = false;
      char *b, **grown;
      for (size_t k = 0; k < ns && !overlay; k++)
        for (size_t d = 0; d < snaps[k].ndisks && !overlay; d++)
          overlay = snaps[k].disks[d].file && !strcmp(snaps[k].disks[d].file, cur);
      if (!overlay || !(b = backing_of(cur)))
        break;
      for (size_t k = 0; k < n && b; k++)
        if (!strcmp(v[k], b)) {
          free(b);
          b = NULL;
        }
      if (!b)
        break;
      if (n + 1 >= cap) {
        if (!(grown = realloc(v, (cap * 2 + 2) * sizeof *v))) {
          free(b);
          break;
        }
        v = grown;
        cap = cap * 2 + 2;
      }
      v[n++] = b;
      v[n] = NULL;
      free(cur);
      cur = strdup(b);
    }
  }
  vk_snap_list_free(snaps, ns);
  return v;
}

/* vinstall's cloud-init seed of `dom`: the path its metadata names, when
 * a CD-ROM of the definition uses it and it is called NAME-cidata.iso
 * after this domain (a clone shares the seed and the metadata of its
 * origin, and must not remove it).  NULL when there is none. */
static char *
seed_of(virDomainPtr dom, const vk_domxml *d)
{
  CLEANUP_FREE char *meta =
      virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, VK_SEED_NS, VIR_DOMAIN_AFFECT_CONFIG);
  CLEANUP_XMLDOC xmlDocPtr doc = NULL;
  CLEANUP_FREE char *want = NULL;
  xmlNodePtr root;
  xmlChar *path;
  const char *base;
  char *seed = NULL;

  if (!meta) {
    virResetLastError();
    return NULL;
  }
  if (!(doc = vk_xml_read(meta, strlen(meta), "metadata")) || !(root = xmlDocGetRootElement(doc)) ||
      !(path = xmlGetProp(root, BAD_CAST "path")))
    return NULL;
  base = strrchr((const char *)path, '/');
  base = base ? base + 1 : (const char *)path;
  if (asprintf(&want, "%s-cidata.iso", virDomainGetName(dom)) < 0)
    want = NULL;
  for (size_t i = 0; want && !strcmp(base, want) && i < d->ndisks; i++)
    if (!strcmp(d->disks[i].device, "cdrom") && d->disks[i].source &&
        !strcmp(d->disks[i].source, (const char *)path)) {
      seed = strdup((const char *)path);
      break;
    }
  xmlFree(path);
  return seed;
}

/* Disk images of the persistent definition that undefine may delete. */
static char **
removable_disks(virDomainPtr dom, vk_error **errp)
{
  CLEANUP_FREE char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
  vk_domxml d;
  char **v;
  size_t n = 0;

  if (!xml) {
    vk_virt_dom_error(errp, dom, "cannot read the definition of");
    return NULL;
  }
  if (!vk_domxml_parse(xml, &d, errp))
    return NULL;
  v = calloc(d.ndisks + 2, sizeof *v);
  if (v && (v[n] = seed_of(dom, &d)))
    n++;
  for (size_t i = 0; v && i < d.ndisks; i++) {
    vk_disk_info *k = &d.disks[i];
    if (strcmp(k->device, "disk") != 0 || k->readonly || k->shareable || !k->source || !k->type ||
        (strcmp(k->type, "file") != 0 && strcmp(k->type, "block") != 0 && strcmp(k->type, "volume") != 0))
      continue;
    v[n++] = VK_STEAL(k->source);
  }
  vk_domxml_free(&d);
  if (v)
    v = add_snapshot_chain(dom, v, n);
  if (!v)
    vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot undefine domain '%s'",
                       virDomainGetName(dom));
  return v;
}

/* Delete one image: through its storage pool if libvirt manages it, else
 * unlink it when the hypervisor is local. */
static bool
remove_image(virConnectPtr conn, const char *path, bool block, vk_error **errp)
{
  virStorageVolPtr vol = path[0] == '/' ? virStorageVolLookupByPath(conn, path) : NULL;

  if (!vol && strchr(path, '/') && path[0] != '/') {      /* pool/volume */
    CLEANUP_FREE char *pool = strdup(path);
    char *slash = pool ? strchr(pool, '/') : NULL;
    virStoragePoolPtr p;

    if (slash) {
      *slash = '\0';
      if ((p = virStoragePoolLookupByName(conn, pool))) {
        vol = virStorageVolLookupByName(p, slash + 1);
        virStoragePoolFree(p);
      }
    }
  }
  if (vol) {
    bool ok = virStorageVolDelete(vol, 0) == 0 ||
              vk_virt_error(errp, conn, "cannot remove storage '%s'", path);
    virStorageVolFree(vol);
    return ok;
  }
  virResetLastError();
  if (block || path[0] != '/' || !vk_conn_is_local(conn))
    return vk_error_set(errp, VK_EXIT_FAILED, "storage '%s' is not managed by libvirt; remove it by hand", path);
  if (unlink(path) < 0 && errno != ENOENT)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot remove storage '%s'", path);
  return true;
}

bool
vk_domain_undefine(virDomainPtr dom, unsigned flags, char ***removed, vk_error **errp)
{
  virConnectPtr conn = virDomainGetConnect(dom);
  const char *name = virDomainGetName(dom);
  char **disks = NULL;
  unsigned vflags = 0;
  int persistent = virDomainIsPersistent(dom);

  if (removed)
    *removed = NULL;
  if (persistent < 0)
    return vk_virt_error(errp, conn, "cannot undefine domain '%s'", name);
  if (persistent == 0)
    return vk_error_set(errp, VK_EXIT_BUSY, "domain '%s' is transient: it has no definition to remove (destroy it instead)", name);
  if (flags & VK_UNDEF_REMOVE_STORAGE) {
    int active = virDomainIsActive(dom);
    if (active < 0)
      return vk_virt_error(errp, conn, "cannot undefine domain '%s'", name);
    if (active)
      return vk_error_set(errp, VK_EXIT_BUSY, "domain '%s' is running; destroy it before removing its storage", name);
    if (!(disks = removable_disks(dom, errp)))
      return false;
  }
  vflags |= (flags & VK_UNDEF_KEEP_NVRAM) ? VIR_DOMAIN_UNDEFINE_KEEP_NVRAM : VIR_DOMAIN_UNDEFINE_NVRAM;
  if (flags & VK_UNDEF_SNAPSHOTS)
    vflags |= VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
  if (flags & VK_UNDEF_MANAGED_SAVE)
    vflags |= VIR_DOMAIN_UNDEFINE_MANAGED_SAVE;
  if (virDomainUndefineFlags(dom, vflags) < 0 &&
      /* drivers without UEFI support reject the NVRAM flags: retry without */
      (!(virGetLastErrorCode() == VIR_ERR_INVALID_ARG || virGetLastErrorCode() == VIR_ERR_NO_SUPPORT) ||
       virDomainUndefineFlags(dom, vflags & ~(unsigned)(VIR_DOMAIN_UNDEFINE_NVRAM |
                                                        VIR_DOMAIN_UNDEFINE_KEEP_NVRAM)) < 0)) {
    vk_strv_free(disks);
    return vk_virt_error(errp, conn, "cannot undefine domain '%s'", name);
  }
  if (disks) {
    size_t n = 0;
    bool ok = true;
    for (char **p = disks; *p; p++) {
      vk_error *e = NULL;
      if (remove_image(conn, *p, false, &e)) {
        disks[n++] = *p;
      } else {
        free(*p);
        if (ok)
          vk_error_propagate(errp, e);
        else
          vk_error_free(e);
        ok = false;
      }
    }
    disks[n] = NULL;
    if (removed)
      *removed = disks;
    else
      vk_strv_free(disks);
    if (!ok) {
      vk_error_prefix(errp, "domain '%s' undefined, but", name);
      return false;
    }
  }
  return true;
}

/* ------------------------------------------------------------ definitions */

/* Define (or create and start) a domain from xml. */
static virDomainPtr
define_xml(virConnectPtr conn, const char *xml, bool validate, bool create, vk_error **errp)
{
  virDomainPtr d = create ? virDomainCreateXML(conn, xml, validate ? VIR_DOMAIN_START_VALIDATE : 0)
                          : virDomainDefineXMLFlags(conn, xml, validate ? VIR_DOMAIN_DEFINE_VALIDATE : 0);

  if (!d)
    vk_virt_error(errp, conn, "cannot %s the domain", create ? "create" : "define");
  return d;
}

virDomainPtr
vk_domain_define(virConnectPtr conn, const char *xml, bool validate, vk_error **errp)
{
  return define_xml(conn, xml, validate, false, errp);
}

virDomainPtr
vk_domain_create(virConnectPtr conn, const char *xml, bool validate, vk_error **errp)
{
  return define_xml(conn, xml, validate, true, errp);
}

char *
vk_domain_xml(virDomainPtr dom, bool inactive, vk_error **errp)
{
  char *x = virDomainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);

  if (!x)
    vk_virt_dom_error(errp, dom, "cannot get the XML of");
  return x;
}

