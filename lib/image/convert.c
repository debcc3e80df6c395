/* vkit — the convert pipeline (see convert.h). */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert-io.h"
#include "convert.h"
#include "image.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "util/progress.h"
#include "util/size.h"

#define CV_ALIGN 4096
#define CV_GRAN_RAW 4096          /* piece boundaries for a raw target */
#define CV_CHUNK (1u << 20)       /* uncompressed piece size */
#define CV_CHUNK_COMPRESSED (256u << 10)
#define CV_ZERO_PIECE (1ull << 30) /* largest zero piece handed out at once */
#define CV_HOLE_BLOCK 4096         /* zero blocks left out of new qcow2 clusters */

enum { SLOT_FREE, SLOT_BUSY, SLOT_READY };

/* A run of a piece mapped to reserved target clusters: the bytes at
 * buf + b, len long, go to host offset `host` of the target file. */
typedef struct cv_plan {
  uint64_t b, len, host;
  bool zeroed; /* the clusters read as zeros: skip zero blocks */
} cv_plan;

typedef struct slot {
  int state;
  uint64_t seq;
  uint64_t off;
  uint64_t len;
  cv_kind kind;
  uint8_t *buf;       /* chunk bytes (+ padding to a whole cluster) */
  uint8_t *cbuf;      /* compressed clusters, cluster i at i * cs */
  int64_t *clen;      /* per cluster: compressed length, 0 = write plain */
  uint8_t *zero;      /* per zero block: 1 if all zero */
  cv_plan *plan;      /* reserved runs to write (parallel qcow2 writes) */
  size_t nplan, cap_plan;
} slot;

typedef struct pipe {
  const vk_convert_opts *o;
  cv_src *src;
  cv_dst *dst;
  uint64_t total;
  uint64_t gran;        /* pieces start and end on multiples of this */
  uint64_t zblock;      /* zero detection block, 0 = none */
  uint64_t chunk;       /* largest data piece */
  uint32_t cs;          /* target cluster size (compression) */
  bool compress;
  bool top_only;        /* -B: copy only what the top source layer has */
  bool dst_zero;        /* unwritten target ranges read as zeros */
  bool in_order;        /* one writer, in guest order */
  bool reserve;         /* qcow2 target: metadata in order (or in the
                           order pieces are read, with -W), data written
                           by the workers into reserved clusters */
  bool out_of_order;    /* -W */

  pthread_mutex_t lock;
  pthread_cond_t cond;
  uint64_t cursor;
  uint64_t next_seq;
  uint64_t write_seq;
  uint64_t st_off, st_len;   /* cached status extent */
  cv_kind st_kind;
  bool st_valid;
  int nslots;
  slot *slots;
  bool failed;
  vk_error *err;
  uint64_t done;
  uint64_t copied; /* data bytes read so far (-r) */
  vk_rate rate;    /* -r */
  bool offload;    /* -C */
} pipe_t;

typedef struct worker {
  pipe_t *p;
  int id;
  pthread_t tid;
} worker;

void
vk_convert_opts_init(vk_convert_opts *o)
{
  memset(o, 0, sizeof *o);
  o->sparse_size = -1;
}

/* True when all len bytes at p are zero. */
static bool
is_zero(const uint8_t *p, size_t len)
{
  const size_t head = 16;

  if (len <= head) {
    for (size_t i = 0; i < len; i++)
      if (p[i])
        return false;
    return true;
  }
  for (size_t i = 0; i < head; i++)
    if (p[i])
      return false;
  return memcmp(p, p + head, len - head) == 0;
}

/* Record the first failure and wake everyone; called with the lock held. */
static void
fail_locked(pipe_t *p, vk_error *err)
{
  if (!p->failed) {
    p->failed = true;
    p->err = err;
  } else {
    vk_error_free(err);
  }
  pthread_cond_broadcast(&p->cond);
}

static void
fail(pipe_t *p, vk_error *err)
{
  pthread_mutex_lock(&p->lock);
  fail_locked(p, err);
  pthread_mutex_unlock(&p->lock);
}

static bool
cancelled(const pipe_t *p)
{
  return p->o->cancel && atomic_load(p->o->cancel);
}

