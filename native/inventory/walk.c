#include "walk.h"

#include "instance_dict.h"
#include "object_size.h"
#include "referents.h"
#include "value_equality.h"

int
mi_walk_init(mi_walk *walk, size_t expected_objects)
{
    memset(walk, 0, sizeof *walk);
    mi_type_table_init(&walk->types);
    mi_duplicate_candidates_init(&walk->candidates);
    if (mi_pointer_set_init(&walk->seen, expected_objects) < 0) {
        goto error;
    }
    if (mi_object_stack_init(&walk->pending, 4096) < 0) {
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
    mi_object_stack_free(&walk->pending);
    mi_type_table_free(&walk->types);
    mi_duplicate_candidates_free(&walk->candidates);
}

int
mi_walk_skip(mi_walk *walk, const void *address)
{
    if (mi_pointer_set_add(&walk->seen, address) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int
enqueue(PyObject *object, void *arg)
{
    mi_walk *walk = arg;
    int added = mi_pointer_set_add(&walk->seen, object);
    if (added <= 0) {
        return added;
    }
    return mi_object_stack_push(&walk->pending, object);
}

int
mi_walk_add_root(mi_walk *walk, PyObject *object)
{
    if (enqueue(object, walk) < 0) {
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
    mi_object_stack_free(&walk->pending);
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

static int
defer_size(mi_walk *walk, PyObject *object, size_t type_index)
{
    if (walk->n_deferred == walk->deferred_capacity) {
        size_t capacity = walk->deferred_capacity ?
            walk->deferred_capacity * 2 : 64;
        mi_deferred_size *deferred =
            realloc(walk->deferred, capacity * sizeof *deferred);
        if (deferred == NULL) {
            return -1;
        }
        walk->deferred = deferred;
        walk->deferred_capacity = capacity;
    }
    walk->deferred[walk->n_deferred].object = Py_NewRef(object);
    walk->deferred[walk->n_deferred].type_index = type_index;
    walk->n_deferred++;
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

/* Records one object in the statistics of its type. Returns 0, or -1 when
   out of memory. */
static int
take_stock(mi_walk *walk, PyObject *object)
{
    PyTypeObject *type = Py_TYPE(object);
    Py_ssize_t type_index = mi_walk_type_index(walk, type);
    if (type_index < 0) {
        return -1;
    }
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
    if (mi_object_size(object, &size) == MI_SIZE_NEEDS_PYTHON) {
        size = 0;
        if (defer_size(walk, object, (size_t)type_index) < 0) {
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
    if (mi_instance_dict_read(object, &dict)) {
        stats->dict_instances++;
        stats->dict_bytes += (uint64_t)dict.dict_size;
        if (mi_instance_dict_visit_names(&dict, count_attribute_name,
                                         stats) != 0) {
            return -1;
        }
    }
    if (is_one_of(type, walk->duplicate_types, walk->n_duplicate_types)) {
        if (mi_duplicate_candidates_add(&walk->candidates, object,
                                        mi_value_hash(object),
                                        (uint32_t)type_index) < 0) {
            return -1;
        }
    }
    return 0;
}

int
mi_walk_run(mi_walk *walk)
{
    PyObject *object;
    while ((object = mi_object_stack_pop(&walk->pending)) != NULL) {
        if (walk->objects_limit != 0 && walk->objects >= walk->objects_limit) {
            /* Put it back: what is left pending is reported. */
            walk->pending.length++;
            walk->limit_reached = 1;
            return 0;
        }
        if (is_one_of(Py_TYPE(object), walk->skip_types,
                      walk->n_skip_types)) {
            continue;
        }
        if (take_stock(walk, object) < 0) {
            goto no_memory;
        }
        if (mi_visit_referents(object, enqueue, walk) != 0) {
            goto no_memory;
        }
    }
    return 0;

no_memory:
    PyErr_NoMemory();
    return -1;
}
