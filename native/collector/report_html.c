#define _POSIX_C_SOURCE 200809L

#include "report_html.h"
#include "format.h"
#include "out_buffer.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
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

/* Pages are formatted in a buffer of this size, written when full. */
#define HTML_BUFFER_SIZE ((size_t)1 << 20)

typedef char page_file_name[FILE_NAME_SIZE];

typedef struct {
    page_file_name *duplicates;  /* per duplicate summary row; "" for none */
    size_t n_duplicates;
} page_names;

typedef struct {
    mi_out *out;
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

/* Bytes of text that go out as they are: printable ASCII and the tab,
   but for the characters HTML escapes. The newline is not one of them
   (it may become <br>). */
static const unsigned char plain_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static size_t
count_chars(const char *s, size_t len, size_t stop_after)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0, i = 0;
    while (i < len && n <= stop_after) {
        if (p[i] < 0x80) {
            i++;
        }
        else {
            uint32_t cp;
            i += decode_char(p + i, len - i, &cp);
        }
        n++;
    }
    return n;
}

/* Writes at most `max_chars` characters of s[0:len], escaped; a newline
   becomes <br> when `breaks`. */
static void
put_escaped_n(mi_out *out, const char *s, size_t len, size_t max_chars,
              bool breaks)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    size_t n = 0;       /* characters so far */
    size_t run = 0;     /* start of the bytes to copy as they are */
    while (i < len && n < max_chars) {
        if (plain_byte[p[i]]) {
            /* One character per byte, as far as the limits allow. */
            size_t stop = len - i < max_chars - n ? len - i : max_chars - n;
            size_t k = 1;
            while (k < stop && plain_byte[p[i + k]]) {
                k++;
            }
            i += k;
            n += k;
            continue;
        }
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
            replacement = mi_utf8_html_displayable(cp) ? NULL
                                                       : REPLACEMENT;
        }
        if (replacement != NULL) {
            /* Copy what came before in one write, then the entity. */
            mi_out_write(out, p + run, i - run);
            mi_out_puts(out, replacement);
            run = i + width;
        }
        i += width;
        n++;
    }
    mi_out_write(out, p + run, i - run);
}

static void
put_text(mi_out *out, const char *s)
{
    if (s != NULL) {
        put_escaped_n(out, s, strlen(s), SIZE_MAX, false);
    }
}

static void
put_text_or(mi_out *out, const char *s, const char *fallback)
{
    put_text(out, s != NULL ? s : fallback);
}

/* ---- Numbers ---- */

/* Digits grouped by three with '_', as Python's '{:_}' does. */
static void
put_count(mi_out *out, uint64_t value)
{
    char buffer[MI_FORMAT_SIZE];
    mi_out_puts(out, mi_format_uint(buffer, value));
}

static void
put_bytes(mi_out *out, uint64_t value)
{
    char buffer[MI_FORMAT_SIZE];
    mi_out_puts(out, mi_format_bytes(buffer, value));
}

static void
put_signed_bytes(mi_out *out, int64_t value)
{
    char buffer[MI_FORMAT_SIZE];
    mi_out_puts(out, mi_format_signed_bytes(buffer, value));
}

static void
put_percent(mi_out *out, double ratio)
{
    char buffer[MI_FORMAT_SIZE];
    mi_out_puts(out, mi_format_percent(buffer, ratio));
}

/* ---- Cells ---- */

static void
details_open(page *pg, unsigned column)
{
    mi_out_puts(pg->out, "<details name=\"t");
    mi_out_uint(pg->out, pg->tables);
    mi_out_putc(pg->out, 'c');
    mi_out_uint(pg->out, column);
    mi_out_puts(pg->out, "\"><summary>");
}

static void
details_middle(page *pg)
{
    mi_out_puts(pg->out, "</summary><div class=\"details\">");
}

static void
details_close(page *pg)
{
    mi_out_puts(pg->out, "</div></details>");
}

/* "<class 'x'> at 0x..." */
static void
put_type_identity(mi_out *out, const mi_model_type *type)
{
    put_text(out, type->repr);
    mi_out_puts(out, " at 0x");
    mi_out_hex(out, type->address);
}

