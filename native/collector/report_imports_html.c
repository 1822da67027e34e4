#define _POSIX_C_SOURCE 200809L

#include "report_imports_html.h"
#include "import_summary.h"
#include "file_stream.h"
#include "format.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../records.h"

#define ELLIPSIS "\xE2\x80\xA6"         /* … */
#define EM_DASH "\xE2\x80\x94"          /* — */

/* Reprs longer than this many characters are cut in table cells. */
#define REPR_CELL_CHARS 40
/* Rows of each per-import table; the rest are summed up in one row, so
   that a page of 750 imports stays small (report.json has them all). */
#define TYPE_ROWS_SHOWN 12
#define DUPLICATE_ROWS_SHOWN 5
#define SLOTS_ROWS_SHOWN 5

/* The chart: labels are 12 units high; a character is taken to be at
   most CHAR_WIDTH wide (sans-serif at 12px averages about 6.5), and a
   label keeps LABEL_PADDING units free in its rectangle. The script
   fits labels with the same rule. */
#define CHART_WIDTH MI_IMPORTS_CHART_WIDTH
#define ROW MI_IMPORTS_CHART_ROW
#define CHAR_WIDTH 7
#define LABEL_PADDING 6
#define STRINGIFY(x) #x
#define NUMBER_TEXT(x) STRINGIFY(x)

/* Top-level packages with a colour of their own (the others get a pale
   hue from their name). */
static const char *const PALETTE[] = {
    "#7eb0d5", "#fd7f6f", "#b2e061", "#bd7ebe", "#ffb55a", "#ffee65",
    "#beb9db", "#fdcce5", "#8bd3c7", "#e5c494", "#a6cee3", "#cab2d6",
};
#define PALETTE_SIZE (sizeof(PALETTE) / sizeof(PALETTE[0]))

/* ---- Text: UTF-8 checked, HTML-escaped ---- */

/* Writes at most `max_chars` characters of s[0:len], escaped. */
static void
put_escaped_n(FILE *out, const char *s, size_t len, size_t max_chars)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    for (size_t n = 0; i < len && n < max_chars; n++) {
        unsigned char byte = p[i];
        if (byte >= 0x20 && byte < 0x7F && byte != '&' && byte != '<'
            && byte != '>' && byte != '"' && byte != '\'') {
            i++;            /* printable ASCII, kept: the common case */
            continue;
        }
        uint32_t cp;
        size_t width = mi_utf8_decode(p + i, len - i, &cp, NULL);
        const char *replacement;
        switch (cp) {
        case '&': replacement = "&amp;"; break;
        case '<': replacement = "&lt;"; break;
        case '>': replacement = "&gt;"; break;
        case '"': replacement = "&quot;"; break;
        case '\'': replacement = "&#x27;"; break;
        default:
            replacement = mi_utf8_html_displayable(cp)
                          ? NULL : MI_UTF8_REPLACEMENT;
        }
        if (replacement != NULL) {
            fwrite(p + run, 1, i - run, out);
            fputs(replacement, out);
            run = i + width;
        }
        i += width;
    }
    fwrite(p + run, 1, i - run, out);
}

static void
put_text(FILE *out, const char *s)
{
    if (s != NULL) {
        put_escaped_n(out, s, strlen(s), SIZE_MAX);
    }
}

/* At most `max_chars` characters, the last one "…" when cut. */
static void
put_cut_text(FILE *out, const char *s, size_t max_chars)
{
    if (s == NULL) {
        return;
    }
    size_t len = strlen(s);
    if (mi_utf8_length(s) <= max_chars) {
        put_escaped_n(out, s, len, SIZE_MAX);
        return;
    }
    put_escaped_n(out, s, len, max_chars - 1);
    fputs(ELLIPSIS, out);
}

static const char *
name_of(const mi_import_node *node)
{
    return node->name != NULL ? node->name : "";
}

/* ---- Numbers ---- */

/* Sums saturate: a hostile recording can make them absurd, never
   wrapped. */
static uint64_t
add_saturated(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int64_t
add_saturated_signed(int64_t a, int64_t b)
{
    int64_t sum;
    if (__builtin_add_overflow(a, b, &sum)) {
        return b > 0 ? INT64_MAX : INT64_MIN;
    }
    return sum;
}

/* mi_format_uint's "1_234_567", written without printf: a page of 750
   imports has some 40 000 numbers, and snprintf was most of its cost.
   The tests check that both agree. */
static void
put_count(FILE *out, uint64_t value)
{
    char buffer[32];            /* 20 digits and 6 separators */
    char *end = buffer + sizeof(buffer), *p = end;
    unsigned digits = 0;
    do {
        if (digits > 0 && digits % 3 == 0) {
            *--p = '_';
        }
        *--p = (char)('0' + value % 10);
        value /= 10;
        digits++;
    } while (value > 0);
    fwrite(p, 1, (size_t)(end - p), out);
}

static void
put_bytes(FILE *out, uint64_t value)
{
    put_count(out, value);
    fputs(" B", out);
}

static void
put_signed_bytes(FILE *out, int64_t value)
{
    if (value < 0) {
        fputc('-', out);
        /* -(value + 1) + 1 does not overflow on INT64_MIN. */
        put_count(out, (uint64_t)(-(value + 1)) + 1);
    }
    else {
        put_count(out, (uint64_t)value);
    }
    fputs(" B", out);
}

/* A chart coordinate (0 <= value, in units) with two decimals, as
   "%.2f" but without printf. */
static void
put_units(FILE *out, double value)
{
    uint64_t hundredths = value > 0 ? (uint64_t)llround(value * 100.0) : 0;
    char buffer[32];
    char *end = buffer + sizeof(buffer), *p = end;
    *--p = (char)('0' + hundredths % 10);
    *--p = (char)('0' + hundredths / 10 % 10);
    *--p = '.';
    hundredths /= 100;
    do {
        *--p = (char)('0' + hundredths % 10);
        hundredths /= 10;
    } while (hundredths > 0);
    fwrite(p, 1, (size_t)(end - p), out);
}

static void
put_milliseconds(FILE *out, double seconds)
{
    if (!isfinite(seconds)) {
        fputs("unknown", out);
        return;
    }
    fprintf(out, "%.2f ms", seconds * 1e3);
}

/* "512 B", "12.3 KiB", "1.5 MiB", "2.0 GiB": short, for labels. */
static char *
format_short_size(char buffer[MI_FORMAT_SIZE], uint64_t bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB",
                                        "EiB"};
    if (bytes < 1024) {
        snprintf(buffer, MI_FORMAT_SIZE, "%" PRIu64 " B", bytes);
        return buffer;
    }
    double value = (double)bytes / 1024.0;
    size_t unit = 0;
    while (value >= 1023.95 && unit + 1 < sizeof(units) / sizeof(units[0])) {
        value /= 1024.0;
        unit++;
    }
    snprintf(buffer, MI_FORMAT_SIZE, "%.1f %s", value, units[unit]);
    return buffer;
}

