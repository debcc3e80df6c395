/* vkit — domain events as a stream (see domevent.h). */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/domevent.h"
#include "virt/event.h"

const char *const vk_event_names[] = { "lifecycle",
                                       "reboot",
                                       "rtc-change",
                                       "watchdog",
                                       "io-error",
                                       "control-error",
                                       "tray-change",
                                       "pm-wakeup",
                                       "pm-suspend",
                                       "balloon-change",
                                       "device-added",
                                       "device-removed",
                                       "device-removal-failed",
                                       "block-job",
                                       "job-completed",
                                       "migration-iteration",
                                       "agent-lifecycle",
                                       "metadata-change",
                                       NULL };

/* ------------------------------------------------------------ the queue */

typedef struct item {
  vk_dom_event e;
  struct item *next;
} item;

typedef struct watch {
  vk_waiter base;
  item *head, *tail;
} watch;

static void
release(void *object)
{
  watch *w = object;

  while (w->head) {
    item *i = w->head;
    w->head = i->next;
    free(i->e.domain);
    free(i->e.uuid);
    free(i->e.detail);
    free(i);
  }
  free(w);
}

static int64_t
wall_us(void)
{
  struct timeval tv;

  gettimeofday(&tv, NULL);
  return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static void push(void *opaque, const char *event, virDomainPtr dom, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
push(void *opaque, const char *event, virDomainPtr dom, const char *fmt, ...)
{
  watch *w = opaque;
  item *i = calloc(1, sizeof *i);
  char uuid[VIR_UUID_STRING_BUFLEN] = "";
  va_list ap;

  if (!i)
    return;
  i->e.time_us = wall_us();
  i->e.event = event;
  i->e.domain = strdup(virDomainGetName(dom));
  if (virDomainGetUUIDString(dom, uuid) == 0)
    i->e.uuid = strdup(uuid);
  va_start(ap, fmt);
  if (vasprintf(&i->e.detail, fmt, ap) < 0)
    i->e.detail = NULL;
  va_end(ap);
  pthread_mutex_lock(&w->base.lock);
  if (w->tail)
    w->tail->next = i;
  else
    w->head = i;
  w->tail = i;
  pthread_cond_signal(&w->base.cond);
  pthread_mutex_unlock(&w->base.lock);
}

/* ------------------------------------------------------------ words */

static const char *
pick(const char *const *words, size_t n, int i)
{
  return i >= 0 && (size_t)i < n && words[i] ? words[i] : "Unknown";
}

#define PICK(words, i) pick(words, sizeof words / sizeof words[0], i)

static void
lifecycle_words(int event, int detail, const char **ev, const char **det)
{
  static const char *const events[] = { "Defined",   "Undefined",   "Started",
                                        "Suspended", "Resumed",     "Stopped",
                                        "Shutdown",  "PMSuspended", "Crashed" };
  static const char *const defined[] = { "Added", "Updated", "Renamed", "Snapshot" };
  static const char *const undefined[] = { "Removed", "Renamed" };
  static const char *const started[] = { "Booted", "Migrated", "Restored", "Snapshot", "Event" };
  static const char *const suspended[] = { "Paused",    "Migrated",  "I/O Error",
                                           "Watchdog",  "Restored",  "Snapshot",
                                           "API error", "Post-copy", "Post-copy Error" };
  static const char *const resumed[] = { "Unpaused", "Migrated", "Snapshot", "Post-copy",
                                         "Post-copy Error" };
  static const char *const stopped[] = { "Shutdown", "Destroyed", "Crashed", "Migrated",
                                         "Saved",    "Failed",    "Snapshot" };
  static const char *const shutdown[] = { "Finished", "Finished after guest request",
                                          "Finished after host request" };
  static const char *const pmsuspended[] = { "Memory", "Disk" };
  static const char *const crashed[] = { "Panicked", "Crashloaded" };

  *ev = PICK(events, event);
  switch (event) {
  case VIR_DOMAIN_EVENT_DEFINED: *det = PICK(defined, detail); break;
  case VIR_DOMAIN_EVENT_UNDEFINED: *det = PICK(undefined, detail); break;
  case VIR_DOMAIN_EVENT_STARTED: *det = PICK(started, detail); break;
  case VIR_DOMAIN_EVENT_SUSPENDED: *det = PICK(suspended, detail); break;
  case VIR_DOMAIN_EVENT_RESUMED: *det = PICK(resumed, detail); break;
  case VIR_DOMAIN_EVENT_STOPPED: *det = PICK(stopped, detail); break;
  case VIR_DOMAIN_EVENT_SHUTDOWN: *det = PICK(shutdown, detail); break;
  case VIR_DOMAIN_EVENT_PMSUSPENDED: *det = PICK(pmsuspended, detail); break;
  case VIR_DOMAIN_EVENT_CRASHED: *det = PICK(crashed, detail); break;
  default: *det = "Unknown";
  }
}

/* ------------------------------------------------------------ callbacks */

static void
cb_lifecycle(virConnectPtr c, virDomainPtr d, int event, int detail, void *o)
{
  const char *ev, *det;

  (void)c;
  lifecycle_words(event, detail, &ev, &det);
  push(o, "lifecycle", d, "%s %s", ev, det);
}

static void
cb_plain(virConnectPtr c, virDomainPtr d, void *o, const char *name)
{
  (void)c;
  push(o, name, d, "%s", "");
}

static void
cb_reboot(virConnectPtr c, virDomainPtr d, void *o)
{
  cb_plain(c, d, o, "reboot");
}

static void
cb_control_error(virConnectPtr c, virDomainPtr d, void *o)
{
  cb_plain(c, d, o, "control-error");
}

static void
cb_rtc(virConnectPtr c, virDomainPtr d, long long offset, void *o)
{
  (void)c;
  push(o, "rtc-change", d, "%lld", offset);
}

static void
cb_watchdog(virConnectPtr c, virDomainPtr d, int action, void *o)
{
  static const char *const a[] = { "none",     "pause", "reset",     "poweroff",
                                   "shutdown", "debug", "inject-nmi" };
  (void)c;
  push(o, "watchdog", d, "%s", PICK(a, action));
}

static void
cb_io_error(virConnectPtr c, virDomainPtr d, const char *path, const char *alias, int action,
            const char *reason, void *o)
{
  static const char *const a[] = { "none", "pause", "report" };
  (void)c;
  push(o, "io-error", d, "%s (%s) %s due to %s", path ? path : "", alias ? alias : "",
       PICK(a, action), reason ? reason : "");
}

static void
cb_tray(virConnectPtr c, virDomainPtr d, const char *alias, int reason, void *o)
{
  static const char *const r[] = { "opened", "closed" };
  (void)c;
  push(o, "tray-change", d, "%s %s", alias ? alias : "", PICK(r, reason));
}

static void
cb_pmwakeup(virConnectPtr c, virDomainPtr d, int reason, void *o)
{
  (void)c;
  (void)reason;
  push(o, "pm-wakeup", d, "%s", "");
}

static void
cb_pmsuspend(virConnectPtr c, virDomainPtr d, int reason, void *o)
{
  (void)c;
  (void)reason;
  push(o, "pm-suspend", d, "%s", "");
}

static void
cb_balloon(virConnectPtr c, virDomainPtr d, unsigned long long actual, void *o)
{
  (void)c;
  push(o, "balloon-change", d, "%llu KiB", actual);
}

static void
cb_dev_added(virConnectPtr c, virDomainPtr d, const char *alias, void *o)
{
  (void)c;
  push(o, "device-added", d, "%s", alias ? alias : "");
}

static void
cb_dev_removed(virConnectPtr c, virDomainPtr d, const char *alias, void *o)
{
  (void)c;
  push(o, "device-removed", d, "%s", alias ? alias : "");
}

static void
cb_dev_removal_failed(virConnectPtr c, virDomainPtr d, const char *alias, void *o)
{
  (void)c;
  push(o, "device-removal-failed", d, "%s", alias ? alias : "");
}

static void
cb_block_job(virConnectPtr c, virDomainPtr d, const char *disk, int type, int status, void *o)
{
  static const char *const t[] = { "unknown", "pull", "copy", "commit", "active-commit", "backup" };
  static const char *const s[] = { "completed", "failed", "canceled", "ready" };
  (void)c;
  push(o, "block-job", d, "%s %s %s", disk ? disk : "", PICK(t, type), PICK(s, status));
}

static void
cb_job_completed(virConnectPtr c, virDomainPtr d, virTypedParameterPtr p, int n, void *o)
{
  unsigned long long ms = 0;

  (void)c;
  if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &ms) == 1)
    push(o, "job-completed", d, "after %llu ms", ms);
  else
    push(o, "job-completed", d, "%s", "");
}

