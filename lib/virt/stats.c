/* vkit — domain statistics. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/virterror.h>

#include "virt/conn.h"
#include "virt/stats.h"

bool
vk_stat_record_from_params(const char *name, virTypedParameterPtr params, int nparams,
                           vk_stat_record *dst)
{
  memset(dst, 0, sizeof *dst);
  dst->name = strdup(name);
  dst->f = calloc((size_t)(nparams > 0 ? nparams : 0) + 1, sizeof *dst->f);
  if (!dst->name || !dst->f)
    return false;
  for (int i = 0; i < nparams; i++) {
    virTypedParameterPtr p = &params[i];
    vk_stat_field *f = &dst->f[dst->n];

    if (!(f->key = strdup(p->field)))
      return false;
    dst->n++;
    switch (p->type) {
    case VIR_TYPED_PARAM_INT: f->kind = VK_STAT_INT; f->v.i = p->value.i; break;
    case VIR_TYPED_PARAM_LLONG: f->kind = VK_STAT_INT; f->v.i = p->value.l; break;
    case VIR_TYPED_PARAM_UINT: f->kind = VK_STAT_UINT; f->v.u = p->value.ui; break;
    case VIR_TYPED_PARAM_ULLONG: f->kind = VK_STAT_UINT; f->v.u = p->value.ul; break;
    case VIR_TYPED_PARAM_DOUBLE: f->kind = VK_STAT_DOUBLE; f->v.d = p->value.d; break;
    case VIR_TYPED_PARAM_BOOLEAN: f->kind = VK_STAT_BOOL; f->v.b = p->value.b != 0; break;
    case VIR_TYPED_PARAM_STRING:
      f->kind = VK_STAT_STRING;
      if (!(f->v.s = strdup(p->value.s ? p->value.s : "")))
        return false;
      break;
    default:
      f->kind = VK_STAT_STRING;
      if (!(f->v.s = strdup("")))
        return false;
    }
  }
  return true;
}

/* A new field `key` of r, or NULL when memory runs out. */
static vk_stat_field *
add_field(vk_stat_record *r, const char *key, vk_stat_kind kind)
{
  vk_stat_field *f = realloc(r->f, (r->n + 1) * sizeof *r->f);
  char *k = strdup(key);

  if (f)
    r->f = f;
  if (!f || !k) {
    free(k);
    return NULL;
  }
  f = &r->f[r->n++];
  memset(f, 0, sizeof *f);
  f->key = k;
  f->kind = kind;
  return f;
}

bool
vk_stat_add_int(vk_stat_record *r, const char *key, int64_t v)
{
  vk_stat_field *f = add_field(r, key, VK_STAT_INT);

  return f && ((f->v.i = v), true);
}

bool
vk_stat_add_uint(vk_stat_record *r, const char *key, uint64_t v)
{
  vk_stat_field *f = add_field(r, key, VK_STAT_UINT);

  return f && ((f->v.u = v), true);
}

bool
vk_stat_add_double(vk_stat_record *r, const char *key, double v)
{
  vk_stat_field *f = add_field(r, key, VK_STAT_DOUBLE);

  return f && ((f->v.d = v), true);
}

bool
vk_stat_add_string(vk_stat_record *r, const char *key, const char *v)
{
  vk_stat_field *f = add_field(r, key, VK_STAT_STRING);

  if (!f)
    return false;
  if (!(f->v.s = strdup(v ? v : ""))) {
    f->kind = VK_STAT_INT;
    return false;
  }
  return true;
}

void
vk_stat_record_clear(vk_stat_record *r)
{
  for (size_t j = 0; j < r->n; j++) {
    free(r->f[j].key);
    if (r->f[j].kind == VK_STAT_STRING)
      free(r->f[j].v.s);
  }
  free(r->f);
  free(r->name);
  memset(r, 0, sizeof *r);
}

bool
vk_domstats(virConnectPtr conn, const char *const *names, size_t nnames, unsigned groups,
            unsigned flags, vk_stat_list *out, vk_error **errp)
{
  virDomainStatsRecordPtr *recs = NULL;
  virDomainPtr *doms = NULL;
  int n;
  bool ok = true;

  memset(out, 0, sizeof *out);
  if (nnames > 0) {
    doms = calloc(nnames + 1, sizeof *doms);
    if (!doms)
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot get statistics");
    for (size_t i = 0; i < nnames && ok; i++)
      ok = (doms[i] = vk_domain_lookup(conn, names[i], errp)) != NULL;
    n = ok ? virDomainListGetStats(doms, groups, &recs, flags) : 0;
  } else {
    n = virConnectGetAllDomainStats(conn, groups, &recs, flags);
  }
  if (ok && n < 0)
    ok = vk_virt_error(errp, conn, "cannot get domain statistics");
  if (ok && n > 0) {
    out->r = calloc((size_t)n, sizeof *out->r);
    ok = out->r != NULL;
    for (int i = 0; ok && i < n; i++) {
      ok = vk_stat_record_from_params(virDomainGetName(recs[i]->dom), recs[i]->params,
                                      recs[i]->nparams, &out->r[i]);
      out->n++;
    }
    if (!ok)
      vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot get statistics");
  }
  if (recs)
    virDomainStatsRecordListFree(recs);
  for (size_t i = 0; doms && i < nnames; i++)
    if (doms[i])
      virDomainFree(doms[i]);
  free(doms);
  if (!ok)
    vk_stat_list_free(out);
  return ok;
}

