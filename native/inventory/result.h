/* The walk's findings as plain Python objects.
 *
 * Builds, in this order: what still needs the borrowed pointers of the walk
 * (duplicates, attribute names, the types themselves), then the sizes that
 * need a Python __sizeof__ (the first Python code that may run), then the
 * per-type tables; an accounting walk adds its totals per owner and the
 * rows of what no owner holds. The layout of the returned dict is
 * documented in python/memory_inventory/_native.pyi and below. */
#ifndef MI_RESULT_H
#define MI_RESULT_H

#include "walk.h"

/* How engine.inventory() wants its results, ready to use (NULL: the plain
   rows that an AttributionTracker returns too). */
typedef struct {
    /* Tuple subclasses with no fields beyond a tuple's (named tuples):
       model.TypeStats and model.DuplicateValue. */
    PyTypeObject *type_row;
    PyTypeObject *duplicate_row;
    /* type.__dict__['__module__'] (see type_names.h). */
    PyObject *type_module;
} mi_result_shaping;

/* Returns a new dict, or NULL with an exception set.
 *
 * Plain: 'types' lists a row (a tuple) per type met, instances or not, by
 * bytes then instances, descending, ties in the order met; 'duplicates'
 * lists a row per group of equal values, by savable bytes.
 *
 * Shaped: the rows are instances of the shaping's classes, in tuples;
 * 'types' holds only the types with instances, ties broken by name;
 * 'uninstantiated_types' holds the types without instances (exceptions
 * left out) sorted by name; 'duplicate_totals' holds (type, savable bytes,
 * duplicate instances, values) for each duplicate type with instances, in
 * the order of 'types'. Names are naming.qual_name's; computing them can
 * run Python code (a metaclass's __name__), after the walk's pointers are
 * no longer read. */
PyObject *mi_result_build(mi_walk *walk, const mi_result_shaping *shaping);

/* {name: instances} from a map of attribute-name objects (addresses) to
   counts; names that are not str are left out, and equal names held by
   different objects merged (as exact str copies: a subclass's __hash__ or
   __eq__ must not run while the walk's pointers are borrowed). A new
   dict, or NULL with an exception set. */
PyObject *mi_result_attribute_names(const mi_count_map *map);

#endif