static void
put_status(FILE *out, const mi_import_node *node)
{
    switch (node->status) {
    case MI_IMPORT_OK:
        fputs("ok", out);
        break;
    case MI_IMPORT_FAILED:
        fputs("failed", out);
        break;
    case MI_IMPORT_NOT_FOUND:
        fputs("not found", out);
        break;
    default:
        fprintf(out, "status %" PRIu64, node->status);
    }
    if (node->error != NULL) {
        fputs(": ", out);
        put_text(out, node->error);
    }
}

/* ---- Layout ---- */

typedef struct {
    const char *name;       /* the top-level package: name[0:len] */
    size_t len;
    uint64_t self_bytes;    /* of every import in it */
} package;

typedef struct {
    const mi_import_tree *tree;
    uint64_t total;         /* bytes of the top bar: the roots' sum */
    uint64_t *offset;       /* per node: bytes left of its rectangle */
    uint64_t *width;        /* per node: its cumulative bytes, clamped */
    unsigned *row;          /* per node: 1 + its depth in the drawing */
    size_t *order;          /* nodes drawn, parents first */
    size_t n_order;
    unsigned rows;          /* the top bar's included */
    size_t *package_of;     /* per node: index in packages */
    package *packages;      /* by self bytes, descending */
    size_t n_packages;
} chart;

static size_t
top_level_length(const char *name)
{
    const char *dot = strchr(name, '.');
    return dot != NULL ? (size_t)(dot - name) : strlen(name);
}

static int
compare_package_names(const package *x, const package *y)
{
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    if (c != 0) {
        return c;
    }
    return (x->len > y->len) - (x->len < y->len);
}

typedef struct {
    package key;
    size_t node;
} package_entry;

static int
compare_entries(const void *a, const void *b)
{
    const package_entry *x = a, *y = b;
    int c = compare_package_names(&x->key, &y->key);
    return c != 0 ? c : (x->node > y->node) - (x->node < y->node);
}

typedef struct {
    package value;
    size_t index;           /* before sorting */
} ranked_package;

static int
compare_ranked(const void *a, const void *b)
{
    const ranked_package *x = a, *y = b;
    if (x->value.self_bytes != y->value.self_bytes) {
        return x->value.self_bytes < y->value.self_bytes ? 1 : -1;
    }
    return compare_package_names(&x->value, &y->value);
}

/* Groups the nodes by top-level package, packages by self bytes. */
static int
group_packages(chart *c)
{
    const mi_import_tree *tree = c->tree;
    size_t n = tree->n_nodes;
    size_t room = n > 0 ? n : 1;
    int rc = -1;
    package_entry *entries = malloc(room * sizeof(*entries));
    ranked_package *ranked = malloc(room * sizeof(*ranked));
    size_t *rank_of = malloc(room * sizeof(*rank_of));
    c->packages = malloc(room * sizeof(*c->packages));
    if (entries == NULL || ranked == NULL || rank_of == NULL
        || c->packages == NULL) {
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = name_of(&tree->nodes[i]);
        entries[i] = (package_entry){{name, top_level_length(name), 0}, i};
    }
    qsort(entries, n, sizeof(*entries), compare_entries);
    size_t groups = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0
            || compare_package_names(&entries[i].key,
                                     &entries[i - 1].key) != 0) {
            ranked[groups] = (ranked_package){entries[i].key, groups};
            groups++;
        }
        package *p = &ranked[groups - 1].value;
        uint64_t add = tree->nodes[entries[i].node].self_bytes;
        p->self_bytes = add_saturated(p->self_bytes, add);
        c->package_of[entries[i].node] = groups - 1;
    }
    qsort(ranked, groups, sizeof(*ranked), compare_ranked);
    for (size_t r = 0; r < groups; r++) {
        c->packages[r] = ranked[r].value;
        rank_of[ranked[r].index] = r;
    }
    for (size_t i = 0; i < n; i++) {
        c->package_of[i] = rank_of[c->package_of[i]];
    }
    c->n_packages = groups;
    rc = 0;
done:
    free(entries);
    free(ranked);
    free(rank_of);
    return rc;
}

static void
chart_free(chart *c)
{
    free(c->offset);
    free(c->width);
    free(c->row);
    free(c->order);
    free(c->package_of);
    free(c->packages);
    memset(c, 0, sizeof(*c));
}

