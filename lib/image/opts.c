/* vkit — image formats and creation options (the `-o` string). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "util/cleanup.h"
#include "util/size.h"
#include "util/text.h"

/* qemu-img's names, indexed by vk_image_format. */
static const char *const format_names[] = {
  [VK_FMT_RAW] = "raw", [VK_FMT_QCOW2] = "qcow2", [VK_FMT_VMDK] = "vmdk",
  [VK_FMT_VDI] = "vdi", [VK_FMT_VHDX] = "vhdx", [VK_FMT_VPC] = "vpc",
  [VK_FMT_QED] = "qed", [VK_FMT_QCOW] = "qcow", [VK_FMT_LUKS] = "luks",
  [VK_FMT_DMG] = "dmg", [VK_FMT_PARALLELS] = "parallels", [VK_FMT_CLOOP] = "cloop",
  [VK_FMT_BOCHS] = "bochs",
};
#define NFORMATS (sizeof format_names / sizeof *format_names)

bool
vk_image_format_parse(const char *name, vk_image_format *out, vk_error **errp)
{
  for (size_t i = 0; i < NFORMATS; i++)
    if (format_names[i] && strcmp(name, format_names[i]) == 0) {
      *out = (vk_image_format)i;
      return true;
    }
  return vk_error_set(
      errp, VK_EXIT_USAGE,
      "unknown image format '%s' (vkit reads raw, qcow2, vmdk, vhdx, vpc, vdi and qed, and writes raw, qcow2, vmdk, vpc and vdi)",
      name);
}

const char *
vk_image_format_name(vk_image_format fmt)
{
  if ((unsigned)fmt < NFORMATS && format_names[fmt])
    return format_names[fmt];
  return "none";
}

bool
vk_image_format_check_supported(vk_image_format fmt, const char *path, vk_error **errp)
{
  if (fmt == VK_FMT_RAW || fmt == VK_FMT_QCOW2 || fmt == VK_FMT_VPC || fmt == VK_FMT_VDI ||
      fmt == VK_FMT_VMDK || fmt == VK_FMT_VHDX || fmt == VK_FMT_QED)
    return true;
  if (path)
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "%s is a %s image; vkit reads only raw, qcow2, vmdk, vhdx, vpc, vdi and qed images", path,
        vk_image_format_name(fmt));
  return vk_error_set(
      errp, VK_EXIT_USAGE,
      "%s images are not supported; vkit reads only raw, qcow2, vmdk, vhdx, vpc, vdi and qed images",
      vk_image_format_name(fmt));
}

bool
vk_image_format_writable(vk_image_format fmt)
{
  return fmt == VK_FMT_RAW || fmt == VK_FMT_QCOW2;
}

bool
vk_image_format_creatable(vk_image_format fmt)
{
  return fmt == VK_FMT_RAW || fmt == VK_FMT_QCOW2 || fmt == VK_FMT_VMDK || fmt == VK_FMT_VPC ||
         fmt == VK_FMT_VDI || fmt == VK_FMT_VHDX;
}

static const char *const prealloc_names[] = { "off", "metadata", "falloc", "full" };

bool
vk_prealloc_parse(const char *name, vk_prealloc *out, vk_error **errp)
{
  for (size_t i = 0; i < sizeof prealloc_names / sizeof *prealloc_names; i++)
    if (strcmp(name, prealloc_names[i]) == 0) {
      *out = (vk_prealloc)i;
      return true;
    }
  return vk_error_set(errp, VK_EXIT_USAGE,
                      "invalid preallocation '%s' (use off, metadata, falloc or full)",
                      name);
}

const char *
vk_compression_name(vk_compression c)
{
  return c == VK_COMPRESS_ZSTD ? "zstd" : "zlib";
}

void
vk_image_opts_init(vk_image_opts *o)
{
  memset(o, 0, sizeof *o);
  o->format = VK_FMT_RAW;
  o->cluster_size = 65536;
  o->version = 3;
  o->refcount_bits = 16;
  o->compression = VK_COMPRESS_ZLIB;
  o->prealloc = VK_PREALLOC_OFF;
  o->backing_fmt = VK_FMT_NONE;
}

void
vk_image_opts_clear(vk_image_opts *o)
{
  free(o->backing_file);
  o->backing_file = NULL;
  free(o->data_file);
  o->data_file = NULL;
}

static bool
parse_bool(const char *key, const char *v, bool *out, vk_error **errp)
{
  if (!vk_parse_bool(v, out))
    return vk_error_set(errp, VK_EXIT_USAGE, "invalid value '%s' for %s (use on or off)",
                        v, key);
  return true;
}

