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

static const char *
per_sec(double v, char *buf)
{
  char s[VK_SIZE_BUFLEN];

  snprintf(buf, VK_SIZE_BUFLEN + 4, "%s/s", vk_format_size((uint64_t)(v + 0.5), s));
  return buf;
}

/* One row of the view: a domain of one host's sample. */
typedef struct row {
  const char *host; /* short name (several hosts), else NULL */
  const char *uri;
  const vk_top_dom *d;
} row;

/* Every host's samples: prev and cur, and the rows of cur sorted by CPU. */
typedef struct view {
  vctl_conns cs;
  vk_top_sample *prev, *cur;
  bool *have_prev, *have_cur;
  row *rows;
  size_t nrows;
} view;

static int
by_cpu(const void *a, const void *b)
{
  const row *x = a, *y = b;
  int c;

  if (x->d->cpu_percent != y->d->cpu_percent)
    return x->d->cpu_percent < y->d->cpu_percent ? 1 : -1;
  if ((c = strcmp(x->d->name, y->d->name)))
    return c;
  return strcmp(x->uri ? x->uri : "", y->uri ? y->uri : "");
}

static void
print_json(FILE *out, const view *v)
{
  vk_json j_w, *j = vk_json_init(&j_w, out);

  vk_json_begin_object(j);
  vk_json_kv_uint(j, "interval_ms", (uint64_t)opt_delay_ms);
  vk_json_key(j, "domains");
  vk_json_begin_array(j);
  for (size_t i = 0; i < v->nrows; i++) {
    const vk_top_dom *d = v->rows[i].d;
    vk_json_begin_object(j);
    if (v->cs.many)
      vk_json_kv_string(j, "host", v->rows[i].uri);
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
  if (v->cs.many) {
    vk_json_key(j, "errors");
    vk_json_begin_array(j);
    for (size_t h = 0; h < v->cs.n; h++)
      vctl_json_host_error(j, &v->cs, h);
    vk_json_end_array(j);
  }
  vk_json_end_object(j);
}

static bool
print_table(FILE *out, const view *v)
{
  static const char *const head[] = { "Host",       "Id",     "Name",   "State",
                                      "CPU%",       "vCPUs",  "Memory", "Disk read",
                                      "Disk write", "Net rx", "Net tx" };
  size_t skip = v->cs.many ? 0 : 1;
  vk_table *t = vk_table_new(11 - skip, head + skip);
  bool ok;

  for (size_t i = 0; i < v->nrows; i++) {
    const vk_top_dom *d = v->rows[i].d;
    char id[16], cpu[32], nv[16], mem[VK_SIZE_BUFLEN];
    char r[VK_SIZE_BUFLEN + 4], w[VK_SIZE_BUFLEN + 4], rx[VK_SIZE_BUFLEN + 4], tx[VK_SIZE_BUFLEN + 4];
    const char *cells[11] = { v->rows[i].host,
                              id,
                              d->name,
                              vk_state_text(d->state),
                              cpu,
                              nv,
                              vk_format_size(d->memory, mem),
                              per_sec(d->rd_bps, r),
                              per_sec(d->wr_bps, w),
                              per_sec(d->rx_bps, rx),
                              per_sec(d->tx_bps, tx) };

    snprintf(id, sizeof id, "%d", d->id);
    snprintf(cpu, sizeof cpu, "%.1f", d->cpu_percent);
    snprintf(nv, sizeof nv, "%u", d->vcpus);
    vk_table_add(t, cells + skip);
  }
  ok = vk_table_print(t, out);
  vk_table_free(t);
  return ok;
}

static bool
fetch_sample(virConnectPtr conn, size_t i, void *opaque, vk_error **errp)
{
  view *v = opaque;

  if (!vk_top_sample_get(conn, &v->cur[i], errp))
    return false;
  v->have_cur[i] = true;
  if (v->have_prev[i])
    vk_top_rates(&v->prev[i], &v->cur[i]);
  return true;
}

/* Sample every host (a host that fails is reported and left out); the
 * rows of the new samples, sorted.  Returns how many hosts answered. */
static size_t
sample(const vk_cmd_ctx *ctx, view *v, int *rc)
{
  size_t ok, n = 0;

  for (size_t h = 0; h < v->cs.n; h++) {
    if (!v->cs.conns[h])
      continue; /* did not answer at the start: its message stays */
    free(v->cs.errors[h]);
    v->cs.errors[h] = NULL;
  }
  ok = vctl_fetch_all(ctx, &v->cs, fetch_sample, v, rc);
  for (size_t h = 0; h < v->cs.n; h++)
    if (v->have_cur[h])
      n += v->cur[h].n;
  free(v->rows);
  v->nrows = 0;
  if (!(v->rows = calloc(n ? n : 1, sizeof *v->rows)))
    return 0;
  for (size_t h = 0; h < v->cs.n; h++)
    for (size_t i = 0; v->have_cur[h] && i < v->cur[h].n; i++)
      v->rows[v->nrows++] = (row){ v->cs.many ? vctl_conns_name(&v->cs, h) : NULL,
                                   vctl_conns_uri(&v->cs, h), &v->cur[h].d[i] };
  qsort(v->rows, v->nrows, sizeof *v->rows, by_cpu);
  return ok;
}

/* cur becomes prev. */
static void
rotate(view *v)
{
  for (size_t h = 0; h < v->cs.n; h++) {
    if (v->have_prev[h])
      vk_top_sample_free(&v->prev[h]);
    v->prev[h] = v->cur[h];
    v->have_prev[h] = v->have_cur[h];
    v->have_cur[h] = false;
    memset(&v->cur[h], 0, sizeof v->cur[h]);
  }
}

static void
view_free(view *v)
{
  for (size_t h = 0; h < v->cs.n; h++) {
    if (v->have_prev && v->have_prev[h])
      vk_top_sample_free(&v->prev[h]);
    if (v->have_cur && v->have_cur[h])
      vk_top_sample_free(&v->cur[h]);
  }
  free(v->prev);
  free(v->cur);
  free(v->have_prev);
  free(v->have_cur);
  free(v->rows);
  vctl_conns_close(&v->cs);
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
  view v = { 0 };
  vk_error *err = NULL;
  bool live = !opt_once && !opt_json && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
  int rc = vctl_open_all(ctx, true, &v.cs);
  size_t n = v.cs.n;

  if (!n)
    return rc;
  v.prev = calloc(n, sizeof *v.prev);
  v.cur = calloc(n, sizeof *v.cur);
  v.have_prev = calloc(n, sizeof *v.have_prev);
  v.have_cur = calloc(n, sizeof *v.have_cur);
  if (!v.prev || !v.cur || !v.have_prev || !v.have_cur) {
    view_free(&v);
    return vk_cmd_fail(ctx, NULL);
  }
  if (!sample(ctx, &v, &rc)) {
    view_free(&v);
    return rc ? rc : vk_cmd_fail(ctx, NULL);
  }
  rotate(&v);
  if (!live) {
    int rc2 = 0;
    nanosleep(&(struct timespec){ opt_delay_ms / 1000, (opt_delay_ms % 1000) * 1000000L }, NULL);
    if (!sample(ctx, &v, &rc2)) {
      view_free(&v);
      return rc2 ? rc2 : vk_cmd_fail(ctx, NULL);
    }
    if (!rc)
      rc = rc2;
    if (opt_json)
      print_json(ctx->out, &v);
    else if (!print_table(ctx->out, &v))
      rc = vk_cmd_fail(ctx, NULL);
    view_free(&v);
    /* with several hosts, a host that failed does not hide the others */
    ctx->partial = rc != 0;
    return rc;
  }

  /* Live view: the terminal without line buffering or echo, 'q' quits;
   * a signal restores the terminal and ends vctl the way it asked.  A
   * host that stops answering is named in the header; with one host,
   * that ends the view. */
  if (!vk_cancel_start(&err)) {
    view_free(&v);
    return vk_cmd_fail(ctx, err);
  }
  vk_term_raw(STDIN_FILENO, true);
  rc = 0;
  v.cs.quiet = v.cs.many; /* a host's failure goes in the header */
  while (!wait_key(opt_delay_ms)) {
    char when[32];
    time_t now = time(NULL);
    size_t answered;
    int hrc = 0;

    answered = sample(ctx, &v, &hrc);
    if (!answered) {
      rc = hrc ? hrc : VK_EXIT_FAILED;
      break;
    }
    strftime(when, sizeof when, "%H:%M:%S", localtime(&now));
    printf("\033[H\033[2J");
    printf("vctl top - %s - %zu running domain%s", when, v.nrows, v.nrows == 1 ? "" : "s");
    if (v.cs.many)
      printf(" on %zu of %zu hosts", answered, v.cs.n);
    printf(" - refresh %.1f s, q to quit\n", opt_delay_ms / 1000.0);
    for (size_t h = 0; h < v.cs.n; h++)
      if (v.cs.errors[h])
        printf("%s: %s\n", vctl_conns_name(&v.cs, h), v.cs.errors[h]);
    putchar('\n');
    print_table(stdout, &v);
    fflush(stdout);
    rotate(&v);
  }
  vk_term_restore();
  view_free(&v);
  vk_cancel_finish();
  return rc;
}
