/* Where the bytes of a recording come from, read with libuv: standard
 * input (a pipe or socket: a libuv stream over the descriptor; a regular
 * file or a device: file reads; a terminal: a tty handle), a file named
 * on the command line (the same, by what it turns out to be), or the one
 * connection accepted on a Unix socket the collector listens on.
 *
 * The bytes are delivered as they arrive, into buffers the sink hands out
 * (the reader's unpacker buffer: no copy), until the end of the stream,
 * an error, or SIGINT or SIGTERM. */
#ifndef MI_COLLECTOR_SOURCE_H
#define MI_COLLECTOR_SOURCE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MI_SOURCE_STDIN,
    MI_SOURCE_FILE,         /* `path` is the recording */
    MI_SOURCE_SOCKET,       /* `path` is the socket to listen on */
} mi_source_kind;

typedef struct {
    /* Room for the next bytes: *base, *size >= 1. */
    void (*buffer)(void *context, size_t suggested, char **base,
                   size_t *size);
    /* `size` bytes arrived at the start of the last buffer. */
    void (*received)(void *context, const char *data, size_t size);
    void *context;
} mi_source_sink;

#define MI_SOURCE_ERROR_SIZE 512

typedef enum {
    MI_SOURCE_END = 0,          /* the stream ended */
    MI_SOURCE_INTERRUPTED = 1,  /* SIGINT or SIGTERM */
    MI_SOURCE_ERROR = -1,       /* message in `error` */
} mi_source_result;

typedef struct mi_source mi_source;

/* Opens the source: the file (refusing a directory), standard input as
   what it is, or the socket, created with mode 0600 (it must not exist
   yet) and listening. Reads nothing yet. NULL, with a message in
   `error`, when that fails. */
mi_source *mi_source_open(mi_source_kind kind, const char *path,
                          char error[MI_SOURCE_ERROR_SIZE]);

/* Reads the whole stream into `sink` (for a socket, from the first
   connection, after which the socket is removed). What arrived before an
   error or an interruption has been delivered. */
mi_source_result mi_source_run(mi_source *source, const mi_source_sink *sink,
                               char error[MI_SOURCE_ERROR_SIZE]);

/* Closes everything, removing the socket if it is still there. */
void mi_source_close(mi_source *source);

#ifdef __cplusplus
}
#endif

#endif
