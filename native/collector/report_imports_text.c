#include "report_imports_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../records.h"
#include "format.h"
#include "report_text.h"
#include "utf8.h"

/* The types named in a top row's "largest types" cell. */
#define LARGEST_TYPES 3

/* The tree's columns, before the name. */
enum {
    COLUMN_SELF_BYTES,
    COLUMN_CUMULATIVE_BYTES,
    COLUMN_OBJECTS,
    COLUMN_SELF_US,
    COLUMN_CUMULATIVE_US,
    N_COLUMNS
};

static const char *const column_headers[N_COLUMNS] = {
    "self [B]", "cumulative [B]", "objects", "self [us]", "cumulative [us]",
};

static uint64_t
microseconds(double seconds)
{
    if (!(seconds > 0.0)) {
        return 0;
    }
    if (seconds >= 1.8e13) {
        return UINT64_MAX;
    }
    return (uint64_t)llround(seconds * 1e6);
}

/* Writes `s` with control characters as spaces (a name or an error
   message on one line), ill-formed UTF-8 as U+FFFD. */
static int
put_one_line(FILE *out, const char *s)
{
    size_t length = strlen(s);
    char *copy = malloc(length + 1);
    if (copy == NULL) {
        return -1;
    }
    for (size_t i = 0; i <= length; i++) {
        unsigned char c = (unsigned char)s[i];
        copy[i] = (c != '\0' && (c < 0x20 || c == 0x7f)) ? ' ' : s[i];
    }
    int rc = mi_utf8_write(out, copy);
    free(copy);
    return rc;
}

static int
put_spaces(FILE *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (putc(' ', out) == EOF) {
            return -1;
        }
    }
    return 0;
}

static void
format_columns(const mi_import_node *node,
               char cells[N_COLUMNS][MI_FORMAT_SIZE])
{
    mi_format_uint(cells[COLUMN_SELF_BYTES], node->self_bytes);
    mi_format_uint(cells[COLUMN_CUMULATIVE_BYTES], node->cumulative_bytes);
    mi_format_uint(cells[COLUMN_OBJECTS], node->self_objects);
    mi_format_uint(cells[COLUMN_SELF_US], microseconds(node->self_seconds));
    mi_format_uint(cells[COLUMN_CUMULATIVE_US],
                   microseconds(node->total_seconds));
}

static const char *
module_name(const mi_model *model, uint64_t module_id)
{
    for (size_t i = 0; i < model->n_modules; i++) {
        if (model->modules[i].id == module_id) {
            return model->modules[i].name;
        }
    }
    return "?";
}

/* What follows a name: the outcome of a failed import, the unfinished
   import a root began in. */
static int
put_remarks(FILE *out, const mi_model *model, const mi_import_node *node)
{
    if (node->status == MI_IMPORT_FAILED) {
        if (fputs(" (failed", out) == EOF
            || (node->error != NULL
                && (fputs(": ", out) == EOF
                    || put_one_line(out, node->error) < 0))
            || putc(')', out) == EOF) {
            return -1;
        }
    }
    else if (node->status == MI_IMPORT_NOT_FOUND
             && fputs(" (not found)", out) == EOF) {
        return -1;
    }
    if (node->parent_unfinished
        && (fputs(" (inside ", out) == EOF
            || put_one_line(out, module_name(model, node->parent_id)) < 0
            || fputs(", which did not end)", out) == EOF)) {
        return -1;
    }
    return 0;
}

static int
put_row(FILE *out, const size_t *widths,
        char cells[N_COLUMNS][MI_FORMAT_SIZE])
{
    if (fputs("import memory: ", out) == EOF) {
        return -1;
    }
    for (size_t c = 0; c < N_COLUMNS; c++) {
        size_t length = strlen(cells[c]);
        if (put_spaces(out, widths[c] > length ? widths[c] - length : 0) < 0
            || fputs(cells[c], out) == EOF || fputs(" | ", out) == EOF) {
            return -1;
        }
    }
    return 0;
}