static void
put_type_cell(page *pg, unsigned column, const mi_model_type *type)
{
    mi_out_puts(pg->out, "<td>");
    details_open(pg, column);
    put_text(pg->out, type->name);
    details_middle(pg);
    put_type_identity(pg->out, type);
    details_close(pg);
    mi_out_puts(pg->out, "</td>");
}

/* "refcounts:" then "immortal (N×)" and "refcount (N×)" lines, then a
   blank line, "addresses:" and the addresses, "…" between the lowest and
   the highest when they are only a sample. */
static void
put_instances_details(mi_out *out, uint64_t instances, uint64_t immortal,
                      const mi_key_count *refcounts, size_t n_refcounts,
                      const uint64_t *addresses, size_t n_addresses)
{
    mi_out_puts(out, "refcounts:");
    if (immortal > 0) {
        mi_out_puts(out, "<br>immortal (");
        put_count(out, immortal);
        mi_out_puts(out, TIMES ")");
    }
    for (size_t i = 0; i < n_refcounts; i++) {
        mi_out_puts(out, "<br>");
        put_count(out, refcounts[i].key);
        mi_out_puts(out, " (");
        put_count(out, refcounts[i].count);
        mi_out_puts(out, TIMES ")");
    }
    mi_out_puts(out, "<br><br>addresses:");
    bool sample = instances > n_addresses;
    size_t low = (n_addresses + 1) / 2;
    for (size_t i = 0; i < n_addresses; i++) {
        if (sample && i == low) {
            mi_out_puts(out, "<br>" ELLIPSIS);
        }
        mi_out_puts(out, "<br>0x");
        mi_out_hex(out, addresses[i]);
    }
    if (sample && n_addresses == 0) {
        mi_out_puts(out, "<br>" ELLIPSIS);
    }
}

static void
put_header_cells(page *pg, const char *const *headers, size_t n)
{
    mi_out *out = pg->out;
    mi_out_puts(out, "<table>\n<thead><tr>");
    for (size_t i = 0; i < n; i++) {
        mi_out_puts(out, "<th>");
        put_text(out, headers[i]);
        mi_out_puts(out, "</th>");
    }
    mi_out_puts(out, "</tr></thead>\n<tbody>\n");
}

