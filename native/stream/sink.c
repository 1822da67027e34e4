/* The sink: a queue of bytes, and a thread that writes them with libuv.
 *
 * Two threads touch a sink. The producer (the caller of mi_sink_push and
 * mi_sink_close) only appends to `pending` and reads counts, under `lock`.
 * The writer thread owns the loop and its handles; it swaps `pending` with
 * `writing` under the lock, then writes `writing` without it, so the
 * producer waits on the lock for a memcpy at most. */
/* POSIX.1-2008: pthread_sigmask, strdup, O_CLOEXEC, struct sockaddr_un. */
#define _POSIX_C_SOURCE 200809L

#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

/* The first allocation of a queue buffer; and the size above which a
   buffer is freed once written, rather than kept for the next batch. */
#define CHUNK_MIN_CAPACITY ((size_t)64 << 10)
#define CHUNK_KEEP_CAPACITY ((size_t)1 << 20)

/* Bytes of whole records, with their count. */
typedef struct {
    char *data;
    size_t size;
    size_t capacity;
    uint64_t records;
} chunk;

struct mi_sink {
    /* Set before the writer thread starts, then read-only. */
    mi_sink_kind kind;
    size_t capacity;
    char **argv;
    char *path;
    unsigned generation;        /* fork_generation when opened */
    uv_thread_t thread;
    uv_mutex_t lock;
    uv_cond_t changed;          /* broadcast when a state below changes */

    /* The writer thread's alone. */
    uv_loop_t loop;
    uv_async_t wakeup;
    uv_timer_t write_timer;     /* see write_soon() */
    int write_timer_initialized;
    uint64_t last_write_ns;     /* uv_hrtime() when a write last began */
    uv_pipe_t pipe;             /* the stream: child's stdin, socket, FIFO */
    uv_process_t process;
    uv_connect_t connect_req;
    uv_write_t write_req;
    int fd;                     /* a file written synchronously, or -1 */
    /* The transport's file descriptor once started (or -1), for the child
       of a fork() to close its copy: set under the lock at the start. */
    int transport_fd;
    int pipe_initialized;
    int process_initialized;
    int process_closing;
    int transport_open;         /* the stream or fd is open */
    int transport_closed;       /* ... and was closed (close callback run) */
    int wakeup_closing;

    /* Guarded by lock. The writer thread reads writing.data without the
       lock while writing_active: the producer never touches `writing`. */
    chunk pending;
    chunk writing;
    int writing_active;
    int started;                /* the start succeeded or failed */
    int start_error;
    const char *start_what;
    int closing;                /* mi_sink_close() was called */
    int abandon;                /* ... and its time ran out */
    int wakeup_closed;          /* no more uv_async_send() */
    int finished;               /* the loop is done */
    mi_sink_stats stats;
};

/* Bumped in the child of every fork(): a sink opened in another
   generation has no writer thread here. */
static unsigned fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int atfork_status;

static void
on_fork_child(void)
{
    fork_generation++;
}

static void
register_atfork(void)
{
    atfork_status = pthread_atfork(NULL, NULL, on_fork_child);
}

static int
chunk_append(chunk *c, const void *bytes, size_t size, size_t limit)
{
    if (size == 0) {
        return 0;
    }
    if (c->capacity - c->size < size) {
        size_t needed = c->size + size;
        size_t capacity = c->capacity ? c->capacity : CHUNK_MIN_CAPACITY;
        while (capacity < needed) {
            capacity = capacity > limit / 2 ? needed : capacity * 2;
        }
        if (capacity > limit && needed <= limit) {
            capacity = limit;
        }
        char *data = realloc(c->data, capacity);
        if (data == NULL) {
            return -1;
        }
        c->data = data;
        c->capacity = capacity;
    }
    memcpy(c->data + c->size, bytes, size);
    c->size += size;
    return 0;
}

/* Empties a chunk, and frees its memory if a burst made it big. */
static void
chunk_reset(chunk *c)
{
    c->size = 0;
    c->records = 0;
    if (c->capacity > CHUNK_KEEP_CAPACITY) {
        free(c->data);
        c->data = NULL;
        c->capacity = 0;
    }
}

