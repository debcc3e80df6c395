/* vkit — a running domain's state saved to a file and brought back
 * (vctl save, restore, managedsave, dump), and the domain jobs that do
 * it (domjobinfo, domjobabort).
 *
 * The long calls run as libvirt jobs that a signal aborts: with `cancel`
 * given (vk_cancel_flag()), SIGINT, SIGTERM or SIGHUP abort the job, and
 * the call fails with "interrupted".  A save or dump that fails for any
 * reason removes the file it was writing (never one that was there
 * before) and leaves the guest in the state it had.
 */
#ifndef VK_VIRT_SAVE_H
#define VK_VIRT_SAVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"
#include "virt/job.h"

enum {
  VK_SAVE_BYPASS_CACHE = 1 << 0, /* O_DIRECT: keep the host's page cache clean */
  VK_SAVE_RUNNING = 1 << 1,      /* restore (or start) it running ... */
  VK_SAVE_PAUSED = 1 << 2,       /* ... or paused, whatever it was */
  VK_SAVE_MEMORY_ONLY = 1 << 3,  /* dump: an ELF core of guest memory only */
};

/* Save the domain's memory and device state to `file` (a new file: one
 * that exists is refused, VK_EXIT_BUSY), with the domain XML `xml`
 * instead of its own if non-NULL; the domain stops.  Needs a running or
 * paused domain (VK_EXIT_BUSY otherwise). */
bool vk_domain_save(virDomainPtr dom, const char *file, const char *xml, unsigned flags,
                    const atomic_int *cancel, vk_error **errp);

/* Start the domain saved in `file`; returns the new domain reference
 * (the caller frees it) or NULL. */
virDomainPtr vk_domain_restore(virConnectPtr conn, const char *file, const char *xml,
                               unsigned flags, const atomic_int *cancel, vk_error **errp);

/* Managed save: libvirt keeps the file and the next start resumes it. */
bool vk_domain_managed_save(virDomainPtr dom, unsigned flags, const atomic_int *cancel,
                            vk_error **errp);
/* Drop the managed save image (VK_EXIT_NOTFOUND when there is none). */
bool vk_domain_managed_save_remove(virDomainPtr dom, vk_error **errp);
/* The domain XML kept in the managed save image, or in a save file. */
char *vk_domain_managed_save_xml(virDomainPtr dom, bool secure, vk_error **errp);
char *vk_save_image_xml(virConnectPtr conn, const char *file, bool secure, vk_error **errp);

/* Dump the guest's memory to `file` (a new file) for a crash analysis;
 * VK_SAVE_MEMORY_ONLY for an ELF core.  The guest keeps running (paused
 * for the dump) unless it crashed. */
bool vk_domain_dump(virDomainPtr dom, const char *file, unsigned flags, const atomic_int *cancel,
                    vk_error **errp);

#endif
