/* vkit — live block jobs (see blockjob.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "util/text.h"
#include "virt/conn.h"
#include "virt/domain.h"
#include "virt/event.h"
#include "virt/snapshot/blockjob.h"
#include "virt/xml.h"

/* ------------------------------------------------------------ the disk */

/* The <disk> element of `disk` (a target name or a source file) in the
 * live XML of dom. */
static xmlNode *
find_disk(xmlDocPtr doc, const char *disk)
{
  xmlNode *devs = vk_xml_child(xmlDocGetRootElement(doc), "devices");

  for (xmlNode *n = devs ? devs->children : NULL; n; n = n->next) {
    CLEANUP_FREE char *dev = NULL, *file = NULL;
    if (!vk_xml_is(n, "disk"))
      continue;
    dev = vk_xml_attr(vk_xml_child(n, "target"), "dev");
    file = vk_xml_attr(vk_xml_child(n, "source"), "file");
    if ((dev && !strcmp(dev, disk)) || (file && !strcmp(file, disk)))
      return n;
  }
  return NULL;
}

static xmlDocPtr
live_xml(virDomainPtr dom, vk_error **errp)
{
  CLEANUP_FREE char *xml = virDomainGetXMLDesc(dom, 0);
  xmlDocPtr doc;

  if (!xml) {
    vk_virt_dom_error(errp, dom, "cannot read the definition of");
    return NULL;
  }
  if (!(doc = vk_xml_read(xml, strlen(xml), "domain XML")))
    vk_error_set(errp, VK_EXIT_FAILED, "libvirt gave domain XML that cannot be read");
  return doc;
}

static bool
no_disk(virDomainPtr dom, const char *disk, vk_error **errp)
{
  return vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' has no disk '%s'", virDomainGetName(dom),
                      disk);
}

/* The target name (vda) of `disk` in *target and, if chain is non-NULL,
 * the files of its chain, top first (NULL-terminated), from one read of
 * the live XML. */