/* The records of a chunk will not be sent. Under the lock. */
static void
lose_locked(mi_sink *sink, chunk *c)
{
    sink->stats.records -= c->records;
    sink->stats.dropped += c->records;
    if (sink->abandon) {
        sink->stats.abandoned += c->records;
    }
    chunk_reset(c);
}

/* Stops all writing: what is queued is lost, and so is what comes. Under
   the lock. */
static void
break_locked(mi_sink *sink, int error)
{
    if (!sink->stats.broken) {
        sink->stats.broken = 1;
        sink->stats.error = error;
    }
    lose_locked(sink, &sink->pending);
    uv_cond_broadcast(&sink->changed);
}

static void
report_start(mi_sink *sink, int error, const char *what)
{
    int fd = sink->fd;
    if (error == 0 && fd < 0 && sink->pipe_initialized) {
        uv_os_fd_t pipe_fd;
        if (uv_fileno((uv_handle_t *)&sink->pipe, &pipe_fd) == 0) {
            fd = pipe_fd;
        }
    }
    uv_mutex_lock(&sink->lock);
    sink->transport_fd = error == 0 ? fd : -1;
    sink->started = 1;
    sink->start_error = error;
    sink->start_what = what;
    uv_cond_broadcast(&sink->changed);
    uv_mutex_unlock(&sink->lock);
}

static void write_pending(mi_sink *sink);
static void write_soon(mi_sink *sink);
static void maybe_finish(mi_sink *sink);

/* While records keep coming, a write begins at most this often: each
   wakes this thread and makes a system call, and import tracing pushes a
   batch after every import (hundreds in a few hundred milliseconds). No
   record waits longer than this to be written, even when none follows
   it; none waits at all once mi_sink_close() was called. */
#define WRITE_INTERVAL_NS ((uint64_t)10 * 1000 * 1000)

static void
on_transport_closed(uv_handle_t *handle)
{
    mi_sink *sink = handle->loop->data;
    sink->transport_closed = 1;
    maybe_finish(sink);
}

static void
close_transport(mi_sink *sink)
{
    if (!sink->transport_open) {
        return;
    }
    sink->transport_open = 0;
    if (sink->fd >= 0) {
        /* close() reports the late errors of some file systems. */
        int status = close(sink->fd);
        int error = status < 0 && errno != EINTR ? -errno : 0;
        sink->fd = -1;
        if (error < 0) {
            uv_mutex_lock(&sink->lock);
            break_locked(sink, error);
            uv_mutex_unlock(&sink->lock);
        }
        sink->transport_closed = 1;
        return;
    }
    uv_close((uv_handle_t *)&sink->pipe, on_transport_closed);
}

/* A write of `writing` ended, with a libuv status. */
static void
written(mi_sink *sink, int status)
{
    int broken;

    uv_mutex_lock(&sink->lock);
    sink->writing_active = 0;
    if (status < 0) {
        lose_locked(sink, &sink->writing);
        /* ECANCELED: we closed the stream ourselves, after a break or at
           the deadline, and the cause is known already. */
        if (status != UV_ECANCELED) {
            break_locked(sink, status);
        }
    }
    else {
        chunk_reset(&sink->writing);
    }
    broken = sink->stats.broken;
    uv_cond_broadcast(&sink->changed);
    uv_mutex_unlock(&sink->lock);
    if (broken) {
        close_transport(sink);
    }
}

static void
on_written(uv_write_t *req, int status)
{
    mi_sink *sink = req->handle->loop->data;
    written(sink, status);
    write_soon(sink);
    maybe_finish(sink);
}

static int
write_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

