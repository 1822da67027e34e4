#include "result.h"

#include "object_size.h"
#include "value_equality.h"

static int
equal_values(void *a, void *b)
{
    return mi_value_equal((PyObject *)a, (PyObject *)b);
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

/* {name: instances}: names are object addresses in the map; equal names
   held by different objects are merged. */
static PyObject *
attribute_names_as_dict(const mi_count_map *map)
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

/* (type, value, copies, size, immortal, interned, refcounts, addresses) */
static PyObject *
build_duplicate_row(const mi_duplicate_candidates *candidates,
                    const mi_duplicate_group *group)
{
    mi_count_map refcounts;
    mi_address_sample addresses;
    unsigned long long immortal = 0;
    unsigned long long interned = 0;
    PyObject *py_refcounts = NULL;
    PyObject *py_addresses = NULL;
    PyObject *row = NULL;

    mi_count_map_init(&refcounts);
    mi_address_sample_init(&addresses);
    for (size_t i = group->start; i < group->end; i++) {
        PyObject *member = candidates->items[i].object;
        mi_address_sample_add(&addresses, (uintptr_t)member);
        interned += PyUnicode_CheckExact(member)
            && PyUnicode_CHECK_INTERNED(member);
        if (_Py_IsImmortal(member)) {
            immortal++;
        }
        else if (mi_count_map_add(&refcounts, (uint64_t)Py_REFCNT(member),
                                  1) < 0) {
            PyErr_NoMemory();
            goto cleanup;
        }
    }
    py_refcounts = count_map_as_dict(&refcounts);
    py_addresses = addresses_as_list(&addresses);
    if (py_refcounts == NULL || py_addresses == NULL) {
        goto cleanup;
    }
    PyObject *value = candidates->items[group->start].object;
    row = Py_BuildValue("(OOnnKKOO)", (PyObject *)Py_TYPE(value), value,
                        (Py_ssize_t)(group->end - group->start), group->size,
                        immortal, interned, py_refcounts, py_addresses);

cleanup:
    mi_count_map_free(&refcounts);
    Py_XDECREF(py_refcounts);
    Py_XDECREF(py_addresses);
    return row;
}

/* The rows of every group of two or more equal values, by savable bytes. */
static PyObject *
build_duplicates(mi_walk *walk)
{
    mi_duplicate_candidates *candidates = &walk->candidates;
    mi_duplicate_group *groups = NULL;
    size_t n_groups = 0;
    size_t capacity = 0;
    PyObject *rows = NULL;

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
        groups[n_groups].start = start;
        groups[n_groups].end = end;
        groups[n_groups].size = size;
        groups[n_groups].savable = (uint64_t)size * (end - start - 1);
        n_groups++;
    }
    if (n_groups > 1) {
        qsort(groups, n_groups, sizeof *groups, compare_groups);
    }
    rows = PyList_New((Py_ssize_t)n_groups);
    if (rows == NULL) {
        goto cleanup;
    }
    for (size_t i = 0; i < n_groups; i++) {
        PyObject *row = build_duplicate_row(candidates, &groups[i]);
        if (row == NULL) {
            Py_CLEAR(rows);
            goto cleanup;
        }
        PyList_SET_ITEM(rows, (Py_ssize_t)i, row);
    }

cleanup:
    free(groups);
    return rows;
}

static int
measure_deferred(mi_walk *walk, unsigned long long *fallbacks)
{
    for (size_t i = 0; i < walk->n_deferred; i++) {
        PyObject *object = walk->deferred[i].object;
        size_t size = _PySys_GetSizeOf(object);
        if (size == (size_t)-1) {
            if (PyErr_Occurred() && !PyErr_ExceptionMatches(PyExc_Exception)) {
                return -1;      /* KeyboardInterrupt and the like */
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
    dict_instances, dict_bytes, attribute_names) */
static PyObject *
build_type_row(const mi_type_stats *stats, PyObject *attribute_names)
{
    PyObject *refcounts = count_map_as_dict(&stats->refcounts);
    PyObject *addresses = addresses_as_list(&stats->addresses);
    PyObject *row = NULL;
    if (refcounts != NULL && addresses != NULL) {
        row = Py_BuildValue(
            "(OKKKKOOKKO)", (PyObject *)stats->type,
            (unsigned long long)stats->instances,
            (unsigned long long)stats->bytes,
            (unsigned long long)stats->immortal,
            (unsigned long long)stats->interned, refcounts, addresses,
            (unsigned long long)stats->dict_instances,
            (unsigned long long)stats->dict_bytes, attribute_names);
    }
    Py_XDECREF(refcounts);
    Py_XDECREF(addresses);
    return row;
}

/* Strong references to the types of `table` and their attribute-name
   dicts, in table order: what needs the walk's borrowed pointers. Returns
   0, or -1 with an exception set. */
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
        PyObject *dict = attribute_names_as_dict(
            &table->stats[i].attribute_names);
        if (dict == NULL) {
            return -1;
        }
        PyList_SET_ITEM(*names, (Py_ssize_t)i, dict);
    }
    return 0;
}

/* The rows of `table`, types by bytes then instances, descending. */
static PyObject *
build_type_rows(const mi_type_table *table, PyObject *names)
{
    size_t n_types = table->length;
    mi_type_order *order = malloc((n_types ? n_types : 1) * sizeof *order);
    PyObject *rows = NULL;

    if (order == NULL) {
        PyErr_NoMemory();
        goto cleanup;
    }
    for (size_t i = 0; i < n_types; i++) {
        order[i].bytes = table->stats[i].bytes;
        order[i].instances = table->stats[i].instances;
        order[i].index = i;
    }
    qsort(order, n_types, sizeof *order, compare_type_order);
    rows = PyList_New((Py_ssize_t)n_types);
    if (rows == NULL) {
        goto cleanup;
    }
    for (size_t i = 0; i < n_types; i++) {
        size_t index = order[i].index;
        PyObject *row = build_type_row(
            &table->stats[index], PyList_GET_ITEM(names, (Py_ssize_t)index));
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

PyObject *
mi_result_build(mi_walk *walk)
{
    PyObject *result = NULL;
    PyObject *types = NULL;         /* strong references, table order */
    PyObject *names = NULL;         /* attribute-name dicts, table order */
    PyObject *unattributed_types = NULL;    /* the same, accounting */
    PyObject *unattributed_names = NULL;
    PyObject *duplicates = NULL;
    PyObject *type_rows = NULL;
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
    if (mi_duplicate_groups_build(&walk->candidates,
                                  equal_values) < 0) {
        PyErr_NoMemory();
        goto cleanup;
    }
    duplicates = build_duplicates(walk);
    if (duplicates == NULL) {
        goto cleanup;
    }

    /* 2. The only Python code: __sizeof__ methods written in Python. */
    if (measure_deferred(walk, &fallbacks) < 0) {
        goto cleanup;
    }

    /* 3. The tables. */
    type_rows = build_type_rows(&walk->types, names);
    if (type_rows == NULL) {
        goto cleanup;
    }
    result = Py_BuildValue(
        "{sKsKsOsnsnsKsOsO}",
        "objects", (unsigned long long)walk->objects,
        "bytes", (unsigned long long)walk->bytes,
        "limit_reached", walk->limit_reached ? Py_True : Py_False,
        "pending", (Py_ssize_t)walk->left_pending,
        "python_sizeof_calls", (Py_ssize_t)walk->n_deferred,
        "sizeof_fallbacks", fallbacks,
        "types", type_rows,
        "duplicates", duplicates);
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
    return result;
}
