/* vkit — many hosts at once (see hosts.h). */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "virt/conn.h"
#include "virt/hosts.h"

char *
vk_uri_short_name(const char *uri)
{
  const char *p = strstr(uri, "://"), *end;
  char *name;

  if (!p || p[3] == '/' || p[3] == '\0')
    return strdup(uri);
  p += 3;
  end = p + strcspn(p, "/?");
  /* drop user@ */
  for (const char *q = p; q < end; q++)
    if (*q == '@')
      p = q + 1;
  if (*p == '[') { /* [v6]:port */
    const char *close = memchr(p, ']', (size_t)(end - p));
    if (close)
      return strndup(p + 1, (size_t)(close - p - 1));
  }
  name = strndup(p, (size_t)(end - p));
  if (name && strchr(name, ':'))
    *strchr(name, ':') = '\0';
  if (name && !*name) {
    free(name);
    return strdup(uri);
  }
  return name;
}

bool
vk_hosts_add(vk_hosts *h, const char *name, const char *uri, vk_error **errp)
{
  vk_host *v = realloc(h->v, (h->n + 1) * sizeof *v);
  char *n, *u;

  if (!v)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  h->v = v;
  n = name ? strdup(name) : vk_uri_short_name(uri);
  u = strdup(uri);
  if (!n || !u) {
    free(n);
    free(u);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  h->v[h->n].name = n;
  h->v[h->n].uri = u;
  h->n++;
  return true;
}

bool
vk_hosts_load(vk_hosts *h, const char *file, vk_error **errp)
{
  FILE *f = fopen(file, "re");
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  unsigned lineno = 0;
  bool ok = true;

  if (!f)
    return vk_error_set_errno(errp, errno == ENOENT ? VK_EXIT_NOTFOUND : VK_EXIT_FAILED, errno,
                              "cannot read the hosts file '%s'", file);
  while (ok && (len = getline(&line, &cap, f)) >= 0) {
    char *words[3] = { NULL }, *save = NULL, *w;
    int n = 0;

    lineno++;
    for (w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
      if (n == 0 && w[0] == '#')
        break;
      if (n < 3)
        words[n] = w;
      n++;
    }
    if (n == 0)
      continue;
    if (n > 2) {
      ok = vk_error_set(errp, VK_EXIT_USAGE, "%s:%u: one host a line: URI, or NAME URI", file,
                        lineno);
      break;
    }
    if (n == 2 && vk_hosts_lookup(h, words[0])) {
      ok = vk_error_set(errp, VK_EXIT_USAGE, "%s:%u: the name '%s' is given twice", file, lineno,
                        words[0]);
      break;
    }
    ok = vk_hosts_add(h, n == 2 ? words[0] : NULL, n == 2 ? words[1] : words[0], errp);
  }
  free(line);
  fclose(f);
  return ok;
}

void
vk_hosts_free(vk_hosts *h)
{
  for (size_t i = 0; i < h->n; i++) {
    free(h->v[i].name);
    free(h->v[i].uri);
  }
  free(h->v);
  h->v = NULL;
  h->n = 0;
}

const char *
vk_hosts_lookup(const vk_hosts *h, const char *name)
{
  for (size_t i = 0; i < h->n; i++)
    if (strcmp(h->v[i].name, name) == 0)
      return h->v[i].uri;
  return NULL;
}

typedef struct opener {
  const char *uri;
  unsigned flags;
  virConnectPtr conn;
  vk_error *err;
} opener;

static void *
open_thread(void *arg)
{
  opener *o = arg;

  o->conn = vk_conn_open(o->uri, o->flags, &o->err);
  return NULL;
}

void
vk_hosts_open(const vk_hosts *h, unsigned flags, virConnectPtr *conns, vk_error **errs)
{
  opener *o = calloc(h->n ? h->n : 1, sizeof *o);
  pthread_t *t = calloc(h->n ? h->n : 1, sizeof *t);
  bool *started = calloc(h->n ? h->n : 1, sizeof *started);
  vk_error *e = NULL;

  if (!o || !t || !started) {
    for (size_t i = 0; i < h->n; i++) {
      conns[i] = NULL;
      errs[i] = NULL;
      vk_error_set(&errs[i], VK_EXIT_FAILED, "out of memory");
    }
    free(o);
    free(t);
    free(started);
    return;
  }
  /* initialise libvirt once, before the threads race to */
  if (!vk_virt_init(&e))
    vk_error_free(e);
  for (size_t i = 0; i < h->n; i++) {
    o[i].uri = h->v[i].uri;
    o[i].flags = flags;
    started[i] = pthread_create(&t[i], NULL, open_thread, &o[i]) == 0;
    if (!started[i])
      open_thread(&o[i]);
  }
  for (size_t i = 0; i < h->n; i++) {
    if (started[i])
      pthread_join(t[i], NULL);
    conns[i] = o[i].conn;
    errs[i] = o[i].err;
  }
  free(o);
  free(t);
  free(started);
}

virDomainPtr
vk_hosts_find_domain(const vk_hosts *h, virConnectPtr *conns, const char *ident, size_t *which,
                     vk_error **errp)
{
  virDomainPtr found = NULL;
  size_t at = 0;

  for (size_t i = 0; i < h->n; i++) {
    vk_error *e = NULL;
    virDomainPtr d;

    if (!conns[i])
      continue;
    if (!(d = vk_domain_lookup(conns[i], ident, &e))) {
      bool missing = e->code == VK_EXIT_NOTFOUND;
      if (!missing) {
        if (found)
          virDomainFree(found);
        vk_error_prefix(&e, "%s", h->v[i].name);
        vk_error_propagate(errp, e);
        return NULL;
      }
      vk_error_free(e);
      continue;
    }
    if (found) {
      virDomainFree(found);
      virDomainFree(d);
      vk_error_set(errp, VK_EXIT_USAGE, "domain '%s' is on two hosts, %s and %s: say which with -c",
                   ident, h->v[at].uri, h->v[i].uri);
      return NULL;
    }
    found = d;
    at = i;
  }
  if (!found) {
    vk_error_set(errp, VK_EXIT_NOTFOUND, "no domain '%s' on any of the %zu hosts", ident, h->n);
    return NULL;
  }
  *which = at;
  return found;
}
