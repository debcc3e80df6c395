/* vimg — create, inspect, check, resize and convert disk images. */
#include <config.h>

#include "vimg.h"

static const vk_subcmd cmds[] = {
  { NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};

static const vk_tool tool = {
  .name = "vimg",
  .summary = "Create, inspect, check, resize and convert disk images (raw, qcow2)",
  .cmds = cmds,
};

int
main(int argc, char **argv)
{
  return vk_tool_main(&tool, argc, argv);
}
