/* vkit — libvirt's default event loop in a background thread, and waits
 * driven by domain lifecycle events (never by sleeping and polling).
 */
#ifndef VK_VIRT_EVENT_H
#define VK_VIRT_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

/* Register libvirt's default event loop implementation and run it in a
 * detached thread.  Must happen before a connection is opened (keepalive
 * and event callbacks need it); vk_virt_init() does it.  Idempotent.
 * Returns false with *errp set on failure. */
bool vk_event_loop_start(vk_error **errp);

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
