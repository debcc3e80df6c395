/* vkit — domain events as a stream (vctl event): lifecycle, reboot,
 * devices added and removed, I/O errors, block jobs, ... of one domain or
 * of all, each with the time it came and a detail in words.
 */
#ifndef VK_VIRT_DOMEVENT_H
#define VK_VIRT_DOMEVENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

typedef struct vk_dom_event {
  int64_t time_us;   /* wall clock, microseconds since the epoch */
  const char *event; /* "lifecycle", "reboot", "device-removed", ... */
  char *domain;      /* name */
  char *uuid;
  char *detail; /* "Started Booted", "alias virtio-disk1", ... */
} vk_dom_event;

/* The event names vk_events_watch() knows, NULL-terminated. */
extern const char *const vk_event_names[];

/* Watch the events named (n 0: lifecycle) of `dom` (NULL: every domain)
 * on conn; for each, call fn in the caller's thread (it returns false to
 * stop).  Without `loop` the first event ends the watch.  Returns true
 * when fn or the first event ended it, or the time ran out after at
 * least one event (`timeout_ms` < 0: no limit); false with *errp set:
 * VK_EXIT_TIMEOUT when it ran out before any event, VK_EXIT_FAILED
 * "interrupted" when *cancel was set, VK_EXIT_CONNECT when the connection
 * was lost, VK_EXIT_USAGE for an unknown event name. *count: events seen. */
bool vk_events_watch(virConnectPtr conn, virDomainPtr dom, const char *const *names, size_t n,
                     bool loop, int timeout_ms, const atomic_int *cancel,
                     bool (*fn)(const vk_dom_event *e, void *opaque), void *opaque,
                     unsigned long *count, vk_error **errp);

#endif
