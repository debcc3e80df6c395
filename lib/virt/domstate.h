/* vkit — names of domain states and state reasons. */
#ifndef VK_VIRT_DOMSTATE_H
#define VK_VIRT_DOMSTATE_H

/* virsh's wording for a virDomainState: "running", "shut off", "idle",
 * "in shutdown", ...  Static string. */
const char *vk_state_text(int state);

/* One word for JSON: "running", "shutoff", "blocked", "shutdown", "paused",
 * "crashed", "pmsuspended", "nostate".  Static string. */
const char *vk_state_word(int state);

/* virsh's wording for a state reason ("booted", "destroyed", "from
 * snapshot", ...); "unknown" for one it does not know.  Static string. */
const char *vk_state_reason_text(int state, int reason);

/* The reason as one snake_case word for JSON ("from_snapshot"). */
const char *vk_state_reason_word(int state, int reason);

#endif
