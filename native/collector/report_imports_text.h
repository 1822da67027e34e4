/* The text reports of import tracing, from the import tree:
 *
 * - the tree report (imports.txt, --print tree): one line per import, in
 *   the order the imports ended (children first) and indented two spaces
 *   per depth, as `python -X importtime` prints them, with memory columns
 *   before the time columns; then the top imports by cumulative and by
 *   self memory; then the baseline, unattributed and final totals, the
 *   check that the RETAINED records add up to the final inventory, the
 *   number of imports and their time;
 * - the importtime report (importtime.txt, --print importtime): exactly
 *   CPython's -X importtime format with bytes in place of microseconds,
 *   for the viewers of that format (tuna, ...).
 *
 * Byte counts are exact, with '_' between thousands ("1_234_567"), as in
 * every other report; times are microseconds, rounded to the nearest. */
#ifndef MI_COLLECTOR_REPORT_IMPORTS_TEXT_H
#define MI_COLLECTOR_REPORT_IMPORTS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "import_tree.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MI_IMPORTS_TEXT_DEFAULT_TOP 10

typedef struct {
    /* Rows of each top table; 0: no top tables. */
    size_t top;
    /* Tree rows whose cumulative bytes, and top rows whose cumulative
       (resp. self) bytes, are below this are left out, and a line says
       how many. */
    uint64_t min_size;
    /* End with "This report is INCOMPLETE: <reason>" when the model is
       not complete. */
    bool incomplete_line;
} mi_imports_text_options;

/* The tree report. Returns 0, or -1 on an output error or when out of
   memory. */
int mi_report_imports_text_write(FILE *out, const mi_model *model,
                                 const mi_import_tree *tree,
                                 const mi_imports_text_options *options);

/* The importtime report: the header
   "import time: self [us] | cumulative | imported package", then per
   import "import time: %9llu | %10llu | %*s%s" (self bytes, cumulative
   bytes, two spaces per depth, the name). Imports whose cumulative bytes
   are below `min_size` are left out, silently (the format has no room
   for a remark). Returns 0, or -1 on an output error. */
int mi_report_importtime_write(FILE *out, const mi_import_tree *tree,
                               uint64_t min_size);

#ifdef __cplusplus
}
#endif

#endif
