/* Import tracing: which modules of sys.modules are new since the last
 * incremental walk.
 *
 * After every import, the tracer's walk starts from the modules that no
 * walk owns yet. Asking the owner map about each of the ~700 modules of
 * the standard library after each of its ~700 imports is a cache miss
 * per module: quadratic, about a third of the incremental walks' time.
 * A scan remembers instead, per entry of the dict's entry table, the value
 * it saw there: an entry whose value is the same object is skipped with
 * one comparison in a small array. New keys go to the end of a dict's
 * entries and a value put under an old key replaces it in place, so both
 * show up; a resized dict (a new keys object) is read again from the start
 * (then the owner map answers, as before). An object put in place of
 * another at the very address of the one it replaces, since freed, is not
 * seen as new; the final walk still finds what it holds.
 *
 * The values are compared, never referenced: no object is kept alive. */
#ifndef MI_TRACE_MODULE_SCAN_H
#define MI_TRACE_MODULE_SCAN_H

#include "../inventory/cpython_internals.h"

typedef struct {
    const PyObject *dict;           /* the dict last scanned: compared */
    const PyDictKeysObject *keys;   /* its keys object then: compared */
    const PyObject **seen;          /* per entry index, the value seen */
    size_t length;
    size_t capacity;
} mi_module_scan;

void mi_module_scan_init(mi_module_scan *scan);
void mi_module_scan_free(mi_module_scan *scan);

/* Calls add(value, arg) for each value of the dict `modules` that the
   last call with the same dict did not see at the same entry, but not for
   those whose key (an exact str) is in the set `importing` (or NULL):
   imports in progress, left to later calls. Runs no Python code. Returns
   0, or -1 with an exception set (out of memory, or add's). */
int mi_module_scan_new(mi_module_scan *scan, PyObject *modules,
                       PyObject *importing,
                       int (*add)(PyObject *value, void *arg), void *arg);

#endif