/* Choose the next piece at p->cursor; called with the lock held.  Returns
 * false with *errp set when the source's map could not be read. */
static bool
next_piece(pipe_t *p, uint64_t *off, uint64_t *len, cv_kind *kind,
           vk_error **errp)
{
  uint64_t o = p->cursor, end, avail, chunk_end;

  if (p->o->sparse_size == 0) {
    /* -S 0: no map, no zero detection, everything is written. */
    p->st_valid = true;
    p->st_off = 0;
    p->st_len = p->total;
    p->st_kind = CV_DATA;
  }
  if (!p->st_valid || o < p->st_off || o >= p->st_off + p->st_len) {
    if (!cv_src_status(p->src, o, p->total - o, p->top_only, &p->st_kind,
                       &p->st_len, errp))
      return false;
    p->st_off = o;
    p->st_valid = true;
  }
  avail = p->st_off + p->st_len - o;
  chunk_end = (o / p->chunk + 1) * p->chunk;
  if (chunk_end > p->total)
    chunk_end = p->total;
  *kind = p->st_kind;
  if (*kind != CV_DATA) {
    end = o + (avail < CV_ZERO_PIECE ? avail : CV_ZERO_PIECE);
    if (end < p->total)
      end = end / p->gran * p->gran;
    if (end > o)
      goto out;
    /* A zero range smaller than a granule: read it with its neighbours. */
    *kind = CV_DATA;
    avail = 1;
  }
  end = vk_round_up(o + avail, p->gran);
  if (end > chunk_end)
    end = chunk_end;
out:
  *off = o;
  *len = end - o;
  p->cursor = end;
  return true;
}

/* Read and prepare a data piece (no lock held). */
static bool
fill_slot(pipe_t *p, int id, slot *s, vk_error **errp)
{
  uint64_t padded = vk_round_up(s->len, p->compress ? p->cs : 1);

  if (p->offload)
    return true; /* -C: the kernel copies it when the piece is written */
  if (!cv_src_pread(p->src, id, s->buf, s->len, s->off, errp))
    return false;
  if (padded > s->len)
    memset(s->buf + s->len, 0, padded - s->len);
  if (p->zblock) {
    uint64_t n = (s->len + p->zblock - 1) / p->zblock;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t b = i * p->zblock;
      uint64_t l = s->len - b < p->zblock ? s->len - b : p->zblock;
      s->zero[i] = is_zero(s->buf + b, l);
    }
  }
  if (p->compress) {
    uint64_t n = padded / p->cs;
    for (uint64_t i = 0; i < n; i++) {
      if (p->zblock && s->zero[i]) {
        s->clen[i] = 0;
        continue;
      }
      s->clen[i] = cv_dst_compress(p->dst, id, s->cbuf + i * p->cs,
                                   s->buf + i * p->cs, errp);
      if (s->clen[i] < 0)
        return false;
    }
  }
  return true;
}

/* Zeros at [off, off + len) of the target. */
static bool
write_zeroes(pipe_t *p, int id, uint64_t off, uint64_t len, vk_error **errp)
{
  if (p->dst_zero || len == 0)
    return true;
  return cv_dst_pwrite_zeroes(p->dst, id, len, off, errp);
}

typedef bool (*run_fn)(pipe_t *p, int id, slot *s, uint64_t b, uint64_t e, bool zero,
                       vk_error **errp);

/* Call fn for each run of data blocks and each run of zero blocks of a
 * data piece ([b, e) relative to the piece), in order. */
static bool
each_run(pipe_t *p, int id, slot *s, run_fn fn, vk_error **errp)
{
  uint64_t n, run_start = 0;
  bool run_zero = false;

  if (!p->zblock)
    return fn(p, id, s, 0, s->len, false, errp);
  n = (s->len + p->zblock - 1) / p->zblock;
  for (uint64_t i = 0; i <= n; i++) {
    bool z = i < n && s->zero[i];
    if (i > 0 && (i == n || z != run_zero)) {
      uint64_t b = run_start * p->zblock;
      uint64_t e = i * p->zblock < s->len ? i * p->zblock : s->len;
      if (!fn(p, id, s, b, e, run_zero, errp))
        return false;
      run_start = i;
    }
    if (i == 0 || z != run_zero)
      run_zero = z;
  }
  return true;
}

