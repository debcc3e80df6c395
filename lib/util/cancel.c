/* vkit — signals as a request to stop, and the terminal (see cancel.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cancel.h"

static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
#define NSIGS (sizeof sigs / sizeof *sigs)

static atomic_int flag;
static int pipefd[2] = { -1, -1 };
static struct sigaction old[NSIGS];
static bool caught[NSIGS];
static bool active;

static int term_fd = -1;
static struct termios term_saved;

static void
on_signal(int sig)
{
  int e = errno;

  atomic_store(&flag, sig);
  if (pipefd[1] >= 0 && write(pipefd[1], "", 1) < 0) {
    /* full pipe: it is readable already */
  }
  errno = e;
}

bool
vk_cancel_start(vk_error **errp)
{
  struct sigaction sa;

  atomic_store(&flag, 0);
  if (pipefd[0] < 0 && pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot watch for signals");
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  /* The first signal asks the work to stop and undo; the handler is then
   * gone, so a second one ends the process at once (work that does not
   * come to a stopping point can always be killed with the same key). */
  sa.sa_flags = SA_RESTART | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  active = true;
  for (size_t i = 0; i < NSIGS; i++) {
    sigaction(sigs[i], NULL, &old[i]);
    caught[i] = old[i].sa_handler != SIG_IGN;
    if (caught[i])
      sigaction(sigs[i], &sa, NULL);
  }
  return true;
}

int
vk_cancelled(void)
{
  return atomic_load(&flag);
}

const atomic_int *
vk_cancel_flag(void)
{
  return &flag;
}

int
vk_cancel_fd(void)
{
  return pipefd[0];
}

void
vk_cancel_end(void)
{
  active = false;
  for (size_t i = 0; i < NSIGS; i++)
    if (caught[i]) {
      sigaction(sigs[i], &old[i], NULL);
      caught[i] = false;
    }
}

void
vk_cancel_finish(void)
{
  int sig = active ? atomic_load(&flag) : 0;

  vk_cancel_end();
  if (!sig)
    return;
  vk_term_restore();
  fflush(NULL);
  /* Die of it, as the shell expects (default action, unblocked). */
  {
    sigset_t set;
    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
  }
}

bool
vk_term_raw(int fd, bool cbreak)
{
  struct termios raw;

  if (tcgetattr(fd, &term_saved) < 0)
    return false;
  raw = term_saved;
  if (cbreak) {
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
  } else {
    cfmakeraw(&raw);
  }
  if (tcsetattr(fd, cbreak ? TCSANOW : TCSAFLUSH, &raw) < 0)
    return false;
  term_fd = fd;
  return true;
}

void
vk_term_restore(void)
{
  if (term_fd < 0)
    return;
  tcsetattr(term_fd, TCSAFLUSH, &term_saved);
  term_fd = -1;
}

void
vk_console_banner(const char *domain)
{
  fprintf(stderr, "Connected to domain '%s'\nEscape character is ^] (Ctrl + ])\n", domain);
}
