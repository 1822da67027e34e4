/* The reader: msgpack-c's streaming unpacker, the validation of every
 * record against records.h, and the filling of the model.
 *
 * Bytes come in as they arrive (mi_reader_buffer, then
 * mi_reader_consumed; or mi_reader_feed), in chunks of any size. The
 * first invalid record stops the reading: what was read before it stays
 * in the model, the model is marked incomplete, and its
 * incomplete_reason names the record (numbered from 1), the byte offset
 * where it starts in the stream and what is wrong, e.g.
 *
 *     record 12 at byte 3456: DUPLICATE field 4 (size) must be an
 *     unsigned integer
 *
 * docs/record-format.md lists the rules and the messages. */
#ifndef MI_COLLECTOR_READER_H
#define MI_COLLECTOR_READER_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The default limits of one record. */
#define MI_READER_MAX_RECORD_BYTES (UINT64_C(256) << 20)
#define MI_READER_MAX_RECORD_ELEMENTS (UINT64_C(1) << 24)

typedef enum {
    MI_READER_READING,      /* no END yet, nothing wrong so far */
    MI_READER_ENDED,        /* END read (complete unless it says records
                               were dropped) */
    MI_READER_FINISHED,     /* mi_reader_finish called after END */
    MI_READER_INVALID,      /* stopped at an invalid record */
    MI_READER_TRUNCATED,    /* the stream ended before END */
    MI_READER_NO_MEMORY,    /* stopped: out of memory */
} mi_reader_status;

typedef struct mi_reader mi_reader;

/* A reader filling `model`, which must be freshly initialised and must
   outlive the reader. NULL when out of memory. */
mi_reader *mi_reader_new(mi_model *model);

/* The same with other limits per record (for tests). */
mi_reader *mi_reader_new_with_limits(mi_model *model, uint64_t max_bytes,
                                     uint64_t max_elements);

void mi_reader_free(mi_reader *reader);

/* Where the next bytes of the stream should go: *buffer, with room for
   *size >= 1 bytes (`suggested` is a hint). Once the reader has stopped,
   a scratch buffer whose content is ignored. */
void mi_reader_buffer(mi_reader *reader, size_t suggested, char **buffer,
                      size_t *size);

/* `size` bytes were written at the start of the last buffer: decode the
   records they complete. */
void mi_reader_consumed(mi_reader *reader, size_t size);

/* Copies `size` bytes in and decodes them (files, tests). */
void mi_reader_feed(mi_reader *reader, const void *data, size_t size);

/* The stream ended: checks that the recording was whole, and sets the
   model's `complete` and `incomplete_reason` for good. */
void mi_reader_finish(mi_reader *reader);

mi_reader_status mi_reader_get_status(const mi_reader *reader);

#ifdef __cplusplus
}
#endif

#endif
