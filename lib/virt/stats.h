/* vkit — domain statistics: libvirt's bulk statistics (domstats) and
 * rates computed from two samples (top). */
#ifndef VK_VIRT_STATS_H
#define VK_VIRT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util/error.h"
#include "util/json.h"

typedef enum { VK_STAT_INT, VK_STAT_UINT, VK_STAT_DOUBLE, VK_STAT_BOOL, VK_STAT_STRING } vk_stat_kind;

typedef struct vk_stat_field {
  char *key;                 /* libvirt's field name: "state.state", "block.0.rd.bytes" */
  vk_stat_kind kind;
  union { int64_t i; uint64_t u; double d; bool b; char *s; } v;
} vk_stat_field;

typedef struct vk_stat_record {
  char *name;
  vk_stat_field *f;
  size_t n;
} vk_stat_record;

typedef struct vk_stat_list {
  vk_stat_record *r;
  size_t n;
} vk_stat_list;

/* Statistics groups (virDomainStatsTypes bits, 0: all groups) of the named
 * domains (names/ids/UUIDs, looked up like vk_domain_lookup) or, with
 * nnames 0, of every domain; flags are libvirt's
 * VIR_CONNECT_GET_ALL_DOMAINS_STATS_* (the state filters only without
 * names).  Returns false with *errp set; free with vk_stat_list_free(). */
bool vk_domstats(virConnectPtr conn, const char *const *names, size_t nnames, unsigned groups,
                 unsigned flags, vk_stat_list *out, vk_error **errp);
void vk_stat_list_free(vk_stat_list *l);

/* A record named `name` holding libvirt's typed parameters (false when
 * memory runs out; clear r with vk_stat_record_clear() either way). */
bool vk_stat_record_from_params(const char *name, virTypedParameterPtr params, int nparams,
                                vk_stat_record *r);
/* Append one field to r (start from a zeroed record); false when memory
 * runs out. */
bool vk_stat_add_int(vk_stat_record *r, const char *key, int64_t v);
bool vk_stat_add_uint(vk_stat_record *r, const char *key, uint64_t v);
bool vk_stat_add_double(vk_stat_record *r, const char *key, double v);
bool vk_stat_add_string(vk_stat_record *r, const char *key, const char *v);
void vk_stat_record_clear(vk_stat_record *r);

/* Write record r's statistics on j as one JSON object with structure:
 * the group of a field ("cpu" of "cpu.time") is an object, numbered items
 * ("block.0.rd.bytes") are arrays of objects in libvirt's order, keys are
 * snake_case ({"cpu": {"time": N}, "block": [{"rd_bytes": N}]}).  A count
 * beside its array is left out; other plain fields of an array group move
 * beside it ("vcpu.current" -> "vcpu_current").  Returns false with *errp
 * set when out of memory (j is then incomplete). */
bool vk_stat_record_json(const vk_stat_record *r, vk_json *j, vk_error **errp);

/* One running domain in a top sample. */
typedef struct vk_top_dom {
  char *name;
  int id, state;
  unsigned vcpus;
  uint64_t cpu_ns;                  /* cumulated CPU time */
  uint64_t memory;                  /* current balloon size, bytes */
  uint64_t rd_bytes, wr_bytes;      /* summed over disks */
  uint64_t rx_bytes, tx_bytes;      /* summed over interfaces */
  /* rates, filled by vk_top_rates() */
  double cpu_percent;               /* of one host CPU: 200 = two CPUs busy */
  double rd_bps, wr_bps, rx_bps, tx_bps;
} vk_top_dom;

typedef struct vk_top_sample {
  vk_top_dom *d;
  size_t n;
  int64_t t_ns;                     /* monotonic time of the sample */
} vk_top_sample;

/* Sample the active domains in one statistics call.  Returns false with
 * *errp set; free with vk_top_sample_free(). */
bool vk_top_sample_get(virConnectPtr conn, vk_top_sample *out, vk_error **errp);

/* Fill the rates of `cur` from `prev` (domains matched by name; a domain
 * absent from prev gets zero rates). */
void vk_top_rates(const vk_top_sample *prev, vk_top_sample *cur);
void vk_top_sample_free(vk_top_sample *s);

#endif
