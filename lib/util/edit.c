/* vkit — edit a definition in the user's editor. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/edit.h"
#include "util/path.h"
#include "util/text.h"

/* The editor command: $VISUAL, $EDITOR, vi (as virsh and git). */
static const char *
editor(void)
{
  const char *e = getenv("VISUAL");

  if (!e || !*e)
    e = getenv("EDITOR");
  return e && *e ? e : "vi";
}

/* Run the editor on path (through the shell, so that "emacs -nw" works)
 * with SIGINT and SIGQUIT ignored here, as system() does: the editor
 * owns the terminal. */
static bool
run_editor(const char *path, vk_error **errp)
{
  const char *ed = editor();
  struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
  char *script = NULL;
  int status = 0;
  pid_t pid, r;

  if (asprintf(&script, "exec %s \"$1\"", ed) < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, ENOMEM, "cannot run the editor");
  sigemptyset(&ign.sa_mask);
  sigaction(SIGINT, &ign, &old_int);
  sigaction(SIGQUIT, &ign, &old_quit);
  fflush(NULL);
  pid = fork();
  if (pid == 0) {
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    execl("/bin/sh", "sh", "-c", script, "sh", path, (char *)NULL);
    _exit(127);
  }
  free(script);
  while (pid > 0 && (r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
    ;
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGQUIT, &old_quit, NULL);
  if (pid < 0)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot run the editor '%s'", ed);
  if (WIFSIGNALED(status))
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "the editor '%s' was killed by signal %d: nothing changed", ed,
                        WTERMSIG(status));
  if (WEXITSTATUS(status) == 127)
    return vk_error_set(errp, VK_EXIT_FAILED, "cannot run the editor '%s' (set VISUAL or EDITOR)",
                        ed);
  if (WEXITSTATUS(status))
    return vk_error_set(errp, VK_EXIT_FAILED,
                        "the editor '%s' exited with status %d: nothing changed", ed,
                        WEXITSTATUS(status));
  return true;
}

/* Ask "Try again?" on stderr; true for an answer starting with y. */
static bool
again(void)
{
  char line[64];

  fputs("Failed. Try again? [y,n]: ", stderr);
  fflush(stderr);
  if (!fgets(line, sizeof line, stdin))
    return false;
  return line[0] == 'y' || line[0] == 'Y';
}

int
vk_cmd_edit(const vk_cmd_ctx *ctx, const char *text, vk_edit_apply apply, void *opaque,
            bool *changed)
{
  const char *dir = getenv("TMPDIR");
  char path[4096];
  size_t len = strlen(text);
  vk_error *err = NULL;
  int fd, rc = 0;

  *changed = false;
  if (!dir || !*dir)
    dir = "/tmp";
  if ((size_t)snprintf(path, sizeof path, "%s/vkit-edit-XXXXXX.xml", dir) >= sizeof path) {
    vk_error_set(&err, VK_EXIT_FAILED, "TMPDIR is too long");
    return vk_cmd_fail(ctx, err);
  }
  if ((fd = mkstemps(path, 4)) < 0) {
    vk_error_set_errno(&err, VK_EXIT_FAILED, errno, "cannot make a temporary file in %s", dir);
    return vk_cmd_fail(ctx, err);
  }
  if (!vk_write_all(fd, text, len) || close(fd) < 0) {
    vk_error_set_errno(&err, VK_EXIT_FAILED, errno, "cannot write %s", path);
    unlink(path);
    return vk_cmd_fail(ctx, err);
  }
  for (;;) {
    CLEANUP_FREE char *edited = NULL;
    size_t elen = 0;

    if (!run_editor(path, &err) || !(edited = vk_read_file_max(path, 64u << 20, &elen, &err))) {
      rc = vk_cmd_fail(ctx, err);
      break;
    }
    if (elen == len && memcmp(edited, text, len) == 0)
      break;
    if (strlen(edited) != elen) {
      vk_error_set(&err, VK_EXIT_USAGE, "the edited text holds a NUL byte");
    } else if (apply(edited, opaque, &err)) {
      *changed = true;
      break;
    }
    /* refused: say why, and on a terminal offer to edit again */
    fprintf(stderr, "%s: %s\n", ctx->tool, err->msg);
    rc = err->code;
    vk_error_free(err);
    err = NULL;
    if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO) || !again())
      break;
    rc = 0;
  }
  unlink(path);
  return rc;
}
