#include "result.h"

#include "object_size.h"
#include "type_names.h"
#include "value_equality.h"

static int
equal_values(void *a, void *b)
{
    return mi_value_equal((PyObject *)a, (PyObject *)b);
}

/* A row of `n` items, of class `cls` (a tuple subclass with no more fields
   than a tuple, checked by the caller) or a plain tuple when NULL; steals
   the references of `items`, and returns NULL with an exception set when
   one of them is NULL (a failed creation). */
static PyObject *
new_row(PyTypeObject *cls, PyObject **items, Py_ssize_t n)
{
    PyObject *row = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (items[i] == NULL) {
            goto cleanup;
        }
    }
    row = cls == NULL ? PyTuple_New(n) : cls->tp_alloc(cls, n);
    if (row == NULL) {
        goto cleanup;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTuple_SET_ITEM(row, i, items[i]);
        items[i] = NULL;
    }

cleanup:
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_XDECREF(items[i]);
    }
    return row;
}

static PyObject *
count_map_as_dict(const mi_count_map *map)
{
    PyObject *dict = PyDict_New();
    if (dict == NULL) {
        return NULL;
    }
    size_t position = 0;
    uint64_t key;
    uint64_t count;
    while (mi_count_map_next(map, &position, &key, &count)) {
        PyObject *py_key = PyLong_FromUnsignedLongLong(key);
        PyObject *py_count = PyLong_FromUnsignedLongLong(count);
        int status = (py_key == NULL || py_count == NULL) ? -1
            : PyDict_SetItem(dict, py_key, py_count);
        Py_XDECREF(py_key);
        Py_XDECREF(py_count);
        if (status < 0) {
            Py_DECREF(dict);
            return NULL;
        }
    }
    return dict;
}

PyObject *
mi_result_attribute_names(const mi_count_map *map)
{
    PyObject *dict = PyDict_New();
    if (dict == NULL) {
        return NULL;
    }
    size_t position = 0;
    uint64_t key;
    uint64_t count;
    while (mi_count_map_next(map, &position, &key, &count)) {
        PyObject *found = (PyObject *)(uintptr_t)key;
        if (!PyUnicode_Check(found)) {
            continue;       /* non-str keys cannot become slots */
        }
        /* An exact str: a subclass's __hash__ or __eq__ is Python code,
           which must not run while the walk's pointers are borrowed
           (PyUnicode_FromObject copies a subclass in C). */
        PyObject *name = PyUnicode_FromObject(found);
        if (name == NULL) {
            goto error;
        }
        PyObject *previous = PyDict_GetItemWithError(dict, name);
        if (previous == NULL && PyErr_Occurred()) {
            Py_DECREF(name);
            goto error;
        }
        unsigned long long total = count;
        if (previous != NULL) {
            total += PyLong_AsUnsignedLongLong(previous);
        }
        PyObject *py_total = PyLong_FromUnsignedLongLong(total);
        if (py_total == NULL) {
            Py_DECREF(name);
            goto error;
        }
        int status = PyDict_SetItem(dict, name, py_total);
        Py_DECREF(py_total);
        Py_DECREF(name);
        if (status < 0) {
            goto error;
        }
    }
    return dict;

error:
    Py_DECREF(dict);
    return NULL;
}

static PyObject *
addresses_as_list(const mi_address_sample *sample)
{
    uintptr_t sorted[2 * MI_ADDRESS_SAMPLE_HALF];
    size_t n = mi_address_sample_sorted(sample, sorted);
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (list == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        PyObject *address = PyLong_FromSize_t(sorted[i]);
        if (address == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, address);
    }
    return list;
}

/* A group of two or more equal values, before it becomes a row. */
typedef struct {
    size_t start;       /* in walk->candidates, after grouping */
    size_t end;
    Py_ssize_t size;    /* of one copy */
    uint64_t savable;
} mi_duplicate_group;

/* The duplicates of one type, all values together. */
typedef struct {
    uint64_t savable;
    uint64_t extra;     /* copies beyond the first of each value */
    uint64_t values;
} mi_duplicate_total;

