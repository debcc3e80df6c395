/* vkit — saved state and domain jobs (see save.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cancel.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "virt/conn.h"
#include "virt/domain.h"
#include "virt/snapshot/save.h"
#include "virt/xml.h"

/* ------------------------------------------------------------ job runner */

/* One blocking libvirt call, run in a thread so that a signal can abort
 * the job it starts. */
typedef struct job {
  int (*call)(struct job *j);
  virConnectPtr conn;
  virDomainPtr dom; /* the domain whose job a signal aborts ... */
  const char *name; /* ... or its name, while it does not exist yet */
  const char *file;
  const char *xml;
  unsigned flags;
  virDomainPtr result; /* restore: the new domain */
  int rc;
  virErrorPtr err; /* the call's error, saved in its thread */
  int done[2];     /* written when the call returns */
} job;

static void *
job_thread(void *arg)
{
  job *j = arg;
  char c = 1;

  j->rc = j->call(j);
  if (j->rc < 0)
    j->err = virSaveLastError();
  while (write(j->done[1], &c, 1) < 0 && errno == EINTR)
    ;
  return NULL;
}

/* Run j->call; on a signal (cancel set), abort the domain's job and wait
 * for the call to give up.  Returns the call's result; *interrupted says
 * whether a signal came. */
static int
run_job(job *j, const atomic_int *cancel, bool *interrupted)
{
  pthread_t t;
  bool aborted = false;

  *interrupted = false;
  if (pipe2(j->done, O_CLOEXEC) < 0) {
    j->rc = j->call(j);
    if (j->rc < 0)
      j->err = virSaveLastError();
    return j->rc;
  }
  if (pthread_create(&t, NULL, job_thread, j) != 0) {
    close(j->done[0]);
    close(j->done[1]);
    j->rc = j->call(j);
    if (j->rc < 0)
      j->err = virSaveLastError();
    return j->rc;
  }
  for (;;) {
    struct pollfd p[2] = { { j->done[0], POLLIN, 0 }, { cancel ? vk_cancel_fd() : -1, POLLIN, 0 } };
    int n = poll(p, 2, cancel && !aborted ? 1000 : -1);
    if (n < 0 && errno != EINTR)
      break;
    if (p[0].revents)
      break;
    if (cancel && atomic_load(cancel) && !aborted) {
      *interrupted = true;
      aborted = true;
      if (j->dom) {
        virDomainAbortJob(j->dom);
      } else if (j->name) {
        virDomainPtr d = virDomainLookupByName(j->conn, j->name);
        if (d) {
          virDomainAbortJob(d);
          virDomainFree(d);
        }
      }
    }
  }
  pthread_join(t, NULL);
  close(j->done[0]);
  close(j->done[1]);
  if (cancel && atomic_load(cancel))
    *interrupted = true;
  return j->rc;
}

/* The error of a finished job: "interrupted" after a signal, else
 * libvirt's. */
static bool
job_error(job *j, bool interrupted, const char *verb, vk_error **errp)
{
  char what[512];

  if (j->dom)
    snprintf(what, sizeof what, "cannot %s domain '%s'", verb, virDomainGetName(j->dom));
  else
    snprintf(what, sizeof what, "cannot %s the domain", verb);
  if (interrupted) {
    if (j->err)
      virFreeError(j->err);
    j->err = NULL;
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: interrupted", what);
  }
  return vk_virt_error_from(errp, j->conn, j->err, what);
}

/* A file an operation creates: refused if it exists, its absolute name
 * (the daemon has another working directory) in *abs. */