static bool
disk_lookup(virDomainPtr dom, const char *disk, char **target, char ***chain, vk_error **errp)
{
  CLEANUP_XMLDOC xmlDocPtr doc = live_xml(dom, errp);
  xmlNode *n;
  char **v = NULL;
  size_t k = 0;

  *target = NULL;
  if (chain)
    *chain = NULL;
  if (!doc)
    return false;
  if (!(n = find_disk(doc, disk)))
    return no_disk(dom, disk, errp);
  if (!(*target = vk_xml_attr(vk_xml_child(n, "target"), "dev")))
    return vk_error_set(errp, VK_EXIT_FAILED, "disk '%s' has no target", disk);
  if (!chain)
    return true;
  if (!(v = calloc(VK_IMAGE_MAX_BACKING + 2, sizeof *v))) {
    free(*target);
    *target = NULL;
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  for (; n && k <= VK_IMAGE_MAX_BACKING; n = vk_xml_child(n, "backingStore")) {
    char *f = vk_xml_attr(vk_xml_child(n, "source"), "file");
    if (!f)
      f = vk_xml_attr(vk_xml_child(n, "source"), "dev");
    if (!f)
      break;
    v[k++] = f;
  }
  *chain = v;
  return true;
}

char **
vk_disk_chain(virDomainPtr dom, const char *disk, vk_error **errp)
{
  CLEANUP_FREE char *target = NULL;
  char **chain;

  return disk_lookup(dom, disk, &target, &chain, errp) ? chain : NULL;
}

/* The target name (vda) of `disk`, a new string. */
static char *
disk_target(virDomainPtr dom, const char *disk, vk_error **errp)
{
  char *t;

  return disk_lookup(dom, disk, &t, NULL, errp) ? t : NULL;
}

/* ------------------------------------------------------------ events */

typedef struct waiter {
  vk_waiter base;
  char *target;
  int status; /* last virConnectDomainEventBlockJobStatus seen, -1: none */
  bool seen_ready;
} waiter;

static void
waiter_release(void *object)
{
  waiter *w = object;

  free(w->target);
  free(w);
}

static void
job_cb(virConnectPtr conn, virDomainPtr dom, const char *disk, int type, int status, void *opaque)
{
  waiter *w = opaque;

  (void)conn;
  (void)dom;
  (void)type;
  if (!disk || strcmp(disk, w->target))
    return;
  pthread_mutex_lock(&w->base.lock);
  w->status = status;
  if (status == VIR_DOMAIN_BLOCK_JOB_READY)
    w->seen_ready = true;
  pthread_cond_signal(&w->base.cond);
  pthread_mutex_unlock(&w->base.lock);
}

/* A job being followed: the registration made before the job starts, so
 * that no event is missed. */
typedef struct follow {
  virDomainPtr dom;
  waiter *w;
  int cb;
} follow;

static bool
follow_start(follow *f, virDomainPtr dom, const char *target, vk_error **errp)
{
  waiter *w = calloc(1, sizeof *w);

  f->dom = dom;
  f->w = NULL;
  f->cb = -1;
  if (!w || !(w->target = strdup(target))) {
    free(w);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  vk_waiter_init(&w->base, 2, waiter_release); /* ours and the callback's */
  w->status = -1;
  f->cb = virConnectDomainEventRegisterAny(virDomainGetConnect(dom), dom,
                                           VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2,
                                           VIR_DOMAIN_EVENT_CALLBACK(job_cb), w, vk_waiter_unref);
  if (f->cb < 0) {
    vk_waiter_unref(w);
    vk_waiter_unref(w);
    return vk_virt_dom_error(errp, dom, "cannot watch the block jobs of");
  }
  f->w = w;
  return true;
}

static void
follow_end(follow *f)
{
  if (f->cb >= 0)
    virConnectDomainEventDeregisterAny(virDomainGetConnect(f->dom), f->cb);
  if (f->w)
    vk_waiter_unref(f->w);
  f->cb = -1;
  f->w = NULL;
}

/* How often the wait looks at the clock, the signal flag and the job's
 * progress; the end of the job itself comes as an event. */
#define SLICE_MS 200
/* A job gone without its event: how long to wait for the event anyway. */
#define GRACE_MS 2000

enum outcome { DONE, READY, FAILED, CANCELED, TIMEDOUT, INTERRUPTED, ERROR };

static enum outcome
follow_wait(follow *f, const char *target, bool mirror, const vk_blockjob_opts *o, vk_error **errp)
{
  int64_t deadline = o->wait_ms >= 0 ? vk_now_ms() + o->wait_ms : -1;
  int64_t gone_since = -1;

  for (;;) {
    int status;
    struct timespec ts;
    virDomainBlockJobInfo info;
    int r;

    pthread_mutex_lock(&f->w->base.lock);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += SLICE_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    if (f->w->status < 0 || (f->w->status == VIR_DOMAIN_BLOCK_JOB_READY && !mirror))
      pthread_cond_timedwait(&f->w->base.cond, &f->w->base.lock, &ts);
    status = f->w->status;
    pthread_mutex_unlock(&f->w->base.lock);

    switch (status) {
    case VIR_DOMAIN_BLOCK_JOB_COMPLETED: return DONE;
    case VIR_DOMAIN_BLOCK_JOB_FAILED: return FAILED;
    case VIR_DOMAIN_BLOCK_JOB_CANCELED: return CANCELED;
    case VIR_DOMAIN_BLOCK_JOB_READY:
      if (mirror)
        return READY;
      break;
    default: break;
    }
    if (o->cancel && atomic_load(o->cancel))
      return INTERRUPTED;
    if (deadline >= 0 && vk_now_ms() >= deadline) {
      vk_error_set(errp, VK_EXIT_TIMEOUT,
                   "the block job on disk %s of domain '%s' did not end in time", target,
                   virDomainGetName(f->dom));
      return TIMEDOUT;
    }
    r = virDomainGetBlockJobInfo(f->dom, target, &info, VIR_DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES);
    if (r < 0) {
      vk_virt_dom_error(errp, f->dom, "cannot follow the block job of");
      return ERROR;
    }
    if (r == 0) {
      /* gone: its event is on its way */
      if (gone_since < 0)
        gone_since = vk_now_ms();
      else if (vk_now_ms() - gone_since > GRACE_MS)
        return DONE;
    } else if (o->progress) {
      o->progress(o->opaque, info.cur, info.end);
    }
  }
}

/* Abort the disk's job (libvirt returns once it is gone); the disk
 * stays on the image it was using. */
static void
abort_job(follow *f, const char *target)
{
  virDomainBlockJobAbort(f->dom, target, 0);
}

/* Wait for the job that was just started and end it as o says.  Returns
 * false with *errp set; *pivoted says whether the disk moved to the new
 * image. */
static bool
finish_job(follow *f, const char *target, const char *what, bool mirror, const vk_blockjob_opts *o,
           bool *pivoted, vk_error **errp)
{
  enum outcome r;

  *pivoted = false;
  if (!o->wait)
    return true;
  r = follow_wait(f, target, mirror, o, errp);
  switch (r) {
  case DONE: *pivoted = true; return true;
  case READY:
    if (!o->pivot && !o->finish)
      return true; /* left running, in sync, as asked */
    if (virDomainBlockJobAbort(f->dom, target, o->pivot ? VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT : 0) < 0)
      return vk_virt_dom_error(
          errp, f->dom, o->pivot ? "cannot pivot the disk of" : "cannot finish the block job of");
    *pivoted = o->pivot;
    return true;
  case FAILED:
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "%s of disk %s of domain '%s' failed (see the domain's log)", what, target,
                        virDomainGetName(f->dom));
  case CANCELED:
    return vk_error_set(errp, VK_EXIT_FAILED, "%s of disk %s of domain '%s' was aborted", what,
                        target, virDomainGetName(f->dom));
  case INTERRUPTED:
    abort_job(f, target);
    return vk_error_set(errp, VK_EXIT_FAILED, "%s of disk %s: interrupted, job aborted", what,
                        target);
  case TIMEDOUT:
    abort_job(f, target);
    vk_error_prefix(errp, "%s: job aborted", what);
    return false;
  case ERROR:
  default: return false;
  }
}

/* libvirt's bandwidth argument (bytes per second with the _BYTES flags). */
static unsigned long
bw(uint64_t bps)
{
  return bps > (uint64_t)~0UL ? ~0UL : (unsigned long)bps;
}

/* The files of `before` no longer in `after`, removed. */
static void
remove_dropped(char **before, char **after)
{
  for (char **b = before; b && *b; b++) {
    bool kept = false;
    for (char **a = after; a && *a; a++)
      kept |= !strcmp(*a, *b);
    if (!kept)
      unlink(*b);
  }
}

bool
vk_block_commit(virDomainPtr dom, const char *disk, const char *base, const char *top,
                unsigned flags, const vk_blockjob_opts *o, vk_error **errp)
{
  CLEANUP_FREE char *target = NULL;
  CLEANUP_STRV char **before = NULL;
  CLEANUP_STRV char **after = NULL;
  unsigned lf = VIR_DOMAIN_BLOCK_COMMIT_BANDWIDTH_BYTES;
  follow f;
  bool ok, pivoted, active = flags & VK_COMMIT_ACTIVE;

  if (!vk_domain_require(dom, true, NULL, errp) || !disk_lookup(dom, disk, &target, &before, errp))
    return false;
  if (!before[0] || !before[1])
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "disk %s of domain '%s' has no backing file: nothing to commit", target,
                        virDomainGetName(dom));
  if (active && top && strcmp(top, before[0]))
    return vk_error_set(errp, VK_EXIT_USAGE, "--active commits the active image (%s), not '%s'",
                        before[0], top);
  if (!active && top && !strcmp(top, before[0]))
    return vk_error_set(errp, VK_EXIT_USAGE, "'%s' is the active image: commit it with --active",
                        top);
  lf |= active ? VIR_DOMAIN_BLOCK_COMMIT_ACTIVE : 0;
  lf |= (flags & VK_COMMIT_SHALLOW) ? VIR_DOMAIN_BLOCK_COMMIT_SHALLOW : 0;
  if (!follow_start(&f, dom, target, errp))
    return false;
  if (virDomainBlockCommit(dom, target, base, top, bw(o->bandwidth), lf) < 0) {
    follow_end(&f);
    return vk_virt_dom_error(errp, dom, "cannot start the commit of a disk of");
  }
  ok = finish_job(&f, target, "commit", active, o, &pivoted, errp);
  follow_end(&f);
  if (ok && (flags & VK_COMMIT_DELETE) && o->wait && (pivoted || !active) &&
      (after = vk_disk_chain(dom, target, NULL)))
    remove_dropped(before, after);
  return ok;
}

