/* Unit tests for the command-table helpers of util/cmd. */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "util/cancel.h"
#include "util/cmd.h"

static void
range(const char *args, int min, int max)
{
  int a, b;

  vk_cmd_args_range(args, &a, &b);
  if (!ok(a == min && b == max, "'%s' takes %d..%d arguments", args, min, max))
    printf("#   got %d..%d\n", a, b);
}

/* In a child: the first SIGTERM is caught (exit 10 if not seen as
 * asked), the second ends the process. */
static void
cancel_child(void)
{
  vk_error *err = NULL;

  if (!vk_cancel_start(&err))
    _exit(11);
  raise(SIGTERM);
  if (vk_cancelled() != SIGTERM)
    _exit(10);
  raise(SIGTERM);
  _exit(12); /* not reached: the second signal kills */
}

int
main(void)
{
  vk_cmd_ctx ctx = { .tool = "test", .cmd = "x" };

  range("", 0, 0);
  range("FILE", 1, 1);
  range("FILE [SIZE]", 1, 2);
  range("FILE [+|-]SIZE", 2, 2);
  range("SRC... DST", 2, -1);
  range("[DOMAIN...]", 0, -1);
  range("[SRC]", 0, 1);
  range("DOMAIN SIZE", 2, 2);
  range("FILE|-", 1, 1);
  range("(--size SIZE | [-f FMT] SRC)", 0, 1);

  ok(vk_cmd_exclusive(&ctx, "-a", 1, "-b", 0, "-c", 0, NULL) == 0, "one option given");
  ok(vk_cmd_exclusive(&ctx, "-a", 0, "-b", 0, NULL) == 0, "none given");
  fprintf(stderr, "# the next line is expected:\n");
  ok(vk_cmd_exclusive(&ctx, "-a", 1, "-b", 0, "-c", 1, NULL) == VK_EXIT_USAGE,
     "two given: a usage error");
  {
    int st = 0;
    pid_t pid = fork();
    if (pid == 0)
      cancel_child();
    ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
       "cancel: the first SIGTERM asks to stop, a second one ends the process");
  }
  return tap_done();
}
