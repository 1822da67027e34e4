#define _POSIX_C_SOURCE 200809L

#include "report_html.h"
#include "file_stream.h"
#include "format.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#define ELLIPSIS "\xE2\x80\xA6"         /* … */
#define TIMES "\xC3\x97"                /* × */
#define REPLACEMENT "\xEF\xBF\xBD"      /* U+FFFD */

/* Reprs longer than this many characters are cut in table cells. */
#define REPR_CELL_CHARS 40

/* Room for a file name: NAME_MAX and its NUL. The type name part is cut
   well below, so that the prefix, a "_<n>" suffix and ".html" fit. */
#define FILE_NAME_SIZE 256
#define TYPE_NAME_PART_MAX 200

typedef char page_file_name[FILE_NAME_SIZE];

typedef struct {
    page_file_name *duplicates;  /* per duplicate summary row; "" for none */
    size_t n_duplicates;
} page_names;

typedef struct {
    FILE *out;
    const mi_model *model;
    const mi_analysis *analysis;
    const page_names *names;
    const char *file_name;  /* of this page */
    const char *title;      /* plain ASCII */
    const mi_duplicate_summary_row *duplicates;     /* duplicate pages */
    unsigned tables;        /* tables written so far, for <details name> */
} page;

/* ---- Text: UTF-8 checked, HTML-escaped ---- */

/* One character of s[0:len] (len > 0) into *cp, U+FFFD for an ill-formed
   sequence (its maximal valid prefix, at least one byte); returns its
   length in bytes. */
static size_t
decode_char(const unsigned char *s, size_t len, uint32_t *cp)
{
    return mi_utf8_decode(s, len, cp, NULL);
}

/* Characters HTML5 calls parse errors in text (controls other than tab
   and newline, noncharacters) are shown as U+FFFD too. */
static bool
displayable(uint32_t cp)
{
    if (cp < 0x20) {
        return cp == '\t' || cp == '\n';
    }
    if (cp >= 0x7F && cp <= 0x9F) {
        return false;
    }
    if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFEu) == 0xFFFEu) {
        return false;
    }
    return cp != 0xFFFD;    /* written as REPLACEMENT below anyway */
}

static size_t
count_chars(const char *s, size_t len, size_t stop_after)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0, i = 0;
    while (i < len && n <= stop_after) {
        uint32_t cp;
        i += decode_char(p + i, len - i, &cp);
        n++;
    }
    return n;
}

/* Writes at most `max_chars` characters of s[0:len], escaped; a newline
   becomes <br> when `breaks`. */
static void
put_escaped_n(FILE *out, const char *s, size_t len, size_t max_chars,
              bool breaks)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    size_t run = 0;     /* start of the bytes to copy as they are */
    for (size_t n = 0; i < len && n < max_chars; n++) {
        uint32_t cp;
        size_t width = decode_char(p + i, len - i, &cp);
        const char *replacement;
        switch (cp) {
        case '&': replacement = "&amp;"; break;
        case '<': replacement = "&lt;"; break;
        case '>': replacement = "&gt;"; break;
        case '"': replacement = "&quot;"; break;
        case '\'': replacement = "&#x27;"; break;
        case '\n': replacement = breaks ? "<br>" : NULL; break;
        default:
            replacement = displayable(cp) ? NULL : REPLACEMENT;
        }
        if (replacement != NULL) {
            /* Copy what came before in one write, then the entity. */
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
        put_escaped_n(out, s, strlen(s), SIZE_MAX, false);
    }
}

static void
put_text_or(FILE *out, const char *s, const char *fallback)
{
    put_text(out, s != NULL ? s : fallback);
}

/* ---- Numbers ---- */

/* Digits grouped by three with '_', as Python's '{:_}' does. */
static void
put_count(FILE *out, uint64_t value)
{
    char buffer[MI_FORMAT_SIZE];
    fputs(mi_format_uint(buffer, value), out);
}

