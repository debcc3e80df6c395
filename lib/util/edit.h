/* vkit — edit a definition in the user's editor, the way `virsh edit`
 * does: a private temporary file, $VISUAL, else $EDITOR, else vi; the
 * result handed to the caller, with the offer to edit again when it is
 * refused on a terminal. */
#ifndef VK_UTIL_EDIT_H
#define VK_UTIL_EDIT_H

#include <stdbool.h>

#include "cmd.h"

/* What vk_cmd_edit() hands the edited text to: apply it (define it)
 * or return false with *errp set. */
typedef bool (*vk_edit_apply)(const char *edited, void *opaque, vk_error **errp);

/* Write `text` to a temporary file (mode 0600, suffix ".xml"), run the
 * editor on it, and when the text changed pass it to apply().  A refusal
 * is printed; on a terminal (standard input and error) the user is asked
 * whether to edit again, else it is the result.  The file is removed in
 * every case.  *changed tells whether apply() succeeded (false: the text
 * came back unchanged).  Returns an exit status (0, or the refusal's,
 * or 1 when the editor failed), the message already printed. */
int vk_cmd_edit(const vk_cmd_ctx *ctx, const char *text, vk_edit_apply apply, void *opaque,
                bool *changed);

#endif
