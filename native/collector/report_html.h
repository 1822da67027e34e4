/* The HTML report: one self-contained page per table (inline CSS, no
 * script, no external resource), every row of the analysis shown, and the
 * details the text report leaves out (reprs, addresses, reference counts,
 * missing slot names) folded in <details> elements.
 *
 * The pages show the model and the analysis as they are and compute
 * nothing of their own beyond totals and per-row products. Every string
 * that comes from the recording is HTML-escaped, and bytes that are not
 * UTF-8 are shown as U+FFFD, so a hostile heap cannot inject markup. */
#ifndef MI_COLLECTOR_REPORT_HTML_H
#define MI_COLLECTOR_REPORT_HTML_H

#include <stdio.h>

#include "analysis.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MI_HTML_TYPES_PAGE "types_by_memory_usage.html"
#define MI_HTML_UNINSTANTIATED_PAGE "uninstantiated_types.html"
#define MI_HTML_SLOTS_PAGE "classes_lacking_slots.html"

/* Writes the three pages above, and duplicate_<type name>.html for each
   duplicate summary row with duplicates, into the directory `dir_fd`.
   The type name is kept to [A-Za-z0-9._-], one '_' for each other
   character, and cut at 200 bytes; should two rows end with the same
   name, the later ones get "_2", "_3"... appended. Files are created with
   mode 0600, replacing regular files of the same name and refusing
   symbolic links. Returns 0, or -1 with errno set; the page being written
   when an error occurs is removed, the ones written before are kept. */
int mi_report_html_write(const mi_model *model, const mi_analysis *analysis,
                         int dir_fd);

/* Writes to `out` the page mi_report_html_write would write under
   `file_name`. Returns 0, or -1 with errno set (ENOENT: no page has that
   name). Does not close `out`. */
int mi_report_html_write_page(FILE *out, const mi_model *model,
                              const mi_analysis *analysis,
                              const char *file_name);

#ifdef __cplusplus
}
#endif

#endif
