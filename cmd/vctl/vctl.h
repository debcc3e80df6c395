/* vctl — front end: one file per group of subcommands, the table in main.c. */
#ifndef VCTL_H
#define VCTL_H

#include "util/cmd.h"

/* -c/--connect URI, shared by every subcommand (NULL: default). */
extern const char *vctl_uri;

#endif