static bool
write_run(pipe_t *p, int id, slot *s, uint64_t b, uint64_t e, bool zero, vk_error **errp)
{
  return zero ? write_zeroes(p, id, s->off + b, e - b, errp)
              : cv_dst_pwrite(p->dst, id, s->buf + b, e - b, s->off + b, errp);
}

/* Write one prepared piece to the target. */
static bool
write_slot(pipe_t *p, int id, slot *s, vk_error **errp)
{
  uint64_t n;

  if (s->kind == CV_UNALLOC)
    return true;          /* the target's backing file provides it */
  if (s->kind == CV_ZERO)
    return write_zeroes(p, id, s->off, s->len, errp);
  if (p->offload)
    return cv_copy_range(p->src, p->dst, id, s->buf, s->len, s->off, errp);

  if (p->compress) {
    n = (s->len + p->cs - 1) / p->cs;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t b = i * p->cs;
      uint64_t l = s->len - b < p->cs ? s->len - b : p->cs;
      if (p->zblock && s->zero[i]) {
        if (!write_zeroes(p, id, s->off + b, l, errp))
          return false;
      } else if (s->clen[i] > 0) {
        if (!cv_dst_write_compressed(p->dst, s->cbuf + b, (size_t)s->clen[i],
                                     s->off + b, errp))
          return false;
      } else if (!cv_dst_pwrite(p->dst, id, s->buf + b, l, s->off + b, errp)) {
        return false;
      }
    }
    return true;
  }

  return each_run(p, id, s, write_run, errp);
}

/* Parallel qcow2 writes, in the piece's turn (pipeline lock held): zero
 * runs and what cannot be reserved are written as usual; data runs get
 * reserved clusters, written after the turn by plan_write(). */
static bool
plan_run(pipe_t *p, int id, slot *s, uint64_t b, uint64_t e, bool zero, vk_error **errp)
{
  (void)id;
  if (zero)
    return write_zeroes(p, 0, s->off + b, e - b, errp);
  while (b < e) {
    uint64_t host, got, n;
    bool zeroed;
    if (!cv_dst_reserve(p->dst, s->off + b, e - b, &host, &got, &zeroed, errp))
      return false;
    if (got) {
      if (s->nplan == s->cap_plan) {
        size_t cap = s->cap_plan ? 2 * s->cap_plan : 16;
        cv_plan *np = realloc(s->plan, cap * sizeof *np);
        if (!np)
          return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "convert");
        s->plan = np;
        s->cap_plan = cap;
      }
      s->plan[s->nplan++] = (cv_plan){ b, got, host, zeroed };
      b += got;
      continue;
    }
    n = p->cs - (s->off + b) % p->cs;
    if (n > e - b)
      n = e - b;
    if (!cv_dst_pwrite(p->dst, 0, s->buf + b, n, s->off + b, errp))
      return false;
    b += n;
  }
  return true;
}

static bool
plan_slot(pipe_t *p, slot *s, vk_error **errp)
{
  s->nplan = 0;
  if (s->kind == CV_UNALLOC)
    return true;
  if (s->kind == CV_ZERO)
    return write_zeroes(p, 0, s->off, s->len, errp);
  return each_run(p, 0, s, plan_run, errp);
}

/* The block of a run of `len` bytes that starts at `at`. */
static uint64_t
hole_block(uint64_t len, uint64_t at)
{
  return len - at < CV_HOLE_BLOCK ? len - at : CV_HOLE_BLOCK;
}

/* Write the reserved runs of a piece.  Where the clusters read as zeros
 * already, blocks of zeros inside them are left out (holes in the file):
 * with large clusters that is most of what a sparse source has. */