/* Places every node reachable from the roots (each once, whatever the
   tree holds): children left to right from their parent's left edge, in
   the order they ended; no child past its parent's right edge. */
static int
chart_build(chart *c, const mi_import_tree *tree)
{
    size_t n = tree->n_nodes;
    size_t room = n > 0 ? n : 1;
    memset(c, 0, sizeof(*c));
    c->tree = tree;
    c->offset = calloc(room, sizeof(*c->offset));
    c->width = calloc(room, sizeof(*c->width));
    c->row = calloc(room, sizeof(*c->row));
    c->order = malloc(room * sizeof(*c->order));
    c->package_of = calloc(room, sizeof(*c->package_of));
    size_t *stack = malloc(room * sizeof(*stack));
    bool *placed = calloc(room, sizeof(*placed));
    if (c->offset == NULL || c->width == NULL || c->row == NULL
        || c->order == NULL || c->package_of == NULL || stack == NULL
        || placed == NULL) {
        goto fail;
    }
    c->rows = 1;
    for (size_t r = 0; r < tree->n_roots; r++) {
        size_t i = tree->roots[r];
        if (i >= n || placed[i]) {
            continue;
        }
        uint64_t cumulative = tree->nodes[i].cumulative_bytes;
        c->offset[i] = c->total;
        c->width[i] = UINT64_MAX - c->total < cumulative
                      ? UINT64_MAX - c->total : cumulative;
        c->total += c->width[i];
        c->row[i] = 1;
        placed[i] = true;
        size_t depth = 0;
        stack[depth++] = i;
        /* Depth first, parents before children: each node is pushed
           once, so the stack never holds more than n. */
        while (depth > 0) {
            size_t k = stack[--depth];
            const mi_import_node *node = &tree->nodes[k];
            c->order[c->n_order++] = k;
            if (c->row[k] + 1 > c->rows) {
                c->rows = c->row[k] + 1;
            }
            uint64_t cursor = c->offset[k];
            uint64_t end = c->offset[k] + c->width[k];
            size_t pushed = depth;
            for (size_t j = 0; j < node->n_children; j++) {
                size_t child = node->children[j];
                if (child >= n || placed[child]) {
                    continue;
                }
                uint64_t w = tree->nodes[child].cumulative_bytes;
                c->offset[child] = cursor;
                c->width[child] = w < end - cursor ? w : end - cursor;
                cursor += c->width[child];
                c->row[child] = c->row[k] + 1;
                placed[child] = true;
                stack[depth++] = child;
            }
            /* Popped in the order they ended. */
            for (size_t a = pushed, b = depth; a + 1 < b; a++, b--) {
                size_t t = stack[a];
                stack[a] = stack[b - 1];
                stack[b - 1] = t;
            }
        }
    }
    if (c->rows == 1 && n > 0) {
        c->rows = 2;
    }
    if (group_packages(c) < 0) {
        goto fail;
    }
    free(stack);
    free(placed);
    return 0;
fail:
    free(stack);
    free(placed);
    chart_free(c);
    errno = ENOMEM;
    return -1;
}

static double
to_units(const chart *c, uint64_t bytes)
{
    if (c->total == 0) {
        return 0.0;
    }
    return (double)bytes / (double)c->total * CHART_WIDTH;
}

/* A hue from the package name (FNV-1a), for packages without a colour
   of their own. */
static unsigned
package_hue(const package *p)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < p->len; i++) {
        h = (h ^ (unsigned char)p->name[i]) * 16777619u;
    }
    return h % 360;
}

static void
put_package_colour(FILE *out, const chart *c, size_t rank)
{
    if (rank < PALETTE_SIZE) {
        fputs(PALETTE[rank], out);
    }
    else {
        fprintf(out, "hsl(%u,25%%,80%%)", package_hue(&c->packages[rank]));
    }
}

/* The label of a rectangle `w` units wide, as the script computes it:
   the name and its size when they fit, else the name, else its start
   and "…" when four characters fit, else nothing. */
static void
put_label(FILE *out, const char *name, const char *size, double w)
{
    double fit = floor((w - LABEL_PADDING) / CHAR_WIDTH);
    size_t room = fit > 0 ? (size_t)fit : 0;
    size_t chars = mi_utf8_length(name);
    if (chars + 1 + strlen(size) <= room) {
        put_text(out, name);
        fputc(' ', out);
        fputs(size, out);
    }
    else if (chars <= room) {
        put_text(out, name);
    }
    else if (room >= 4) {
        put_escaped_n(out, name, strlen(name), room - 1);
        fputs(ELLIPSIS, out);
    }
}

/* The tooltip: the name, then one line per figure. The script shows the
   same text in its panel. */
static void
put_figures(FILE *out, const mi_import_tree *tree, const mi_import_node *node)
{
    put_text(out, name_of(node));
    fputs("\ncumulative: ", out);
    put_bytes(out, node->cumulative_bytes);
    fputs(" in ", out);
    put_count(out, node->cumulative_objects);
    fputs(" objects\nself: ", out);
    put_bytes(out, node->self_bytes);
    fputs(" in ", out);
    put_count(out, node->self_objects);
    fputs(tree->retained ? " objects (still there at the end)"
                         : " objects (found after the import)", out);
    if (tree->retained) {
        fputs("\nfound after the import: ", out);
        put_bytes(out, node->walked_bytes);
        fputs(" in ", out);
        put_count(out, node->walked_objects);
        fputs(" objects", out);
    }
    fputs("\ntime: ", out);
    put_milliseconds(out, node->total_seconds);
    fputs(" cumulative, ", out);
    put_milliseconds(out, node->self_seconds);
    fputs(" self (finding it: ", out);
    put_milliseconds(out, node->find_seconds);
    fputs(")\nstatus: ", out);
    put_status(out, node);
    if (node->parent_unfinished) {
        fputs("\nits parent import never ended (tracing stopped)", out);
    }
}

