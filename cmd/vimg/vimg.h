/* vimg — front end: one file per subcommand, the table in main.c. */
#ifndef VIMG_H
#define VIMG_H

#include <stdio.h>

#include "image/image.h"
#include "util/cmd.h"

/* create.c */
extern const struct poptOption vimg_create_options[];
bool vimg_create_option(int val, const char *arg, vk_error **errp);
int vimg_create(vk_cmd_ctx *ctx);

/* info.c */
extern const struct poptOption vimg_info_options[];
int vimg_info(vk_cmd_ctx *ctx);
/* The "Snapshot list:" table of qemu-img info and snapshot -l. */
void vimg_print_snapshots(FILE *f, const vk_snapshot_info *list, size_t n);

/* snapshot.c */
extern const struct poptOption vimg_snapshot_options[];
int vimg_snapshot(vk_cmd_ctx *ctx);

/* amend.c */
extern const struct poptOption vimg_amend_options[];
int vimg_amend(vk_cmd_ctx *ctx);

/* bitmap.c */
extern const struct poptOption vimg_bitmap_options[];
bool vimg_bitmap_option(int val, const char *arg, vk_error **errp);
int vimg_bitmap(vk_cmd_ctx *ctx);

/* dd.c */
extern const struct poptOption vimg_dd_options[];
int vimg_dd(vk_cmd_ctx *ctx);

/* commit.c */
extern const struct poptOption vimg_commit_options[];
int vimg_commit(vk_cmd_ctx *ctx);

/* rebase.c */
extern const struct poptOption vimg_rebase_options[];
int vimg_rebase(vk_cmd_ctx *ctx);

/* resize.c */
extern const struct poptOption vimg_resize_options[];
int vimg_resize(vk_cmd_ctx *ctx);

/* convert, check, map, compare, measure (cmd/vimg/{convert,check,map,compare,measure}.c) */
extern const struct poptOption vimg_convert_options[];
int vimg_convert(vk_cmd_ctx *ctx);
extern const struct poptOption vimg_check_options[];
int vimg_check(vk_cmd_ctx *ctx);
extern const struct poptOption vimg_map_options[];
int vimg_map(vk_cmd_ctx *ctx);
extern const struct poptOption vimg_compare_options[];
int vimg_compare(vk_cmd_ctx *ctx);
extern const struct poptOption vimg_measure_options[];
int vimg_measure(vk_cmd_ctx *ctx);

#endif
