#define _POSIX_C_SOURCE 200809L

#include "source.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#define READ_SIZE 65536

struct mi_source {
    uv_loop_t loop;
    bool loop_open;
    const mi_source_sink *sink;
    char *error;
    const char *what;           /* "standard input", a path */
    mi_source_kind kind;
    mi_source_result result;
    bool finished;

    /* A stream (pipe, socket, tty), or file reads. */
    union {
        uv_pipe_t pipe;
        uv_tcp_t tcp;
        uv_tty_t tty;
    } stream;
    bool stream_open;
    bool is_tty;
    uv_file file;
    bool reading_file;
    bool close_file;            /* opened here (not standard input) */
    uv_fs_t read_request;
    char *read_base;

    /* --socket */
    uv_pipe_t server;
    bool server_open;
    const char *socket_path;
    bool socket_created;

    uv_signal_t interrupt;
    uv_signal_t terminate;
};

typedef struct mi_source source;

static void
finish(source *s, mi_source_result result)
{
    if (s->finished) {
        return;
    }
    s->finished = true;
    s->result = result;
    if (s->stream_open) {
        uv_read_stop((uv_stream_t *)&s->stream);
    }
    uv_stop(&s->loop);
}

static void
fail(source *s, const char *doing, int uv_error)
{
    if (!s->finished) {
        snprintf(s->error, MI_SOURCE_ERROR_SIZE, "cannot %s %s: %s", doing,
                 s->what, uv_strerror(uv_error));
    }
    finish(s, MI_SOURCE_ERROR);
}

static void
remove_socket(source *s)
{
    if (s->socket_created) {
        unlink(s->socket_path);
        s->socket_created = false;
    }
}

static void
on_signal(uv_signal_t *handle, int signal_number)
{
    (void)signal_number;
    finish(handle->data, MI_SOURCE_INTERRUPTED);
}

/* ---- Streams ---- */

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buffer)
{
    source *s = handle->data;
    char *base;
    size_t size;
    s->sink->buffer(s->sink->context, suggested, &base, &size);
    *buffer = uv_buf_init(base, size > UINT_MAX ? UINT_MAX : (unsigned)size);
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buffer)
{
    source *s = stream->data;
    if (nread > 0) {
        s->sink->received(s->sink->context, buffer->base, (size_t)nread);
    }
    else if (nread == UV_EOF) {
        finish(s, MI_SOURCE_END);
    }
    else if (nread < 0) {
        fail(s, "read", (int)nread);
    }
}

static int
start_stream(source *s)
{
    uv_stream_t *stream = (uv_stream_t *)&s->stream;
    stream->data = s;
    int rc = uv_read_start(stream, on_alloc, on_read);
    if (rc < 0) {
        fail(s, "read", rc);
    }
    return rc;
}

/* ---- Files ---- */

static void read_file(source *s);

static void
on_file_read(uv_fs_t *request)
{
    source *s = request->data;
    ssize_t result = request->result;
    uv_fs_req_cleanup(request);
    s->reading_file = false;
    if (s->finished) {
        return;
    }
    if (result < 0) {
        fail(s, "read", (int)result);
    }
    else if (result == 0) {
        finish(s, MI_SOURCE_END);
    }
    else {
        s->sink->received(s->sink->context, s->read_base, (size_t)result);
        read_file(s);
    }
}

static void
read_file(source *s)
{
    size_t size;
    s->sink->buffer(s->sink->context, READ_SIZE, &s->read_base, &size);
    uv_buf_t buffer = uv_buf_init(s->read_base,
                                  size > UINT_MAX ? UINT_MAX : (unsigned)size);
    s->read_request.data = s;
    /* Offset -1: from the current position, as standard input is left. */
    int rc = uv_fs_read(&s->loop, &s->read_request, s->file, &buffer, 1, -1,
                        on_file_read);
    if (rc < 0) {
        fail(s, "read", rc);
        return;
    }
    s->reading_file = true;
}

