/* The AttributionTracker type of the extension (_native.AttributionTracker):
 * incremental walks that own what they find, the final accounting, and,
 * for the Tracer, both packed straight into a RecordWriter's records
 * (walk_records.h). See its docstring in attribution_tracker.c. */
#ifndef MI_TRACE_ATTRIBUTION_TRACKER_H
#define MI_TRACE_ATTRIBUTION_TRACKER_H

#ifndef PY_SSIZE_T_CLEAN
#  define PY_SSIZE_T_CLEAN
#endif
#include <Python.h>

/* Adds AttributionTracker to the extension module: 0, or -1 with an
   exception set. */
int mi_attribution_tracker_add_type(PyObject *module);

#endif
