/* vctl — front end: one file per group of subcommands, the table in main.c. */
#ifndef VCTL_H
#define VCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cmd.h"
#include "util/json.h"
#include "util/table.h"
#include "virt/conn.h"
#include "virt/hosts.h"

/* -c/--connect URI (repeatable: popt's NULL-terminated array, NULL when
 * not given) and --hosts FILE, shared by every subcommand. */
extern const char **vctl_uris;
extern const char *vctl_hosts_file;

/* The hosts the command works on: the -c URIs (a -c that is a short name
 * of the hosts file is that host's URI), else the hosts file (--hosts,
 * else $VKIT_HOSTS), else none (h->n == 0: the default connection).
 * Returns false after printing the error, exit status in *rc. */
bool vctl_host_list(const vk_cmd_ctx *ctx, const vk_hosts **h, int *rc);

/* The URI of a host named on the command line (migrate's DEST-URI): a
 * short name of the hosts file, else the text itself. */
const char *vctl_host_uri(const char *name_or_uri);

/* Open the connection (read-only for inspection commands).  On failure
 * prints the message and stores the exit status in *rc.  More than one
 * host is a usage error: the command works on one. */
virConnectPtr vctl_open(const vk_cmd_ctx *ctx, bool readonly, int *rc);

/* Every host's connection, opened at once (one: the default). */
typedef struct vctl_conns {
  const vk_hosts *hosts; /* NULL for the default connection */
  size_t n;              /* connections, hosts->n or 1 */
  virConnectPtr *conns;  /* NULL where the host did not answer ... */
  char **errors;         /* ... and its message */
  bool many;             /* more than one host: print a HOST column */
  bool quiet;            /* vctl_fetch_all() keeps the messages, prints none */
} vctl_conns;

/* Open them; the message of each host that does not answer goes to
 * stderr.  Returns 0 when all answered, else the exit status of the
 * first failure (the others may still be used). */
int vctl_open_all(const vk_cmd_ctx *ctx, bool readonly, vctl_conns *out);
void vctl_conns_close(vctl_conns *c);
/* The host's URI and short name for output ("" for the default). */
const char *vctl_conns_uri(const vctl_conns *c, size_t i);
const char *vctl_conns_name(const vctl_conns *c, size_t i);

/* Call fetch for every host that answered.  A failure's message goes to
 * stderr (after the host's URI when there are several; not when c->quiet),
 * is kept in
 * c->errors[i], and its status in *rc if that is still 0.  Returns how
 * many hosts were fetched. */
size_t vctl_fetch_all(const vk_cmd_ctx *ctx, vctl_conns *c,
                      bool (*fetch)(virConnectPtr conn, size_t i, void *opaque, vk_error **errp),
                      void *opaque, int *rc);

/* With several hosts, the JSON record of host i that failed
 * ({"host": URI, "error": MESSAGE}); false (nothing written) otherwise. */
bool vctl_json_host_error(vk_json *j, const vctl_conns *c, size_t i);

/* Open the connection (read-only if asked) and find the domain named by
 * the first argument (id, UUID or name).  Returns a new reference with
 * *conn set (the caller frees both), or NULL after printing the error,
 * with the exit status in *rc. */
virDomainPtr vctl_domain(const vk_cmd_ctx *ctx, bool readonly, virConnectPtr *conn, int *rc);

/* With several hosts, the URI of the host vctl_domain() found the
 * domain on; NULL with one host. */
const char *vctl_domain_host(void);

/* Start of a handler that works on the domain named by its first
 * argument: declares conn, dom, err and rc, and returns the exit status
 * when the connection or the domain cannot be had. */
#define VCTL_DOMAIN_OR_RETURN(readonly) \
  CLEANUP_CONN virConnectPtr conn = NULL; \
  CLEANUP_DOMAIN virDomainPtr dom = NULL; \
  vk_error *err = NULL; \
  int rc = 0; \
  if (!(dom = vctl_domain(ctx, (readonly), &conn, &rc))) \
    return rc

