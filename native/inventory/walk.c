#include "walk.h"

#include "instance_dict.h"
#include "object_size.h"
#include "referents.h"
#include "value_equality.h"
#include "../trace/object_block.h"

int
mi_walk_init(mi_walk *walk, size_t expected_objects)
{
    memset(walk, 0, sizeof *walk);
    mi_type_table_init(&walk->types);
    mi_duplicate_candidates_init(&walk->candidates);
    mi_count_map_init(&walk->owned_objects);
    mi_count_map_init(&walk->owned_bytes);
    mi_type_table_init(&walk->unattributed);
    /* Most objects of a heap are values (str, tuple, int, ...): one
       allocation of the size the last walk found, touched as filled. */
    mi_duplicate_candidates_expect(&walk->candidates, expected_objects);
    walk->expected_objects = expected_objects;
    if (mi_pointer_set_init(&walk->skipped, 256) < 0) {
        goto error;
    }
    if (mi_object_stack_init(&walk->pending, 4096) < 0
        || mi_object_stack_init(&walk->pending_owners, 16) < 0) {
        goto error;
    }
    return 0;

error:
    mi_walk_free(walk);
    PyErr_NoMemory();
    return -1;
}

void
mi_walk_free(mi_walk *walk)
{
    for (size_t i = 0; i < walk->n_deferred; i++) {
        Py_DECREF(walk->deferred[i].object);
    }
    free(walk->deferred);
    walk->deferred = NULL;
    walk->n_deferred = 0;
    mi_pointer_set_free(&walk->seen);
    mi_pointer_set_free(&walk->skipped);
    mi_object_stack_free(&walk->pending);
    mi_object_stack_free(&walk->pending_owners);
    mi_type_table_free(&walk->types);
    mi_duplicate_candidates_free(&walk->candidates);
    mi_count_map_free(&walk->owned_objects);
    mi_count_map_free(&walk->owned_bytes);
    mi_type_table_free(&walk->unattributed);
}

/* The bit of `address` in walk->skip_filter: its word in *word. */
static inline uint64_t
skip_filter_bit(const void *address, size_t *word)
{
    uint64_t h = (uint64_t)((uintptr_t)address >> 4)
        * UINT64_C(0x9E3779B97F4A7C15);
    *word = (size_t)(h >> 58);          /* 64 words */
    return UINT64_C(1) << ((h >> 52) & 63);
}

int
mi_walk_skip(mi_walk *walk, const void *address)
{
    if (mi_pointer_set_add(&walk->skipped, address) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    size_t word;
    uint64_t bit = skip_filter_bit(address, &word);
    walk->skip_filter[word] |= bit;
    return 0;
}

/* Whether `object` is one of the skipped addresses. */
static inline int
is_skipped(const mi_walk *walk, PyObject *object)
{
    size_t word;
    uint64_t bit = skip_filter_bit(object, &word);
    return (walk->skip_filter[word] & bit) != 0
        && mi_pointer_set_contains(&walk->skipped, object);
}

int
mi_walk_check_types(PyObject *skip_types, PyObject *duplicate_types)
{
    if (PyTuple_GET_SIZE(skip_types) > MI_MAX_SKIP_TYPES) {
        PyErr_Format(PyExc_ValueError, "at most %d types to skip",
                     MI_MAX_SKIP_TYPES);
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(skip_types); i++) {
        PyObject *type = PyTuple_GET_ITEM(skip_types, i);
        if (!PyType_Check(type)) {
            PyErr_Format(PyExc_TypeError, "not a type: %R", type);
            return -1;
        }
    }
    if (PyTuple_GET_SIZE(duplicate_types) > MI_MAX_DUPLICATE_TYPES) {
        PyErr_Format(PyExc_ValueError, "at most %d duplicate types",
                     MI_MAX_DUPLICATE_TYPES);
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(duplicate_types); i++) {
        PyObject *type = PyTuple_GET_ITEM(duplicate_types, i);
        if (!PyType_Check(type)
            || !mi_value_type_supported((PyTypeObject *)type)) {
            PyErr_Format(PyExc_ValueError,
                         "cannot detect duplicates of %R: the supported "
                         "types are str, bytes, bytearray, int, float, "
                         "complex, tuple, frozenset, set, list and dict",
                         type);
            return -1;
        }
    }
    return 0;
}

void
mi_walk_set_types(mi_walk *walk, PyObject *skip_types,
                  PyObject *duplicate_types)
{
    walk->n_skip_types = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(skip_types); i++) {
        walk->skip_types[walk->n_skip_types++] =
            (PyTypeObject *)PyTuple_GET_ITEM(skip_types, i);
    }
    walk->n_duplicate_types = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(duplicate_types); i++) {
        walk->duplicate_types[walk->n_duplicate_types++] =
            (PyTypeObject *)PyTuple_GET_ITEM(duplicate_types, i);
    }
}

