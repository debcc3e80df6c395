/* vctl — connection and argument helpers shared by the handlers. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/edit.h"
#include "util/json.h"
#include "util/size.h"
#include "virt/domain.h"
#include "virt/edit.h"
#include "virt/stats.h"
#include "vctl.h"

static vk_hosts hosts;  /* the hosts file */
static vk_hosts chosen; /* what the command works on */
static bool hosts_done, hosts_ok;
static vk_error *hosts_err;
static const char *picked; /* the host vctl_domain() found the domain on */

static void
hosts_init(void)
{
  const char *file = vctl_hosts_file ? vctl_hosts_file : getenv("VKIT_HOSTS");

  hosts_done = true;
  hosts_ok = true;
  if (file && *file && !vk_hosts_load(&hosts, file, &hosts_err)) {
    hosts_ok = false;
    return;
  }
  if (vctl_uris) {
    for (size_t i = 0; vctl_uris[i]; i++) {
      const char *uri = vk_hosts_lookup(&hosts, vctl_uris[i]);
      if (!vk_hosts_add(&chosen, NULL, uri ? uri : vctl_uris[i], &hosts_err)) {
        hosts_ok = false;
        return;
      }
    }
  } else {
    for (size_t i = 0; i < hosts.n; i++)
      if (!vk_hosts_add(&chosen, hosts.v[i].name, hosts.v[i].uri, &hosts_err)) {
        hosts_ok = false;
        return;
      }
  }
}

bool
vctl_host_list(const vk_cmd_ctx *ctx, const vk_hosts **h, int *rc)
{
  if (!hosts_done)
    hosts_init();
  if (!hosts_ok) {
    *rc = vk_cmd_fail(ctx, hosts_err);
    hosts_err = NULL;
    return false;
  }
  *h = &chosen;
  return true;
}

const char *
vctl_domain_host(void)
{
  return picked;
}

const char *
vctl_host_uri(const char *name_or_uri)
{
  const char *uri;

  if (!hosts_done)
    hosts_init();
  uri = vk_hosts_lookup(&hosts, name_or_uri);
  return uri ? uri : name_or_uri;
}

virConnectPtr
vctl_open(const vk_cmd_ctx *ctx, bool readonly, int *rc)
{
  vk_error *err = NULL;
  const vk_hosts *h;
  virConnectPtr c;

  if (!vctl_host_list(ctx, &h, rc))
    return NULL;
  if (h->n > 1) {
    *rc = vk_cmd_usage(ctx,
                       "works on one host, and %zu are given (-c, --hosts, $VKIT_HOSTS): "
                       "give one -c",
                       h->n);
    return NULL;
  }
  if (!(c = vk_conn_open(h->n ? h->v[0].uri : NULL, readonly ? VK_CONN_READONLY : 0, &err)))
    *rc = vk_cmd_fail(ctx, err);
  return c;
}

int
vctl_open_all(const vk_cmd_ctx *ctx, bool readonly, vctl_conns *out)
{
  vk_error **errs;
  const vk_hosts *h;
  int rc = 0;

  memset(out, 0, sizeof *out);
  if (!vctl_host_list(ctx, &h, &rc))
    return rc;
  out->n = h->n ? h->n : 1;
  out->hosts = h->n ? h : NULL;
  out->many = h->n > 1;
  out->conns = calloc(out->n, sizeof *out->conns);
  out->errors = calloc(out->n, sizeof *out->errors);
  errs = calloc(out->n, sizeof *errs);
  if (!out->conns || !out->errors || !errs) {
    free(errs);
    vk_error *err = NULL;
    vk_error_set(&err, VK_EXIT_FAILED, "out of memory");
    out->n = 0;
    return vk_cmd_fail(ctx, err);
  }
  if (h->n)
    vk_hosts_open(h, readonly ? VK_CONN_READONLY : 0, out->conns, errs);
  else
    out->conns[0] = vk_conn_open(NULL, readonly ? VK_CONN_READONLY : 0, &errs[0]);
  for (size_t i = 0; i < out->n; i++) {
    if (out->conns[i])
      continue;
    out->errors[i] = strdup(errs[i] ? errs[i]->msg : "cannot connect");
    if (!rc)
      rc = errs[i] ? errs[i]->code : VK_EXIT_CONNECT;
    vk_cmd_fail(ctx, errs[i]);
  }
  free(errs);
  return rc;
}

