/* vkit — libvirt connections, domain lookup and libvirt error mapping.
 *
 * Every libvirt call in vkit goes through a connection opened here:
 * the URI comes from the caller (-c), else LIBVIRT_DEFAULT_URI, else
 * libvirt's own default; the default event loop runs in a background
 * thread (see event.h) so keepalive works and a dead or hung daemon turns
 * into VK_EXIT_CONNECT instead of a hang.  libvirt's own error printing
 * to stderr is switched off: errors become vk_error at this boundary.
 */
#ifndef VK_VIRT_CONN_H
#define VK_VIRT_CONN_H

#include <stdbool.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "util/error.h"

enum {
  VK_CONN_READONLY = 1 << 0,   /* read-only connection (inspection commands) */
};

/* Initialise libvirt once (thread support, silent error handler, event
 * loop thread).  Returns false and sets *errp if the event loop cannot
 * be started.  Called by vk_conn_open(); safe to call again. */
bool vk_virt_init(vk_error **errp);

/* Open a connection to `uri` (NULL: LIBVIRT_DEFAULT_URI, else libvirt's
 * default) with keepalive enabled.  Returns a new connection the caller
 * closes with virConnectClose() (or CLEANUP_CONN), or NULL with *errp set
 * (VK_EXIT_CONNECT). */
virConnectPtr vk_conn_open(const char *uri, unsigned flags, vk_error **errp);

/* True for a connection to the hypervisor of this very host: its URI has
 * no host part ("qemu:///system", "qemu+unix:///system", "test:///default"),
 * so the files its daemon sees are the files we see. */
bool vk_conn_is_local(virConnectPtr conn);
/* The same for a URI (NULL or empty: the default, this host's). */
bool vk_uri_is_local(const char *uri);

/* Turn libvirt's last error (of this thread) into *errp, with the message
 * "<what>: <libvirt's message>", where <what> is formatted from fmt.  The
 * exit code follows the libvirt error: no such object -> NOTFOUND,
 * operation invalid in this state, name or resource taken -> BUSY,
 * connection lost -> CONNECT,
 * timeout -> TIMEOUT, bad argument or XML -> USAGE, else FAILED.
 * `conn` (may be NULL) is checked for liveness so that any failure on a
 * dead connection maps to CONNECT.  Always returns false. */
bool vk_virt_error(vk_error **errp, virConnectPtr conn, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

/* Like vk_virt_error() for a failed call on `dom`, with the message
 * "<what> domain '<name>': <libvirt's message>".  Use this rather than
 * passing virDomainGetName()/virDomainGetConnect() as arguments to
 * vk_virt_error(): every libvirt call resets the last error, and
 * arguments are evaluated before it is saved.  Always returns false. */
bool vk_virt_dom_error(vk_error **errp, virDomainPtr dom, const char *what);

/* Like vk_virt_error() for an error saved earlier with virSaveLastError()
 * (NULL: unknown; freed here), for callers that must make libvirt calls
 * (which reset the last error) before reporting it.  Message
 * "<what>: <libvirt's message>".  Always returns false. */
bool vk_virt_error_from(vk_error **errp, virConnectPtr conn, virErrorPtr saved, const char *what);

/* Exit code for a libvirt error number and domain (virErrorNumber,
 * virErrorDomain) and its message (may be NULL): a failed operation whose
 * message says the name or resource is taken ("already exists") is
 * BUSY, like VIR_ERR_DOM_EXIST.  Exposed for the unit test. */
int vk_virt_error_code(int code, int domain, const char *msg);

/* Find a domain by id (all digits), UUID, or name, in that order, like
 * virsh.  Returns a new reference (virDomainFree / CLEANUP_DOMAIN) or NULL
 * with *errp set: VK_EXIT_NOTFOUND when no domain matches. */
virDomainPtr vk_domain_lookup(virConnectPtr conn, const char *ident,
                              vk_error **errp);

/* Does s look like a UUID (32 hex digits, dashes allowed as libvirt
 * writes them)? */
bool vk_is_uuid(const char *s);

void vk_cleanup_conn(virConnectPtr *connp);
void vk_cleanup_domain(virDomainPtr *domp);

/* Typed cleanup: virConnectClose / virDomainFree at scope exit. */
#define CLEANUP_CONN __attribute__((cleanup(vk_cleanup_conn)))
#define CLEANUP_DOMAIN __attribute__((cleanup(vk_cleanup_domain)))

#endif
