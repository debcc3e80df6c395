/* vkit — per-cluster zlib and zstd compression with reusable state. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "compress.h"

struct vk_compressor {
  vk_compression type;
  bool def_ready, inf_ready;
  z_stream def;               /* zlib deflate state, once def_ready */
  z_stream inf;               /* zlib inflate state, once inf_ready */
  ZSTD_CCtx *cctx;
  ZSTD_DCtx *dctx;
};

vk_compressor *
vk_compressor_new(vk_compression type, vk_error **errp)
{
  vk_compressor *c = calloc(1, sizeof *c);

  if (!c) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  c->type = type;
  return c;
}

void
vk_compressor_free(vk_compressor *c)
{
  if (!c)
    return;
  if (c->def_ready)
    deflateEnd(&c->def);
  if (c->inf_ready)
    inflateEnd(&c->inf);
  ZSTD_freeCCtx(c->cctx);
  ZSTD_freeDCtx(c->dctx);
  free(c);
}

static long
zlib_compress(vk_compressor *c, void *dst, size_t dst_cap, const void *src,
              size_t src_len, vk_error **errp)
{
  z_stream *s = &c->def;
  int rc;

  if (!c->def_ready) {
    memset(s, 0, sizeof *s);
    /* qcow2: raw deflate, 4 KiB window; a vmdk grain: a zlib stream */
    if (deflateInit2(s, 6, Z_DEFLATED, c->type == VK_COMPRESS_ZLIB_STREAM ? 15 : -12, 9,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
      vk_error_set(errp, VK_EXIT_FAILED, "cannot initialise zlib compression");
      return -1;
    }
    c->def_ready = true;
  } else if (deflateReset(s) != Z_OK) {
    vk_error_set(errp, VK_EXIT_FAILED, "cannot reset zlib compression");
    return -1;
  }
  s->next_in = (Bytef *)src;
  s->avail_in = (uInt)src_len;
  s->next_out = dst;
  s->avail_out = (uInt)dst_cap;
  rc = deflate(s, Z_FINISH);
  if (rc == Z_STREAM_END)
    return (long)(dst_cap - s->avail_out);
  if (rc == Z_OK || rc == Z_BUF_ERROR)
    return 0;   /* did not fit */
  vk_error_set(errp, VK_EXIT_FAILED, "zlib compression failed (%d)", rc);
  return -1;
}

static long
zstd_compress(vk_compressor *c, void *dst, size_t dst_cap, const void *src,
              size_t src_len, vk_error **errp)
{
  size_t n;

  if (!c->cctx && !(c->cctx = ZSTD_createCCtx())) {
    vk_error_set(errp, VK_EXIT_FAILED, "cannot initialise zstd compression");
    return -1;
  }
  n = ZSTD_compressCCtx(c->cctx, dst, dst_cap, src, src_len, ZSTD_CLEVEL_DEFAULT);
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
vk_compressor_compress(vk_compressor *c, void *dst, size_t dst_cap,
                       const void *src, size_t src_len, vk_error **errp)
{
  return c->type == VK_COMPRESS_ZSTD ? zstd_compress(c, dst, dst_cap, src, src_len, errp)
                                     : zlib_compress(c, dst, dst_cap, src, src_len, errp);
}

static bool
zlib_decompress(vk_compressor *c, void *dst, size_t dst_len, const void *src,
                size_t src_len, vk_error **errp)
{
  z_stream *s = &c->inf;
  int rc;

  if (!c->inf_ready) {
    memset(s, 0, sizeof *s);
    if (inflateInit2(s, -12) != Z_OK)
      return vk_error_set(errp, VK_EXIT_FAILED, "cannot initialise zlib decompression");
    c->inf_ready = true;
  } else if (inflateReset(s) != Z_OK) {
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot reset zlib decompression");
  }
  s->next_in = (Bytef *)src;
  s->avail_in = (uInt)src_len;
  s->next_out = dst;
  s->avail_out = (uInt)dst_len;
  rc = inflate(s, Z_FINISH);
  if (!((rc == Z_STREAM_END || rc == Z_BUF_ERROR) && s->avail_out == 0))
    return vk_error_set(errp, VK_EXIT_CORRUPT, "invalid zlib data in a compressed cluster");
  return true;
}

static bool
zstd_decompress(vk_compressor *c, void *dst, size_t dst_len, const void *src,
                size_t src_len, vk_error **errp)
{
  ZSTD_inBuffer in = { src, src_len, 0 };
  ZSTD_outBuffer out = { dst, dst_len, 0 };
  size_t rc = 1;

  if (!c->dctx && !(c->dctx = ZSTD_createDCtx()))
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot initialise zstd decompression");
  /* A previous call may have stopped mid-frame (bad data): start afresh. */
  ZSTD_DCtx_reset(c->dctx, ZSTD_reset_session_only);
  /* Stop when the frame is complete (rc == 0) or the output is full. */
  while (out.pos < out.size) {
    size_t before_in = in.pos, before_out = out.pos;
    rc = ZSTD_decompressStream(c->dctx, &out, &in);
    if (ZSTD_isError(rc) || rc == 0)
      break;
    if (in.pos == before_in && out.pos == before_out)
      break;   /* no progress: input exhausted */
  }
  if (ZSTD_isError(rc) || out.pos != out.size)
    return vk_error_set(errp, VK_EXIT_CORRUPT, "invalid zstd data in a compressed cluster");
  return true;
}

bool
vk_compressor_decompress(vk_compressor *c, void *dst, size_t dst_len,
                         const void *src, size_t src_len, vk_error **errp)
{
  return c->type == VK_COMPRESS_ZSTD ? zstd_decompress(c, dst, dst_len, src, src_len, errp)
                                     : zlib_decompress(c, dst, dst_len, src, src_len, errp);
}

long
vk_compress(vk_compression type, void *dst, size_t dst_cap, const void *src,
            size_t src_len, vk_error **errp)
{
  vk_compressor *c = vk_compressor_new(type, errp);
  long n;

  if (!c)
    return -1;
  n = vk_compressor_compress(c, dst, dst_cap, src, src_len, errp);
  vk_compressor_free(c);
  return n;
}