static void
put_bytes(FILE *out, uint64_t value)
{
    char buffer[MI_FORMAT_SIZE];
    fputs(mi_format_bytes(buffer, value), out);
}

static void
put_signed_bytes(FILE *out, int64_t value)
{
    char buffer[MI_FORMAT_SIZE];
    fputs(mi_format_signed_bytes(buffer, value), out);
}

static void
put_percent(FILE *out, double ratio)
{
    char buffer[MI_FORMAT_SIZE];
    fputs(mi_format_percent(buffer, ratio), out);
}

/* ---- Cells ---- */

static void
details_open(page *pg, unsigned column)
{
    fprintf(pg->out, "<details name=\"t%uc%u\"><summary>", pg->tables,
            column);
}

static void
details_middle(page *pg)
{
    fputs("</summary><div class=\"details\">", pg->out);
}

static void
details_close(page *pg)
{
    fputs("</div></details>", pg->out);
}

/* "<class 'x'> at 0x..." */
static void
put_type_identity(FILE *out, const mi_model_type *type)
{
    put_text(out, type->repr);
    fprintf(out, " at 0x%" PRIx64, type->address);
}

static void
put_type_cell(page *pg, unsigned column, const mi_model_type *type)
{
    fputs("<td>", pg->out);
    details_open(pg, column);
    put_text(pg->out, type->name);
    details_middle(pg);
    put_type_identity(pg->out, type);
    details_close(pg);
    fputs("</td>", pg->out);
}

/* "refcounts:" then "immortal (N×)" and "refcount (N×)" lines, then a
   blank line, "addresses:" and the addresses, "…" between the lowest and
   the highest when they are only a sample. */
static void
put_instances_details(FILE *out, uint64_t instances, uint64_t immortal,
                      const mi_key_count *refcounts, size_t n_refcounts,
                      const uint64_t *addresses, size_t n_addresses)
{
    fputs("refcounts:", out);
    if (immortal > 0) {
        fputs("<br>immortal (", out);
        put_count(out, immortal);
        fputs(TIMES ")", out);
    }
    for (size_t i = 0; i < n_refcounts; i++) {
        fputs("<br>", out);
        put_count(out, refcounts[i].key);
        fputs(" (", out);
        put_count(out, refcounts[i].count);
        fputs(TIMES ")", out);
    }
    fputs("<br><br>addresses:", out);
    bool sample = instances > n_addresses;
    size_t low = (n_addresses + 1) / 2;
    for (size_t i = 0; i < n_addresses; i++) {
        if (sample && i == low) {
            fputs("<br>" ELLIPSIS, out);
        }
        fprintf(out, "<br>0x%" PRIx64, addresses[i]);
    }
    if (sample && n_addresses == 0) {
        fputs("<br>" ELLIPSIS, out);
    }
}

