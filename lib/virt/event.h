/* vkit — libvirt's default event loop in a background thread, and waits
 * driven by domain lifecycle events (never by sleeping and polling).
 */
#ifndef VK_VIRT_EVENT_H
#define VK_VIRT_EVENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

/* Register libvirt's default event loop implementation and run it in a
 * detached thread.  Must happen before a connection is opened (keepalive
 * and event callbacks need it); vk_virt_init() does it.  Idempotent.
 * Returns false with *errp set on failure. */
bool vk_event_loop_start(vk_error **errp);

/* Lock, condition (on the monotonic clock) and reference count of state
 * shared by a waiting thread and libvirt's event callbacks, which libvirt
 * may still run just after they were deregistered: each registration
 * holds a reference (pass vk_waiter_unref as its free callback), and the
 * last one calls `release` on the whole object, whose first member the
 * vk_waiter is. */
typedef struct vk_waiter {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int refs;
  void (*release)(void *object);
  bool closed; /* the connection closed (vk_waiter_on_close) */
} vk_waiter;

void vk_waiter_init(vk_waiter *w, int refs, void (*release)(void *object));
void vk_waiter_unref(void *w);

/* A connection close callback (virConnectRegisterCloseCallback) for a
 * vk_waiter: sets `closed` and wakes the waiting thread. */
void vk_waiter_on_close(virConnectPtr conn, int reason, void *w);

/* Milliseconds on the monotonic clock (for deadlines of waits). */
int64_t vk_now_ms(void);

/* Bit for a virDomainState in a state mask. */
#define VK_STATE_BIT(s) (1u << (s))

/* Wait until `dom` is in one of the states of `state_mask` (bits made
 * with VK_STATE_BIT), driven by lifecycle events.  timeout_ms < 0 waits
 * without limit.  A domain that disappears (a transient domain that
 * stopped, or was undefined) counts as VIR_DOMAIN_SHUTOFF.  On success
 * returns true and stores the reached state in *state (if non-NULL).
 * Returns false with *errp set: VK_EXIT_TIMEOUT when the time ran out,
 * VK_EXIT_CONNECT when the connection was lost. */
bool vk_domain_wait_state(virDomainPtr dom, unsigned state_mask,
                          int timeout_ms, int *state, vk_error **errp);

#endif