static int
compare_groups(const void *left, const void *right)
{
    /* By savable bytes, then copies, descending; then by first address so
       that the order does not depend on the sort. */
    const mi_duplicate_group *a = left;
    const mi_duplicate_group *b = right;
    if (a->savable != b->savable) {
        return a->savable > b->savable ? -1 : 1;
    }
    size_t copies_a = a->end - a->start;
    size_t copies_b = b->end - b->start;
    if (copies_a != copies_b) {
        return copies_a > copies_b ? -1 : 1;
    }
    return a->start < b->start ? -1 : (a->start > b->start);
}

/* (type, value, copies, size, immortal, interned, refcounts, addresses);
   `refcounts` is a scratch map, emptied first. */
static PyObject *
build_duplicate_row(const mi_duplicate_candidates *candidates,
                    const mi_duplicate_group *group, PyTypeObject *cls,
                    mi_count_map *refcounts)
{
    mi_address_sample addresses;
    unsigned long long immortal = 0;
    unsigned long long interned = 0;

    mi_count_map_clear(refcounts);
    mi_address_sample_init(&addresses);
    for (size_t i = group->start; i < group->end; i++) {
        PyObject *member = candidates->items[i].object;
        mi_address_sample_add(&addresses, (uintptr_t)member);
        interned += PyUnicode_CheckExact(member)
            && PyUnicode_CHECK_INTERNED(member);
        if (_Py_IsImmortal(member)) {
            immortal++;
        }
        else if (mi_count_map_add(refcounts, (uint64_t)Py_REFCNT(member),
                                  1) < 0) {
            PyErr_NoMemory();
            return NULL;
        }
    }
    PyObject *value = candidates->items[group->start].object;
    PyObject *items[] = {
        Py_NewRef(Py_TYPE(value)),
        Py_NewRef(value),
        PyLong_FromSize_t(group->end - group->start),
        PyLong_FromSsize_t(group->size),
        PyLong_FromUnsignedLongLong(immortal),
        PyLong_FromUnsignedLongLong(interned),
        count_map_as_dict(refcounts),
        addresses_as_list(&addresses),
    };
    return new_row(cls, items, Py_ARRAY_LENGTH(items));
}

/* The rows of every group of two or more equal values, by savable bytes,
   as a list (a tuple when `cls` is given); adds each group to the
   `totals` of its type (indexed like walk->types). */
static PyObject *
build_duplicates(mi_walk *walk, PyTypeObject *cls, mi_duplicate_total *totals)
{
    mi_duplicate_candidates *candidates = &walk->candidates;
    mi_duplicate_group *groups = NULL;
    size_t n_groups = 0;
    size_t capacity = 0;
    PyObject *rows = NULL;
    mi_count_map refcounts;     /* of one group, then the next */

    mi_count_map_init(&refcounts);

    for (size_t start = 0, end; start < candidates->length; start = end) {
        end = start + 1;
        while (end < candidates->length
               && candidates->items[end].group
                  == candidates->items[start].group) {
            end++;
        }
        if (end - start < 2) {
            continue;
        }
        if (n_groups == capacity) {
            capacity = capacity ? capacity * 2 : 1024;
            mi_duplicate_group *grown =
                realloc(groups, capacity * sizeof *groups);
            if (grown == NULL) {
                PyErr_NoMemory();
                goto cleanup;
            }
            groups = grown;
        }
        PyObject *value = candidates->items[start].object;
        Py_ssize_t size;
        if (mi_object_size(value, &size) != MI_SIZE_KNOWN) {
            size = mi_object_basic_size(value);
        }
        mi_duplicate_group *group = &groups[n_groups++];
        group->start = start;
        group->end = end;
        group->size = size;
        group->savable = (uint64_t)size * (end - start - 1);
        mi_duplicate_total *total =
            &totals[candidates->items[start].type_index];
        total->savable += group->savable;
        total->extra += end - start - 1;
        total->values++;
    }
    if (n_groups > 1) {
        qsort(groups, n_groups, sizeof *groups, compare_groups);
    }
    rows = cls == NULL ? PyList_New((Py_ssize_t)n_groups)
                       : PyTuple_New((Py_ssize_t)n_groups);
    if (rows == NULL) {
        goto cleanup;
    }
    for (size_t i = 0; i < n_groups; i++) {
        PyObject *row = build_duplicate_row(candidates, &groups[i], cls,
                                            &refcounts);
        if (row == NULL) {
            Py_CLEAR(rows);
            goto cleanup;
        }
        if (cls == NULL) {
            PyList_SET_ITEM(rows, (Py_ssize_t)i, row);
        }
        else {
            PyTuple_SET_ITEM(rows, (Py_ssize_t)i, row);
        }
    }

cleanup:
    free(groups);
    mi_count_map_free(&refcounts);
    return rows;
}

