#include "frame.h"

#include <stdio.h>

enum {
    STATE_LEAD,         /* at the first byte of an object */
    STATE_LENGTH,       /* reading its big-endian length */
    STATE_SKIP,         /* passing over its payload */
    STATE_FAILED,
};

/* How the lead byte of a msgpack object goes on. */
typedef enum {
    KIND_SCALAR,        /* `fixed` payload bytes follow */
    KIND_STRING,        /* str, bin or ext: a length, then that many bytes */
    KIND_ARRAY,
    KIND_MAP,
    KIND_INVALID,
} lead_kind;

typedef struct {
    lead_kind kind;
    unsigned length_bytes;  /* of the length or count; 0: in the lead byte */
    unsigned fixed;         /* payload of a scalar; type byte of an ext */
    uint64_t inline_length; /* when length_bytes is 0 */
    const char *what;
} lead_info;

static lead_info
describe_lead(unsigned char b)
{
    lead_info info = {KIND_SCALAR, 0, 0, 0, "value"};
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
        return info;                    /* fixint, nil, false, true */
    }
    if (b <= 0x8f) {
        info.kind = KIND_MAP;
        info.inline_length = b & 0x0fu;
        info.what = "map";
        return info;
    }
    if (b <= 0x9f) {
        info.kind = KIND_ARRAY;
        info.inline_length = b & 0x0fu;
        info.what = "array";
        return info;
    }
    if (b <= 0xbf) {
        info.kind = KIND_STRING;
        info.inline_length = b & 0x1fu;
        info.what = "string";
        return info;
    }
    switch (b) {
    case 0xc4: case 0xc5: case 0xc6:    /* bin 8, 16, 32 */
        info.kind = KIND_STRING;
        info.length_bytes = 1u << (b - 0xc4);
        info.what = "binary";
        return info;
    case 0xc7: case 0xc8: case 0xc9:    /* ext 8, 16, 32: length, type */
        info.kind = KIND_STRING;
        info.length_bytes = 1u << (b - 0xc7);
        info.fixed = 1;
        info.what = "extension";
        return info;
    case 0xca: info.fixed = 4; return info;     /* float 32 */
    case 0xcb: info.fixed = 8; return info;     /* float 64 */
    case 0xcc: case 0xcd: case 0xce: case 0xcf: /* uint 8 to 64 */
        info.fixed = 1u << (b - 0xcc);
        return info;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: /* int 8 to 64 */
        info.fixed = 1u << (b - 0xd0);
        return info;
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: /* fixext */
        info.fixed = 1 + (1u << (b - 0xd4));
        return info;
    case 0xd9: case 0xda: case 0xdb:    /* str 8, 16, 32 */
        info.kind = KIND_STRING;
        info.length_bytes = 1u << (b - 0xd9);
        info.what = "string";
        return info;
    case 0xdc: case 0xdd:               /* array 16, 32 */
        info.kind = KIND_ARRAY;
        info.length_bytes = 2u << (b - 0xdc);
        info.what = "array";
        return info;
    case 0xde: case 0xdf:               /* map 16, 32 */
        info.kind = KIND_MAP;
        info.length_bytes = 2u << (b - 0xde);
        info.what = "map";
        return info;
    default:                            /* 0xc1: never used */
        info.kind = KIND_INVALID;
        return info;
    }
}

void
mi_frame_init(mi_frame *frame, uint64_t max_bytes, uint64_t max_elements)
{
    *frame = (mi_frame){
        .max_bytes = max_bytes,
        .max_elements = max_elements,
        .state = STATE_LEAD,
        .error = MI_FRAME_OK,
    };
}

static mi_frame_error
fail(mi_frame *frame, mi_frame_error error, const char *what,
     uint64_t value)
{
    frame->state = STATE_FAILED;
    frame->error = error;
    frame->error_what = what;
    frame->error_value = value;
    return error;
}

/* An object ended: count it against the containers it closes. */
static void
object_done(mi_frame *frame)
{
    while (frame->depth > 0) {
        frame->pending--;
        if (--frame->stack[frame->depth - 1] > 0) {
            break;
        }
        frame->depth--;
    }
    if (frame->depth == 0) {
        frame->record_bytes = 0;
        frame->record_elements = 0;
        frame->pending = 0;
    }
    frame->state = STATE_LEAD;
}

