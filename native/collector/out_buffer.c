#include "out_buffer.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "format.h"

static void
init(mi_out *out, int fd, FILE *stream, char *storage, size_t capacity)
{
    *out = (mi_out){.data = storage, .capacity = capacity, .fd = fd,
                    .stream = stream};
}

void
mi_out_init_fd(mi_out *out, int fd, char *storage, size_t capacity)
{
    init(out, fd, NULL, storage, capacity);
}

void
mi_out_init_stream(mi_out *out, FILE *stream, char *storage, size_t capacity)
{
    init(out, -1, stream, storage, capacity);
}

static int
open_with_heap(mi_out *out, int fd, FILE *stream)
{
    char *storage = malloc(MI_OUT_DEFAULT_CAPACITY);
    init(out, fd, stream, storage, storage != NULL ? MI_OUT_DEFAULT_CAPACITY
                                                   : 0);
    if (storage == NULL) {
        out->error = ENOMEM;
        errno = ENOMEM;
        return -1;
    }
    out->owned = true;
    return 0;
}

int
mi_out_open_fd(mi_out *out, int fd)
{
    return open_with_heap(out, fd, NULL);
}

int
mi_out_open_stream(mi_out *out, FILE *stream)
{
    return open_with_heap(out, -1, stream);
}

/* Writes data[0:size] to the destination; false (and out->error set)
   when it fails. */
static bool
write_out(mi_out *out, const char *data, size_t size)
{
    if (out->stream != NULL) {
        errno = 0;
        if (size > 0 && fwrite(data, 1, size, out->stream) != size) {
            out->error = errno != 0 ? errno : EIO;
            return false;
        }
        return true;
    }
    while (size > 0) {
        ssize_t written = write(out->fd, data, size);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            out->error = errno;
            return false;
        }
        data += written;
        size -= (size_t)written;
    }
    return true;
}

int
mi_out_flush(mi_out *out)
{
    if (out->error == 0 && out->used > 0) {
        write_out(out, out->data, out->used);
    }
    out->used = 0;
    if (out->error != 0) {
        errno = out->error;
        return -1;
    }
    return 0;
}

int
mi_out_close(mi_out *out)
{
    int rc = mi_out_flush(out);
    int saved = errno;
    if (out->owned) {
        free(out->data);
    }
    out->data = NULL;
    out->capacity = 0;
    out->owned = false;
    errno = saved;
    return rc;
}

bool
mi_out_make_room(mi_out *out, size_t size)
{
    if (out->error == 0 && out->capacity - out->used < size) {
        mi_out_flush(out);
    }
    if (out->error != 0) {
        /* Failed: everything goes nowhere from now on. */
        out->used = 0;
        return false;
    }
    return out->capacity - out->used >= size;
}

void
mi_out_write_large(mi_out *out, const void *data, size_t size)
{
    if (!mi_out_make_room(out, 0)) {
        return;
    }
    if (size <= out->capacity - out->used) {
        memcpy(out->data + out->used, data, size);
        out->used += size;
        return;
    }
    /* Fill what is left, then either buffer the rest or write it. */
    size_t head = out->capacity - out->used;
    memcpy(out->data + out->used, data, head);
    out->used += head;
    if (mi_out_flush(out) < 0) {
        return;
    }
    const char *rest = (const char *)data + head;
    size -= head;
    if (size < out->capacity) {
        memcpy(out->data, rest, size);
        out->used = size;
    }
    else {
        write_out(out, rest, size);
    }
}

void
mi_out_uint(mi_out *out, uint64_t value)
{
    char *p = mi_out_reserve(out, MI_FORMAT_DECIMAL_SIZE);
    if (p != NULL) {
        mi_out_commit(out, mi_format_decimal(p, value));
    }
}

void
mi_out_int(mi_out *out, int64_t value)
{
    if (value < 0) {
        mi_out_putc(out, '-');
        /* -(value + 1) + 1 avoids overflowing on INT64_MIN. */
        mi_out_uint(out, (uint64_t)(-(value + 1)) + 1);
    }
    else {
        mi_out_uint(out, (uint64_t)value);
    }
}

void
mi_out_hex(mi_out *out, uint64_t value)
{
    static const char hex_digits[] = "0123456789abcdef";
    /* Four bits a digit; 0 has one. */
    size_t n = (size_t)(64 - __builtin_clzll(value | 1) + 3) / 4;
    char *p = mi_out_reserve(out, n);
    if (p == NULL) {
        return;
    }
    for (size_t i = n; i > 0; i--) {
        p[i - 1] = hex_digits[value & 0xF];
        value >>= 4;
    }
    mi_out_commit(out, n);
}