/* One field of a record printed by vctl_print_records(). */
typedef struct {
  const char *key;     /* JSON key */
  const char *head;    /* table header (NULL: JSON only) */
  size_t off;          /* offsetof() the field: a const char * ... */
  bool flag;           /* ... or, if set, a bool */
} vctl_field;

/* Print n records of `size` bytes at `recs` on ctx->out: with json, an
 * array of objects with every field; else a table of the fields whose
 * indexes `cols` lists (ended by -1).  Returns an exit status. */
int vctl_print_records(const vk_cmd_ctx *ctx, bool json, const void *recs, size_t n, size_t size,
                       const vctl_field *fields, size_t nfields, const int *cols);

/* Print t (and a blank line, like virsh) on ctx->out and free it.
 * Returns 0, or an exit status after an out-of-memory message when the
 * table is NULL or lost a row. */
int vctl_print_table(const vk_cmd_ctx *ctx, vk_table *t);

/* Read the XML file (or standard input for "-") named by the first
 * argument and open a read-write connection.  Returns the XML (the caller
 * frees it) with *conn set, or NULL after printing the error, with the
 * exit status in *rc. */
char *vctl_read_xml(const vk_cmd_ctx *ctx, virConnectPtr *conn, int *rc);

/* Parse "SECS" of --wait[=SECS]-style options: NULL (no value) gives -1
 * (no limit); else a duration (vk_parse_duration: seconds, or 90s, 10m, 1h), in milliseconds.
 * Returns false with *errp set (usage error) for anything else. */
bool vctl_parse_secs(const char *opt, const char *arg, int *ms, vk_error **errp);

/* Parse a whole number (digits only) into *out; a usage error naming
 * `what` otherwise. */
bool vctl_parse_uint(const char *what, const char *arg, uint64_t *out, vk_error **errp);

/* edit, net-edit, pool-edit: edit obj's definition (virt/edit.h) and
 * say so as virsh does ("LABEL XML configuration edited." or "... not
 * changed.").  Returns an exit status. */
int vctl_edit_run(vk_cmd_ctx *ctx, int kind, void *obj, const char *label);

/* One statistics field's value as text (integers in full, doubles with
 * %g, booleans yes/no) on out; its key and value as a JSON member. */
struct vk_stat_field;
void vctl_print_stat_value(FILE *out, const struct vk_stat_field *f);
void vctl_json_stat_field(vk_json *j, const struct vk_stat_field *f);