static void
put_none_found(mi_out *out, const char *note)
{
    mi_out_puts(out, "<p>None found");
    mi_out_puts(out, note);
    mi_out_puts(out, ".</p>\n");
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
put_date(mi_out *out, double wall_clock)
{
    /* Up to the year 9999, where the format stays four digits. */
    if (!(wall_clock >= 0.0 && wall_clock < 253402300800.0)) {
        mi_out_puts(out, "unknown");
        return;
    }
    time_t seconds = (time_t)wall_clock;
    struct tm tm;
    char buf[32];
    if (gmtime_r(&seconds, &tm) == NULL ||
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        mi_out_puts(out, "unknown");
        return;
    }
    mi_out_puts(out, buf);
}

/* The command line as a POSIX shell would take it back: arguments made
   only of safe characters as they are, the others in single quotes. */
static void
put_argument(mi_out *out, const char *arg)
{
    static const char safe[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        "0123456789@%+=:,./-_";
    size_t len = strlen(arg);
    if (len > 0 && strspn(arg, safe) == len) {
        put_text(out, arg);
        return;
    }
    mi_out_puts(out, "&#x27;");
    const char *p = arg;
    for (const char *q; (q = strchr(p, '\'')) != NULL; p = q + 1) {
        put_escaped_n(out, p, (size_t)(q - p), SIZE_MAX, false);
        mi_out_puts(out, "&#x27;&quot;&#x27;&quot;&#x27;");   /* '"'"' */
    }
    put_text(out, p);
    mi_out_puts(out, "&#x27;");
}

static void
put_nav_link(page *pg, const char *href, const char *label)
{
    /* Every href is one of ours: [A-Za-z0-9._-] only. */
    mi_out_puts(pg->out, "<a href=\"");
    mi_out_puts(pg->out, href);
    mi_out_puts(pg->out, strcmp(href, pg->file_name) == 0
                             ? "\" aria-current=\"page\">" : "\">");
    put_text(pg->out, label);
    mi_out_puts(pg->out, "</a>");
}

static void
put_nav(page *pg)
{
    mi_out *out = pg->out;
    const mi_analysis *analysis = pg->analysis;
    mi_out_puts(out, "<nav>");
    put_nav_link(pg, MI_HTML_TYPES_PAGE, "Types by memory usage");
    mi_out_puts(out, " | ");
    put_nav_link(pg, MI_HTML_UNINSTANTIATED_PAGE, "Uninstantiated types");
    mi_out_puts(out, " | ");
    put_nav_link(pg, MI_HTML_SLOTS_PAGE, "Classes lacking slots");
    mi_out_puts(out, " | Duplicates:");
    bool any = false;
    for (size_t i = 0; i < pg->names->n_duplicates; i++) {
        if (pg->names->duplicates[i][0] == '\0') {
            continue;
        }
        mi_out_puts(out, any ? ", " : " ");
        put_nav_link(pg, pg->names->duplicates[i],
                     analysis->duplicate_summary[i].type->name);
        any = true;
    }
    if (!any) {
        mi_out_puts(out, " none");
    }
    mi_out_puts(out, "</nav>\n");
}

static void
put_header(page *pg)
{
    mi_out *out = pg->out;
    const mi_model *model = pg->model;
    const mi_model_inventory *inventory = pg->analysis->inventory;

    mi_out_puts(out, "<header>\n<h1>Memory inventory</h1>\n");
    if (!model->complete) {
        mi_out_puts(out, "<p class=\"banner\">INCOMPLETE: ");
        put_text_or(out, model->incomplete_reason, "unknown reason");
        mi_out_puts(out, "</p>\n");
    }
    if (inventory != NULL && inventory->limit_reached) {
        mi_out_puts(out,
                    "<p class=\"banner warning\">OBJECTS LIMIT REACHED:"
                    " the walk stopped at ");
        put_count(out, inventory->objects_limit);
        mi_out_puts(out, " objects with ");
        put_count(out, inventory->pending);
        mi_out_puts(out,
                    " left to examine; these tables are partial.</p>\n");
    }
    mi_out_puts(out, "<p>Python version: ");
    put_text_or(out, model->has_header ? model->python_version : NULL,
                "unknown");
    mi_out_puts(out, "<br>\nDate: ");
    if (model->has_header) {
        put_date(out, model->wall_clock);
    }
    else {
        mi_out_puts(out, "unknown");
    }
    mi_out_puts(out, "<br>\nProcess ID: ");
    if (model->has_header) {
        mi_out_uint(out, model->pid);
    }
    else {
        mi_out_puts(out, "unknown");
    }
    mi_out_puts(out, "<br>\nCommand line: <code>");
    for (size_t i = 0; i < model->n_argv; i++) {
        if (i > 0) {
            mi_out_putc(out, ' ');
        }
        put_argument(out, model->argv[i]);
    }
    mi_out_puts(out, "</code>");
    if (inventory != NULL) {
        mi_out_puts(out, "<br>\nObjects found: ");
        put_count(out, inventory->objects);
        mi_out_puts(out, " (");
        put_bytes(out, inventory->bytes);
        mi_out_puts(out, ")");
    }
    mi_out_puts(out, "</p>\n<details><summary>Loaded modules: ");
    put_count(out, model->n_loaded_modules);
    mi_out_puts(out, "</summary><div class=\"details\">");
    for (size_t i = 0; i < model->n_loaded_modules; i++) {
        if (i > 0) {
            mi_out_puts(out, ", ");
        }
        put_text(out, model->loaded_modules[i]);
    }
    mi_out_puts(out, "</div></details>\n");
    if (model->has_imports && model->n_failed_imports > 0) {
        mi_out_puts(out, "<details><summary>Failed imports: ");
        put_count(out, model->n_failed_imports);
        mi_out_puts(out, "</summary><div class=\"details\">");
        for (size_t i = 0; i < model->n_failed_imports; i++) {
            if (i > 0) {
                mi_out_puts(out, ", ");
            }
            put_text(out, model->failed_imports[i]);
        }
        mi_out_puts(out, "</div></details>\n");
    }
    put_nav(pg);
    mi_out_puts(out, "</header>\n");
}

/* ---- Pages ---- */

static void
put_types_body(page *pg)
{
    static const char *const headers[] = {
        "type", "cumulated memory usage", "instances found",
        "average memory usage per instance",
    };
    mi_out *out = pg->out;
    const mi_analysis *analysis = pg->analysis;

    mi_out_puts(out, "<h2>Types by intrinsic memory usage</h2>\n");
    if (analysis->n_types == 0) {
        put_none_found(out, "");
        return;
    }
    pg->tables++;
    put_header_cells(pg, headers, sizeof(headers) / sizeof(headers[0]));
    for (size_t i = 0; i < analysis->n_types; i++) {
        const mi_type_row *row = &analysis->types[i];
        const mi_model_type_stats *stats = row->stats;
        mi_out_puts(out, "<tr>");
        put_type_cell(pg, 1, row->type);
        mi_out_puts(out, "<td>");
        put_bytes(out, stats->bytes);
        mi_out_puts(out, "</td><td>");
        details_open(pg, 3);
        put_count(out, stats->instances);
        details_middle(pg);
        put_instances_details(out, stats->instances, stats->immortal,
                              stats->refcounts, stats->n_refcounts,
                              stats->addresses, stats->n_addresses);
        details_close(pg);
        mi_out_puts(out, "</td><td>");
        put_bytes(out, stats->instances ? stats->bytes / stats->instances
                                        : 0);
        mi_out_puts(out, "</td></tr>\n");
    }
    mi_out_puts(out, "</tbody>\n<tfoot><tr><td>total: ");
    put_count(out, analysis->n_types);
    mi_out_puts(out, "</td><td>");
    put_bytes(out, analysis->total_bytes);
    mi_out_puts(out, "</td><td>");
    put_count(out, analysis->total_instances);
    mi_out_puts(out, "</td><td>");
    put_bytes(out, analysis->total_instances
                       ? analysis->total_bytes / analysis->total_instances
                       : 0);
    mi_out_puts(out, "</td></tr></tfoot>\n</table>\n");
}

static void
put_uninstantiated_body(page *pg)
{
    mi_out *out = pg->out;
    const mi_analysis *analysis = pg->analysis;

    mi_out_puts(out,
                "<h2>Uninstantiated types <small>(excluding BaseException and"
                " its subclasses)</small>: ");
    put_count(out, analysis->n_uninstantiated);
    mi_out_puts(out, "</h2>\n");
    if (analysis->n_uninstantiated == 0) {
        put_none_found(out, "");
        return;
    }
    mi_out_puts(out, "<ul class=\"types\">\n");
    for (size_t i = 0; i < analysis->n_uninstantiated; i++) {
        const mi_model_type *type = analysis->uninstantiated[i];
        mi_out_puts(out, "<li><details><summary>");
        put_text(out, type->name);
        mi_out_puts(out, "</summary><div class=\"details\">");
        put_type_identity(out, type);
        mi_out_puts(out, "</div></details></li>\n");
    }
    mi_out_puts(out, "</ul>\n");
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
    mi_out *out = pg->out;
    mi_out_puts(out, "<td>");
    details_open(pg, 5);
    put_count(out, row->n_missing_slots);
    details_middle(pg);
    for (size_t i = 0; i < row->n_missing_slots; i++) {
        if (i > 0) {
            mi_out_puts(out, "<br>");
        }
        put_text(out, row->missing_slots[i].name);
        if (shares) {
            mi_out_puts(out, " (in ");
            put_percent(out, row->instances
                                 ? (double)row->missing_slots[i].count /
                                       (double)row->instances
                                 : 0.0);
            mi_out_puts(out, " of instances)");
        }
    }
    details_close(pg);
    mi_out_puts(out, "</td>");
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
    mi_out *out = pg->out;
    const mi_analysis *analysis = pg->analysis;

    mi_out_puts(out, "<h2>Instantiated classes lacking slots</h2>\n");
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
            mi_out_puts(out, "<tr>");
            put_type_cell(pg, 1, row->type);
            mi_out_puts(out, "<td>");
            put_signed_bytes(out, row->savable_bytes);
            mi_out_puts(out, "</td><td>");
            put_bytes(out, row->dict_bytes);
            mi_out_puts(out, "</td><td>");
            put_percent(out, row->reduction);
            mi_out_puts(out, "</td>");
            put_missing_slots_cell(pg, row, true);
            mi_out_puts(out, "<td>");
            put_count(out, row->instances);
            mi_out_puts(out, "</td></tr>\n");
            savable += row->savable_bytes;
            dict_bytes += row->dict_bytes;
            missing += row->n_missing_slots;
            instances += row->instances;
        }
        mi_out_puts(out, "</tbody>\n<tfoot><tr><td>total: ");
        put_count(out, analysis->n_lacking_slots);
        mi_out_puts(out, "</td><td>");
        put_signed_bytes(out, savable);
        mi_out_puts(out, "</td><td>");
        put_bytes(out, dict_bytes);
        mi_out_puts(out, "</td><td>");
        if (dict_bytes > 0) {
            put_percent(out, (double)savable / (double)dict_bytes);
        }
        else {
            mi_out_puts(out, "NaN");
        }
        mi_out_puts(out, "</td><td>");
        put_count(out, missing);
        mi_out_puts(out, "</td><td>");
        put_count(out, instances);
        mi_out_puts(out, "</td></tr></tfoot>\n</table>\n");
    }

    mi_out_puts(out, "<h2>Uninstantiated classes lacking slots</h2>\n");
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
        mi_out_puts(out, "<tr>");
        put_type_cell(pg, 1, row->type);
        mi_out_puts(out, "<td>");
        put_signed_bytes(out, row->savable_bytes);
        mi_out_puts(out, "</td><td>");
        put_bytes(out, row->dict_bytes);
        mi_out_puts(out, "</td><td>");
        put_percent(out, row->reduction);
        mi_out_puts(out, "</td>");
        put_missing_slots_cell(pg, row, false);
        mi_out_puts(out, "</tr>\n");
        missing += row->n_missing_slots;
    }
    mi_out_puts(out, "</tbody>\n<tfoot><tr><td>total: ");
    put_count(out, analysis->n_uninstantiated_lacking_slots);
    mi_out_puts(out, "</td><td></td><td></td><td></td><td>");
    put_count(out, missing);
    mi_out_puts(out, "</td></tr></tfoot>\n</table>\n");
}

