/* vkit — one way to stop: SIGINT, SIGTERM and SIGHUP ask long work to
 * stop between steps, the work rolls back what it made, and the process
 * then dies of the signal, as a shell and a cron job expect.
 *
 *   vk_cancel_start();                 before threads are created
 *   ... long work polls vk_cancelled() (or *vk_cancel_flag()), or
 *       waits on vk_cancel_fd() in poll() ...
 *   ... on cancel: roll back, say what was undone ...
 *   vk_cancel_finish();                restores the signals; if one came,
 *                                      restores the terminal and re-raises it
 *   (vk_cancel_end() when the work completed: a late signal is dropped)
 *
 * A second signal, once the first was caught, ends the process at once
 * (the default action: the handler resets itself).
 * A signal the caller ignores (nohup, a background job) stays ignored.
 * The flag is an atomic int, safe to read from any thread.  Process-wide:
 * one start/finish pair at a time.
 */
#ifndef VK_UTIL_CANCEL_H
#define VK_UTIL_CANCEL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <termios.h>

#include "util/error.h"

/* Catch the three signals.  Returns false (and catches nothing) if the
 * wake-up pipe cannot be made. */
bool vk_cancel_start(vk_error **errp);
/* The signal that asked to stop, or 0. */
int vk_cancelled(void);
/* The same flag, for library code that takes a pointer to it. */
const atomic_int *vk_cancel_flag(void);
/* A descriptor that becomes readable when a signal arrives (-1 before
 * vk_cancel_start()). */
int vk_cancel_fd(void);
/* Put the signals back as they were.  If one came (since
 * vk_cancel_start(), and vk_cancel_end() was not called), restore the
 * terminal (vk_term_raw()) and die of that signal; otherwise return. */
void vk_cancel_finish(void);
/* Put the signals back as they were, whatever came. */
void vk_cancel_end(void);

/* The terminal on `fd` without line buffering or echo (`cbreak`: keys
 * arrive one at a time but Ctrl-C still signals; else fully raw), until
 * vk_term_restore() — which vk_cancel_finish() also calls.  False when fd
 * is not a terminal. */
bool vk_term_raw(int fd, bool cbreak);
void vk_term_restore(void);

/* The banner of an interactive console session, on stderr. */
void vk_console_banner(const char *domain);

#endif
