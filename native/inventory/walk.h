/* The inventory walk: from the roots, every reachable object, once.
 *
 * mi_walk_run runs no Python code and creates no object that outlives a
 * call (the C __sizeof__ methods it calls return new ints, freed at once).
 * It holds borrowed pointers only, which is safe because nothing can run
 * that would free an object while it works; objects whose size needs a
 * Python __sizeof__ are kept, with a strong reference taken after their
 * reference count was read, and measured after the walk.
 *
 * Import tracing (native/trace/) adds two kinds of walk, with an owner map
 * (object blocks -> owner ids, see trace/object_block.h):
 * - incremental: an object already in the map is not entered (an earlier
 *   walk owns it), and every object the walk queues goes into the map with
 *   the walk's owner at once (one probe of the map per reference: the map
 *   is the walk's seen set; it has no other, only the skipped ids). An
 *   object of a skipped type leaves the map when it comes off the queue,
 *   and so do the objects a walk cut short by objects_limit left queued
 *   (what lies behind them is behind owned objects: no later incremental
 *   walk reaches it);
 * - accounting: a full walk that only reads the map (and its marks: an
 *   owned object is seen when its mark is set, so the seen set only holds
 *   the skipped ids and the objects no walk owns), and tallies each object
 *   it takes stock of under its owner, or, when it has none, in a second
 *   type table (`unattributed`). So the owners' totals and the
 *   unattributed table add up to the walk's totals exactly. */
#ifndef MI_WALK_H
#define MI_WALK_H

#include "cpython_internals.h"
#include "duplicate_groups.h"
#include "object_size.h"
#include "object_stack.h"
#include "pointer_set.h"
#include "type_table.h"
#include "../trace/owner_map.h"

#define MI_MAX_DUPLICATE_TYPES 16
#define MI_MAX_SKIP_TYPES 32
#define MI_EDGE_BATCH 16
#define MI_SKIP_FILTER_WORDS 64

typedef enum {
    MI_WALK_PLAIN = 0,
    MI_WALK_INCREMENTAL,        /* skips owned objects, owns what it finds */
    MI_WALK_ACCOUNTING,         /* tallies what it finds by owner */
} mi_walk_mode;

typedef struct {
    PyObject *object;           /* strong reference */
    size_t type_index;
    /* accounting: the owner, or -1 and the index in walk->unattributed */
    int64_t owner;
    size_t unattributed_index;
} mi_deferred_size;

/* What the walk needs to know of a type, worked out on its first instance
   and kept in a small direct-mapped cache: types repeat, and each of these
   would otherwise be a lookup per object. */
#define MI_TYPE_CACHE_SIZE 512
#define MI_NO_TYPE_INDEX UINT32_MAX

typedef struct {
    const PyTypeObject *type;   /* NULL: an empty entry */
    uint32_t index;             /* in walk->types; none for skipped types */
    uint8_t skip;               /* one of skip_types: never entered */
    uint8_t duplicates;         /* one of duplicate_types */
    mi_size_method size;
} mi_type_info;