/* ---- A descriptor, whatever it is ---- */

/* Prepares to read `fd`: a libuv stream for pipes, sockets and
   terminals, file reads otherwise. */
static int
open_descriptor(source *s, uv_file fd)
{
    int rc;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(s->error, MI_SOURCE_ERROR_SIZE,
                 "cannot read %s: it is a directory", s->what);
        return -1;
    }
    switch (uv_guess_handle(fd)) {
    case UV_FILE:
        s->file = fd;
        return 0;
    case UV_NAMED_PIPE:         /* a pipe, a FIFO or a Unix socket */
        rc = uv_pipe_init(&s->loop, &s->stream.pipe, 0);
        if (rc == 0) {
            s->stream_open = true;
            rc = uv_pipe_open(&s->stream.pipe, fd);
        }
        break;
    case UV_TCP:
        rc = uv_tcp_init(&s->loop, &s->stream.tcp);
        if (rc == 0) {
            s->stream_open = true;
            rc = uv_tcp_open(&s->stream.tcp, fd);
        }
        break;
    case UV_TTY:
        rc = uv_tty_init(&s->loop, &s->stream.tty, fd, 1);
        if (rc == 0) {
            s->stream_open = true;
            s->is_tty = true;
        }
        break;
    default:
        snprintf(s->error, MI_SOURCE_ERROR_SIZE,
                 "cannot read %s: it is closed, or neither a file, a pipe, "
                 "a stream socket nor a terminal", s->what);
        return -1;
    }
    if (rc < 0) {
        snprintf(s->error, MI_SOURCE_ERROR_SIZE, "cannot open %s: %s",
                 s->what, uv_strerror(rc));
        return -1;
    }
    return 0;
}

/* ---- --socket ---- */

static void
on_connection(uv_stream_t *server, int status)
{
    source *s = server->data;
    if (s->finished || s->stream_open) {
        return;
    }
    if (status < 0) {
        fail(s, "accept a connection on", status);
        return;
    }
    int rc = uv_pipe_init(&s->loop, &s->stream.pipe, 0);
    if (rc == 0) {
        s->stream_open = true;
        rc = uv_accept(server, (uv_stream_t *)&s->stream.pipe);
    }
    if (rc < 0) {
        fail(s, "accept a connection on", rc);
        return;
    }
    /* One connection only: nobody else may connect from now on. */
    uv_close((uv_handle_t *)&s->server, NULL);
    s->server_open = false;
    remove_socket(s);
    start_stream(s);
}

static int
listen_on(source *s, const char *path)
{
    /* libuv before 1.46 cuts a longer path short, silently. */
    struct sockaddr_un address;
    if (strlen(path) >= sizeof(address.sun_path)) {
        snprintf(s->error, MI_SOURCE_ERROR_SIZE, "cannot listen on %s: a "
                 "socket path has at most %zu bytes", path,
                 sizeof(address.sun_path) - 1);
        return -1;
    }
    int rc = uv_pipe_init(&s->loop, &s->server, 0);
    if (rc < 0) {
        fail(s, "listen on", rc);
        return -1;
    }
    s->server_open = true;
    s->server.data = s;
    s->socket_path = path;
    /* Only this user may connect: the socket is created 0600. */
    mode_t mask = umask(077);
    rc = uv_pipe_bind(&s->server, path);
    umask(mask);
    if (rc < 0) {
        fail(s, "listen on", rc);
        return -1;
    }
    s->socket_created = true;
    rc = uv_listen((uv_stream_t *)&s->server, 1, on_connection);
    if (rc < 0) {
        fail(s, "listen on", rc);
        return -1;
    }
    return 0;
}

/* ---- The run ---- */

static void
close_handle(uv_handle_t *handle, void *unused)
{
    (void)unused;
    if (!uv_is_closing(handle)) {
        uv_close(handle, NULL);
    }
}