/* Starts writing what is pending, unless a write is under way. */
static void
write_pending(mi_sink *sink)
{
    for (;;) {
        uv_mutex_lock(&sink->lock);
        if (sink->writing_active || sink->pending.size == 0
            || !sink->transport_open || sink->stats.broken || sink->abandon) {
            uv_mutex_unlock(&sink->lock);
            return;
        }
        chunk swap = sink->writing;
        sink->writing = sink->pending;
        sink->pending = swap;
        sink->writing_active = 1;
        uv_mutex_unlock(&sink->lock);
        sink->last_write_ns = uv_hrtime();

        if (sink->fd >= 0) {
            written(sink, write_all(sink->fd, sink->writing.data,
                                    sink->writing.size));
            continue;
        }
        uv_buf_t buf;
        buf.base = sink->writing.data;
        buf.len = sink->writing.size;
        int status = uv_write(&sink->write_req, (uv_stream_t *)&sink->pipe,
                              &buf, 1, on_written);
        if (status == 0) {
            return;
        }
        written(sink, status);
    }
}

static void
on_write_timer(uv_timer_t *timer)
{
    mi_sink *sink = timer->loop->data;
    write_pending(sink);
    maybe_finish(sink);
}

/* Writes what is pending at once when the last write began
   WRITE_INTERVAL_NS ago or more, or when closing; otherwise has the timer
   write it when that interval is over. */
static void
write_soon(mi_sink *sink)
{
    uv_mutex_lock(&sink->lock);
    int closing = sink->closing;
    uv_mutex_unlock(&sink->lock);
    uint64_t since = uv_hrtime() - sink->last_write_ns;
    if (closing || since >= WRITE_INTERVAL_NS
        || !sink->write_timer_initialized) {
        write_pending(sink);
        return;
    }
    if (!uv_is_active((uv_handle_t *)&sink->write_timer)) {
        uint64_t wait_ms = (WRITE_INTERVAL_NS - since + 999999) / 1000000;
        if (uv_timer_start(&sink->write_timer, on_write_timer, wait_ms,
                           0) < 0) {
            write_pending(sink);
        }
    }
}

static void
close_write_timer(mi_sink *sink)
{
    if (sink->write_timer_initialized
        && !uv_is_closing((uv_handle_t *)&sink->write_timer)) {
        uv_close((uv_handle_t *)&sink->write_timer, NULL);
    }
}

static void
on_wakeup(uv_async_t *handle)
{
    mi_sink *sink = handle->loop->data;
    write_soon(sink);
    maybe_finish(sink);
}

static void
on_process_exit(uv_process_t *process, int64_t exit_status, int term_signal)
{
    mi_sink *sink = process->loop->data;
    int broken;

    uv_mutex_lock(&sink->lock);
    sink->stats.exited = 1;
    sink->stats.exit_status = exit_status;
    sink->stats.term_signal = term_signal;
    if (!sink->closing) {
        /* The collector left before the end: whatever it did not read is
           lost, and so is what would follow. */
        sink->stats.exited_early = 1;
        break_locked(sink, 0);
    }
    broken = sink->stats.broken;
    uv_cond_broadcast(&sink->changed);
    uv_mutex_unlock(&sink->lock);
    if (broken) {
        close_transport(sink);
    }
    sink->process_closing = 1;
    uv_close((uv_handle_t *)process, NULL);
    maybe_finish(sink);
}

/* Once closing: closes the transport when all is written (or nothing more
   can be), then the process handle when the child exited (or the time ran
   out), then the wakeup handle, which ends the loop. */
static void
maybe_finish(mi_sink *sink)
{
    uv_mutex_lock(&sink->lock);
    int closing = sink->closing;
    int abandon = sink->abandon;
    int idle = !sink->writing_active && sink->pending.size == 0;
    int done = idle || sink->stats.broken || abandon;
    /* Set when everything was written, before any deadline: after it,
       `idle` can also mean that the rest was dropped. */
    if (closing && idle && !sink->stats.broken && !abandon) {
        sink->stats.flushed = 1;
    }
    if (abandon) {
        lose_locked(sink, &sink->pending);
    }
    uv_mutex_unlock(&sink->lock);

    if (!closing || sink->wakeup_closing) {
        return;
    }
    if (done) {
        close_transport(sink);
    }
    if (!sink->transport_closed) {
        return;
    }
    if (sink->process_initialized && !sink->process_closing) {
        if (!abandon) {
            return;     /* on_process_exit() comes back here */
        }
        /* Left running: libuv stops watching it, and nobody reaps it. */
        sink->process_closing = 1;
        uv_close((uv_handle_t *)&sink->process, NULL);
    }
    uv_mutex_lock(&sink->lock);
    sink->wakeup_closed = 1;
    uv_mutex_unlock(&sink->lock);
    sink->wakeup_closing = 1;
    close_write_timer(sink);
    uv_close((uv_handle_t *)&sink->wakeup, NULL);
}

