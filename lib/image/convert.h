/* vkit — convert one or more images into a new (or existing) image.
 *
 * The pipeline: worker threads take the next piece of the source (the
 * sources concatenated, walked through their allocation map so holes and
 * zero extents are never read), read it, find all-zero blocks, compress
 * clusters when asked, and hand it to the writer.  A raw target is written
 * by the workers themselves at their offsets.  A qcow2 target gets its
 * clusters allocated in guest order (so the image is laid out
 * sequentially; with out_of_order, in the order pieces are read), each
 * piece's in its turn, and the workers then write their data into the
 * clusters reserved for them in parallel; compressed, or with -t
 * writeback, one writer writes data and tables in guest order.  Memory
 * is bounded: a small ring of fixed buffers, whatever the image size.
 *
 * A target created by vk_convert() is removed again when the conversion
 * fails or is cancelled.
 */
#ifndef VK_IMAGE_CONVERT_H
#define VK_IMAGE_CONVERT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

typedef struct vk_convert_opts {
  const char **src;           /* source paths (at least one) */
  int nsrc;
  const char *src_fmt;        /* "raw", "qcow2", or NULL to probe (sources are read-only) */
  const char *dst;            /* target path */
  const char *dst_fmt;        /* target format; NULL means "raw" */
  const char *options;        /* -o: creation options "k=v,k=v", or NULL */
  bool compress;              /* -c: compress every data cluster (qcow2 only) */
  int threads;                /* -m: worker threads; 0 = online CPUs */
  int64_t sparse_size;        /* -S: zero runs this long become holes; 0 writes
                                 everything; -1 = default (4 KiB) */
  const char *backing;        /* -B: backing file recorded in the target */
  const char *backing_fmt;    /* -F: its format */
  bool no_create;             /* -n: the target exists, do not create it */
  bool target_is_zero;        /* the existing target (-n) reads as zeros */
  bool force_share;           /* -U: open the sources even if in use */
  const char *snapshot;       /* -l: read this internal snapshot of the
                                 (single, qcow2) source, or NULL */
  bool writeback;             /* -t writeback: sync the target (with the
                                 engine's ordering barriers) so it is on
                                 disk when vk_convert() returns; the default
                                 (cache=unsafe) never syncs it, and the data
                                 may still be in the page cache */
  uint64_t src_offset;        /* dd skip=: the sources are read from here */
  uint64_t src_length;        /* dd count=: at most this much of them; 0: all */
  bool empty_window;          /* dd count=0: nothing of them (an empty target) */
  uint64_t rate;              /* -r: at most this many bytes of data a second
                                 (holes and zeros do not count); 0: no limit */
  bool out_of_order;          /* -W: a qcow2 target's clusters are allocated
                                 in the order pieces are read, not in guest
                                 order (the data is written in parallel
                                 either way, unless -t writeback) */
  bool copy_offload;          /* -C: data ranges of raw sources go to the raw
                                 target by copy_file_range (no zero detection
                                 inside them; holes stay holes) */
  bool source_nocache;        /* -T none|directsync: the sources' pages are
                                 dropped from the page cache as they are read */
  bool salvage;               /* --salvage: what cannot be read from the
                                 sources (a sector at a time) is written as
                                 zeros, with a notice for each range */
  bool bitmaps;               /* --bitmaps: copy the persistent bitmaps of the
                                 (single, qcow2) source into the qcow2 target */
  bool skip_broken_bitmaps;   /* --skip-broken-bitmaps: in-use ones are not
                                 copied (a notice names each) */
  /* Checked between pieces of work; when it becomes non-zero the
   * conversion stops and fails with "interrupted".  May be NULL. */
  const atomic_int *cancel;       /* see util/cancel.h */
  /* Called from the writing thread with bytes done and total, often. */
  void (*progress)(void *opaque, uint64_t done, uint64_t total);
  void *opaque;
} vk_convert_opts;

/* Fill *o with the defaults (everything off, threads 0, sparse_size -1). */
void vk_convert_opts_init(vk_convert_opts *o);

/* Convert as *o says.  Returns true on success.  On failure sets *errp
 * (VK_EXIT_NOTFOUND for a missing source or snapshot, VK_EXIT_USAGE for a bad option,
 * VK_EXIT_BUSY for an image in use, VK_EXIT_FAILED otherwise) and removes
 * the target if this call created it. */
bool vk_convert(const vk_convert_opts *o, vk_error **errp);

#endif
