/* The edges of the walk: every object an object refers to.
 *
 * tp_traverse exists for the cycle collector and leaves out references that
 * cannot form cycles (str keys of dicts, the fields of code objects, the
 * names of descriptors, static types, ...). This adds them back, without
 * running Python code and without creating or changing any object. */
#ifndef MI_REFERENTS_H
#define MI_REFERENTS_H

#include "cpython_internals.h"

/* Calls visit(referent, arg) for each referent of `object` (a referent may
   be visited more than once). Returns 0, or the first non-zero value that
   visit returned. */
int mi_visit_referents(PyObject *object, visitproc visit, void *arg);

/* Calls visit for each attribute name of the shared keys of a heap type. */
int mi_visit_shared_key_names(PyTypeObject *type, visitproc visit, void *arg);

#endif