/* The repr, cut to REPR_CELL_CHARS characters with its end in the
   details. */
static void
put_repr_cell(page *pg, const char *repr)
{
    mi_out *out = pg->out;
    size_t len = strlen(repr);
    mi_out_puts(out, "<td>");
    if (count_chars(repr, len, REPR_CELL_CHARS) <= REPR_CELL_CHARS) {
        put_escaped_n(out, repr, len, SIZE_MAX, false);
    }
    else {
        details_open(pg, 1);
        put_escaped_n(out, repr, len, REPR_CELL_CHARS - 1, false);
        mi_out_puts(out, ELLIPSIS);
        details_middle(pg);
        put_escaped_n(out, repr, len, SIZE_MAX, true);
        details_close(pg);
    }
    mi_out_puts(out, "</td>");
}

static void
put_duplicates_body(page *pg)
{
    const mi_duplicate_summary_row *summary = pg->duplicates;
    const char *name =
        summary->type->name != NULL ? summary->type->name : "";
    const char *const headers[] = {name, "savable memory", "instances"};
    mi_out *out = pg->out;
    bool is_str = strcmp(name, "str") == 0;

    mi_out_puts(out, "<h2>Duplicate ");
    put_text(out, name);
    mi_out_puts(out, " instances</h2>\n");
    if (summary->n_duplicates == 0) {
        put_none_found(out, "");
        return;
    }
    pg->tables++;
    put_header_cells(pg, headers, sizeof(headers) / sizeof(headers[0]));
    for (size_t i = 0; i < summary->n_duplicates; i++) {
        const mi_model_duplicate *d = summary->duplicates[i];
        mi_out_puts(out, "<tr>");
        put_repr_cell(pg, d->repr != NULL ? d->repr : "");
        mi_out_puts(out, "<td>");
        put_bytes(out, d->copies > 0 ? d->size * (d->copies - 1) : 0);
        mi_out_puts(out, "</td><td>");
        details_open(pg, 3);
        put_count(out, d->copies);
        details_middle(pg);
        if (is_str) {
            mi_out_puts(out, "interned: ");
            put_count(out, d->interned);
            mi_out_puts(out, "<br><br>");
        }
        put_instances_details(out, d->copies, d->immortal, d->refcounts,
                              d->n_refcounts, d->addresses, d->n_addresses);
        details_close(pg);
        mi_out_puts(out, "</td></tr>\n");
    }
    mi_out_puts(out, "</tbody>\n<tfoot><tr><td>total: ");
    put_count(out, summary->n_duplicates);
    mi_out_puts(out, "</td><td>");
    put_bytes(out, summary->savable_bytes);
    mi_out_puts(out, "</td><td>");
    put_count(out, summary->duplicate_instances + summary->values);
    mi_out_puts(out, "</td></tr></tfoot>\n</table>\n");
}

