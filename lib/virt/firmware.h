/* vkit — choosing UEFI firmware from QEMU's firmware descriptors.
 *
 * Firmware packages (ovmf on Debian) install JSON descriptors in
 * /usr/share/qemu/firmware (overridden by files of the same name in
 * /etc/qemu/firmware); each names the code and variables-template files,
 * the architectures and machine types it fits and its features
 * ("secure-boot", "requires-smm", "enrolled-keys").  They are read in file
 * name order, the first match wins, as QEMU and libvirt do.
 */
#ifndef VK_VIRT_FIRMWARE_H
#define VK_VIRT_FIRMWARE_H

#include <stdbool.h>

#include "util/error.h"

typedef struct vk_firmware {
  char *descriptor;     /* the JSON file chosen */
  char *code;           /* executable: OVMF_CODE*.fd */
  char *vars;           /* nvram template: OVMF_VARS*.fd, or NULL */
  bool secure_boot;     /* has the "secure-boot" feature */
  bool requires_smm;
} vk_firmware;

/* Choose UEFI flash firmware for `arch` ("x86_64") and `machine` ("q35",
 * "pc", "pc-q35-7.2"; NULL: any).  secure_boot: 1 must have secure boot,
 * 0 must not, -1 either.  `dirs` is a NULL-terminated list of directories
 * (NULL: the two standard ones).  Returns true and fills *out (release
 * with vk_firmware_clear), or false with VK_EXIT_NOTFOUND when nothing
 * fits. */
bool vk_firmware_choose(const char *const *dirs, const char *arch, const char *machine,
                        int secure_boot, vk_firmware *out, vk_error **errp);

void vk_firmware_clear(vk_firmware *fw);

#endif
