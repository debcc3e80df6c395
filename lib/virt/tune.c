/* vkit — a domain's memory, virtual CPUs and their pinning, and the
 * tunables libvirt keeps as typed parameters. */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/size.h"
#include "util/text.h"
#include "virt/conn.h"
#include "virt/tune.h"

static unsigned
affect(unsigned flags)
{
  unsigned f = VIR_DOMAIN_AFFECT_CURRENT;

  if (flags & VK_TUNE_LIVE)
    f |= VIR_DOMAIN_AFFECT_LIVE;
  if (flags & VK_TUNE_CONFIG)
    f |= VIR_DOMAIN_AFFECT_CONFIG;
  return f;
}

static bool
to_kib(uint64_t bytes, unsigned long *kib, vk_error **errp)
{
  if (bytes < 1024)
    return vk_error_set(errp, VK_EXIT_USAGE, "memory size must be at least 1 KiB");
  if (bytes / 1024 > ULONG_MAX)
    return vk_error_set(errp, VK_EXIT_USAGE, "memory size is too large");
  *kib = (unsigned long)(bytes / 1024);
  return true;
}

/* Set the current memory, or the maximum (extra: VIR_DOMAIN_MEM_MAXIMUM). */
static bool
set_memory(virDomainPtr dom, uint64_t bytes, unsigned flags, unsigned extra, const char *what,
           vk_error **errp)
{
  unsigned long kib = 0;

  if (!to_kib(bytes, &kib, errp))
    return false;
  if (virDomainSetMemoryFlags(dom, kib, affect(flags) | extra) < 0)
    return vk_virt_dom_error(errp, dom, what);
  return true;
}

bool
vk_domain_set_memory(virDomainPtr dom, uint64_t bytes, unsigned flags, vk_error **errp)
{
  return set_memory(dom, bytes, flags, 0, "cannot set the memory of", errp);
}

bool
vk_domain_set_max_memory(virDomainPtr dom, uint64_t bytes, unsigned flags, vk_error **errp)
{
  return set_memory(dom, bytes, flags, VIR_DOMAIN_MEM_MAXIMUM, "cannot set the maximum memory of", errp);
}

bool
vk_domain_set_vcpus(virDomainPtr dom, unsigned count, unsigned flags, vk_error **errp)
{
  unsigned f = affect(flags);

  if (count == 0)
    return vk_error_set(errp, VK_EXIT_USAGE, "the number of virtual CPUs must be at least 1");
  if (flags & VK_TUNE_MAXIMUM)
    f |= VIR_DOMAIN_VCPU_MAXIMUM;
  if (virDomainSetVcpusFlags(dom, count, f) < 0)
    return vk_virt_dom_error(errp, dom, "cannot set the virtual CPUs of");
  return true;
}

/* ------------------------------------------------------------ typed tunables */

static const char *const numa_modes[] = { "strict", "preferred", "interleave", "restrictive" };

static const char *
tune_what(vk_tune_kind kind)
{
  static const char *const w[] = { "the scheduler parameters", "the memory parameters",
                                   "the block I/O parameters", "the NUMA parameters" };
  return w[kind];
}

/* Get the parameters of kind into *p (count *n); for VK_TUNE_SCHED the
 * scheduler's name into *sched. */
