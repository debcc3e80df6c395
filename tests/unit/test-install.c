/* Unit tests for vinstall's option parsing and defaults (no hypervisor). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "virt/install/install.h"

/* Apply one option to a fresh install; returns the error code (0 = ok). */
static int
one(vk_install *in, int key, const char *value)
{
  vk_error *err = NULL;
  int code = 0;

  if (!vk_install_option(in, key, value, &err)) {
    code = err ? err->code : -1;
    vk_error_free(err);
  }
  return code;
}

static void
bad(int key, const char *value, const char *name)
{
  vk_install in;

  vk_install_init(&in);
  ok(one(&in, key, value) == VK_EXIT_USAGE, "refused: %s ('%s')", name, value ? value : "");
  vk_install_clear(&in);
}

int
main(void)
{
  vk_install in;
  vk_error *err = NULL;

  /* Memory: MiB by default, units accepted. */
  vk_install_init(&in);
  ok(one(&in, VK_IOPT_MEMORY, "2048") == 0, "memory 2048");
  is_u64(in.spec.memory_kib, 2048 * 1024, "2048 means MiB");
  ok(one(&in, VK_IOPT_MEMORY, "1.5G") == 0, "memory 1.5G");
  is_u64(in.spec.memory_kib, 1536 * 1024, "1.5G in KiB");
  vk_install_clear(&in);
  bad(VK_IOPT_MEMORY, "0", "zero memory");
  bad(VK_IOPT_MEMORY, "-5", "negative memory");
  bad(VK_IOPT_MEMORY, "lots", "garbage memory");
  bad(VK_IOPT_MEMORY, "512K", "memory below 1 MiB");

  /* vCPUs and topology. */
  vk_install_init(&in);
  ok(one(&in, VK_IOPT_VCPUS, "2,maxvcpus=8,sockets=2,cores=2,threads=2") == 0, "vcpus with topology");
  ok(in.spec.vcpus == 2 && in.spec.maxvcpus == 8 && in.spec.cores == 2, "vcpus 2 of 8, 2 cores");
  ok(one(&in, VK_IOPT_VCPUS, "sockets=1,cores=4") == 0, "topology alone");
  ok(in.spec.vcpus == 4 && in.spec.maxvcpus == 4, "topology gives 4 vCPUs");
  vk_install_clear(&in);
  bad(VK_IOPT_VCPUS, "0", "zero vCPUs");
  bad(VK_IOPT_VCPUS, "4,maxvcpus=2", "maxvcpus below vcpus");
  bad(VK_IOPT_VCPUS, "4,sockets=3,cores=1,threads=1", "topology not matching");
  bad(VK_IOPT_VCPUS, "2,bogus=1", "unknown vcpus sub-option");
  bad(VK_IOPT_VCPUS, "x", "garbage vCPUs");

  /* --cpu */
  vk_install_init(&in);
  ok(one(&in, VK_IOPT_CPU, "host-passthrough,-arch-capabilities,disable=vmx") == 0, "cpu with features");
  ok(in.spec.ncpu_disable == 2 && strcmp(in.spec.cpu_disable[1], "vmx") == 0, "two features disabled");
  ok(one(&in, VK_IOPT_CPU, "Skylake-Client") == 0 && strcmp(in.spec.cpu_mode, "custom") == 0 &&
     strcmp(in.spec.cpu_model, "Skylake-Client") == 0, "a named model is custom");
  vk_install_clear(&in);

  /* --disk */
  vk_install_init(&in);
  ok(one(&in, VK_IOPT_DISK, "path=/tmp/a,,b.img,size=20,format=raw,bus=sata,cache=none,readonly=off") == 0,
     "disk with every simple sub-option");
  is_str(in.spec.disks[0].path, "/tmp/a,b.img", ",, is a comma");
  is_u64(in.spec.disks[0].size, 20ULL << 30, "size 20 means GiB");
  is_str(in.spec.disks[0].bus, "sata", "bus");
  ok(one(&in, VK_IOPT_DISK, "/srv/x.qcow2,readonly") == 0 && in.spec.disks[1].readonly,
     "a bare path first, readonly flag");
  ok(one(&in, VK_IOPT_DISK, "size=512M") == 0 && in.spec.disks[2].size == 512ULL << 20,
     "size with a unit");
  ok(one(&in, VK_IOPT_DISK, "none") == VK_EXIT_USAGE, "none with other disks");
  vk_install_clear(&in);
  bad(VK_IOPT_DISK, "size=0", "disk size 0");
  bad(VK_IOPT_DISK, "size=big", "disk size garbage");
  bad(VK_IOPT_DISK, "size=-1", "negative disk size");
  bad(VK_IOPT_DISK, "path=/x,format=vmdk", "unknown format");
  bad(VK_IOPT_DISK, "path=/x,bus=usb9", "unknown bus");
  bad(VK_IOPT_DISK, "path=/x,color=red", "unknown disk sub-option");
  bad(VK_IOPT_DISK, "format=raw", "disk without path or size");
  bad(VK_IOPT_DISK, "path=/x,device=cdrom,size=1", "cdrom with a size");
  bad(VK_IOPT_DISK, "path=/x,", "trailing empty item");
  bad(VK_IOPT_DISK, "path=/x,backing_format=raw", "backing_format without backing");

  /* --network */
  vk_install_init(&in);
  ok(one(&in, VK_IOPT_NETWORK, "bridge=br0,model=e1000,mac=52:54:00:aa:bb:cc") == 0, "bridge network");
  ok(one(&in, VK_IOPT_NETWORK, "user") == 0 && strcmp(in.spec.nets[1].type, "user") == 0, "user network");
  ok(one(&in, VK_IOPT_NETWORK, "network=default") == 0 && in.spec.nnets == 3, "three networks");
  vk_install_clear(&in);
  bad(VK_IOPT_NETWORK, "network=default,mac=01:00:00:00:00:00", "multicast MAC");
  bad(VK_IOPT_NETWORK, "network=default,mac=zz", "garbage MAC");
  bad(VK_IOPT_NETWORK, "wifi=home", "unknown network type");
  bad(VK_IOPT_NETWORK, "network=", "network without a name");

  /* --boot */
  vk_install_init(&in);
  ok(one(&in, VK_IOPT_BOOT, "kernel=/k,initrd=/i,cmdline=console=ttyS0 root=/dev/vda") == 0, "kernel boot");
  is_str(in.spec.cmdline, "console=ttyS0 root=/dev/vda", "cmdline keeps '='");
  ok(in.method == VK_INSTALL_KERNEL, "kernel= is an install method");
  ok(one(&in, VK_IOPT_CDROM, "/x.iso") == VK_EXIT_USAGE, "two install methods are refused");
  vk_install_clear(&in);
  vk_install_init(&in);
  ok(one(&in, VK_IOPT_BOOT, "uefi,secure-boot=off") == 0 && in.spec.uefi && in.spec.secure_boot == 0,
     "uefi without secure boot");
  ok(one(&in, VK_IOPT_BOOT, "network,hd") == 0 && strcmp(in.boot_order[1], "hd") == 0, "boot order");
  ok(one(&in, VK_IOPT_BOOT, "hd") == VK_EXIT_USAGE, "a boot device given twice");
  vk_install_clear(&in);
  bad(VK_IOPT_BOOT, "floppy", "unknown boot device");
  bad(VK_IOPT_BOOT, "uefi,secure-boot=maybe", "bad secure-boot value");

  /* graphics, console, misc */
  bad(VK_IOPT_GRAPHICS, "sdl", "unknown graphics");
  bad(VK_IOPT_GRAPHICS, "vnc,port=80", "VNC port below 5900");
  bad(VK_IOPT_CONSOLE, "file", "console file without a path");
  bad(VK_IOPT_CONSOLE, "tcp=1.2.3.4", "unknown console type");
  bad(VK_IOPT_VIRT_TYPE, "xen", "unknown virt type");
  bad(VK_IOPT_NAME, "", "empty name");
  bad(VK_IOPT_NAME, "a/b", "name with a slash");

  /* prepare without a hypervisor: defaults and combinations. */
  vk_install_init(&in);
  one(&in, VK_IOPT_NAME, "t");
  ok(!vk_install_prepare(&in, NULL, &err) && err && err->code == VK_EXIT_USAGE,
     "prepare wants an install method");
  vk_error_free(err);
  err = NULL;
  one(&in, VK_IOPT_IMPORT, NULL);
  ok(!vk_install_prepare(&in, NULL, &err) && err && err->code == VK_EXIT_USAGE,
     "--import wants a disk");
  vk_error_free(err);
  err = NULL;
  vk_install_clear(&in);

  vk_install_init(&in);
  one(&in, VK_IOPT_NAME, "t");
  one(&in, VK_IOPT_VIRT_TYPE, "qemu");
  one(&in, VK_IOPT_PXE, NULL);
  one(&in, VK_IOPT_DISK, "size=1,path=/nonexistent-dir/t.qcow2");
  one(&in, VK_IOPT_DISK, "device=cdrom,bus=sata");
  ok(vk_install_prepare(&in, NULL, &err), "a PXE install prepares");
  is_str(in.spec.disks[0].target, "vda", "first virtio disk is vda");
  is_str(in.spec.disks[0].format, "qcow2", "a new image is qcow2");
  is_str(in.spec.disks[1].target, "sda", "the cdrom is sda");
  ok(in.spec.nnets == 1 && strcmp(in.spec.nets[0].type, "user") == 0,
     "without a hypervisor the network is user-mode");
  ok(in.nnotes == 1, "one note (user networking)");
  ok(vk_install_two_phase(&in), "PXE is a two-phase install");
  {
    char *first = vk_install_xml(&in, false, &err);
    char *final = vk_install_xml(&in, true, &err);
    ok(first && strstr(first, "<boot dev=\"network\"/>") && strstr(first, "<on_reboot>destroy"),
       "the first boot is from the network and stops at reboot");
    ok(final && !strstr(final, "\"network\"/>") && strstr(final, "<on_reboot>restart"),
       "the final definition boots the disk");
    free(first);
    free(final);
  }
  vk_install_clear(&in);

  /* A cdrom install: the installer ISO is gone from the definition kept
   * afterwards (an empty drive), unless --noreboot. */
  for (int noreboot = 0; noreboot < 2; noreboot++) {
    char *first, *final;
    vk_install_init(&in);
    one(&in, VK_IOPT_NAME, "t");
    one(&in, VK_IOPT_VIRT_TYPE, "qemu");
    one(&in, VK_IOPT_CDROM, "/srv/inst.iso");
    one(&in, VK_IOPT_DISK, "size=1,path=/nonexistent-dir/t.qcow2");
    if (noreboot)
      one(&in, VK_IOPT_NOREBOOT, NULL);
    ok(vk_install_prepare(&in, NULL, &err), "a cdrom install prepares");
    first = vk_install_xml(&in, false, &err);
    final = vk_install_xml(&in, true, &err);
    ok(first && strstr(first, "/srv/inst.iso"), "the first boot has the ISO");
    if (noreboot)
      ok(final && strstr(final, "/srv/inst.iso"), "--noreboot: the ISO stays in the definition");
    else
      ok(final && !strstr(final, "/srv/inst.iso") && strstr(final, "device=\"cdrom\""),
         "the final definition has an empty cdrom drive");
    free(first);
    free(final);
    vk_install_clear(&in);
  }

  /* cloud-init: the seed is a cdrom beside the first disk, named in the
   * metadata; with disable=on it stays out of the final definition. */
  for (int disable = 0; disable < 2; disable++) {
    char *first, *final;
    vk_install_init(&in);
    one(&in, VK_IOPT_NAME, "c1");
    one(&in, VK_IOPT_VIRT_TYPE, "qemu");
    one(&in, VK_IOPT_IMPORT, NULL);
    one(&in, VK_IOPT_DISK, "path=/nonexistent-dir/c1.qcow2,format=qcow2,size=1");
    ok(one(&in, VK_IOPT_CLOUD_INIT, disable ? "disable=on" : "root-password-generate=on") == 0,
       "--cloud-init accepted");
    ok(vk_install_prepare(&in, NULL, &err), "a cloud-init install prepares");
    is_str(in.ci.seed_path, "/nonexistent-dir/c1-cidata.iso",
           "the seed goes beside the first disk");
    ok(in.spec.ndisks == 2 && in.spec.disks[1].seed && vk_disk_is_cdrom(&in.spec.disks[1]),
       "the seed is a cdrom drive");
    ok(disable || (in.ci.root_password && strlen(in.ci.root_password) == 16),
       "a 16-letter root password is generated");
    ok(in.ci.nfiles == 2 && !strcmp(in.ci.files[0].name, "user-data") &&
           !strcmp(in.ci.files[1].name, "meta-data"),
       "user-data and meta-data are composed");
    ok(vk_install_redefines(&in) == (disable == 1), "disable=on redefines, else not");
    first = vk_install_xml(&in, false, &err);
    final = vk_install_xml(&in, true, &err);
    ok(first && strstr(first, "c1-cidata.iso") && strstr(first, VK_SEED_NS),
       "the first boot has the seed, named in the metadata");
    if (disable)
      ok(final && !strstr(final, "c1-cidata.iso") && !strstr(final, VK_SEED_NS),
         "disable=on: the kept definition has no seed");
    else
      ok(final && strstr(final, "c1-cidata.iso"), "the kept definition has the seed");
    free(first);
    free(final);
    vk_install_clear(&in);
  }
  return tap_done();
}