static int
put_tree(FILE *out, const mi_model *model, const mi_import_tree *tree,
         uint64_t min_size)
{
    size_t widths[N_COLUMNS];
    char cells[N_COLUMNS][MI_FORMAT_SIZE];
    size_t hidden = 0;
    for (size_t c = 0; c < N_COLUMNS; c++) {
        widths[c] = strlen(column_headers[c]);
    }
    for (size_t i = 0; i < tree->n_nodes; i++) {
        if (tree->nodes[i].cumulative_bytes < min_size) {
            hidden++;
            continue;
        }
        format_columns(&tree->nodes[i], cells);
        for (size_t c = 0; c < N_COLUMNS; c++) {
            size_t length = strlen(cells[c]);
            widths[c] = length > widths[c] ? length : widths[c];
        }
    }
    char headers[N_COLUMNS][MI_FORMAT_SIZE];
    for (size_t c = 0; c < N_COLUMNS; c++) {
        strcpy(headers[c], column_headers[c]);
    }
    if (put_row(out, widths, headers) < 0
        || fputs("imported package\n", out) == EOF) {
        return -1;
    }
    for (size_t i = 0; i < tree->n_nodes; i++) {
        const mi_import_node *node = &tree->nodes[i];
        if (node->cumulative_bytes < min_size) {
            continue;
        }
        format_columns(node, cells);
        if (put_row(out, widths, cells) < 0
            || put_spaces(out, 2 * (size_t)node->depth) < 0
            || put_one_line(out, node->name) < 0
            || put_remarks(out, model, node) < 0 || putc('\n', out) == EOF) {
            return -1;
        }
    }
    char size[MI_FORMAT_SIZE];
    if (hidden > 0
        && fprintf(out, "(%zu import%s under %s cumulative not shown: "
                   "--min-size)\n", hidden, hidden == 1 ? "" : "s",
                   mi_format_bytes(size, min_size)) < 0) {
        return -1;
    }
    return 0;
}

/* ---- Top tables ---- */

/* "str 1_234 B, dict 800 B": the largest types of the walk of `scope`. */
static char *
largest_types(const mi_model *model, uint64_t scope)
{
    const mi_model_inventory *inventory = mi_model_find_inventory(model,
                                                                  scope);
    const mi_model_type_stats *top[LARGEST_TYPES] = {NULL};
    size_t n_top = 0;
    if (inventory != NULL) {
        for (size_t i = 0; i < inventory->n_type_stats; i++) {
            const mi_model_type_stats *stats = &inventory->type_stats[i];
            size_t at = n_top;
            while (at > 0 && top[at - 1]->bytes < stats->bytes) {
                at--;
            }
            if (at >= LARGEST_TYPES) {
                continue;
            }
            size_t last = n_top < LARGEST_TYPES ? n_top : LARGEST_TYPES - 1;
            memmove(&top[at + 1], &top[at], (last - at) * sizeof(top[0]));
            top[at] = stats;
            n_top = n_top < LARGEST_TYPES ? n_top + 1 : LARGEST_TYPES;
        }
    }
    size_t size = 1;
    for (size_t i = 0; i < n_top; i++) {
        const mi_model_type *type = mi_model_find_type(model,
                                                       top[i]->type_id);
        size += strlen(type != NULL ? type->name : "?") + MI_FORMAT_SIZE + 3;
    }
    char *text = malloc(size);
    if (text == NULL) {
        return NULL;
    }
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < n_top; i++) {
        const mi_model_type *type = mi_model_find_type(model,
                                                       top[i]->type_id);
        char bytes[MI_FORMAT_SIZE];
        used += (size_t)snprintf(text + used, size - used, "%s%s %s",
                                 i > 0 ? ", " : "",
                                 type != NULL ? type->name : "?",
                                 mi_format_bytes(bytes, top[i]->bytes));
    }
    return text;
}

static double
fraction_of(uint64_t part, uint64_t whole)
{
    return whole > 0 ? (double)part / (double)whole : 0.0;
}

enum { TOP_NAME, TOP_SELF, TOP_CUMULATIVE, TOP_OBJECTS, TOP_PERCENT,
       TOP_TYPES, TOP_COLUMNS };

