/* What the extension's other C files may ask of a RecordWriter (the type
 * is defined in module.c, next to its Python methods). */
#ifndef MI_STREAM_RECORD_WRITER_H
#define MI_STREAM_RECORD_WRITER_H

#ifndef PY_SSIZE_T_CLEAN
#  define PY_SSIZE_T_CLEAN
#endif
#include <Python.h>
#include <stdint.h>

/* Whether `object` is a RecordWriter. */
int mi_record_writer_check(PyObject *object);

/* Queues `records` whole records, packed one after the other in `bytes`,
   as write() queues one: 1 when queued, 0 when dropped (no room, or the
   collector is gone: warned about once), -1 with an exception (a closed
   writer, or the warning turned into an error). */
int mi_record_writer_push_batch(PyObject *writer, const void *bytes,
                                size_t size, uint64_t records);

#endif