static int
enqueue(PyObject *object, void *arg)
{
    mi_walk *walk = arg;
    int added = mi_pointer_set_add(&walk->seen, object);
    if (added <= 0) {
        return added;
    }
#if defined(__GNUC__)
    /* Popped soon (the work list is a stack): start loading its header. */
    __builtin_prefetch(object);
#endif
    return mi_object_stack_push(&walk->pending, object);
}

/* The visitor of incremental walks: what an earlier walk owns is not
   entered; what no walk owns is owned at once, by this walk. */
static int
enqueue_unowned(PyObject *object, void *arg)
{
    mi_walk *walk = arg;
    if (is_skipped(walk, object)) {
        return 0;
    }
    int claimed = mi_owner_map_claim(walk->owners, mi_object_block(object),
                                     walk->owner);
    if (claimed <= 0) {
        return claimed;
    }
    return mi_object_stack_push(&walk->pending, object);
}

/* Accounting: queues `object` with its owner (owner + 1, 0 for none). */
static int
push_owned(mi_walk *walk, PyObject *object, uintptr_t owner)
{
    if (mi_object_stack_push(&walk->pending, object) < 0
        || mi_object_stack_push(&walk->pending_owners,
                                (void *)owner) < 0) {
        return -1;
    }
    return 0;
}

/* The visitor of the accounting walk: an owned object's mark in the owner
   map says whether the walk saw it (the seen set holds the skipped
   addresses and the objects no walk owns: a few percent; the skipped set
   the skipped addresses alone). The owner goes on the queue with the
   object. */
static int
enqueue_accounting(PyObject *object, void *arg)
{
    mi_walk *walk = arg;
    uint32_t owner;
    switch (mi_owner_map_mark(walk->owners, mi_object_block(object),
                              &owner)) {
    case 2:
        return 0;
    case 1:
        if (is_skipped(walk, object)) {
            return 0;
        }
        return push_owned(walk, object, (uintptr_t)owner + 1);
    default: {
        int added = mi_pointer_set_add(&walk->seen, object);
        if (added <= 0) {
            return added;
        }
        return push_owned(walk, object, 0);
    }
    }
}

/* The owner map's probes are the incremental and accounting walks' main
   cost, each a cache miss, and each needs first the referent's type (its
   block depends on it: another miss). So the references of an object are
   handled in batches: each is prefetched when met, then the batch's
   blocks are prefetched in the map, then they are claimed (or marked) in
   the order met: the misses of a batch overlap. */
static int
handle_edges(mi_walk *walk, visitproc enqueue_one)
{
    size_t n = walk->n_edges;
    const void *blocks[MI_EDGE_BATCH];
    walk->n_edges = 0;
    for (size_t i = 0; i < n; i++) {
        blocks[i] = mi_object_block(walk->edges[i]);
        mi_owner_map_prefetch(walk->owners, blocks[i]);
    }
    for (size_t i = 0; i < n; i++) {
        int status = enqueue_one(walk->edges[i], walk);
        if (status != 0) {
            return status;
        }
    }
    return 0;
}

static inline int
batch_edge(mi_walk *walk, PyObject *object, visitproc enqueue_one)
{
    __builtin_prefetch(object);
    walk->edges[walk->n_edges++] = object;
    if (walk->n_edges == MI_EDGE_BATCH) {
        return handle_edges(walk, enqueue_one);
    }
    return 0;
}

static int
batch_unowned(PyObject *object, void *arg)
{
    return batch_edge(arg, object, enqueue_unowned);
}

static int
batch_accounting(PyObject *object, void *arg)
{
    return batch_edge(arg, object, enqueue_accounting);
}

void
mi_walk_set_incremental(mi_walk *walk, mi_owner_map *owners, uint32_t owner)
{
    walk->mode = MI_WALK_INCREMENTAL;
    walk->owners = owners;
    walk->owner = owner;
}

void
mi_walk_set_accounting(mi_walk *walk, mi_owner_map *owners)
{
    walk->mode = MI_WALK_ACCOUNTING;
    walk->owners = owners;
    mi_owner_map_new_marks(owners);
}

