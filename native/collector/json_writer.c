#include "json_writer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

void
mi_json_init(mi_json *json, FILE *out)
{
    /* Not the storage: 64 KiB that need no zeros. */
    json->out = out;
    json->depth = 0;
    memset(json->has_items, 0, sizeof(json->has_items));
    memset(json->compact, 0, sizeof(json->compact));
    json->after_key = false;
    json->failed = false;
    mi_out_init_stream(&json->buffer, out, json->storage,
                       sizeof(json->storage));
}

static void
put_bytes(mi_json *json, const char *bytes, size_t length)
{
    mi_out_write(&json->buffer, bytes, length);
}

/* For string literals: the compiler knows their length. */
static inline void
put(mi_json *json, const char *s)
{
    put_bytes(json, s, strlen(s));
}

/* A comma, a newline and two spaces per level (32 levels at most). */
static const char comma_newline_indent[] = ",\n"
    "                                                                ";

static void
newline(mi_json *json, bool comma)
{
    size_t length = 2 + 2 * json->depth;
    if (length > sizeof(comma_newline_indent) - 1) {
        length = sizeof(comma_newline_indent) - 1;
    }
    /* One write, from the comma or from the newline. */
    put_bytes(json, comma_newline_indent + !comma, length - !comma);
}

/* Before any value: the comma and the line break it needs. */
static void
before_value(mi_json *json)
{
    if (json->after_key) {
        json->after_key = false;
        return;
    }
    if (json->depth == 0) {
        return;
    }
    size_t level = json->depth - 1;
    bool comma = json->has_items[level];
    json->has_items[level] = true;
    if (!json->compact[level]) {
        newline(json, comma);
    }
    else if (comma) {
        put_bytes(json, ", ", 2);
    }
}

static void
open_container(mi_json *json, char bracket, bool compact)
{
    before_value(json);
    mi_out_putc(&json->buffer, bracket);
    if (json->depth == MI_JSON_MAX_DEPTH) {
        json->failed = true;
        return;
    }
    bool inherited = json->depth > 0 && json->compact[json->depth - 1];
    json->has_items[json->depth] = false;
    json->compact[json->depth] = compact || inherited;
    json->depth++;
}

static void
close_container(mi_json *json, char bracket)
{
    if (json->depth == 0) {
        json->failed = true;
        return;
    }
    json->depth--;
    if (json->has_items[json->depth] && !json->compact[json->depth]) {
        newline(json, false);
    }
    mi_out_putc(&json->buffer, bracket);
}

void
mi_json_begin_object(mi_json *json)
{
    open_container(json, '{', false);
}

void
mi_json_end_object(mi_json *json)
{
    close_container(json, '}');
}

void
mi_json_begin_array(mi_json *json)
{
    open_container(json, '[', false);
}

void
mi_json_begin_compact_array(mi_json *json)
{
    open_container(json, '[', true);
}

void
mi_json_end_array(mi_json *json)
{
    close_container(json, ']');
}

/* Bytes of a string that go out as they are: printable ASCII but the
   quote and the backslash. The others are escaped (ASCII) or checked as
   UTF-8 (the rest); the NUL ends the string. */
static const unsigned char plain_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
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

static void
put_escape(mi_json *json, unsigned char c)
{
    static const char hex_digits[] = "0123456789abcdef";
    switch (c) {
    case '"': put(json, "\\\""); break;
    case '\\': put(json, "\\\\"); break;
    case '\n': put(json, "\\n"); break;
    case '\r': put(json, "\\r"); break;
    case '\t': put(json, "\\t"); break;
    default: {
        char escape[6] = {'\\', 'u', '0', '0', hex_digits[c >> 4],
                          hex_digits[c & 0xF]};
        put_bytes(json, escape, sizeof(escape));
    }
    }
}

/* `s` between quotes, escaped, then the `after_length` bytes of
   `after`. */
