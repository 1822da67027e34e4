/* memory-inventory-collector: reads a recording, writes the reports.
 *
 * The recording comes from standard input, a file or a Unix socket
 * (source.c); every byte of it is saved as received (recording.msgpack)
 * while the reader (reader.c) validates it and fills the model; then the
 * reports are written from the model, its analysis and its import tree:
 * report.json, report.txt and the HTML pages in the save directory (and
 * imports.txt, importtime.txt and imports.html, the chart of memory per
 * import, for import tracing), and what --print asks for on standard
 * output (or error: --stderr). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "analysis.h"
#include "import_tree.h"
#include "model.h"
#include "output_dir.h"
#include "reader.h"
#include "report_html.h"
#include "report_imports_html.h"
#include "report_imports_text.h"
#include "report_json.h"
#include "report_text.h"
#include "source.h"
#include "utf8.h"

#define PROGRAM "memory-inventory-collector"
#define DEFAULT_PREFIX "./memory_inventory_"

#define EXIT_COMPLETE 0
#define EXIT_FAILED 1           /* usage, I/O */
#define EXIT_INCOMPLETE 2       /* malformed or truncated recording */

static const char usage_text[] =
    "usage: " PROGRAM " [--save-dir DIR | --save-dir-prefix PREFIX]\n"
    "           [--no-save] [--socket PATH] [--print MODE] [--stderr]\n"
    "           [--top N] [--min-size SIZE] [--quiet] [RECORDING | -]\n"
    "       " PROGRAM " report RECORDING [--save-dir DIR |\n"
    "           --save-dir-prefix PREFIX] [--no-save] [--print MODE]\n"
    "           [--stderr] [--top N] [--min-size SIZE] [--quiet]\n"
    "\n"
    "Reads a memory_inventory recording until its end: from standard input\n"
    "(the default, or -), from the file RECORDING, or from the one\n"
    "connection accepted on the Unix socket PATH. Prints the reports that\n"
    "--print names on standard output and saves, in a directory, the\n"
    "recording as received (recording.msgpack), report.json, report.txt\n"
    "and the HTML pages, and for a recording of import tracing imports.txt\n"
    "(the import tree), importtime.txt (in -X importtime's format, bytes\n"
    "for microseconds) and imports.html (the chart of memory per import).\n"
    "'report' rebuilds all of them from a saved recording.\n"
    "\n"
    "  --save-dir DIR           save in DIR (created with mode 0700 when\n"
    "                           missing; files in it are replaced)\n"
    "  --save-dir-prefix PREFIX save in a new directory PREFIX + 6 random\n"
    "                           characters (default: " DEFAULT_PREFIX ")\n"
    "  --no-save                save nothing\n"
    "  --socket PATH            listen on the Unix socket PATH (which must\n"
    "                           not exist) and read the first connection\n"
    "  --print MODE             what to print: auto (the default: the import\n"
    "                           tree then the summary when the recording has\n"
    "                           IMPORT records, else the summary), summary,\n"
    "                           tree, importtime or none\n"
    "  --stderr                 print on standard error, not standard output\n"
    "  --top N                  rows of the tree's top tables (default 10;\n"
    "                           0: no top tables)\n"
    "  --min-size SIZE          hide the imports under SIZE bytes from the\n"
    "                           printed tree and top tables (suffixes K, M,\n"
    "                           G: KiB, MiB, GiB; the saved files keep all)\n"
    "  --quiet                  print nothing (as --print none)\n"
    "  -h, --help               show this help\n"
    "\n"
    "Exit status: 0 when the recording is complete; 2 when it is malformed\n"
    "or truncated (everything valid before the fault is reported, marked\n"
    "incomplete, and the fault named on standard error); 1 on a usage or\n"
    "I/O error.\n";

typedef enum {
    PRINT_AUTO,
    PRINT_SUMMARY,
    PRINT_TREE,
    PRINT_IMPORTTIME,
    PRINT_NONE,
} print_mode;

static const char *const print_mode_names[] = {
    [PRINT_AUTO] = "auto",
    [PRINT_SUMMARY] = "summary",
    [PRINT_TREE] = "tree",
    [PRINT_IMPORTTIME] = "importtime",
    [PRINT_NONE] = "none",
};

typedef struct {
    bool report_command;
    const char *save_dir;
    const char *save_dir_prefix;
    bool no_save;
    const char *socket_path;
    bool quiet;
    const char *recording;      /* NULL or "-": standard input */
    print_mode print;
    bool print_given;           /* --print was given */
    bool to_stderr;             /* --stderr */
    size_t top;                 /* --top */
    uint64_t min_size;          /* --min-size, in bytes */
} options;