/* The lead byte and length of an object are known: check its size. */
static mi_frame_error
object_sized(mi_frame *frame)
{
    lead_info info = describe_lead(frame->lead);
    uint64_t length = frame->length;
    /* What the record may still take. */
    uint64_t room = frame->record_bytes < frame->max_bytes
                    ? frame->max_bytes - frame->record_bytes : 0;
    if (info.kind == KIND_ARRAY || info.kind == KIND_MAP) {
        uint64_t elements = info.kind == KIND_MAP ? 2 * length : length;
        if (elements > frame->max_elements - frame->record_elements) {
            return fail(frame, MI_FRAME_TOO_LARGE, info.what, length);
        }
        if (elements > room || frame->pending > room - elements) {
            return fail(frame, MI_FRAME_TOO_LARGE, info.what, length);
        }
        if (elements == 0) {
            object_done(frame);
            return MI_FRAME_OK;
        }
        if (frame->depth == MI_FRAME_MAX_DEPTH) {
            return fail(frame, MI_FRAME_TOO_DEEP, info.what, length);
        }
        frame->record_elements += elements;
        frame->pending += elements;
        frame->stack[frame->depth++] = elements;
        frame->state = STATE_LEAD;
        return MI_FRAME_OK;
    }
    uint64_t payload = length + info.fixed;     /* ext: the type byte */
    if (payload > room || frame->pending > room - payload) {
        return fail(frame, MI_FRAME_TOO_LARGE, info.what, length);
    }
    frame->skip = payload;
    if (payload == 0) {
        object_done(frame);
    }
    else {
        frame->state = STATE_SKIP;
    }
    return MI_FRAME_OK;
}

static mi_frame_error
lead_byte(mi_frame *frame, unsigned char b)
{
    lead_info info = describe_lead(b);
    if (info.kind == KIND_INVALID) {
        return fail(frame, MI_FRAME_INVALID, "byte", b);
    }
    frame->lead = b;
    frame->length = info.inline_length;
    if (info.kind == KIND_SCALAR) {
        if (info.fixed == 0) {
            object_done(frame);
            return MI_FRAME_OK;
        }
        frame->skip = info.fixed;
        frame->state = STATE_SKIP;
        return MI_FRAME_OK;
    }
    if (info.length_bytes == 0) {
        return object_sized(frame);
    }
    frame->length = 0;
    frame->length_bytes = info.length_bytes;
    frame->state = STATE_LENGTH;
    return MI_FRAME_OK;
}

mi_frame_error
mi_frame_scan(mi_frame *frame, const unsigned char *data, size_t n,
              size_t *accepted)
{
    size_t i = 0;
    /* Where the header being read began, should it be at fault. */
    size_t header_start = 0;
    *accepted = 0;
    if (frame->state == STATE_FAILED) {
        return frame->error;
    }
    while (i < n) {
        switch (frame->state) {
        case STATE_LEAD:
            header_start = i;
            frame->record_bytes++;
            if (lead_byte(frame, data[i++]) != MI_FRAME_OK) {
                *accepted = header_start;
                return frame->error;
            }
            break;
        case STATE_LENGTH:
            frame->record_bytes++;
            frame->length = (frame->length << 8) | data[i++];
            if (--frame->length_bytes == 0
                && object_sized(frame) != MI_FRAME_OK) {
                /* A header split across calls: its first bytes were
                   accepted already; the unpacker waits for the rest. */
                *accepted = header_start;
                return frame->error;
            }
            break;
        case STATE_SKIP: {
            uint64_t take = n - i < frame->skip ? n - i : frame->skip;
            i += (size_t)take;
            frame->record_bytes += take;
            frame->skip -= take;
            if (frame->skip == 0) {
                object_done(frame);
            }
            break;
        }
        default:
            return frame->error;
        }
        if (frame->record_bytes > frame->max_bytes) {
            /* Scalars wider than the one byte counted for each. */
            fail(frame, MI_FRAME_TOO_LARGE, "record", frame->record_bytes);
            *accepted = header_start;
            return frame->error;
        }
    }
    *accepted = n;
    return MI_FRAME_OK;
}

int
mi_frame_in_record(const mi_frame *frame)
{
    return frame->state != STATE_LEAD || frame->depth > 0;
}

char *
mi_frame_describe(const mi_frame *frame, char *buffer, size_t size)
{
    switch (frame->error) {
    case MI_FRAME_OK:
        snprintf(buffer, size, "no error");
        break;
    case MI_FRAME_INVALID:
        snprintf(buffer, size, "not msgpack: byte 0xc1 is never used");
        break;
    case MI_FRAME_TOO_DEEP:
        snprintf(buffer, size,
                 "arrays and maps nested deeper than %d levels",
                 MI_FRAME_MAX_DEPTH);
        break;
    case MI_FRAME_TOO_LARGE:
        if (frame->error_what[0] == 'r') {
            snprintf(buffer, size,
                     "larger than a record may be (at most %llu bytes)",
                     (unsigned long long)frame->max_bytes);
        }
        else if (frame->error_what[0] == 'a' || frame->error_what[0] == 'm') {
            snprintf(buffer, size,
                     "declares %s %s of %llu elements, more than a record "
                     "may hold (at most %llu bytes, %llu elements)",
                     frame->error_what[0] == 'a' ? "an" : "a",
                     frame->error_what,
                     (unsigned long long)frame->error_value,
                     (unsigned long long)frame->max_bytes,
                     (unsigned long long)frame->max_elements);
        }
        else {
            snprintf(buffer, size,
                     "declares a %s of %llu bytes, more than a record may "
                     "hold (at most %llu bytes)",
                     frame->error_what,
                     (unsigned long long)frame->error_value,
                     (unsigned long long)frame->max_bytes);
        }
        break;
    }
    return buffer;
}
