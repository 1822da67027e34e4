#include "module_scan.h"

#include <stdlib.h>

void
mi_module_scan_init(mi_module_scan *scan)
{
    *scan = (mi_module_scan){0};
}

void
mi_module_scan_free(mi_module_scan *scan)
{
    free(scan->seen);
    mi_module_scan_init(scan);
}

/* Makes room for `length` entries (the new ones NULL). 0, or -1 with
   MemoryError set. */
static int
reserve(mi_module_scan *scan, size_t length)
{
    if (length <= scan->capacity) {
        return 0;
    }
    size_t capacity = scan->capacity ? scan->capacity : 1024;
    while (capacity < length) {
        capacity *= 2;
    }
    const PyObject **seen = realloc(scan->seen, capacity * sizeof *seen);
    if (seen == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = scan->capacity; i < capacity; i++) {
        seen[i] = NULL;
    }
    scan->seen = seen;
    scan->capacity = capacity;
    return 0;
}

/* Whether `name` is one of `importing`: 1, 0, or -1 with an exception. */
static int
is_importing(PyObject *importing, PyObject *name)
{
    if (importing == NULL || !PyUnicode_CheckExact(name)) {
        return 0;
    }
    return PySet_Contains(importing, name);
}

int
mi_module_scan_new(mi_module_scan *scan, PyObject *modules,
                   PyObject *importing,
                   int (*add)(PyObject *value, void *arg), void *arg)
{
    PyDictKeysObject *keys = ((PyDictObject *)modules)->ma_keys;
    if (scan->dict != modules || scan->keys != keys) {
        /* Another dict, or this one resized: its entries moved. */
        for (size_t i = 0; i < scan->length; i++) {
            scan->seen[i] = NULL;
        }
        scan->length = 0;
        scan->dict = modules;
        scan->keys = keys;
    }
    Py_ssize_t position = 0;
    PyObject *name, *value;
    while (PyDict_Next(modules, &position, &name, &value)) {
        /* PyDict_Next leaves the position just after the entry. */
        size_t entry = (size_t)position - 1;
        if (entry < scan->length && scan->seen[entry] == value) {
            continue;
        }
        int in_progress = is_importing(importing, name);
        if (in_progress < 0) {
            return -1;
        }
        if (in_progress) {
            continue;       /* its own import's walk, or a later one */
        }
        if (reserve(scan, entry + 1) < 0 || add(value, arg) < 0) {
            return -1;
        }
        scan->seen[entry] = value;
        if (scan->length < entry + 1) {
            scan->length = entry + 1;
        }
    }
    return 0;
}
