/* vimg — front end: one file per subcommand, the table in main.c. */
#ifndef VIMG_H
#define VIMG_H

#include "util/cmd.h"

#endif
