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

#define DOM "[OPTIONS] DOMAIN"
#define NET "[OPTIONS] NETWORK"

static const vk_subcmd cmds[] = {
  { "list", vctl_list, "[OPTIONS]", "List domains", vctl_list_options, 0, 0, 0, NULL },
  { "start", vctl_start, DOM, "Start a defined domain", vctl_start_options, 1, 1, VK_CMD_DIRECT, vctl_lifecycle_option },
  { "shutdown", vctl_shutdown, DOM, "Ask a domain's guest to power off", vctl_shutdown_options, 1, 1, 0, vctl_lifecycle_option },
  { "destroy", vctl_destroy, DOM, "Power a domain off at once", vctl_destroy_options, 1, 1, 0, NULL },
  { "reboot", vctl_reboot, DOM, "Reboot a running domain", NULL, 1, 1, 0, NULL },
  { "suspend", vctl_suspend, DOM, "Pause a running domain", vctl_idem_options, 1, 1, 0, NULL },
  { "resume", vctl_resume, DOM, "Unpause a paused domain", vctl_idem_options, 1, 1, 0, NULL },
  { "autostart", vctl_autostart, DOM, "Start a domain when the host boots (or not)", vctl_autostart_options, 1, 1, 0, NULL },
  { "undefine", vctl_undefine, DOM, "Remove a domain's definition (and storage)", vctl_undefine_options, 1, 1, 0, NULL },
  { "define", vctl_define, "[OPTIONS] FILE|-", "Define a domain from an XML file", vctl_define_options, 1, 1, 0, NULL },
  { "create", vctl_create, "[OPTIONS] FILE|-", "Create and start a transient domain from an XML file", vctl_define_options, 1, 1, 0, NULL },
  { "dumpxml", vctl_dumpxml, DOM, "Print a domain's XML", vctl_dumpxml_options, 1, 1, 0, NULL },
  { "dominfo", vctl_dominfo, DOM, "Show basic facts about a domain", vctl_dominfo_options, 1, 1, 0, NULL },
  { "domstate", vctl_domstate, DOM, "Show a domain's state", vctl_domstate_options, 1, 1, 0, NULL },
  { "domblklist", vctl_domblklist, DOM, "List a domain's disks", vctl_domblklist_options, 1, 1, 0, NULL },
  { "domiflist", vctl_domiflist, DOM, "List a domain's network interfaces", vctl_domiflist_options, 1, 1, 0, NULL },
  { "domifaddr", vctl_domifaddr, DOM, "Show a running domain's IP addresses", vctl_domifaddr_options, 1, 1, 0, vctl_devices_option },
  { "vncdisplay", vctl_vncdisplay, DOM, "Show a running domain's VNC display", NULL, 1, 1, 0, NULL },
  { "setmem", vctl_setmem, "[OPTIONS] DOMAIN SIZE", "Change a domain's current memory", vctl_setmem_options, 2, 2, 0, NULL },
  { "setmaxmem", vctl_setmaxmem, "[OPTIONS] DOMAIN SIZE", "Change a domain's maximum memory", vctl_setmem_options, 2, 2, 0, NULL },
  { "setvcpus", vctl_setvcpus, "[OPTIONS] DOMAIN COUNT", "Change a domain's number of virtual CPUs", vctl_setvcpus_options, 2, 2, 0, NULL },
  { "domstats", vctl_domstats, "[OPTIONS] [DOMAIN...]", "Show libvirt's statistics of domains", vctl_domstats_options, 0, -1, 0, NULL },
  { "top", vctl_top, "[OPTIONS]", "Live view of running domains: CPU, memory, disk and network", vctl_top_options, 0, 0, VK_CMD_DIRECT, vctl_top_option },
  { "net-list", vctl_net_list, "[OPTIONS]", "List virtual networks", vctl_net_list_options, 0, 0, 0, NULL },
  { "net-info", vctl_net_info, NET, "Show basic facts about a network", vctl_net_info_options, 1, 1, 0, NULL },
  { "net-define", vctl_net_define, "FILE|-", "Define a network from an XML file", NULL, 1, 1, 0, NULL },
  { "net-create", vctl_net_create, "FILE|-", "Create and start a transient network from an XML file", NULL, 1, 1, 0, NULL },
  { "net-start", vctl_net_start, NET, "Start a defined network", vctl_net_idem_options, 1, 1, 0, NULL },
  { "net-destroy", vctl_net_destroy, NET, "Stop a network", vctl_net_idem_options, 1, 1, 0, NULL },
  { "net-undefine", vctl_net_undefine, NET, "Remove a network's definition", NULL, 1, 1, 0, NULL },
  { "net-autostart", vctl_net_autostart, NET, "Start a network when the host boots (or not)", vctl_net_autostart_options, 1, 1, 0, NULL },
  { "net-dumpxml", vctl_net_dumpxml, NET, "Print a network's XML", vctl_net_dumpxml_options, 1, 1, 0, NULL },
  { "net-dhcp-leases", vctl_net_dhcp_leases, NET, "Show the DHCP leases of a network", vctl_net_leases_options, 1, 1, 0, NULL },
  { "console", vctl_console, DOM, "Attach to a domain's serial console", vctl_console_options, 1, 1, VK_CMD_DIRECT, vctl_console_option },
  { NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
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
