/* Import tracing: the numbers of types in a recording, and their TYPE
 * records (native/records.h), made in C.
 *
 * What records.TypeIds does in Python, for the tracer's walks: the first
 * time a type is asked for, it gets the next id (from 1) and its TYPE
 * record is packed into the batch being built, so that it comes before any
 * record that refers to it. The table holds a strong reference to every
 * type it numbered (an address must not be reused for another type while
 * its id is in use) until mi_type_ids_free().
 *
 * The fields are those of records.py's TypeIds: the name as
 * naming.qual_name() spells it ("module.Name", "Name" for builtins; the
 * module read through type's own getter, '?' when it is not a str), the
 * repr as type.__repr__, the flags, and the static attributes as
 * slots.static_attributes() finds them (3.13's __static_attributes__,
 * mangled, leaving out names the class serves through a descriptor) with
 * sys.getsizeof of a dict of them. Only C code runs. */
#ifndef MI_TRACE_TYPE_IDS_H
#define MI_TRACE_TYPE_IDS_H

#include "../inventory/cpython_internals.h"
#include "../inventory/count_map.h"
#include "record_batch.h"

typedef struct {
    PyTypeObject *type;     /* strong reference */
    uint32_t id;
    int exception;          /* a subclass of BaseException */
    char *name;             /* the qualified name, UTF-8 (malloc) */
} mi_type_id;

typedef struct {
    mi_type_id *entries;    /* entries[id - 1] */
    size_t length;
    size_t capacity;
    mi_count_map index_of;  /* type address -> id */
} mi_type_ids;

void mi_type_ids_init(mi_type_ids *ids);
/* Releases the types; the GIL must be held. */
void mi_type_ids_free(mi_type_ids *ids);

/* The entry of `type`, numbering it (and packing its TYPE record into
   `batch`) the first time. Returns its id, or 0 with an exception set.
   The entry stays at ids->entries[id - 1]. */
uint32_t mi_type_ids_get(mi_type_ids *ids, PyTypeObject *type,
                         mi_record_batch *batch);

/* Forgets the types numbered after the first `length`, whose TYPE
   records were packed into a batch that was then cut back: they get their
   ids, and their records, again when next asked for. Sets no exception
   (one may be pending). Returns 0, or -1 when out of memory: the old ids
   then stay known, and a later record may name a type whose TYPE record
   was never sent. */
int mi_type_ids_truncate(mi_type_ids *ids, size_t length);

#endif
