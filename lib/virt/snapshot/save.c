/* vkit — saved state and domain jobs (see save.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cancel.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "virt/conn.h"
#include "virt/domain.h"
#include "virt/job.h"
#include "virt/snapshot/save.h"
#include "virt/xml.h"

/* A file an operation creates: refused if it exists, its absolute name
 * (the daemon has another working directory) in *abs. */
static bool
new_file(const char *file, char **abs, vk_error **errp)
{
  struct stat st;

  if (lstat(file, &st) == 0)
    return vk_error_set(errp, VK_EXIT_BUSY, "'%s' exists already (remove it first)", file);
  if (errno != ENOENT)
    return vk_error_set_errno(errp, VK_EXIT_FAILED, errno, "cannot use '%s'", file);
  if (!(*abs = vk_path_absolute(file)))
    return vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
  return true;
}

/* After a failed save or dump: the partial file goes, and a guest that
 * was running and was left paused runs again. */
static void
undo(virDomainPtr dom, const char *file, int state_before)
{
  int st, reason;

  if (file)
    unlink(file);
  if (state_before == VIR_DOMAIN_RUNNING && virDomainGetState(dom, &st, &reason, 0) == 0 &&
      st == VIR_DOMAIN_PAUSED)
    virDomainResume(dom);
}

static unsigned
save_flags(unsigned flags)
{
  unsigned f = 0;

  if (flags & VK_SAVE_BYPASS_CACHE)
    f |= VIR_DOMAIN_SAVE_BYPASS_CACHE;
  if (flags & VK_SAVE_RUNNING)
    f |= VIR_DOMAIN_SAVE_RUNNING;
  if (flags & VK_SAVE_PAUSED)
    f |= VIR_DOMAIN_SAVE_PAUSED;
  return f;
}

static int
call_save(vk_job *j)
{
  return virDomainSaveFlags(j->dom, j->file, j->xml, j->flags);
}

bool
vk_domain_save(virDomainPtr dom, const char *file, const char *xml, unsigned flags,
               const atomic_int *cancel, vk_error **errp)
{
  CLEANUP_FREE char *abs = NULL;
  vk_job j = { .call = call_save,
               .dom = dom,
               .conn = virDomainGetConnect(dom),
               .xml = xml,
               .flags = save_flags(flags) };
  int state;

  if (!vk_domain_require(dom, true, &state, errp) || !new_file(file, &abs, errp))
    return false;
  j.file = abs;
  if (vk_job_run(&j, cancel) < 0) {
    undo(dom, abs, state);
    return vk_job_error(&j, "save", errp);
  }
  return true;
}

/* <name> of domain XML. */
static char *
domain_name(const char *xml)
{
  CLEANUP_XMLDOC xmlDocPtr doc = vk_xml_read(xml, strlen(xml), "domain XML");

  return doc ? vk_xml_text(vk_xml_child(xmlDocGetRootElement(doc), "name")) : NULL;
}

static int
call_restore(vk_job *j)
{
  return virDomainRestoreFlags(j->conn, j->file, j->xml, j->flags);
}

virDomainPtr
vk_domain_restore(virConnectPtr conn, const char *file, const char *xml, unsigned flags,
                  const atomic_int *cancel, vk_error **errp)
{
  CLEANUP_FREE char *abs = vk_path_absolute(file);
  CLEANUP_FREE char *dxml = NULL, *name = NULL;
  vk_job j = { .call = call_restore, .conn = conn, .xml = xml, .flags = save_flags(flags) };
  struct stat st;
  virDomainPtr dom;

  if (!abs) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  if (stat(abs, &st) < 0 && vk_conn_is_local(conn)) {
    vk_error_set_errno(errp, errno == ENOENT ? VK_EXIT_NOTFOUND : VK_EXIT_FAILED, errno,
                       "cannot restore from '%s'", file);
    return NULL;
  }
  /* The name of the domain the file holds, to find it once it runs. */
  if (!(dxml = virDomainSaveImageGetXMLDesc(conn, abs, 0))) {
    vk_virt_error(errp, conn, "cannot read the saved state in '%s'", file);
    return NULL;
  }
  if (!(name = domain_name(dxml))) {
    vk_error_set(errp, VK_EXIT_CORRUPT, "'%s': the saved state has no domain name", file);
    return NULL;
  }
  j.file = abs;
  j.name = name;
  if (vk_job_run(&j, cancel) < 0) {
    vk_job_error(&j, "restore", errp);
    return NULL;
  }
  if (!(dom = virDomainLookupByName(conn, name)))
    vk_virt_error(errp, conn, "the domain restored from '%s' cannot be found", file);
  return dom;
}

