/* imports.html: the import tree of a traced recording as one
 * self-contained page (inline CSS, SVG and script; a Content Security
 * Policy forbids anything fetched).
 *
 * First an icicle chart drawn as inline SVG: one rectangle per import,
 * its width proportional to the import's cumulative bytes, its children
 * below it from left to right in the order they ended, one row per
 * nesting level, under a top bar for all imports. The colour is that of
 * the top-level package (the twelve with the most self bytes have their
 * own colours, in the legend; the others a pale one of their own); an
 * import that failed or was not found has a dashed red outline. Each
 * rectangle carries its figures (self and cumulative bytes and objects,
 * self and cumulative import time, status) in an SVG <title> (the
 * hover tooltip); the page's script shows them in a panel on hover and
 * on click, where it also zooms into the clicked import's subtree (the
 * top bar or the reset button zooms out; "#zoom=n<index>" in the URL
 * zooms on load). The script sets data-chart="drawn" on the <html>
 * element once the chart is live, and data-script-error to the message
 * of any script error.
 *
 * Below: the totals (baseline, imports, unattributed, final inventory,
 * import time), then one collapsed <details> per import, by self bytes:
 * the INVENTORY of its scope (types by bytes), the duplicates and the
 * classes lacking slots it added, with the rules of analysis.h. Every
 * string from the recording is HTML-escaped, with ill-formed UTF-8 and
 * control characters shown as U+FFFD. */
#ifndef MI_COLLECTOR_REPORT_IMPORTS_HTML_H
#define MI_COLLECTOR_REPORT_IMPORTS_HTML_H

#include <stdio.h>

#include "import_tree.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MI_HTML_IMPORTS_PAGE "imports.html"

/* The chart's coordinates (SVG user units). */
#define MI_IMPORTS_CHART_WIDTH 1200
#define MI_IMPORTS_CHART_ROW 20

/* Writes MI_HTML_IMPORTS_PAGE into the directory `dir_fd`: mode 0600,
   replacing a regular file of that name, refusing a symbolic link.
   Returns 0, or -1 with errno set (the file is then removed). */
int mi_report_imports_html_write(const mi_model *model,
                                 const mi_import_tree *tree, int dir_fd);

/* Writes the same page to `out` (not closed). Returns 0, or -1 with
   errno set. */
int mi_report_imports_html_write_stream(FILE *out, const mi_model *model,
                                        const mi_import_tree *tree);

#ifdef __cplusplus
}
#endif

#endif
