/* vkit — domains: listing, lifecycle and definitions.
 *
 * Lifecycle functions take a domain from vk_domain_lookup() and refuse an
 * action whose target state the domain is already in (VK_EXIT_BUSY, "is
 * already running"), unless VK_DOM_IDEMPOTENT is given, in which case they
 * succeed without doing anything.
 */
#ifndef VK_VIRT_DOMAIN_H
#define VK_VIRT_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"
#include "util/text.h"

enum {
  VK_DOM_IDEMPOTENT = 1 << 0,   /* already in the requested state: success */
  VK_DOM_PAUSED = 1 << 1,       /* start: leave the virtual CPUs paused */
};

/* One domain in a listing. */
typedef struct vk_dom_entry {
  char *name;
  char uuid[VIR_UUID_STRING_BUFLEN];
  int id;                       /* -1 when not running */
  int state, reason;            /* virDomainState and its reason */
  bool persistent, autostart;
  bool managed_save; /* a managed save image waits for the next start */
  bool has_snapshot; /* libvirt has snapshot metadata for it */
} vk_dom_entry;

typedef struct vk_dom_list {
  vk_dom_entry *doms;
  size_t n;
} vk_dom_list;

/* List the domains selected by `flags` (virConnectListAllDomainsFlags),
 * sorted like virsh: running ones by id, then the others by name.  The
 * states come from one bulk statistics call where the driver has it.
 * With `saved_state`, managed_save and has_snapshot are filled in too
 * (two more calls; otherwise they are false).
 * Returns false with *errp set on failure; free with vk_dom_list_free(). */
bool vk_domain_list(virConnectPtr conn, unsigned flags, bool saved_state, vk_dom_list *out,
                    vk_error **errp);
void vk_dom_list_free(vk_dom_list *l);

/* What a lifecycle call did (its last argument; NULL: not wanted). */
typedef enum vk_dom_outcome {
  VK_DOM_DONE,    /* the action was taken */
  VK_DOM_ALREADY, /* VK_DOM_IDEMPOTENT: the domain was in that state */
  VK_DOM_FORCED,  /* shutdown: the guest did not go within force_after_ms
                     and was powered off */
} vk_dom_outcome;

/* Precondition of an operation that needs a running (or paused) domain,
 * or, with running false, a shut-off one: false with *errp set
 * (VK_EXIT_BUSY, "domain 'x' is not running" / "is running") when the
 * domain is not so.  Its state (virDomainState) in *state if non-NULL. */
bool vk_domain_require(virDomainPtr dom, bool running, int *state, vk_error **errp);

/* Start a defined domain (VK_DOM_IDEMPOTENT: a running one is fine).
 * With wait_ms >= 0 or -1 (no limit), and `wait` true, return only once
 * it is running.  Returns false with *errp set. */
bool vk_domain_start(virDomainPtr dom, unsigned flags, bool wait, int wait_ms, vk_dom_outcome *out,
                     vk_error **errp);

/* Ask the guest to shut down (mode: vk_domain_power_mode()'s bits, 0: the
 * hypervisor's choice, ACPI for QEMU).  With `wait`, return once it is off
 * (wait_ms < 0: no limit; expiry gives VK_EXIT_TIMEOUT).  With
 * force_after_ms >= 0, a guest still up after that long is destroyed
 * (and the wait continues until it is off). */
bool vk_domain_shutdown(virDomainPtr dom, unsigned flags, unsigned mode, bool wait, int wait_ms,
                        int force_after_ms, vk_dom_outcome *out, vk_error **errp);

/* The --mode list of shutdown and reboot ("acpi", "agent,acpi", ...:
 * acpi, agent, initctl, signal, paravirt) as libvirt's flags (the
 * VIR_DOMAIN_SHUTDOWN_* and VIR_DOMAIN_REBOOT_* bits are the same);
 * NULL gives 0 (the hypervisor's choice).  An unknown word:
 * VK_EXIT_USAGE. */
bool vk_domain_power_mode(const char *list, unsigned *mode, vk_error **errp);

/* Power off now (graceful: SIGTERM to the hypervisor process only). */
bool vk_domain_destroy(virDomainPtr dom, unsigned flags, bool graceful, vk_dom_outcome *out,
                       vk_error **errp);

