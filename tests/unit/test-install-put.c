/* test-install-put — write a raw file's bytes at the start of an image,
 * through the image engine (not a test itself).  The vinstall guest suite
 * uses it to put the boot-sector guest into a qcow2 made by vimg.
 *
 *   test-install-put IMAGE FORMAT RAWFILE
 *
 * Exit status: 0, or the vkit exit status of the error.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "image/image.h"
#include "util/cleanup.h"

int
main(int argc, char **argv)
{
  CLEANUP_FCLOSE FILE *in = NULL;
  vk_error *err = NULL;
  vk_image_format fmt;
  vk_image *img;
  char buf[65536];
  uint64_t off = 0;
  size_t n;
  int rc = 0;

  if (argc != 4) {
    fprintf(stderr, "usage: test-install-put IMAGE FORMAT RAWFILE\n");
    return 2;
  }
  if (!vk_image_format_parse(argv[2], &fmt, &err))
    goto fail;
  in = fopen(argv[3], "rb");
  if (!in) {
    perror(argv[3]);
    return 3;
  }
  /* A fresh image nobody else has open: no locks needed. */
  img = vk_image_open(argv[1], fmt, VK_IMAGE_RDWR | VK_IMAGE_NO_LOCK, &err);
  if (!img)
    goto fail;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
    if (!vk_image_pwrite(img, buf, n, off, &err)) {
      vk_image_close(img, NULL);
      goto fail;
    }
    off += n;
  }
  if (!vk_image_close(img, &err))
    goto fail;
  return rc;

fail:
  fprintf(stderr, "test-install-put: %s\n", err ? err->msg : "failed");
  rc = err ? err->code : 1;
  vk_error_free(err);
  return rc;
}
