/* vctl — list, start, stop, inspect and change VMs through libvirt. */
#include <config.h>

#include <locale.h>

#include "vctl.h"

const char *vctl_uri;

static const struct poptOption common_options[] = {
  { "connect", 'c', POPT_ARG_STRING, &vctl_uri, 0,
    "hypervisor connection URI (default: $LIBVIRT_DEFAULT_URI, else libvirt's default)", "URI" },
  POPT_TABLEEND
};

static const vk_subcmd cmds[] = {
  VK_CMD("list", vctl_list, "", "List domains", .options = vctl_list_options),
  VK_CMD("start", vctl_start, "DOMAIN", "Start a defined domain",
         .options = vctl_start_options, .flags = VK_CMD_DIRECT, .option = vctl_lifecycle_option),
  VK_CMD("shutdown", vctl_shutdown, "DOMAIN", "Ask a domain's guest to power off",
         .options = vctl_shutdown_options, .option = vctl_lifecycle_option),
  VK_CMD("destroy", vctl_destroy, "DOMAIN", "Power a domain off at once",
         .options = vctl_destroy_options),
  VK_CMD("reboot", vctl_reboot, "DOMAIN", "Reboot a running domain"),
  VK_CMD("suspend", vctl_suspend, "DOMAIN", "Pause a running domain", .options = vctl_idem_options),
  VK_CMD("resume", vctl_resume, "DOMAIN", "Unpause a paused domain", .options = vctl_idem_options),
  VK_CMD("autostart", vctl_autostart, "DOMAIN", "Start a domain when the host boots (or not)",
         .options = vctl_autostart_options),
  VK_CMD("undefine", vctl_undefine, "DOMAIN", "Remove a domain's definition (and storage)",
         .options = vctl_undefine_options),
  VK_CMD("define", vctl_define, "FILE|-", "Define a domain from an XML file",
         .options = vctl_define_options),
  VK_CMD("create", vctl_create, "FILE|-", "Create and start a transient domain from an XML file",
         .options = vctl_define_options),
  VK_CMD("dumpxml", vctl_dumpxml, "DOMAIN", "Print a domain's XML",
         .options = vctl_dumpxml_options),
  VK_CMD("dominfo", vctl_dominfo, "DOMAIN", "Show basic facts about a domain",
         .options = vctl_dominfo_options),
  VK_CMD("domstate", vctl_domstate, "DOMAIN", "Show a domain's state",
         .options = vctl_domstate_options),
  VK_CMD("domblklist", vctl_domblklist, "DOMAIN", "List a domain's disks",
         .options = vctl_domblklist_options),
  VK_CMD("domiflist", vctl_domiflist, "DOMAIN", "List a domain's network interfaces",
         .options = vctl_domiflist_options),
  VK_CMD("domifaddr", vctl_domifaddr, "DOMAIN", "Show a running domain's IP addresses",
         .options = vctl_domifaddr_options, .option = vctl_devices_option),
  VK_CMD("vncdisplay", vctl_vncdisplay, "DOMAIN", "Show a running domain's VNC display"),
  VK_CMD("setmem", vctl_setmem, "DOMAIN SIZE", "Change a domain's current memory",
         .options = vctl_setmem_options),
  VK_CMD("setmaxmem", vctl_setmaxmem, "DOMAIN SIZE", "Change a domain's maximum memory",
         .options = vctl_setmem_options),
  VK_CMD("setvcpus", vctl_setvcpus, "DOMAIN COUNT", "Change a domain's number of virtual CPUs",
         .options = vctl_setvcpus_options),
  VK_CMD("domstats", vctl_domstats, "[DOMAIN...]", "Show libvirt's statistics of domains",
         .options = vctl_domstats_options),
  VK_CMD("top", vctl_top, "", "Live view of running domains: CPU, memory, disk and network",
         .options = vctl_top_options, .flags = VK_CMD_DIRECT, .option = vctl_top_option),
  VK_CMD("net-list", vctl_net_list, "", "List virtual networks", .options = vctl_net_list_options),
  VK_CMD("net-info", vctl_net_info, "NETWORK", "Show basic facts about a network",
         .options = vctl_net_info_options),
  VK_CMD("net-define", vctl_net_define, "FILE|-", "Define a network from an XML file"),
  VK_CMD("net-create", vctl_net_create, "FILE|-", "Create and start a transient network from an XML file",
         ),
  VK_CMD("net-start", vctl_net_start, "NETWORK", "Start a defined network",
         .options = vctl_net_idem_options),
  VK_CMD("net-destroy", vctl_net_destroy, "NETWORK", "Stop a network",
         .options = vctl_net_idem_options),
  VK_CMD("net-undefine", vctl_net_undefine, "NETWORK", "Remove a network's definition"),
  VK_CMD("net-autostart", vctl_net_autostart, "NETWORK", "Start a network when the host boots (or not)",
         .options = vctl_net_autostart_options),
  VK_CMD("net-dumpxml", vctl_net_dumpxml, "NETWORK", "Print a network's XML",
         .options = vctl_net_dumpxml_options),
  VK_CMD("net-dhcp-leases", vctl_net_dhcp_leases, "NETWORK", "Show the DHCP leases of a network",
         .options = vctl_net_leases_options),
  VK_CMD("console", vctl_console, "DOMAIN", "Attach to a domain's serial console",
         .options = vctl_console_options, .flags = VK_CMD_DIRECT, .option = vctl_console_option),
  { 0 }
};

static const vk_tool tool = {
  .name = "vctl",
  .summary = "Manage virtual machines, networks and snapshots through libvirt",
  .cmds = cmds,
  .common = common_options,
};

int
main(int argc, char **argv)
{
  setlocale(LC_CTYPE, "");
  return vk_tool_main(&tool, argc, argv);
}
