/* The walk's findings as plain Python objects.
 *
 * Builds, in this order: what still needs the borrowed pointers of the walk
 * (duplicates, attribute names, the types themselves), then the sizes that
 * need a Python __sizeof__ (the only Python code that runs), then the
 * per-type tables; an accounting walk adds its totals per owner and the
 * rows of what no owner holds. The layout of the returned dict is
 * documented in python/memory_inventory/_native.pyi. */
#ifndef MI_RESULT_H
#define MI_RESULT_H

#include "walk.h"

/* Returns a new dict, or NULL with an exception set. */
PyObject *mi_result_build(mi_walk *walk);

#endif