/* The objects of the top bar: the roots' cumulative objects. */
static uint64_t
roots_objects(const mi_import_tree *tree)
{
    uint64_t objects = 0;
    for (size_t r = 0; r < tree->n_roots; r++) {
        if (tree->roots[r] < tree->n_nodes) {
            objects = add_saturated(
                objects, tree->nodes[tree->roots[r]].cumulative_objects);
        }
    }
    return objects;
}

static void
put_chart(FILE *out, const chart *c)
{
    const mi_import_tree *tree = c->tree;
    unsigned height = c->rows * ROW;
    char size[MI_FORMAT_SIZE];

    fprintf(out, "<svg id=\"chart\" viewBox=\"0 0 %d %u\" width=\"100%%\""
            " role=\"img\" aria-label=\"Icicle chart of cumulative memory"
            " per import\" font-size=\"12\">\n", CHART_WIDTH, height);
    format_short_size(size, c->total);
    fprintf(out, "<g class=\"all\" data-s=\"%s\"><rect x=\"0\" y=\"0\""
            " width=\"%d\" height=\"%d\" fill=\"#d8d8d8\"/>"
            "<text x=\"3\" y=\"14\">", size, CHART_WIDTH, ROW - 1);
    put_label(out, "all imports", size, CHART_WIDTH);
    fputs("</text><title>all imports\ncumulative: ", out);
    put_bytes(out, c->total);
    fputs(" in ", out);
    put_count(out, roots_objects(tree));
    fputs(" objects\ntime: ", out);
    put_milliseconds(out, tree->import_seconds);
    fputs("\n(click: zoom out)</title></g>\n", out);

    for (size_t o = 0; o < c->n_order; o++) {
        size_t i = c->order[o];
        const mi_import_node *node = &tree->nodes[i];
        double x = to_units(c, c->offset[i]);
        double w = to_units(c, c->width[i]);
        /* Rounded as written, so that the label fits what is drawn. */
        x = round(x * 100.0) / 100.0;
        w = round(w * 100.0) / 100.0;
        unsigned y = (c->row[i]) * ROW;
        fprintf(out, "<g class=\"node%s\" id=\"n%zu\"",
                node->status != MI_IMPORT_OK ? " failed" : "", i);
        if (node->parent != MI_IMPORT_NO_PARENT
            && node->parent < tree->n_nodes) {
            fprintf(out, " data-p=\"n%zu\"", node->parent);
        }
        format_short_size(size, node->cumulative_bytes);
        fprintf(out, " data-s=\"%s\"><rect x=\"", size);
        put_units(out, x);
        fprintf(out, "\" y=\"%u\" width=\"", y);
        put_units(out, w);
        fprintf(out, "\" height=\"%d\" fill=\"", ROW - 1);
        put_package_colour(out, c, c->package_of[i]);
        fputs("\"/><text x=\"", out);
        put_units(out, x + 3);
        fprintf(out, "\" y=\"%u\">", y + 14);
        put_label(out, name_of(node), size, w);
        fputs("</text><title>", out);
        put_figures(out, tree, node);
        fputs("</title></g>\n", out);
    }
    fputs("</svg>\n", out);
}

static void
put_legend(FILE *out, const chart *c)
{
    fputs("<ul class=\"legend\">", out);
    size_t shown = c->n_packages < PALETTE_SIZE ? c->n_packages
                                                : PALETTE_SIZE;
    for (size_t r = 0; r < shown; r++) {
        const package *p = &c->packages[r];
        fputs("<li><span class=\"swatch\" style=\"background:", out);
        put_package_colour(out, c, r);
        fputs("\"></span>", out);
        put_escaped_n(out, p->name, p->len, SIZE_MAX);
        fputs(" <small>(", out);
        put_bytes(out, p->self_bytes);
        fputs(")</small></li>", out);
    }
    if (c->n_packages > PALETTE_SIZE) {
        fputs("<li><span class=\"swatch\" style=\"background:"
              "hsl(200,25%,80%)\"></span>", out);
        put_count(out, c->n_packages - PALETTE_SIZE);
        fputs(" other packages: pale colours</li>", out);
    }
    fputs("<li><span class=\"swatch failed\"></span>failed or not found"
          "</li></ul>\n", out);
}

/* ---- Totals ---- */

static void
put_total_row(FILE *out, const char *what, bool known, uint64_t objects,
              uint64_t bytes)
{
    fputs("<tr><td>", out);
    fputs(what, out);
    fputs("</td><td>", out);
    if (known) {
        put_count(out, objects);
    }
    else {
        fputs("unknown", out);
    }
    fputs("</td><td>", out);
    if (known) {
        put_bytes(out, bytes);
    }
    else {
        fputs("unknown", out);
    }
    fputs("</td></tr>\n", out);
}

