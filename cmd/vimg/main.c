/* vimg — create, inspect, check, resize and convert disk images. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "image/image.h"
#include "vimg.h"

static const vk_subcmd cmds[] = {
  VK_CMD("create", vimg_create, "FILE [SIZE]", "create a new image", .options = vimg_create_options,
         .option = vimg_create_option),
  VK_CMD("info", vimg_info, "FILE", "show what an image is", .options = vimg_info_options),
  VK_CMD("resize", vimg_resize, "FILE [+|-]SIZE", "grow or shrink an image",
         .options = vimg_resize_options),
  VK_CMD("snapshot", vimg_snapshot, "FILE",
         "list, create, apply or delete the internal snapshots of a qcow2 image",
         .options = vimg_snapshot_options),
  VK_CMD("rebase", vimg_rebase, "FILE",
         "move a qcow2 image onto another backing file (or none), keeping what it reads",
         .options = vimg_rebase_options),
  VK_CMD("amend", vimg_amend, "FILE",
         "change options of a qcow2 image (compat, refcounts, data file)",
         .options = vimg_amend_options),
  VK_CMD("bitmap", vimg_bitmap, "FILE BITMAP",
         "add, remove, clear, enable, disable or merge the persistent bitmaps of a qcow2 image",
         .options = vimg_bitmap_options, .option = vimg_bitmap_option),
  VK_CMD("commit", vimg_commit, "FILE",
         "write a qcow2 image's changes into its backing file (or a base further down)",
         .options = vimg_commit_options),
  VK_CMD("convert", vimg_convert, "SRC... DST",
         "convert one or more images (concatenated) into a new image",
         .options = vimg_convert_options),
  VK_CMD("dd", vimg_dd, "OPERAND...",
         "copy part of an image into a new one: if=FILE of=FILE [bs=SIZE] [count=N] [skip=N]",
         .options = vimg_dd_options),
  VK_CMD("check", vimg_check, "FILE",
         "check a qcow2 image for leaks and corruptions, and repair them",
         .options = vimg_check_options, .flags = VK_CMD_DIRECT),
  VK_CMD("map", vimg_map, "FILE", "show which ranges of an image hold data, zeros or nothing",
         .options = vimg_map_options),
  VK_CMD("compare", vimg_compare, "FILE1 FILE2", "compare the contents of two images",
         .options = vimg_compare_options, .flags = VK_CMD_DIRECT),
  VK_CMD("measure", vimg_measure, "[SRC]", "compute the size a new image needs",
         .options = vimg_measure_options),
  { 0 }
};

static const vk_tool tool = {
  .name = "vimg",
  .summary =
      "Create, inspect, check, resize and convert disk images (raw, qcow2, vmdk, vpc, vdi, vhdx; reads qed)",
  .cmds = cmds,
};

/* Notices from the image library (a dirty image repaired on open,
 * bitmaps marked in use) are printed once the command succeeded: a
 * failed command says one thing, why it failed. */
static char *notices;
static size_t notices_len;
static FILE *notices_f;

static void
notice(const char *msg)
{
  if (!notices_f && !(notices_f = open_memstream(&notices, &notices_len)))
    return;
  fprintf(notices_f, "vimg: %s\n", msg);
}

int
main(int argc, char **argv)
{
  int rc;

  vk_image_set_notice(notice);
  rc = vk_tool_main(&tool, argc, argv);
  if (notices_f) {
    fclose(notices_f);
    if (rc == 0)
      fputs(notices, stderr);
    free(notices);
  }
  return rc;
}