static void
error_message(const char *format, ...) __attribute__((format(printf, 1, 2)));

static void
error_message(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    fputs(PROGRAM ": ", stderr);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
}

static int
usage_error(const char *format, const char *argument)
{
    fprintf(stderr, PROGRAM ": ");
    fprintf(stderr, format, argument);
    fprintf(stderr, "\n(" PROGRAM " --help shows the usage)\n");
    return -1;
}

/* The value of option `name` at argv[*i]: "--name=value" or "--name
   value". NULL when argv[*i] is not that option. */
static const char *
option_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t length = strlen(name);
    const char *arg = argv[*i];
    *missing = false;
    if (strncmp(arg, name, length) != 0) {
        return NULL;
    }
    if (arg[length] == '=') {
        return arg + length + 1;
    }
    if (arg[length] != '\0') {
        return NULL;
    }
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* A usage error whose message is built from `format` and its arguments. */
static int
usage_errorf(const char *format, ...) __attribute__((format(printf, 1, 2)));

static int
usage_errorf(const char *format, ...)
{
    char message[512];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, sizeof(message), format, arguments);
    va_end(arguments);
    return usage_error("%s", message);
}

/* A decimal number without sign, blanks or overflow; the rest of the
   text after the digits goes to *rest (NULL: nothing may follow). */
static bool
parse_decimal(const char *text, uint64_t *value, const char **rest)
{
    uint64_t n = 0;
    const char *p = text;
    if (*p < '0' || *p > '9') {
        return false;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (n > (UINT64_MAX - digit) / 10) {
            return false;
        }
        n = n * 10 + digit;
    }
    if (rest != NULL) {
        *rest = p;
    }
    else if (*p != '\0') {
        return false;
    }
    *value = n;
    return true;
}

/* "512", "64K", "1M", "2GiB": bytes. */
static bool
parse_size(const char *text, uint64_t *bytes)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {
        {"", 0}, {"B", 0}, {"K", 10}, {"KiB", 10}, {"M", 20}, {"MiB", 20},
        {"G", 30}, {"GiB", 30},
    };
    uint64_t n;
    const char *rest;
    if (!parse_decimal(text, &n, &rest)) {
        return false;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(rest, units[i].suffix) == 0) {
            if (n > (UINT64_MAX >> units[i].shift)) {
                return false;
            }
            *bytes = n << units[i].shift;
            return true;
        }
    }
    return false;
}

static bool
parse_print_mode(const char *text, print_mode *mode)
{
    for (size_t i = 0; i <= PRINT_NONE; i++) {
        if (strcmp(text, print_mode_names[i]) == 0) {
            *mode = (print_mode)i;
            return true;
        }
    }
    return false;
}

