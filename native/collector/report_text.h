/* The plain-text summary, column for column as the original
 * memory_inventory prints it: Markdown-like tables of the top 15
 * rows, '_' between thousands, " B" after byte counts, percentages with
 * one decimal. */
#ifndef MI_COLLECTOR_REPORT_TEXT_H
#define MI_COLLECTOR_REPORT_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include "analysis.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The rows the text tables show, at most. */
#define MI_TEXT_MAX_ROWS 15

/* A table: a newline, then the header,
   a rule (naming the top rows when some are left out), the first
   `max_rows` rows, a dotted rule with "total" centred in the first
   column, the totals; every line "| a | b |". Nothing at all when there
   are no rows. `cells` holds n_rows * n_columns strings, row by row.
   Returns 0, or -1 on an output error or when out of memory. */
int mi_report_text_table(FILE *out, size_t n_columns,
                         const char *const *headers,
                         const char *const *cells, size_t n_rows,
                         const char *const *totals, size_t max_rows);

/* What the original prints after its inventory, from "Types by intrinsic
   memory usage:" to the table of classes lacking slots and its newline. */
int mi_report_text_summary(FILE *out, const mi_analysis *analysis);

/* The last lines of a report: "The full results have been saved in DIR/"
   when `saved_dir` is not NULL, and "This report is INCOMPLETE: <reason>"
   when the model is not complete. Returns 0, or -1 on an output error. */
int mi_report_text_footer(FILE *out, const mi_model *model,
                          const char *saved_dir);

/* The whole report, as stdout shows it: the PROCESS line before the
   inventory, the GC line, the summary (when the recording has the final
   inventory; `analysis` is built for it), a line when the walk stopped
   at its limit, an empty line after a table, the PROCESS line after it,
   "The full results have been saved in DIR/" when `saved_dir` is not
   NULL, and "This report is INCOMPLETE: <reason>" when the model is not
   complete. Returns 0, or -1 on an output error or out of memory. */
int mi_report_text_write(FILE *out, const mi_model *model,
                         const mi_analysis *analysis, const char *saved_dir);

#ifdef __cplusplus
}
#endif

#endif
