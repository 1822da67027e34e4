/* Where the collector saves its results, created safely.
 *
 * A directory the user names (--save-dir) is created with mode 0700 when
 * missing, parents too, and reused when it exists; files written in it
 * replace those of the same name, atomically (written under a temporary
 * name, then renamed over), never following a symbolic link. Otherwise
 * (--save-dir-prefix) the directory is new and unique: mkdtemp(PREFIX +
 * "XXXXXX"), mode 0700, never a fixed path that someone could have
 * planted as a symbolic link; files in it are created, never replaced.
 * Files are opened relative to the directory's descriptor (openat), with
 * mode 0600. */
#ifndef MI_COLLECTOR_OUTPUT_DIR_H
#define MI_COLLECTOR_OUTPUT_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int fd;                 /* the directory, or -1 */
    char *path;             /* absolute, without a trailing '/' */
    bool replace;           /* user-named: files may replace others */
} mi_output_dir;

#define MI_OUTPUT_ERROR_SIZE 512

/* --save-dir DIR. Returns 0, or -1 with a message in `error`. */
int mi_output_dir_open(mi_output_dir *dir, const char *path,
                       char error[MI_OUTPUT_ERROR_SIZE]);

/* --save-dir-prefix PREFIX: a new directory PREFIX + 6 random
   characters. Returns 0, or -1 with a message in `error`. */
int mi_output_dir_create_unique(mi_output_dir *dir, const char *prefix,
                                char error[MI_OUTPUT_ERROR_SIZE]);

void mi_output_dir_close(mi_output_dir *dir);

typedef struct {
    FILE *stream;           /* write here */
    int dir_fd;
    char *name;             /* the final name */
    char *temporary;        /* the name written under, or NULL */
} mi_output_file;

/* Opens `name` (a plain file name, no '/') in `dir` for writing. Returns
   0, or -1 with errno set (EEXIST: a new directory holds it already). */
int mi_output_file_open(const mi_output_dir *dir, const char *name,
                        mi_output_file *file);

/* Closes the file and, when written under a temporary name, renames it
   over `name`. Returns 0, or -1 with errno set (the file is then
   removed). */
int mi_output_file_commit(mi_output_file *file);

/* Closes and removes the file (a failed write). */
void mi_output_file_abort(mi_output_file *file);

#ifdef __cplusplus
}
#endif

#endif