/* Reboot a running domain (mode as for vk_domain_shutdown()). */
bool vk_domain_reboot(virDomainPtr dom, unsigned mode, vk_error **errp);

/* Reset a running domain at once, like the reset button (no guest
 * shutdown): not running is VK_EXIT_BUSY. */
bool vk_domain_reset(virDomainPtr dom, vk_error **errp);

/* Rename a shut-off persistent domain (snapshots and managed save must
 * not exist, as libvirt requires).  A running one: VK_EXIT_BUSY; a name
 * taken: VK_EXIT_BUSY. */
bool vk_domain_rename(virDomainPtr dom, const char *name, vk_error **errp);

/* The domain's description (title: its title), NULL when it has none
 * (*errp untouched); flags VIR_DOMAIN_AFFECT_*.  NULL with *errp set on
 * failure. */
char *vk_domain_desc(virDomainPtr dom, bool title, unsigned flags, bool *none, vk_error **errp);
/* Set (text "" or NULL: remove) the description or title.  A title
 * holds one line: a newline is VK_EXIT_USAGE. */
bool vk_domain_set_desc(virDomainPtr dom, bool title, const char *text, unsigned flags,
                        vk_error **errp);

/* The metadata element of namespace `uri`, NULL with *none set when the
 * domain has none. */
char *vk_domain_metadata(virDomainPtr dom, const char *uri, unsigned flags, bool *none,
                         vk_error **errp);
/* Set the element (xml, its namespace prefix `key`) or, with xml NULL,
 * remove it. */
bool vk_domain_set_metadata(virDomainPtr dom, const char *uri, const char *key, const char *xml,
                            unsigned flags, vk_error **errp);

/* Pause / unpause a running domain. */
bool vk_domain_suspend(virDomainPtr dom, unsigned flags, vk_dom_outcome *out, vk_error **errp);
bool vk_domain_resume(virDomainPtr dom, unsigned flags, vk_dom_outcome *out, vk_error **errp);

/* Turn autostart on or off (persistent domains only). */
bool vk_domain_set_autostart(virDomainPtr dom, bool on, vk_error **errp);

enum {
  VK_UNDEF_REMOVE_STORAGE = 1 << 0, /* delete the disk images too */
  VK_UNDEF_KEEP_NVRAM = 1 << 1,     /* keep the UEFI variable store */
  VK_UNDEF_SNAPSHOTS = 1 << 2,      /* drop snapshot (and checkpoint) metadata */
  VK_UNDEF_MANAGED_SAVE = 1 << 3,   /* remove the managed save image too */
};

/* Remove the definition of `dom` (and, with VK_UNDEF_REMOVE_STORAGE, its
 * disk images: device 'disk' only, never CD-ROMs, floppies, read-only or
 * shareable disks, but vinstall's cloud-init seed NAME-cidata.iso that the
 * domain's metadata names; refused for a running domain; with the images an
 * external snapshot left below a disk, down its chain, but no backing
 * file that no snapshot of the domain put an overlay on).  The UEFI variable
 * store is removed with the domain unless VK_UNDEF_KEEP_NVRAM.  A running
 * persistent domain becomes transient, like virsh.  *removed (if
 * non-NULL) receives a NULL-terminated list of the files removed, owned by
 * the caller.  Returns false with *errp set. */
bool vk_domain_undefine(virDomainPtr dom, unsigned flags, char ***removed,
                        vk_error **errp);

/* Define (persistent) or create (transient, started) a domain from XML,
 * optionally validated against libvirt's schema.  Returns the new domain
 * reference or NULL with *errp set. */
virDomainPtr vk_domain_define(virConnectPtr conn, const char *xml, bool validate,
                              vk_error **errp);
virDomainPtr vk_domain_create(virConnectPtr conn, const char *xml, bool validate,
                              vk_error **errp);

/* The domain's XML (inactive: the persistent definition).  Returns a
 * string the caller frees, or NULL with *errp set. */
char *vk_domain_xml(virDomainPtr dom, bool inactive, vk_error **errp);

#endif
