/* Unit tests for vinstall's run and its rollback, on libvirt's test
 * driver: the seam is vk_install.before_define (no hook in the shipped
 * tools).  A domain of the same name defined in between (with and
 * without a cloud-init seed), and a SIGTERM caught by util/cancel, must
 * all leave nothing behind. */
#include <config.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "tap.h"
#include "util/cancel.h"
#include "virt/install/install.h"

static char dir[] = "/tmp/vkit-install-run.XXXXXX";
static char seed[600]; /* a seed define_rival looks for */
static bool seed_seen;

static bool
define_rival(void *opaque, vk_error **errp)
{
  virConnectPtr conn = opaque;
  virDomainPtr d = virDomainDefineXML(conn, "<domain type='test'><name>rival</name>"
                                            "<memory unit='MiB'>64</memory>"
                                            "<os><type>hvm</type></os></domain>");
  (void)errp;
  if (seed[0])
    seed_seen = access(seed, R_OK) == 0;
  if (d)
    virDomainFree(d);
  return d != NULL;
}

static bool
send_sigterm(void *opaque, vk_error **errp)
{
  (void)opaque;
  (void)errp;
  raise(SIGTERM);   /* caught: only the flag is set */
  return true;
}

/* An import install of `name` with one new 1 MiB disk in dir. */
static void
setup(vk_install *in, const char *name, char *disk, size_t len)
{
  vk_error *err = NULL;

  snprintf(disk, len, "path=%s/%s.qcow2,size=1M", dir, name);
  vk_install_init(in);
  vk_install_option(in, VK_IOPT_NAME, name, &err);
  vk_install_option(in, VK_IOPT_IMPORT, NULL, &err);
  vk_install_option(in, VK_IOPT_DISK, disk, &err);
  vk_install_option(in, VK_IOPT_NETWORK, "none", &err);
  snprintf(disk, len, "%s/%s.qcow2", dir, name);
  vk_error_free(err);
}

static void
quiet(void *opaque, virErrorPtr e)
{
  (void)opaque;
  (void)e;
}

int
main(void)
{
  virConnectPtr conn;
  char disk[512];
  vk_install in;
  vk_error *err = NULL;
  virDomainPtr d;

  virSetErrorFunc(NULL, quiet);
  conn = virConnectOpen("test:///default");
  if (!conn || !mkdtemp(dir)) {
    printf("1..0 # no test driver or no temporary directory\n");
    return 1;
  }

  /* The name is taken between the pre-flight checks and the define. */
  setup(&in, "rival", disk, sizeof disk);
  ok(vk_install_prepare(&in, conn, &err), "the install prepares");
  in.before_define = define_rival;
  in.before_define_opaque = conn;
  ok(!vk_install_run(&in, conn, &err) && err, "the define fails: the name is taken");
  ok(access(disk, F_OK) != 0, "the disk it made is removed");
  d = virDomainLookupByName(conn, "rival");
  ok(d != NULL, "the domain that took the name is still there");
  if (d) {
    char *xml = virDomainGetXMLDesc(d, 0);
    ok(xml && !strstr(xml, "<disk"), "and it is not the install's");
    free(xml);
    virDomainUndefine(d);
    virDomainFree(d);
  }
  vk_error_free(err);
  err = NULL;
  vk_install_clear(&in);

  /* With cloud-init: the seed written before the define goes too. */
  {
    setup(&in, "rival", disk, sizeof disk);
    vk_install_option(&in, VK_IOPT_CLOUD_INIT, NULL, &err);
    ok(vk_install_prepare(&in, conn, &err), "a cloud-init install prepares");
    snprintf(seed, sizeof seed, "%s/rival-cidata.iso", dir);
    in.before_define = define_rival;
    in.before_define_opaque = conn;
    ok(!vk_install_run(&in, conn, &err) && err, "the define fails: the name is taken");
    ok(seed_seen, "the seed was written before the define");
    ok(access(seed, F_OK) != 0 && access(disk, F_OK) != 0, "the seed and the disk are removed");
    seed[0] = '\0';
    d = virDomainLookupByName(conn, "rival");
    if (d) {
      virDomainUndefine(d);
      virDomainFree(d);
    }
    vk_error_free(err);
    err = NULL;
    vk_install_clear(&in);
  }

  /* SIGTERM during the install: it stops and is undone. */
  ok(vk_cancel_start(&err), "signals are caught");
  setup(&in, "interrupted", disk, sizeof disk);
  ok(vk_install_prepare(&in, conn, &err), "the install prepares");
  in.cancel = vk_cancel_flag();
  in.before_define = send_sigterm;
  ok(!vk_install_run(&in, conn, &err) && err && strstr(err->msg, "interrupted"),
     "the install stops: interrupted");
  ok(vk_cancelled() == SIGTERM, "the signal is the one sent");
  ok(access(disk, F_OK) != 0, "the disk it made is removed");
  d = virDomainLookupByName(conn, "interrupted");
  ok(d == NULL, "no domain is defined");
  if (d)
    virDomainFree(d);
  vk_cancel_end();   /* the test goes on: do not die of it */
  vk_error_free(err);
  vk_install_clear(&in);

  rmdir(dir);
  virConnectClose(conn);
  return tap_done();
}
