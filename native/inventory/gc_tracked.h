/* The number of objects the garbage collector tracks.
 *
 * len(gc.get_objects()) without the list, and without the reference count
 * updates of PyUnstable_GC_VisitObjects: the generations' lists are read
 * in place (internal layout: CPython 3.12 and 3.13, with the GIL). Runs no
 * Python code and changes nothing. */
#ifndef MI_GC_TRACKED_H
#define MI_GC_TRACKED_H

#include "cpython_internals.h"

Py_ssize_t mi_gc_tracked(void);

#endif
