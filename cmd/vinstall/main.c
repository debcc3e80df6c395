/* vinstall — define and boot a new virtual machine. */
#include <config.h>

#include "util/cmd.h"

static int
run(vk_cmd_ctx *ctx)
{
  vk_error *err = NULL;
  vk_error_set(&err, VK_EXIT_FAILED, "installing is not implemented in this version of vkit");
  return vk_cmd_fail(ctx, err);
}

static const vk_subcmd install = {
  "vinstall", run, "--name NAME [OPTIONS]",
  "Define and boot a new virtual machine", NULL, 0, 0, 0, NULL
};

static const vk_tool tool = {
  .name = "vinstall",
  .summary = "Define and boot a new virtual machine",
  .single = &install,
};

int
main(int argc, char **argv)
{
  return vk_tool_main(&tool, argc, argv);
}
