/* vkit — subcommand dispatch on popt, shared by the four front ends.
 *
 * A tool is a table of subcommands, each row data (VK_CMD): a name, a
 * handler, its positional arguments as the synopsis shows them, a
 * one-line summary, a popt option table.  Everything else comes from
 * those: the synopsis in --help is the options of the table followed by
 * the arguments; how many arguments a command takes is read from the
 * arguments' text ("FILE [SIZE]": 1 or 2, "SRC... DST": 2 or more); the
 * bash completion (--vkit-completion, hidden) lists the commands, options
 * and argument kinds.  vk_tool_main() parses options, prints help and
 * version, checks the argument count, runs the handler, and copies what the
 * handler wrote to ctx->out onto stdout only when the handler succeeded, so
 * a failed command prints nothing on stdout (unless it set ctx->partial).
 *
 * Option variables are plain statics in the front end (popt stores into
 * them); options whose table entry has a non-zero `val` and no `arg` are
 * passed to the subcommand's `option` hook.
 */
#ifndef VK_UTIL_CMD_H
#define VK_UTIL_CMD_H

#include <popt.h>
#include <stdbool.h>
#include <stdio.h>

#include "error.h"

typedef struct vk_cmd_ctx {
  const char *tool;        /* "vimg" */
  const char *cmd;         /* "create", or NULL for single-command tools */
  FILE *out;               /* where results go (see above) */
  int argc;                /* positional arguments */
  const char **argv;
  /* Set by a handler that failed for part of its work only (one host of
   * several did not answer): what it wrote to `out` is printed anyway. */
  bool partial;
} vk_cmd_ctx;

enum {
  VK_CMD_DIRECT = 1 << 0,  /* write to stdout directly (interactive, streaming) */
};

typedef struct vk_subcmd {
  const char *name;
  int (*run)(vk_cmd_ctx *ctx);             /* returns an exit status */
  /* Positional arguments: words in capitals, [optional], WORD... for one
   * or more, A|B for alternatives; "" for none. */
  const char *args;
  const char *summary;                     /* one line, no period */
  const struct poptOption *options;        /* NULL or a POPT_TABLEEND-terminated table */
  unsigned flags;
  /* Called for options with val != 0 and no arg pointer; returns false and
   * sets *errp on a bad value. */
  bool (*option)(int val, const char *arg, vk_error **errp);
} vk_subcmd;

/* One row of a command table: name, handler, arguments, summary, then
 * designated fields (.options, .flags, .option) as needed. */
#define VK_CMD(name_, run_, args_, summary_, ...) \
  { .name = (name_), .run = (run_), .args = (args_), .summary = (summary_), __VA_ARGS__ }

/* The --json option of every command that reports something (`what`:
 * its help, e.g. "print a JSON array"). */
#define VK_OPT_JSON(var, what) { "json", '\0', POPT_ARG_NONE, &(var), 0, (what), NULL }

/* --output=FMT, qemu-img's spelling of --json: "human" or "json". */
#define VK_OPT_OUTPUT(var)                                                                         \
  {                                                                                                \
    "output", '\0', POPT_ARG_STRING, &(var), 0, "human (default) or json (as --json)",             \
        "human|json"                                                                               \
  }

/* Apply --output (NULL: not given) to *json; returns 0, or the usage
 * status after its message for another value. */
int vk_cmd_output(const vk_cmd_ctx *ctx, const char *output, bool *json);

/* Option descriptors the completion knows (argDescrip of a popt entry):
 * FMT (image formats), FILE, DIR, DOMAIN, NETWORK, URI; a|b|c lists the
 * values themselves.  Anything else completes nothing. */

typedef struct vk_tool {
  const char *name;
  const char *summary;
  const vk_subcmd *cmds;                   /* table ending with {NULL}, or NULL */
  const vk_subcmd *single;                 /* tools without subcommands */
  const struct poptOption *common;         /* accepted by every subcommand and before it */
} vk_tool;

/* The whole main() of a front end. */
int vk_tool_main(const vk_tool *tool, int argc, char **argv);

/* Print "tool: message" for err on stderr, free it and return its code. */
int vk_cmd_fail(const vk_cmd_ctx *ctx, vk_error *err);

/* Print "tool: message" on stderr (a warning or note; not an error). */
void vk_cmd_warn(const vk_cmd_ctx *ctx, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

/* The end of work run between vk_cancel_start() and here: when it failed
 * because a signal came, say so with the message `fmt` (what was undone or
 * is left) and die of the signal (vk_cancel_finish()); otherwise put the
 * signals back and return 0, or vk_cmd_fail(ctx, err) when it failed. */
int vk_cmd_cancel_done(const vk_cmd_ctx *ctx, bool ok, vk_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* At most one of the options named may be given: the arguments are pairs
 * (const char *name, int given) ending with NULL.  Returns 0, or prints
 * "A cannot be used with B" as a usage error and returns VK_EXIT_USAGE. */
int vk_cmd_exclusive(const vk_cmd_ctx *ctx, ...) __attribute__((sentinel));

/* How many positional arguments `args` (vk_subcmd.args) describes:
 * *min, and *max or -1 for no limit. */
void vk_cmd_args_range(const char *args, int *min, int *max);

/* Print a usage error "tool cmd: message (try 'tool cmd --help')" and
 * return VK_EXIT_USAGE. */
int vk_cmd_usage(const vk_cmd_ctx *ctx, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

#endif
