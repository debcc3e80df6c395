/* vkit — terminal-only progress bar. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

static double
now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
draw(vk_progress *p)
{
  const int width = 40;
  double frac = p->total ? (double)p->done / (double)p->total : 1.0;
  int fill;

  if (frac > 1.0)
    frac = 1.0;
  fill = (int)(frac * width);
  fprintf(stderr, "\r%s [", p->label ? p->label : "");
  for (int i = 0; i < width; i++)
    fputc(i < fill ? '#' : ' ', stderr);
  fprintf(stderr, "] %5.1f%%", frac * 100.0);
  if (p->note[0])
    fprintf(stderr, " %s\033[K", p->note);
  fflush(stderr);
  p->drawn = true;
}

void
vk_progress_start(vk_progress *p, bool wanted, const char *label, uint64_t total)
{
  *p = (vk_progress){ .enabled = wanted && isatty(STDERR_FILENO),
                      .total = total, .label = label };
  if (p->enabled) {
    p->last = now();
    draw(p);
  }
}

void
vk_progress_update(vk_progress *p, uint64_t done)
{
  double t;

  p->done = done;
  if (!p->enabled)
    return;
  t = now();
  if (t - p->last < 0.1)
    return;
  p->last = t;
  draw(p);
}

void
vk_progress_note(vk_progress *p, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(p->note, sizeof p->note, fmt, ap);
  va_end(ap);
}

void
vk_progress_finish(vk_progress *p, bool success)
{
  if (!p->enabled)
    return;
  if (success) {
    p->done = p->total;
    draw(p);
  }
  if (p->drawn)
    fputc('\n', stderr);
  p->enabled = false;
}

void
vk_progress_cb(void *opaque, uint64_t done, uint64_t total)
{
  vk_progress *p = opaque;

  p->total = total;
  vk_progress_update(p, done);
}

void
vk_rate_start(vk_rate *r, uint64_t bytes_per_s)
{
  r->bytes_per_s = bytes_per_s;
  r->start = now();
}

void
vk_rate_wait(const vk_rate *r, uint64_t done, const atomic_int *cancel)
{
  if (!r->bytes_per_s)
    return;
  for (;;) {
    double ahead = (double)done / (double)r->bytes_per_s - (now() - r->start);
    struct timespec d = { 0, 50 * 1000 * 1000 };
    if (ahead <= 0 || (cancel && atomic_load(cancel)))
      return;
    if (ahead < 0.05)
      d.tv_nsec = (long)(ahead * 1e9);
    nanosleep(&d, NULL);
  }
}
