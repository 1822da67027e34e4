/* The names of types as the reports print them, and a sort by them.
 *
 * mi_type_qual_name is python/memory_inventory/naming.py's qual_name done
 * in C, step for step (the same getters, comparison and formatting, in the
 * same order), so that sorting thousands of types costs no Python frame.
 * It can run Python code (a metaclass's __name__, a str subclass's __eq__
 * or __format__): call it only once the walk's borrowed pointers are no
 * longer read. */
#ifndef MI_TYPE_NAMES_H
#define MI_TYPE_NAMES_H

#include "cpython_internals.h"

/* `type_module` is type.__dict__['__module__'] (naming._type_module):
   read through type's own getter, a metaclass cannot substitute it. */

/* `module.Name`, or `Name` for builtins: a new reference, or NULL with an
   exception set. */
PyObject *mi_type_qual_name(PyObject *type_module, PyObject *type);

/* Fills order[0..n) with the indices of types[0..n) (borrowed) sorted by
   their qual_name, ascending, equal names in index order. Returns 0, or
   -1 with an exception set. */
int mi_order_types_by_name(PyObject *type_module, PyObject *const *types,
                           size_t n, size_t *order);

/* Sorts types[0..n) (borrowed references) by their qual_name, ascending,
   keeping the order of equal names, as sorted(types, key=qual_name) does.
   Returns 0, or -1 with an exception set (types then unchanged). */
int mi_sort_types_by_name(PyObject *type_module, PyObject **types, size_t n);

#endif
