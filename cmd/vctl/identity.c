/* vctl domid, domname, domuuid, domrename, desc, metadata, reset. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/edit.h"
#include "util/text.h"
#include "virt/domain.h"
#include "vctl.h"

static int opt_live, opt_config, opt_current, opt_title, opt_edit, opt_remove;
static const char *opt_new_desc, *opt_key, *opt_set;

#define AFFECT_OPTIONS                                                                             \
  { "live", '\0', POPT_ARG_NONE, &opt_live, 0, "the running domain", NULL },                       \
      { "config", '\0', POPT_ARG_NONE, &opt_config, 0, "the persistent definition", NULL },        \
  {                                                                                                \
    "current", '\0', POPT_ARG_NONE, &opt_current, 0,                                               \
        "the running domain if it runs, else the definition (default)", NULL                       \
  }

const struct poptOption vctl_desc_options[] = {
  AFFECT_OPTIONS,
  { "title", '\0', POPT_ARG_NONE, &opt_title, 0, "the title (one line), not the description",
    NULL },
  { "new-desc", '\0', POPT_ARG_STRING, &opt_new_desc, 0, "set it (\"\": remove it)", "TEXT" },
  { "edit", '\0', POPT_ARG_NONE, &opt_edit, 0, "edit it in $VISUAL or $EDITOR", NULL },
  POPT_TABLEEND
};

const struct poptOption vctl_metadata_options[] = {
  AFFECT_OPTIONS,
  { "key", '\0', POPT_ARG_STRING, &opt_key, 0, "the namespace prefix of the element set", "KEY" },
  { "set", '\0', POPT_ARG_STRING, &opt_set, 0, "set the element (one XML element)", "XML" },
  { "remove", '\0', POPT_ARG_NONE, &opt_remove, 0, "remove the element", NULL },
  { "edit", '\0', POPT_ARG_NONE, &opt_edit, 0, "edit the element in $VISUAL or $EDITOR", NULL },
  POPT_TABLEEND
};

/* The VIR_DOMAIN_AFFECT_* flags, or -1 after a usage message. */
static int
affect(const vk_cmd_ctx *ctx, int *rc)
{
  if ((*rc = vk_cmd_exclusive(ctx, "--current", opt_current, "--live", opt_live, NULL)) ||
      (*rc = vk_cmd_exclusive(ctx, "--current", opt_current, "--config", opt_config, NULL)))
    return -1;
  return (opt_live ? VIR_DOMAIN_AFFECT_LIVE : 0) | (opt_config ? VIR_DOMAIN_AFFECT_CONFIG : 0);
}

int
vctl_domid(vk_cmd_ctx *ctx)
{
  unsigned id;
  VCTL_DOMAIN_OR_RETURN(true);

  (void)err;
  id = virDomainGetID(dom);
  /* virsh prints "-" for a domain that is not running */
  if (id == (unsigned)-1)
    fputs("-\n", ctx->out);
  else
    fprintf(ctx->out, "%u\n", id);
  return rc;
}

int
vctl_domname(vk_cmd_ctx *ctx)
{
  VCTL_DOMAIN_OR_RETURN(true);

  (void)err;
  fprintf(ctx->out, "%s\n", virDomainGetName(dom));
  return rc;
}

int
vctl_domuuid(vk_cmd_ctx *ctx)
{
  char uuid[VIR_UUID_STRING_BUFLEN];
  VCTL_DOMAIN_OR_RETURN(true);

  if (virDomainGetUUIDString(dom, uuid) < 0) {
    vk_virt_dom_error(&err, dom, "cannot get the UUID of");
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, "%s\n", uuid);
  return rc;
}

