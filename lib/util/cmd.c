/* vkit — subcommand dispatch on popt. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "cleanup.h"
#include "cmd.h"

static int opt_help;
static int opt_version;
static int opt_completion;

static const struct poptOption help_options[] = {
  { "help", 'h', POPT_ARG_NONE, &opt_help, 0, "show this help and exit", NULL },
  { "version", 'V', POPT_ARG_NONE, &opt_version, 0, "print the version and exit", NULL },
  /* The tables, for the generated bash completion (see completion/). */
  { "vkit-completion", '\0', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &opt_completion, 0,
    NULL, NULL },
  POPT_TABLEEND
};

static const char *
arg_name(const struct poptOption *o)
{
  if (o->argDescrip)
    return o->argDescrip;
  switch (o->argInfo & POPT_ARG_MASK) {
  case POPT_ARG_INT: case POPT_ARG_LONG: case POPT_ARG_LONGLONG:
    return "N";
  default:
    return "ARG";
  }
}

/* Calls fn for every option of opts that --help shows, included tables
 * walked in place. */
typedef void option_fn(const struct poptOption *o, void *arg);

static void
each_option(const struct poptOption *opts, option_fn *fn, void *arg)
{
  for (const struct poptOption *o = opts; o && (o->longName || o->shortName || o->arg); o++) {
    if ((o->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE)
      each_option(o->arg, fn, arg);
    else if (!(o->argInfo & POPT_ARGFLAG_DOC_HIDDEN))
      fn(o, arg);
  }
}

static bool
takes_arg(const struct poptOption *o)
{
  unsigned type = o->argInfo & POPT_ARG_MASK;
  return type != POPT_ARG_NONE && type != POPT_ARG_VAL;
}

/* One line of --help for option o, to FILE *arg. */
static void
print_option(const struct poptOption *o, void *arg)
{
  FILE *f = arg;
  char lhs[96];
  int n = 0;

  if (o->shortName)
    n = snprintf(lhs, sizeof lhs, "  -%c%s", o->shortName, o->longName ? ", " : "");
  else
    n = snprintf(lhs, sizeof lhs, "      ");
  if (o->longName)
    n += snprintf(lhs + n, sizeof lhs - (size_t)n, "--%s", o->longName);
  if (takes_arg(o)) {
    if (o->argInfo & POPT_ARGFLAG_OPTIONAL)
      snprintf(lhs + n, sizeof lhs - (size_t)n, "[=%s]", arg_name(o));
    else if (o->longName)
      snprintf(lhs + n, sizeof lhs - (size_t)n, "=%s", arg_name(o));
    else
      snprintf(lhs + n, sizeof lhs - (size_t)n, " %s", arg_name(o));
  }
  if (strlen(lhs) < 30)
    fprintf(f, "%-30s %s\n", lhs, o->descrip ? o->descrip : "");
  else
    fprintf(f, "%s\n%-30s %s\n", lhs, "", o->descrip ? o->descrip : "");
}

/* " [-f FMT]", " [--force]" ... for option o, to FILE *arg. */
static void
print_synopsis_option(const struct poptOption *o, void *arg)
{
  FILE *f = arg;
  bool has_arg = takes_arg(o);

  if (o->shortName)
    fprintf(f, " [-%c%s%s]", o->shortName, has_arg ? " " : "", has_arg ? arg_name(o) : "");
  else if (has_arg && (o->argInfo & POPT_ARGFLAG_OPTIONAL))
    fprintf(f, " [--%s[=%s]]", o->longName, arg_name(o));
  else
    fprintf(f, " [--%s%s%s]", o->longName, has_arg ? "=" : "", has_arg ? arg_name(o) : "");
}

/* The synopsis of a command: its options, the tool's, its arguments. */
static void
print_synopsis(FILE *f, const vk_tool *tool, const vk_subcmd *c)
{
  fprintf(f, "%s%s%s", tool->name, tool->single ? "" : " ", tool->single ? "" : c->name);
  each_option(c->options, print_synopsis_option, f);
  each_option(tool->common, print_synopsis_option, f);
  if (c->args && *c->args)
    fprintf(f, " %s", c->args);
}

void
vk_cmd_args_range(const char *args, int *min, int *max)
{
  *min = *max = 0;
  for (const char *p = args ? args : ""; *p;) {
    const char *end;
    bool opt, many;
    size_t n;

    while (*p == ' ')
      p++;
    if (!*p)
      break;
    if (*p == '[' || *p == '(') {
      /* a bracketed group, nested brackets included */
      int depth = 0;
      for (end = p; *end; end++) {
        depth += *end == '[' || *end == '(';
        depth -= *end == ']' || *end == ')';
        if (!depth) {
          end++;
          break;
        }
      }
    } else {
      end = p;
    }
    opt = *p == '[' && (!*end || *end == ' ');   /* "[+|-]SIZE" is not optional */
    end += strcspn(end, " ");
    n = (size_t)(end - p);
    many = n >= 3 && memmem(p, n, "...", 3);
    if (*p == '(') {
      /* (A | [B] C): one argument, optional when a branch has none */
      opt = memmem(p, n, "| -", 3) || memmem(p, n, "(-", 2);
    }
    if (!opt)
      ++*min;
    if (*max >= 0)
      *max = many ? -1 : *max + 1;
    p = end;
  }
}

int
vk_cmd_exclusive(const vk_cmd_ctx *ctx, ...)
{
  const char *first = NULL, *name;
  va_list ap;
  int rc = 0;

  va_start(ap, ctx);
  while ((name = va_arg(ap, const char *))) {
    int given = va_arg(ap, int);
    if (!given)
      continue;
    if (first) {
      rc = vk_cmd_usage(ctx, "%s cannot be used with %s", name, first);
      break;
    }
    first = name;
  }
  va_end(ap);
  return rc;
}

/* One line for the completion generator for option o of command
 * (const char *) arg: "opt CMD SHORT LONG ARG" (- for none). */
static void
dump_option(const struct poptOption *o, void *arg)
{
  const char *cmd = arg;

  printf("opt %s ", cmd);
  if (o->shortName)
    printf("-%c ", o->shortName);
  else
    printf("- ");
  printf("%s%s ", o->longName ? "--" : "-", o->longName ? o->longName : "");
  printf("%s\n", takes_arg(o) ? ((o->argInfo & POPT_ARGFLAG_OPTIONAL) ? "-" : arg_name(o)) : "-");
}

/* What the completion needs, one fact a line. */
static void
dump_completion(const vk_tool *tool)
{
  const vk_subcmd *single[] = { tool->single, NULL };

  printf("tool %s\n", tool->name);
  each_option(tool->common, dump_option, (void *)"-");
  each_option(help_options, dump_option, (void *)"-");
  for (size_t i = 0;; i++) {
    const vk_subcmd *c = tool->single ? single[i] : &tool->cmds[i];
    const char *name;
    if (!c || !c->name)
      break;
    name = tool->single ? "-" : c->name;
    printf("cmd %s %s\n", name, c->args && *c->args ? c->args : "-");
    each_option(c->options, dump_option, (void *)name);
  }
}

/* Summaries are printed as sentences: first letter upper case. */
static void
print_sentence(const char *s, const char *end)
{
  if (s && *s) {
    putchar(toupper((unsigned char)*s));
    fputs(s + 1, stdout);
  }
  fputs(end, stdout);
}

static void
tool_help(const vk_tool *tool)
{
  printf("Usage: %s [--help] [--version] COMMAND [OPTIONS] [ARGS]\n\n%s.\n\n",
         tool->name, tool->summary);
  if (tool->common) {
    printf("Options accepted by every command:\n");
    each_option(tool->common, print_option, stdout);
    printf("\n");
  }
  int width = 14;

  for (const vk_subcmd *c = tool->cmds; c->name; c++)
    if ((int)strlen(c->name) > width)
      width = (int)strlen(c->name);
  printf("Commands:\n");
  for (const vk_subcmd *c = tool->cmds; c->name; c++) {
    printf("  %-*s ", width, c->name);
    print_sentence(c->summary, "\n");
  }
  printf("\nRun '%s COMMAND --help' for a command's options; see %s(1).\n",
         tool->name, tool->name);
}

static void
cmd_help(const vk_tool *tool, const vk_subcmd *c)
{
  printf("Usage: ");
  print_synopsis(stdout, tool, c);
  printf("\n\n");
  print_sentence(c->summary, ".\n\nOptions:\n");
  each_option(c->options, print_option, stdout);
  each_option(tool->common, print_option, stdout);
  each_option(help_options, print_option, stdout);
  printf("\nSee %s(1).\n", tool->name);
}

static void
print_version(const vk_tool *tool)
{
  printf("%s (%s) %s\n", tool->name, PACKAGE_NAME, PACKAGE_VERSION);
}

/* --version or --vkit-completion: prints what was asked, true. */
static bool
print_info(const vk_tool *tool)
{
  if (opt_completion)
    dump_completion(tool);
  else if (opt_version)
    print_version(tool);
  return opt_completion || opt_version;
}

int
vk_cmd_fail(const vk_cmd_ctx *ctx, vk_error *err)
{
  int code;

  if (!err) {
    fprintf(stderr, "%s: operation failed\n", ctx->tool);
    return VK_EXIT_FAILED;
  }
  fprintf(stderr, "%s: %s\n", ctx->tool, err->msg);
  code = err->code;
  vk_error_free(err);
  return code;
}

void
vk_cmd_warn(const vk_cmd_ctx *ctx, const char *fmt, ...)
{
  va_list ap;

  fprintf(stderr, "%s: ", ctx->tool);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int
vk_cmd_cancel_done(const vk_cmd_ctx *ctx, bool ok, vk_error *err, const char *fmt, ...)
{
  va_list ap;

  if (!ok && vk_cancelled()) {
    fprintf(stderr, "%s: ", ctx->tool);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    vk_cancel_finish(); /* dies of the signal, as the shell expects */
    return vk_cmd_fail(ctx, err);
  }
  vk_cancel_end();
  return ok ? 0 : vk_cmd_fail(ctx, err);
}

int
vk_cmd_output(const vk_cmd_ctx *ctx, const char *output, bool *json)
{
  if (!output || strcmp(output, "human") == 0)
    return 0;
  if (strcmp(output, "json") == 0) {
    *json = true;
    return 0;
  }
  return vk_cmd_usage(ctx, "--output takes 'human' or 'json', not '%s'", output);
}

int
vk_cmd_usage(const vk_cmd_ctx *ctx, const char *fmt, ...)
{
  va_list ap;
  const char *sp = ctx->cmd ? " " : "";
  const char *cmd = ctx->cmd ? ctx->cmd : "";

  fprintf(stderr, "%s%s%s: ", ctx->tool, sp, cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (try '%s%s%s --help')\n", ctx->tool, sp, cmd);
  return VK_EXIT_USAGE;
}

/* Build a table: subcommand options, common options, help/version. */
static struct poptOption *
build_table(const vk_tool *tool, const vk_subcmd *c)
{
  struct poptOption *t = calloc(4, sizeof *t);
  int n = 0;

  if (!t)
    return NULL;
  if (c && c->options)
    t[n++] = (struct poptOption){ NULL, '\0', POPT_ARG_INCLUDE_TABLE,
                                  (void *)c->options, 0, NULL, NULL };
  if (tool->common)
    t[n++] = (struct poptOption){ NULL, '\0', POPT_ARG_INCLUDE_TABLE,
                                  (void *)tool->common, 0, NULL, NULL };
  t[n++] = (struct poptOption){ NULL, '\0', POPT_ARG_INCLUDE_TABLE,
                                (void *)help_options, 0, NULL, NULL };
  return t;
}

/* Run popt over argv; returns -1 when all went well, else an exit status. */
static int
parse_options(const vk_cmd_ctx *ctx, const vk_subcmd *c, poptContext pc)
{
  int rc;

  while ((rc = poptGetNextOpt(pc)) > 0) {
    const char *arg = poptGetOptArg(pc);
    vk_error *err = NULL;
    bool ok = c && c->option ? c->option(rc, arg, &err) : false;

    free((void *)arg);
    if (!ok) {
      if (err && err->code == VK_EXIT_USAGE) {
        rc = vk_cmd_usage(ctx, "%s", err->msg);
        vk_error_free(err);
        return rc;
      }
      return err ? vk_cmd_fail(ctx, err) : vk_cmd_usage(ctx, "unexpected option");
    }
  }
  if (rc < -1)
    return vk_cmd_usage(ctx, "%s: %s", poptBadOption(pc, POPT_BADOPTION_NOALIAS),
                        poptStrerror(rc));
  return -1;
}

static int
run_cmd(const vk_tool *tool, const vk_subcmd *c, int argc, const char **argv)
{
  vk_cmd_ctx ctx = { .tool = tool->name, .cmd = tool->single ? NULL : c->name };
  CLEANUP_FREE struct poptOption *table = build_table(tool, c);
  CLEANUP_FREE char *buf = NULL;
  CLEANUP_FREE const char **args = NULL;
  size_t len = 0;
  poptContext pc;
  int rc, n = 0, min_args, max_args;

  if (!table)
    return vk_cmd_fail(&ctx, NULL);
  pc = poptGetContext(tool->name, argc, argv, table, 0);
  rc = parse_options(&ctx, c, pc);
  if (rc >= 0)
    goto out;
  if (opt_help) {
    cmd_help(tool, c);
    rc = 0;
    goto out;
  }
  if (print_info(tool)) {
    rc = 0;
    goto out;
  }

  /* Copy the leftover arguments: popt owns its array. */
  {
    const char **left = poptGetArgs(pc);
    while (left && left[n])
      n++;
    args = calloc((size_t)n + 1, sizeof *args);
    if (!args) {
      rc = vk_cmd_fail(&ctx, NULL);
      goto out;
    }
    for (int i = 0; i < n; i++)
      args[i] = left[i];
  }
  vk_cmd_args_range(c->args, &min_args, &max_args);
  if (n < min_args) {
    rc = vk_cmd_usage(&ctx, "missing argument; usage: %s%s%s %s", tool->name,
                      ctx.cmd ? " " : "", ctx.cmd ? ctx.cmd : "", c->args);
    goto out;
  }
  if (max_args >= 0 && n > max_args) {
    rc = vk_cmd_usage(&ctx, "unexpected argument '%s'", args[max_args]);
    goto out;
  }
  ctx.argc = n;
  ctx.argv = args;

  if (c->flags & VK_CMD_DIRECT) {
    ctx.out = stdout;
    rc = c->run(&ctx);
  } else {
    ctx.out = open_memstream(&buf, &len);
    if (!ctx.out) {
      rc = vk_cmd_fail(&ctx, NULL);
      goto out;
    }
    rc = c->run(&ctx);
    if (fclose(ctx.out) != 0 && rc == 0) {
      fprintf(stderr, "%s: out of memory\n", tool->name);
      rc = VK_EXIT_FAILED;
    }
    if ((rc == 0 || ctx.partial) && len > 0) {
      if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
        fprintf(stderr, "%s: write error: %s\n", tool->name, strerror(errno));
        if (rc == 0)
          rc = VK_EXIT_FAILED;
      }
    }
  }
  if (rc == 0 && fflush(stdout) != 0) {
    fprintf(stderr, "%s: write error: %s\n", tool->name, strerror(errno));
    rc = VK_EXIT_FAILED;
  }
out:
  poptFreeContext(pc);
  return rc;
}

int
vk_tool_main(const vk_tool *tool, int argc, char **argv)
{
  vk_cmd_ctx ctx = { .tool = tool->name };
  CLEANUP_FREE struct poptOption *table = NULL;
  CLEANUP_FREE char *cmdname = NULL;
  const char **rest;
  const vk_subcmd *c = NULL;
  poptContext pc;
  int rc, nrest = 0;

  if (tool->single)
    return run_cmd(tool, tool->single, argc, (const char **)argv);

  /* Options before the command: common ones, --help, --version. */
  table = build_table(tool, NULL);
  if (!table)
    return vk_cmd_fail(&ctx, NULL);
  pc = poptGetContext(tool->name, argc, (const char **)argv, table,
                      POPT_CONTEXT_POSIXMEHARDER);
  rc = parse_options(&ctx, NULL, pc);
  if (rc >= 0)
    goto out;
  rest = poptGetArgs(pc);
  while (rest && rest[nrest])
    nrest++;
  if (print_info(tool)) {
    rc = 0;
    goto out;
  }
  if (opt_help || nrest == 0) {
    if (nrest == 0 && !opt_help) {
      fprintf(stderr, "%s: missing command (try '%s --help')\n", tool->name, tool->name);
      rc = VK_EXIT_USAGE;
      goto out;
    }
    if (nrest == 0) {
      tool_help(tool);
      rc = 0;
      goto out;
    }
  }
  for (const vk_subcmd *t = tool->cmds; t->name; t++)
    if (strcmp(t->name, rest[0]) == 0)
      c = t;
  if (!c) {
    fprintf(stderr, "%s: unknown command '%s' (try '%s --help')\n",
            tool->name, rest[0], tool->name);
    rc = VK_EXIT_USAGE;
    goto out;
  }

  /* The command sees argv[0] = its name, then everything after it. */
  {
    CLEANUP_FREE const char **sub = calloc((size_t)nrest + 2, sizeof *sub);
    if (!sub) {
      rc = vk_cmd_fail(&ctx, NULL);
      goto out;
    }
    if (asprintf(&cmdname, "%s %s", tool->name, c->name) < 0) {
      rc = vk_cmd_fail(&ctx, NULL);
      goto out;
    }
    sub[0] = cmdname;
    for (int i = 1; i < nrest; i++)
      sub[i] = rest[i];
    if (opt_help) {
      /* "tool --help cmd": help for the command */
      sub[nrest] = "--help";
      rc = run_cmd(tool, c, nrest + 1, sub);
    } else {
      rc = run_cmd(tool, c, nrest, sub);
    }
  }
out:
  poptFreeContext(pc);
  return rc;
}
