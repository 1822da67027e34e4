#include "report_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "utf8.h"

/* ---- Tables ---- */

static int
put_padding(FILE *out, char fill, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (putc(fill, out) == EOF) {
            return -1;
        }
    }
    return 0;
}

/* `text` padded to `width` characters: on the right (left-aligned), on
   the left, or on both sides as Python's str.center, which puts the odd
   character on the left when both the margin and the width are odd. */
typedef enum { ALIGN_LEFT, ALIGN_RIGHT, ALIGN_CENTER } alignment;

static int
put_aligned(FILE *out, const char *text, size_t width, alignment align,
            char fill)
{
    size_t length = mi_utf8_length(text);
    size_t margin = width > length ? width - length : 0;
    size_t left = 0;
    if (align == ALIGN_RIGHT) {
        left = margin;
    }
    else if (align == ALIGN_CENTER) {
        left = margin / 2 + (margin & width & 1);
    }
    if (put_padding(out, fill, left) < 0 || mi_utf8_write(out, text) < 0
        || put_padding(out, fill, margin - left) < 0) {
        return -1;
    }
    return 0;
}

/* A line of cells; `rule`: cells are fill characters only. */
static int
put_line(FILE *out, size_t n_columns, const size_t *widths,
         const char *const *cells, alignment first, char rule)
{
    if (fputs("| ", out) == EOF) {
        return -1;
    }
    for (size_t i = 0; i < n_columns; i++) {
        if (i > 0 && fputs(" | ", out) == EOF) {
            return -1;
        }
        if (rule != '\0' && (i > 0 || cells == NULL)) {
            if (put_padding(out, rule, widths[i]) < 0) {
                return -1;
            }
        }
        else if (put_aligned(out, cells[i], widths[i],
                             i == 0 ? first : ALIGN_RIGHT,
                             rule != '\0' ? rule : ' ') < 0) {
            return -1;
        }
    }
    return fputs(" |\n", out) == EOF ? -1 : 0;
}

int
mi_report_text_table(FILE *out, size_t n_columns, const char *const *headers,
                     const char *const *cells, size_t n_rows,
                     const char *const *totals, size_t max_rows)
{
    if (n_rows == 0) {
        return 0;
    }
    size_t shown = n_rows < max_rows ? n_rows : max_rows;
    size_t *widths = calloc(n_columns, sizeof(size_t));
    if (widths == NULL) {
        return -1;
    }
    for (size_t c = 0; c < n_columns; c++) {
        size_t w = mi_utf8_length(headers[c]);
        for (size_t r = 0; r < shown; r++) {
            size_t n = mi_utf8_length(cells[r * n_columns + c]);
            w = n > w ? n : w;
        }
        size_t n = mi_utf8_length(totals[c]);
        widths[c] = n > w ? n : w;
    }

    int rc = -1;
    char top[MI_FORMAT_SIZE];
    snprintf(top, sizeof(top), "top %zu", max_rows);
    const char *top_cells[] = {top};
    const char *total_cells[] = {"total"};
    if (putc('\n', out) == EOF
        || put_line(out, n_columns, widths, headers, ALIGN_LEFT, '\0') < 0
        || put_line(out, n_columns, widths,
                    n_rows > max_rows ? top_cells : NULL, ALIGN_CENTER,
                    '-') < 0) {
        goto done;
    }
    for (size_t r = 0; r < shown; r++) {
        if (put_line(out, n_columns, widths, &cells[r * n_columns],
                     ALIGN_LEFT, '\0') < 0) {
            goto done;
        }
    }
    if (put_line(out, n_columns, widths, total_cells, ALIGN_CENTER, '.') < 0
        || put_line(out, n_columns, widths, totals, ALIGN_RIGHT, '\0') < 0) {
        goto done;
    }
    rc = 0;
done:
    free(widths);
    return rc;
}

/* ---- The three tables of the summary ---- */

/* Cells: names are borrowed, numbers are formatted into `own`. */
typedef struct {
    size_t n_columns;
    size_t n_rows;              /* rows with cells (at most the shown) */
    const char **cells;
    char (*own)[MI_FORMAT_SIZE];
    const char *totals[8];
    char own_totals[8][MI_FORMAT_SIZE];
} cells;

static int
cells_init(cells *t, size_t n_columns, size_t n_rows)
{
    memset(t, 0, sizeof(*t));
    t->n_columns = n_columns;
    t->n_rows = n_rows < MI_TEXT_MAX_ROWS ? n_rows : MI_TEXT_MAX_ROWS;
    if (t->n_rows == 0) {
        return 0;
    }
    t->cells = calloc(t->n_rows * n_columns, sizeof(char *));
    t->own = calloc(t->n_rows * n_columns, MI_FORMAT_SIZE);
    if (t->cells == NULL || t->own == NULL) {
        free(t->cells);
        free(t->own);
        return -1;
    }
    return 0;
}

