/* vctl top: running domains with CPU, memory, disk and network rates. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/cancel.h"
#include "util/json.h"
#include "util/size.h"
#include "virt/domstate.h"
#include "virt/stats.h"
#include "util/table.h"
#include "vctl.h"

static int opt_once, opt_json;
static int opt_delay_ms = 1000;

enum { OPT_DELAY = 1 };

const struct poptOption vctl_top_options[] = {
  { "once", '\0', POPT_ARG_NONE, &opt_once, 0, "print one report and exit", NULL },
  { "delay", 'd', POPT_ARG_STRING, NULL, OPT_DELAY,
    "seconds between refreshes, and the measuring interval (default 1)", "SECS" },
  VK_OPT_JSON(opt_json, "print a JSON object (implies --once)"),
  POPT_TABLEEND
};

bool
vctl_top_option(int val, const char *arg, vk_error **errp)
{
  if (val != OPT_DELAY)
    return false;
  if (!vctl_parse_secs("delay", arg ? arg : "", &opt_delay_ms, errp))
    return false;
  if (opt_delay_ms < 100)
    return vk_error_set(errp, VK_EXIT_USAGE, "--delay: at least 0.1 seconds");
  return true;
}

static int
by_cpu(const void *a, const void *b)
{
  const vk_top_dom *x = a, *y = b;

  if (x->cpu_percent != y->cpu_percent)
    return x->cpu_percent < y->cpu_percent ? 1 : -1;
  return strcmp(x->name, y->name);
}

static const char *
per_sec(double v, char *buf)
{
  char s[VK_SIZE_BUFLEN];

  snprintf(buf, VK_SIZE_BUFLEN + 4, "%s/s", vk_format_size((uint64_t)(v + 0.5), s));
  return buf;
}

static void
print_json(FILE *out, const vk_top_sample *s)
{
  vk_json j_w, *j = vk_json_init(&j_w, out);

  vk_json_begin_object(j);
  vk_json_kv_uint(j, "interval_ms", (uint64_t)opt_delay_ms);
  vk_json_key(j, "domains");
  vk_json_begin_array(j);
  for (size_t i = 0; i < s->n; i++) {
    const vk_top_dom *d = &s->d[i];
    vk_json_begin_object(j);
    vk_json_kv_int(j, "id", d->id);
    vk_json_kv_string(j, "name", d->name);
    vk_json_kv_string(j, "state", vk_state_word(d->state));
    vk_json_kv_uint(j, "vcpus", d->vcpus);
    vk_json_kv_double(j, "cpu_percent", round(d->cpu_percent * 10) / 10);
    vk_json_kv_uint(j, "memory", d->memory);
    vk_json_kv_uint(j, "disk_read_bytes_per_sec", (uint64_t)(d->rd_bps + 0.5));
    vk_json_kv_uint(j, "disk_write_bytes_per_sec", (uint64_t)(d->wr_bps + 0.5));
    vk_json_kv_uint(j, "net_rx_bytes_per_sec", (uint64_t)(d->rx_bps + 0.5));
    vk_json_kv_uint(j, "net_tx_bytes_per_sec", (uint64_t)(d->tx_bps + 0.5));
    vk_json_end_object(j);
  }
  vk_json_end_array(j);
  vk_json_end_object(j);
}

static bool
print_table(FILE *out, const vk_top_sample *s)
{
  static const char *const head[] = { "Id", "Name", "State", "CPU%", "vCPUs", "Memory",
                                      "Disk read", "Disk write", "Net rx", "Net tx" };
  vk_table *t = vk_table_new(10, head);
  bool ok;

  for (size_t i = 0; i < s->n; i++) {
    const vk_top_dom *d = &s->d[i];
    char id[16], cpu[32], nv[16], mem[VK_SIZE_BUFLEN];
    char r[VK_SIZE_BUFLEN + 4], w[VK_SIZE_BUFLEN + 4], rx[VK_SIZE_BUFLEN + 4], tx[VK_SIZE_BUFLEN + 4];
    const char *row[10] = { id, d->name, vk_state_text(d->state), cpu, nv,
                            vk_format_size(d->memory, mem), per_sec(d->rd_bps, r),
                            per_sec(d->wr_bps, w), per_sec(d->rx_bps, rx), per_sec(d->tx_bps, tx) };

    snprintf(id, sizeof id, "%d", d->id);
    snprintf(cpu, sizeof cpu, "%.1f", d->cpu_percent);
    snprintf(nv, sizeof nv, "%u", d->vcpus);
    vk_table_add(t, row);
  }
  ok = vk_table_print(t, out);
  vk_table_free(t);
  return ok;
}

/* Take a sample; on success compute rates against prev (if any). */
static bool
sample(virConnectPtr conn, vk_top_sample *prev, vk_top_sample *cur, vk_error **errp)
{
  if (!vk_top_sample_get(conn, cur, errp))
    return false;
  if (prev) {
    vk_top_rates(prev, cur);
    qsort(cur->d, cur->n, sizeof *cur->d, by_cpu);
  }
  return true;
}