static int
watch_signal(source *s, uv_signal_t *handle, int signal_number)
{
    int rc = uv_signal_init(&s->loop, handle);
    if (rc == 0) {
        handle->data = s;
        rc = uv_signal_start(handle, on_signal, signal_number);
    }
    /* Unreferenced: they alone do not keep the loop running. */
    if (rc == 0) {
        uv_unref((uv_handle_t *)handle);
    }
    return rc;
}

mi_source *
mi_source_open(mi_source_kind kind, const char *path,
               char error[MI_SOURCE_ERROR_SIZE])
{
    source *s = calloc(1, sizeof(source));
    if (s == NULL) {
        snprintf(error, MI_SOURCE_ERROR_SIZE, "out of memory");
        return NULL;
    }
    s->error = error;
    s->file = -1;
    s->kind = kind;
    s->what = kind == MI_SOURCE_STDIN ? "standard input" : path;
    error[0] = '\0';

    int rc = uv_loop_init(&s->loop);
    if (rc < 0) {
        snprintf(error, MI_SOURCE_ERROR_SIZE, "cannot start libuv: %s",
                 uv_strerror(rc));
        free(s);
        return NULL;
    }
    s->loop_open = true;
    s->loop.data = s;
    if ((rc = watch_signal(s, &s->interrupt, SIGINT)) < 0
        || (rc = watch_signal(s, &s->terminate, SIGTERM)) < 0) {
        fail(s, "watch signals while reading", rc);
        goto error;
    }
    if (kind == MI_SOURCE_SOCKET) {
        if (listen_on(s, path) < 0) {
            goto error;
        }
    }
    else if (kind == MI_SOURCE_FILE) {
        uv_fs_t request;
        rc = uv_fs_open(&s->loop, &request, path, O_RDONLY | O_CLOEXEC, 0,
                        NULL);
        uv_fs_req_cleanup(&request);
        if (rc < 0) {
            fail(s, "open", rc);
            goto error;
        }
        s->close_file = true;
        s->file = rc;
        if (open_descriptor(s, s->file) < 0) {
            goto error;
        }
    }
    else if (open_descriptor(s, 0) < 0) {
        goto error;
    }
    return s;
error:
    mi_source_close(s);
    return NULL;
}

mi_source_result
mi_source_run(mi_source *s, const mi_source_sink *sink,
              char error[MI_SOURCE_ERROR_SIZE])
{
    s->sink = sink;
    s->error = error;
    s->finished = false;
    s->result = MI_SOURCE_END;
    error[0] = '\0';
    if (s->kind != MI_SOURCE_SOCKET) {
        if (s->stream_open) {
            start_stream(s);
        }
        else {
            read_file(s);
        }
    }
    if (!s->finished) {
        uv_run(&s->loop, UV_RUN_DEFAULT);
    }
    if (!s->finished) {
        /* Nothing left to wait for, without an end: cannot happen. */
        finish(s, MI_SOURCE_END);
    }
    return s->result;
}

void
mi_source_close(mi_source *s)
{
    if (s == NULL) {
        return;
    }
    remove_socket(s);
    if (s->loop_open) {
        uv_walk(&s->loop, close_handle, NULL);
        /* Lets closes and a file read in progress complete. A uv_stop
           not consumed yet (a failed open) makes the first run return at
           once: run until the loop can close. */
        for (int attempt = 0; attempt < 8; attempt++) {
            uv_run(&s->loop, UV_RUN_DEFAULT);
            if (!uv_loop_alive(&s->loop)) {
                break;
            }
        }
        if (s->is_tty) {
            uv_tty_reset_mode();
        }
        if (s->close_file && !s->stream_open) {
            uv_fs_t request;
            uv_fs_close(&s->loop, &request, s->file, NULL);
            uv_fs_req_cleanup(&request);
        }
        uv_run(&s->loop, UV_RUN_NOWAIT);
        uv_loop_close(&s->loop);
    }
    free(s);
}