static void
cb_migration_iteration(virConnectPtr c, virDomainPtr d, int iteration, void *o)
{
  (void)c;
  push(o, "migration-iteration", d, "%d", iteration);
}

static void
cb_agent(virConnectPtr c, virDomainPtr d, int state, int reason, void *o)
{
  static const char *const s[] = { "unknown", "connected", "disconnected" };
  static const char *const r[] = { "unknown", "domain started", "channel event" };
  (void)c;
  push(o, "agent-lifecycle", d, "%s (%s)", PICK(s, state), PICK(r, reason));
}

static void
cb_metadata(virConnectPtr c, virDomainPtr d, int type, const char *nsuri, void *o)
{
  static const char *const t[] = { "description", "title", "element" };
  (void)c;
  push(o, "metadata-change", d, "%s%s%s", PICK(t, type), nsuri ? " " : "", nsuri ? nsuri : "");
}

static const struct {
  const char *name;
  int id;
  virConnectDomainEventGenericCallback cb;
} table[] = {
  { "lifecycle", VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(cb_lifecycle) },
  { "reboot", VIR_DOMAIN_EVENT_ID_REBOOT, VIR_DOMAIN_EVENT_CALLBACK(cb_reboot) },
  { "rtc-change", VIR_DOMAIN_EVENT_ID_RTC_CHANGE, VIR_DOMAIN_EVENT_CALLBACK(cb_rtc) },
  { "watchdog", VIR_DOMAIN_EVENT_ID_WATCHDOG, VIR_DOMAIN_EVENT_CALLBACK(cb_watchdog) },
  { "io-error", VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON, VIR_DOMAIN_EVENT_CALLBACK(cb_io_error) },
  { "control-error", VIR_DOMAIN_EVENT_ID_CONTROL_ERROR,
    VIR_DOMAIN_EVENT_CALLBACK(cb_control_error) },
  { "tray-change", VIR_DOMAIN_EVENT_ID_TRAY_CHANGE, VIR_DOMAIN_EVENT_CALLBACK(cb_tray) },
  { "pm-wakeup", VIR_DOMAIN_EVENT_ID_PMWAKEUP, VIR_DOMAIN_EVENT_CALLBACK(cb_pmwakeup) },
  { "pm-suspend", VIR_DOMAIN_EVENT_ID_PMSUSPEND, VIR_DOMAIN_EVENT_CALLBACK(cb_pmsuspend) },
  { "balloon-change", VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE, VIR_DOMAIN_EVENT_CALLBACK(cb_balloon) },
  { "device-added", VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, VIR_DOMAIN_EVENT_CALLBACK(cb_dev_added) },
  { "device-removed", VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
    VIR_DOMAIN_EVENT_CALLBACK(cb_dev_removed) },
  { "device-removal-failed", VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED,
    VIR_DOMAIN_EVENT_CALLBACK(cb_dev_removal_failed) },
  { "block-job", VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2, VIR_DOMAIN_EVENT_CALLBACK(cb_block_job) },
  { "job-completed", VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
    VIR_DOMAIN_EVENT_CALLBACK(cb_job_completed) },
  { "migration-iteration", VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
    VIR_DOMAIN_EVENT_CALLBACK(cb_migration_iteration) },
  { "agent-lifecycle", VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(cb_agent) },
  { "metadata-change", VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
    VIR_DOMAIN_EVENT_CALLBACK(cb_metadata) },
};

