/* Record framing, one step ahead of msgpack-c.
 *
 * msgpack-c's unpacker allocates room for every element of an array or
 * map as soon as it reads the header: six bytes declaring an array of
 * 2^32 elements make it ask for 96 GiB (and AddressSanitizer aborts). So
 * the reader first passes every byte through this scanner, which follows
 * the msgpack headers of the stream and stops at the first one that no
 * record within the limits could have, before the unpacker sees it.
 *
 * Limits, per record: its size in bytes (strings and announced elements,
 * each at least one byte, count against it), the elements of its arrays
 * and maps together, and how deep they nest. */
#ifndef MI_COLLECTOR_FRAME_H
#define MI_COLLECTOR_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MI_FRAME_MAX_DEPTH 16

typedef enum {
    MI_FRAME_OK = 0,
    MI_FRAME_TOO_LARGE,     /* a string or container exceeds the limits */
    MI_FRAME_TOO_DEEP,      /* nested deeper than MI_FRAME_MAX_DEPTH */
    MI_FRAME_INVALID,       /* byte 0xc1, which msgpack never uses */
} mi_frame_error;

typedef struct {
    uint64_t max_bytes;         /* per record */
    uint64_t max_elements;      /* per record, arrays and maps together */

    uint64_t record_bytes;      /* of the record being scanned */
    uint64_t record_elements;
    uint64_t pending;           /* elements announced, not yet complete */
    uint64_t stack[MI_FRAME_MAX_DEPTH];     /* elements left per level */
    size_t depth;

    unsigned char lead;         /* first byte of the object being read */
    unsigned length_bytes;      /* big-endian length bytes still needed */
    uint64_t length;
    unsigned extra_bytes;       /* fixed bytes after the length (ext) */
    uint64_t skip;              /* payload bytes left to pass over */
    int state;

    /* After an error: what was wrong, for the message. */
    mi_frame_error error;
    uint64_t error_value;       /* the size or count announced */
    const char *error_what;     /* "string", "array", "map", ... */
} mi_frame;

void mi_frame_init(mi_frame *frame, uint64_t max_bytes,
                   uint64_t max_elements);

/* Scans `n` more bytes of the stream. Returns MI_FRAME_OK when all of
   them are acceptable; otherwise the error, with *accepted set to the
   bytes before the header at fault (they may end records that are
   whole). Once in error, stays in error. */
mi_frame_error mi_frame_scan(mi_frame *frame, const unsigned char *data,
                             size_t n, size_t *accepted);

/* Whether the scan stopped in the middle of a record. */
int mi_frame_in_record(const mi_frame *frame);

/* Describes the error in `buffer` (e.g. "declares an array of 4294967295
   elements, more than the limit of 16777216 elements per record").
   Returns `buffer`. */
char *mi_frame_describe(const mi_frame *frame, char *buffer, size_t size);

#ifdef __cplusplus
}
#endif

#endif
