/* vkit — text tables aligned like virsh's. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "util/table.h"

struct vk_table {
  size_t ncols, nrows, cap;
  char **cells;            /* nrows * ncols, row 0 is the header */
  size_t *width;
  bool failed;             /* a row could not be added */
};

/* Display width of a UTF-8 string (bytes if it is not valid). */
static size_t
display_width(const char *s)
{
  mbstate_t st;
  size_t w = 0;
  const char *p = s;

  memset(&st, 0, sizeof st);
  while (*p) {
    wchar_t wc;
    size_t n = mbrtowc(&wc, p, strlen(p), &st);
    int cw;

    if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
      return strlen(s);
    cw = wcwidth(wc);
    w += cw > 0 ? (size_t)cw : 0;
    p += n;
  }
  return w;
}

vk_table *
vk_table_new(size_t ncols, const char *const *header)
{
  vk_table *t = calloc(1, sizeof *t);

  if (!t)
    return NULL;
  t->ncols = ncols;
  t->width = calloc(ncols, sizeof *t->width);
  if (!t->width || !vk_table_add(t, header)) {
    vk_table_free(t);
    return NULL;
  }
  return t;
}

bool
vk_table_add(vk_table *t, const char *const *cells)
{
  if (!t)
    return false;
  if (t->nrows == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 16;
    char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
    if (!c) {
      t->failed = true;
      return false;
    }
    t->cells = c;
    t->cap = cap;
  }
  for (size_t i = 0; i < t->ncols; i++) {
    char *s = strdup(cells[i] ? cells[i] : "-");
    size_t w;

    if (!s) {
      for (size_t j = 0; j < i; j++)
        free(t->cells[t->nrows * t->ncols + j]);
      t->failed = true;
      return false;
    }
    t->cells[t->nrows * t->ncols + i] = s;
    w = display_width(s);
    if (w > t->width[i])
      t->width[i] = w;
  }
  t->nrows++;
  return true;
}

static void
print_row(const vk_table *t, size_t r, FILE *f)
{
  for (size_t i = 0; i < t->ncols; i++) {
    const char *s = t->cells[r * t->ncols + i];

    fputs(i == 0 ? " " : "   ", f);
    fputs(s, f);
    if (i + 1 < t->ncols)
      for (size_t w = display_width(s); w < t->width[i]; w++)
        fputc(' ', f);
  }
  fputc('\n', f);
}

bool
vk_table_print(const vk_table *t, FILE *f)
{
  if (!t || t->failed)
    return false;
  print_row(t, 0, f);
  for (size_t i = 0; i < t->ncols; i++)
    for (size_t w = 0; w < t->width[i] + 3; w++)
      fputc('-', f);
  fputc('\n', f);
  for (size_t r = 1; r < t->nrows; r++)
    print_row(t, r, f);
  return true;
}

void
vk_table_free(vk_table *t)
{
  if (!t)
    return;
  for (size_t i = 0; i < t->nrows * t->ncols; i++)
    free(t->cells[i]);
  free(t->cells);
  free(t->width);
  free(t);
}
