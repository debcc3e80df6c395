/* vkit — reading and writing fixed-width integers in on-disk byte order. */
#ifndef VK_UTIL_BYTES_H
#define VK_UTIL_BYTES_H

#include <stdint.h>

/* Big-endian. */
static inline uint64_t vk_be64(const unsigned char *p)
{
  return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) |
         ((uint64_t)p[3] << 32) | ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
         ((uint64_t)p[6] << 8) | p[7];
}
static inline uint32_t vk_be32(const unsigned char *p)
{
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint16_t vk_be16(const unsigned char *p)
{
  return (uint16_t)((p[0] << 8) | p[1]);
}
static inline void vk_put_be64(unsigned char *p, uint64_t v)
{
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = (unsigned char)v;
}
static inline void vk_put_be32(unsigned char *p, uint32_t v)
{
  for (int i = 3; i >= 0; i--, v >>= 8)
    p[i] = (unsigned char)v;
}
static inline void vk_put_be16(unsigned char *p, uint16_t v)
{
  p[0] = (unsigned char)(v >> 8);
  p[1] = (unsigned char)v;
}

/* Little-endian (VDI, VMDK, VHDX). */
static inline uint32_t
vk_le32(const unsigned char *p)
{
  return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}
static inline uint64_t
vk_le64(const unsigned char *p)
{
  return ((uint64_t)vk_le32(p + 4) << 32) | vk_le32(p);
}
static inline void
vk_put_le32(unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}
static inline void
vk_put_le64(unsigned char *p, uint64_t v)
{
  vk_put_le32(p, (uint32_t)v);
  vk_put_le32(p + 4, (uint32_t)(v >> 32));
}

#endif
