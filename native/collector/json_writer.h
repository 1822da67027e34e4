/* A small streaming JSON writer: objects and arrays nest, commas and
 * indentation come by themselves. Strings are escaped (quotes,
 * backslashes, control characters as \n or \u00XX) and ill-formed UTF-8
 * becomes U+FFFD, so Python's json module decodes the output;
 * integers are exact, floats are written with the fewest digits that
 * read back to the same double, and NaN and infinities as null. */
#ifndef MI_COLLECTOR_JSON_WRITER_H
#define MI_COLLECTOR_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "out_buffer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MI_JSON_MAX_DEPTH 32

/* The document is formatted into a buffer of this size in the writer
   itself, and goes to the stream in pieces of that size; all of it by
   mi_json_finish. */
#define MI_JSON_BUFFER_SIZE ((size_t)1 << 16)

typedef struct {
    FILE *out;
    size_t depth;
    bool has_items[MI_JSON_MAX_DEPTH];  /* per open container */
    bool compact[MI_JSON_MAX_DEPTH];    /* items on one line */
    bool after_key;
    bool failed;                        /* output error or misuse */
    mi_out buffer;                      /* to `out` */
    char storage[MI_JSON_BUFFER_SIZE];
} mi_json;

void mi_json_init(mi_json *json, FILE *out);

void mi_json_begin_object(mi_json *json);
void mi_json_end_object(mi_json *json);
void mi_json_begin_array(mi_json *json);
/* An array written on one line, with whatever it holds. */
void mi_json_begin_compact_array(mi_json *json);
void mi_json_end_array(mi_json *json);

/* The key of the next value, in an object. */
void mi_json_key(mi_json *json, const char *key);

void mi_json_string(mi_json *json, const char *s);     /* NULL: null */
void mi_json_uint(mi_json *json, uint64_t value);
void mi_json_int(mi_json *json, int64_t value);
void mi_json_double(mi_json *json, double value);
void mi_json_bool(mi_json *json, bool value);
void mi_json_null(mi_json *json);

/* Ends the document with a newline. Returns 0, or -1 when anything went
   wrong (the stream's error flag included). */
int mi_json_finish(mi_json *json);

#ifdef __cplusplus
}
#endif

#endif
