/* The memory block of an object: the key of the owner map.
 *
 * The object allocator hands out a block and CPython puts the object after
 * its pre-header: the GC links (16 bytes) for GC types, then, on 3.12 and
 * 3.13, the managed dict and weakref pointers (16 more) for types that have
 * them. When the object dies, exactly this block address is passed to
 * PyObject_Free (PyObject_GC_Del subtracts the same _PyType_PreHeaderSize),
 * so keying the owner map by block lets the free hook remove an entry with
 * one lookup, and never touches a live neighbour: removing block + 16 or
 * block + 32 on every free would, when the freed block is only 16 or 32
 * bytes long, hit the object in the next block of the pool.
 *
 * Static types are not allocated at all, and have no GC header in front
 * (type's tp_is_gc says so): their address is their key. Other statically
 * allocated GC objects (the empty tuple, 3.12's deep-frozen code) keep
 * unused room for the header, so their key is distinct too. */
#ifndef MI_OBJECT_BLOCK_H
#define MI_OBJECT_BLOCK_H

#include "../inventory/cpython_internals.h"

static inline const void *
mi_object_block(PyObject *object)
{
    PyTypeObject *type = Py_TYPE(object);
    if (type->tp_is_gc != NULL && !type->tp_is_gc(object)) {
        return object;
    }
    return (const char *)object - _PyType_PreHeaderSize(type);
}

#endif
