/* vkit — per-cluster zlib and zstd compression. */
#include <config.h>

#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "compress.h"

static long
zlib_compress(void *dst, size_t dst_cap, const void *src, size_t src_len,
              vk_error **errp)
{
  z_stream s;
  int rc;
  long out;

  memset(&s, 0, sizeof s);
  if (deflateInit2(&s, 6, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    vk_error_set(errp, VK_EXIT_FAILED, "cannot initialise zlib compression");
    return -1;
  }
  s.next_in = (Bytef *)src;
  s.avail_in = (uInt)src_len;
  s.next_out = dst;
  s.avail_out = (uInt)dst_cap;
  rc = deflate(&s, Z_FINISH);
  out = rc == Z_STREAM_END ? (long)(dst_cap - s.avail_out) : 0;
  deflateEnd(&s);
  if (rc != Z_STREAM_END && rc != Z_OK && rc != Z_BUF_ERROR) {
    vk_error_set(errp, VK_EXIT_FAILED, "zlib compression failed (%d)", rc);
    return -1;
  }
  return out;
}

static long
zstd_compress(void *dst, size_t dst_cap, const void *src, size_t src_len,
              vk_error **errp)
{
  size_t n = ZSTD_compress(dst, dst_cap, src, src_len, ZSTD_CLEVEL_DEFAULT);

  if (ZSTD_isError(n)) {
    if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
      return 0;
    vk_error_set(errp, VK_EXIT_FAILED, "zstd compression failed: %s",
                 ZSTD_getErrorName(n));
    return -1;
  }
  return (long)n;
}

long
vk_compress(vk_compression type, void *dst, size_t dst_cap, const void *src,
            size_t src_len, vk_error **errp)
{
  return type == VK_COMPRESS_ZSTD ? zstd_compress(dst, dst_cap, src, src_len, errp)
                                  : zlib_compress(dst, dst_cap, src, src_len, errp);
}

static bool
zlib_decompress(void *dst, size_t dst_len, const void *src, size_t src_len,
                vk_error **errp)
{
  z_stream s;
  int rc;
  bool good;

  memset(&s, 0, sizeof s);
  if (inflateInit2(&s, -12) != Z_OK)
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot initialise zlib decompression");
  s.next_in = (Bytef *)src;
  s.avail_in = (uInt)src_len;
  s.next_out = dst;
  s.avail_out = (uInt)dst_len;
  rc = inflate(&s, Z_FINISH);
  good = (rc == Z_STREAM_END || rc == Z_BUF_ERROR) && s.avail_out == 0;
  inflateEnd(&s);
  if (!good)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "invalid zlib data in a compressed cluster");
  return true;
}

static bool
zstd_decompress(void *dst, size_t dst_len, const void *src, size_t src_len,
                vk_error **errp)
{
  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  ZSTD_inBuffer in = { src, src_len, 0 };
  ZSTD_outBuffer out = { dst, dst_len, 0 };
  size_t rc = 1;

  if (!dctx)
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot initialise zstd decompression");
  /* Stop when the frame is complete (rc == 0) or the output is full. */
  while (out.pos < out.size) {
    size_t before_in = in.pos, before_out = out.pos;
    rc = ZSTD_decompressStream(dctx, &out, &in);
    if (ZSTD_isError(rc) || rc == 0)
      break;
    if (in.pos == before_in && out.pos == before_out)
      break;   /* no progress: input exhausted */
  }
  ZSTD_freeDCtx(dctx);
  if (ZSTD_isError(rc) || out.pos != out.size)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "invalid zstd data in a compressed cluster");
  return true;
}

bool
vk_decompress(vk_compression type, void *dst, size_t dst_len, const void *src,
              size_t src_len, vk_error **errp)
{
  return type == VK_COMPRESS_ZSTD ? zstd_decompress(dst, dst_len, src, src_len, errp)
                                  : zlib_decompress(dst, dst_len, src, src_len, errp);
}