/* Closes what the start made, after it failed. */
static void
close_after_failed_start(mi_sink *sink)
{
    if (sink->pipe_initialized && !uv_is_closing((uv_handle_t *)&sink->pipe)) {
        uv_close((uv_handle_t *)&sink->pipe, NULL);
    }
    if (sink->process_initialized) {
        uv_close((uv_handle_t *)&sink->process, NULL);
    }
    if (sink->fd >= 0) {
        (void)close(sink->fd);
        sink->fd = -1;
    }
    close_write_timer(sink);
    uv_close((uv_handle_t *)&sink->wakeup, NULL);
}

static void
on_connect(uv_connect_t *req, int status)
{
    mi_sink *sink = req->handle->loop->data;
    if (status < 0) {
        report_start(sink, status, "cannot connect to the collector's socket");
        close_after_failed_start(sink);
        return;
    }
    sink->transport_open = 1;
    report_start(sink, 0, NULL);
}

static int
start_spawn(mi_sink *sink, const char **what)
{
    uv_stdio_container_t stdio[3];
    uv_process_options_t options;
    int err;

    *what = "cannot spawn the collector";
    err = uv_pipe_init(&sink->loop, &sink->pipe, 0);
    if (err < 0) {
        return err;
    }
    sink->pipe_initialized = 1;
    stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
    stdio[0].data.stream = (uv_stream_t *)&sink->pipe;
    for (int fd = 1; fd <= 2; fd++) {
        /* Where our stdout or stderr is closed, the child's is /dev/null:
           libuv cannot hand it a closed descriptor. */
        if (fcntl(fd, F_GETFD) != -1) {
            stdio[fd].flags = UV_INHERIT_FD;
            stdio[fd].data.fd = fd;
        }
        else {
            stdio[fd].flags = UV_IGNORE;
        }
    }
    memset(&options, 0, sizeof(options));
    options.exit_cb = on_process_exit;
    options.file = sink->argv[0];
    options.args = sink->argv;
    options.stdio_count = 3;
    options.stdio = stdio;
    /* A session of its own (setsid): the terminal's Ctrl-C (SIGINT to the
       foreground process group) reaches the program being measured, not
       its collector, which must read on until the END that the program
       still writes after a KeyboardInterrupt (or until the pipe closes). */
    options.flags = UV_PROCESS_DETACHED;
    /* uv_spawn() initializes the handle even when it fails. */
    sink->process_initialized = 1;
    err = uv_spawn(&sink->loop, &sink->process, &options);
    if (err < 0) {
        return err;
    }
    uv_mutex_lock(&sink->lock);
    sink->stats.pid = sink->process.pid;
    uv_mutex_unlock(&sink->lock);
    sink->transport_open = 1;
    report_start(sink, 0, NULL);
    return 0;
}