void
vctl_conns_close(vctl_conns *c)
{
  for (size_t i = 0; i < c->n; i++) {
    if (c->conns && c->conns[i])
      virConnectClose(c->conns[i]);
    if (c->errors)
      free(c->errors[i]);
  }
  free(c->conns);
  free(c->errors);
  memset(c, 0, sizeof *c);
}

size_t
vctl_fetch_all(const vk_cmd_ctx *ctx, vctl_conns *cs,
               bool (*fetch)(virConnectPtr conn, size_t i, void *opaque, vk_error **errp),
               void *opaque, int *rc)
{
  size_t fetched = 0;

  for (size_t i = 0; i < cs->n; i++) {
    vk_error *err = NULL;
    if (!cs->conns[i])
      continue;
    if (fetch(cs->conns[i], i, opaque, &err)) {
      fetched++;
      continue;
    }
    cs->errors[i] = strdup(err->msg);
    if (!*rc)
      *rc = err->code;
    if (cs->quiet) {
      vk_error_free(err);
      continue;
    }
    if (cs->many)
      vk_error_prefix(&err, "%s", vctl_conns_uri(cs, i));
    vk_cmd_fail(ctx, err);
  }
  return fetched;
}

bool
vctl_json_host_error(vk_json *j, const vctl_conns *cs, size_t i)
{
  if (!cs->many || !cs->errors[i])
    return false;
  vk_json_begin_object(j);
  vk_json_kv_string(j, "host", vctl_conns_uri(cs, i));
  vk_json_kv_string(j, "error", cs->errors[i]);
  vk_json_end_object(j);
  return true;
}

const char *
vctl_conns_name(const vctl_conns *c, size_t i)
{
  return c->hosts ? c->hosts->v[i].name : "";
}

const char *
vctl_conns_uri(const vctl_conns *c, size_t i)
{
  return c->hosts ? c->hosts->v[i].uri : "";
}

bool
vctl_parse_secs(const char *opt, const char *arg, int *ms, vk_error **errp)
{
  if (!arg) {
    *ms = -1;
    return true;
  }
  return vk_parse_duration(opt, arg, ms, errp);
}

bool
vctl_parse_uint(const char *what, const char *arg, uint64_t *out, vk_error **errp)
{
  char *end;
  unsigned long long v;

  errno = 0;
  v = strtoull(arg, &end, 10);
  if (errno || end == arg || *end || arg[0] == '-' || arg[0] == '+' || arg[0] == ' ')
    return vk_error_set(errp, VK_EXIT_USAGE, "%s: '%s' is not a whole number", what, arg);
  *out = v;
  return true;
}

virDomainPtr
vctl_domain(const vk_cmd_ctx *ctx, bool readonly, virConnectPtr *conn, int *rc)
{
  vk_error *err = NULL;
  virDomainPtr dom;
  const vk_hosts *h;
  vctl_conns cs;
  size_t which = 0, missing = 0;

  if (!vctl_host_list(ctx, &h, rc))
    return NULL;
  if (h->n <= 1) {
    if (!(*conn = vctl_open(ctx, readonly, rc)))
      return NULL;
    if (!(dom = vk_domain_lookup(*conn, ctx->argv[0], &err)))
      *rc = vk_cmd_fail(ctx, err);
    return dom;
  }
  /* several hosts: the one that has the domain */
  vctl_open_all(ctx, readonly, &cs);
  for (size_t i = 0; i < cs.n; i++)
    missing += !cs.conns[i];
  dom = vk_hosts_find_domain(h, cs.conns, ctx->argv[0], &which, &err);
  if (!dom && err->code == VK_EXIT_NOTFOUND && missing) {
    vk_error_free(err);
    err = NULL;
    vk_error_set(&err, VK_EXIT_CONNECT, "no domain '%s' on the hosts that answered (%zu did not)",
                 ctx->argv[0], missing);
  }
  if (!dom) {
    *rc = vk_cmd_fail(ctx, err);
    *conn = NULL;
  } else {
    *conn = cs.conns[which];
    cs.conns[which] = NULL;
    picked = h->v[which].uri;
  }
  vctl_conns_close(&cs);
  return dom;
}