static bool
parse_one(vk_image_opts *o, const char *key, const char *v, vk_error **errp)
{
  uint64_t n;

  if (strcmp(key, "cluster_size") == 0) {
    if (!vk_parse_size(v, &n, NULL) || n < 512 || n > 2 * 1024 * 1024 || (n & (n - 1)))
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "invalid cluster_size '%s' (a power of two from 512 to 2M)", v);
    o->cluster_size = (uint32_t)n;
    o->has_cluster_size = 1;
  } else if (strcmp(key, "compat") == 0) {
    if (strcmp(v, "0.10") == 0 || strcmp(v, "v2") == 0)
      o->version = 2;
    else if (strcmp(v, "1.1") == 0 || strcmp(v, "v3") == 0)
      o->version = 3;
    else
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "invalid compat '%s' (use 0.10, v2, 1.1 or v3)", v);
    o->has_version = 1;
  } else if (strcmp(key, "lazy_refcounts") == 0) {
    if (!parse_bool(key, v, &o->lazy_refcounts, errp))
      return false;
    o->has_lazy_refcounts = 1;
  } else if (strcmp(key, "refcount_bits") == 0) {
    char *end;
    unsigned long b = strtoul(v, &end, 10);
    if (!*v || *end || b < 1 || b > 64 || (b & (b - 1)))
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "invalid refcount_bits '%s' (a power of two from 1 to 64)", v);
    o->refcount_bits = (int)b;
    o->has_refcount_bits = 1;
  } else if (strcmp(key, "compression_type") == 0) {
    if (strcmp(v, "zlib") == 0)
      o->compression = VK_COMPRESS_ZLIB;
    else if (strcmp(v, "zstd") == 0)
      o->compression = VK_COMPRESS_ZSTD;
    else
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "invalid compression_type '%s' (use zlib or zstd)", v);
    o->has_compression = 1;
  } else if (strcmp(key, "preallocation") == 0) {
    if (!vk_prealloc_parse(v, &o->prealloc, errp))
      return false;
    o->has_prealloc = 1;
  } else if (strcmp(key, "extended_l2") == 0) {
    if (!parse_bool(key, v, &o->extended_l2, errp))
      return false;
    o->has_extended_l2 = 1;
  } else if (strcmp(key, "backing_file") == 0) {
    char *s;
    if (!*v)
      return vk_error_set(errp, VK_EXIT_USAGE, "empty backing_file");
    if (!(s = strdup(v)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    free(o->backing_file);
    o->backing_file = s;
  } else if (strcmp(key, "data_file") == 0) {
    char *s;
    if (!*v)
      return vk_error_set(errp, VK_EXIT_USAGE, "empty data_file");
    if (strlen(v) > VK_MAX_DATA_FILE_NAME)
      return vk_error_set(errp, VK_EXIT_USAGE, "data_file name longer than %d bytes",
                          VK_MAX_DATA_FILE_NAME);
    if (!(s = strdup(v)))
      return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    free(o->data_file);
    o->data_file = s;
  } else if (strcmp(key, "data_file_raw") == 0) {
    if (!parse_bool(key, v, &o->data_file_raw, errp))
      return false;
    o->has_data_file_raw = 1;
  } else if (strcmp(key, "backing_fmt") == 0) {
    if (!vk_image_format_parse(v, &o->backing_fmt, errp))
      return false;
    o->has_backing_fmt = 1;
  } else if (strcmp(key, "subformat") == 0) {
    static const struct {
      const char *name;
      vk_subformat sub;
    } subs[] = {
      { "monolithicSparse", VK_SUB_MONOLITHIC_SPARSE },
      { "streamOptimized", VK_SUB_STREAM_OPTIMIZED },
      { "dynamic", VK_SUB_DYNAMIC },
      { "fixed", VK_SUB_FIXED },
    };
    size_t i;
    for (i = 0; i < sizeof subs / sizeof *subs && strcmp(v, subs[i].name); i++)
      ;
    if (i == sizeof subs / sizeof *subs)
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "invalid subformat '%s' (vmdk: monolithicSparse or streamOptimized; "
                          "vpc, vhdx: dynamic or fixed)",
                          v);
    o->subformat = subs[i].sub;
    o->has_subformat = 1;
  } else if (strcmp(key, "force_size") == 0) {
    if (!parse_bool(key, v, &o->force_size, errp))
      return false;
    o->has_force_size = 1;
  } else if (strcmp(key, "static") == 0) {
    if (!parse_bool(key, v, &o->static_image, errp))
      return false;
    o->has_static = 1;
  } else if (strcmp(key, "block_size") == 0) {
    uint64_t bs;
    if (!vk_parse_size(v, &bs, errp))
      return false;
    if (bs && (bs < (1u << 20) || bs > (256u << 20) || (bs & (bs - 1))))
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "invalid block_size '%s' (a power of two from 1M to 256M)", v);
    o->block_size = (uint32_t)bs;
    o->has_block_size = 1;
  } else if (strcmp(key, "adapter_type") == 0) {
    static const char *const adapters[] = { "ide", "lsilogic", "buslogic", "legacyESX" };
    size_t i;
    for (i = 0; i < sizeof adapters / sizeof *adapters && strcmp(v, adapters[i]); i++)
      ;
    if (i == sizeof adapters / sizeof *adapters)
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "invalid adapter_type '%s' (ide, lsilogic, buslogic or legacyESX)", v);
    o->adapter_type = adapters[i];
    o->has_vmdk_ddb = 1;
  } else if (strcmp(key, "hwversion") == 0 || strcmp(key, "toolsversion") == 0) {
    char *end;
    unsigned long num;
    errno = 0;
    num = strtoul(v, &end, 10);
    if (!*v || *end || errno || !isdigit((unsigned char)*v) ||
        num > (key[0] == 'h' ? 255ul : 2147483647ul) || (key[0] == 'h' && num == 0))
      return vk_error_set(errp, VK_EXIT_USAGE, "invalid %s '%s' (%s)", key, v,
                          key[0] == 'h' ? "a number from 1 to 255" : "a number");
    if (key[0] == 'h')
      o->hwversion = (unsigned)num;
    else
      o->toolsversion = (uint32_t)num;
    o->has_vmdk_ddb = 1;
  } else if (strcmp(key, "compat6") == 0) {
    bool on;
    if (!parse_bool(key, v, &on, errp))
      return false;
    if (on)
      o->hwversion = 6;
    o->has_vmdk_ddb = 1;
  } else if (strcmp(key, "zeroed_grain") == 0) {
    bool on;
    if (!parse_bool(key, v, &on, errp))
      return false;
    if (on)
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "zeroed_grain=on is not supported: vkit writes zeros as grains it "
                          "leaves out");
    o->has_vmdk_ddb = 1;
  } else if (strcmp(key, "size") == 0) {
    if (!vk_parse_size(v, &o->size, errp))
      return false;
  } else {
    return vk_error_set(errp, VK_EXIT_USAGE, "unknown option '%s'", key);
  }
  return true;
}