typedef struct {
    uint64_t bytes;
    uint64_t instances;
    size_t index;       /* in walk->types */
} mi_type_order;

static int
compare_type_order(const void *left, const void *right)
{
    /* By bytes, then instances, descending; ties in table order. */
    const mi_type_order *a = left;
    const mi_type_order *b = right;
    if (a->bytes != b->bytes) {
        return a->bytes > b->bytes ? -1 : 1;
    }
    if (a->instances != b->instances) {
        return a->instances > b->instances ? -1 : 1;
    }
    return a->index < b->index ? -1 : (a->index > b->index);
}

/* (type, instances, bytes, immortal, interned, refcounts, addresses,
    dict_instances, dict_bytes, attribute_names); `attribute_names` is the
   dict built while the pointers were valid, or None for an empty one. */
static PyObject *
build_type_row(const mi_type_stats *stats, PyObject *attribute_names,
               PyTypeObject *cls)
{
    PyObject *items[] = {
        Py_NewRef((PyObject *)stats->type),
        PyLong_FromUnsignedLongLong(stats->instances),
        PyLong_FromUnsignedLongLong(stats->bytes),
        PyLong_FromUnsignedLongLong(stats->immortal),
        PyLong_FromUnsignedLongLong(stats->interned),
        count_map_as_dict(&stats->refcounts),
        addresses_as_list(&stats->addresses),
        PyLong_FromUnsignedLongLong(stats->dict_instances),
        PyLong_FromUnsignedLongLong(stats->dict_bytes),
        attribute_names == Py_None ? PyDict_New()
                                   : Py_NewRef(attribute_names),
    };
    return new_row(cls, items, Py_ARRAY_LENGTH(items));
}

/* Strong references to the types of `table` and their attribute-name
   dicts (None for an empty one), in table order: what needs the walk's
   borrowed pointers. Returns 0, or -1 with an exception set. */
static int
hold_types(const mi_type_table *table, PyObject **types, PyObject **names)
{
    size_t n_types = table->length;
    *types = PyList_New((Py_ssize_t)n_types);
    *names = PyList_New((Py_ssize_t)n_types);
    if (*types == NULL || *names == NULL) {
        return -1;
    }
    for (size_t i = 0; i < n_types; i++) {
        PyList_SET_ITEM(*types, (Py_ssize_t)i,
                        Py_NewRef((PyObject *)table->stats[i].type));
        const mi_count_map *map = &table->stats[i].attribute_names;
        PyObject *dict = map->count == 0 ? Py_NewRef(Py_None)
                                         : mi_result_attribute_names(map);
        if (dict == NULL) {
            return -1;
        }
        PyList_SET_ITEM(*names, (Py_ssize_t)i, dict);
    }
    return 0;
}

/* The order of the rows of `table`: by bytes then instances, descending,
   ties in table order; with `instantiated_only`, of the types with
   instances only. A new array (*n entries), or NULL with MemoryError. */