/* Returns 0, 1 when the help was shown, -1 on a usage error. */
static int
parse_options(int argc, char **argv, options *o)
{
    int i = 1;
    bool only_operands = false;
    memset(o, 0, sizeof(*o));
    o->top = MI_IMPORTS_TEXT_DEFAULT_TOP;
    if (argc > 1 && strcmp(argv[1], "report") == 0) {
        o->report_command = true;
        i = 2;
    }
    for (; i < argc; i++) {
        const char *arg = argv[i];
        const char *value;
        bool missing;
        if (!only_operands && strcmp(arg, "--") == 0) {
            only_operands = true;
        }
        else if (!only_operands
                 && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)) {
            fputs(usage_text, stdout);
            return 1;
        }
        else if (!only_operands && strcmp(arg, "--no-save") == 0) {
            o->no_save = true;
        }
        else if (!only_operands && strcmp(arg, "--quiet") == 0) {
            o->quiet = true;
        }
        else if (!only_operands && strcmp(arg, "--stderr") == 0) {
            o->to_stderr = true;
        }
        else if (!only_operands
                 && ((value = option_value(argc, argv, &i, "--print",
                                           &missing)) != NULL || missing)) {
            if (missing) {
                return usage_error("%s needs a mode: auto, summary, tree, "
                                   "importtime or none", arg);
            }
            if (!parse_print_mode(value, &o->print)) {
                return usage_errorf("--print takes auto, summary, tree, "
                                    "importtime or none, not '%s'", value);
            }
            o->print_given = true;
        }
        else if (!only_operands
                 && ((value = option_value(argc, argv, &i, "--top",
                                           &missing)) != NULL || missing)) {
            uint64_t top;
            if (missing) {
                return usage_error("%s needs a number of rows", arg);
            }
            if (!parse_decimal(value, &top, NULL) || top > SIZE_MAX) {
                return usage_errorf("--top takes a number of rows (0: no "
                                    "top tables), not '%s'", value);
            }
            o->top = (size_t)top;
        }
        else if (!only_operands
                 && ((value = option_value(argc, argv, &i, "--min-size",
                                           &missing)) != NULL || missing)) {
            if (missing) {
                return usage_error("%s needs a size", arg);
            }
            if (!parse_size(value, &o->min_size)) {
                return usage_errorf("--min-size takes a size in bytes, with "
                                    "K, M or G for KiB, MiB or GiB (512K), "
                                    "not '%s'", value);
            }
        }
        else if (!only_operands
                 && ((value = option_value(argc, argv, &i, "--save-dir",
                                           &missing)) != NULL || missing)) {
            if (missing) {
                return usage_error("%s needs a directory", arg);
            }
            o->save_dir = value;
        }
        else if (!only_operands
                 && ((value = option_value(argc, argv, &i,
                                           "--save-dir-prefix", &missing))
                     != NULL || missing)) {
            if (missing) {
                return usage_error("%s needs a prefix", arg);
            }
            o->save_dir_prefix = value;
        }
        else if (!only_operands && !o->report_command
                 && ((value = option_value(argc, argv, &i, "--socket",
                                           &missing)) != NULL || missing)) {
            if (missing) {
                return usage_error("%s needs a path", arg);
            }
            o->socket_path = value;
        }
        else if (!only_operands && arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown option %s", arg);
        }
        else if (o->recording != NULL) {
            return usage_error("one recording at a time (and %s is a second "
                               "one)", arg);
        }
        else {
            o->recording = arg;
        }
    }
    if (o->save_dir != NULL && o->save_dir_prefix != NULL) {
        return usage_error("%s", "--save-dir and --save-dir-prefix exclude "
                           "each other");
    }
    if (o->no_save && (o->save_dir != NULL || o->save_dir_prefix != NULL)) {
        return usage_error("%s", "--no-save excludes --save-dir and "
                           "--save-dir-prefix");
    }
    if (o->socket_path != NULL && o->recording != NULL) {
        return usage_error("%s", "--socket excludes a RECORDING");
    }
    if (o->report_command && o->recording == NULL) {
        return usage_error("%s", "report needs a RECORDING");
    }
    if (o->quiet && o->print_given && o->print != PRINT_NONE) {
        return usage_errorf("--quiet excludes --print %s",
                            print_mode_names[o->print]);
    }
    if (o->quiet) {
        o->print = PRINT_NONE;
    }
    return 0;
}

/* ---- Reading: every byte saved as received, then decoded ---- */

typedef struct {
    mi_reader *reader;
    FILE *raw;                  /* recording.msgpack, or NULL */
    int raw_errno;              /* the first write error, or 0 */
} collector;

static void
sink_buffer(void *context, size_t suggested, char **base, size_t *size)
{
    collector *c = context;
    mi_reader_buffer(c->reader, suggested, base, size);
}

static void
sink_received(void *context, const char *data, size_t size)
{
    collector *c = context;
    if (c->raw != NULL && c->raw_errno == 0
        && fwrite(data, 1, size, c->raw) != size) {
        c->raw_errno = errno != 0 ? errno : EIO;
    }
    mi_reader_consumed(c->reader, size);
}

/* ---- Writing ---- */

/* What the reports are written from. */
typedef struct {
    const mi_model *model;
    const mi_analysis *analysis;
    const mi_import_tree *tree;
    const options *options;
    const char *dir_path;       /* the save directory, or NULL */
} report_inputs;

typedef int (*file_writer)(FILE *out, const report_inputs *in);

static int
write_json(FILE *out, const report_inputs *in)
{
    return mi_report_json_write(out, in->model);
}

static int
write_text(FILE *out, const report_inputs *in)
{
    return mi_report_text_write(out, in->model, in->analysis, in->dir_path);
}

/* imports.txt: the whole tree (no --min-size), with --top's tables. */
static int
write_imports(FILE *out, const report_inputs *in)
{
    mi_imports_text_options text = {in->options->top, 0, true};
    return mi_report_imports_text_write(out, in->model, in->tree, &text);
}

