/* The intrinsic size of an object: what sys.getsizeof returns, computed
 * without running Python code.
 *
 * sys.getsizeof calls __sizeof__ and adds the pre-header (GC links, managed
 * dict and weakref pointers). When __sizeof__ is implemented in C, it is
 * called directly; when it is Python code, the object is left for later:
 * Python code must not run during the walk. */
#ifndef MI_OBJECT_SIZE_H
#define MI_OBJECT_SIZE_H

#include "cpython_internals.h"

typedef enum {
    MI_SIZE_KNOWN = 0,
    MI_SIZE_NEEDS_PYTHON = 1,   /* __sizeof__ is not a C method */
} mi_size_status;

/* Prepares the lookups; returns 0, or -1 with an exception set. */
int mi_object_size_init(void);

/* Sets *size to sys.getsizeof(object), or returns MI_SIZE_NEEDS_PYTHON. */
mi_size_status mi_object_size(PyObject *object, Py_ssize_t *size);

/* The pre-header that sys.getsizeof adds to what __sizeof__ returns. */
Py_ssize_t mi_object_preheader_size(PyObject *object);

/* What object.__sizeof__ would return, plus the pre-header: the fallback
   when a Python __sizeof__ fails. */
Py_ssize_t mi_object_basic_size(PyObject *object);

#endif