static void
put_string(mi_json *json, const char *s, const char *after,
           size_t after_length)
{
    const unsigned char *p = (const unsigned char *)s;
    mi_out *out = &json->buffer;
    if (out->capacity - out->used >= MI_OUT_MIN_CAPACITY) {
        /* Plain bytes are copied as they are checked, as far as the room
           allows: most keys and names have nothing else, and are then
           written whole, quotes and `after` included. */
        char *to = out->data + out->used;
        size_t most = MI_OUT_MIN_CAPACITY - 2 - after_length;
        size_t n = 0;
        to[0] = '"';
        while (n < most && plain_byte[p[n]]) {
            to[1 + n] = (char)p[n];
            n++;
        }
        if (p[n] == '\0') {
            to[1 + n] = '"';
            for (size_t i = 0; i < after_length; i++) {
                to[2 + n + i] = after[i];
            }
            mi_out_commit(out, 2 + n + after_length);
            return;
        }
        /* Something to escape or check: the rest as below. */
        mi_out_commit(out, 1 + n);
        p += n;
    }
    else {
        mi_out_putc(out, '"');
    }
    for (;;) {
        /* A run of bytes that go out as they are: plain ASCII and
           well-formed UTF-8. */
        const unsigned char *run = p;
        bool well_formed = true;
        size_t step = 0;
        for (;;) {
            while (plain_byte[*p]) {
                p++;
            }
            if (*p < 0x80) {
                break;
            }
            uint32_t code_point;
            /* The NUL ends any sequence: 4 bytes are never read past
               it. */
            step = mi_utf8_decode(p, 4, &code_point, &well_formed);
            if (!well_formed) {
                break;
            }
            p += step;
        }
        put_bytes(json, (const char *)run, (size_t)(p - run));
        if (!well_formed) {
            put(json, MI_UTF8_REPLACEMENT);
            p += step;
        }
        else if (*p == '\0') {
            break;
        }
        else {
            put_escape(json, *p);
            p++;
        }
    }
    mi_out_putc(&json->buffer, '"');
    put_bytes(json, after, after_length);
}

void
mi_json_key(mi_json *json, const char *key)
{
    if (json->depth == 0 || json->after_key) {
        json->failed = true;
    }
    before_value(json);
    put_string(json, key, ": ", 2);
    json->after_key = true;
}

void
mi_json_string(mi_json *json, const char *s)
{
    if (s == NULL) {
        mi_json_null(json);
        return;
    }
    before_value(json);
    put_string(json, s, "", 0);
}

void
mi_json_uint(mi_json *json, uint64_t value)
{
    before_value(json);
    mi_out_uint(&json->buffer, value);
}

void
mi_json_int(mi_json *json, int64_t value)
{
    before_value(json);
    mi_out_int(&json->buffer, value);
}

/* Whether "%.<precision>g" of `value` reads back as `value`; the text in
   `text`. */
static bool
reads_back(char text[40], int precision, double value)
{
    snprintf(text, 40, "%.*g", precision, value);
    return strtod(text, NULL) == value;
}

void
mi_json_double(mi_json *json, double value)
{
    if (!isfinite(value)) {
        mi_json_null(json);
        return;
    }
    char text[40];
    /* The shortest of %.1g to %.17g that reads back the same. When a
       precision reads back, every larger one does (the nearest decimal
       of more digits is at least as near), except perhaps for a power of
       two, whose interval of doubles is lopsided: for those, every
       precision in turn; for the others, 15, then 16 and 17 or a binary
       search below 15. */
    int exponent;
    if (fabs(frexp(value, &exponent)) == 0.5 || value == 0.0) {
        for (int precision = 1; precision <= 17; precision++) {
            if (reads_back(text, precision, value)) {
                break;
            }
        }
    }
    else if (!reads_back(text, 15, value)) {
        /* Most doubles that are not short need 16 or 17 digits. */
        if (!reads_back(text, 16, value)) {
            reads_back(text, 17, value);
        }
    }
    else {
        int low = 1, high = 15;     /* 15 reads back */
        while (low < high) {
            int middle = (low + high) / 2;
            if (reads_back(text, middle, value)) {
                high = middle;
            }
            else {
                low = middle + 1;
            }
        }
        reads_back(text, low, value);
    }
    /* "5" would read back as an int: keep it a float. */
    if (strpbrk(text, ".e") == NULL) {
        strcat(text, ".0");
    }
    before_value(json);
    put(json, text);
}

void
mi_json_bool(mi_json *json, bool value)
{
    before_value(json);
    put(json, value ? "true" : "false");
}

void
mi_json_null(mi_json *json)
{
    before_value(json);
    put(json, "null");
}

int
mi_json_finish(mi_json *json)
{
    if (json->depth != 0 || json->after_key) {
        json->failed = true;
    }
    put(json, "\n");
    if (mi_out_flush(&json->buffer) < 0) {
        json->failed = true;
    }
    if (fflush(json->out) != 0 || ferror(json->out)) {
        json->failed = true;
    }
    return json->failed ? -1 : 0;
}