bool
vk_block_pull(virDomainPtr dom, const char *disk, const char *base, const vk_blockjob_opts *o,
              vk_error **errp)
{
  CLEANUP_FREE char *target = NULL;
  follow f;
  bool ok, pivoted;

  if (!vk_domain_require(dom, true, NULL, errp) || !(target = disk_target(dom, disk, errp)))
    return false;
  if (!follow_start(&f, dom, target, errp))
    return false;
  if (virDomainBlockRebase(dom, target, base, bw(o->bandwidth),
                           VIR_DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES) < 0) {
    follow_end(&f);
    return vk_virt_dom_error(errp, dom, "cannot start the pull into a disk of");
  }
  ok = finish_job(&f, target, "pull", false, o, &pivoted, errp);
  follow_end(&f);
  return ok;
}

/* A new image at dest for a copy of `src` (the active image of the disk,
 * `backing` its backing file). */
static bool
make_dest(const char *dest, const char *format, const char *src, const char *backing, bool shallow,
          vk_error **errp)
{
  vk_image *img;
  vk_image_opts o;
  vk_image_format bfmt = VK_FMT_NONE;
  bool ok;

  if (!(img = vk_image_open(src, VK_FMT_NONE, VK_IMAGE_FORCE_SHARE | VK_IMAGE_NO_BACKING, errp)))
    return false;
  vk_image_opts_init(&o);
  o.size = vk_image_size(img);
  vk_image_close(img, NULL);
  if (!vk_image_format_parse(format, &o.format, errp))
    return false;
  if (shallow && backing) {
    if (o.format != VK_FMT_QCOW2)
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "--shallow needs a qcow2 copy (it keeps the backing file)");
    if (!(img = vk_image_open(backing, VK_FMT_NONE, VK_IMAGE_FORCE_SHARE | VK_IMAGE_NO_BACKING,
                              errp)))
      return false;
    bfmt = vk_image_get_format(img);
    vk_image_close(img, NULL);
    if (!(o.backing_file = strdup(backing)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    o.backing_fmt = bfmt;
    o.has_backing_fmt = 1;
  }
  ok = vk_image_create(dest, &o, 0, errp);
  vk_image_opts_clear(&o);
  return ok;
}

bool
vk_block_copy(virDomainPtr dom, const char *disk, const char *dest, const char *format,
              unsigned flags, const vk_blockjob_opts *o, vk_error **errp)
{
  CLEANUP_FREE char *target = NULL, *abs = NULL, *xml = NULL;
  CLEANUP_STRV char **chain = NULL;
  virTypedParameterPtr params = NULL;
  int nparams = 0, maxparams = 0;
  unsigned lf = VIR_DOMAIN_BLOCK_COPY_REUSE_EXT;
  bool made = false, ok, pivoted;
  follow f;
  struct stat st;

  if (!format)
    format = "qcow2";
  if (strcmp(format, "qcow2") && strcmp(format, "raw"))
    return vk_error_set(errp, VK_EXIT_USAGE, "--format %s: a copy is qcow2 or raw", format);
  if (!vk_domain_require(dom, true, NULL, errp) || !disk_lookup(dom, disk, &target, &chain, errp))
    return false;
  if (!chain[0])
    return vk_error_set(errp, VK_EXIT_FAILED, "disk %s has no image to copy", target);
  if (!(abs = vk_path_absolute(dest)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (flags & VK_COPY_REUSE) {
    if (stat(abs, &st) < 0)
      return vk_error_set_errno(errp, VK_EXIT_NOTFOUND, errno, "--reuse-external: '%s'", dest);
  } else {
    if (lstat(abs, &st) == 0)
      return vk_error_set(errp, VK_EXIT_BUSY,
                          "'%s' exists already (remove it, or give --reuse-external)", dest);
    if (!make_dest(abs, format, chain[0], chain[1], flags & VK_COPY_SHALLOW, errp))
      return false;
    made = true;
  }
  {
    vk_xml_builder b = { false };
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "disk", NULL) : NULL;
    if (root) {
      xmlDocSetRootElement(doc, root);
      vk_xml_set(&b, root, "type", "file");
      vk_xml_set(&b, vk_xml_add(&b, root, "driver", NULL), "type", format);
      vk_xml_set(&b, vk_xml_add(&b, root, "source", NULL), "file", abs);
      xml = b.oom ? NULL : vk_xml_serialize(&b, doc);
    }
    if (doc)
      xmlFreeDoc(doc);
    if (!xml) {
      if (made)
        unlink(abs);
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    }
  }
  if (o->bandwidth && virTypedParamsAddULLong(&params, &nparams, &maxparams,
                                              VIR_DOMAIN_BLOCK_COPY_BANDWIDTH, o->bandwidth) < 0) {
    if (made)
      unlink(abs);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  lf |= (flags & VK_COPY_SHALLOW) ? VIR_DOMAIN_BLOCK_COPY_SHALLOW : 0;
  /* libvirt copies the disks of persistent domains only as transient
   * jobs (not resumed after a restart of the domain): say so for the
   * caller, as the job would be refused otherwise */
  if ((flags & VK_COPY_TRANSIENT) || virDomainIsPersistent(dom) == 1)
    lf |= VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB;
  if (!follow_start(&f, dom, target, errp)) {
    virTypedParamsFree(params, nparams);
    if (made)
      unlink(abs);
    return false;
  }
  if (virDomainBlockCopy(dom, target, xml, params, nparams, lf) < 0) {
    virErrorPtr saved = virSaveLastError();
    follow_end(&f);
    virTypedParamsFree(params, nparams);
    if (made)
      unlink(abs);
    char what[256];
    snprintf(what, sizeof what, "cannot copy disk %s of domain '%s'", target,
             virDomainGetName(dom));
    return vk_virt_error_from(errp, virDomainGetConnect(dom), saved, what);
  }
  virTypedParamsFree(params, nparams);
  ok = finish_job(&f, target, "copy", true, o, &pivoted, errp);
  follow_end(&f);
  /* a copy that failed or was aborted is worth nothing */
  if (!ok && made)
    unlink(abs);
  return ok;
}

static const char *
job_type_word(int t)
{
  switch (t) {
  case VIR_DOMAIN_BLOCK_JOB_TYPE_PULL: return "pull";
  case VIR_DOMAIN_BLOCK_JOB_TYPE_COPY: return "copy";
  case VIR_DOMAIN_BLOCK_JOB_TYPE_COMMIT: return "commit";
  case VIR_DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT: return "active commit";
  case VIR_DOMAIN_BLOCK_JOB_TYPE_BACKUP: return "backup";
  default: return "unknown";
  }
}

bool
vk_blockjob_info_get(virDomainPtr dom, const char *disk, vk_blockjob_info *out, vk_error **errp)
{
  CLEANUP_FREE char *target = NULL;
  virDomainBlockJobInfo info;
  int r;

  memset(out, 0, sizeof *out);
  if (!(target = disk_target(dom, disk, errp)))
    return false;
  r = virDomainGetBlockJobInfo(dom, target, &info, VIR_DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES);
  if (r < 0)
    return vk_virt_dom_error(errp, dom, "cannot read the block job of");
  if (r == 0)
    return true;
  out->active = true;
  out->type = job_type_word(info.type);
  out->bandwidth = info.bandwidth;
  out->cur = info.cur;
  out->end = info.end;
  out->ready = (info.type == VIR_DOMAIN_BLOCK_JOB_TYPE_COPY ||
                info.type == VIR_DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT) &&
               info.end > 0 && info.cur == info.end;
  return true;
}

bool
vk_blockjob_abort(virDomainPtr dom, const char *disk, bool pivot, vk_error **errp)
{
  CLEANUP_FREE char *target = NULL;
  unsigned lf = pivot ? VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT : 0;

  if (!(target = disk_target(dom, disk, errp)))
    return false;
  /* without ASYNC, libvirt returns once the job is gone */
  if (virDomainBlockJobAbort(dom, target, lf) < 0)
    return vk_virt_dom_error(errp, dom,
                             pivot ? "cannot pivot the disk of" : "cannot abort the block job of");
  return true;
}

bool
vk_blockjob_set_bandwidth(virDomainPtr dom, const char *disk, uint64_t bandwidth, vk_error **errp)
{
  CLEANUP_FREE char *target = NULL;

  if (!(target = disk_target(dom, disk, errp)))
    return false;
  if (virDomainBlockJobSetSpeed(dom, target, bw(bandwidth),
                                VIR_DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES) < 0)
    return vk_virt_dom_error(errp, dom, "cannot change the bandwidth of the block job of");
  return true;
}

bool
vk_block_resize(virDomainPtr dom, const char *disk, uint64_t size, vk_error **errp)
{
  CLEANUP_FREE char *target = NULL;

  if (!vk_domain_require(dom, true, NULL, errp) || !(target = disk_target(dom, disk, errp)))
    return false;
  if (virDomainBlockResize(dom, target, size, VIR_DOMAIN_BLOCK_RESIZE_BYTES) < 0)
    return vk_virt_dom_error(errp, dom, "cannot resize a disk of");
  return true;
}