#define NTABLE (sizeof table / sizeof table[0])

/* ------------------------------------------------------------ watch */

bool
vk_events_watch(virConnectPtr conn, virDomainPtr dom, const char *const *names, size_t n, bool loop,
                int timeout_ms, const atomic_int *cancel,
                bool (*fn)(const vk_dom_event *e, void *opaque), void *opaque, unsigned long *count,
                vk_error **errp)
{
  bool want[NTABLE] = { false };
  int ids[NTABLE];
  size_t nids = 0;
  watch *w;
  int64_t deadline = timeout_ms >= 0 ? vk_now_ms() + timeout_ms : -1;
  bool ok = true, stop = false, close_registered;

  *count = 0;
  if (n == 0)
    want[0] = true;
  for (size_t i = 0; i < n; i++) {
    bool found = false;
    for (size_t k = 0; k < NTABLE; k++)
      if (strcmp(names[i], table[k].name) == 0)
        found = want[k] = true;
    if (!found)
      return vk_error_set(errp, VK_EXIT_USAGE, "unknown event '%s' (vctl event --list)", names[i]);
  }
  if (!(w = calloc(1, sizeof *w)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  /* one reference for us, one per registration (libvirt drops them) */
  vk_waiter_init(&w->base, 1, release);
  for (size_t k = 0; k < NTABLE; k++) {
    int id;
    if (!want[k])
      continue;
    pthread_mutex_lock(&w->base.lock);
    w->base.refs++;
    pthread_mutex_unlock(&w->base.lock);
    id = virConnectDomainEventRegisterAny(conn, dom, table[k].id, table[k].cb, w, vk_waiter_unref);
    if (id < 0) {
      vk_waiter_unref(w);
      ok = vk_virt_error(errp, conn, "cannot watch the '%s' events", table[k].name);
      break;
    }
    ids[nids++] = id;
  }
  pthread_mutex_lock(&w->base.lock);
  w->base.refs++;
  pthread_mutex_unlock(&w->base.lock);
  close_registered =
      virConnectRegisterCloseCallback(conn, vk_waiter_on_close, w, vk_waiter_unref) == 0;
  if (!close_registered)
    vk_waiter_unref(w);

  while (ok && !stop) {
    item *i;
    struct timespec ts;
    int64_t now = vk_now_ms(), until = now + 200;

    if (deadline >= 0 && until > deadline)
      until = deadline;
    pthread_mutex_lock(&w->base.lock);
    while (!w->head && !w->base.closed && vk_now_ms() < until) {
      clock_gettime(CLOCK_MONOTONIC, &ts);
      ts.tv_nsec += 50 * 1000000L;
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&w->base.cond, &w->base.lock, &ts);
    }
    i = w->head;
    if (i) {
      w->head = i->next;
      if (!w->head)
        w->tail = NULL;
    }
    pthread_mutex_unlock(&w->base.lock);
    if (i) {
      (*count)++;
      if (!fn(&i->e, opaque) || !loop)
        stop = true;
      free(i->e.domain);
      free(i->e.uuid);
      free(i->e.detail);
      free(i);
      continue;
    }
    if (w->base.closed || virConnectIsAlive(conn) != 1) {
      ok = vk_error_set(errp, VK_EXIT_CONNECT, "the connection to the hypervisor was lost");
    } else if (cancel && atomic_load(cancel)) {
      ok = vk_error_set(errp, VK_EXIT_FAILED, "interrupted");
    } else if (deadline >= 0 && vk_now_ms() >= deadline) {
      if (*count == 0)
        ok = vk_error_set(errp, VK_EXIT_TIMEOUT, "no event within %g s", timeout_ms / 1000.0);
      stop = true;
    }
  }
  for (size_t k = 0; k < nids; k++)
    virConnectDomainEventDeregisterAny(conn, ids[k]);
  if (close_registered)
    virConnectUnregisterCloseCallback(conn, vk_waiter_on_close);
  vk_waiter_unref(w);
  return ok;
}