/* Plain and accounting walks: makes the seen set, holding the skipped
   addresses, unless it is made. Returns 0, or -1 when out of memory. */
static int
start_seen(mi_walk *walk)
{
    if (walk->seen.slots != NULL) {
        return 0;
    }
    if (mi_pointer_set_init(&walk->seen, walk->expected_objects) < 0) {
        return -1;
    }
    for (size_t i = 0; i <= walk->skipped.mask; i++) {
        if (walk->skipped.slots[i] != 0
            && mi_pointer_set_add(&walk->seen,
                                  (const void *)walk->skipped.slots[i]) < 0) {
            return -1;
        }
    }
    return 0;
}

int
mi_walk_add_root(mi_walk *walk, PyObject *object)
{
    if (walk->mode != MI_WALK_INCREMENTAL && start_seen(walk) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    /* The roots of incremental and accounting walks are batched as the
       references met by the walk are (an import's walk has every module
       of sys.modules for roots, most of them owned: a probe of the map
       each); mi_walk_run handles the last batch. */
    int status = walk->mode == MI_WALK_INCREMENTAL
        ? batch_unowned(object, walk)
        : walk->mode == MI_WALK_ACCOUNTING
        ? batch_accounting(object, walk) : enqueue(object, walk);
    if (status < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

void
mi_walk_release_traversal(mi_walk *walk)
{
    walk->left_pending = walk->pending.length;
    mi_pointer_set_free(&walk->seen);
    mi_pointer_set_free(&walk->skipped);
    mi_object_stack_free(&walk->pending);
    mi_object_stack_free(&walk->pending_owners);
}

Py_ssize_t
mi_walk_type_index(mi_walk *walk, PyTypeObject *type)
{
    mi_type_stats *stats = mi_type_table_get(&walk->types, type);
    if (stats == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return stats - walk->types.stats;
}

/* Keeps `object` to be measured after the walk; returns its record, or NULL
   when out of memory. */
static mi_deferred_size *
defer_size(mi_walk *walk, PyObject *object, size_t type_index)
{
    if (walk->n_deferred == walk->deferred_capacity) {
        size_t capacity = walk->deferred_capacity ?
            walk->deferred_capacity * 2 : 64;
        mi_deferred_size *deferred =
            realloc(walk->deferred, capacity * sizeof *deferred);
        if (deferred == NULL) {
            return NULL;
        }
        walk->deferred = deferred;
        walk->deferred_capacity = capacity;
    }
    mi_deferred_size *record = &walk->deferred[walk->n_deferred++];
    record->object = Py_NewRef(object);
    record->type_index = type_index;
    record->owner = -1;
    record->unattributed_index = 0;
    return record;
}

int
mi_walk_measure_deferred(mi_walk *walk, unsigned long long *fallbacks)
{
    for (size_t i = 0; i < walk->n_deferred; i++) {
        PyObject *object = walk->deferred[i].object;
        size_t size = _PySys_GetSizeOf(object);
        if (size == (size_t)-1) {
            if (PyErr_Occurred() && !PyErr_ExceptionMatches(PyExc_Exception)) {
                return -1;
            }
            PyErr_Clear();
            size = (size_t)mi_object_basic_size(object);
            (*fallbacks)++;
        }
        mi_deferred_size *deferred = &walk->deferred[i];
        walk->types.stats[deferred->type_index].bytes += size;
        walk->bytes += size;
        if (walk->mode != MI_WALK_ACCOUNTING) {
            continue;
        }
        if (deferred->owner < 0) {
            walk->unattributed.stats[deferred->unattributed_index].bytes +=
                size;
        }
        else if (mi_count_map_add(&walk->owned_bytes,
                                  (uint64_t)deferred->owner, size) < 0) {
            PyErr_NoMemory();
            return -1;
        }
    }
    return 0;
}

static int
count_attribute_name(PyObject *name, void *arg)
{
    mi_type_stats *stats = arg;
    return mi_count_map_add(&stats->attribute_names, (uintptr_t)name, 1);
}

static int
is_one_of(PyTypeObject *type, PyTypeObject *const *types, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (types[i] == type) {
            return 1;
        }
    }
    return 0;
}

/* The cached facts of `type`; NULL when out of memory. Resolving one
   creates no statistics entry for a skipped type: the tool's own types
   must not show up, not even as uninstantiated. */
static inline const mi_type_info *
type_info(mi_walk *walk, PyTypeObject *type)
{
    size_t slot = ((uintptr_t)type >> 4) & (MI_TYPE_CACHE_SIZE - 1);
    mi_type_info *info = &walk->type_cache[slot];
    if (info->type == type) {
        return info;
    }
    info->type = NULL;
    info->skip = (uint8_t)is_one_of(type, walk->skip_types,
                                    walk->n_skip_types);
    info->duplicates = (uint8_t)is_one_of(type, walk->duplicate_types,
                                          walk->n_duplicate_types);
    info->index = MI_NO_TYPE_INDEX;
    if (!info->skip) {
        Py_ssize_t index = mi_walk_type_index(walk, type);
        if (index < 0) {
            return NULL;
        }
        info->index = (uint32_t)index;
    }
    mi_size_method_resolve(type, &info->size);
    info->type = type;
    return info;
}

/* What take_stock learned of one object, for the unattributed table. */
typedef struct {
    uint64_t size;
    uint64_t refcount;
    int immortal;
    int interned;
    const mi_instance_dict *dict;   /* NULL: no instance dict */
} mi_stock;

/* Accounting: adds the run of objects of one owner to its totals. Returns
   0, or -1 when out of memory. */
static int
end_owner_run(mi_walk *walk)
{
    if (walk->run_owner == 0) {
        return 0;
    }
    uint64_t owner = walk->run_owner - 1;
    if (mi_count_map_add(&walk->owned_objects, owner, walk->run_objects) < 0
        || mi_count_map_add(&walk->owned_bytes, owner, walk->run_bytes) < 0) {
        return -1;
    }
    walk->run_owner = 0;
    walk->run_objects = 0;
    walk->run_bytes = 0;
    return 0;
}

/* Accounting: counts the object under its owner, or, with no owner, in the
   unattributed table. `deferred` is its record when its size comes after
   the walk, else NULL. Returns 0, or -1 when out of memory. */
static int
tally(mi_walk *walk, PyObject *object, const mi_stock *stock,
      mi_deferred_size *deferred, uintptr_t queued_owner)
{
    if (queued_owner != 0) {
        if (queued_owner != walk->run_owner) {
            if (end_owner_run(walk) < 0) {
                return -1;
            }
            walk->run_owner = queued_owner;
        }
        walk->run_objects++;
        walk->run_bytes += stock->size;
        if (deferred != NULL) {
            deferred->owner = (int64_t)(queued_owner - 1);
        }
        return 0;
    }
    mi_type_stats *stats = mi_type_table_get(&walk->unattributed,
                                             Py_TYPE(object));
    if (stats == NULL
        || mi_type_stats_add_instance(stats, (uintptr_t)object, stock->size,
                                      stock->refcount, stock->immortal,
                                      stock->interned) < 0) {
        return -1;
    }
    if (stock->dict != NULL) {
        stats->dict_instances++;
        stats->dict_bytes += (uint64_t)stock->dict->dict_size;
        if (mi_instance_dict_visit_names(stock->dict, count_attribute_name,
                                         stats) != 0) {
            return -1;
        }
    }
    if (deferred != NULL) {
        deferred->unattributed_index = (size_t)(stats
                                                - walk->unattributed.stats);
    }
    return 0;
}

/* Records one object in the statistics of its type; the accounting
   tallies it under `queued_owner` (owner + 1, 0 for none). Returns 0, or
   -1 when out of memory.
   Inlined into each mode's loop, where `mode` is a constant. */
static inline Py_ALWAYS_INLINE int
take_stock(mi_walk *walk, PyObject *object, const mi_type_info *info,
           const mi_walk_mode mode, uintptr_t queued_owner)
{
    size_t type_index = info->index;
    int has_duplicates = info->duplicates;
    mi_size_method size_method = info->size;
    if (PyType_Check(object)) {
        /* A type is known even when none of its instances is found. */
        if (mi_walk_type_index(walk, (PyTypeObject *)object) < 0) {
            return -1;
        }
    }
    /* Read the reference count before any reference is taken. */
    int immortal = _Py_IsImmortal(object);
    uint64_t refcount = immortal ? 0 : (uint64_t)Py_REFCNT(object);
    int interned = PyUnicode_CheckExact(object)
        && PyUnicode_CHECK_INTERNED(object);

    Py_ssize_t size = 0;
    mi_deferred_size *deferred = NULL;
    if (mi_object_size_with(object, &size_method, &size)
        == MI_SIZE_NEEDS_PYTHON) {
        size = 0;
        deferred = defer_size(walk, object, type_index);
        if (deferred == NULL) {
            return -1;
        }
    }
    mi_type_stats *stats = &walk->types.stats[type_index];
    if (mi_type_stats_add_instance(stats, (uintptr_t)object, (uint64_t)size,
                                   refcount, immortal, interned) < 0) {
        return -1;
    }
    walk->objects++;
    walk->bytes += (uint64_t)size;

    mi_instance_dict dict;
    int has_dict = mi_instance_dict_read(object, &dict);
    if (has_dict) {
        stats->dict_instances++;
        stats->dict_bytes += (uint64_t)dict.dict_size;
        if (mi_instance_dict_visit_names(&dict, count_attribute_name,
                                         stats) != 0) {
            return -1;
        }
    }
    if (has_duplicates) {
        if (mi_duplicate_candidates_add(&walk->candidates, object,
                                        mi_value_hash(object),
                                        (uint32_t)type_index) < 0) {
            return -1;
        }
    }
    if (mode == MI_WALK_ACCOUNTING) {
        mi_stock stock = {
            .size = (uint64_t)size,
            .refcount = refcount,
            .immortal = immortal,
            .interned = interned,
            .dict = has_dict ? &dict : NULL,
        };
        return tally(walk, object, &stock, deferred, queued_owner);
    }
    return 0;
}

/* Incremental: the objects left queued by objects_limit were owned when
   queued; they are not taken stock of, so they are not the walk's. */
static void
disown_pending(mi_walk *walk)
{
    for (size_t i = 0; i < walk->pending.length; i++) {
        (void)mi_owner_map_remove(walk->owners,
                                  mi_object_block(walk->pending.items[i]),
                                  NULL);
    }
}

/* The walk, for one mode: a constant, so that each mode gets its own
   loop and a plain walk pays nothing for the others. */
static inline Py_ALWAYS_INLINE int
run(mi_walk *walk, const mi_walk_mode mode)
{
    visitproc visit = mode == MI_WALK_INCREMENTAL ? batch_unowned
        : mode == MI_WALK_ACCOUNTING ? batch_accounting : enqueue;
    visitproc enqueue_one = mode == MI_WALK_INCREMENTAL ? enqueue_unowned
        : enqueue_accounting;
    PyObject *object;
    if (mode != MI_WALK_INCREMENTAL && start_seen(walk) < 0) {
        goto no_memory;
    }
    if (mode != MI_WALK_PLAIN && walk->n_edges != 0
        && handle_edges(walk, enqueue_one) != 0) {
        goto no_memory;     /* the last roots */
    }
    while ((object = mi_object_stack_pop(&walk->pending)) != NULL) {
        uintptr_t queued_owner = mode == MI_WALK_ACCOUNTING
            ? (uintptr_t)mi_object_stack_pop(&walk->pending_owners) : 0;
        if (walk->objects_limit != 0 && walk->objects >= walk->objects_limit) {
            /* Put it back: what is left pending is reported. */
            walk->pending.length++;
            walk->pending_owners.length += mode == MI_WALK_ACCOUNTING;
            walk->limit_reached = 1;
            if (mode == MI_WALK_INCREMENTAL) {
                disown_pending(walk);
            }
            break;
        }
        const mi_type_info *info = type_info(walk, Py_TYPE(object));
        if (info == NULL) {
            goto no_memory;
        }
        if (info->skip) {
            if (mode == MI_WALK_INCREMENTAL) {
                /* Queued, so owned: but never taken stock of. */
                (void)mi_owner_map_remove(walk->owners,
                                          mi_object_block(object), NULL);
            }
            continue;
        }
        if (mode == MI_WALK_INCREMENTAL && walk->ownership_only) {
            walk->objects++;
        }
        else if (take_stock(walk, object, info, mode, queued_owner) < 0) {
            goto no_memory;
        }
        if (mi_visit_referents(object, visit, walk) != 0) {
            goto no_memory;
        }
        if (mode != MI_WALK_PLAIN && walk->n_edges != 0
            && handle_edges(walk, enqueue_one) != 0) {
            goto no_memory;
        }
    }
    if (mode == MI_WALK_ACCOUNTING && end_owner_run(walk) < 0) {
        goto no_memory;
    }
    return 0;

no_memory:
    PyErr_NoMemory();
    return -1;
}

int
mi_walk_run(mi_walk *walk)
{
    switch (walk->mode) {
    case MI_WALK_INCREMENTAL:
        return run(walk, MI_WALK_INCREMENTAL);
    case MI_WALK_ACCOUNTING:
        return run(walk, MI_WALK_ACCOUNTING);
    default:
        return run(walk, MI_WALK_PLAIN);
    }
}
