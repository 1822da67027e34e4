#define _XOPEN_SOURCE 700

#include "output_dir.h"
#include "file_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
say(char error[MI_OUTPUT_ERROR_SIZE], const char *what, const char *path,
    int error_number)
{
    snprintf(error, MI_OUTPUT_ERROR_SIZE, "%s %s: %s", what, path,
             strerror(error_number));
}

/* mkdir -p, with mode 0700 for what it creates. */
static int
make_directories(const char *path, char error[MI_OUTPUT_ERROR_SIZE])
{
    char *copy = strdup(path);
    int rc = -1;
    if (copy == NULL) {
        say(error, "cannot create", path, ENOMEM);
        return -1;
    }
    size_t length = strlen(copy);
    for (size_t i = 1; i <= length; i++) {
        if (copy[i] != '/' && copy[i] != '\0') {
            continue;
        }
        if (copy[i - 1] == '/') {
            continue;           /* "a//b", or the root */
        }
        char saved = copy[i];
        copy[i] = '\0';
        if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
            say(error, "cannot create the directory", copy, errno);
            goto done;
        }
        copy[i] = saved;
    }
    rc = 0;
done:
    free(copy);
    return rc;
}

int
mi_output_dir_open(mi_output_dir *dir, const char *path,
                   char error[MI_OUTPUT_ERROR_SIZE])
{
    dir->fd = -1;
    dir->path = NULL;
    dir->replace = true;
    if (path[0] == '\0') {
        snprintf(error, MI_OUTPUT_ERROR_SIZE, "the save directory is empty");
        return -1;
    }
    if (make_directories(path, error) < 0) {
        return -1;
    }
    /* The user named it: a symbolic link to a directory is theirs too. */
    dir->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir->fd < 0) {
        if (errno == ENOTDIR) {
            snprintf(error, MI_OUTPUT_ERROR_SIZE,
                     "cannot use %s: it exists and is not a directory", path);
        }
        else {
            say(error, "cannot open the directory", path, errno);
        }
        return -1;
    }
    dir->path = realpath(path, NULL);
    if (dir->path == NULL) {
        say(error, "cannot resolve", path, errno);
        mi_output_dir_close(dir);
        return -1;
    }
    return 0;
}

int
mi_output_dir_create_unique(mi_output_dir *dir, const char *prefix,
                            char error[MI_OUTPUT_ERROR_SIZE])
{
    dir->fd = -1;
    dir->path = NULL;
    dir->replace = false;
    size_t length = strlen(prefix);
    char *template = malloc(length + 7);
    if (template == NULL) {
        say(error, "cannot create a directory named after", prefix, ENOMEM);
        return -1;
    }
    memcpy(template, prefix, length);
    memcpy(template + length, "XXXXXX", 7);
    if (mkdtemp(template) == NULL) {
        int saved = errno;
        snprintf(error, MI_OUTPUT_ERROR_SIZE,
                 "cannot create a directory %sXXXXXX: %s", prefix,
                 strerror(saved));
        free(template);
        return -1;
    }
    /* Between mkdtemp and here, someone able to write in the parent could
       have swapped the directory: refuse a link, and what is not ours. */
    dir->fd = open(template, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (dir->fd < 0 || fstat(dir->fd, &st) < 0) {
        say(error, "cannot open the directory", template, errno);
        goto error;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        snprintf(error, MI_OUTPUT_ERROR_SIZE,
                 "the new directory %s was replaced by another one",
                 template);
        goto error;
    }
    dir->path = realpath(template, NULL);
    if (dir->path == NULL) {
        say(error, "cannot resolve", template, errno);
        goto error;
    }
    free(template);
    return 0;
error:
    free(template);
    mi_output_dir_close(dir);
    return -1;
}

void
mi_output_dir_close(mi_output_dir *dir)
{
    if (dir->fd >= 0) {
        close(dir->fd);
    }
    free(dir->path);
    dir->fd = -1;
    dir->path = NULL;
}

/* Opens `name` with O_EXCL: never an existing file, never a link. */
static int
create_file(int dir_fd, const char *name)
{
    return openat(dir_fd, name,
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

int
mi_output_file_open(const mi_output_dir *dir, const char *name,
                    mi_output_file *file)
{
    int fd = -1;
    memset(file, 0, sizeof(*file));
    file->dir_fd = dir->fd;
    file->name = strdup(name);
    if (file->name == NULL) {
        goto error;
    }
    if (!dir->replace) {
        fd = create_file(dir->fd, name);
    }
    else {
        size_t size = strlen(name) + 64;
        file->temporary = malloc(size);
        if (file->temporary == NULL) {
            goto error;
        }
        for (unsigned attempt = 0; fd < 0 && attempt < 100; attempt++) {
            snprintf(file->temporary, size, ".%s.%ld.%u.tmp", name,
                     (long)getpid(), attempt);
            fd = create_file(dir->fd, file->temporary);
            if (fd < 0 && errno != EEXIST) {
                break;
            }
        }
    }
    if (fd < 0) {
        goto error;
    }
    file->stream = fdopen(fd, "wb");
    if (file->stream == NULL) {
        int saved = errno;
        close(fd);
        unlinkat(dir->fd, file->temporary != NULL ? file->temporary : name,
                 0);
        errno = saved;
        goto error;
    }
    mi_file_stream_tune(file->stream);
    return 0;
error:
    {
        int saved = errno;
        free(file->name);
        free(file->temporary);
        memset(file, 0, sizeof(*file));
        errno = saved;
    }
    return -1;
}

static void
release(mi_output_file *file)
{
    free(file->name);
    free(file->temporary);
    memset(file, 0, sizeof(*file));
}

int
mi_output_file_commit(mi_output_file *file)
{
    const char *written = file->temporary != NULL ? file->temporary
                                                  : file->name;
    int rc = 0;
    int saved = 0;
    if (fclose(file->stream) != 0) {
        rc = -1;
        saved = errno;
    }
    file->stream = NULL;
    if (rc == 0 && file->temporary != NULL
        && renameat(file->dir_fd, file->temporary, file->dir_fd,
                    file->name) < 0) {
        rc = -1;
        saved = errno;
    }
    if (rc < 0) {
        unlinkat(file->dir_fd, written, 0);
        errno = saved;
    }
    release(file);
    return rc;
}

void
mi_output_file_abort(mi_output_file *file)
{
    int saved = errno;
    if (file->stream != NULL) {
        fclose(file->stream);
        unlinkat(file->dir_fd,
                 file->temporary != NULL ? file->temporary : file->name, 0);
    }
    release(file);
    errno = saved;
}
