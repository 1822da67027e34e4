/* Where the bytes of a recording go: a child process' stdin, a Unix
 * socket or a file, written by a thread of our own that runs its own libuv
 * loop. Pure C: no Python here (the extension's RecordWriter is the Python
 * face of it; tests/native/stream_sink_test.cc tests it alone).
 *
 * The producer (the interpreter's thread) hands bytes over with
 * mi_sink_push(): a copy into a queue under a mutex, and a uv_async_send()
 * when the queue was empty. It never waits for the consumer. The thread
 * begins a write at most every 10 ms while bytes keep coming (more come
 * while it waits, and go in the same write), and what came last is
 * written when that interval is over even if nothing follows; once
 * mi_sink_close() is called, at once.
 *
 * Buffer policy: the queue holds at most `capacity` bytes (the bytes pushed
 * and not yet written, those being written included). A record that does
 * not fit is dropped whole, never cut, and counted in `dropped`: the newest
 * record is the one dropped, so what is sent is always a prefix of the
 * recording with holes of whole records. Once the transport breaks (the
 * reader closed the pipe or the socket, the child process exited before
 * mi_sink_close(), a write failed), nothing more is written: the records
 * still queued and those pushed later are dropped and counted too.
 *
 * SIGPIPE: the writer thread is born with every asynchronous signal blocked
 * (SIGPIPE among them), so a write to a closed pipe fails with EPIPE there
 * instead of killing the process, whatever the process' disposition of
 * SIGPIPE; the other signals go to the process' other threads.
 *
 * Not fork-safe by design: in a child made by fork(), the writer thread
 * does not exist; there mi_sink_push() drops everything and mi_sink_close()
 * returns at once, leaving the sink's memory to the child's exit but
 * closing the child's copy of the transport's descriptor (so that the
 * reader is not kept waiting for the child to exit). */
#ifndef MI_STREAM_SINK_H
#define MI_STREAM_SINK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mi_sink mi_sink;

typedef enum {
    MI_SINK_SPAWN,   /* a child process reading its stdin */
    MI_SINK_SOCKET,  /* a Unix socket to connect to */
    MI_SINK_FILE,    /* a file (or a FIFO) to create or truncate */
} mi_sink_kind;

#define MI_SINK_DEFAULT_CAPACITY ((size_t)64 << 20)

typedef struct {
    mi_sink_kind kind;
    /* MI_SINK_SPAWN: the program and its arguments, NULL-terminated; the
       program is looked up in PATH. Its stdin is our pipe; its stdout and
       stderr are our file descriptors 1 and 2. */
    const char *const *argv;
    /* MI_SINK_SOCKET and MI_SINK_FILE: where to connect or write. */
    const char *path;
    /* The byte bound of the queue; 0 means MI_SINK_DEFAULT_CAPACITY. */
    size_t capacity;
} mi_sink_options;

/* Why mi_sink_open() failed. */
typedef struct {
    int code;            /* a libuv error code (negative errno on Unix) */
    int sys_errno;       /* the errno it stands for, or 0 */
    char message[160];   /* "cannot spawn the collector: ...", for people */
} mi_sink_error;

/* What happened to the records; a snapshot taken under the lock. */
typedef struct {
    uint64_t records;     /* pushed, queued, and not lost since */
    uint64_t dropped;     /* pushed and not (to be) sent, for any reason */
    uint64_t abandoned;   /* of dropped: still queued when close timed out */
    int flushed;          /* closing, everything (END too) was written */
    int broken;           /* the transport broke: nothing more is written */
    int error;            /* the failed write's libuv error code, or 0 */
    int pid;              /* the child process, or 0 */
    int exited;           /* the child's exit is known */
    int exited_early;     /* ... and came before mi_sink_close() */
    int64_t exit_status;
    int term_signal;      /* the signal that killed it, or 0 */
} mi_sink_stats;

typedef enum {
    MI_SINK_QUEUED = 0,   /* the bytes will be written */
    MI_SINK_FULL = 1,     /* dropped: the queue has no room for them */
    MI_SINK_BROKEN = 2,   /* dropped: the transport broke, or a fork */
} mi_sink_push_result;

/* Starts the writer thread and, in it, the child process, the connection
   or the file; returns once that worked (0) or failed (a negative libuv
   error code, described in *error). Blocks the caller for that long only:
   the time of a fork and exec, of a connect() to a Unix socket, or of an
   open(). A FIFO without a reader is an error (ENXIO), not a wait. */
int mi_sink_open(mi_sink **sink, const mi_sink_options *options,
                 mi_sink_error *error);

/* Queues a copy of `size` bytes (one record: counted in records or
   dropped). Never blocks on the consumer: only on the queue's mutex, which
   no one holds for longer than a memcpy of one record or a swap of two
   buffers. */
mi_sink_push_result mi_sink_push(mi_sink *sink, const void *bytes,
                                 size_t size);

/* mi_sink_push for `records` whole records packed one after the other in
   `bytes` (import tracing packs an inventory's records at once): queued
   or dropped together, counted as `records`. */
mi_sink_push_result mi_sink_push_batch(mi_sink *sink, const void *bytes,
                                       size_t size, uint64_t records);

void mi_sink_get_stats(mi_sink *sink, mi_sink_stats *stats);

/* Writes a description of why the transport broke, such as "the process
   was killed by signal 9 (Killed)" or "broken pipe", into buf. */
void mi_sink_describe_break(const mi_sink_stats *stats, char *buf,
                            size_t size);

/* Queues the `size` last bytes (the END record: not counted, and never
   dropped for want of room), writes what is queued, closes the transport,
   waits for the child process to exit, then stops the thread and frees the
   sink. Waits `timeout` seconds at most (a negative timeout: no limit) for
   all that; then whatever is still queued is dropped (counted in
   `abandoned` too), and a child still running is left running and
   unwaited. *stats receives the final counts. Returns 0, or 1 when the
   time ran out. */
int mi_sink_close(mi_sink *sink, const void *last, size_t size,
                  double timeout, mi_sink_stats *stats);

#ifdef __cplusplus
}
#endif

#endif