static void
cells_free(cells *t)
{
    free(t->cells);
    free(t->own);
}

/* The buffer of cell (row, column), made the cell's text. */
static char *
own_cell(cells *t, size_t row, size_t column)
{
    size_t i = row * t->n_columns + column;
    t->cells[i] = t->own[i];
    return t->own[i];
}

static char *
own_total(cells *t, size_t column)
{
    t->totals[column] = t->own_totals[column];
    return t->own_totals[column];
}

static int
put_cells(FILE *out, cells *t, const char *const *headers, size_t n_rows)
{
    return mi_report_text_table(out, t->n_columns, headers,
                                (const char *const *)t->cells, n_rows,
                                t->totals, MI_TEXT_MAX_ROWS);
}

static int
types_table(FILE *out, const mi_analysis *analysis)
{
    static const char *const headers[] = {
        "type", "cumulated memory usage", "instances found",
        "average memory usage per instance",
    };
    cells t;
    if (cells_init(&t, 4, analysis->n_types) < 0) {
        return -1;
    }
    for (size_t r = 0; r < t.n_rows; r++) {
        const mi_type_row *row = &analysis->types[r];
        t.cells[r * 4] = row->type->name;
        mi_format_bytes(own_cell(&t, r, 1), row->stats->bytes);
        mi_format_uint(own_cell(&t, r, 2), row->stats->instances);
        mi_format_bytes(own_cell(&t, r, 3),
                        row->stats->bytes / row->stats->instances);
    }
    mi_format_uint(own_total(&t, 0), analysis->n_types);
    mi_format_bytes(own_total(&t, 1), analysis->total_bytes);
    mi_format_uint(own_total(&t, 2), analysis->total_instances);
    mi_format_bytes(own_total(&t, 3),
                    analysis->total_instances > 0
                    ? analysis->total_bytes / analysis->total_instances : 0);
    int rc = put_cells(out, &t, headers, analysis->n_types);
    cells_free(&t);
    return rc;
}

static int
duplicates_table(FILE *out, const mi_analysis *analysis)
{
    static const char *const headers[] = {
        "type", "savable memory", "duplicate instances",
    };
    cells t;
    if (cells_init(&t, 3, analysis->n_duplicate_summary) < 0) {
        return -1;
    }
    for (size_t r = 0; r < t.n_rows; r++) {
        const mi_duplicate_summary_row *row = &analysis->duplicate_summary[r];
        t.cells[r * 3] = row->type->name;
        mi_format_bytes(own_cell(&t, r, 1), row->savable_bytes);
        mi_format_uint(own_cell(&t, r, 2), row->duplicate_instances);
    }
    mi_format_uint(own_total(&t, 0), analysis->n_duplicate_summary);
    mi_format_bytes(own_total(&t, 1), analysis->total_savable_bytes);
    mi_format_uint(own_total(&t, 2), analysis->total_duplicate_instances);
    int rc = put_cells(out, &t, headers, analysis->n_duplicate_summary);
    cells_free(&t);
    return rc;
}

static int
slots_table(FILE *out, const mi_analysis *analysis)
{
    static const char *const headers[] = {
        "class", "savable memory", "__dict__ memory usage",
        "memory reduction", "missing slots", "instances found",
    };
    cells t;
    if (cells_init(&t, 6, analysis->n_lacking_slots) < 0) {
        return -1;
    }
    int64_t savable = 0;
    uint64_t dict_bytes = 0, missing = 0, instances = 0;
    for (size_t r = 0; r < analysis->n_lacking_slots; r++) {
        const mi_slots_row *row = &analysis->lacking_slots[r];
        savable = row->savable_bytes > INT64_MAX - savable
                  ? INT64_MAX : savable + row->savable_bytes;
        dict_bytes = dict_bytes > UINT64_MAX - row->dict_bytes
                     ? UINT64_MAX : dict_bytes + row->dict_bytes;
        missing += row->n_missing_slots;
        instances = instances > UINT64_MAX - row->instances
                    ? UINT64_MAX : instances + row->instances;
        if (r < t.n_rows) {
            t.cells[r * 6] = row->type->name;
            mi_format_signed_bytes(own_cell(&t, r, 1), row->savable_bytes);
            mi_format_bytes(own_cell(&t, r, 2), row->dict_bytes);
            mi_format_percent(own_cell(&t, r, 3), row->reduction);
            mi_format_uint(own_cell(&t, r, 4), row->n_missing_slots);
            mi_format_uint(own_cell(&t, r, 5), row->instances);
        }
    }
    mi_format_uint(own_total(&t, 0), analysis->n_lacking_slots);
    mi_format_signed_bytes(own_total(&t, 1), savable);
    mi_format_bytes(own_total(&t, 2), dict_bytes);
    if (dict_bytes > 0) {
        mi_format_percent(own_total(&t, 3),
                          (double)savable / (double)dict_bytes);
    }
    else {
        t.totals[3] = "NaN";
    }
    mi_format_uint(own_total(&t, 4), missing);
    mi_format_uint(own_total(&t, 5), instances);
    int rc = put_cells(out, &t, headers, analysis->n_lacking_slots);
    cells_free(&t);
    return rc;
}