static int
put_top_table(FILE *out, const mi_model *model, const mi_import_tree *tree,
              const mi_imports_text_options *options, bool cumulative)
{
    /* The share of the final inventory's bytes is of the column the
       table is ordered by. */
    const char *const headers[TOP_COLUMNS] = {
        "imported package", "self", "cumulative", "objects",
        cumulative ? "cumulative % of final" : "self % of final",
        "largest types its walk found",
    };
    const size_t *order = cumulative ? tree->by_cumulative_bytes
                                     : tree->by_self_bytes;
    size_t listed = 0;              /* rows at or over min_size */
    while (listed < tree->n_nodes) {
        const mi_import_node *node = &tree->nodes[order[listed]];
        uint64_t key = cumulative ? node->cumulative_bytes : node->self_bytes;
        if (key < options->min_size) {
            break;
        }
        listed++;
    }
    size_t shown = listed < options->top ? listed : options->top;
    size_t n_cells = (shown > 0 ? shown : 1) * TOP_COLUMNS;
    const char **cells = calloc(n_cells, sizeof(char *));
    char (*numbers)[MI_FORMAT_SIZE] = calloc(n_cells, MI_FORMAT_SIZE);
    char **types = calloc(shown > 0 ? shown : 1, sizeof(char *));
    int rc = -1;
    if (cells == NULL || numbers == NULL || types == NULL) {
        goto done;
    }
    for (size_t r = 0; r < shown; r++) {
        const mi_import_node *node = &tree->nodes[order[r]];
        const char **row = &cells[r * TOP_COLUMNS];
        char (*own)[MI_FORMAT_SIZE] = &numbers[r * TOP_COLUMNS];
        types[r] = largest_types(model, node->module_id);
        if (types[r] == NULL) {
            goto done;
        }
        row[TOP_NAME] = node->name;
        row[TOP_SELF] = mi_format_bytes(own[TOP_SELF], node->self_bytes);
        row[TOP_CUMULATIVE] = mi_format_bytes(own[TOP_CUMULATIVE],
                                              node->cumulative_bytes);
        row[TOP_OBJECTS] = mi_format_uint(own[TOP_OBJECTS],
                                          node->self_objects);
        row[TOP_PERCENT] = tree->has_final
            ? mi_format_percent(own[TOP_PERCENT],
                                fraction_of(cumulative
                                            ? node->cumulative_bytes
                                            : node->self_bytes,
                                            tree->final_bytes))
            : "-";
        row[TOP_TYPES] = types[r];
    }
    /* Totals: every import (the roots' cumulative is the selves' sum). */
    char total[TOP_COLUMNS][MI_FORMAT_SIZE];
    const char *totals[TOP_COLUMNS] = {
        mi_format_uint(total[TOP_NAME], tree->n_nodes),
        mi_format_bytes(total[TOP_SELF], tree->self_bytes),
        mi_format_bytes(total[TOP_CUMULATIVE], tree->self_bytes),
        mi_format_uint(total[TOP_OBJECTS], tree->self_objects),
        tree->has_final ? mi_format_percent(total[TOP_PERCENT],
                                            fraction_of(tree->self_bytes,
                                                        tree->final_bytes))
                        : "-",
        "",
    };
    char size[MI_FORMAT_SIZE];
    if (fprintf(out, "\nTop %zu imports by %s memory:", options->top,
                cumulative ? "cumulative" : "self") < 0) {
        goto done;
    }
    if (shown == 0) {
        if (fputs(" none.\n", out) == EOF) {
            goto done;
        }
    }
    /* With `listed`, the table says "top N" when rows were left out; it
       reads the cells of the first `shown` rows only. */
    else if (mi_report_text_table(out, TOP_COLUMNS, headers, cells, listed,
                                  totals, options->top) < 0) {
        goto done;
    }
    if (listed < tree->n_nodes
        && fprintf(out, "(%zu import%s under %s %s not listed: --min-size)\n",
                   tree->n_nodes - listed,
                   tree->n_nodes - listed == 1 ? "" : "s",
                   mi_format_bytes(size, options->min_size),
                   cumulative ? "cumulative" : "self") < 0) {
        goto done;
    }
    rc = 0;
done:
    if (types != NULL) {
        for (size_t r = 0; r < shown; r++) {
            free(types[r]);
        }
    }
    free(types);
    free(numbers);
    free(cells);
    return rc;
}

/* ---- Totals ---- */

static int
put_amount(FILE *out, const char *label, uint64_t bytes, uint64_t objects,
           const mi_import_tree *tree)
{
    char b[MI_FORMAT_SIZE], o[MI_FORMAT_SIZE], p[MI_FORMAT_SIZE];
    if (fprintf(out, "%-32s%s in %s objects", label,
                mi_format_bytes(b, bytes), mi_format_uint(o, objects)) < 0
        || (tree->has_final
            && fprintf(out, " (%s)", mi_format_percent(
                           p, fraction_of(bytes, tree->final_bytes))) < 0)
        || putc('\n', out) == EOF) {
        return -1;
    }
    return 0;
}

