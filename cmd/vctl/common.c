/* vctl — connection and argument helpers shared by the handlers. */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/json.h"
#include "virt/domain.h"
#include "vctl.h"

virConnectPtr
vctl_open(const vk_cmd_ctx *ctx, bool readonly, int *rc)
{
  vk_error *err = NULL;
  virConnectPtr c = vk_conn_open(vctl_uri, readonly ? VK_CONN_READONLY : 0, &err);

  if (!c)
    *rc = vk_cmd_fail(ctx, err);
  return c;
}

bool
vctl_parse_secs(const char *opt, const char *arg, int *ms, vk_error **errp)
{
  char *end;
  double v;

  if (!arg) {
    *ms = -1;
    return true;
  }
  errno = 0;
  v = strtod(arg, &end);
  if (errno || end == arg || *end || !(v >= 0) || v > INT_MAX / 1000)
    return vk_error_set(errp, VK_EXIT_USAGE, "--%s: '%s' is not a number of seconds", opt, arg);
  *ms = (int)(v * 1000);
  return true;
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

  if (!(*conn = vctl_open(ctx, readonly, rc)))
    return NULL;
  if (!(dom = vk_domain_lookup(*conn, ctx->argv[0], &err)))
    *rc = vk_cmd_fail(ctx, err);
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
