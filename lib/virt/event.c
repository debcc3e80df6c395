/* vkit — libvirt event loop thread and event-driven waits. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <libvirt/virterror.h>

#include "virt/conn.h"
#include "virt/domstate.h"
#include "virt/event.h"

static pthread_mutex_t loop_lock = PTHREAD_MUTEX_INITIALIZER;
static bool loop_running;

static void *
loop_thread(void *arg)
{
  (void)arg;
  for (;;)
    if (virEventRunDefaultImpl() < 0)
      virResetLastError();
  return NULL;
}

bool
vk_event_loop_start(vk_error **errp)
{
  pthread_t tid;
  pthread_attr_t attr;
  int rc;

  pthread_mutex_lock(&loop_lock);
  if (loop_running) {
    pthread_mutex_unlock(&loop_lock);
    return true;
  }
  if (virEventRegisterDefaultImpl() < 0) {
    pthread_mutex_unlock(&loop_lock);
    return vk_virt_error(errp, NULL, "cannot start the libvirt event loop");
  }
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  rc = pthread_create(&tid, &attr, loop_thread, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    pthread_mutex_unlock(&loop_lock);
    return vk_error_set_errno(errp, VK_EXIT_FAILED, rc, "cannot start the libvirt event loop thread");
  }
  loop_running = true;
  pthread_mutex_unlock(&loop_lock);
  return true;
}

/* Shared between the waiting thread and the event loop thread; freed by
 * whoever drops the last reference (libvirt may run a callback that was
 * just deregistered, so the lifecycle registration holds a reference). */
struct waiter {
  vk_waiter base;
  bool persistent;        /* a persistent domain survives stopping */
  unsigned events;        /* lifecycle events seen */
  bool gone;              /* undefined, or a transient domain stopped */
};

void
vk_waiter_init(vk_waiter *w, int refs, void (*release)(void *object))
{
  pthread_condattr_t ca;

  pthread_mutex_init(&w->lock, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&w->cond, &ca);
  pthread_condattr_destroy(&ca);
  w->refs = refs;
  w->release = release;
  w->closed = false;
}

void
vk_waiter_unref(void *opaque)
{
  vk_waiter *w = opaque;
  bool last;

  pthread_mutex_lock(&w->lock);
  last = --w->refs == 0;
  pthread_mutex_unlock(&w->lock);
  if (last) {
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    w->release(w);
  }
}

static void
lifecycle_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail,
             void *opaque)
{
  struct waiter *w = opaque;

  (void)conn;
  (void)detail;
  pthread_mutex_lock(&w->base.lock);
  w->events++;
  (void)dom;
  if (event == VIR_DOMAIN_EVENT_UNDEFINED ||
      (event == VIR_DOMAIN_EVENT_STOPPED && !w->persistent))
    w->gone = true;
  pthread_cond_signal(&w->base.cond);
  pthread_mutex_unlock(&w->base.lock);
}

void
vk_waiter_on_close(virConnectPtr conn, int reason, void *opaque)
{
  vk_waiter *w = opaque;

  (void)conn;
  (void)reason;
  pthread_mutex_lock(&w->lock);
  w->closed = true;
  pthread_cond_signal(&w->cond);
  pthread_mutex_unlock(&w->lock);
}

int64_t
vk_now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Current state, or SHUTOFF for a domain that no longer exists.  Returns
 * false with *errp set on any other failure. */
static bool
current_state(virDomainPtr dom, int *state, vk_error **errp)
{
  int reason;

  if (virDomainGetState(dom, state, &reason, 0) == 0)
    return true;
  if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN) {
    virResetLastError();
    *state = VIR_DOMAIN_SHUTOFF;
    return true;
  }
  return vk_virt_dom_error(errp, dom, "cannot get the state of");
}

/* How often the state is read again even without an event: a safety net
 * against a missed event, not the way the wait normally ends. */
#define RECHECK_MS 1000

bool
vk_domain_wait_state(virDomainPtr dom, unsigned state_mask, int timeout_ms,
                     int *statep, vk_error **errp)
{
  virConnectPtr conn = virDomainGetConnect(dom);
  struct waiter *w = calloc(1, sizeof *w);
  int cb_id, state = VIR_DOMAIN_NOSTATE;
  bool close_registered = false, ok = false;
  int64_t deadline = timeout_ms >= 0 ? vk_now_ms() + timeout_ms : -1;

  if (!w)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot wait for domain '%s'",
                              virDomainGetName(dom));
  vk_waiter_init(&w->base, 2, free); /* ours and the lifecycle callback's */
  w->persistent = virDomainIsPersistent(dom) != 0;
  virResetLastError();

  cb_id =
      virConnectDomainEventRegisterAny(conn, dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                       VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb), w, vk_waiter_unref);
  if (cb_id < 0) {
    vk_waiter_unref(w);
    vk_virt_dom_error(errp, dom, "cannot watch");
    goto out;
  }
  /* No free callback here: drivers without close callbacks accept the
   * registration and never call it; unregistering is synchronous. */
  if (virConnectRegisterCloseCallback(conn, vk_waiter_on_close, w, NULL) == 0)
    close_registered = true;
  else
    virResetLastError();

  pthread_mutex_lock(&w->base.lock);
  for (;;) {
    unsigned seen = w->events;
    bool gone = w->gone, closed = w->base.closed;
    int64_t wake;
    struct timespec ts;

    pthread_mutex_unlock(&w->base.lock);
    if (closed) {
      vk_error_set(errp, VK_EXIT_CONNECT, "connection to the hypervisor lost while waiting for domain '%s'",
                   virDomainGetName(dom));
      goto out;
    }
    if (gone)
      state = VIR_DOMAIN_SHUTOFF;
    else if (!current_state(dom, &state, errp))
      goto out;
    if (state_mask & VK_STATE_BIT(state)) {
      ok = true;
      goto out;
    }
    if (deadline >= 0 && vk_now_ms() >= deadline) {
      vk_error_set(errp, VK_EXIT_TIMEOUT, "timed out after %g s waiting for domain '%s' (still %s)",
                   timeout_ms / 1000.0, virDomainGetName(dom), vk_state_text(state));
      goto out;
    }
    wake = vk_now_ms() + RECHECK_MS;
    if (deadline >= 0 && deadline < wake)
      wake = deadline;
    ts.tv_sec = wake / 1000;
    ts.tv_nsec = (wake % 1000) * 1000000;
    pthread_mutex_lock(&w->base.lock);
    while (w->events == seen && !w->base.closed) {
      int rc = pthread_cond_timedwait(&w->base.cond, &w->base.lock, &ts);
      if (rc == ETIMEDOUT)
        break;
    }
  }
out:
  if (cb_id >= 0 && virConnectDomainEventDeregisterAny(conn, cb_id) < 0)
    virResetLastError();
  if (close_registered && virConnectUnregisterCloseCallback(conn, vk_waiter_on_close) < 0)
    virResetLastError();
  vk_waiter_unref(w);
  if (ok && statep)
    *statep = state;
  return ok;
}