static void
put_totals(FILE *out, const chart *c)
{
    const mi_import_tree *tree = c->tree;
    uint64_t objects = roots_objects(tree);
    fputs("<h2>Totals</h2>\n<table class=\"totals\">\n<thead><tr><th>"
          "</th><th>objects</th><th>memory</th></tr></thead>\n<tbody>\n",
          out);
    put_total_row(out, "baseline (before tracing began)", tree->has_baseline,
                  tree->baseline_objects, tree->baseline_bytes);
    put_total_row(out, "imports (the chart&#x27;s top bar)", true, objects,
                  c->total);
    if (tree->orphan_retained_objects > 0 || tree->orphan_retained_bytes > 0) {
        put_total_row(out, "modules without an IMPORT", true,
                      tree->orphan_retained_objects,
                      tree->orphan_retained_bytes);
    }
    put_total_row(out, "unattributed (found by the final walk only)",
                  tree->has_unattributed, tree->unattributed_objects,
                  tree->unattributed_bytes);
    put_total_row(out, "final inventory", tree->has_final,
                  tree->final_objects, tree->final_bytes);
    fputs("</tbody>\n</table>\n", out);
    if (tree->retained && tree->has_final && !tree->retained_adds_up) {
        fputs("<p class=\"banner\">WARNING: the RETAINED records add up to ",
              out);
        put_bytes(out, tree->retained_total_bytes);
        fputs(" in ", out);
        put_count(out, tree->retained_total_objects);
        fputs(" objects, but the final inventory holds ", out);
        put_bytes(out, tree->final_bytes);
        fputs(" in ", out);
        put_count(out, tree->final_objects);
        fputs(" objects: the attribution does not add up.</p>\n", out);
    }
    fputs("<p>Import time (the roots&#x27; cumulative"
          " times): ", out);
    put_milliseconds(out, tree->import_seconds);
    fputs(". ", out);
    fputs(tree->retained
          ? "An import&#x27;s self memory is what the final inventory still"
            " held of the objects first found by the walk after it."
          : "An import&#x27;s self memory is what the walk after it found"
            " (no final inventory: objects freed later are counted).",
          out);
    fputs("</p>\n", out);
}

/* ---- Per import ---- */

static void
put_types_table(FILE *out, const mi_import_summary *a)
{
    fputs("<table>\n<thead><tr><th>type</th><th>instances</th>"
          "<th>memory</th><th>per instance</th></tr></thead>\n<tbody>\n",
          out);
    uint64_t other_instances = 0, other_bytes = 0;
    for (size_t i = 0; i < a->n_types; i++) {
        const mi_type_row *row = &a->types[i];
        if (i >= TYPE_ROWS_SHOWN) {
            other_instances = add_saturated(other_instances,
                                            row->stats->instances);
            other_bytes = add_saturated(other_bytes, row->stats->bytes);
            continue;
        }
        fputs("<tr><td>", out);
        put_text(out, row->type->name);
        fputs("</td><td>", out);
        put_count(out, row->stats->instances);
        fputs("</td><td>", out);
        put_bytes(out, row->stats->bytes);
        fputs("</td><td>", out);
        put_bytes(out, row->stats->instances
                           ? row->stats->bytes / row->stats->instances : 0);
        fputs("</td></tr>\n", out);
    }
    if (a->n_types > TYPE_ROWS_SHOWN) {
        fputs("<tr class=\"others\"><td>", out);
        put_count(out, a->n_types - TYPE_ROWS_SHOWN);
        fputs(" other types</td><td>", out);
        put_count(out, other_instances);
        fputs("</td><td>", out);
        put_bytes(out, other_bytes);
        fputs("</td><td></td></tr>\n", out);
    }
    fputs("</tbody>\n<tfoot><tr><td>total: ", out);
    put_count(out, a->n_types);
    fputs(" types</td><td>", out);
    put_count(out, a->total_instances);
    fputs("</td><td>", out);
    put_bytes(out, a->total_bytes);
    fputs("</td><td></td></tr></tfoot>\n</table>\n", out);
}

