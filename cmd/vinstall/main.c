/* vinstall — define and boot a new virtual machine. */
#include <config.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/cancel.h"
#include "util/cleanup.h"
#include "util/cmd.h"
#include "util/progress.h"
#include "util/size.h"
#include "util/text.h"
#include "virt/conn.h"
#include "virt/console.h"
#include "virt/event.h"
#include "virt/install/install.h"
#include "virt/osdetect.h"
#include "virt/osinfo.h"

/* Options of the front end itself; the others go to vk_install_option. */
enum {
  OPT_WAIT = 100,
  OPT_PRINT_XML,
  OPT_DRY_RUN,
  OPT_NOAUTOCONSOLE,
  OPT_AUTOCONSOLE,
  OPT_DESTROY_ON_EXIT,
  OPT_PROGRESS,
  OPT_JSON,
};

static vk_install install;
static const char *opt_uri;
static bool opt_print_xml, opt_dry_run, opt_noautoconsole, opt_progress, opt_wait, opt_json;
static bool opt_graphical, opt_destroy_on_exit;
static int opt_wait_ms = -1;
static char opt_wait_ms_given[64]; /* as typed, for the message (popt frees its copy) */

static const struct poptOption options[] = {
  { "name", 'n', POPT_ARG_STRING, NULL, VK_IOPT_NAME, "name of the new domain", "NAME" },
  { "memory", 0, POPT_ARG_STRING, NULL, VK_IOPT_MEMORY,
    "memory (MiB unless a unit is given; default 1 GiB or the OS variant's)", "SIZE" },
  { "vcpus", 0, POPT_ARG_STRING, NULL, VK_IOPT_VCPUS, "virtual CPUs",
    "N[,maxvcpus=M,sockets=S,cores=C,threads=T]" },
  { "cpu", 0, POPT_ARG_STRING, NULL, VK_IOPT_CPU, "CPU model",
    "host-passthrough|host-model|MODEL[,-FEATURE...]" },
  { "machine", 0, POPT_ARG_STRING, NULL, VK_IOPT_MACHINE, "machine type (q35, pc, ...)", "TYPE" },
  { "arch", 0, POPT_ARG_STRING, NULL, VK_IOPT_ARCH, "guest architecture", "ARCH" },
  { "virt-type", 0, POPT_ARG_STRING, NULL, VK_IOPT_VIRT_TYPE,
    "accelerator (default kvm when /dev/kvm is usable, else qemu)", "kvm|qemu" },
  { "cdrom", 0, POPT_ARG_STRING, NULL, VK_IOPT_CDROM, "install from this ISO image", "PATH" },
  { "location", 'l', POPT_ARG_STRING, NULL, VK_IOPT_LOCATION,
    "install from the kernel and initrd of an install ISO or tree",
    "ISO|DIR[,kernel=PATH,initrd=PATH]" },
  { "extra-args", 'x', POPT_ARG_STRING, NULL, VK_IOPT_EXTRA_ARGS,
    "--location: the installer kernel's command line", "ARGS" },
  { "initrd-inject", 0, POPT_ARG_STRING, NULL, VK_IOPT_INITRD_INJECT,
    "--location: add this file to the root of the installer's initrd (repeatable)", "FILE" },
  { "import", 0, POPT_ARG_NONE, NULL, VK_IOPT_IMPORT, "boot the first --disk as it is", NULL },
  { "pxe", 0, POPT_ARG_NONE, NULL, VK_IOPT_PXE, "install from the network (PXE)", NULL },
  { "boot", 0, POPT_ARG_STRING, NULL, VK_IOPT_BOOT, "boot order, direct kernel boot or UEFI",
    "hd,cdrom,network|kernel=PATH,initrd=PATH,cmdline=ARGS|uefi[,secure-boot=on|off]" },
  { "disk", 0, POPT_ARG_STRING, NULL, VK_IOPT_DISK,
    "a disk (repeatable); none for no disk; an existing image without format= gets the format it has, raw or qcow2 (a vmdk, vdi... image is refused)",
    "path=PATH|pool=POOL|vol=POOL/VOL,size=SIZE,format=,bus=,cache=,backing=,backing_format=,device=,readonly,..." },
  { "network", 'w', POPT_ARG_STRING, NULL, VK_IOPT_NETWORK, "a network card (repeatable)",
    "network=NAME|bridge=BR|user|none[,model=,mac=]" },
  { "graphics", 0, POPT_ARG_STRING, NULL, VK_IOPT_GRAPHICS, "graphical console",
    "vnc[,listen=,port=]|spice|none" },
  { "console", 0, POPT_ARG_STRING, NULL, VK_IOPT_CONSOLE, "the serial console (default pty)",
    "pty|file=PATH" },
  { "serial", 0, POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, VK_IOPT_SERIAL,
    "one more serial port (repeatable)", "pty|file=PATH" },
  { "os-type", 0, POPT_ARG_STRING, NULL, VK_IOPT_OS_TYPE,
    "OS family (linux, windows, ...; informational)", "TYPE" },
  { "os-variant", 0, POPT_ARG_STRING, NULL, VK_IOPT_OS_VARIANT,
    "OS variant from osinfo-db (debian11, win10, ...); detect: from the --cdrom or --location media; list: the known ids",
    "NAME|generic|list|detect=on[,require=on][,name=FALLBACK]" },
  { "osinfo", 0, POPT_ARG_STRING, NULL, VK_IOPT_OS_VARIANT, "the same as --os-variant",
    "NAME|detect=on..." },
  { "channel", 0, POPT_ARG_STRING, NULL, VK_IOPT_CHANNEL, "a host-guest channel (repeatable)",
    "unix|pty|spicevmc|qemu-vdagent[,target.type=virtio,name=org.qemu.guest_agent.0,source.path=]" },
  { "rng", 0, POPT_ARG_STRING, NULL, VK_IOPT_RNG,
    "a virtio random number generator (none: not even the OS default)",
    "/dev/urandom|builtin|none[,model=,rate.bytes=,rate.period=]" },
  { "video", 0, POPT_ARG_STRING, NULL, VK_IOPT_VIDEO, "the video card",
    "virtio|vga|qxl|bochs|ramfb|none[,heads=,vram=,accel3d=]" },
  { "controller", 0, POPT_ARG_STRING, NULL, VK_IOPT_CONTROLLER, "a controller (repeatable)",
    "usb|usb2|usb3|scsi|virtio-serial|sata|pci[,model=,index=]" },
  { "tpm", 0, POPT_ARG_STRING, NULL, VK_IOPT_TPM, "a TPM (emulator needs swtpm)",
    "emulator|passthrough[,path=]|none[,model=tpm-crb|tpm-tis,version=2.0]" },
  { "sound", 0, POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, VK_IOPT_SOUND, "a sound card",
    "ich9|ich6|ac97|usb|default|none" },
  { "input", 0, POPT_ARG_STRING, NULL, VK_IOPT_INPUT,
    "an input device (repeatable; replaces the default tablet)",
    "tablet|mouse|keyboard[,bus=usb|ps2|virtio]" },
  { "watchdog", 0, POPT_ARG_STRING, NULL, VK_IOPT_WATCHDOG, "a watchdog",
    "i6300esb|ib700|itco[,action=reset|poweroff|...]" },
  { "memballoon", 0, POPT_ARG_STRING, NULL, VK_IOPT_MEMBALLOON, "the memory balloon",
    "virtio|none" },
  { "hostdev", 0, POPT_ARG_STRING, NULL, VK_IOPT_HOSTDEV,
    "pass a host PCI or USB device through (repeatable)",
    "01:00.0|pci_0000_01_00_0|0x1234:0x5678|001.003" },
  { "filesystem", 0, POPT_ARG_STRING, NULL, VK_IOPT_FILESYSTEM,
    "share a host directory (repeatable)",
    "SOURCE,TARGET[,driver.type=virtiofs|path,accessmode=,readonly=on]" },
  { "events", 0, POPT_ARG_STRING, NULL, VK_IOPT_EVENTS,
    "what the guest's power-off, reboot and crash do", "on_poweroff=,on_reboot=,on_crash=" },
  { "metadata", 0, POPT_ARG_STRING, NULL, VK_IOPT_METADATA, "name, title, description, uuid",
    "title=,description=,name=,uuid=" },
  { "cloud-init", 0, POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, VK_IOPT_CLOUD_INIT,
    "give the guest a cloud-init NoCloud seed (alone: root-password-generate=on,disable=on)",
    "user-data=FILE,meta-data=FILE,network-config=FILE,vendor-data=FILE,root-password-generate=on,root-password-file=FILE,root-ssh-key=FILE,clouduser-ssh-key=FILE,disable=on" },
  { "ssh-key", 0, POPT_ARG_STRING, NULL, VK_IOPT_SSH_KEY,
    "cloud-init: authorize this public key for the image's default user", "FILE" },
  { "hostname", 0, POPT_ARG_STRING, NULL, VK_IOPT_HOSTNAME,
    "cloud-init: the guest's host name (default: made of --name)", "NAME" },
  { "print-xml", 0, POPT_ARG_NONE, NULL, OPT_PRINT_XML, "print the domain XML and create nothing",
    NULL },
  { "dry-run", 0, POPT_ARG_NONE, NULL, OPT_DRY_RUN,
    "run every check, print the XML, create nothing", NULL },
  { "autoconsole", 0, POPT_ARG_STRING, NULL, OPT_AUTOCONSOLE,
    "text: attach the serial console (the default at a terminal); graphical: say where the display is; none",
    "text|graphical|none" },
  { "destroy-on-exit", 0, POPT_ARG_NONE, NULL, OPT_DESTROY_ON_EXIT,
    "destroy the guest when vinstall leaves its console or its --wait ends", NULL },
  { "check", 0, POPT_ARG_STRING, NULL, VK_IOPT_CHECK, "switch pre-flight checks off",
    "path_in_use=off|all=off" },
  { "noautoconsole", 0, POPT_ARG_NONE, NULL, OPT_NOAUTOCONSOLE,
    "do not attach to the console (never attached without a terminal)", NULL },
  { "wait", 0, POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL, OPT_WAIT,
    "wait until the guest powers off (at most TIME: seconds, or 90s, 10m, 1h)", "TIME" },
  { "autostart", 0, POPT_ARG_NONE, NULL, VK_IOPT_AUTOSTART, "start the domain when the host boots",
    NULL },
  { "transient", 0, POPT_ARG_NONE, NULL, VK_IOPT_TRANSIENT,
    "do not keep the domain defined after it stops", NULL },
  { "noreboot", 0, POPT_ARG_NONE, NULL, VK_IOPT_NOREBOOT,
    "do not boot the guest again after the install", NULL },
  { "json", 0, POPT_ARG_NONE, NULL, OPT_JSON,
    "on success print one JSON object: the domain, its disks, its console (no console is attached)",
    NULL },
  { "progress", 'p', POPT_ARG_NONE, NULL, OPT_PROGRESS, "show progress while disks are created",
    NULL },
  { "connect", 'c', POPT_ARG_STRING, &opt_uri, 0, "hypervisor connection URI", "URI" },
  POPT_TABLEEND
};