static bool
plan_write(pipe_t *p, slot *s, vk_error **errp)
{
  for (size_t i = 0; i < s->nplan; i++) {
    const cv_plan *r = &s->plan[i];
    uint64_t at = 0;
    if (!r->zeroed) {
      if (!cv_dst_pwrite_reserved(p->dst, s->buf + r->b, r->len, r->host, errp))
        return false;
      continue;
    }
    while (at < r->len) {
      uint64_t from;
      bool z = is_zero(s->buf + r->b + at, hole_block(r->len, at));
      for (from = at; at < r->len && is_zero(s->buf + r->b + at, hole_block(r->len, at)) == z;)
        at += hole_block(r->len, at);
      if (!z &&
          !cv_dst_pwrite_reserved(p->dst, s->buf + r->b + from, at - from, r->host + from, errp))
        return false;
    }
  }
  return true;
}

static void
report_locked(pipe_t *p, uint64_t len)
{
  p->done += len;
  if (p->o->progress)
    p->o->progress(p->o->opaque, p->done, p->total);
}

static void *
worker_main(void *arg)
{
  worker *w = arg;
  pipe_t *p = w->p;

  pthread_mutex_lock(&p->lock);
  for (;;) {
    vk_error *err = NULL;
    slot *s;
    bool ok;

    if (p->failed || p->cursor >= p->total)
      break;
    if (cancelled(p)) {
      vk_error_set(&err, VK_EXIT_FAILED, "interrupted");
      fail_locked(p, err);
      break;
    }
    if (p->in_order) {
      s = &p->slots[p->next_seq % (uint64_t)p->nslots];
      if (s->state != SLOT_FREE) {
        pthread_cond_wait(&p->cond, &p->lock);
        continue;
      }
    } else {
      s = &p->slots[w->id];
    }
    if (!next_piece(p, &s->off, &s->len, &s->kind, &err)) {
      fail_locked(p, err);
      break;
    }
    s->state = SLOT_BUSY;
    s->seq = p->next_seq++;
    pthread_mutex_unlock(&p->lock);

    ok = s->kind != CV_DATA || fill_slot(p, w->id, s, &err);
    if (ok && p->o->rate && s->kind == CV_DATA) {
      /* -r: wait while the data read is ahead of the rate */
      uint64_t copied;
      pthread_mutex_lock(&p->lock);
      copied = p->copied += s->len;
      pthread_mutex_unlock(&p->lock);
      vk_rate_wait(&p->rate, copied, p->o->cancel);
    }
    if (ok && p->reserve) {
      /* The metadata in the piece's turn, then the data, in parallel. */
      pthread_mutex_lock(&p->lock);
      while (!p->failed && !p->out_of_order && p->write_seq != s->seq)
        pthread_cond_wait(&p->cond, &p->lock);
      if (p->failed) {
        s->state = SLOT_FREE;
        break;
      }
      ok = plan_slot(p, s, &err);
      p->write_seq++;
      pthread_cond_broadcast(&p->cond);
      pthread_mutex_unlock(&p->lock);
      ok = ok && plan_write(p, s, &err);
    } else if (ok && !p->in_order) {
      ok = write_slot(p, w->id, s, &err);
    }

    pthread_mutex_lock(&p->lock);
    if (!ok) {
      fail_locked(p, err);
      break;
    }
    if (p->in_order) {
      s->state = SLOT_READY;
    } else {
      s->state = SLOT_FREE;
      report_locked(p, s->len);
    }
    pthread_cond_broadcast(&p->cond);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

/* The in-order writer (the calling thread). */
static void
writer_main(pipe_t *p)
{
  pthread_mutex_lock(&p->lock);
  for (;;) {
    slot *s = &p->slots[p->write_seq % (uint64_t)p->nslots];
    vk_error *err = NULL;
    bool ok;

    if (p->failed)
      break;
    /* -W: whichever piece is ready first. */
    for (int i = 0; p->out_of_order && s->state != SLOT_READY && i < p->nslots; i++)
      if (p->slots[i].state == SLOT_READY)
        s = &p->slots[i];
    if (s->state != SLOT_READY || (s->seq != p->write_seq && !p->out_of_order)) {
      if (p->write_seq == p->next_seq && p->cursor >= p->total)
        break;          /* everything handed out has been written */
      pthread_cond_wait(&p->cond, &p->lock);
      continue;
    }
    pthread_mutex_unlock(&p->lock);
    ok = cancelled(p) ? vk_error_set(&err, VK_EXIT_FAILED, "interrupted")
                      : write_slot(p, 0, s, &err);
    pthread_mutex_lock(&p->lock);
    if (!ok) {
      fail_locked(p, err);
      break;
    }
    s->state = SLOT_FREE;
    p->write_seq++;
    report_locked(p, s->len);
    pthread_cond_broadcast(&p->cond);
  }
  pthread_mutex_unlock(&p->lock);
}

static void
free_slots(pipe_t *p)
{
  for (int i = 0; p->slots && i < p->nslots; i++) {
    free(p->slots[i].buf);
    free(p->slots[i].cbuf);
    free(p->slots[i].clen);
    free(p->slots[i].zero);
    free(p->slots[i].plan);
  }
  free(p->slots);
  p->slots = NULL;
}

static bool
alloc_slots(pipe_t *p, vk_error **errp)
{
  uint64_t bufsize = vk_round_up(p->chunk, p->compress ? p->cs : CV_ALIGN);
  uint64_t nclusters = p->compress ? bufsize / p->cs : 0;
  uint64_t nzero = p->zblock ? (p->chunk + p->zblock - 1) / p->zblock : 0;

  p->slots = calloc((size_t)p->nslots, sizeof *p->slots);
  if (!p->slots)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "convert");
  for (int i = 0; i < p->nslots; i++) {
    slot *s = &p->slots[i];
    void *b = NULL, *c = NULL;
    if (posix_memalign(&b, CV_ALIGN, bufsize) != 0 ||
        (p->compress && posix_memalign(&c, CV_ALIGN, bufsize) != 0)) {
      free(b);
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "convert");
    }
    s->buf = b;
    s->cbuf = c;
    if (nclusters && !(s->clen = calloc(nclusters, sizeof *s->clen)))
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "convert");
    if (nzero && !(s->zero = calloc(nzero, 1)))
      return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "convert");
  }
  return true;
}

