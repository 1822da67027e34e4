#include "json_writer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

void
mi_json_init(mi_json *json, FILE *out)
{
    memset(json, 0, sizeof(*json));
    json->out = out;
}

static void
put(mi_json *json, const char *s)
{
    if (fputs(s, json->out) == EOF) {
        json->failed = true;
    }
}

static void
put_bytes(mi_json *json, const unsigned char *bytes, size_t length)
{
    if (length > 0 && fwrite(bytes, 1, length, json->out) != length) {
        json->failed = true;
    }
}

static void
newline(mi_json *json)
{
    /* A newline and two spaces per level, in one write. */
    static const char indent[] = "\n"
        "                                                                ";
    size_t length = 1 + 2 * json->depth;
    if (length > sizeof(indent) - 1) {
        length = sizeof(indent) - 1;
    }
    put_bytes(json, (const unsigned char *)indent, length);
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
    if (json->has_items[level]) {
        put(json, json->compact[level] ? ", " : ",");
    }
    if (!json->compact[level]) {
        newline(json);
    }
    json->has_items[level] = true;
}

static void
open_container(mi_json *json, const char *bracket, bool compact)
{
    before_value(json);
    put(json, bracket);
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
close_container(mi_json *json, const char *bracket)
{
    if (json->depth == 0) {
        json->failed = true;
        return;
    }
    json->depth--;
    if (json->has_items[json->depth] && !json->compact[json->depth]) {
        newline(json);
    }
    put(json, bracket);
}

void
mi_json_begin_object(mi_json *json)
{
    open_container(json, "{", false);
}

void
mi_json_end_object(mi_json *json)
{
    close_container(json, "}");
}

void
mi_json_begin_array(mi_json *json)
{
    open_container(json, "[", false);
}

void
mi_json_begin_compact_array(mi_json *json)
{
    open_container(json, "[", true);
}

void
mi_json_end_array(mi_json *json)
{
    close_container(json, "]");
}

static void
put_string(mi_json *json, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *run = p;   /* bytes to copy as they are */
    size_t left = strlen(s);
    char escape[8];
    put(json, "\"");
    while (left > 0) {
        if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') {
            p++;                    /* plain ASCII: part of the run */
            left--;
            continue;
        }
        uint32_t code_point;
        bool well_formed;
        size_t step = mi_utf8_decode(p, left, &code_point, &well_formed);
        if (well_formed && code_point >= 0x80) {
            p += step;              /* well-formed UTF-8: part of the run */
            left -= step;
            continue;
        }
        put_bytes(json, run, (size_t)(p - run));
        if (!well_formed) {
            put(json, MI_UTF8_REPLACEMENT);
        }
        else if (code_point == '"') {
            put(json, "\\\"");
        }
        else if (code_point == '\\') {
            put(json, "\\\\");
        }
        else if (code_point == '\n') {
            put(json, "\\n");
        }
        else if (code_point == '\r') {
            put(json, "\\r");
        }
        else if (code_point == '\t') {
            put(json, "\\t");
        }
        else {
            snprintf(escape, sizeof(escape), "\\u%04x", (unsigned)code_point);
            put(json, escape);
        }
        p += step;
        left -= step;
        run = p;
    }
    put_bytes(json, run, (size_t)(p - run));
    put(json, "\"");
}

void
mi_json_key(mi_json *json, const char *key)
{
    if (json->depth == 0 || json->after_key) {
        json->failed = true;
    }
    before_value(json);
    put_string(json, key);
    put(json, ": ");
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
    put_string(json, s);
}

void
mi_json_uint(mi_json *json, uint64_t value)
{
    char text[24];
    before_value(json);
    snprintf(text, sizeof(text), "%llu", (unsigned long long)value);
    put(json, text);
}

void
mi_json_int(mi_json *json, int64_t value)
{
    char text[24];
    before_value(json);
    snprintf(text, sizeof(text), "%lld", (long long)value);
    put(json, text);
}

void
mi_json_double(mi_json *json, double value)
{
    if (!isfinite(value)) {
        mi_json_null(json);
        return;
    }
    char text[40];
    /* The shortest of %.1g to %.17g that reads back the same. */
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(text, sizeof(text), "%.*g", precision, value);
        if (strtod(text, NULL) == value) {
            break;
        }
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
    if (fflush(json->out) != 0 || ferror(json->out)) {
        json->failed = true;
    }
    return json->failed ? -1 : 0;
}