static int
call_managed_save(vk_job *j)
{
  return virDomainManagedSave(j->dom, j->flags);
}

bool
vk_domain_managed_save(virDomainPtr dom, unsigned flags, const atomic_int *cancel, vk_error **errp)
{
  vk_job j = { .call = call_managed_save,
               .dom = dom,
               .conn = virDomainGetConnect(dom),
               .flags = save_flags(flags) };
  int state;

  if (!vk_domain_require(dom, true, &state, errp))
    return false;
  if (vk_job_run(&j, cancel) < 0) {
    /* libvirt removes its own managed save file when the save fails */
    undo(dom, NULL, state);
    return vk_job_error(&j, "save", errp);
  }
  return true;
}

bool
vk_domain_managed_save_remove(virDomainPtr dom, vk_error **errp)
{
  int has = virDomainHasManagedSaveImage(dom, 0);

  if (has < 0)
    return vk_virt_dom_error(errp, dom, "cannot inspect");
  if (!has)
    return vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' has no managed save image",
                        virDomainGetName(dom));
  if (virDomainManagedSaveRemove(dom, 0) < 0)
    return vk_virt_dom_error(errp, dom, "cannot remove the managed save image of");
  return true;
}

char *
vk_domain_managed_save_xml(virDomainPtr dom, bool secure, vk_error **errp)
{
  char *xml;
  int has = virDomainHasManagedSaveImage(dom, 0);

  if (has < 0) {
    vk_virt_dom_error(errp, dom, "cannot inspect");
    return NULL;
  }
  if (!has) {
    vk_error_set(errp, VK_EXIT_NOTFOUND, "domain '%s' has no managed save image",
                 virDomainGetName(dom));
    return NULL;
  }
  if (!(xml = virDomainManagedSaveGetXMLDesc(dom, secure ? VIR_DOMAIN_SAVE_IMAGE_XML_SECURE : 0)))
    vk_virt_dom_error(errp, dom, "cannot read the managed save image of");
  return xml;
}

char *
vk_save_image_xml(virConnectPtr conn, const char *file, bool secure, vk_error **errp)
{
  CLEANUP_FREE char *abs = vk_path_absolute(file);
  struct stat st;
  char *xml;

  if (!abs) {
    vk_error_set(errp, VK_EXIT_FAILED, "out of memory");
    return NULL;
  }
  if (stat(abs, &st) < 0 && vk_conn_is_local(conn)) {
    vk_error_set_errno(errp, errno == ENOENT ? VK_EXIT_NOTFOUND : VK_EXIT_FAILED, errno,
                       "cannot read '%s'", file);
    return NULL;
  }
  if (!(xml =
            virDomainSaveImageGetXMLDesc(conn, abs, secure ? VIR_DOMAIN_SAVE_IMAGE_XML_SECURE : 0)))
    vk_virt_error(errp, conn, "cannot read the saved state in '%s'", file);
  return xml;
}

static int
call_dump(vk_job *j)
{
  /* with VIR_DUMP_MEMORY_ONLY, the "raw" format is an ELF core */
  return virDomainCoreDumpWithFormat(j->dom, j->file, VIR_DOMAIN_CORE_DUMP_FORMAT_RAW, j->flags);
}

bool
vk_domain_dump(virDomainPtr dom, const char *file, unsigned flags, const atomic_int *cancel,
               vk_error **errp)
{
  CLEANUP_FREE char *abs = NULL;
  vk_job j = { .call = call_dump, .dom = dom, .conn = virDomainGetConnect(dom) };
  int state;

  if (flags & VK_SAVE_MEMORY_ONLY)
    j.flags |= VIR_DUMP_MEMORY_ONLY;
  if (flags & VK_SAVE_BYPASS_CACHE)
    j.flags |= VIR_DUMP_BYPASS_CACHE;
  if (!vk_domain_require(dom, true, &state, errp) || !new_file(file, &abs, errp))
    return false;
  j.file = abs;
  if (vk_job_run(&j, cancel) < 0) {
    undo(dom, abs, state);
    return vk_job_error(&j, "dump", errp);
  }
  return true;
}