int
vctl_domrename(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *old = NULL;
  VCTL_DOMAIN_OR_RETURN(false);

  if (!(old = strdup(virDomainGetName(dom)))) {
    vk_error_set(&err, VK_EXIT_FAILED, "out of memory");
    return vk_cmd_fail(ctx, err);
  }
  if (!vk_domain_rename(dom, ctx->argv[1], &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Domain '%s' renamed to '%s'\n", old, ctx->argv[1]);
  return rc;
}

int
vctl_reset(vk_cmd_ctx *ctx)
{
  VCTL_DOMAIN_OR_RETURN(false);

  if (!vk_domain_reset(dom, &err))
    return vk_cmd_fail(ctx, err);
  fprintf(ctx->out, "Domain '%s' was reset\n", virDomainGetName(dom));
  return rc;
}

struct desc_edit {
  virDomainPtr dom;
  unsigned flags;
};

static bool
apply_desc(const char *edited, void *opaque, vk_error **errp)
{
  struct desc_edit *d = opaque;
  CLEANUP_FREE char *text = strdup(edited);
  size_t n;

  if (!text)
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  /* an editor ends the file with a newline: it is not part of the text */
  n = strlen(text);
  while (n > 0 && text[n - 1] == '\n')
    text[--n] = '\0';
  return vk_domain_set_desc(d->dom, opt_title, text, d->flags, errp);
}

int
vctl_desc(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *cur = NULL;
  const char *what = opt_title ? "title" : "description";
  bool none;
  int flags;
  VCTL_DOMAIN_OR_RETURN(!opt_new_desc && !opt_edit);

  if ((flags = affect(ctx, &rc)) < 0)
    return rc;
  if (opt_new_desc && opt_edit)
    return vk_cmd_usage(ctx, "--new-desc and --edit exclude each other");
  if (opt_new_desc) {
    if (!vk_domain_set_desc(dom, opt_title, opt_new_desc, (unsigned)flags, &err))
      return vk_cmd_fail(ctx, err);
    fprintf(ctx->out, "Domain %s updated successfully\n", what);
    return 0;
  }
  if (!(cur = vk_domain_desc(dom, opt_title, (unsigned)flags, &none, &err)) && !none)
    return vk_cmd_fail(ctx, err);
  if (opt_edit) {
    struct desc_edit d = { dom, (unsigned)flags };
    CLEANUP_FREE char *text = NULL;
    bool changed;
    if (asprintf(&text, "%s\n", cur ? cur : "") < 0) {
      vk_error_set(&err, VK_EXIT_FAILED, "out of memory");
      return vk_cmd_fail(ctx, err);
    }
    if ((rc = vk_cmd_edit(ctx, text, apply_desc, &d, &changed)))
      return rc;
    fprintf(ctx->out, changed ? "Domain %s updated successfully\n" : "Domain %s not changed\n",
            what);
    return 0;
  }
  if (none)
    fprintf(ctx->out, "No %s for domain: %s\n", what, virDomainGetName(dom));
  else
    fprintf(ctx->out, "%s\n", cur);
  return 0;
}

struct meta_edit {
  virDomainPtr dom;
  const char *uri;
  unsigned flags;
};

static bool
apply_meta(const char *edited, void *opaque, vk_error **errp)
{
  struct meta_edit *m = opaque;

  return vk_domain_set_metadata(m->dom, m->uri, opt_key, edited, m->flags, errp);
}

int
vctl_metadata(vk_cmd_ctx *ctx)
{
  CLEANUP_FREE char *cur = NULL;
  const char *uri = ctx->argv[1];
  bool none;
  int flags;
  VCTL_DOMAIN_OR_RETURN(!opt_set && !opt_remove && !opt_edit);

  if ((flags = affect(ctx, &rc)) < 0)
    return rc;
  if ((opt_set != NULL) + opt_remove + opt_edit > 1)
    return vk_cmd_usage(ctx, "--set, --remove and --edit exclude each other");
  if ((opt_set || opt_edit) && !opt_key)
    return vk_cmd_usage(ctx, "--%s needs --key (the namespace prefix)", opt_set ? "set" : "edit");
  if (opt_set || opt_remove) {
    if (!vk_domain_set_metadata(dom, uri, opt_key, opt_set, (unsigned)flags, &err))
      return vk_cmd_fail(ctx, err);
    fputs(opt_set ? "Metadata modified\n" : "Metadata removed\n", ctx->out);
    return 0;
  }
  if (!(cur = vk_domain_metadata(dom, uri, (unsigned)flags, &none, &err)) && !none)
    return vk_cmd_fail(ctx, err);
  if (opt_edit) {
    struct meta_edit m = { dom, uri, (unsigned)flags };
    bool changed;
    char blank[512];
    snprintf(blank, sizeof blank, "<%s:metadata xmlns:%s=\"%s\"/>\n", opt_key, opt_key, uri);
    if ((rc = vk_cmd_edit(ctx, cur ? cur : blank, apply_meta, &m, &changed)))
      return rc;
    fputs(changed ? "Metadata modified\n" : "Metadata not changed\n", ctx->out);
    return 0;
  }
  if (none) {
    vk_error_set(&err, VK_EXIT_NOTFOUND, "domain '%s' has no metadata of namespace %s",
                 virDomainGetName(dom), uri);
    return vk_cmd_fail(ctx, err);
  }
  fprintf(ctx->out, "%s\n", cur);
  return 0;
}
