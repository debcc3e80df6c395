/* vclone — copy a virtual machine with a new identity. */
#include <config.h>

#include "util/cmd.h"

static int
run(vk_cmd_ctx *ctx)
{
  vk_error *err = NULL;
  vk_error_set(&err, VK_EXIT_FAILED, "cloning is not implemented in this version of vkit");
  return vk_cmd_fail(ctx, err);
}

static const vk_subcmd clone = {
  "vclone", run, "--original NAME --name NEWNAME [OPTIONS]",
  "Copy a virtual machine with a new identity", NULL, 0, 0, 0, NULL
};

static const vk_tool tool = {
  .name = "vclone",
  .summary = "Copy a virtual machine with a new identity",
  .single = &clone,
};

int
main(int argc, char **argv)
{
  return vk_tool_main(&tool, argc, argv);
}
