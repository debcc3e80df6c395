/* vkit — a domain's serial console through a libvirt stream.
 *
 * The stream is non-blocking; libvirt's event loop thread (event.h) calls
 * back when it is readable and copies the data to the output descriptor.
 * The calling thread forwards input and watches a pipe through which the
 * callback reports the end of the stream.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "virt/conn.h"
#include "virt/console.h"
#include "virt/event.h"

/* Shared with the event loop thread.  libvirt may still run a stream
 * callback that was just removed, so the session has static storage (one
 * console session per process at a time) and the callback does nothing
 * once `active` is cleared under the lock. */
struct session {
  pthread_mutex_t lock;
  bool active;
  int out_fd;
  int wake[2];          /* written by the callback when the stream ends */
  int write_errno;
};

static struct session session = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = { -1, -1 } };
static pthread_mutex_t session_busy = PTHREAD_MUTEX_INITIALIZER;

/* Called with s->lock held. */
static void
finish(struct session *s, virStreamPtr st)
{
  char c = 1;

  if (virStreamEventRemoveCallback(st) < 0)
    virResetLastError();
  s->active = false;
  if (write(s->wake[1], &c, 1) < 0) {
    /* the pipe is full: the reader is already woken */
  }
}

static void
stream_cb(virStreamPtr st, int events, void *opaque)
{
  struct session *s = opaque;
  char buf[4096];

  pthread_mutex_lock(&s->lock);
  if (!s->active)
    goto out;
  /* a hangup may come with the guest's last output still in the stream
   * (a guest that prints and powers off at once): read it all first */
  if (events & (VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_HANGUP)) {
    for (;;) {
      int n = virStreamRecv(st, buf, sizeof buf);
      if (n == -2)
        break;                       /* no more data for now */
      if (n <= 0) {                  /* 0: end of stream, -1: error */
        virResetLastError();
        finish(s, st);
        goto out;
      }
      for (int off = 0; off < n;) {
        ssize_t w = write(s->out_fd, buf + off, (size_t)(n - off));
        if (w < 0) {
          if (errno == EINTR)
            continue;
          s->write_errno = errno;
          finish(s, st);
          goto out;
        }
        off += (int)w;
      }
    }
  }
  if (events & (VIR_STREAM_EVENT_HANGUP | VIR_STREAM_EVENT_ERROR))
    finish(s, st);
out:
  pthread_mutex_unlock(&s->lock);
}

/* Send all of buf to the stream (it is non-blocking: retry briefly). */
static bool
send_all(virStreamPtr st, const char *buf, size_t len)
{
  while (len > 0) {
    int n = virStreamSend(st, buf, len);
    if (n == -2) {
      nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
      continue;
    }
    if (n < 0)
      return false;
    buf += n;
    len -= (size_t)n;
  }
  return true;
}

bool
vk_console_run(virDomainPtr dom, const vk_console_opts *o, vk_console_end *end, vk_error **errp)
{
  virConnectPtr conn = virDomainGetConnect(dom);
  struct session *s = &session;
  virStreamPtr st = NULL;
  int64_t deadline = o->timeout_ms >= 0 ? vk_now_ms() + o->timeout_ms : -1;
  unsigned flags = VIR_DOMAIN_CONSOLE_SAFE | (o->force ? VIR_DOMAIN_CONSOLE_FORCE : 0);
  int in_fd = o->in_fd;
  bool ok = false, cb = false;

  if (pthread_mutex_trylock(&session_busy) != 0)
    return vk_error_set(errp, VK_EXIT_BUSY, "another console session is open in this process");
  pthread_mutex_lock(&s->lock);
  s->active = false;
  s->out_fd = o->out_fd;
  s->write_errno = 0;
  s->wake[0] = s->wake[1] = -1;
  pthread_mutex_unlock(&s->lock);
  st = virStreamNew(conn, VIR_STREAM_NONBLOCK);
  if (!st) {
    vk_virt_dom_error(errp, dom, "cannot open the console of");
    goto out;
  }
  if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
    vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot open the console of domain '%s'",
                       virDomainGetName(dom));
    goto out;
  }
  if (virDomainOpenConsole(dom, o->device, st, flags) < 0) {
    vk_virt_dom_error(errp, dom, "cannot open the console of");
    goto out;
  }
  pthread_mutex_lock(&s->lock);
  s->active = true;
  pthread_mutex_unlock(&s->lock);
  if (virStreamEventAddCallback(st, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_HANGUP |
                                VIR_STREAM_EVENT_ERROR, stream_cb, s, NULL) < 0) {
    vk_virt_dom_error(errp, dom, "cannot watch the console of");
    goto out;
  }
  cb = true;
  if (o->resume && virDomainResume(dom) < 0) {
    vk_virt_dom_error(errp, dom, "cannot resume");
    goto out;
  }

  for (;;) {
    struct pollfd p[2] = { { .fd = s->wake[0], .events = POLLIN }, { .fd = in_fd, .events = POLLIN } };
    int wait = -1, r;

    if (deadline >= 0) {
      int64_t left = deadline - vk_now_ms();
      if (left <= 0) {
        *end = VK_CONSOLE_TIMEOUT;
        break;
      }
      wait = left > 1000 ? 1000 : (int)left;
    } else {
      wait = 1000;
    }
    r = poll(p, in_fd >= 0 ? 2 : 1, wait);
    if (r < 0 && errno != EINTR) {
      vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "console of domain '%s'", virDomainGetName(dom));
      goto out;
    }
    if (r > 0 && (p[0].revents & POLLIN)) {
      if (s->write_errno) {
        vk_error_set_errno(errp, VK_EXIT_FAILED, s->write_errno, "cannot write the console output");
        goto out;
      }
      *end = VK_CONSOLE_CLOSED;
      break;
    }
    if (r > 0 && in_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP))) {
      char buf[1024];
      ssize_t n = read(in_fd, buf, sizeof buf);
      char *esc;

      if (n <= 0) {           /* end of input: keep showing output */
        in_fd = -1;
        continue;
      }
      esc = memchr(buf, VK_CONSOLE_ESCAPE, (size_t)n);
      if (esc)
        n = esc - buf;
      if (n > 0 && !send_all(st, buf, (size_t)n)) {
        vk_virt_dom_error(errp, dom, "cannot write to the console of");
        goto out;
      }
      if (esc) {
        *end = VK_CONSOLE_ESCAPED;
        break;
      }
    }
    if (virConnectIsAlive(conn) == 0) {
      vk_error_set(errp, VK_EXIT_CONNECT, "connection to the hypervisor lost on the console of domain '%s'",
                   virDomainGetName(dom));
      goto out;
    }
  }
  ok = true;
out:
  pthread_mutex_lock(&s->lock);
  if (s->active && cb && virStreamEventRemoveCallback(st) < 0)
    virResetLastError();
  s->active = false;
  if (s->wake[0] >= 0)
    close(s->wake[0]);
  if (s->wake[1] >= 0)
    close(s->wake[1]);
  s->wake[0] = s->wake[1] = -1;
  pthread_mutex_unlock(&s->lock);
  if (st) {
    if (virStreamAbort(st) < 0)
      virResetLastError();
    virStreamFree(st);
  }
  pthread_mutex_unlock(&session_busy);
  return ok;
}
