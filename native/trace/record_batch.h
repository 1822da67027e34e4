/* Import tracing: records packed in C, several at a time, then handed to
 * a RecordWriter in one piece (mi_record_writer_push_batch).
 *
 * A batch is one msgpack buffer holding whole records and their count.
 * Packing goes through msgpack-c's packer; a failed write of the buffer
 * (realloc) is remembered and reported once, at mi_record_batch_end. */
#ifndef MI_TRACE_RECORD_BATCH_H
#define MI_TRACE_RECORD_BATCH_H

#ifndef PY_SSIZE_T_CLEAN
#  define PY_SSIZE_T_CLEAN
#endif
#include <Python.h>
#include <msgpack.h>
#include <stdint.h>

typedef struct {
    msgpack_sbuffer buffer;
    msgpack_packer packer;
    uint64_t records;       /* whole records in the buffer */
    int failed;             /* a write failed: out of memory */
} mi_record_batch;

static inline void
mi_record_batch_init(mi_record_batch *batch)
{
    msgpack_sbuffer_init(&batch->buffer);
    msgpack_packer_init(&batch->packer, &batch->buffer,
                        msgpack_sbuffer_write);
    batch->records = 0;
    batch->failed = 0;
}

static inline void
mi_record_batch_free(mi_record_batch *batch)
{
    msgpack_sbuffer_destroy(&batch->buffer);
    mi_record_batch_init(batch);
}

/* Empties the batch, keeping its memory. */
static inline void
mi_record_batch_clear(mi_record_batch *batch)
{
    msgpack_sbuffer_clear(&batch->buffer);
    batch->records = 0;
    batch->failed = 0;
}

/* Starts a record of `length` fields (kind included) and packs its kind. */
static inline void
mi_record_batch_begin(mi_record_batch *batch, size_t length, unsigned kind)
{
    batch->failed |= msgpack_pack_array(&batch->packer, length) != 0;
    batch->failed |= msgpack_pack_uint64(&batch->packer, kind) != 0;
}

/* Ends a record: 0, or -1 with MemoryError when a write failed. */
static inline int
mi_record_batch_end(mi_record_batch *batch)
{
    if (batch->failed) {
        PyErr_NoMemory();
        return -1;
    }
    batch->records++;
    return 0;
}

/* Packing of fields; failures are remembered in batch->failed. */
static inline void
mi_pack_uint(mi_record_batch *batch, uint64_t value)
{
    batch->failed |= msgpack_pack_uint64(&batch->packer, value) != 0;
}

static inline void
mi_pack_double(mi_record_batch *batch, double value)
{
    batch->failed |= msgpack_pack_double(&batch->packer, value) != 0;
}

static inline void
mi_pack_bool(mi_record_batch *batch, int value)
{
    batch->failed |= (value ? msgpack_pack_true(&batch->packer)
                            : msgpack_pack_false(&batch->packer)) != 0;
}

static inline void
mi_pack_array_header(mi_record_batch *batch, size_t n)
{
    batch->failed |= msgpack_pack_array(&batch->packer, n) != 0;
}

static inline void
mi_pack_map_header(mi_record_batch *batch, size_t n)
{
    batch->failed |= msgpack_pack_map(&batch->packer, n) != 0;
}

static inline void
mi_pack_utf8(mi_record_batch *batch, const char *text, size_t length)
{
    batch->failed |= msgpack_pack_str_with_body(&batch->packer, text,
                                                length) != 0;
}

#endif
