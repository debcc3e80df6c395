/* vimg — create, inspect, check, resize and convert disk images. */
#include <config.h>

#include <stdio.h>

#include "image/image.h"
#include "vimg.h"

static const vk_subcmd cmds[] = {
  { "create", vimg_create, "[-f FMT] [-o OPTIONS] [-b BACKING [-F FMT]] [--force] FILE [SIZE]",
    "create a new image", vimg_create_options, 1, 2, 0, vimg_create_option },
  { "info", vimg_info, "[--json] [--backing-chain] [-f FMT] [-U] FILE",
    "show what an image is", vimg_info_options, 1, 1, 0, NULL },
  { "resize", vimg_resize, "-f FMT [--shrink] [--preallocation=MODE] FILE [+|-]SIZE",
    "grow or shrink an image", vimg_resize_options, 2, 2, 0, NULL },
  { "snapshot", vimg_snapshot, "[-l | -c NAME | -a NAME | -d NAME] [-f FMT] [--json] [-U] FILE",
    "list, create, apply or delete the internal snapshots of a qcow2 image",
    vimg_snapshot_options, 1, 1, 0, NULL },
  { "convert", vimg_convert, "[-f FMT] [-O FMT] [-o OPTS] [-c] [-m N] [-S SIZE] [-B BACKING [-F FMT]] [-n] [-p] SRC... DST",
    "convert one or more images (concatenated) into a new image", vimg_convert_options, 2, -1, 0, NULL },
  { "check", vimg_check, "[-f FMT] [-r leaks|all] [--json] [-U] FILE",
    "check a qcow2 image for leaks and corruptions, and repair them", vimg_check_options, 1, 1,
    VK_CMD_DIRECT, NULL },
  { "map", vimg_map, "[-f FMT] [--json] [-U] FILE",
    "show which ranges of an image hold data, zeros or nothing", vimg_map_options, 1, 1, 0, NULL },
  { "compare", vimg_compare, "[-f FMT] [-F FMT] [-s] [-q] [-U] FILE1 FILE2",
    "compare the contents of two images", vimg_compare_options, 2, 2, VK_CMD_DIRECT, NULL },
  { "measure", vimg_measure, "(--size SIZE | [-f FMT] SRC) [-O FMT] [-o OPTS] [--json]",
    "compute the size a new image needs", vimg_measure_options, 0, 1, 0, NULL },
  { NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
};

static const vk_tool tool = {
  .name = "vimg",
  .summary = "Create, inspect, check, resize and convert disk images (raw, qcow2)",
  .cmds = cmds,
};

/* Notices from the image library (a dirty image repaired on open). */
static void
notice(const char *msg)
{
  fprintf(stderr, "vimg: %s\n", msg);
}

int
main(int argc, char **argv)
{
  vk_image_set_notice(notice);
  return vk_tool_main(&tool, argc, argv);
}
