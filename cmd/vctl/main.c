/* vctl — list, start, stop, inspect and change VMs through libvirt. */
#include <config.h>

#include "vctl.h"

const char *vctl_uri;

static const struct poptOption common_options[] = {
  { "connect", 'c', POPT_ARG_STRING, &vctl_uri, 0,
    "hypervisor connection URI (default: $LIBVIRT_DEFAULT_URI, else libvirt's default)", "URI" },
  POPT_TABLEEND
};

static const vk_subcmd cmds[] = {
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
  return vk_tool_main(&tool, argc, argv);
}
