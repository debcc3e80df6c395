/* vkit — subcommand dispatch on popt, shared by the four front ends.
 *
 * A tool is a table of subcommands; each row names a handler, a synopsis,
 * a one-line summary, a popt option table and how many positional
 * arguments it takes.  vk_tool_main() parses options, prints help and
 * version, checks the argument count, runs the handler, and copies what the
 * handler wrote to ctx->out onto stdout only when the handler succeeded, so
 * a failed command prints nothing on stdout.
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
} vk_cmd_ctx;

enum {
  VK_CMD_DIRECT = 1 << 0,  /* write to stdout directly (interactive, streaming) */
};

typedef struct vk_subcmd {
  const char *name;
  int (*run)(vk_cmd_ctx *ctx);             /* returns an exit status */
  const char *synopsis;                    /* options and arguments, after the name */
  const char *summary;                     /* one line, no period */
  const struct poptOption *options;        /* NULL or a POPT_TABLEEND-terminated table */
  int min_args, max_args;                  /* positional arguments; max -1: no limit */
  unsigned flags;
  /* Called for options with val != 0 and no arg pointer; returns false and
   * sets *errp on a bad value. */
  bool (*option)(int val, const char *arg, vk_error **errp);
} vk_subcmd;

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

/* Print a usage error "tool cmd: message (try 'tool cmd --help')" and
 * return VK_EXIT_USAGE. */
int vk_cmd_usage(const vk_cmd_ctx *ctx, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

#endif
