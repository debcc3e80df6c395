/* vkit — a progress bar on stderr, drawn only when stderr is a terminal.
 *
 * In a pipe, a log or cron mail nothing is ever written.  Updates are
 * rate-limited (at most ten redraws a second) so callers may call
 * vk_progress_update() as often as they like from one thread.
 */
#ifndef VK_UTIL_PROGRESS_H
#define VK_UTIL_PROGRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct vk_progress {
  bool enabled;       /* requested and stderr is a TTY */
  bool drawn;         /* something is on the line */
  uint64_t total;
  uint64_t done;
  double last;        /* monotonic seconds of the last redraw */
  const char *label;
  char note[80]; /* drawn after the percentage (vk_progress_note) */
} vk_progress;

/* Start a bar; `wanted` is the user's -p.  Draws nothing unless stderr is
 * a terminal. */
void vk_progress_start(vk_progress *p, bool wanted, const char *label, uint64_t total);
void vk_progress_update(vk_progress *p, uint64_t done);
/* A progress callback for library calls that report (done, total): the
 * opaque pointer is the vk_progress. */
void vk_progress_cb(void *opaque, uint64_t done, uint64_t total);

/* Text shown after the percentage from the next redraw on ("" for none),
 * e.g. what a migration still has to send. */
void vk_progress_note(vk_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Draw 100% (when `success`) and end the line. */
void vk_progress_finish(vk_progress *p, bool success);

/* A rate limit (-r of commit and convert): at most `bytes_per_s` bytes a
 * second (0: none), counted from vk_rate_start(). */
typedef struct vk_rate {
  uint64_t bytes_per_s;
  double start; /* monotonic seconds */
} vk_rate;

void vk_rate_start(vk_rate *r, uint64_t bytes_per_s);
/* Sleep while `done` bytes are ahead of the rate, in steps of at most
 * 50 ms, returning at once when *cancel (may be NULL) becomes non-zero. */
void vk_rate_wait(const vk_rate *r, uint64_t done, const atomic_int *cancel);

#endif