static int
write_importtime(FILE *out, const report_inputs *in)
{
    return mi_report_importtime_write(out, in->tree, 0);
}

/* Writes `name` in the save directory. Returns 0, or -1 (said). */
static int
save_file(const mi_output_dir *dir, const char *name, file_writer writer,
          const report_inputs *in)
{
    mi_output_file file;
    if (mi_output_file_open(dir, name, &file) < 0) {
        error_message("cannot create %s/%s: %s", dir->path, name,
                      strerror(errno));
        return -1;
    }
    errno = 0;
    if (writer(file.stream, in) < 0 || fflush(file.stream) != 0) {
        int saved = errno != 0 ? errno : EIO;
        mi_output_file_abort(&file);
        error_message("cannot write %s/%s: %s", dir->path, name,
                      strerror(saved));
        return -1;
    }
    if (mi_output_file_commit(&file) < 0) {
        error_message("cannot write %s/%s: %s", dir->path, name,
                      strerror(errno));
        return -1;
    }
    return 0;
}

typedef struct {
    const mi_output_dir *dir;
    const report_inputs *in;
    int status;                 /* save_file's */
} json_job;

static int
save_json(void *arg)
{
    json_job *job = arg;
    job->status = save_file(job->dir, "report.json", write_json, job->in);
    return 0;
}

/* What --print asks for, on `out`. */
static int
print_reports(FILE *out, const report_inputs *in, const char *saved_dir)
{
    const options *o = in->options;
    mi_imports_text_options text = {o->top, o->min_size, false};
    print_mode mode = o->print;
    if (mode == PRINT_AUTO) {
        mode = in->model->n_imports > 0 ? PRINT_AUTO : PRINT_SUMMARY;
    }
    switch (mode) {
    case PRINT_NONE:
        return 0;
    case PRINT_SUMMARY:
        return mi_report_text_write(out, in->model, in->analysis, saved_dir);
    case PRINT_IMPORTTIME:
        return mi_report_importtime_write(out, in->tree, o->min_size);
    case PRINT_TREE:
        if (mi_report_imports_text_write(out, in->model, in->tree, &text)
            < 0) {
            return -1;
        }
        return mi_report_text_footer(out, in->model, saved_dir);
    case PRINT_AUTO:
        if (mi_report_imports_text_write(out, in->model, in->tree, &text) < 0
            || putc('\n', out) == EOF) {
            return -1;
        }
        return mi_report_text_write(out, in->model, in->analysis, saved_dir);
    }
    return 0;
}

static int
open_save_dir(const options *o, mi_output_dir *dir)
{
    char error[MI_OUTPUT_ERROR_SIZE];
    int rc;
    if (o->save_dir != NULL) {
        rc = mi_output_dir_open(dir, o->save_dir, error);
    }
    else {
        rc = mi_output_dir_create_unique(
            dir, o->save_dir_prefix != NULL ? o->save_dir_prefix
                                            : DEFAULT_PREFIX, error);
    }
    if (rc < 0) {
        error_message("%s", error);
    }
    return rc;
}

