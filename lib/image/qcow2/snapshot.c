/* vkit — the qcow2 internal snapshot table (see qcow2-snapshot.h). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/driver.h"
#include "image/qcow2/qcow2.h"
#include "image/qcow2/snapshot.h"
#include "util/cleanup.h"

void
qcow2_snapshot_table_clear(qcow2_snapshot_table *t)
{
  for (uint32_t i = 0; t->sn && i < t->n; i++) {
    free(t->sn[i].id);
    free(t->sn[i].name);
  }
  free(t->sn);
  memset(t, 0, sizeof *t);
}

static char *
dup_bytes(const unsigned char *p, size_t n)
{
  char *s = malloc(n + 1);

  if (s) {
    memcpy(s, p, n);
    s[n] = '\0';
  }
  return s;
}

static bool
read_table(int fd, const char *file, uint64_t file_len, const qcow2_header *h,
           qcow2_snapshot_table *t, vk_error **errp)
{
  uint64_t pos = h->snapshots_offset, end;
  CLEANUP_FREE unsigned char *var = NULL;

  memset(t, 0, sizeof *t);
  t->offset = h->snapshots_offset;
  if (!h->nb_snapshots)
    return true;
  if (h->nb_snapshots > QCOW2_MAX_SNAPSHOTS)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: too many snapshots (%u)", file, h->nb_snapshots);
  if (h->snapshots_offset % (1ULL << h->cluster_bits) || h->snapshots_offset >= file_len)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: snapshot table offset %#llx is not cluster aligned or past the end of the file",
                        file, (unsigned long long)h->snapshots_offset);
  /* The smallest possible table must fit in the file and the limit. */
  if ((uint64_t)h->nb_snapshots * QCOW2_SN_HEADER_LEN > QCOW2_SN_MAX_TABLE)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: snapshot table too large", file);
  if ((uint64_t)h->nb_snapshots * QCOW2_SN_HEADER_LEN > file_len - h->snapshots_offset)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: snapshot table past the end of the file", file);
  /* extra data + id + name of one entry: at most 1024 + 2 * 65535 bytes */
  if (!(var = malloc(QCOW2_SN_MAX_EXTRA + 2 * 65536)) ||
      !(t->sn = calloc(h->nb_snapshots, sizeof *t->sn)))
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "%s: snapshot table", file);
  for (uint32_t i = 0; i < h->nb_snapshots; i++) {
    unsigned char e[QCOW2_SN_HEADER_LEN];
    qcow2_snapshot *sn = &t->sn[i];
    uint32_t extra, idl, namel, vm32;
    uint64_t entry;

    t->n = i + 1;   /* so that a failure frees this entry's strings too */
    entry = QCOW2_SN_HEADER_LEN;
    if (pos + entry - h->snapshots_offset > QCOW2_SN_MAX_TABLE)
      return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: snapshot table too large", file);
    if (pos + entry > file_len)
      return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: snapshot table past the end of the file", file);
    if (!vk_host_pread(fd, e, sizeof e, pos, file, errp))
      return false;
    sn->l1_offset = vk_be64(e + QS(l1_table_offset));
    sn->l1_size = vk_be32(e + QS(l1_size));
    idl = vk_be16(e + QS(id_str_size));
    namel = vk_be16(e + QS(name_size));
    sn->date_sec = vk_be32(e + QS(date_sec));
    sn->date_nsec = vk_be32(e + QS(date_nsec));
    sn->vm_clock_nsec = vk_be64(e + QS(vm_clock_nsec));
    vm32 = vk_be32(e + QS(vm_state_size));
    extra = vk_be32(e + QS(extra_data_size));
    if (extra > QCOW2_SN_MAX_EXTRA)
      return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: snapshot %u: too much extra data (%u bytes)", file, i, extra);
    entry += (uint64_t)extra + idl + namel;
    if (pos + entry - h->snapshots_offset > QCOW2_SN_MAX_TABLE)
      return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: snapshot table too large", file);
    if (pos + entry > file_len)
      return vk_error_set(errp, VK_EXIT_CORRUPT, "%s: snapshot table past the end of the file", file);
    if (!vk_host_pread(fd, var, entry - QCOW2_SN_HEADER_LEN, pos + QCOW2_SN_HEADER_LEN, file, errp))
      return false;
    sn->extra_len = extra;
    sn->vm_state_size = extra >= QSX(disk_size) ? vk_be64(var + QSX(vm_state_size_large)) : vm32;
    sn->has_disk_size = extra >= QSX(icount);
    sn->disk_size = sn->has_disk_size ? vk_be64(var + QSX(disk_size)) : h->size;
    sn->icount = extra >= sizeof(qcow2_disk_snapshot_extra) ? (int64_t)vk_be64(var + QSX(icount)) : -1;
    if (!(sn->id = dup_bytes(var + extra, idl)) ||
        !(sn->name = dup_bytes(var + extra + idl, namel)))
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "%s: snapshot table", file);
    sn->raw_off = pos;
    pos = (pos + entry + 7) & ~7ULL;
    sn->raw_len = pos - sn->raw_off;
  }
  end = pos;
  t->len = end - h->snapshots_offset;
  return true;
}

bool
qcow2_snapshot_table_read(int fd, const char *file, uint64_t file_len,
                          const qcow2_header *h, qcow2_snapshot_table *t,
                          vk_error **errp)
{
  if (read_table(fd, file, file_len, h, t, errp))
    return true;
  qcow2_snapshot_table_clear(t);
  return false;
}