bool
vk_image_opts_parse(vk_image_opts *o, const char *s, vk_error **errp)
{
  CLEANUP_FREE char *copy = strdup(s);
  char *p, *next;

  if (!copy)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  for (p = copy; p; p = next) {
    char *eq;
    next = strchr(p, ',');
    if (next)
      *next++ = '\0';
    if (!*p)
      continue;
    eq = strchr(p, '=');
    if (!eq)
      return vk_error_set(errp, VK_EXIT_USAGE, "option '%s' needs a value (key=value)", p);
    *eq = '\0';
    if (!parse_one(o, p, eq + 1, errp))
      return false;
  }
  return true;
}

/* The options of vmdk, vpc, vdi and vhdx images. */
static bool
validate_other(const vk_image_opts *o, vk_error **errp)
{
  const char *fmt = vk_image_format_name(o->format);

  if (o->has_cluster_size || o->has_version || o->has_lazy_refcounts || o->has_refcount_bits ||
      o->has_compression || o->has_extended_l2 || o->data_file || o->has_data_file_raw)
    return vk_error_set(errp, VK_EXIT_USAGE, "qcow2 options given for a %s image", fmt);
  if (o->backing_file || o->has_backing_fmt)
    return vk_error_set(errp, VK_EXIT_USAGE, "vkit writes %s images without a backing file", fmt);
  if (o->prealloc != VK_PREALLOC_OFF)
    return vk_error_set(errp, VK_EXIT_USAGE, "preallocation is not an option of %s images%s", fmt,
                        o->format == VK_FMT_VPC || o->format == VK_FMT_VHDX
                            ? " (subformat=fixed allocates the whole disk)"
                        : o->format == VK_FMT_VDI ? " (static=on allocates the whole disk)"
                                                  : "");
  if (o->has_subformat &&
      (o->format == VK_FMT_VDI ||
       (o->format == VK_FMT_VMDK) !=
           (o->subformat == VK_SUB_MONOLITHIC_SPARSE || o->subformat == VK_SUB_STREAM_OPTIMIZED)))
    return vk_error_set(errp, VK_EXIT_USAGE, "subformat is not one of %s images%s", fmt,
                        o->format == VK_FMT_VMDK ? " (use monolithicSparse or streamOptimized)"
                        : o->format == VK_FMT_VPC || o->format == VK_FMT_VHDX
                            ? " (use dynamic or fixed)"
                            : "");
  if (o->has_block_size && o->format != VK_FMT_VHDX)
    return vk_error_set(errp, VK_EXIT_USAGE, "block_size is an option of vhdx images");
  if (o->has_vmdk_ddb && o->format != VK_FMT_VMDK)
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "adapter_type, hwversion, toolsversion, compat6 and zeroed_grain are options of vmdk images");
  if (o->has_force_size && o->format != VK_FMT_VPC)
    return vk_error_set(errp, VK_EXIT_USAGE, "force_size is an option of vpc images");
  if (o->has_static && o->format != VK_FMT_VDI)
    return vk_error_set(errp, VK_EXIT_USAGE, "static is an option of vdi images");
  if (o->size % 512)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s image size must be a multiple of 512 bytes", fmt);
  return true;
}