static bool
option(int val, const char *arg, vk_error **errp)
{
  switch (val) {
  case OPT_PRINT_XML: opt_print_xml = true; return true;
  case OPT_DRY_RUN: opt_dry_run = true; return true;
  case OPT_NOAUTOCONSOLE: opt_noautoconsole = true; return true;
  case OPT_DESTROY_ON_EXIT: opt_destroy_on_exit = true; return true;
  case OPT_AUTOCONSOLE:
    opt_graphical = !strcmp(arg, "graphical");
    opt_noautoconsole = strcmp(arg, "text") != 0;
    if (strcmp(arg, "text") && strcmp(arg, "graphical") && strcmp(arg, "none"))
      return vk_error_set(errp, VK_EXIT_USAGE, "--autoconsole: text, graphical or none, not '%s'",
                          arg);
    return true;
  case OPT_PROGRESS: opt_progress = true; return true;
  case OPT_JSON: opt_json = true; return true;
  case OPT_WAIT:
    opt_wait = true;
    if (!arg || !*arg || strcmp(arg, "-1") == 0)
      return true;
    snprintf(opt_wait_ms_given, sizeof opt_wait_ms_given, "%s", arg);
    return vk_parse_duration("wait", arg, &opt_wait_ms, errp);
  default:
    return vk_install_option(&install, val, arg, errp);
  }
}