static void
put_duplicates_table(FILE *out, const mi_import_summary *a)
{
    if (a->n_duplicates == 0) {
        return;
    }
    fputs("<h4>Duplicates it added</h4>\n<table>\n<thead><tr><th>type</th>"
          "<th>values</th><th>extra copies</th><th>savable memory</th>"
          "<th>most savable value</th></tr></thead>\n<tbody>\n", out);
    uint64_t other_values = 0, other_copies = 0, other_bytes = 0;
    for (size_t i = 0; i < a->n_duplicates; i++) {
        const mi_summary_duplicates *row = &a->duplicates[i];
        if (i >= DUPLICATE_ROWS_SHOWN) {
            other_values = add_saturated(other_values, row->values);
            other_copies = add_saturated(other_copies,
                                         row->duplicate_instances);
            other_bytes = add_saturated(other_bytes, row->savable_bytes);
            continue;
        }
        fputs("<tr><td>", out);
        put_text(out, row->type->name);
        fputs("</td><td>", out);
        put_count(out, row->values);
        fputs("</td><td>", out);
        put_count(out, row->duplicate_instances);
        fputs("</td><td>", out);
        put_bytes(out, row->savable_bytes);
        fputs("</td><td><code>", out);
        put_cut_text(out, row->first->repr, REPR_CELL_CHARS);
        fputs("</code></td></tr>\n", out);
    }
    if (a->n_duplicates > DUPLICATE_ROWS_SHOWN) {
        fputs("<tr class=\"others\"><td>", out);
        put_count(out, a->n_duplicates - DUPLICATE_ROWS_SHOWN);
        fputs(" other types</td><td>", out);
        put_count(out, other_values);
        fputs("</td><td>", out);
        put_count(out, other_copies);
        fputs("</td><td>", out);
        put_bytes(out, other_bytes);
        fputs("</td><td></td></tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

static void
put_slots_table(FILE *out, const mi_import_summary *a)
{
    if (a->n_lacking_slots == 0) {
        return;
    }
    fputs("<h4>Classes lacking slots it added</h4>\n<table>\n<thead><tr>"
          "<th>class</th><th>instances</th><th>__dict__ memory</th>"
          "<th>savable memory</th><th>missing slots</th></tr></thead>\n"
          "<tbody>\n", out);
    uint64_t other_instances = 0, other_dict_bytes = 0;
    int64_t other_savable = 0;
    for (size_t i = 0; i < a->n_lacking_slots; i++) {
        const mi_summary_slots *row = &a->lacking_slots[i];
        if (i >= SLOTS_ROWS_SHOWN) {
            other_instances = add_saturated(other_instances, row->instances);
            other_dict_bytes = add_saturated(other_dict_bytes,
                                             row->dict_bytes);
            other_savable = add_saturated_signed(other_savable,
                                                 row->savable_bytes);
            continue;
        }
        fputs("<tr><td>", out);
        put_text(out, row->type->name);
        fputs("</td><td>", out);
        put_count(out, row->instances);
        fputs("</td><td>", out);
        put_bytes(out, row->dict_bytes);
        fputs("</td><td>", out);
        put_signed_bytes(out, row->savable_bytes);
        fputs("</td><td>", out);
        put_count(out, row->n_missing_slots);
        fputs(": ", out);
        for (size_t k = 0; k < row->n_first_missing; k++) {
            if (k > 0) {
                fputs(", ", out);
            }
            put_text(out, row->first_missing[k]);
        }
        if (row->n_missing_slots > row->n_first_missing) {
            fputs(", " ELLIPSIS, out);
        }
        fputs("</td></tr>\n", out);
    }
    if (a->n_lacking_slots > SLOTS_ROWS_SHOWN) {
        fputs("<tr class=\"others\"><td>", out);
        put_count(out, a->n_lacking_slots - SLOTS_ROWS_SHOWN);
        fputs(" other classes</td><td>", out);
        put_count(out, other_instances);
        fputs("</td><td>", out);
        put_bytes(out, other_dict_bytes);
        fputs("</td><td>", out);
        put_signed_bytes(out, other_savable);
        fputs("</td><td></td></tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

static int
put_import(FILE *out, const mi_model *model, const mi_import_tree *tree,
           size_t i, mi_import_summary *summary)
{
    const mi_import_node *node = &tree->nodes[i];
    fprintf(out, "<details id=\"m%zu\"><summary><b>", i);
    put_text(out, name_of(node));
    fputs("</b> " EM_DASH " self ", out);
    put_bytes(out, node->self_bytes);
    fputs(" (", out);
    put_count(out, node->self_objects);
    fputs(" objects), cumulative ", out);
    put_bytes(out, node->cumulative_bytes);
    fputs(" (", out);
    put_count(out, node->cumulative_objects);
    fputs(" objects); ", out);
    put_milliseconds(out, node->self_seconds);
    fputs(" self, ", out);
    put_milliseconds(out, node->total_seconds);
    fputs(" cumulative", out);
    if (node->status != MI_IMPORT_OK) {
        fputs(" <span class=\"status\">", out);
        put_status(out, node);
        fputs("</span>", out);
    }
    fputs("</summary>\n<div class=\"module\">\n", out);

    int rc = mi_import_summary_build(summary, model, node->module_id);
    if (rc == -1) {
        errno = ENOMEM;
        return -1;
    }
    if (rc == -2) {
        fputs("<p>The recording has no INVENTORY of this import.</p>\n", out);
    }
    else {
        fputs("<h4>Found by the walk after the import (its INVENTORY): ",
              out);
        put_count(out, summary->inventory->objects);
        fputs(" objects, ", out);
        put_bytes(out, summary->inventory->bytes);
        fputs("</h4>\n", out);
        if (summary->n_types > 0) {
            put_types_table(out, summary);
        }
        put_duplicates_table(out, summary);
        put_slots_table(out, summary);
    }
    fputs("</div></details>\n", out);
    return 0;
}

/* ---- The page ---- */

static const char STYLE[] =
    "body { font: 16px sans-serif; margin: 1em 2ex; padding-bottom: 50vh; }\n"
    "h1 { font-size: 1.4em; margin: .2em 0; }\n"
    "h2 { font-size: 1.2em; margin-top: 1.5em; }\n"
    "h4 { font-size: 1em; margin: .8em 0 .3em; }\n"
    ".banner { background: #fee; border: 2px solid #c00; color: #600;"
    " font-weight: bold; margin: .5em 0; padding: .4em 1ex; }\n"
    ".lead { margin: .2em 0 .5em; }\n"
    "#chart { display: block; max-width: 100%; user-select: none; }\n"
    "#chart g { cursor: pointer; }\n"
    "#chart text { pointer-events: none; fill: #000; }\n"
    "#chart rect { stroke: #fff; stroke-width: .5; }\n"
    "#chart g:hover rect { stroke: #000; stroke-width: 1.5; }\n"
    "#chart g.failed rect { stroke: #c00; stroke-width: 1.5;"
    " stroke-dasharray: 3 2; }\n"
    "#chart g.hidden { display: none; }\n"
    ".bar { align-items: baseline; display: flex; gap: 2ex;"
    " margin: .3em 0; }\n"
    "#info { background: #f4f4f4; border: 1px solid #ccc; font: 14px"
    " monospace; min-height: 7.5em; padding: .3em 1ex;"
    " white-space: pre-line; overflow-wrap: anywhere; }\n"
    ".legend { display: flex; flex-wrap: wrap; gap: .3em 2ex;"
    " list-style: none; margin: .4em 0; padding: 0; font-size: 14px; }\n"
    ".swatch { border: 1px solid #888; display: inline-block;"
    " height: .8em; margin-right: .5ex; width: 1.6em; }\n"
    ".swatch.failed { border: 2px dashed #c00; }\n"
    "summary { cursor: pointer; }\n"
    ".module { margin: .3em 0 1em 2ex; }\n"
    ".status { color: #a00; }\n"
    "table { border-collapse: collapse; }\n"
    "thead tr, tfoot tr { border: 1px solid #ccc; border-width: 1px 0; }\n"
    "tbody tr { border-bottom: 1px dotted #aaa; }\n"
    "td, th { border: 0 solid #ccc; border-width: 0 1px;"
    " padding: .1em .75ex; vertical-align: top; }\n"
    "td:not(:first-child) { text-align: right; }\n"
    "td code { overflow-wrap: anywhere; }\n"
    "tr.others td { color: #555; font-style: italic; }\n";

/* Records script errors first, so that none goes unseen. */
static const char ERROR_SCRIPT[] =
    "window.onerror = function (message, source, line) {\n"
    "  document.documentElement.dataset.scriptError =\n"
    "    String(message) + ' (line ' + line + ')';\n"
    "};\n";

/* Hover: the panel shows the figures; click: zoom into the subtree and
   keep its figures in the panel; the top bar or Reset: zoom out. Layout
   and labels follow the C code's rules (put_label). */
static const char CHART_SCRIPT[] =
    "(function () {\n"
    "  'use strict';\n"
    "  var W = " NUMBER_TEXT(CHART_WIDTH) ", CW = " NUMBER_TEXT(CHAR_WIDTH)
    ", PAD = " NUMBER_TEXT(LABEL_PADDING) ";\n"
    "  var root = document.documentElement;\n"
    "  var svg = document.getElementById('chart');\n"
    "  var info = document.getElementById('info');\n"
    "  var link = document.getElementById('info-link');\n"
    "  var reset = document.getElementById('reset');\n"
    "  var all = svg.querySelector('g.all');\n"
    "  var nodes = [], byId = {};\n"
    "  function make(g) {\n"
    "    var rect = g.querySelector('rect');\n"
    "    var figures = g.querySelector('title').textContent;\n"
    "    return {g: g, rect: rect, text: g.querySelector('text'),\n"
    "            x: parseFloat(rect.getAttribute('x')),\n"
    "            w: parseFloat(rect.getAttribute('width')),\n"
    "            name: figures.split('\\n')[0], size: g.dataset.s,\n"
    "            figures: figures, parent: null};\n"
    "  }\n"
    "  var top = make(all);\n"
    "  Array.prototype.forEach.call(svg.querySelectorAll('g.node'),\n"
    "    function (g) { var n = make(g); nodes.push(n); byId[g.id] = n; });\n"
    "  nodes.forEach(function (n) {\n"
    "    n.parent = n.g.dataset.p ? byId[n.g.dataset.p] || null : null;\n"
    "  });\n"
    "  function chars(s) { return Array.from(s); }\n"
    "  function label(n, w) {\n"
    "    var room = Math.max(0, Math.floor((w - PAD) / CW));\n"
    "    var name = chars(n.name);\n"
    "    if (name.length + 1 + n.size.length <= room) {\n"
    "      return n.name + ' ' + n.size;\n"
    "    }\n"
    "    if (name.length <= room) { return n.name; }\n"
    "    if (room >= 4) { return name.slice(0, room - 1).join('') +"
    " '\\u2026'; }\n"
    "    return '';\n"
    "  }\n"
    "  function place(n, x, w) {\n"
    "    n.rect.setAttribute('x', x.toFixed(2));\n"
    "    n.rect.setAttribute('width', w.toFixed(2));\n"
    "    n.text.setAttribute('x', (x + 3).toFixed(2));\n"
    "    n.text.textContent = label(n, w);\n"
    "  }\n"
    "  function within(n, k) {\n"
    "    for (var p = n; p; p = p.parent) { if (p === k) { return true; } }\n"
    "    return false;\n"
    "  }\n"
    "  var pinned = null;\n"
    "  function show(n) {\n"
    "    info.textContent = n ? n.figures : info.dataset.idle;\n"
    "    if (n && n.g.id) {\n"
    "      link.href = '#m' + n.g.id.slice(1);\n"
    "      link.hidden = false;\n"
    "    } else { link.hidden = true; }\n"
    "  }\n"
    "  function zoom(k) {\n"
    "    var scale = k && k.w > 0 ? W / k.w : 1;\n"
    "    nodes.forEach(function (n) {\n"
    "      var inside = !k || within(n, k);\n"
    "      var above = k && !inside && within(k, n);\n"
    "      n.g.classList.toggle('hidden', !inside && !above);\n"
    "      if (inside) {\n"
    "        place(n, (n.x - (k ? k.x : 0)) * scale, n.w * scale);\n"
    "      } else if (above) { place(n, 0, W); }\n"

    "    });\n"
    "    pinned = k;\n"
    "    root.dataset.zoom = k ? k.g.id : '';\n"
    "    reset.disabled = !k;\n"
    "    show(k);\n"
    "  }\n"
    "  svg.addEventListener('mouseover', function (e) {\n"
    "    var g = e.target.closest('g');\n"
    "    if (g) { show(g === all ? top : byId[g.id]); }\n"
    "  });\n"
    "  svg.addEventListener('mouseleave', function () { show(pinned); });\n"
    "  svg.addEventListener('click', function (e) {\n"
    "    var g = e.target.closest('g');\n"
    "    if (!g) { return; }\n"
    "    var k = g === all ? null : byId[g.id];\n"
    "    zoom(k);\n"
    "    history.replaceState(null, '', k ? '#zoom=' + g.id :"
    " location.pathname + location.search);\n"
    "  });\n"
    "  reset.addEventListener('click', function () {\n"
    "    zoom(null);\n"
    "    history.replaceState(null, '', location.pathname +"
    " location.search);\n"
    "  });\n"
    "  link.addEventListener('click', function () {\n"
    "    var id = link.getAttribute('href').slice(1);\n"
    "    var d = document.getElementById(id);\n"
    "    if (d) { d.open = true; }\n"
    "  });\n"
    "  var m = /^#zoom=(n[0-9]+)$/.exec(location.hash);\n"
    "  zoom(m && byId[m[1]] ? byId[m[1]] : null);\n"
    "  root.dataset.nodes = String(nodes.length);\n"
    "  root.dataset.chart = 'drawn';\n"
    "})();\n";

static void
put_date(FILE *out, double wall_clock)
{
    if (!(wall_clock >= 0.0 && wall_clock < 253402300800.0)) {
        fputs("unknown", out);
        return;
    }
    time_t seconds = (time_t)wall_clock;
    struct tm tm;
    char buf[32];
    if (gmtime_r(&seconds, &tm) == NULL
        || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        fputs("unknown", out);
        return;
    }
    fputs(buf, out);
}

static int
put_page(FILE *out, const mi_model *model, const mi_import_tree *tree,
         const chart *c)
{
    errno = 0;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\""
          "default-src &#x27;none&#x27;; style-src &#x27;unsafe-inline&#x27;;"
          " script-src &#x27;unsafe-inline&#x27;\">\n"
          "<meta name=\"viewport\" content=\"width=device-width,"
          " initial-scale=1\">\n"
          "<title>Imports - memory inventory</title>\n<style>\n", out);
    fputs(STYLE, out);
    fputs("</style>\n<script>\n", out);
    fputs(ERROR_SCRIPT, out);
    fputs("</script>\n</head>\n<body>\n<header>\n"
          "<h1>Memory per import</h1>\n", out);
    if (!model->complete) {
        fputs("<p class=\"banner\">INCOMPLETE: ", out);
        put_text(out, model->incomplete_reason != NULL
                          ? model->incomplete_reason : "unknown reason");
        fputs("</p>\n", out);
    }
    fputs("<p class=\"lead\">", out);
    put_count(out, tree->n_nodes);
    fputs(" imports", out);
    if (tree->n_failed > 0 || tree->n_not_found > 0) {
        fputs(" (", out);
        put_count(out, tree->n_failed);
        fputs(" failed, ", out);
        put_count(out, tree->n_not_found);
        fputs(" not found)", out);
    }
    fputs(", ", out);
    put_bytes(out, c->total);
    fputs(" in ", out);
    put_milliseconds(out, tree->import_seconds);
    fputs("; Python ", out);
    put_text(out, model->has_header && model->python_version != NULL
                      ? model->python_version : "unknown");
    fputs(", process ", out);
    if (model->has_header) {
        fprintf(out, "%" PRIu64 ", ", model->pid);
        put_date(out, model->wall_clock);
    }
    else {
        fputs("unknown", out);
    }
    fputs(". Width: cumulative memory; hover or click an import for its"
          " figures; click to zoom in.</p>\n</header>\n<main>\n", out);
    if (c->n_order < tree->n_nodes) {
        fputs("<p class=\"banner\">", out);
        put_count(out, tree->n_nodes - c->n_order);
        fputs(" imports are not under any root of the tree: they are"
              " listed below but not drawn.</p>\n", out);
    }
    put_chart(out, c);
    fputs("<div class=\"bar\"><button id=\"reset\" type=\"button\" disabled>"
          "Reset zoom</button><a id=\"info-link\" href=\"#\" hidden>"
          "Its objects, below</a></div>\n"
          "<div id=\"info\" data-idle=\"Hover over an import for its"
          " figures; click it to zoom in.\">Hover over an import for its"
          " figures; click it to zoom in.</div>\n", out);
    put_legend(out, c);
    put_totals(out, c);
    fputs("<h2>Imports by self memory</h2>\n<p>Each import&#x27;s own"
          " figures and what the walk after it found, by type.</p>\n", out);
    mi_import_summary summary;
    mi_import_summary_init(&summary);
    for (size_t k = 0; k < tree->n_nodes; k++) {
        size_t i = tree->by_self_bytes != NULL ? tree->by_self_bytes[k] : k;
        if (i < tree->n_nodes
            && put_import(out, model, tree, i, &summary) < 0) {
            mi_import_summary_free(&summary);
            return -1;
        }
    }
    mi_import_summary_free(&summary);
    fputs("</main>\n<script>\n", out);
    fputs(CHART_SCRIPT, out);
    fputs("</script>\n</body>\n</html>\n", out);
    if (fflush(out) != 0 || ferror(out)) {
        if (errno == 0) {
            errno = EIO;
        }
        return -1;
    }
    return 0;
}

int
mi_report_imports_html_write_stream(FILE *out, const mi_model *model,
                                    const mi_import_tree *tree)
{
    chart c;
    if (chart_build(&c, tree) < 0) {
        return -1;
    }
    int rc = put_page(out, model, tree, &c);
    int saved = errno;
    chart_free(&c);
    errno = saved;
    return rc;
}

int
mi_report_imports_html_write(const mi_model *model,
                             const mi_import_tree *tree, int dir_fd)
{
    int fd = openat(dir_fd, MI_HTML_IMPORTS_PAGE,
                    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                    0600);
    if (fd < 0) {
        return -1;
    }
    FILE *out = fdopen(fd, "w");
    if (out == NULL) {
        int saved = errno;
        close(fd);
        unlinkat(dir_fd, MI_HTML_IMPORTS_PAGE, 0);
        errno = saved;
        return -1;
    }
    mi_file_stream_tune(out);
    int rc = mi_report_imports_html_write_stream(out, model, tree);
    int saved = errno;
    if (fclose(out) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc < 0) {
        unlinkat(dir_fd, MI_HTML_IMPORTS_PAGE, 0);
        errno = saved;
    }
    return rc;
}