static bool
new_file(const char *file, char **abs, vk_error **errp)
{
  struct stat st;

  if (lstat(file, &st) == 0)
    return vk_error_set(errp, VK_EXIT_BUSY, "'%s' exists already (remove it first)", file);
  if (errno != ENOENT)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot use '%s'", file);
  if (!(*abs = vk_path_absolute(file)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return true;
}

/* After a failed save or dump: the partial file goes, and a guest that
 * was running and was left paused runs again. */
static void
undo(virDomainPtr dom, const char *file, int state_before)
{
  int st, reason;

  if (file)
    unlink(file);
  if (state_before == VIR_DOMAIN_RUNNING && virDomainGetState(dom, &st, &reason, 0) == 0 &&
      st == VIR_DOMAIN_PAUSED)
    virDomainResume(dom);
}

static unsigned
save_flags(unsigned flags)
{
  unsigned f = 0;

  if (flags & VK_SAVE_BYPASS_CACHE)
    f |= VIR_DOMAIN_SAVE_BYPASS_CACHE;
  if (flags & VK_SAVE_RUNNING)
    f |= VIR_DOMAIN_SAVE_RUNNING;
  if (flags & VK_SAVE_PAUSED)
    f |= VIR_DOMAIN_SAVE_PAUSED;
  return f;
}

static int
call_save(job *j)
{
  return virDomainSaveFlags(j->dom, j->file, j->xml, j->flags);
}

bool
vk_domain_save(virDomainPtr dom, const char *file, const char *xml, unsigned flags,
               const atomic_int *cancel, vk_error **errp)
{
  CLEANUP_FREE char *abs = NULL;
  job j = { .call = call_save,
            .dom = dom,
            .conn = virDomainGetConnect(dom),
            .xml = xml,
            .flags = save_flags(flags) };
  bool interrupted;
  int state;

  if (!vk_domain_require(dom, true, &state, errp) || !new_file(file, &abs, errp))
    return false;
  j.file = abs;
  if (run_job(&j, cancel, &interrupted) < 0) {
    undo(dom, abs, state);
    return job_error(&j, interrupted, "save", errp);
  }
  return true;
}

/* <name> of domain XML. */
static char *
domain_name(const char *xml)
{
  CLEANUP_XMLDOC xmlDocPtr doc = vk_xml_read(xml, strlen(xml), "domain XML");

  return doc ? vk_xml_text(vk_xml_child(xmlDocGetRootElement(doc), "name")) : NULL;
}

static int
call_restore(job *j)
{
  return virDomainRestoreFlags(j->conn, j->file, j->xml, j->flags);
}

virDomainPtr
vk_domain_restore(virConnectPtr conn, const char *file, const char *xml, unsigned flags,
                  const atomic_int *cancel, vk_error **errp)
{
  CLEANUP_FREE char *abs = vk_path_absolute(file);
  CLEANUP_FREE char *dxml = NULL, *name = NULL;
  job j = { .call = call_restore, .conn = conn, .xml = xml, .flags = save_flags(flags) };
  bool interrupted;
  struct stat st;
  virDomainPtr dom;

  if (!abs) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  if (stat(abs, &st) < 0 && vk_conn_is_local(conn)) {
    vk_error_set_errno(errp, errno == ENOENT ? VK_EXIT_NOTFOUND : VK_EXIT_FAILED, errno,
                       "cannot restore from '%s'", file);
    return NULL;
  }
  /* The name of the domain the file holds, to find it once it runs. */
  if (!(dxml = virDomainSaveImageGetXMLDesc(conn, abs, 0))) {
    vk_virt_error(errp, conn, "cannot read the saved state in '%s'", file);
    return NULL;
  }
  if (!(name = domain_name(dxml))) {
    vk_error_set(errp, VK_EXIT_CORRUPT, "'%s': the saved state has no domain name", file);
    return NULL;
  }
  j.file = abs;
  j.name = name;
  if (run_job(&j, cancel, &interrupted) < 0) {
    job_error(&j, interrupted, "restore", errp);
    return NULL;
  }
  if (!(dom = virDomainLookupByName(conn, name)))
    vk_virt_error(errp, conn, "the domain restored from '%s' cannot be found", file);
  return dom;
}

static int
call_managed_save(job *j)
{
  return virDomainManagedSave(j->dom, j->flags);
}

bool
vk_domain_managed_save(virDomainPtr dom, unsigned flags, const atomic_int *cancel, vk_error **errp)
{
  job j = { .call = call_managed_save,
            .dom = dom,
            .conn = virDomainGetConnect(dom),
            .flags = save_flags(flags) };
  bool interrupted;
  int state;

  if (!vk_domain_require(dom, true, &state, errp))
    return false;
  if (run_job(&j, cancel, &interrupted) < 0) {
    /* libvirt removes its own managed save file when the save fails */
    undo(dom, NULL, state);
    return job_error(&j, interrupted, "save", errp);
  }
  return true;
}

bool
vk_domain_managed_save_remove(virDomainPtr dom, vk_error **errp)
{
  int has = virDomainHasManagedSaveImage(dom, 0);

  if (has < 0)
    return vk_virt_dom_error(errp, dom, "cannot inspect");
  if (!has)
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' has no managed save image",
                        virDomainGetName(dom));
  if (virDomainManagedSaveRemove(dom, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot remove the managed save image of");
  return true;
}

char *
vk_domain_managed_save_xml(virDomainPtr dom, bool secure, vk_error **errp)
{
  char *xml;
  int has = virDomainHasManagedSaveImage(dom, 0);

  if (has < 0) {
    vk_virt_dom_error(errp, dom, "cannot inspect");
    return NULL;
  }
  if (!has) {
    vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' has no managed save image",
                 virDomainGetName(dom));
    return NULL;
  }
  if (!(xml = virDomainManagedSaveGetXMLDesc(dom, secure ? VIR_DOMAIN_SAVE_IMAGE_XML_SECURE : 0)))
    vk_virt_dom_error(errp, dom, "cannot read the managed save image of");
  return xml;
}

char *
vk_save_image_xml(virConnectPtr conn, const char *file, bool secure, vk_error **errp)
{
  CLEANUP_FREE char *abs = vk_path_absolute(file);
  struct stat st;
  char *xml;

  if (!abs) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  if (stat(abs, &st) < 0 && vk_conn_is_local(conn)) {
    vk_error_set_errno(errp, errno == ENOENT ? VK_EXIT_NOTFOUND : VK_EXIT_FAILED, errno,
                       "cannot read '%s'", file);
    return NULL;
  }
  if (!(xml =
            virDomainSaveImageGetXMLDesc(conn, abs, secure ? VIR_DOMAIN_SAVE_IMAGE_XML_SECURE : 0)))
    vk_virt_error(errp, conn, "cannot read the saved state in '%s'", file);
  return xml;
}

static int
call_dump(job *j)
{
  /* with VIR_DUMP_MEMORY_ONLY, the "raw" format is an ELF core */
  return virDomainCoreDumpWithFormat(j->dom, j->file, VIR_DOMAIN_CORE_DUMP_FORMAT_RAW, j->flags);
}

bool
vk_domain_dump(virDomainPtr dom, const char *file, unsigned flags, const atomic_int *cancel,
               vk_error **errp)
{
  CLEANUP_FREE char *abs = NULL;
  job j = { .call = call_dump, .dom = dom, .conn = virDomainGetConnect(dom) };
  bool interrupted;
  int state;

  if (flags & VK_SAVE_MEMORY_ONLY)
    j.flags |= VIR_DUMP_MEMORY_ONLY;
  if (flags & VK_SAVE_BYPASS_CACHE)
    j.flags |= VIR_DUMP_BYPASS_CACHE;
  if (!vk_domain_require(dom, true, &state, errp) || !new_file(file, &abs, errp))
    return false;
  j.file = abs;
  if (run_job(&j, cancel, &interrupted) < 0) {
    undo(dom, abs, state);
    return job_error(&j, interrupted, "dump", errp);
  }
  return true;
}

/* ------------------------------------------------------------ jobs */

static const char *
job_type_word(int t)
{
  switch (t) {
  case VIR_DOMAIN_JOB_NONE: return "none";
  case VIR_DOMAIN_JOB_BOUNDED: return "bounded";
  case VIR_DOMAIN_JOB_UNBOUNDED: return "unbounded";
  case VIR_DOMAIN_JOB_COMPLETED: return "completed";
  case VIR_DOMAIN_JOB_FAILED: return "failed";
  case VIR_DOMAIN_JOB_CANCELLED: return "cancelled";
  default: return "unknown";
  }
}

static const char *
job_operation_word(int op)
{
  switch (op) {
  case VIR_DOMAIN_JOB_OPERATION_START: return "start";
  case VIR_DOMAIN_JOB_OPERATION_SAVE: return "save";
  case VIR_DOMAIN_JOB_OPERATION_RESTORE: return "restore";
  case VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN: return "migration in";
  case VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT: return "migration out";
  case VIR_DOMAIN_JOB_OPERATION_SNAPSHOT: return "snapshot";
  case VIR_DOMAIN_JOB_OPERATION_SNAPSHOT_REVERT: return "snapshot revert";
  case VIR_DOMAIN_JOB_OPERATION_DUMP: return "dump";
  case VIR_DOMAIN_JOB_OPERATION_BACKUP: return "backup";
  default: return NULL;
  }
}

bool
vk_domain_job_info(virDomainPtr dom, bool completed, vk_job_info *out, vk_error **errp)
{
  virTypedParameterPtr params = NULL;
  int nparams = 0, type, op;
  unsigned long long v;

  memset(out, 0, sizeof *out);
  if (virDomainGetJobStats(dom, &type, &params, &nparams,
                           completed ? VIR_DOMAIN_JOB_STATS_COMPLETED : 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot read the job of");
  out->type = type;
  out->type_word = job_type_word(type);
  if (virTypedParamsGetInt(params, nparams, VIR_DOMAIN_JOB_OPERATION, &op) == 1 &&
      job_operation_word(op))
    out->operation = strdup(job_operation_word(op));
#define GET(key, field)                                                                            \
  if (virTypedParamsGetULLong(params, nparams, key, &v) == 1) {                                    \
    out->field = v;                                                                                \
    out->has_##field = true;                                                                       \
  }
  GET(VIR_DOMAIN_JOB_TIME_ELAPSED, time_elapsed_ms)
  GET(VIR_DOMAIN_JOB_TIME_REMAINING, time_remaining_ms)
  GET(VIR_DOMAIN_JOB_DATA_TOTAL, data_total)
  GET(VIR_DOMAIN_JOB_DATA_PROCESSED, data_processed)
  GET(VIR_DOMAIN_JOB_DATA_REMAINING, data_remaining)
  GET(VIR_DOMAIN_JOB_MEMORY_TOTAL, memory_total)
  GET(VIR_DOMAIN_JOB_MEMORY_PROCESSED, memory_processed)
  GET(VIR_DOMAIN_JOB_MEMORY_REMAINING, memory_remaining)
  GET(VIR_DOMAIN_JOB_DISK_TOTAL, disk_total)
  GET(VIR_DOMAIN_JOB_DISK_PROCESSED, disk_processed)
  GET(VIR_DOMAIN_JOB_DISK_REMAINING, disk_remaining)
#undef GET
  virTypedParamsFree(params, nparams);
  return true;
}

void
vk_job_info_clear(vk_job_info *j)
{
  free(j->operation);
  memset(j, 0, sizeof *j);
}

bool
vk_domain_job_abort(virDomainPtr dom, vk_error **errp)
{
  if (virDomainAbortJob(dom) < 0)
    return vk_virt_dom_error(errp, dom, "cannot abort the job of");
  return true;
}
