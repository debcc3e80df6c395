/* vkit — names of domain states and state reasons. */
#include <config.h>

#include <stddef.h>

#include <libvirt/libvirt.h>

#include "virt/domstate.h"

struct name {
  int value;
  const char *text, *word;
};

static const struct name states[] = {
  { VIR_DOMAIN_NOSTATE, "no state", "nostate" },
  { VIR_DOMAIN_RUNNING, "running", "running" },
  { VIR_DOMAIN_BLOCKED, "idle", "blocked" },
  { VIR_DOMAIN_PAUSED, "paused", "paused" },
  { VIR_DOMAIN_SHUTDOWN, "in shutdown", "shutdown" },
  { VIR_DOMAIN_SHUTOFF, "shut off", "shutoff" },
  { VIR_DOMAIN_CRASHED, "crashed", "crashed" },
  { VIR_DOMAIN_PMSUSPENDED, "pmsuspended", "pmsuspended" },
};

static const struct name running_reasons[] = {
  { VIR_DOMAIN_RUNNING_BOOTED, "booted", "booted" },
  { VIR_DOMAIN_RUNNING_MIGRATED, "migrated", "migrated" },
  { VIR_DOMAIN_RUNNING_RESTORED, "restored", "restored" },
  { VIR_DOMAIN_RUNNING_FROM_SNAPSHOT, "from snapshot", "from_snapshot" },
  { VIR_DOMAIN_RUNNING_UNPAUSED, "unpaused", "unpaused" },
  { VIR_DOMAIN_RUNNING_MIGRATION_CANCELED, "migration canceled", "migration_canceled" },
  { VIR_DOMAIN_RUNNING_SAVE_CANCELED, "save canceled", "save_canceled" },
  { VIR_DOMAIN_RUNNING_WAKEUP, "event wakeup", "wakeup" },
  { VIR_DOMAIN_RUNNING_CRASHED, "crashed", "crashed" },
  { VIR_DOMAIN_RUNNING_POSTCOPY, "post-copy", "postcopy" },
  { -1, NULL, NULL },
};

static const struct name paused_reasons[] = {
  { VIR_DOMAIN_PAUSED_USER, "user", "user" },
  { VIR_DOMAIN_PAUSED_MIGRATION, "migrating", "migrating" },
  { VIR_DOMAIN_PAUSED_SAVE, "saving", "saving" },
  { VIR_DOMAIN_PAUSED_DUMP, "dumping", "dumping" },
  { VIR_DOMAIN_PAUSED_IOERROR, "I/O error", "io_error" },
  { VIR_DOMAIN_PAUSED_WATCHDOG, "watchdog", "watchdog" },
  { VIR_DOMAIN_PAUSED_FROM_SNAPSHOT, "from snapshot", "from_snapshot" },
  { VIR_DOMAIN_PAUSED_SHUTTING_DOWN, "shutting down", "shutting_down" },
  { VIR_DOMAIN_PAUSED_SNAPSHOT, "creating snapshot", "creating_snapshot" },
  { VIR_DOMAIN_PAUSED_CRASHED, "crashed", "crashed" },
  { VIR_DOMAIN_PAUSED_STARTING_UP, "starting up", "starting_up" },
  { VIR_DOMAIN_PAUSED_POSTCOPY, "post-copy", "postcopy" },
  { VIR_DOMAIN_PAUSED_POSTCOPY_FAILED, "post-copy failed", "postcopy_failed" },
  { -1, NULL, NULL },
};

static const struct name shutdown_reasons[] = {
  { VIR_DOMAIN_SHUTDOWN_USER, "user", "user" },
  { -1, NULL, NULL },
};

static const struct name shutoff_reasons[] = {
  { VIR_DOMAIN_SHUTOFF_SHUTDOWN, "shutdown", "shutdown" },
  { VIR_DOMAIN_SHUTOFF_DESTROYED, "destroyed", "destroyed" },
  { VIR_DOMAIN_SHUTOFF_CRASHED, "crashed", "crashed" },
  { VIR_DOMAIN_SHUTOFF_MIGRATED, "migrated", "migrated" },
  { VIR_DOMAIN_SHUTOFF_SAVED, "saved", "saved" },
  { VIR_DOMAIN_SHUTOFF_FAILED, "failed", "failed" },
  { VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT, "from snapshot", "from_snapshot" },
  { VIR_DOMAIN_SHUTOFF_DAEMON, "daemon", "daemon" },
  { -1, NULL, NULL },
};

static const struct name crashed_reasons[] = {
  { VIR_DOMAIN_CRASHED_PANICKED, "panicked", "panicked" },
  { -1, NULL, NULL },
};

static const struct name *
find_state(int state)
{
  for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
    if (states[i].value == state)
      return &states[i];
  return &states[0];
}

const char *
vk_state_text(int state)
{
  return find_state(state)->text;
}

const char *
vk_state_word(int state)
{
  return find_state(state)->word;
}

static const struct name *
find_reason(int state, int reason)
{
  const struct name *t;

  switch (state) {
  case VIR_DOMAIN_RUNNING: t = running_reasons; break;
  case VIR_DOMAIN_PAUSED: t = paused_reasons; break;
  case VIR_DOMAIN_SHUTDOWN: t = shutdown_reasons; break;
  case VIR_DOMAIN_SHUTOFF: t = shutoff_reasons; break;
  case VIR_DOMAIN_CRASHED: t = crashed_reasons; break;
  default: return NULL;
  }
  for (; t->text; t++)
    if (t->value == reason)
      return t;
  return NULL;
}

const char *
vk_state_reason_text(int state, int reason)
{
  const struct name *n = find_reason(state, reason);
  return n ? n->text : "unknown";
}

const char *
vk_state_reason_word(int state, int reason)
{
  const struct name *n = find_reason(state, reason);
  return n ? n->word : "unknown";
}
