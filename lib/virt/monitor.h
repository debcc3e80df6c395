/* vkit — a domain's counters for scripts: block and interface
 * statistics, memory statistics, block sizes and errors, CPU time per
 * host CPU, the state of its monitor.  Each result is a vk_stat_record
 * (virt/stats.h): named fields, printed as text or JSON by the caller. */
#ifndef VK_VIRT_MONITOR_H
#define VK_VIRT_MONITOR_H

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "util/error.h"
#include "virt/stats.h"

/* The I/O counters of disk `dev` (target "vda" or source path; NULL or
 * "": the sum over every disk), with virsh's names: rd_req, rd_bytes,
 * wr_req, wr_bytes, flush_operations, rd_total_times, wr_total_times,
 * flush_total_times, errs (what the hypervisor has).  The record is
 * named after dev ("" for the sum). */
bool vk_dom_blkstat(virDomainPtr dom, const char *dev, vk_stat_record *out, vk_error **errp);

/* The counters of interface `iface` (host device "vnet0" or MAC): rx_bytes,
 * rx_packets, rx_errs, rx_drop, tx_bytes, tx_packets, tx_errs, tx_drop
 * (those the hypervisor counts). */
bool vk_dom_ifstat(virDomainPtr dom, const char *iface, vk_stat_record *out, vk_error **errp);

/* The balloon's memory statistics (KiB, as libvirt gives them): actual,
 * rss, and with a guest driver swap_in, swap_out, major_fault, minor_fault,
 * unused, available, usable, disk_caches, last_update (seconds since the
 * epoch), hugetlb_pgalloc, hugetlb_pgfail. */
bool vk_dom_memstat(virDomainPtr dom, vk_stat_record *out, vk_error **errp);

/* How often the guest's balloon driver refreshes them (seconds; 0
 * stops); flags VIR_DOMAIN_AFFECT_*. */
bool vk_dom_memstat_period(virDomainPtr dom, int secs, unsigned flags, vk_error **errp);

/* capacity, allocation and physical (bytes) of disk `dev`. */
bool vk_dom_blkinfo(virDomainPtr dom, const char *dev, vk_stat_record *out, vk_error **errp);

/* The disks that hit an I/O error: one string field per disk (its
 * target or path), "unspec", "no space". */
bool vk_dom_blkerrors(virDomainPtr dom, vk_stat_record *out, vk_error **errp);

/* CPU time per host CPU (records "CPU0", ...: cpu_time and vcpu_time in
 * nanoseconds) from `start` (count CPUs; -1: to the last), and with
 * `total` a last record "Total" (cpu_time, user_time, system_time). */
/* With percpu_unsupported non-NULL, a host that keeps no time per CPU
 * (cgroup v2) sets it and gives the total only, instead of failing. */
bool vk_dom_cpustats(virDomainPtr dom, int start, int count, bool total, bool *percpu_unsupported,
                     vk_stat_list *out, vk_error **errp);

/* The state of libvirt's control of dom: state (ok, job, occupied,
 * error), details (error: unknown, monitor, internal) and state_time
 * (milliseconds in the state, for job and occupied). */
bool vk_dom_control(virDomainPtr dom, vk_stat_record *out, vk_error **errp);

#endif
