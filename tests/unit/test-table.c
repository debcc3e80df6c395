/* Unit tests for lib/util table (virsh-style aligned text tables). */
#include <config.h>

#include <locale.h>
#include <stdlib.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/table.h"

static void
test_table(void)
{
  static const char *const head[] = { "Id", "Name", "State" };
  static const char *const r1[] = { "1", "web", "running" };
  static const char *const r2[] = { NULL, "caf\xc3\xa9-db", "shut off" };
  CLEANUP_FREE char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  vk_table *t = vk_table_new(3, head);

  ok(t && vk_table_add(t, r1) && vk_table_add(t, r2), "build a table");
  ok(vk_table_print(t, f), "print it");
  vk_table_free(t);
  fclose(f);
  is_str(buf,
         " Id   Name      State\n"
         "--------------------------\n"
         " 1    web       running\n"
         " -    caf\xc3\xa9-db   shut off\n",
         "virsh layout; NULL cells print '-'; UTF-8 counted by width");
}

static void
test_failure(void)
{
  static const char *const row[] = { "a" };
  char buf[8] = "";
  FILE *f = fmemopen(buf, sizeof buf, "w");

  ok(!vk_table_add(NULL, row), "adding to a table that could not be made fails");
  ok(!vk_table_print(NULL, f), "printing a table that could not be made fails");
  fclose(f);
  is_str(buf, "", "and prints nothing");
  vk_table_free(NULL);
}

int
main(void)
{
  setlocale(LC_CTYPE, "C.UTF-8");
  test_table();
  test_failure();
  return tap_done();
}