int
mi_report_text_summary(FILE *out, const mi_analysis *analysis)
{
    if (fputs("Types by intrinsic memory usage:", out) == EOF
        || types_table(out, analysis) < 0
        || fprintf(out, "Uninstantiated types (excluding BaseException and "
                   "its subclasses): %zu\n", analysis->n_uninstantiated) < 0
        || fputs("Duplicate objects by type:", out) == EOF) {
        return -1;
    }
    if (analysis->n_duplicate_summary == 0) {
        if (fputs(" none.", out) == EOF) {
            return -1;
        }
    }
    else if (duplicates_table(out, analysis) < 0) {
        return -1;
    }
    if (fputs("Instantiated classes lacking slots:", out) == EOF) {
        return -1;
    }
    if (analysis->n_lacking_slots == 0) {
        if (fputs(" none.", out) == EOF) {
            return -1;
        }
    }
    else if (slots_table(out, analysis) < 0) {
        return -1;
    }
    return ferror(out) ? -1 : 0;
}

/* ---- The whole report ---- */

static int
put_kib(FILE *out, bool known, uint64_t kib)
{
    if (!known) {
        return fputs("<unknown>", out) == EOF ? -1 : 0;
    }
    return fprintf(out, "%llu kB", (unsigned long long)kib) < 0 ? -1 : 0;
}

static int
put_process(FILE *out, const mi_model_process *process)
{
    double total = process->user_seconds + process->system_seconds;
    double userland = total != 0.0 ? process->user_seconds / total : 0.0;
    char percent[MI_FORMAT_SIZE];
    if (fprintf(out, "Elapsed time: %.3fs (%s in userland). Resident memory: ",
                total, mi_format_percent(percent, userland)) < 0
        || put_kib(out, process->rss_known, process->rss_kib) < 0
        || fputs(" now, ", out) == EOF
        || put_kib(out, process->peak_known, process->peak_rss_kib) < 0
        || fprintf(out, " at peak. Active threads: %llu.\n",
                   (unsigned long long)process->threads) < 0) {
        return -1;
    }
    return 0;
}

int
mi_report_text_write(FILE *out, const mi_model *model,
                     const mi_analysis *analysis, const char *saved_dir)
{
    const mi_model_inventory *inventory =
        analysis != NULL ? analysis->inventory : NULL;
    if (model->process_before.present
        && put_process(out, &model->process_before) < 0) {
        return -1;
    }
    if (model->has_gc
        && fprintf(out, "The garbage collector is tracking %llu objects and "
                   "has previously deleted %llu others in %llu runs. It has "
                   "found %llu uncollectable objects.\n",
                   (unsigned long long)model->gc_tracked,
                   (unsigned long long)model->gc_collected,
                   (unsigned long long)model->gc_collections,
                   (unsigned long long)model->gc_uncollectable) < 0) {
        return -1;
    }
    if (inventory != NULL) {
        if (mi_report_text_summary(out, analysis) < 0
            || putc('\n', out) == EOF) {
            return -1;
        }
        if (inventory->limit_reached
            && fprintf(out, "The walk stopped at the objects limit (%llu); "
                       "%llu objects were left unvisited.\n",
                       (unsigned long long)inventory->objects_limit,
                       (unsigned long long)inventory->pending) < 0) {
            return -1;
        }
    }
    else if (fputs("The recording holds no inventory.\n", out) == EOF) {
        return -1;
    }
    if (model->process_after.present
        && put_process(out, &model->process_after) < 0) {
        return -1;
    }
    return mi_report_text_footer(out, model, saved_dir);
}

int
mi_report_text_footer(FILE *out, const mi_model *model,
                      const char *saved_dir)
{
    if (saved_dir != NULL
        && (fputs("The full results have been saved in ", out) == EOF
            || mi_utf8_write(out, saved_dir) < 0
            || fputs("/\n", out) == EOF)) {
        return -1;
    }
    if (!model->complete
        && (fputs("This report is INCOMPLETE: ", out) == EOF
            || mi_utf8_write(out, model->incomplete_reason != NULL
                                  ? model->incomplete_reason
                                  : "unknown reason") < 0
            || putc('\n', out) == EOF)) {
        return -1;
    }
    return ferror(out) ? -1 : 0;
}