static mi_type_order *
order_types(const mi_type_table *table, int instantiated_only, size_t *n)
{
    mi_type_order *order = malloc((table->length ? table->length : 1)
                                  * sizeof *order);
    if (order == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    *n = 0;
    for (size_t i = 0; i < table->length; i++) {
        if (instantiated_only && table->stats[i].instances == 0) {
            continue;
        }
        order[*n].bytes = table->stats[i].bytes;
        order[*n].instances = table->stats[i].instances;
        order[*n].index = i;
        (*n)++;
    }
    qsort(order, *n, sizeof *order, compare_type_order);
    return order;
}

/* The rows of `table`, types by bytes then instances, descending. */
static PyObject *
build_type_rows(const mi_type_table *table, PyObject *names)
{
    size_t n_types;
    mi_type_order *order = order_types(table, 0, &n_types);
    PyObject *rows = NULL;

    if (order == NULL) {
        goto cleanup;
    }
    rows = PyList_New((Py_ssize_t)n_types);
    if (rows == NULL) {
        goto cleanup;
    }
    for (size_t i = 0; i < n_types; i++) {
        size_t index = order[i].index;
        PyObject *row = build_type_row(
            &table->stats[index], PyList_GET_ITEM(names, (Py_ssize_t)index),
            NULL);
        if (row == NULL) {
            Py_CLEAR(rows);
            goto cleanup;
        }
        PyList_SET_ITEM(rows, (Py_ssize_t)i, row);
    }

cleanup:
    free(order);
    return rows;
}

/* Breaks the ties of `order` (runs of equal bytes and instances) by the
   types' names, keeping table order among equal names. */
static int
break_ties_by_name(const mi_type_table *table, mi_type_order *order,
                   size_t n, PyObject *type_module)
{
    PyObject **run = malloc((n ? n : 1) * sizeof *run);
    size_t *by_name = malloc((n ? n : 1) * sizeof *by_name);
    mi_type_order *sorted = malloc((n ? n : 1) * sizeof *sorted);
    int status = -1;

    if (run == NULL || by_name == NULL || sorted == NULL) {
        PyErr_NoMemory();
        goto cleanup;
    }
    for (size_t start = 0, end; start < n; start = end) {
        end = start + 1;
        while (end < n && order[end].bytes == order[start].bytes
               && order[end].instances == order[start].instances) {
            end++;
        }
        size_t length = end - start;
        if (length < 2) {
            continue;
        }
        for (size_t i = 0; i < length; i++) {
            run[i] = (PyObject *)table->stats[order[start + i].index].type;
        }
        if (mi_order_types_by_name(type_module, run, length, by_name) < 0) {
            goto cleanup;
        }
        for (size_t i = 0; i < length; i++) {
            sorted[i] = order[start + by_name[i]];
        }
        memcpy(&order[start], sorted, length * sizeof *sorted);
    }
    status = 0;

cleanup:
    free(run);
    free(by_name);
    free(sorted);
    return status;
}

/* The types of `table` that have no instance, leaving out exceptions,
   sorted by name: a tuple, or NULL with an exception set. */
static PyObject *
build_uninstantiated(const mi_type_table *table, PyObject *type_module)
{
    PyObject **types = malloc((table->length ? table->length : 1)
                              * sizeof *types);
    PyObject *result = NULL;
    size_t n = 0;

    if (types == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (size_t i = 0; i < table->length; i++) {
        if (table->stats[i].instances != 0) {
            continue;
        }
        PyObject *type = (PyObject *)table->stats[i].type;
        int exception = PyObject_IsSubclass(type, PyExc_BaseException);
        if (exception < 0) {
            goto cleanup;
        }
        if (!exception) {
            types[n++] = type;
        }
    }
    if (mi_sort_types_by_name(type_module, types, n) < 0) {
        goto cleanup;
    }
    result = PyTuple_New((Py_ssize_t)n);
    if (result == NULL) {
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        PyTuple_SET_ITEM(result, (Py_ssize_t)i, Py_NewRef(types[i]));
    }

cleanup:
    free(types);
    return result;
}

static int
is_duplicate_type(const mi_walk *walk, const void *type)
{
    for (size_t i = 0; i < walk->n_duplicate_types; i++) {
        if ((const void *)walk->duplicate_types[i] == type) {
            return 1;
        }
    }
    return 0;
}

/* The rows of the types with instances, in the reports' order, as a tuple
   of shaping->type_row; and ((type, savable_bytes, duplicate_instances,
   values), ...) for those among the duplicate types, in the same order. */
static int
build_shaped_types(const mi_walk *walk, PyObject *names,
                   const mi_duplicate_total *totals,
                   const mi_result_shaping *shaping,
                   PyObject **rows, PyObject **summary)
{
    const mi_type_table *table = &walk->types;
    size_t n;
    size_t n_summary = 0;
    int status = -1;
    mi_type_order *order = order_types(table, 1, &n);

    if (order == NULL) {
        return -1;
    }
    if (break_ties_by_name(table, order, n, shaping->type_module) < 0) {
        goto cleanup;
    }
    *rows = PyTuple_New((Py_ssize_t)n);
    *summary = PyTuple_New((Py_ssize_t)walk->n_duplicate_types);
    if (*rows == NULL || *summary == NULL) {
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        size_t index = order[i].index;
        const mi_type_stats *stats = &table->stats[index];
        PyObject *row = build_type_row(
            stats, PyList_GET_ITEM(names, (Py_ssize_t)index),
            shaping->type_row);
        if (row == NULL) {
            goto cleanup;
        }
        PyTuple_SET_ITEM(*rows, (Py_ssize_t)i, row);
        if (!is_duplicate_type(walk, stats->type)) {
            continue;
        }
        const mi_duplicate_total *total = &totals[index];
        PyObject *entry = Py_BuildValue(
            "(OKKK)", (PyObject *)stats->type,
            (unsigned long long)total->savable,
            (unsigned long long)total->extra,
            (unsigned long long)total->values);
        if (entry == NULL) {
            goto cleanup;
        }
        PyTuple_SET_ITEM(*summary, (Py_ssize_t)n_summary++, entry);
    }
    if (_PyTuple_Resize(summary, (Py_ssize_t)n_summary) < 0) {
        goto cleanup;
    }
    status = 0;

cleanup:
    if (status < 0) {
        Py_CLEAR(*rows);
        Py_CLEAR(*summary);
    }
    free(order);
    return status;
}

/* Accounting: {owner: (objects, bytes)}. */
static PyObject *
build_owners(const mi_walk *walk)
{
    PyObject *owners = PyDict_New();
    if (owners == NULL) {
        return NULL;
    }
    size_t position = 0;
    uint64_t owner;
    uint64_t objects;
    while (mi_count_map_next(&walk->owned_objects, &position, &owner,
                             &objects)) {
        PyObject *key = PyLong_FromUnsignedLongLong(owner);
        PyObject *totals = Py_BuildValue(
            "(KK)", (unsigned long long)objects,
            (unsigned long long)mi_count_map_get(&walk->owned_bytes, owner));
        int status = (key == NULL || totals == NULL) ? -1
            : PyDict_SetItem(owners, key, totals);
        Py_XDECREF(key);
        Py_XDECREF(totals);
        if (status < 0) {
            Py_DECREF(owners);
            return NULL;
        }
    }
    return owners;
}

/* Accounting: adds 'owners' and 'unattributed' to the result. */
static int
add_accounting(PyObject *result, const mi_walk *walk, PyObject *names)
{
    PyObject *owners = build_owners(walk);
    PyObject *rows = build_type_rows(&walk->unattributed, names);
    int status = (owners == NULL || rows == NULL) ? -1
        : (PyDict_SetItemString(result, "owners", owners) < 0
           || PyDict_SetItemString(result, "unattributed", rows) < 0) ? -1
        : 0;
    Py_XDECREF(owners);
    Py_XDECREF(rows);
    return status;
}

/* Shaped: adds the rows, the uninstantiated types and the duplicates'
   totals to the result. */
static int
add_shaped(PyObject *result, const mi_walk *walk, PyObject *names,
           const mi_duplicate_total *totals,
           const mi_result_shaping *shaping)
{
    PyObject *rows = NULL;
    PyObject *summary = NULL;
    PyObject *uninstantiated = NULL;
    int status = -1;

    if (build_shaped_types(walk, names, totals, shaping, &rows,
                           &summary) < 0) {
        goto cleanup;
    }
    uninstantiated = build_uninstantiated(&walk->types,
                                          shaping->type_module);
    if (uninstantiated == NULL) {
        goto cleanup;
    }
    if (PyDict_SetItemString(result, "types", rows) < 0
        || PyDict_SetItemString(result, "uninstantiated_types",
                                uninstantiated) < 0
        || PyDict_SetItemString(result, "duplicate_totals", summary) < 0) {
        goto cleanup;
    }
    status = 0;

cleanup:
    Py_XDECREF(rows);
    Py_XDECREF(summary);
    Py_XDECREF(uninstantiated);
    return status;
}

PyObject *
mi_result_build(mi_walk *walk, const mi_result_shaping *shaping)
{
    PyObject *result = NULL;
    PyObject *types = NULL;         /* strong references, table order */
    PyObject *names = NULL;         /* attribute-name dicts, table order */
    PyObject *unattributed_types = NULL;    /* the same, accounting */
    PyObject *unattributed_names = NULL;
    PyObject *duplicates = NULL;
    PyObject *type_rows = NULL;
    mi_duplicate_total *totals = NULL;
    unsigned long long fallbacks = 0;
    int accounting = walk->mode == MI_WALK_ACCOUNTING;

    /* 1. Everything that reads borrowed pointers. */
    if (hold_types(&walk->types, &types, &names) < 0) {
        goto cleanup;
    }
    if (accounting && hold_types(&walk->unattributed, &unattributed_types,
                                 &unattributed_names) < 0) {
        goto cleanup;
    }
    if (mi_duplicate_groups_build_repeated(&walk->candidates,
                                           equal_values) < 0) {
        PyErr_NoMemory();
        goto cleanup;
    }
    totals = calloc(walk->types.length ? walk->types.length : 1,
                    sizeof *totals);
    if (totals == NULL) {
        PyErr_NoMemory();
        goto cleanup;
    }
    duplicates = build_duplicates(
        walk, shaping != NULL ? shaping->duplicate_row : NULL, totals);
    if (duplicates == NULL) {
        goto cleanup;
    }

    /* 2. The only Python code: __sizeof__ methods written in Python. */
    if (mi_walk_measure_deferred(walk, &fallbacks) < 0) {
        goto cleanup;
    }

    /* 3. The tables (with shaping, some Python code: names of types). */
    if (shaping == NULL) {
        type_rows = build_type_rows(&walk->types, names);
        if (type_rows == NULL) {
            goto cleanup;
        }
    }
    result = Py_BuildValue(
        "{sKsKsOsnsnsK}",
        "objects", (unsigned long long)walk->objects,
        "bytes", (unsigned long long)walk->bytes,
        "limit_reached", walk->limit_reached ? Py_True : Py_False,
        "pending", (Py_ssize_t)walk->left_pending,
        "python_sizeof_calls", (Py_ssize_t)walk->n_deferred,
        "sizeof_fallbacks", fallbacks);
    if (result == NULL) {
        goto cleanup;
    }
    if ((shaping != NULL
         ? add_shaped(result, walk, names, totals, shaping) < 0
         : PyDict_SetItemString(result, "types", type_rows) < 0)
        || PyDict_SetItemString(result, "duplicates", duplicates) < 0) {
        Py_CLEAR(result);
    }
    if (result != NULL && accounting
        && add_accounting(result, walk, unattributed_names) < 0) {
        Py_CLEAR(result);
    }

cleanup:
    Py_XDECREF(types);
    Py_XDECREF(names);
    Py_XDECREF(unattributed_types);
    Py_XDECREF(unattributed_names);
    Py_XDECREF(duplicates);
    Py_XDECREF(type_rows);
    free(totals);
    return result;
}