static int
start_socket(mi_sink *sink, const char **what)
{
    int err;

    *what = "cannot connect to the collector's socket";
    /* libuv would cut a longer path silently, and connect elsewhere. */
    if (strlen(sink->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        return UV_ENAMETOOLONG;
    }
    err = uv_pipe_init(&sink->loop, &sink->pipe, 0);
    if (err < 0) {
        return err;
    }
    sink->pipe_initialized = 1;
    uv_pipe_connect(&sink->connect_req, &sink->pipe, sink->path, on_connect);
    return 0;   /* on_connect() reports the start */
}

static int
start_file(mi_sink *sink, const char **what)
{
    struct stat st;
    int err;

    *what = "cannot open the recording file";
    /* O_NONBLOCK: a FIFO without a reader is an error (ENXIO), not a
       wait; it is cleared below for anything but a FIFO or a socket. */
    sink->fd = open(sink->path,
                    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY
                    | O_NONBLOCK, 0666);
    if (sink->fd < 0) {
        err = -errno;
        if (err == UV_ENXIO && stat(sink->path, &st) == 0
            && S_ISFIFO(st.st_mode)) {
            *what = "cannot open the recording FIFO: no process reads it";
        }
        return err;
    }
    if (fstat(sink->fd, &st) < 0) {
        return -errno;
    }
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
        /* A stream, written like the collector's pipe. */
        err = uv_pipe_init(&sink->loop, &sink->pipe, 0);
        if (err < 0) {
            return err;
        }
        sink->pipe_initialized = 1;
        err = uv_pipe_open(&sink->pipe, sink->fd);
        if (err < 0) {
            return err;
        }
        sink->fd = -1;      /* the pipe handle owns it now */
    }
    else {
        int flags = fcntl(sink->fd, F_GETFL);
        if (flags < 0 || fcntl(sink->fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
            return -errno;
        }
    }
    sink->transport_open = 1;
    report_start(sink, 0, NULL);
    return 0;
}

static void
sink_main(void *arg)
{
    mi_sink *sink = arg;
    const char *what = "cannot start the writer's event loop";
    int err;

    err = uv_loop_init(&sink->loop);
    if (err < 0) {
        report_start(sink, err, what);
        return;
    }
    sink->loop.data = sink;
    err = uv_async_init(&sink->loop, &sink->wakeup, on_wakeup);
    if (err < 0) {
        report_start(sink, err, what);
        (void)uv_loop_close(&sink->loop);
        return;
    }
    /* Without the timer (it cannot fail in libuv), every write begins at
       once. */
    sink->write_timer_initialized =
        uv_timer_init(&sink->loop, &sink->write_timer) == 0;
    switch (sink->kind) {
    case MI_SINK_SPAWN:
        err = start_spawn(sink, &what);
        break;
    case MI_SINK_SOCKET:
        err = start_socket(sink, &what);
        break;
    case MI_SINK_FILE:
        err = start_file(sink, &what);
        break;
    }
    if (err < 0) {
        report_start(sink, err, what);
        close_after_failed_start(sink);
    }
    (void)uv_run(&sink->loop, UV_RUN_DEFAULT);
    /* Every handle is closed by now: uv_run() returns when none is
       active, and the wakeup handle stays active until the very end. A
       failure here would be a bug; the loop's memory is then left as is
       rather than freed under a live handle. */
    (void)uv_loop_close(&sink->loop);

    uv_mutex_lock(&sink->lock);
    sink->finished = 1;
    uv_cond_broadcast(&sink->changed);
    uv_mutex_unlock(&sink->lock);
}

static void
sink_free(mi_sink *sink)
{
    if (sink->argv != NULL) {
        for (char **arg = sink->argv; *arg != NULL; arg++) {
            free(*arg);
        }
        free(sink->argv);
    }
    free(sink->path);
    free(sink->pending.data);
    free(sink->writing.data);
    free(sink);
}

static int
copy_options(mi_sink *sink, const mi_sink_options *options)
{
    sink->kind = options->kind;
    sink->capacity = options->capacity ? options->capacity
                                       : MI_SINK_DEFAULT_CAPACITY;
    if (options->kind == MI_SINK_SPAWN) {
        size_t n = 0;
        while (options->argv[n] != NULL) {
            n++;
        }
        sink->argv = calloc(n + 1, sizeof(char *));
        if (sink->argv == NULL) {
            return UV_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            sink->argv[i] = strdup(options->argv[i]);
            if (sink->argv[i] == NULL) {
                return UV_ENOMEM;
            }
        }
        return 0;
    }
    sink->path = strdup(options->path);
    return sink->path == NULL ? UV_ENOMEM : 0;
}

/* Starts the writer thread with every asynchronous signal blocked, from
   its first instruction: SIGPIPE so that a write to a closed pipe fails
   with EPIPE instead of killing the process, and the others so that they
   reach the interpreter's threads, whose handlers they are meant for. */
static int
start_thread(mi_sink *sink)
{
    static const int synchronous[] = {
        SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGSYS, SIGTRAP,
    };
    sigset_t blocked, previous;
    int err;

    if (sigfillset(&blocked) < 0) {
        return -errno;
    }
    for (size_t i = 0; i < sizeof(synchronous) / sizeof(synchronous[0]);
         i++) {
        if (sigdelset(&blocked, synchronous[i]) < 0) {
            return -errno;
        }
    }
    err = pthread_sigmask(SIG_BLOCK, &blocked, &previous);
    if (err != 0) {
        return -err;
    }
    err = uv_thread_create(&sink->thread, sink_main, sink);
    /* Cannot fail: the mask is the one pthread_sigmask() itself gave. */
    (void)pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return err;
}

static void
describe_error(mi_sink_error *error, int code, const char *what)
{
    error->code = code;
    /* libuv's codes are negated errno values, apart from its own (EOF,
       the getaddrinfo ones, ...), which lie below -3000. */
    error->sys_errno = code < 0 && code > -3000 ? -code : 0;
    snprintf(error->message, sizeof(error->message), "%s: %s", what,
             uv_strerror(code));
}

int
mi_sink_open(mi_sink **out, const mi_sink_options *options,
             mi_sink_error *error)
{
    mi_sink *sink = NULL;
    int have_lock = 0, have_cond = 0;
    const char *what = "cannot make the writer";
    int err;

    *out = NULL;
    if ((options->kind == MI_SINK_SPAWN
         && (options->argv == NULL || options->argv[0] == NULL))
        || (options->kind != MI_SINK_SPAWN && options->path == NULL)) {
        err = UV_EINVAL;
        goto error;
    }
    (void)pthread_once(&atfork_once, register_atfork);
    if (atfork_status != 0) {
        err = -atfork_status;
        goto error;
    }
    sink = calloc(1, sizeof(*sink));
    if (sink == NULL) {
        err = UV_ENOMEM;
        goto error;
    }
    sink->fd = -1;
    sink->transport_fd = -1;
    sink->generation = fork_generation;
    err = copy_options(sink, options);
    if (err < 0) {
        goto error;
    }
    err = uv_mutex_init(&sink->lock);
    if (err < 0) {
        goto error;
    }
    have_lock = 1;
    err = uv_cond_init(&sink->changed);
    if (err < 0) {
        goto error;
    }
    have_cond = 1;
    err = start_thread(sink);
    if (err < 0) {
        what = "cannot start the writer thread";
        goto error;
    }

    uv_mutex_lock(&sink->lock);
    while (!sink->started) {
        uv_cond_wait(&sink->changed, &sink->lock);
    }
    err = sink->start_error;
    what = sink->start_what;
    uv_mutex_unlock(&sink->lock);
    if (err < 0) {
        (void)uv_thread_join(&sink->thread);
        goto error;
    }
    *out = sink;
    return 0;

error:
    describe_error(error, err, what);
    if (have_cond) {
        uv_cond_destroy(&sink->changed);
    }
    if (have_lock) {
        uv_mutex_destroy(&sink->lock);
    }
    if (sink != NULL) {
        sink_free(sink);
    }
    return err;
}

mi_sink_push_result
mi_sink_push(mi_sink *sink, const void *bytes, size_t size)
{
    return mi_sink_push_batch(sink, bytes, size, 1);
}

mi_sink_push_result
mi_sink_push_batch(mi_sink *sink, const void *bytes, size_t size,
                   uint64_t records)
{
    mi_sink_push_result result = MI_SINK_QUEUED;
    int was_empty = 0;

    if (records == 0) {
        return MI_SINK_QUEUED;
    }
    if (sink->generation != fork_generation) {
        return MI_SINK_BROKEN;
    }
    uv_mutex_lock(&sink->lock);
    if (sink->stats.broken || sink->closing) {
        result = MI_SINK_BROKEN;
    }
    else if (size > sink->capacity
             || sink->pending.size + sink->writing.size
                > sink->capacity - size) {
        result = MI_SINK_FULL;
    }
    else {
        was_empty = sink->pending.size == 0;
        if (chunk_append(&sink->pending, bytes, size, sink->capacity) < 0) {
            result = MI_SINK_FULL;
        }
    }
    if (result != MI_SINK_QUEUED) {
        /* Dropped whole: a full queue (or no memory), a broken pipe. */
        sink->stats.dropped += records;
        uv_mutex_unlock(&sink->lock);
        return result;
    }
    sink->pending.records += records;
    sink->stats.records += records;
    uv_mutex_unlock(&sink->lock);
    /* The writer thread takes everything pending when it wakes up or ends
       a write, so only the first bytes of a batch need to wake it. A
       failure (only possible on a closing handle, which mi_sink_close()
       alone starts) would leave the bytes for the next wakeup. */
    if (was_empty) {
        (void)uv_async_send(&sink->wakeup);
    }
    return MI_SINK_QUEUED;
}

void
mi_sink_get_stats(mi_sink *sink, mi_sink_stats *stats)
{
    if (sink->generation != fork_generation) {
        /* Single-threaded child of a fork(): the lock may be held by a
           thread that no longer exists. */
        *stats = sink->stats;
        return;
    }
    uv_mutex_lock(&sink->lock);
    *stats = sink->stats;
    uv_mutex_unlock(&sink->lock);
}

void
mi_sink_describe_break(const mi_sink_stats *stats, char *buf, size_t size)
{
    int n = 0;

    if (size == 0) {
        return;
    }
    buf[0] = '\0';
    if (stats->exited && stats->term_signal != 0) {
        n = snprintf(buf, size, "killed by signal %d", stats->term_signal);
    }
    else if (stats->exited) {
        n = snprintf(buf, size, "exited with status %lld",
                     (long long)stats->exit_status);
    }
    if (n < 0 || (size_t)n >= size) {
        return;
    }
    if (stats->error != 0) {
        snprintf(buf + n, size - (size_t)n, "%s%s", n > 0 ? ", " : "",
                 uv_strerror(stats->error));
    }
    else if (n == 0) {
        snprintf(buf, size, "stopped");
    }
}

int
mi_sink_close(mi_sink *sink, const void *last, size_t size, double timeout,
              mi_sink_stats *stats)
{
    uint64_t deadline = UINT64_MAX;
    int timed_out;

    if (sink->generation != fork_generation) {
        /* No writer thread in this process: nothing to flush or join. The
           sink is left to the process' exit, but for this process' copy
           of the transport's descriptor: the reader sees the end of the
           recording when the parent closes its own, not when this child
           exits too. */
        if (sink->transport_fd >= 0) {
            (void)close(sink->transport_fd);
            sink->transport_fd = -1;
        }
        *stats = sink->stats;
        return 0;
    }
    if (timeout >= 0 && timeout < 1e9) {
        deadline = uv_hrtime() + (uint64_t)(timeout * 1e9);
    }

    uv_mutex_lock(&sink->lock);
    if (!sink->stats.broken && size > 0) {
        /* The END record: past the bound if need be. Without memory for
           it, the recording ends without END, which readers take as
           incomplete, as it is. */
        (void)chunk_append(&sink->pending, last, size, SIZE_MAX);
    }
    sink->closing = 1;
    (void)uv_async_send(&sink->wakeup);
    while (!sink->finished) {
        if (deadline == UINT64_MAX) {
            uv_cond_wait(&sink->changed, &sink->lock);
            continue;
        }
        uint64_t now = uv_hrtime();
        if (now >= deadline) {
            break;
        }
        (void)uv_cond_timedwait(&sink->changed, &sink->lock, deadline - now);
    }
    timed_out = !sink->finished;
    if (timed_out) {
        sink->abandon = 1;
        if (!sink->wakeup_closed) {
            (void)uv_async_send(&sink->wakeup);
        }
        while (!sink->finished) {
            uv_cond_wait(&sink->changed, &sink->lock);
        }
    }
    *stats = sink->stats;
    uv_mutex_unlock(&sink->lock);

    (void)uv_thread_join(&sink->thread);
    uv_cond_destroy(&sink->changed);
    uv_mutex_destroy(&sink->lock);
    sink_free(sink);
    return timed_out;
}
