/* Equality of values, decided in C without running Python code.
 *
 * Two objects are equal values when they are the same object, or are of the
 * same exact built-in type among str, bytes, bytearray, int, float, complex,
 * tuple, frozenset, set, list and dict with equal contents, compared the
 * same way recursively. Floats and complex numbers compare by bits, so 0.0
 * and -0.0 differ (they cannot share one object) and a NaN equals a NaN with
 * the same bits. Any other object equals only itself: its __eq__ is never
 * called. Containers nested deeper than MI_VALUE_MAX_DEPTH compare by
 * identity, which also ends cycles. */
#ifndef MI_VALUE_EQUALITY_H
#define MI_VALUE_EQUALITY_H

#include "cpython_internals.h"

#include <stdint.h>

#define MI_VALUE_MAX_DEPTH 32

/* Whether instances of this exact type can be compared as values. */
int mi_value_type_supported(PyTypeObject *type);

/* A hash consistent with mi_value_equal. Never fails, changes nothing (the
   hash caches of str and bytes are not written). */
uint64_t mi_value_hash(PyObject *object);

int mi_value_equal(PyObject *a, PyObject *b);

#endif
