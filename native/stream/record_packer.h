/* Packs a record, given as a tree of Python objects, into msgpack (the
 * format of native/records.h) with msgpack-c's packer.
 *
 * A record is a tuple or a list whose element 0 is its kind: an int from 1
 * to MI_RECORD_KIND_MAX. Its elements, and theirs, may be:
 *
 *   None              nil
 *   bool              true, false
 *   int               uint when >= 0, int when < 0, in the smallest form;
 *                     beyond 64 bits (below -2**63 or above 2**64-1):
 *                     ValueError
 *   float             float 64
 *   str               str, in UTF-8. A lone surrogate (which UTF-8 cannot
 *                     carry) becomes '?', as str.encode('utf-8', 'replace')
 *                     does: a recording holds valid UTF-8 only.
 *   bytes             bin
 *   list, tuple       array
 *   dict              map (keys of the types above)
 *
 * of exactly these types: a subclass (of str, int, dict, ...) is a
 * TypeError, since reading it could run its Python code. No Python code
 * runs while packing and no Python object is created, apart from the
 * exception of a failure. Containers nest at most MI_PACK_MAX_DEPTH deep
 * (a container holding itself is a ValueError, not a crash).
 *
 * On failure, a Python exception is set and the packer's buffer holds a
 * part of the record: the caller discards it. */
#ifndef MI_STREAM_RECORD_PACKER_H
#define MI_STREAM_RECORD_PACKER_H

#ifndef PY_SSIZE_T_CLEAN
#  define PY_SSIZE_T_CLEAN
#endif
#include <Python.h>
#include <msgpack.h>
#include <stdint.h>

#define MI_PACK_MAX_DEPTH 32

/* The kind of a record (element 0), checking the record's shape; -1 with
   TypeError or ValueError when it is not a record. */
long mi_record_kind(PyObject *record);

/* Packs the record; 0, or -1 with an exception (TypeError for a type that
   cannot be packed, ValueError for a value, MemoryError). */
int mi_record_pack(msgpack_packer *packer, PyObject *record);

/* Packs END: [MI_RECORD_END, records, dropped]; 0, or -1 with
   MemoryError. */
int mi_record_pack_end(msgpack_packer *packer, uint64_t records,
                       uint64_t dropped);

#endif
