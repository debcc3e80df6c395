/* vimg — create, inspect, check, resize and convert disk images. */
#include <config.h>

#include "vimg.h"

static const vk_subcmd cmds[] = {
  { "create", vimg_create, "[-f FMT] [-o OPTIONS] [-b BACKING [-F FMT]] [--force] FILE [SIZE]",
    "create a new image", vimg_create_options, 1, 2, 0, vimg_create_option },
  { "info", vimg_info, "[--json] [--backing-chain] [-f FMT] [-U] FILE",
    "show what an image is", vimg_info_options, 1, 1, 0, NULL },
  { "resize", vimg_resize, "-f FMT [--shrink] [--preallocation=MODE] FILE [+|-]SIZE",
    "grow or shrink an image", vimg_resize_options, 2, 2, 0, NULL },
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