bool
vk_image_opts_validate(const vk_image_opts *o, vk_error **errp)
{
  if (o->format != VK_FMT_NONE && !vk_image_format_creatable(o->format))
    return vk_error_set(
        errp, VK_EXIT_USAGE,
        "cannot create %s images; vkit creates raw, qcow2, vmdk, vpc, vdi and vhdx images",
        vk_image_format_name(o->format));
  if (o->format == VK_FMT_VMDK || o->format == VK_FMT_VPC || o->format == VK_FMT_VDI ||
      o->format == VK_FMT_VHDX)
    return validate_other(o, errp);
  if (o->has_subformat || o->has_force_size || o->has_static || o->has_block_size ||
      o->has_vmdk_ddb)
    return vk_error_set(errp, VK_EXIT_USAGE, "%s images take no vmdk, vpc, vdi or vhdx options",
                        vk_image_format_name(o->format));
  if (o->has_backing_fmt && o->backing_fmt != VK_FMT_NONE &&
      !vk_image_format_check_supported(o->backing_fmt, NULL, errp)) {
    vk_error_prefix(errp, "backing file");
    return false;
  }
  if (o->format == VK_FMT_RAW) {
    if (o->has_cluster_size || o->has_version || o->has_lazy_refcounts || o->has_refcount_bits ||
        o->has_compression || o->has_extended_l2 || o->data_file || o->has_data_file_raw)
      return vk_error_set(errp, VK_EXIT_USAGE, "qcow2 options given for a raw image");
    if (o->backing_file)
      return vk_error_set(errp, VK_EXIT_USAGE, "raw images cannot have a backing file");
    if (o->prealloc == VK_PREALLOC_METADATA)
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "preallocation=metadata is for qcow2 (use falloc or full)");
    return true;
  }
  if (o->format != VK_FMT_QCOW2)
    return vk_error_set(errp, VK_EXIT_USAGE, "no image format given");
  if (o->size % 512)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "qcow2 image size must be a multiple of 512 bytes");
  if (o->version == 2) {
    if (o->lazy_refcounts)
      return vk_error_set(errp, VK_EXIT_USAGE, "lazy_refcounts=on needs compat=1.1");
    if (o->refcount_bits != 16)
      return vk_error_set(errp, VK_EXIT_USAGE,
                          "refcount_bits other than 16 needs compat=1.1");
    if (o->compression != VK_COMPRESS_ZLIB)
      return vk_error_set(errp, VK_EXIT_USAGE, "compression_type=zstd needs compat=1.1");
    if (o->extended_l2)
      return vk_error_set(errp, VK_EXIT_USAGE, "extended_l2=on needs compat=1.1");
    if (o->data_file)
      return vk_error_set(errp, VK_EXIT_USAGE, "data_file needs compat=1.1");
  }
  if (o->data_file_raw && !o->data_file)
    return vk_error_set(errp, VK_EXIT_USAGE, "data_file_raw=on needs data_file");
  if (o->data_file_raw && o->backing_file)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "data_file_raw=on cannot go with a backing file (the data file would "
                        "not be the whole disk)");
  if (o->extended_l2 && o->cluster_size < 16384)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "extended_l2=on needs cluster_size of at least 16k");
  if (o->backing_file && o->prealloc != VK_PREALLOC_OFF && !o->extended_l2)
    return vk_error_set(errp, VK_EXIT_USAGE,
                        "preallocation with a backing file needs extended_l2=on");
  if (o->has_backing_fmt && !o->backing_file)
    return vk_error_set(errp, VK_EXIT_USAGE, "backing_fmt given without backing_file");
  return true;
}
