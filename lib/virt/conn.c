/* vkit — libvirt connections, domain lookup and error mapping. */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>
#include <libxml/xmlerror.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/event.h"

/* Keepalive: a daemon that stops answering is declared dead after about
 * interval * (count + 1) seconds. */
#define VK_KEEPALIVE_INTERVAL 5
#define VK_KEEPALIVE_COUNT 3

static void
silent_error(void *opaque, virErrorPtr err)
{
  (void)opaque;
  (void)err;
}

static void
silent_xml_error(void *ctx, const char *msg, ...)
{
  (void)ctx;
  (void)msg;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool init_ok;

static void
do_init(void)
{
  if (virInitialize() < 0)
    return;
  virSetErrorFunc(NULL, silent_error);
  /* libxml2 inside libvirt prints parse warnings itself otherwise */
  xmlSetGenericErrorFunc(NULL, silent_xml_error);
  init_ok = true;
}

bool
vk_virt_init(vk_error **errp)
{
  pthread_once(&init_once, do_init);
  if (!init_ok)
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot initialise libvirt");
  return vk_event_loop_start(errp);
}

int
vk_virt_error_code(int code, int domain)
{
  switch (code) {
  case VIR_ERR_NO_DOMAIN:
  case VIR_ERR_NO_NETWORK:
  case VIR_ERR_NO_STORAGE_POOL:
  case VIR_ERR_NO_STORAGE_VOL:
  case VIR_ERR_NO_DOMAIN_SNAPSHOT:
  case VIR_ERR_NO_NWFILTER:
  case VIR_ERR_NO_SECRET:
  case VIR_ERR_NO_INTERFACE:
  case VIR_ERR_NO_NODE_DEVICE:
  case VIR_ERR_NO_DOMAIN_CHECKPOINT:
  case VIR_ERR_NO_NETWORK_PORT:
  case VIR_ERR_NO_DOMAIN_BACKUP:
  case VIR_ERR_NO_DOMAIN_METADATA:
    return VK_EXIT_NOTFOUND;
  case VIR_ERR_OPERATION_INVALID:
  case VIR_ERR_DOM_EXIST:
  case VIR_ERR_NETWORK_EXIST:
  case VIR_ERR_STORAGE_VOL_EXIST:
  case VIR_ERR_STORAGE_POOL_BUILT:
    return VK_EXIT_BUSY;
  case VIR_ERR_OPERATION_TIMEOUT:
    return VK_EXIT_TIMEOUT;
  case VIR_ERR_NO_CONNECT:
  case VIR_ERR_RPC:
    return VK_EXIT_CONNECT;
  case VIR_ERR_INVALID_ARG:
  case VIR_ERR_XML_ERROR:
  case VIR_ERR_XML_DETAIL:
  case VIR_ERR_XML_INVALID_SCHEMA:
    return VK_EXIT_USAGE;
  case VIR_ERR_SYSTEM_ERROR:
  case VIR_ERR_INTERNAL_ERROR:
    if (domain == VIR_FROM_RPC || domain == VIR_FROM_REMOTE)
      return VK_EXIT_CONNECT;
    return VK_EXIT_FAILED;
  default:
    return VK_EXIT_FAILED;
  }
}

bool
vk_virt_error(vk_error **errp, virConnectPtr conn, const char *fmt, ...)
{
  CLEANUP_FREE char *what = NULL;
  virErrorPtr e = virSaveLastError();
  const char *msg = e && e->message ? e->message : "unknown libvirt error";
  int code = e ? vk_virt_error_code(e->code, e->domain) : VK_EXIT_FAILED;
  va_list ap;
  int n;

  if (conn && virConnectIsAlive(conn) == 0)
    code = VK_EXIT_CONNECT;
  va_start(ap, fmt);
  n = vasprintf(&what, fmt, ap);
  va_end(ap);
  if (n < 0)
    what = NULL;
  vk_error_set(errp, code, "%s: %s", what ? what : "libvirt", msg);
  if (e)
    virFreeError(e);
  virResetLastError();
  return false;
}

bool
vk_virt_dom_error(vk_error **errp, virDomainPtr dom, const char *what)
{
  virErrorPtr e = virSaveLastError();
  const char *msg = e && e->message ? e->message : "unknown libvirt error";
  int code = e ? vk_virt_error_code(e->code, e->domain) : VK_EXIT_FAILED;
  virConnectPtr conn = virDomainGetConnect(dom);
  const char *name = virDomainGetName(dom);

  if (conn && virConnectIsAlive(conn) == 0)
    code = VK_EXIT_CONNECT;
  vk_error_set(errp, code, "%s domain '%s': %s", what, name ? name : "?", msg);
  if (e)
    virFreeError(e);
  virResetLastError();
  return false;
}

virConnectPtr
vk_conn_open(const char *uri, unsigned flags, vk_error **errp)
{
  virConnectPtr conn;

  if (!vk_virt_init(errp))
    return NULL;
  if (flags & VK_CONN_READONLY)
    conn = virConnectOpenReadOnly(uri);
  else
    conn = virConnectOpen(uri);
  if (!conn) {
    CLEANUP_ERROR vk_error *e = NULL;

    vk_virt_error(&e, NULL, "cannot connect to '%s'",
                  uri ? uri : getenv("LIBVIRT_DEFAULT_URI") ? getenv("LIBVIRT_DEFAULT_URI")
                  : "the default hypervisor");
    vk_error_set(errp, VK_EXIT_CONNECT, "%s", e->msg);
    return NULL;
  }
  /* Returns 1 when the other side has no keepalive (test:///, local
   * drivers): nothing to do then. */
  if (virConnectSetKeepAlive(conn, VK_KEEPALIVE_INTERVAL, VK_KEEPALIVE_COUNT) < 0)
    virResetLastError();
  return conn;
}

/* True for a string virsh would try as an id: digits only. */
static bool
is_id(const char *s)
{
  if (!*s || strlen(s) > 9)
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

static bool
is_uuid(const char *s)
{
  size_t hex = 0;

  for (; *s; s++) {
    if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F'))
      hex++;
    else if (*s != '-')
      return false;
  }
  return hex == 32;
}

virDomainPtr
vk_domain_lookup(virConnectPtr conn, const char *ident, vk_error **errp)
{
  virDomainPtr dom = NULL;

  if (is_id(ident)) {
    dom = virDomainLookupByID(conn, atoi(ident));
    if (dom)
      return dom;
    virResetLastError();
  }
  if (is_uuid(ident)) {
    dom = virDomainLookupByUUIDString(conn, ident);
    if (dom)
      return dom;
    virResetLastError();
  }
  dom = virDomainLookupByName(conn, ident);
  if (!dom)
    vk_virt_error(errp, conn, "failed to get domain '%s'", ident);
  return dom;
}

void
vk_cleanup_conn(virConnectPtr *connp)
{
  if (*connp)
    virConnectClose(*connp);
}

void
vk_cleanup_domain(virDomainPtr *domp)
{
  if (*domp)
    virDomainFree(*domp);
}
