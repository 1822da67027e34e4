/* Report files are written in many small pieces from one thread: give
 * their streams a large buffer and drop stdio's per-call locking, which
 * otherwise costs more than the formatting itself. */
#ifndef MI_COLLECTOR_FILE_STREAM_H
#define MI_COLLECTOR_FILE_STREAM_H

#include <stdio.h>
#include <stdio_ext.h>

#define MI_FILE_STREAM_BUFFER (1 << 20)

static inline void
mi_file_stream_tune(FILE *stream)
{
    /* Both are best effort: a failure only leaves the defaults. */
    (void)setvbuf(stream, NULL, _IOFBF, MI_FILE_STREAM_BUFFER);
    (void)__fsetlocking(stream, FSETLOCKING_BYCALLER);
}

#endif
