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

/* How sys.getsizeof is computed for the instances of one type: resolved
   once per type, used for each instance. */
typedef struct {
    enum {
        MI_SIZE_BY_OBJECT,      /* object.__sizeof__: from the layout */
        MI_SIZE_BY_C_METHOD,    /* a METH_NOARGS __sizeof__ in C */
        MI_SIZE_BY_PYTHON,      /* anything else: after the walk */
    } kind;
    PyCFunction method;         /* for MI_SIZE_BY_C_METHOD */
} mi_size_method;

void mi_size_method_resolve(PyTypeObject *type, mi_size_method *method);

/* sys.getsizeof(object) with the method of its type, or
   MI_SIZE_NEEDS_PYTHON. */
mi_size_status mi_object_size_with(PyObject *object,
                                   const mi_size_method *method,
                                   Py_ssize_t *size);

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
