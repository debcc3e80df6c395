/* vkit — the report of a made clone, for vclone --json. */
#include <config.h>

#include <sys/stat.h>

#include "virt/clone/clone.h"
#include "virt/domxml.h"

void
vk_clone_report_json(const vk_clone *c, vk_json *j)
{
  vk_json_begin_object(j);
  vk_json_kv_string(j, "name", c->name);
  vk_json_kv_string(j, "uuid", c->uuid);
  vk_json_kv_string(j, "original", c->orig_name);
  vk_json_key(j, "disks");
  vk_json_begin_array(j);
  for (size_t i = 0; i < c->ndisks; i++) {
    const vk_clone_disk *d = &c->disks[i];
    struct stat st;
    bool file = d->path && stat(d->path, &st) == 0 && S_ISREG(st.st_mode);
    vk_disk_json_begin(j, d->target, d->device, d->path, d->format);
    vk_json_kv_string(j, "source", d->source);
    vk_json_kv_string(j, "pool", d->pool);
    vk_json_kv_string(j, "volume", d->volume);
    vk_json_kv_uint_or_null(j, "size", d->size != 0, d->size);
    vk_json_kv_uint_or_null(j, "allocation", file, file ? (uint64_t)st.st_blocks * 512 : 0);
    vk_json_kv_string(j, "how", vk_clone_how_name(d->how));
    vk_json_end_object(j);
  }
  vk_json_end_array(j);
  vk_json_key(j, "macs");
  vk_json_begin_array(j);
  for (size_t i = 0; i < c->nmacs; i++)
    vk_json_string(j, c->macs[i]);
  vk_json_end_array(j);
  vk_json_kv_string(j, "nvram", c->nvram);
  vk_json_end_object(j);
}