static int
put_additivity(FILE *out, const mi_model *model, const mi_import_tree *tree)
{
    char b[MI_FORMAT_SIZE], o[MI_FORMAT_SIZE];
    char fb[MI_FORMAT_SIZE], fo[MI_FORMAT_SIZE];
    if (model->n_retained == 0) {
        return fputs("Self memory is what the walk after each import found: "
                     "the recording has no RETAINED records (the final "
                     "accounting is missing).\n", out) == EOF ? -1 : 0;
    }
    if (!tree->has_final) {
        return fprintf(out, "The RETAINED records add up to %s in %s "
                       "objects; the recording has no final inventory to "
                       "check them against.\n",
                       mi_format_bytes(b, tree->retained_total_bytes),
                       mi_format_uint(o, tree->retained_total_objects)) < 0
               ? -1 : 0;
    }
    if (tree->retained_adds_up) {
        return fputs("The RETAINED records add up exactly to the final "
                     "inventory.\n", out) == EOF ? -1 : 0;
    }
    return fprintf(out, "WARNING: the RETAINED records add up to %s in %s "
                   "objects, but the final inventory holds %s in %s "
                   "objects: the attribution does not add up.\n",
                   mi_format_bytes(b, tree->retained_total_bytes),
                   mi_format_uint(o, tree->retained_total_objects),
                   mi_format_bytes(fb, tree->final_bytes),
                   mi_format_uint(fo, tree->final_objects)) < 0 ? -1 : 0;
}

static int
put_totals(FILE *out, const mi_model *model, const mi_import_tree *tree)
{
    if (putc('\n', out) == EOF
        || (tree->has_baseline
            && put_amount(out, "Baseline (before tracing):",
                          tree->baseline_bytes, tree->baseline_objects,
                          tree) < 0)
        || put_amount(out, tree->retained ? "Imports (self, summed):"
                                          : "Imports (walks, summed):",
                      tree->self_bytes, tree->self_objects, tree) < 0
        || ((tree->orphan_retained_bytes > 0
             || tree->orphan_retained_objects > 0)
            && put_amount(out, "Modules without an IMPORT:",
                          tree->orphan_retained_bytes,
                          tree->orphan_retained_objects, tree) < 0)
        || (tree->has_unattributed
            && put_amount(out, "Unattributed (final walk only):",
                          tree->unattributed_bytes,
                          tree->unattributed_objects, tree) < 0)) {
        return -1;
    }
    char b[MI_FORMAT_SIZE], o[MI_FORMAT_SIZE];
    if (tree->has_final) {
        if (fprintf(out, "%-32s%s in %s objects\n", "Final inventory:",
                    mi_format_bytes(b, tree->final_bytes),
                    mi_format_uint(o, tree->final_objects)) < 0) {
            return -1;
        }
    }
    else if (fputs("The recording holds no final inventory.\n", out) == EOF) {
        return -1;
    }
    if (put_additivity(out, model, tree) < 0) {
        return -1;
    }
    char us[MI_FORMAT_SIZE];
    if (fprintf(out, "Imports: %zu (%zu failed, %zu not found), %s us in "
                "all.\n", tree->n_nodes, tree->n_failed, tree->n_not_found,
                mi_format_uint(us, microseconds(tree->import_seconds))) < 0) {
        return -1;
    }
    return 0;
}

int
mi_report_imports_text_write(FILE *out, const mi_model *model,
                             const mi_import_tree *tree,
                             const mi_imports_text_options *options)
{
    if (tree->n_nodes == 0) {
        if (fputs("The recording holds no IMPORT records.\n", out) == EOF) {
            return -1;
        }
    }
    else if (put_tree(out, model, tree, options->min_size) < 0
             || (options->top > 0
                 && (put_top_table(out, model, tree, options, true) < 0
                     || put_top_table(out, model, tree, options, false)
                        < 0))
             || put_totals(out, model, tree) < 0) {
        return -1;
    }
    if (options->incomplete_line) {
        return mi_report_text_footer(out, model, NULL);
    }
    return ferror(out) ? -1 : 0;
}

int
mi_report_importtime_write(FILE *out, const mi_import_tree *tree,
                           uint64_t min_size)
{
    if (fputs("import time: self [us] | cumulative | imported package\n",
              out) == EOF) {
        return -1;
    }
    for (size_t i = 0; i < tree->n_nodes; i++) {
        const mi_import_node *node = &tree->nodes[i];
        if (node->cumulative_bytes < min_size) {
            continue;
        }
        if (fprintf(out, "import time: %9llu | %10llu | %*s",
                    (unsigned long long)node->self_bytes,
                    (unsigned long long)node->cumulative_bytes,
                    (int)(2 * node->depth), "") < 0
            || put_one_line(out, node->name) < 0 || putc('\n', out) == EOF) {
            return -1;
        }
    }
    return ferror(out) ? -1 : 0;
}
