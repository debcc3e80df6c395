/* vkit — per-cluster compression for qcow2 (zlib raw deflate, zstd).
 *
 * A vk_compressor holds the zlib or zstd state for one thread and is
 * reused for every cluster that thread compresses or decompresses, so the
 * state is allocated once, not once per cluster.  Worker threads each use
 * their own vk_compressor and hand the results to one writer thread, which
 * stores them with vk_image_write_compressed().  vk_compress() is a
 * one-shot convenience (thread-safe, but it sets up and frees the state
 * on every call).
 *
 * Output is the same whichever way it is made: zlib raw deflate, level 6,
 * 4 KiB window, memLevel 9 (what QEMU writes and reads); zstd: one frame
 * at the default level; VK_COMPRESS_ZLIB_STREAM (vmdk grains, compression
 * only): a zlib stream, level 6.
 */
#ifndef VK_IMAGE_COMPRESS_H
#define VK_IMAGE_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "image.h"

typedef struct vk_compressor vk_compressor;

/* A new compressor for `type`; the library state is set up on first use of
 * each direction.  Returns NULL (out of memory) with *errp set.  The
 * caller owns it (vk_compressor_free()); one thread at a time. */
vk_compressor *vk_compressor_new(vk_compression type, vk_error **errp);
/* Free c and its zlib/zstd state.  NULL is a no-op. */
void vk_compressor_free(vk_compressor *c);

/* Compress `src_len` bytes (one cluster, zero-padded by the caller) into
 * dst (capacity dst_cap, normally cluster size - 1).  Returns the
 * compressed length, 0 when the result does not fit in dst_cap (store the
 * cluster uncompressed then), or -1 with *errp set on a library failure. */
long vk_compressor_compress(vk_compressor *c, void *dst, size_t dst_cap,
                            const void *src, size_t src_len, vk_error **errp);

/* Decompress a compressed cluster: read from src (src_len bytes, which may
 * extend past the end of the stream) until exactly dst_len bytes are
 * produced.  Returns false (VK_EXIT_CORRUPT) if the data is not a valid
 * stream or does not produce dst_len bytes. */
bool vk_compressor_decompress(vk_compressor *c, void *dst, size_t dst_len,
                              const void *src, size_t src_len, vk_error **errp);

/* A one-shot vk_compressor_compress() (a temporary compressor). */
long vk_compress(vk_compression type, void *dst, size_t dst_cap,
                 const void *src, size_t src_len, vk_error **errp);

#endif