static int
run(const options *o)
{
    mi_model model;
    mi_analysis analysis;
    mi_import_tree tree;
    mi_output_dir dir = {.fd = -1};
    mi_output_file raw = {0};
    collector c = {0};
    mi_source *source = NULL;
    bool failed = false;
    bool saved = false;
    int status = EXIT_FAILED;

    mi_model_init(&model);
    memset(&analysis, 0, sizeof(analysis));
    memset(&tree, 0, sizeof(tree));
    report_inputs in = {&model, &analysis, &tree, o, NULL};

    /* The input first: nothing is created when it cannot be read. */
    mi_source_kind kind = MI_SOURCE_STDIN;
    const char *path = NULL;
    if (o->socket_path != NULL) {
        kind = MI_SOURCE_SOCKET;
        path = o->socket_path;
    }
    else if (o->recording != NULL && strcmp(o->recording, "-") != 0) {
        kind = MI_SOURCE_FILE;
        path = o->recording;
    }
    char source_error[MI_SOURCE_ERROR_SIZE];
    source = mi_source_open(kind, path, source_error);
    if (source == NULL) {
        error_message("%s", source_error);
        goto done;
    }
    c.reader = mi_reader_new(&model);
    if (c.reader == NULL) {
        error_message("out of memory");
        goto done;
    }
    if (!o->no_save) {
        if (open_save_dir(o, &dir) < 0) {
            goto done;
        }
        if (mi_output_file_open(&dir, "recording.msgpack", &raw) < 0) {
            error_message("cannot create %s/recording.msgpack: %s", dir.path,
                          strerror(errno));
            goto done;
        }
        c.raw = raw.stream;
    }
    if (kind == MI_SOURCE_SOCKET && o->print != PRINT_NONE) {
        error_message("listening on %s", path);
    }

    mi_source_sink sink = {sink_buffer, sink_received, &c};
    mi_source_result result = mi_source_run(source, &sink, source_error);
    mi_source_close(source);
    source = NULL;
    mi_reader_finish(c.reader);
    if (result == MI_SOURCE_ERROR) {
        error_message("%s", source_error);
        failed = true;
    }
    else if (result == MI_SOURCE_INTERRUPTED) {
        error_message("interrupted: the reports show what arrived before");
    }
    if (mi_reader_get_status(c.reader) == MI_READER_NO_MEMORY) {
        failed = true;
    }

    if (mi_analysis_build(&model, 0, &analysis) == -1
        || mi_import_tree_build(&model, &tree) < 0) {
        error_message("out of memory");
        failed = true;
    }
    if (raw.stream != NULL) {
        int raw_errno = c.raw_errno;
        if (raw_errno != 0) {
            mi_output_file_abort(&raw);
        }
        else if (mi_output_file_commit(&raw) < 0) {
            raw_errno = errno;
        }
        if (raw_errno != 0) {
            error_message("cannot save %s/recording.msgpack: %s", dir.path,
                          strerror(raw_errno));
            failed = true;
        }
    }
    if (dir.fd >= 0) {
        bool ok = !failed;
        in.dir_path = dir.path;
        /* report.json and the HTML pages only read the model and the
           analysis: they are written side by side. */
        json_job job = {&dir, &in, -1};
        thrd_t json_thread;
        bool threaded = thrd_create(&json_thread, save_json, &job)
                        == thrd_success;
        if (!threaded) {
            save_json(&job);
        }
        if (mi_report_html_write(&model, &analysis, dir.fd) < 0) {
            error_message("cannot write the HTML report in %s: %s", dir.path,
                          strerror(errno));
            ok = false;
        }
        if (model.n_imports > 0
            && (save_file(&dir, "imports.txt", write_imports, &in) < 0
                || save_file(&dir, "importtime.txt", write_importtime, &in)
                   < 0)) {
            ok = false;
        }
        if (tree.n_nodes > 0
            && mi_report_imports_html_write(&model, &tree, dir.fd) < 0) {
            error_message("cannot write %s/" MI_HTML_IMPORTS_PAGE ": %s",
                          dir.path, strerror(errno));
            ok = false;
        }
        if (threaded) {
            thrd_join(json_thread, NULL);
        }
        ok = job.status == 0 && ok;
        /* report.txt is stdout's summary: it names the directory when
           everything else was saved. */
        saved = ok;
        if (save_file(&dir, "report.txt", write_text, &in) < 0) {
            ok = saved = false;
        }
        failed = failed || !ok;
    }
    if (o->print != PRINT_NONE) {
        FILE *out = o->to_stderr ? stderr : stdout;
        if (print_reports(out, &in, saved ? dir.path : NULL) < 0
            || fflush(out) != 0) {
            if (errno != EPIPE) {
                error_message("cannot write to standard %s: %s",
                              o->to_stderr ? "error" : "output",
                              strerror(errno));
            }
            failed = true;
        }
    }
    if (!model.complete) {
        error_message("incomplete recording: %s",
                      model.incomplete_reason != NULL
                      ? model.incomplete_reason : "unknown reason");
    }
    status = failed ? EXIT_FAILED
             : model.complete ? EXIT_COMPLETE : EXIT_INCOMPLETE;
done:
    mi_source_close(source);
    if (raw.stream != NULL) {
        mi_output_file_abort(&raw);
    }
    mi_import_tree_free(&tree);
    mi_analysis_free(&analysis);
    mi_reader_free(c.reader);
    mi_model_free(&model);
    mi_output_dir_close(&dir);
    return status;
}

int
main(int argc, char **argv)
{
    options o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) {
        return parsed > 0 ? EXIT_COMPLETE : EXIT_FAILED;
    }
    /* A closed stdout is an error of write(), not a death. */
    struct sigaction ignore = {.sa_handler = SIG_IGN};
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, NULL);
    return run(&o);
}
