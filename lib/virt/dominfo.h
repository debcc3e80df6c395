/* vkit — facts about one domain (dominfo, domstate). */
#ifndef VK_VIRT_DOMINFO_H
#define VK_VIRT_DOMINFO_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"

typedef struct vk_dominfo {
  int id;                          /* -1 when not running */
  char name[256];
  char uuid[VIR_UUID_STRING_BUFLEN];
  char *os_type;                   /* owned */
  int state, reason;
  unsigned vcpus;
  uint64_t cpu_time_ns;
  uint64_t max_memory, memory;     /* bytes */
  int persistent, autostart, managed_save;   /* 1, 0, or -1 unknown */
  char *security_model, *security_doi;       /* owned; NULL when none */
  char *security_label;            /* owned; NULL when none */
  int security_enforcing;          /* 1 enforcing, 0 permissive, -1 n/a */
  char **messages;                 /* owned, NULL-terminated (may be NULL):
                                    * taint and deprecation notes */
} vk_dominfo;

/* Gather the facts virsh dominfo shows.  Returns false with *errp set;
 * free with vk_dominfo_free(). */
bool vk_dominfo_get(virDomainPtr dom, vk_dominfo *out, vk_error **errp);
void vk_dominfo_free(vk_dominfo *i);

/* State and reason of a domain.  Returns false with *errp set. */
bool vk_domain_state(virDomainPtr dom, int *state, int *reason, vk_error **errp);

#endif
