/* vkit — long libvirt calls run as domain jobs (see job.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cancel.h"
#include "virt/conn.h"
#include "virt/event.h"
#include "virt/job.h"

/* ------------------------------------------------------------ runner */

static void *
job_thread(void *arg)
{
  vk_job *j = arg;
  char c = 1;

  j->rc = j->call(j);
  if (j->rc < 0)
    j->err = virSaveLastError();
  while (write(j->done[1], &c, 1) < 0 && errno == EINTR)
    ;
  return NULL;
}

static void
run_inline(vk_job *j)
{
  j->rc = j->call(j);
  if (j->rc < 0)
    j->err = virSaveLastError();
}

static void
abort_job(vk_job *j)
{
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

int
vk_job_run(vk_job *j, const atomic_int *cancel)
{
  pthread_t t;
  bool aborted = false;
  int64_t next_tick = 0;

  j->interrupted = false;
  j->err = NULL;
  if (pipe2(j->done, O_CLOEXEC) < 0) {
    run_inline(j);
    return j->rc;
  }
  if (pthread_create(&t, NULL, job_thread, j) != 0) {
    close(j->done[0]);
    close(j->done[1]);
    run_inline(j);
    return j->rc;
  }
  if (j->tick && j->tick_ms > 0)
    next_tick = vk_now_ms() + j->tick_ms;
  for (;;) {
    struct pollfd p[2] = { { j->done[0], POLLIN, 0 }, { cancel ? vk_cancel_fd() : -1, POLLIN, 0 } };
    int timeout = cancel && !aborted ? 1000 : -1;
    int n;

    if (next_tick) {
      int64_t left = next_tick - vk_now_ms();
      if (left < 0)
        left = 0;
      if (timeout < 0 || left < timeout)
        timeout = (int)left;
    }
    n = poll(p, 2, timeout);
    if (n < 0 && errno != EINTR)
      break;
    if (p[0].revents)
      break;
    if (cancel && atomic_load(cancel) && !aborted) {
      j->interrupted = true;
      aborted = true;
      abort_job(j);
    }
    if (next_tick && vk_now_ms() >= next_tick && !aborted) {
      j->tick(j);
      next_tick = vk_now_ms() + j->tick_ms;
    }
  }
  pthread_join(t, NULL);
  close(j->done[0]);
  close(j->done[1]);
  if (cancel && atomic_load(cancel))
    j->interrupted = true;
  return j->rc;
}

bool
vk_job_error(vk_job *j, const char *verb, vk_error **errp)
{
  char what[512];
  virErrorPtr e = j->err;

  j->err = NULL;
  if (j->dom)
    snprintf(what, sizeof what, "cannot %s domain '%s'", verb, virDomainGetName(j->dom));
  else
    snprintf(what, sizeof what, "cannot %s the domain", verb);
  if (j->interrupted) {
    if (e)
      virFreeError(e);
    return vk_error_set(errp, VK_EXIT_FAILED, "%s: interrupted", what);
  }
  return vk_virt_error_from(errp, j->conn, e, what);
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
  GET(VIR_DOMAIN_JOB_DOWNTIME, downtime_ms)
  GET(VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, memory_dirty_rate)
  GET(VIR_DOMAIN_JOB_MEMORY_ITERATION, memory_iteration)
  GET(VIR_DOMAIN_JOB_MEMORY_BPS, memory_bps)
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
