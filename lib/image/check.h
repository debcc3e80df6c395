/* vkit — consistency check and repair of qcow2 images (`vimg check`).
 *
 * The check rebuilds every cluster's refcount in memory from the image's
 * own tables (header, active and snapshot L1/L2 tables, compressed byte
 * ranges, snapshot table, refcount table and blocks), compares it with the
 * refcounts on disk and classifies each difference: on disk higher is a
 * leak (wasted space, harmless), lower is a corruption (a cluster that may
 * be reused while in use).  It also checks table alignment, reserved bits
 * and the COPIED flags, as `qemu-img check` does, and counts the same
 * things.  Memory: one counter per host cluster of the file, plus one
 * cluster-sized buffer; nothing proportional to the virtual size.
 */
#ifndef VK_IMAGE_CHECK_H
#define VK_IMAGE_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

typedef enum vk_check_repair {
  VK_CHECK_REPAIR_NONE = 0,
  VK_CHECK_REPAIR_LEAKS,   /* lower refcounts that are too high */
  VK_CHECK_REPAIR_ALL,     /* also raise refcounts that are too low and fix COPIED flags */
} vk_check_repair;

typedef struct vk_check_result {
  const char *format;            /* "qcow2" or "raw" (static) */
  uint64_t corruptions;          /* left after repair */
  uint64_t leaks;                /* left after repair */
  uint64_t check_errors;         /* things that could not be checked (read errors) */
  uint64_t corruptions_fixed;
  uint64_t leaks_fixed;
  uint64_t image_end_offset;     /* end of the last cluster in use */
  uint64_t total_clusters;       /* virtual size in clusters */
  uint64_t allocated_clusters;   /* guest clusters with data (active L1) */
  uint64_t fragmented_clusters;
  uint64_t compressed_clusters;
} vk_check_result;

/* Called once per problem found, with a one-line message such as
 * "Leaked cluster 5 refcount=1 reference=0". */
typedef void vk_check_report_fn(void *opaque, const char *msg);

/* Check the image at `path` (format "qcow2", "raw" or NULL to probe).
 * Fills *res and returns true when the check ran to its end, whatever it
 * found; returns false with *errp set when it could not (not a qcow2
 * image, unreadable, or busy: VK_EXIT_BUSY when `repair` is asked for an
 * image another process has open for writing, or, without `force_share`,
 * when a writer holds it).  A raw image has nothing to check: VK_EXIT_FAILED.
 * `report` may be NULL. */
bool vk_check(const char *path, const char *format, vk_check_repair repair,
              bool force_share, vk_check_result *res,
              vk_check_report_fn *report, void *opaque, vk_error **errp);

/* The same check (and repair) of the qcow2 image open on `fd` (`path`
 * names it in messages), for a caller that already holds the locks it
 * needs (the qcow2 driver repairs a dirty image this way when it opens it
 * for writing).  The descriptor stays open and owned by the caller.  A
 * repair that leaves no corruption and no leak clears the dirty bit. */
bool vk_check_qcow2_fd(int fd, const char *path, vk_check_repair repair,
                       vk_check_result *res, vk_check_report_fn *report,
                       void *opaque, vk_error **errp);

#endif
