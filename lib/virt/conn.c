/* vkit — libvirt connections, domain lookup and error mapping. */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Words of libvirt's messages for a name or resource that is taken, where
 * the error number itself (VIR_ERR_OPERATION_FAILED) says nothing more:
 * "domain 'x' already exists with uuid ...", "network is already in use". */
static const char *const taken_words[] = {
  "already exists", "already defined", "exists already", "already in use", "already active",
};

static bool
says_taken(const char *msg)
{
  for (size_t i = 0; msg && i < sizeof taken_words / sizeof *taken_words; i++)
    if (strstr(msg, taken_words[i]))
      return true;
  return false;
}

int
vk_virt_error_code(int code, int domain, const char *msg)
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
  case VIR_ERR_NETWORK_PORT_EXIST:
  case VIR_ERR_RESOURCE_BUSY:
  case VIR_ERR_AGENT_UNRESPONSIVE: /* the guest agent is not up (yet): try again */
  case VIR_ERR_AGENT_UNSYNCED: return VK_EXIT_BUSY;
  case VIR_ERR_OPERATION_FAILED:
    return says_taken(msg) ? VK_EXIT_BUSY : VK_EXIT_FAILED;
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
vk_virt_error_from(vk_error **errp, virConnectPtr conn, virErrorPtr e, const char *what)
{
  const char *msg = e && e->message ? e->message : "unknown libvirt error";
  int code = e ? vk_virt_error_code(e->code, e->domain, e->message) : VK_EXIT_FAILED;

  if (conn && virConnectIsAlive(conn) == 0)
    code = VK_EXIT_CONNECT;
  /* one line: libvirt's XML errors go on with the line and a caret */
  vk_error_set(errp, code, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
  if (e)
    virFreeError(e);
  virResetLastError();
  return false;
}

bool
vk_virt_error(vk_error **errp, virConnectPtr conn, const char *fmt, ...)
{
  CLEANUP_FREE char *what = NULL;
  virErrorPtr e = virSaveLastError();
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vasprintf(&what, fmt, ap);
  va_end(ap);
  if (n < 0)
    what = NULL;
  return vk_virt_error_from(errp, conn, e, what ? what : "libvirt");
}

bool
vk_virt_dom_error(vk_error **errp, virDomainPtr dom, const char *what)
{
  virErrorPtr e = virSaveLastError();
  virConnectPtr conn = virDomainGetConnect(dom);
  const char *name = virDomainGetName(dom);
  CLEANUP_FREE char *full = NULL;

  if (asprintf(&full, "%s domain '%s'", what, name ? name : "?") < 0)
    full = NULL;
  return vk_virt_error_from(errp, conn, e, full ? full : what);
}

/* Opening happens in a thread of its own, so that a daemon which accepts
 * the connection but never answers (hung, stopped) cannot hang the caller:
 * libvirt's keepalive only starts once the connection is open.  An
 * abandoned attempt cleans up after itself when it ends. */
struct opener {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  char *uri;
  bool readonly, done, abandoned;
  virConnectPtr conn;
  virErrorPtr err;        /* libvirt's error, saved in the opening thread */
};

static void
opener_free(struct opener *o)
{
  if (o->conn)
    virConnectClose(o->conn);
  if (o->err)
    virFreeError(o->err);
  pthread_cond_destroy(&o->cond);
  pthread_mutex_destroy(&o->lock);
  free(o->uri);
  free(o);
}

static void *
opener_thread(void *arg)
{
  struct opener *o = arg;
  virConnectPtr c = o->readonly ? virConnectOpenReadOnly(o->uri) : virConnectOpen(o->uri);
  virErrorPtr e = c ? NULL : virSaveLastError();
  bool abandoned;

  pthread_mutex_lock(&o->lock);
  o->conn = c;
  o->err = e;
  o->done = true;
  abandoned = o->abandoned;
  pthread_cond_signal(&o->cond);
  pthread_mutex_unlock(&o->lock);
  if (abandoned)
    opener_free(o);
  return NULL;
}

/* Seconds to wait for the daemon to answer: VKIT_CONNECT_TIMEOUT, else 30. */
static int
connect_timeout(void)
{
  const char *s = getenv("VKIT_CONNECT_TIMEOUT");
  char *end;
  long v;

  if (!s || !*s)
    return 30;
  v = strtol(s, &end, 10);
  return *end || v <= 0 || v > 86400 ? 30 : (int)v;
}

virConnectPtr
vk_conn_open(const char *uri, unsigned flags, vk_error **errp)
{
  const char *shown = uri ? uri : getenv("LIBVIRT_DEFAULT_URI") ? getenv("LIBVIRT_DEFAULT_URI")
                      : "the default hypervisor";
  struct opener *o;
  pthread_condattr_t ca;
  pthread_attr_t attr;
  pthread_t tid;
  struct timespec deadline;
  int secs = connect_timeout();
  virConnectPtr conn = NULL;

  if (!vk_virt_init(errp))
    return NULL;
  o = calloc(1, sizeof *o);
  if (!o || (uri && !(o->uri = strdup(uri)))) {
    free(o);
    vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot connect to '%s'", shown);
    return NULL;
  }
  o->readonly = flags & VK_CONN_READONLY;
  pthread_mutex_init(&o->lock, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&o->cond, &ca);
  pthread_condattr_destroy(&ca);
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&tid, &attr, opener_thread, o) != 0) {
    pthread_attr_destroy(&attr);
    opener_free(o);
    vk_error_set(errp, VK_EXIT_FAILED, "cannot connect to '%s': cannot start a thread", shown);
    return NULL;
  }
  pthread_attr_destroy(&attr);

  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += secs;
  pthread_mutex_lock(&o->lock);
  while (!o->done)
    if (pthread_cond_timedwait(&o->cond, &o->lock, &deadline) == ETIMEDOUT)
      break;
  if (!o->done) {
    o->abandoned = true;              /* the thread frees it */
    pthread_mutex_unlock(&o->lock);
    vk_error_set(errp, VK_EXIT_CONNECT, "cannot connect to '%s': no answer within %d s", shown, secs);
    return NULL;
  }
  pthread_mutex_unlock(&o->lock);

  if (!o->conn) {
    const char *msg = o->err && o->err->message ? o->err->message : "unknown libvirt error";
    vk_error_set(errp, VK_EXIT_CONNECT, "cannot connect to '%s': %s", shown, msg);
    opener_free(o);
    return NULL;
  }
  conn = VK_STEAL(o->conn);
  opener_free(o);
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

bool
vk_is_uuid(const char *s)
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
  if (vk_is_uuid(ident)) {
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

bool
vk_conn_is_local(virConnectPtr conn)
{
  CLEANUP_FREE char *uri = virConnectGetURI(conn);

  if (!uri) {
    virResetLastError();
    return false;
  }
  return vk_uri_is_local(uri);
}

bool
vk_uri_is_local(const char *uri)
{
  const char *p;

  if (!uri || !*uri)
    return true;
  p = strstr(uri, "://");
  return p && (p[3] == '/' || p[3] == '\0');
}