/* Wait up to ms for 'q' on the terminal; true when the user asked to
 * quit, or a signal asked to stop. */
static bool
wait_key(int ms)
{
  struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
                         { .fd = vk_cancel_fd(), .events = POLLIN } };
  char c;

  if (poll(p, 2, ms) > 0 && (p[0].revents & POLLIN) && read(STDIN_FILENO, &c, 1) == 1)
    return c == 'q' || c == 'Q';
  return vk_cancelled() != 0;
}

int
vctl_top(vk_cmd_ctx *ctx)
{
  CLEANUP_CONN virConnectPtr conn = NULL;
  vk_top_sample prev, cur;
  vk_error *err = NULL;
  bool live = !opt_once && !opt_json && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
  int rc = 0;

  if (!(conn = vctl_open(ctx, true, &rc)))
    return rc;
  if (!sample(conn, NULL, &prev, &err))
    return vk_cmd_fail(ctx, err);
  if (!live) {
    nanosleep(&(struct timespec){ opt_delay_ms / 1000, (opt_delay_ms % 1000) * 1000000L }, NULL);
    if (!sample(conn, &prev, &cur, &err)) {
      vk_top_sample_free(&prev);
      return vk_cmd_fail(ctx, err);
    }
    if (opt_json)
      print_json(ctx->out, &cur);
    else if (!print_table(ctx->out, &cur))
      rc = vk_cmd_fail(ctx, NULL);
    vk_top_sample_free(&prev);
    vk_top_sample_free(&cur);
    return rc;
  }

  /* Live view: the terminal without line buffering or echo, 'q' quits;
   * a signal restores the terminal and ends vctl the way it asked. */
  if (!vk_cancel_start(&err)) {
    vk_top_sample_free(&prev);
    return vk_cmd_fail(ctx, err);
  }
  vk_term_raw(STDIN_FILENO, true);
  while (!wait_key(opt_delay_ms)) {
    char when[32];
    time_t now = time(NULL);

    if (!sample(conn, &prev, &cur, &err)) {
      rc = -1;
      break;
    }
    strftime(when, sizeof when, "%H:%M:%S", localtime(&now));
    printf("\033[H\033[2J");
    printf("vctl top - %s - %zu running domain%s - refresh %.1f s, q to quit\n\n",
           when, cur.n, cur.n == 1 ? "" : "s", opt_delay_ms / 1000.0);
    print_table(stdout, &cur);
    fflush(stdout);
    vk_top_sample_free(&prev);
    prev = cur;
  }
  vk_term_restore();
  vk_top_sample_free(&prev);
  vk_cancel_finish();
  if (rc < 0)
    return vk_cmd_fail(ctx, err);
  return 0;
}
