/* Unit tests for the command-table helpers of util/cmd. */
#include <config.h>

#include <stdio.h>

#include "tap.h"
#include "util/cmd.h"

static void
range(const char *args, int min, int max)
{
  int a, b;

  vk_cmd_args_range(args, &a, &b);
  if (!ok(a == min && b == max, "'%s' takes %d..%d arguments", args, min, max))
    printf("#   got %d..%d\n", a, b);
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
  return tap_done();
}