typedef struct {
    /* configuration */
    uint64_t objects_limit;     /* 0: no limit */
    PyTypeObject *duplicate_types[MI_MAX_DUPLICATE_TYPES];
    size_t n_duplicate_types;
    PyTypeObject *skip_types[MI_MAX_SKIP_TYPES];   /* the tool's own */
    size_t n_skip_types;
    mi_walk_mode mode;
    mi_owner_map *owners;       /* not owned; NULL for a plain walk */
    uint32_t owner;             /* incremental: the owner of what it finds */
    int ownership_only;         /* incremental: own, count, no statistics */

    /* state */
    size_t expected_objects;    /* the seen set's first size */
    /* Queued, taken stock of, or skipped: made from `skipped` by the
       first root of a plain or accounting walk (an incremental walk has
       none: the owner map is its seen set). */
    mi_pointer_set seen;
    /* The skipped addresses alone (a few dozen: it stays in cache). The
       incremental and accounting walks ask it, not the seen set, about
       each owned object they meet: the seen set of the accounting walk
       holds every object no walk owns, and a probe of it is a cache
       miss. */
    mi_pointer_set skipped;
    /* A bit per hash of the skipped addresses: most objects are not
       skipped, and this answers so without asking `skipped`. */
    uint64_t skip_filter[MI_SKIP_FILTER_WORDS];
    mi_object_stack pending;
    mi_object_stack pending_owners;     /* accounting: owner + 1, or 0 */
    /* Incremental and accounting: the references met while traversing
       one object, handled in batches (see walk.c). */
    PyObject *edges[MI_EDGE_BATCH];
    size_t n_edges;
    mi_type_table types;
    mi_type_info type_cache[MI_TYPE_CACHE_SIZE];
    mi_duplicate_candidates candidates;
    mi_deferred_size *deferred;
    size_t n_deferred;
    size_t deferred_capacity;

    /* totals */
    uint64_t objects;
    uint64_t bytes;
    int limit_reached;
    size_t left_pending;        /* set by mi_walk_release_traversal */

    /* accounting: what the owners still hold, and what none does */
    mi_count_map owned_objects; /* owner -> objects */
    mi_count_map owned_bytes;   /* owner -> bytes */
    /* The objects met in a row with the same owner (the walk goes module
       by module, each mostly one import's), added to the two maps when
       the owner changes and at the end of mi_walk_run: one lookup per
       run instead of two per object. */
    uint64_t run_owner;         /* owner + 1; 0: no run */
    uint64_t run_objects;
    uint64_t run_bytes;
    mi_type_table unattributed; /* only types with instances */
} mi_walk;

/* Returns 0, or -1 with MemoryError set. */
int mi_walk_init(mi_walk *walk, size_t expected_objects);
void mi_walk_free(mi_walk *walk);

/* Before the roots: an address never to enter or count. */
int mi_walk_skip(mi_walk *walk, const void *address);
/* Checks the type arguments of a walk: tuples of at most
   MI_MAX_SKIP_TYPES types (whose instances the walk leaves alone) and
   MI_MAX_DUPLICATE_TYPES types whose duplicates it looks for (only those
   value_equality.h compares). Returns 0, or -1 with an exception set. */
int mi_walk_check_types(PyObject *skip_types, PyObject *duplicate_types);
/* Before the walk: the types of tuples that mi_walk_check_types passed
   (borrowed: the tuples must outlive the walk). */
void mi_walk_set_types(mi_walk *walk, PyObject *skip_types,
                       PyObject *duplicate_types);
/* Before the roots: makes the walk incremental (see above). */
void mi_walk_set_incremental(mi_walk *walk, mi_owner_map *owners,
                             uint32_t owner);
/* Before the roots: makes the walk the final accounting (see above). */
void mi_walk_set_accounting(mi_walk *walk, mi_owner_map *owners);

/* Before the walk: an object to start from. */
int mi_walk_add_root(mi_walk *walk, PyObject *object);

/* The walk itself. Returns 0, or -1 with MemoryError set. */
int mi_walk_run(mi_walk *walk);

/* After the walk: frees what only the walk needed (the seen set and the
   work list), keeping the number of objects left pending. */
void mi_walk_release_traversal(mi_walk *walk);

/* After the walk, once nothing reads its borrowed pointers any more: the
   sizes that need a Python __sizeof__ (the only Python code), added to
   the totals, the type tables and, when accounting, the owners' bytes. A
   __sizeof__ that raises an Exception (or returns no size) counts the
   object at its basic size, counted in *fallbacks. Returns 0, or -1 with
   an exception set (MemoryError, KeyboardInterrupt and the like). */
int mi_walk_measure_deferred(mi_walk *walk, unsigned long long *fallbacks);

/* The index in walk->types of the statistics of `type`, or -1 with
   MemoryError set. */
Py_ssize_t mi_walk_type_index(mi_walk *walk, PyTypeObject *type);

#endif