static int
online_cpus(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* Run the pipeline from p->src to p->dst with nthreads workers. */
static bool
run(pipe_t *p, int nthreads, vk_error **errp)
{
  const vk_convert_opts *o = p->o;
  CLEANUP_FREE worker *ws = NULL;
  int started = 0;
  bool ok;

  p->total = cv_src_size(p->src);
  p->cs = cv_dst_cluster_size(p->dst);
  p->compress = cv_dst_compresses(p->dst);
  p->top_only = o->backing != NULL;
  p->dst_zero = cv_dst_is_zero(p->dst);
  p->reserve = !p->compress && !cv_dst_parallel(p->dst) && cv_dst_reservable(p->dst);
  p->out_of_order = o->out_of_order;
  p->in_order = !cv_dst_parallel(p->dst) && !p->reserve;
  p->gran = p->cs ? p->cs : CV_GRAN_RAW;
  p->offload = o->copy_offload;
  if (p->compress)
    p->zblock = p->cs;    /* per cluster, whatever -S says */
  else if (o->sparse_size == 0 || p->offload)
    p->zblock = 0;
  else if (p->cs)
    p->zblock = p->cs;
  else
    p->zblock = o->sparse_size > 0 ? (uint64_t)o->sparse_size : 4096;
  p->chunk = p->compress ? CV_CHUNK_COMPRESSED : CV_CHUNK;
  if (p->chunk < p->gran)
    p->chunk = p->gran;
  p->chunk = vk_round_up(p->chunk, p->gran);
  p->nslots = p->in_order ? 2 * nthreads + 2 : nthreads;

  if (!alloc_slots(p, errp))
    return false;
  ws = calloc((size_t)nthreads, sizeof *ws);
  if (!ws)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "convert");
  if (o->progress)
    o->progress(o->opaque, 0, p->total);
  vk_rate_start(&p->rate, o->rate);
  for (int i = 0; i < nthreads; i++) {
    int e;
    ws[i] = (worker){ .p = p, .id = i };
    e = pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]);
    if (e != 0) {
      vk_error *err = NULL;
      vk_error_set_errno(&err, VK_EXIT_FAILED, e, "cannot start a thread");
      fail(p, err);
      break;
    }
    started++;
  }
  if (p->in_order && started)
    writer_main(p);
  for (int i = 0; i < started; i++)
    pthread_join(ws[i].tid, NULL);
  ok = !p->failed;
  if (!ok) {
    vk_error_propagate(errp, p->err);
    p->err = NULL;
  }
  return ok;
}