static void
put_header_cells(page *pg, const char *const *headers, size_t n)
{
    FILE *out = pg->out;
    fputs("<table>\n<thead><tr>", out);
    for (size_t i = 0; i < n; i++) {
        fputs("<th>", out);
        put_text(out, headers[i]);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
}

static void
put_none_found(FILE *out, const char *note)
{
    fprintf(out, "<p>None found%s.</p>\n", note);
}

/* ---- Page frame ---- */

static const char STYLE[] =
    "body { font: 16px sans-serif; margin: 1em 2ex; padding-bottom: 50vh; }\n"
    "h1 { font-size: 1.4em; }\n"
    "h2 { font-size: 1.2em; margin-top: 1.5em; }\n"
    ".banner { background: #fee; border: 2px solid #c00; color: #600;"
    " font-weight: bold; margin: .5em 0; padding: .4em 1ex; }\n"
    ".banner.warning { background: #ffd; border-color: #a80; color: #540; }\n"
    ".details { background-color: #eee; border: 1px solid #ccc;"
    " border-radius: 1ex; box-shadow: 0 0 1ex #ccc; font: 14px monospace;"
    " overflow-wrap: anywhere; padding: .1em .75ex; text-align: left; }\n"
    "summary { cursor: pointer; }\n"
    "nav { margin: .5em 0; }\n"
    "nav a[aria-current] { color: inherit; font-weight: bold;"
    " text-decoration: none; }\n"
    "code { overflow-wrap: anywhere; }\n"
    "table { border-collapse: collapse; }\n"
    "thead tr, tfoot tr { border: 1px solid #ccc; border-width: 1px 0; }\n"
    "tbody tr { border-bottom: 1px dotted #aaa; }\n"
    "tbody tr:hover { background-color: #f6f6f6; }\n"
    "td, th { border: 0 solid #ccc; border-width: 0 1px;"
    " padding: .1em .75ex; position: relative; vertical-align: top; }\n"
    "td:not(:first-child), tfoot td { text-align: right; }\n"
    "td .details { max-width: 50vw; position: absolute; top: 100%;"
    " width: max-content; z-index: 1000; }\n"
    "td:first-child .details { left: 0; }\n"
    "td:not(:first-child) .details { right: 0; }\n"
    "ul.types { list-style: none; padding-left: 0; }\n";

static void
put_date(FILE *out, double wall_clock)
{
    /* Up to the year 9999, where the format stays four digits. */
    if (!(wall_clock >= 0.0 && wall_clock < 253402300800.0)) {
        fputs("unknown", out);
        return;
    }
    time_t seconds = (time_t)wall_clock;
    struct tm tm;
    char buf[32];
    if (gmtime_r(&seconds, &tm) == NULL ||
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        fputs("unknown", out);
        return;
    }
    fputs(buf, out);
}

/* The command line as a POSIX shell would take it back: arguments made
   only of safe characters as they are, the others in single quotes. */
static void
put_argument(FILE *out, const char *arg)
{
    static const char safe[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        "0123456789@%+=:,./-_";
    size_t len = strlen(arg);
    if (len > 0 && strspn(arg, safe) == len) {
        put_text(out, arg);
        return;
    }
    fputs("&#x27;", out);
    const char *p = arg;
    for (const char *q; (q = strchr(p, '\'')) != NULL; p = q + 1) {
        put_escaped_n(out, p, (size_t)(q - p), SIZE_MAX, false);
        fputs("&#x27;&quot;&#x27;&quot;&#x27;", out);     /* '"'"' */
    }
    put_text(out, p);
    fputs("&#x27;", out);
}

static void
put_nav_link(page *pg, const char *href, const char *label)
{
    /* Every href is one of ours: [A-Za-z0-9._-] only. */
    fprintf(pg->out, "<a href=\"%s\"%s>", href,
            strcmp(href, pg->file_name) == 0 ? " aria-current=\"page\"" : "");
    put_text(pg->out, label);
    fputs("</a>", pg->out);
}

static void
put_nav(page *pg)
{
    FILE *out = pg->out;
    const mi_analysis *analysis = pg->analysis;
    fputs("<nav>", out);
    put_nav_link(pg, MI_HTML_TYPES_PAGE, "Types by memory usage");
    fputs(" | ", out);
    put_nav_link(pg, MI_HTML_UNINSTANTIATED_PAGE, "Uninstantiated types");
    fputs(" | ", out);
    put_nav_link(pg, MI_HTML_SLOTS_PAGE, "Classes lacking slots");
    fputs(" | Duplicates:", out);
    bool any = false;
    for (size_t i = 0; i < pg->names->n_duplicates; i++) {
        if (pg->names->duplicates[i][0] == '\0') {
            continue;
        }
        fputs(any ? ", " : " ", out);
        put_nav_link(pg, pg->names->duplicates[i],
                     analysis->duplicate_summary[i].type->name);
        any = true;
    }
    if (!any) {
        fputs(" none", out);
    }
    fputs("</nav>\n", out);
}

static void
put_header(page *pg)
{
    FILE *out = pg->out;
    const mi_model *model = pg->model;
    const mi_model_inventory *inventory = pg->analysis->inventory;

    fputs("<header>\n<h1>Memory inventory</h1>\n", out);
    if (!model->complete) {
        fputs("<p class=\"banner\">INCOMPLETE: ", out);
        put_text_or(out, model->incomplete_reason, "unknown reason");
        fputs("</p>\n", out);
    }
    if (inventory != NULL && inventory->limit_reached) {
        fputs("<p class=\"banner warning\">OBJECTS LIMIT REACHED: the walk"
              " stopped at ", out);
        put_count(out, inventory->objects_limit);
        fputs(" objects with ", out);
        put_count(out, inventory->pending);
        fputs(" left to examine; these tables are partial.</p>\n", out);
    }
    fputs("<p>Python version: ", out);
    put_text_or(out, model->has_header ? model->python_version : NULL,
                "unknown");
    fputs("<br>\nDate: ", out);
    if (model->has_header) {
        put_date(out, model->wall_clock);
    }
    else {
        fputs("unknown", out);
    }
    fputs("<br>\nProcess ID: ", out);
    if (model->has_header) {
        fprintf(out, "%" PRIu64, model->pid);
    }
    else {
        fputs("unknown", out);
    }
    fputs("<br>\nCommand line: <code>", out);
    for (size_t i = 0; i < model->n_argv; i++) {
        if (i > 0) {
            fputc(' ', out);
        }
        put_argument(out, model->argv[i]);
    }
    fputs("</code>", out);
    if (inventory != NULL) {
        fputs("<br>\nObjects found: ", out);
        put_count(out, inventory->objects);
        fputs(" (", out);
        put_bytes(out, inventory->bytes);
        fputs(")", out);
    }
    fputs("</p>\n<details><summary>Loaded modules: ", out);
    put_count(out, model->n_loaded_modules);
    fputs("</summary><div class=\"details\">", out);
    for (size_t i = 0; i < model->n_loaded_modules; i++) {
        if (i > 0) {
            fputs(", ", out);
        }
        put_text(out, model->loaded_modules[i]);
    }
    fputs("</div></details>\n", out);
    if (model->has_imports && model->n_failed_imports > 0) {
        fputs("<details><summary>Failed imports: ", out);
        put_count(out, model->n_failed_imports);
        fputs("</summary><div class=\"details\">", out);
        for (size_t i = 0; i < model->n_failed_imports; i++) {
            if (i > 0) {
                fputs(", ", out);
            }
            put_text(out, model->failed_imports[i]);
        }
        fputs("</div></details>\n", out);
    }
    put_nav(pg);
    fputs("</header>\n", out);
}

/* ---- Pages ---- */

static void
put_types_body(page *pg)
{
    static const char *const headers[] = {
        "type", "cumulated memory usage", "instances found",
        "average memory usage per instance",
    };
    FILE *out = pg->out;
    const mi_analysis *analysis = pg->analysis;

    fputs("<h2>Types by intrinsic memory usage</h2>\n", out);
    if (analysis->n_types == 0) {
        put_none_found(out, "");
        return;
    }
    pg->tables++;
    put_header_cells(pg, headers, sizeof(headers) / sizeof(headers[0]));
    for (size_t i = 0; i < analysis->n_types; i++) {
        const mi_type_row *row = &analysis->types[i];
        const mi_model_type_stats *stats = row->stats;
        fputs("<tr>", out);
        put_type_cell(pg, 1, row->type);
        fputs("<td>", out);
        put_bytes(out, stats->bytes);
        fputs("</td><td>", out);
        details_open(pg, 3);
        put_count(out, stats->instances);
        details_middle(pg);
        put_instances_details(out, stats->instances, stats->immortal,
                              stats->refcounts, stats->n_refcounts,
                              stats->addresses, stats->n_addresses);
        details_close(pg);
        fputs("</td><td>", out);
        put_bytes(out, stats->instances ? stats->bytes / stats->instances
                                        : 0);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody>\n<tfoot><tr><td>total: ", out);
    put_count(out, analysis->n_types);
    fputs("</td><td>", out);
    put_bytes(out, analysis->total_bytes);
    fputs("</td><td>", out);
    put_count(out, analysis->total_instances);
    fputs("</td><td>", out);
    put_bytes(out, analysis->total_instances
                       ? analysis->total_bytes / analysis->total_instances
                       : 0);
    fputs("</td></tr></tfoot>\n</table>\n", out);
}

static void
put_uninstantiated_body(page *pg)
{
    FILE *out = pg->out;
    const mi_analysis *analysis = pg->analysis;

    fputs("<h2>Uninstantiated types <small>(excluding BaseException and"
          " its subclasses)</small>: ", out);
    put_count(out, analysis->n_uninstantiated);
    fputs("</h2>\n", out);
    if (analysis->n_uninstantiated == 0) {
        put_none_found(out, "");
        return;
    }
    fputs("<ul class=\"types\">\n", out);
    for (size_t i = 0; i < analysis->n_uninstantiated; i++) {
        const mi_model_type *type = analysis->uninstantiated[i];
        fputs("<li><details><summary>", out);
        put_text(out, type->name);
        fputs("</summary><div class=\"details\">", out);
        put_type_identity(out, type);
        fputs("</div></details></li>\n", out);
    }
    fputs("</ul>\n", out);
}

/* The original knows of uninstantiated classes' attributes only from
   __static_attributes__, which Python 3.13 added. */
static bool
before_python_3_13(const mi_model *model)
{
    unsigned major, minor;
    if (!model->has_header || model->python_version == NULL ||
        sscanf(model->python_version, "%u.%u", &major, &minor) != 2) {
        return false;
    }
    return major < 3 || (major == 3 && minor < 13);
}

static void
put_missing_slots_cell(page *pg, const mi_slots_row *row, bool shares)
{
    FILE *out = pg->out;
    fputs("<td>", out);
    details_open(pg, 5);
    put_count(out, row->n_missing_slots);
    details_middle(pg);
    for (size_t i = 0; i < row->n_missing_slots; i++) {
        if (i > 0) {
            fputs("<br>", out);
        }
        put_text(out, row->missing_slots[i].name);
        if (shares) {
            fputs(" (in ", out);
            put_percent(out, row->instances
                                 ? (double)row->missing_slots[i].count /
                                       (double)row->instances
                                 : 0.0);
            fputs(" of instances)", out);
        }
    }
    details_close(pg);
    fputs("</td>", out);
}

static void
put_slots_body(page *pg)
{
    static const char *const headers[] = {
        "class", "savable memory", "__dict__ memory usage",
        "memory reduction", "missing slots", "instances found",
    };
    static const char *const uninstantiated_headers[] = {
        "class", "savable memory per instance",
        "__dict__ memory usage per instance",
        "memory reduction per instance", "detected missing slots",
    };
    FILE *out = pg->out;
    const mi_analysis *analysis = pg->analysis;

    fputs("<h2>Instantiated classes lacking slots</h2>\n", out);
    if (analysis->n_lacking_slots == 0) {
        put_none_found(out, "");
    }
    else {
        int64_t savable = 0;
        uint64_t dict_bytes = 0, missing = 0, instances = 0;
        pg->tables++;
        put_header_cells(pg, headers, sizeof(headers) / sizeof(headers[0]));
        for (size_t i = 0; i < analysis->n_lacking_slots; i++) {
            const mi_slots_row *row = &analysis->lacking_slots[i];
            fputs("<tr>", out);
            put_type_cell(pg, 1, row->type);
            fputs("<td>", out);
            put_signed_bytes(out, row->savable_bytes);
            fputs("</td><td>", out);
            put_bytes(out, row->dict_bytes);
            fputs("</td><td>", out);
            put_percent(out, row->reduction);
            fputs("</td>", out);
            put_missing_slots_cell(pg, row, true);
            fputs("<td>", out);
            put_count(out, row->instances);
            fputs("</td></tr>\n", out);
            savable += row->savable_bytes;
            dict_bytes += row->dict_bytes;
            missing += row->n_missing_slots;
            instances += row->instances;
        }
        fputs("</tbody>\n<tfoot><tr><td>total: ", out);
        put_count(out, analysis->n_lacking_slots);
        fputs("</td><td>", out);
        put_signed_bytes(out, savable);
        fputs("</td><td>", out);
        put_bytes(out, dict_bytes);
        fputs("</td><td>", out);
        if (dict_bytes > 0) {
            put_percent(out, (double)savable / (double)dict_bytes);
        }
        else {
            fputs("NaN", out);
        }
        fputs("</td><td>", out);
        put_count(out, missing);
        fputs("</td><td>", out);
        put_count(out, instances);
        fputs("</td></tr></tfoot>\n</table>\n", out);
    }

    fputs("<h2>Uninstantiated classes lacking slots</h2>\n", out);
    if (analysis->n_uninstantiated_lacking_slots == 0) {
        put_none_found(out, before_python_3_13(pg->model)
                                ? " (requires Python \xE2\x89\xA5 3.13)"
                                : "");
        return;
    }
    uint64_t missing = 0;
    pg->tables++;
    put_header_cells(pg, uninstantiated_headers,
                     sizeof(uninstantiated_headers) /
                         sizeof(uninstantiated_headers[0]));
    for (size_t i = 0; i < analysis->n_uninstantiated_lacking_slots; i++) {
        const mi_slots_row *row = &analysis->uninstantiated_lacking_slots[i];
        fputs("<tr>", out);
        put_type_cell(pg, 1, row->type);
        fputs("<td>", out);
        put_signed_bytes(out, row->savable_bytes);
        fputs("</td><td>", out);
        put_bytes(out, row->dict_bytes);
        fputs("</td><td>", out);
        put_percent(out, row->reduction);
        fputs("</td>", out);
        put_missing_slots_cell(pg, row, false);
        fputs("</tr>\n", out);
        missing += row->n_missing_slots;
    }
    fputs("</tbody>\n<tfoot><tr><td>total: ", out);
    put_count(out, analysis->n_uninstantiated_lacking_slots);
    fputs("</td><td></td><td></td><td></td><td>", out);
    put_count(out, missing);
    fputs("</td></tr></tfoot>\n</table>\n", out);
}

/* The repr, cut to REPR_CELL_CHARS characters with its end in the
   details. */
static void
put_repr_cell(page *pg, const char *repr)
{
    FILE *out = pg->out;
    size_t len = strlen(repr);
    fputs("<td>", out);
    if (count_chars(repr, len, REPR_CELL_CHARS) <= REPR_CELL_CHARS) {
        put_escaped_n(out, repr, len, SIZE_MAX, false);
    }
    else {
        details_open(pg, 1);
        put_escaped_n(out, repr, len, REPR_CELL_CHARS - 1, false);
        fputs(ELLIPSIS, out);
        details_middle(pg);
        put_escaped_n(out, repr, len, SIZE_MAX, true);
        details_close(pg);
    }
    fputs("</td>", out);
}

static void
put_duplicates_body(page *pg)
{
    const mi_duplicate_summary_row *summary = pg->duplicates;
    const char *name =
        summary->type->name != NULL ? summary->type->name : "";
    const char *const headers[] = {name, "savable memory", "instances"};
    FILE *out = pg->out;
    bool is_str = strcmp(name, "str") == 0;

    fputs("<h2>Duplicate ", out);
    put_text(out, name);
    fputs(" instances</h2>\n", out);
    if (summary->n_duplicates == 0) {
        put_none_found(out, "");
        return;
    }
    pg->tables++;
    put_header_cells(pg, headers, sizeof(headers) / sizeof(headers[0]));
    for (size_t i = 0; i < summary->n_duplicates; i++) {
        const mi_model_duplicate *d = summary->duplicates[i];
        fputs("<tr>", out);
        put_repr_cell(pg, d->repr != NULL ? d->repr : "");
        fputs("<td>", out);
        put_bytes(out, d->copies > 0 ? d->size * (d->copies - 1) : 0);
        fputs("</td><td>", out);
        details_open(pg, 3);
        put_count(out, d->copies);
        details_middle(pg);
        if (is_str) {
            fputs("interned: ", out);
            put_count(out, d->interned);
            fputs("<br><br>", out);
        }
        put_instances_details(out, d->copies, d->immortal, d->refcounts,
                              d->n_refcounts, d->addresses, d->n_addresses);
        details_close(pg);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody>\n<tfoot><tr><td>total: ", out);
    put_count(out, summary->n_duplicates);
    fputs("</td><td>", out);
    put_bytes(out, summary->savable_bytes);
    fputs("</td><td>", out);
    put_count(out, summary->duplicate_instances + summary->values);
    fputs("</td></tr></tfoot>\n</table>\n", out);
}

static int
put_page(page *pg)
{
    FILE *out = pg->out;
    errno = 0;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width,"
          " initial-scale=1\">\n<title>", out);
    fputs(pg->title, out);
    if (pg->duplicates != NULL) {
        put_text(out, pg->duplicates->type->name);
    }
    fputs(" - memory inventory</title>\n<style>\n", out);
    fputs(STYLE, out);
    fputs("</style>\n</head>\n<body>\n", out);
    put_header(pg);
    fputs("<main>\n", out);
    if (pg->duplicates != NULL) {
        put_duplicates_body(pg);
    }
    else if (strcmp(pg->file_name, MI_HTML_TYPES_PAGE) == 0) {
        put_types_body(pg);
    }
    else if (strcmp(pg->file_name, MI_HTML_UNINSTANTIATED_PAGE) == 0) {
        put_uninstantiated_body(pg);
    }
    else {
        put_slots_body(pg);
    }
    fputs("</main>\n</body>\n</html>\n", out);
    if (fflush(out) != 0 || ferror(out)) {
        if (errno == 0) {
            errno = EIO;
        }
        return -1;
    }
    return 0;
}

/* ---- File names ---- */

/* Keeps [A-Za-z0-9._-] of `name`, one '_' for any other character (an
   ill-formed UTF-8 sequence counting as one), at most `max` bytes. */
static void
sanitise(const char *name, char *buf, size_t max)
{
    const unsigned char *p = (const unsigned char *)name;
    size_t len = strlen(name), i = 0, n = 0;
    while (i < len && n < max) {
        uint32_t cp;
        i += decode_char(p + i, len - i, &cp);
        bool keep = (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
                    (cp >= '0' && cp <= '9') || cp == '.' || cp == '_' ||
                    cp == '-';
        buf[n++] = keep ? (char)cp : '_';
    }
    buf[n] = '\0';
}

static bool
name_taken(const page_names *names, size_t before, const char *name)
{
    for (size_t i = 0; i < before; i++) {
        if (strcmp(names->duplicates[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static int
name_pages(const mi_analysis *analysis, page_names *names)
{
    size_t n = analysis->n_duplicate_summary;
    names->duplicates = calloc(n > 0 ? n : 1, sizeof(page_file_name));
    if (names->duplicates == NULL) {
        return -1;
    }
    names->n_duplicates = n;
    for (size_t i = 0; i < n; i++) {
        const mi_duplicate_summary_row *row = &analysis->duplicate_summary[i];
        if (row->n_duplicates == 0) {
            continue;
        }
        char base[TYPE_NAME_PART_MAX + 1];
        char *name = names->duplicates[i];
        sanitise(row->type->name != NULL ? row->type->name : "", base,
                 TYPE_NAME_PART_MAX);
        snprintf(name, FILE_NAME_SIZE, "duplicate_%s.html", base);
        for (size_t k = 2; name_taken(names, i, name); k++) {
            snprintf(name, FILE_NAME_SIZE, "duplicate_%s_%zu.html", base, k);
        }
    }
    return 0;
}

/* Points `pg` at the page named `file_name`; false when there is none. */
static bool
find_page(page *pg, const char *file_name)
{
    static const struct {
        const char *file_name;
        const char *title;
    } fixed[] = {
        {MI_HTML_TYPES_PAGE, "Types by memory usage"},
        {MI_HTML_UNINSTANTIATED_PAGE, "Uninstantiated types"},
        {MI_HTML_SLOTS_PAGE, "Classes lacking slots"},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        if (strcmp(file_name, fixed[i].file_name) == 0) {
            pg->file_name = fixed[i].file_name;
            pg->title = fixed[i].title;
            pg->duplicates = NULL;
            return true;
        }
    }
    for (size_t i = 0; i < pg->names->n_duplicates; i++) {
        if (pg->names->duplicates[i][0] != '\0' &&
            strcmp(file_name, pg->names->duplicates[i]) == 0) {
            pg->file_name = pg->names->duplicates[i];
            pg->title = "Duplicate ";
            pg->duplicates = &pg->analysis->duplicate_summary[i];
            return true;
        }
    }
    return false;
}

static int
write_file(page *pg, int dir_fd)
{
    int fd = openat(dir_fd, pg->file_name,
                    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                    0600);
    if (fd < 0) {
        return -1;
    }
    FILE *out = fdopen(fd, "w");
    if (out == NULL) {
        int saved = errno;
        close(fd);
        unlinkat(dir_fd, pg->file_name, 0);
        errno = saved;
        return -1;
    }
    mi_file_stream_tune(out);
    pg->out = out;
    pg->tables = 0;
    int rc = put_page(pg);
    int saved = errno;
    if (fclose(out) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    pg->out = NULL;
    if (rc < 0) {
        unlinkat(dir_fd, pg->file_name, 0);
        errno = saved;
    }
    return rc;
}

int
mi_report_html_write(const mi_model *model, const mi_analysis *analysis,
                     int dir_fd)
{
    page_names names;
    if (name_pages(analysis, &names) < 0) {
        return -1;
    }
    page pg = {.model = model, .analysis = analysis, .names = &names};
    int rc = 0;
    const char *fixed[] = {
        MI_HTML_TYPES_PAGE, MI_HTML_UNINSTANTIATED_PAGE, MI_HTML_SLOTS_PAGE,
    };
    for (size_t i = 0; rc == 0 && i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        find_page(&pg, fixed[i]);
        rc = write_file(&pg, dir_fd);
    }
    for (size_t i = 0; rc == 0 && i < names.n_duplicates; i++) {
        if (names.duplicates[i][0] != '\0') {
            find_page(&pg, names.duplicates[i]);
            rc = write_file(&pg, dir_fd);
        }
    }
    int saved = errno;
    free(names.duplicates);
    errno = saved;
    return rc;
}

int
mi_report_html_write_page(FILE *out, const mi_model *model,
                          const mi_analysis *analysis, const char *file_name)
{
    page_names names;
    if (name_pages(analysis, &names) < 0) {
        return -1;
    }
    page pg = {.out = out, .model = model, .analysis = analysis,
               .names = &names};
    int rc;
    if (find_page(&pg, file_name)) {
        rc = put_page(&pg);
    }
    else {
        errno = ENOENT;
        rc = -1;
    }
    int saved = errno;
    free(names.duplicates);
    errno = saved;
    return rc;
}