void
vk_stat_list_free(vk_stat_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    vk_stat_record_clear(&l->r[i]);
  free(l->r);
  l->r = NULL;
  l->n = 0;
}

/* ------------------------------------------------------------ top */

static int64_t
mono_ns(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t
uval(const virTypedParameter *p)
{
  switch (p->type) {
  case VIR_TYPED_PARAM_INT: return p->value.i < 0 ? 0 : (uint64_t)p->value.i;
  case VIR_TYPED_PARAM_UINT: return p->value.ui;
  case VIR_TYPED_PARAM_LLONG: return p->value.l < 0 ? 0 : (uint64_t)p->value.l;
  case VIR_TYPED_PARAM_ULLONG: return p->value.ul;
  default: return 0;
  }
}

/* True when key is "<prefix>.<N>.<suffix>". */
static bool
indexed(const char *key, const char *prefix, const char *suffix)
{
  size_t pl = strlen(prefix);
  const char *p;

  if (strncmp(key, prefix, pl) != 0 || key[pl] != '.')
    return false;
  p = key + pl + 1;
  if (*p < '0' || *p > '9')
    return false;
  while (*p >= '0' && *p <= '9')
    p++;
  return *p == '.' && strcmp(p + 1, suffix) == 0;
}

bool
vk_top_sample_get(virConnectPtr conn, vk_top_sample *out, vk_error **errp)
{
  virDomainStatsRecordPtr *recs = NULL;
  unsigned groups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON |
                    VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;
  int n;

  memset(out, 0, sizeof *out);
  n = virConnectGetAllDomainStats(conn, groups, &recs, VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE);
  out->t_ns = mono_ns();
  if (n < 0)
    return vk_virt_error(errp, conn, "cannot get domain statistics");
  out->d = calloc((size_t)n + 1, sizeof *out->d);
  if (!out->d) {
    virDomainStatsRecordListFree(recs);
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot get statistics");
  }
  for (int i = 0; i < n; i++) {
    vk_top_dom *d = &out->d[out->n];
    unsigned id = virDomainGetID(recs[i]->dom);

    if (!(d->name = strdup(virDomainGetName(recs[i]->dom))))
      continue;
    out->n++;
    d->id = id == (unsigned)-1 ? -1 : (int)id;
    for (int k = 0; k < recs[i]->nparams; k++) {
      virTypedParameterPtr p = &recs[i]->params[k];
      const char *f = p->field;

      if (strcmp(f, "state.state") == 0)
        d->state = (int)uval(p);
      else if (strcmp(f, "cpu.time") == 0)
        d->cpu_ns = uval(p);
      else if (strcmp(f, "balloon.current") == 0)
        d->memory = uval(p) * 1024;
      else if (strcmp(f, "vcpu.current") == 0)
        d->vcpus = (unsigned)uval(p);
      else if (indexed(f, "block", "rd.bytes"))
        d->rd_bytes += uval(p);
      else if (indexed(f, "block", "wr.bytes"))
        d->wr_bytes += uval(p);
      else if (indexed(f, "net", "rx.bytes"))
        d->rx_bytes += uval(p);
      else if (indexed(f, "net", "tx.bytes"))
        d->tx_bytes += uval(p);
    }
  }
  virDomainStatsRecordListFree(recs);
  return true;
}

static double
rate(uint64_t a, uint64_t b, double secs)
{
  return b >= a && secs > 0 ? (double)(b - a) / secs : 0;
}

void
vk_top_rates(const vk_top_sample *prev, vk_top_sample *cur)
{
  double secs = (double)(cur->t_ns - prev->t_ns) / 1e9;

  for (size_t i = 0; i < cur->n; i++) {
    vk_top_dom *c = &cur->d[i];
    const vk_top_dom *p = NULL;

    for (size_t j = 0; j < prev->n && !p; j++)
      if (strcmp(prev->d[j].name, c->name) == 0 && prev->d[j].id == c->id)
        p = &prev->d[j];
    if (!p)
      continue;
    c->cpu_percent = rate(p->cpu_ns, c->cpu_ns, secs) / 1e9 * 100.0;
    c->rd_bps = rate(p->rd_bytes, c->rd_bytes, secs);
    c->wr_bps = rate(p->wr_bytes, c->wr_bytes, secs);
    c->rx_bps = rate(p->rx_bytes, c->rx_bytes, secs);
    c->tx_bps = rate(p->tx_bytes, c->tx_bytes, secs);
  }
}

void
vk_top_sample_free(vk_top_sample *s)
{
  for (size_t i = 0; i < s->n; i++)
    free(s->d[i].name);
  free(s->d);
  s->d = NULL;
  s->n = 0;
}