static void
progress(void *opaque, uint64_t done, uint64_t total)
{
  vk_progress *p = opaque;

  if (done == 0)
    vk_progress_start(p, opt_progress, "creating disks", total);
  else
    vk_progress_update(p, done);
}

/* Attach to the console only for a person at a terminal who did not say
 * --noautoconsole, and only to a pseudo-terminal console. */
static bool
want_console(void)
{
  const char *type = install.spec.console.type;

  return !opt_noautoconsole && !opt_json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
         type && strcmp(type, "pty") == 0;
}

/* The interactive console, until the guest stops or Ctrl-] is
 * typed.  Returns false (after saying why) when it cannot attach. */
static bool
attach_console(const vk_cmd_ctx *ctx, const char *name)
{
  vk_console_opts o = {
    .device = NULL, .in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO,
    .timeout_ms = -1, .force = false, .resume = false,
  };
  vk_console_end end;
  vk_error *err = NULL;
  bool ok;

  vk_console_banner(name);
  vk_term_raw(STDIN_FILENO, false);
  ok = vk_console_run(install.dom, &o, &end, &err);
  vk_term_restore();
  fputc('\n', stderr);
  if (!ok) {
    vk_cmd_fail(ctx, err);
    return false;
  }
  /* The console closes as the guest stops; let libvirt finish stopping
   * it, so that the state is settled when vinstall returns. */
  if (end == VK_CONSOLE_CLOSED &&
      !vk_domain_wait_state(install.dom, VK_STATE_BIT(VIR_DOMAIN_SHUTOFF), 10000, NULL, &err))
    vk_error_free(err);
  return true;
}

