/* The attribute storage of instances, read without materialising it.
 *
 * Reading obj.__dict__ creates a dict for objects whose attributes live in
 * a values array (3.12) or inline (3.13). This reads the storage where it
 * is and reports what sys.getsizeof(obj.__dict__) would return. */
#ifndef MI_INSTANCE_DICT_H
#define MI_INSTANCE_DICT_H

#include "cpython_internals.h"

typedef struct {
    Py_ssize_t attributes;      /* number of attributes stored */
    Py_ssize_t dict_size;       /* sys.getsizeof of the (would-be) dict */
    PyObject *dict;             /* the dict when one exists, borrowed */
    PyDictKeysObject *keys;     /* shared keys when there is no dict */
    PyObject **values;          /* the values matching `keys` */
} mi_instance_dict;

/* Returns 1 and fills `info` when `object` has instance attribute storage
   holding at least one attribute, else 0. Types are not instances here:
   their namespace is not something __slots__ could replace. */
int mi_instance_dict_read(PyObject *object, mi_instance_dict *info);

/* Whether a dict object holds the instance attributes of `object` (as
   opposed to a values array, or nothing yet). */
int mi_instance_dict_exists(PyObject *object);

/* Calls visit(name, arg) for each attribute name found by the last read. */
int mi_instance_dict_visit_names(const mi_instance_dict *info,
                                 visitproc visit, void *arg);

#endif