static bool
params_get(virDomainPtr dom, vk_tune_kind kind, unsigned f, virTypedParameterPtr *p, int *n,
           char **sched, vk_error **errp)
{
  char what[64];
  int r = -1;

  *p = NULL;
  *n = 0;
  switch (kind) {
  case VK_TUNE_SCHED:
    if (!(*sched = virDomainGetSchedulerType(dom, n)))
      goto fail;
    break;
  case VK_TUNE_MEM: r = virDomainGetMemoryParameters(dom, NULL, n, f); break;
  case VK_TUNE_BLKIO: r = virDomainGetBlkioParameters(dom, NULL, n, f); break;
  case VK_TUNE_NUMA: r = virDomainGetNumaParameters(dom, NULL, n, f); break;
  }
  if (kind != VK_TUNE_SCHED && r < 0)
    goto fail;
  if (*n <= 0)
    return true;
  if (!(*p = calloc((size_t)*n, sizeof **p)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  switch (kind) {
  case VK_TUNE_SCHED: r = virDomainGetSchedulerParametersFlags(dom, *p, n, f); break;
  case VK_TUNE_MEM: r = virDomainGetMemoryParameters(dom, *p, n, f); break;
  case VK_TUNE_BLKIO: r = virDomainGetBlkioParameters(dom, *p, n, f); break;
  case VK_TUNE_NUMA: r = virDomainGetNumaParameters(dom, *p, n, f); break;
  }
  if (r >= 0)
    return true;
  free(*p);
  *p = NULL;
fail:
  snprintf(what, sizeof what, "cannot get %s of", tune_what(kind));
  return vk_virt_dom_error(errp, dom, what);
}

bool
vk_tune_get(virDomainPtr dom, vk_tune_kind kind, unsigned flags, vk_stat_record *out,
            vk_error **errp)
{
  virTypedParameterPtr p = NULL;
  char *sched = NULL;
  int n = 0;
  bool ok;

  memset(out, 0, sizeof *out);
  if (!params_get(dom, kind, affect(flags), &p, &n, &sched, errp))
    return false;
  ok = vk_stat_record_from_params(sched ? sched : virDomainGetName(dom), p, n, out);
  virTypedParamsFree(p, n);
  free(sched);
  /* numa_mode as its name */
  for (size_t i = 0; ok && kind == VK_TUNE_NUMA && i < out->n; i++) {
    vk_stat_field *fl = &out->f[i];
    if (strcmp(fl->key, VIR_DOMAIN_NUMA_MODE) == 0 && fl->kind == VK_STAT_INT && fl->v.i >= 0 &&
        fl->v.i < 4) {
      char *s = strdup(numa_modes[fl->v.i]);
      if (!s) {
        ok = false;
        break;
      }
      fl->kind = VK_STAT_STRING;
      fl->v.s = s;
    }
  }
  if (!ok) {
    vk_stat_record_clear(out);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  return true;
}

/* The names of p, ", "-separated, for messages. */
static void
names_of(virTypedParameterPtr p, int n, char *buf, size_t size)
{
  size_t len = 0;

  buf[0] = '\0';
  for (int i = 0; i < n && len < size; i++)
    len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", p[i].field);
}

static bool
parse_num(const char *v, bool sign, uint64_t *u, int64_t *s)
{
  char *end;

  errno = 0;
  if (sign)
    *s = strtoll(v, &end, 10);
  else if (*v == '-')
    return false;
  else
    *u = strtoull(v, &end, 10);
  return *v && !*end && !errno;
}

/* Add name=v to the list, typed like cur (a parameter of the current set). */
static bool
add_typed(vk_tune_kind kind, const virTypedParameter *cur, const char *name, const char *v,
          virTypedParameterPtr *np, int *nn, int *max, vk_error **errp)
{
  uint64_t u = 0;
  int64_t s = 0;
  int r = -1;

  if (kind == VK_TUNE_MEM && cur->type == VIR_TYPED_PARAM_ULLONG) {
    if (strcmp(v, "unlimited") == 0 || strcmp(v, "-1") == 0)
      u = VK_TUNE_UNLIMITED;
    else if (!vk_parse_size_unit(v, 1024, &u, NULL) || u / 1024 >= VK_TUNE_UNLIMITED)
      return vk_error_set(errp, VK_EXIT_USAGE, "%s=%s: a size (KiB, or with a suffix) or unlimited",
                          name, v);
    else
      u /= 1024;
    r = virTypedParamsAddULLong(np, nn, max, name, u);
  } else if (kind == VK_TUNE_NUMA && strcmp(name, VIR_DOMAIN_NUMA_MODE) == 0) {
    int m = -1;
    for (int i = 0; i < 4; i++)
      if (strcmp(v, numa_modes[i]) == 0)
        m = i;
    if (m < 0)
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "%s=%s: strict, preferred, interleave or restrictive", name, v);
    r = virTypedParamsAddInt(np, nn, max, name, m);
  } else {
    switch (cur->type) {
    case VIR_TYPED_PARAM_INT:
      if (!parse_num(v, true, &u, &s) || s < INT_MIN || s > INT_MAX)
        goto bad;
      r = virTypedParamsAddInt(np, nn, max, name, (int)s);
      break;
    case VIR_TYPED_PARAM_UINT:
      if (!parse_num(v, false, &u, &s) || u > UINT_MAX)
        goto bad;
      r = virTypedParamsAddUInt(np, nn, max, name, (unsigned)u);
      break;
    case VIR_TYPED_PARAM_LLONG:
      if (!parse_num(v, true, &u, &s))
        goto bad;
      r = virTypedParamsAddLLong(np, nn, max, name, s);
      break;
    case VIR_TYPED_PARAM_ULLONG:
      if (!parse_num(v, false, &u, &s))
        goto bad;
      r = virTypedParamsAddULLong(np, nn, max, name, u);
      break;
    case VIR_TYPED_PARAM_BOOLEAN: {
      bool b;
      if (!vk_parse_bool(v, &b))
        return vk_error_set(errp, VK_EXIT_USAGE, "%s=%s: yes or no", name, v);
      r = virTypedParamsAddBoolean(np, nn, max, name, b);
      break;
    }
    case VIR_TYPED_PARAM_STRING: r = virTypedParamsAddString(np, nn, max, name, v); break;
    default: return vk_error_set(errp, VK_EXIT_USAGE, "%s: cannot be set", name);
    }
  }
  if (r < 0)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return true;
bad:
  return vk_error_set(
      errp, VK_EXIT_USAGE, "%s=%s: a whole number%s", name, v,
      cur->type == VIR_TYPED_PARAM_INT || cur->type == VIR_TYPED_PARAM_LLONG ? "" : " (0 or more)");
}

bool
vk_tune_set(virDomainPtr dom, vk_tune_kind kind, const char *const *assign, size_t n,
            unsigned flags, vk_error **errp)
{
  unsigned f = affect(flags);
  /* the types: from the definition when it changes, else the running domain */
  unsigned gf = (flags & VK_TUNE_CONFIG) ? VIR_DOMAIN_AFFECT_CONFIG : f;
  virTypedParameterPtr cur = NULL, np = NULL;
  int ncur = 0, nn = 0, max = 0, r = -1;
  char *sched = NULL, what[64];
  bool ok = true;

  if (!params_get(dom, kind, gf, &cur, &ncur, &sched, errp))
    return false;
  free(sched);
  for (size_t i = 0; ok && i < n; i++) {
    const char *eq = strchr(assign[i], '=');
    char name[VIR_TYPED_PARAM_FIELD_LENGTH];
    const virTypedParameter *c = NULL;

    if (!eq || eq == assign[i] || (size_t)(eq - assign[i]) >= sizeof name) {
      ok = vk_error_set(errp, VK_EXIT_USAGE, "'%s': give NAME=VALUE", assign[i]);
      break;
    }
    memcpy(name, assign[i], (size_t)(eq - assign[i]));
    name[eq - assign[i]] = '\0';
    for (int k = 0; k < ncur; k++)
      if (strcmp(cur[k].field, name) == 0)
        c = &cur[k];
    if (!c) {
      char known[1024];
      names_of(cur, ncur, known, sizeof known);
      ok = vk_error_set(errp, VK_EXIT_USAGE, "%s: not a tunable of this domain (%s)", name,
                        *known ? known : "none");
      break;
    }
    ok = add_typed(kind, c, name, eq + 1, &np, &nn, &max, errp);
  }
  virTypedParamsFree(cur, ncur);
  if (ok && nn > 0) {
    switch (kind) {
    case VK_TUNE_SCHED: r = virDomainSetSchedulerParametersFlags(dom, np, nn, f); break;
    case VK_TUNE_MEM: r = virDomainSetMemoryParameters(dom, np, nn, f); break;
    case VK_TUNE_BLKIO: r = virDomainSetBlkioParameters(dom, np, nn, f); break;
    case VK_TUNE_NUMA: r = virDomainSetNumaParameters(dom, np, nn, f); break;
    }
    if (r < 0) {
      snprintf(what, sizeof what, "cannot set %s of", tune_what(kind));
      ok = vk_virt_dom_error(errp, dom, what);
    }
  }
  virTypedParamsFree(np, nn);
  return ok;
}

/* ------------------------------------------------------------ vCPUs */

bool
vk_vcpu_count(virDomainPtr dom, vk_stat_record *out, vk_error **errp)
{
  static const struct {
    const char *key;
    unsigned flags;
  } q[] = {
    { "maximum_config", VIR_DOMAIN_VCPU_MAXIMUM | VIR_DOMAIN_AFFECT_CONFIG },
    { "maximum_live", VIR_DOMAIN_VCPU_MAXIMUM | VIR_DOMAIN_AFFECT_LIVE },
    { "current_config", VIR_DOMAIN_AFFECT_CONFIG },
    { "current_live", VIR_DOMAIN_AFFECT_LIVE },
  };
  int persistent = virDomainIsPersistent(dom), active = virDomainIsActive(dom);

  memset(out, 0, sizeof *out);
  if (persistent < 0 || active < 0)
    return vk_virt_dom_error(errp, dom, "cannot get the state of");
  if (!(out->name = strdup(virDomainGetName(dom))))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
    bool live = q[i].flags & VIR_DOMAIN_AFFECT_LIVE;
    int c;
    if ((live && !active) || (!live && !persistent))
      continue;
    if ((c = virDomainGetVcpusFlags(dom, q[i].flags)) < 0) {
      vk_stat_record_clear(out);
      return vk_virt_dom_error(errp, dom, "cannot count the vCPUs of");
    }
    if (!vk_stat_add_uint(out, q[i].key, (uint64_t)c)) {
      vk_stat_record_clear(out);
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    }
  }
  return true;
}

int
vk_host_ncpus(virConnectPtr conn, vk_error **errp)
{
  int n = virNodeGetCPUMap(conn, NULL, NULL, 0);

  if (n < 0)
    vk_virt_error(errp, conn, "cannot count the host's CPUs");
  return n;
}

bool
vk_cpulist_parse(const char *text, int ncpus, unsigned char *map, int maplen, vk_error **errp)
{
  const char *p = text;

  memset(map, 0, (size_t)maplen);
  if (strcmp(text, "r") == 0) {
    for (int c = 0; c < ncpus; c++)
      VIR_USE_CPU(map, c);
    return true;
  }
  /* exclusions apply after the whole list: "0-3,^1" */
  for (int pass = 0; pass < 2; pass++) {
    for (p = text; *p;) {
      bool neg = *p == '^';
      char *end;
      long a, b;
      if (neg)
        p++;
      errno = 0;
      a = strtol(p, &end, 10);
      if (end == p || a < 0 || errno)
        return vk_error_set(errp, VK_EXIT_USAGE, "'%s': a CPU list such as 0-2,5 or ^1", text);
      b = a;
      if (*end == '-' && !neg) {
        p = end + 1;
        b = strtol(p, &end, 10);
        if (end == p || b < a || errno)
          return vk_error_set(errp, VK_EXIT_USAGE, "'%s': a CPU list such as 0-2,5 or ^1", text);
      }
      if (b >= ncpus)
        return vk_error_set(errp, VK_EXIT_USAGE, "'%s': the host has CPUs 0-%d", text, ncpus - 1);
      if (*end && *end != ',')
        return vk_error_set(errp, VK_EXIT_USAGE, "'%s': a CPU list such as 0-2,5 or ^1", text);
      for (long c = a; c <= b; c++) {
        if (pass == 0 && !neg)
          VIR_USE_CPU(map, c);
        else if (pass == 1 && neg)
          VIR_UNUSE_CPU(map, c);
      }
      p = *end ? end + 1 : end;
    }
  }
  for (int c = 0; c < ncpus; c++)
    if (VIR_CPU_USED(map, c))
      return true;
  return vk_error_set(errp, VK_EXIT_USAGE, "'%s': no CPU left", text);
}

void
vk_cpulist_format(const unsigned char *map, int ncpus, char *buf, size_t size)
{
  size_t len = 0;

  buf[0] = '\0';
  for (int c = 0; c < ncpus && len < size; c++) {
    int e = c;
    if (!VIR_CPU_USED(map, c))
      continue;
    while (e + 1 < ncpus && VIR_CPU_USED(map, e + 1))
      e++;
    if (e > c)
      len += (size_t)snprintf(buf + len, size - len, "%s%d-%d", len ? "," : "", c, e);
    else
      len += (size_t)snprintf(buf + len, size - len, "%s%d", len ? "," : "", c);
    c = e;
  }
}

vk_vcpu_info *
vk_vcpu_info_get(virDomainPtr dom, size_t *n, vk_error **errp)
{
  virConnectPtr conn = virDomainGetConnect(dom);
  int ncpus = vk_host_ncpus(conn, errp), active = virDomainIsActive(dom), nv, maplen;
  virVcpuInfoPtr info = NULL;
  unsigned char *maps = NULL;
  vk_vcpu_info *out = NULL;

  *n = 0;
  if (ncpus < 0)
    return NULL;
  if (active < 0) {
    vk_virt_dom_error(errp, dom, "cannot get the state of");
    return NULL;
  }
  maplen = VIR_CPU_MAPLEN(ncpus);
  nv = virDomainGetVcpusFlags(dom, active ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG);
  if (nv < 0) {
    vk_virt_dom_error(errp, dom, "cannot count the vCPUs of");
    return NULL;
  }
  if (!(out = calloc((size_t)nv + 1, sizeof *out)) ||
      !(info = calloc((size_t)nv + 1, sizeof *info)) ||
      !(maps = calloc((size_t)nv + 1, (size_t)maplen))) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    goto fail;
  }
  if (active) {
    if ((nv = virDomainGetVcpus(dom, info, nv, maps, maplen)) < 0) {
      vk_virt_dom_error(errp, dom, "cannot get the vCPUs of");
      goto fail;
    }
  } else {
    if ((nv = virDomainGetVcpuPinInfo(dom, nv, maps, maplen, VIR_DOMAIN_AFFECT_CONFIG)) < 0) {
      vk_virt_dom_error(errp, dom, "cannot get the vCPUs of");
      goto fail;
    }
    for (int i = 0; i < nv; i++) {
      info[i].number = (unsigned)i;
      info[i].state = VIR_VCPU_OFFLINE;
      info[i].cpu = -1;
    }
  }
  for (int i = 0; i < nv; i++) {
    out[i].number = info[i].number;
    out[i].state = info[i].state;
    out[i].cpu = info[i].cpu;
    out[i].time_ns = info[i].cpuTime;
    vk_cpulist_format(VIR_GET_CPUMAP(maps, maplen, i), ncpus, out[i].affinity,
                      sizeof out[i].affinity);
  }
  *n = (size_t)nv;
  free(info);
  free(maps);
  return out;
fail:
  free(info);
  free(maps);
  free(out);
  return NULL;
}