/* --destroy-on-exit: the guest goes when vinstall does. */
static void
destroy_on_exit(const vk_cmd_ctx *ctx, const char *name)
{
  if (!opt_destroy_on_exit || !install.dom || virDomainIsActive(install.dom) != 1)
    return;
  if (virDomainDestroy(install.dom) < 0)
    vk_cmd_warn(ctx, "--destroy-on-exit: cannot destroy %s: %s", name, virGetLastErrorMessage());
  else if (!opt_json)
    vk_cmd_warn(ctx, "domain %s destroyed (--destroy-on-exit)", name);
}

static int
finish(const vk_cmd_ctx *ctx, virConnectPtr conn, vk_error *err, int rc)
{
  if (err)
    rc = vk_cmd_fail(ctx, err);
  vk_install_clear(&install);
  if (conn)
    virConnectClose(conn);
  vk_cancel_finish();   /* a signal before the install began ends the process */
  return rc;
}

static int
run(vk_cmd_ctx *ctx)
{
  vk_error *err = NULL;
  virConnectPtr conn;
  vk_progress bar = { 0 };
  const char *name;
  bool ok;
  int rc;

  if (install.os_variant && !install.os_detect && strcmp(install.os_variant, "list") == 0) {
    CLEANUP_STRV char **ids = vk_osinfo_list(vk_osinfo_dir(), &err);
    if (!ids)
      return finish(ctx, NULL, err, 0);
    for (char **p = ids; *p; p++)
      fprintf(ctx->out, "%s\n", *p);
    return finish(ctx, NULL, NULL, 0);
  }
  if ((rc = vk_cmd_exclusive(ctx, "--json", opt_json, "--print-xml", opt_print_xml, NULL)) ||
      (rc = vk_cmd_exclusive(ctx, "--json", opt_json, "--dry-run", opt_dry_run, NULL)))
    return finish(ctx, NULL, NULL, rc);
  /* Ctrl-C, kill or a hang-up while images are created and the domain
   * defined must not leave half a machine: the install stops between
   * steps and is undone, then vinstall dies of the signal. */
  if (!vk_cancel_start(&err))
    return finish(ctx, NULL, err, 0);
  install.cancel = vk_cancel_flag();
  conn = vk_conn_open(opt_uri, 0, &err);
  if (!conn) {
    size_t n = opt_uri ? strlen(opt_uri) : 0;
    /* virt-install's -c is --cdrom; vinstall's, as every vkit tool's, is --connect */
    if (n > 4 && (strcasecmp(opt_uri + n - 4, ".iso") == 0 || access(opt_uri, F_OK) == 0)) {
      vk_error_free(err);
      return finish(
          ctx, NULL, NULL,
          vk_cmd_usage(ctx, "-c is --connect (a hypervisor URI); for an install ISO say --cdrom %s",
                       opt_uri));
    }
    return finish(ctx, NULL, err, 0);
  }
  if (!vk_install_prepare(&install, conn, &err)) {
    if (err->code == VK_EXIT_USAGE) {
      rc = vk_cmd_usage(ctx, "%s", err->msg);
      vk_error_free(err);
      return finish(ctx, conn, NULL, rc);
    }
    return finish(ctx, conn, err, 0);
  }
  for (size_t i = 0; i < install.nnotes; i++)
    vk_cmd_warn(ctx, "%s", install.notes[i]);

  if (opt_print_xml || opt_dry_run) {
    CLEANUP_FREE char *xml = NULL;
    if (opt_dry_run && !vk_install_preflight(&install, conn, &err))
      return finish(ctx, conn, err, 0);
    xml = vk_install_xml(&install, false, &err);
    if (!xml)
      return finish(ctx, conn, err, 0);
    fputs(xml, ctx->out);
    return finish(ctx, conn, NULL, 0);
  }

  install.progress = progress;
  install.progress_opaque = &bar;
  ok = vk_install_run(&install, conn, &err);
  vk_progress_finish(&bar, ok);
  if (vk_cancelled()) {
    /* (a signal that came after the last step undoes the install too) */
    vk_install_rollback(&install, conn);
    vk_error_free(err);
    vk_cmd_warn(ctx, "interrupted: domain %s and the images made for it were removed",
                install.spec.name);
    finish(ctx, conn, NULL, 0);
    vk_cancel_finish();   /* the signal ends the process */
    return VK_EXIT_FAILED;
  }
  /* From here on (--wait), a signal ends vinstall and leaves the guest. */
  vk_cancel_end();
  if (!ok)
    return finish(ctx, conn, err, 0);
  name = install.spec.name;
  /* with --json, the object says all this */
  for (size_t i = 0; !opt_json && i < install.spec.ndisks; i++)
    if (install.spec.disks[i].created)
      vk_cmd_warn(ctx, "created %s", install.spec.disks[i].path);
  if (install.ci.seed_created && !opt_json)
    vk_cmd_warn(ctx, "created the cloud-init seed %s", install.ci.seed_path);
  if (install.ci.root_password_generate)
    vk_cmd_warn(ctx, "the root password of %s is %s (it must be changed at the first login)", name,
                install.ci.root_password);
  if (!want_console()) {
    if (!opt_json && opt_graphical && install.spec.graphics)
      vk_cmd_warn(ctx, "domain %s is running; its display: vctl vncdisplay %s", name, name);
    else if (!opt_json)
      vk_cmd_warn(ctx, "domain %s is running; its console: vctl console %s", name, name);
  } else if (!attach_console(ctx, name)) {
    return finish(ctx, conn, NULL, VK_EXIT_FAILED);
  }

  if (opt_wait) {
    int state;
    if (!vk_domain_wait_state(install.dom, VK_STATE_BIT(VIR_DOMAIN_SHUTOFF), opt_wait_ms, &state,
                              &err)) {
      if (err->code == VK_EXIT_TIMEOUT)
        vk_error_prefix(
            &err, "domain %s is still running after %s%s", name, opt_wait_ms_given,
            isdigit((unsigned char)opt_wait_ms_given[strlen(opt_wait_ms_given) - 1]) ? " s" : "");
      destroy_on_exit(ctx, name);
      return finish(ctx, conn, err, 0);
    }
    if (!vk_install_finish(&install, conn, &err))
      return finish(ctx, conn, err, 0);
  } else if (install.ci.seed_created && (install.ci.disable || install.transient) && !opt_json) {
    vk_cmd_warn(ctx, "the seed is in no definition: remove %s once %s has booted",
                install.ci.seed_path, name);
  }
  destroy_on_exit(ctx, name);
  if (opt_json) {
    vk_json j_w, *j = vk_json_init(&j_w, ctx->out);
    ok = vk_install_report_json(&install, j, &err);
    if (!ok)
      return finish(ctx, conn, err, 0);
  }
  return finish(ctx, conn, NULL, 0);
}

static const vk_subcmd cmd = VK_CMD("vinstall", run, "", "Define and boot a new virtual machine",
                                    .options = options, .option = option);

static const vk_tool tool = {
  .name = "vinstall",
  .summary = "Define and boot a new virtual machine",
  .single = &cmd,
};

int
main(int argc, char **argv)
{
  vk_install_init(&install);
  return vk_tool_main(&tool, argc, argv);
}
