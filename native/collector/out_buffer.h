/* An output buffer for the report writers: text is appended with inline
 * copies into one block of memory, which goes to its destination (a file
 * descriptor, with write(2), or a stdio stream, with one fwrite) only
 * when full and at the end. The reports are written in many pieces of a
 * few bytes each; through stdio every piece paid for a call, a strlen and
 * the stream's bookkeeping, which cost more than the formatting itself.
 *
 * Errors are sticky: after the first failed write (or a failed
 * allocation) nothing more is written, and every mi_out_flush returns -1
 * with errno set to what the failure set. */
#ifndef MI_COLLECTOR_OUT_BUFFER_H
#define MI_COLLECTOR_OUT_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *data;
    size_t used;
    size_t capacity;
    bool owned;             /* data was allocated by mi_out_open_* */
    int fd;                 /* the destination: a descriptor, or -1 */
    FILE *stream;           /* or a stream, or NULL */
    int error;              /* the first failure's errno, or 0 */
} mi_out;

/* The size mi_out_open_* allocates. */
#define MI_OUT_DEFAULT_CAPACITY ((size_t)1 << 18)

/* Room that mi_out_reserve can always give, whatever the capacity. */
#define MI_OUT_MIN_CAPACITY 256

/* Buffers for `fd` or `stream` (exactly one of them) in `capacity` bytes
   of `storage` (at least MI_OUT_MIN_CAPACITY), which must outlive `out`;
   nothing to free. */
void mi_out_init_fd(mi_out *out, int fd, char *storage, size_t capacity);
void mi_out_init_stream(mi_out *out, FILE *stream, char *storage,
                        size_t capacity);

/* The same with MI_OUT_DEFAULT_CAPACITY bytes of the heap, released by
   mi_out_close. Returns 0, or -1 (ENOMEM; `out` is then failed, and
   mi_out_close still must be called). */
int mi_out_open_fd(mi_out *out, int fd);
int mi_out_open_stream(mi_out *out, FILE *stream);

/* Writes what is buffered (to a stream: fwrite only; the caller flushes
   the stream). Returns 0, or -1 with errno set. */
int mi_out_flush(mi_out *out);

/* mi_out_flush, then releases the memory of mi_out_open_*; the
   destination stays open. Returns mi_out_flush's result. */
int mi_out_close(mi_out *out);

/* Makes room for `size` more bytes: flushes when needed. Returns false
   when the output has failed. */
bool mi_out_make_room(mi_out *out, size_t size);

/* Bytes larger than the buffer: flushed, then written directly. */
void mi_out_write_large(mi_out *out, const void *data, size_t size);

/* Where to write up to `size` (<= MI_OUT_MIN_CAPACITY) bytes; then
   mi_out_commit says how many were written. NULL when room cannot be
   made because the output has failed (after a failure, what still fits
   in the buffer is accepted, and dropped). */
static inline char *
mi_out_reserve(mi_out *out, size_t size)
{
    if (out->capacity - out->used < size && !mi_out_make_room(out, size)) {
        return NULL;
    }
    return out->data + out->used;
}

static inline void
mi_out_commit(mi_out *out, size_t size)
{
    out->used += size;
}

static inline void
mi_out_write(mi_out *out, const void *data, size_t size)
{
    if (out->capacity - out->used >= size) {
        memcpy(out->data + out->used, data, size);
        out->used += size;
    }
    else {
        mi_out_write_large(out, data, size);
    }
}

/* For string literals the compiler knows the length. */
static inline void
mi_out_puts(mi_out *out, const char *s)
{
    mi_out_write(out, s, strlen(s));
}

static inline void
mi_out_putc(mi_out *out, char c)
{
    if (out->used < out->capacity || mi_out_make_room(out, 1)) {
        out->data[out->used++] = c;
    }
}

/* Decimal, as printf's %llu and %lld. */
void mi_out_uint(mi_out *out, uint64_t value);
void mi_out_int(mi_out *out, int64_t value);

/* Lowercase hexadecimal without a prefix, as printf's %llx. */
void mi_out_hex(mi_out *out, uint64_t value);

#ifdef __cplusplus
}
#endif

#endif