bool
vk_vcpu_pin(virDomainPtr dom, int vcpu, const char *cpulist, unsigned flags, vk_error **errp)
{
  int ncpus = vk_host_ncpus(virDomainGetConnect(dom), errp), maplen, r;
  unsigned char *map;

  if (ncpus < 0)
    return false;
  maplen = VIR_CPU_MAPLEN(ncpus);
  if (!(map = calloc(1, (size_t)maplen)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  if (!vk_cpulist_parse(cpulist, ncpus, map, maplen, errp)) {
    free(map);
    return false;
  }
  r = vcpu < 0 ? virDomainPinEmulator(dom, map, maplen, affect(flags))
               : virDomainPinVcpuFlags(dom, (unsigned)vcpu, map, maplen, affect(flags));
  free(map);
  if (r < 0)
    return vk_virt_dom_error(errp, dom,
                             vcpu < 0 ? "cannot pin the emulator of" : "cannot pin a vCPU of");
  return true;
}

bool
vk_vcpu_pins(virDomainPtr dom, bool emulator, unsigned flags, vk_stat_record *out, vk_error **errp)
{
  int ncpus = vk_host_ncpus(virDomainGetConnect(dom), errp), maplen, nv = 1;
  unsigned char *maps = NULL;
  bool ok = true;

  memset(out, 0, sizeof *out);
  if (ncpus < 0)
    return false;
  maplen = VIR_CPU_MAPLEN(ncpus);
  if (!emulator && (nv = virDomainGetVcpusFlags(dom, affect(flags) | VIR_DOMAIN_VCPU_MAXIMUM)) < 0)
    return vk_virt_dom_error(errp, dom, "cannot count the vCPUs of");
  if (!(maps = calloc((size_t)nv + 1, (size_t)maplen)) ||
      !(out->name = strdup(virDomainGetName(dom)))) {
    free(maps);
    vk_stat_record_clear(out);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  if (emulator ? virDomainGetEmulatorPinInfo(dom, maps, maplen, affect(flags)) < 0
               : (nv = virDomainGetVcpuPinInfo(dom, nv, maps, maplen, affect(flags))) < 0) {
    free(maps);
    vk_stat_record_clear(out);
    return vk_virt_dom_error(errp, dom, "cannot get the CPU pinning of");
  }
  for (int i = 0; ok && i < nv; i++) {
    char key[16], list[512];
    snprintf(key, sizeof key, emulator ? "*" : "%d", i);
    vk_cpulist_format(VIR_GET_CPUMAP(maps, maplen, i), ncpus, list, sizeof list);
    ok = vk_stat_add_string(out, key, list);
  }
  free(maps);
  if (!ok) {
    vk_stat_record_clear(out);
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  }
  return true;
}