static int
put_page(page *pg)
{
    mi_out *out = pg->out;
    errno = 0;
    mi_out_puts(out,
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                "<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width,"
                " initial-scale=1\">\n<title>");
    mi_out_puts(out, pg->title);
    if (pg->duplicates != NULL) {
        put_text(out, pg->duplicates->type->name);
    }
    mi_out_puts(out, " - memory inventory</title>\n<style>\n");
    mi_out_puts(out, STYLE);
    mi_out_puts(out, "</style>\n</head>\n<body>\n");
    put_header(pg);
    mi_out_puts(out, "<main>\n");
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
    mi_out_puts(out, "</main>\n</body>\n</html>\n");
    return mi_out_flush(out);
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

/* Writes the page `pg` points at through `storage` (`capacity` bytes),
   with write(2): a page in as few calls as its size allows. */
static int
write_file(page *pg, int dir_fd, char *storage, size_t capacity)
{
    int fd = openat(dir_fd, pg->file_name,
                    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                    0600);
    if (fd < 0) {
        return -1;
    }
    mi_out out;
    mi_out_init_fd(&out, fd, storage, capacity);
    pg->out = &out;
    pg->tables = 0;
    int rc = put_page(pg);
    int saved = errno;
    if (close(fd) != 0 && rc == 0) {
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
    char *storage = malloc(HTML_BUFFER_SIZE);
    if (storage == NULL) {
        free(names.duplicates);
        errno = ENOMEM;
        return -1;
    }
    page pg = {.model = model, .analysis = analysis, .names = &names};
    int rc = 0;
    const char *fixed[] = {
        MI_HTML_TYPES_PAGE, MI_HTML_UNINSTANTIATED_PAGE, MI_HTML_SLOTS_PAGE,
    };
    for (size_t i = 0; rc == 0 && i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        find_page(&pg, fixed[i]);
        rc = write_file(&pg, dir_fd, storage, HTML_BUFFER_SIZE);
    }
    for (size_t i = 0; rc == 0 && i < names.n_duplicates; i++) {
        if (names.duplicates[i][0] != '\0') {
            find_page(&pg, names.duplicates[i]);
            rc = write_file(&pg, dir_fd, storage, HTML_BUFFER_SIZE);
        }
    }
    int saved = errno;
    free(storage);
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
    mi_out buffer;
    page pg = {.out = &buffer, .model = model, .analysis = analysis,
               .names = &names};
    int rc;
    if (find_page(&pg, file_name)) {
        if (mi_out_open_stream(&buffer, out) < 0) {
            rc = -1;
        }
        else {
            rc = put_page(&pg);
        }
        int saved = errno;
        mi_out_close(&buffer);
        errno = saved;
        if (rc == 0 && (fflush(out) != 0 || ferror(out))) {
            if (errno == 0) {
                errno = EIO;
            }
            rc = -1;
        }
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