/* Handlers, by file. */
int vctl_list(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_list_options[];

int vctl_start(vk_cmd_ctx *ctx);
int vctl_shutdown(vk_cmd_ctx *ctx);
int vctl_destroy(vk_cmd_ctx *ctx);
int vctl_reboot(vk_cmd_ctx *ctx);
int vctl_suspend(vk_cmd_ctx *ctx);
int vctl_resume(vk_cmd_ctx *ctx);
int vctl_autostart(vk_cmd_ctx *ctx);
int vctl_undefine(vk_cmd_ctx *ctx);
int vctl_define(vk_cmd_ctx *ctx);
int vctl_create(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_start_options[], vctl_shutdown_options[],
    vctl_destroy_options[], vctl_idem_options[], vctl_autostart_options[], vctl_undefine_options[],
    vctl_define_options[], vctl_reboot_options[];
bool vctl_lifecycle_option(int val, const char *arg, vk_error **errp);

int vctl_dumpxml(vk_cmd_ctx *ctx);
int vctl_dominfo(vk_cmd_ctx *ctx);
int vctl_domstate(vk_cmd_ctx *ctx);
int vctl_edit(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_dumpxml_options[], vctl_dominfo_options[],
  vctl_domstate_options[];

int vctl_domblklist(vk_cmd_ctx *ctx);
int vctl_domiflist(vk_cmd_ctx *ctx);
int vctl_domifaddr(vk_cmd_ctx *ctx);
int vctl_vncdisplay(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_domblklist_options[], vctl_domiflist_options[],
  vctl_domifaddr_options[];
bool vctl_devices_option(int val, const char *arg, vk_error **errp);

int vctl_setmem(vk_cmd_ctx *ctx);
int vctl_setmaxmem(vk_cmd_ctx *ctx);
int vctl_setvcpus(vk_cmd_ctx *ctx);
int vctl_domstats(vk_cmd_ctx *ctx);
int vctl_schedinfo(vk_cmd_ctx *ctx);
int vctl_memtune(vk_cmd_ctx *ctx);
int vctl_blkiotune(vk_cmd_ctx *ctx);
int vctl_numatune(vk_cmd_ctx *ctx);
int vctl_vcpucount(vk_cmd_ctx *ctx);
int vctl_vcpuinfo(vk_cmd_ctx *ctx);
int vctl_vcpupin(vk_cmd_ctx *ctx);
int vctl_emulatorpin(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_schedinfo_options[], vctl_memtune_options[],
    vctl_blkiotune_options[], vctl_numatune_options[], vctl_vcpu_options[];
extern const struct poptOption vctl_setmem_options[], vctl_setvcpus_options[],
  vctl_domstats_options[];

int vctl_domblkstat(vk_cmd_ctx *ctx);
int vctl_domifstat(vk_cmd_ctx *ctx);
int vctl_dommemstat(vk_cmd_ctx *ctx);
int vctl_domblkinfo(vk_cmd_ctx *ctx);
int vctl_domblkerror(vk_cmd_ctx *ctx);
int vctl_cpu_stats(vk_cmd_ctx *ctx);
int vctl_domcontrol(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_monitor_options[], vctl_dommemstat_options[],
    vctl_domblkinfo_options[], vctl_cpu_stats_options[];

int vctl_domid(vk_cmd_ctx *ctx);
int vctl_domname(vk_cmd_ctx *ctx);
int vctl_domuuid(vk_cmd_ctx *ctx);
int vctl_domrename(vk_cmd_ctx *ctx);
int vctl_reset(vk_cmd_ctx *ctx);
int vctl_desc(vk_cmd_ctx *ctx);
int vctl_metadata(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_desc_options[], vctl_metadata_options[];

int vctl_domtime(vk_cmd_ctx *ctx);
int vctl_domfsfreeze(vk_cmd_ctx *ctx);
int vctl_domfsthaw(vk_cmd_ctx *ctx);
int vctl_domfsinfo(vk_cmd_ctx *ctx);
int vctl_guestinfo(vk_cmd_ctx *ctx);
int vctl_domhostname(vk_cmd_ctx *ctx);
int vctl_screenshot(vk_cmd_ctx *ctx);
int vctl_send_key(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_screenshot_options[], vctl_send_key_options[];
extern const struct poptOption vctl_domtime_options[], vctl_fsfreeze_options[],
    vctl_guest_json_options[], vctl_guestinfo_options[], vctl_domhostname_options[];

int vctl_top(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_top_options[];
bool vctl_top_option(int val, const char *arg, vk_error **errp);

int vctl_net_list(vk_cmd_ctx *ctx);
int vctl_net_info(vk_cmd_ctx *ctx);
int vctl_net_define(vk_cmd_ctx *ctx);
int vctl_net_create(vk_cmd_ctx *ctx);
int vctl_net_start(vk_cmd_ctx *ctx);
int vctl_net_destroy(vk_cmd_ctx *ctx);
int vctl_net_undefine(vk_cmd_ctx *ctx);
int vctl_net_autostart(vk_cmd_ctx *ctx);
int vctl_net_dumpxml(vk_cmd_ctx *ctx);
int vctl_net_dhcp_leases(vk_cmd_ctx *ctx);
int vctl_net_name(vk_cmd_ctx *ctx);
int vctl_net_uuid(vk_cmd_ctx *ctx);
int vctl_net_define_as(vk_cmd_ctx *ctx);
int vctl_net_create_as(vk_cmd_ctx *ctx);
int vctl_net_edit(vk_cmd_ctx *ctx);
int vctl_net_update(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_net_list_options[], vctl_net_info_options[],
    vctl_net_idem_options[], vctl_net_autostart_options[], vctl_net_dumpxml_options[],
    vctl_net_leases_options[], vctl_net_define_as_options[], vctl_net_update_options[];

int vctl_snapshot_create_as(vk_cmd_ctx *ctx);
int vctl_snapshot_create(vk_cmd_ctx *ctx);
int vctl_snapshot_list(vk_cmd_ctx *ctx);
int vctl_snapshot_info(vk_cmd_ctx *ctx);
int vctl_snapshot_current(vk_cmd_ctx *ctx);
int vctl_snapshot_dumpxml(vk_cmd_ctx *ctx);
int vctl_snapshot_edit(vk_cmd_ctx *ctx);
int vctl_snapshot_parent(vk_cmd_ctx *ctx);
int vctl_snapshot_revert(vk_cmd_ctx *ctx);
int vctl_snapshot_delete(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_snapshot_create_as_options[], vctl_snapshot_create_options[],
    vctl_snapshot_list_options[], vctl_snapshot_info_options[], vctl_snapshot_current_options[],
    vctl_snapshot_dumpxml_options[], vctl_snapshot_revert_options[], vctl_snapshot_delete_options[];
bool vctl_snapshot_option(int val, const char *arg, vk_error **errp);

int vctl_migrate(vk_cmd_ctx *ctx);
int vctl_migrate_setspeed(vk_cmd_ctx *ctx);
int vctl_migrate_getspeed(vk_cmd_ctx *ctx);
int vctl_migrate_setmaxdowntime(vk_cmd_ctx *ctx);
int vctl_migrate_getmaxdowntime(vk_cmd_ctx *ctx);
int vctl_migrate_postcopy(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_migrate_options[], vctl_migrate_speed_options[],
    vctl_migrate_getspeed_options[], vctl_migrate_getmaxdowntime_options[];

int vctl_host_validate(vk_cmd_ctx *ctx);
int vctl_nodeinfo(vk_cmd_ctx *ctx);
int vctl_version(vk_cmd_ctx *ctx);
int vctl_hostname(vk_cmd_ctx *ctx);
int vctl_uri(vk_cmd_ctx *ctx);
int vctl_maxvcpus(vk_cmd_ctx *ctx);
int vctl_freecell(vk_cmd_ctx *ctx);
int vctl_nodememstats(vk_cmd_ctx *ctx);
int vctl_nodecpustats(vk_cmd_ctx *ctx);
int vctl_cpu_models(vk_cmd_ctx *ctx);
int vctl_capabilities(vk_cmd_ctx *ctx);
int vctl_domcapabilities(vk_cmd_ctx *ctx);
int vctl_sysinfo(vk_cmd_ctx *ctx);
int vctl_node_memory_tune(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_host_validate_options[], vctl_host_json_options[],
    vctl_maxvcpus_options[], vctl_freecell_options[], vctl_nodememstats_options[],
    vctl_nodecpustats_options[], vctl_cpu_models_options[], vctl_domcapabilities_options[],
    vctl_node_memory_tune_options[];

int vctl_pool_list(vk_cmd_ctx *ctx);
int vctl_pool_info(vk_cmd_ctx *ctx);
int vctl_pool_name(vk_cmd_ctx *ctx);
int vctl_pool_uuid(vk_cmd_ctx *ctx);
int vctl_pool_define_as(vk_cmd_ctx *ctx);
int vctl_pool_create_as(vk_cmd_ctx *ctx);
int vctl_pool_define(vk_cmd_ctx *ctx);
int vctl_pool_create(vk_cmd_ctx *ctx);
int vctl_pool_build(vk_cmd_ctx *ctx);
int vctl_pool_start(vk_cmd_ctx *ctx);
int vctl_pool_destroy(vk_cmd_ctx *ctx);
int vctl_pool_delete(vk_cmd_ctx *ctx);
int vctl_pool_undefine(vk_cmd_ctx *ctx);
int vctl_pool_autostart(vk_cmd_ctx *ctx);
int vctl_pool_refresh(vk_cmd_ctx *ctx);
int vctl_pool_dumpxml(vk_cmd_ctx *ctx);
int vctl_pool_capabilities(vk_cmd_ctx *ctx);
int vctl_pool_edit(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_pool_list_options[], vctl_pool_info_options[],
    vctl_pool_define_as_options[], vctl_pool_create_as_options[], vctl_pool_start_options[],
    vctl_pool_destroy_options[], vctl_pool_autostart_options[], vctl_pool_dumpxml_options[];

int vctl_vol_list(vk_cmd_ctx *ctx);
int vctl_vol_info(vk_cmd_ctx *ctx);
int vctl_vol_create_as(vk_cmd_ctx *ctx);
int vctl_vol_create(vk_cmd_ctx *ctx);
int vctl_vol_create_from(vk_cmd_ctx *ctx);
int vctl_vol_clone(vk_cmd_ctx *ctx);
int vctl_vol_delete(vk_cmd_ctx *ctx);
int vctl_vol_wipe(vk_cmd_ctx *ctx);
int vctl_vol_resize(vk_cmd_ctx *ctx);
int vctl_vol_upload(vk_cmd_ctx *ctx);
int vctl_vol_download(vk_cmd_ctx *ctx);
int vctl_vol_path(vk_cmd_ctx *ctx);
int vctl_vol_key(vk_cmd_ctx *ctx);
int vctl_vol_name(vk_cmd_ctx *ctx);
int vctl_vol_pool(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_vol_pool_pool_options[];
int vctl_vol_dumpxml(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_vol_list_options[], vctl_vol_info_options[],
    vctl_vol_pool_options[], vctl_vol_create_as_options[], vctl_vol_create_from_options[],
    vctl_vol_clone_options[], vctl_vol_resize_options[], vctl_vol_transfer_options[];

int vctl_attach_disk(vk_cmd_ctx *ctx);
int vctl_detach_disk(vk_cmd_ctx *ctx);
int vctl_attach_interface(vk_cmd_ctx *ctx);
int vctl_detach_interface(vk_cmd_ctx *ctx);
int vctl_attach_device(vk_cmd_ctx *ctx);
int vctl_detach_device(vk_cmd_ctx *ctx);
int vctl_detach_device_alias(vk_cmd_ctx *ctx);
int vctl_update_device(vk_cmd_ctx *ctx);
int vctl_domif_getlink(vk_cmd_ctx *ctx);
int vctl_domif_setlink(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_domif_link_options[];
int vctl_change_media(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_attach_disk_options[], vctl_detach_disk_options[],
    vctl_attach_interface_options[], vctl_detach_interface_options[], vctl_attach_device_options[],
    vctl_detach_device_options[], vctl_change_media_options[];
bool vctl_attach_option(int val, const char *arg, vk_error **errp);

int vctl_event(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_event_options[];

int vctl_save(vk_cmd_ctx *ctx);
int vctl_restore(vk_cmd_ctx *ctx);
int vctl_managedsave(vk_cmd_ctx *ctx);
int vctl_managedsave_remove(vk_cmd_ctx *ctx);
int vctl_managedsave_dumpxml(vk_cmd_ctx *ctx);
int vctl_save_image_dumpxml(vk_cmd_ctx *ctx);
int vctl_dump(vk_cmd_ctx *ctx);
int vctl_domjobinfo(vk_cmd_ctx *ctx);
int vctl_domjobabort(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_save_options[], vctl_managedsave_options[],
    vctl_managedsave_remove_options[], vctl_save_xml_options[], vctl_dump_options[],
    vctl_domjobinfo_options[];

int vctl_blockcommit(vk_cmd_ctx *ctx);
int vctl_blockpull(vk_cmd_ctx *ctx);
int vctl_blockcopy(vk_cmd_ctx *ctx);
int vctl_blockjob(vk_cmd_ctx *ctx);
int vctl_blockresize(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_blockcommit_options[], vctl_blockpull_options[],
    vctl_blockcopy_options[], vctl_blockjob_options[];
bool vctl_block_option(int val, const char *arg, vk_error **errp);

int vctl_console(vk_cmd_ctx *ctx);
extern const struct poptOption vctl_console_options[];
extern const char *vctl_console_log, *vctl_console_devname;
extern int vctl_console_force, vctl_console_timeout_ms;
bool vctl_console_option(int val, const char *arg, vk_error **errp);
/* Attach the console of dom as the console options say (resume: the
 * domain was started paused).  Returns an exit status. */
int vctl_console_attach(vk_cmd_ctx *ctx, virDomainPtr dom, bool resume);

#endif