const qcow2_snapshot *
qcow2_snapshot_find(const qcow2_snapshot_table *t, const char *spec)
{
  if (!strncmp(spec, "snapshot.id=", 12)) {
    for (uint32_t i = 0; i < t->n; i++)
      if (!strcmp(t->sn[i].id, spec + 12))
        return &t->sn[i];
    return NULL;
  }
  if (!strncmp(spec, "snapshot.name=", 14)) {
    for (uint32_t i = 0; i < t->n; i++)
      if (!strcmp(t->sn[i].name, spec + 14))
        return &t->sn[i];
    return NULL;
  }
  for (uint32_t i = 0; i < t->n; i++)
    if (!strcmp(t->sn[i].id, spec))
      return &t->sn[i];
  for (uint32_t i = 0; i < t->n; i++)
    if (!strcmp(t->sn[i].name, spec))
      return &t->sn[i];
  return NULL;
}

const char *
qcow2_snapshot_problem(const qcow2_geom *g, const qcow2_snapshot *sn, uint64_t file_len,
                       bool hard_only)
{
  uint64_t bytes = (uint64_t)sn->l1_size * 8;

  if (sn->disk_size > QCOW2_MAX_VIRTUAL_SIZE)
    return "disk size too large";
  if (bytes > QCOW2_MAX_L1_BYTES)
    return "L1 table too large";
  if (sn->l1_offset % g->cs || (bytes && sn->l1_offset < g->cs))
    return "L1 table offset not cluster aligned or in the header";
  if (bytes && (sn->l1_offset >= file_len || bytes > file_len - sn->l1_offset))
    return "L1 table past the end of the file";
  if (hard_only)
    return NULL;
  if (g->version >= 3 && sn->extra_len < QCOW2_SN_V3_MIN_EXTRA)
    return "too little extra data for a version 3 image";
  if (sn->disk_size % 512)
    return "disk size not a multiple of 512";
  if (sn->l1_size < qcow2_l1_entries_for(g, sn->disk_size))
    return "its L1 table is too small for its disk size";
  return NULL;
}

unsigned char *
qcow2_snapshot_entry_new(const char *id, const char *name, uint64_t l1_offset,
                         uint32_t l1_size, uint64_t disk_size, size_t *lenp)
{
  size_t idl = strlen(id), namel = strlen(name), extra = sizeof(qcow2_disk_snapshot_extra);
  size_t len = (QCOW2_SN_HEADER_LEN + extra + idl + namel + 7) & ~(size_t)7;
  unsigned char *e, *x;
  struct timespec ts;

  if (idl > UINT16_MAX || namel > UINT16_MAX || !(e = calloc(1, len)))
    return NULL;
  x = e + QCOW2_SN_HEADER_LEN;
  clock_gettime(CLOCK_REALTIME, &ts);
  vk_put_be64(e + QS(l1_table_offset), l1_offset);
  vk_put_be32(e + QS(l1_size), l1_size);
  vk_put_be16(e + QS(id_str_size), (uint16_t)idl);
  vk_put_be16(e + QS(name_size), (uint16_t)namel);
  vk_put_be32(e + QS(date_sec), (uint32_t)ts.tv_sec);
  vk_put_be32(e + QS(date_nsec), (uint32_t)ts.tv_nsec);
  /* vm_clock_nsec 0, vm_state_size 0: a disk-only snapshot; icount 0, as
   * qemu-img writes it */
  vk_put_be32(e + QS(extra_data_size), (uint32_t)extra);
  vk_put_be64(x + QSX(disk_size), disk_size);
  memcpy(x + extra, id, idl);
  memcpy(x + extra + idl, name, namel);
  *lenp = len;
  return e;
}

void
vk_snapshot_info_free(vk_snapshot_info *s, size_t n)
{
  for (size_t i = 0; s && i < n; i++) {
    free(s[i].id);
    free(s[i].name);
  }
  free(s);
}

bool
vk_image_list_snapshots(vk_image *img, vk_snapshot_info **out, size_t *n,
                        vk_error **errp)
{
  qcow2_snapshot_table t;
  vk_snapshot_info *s;

  *out = NULL;
  *n = 0;
  if (img->format != VK_FMT_QCOW2)
    return true;
  if (!qcow2_snapshot_table_read(img->fd, img->filename, Q(img)->file_len, &Q(img)->h, &t, errp))
    return false;
  if (!t.n)
    return true;
  if (!(s = calloc(t.n, sizeof *s))) {
    qcow2_snapshot_table_clear(&t);
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "%s: snapshot table", img->filename);
  }
  for (uint32_t i = 0; i < t.n; i++) {
    /* The strings move into the new array. */
    s[i].id = VK_STEAL(t.sn[i].id);
    s[i].name = VK_STEAL(t.sn[i].name);
    s[i].vm_state_size = t.sn[i].vm_state_size;
    s[i].date_sec = t.sn[i].date_sec;
    s[i].date_nsec = t.sn[i].date_nsec;
    s[i].vm_clock_nsec = t.sn[i].vm_clock_nsec;
    s[i].disk_size = t.sn[i].disk_size;
    s[i].icount = t.sn[i].icount;
  }
  *out = s;
  *n = t.n;
  qcow2_snapshot_table_clear(&t);
  return true;
}
