/* vkit — per-cluster compression for qcow2 (zlib raw deflate, zstd).
 *
 * Each call is independent and thread-safe: worker threads may compress
 * clusters in parallel and hand the results to one writer thread, which
 * stores them with vk_image_write_compressed().
 */
#ifndef VK_IMAGE_COMPRESS_H
#define VK_IMAGE_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "image.h"

/* Compress `src_len` bytes (one cluster, zero-padded by the caller) into
 * dst (capacity dst_cap, normally cluster size - 1).  Returns the
 * compressed length, 0 when the result does not fit in dst_cap (store the
 * cluster uncompressed then), or -1 with *errp set on a library failure.
 * zlib: raw deflate, level 6, 4 KiB window (what QEMU reads); zstd: one
 * frame at the default level. */
long vk_compress(vk_compression type, void *dst, size_t dst_cap,
                 const void *src, size_t src_len, vk_error **errp);

/* Decompress a compressed cluster: read from src (src_len bytes, which may
 * extend past the end of the stream) until exactly dst_len bytes are
 * produced.  Returns false (VK_EXIT_CORRUPT) if the data is not a valid
 * stream or does not produce dst_len bytes. */
bool vk_decompress(vk_compression type, void *dst, size_t dst_len,
                   const void *src, size_t src_len, vk_error **errp);

#endif