bool
vk_convert(const vk_convert_opts *o, vk_error **errp)
{
  pipe_t p = { .o = o };
  int nthreads = o->threads > 0 ? o->threads : online_cpus();
  bool ok;

  if (o->nsrc < 1 || !o->src || !o->dst)
    return vk_error_set(errp, VK_EXIT_USAGE, "convert needs a source and a target");
  if (o->target_is_zero && !o->no_create)
    return vk_error_set(errp, VK_EXIT_USAGE, "--target-is-zero needs -n");
  if (o->backing_fmt && !o->backing)
    return vk_error_set(errp, VK_EXIT_USAGE, "-F needs -B");
  if (o->snapshot && o->nsrc > 1)
    return vk_error_set(errp, VK_EXIT_USAGE, "-l cannot be used with several sources");
  if (o->backing && o->no_create)
    return vk_error_set(errp, VK_EXIT_USAGE, "-B cannot be used with -n");
  if (o->copy_offload && (o->compress || o->backing || o->snapshot || o->salvage ||
                          (o->dst_fmt && strcmp(o->dst_fmt, "raw") != 0)))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "-C copies raw images into a raw target (not with -c, -B, -l or "
                        "--salvage)");
  if (o->skip_broken_bitmaps && !o->bitmaps)
    return vk_error_set(errp, VK_EXIT_USAGE, "--skip-broken-bitmaps needs --bitmaps");
  if (o->bitmaps &&
      (o->nsrc > 1 || o->snapshot || o->src_offset || o->src_length || o->empty_window))
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "--bitmaps copies the bitmaps of one whole image (not with several "
                        "sources or -l)");
  if (o->bitmaps && (!o->dst_fmt || strcmp(o->dst_fmt, "qcow2") != 0))
    return vk_error_set(errp, VK_EXIT_USAGE, "--bitmaps needs a qcow2 target (-O qcow2)");
  if (o->sparse_size > 0 && o->sparse_size % 512)
    return vk_error_set(errp, VK_EXIT_USAGE, "-S must be a multiple of 512");
  for (int i = 0; i < o->nsrc; i++)
    if (vk_path_same_file(o->src[i], o->dst))
      return vk_error_set(errp, VK_EXIT_USAGE, "'%s' is both a source and the target", o->dst);

  p.src = cv_src_open(o, nthreads, errp);
  if (!p.src)
    return false;
  if (o->bitmaps && !cv_src_bitmaps_ok(p.src, o->skip_broken_bitmaps, errp)) {
    cv_src_close(p.src);
    return false;
  }
  if (o->copy_offload && !cv_src_all_raw(p.src)) {
    cv_src_close(p.src);
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "-C copies raw images into a raw target: give raw sources (-f raw)");
  }
  p.dst = cv_dst_open(o, cv_src_size(p.src), nthreads, errp);
  if (!p.dst) {
    cv_src_close(p.src);
    return false;
  }
  if (o->no_create && cv_dst_size(p.dst) < cv_src_size(p.src)) {
    vk_error_set(errp, VK_EXIT_FAILED, "target '%s' is smaller than the source", o->dst);
    ok = false;
  } else {
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.cond, NULL);
    ok = run(&p, nthreads, errp) &&
         (!o->bitmaps || cv_copy_bitmaps(p.src, p.dst, o->skip_broken_bitmaps, errp));
    pthread_cond_destroy(&p.cond);
    pthread_mutex_destroy(&p.lock);
    free_slots(&p);
  }
  if (o->source_nocache)
    cv_src_drop_cache(p.src);
  if (ok && cv_src_salvaged(p.src))
    vk_image_notice("%" PRIu64 " bytes of the sources could not be read and were written as "
                    "zeros (--salvage)",
                    cv_src_salvaged(p.src));
  cv_src_close(p.src);
  if (!cv_dst_close(p.dst, ok, ok ? errp : NULL))
    ok = false;
  return ok;
}