char *
vctl_read_xml(const vk_cmd_ctx *ctx, virConnectPtr *conn, int *rc)
{
  vk_error *err = NULL;
  char *xml = vk_read_file(ctx->argv[0], &err);

  if (!xml) {
    *rc = vk_cmd_fail(ctx, err);
    return NULL;
  }
  if (!(*conn = vctl_open(ctx, false, rc))) {
    free(xml);
    return NULL;
  }
  return xml;
}

int
vctl_print_table(const vk_cmd_ctx *ctx, vk_table *t)
{
  bool ok = vk_table_print(t, ctx->out);

  vk_table_free(t);
  if (!ok) {
    vk_error *err = NULL;
    vk_error_set(&err, VK_EXIT_FAILED, "out of memory");
    return vk_cmd_fail(ctx, err);
  }
  fputc('\n', ctx->out);
  return 0;
}

static const char *
field_string(const void *rec, const vctl_field *f)
{
  return *(const char *const *)((const char *)rec + f->off);
}

static bool
field_flag(const void *rec, const vctl_field *f)
{
  return *(const bool *)((const char *)rec + f->off);
}

int
vctl_print_records(const vk_cmd_ctx *ctx, bool json, const void *recs, size_t n, size_t size,
                   const vctl_field *fields, size_t nfields, const int *cols)
{
  const char *head[16], *row[16];
  size_t ncols = 0;
  vk_table *t;

  if (json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    vk_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
      const void *rec = (const char *)recs + i * size;
      vk_json_begin_object(j);
      for (size_t k = 0; k < nfields; k++) {
        if (fields[k].flag)
          vk_json_kv_bool(j, fields[k].key, field_flag(rec, &fields[k]));
        else
          vk_json_kv_string(j, fields[k].key, field_string(rec, &fields[k]));
      }
      vk_json_end_object(j);
    }
    vk_json_end_array(j);
    return 0;
  }
  while (ncols < 16 && cols[ncols] >= 0) {
    head[ncols] = fields[cols[ncols]].head;
    ncols++;
  }
  t = vk_table_new(ncols, head);
  for (size_t i = 0; i < n; i++) {
    const void *rec = (const char *)recs + i * size;
    for (size_t c = 0; c < ncols; c++)
      row[c] = field_string(rec, &fields[cols[c]]);
    vk_table_add(t, row);
  }
  return vctl_print_table(ctx, t);
}

int
vctl_edit_run(vk_cmd_ctx *ctx, int kind, void *obj, const char *label)
{
  vk_error *err = NULL;
  vk_virt_edit e;
  bool changed;
  int rc;

  if (!vk_virt_edit_begin(&e, (vk_edit_kind)kind, obj, &err))
    return vk_cmd_fail(ctx, err);
  rc = vk_cmd_edit(ctx, e.orig, vk_virt_edit_apply, &e, &changed);
  vk_virt_edit_clear(&e);
  if (!rc)
    fprintf(ctx->out, "%s XML configuration %s.\n", label, changed ? "edited" : "not changed");
  return rc;
}

void
vctl_print_stat_value(FILE *out, const vk_stat_field *f)
{
  switch (f->kind) {
  case VK_STAT_INT: fprintf(out, "%" PRId64, f->v.i); break;
  case VK_STAT_UINT: fprintf(out, "%" PRIu64, f->v.u); break;
  case VK_STAT_DOUBLE: fprintf(out, "%g", f->v.d); break;
  case VK_STAT_BOOL: fputs(f->v.b ? "yes" : "no", out); break;
  case VK_STAT_STRING: fputs(f->v.s, out); break;
  }
}

void
vctl_json_stat_field(vk_json *j, const vk_stat_field *f)
{
  switch (f->kind) {
  case VK_STAT_INT: vk_json_kv_int(j, f->key, f->v.i); break;
  case VK_STAT_UINT: vk_json_kv_uint(j, f->key, f->v.u); break;
  case VK_STAT_DOUBLE: vk_json_kv_double(j, f->key, f->v.d); break;
  case VK_STAT_BOOL: vk_json_kv_bool(j, f->key, f->v.b); break;
  case VK_STAT_STRING: vk_json_kv_string(j, f->key, f->v.s); break;
  }
}
