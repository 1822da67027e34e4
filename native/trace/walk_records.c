#include "walk_records.h"

#include "../inventory/object_size.h"
#include "../inventory/result.h"
#include "../inventory/value_equality.h"
#include "../records.h"

#include <stdlib.h>
#include <string.h>

/* records.MAX_REPR: reprs are cut there, with a note. */
#define MAX_REPR 65536

/* A type table's types and attribute names, held across the Python code
   of phase 2: the names as their packed map (field attribute_names of
   TYPE_STATS), made in phase 1, copied into the records in phase 3. */
typedef struct {
    PyObject **types;       /* strong references, table order */
    mi_record_batch names;  /* the maps, one after another */
    size_t *names_end;      /* where the map of each type ends in `names`
                               (the previous end: where it starts) */
    size_t length;
} held_table;

/* A group of two or more equal values, read in phase 1: its members are
   the candidates start to start + copies - 1 (their addresses, as
   numbers, are all phase 3 reads of them). */
typedef struct {
    PyObject *value;        /* strong reference */
    size_t start;           /* in the candidates, for the order */
    uint64_t copies;
    Py_ssize_t size;        /* of one copy */
    uint64_t savable;
    uint64_t immortal;
    uint64_t interned;
} held_group;

/* The reference count of each mortal member is read in phase 1, one
   number per candidate, and made into a histogram when its group is
   packed: a histogram held for every group (thousands of small tables)
   cost more than the rest of the final records together. */
#define IMMORTAL_MEMBER UINT64_MAX

typedef struct {
    held_group *items;
    size_t length;
    size_t capacity;
    uint64_t *refcounts;    /* per candidate; IMMORTAL_MEMBER */
} held_groups;

/* A row to sort: by bytes, instances (descending), then name. */
typedef struct {
    uint64_t bytes;
    uint64_t instances;
    const char *name;
    size_t index;
} row_order;

static int
equal_values(void *a, void *b)
{
    return mi_value_equal((PyObject *)a, (PyObject *)b);
}

static void
release_table(held_table *held)
{
    for (size_t i = 0; i < held->length; i++) {
        Py_DECREF(held->types[i]);
    }
    free(held->types);
    free(held->names_end);
    msgpack_sbuffer_destroy(&held->names.buffer);
    memset(held, 0, sizeof *held);
}

static int pack_str(mi_record_batch *batch, PyObject *text);

/* The attribute names of a type are str, nearly all interned: no two of
   those are equal (interning keeps one str per value). The others (a
   module's constants added by C code, keys set through __dict__) may
   equal another name, and count as one name with it, as in the dict that
   mi_result_attribute_names makes. A class is such a name and every
   name equal to it. */
typedef struct {
    PyObject *text;         /* one of its names, for comparisons */
    PyObject *first;        /* its first name in the map's order */
    Py_hash_t hash;         /* of the text: the value of hash(name) */
    uint64_t count;         /* the instances of all its names */
    int packed;
} name_class;

typedef struct {
    name_class *classes;
    size_t length;
    int32_t *index;         /* open addressing: class index, or -1 */
    size_t mask;
} name_classes;

static Py_hash_t
text_hash(PyObject *name)
{
    Py_hash_t hash = ((PyASCIIObject *)name)->hash;
    if (hash == -1) {       /* computed, not cached: nothing is written */
        hash = _Py_HashBytes(PyUnicode_DATA(name),
                             PyUnicode_GET_LENGTH(name)
                             * PyUnicode_KIND(name));
    }
    return hash;
}

static int
same_text(PyObject *a, PyObject *b)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(a);
    int kind = PyUnicode_KIND(a);
    return length == PyUnicode_GET_LENGTH(b) && kind == PyUnicode_KIND(b)
        && memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b),
                  (size_t)length * (size_t)kind) == 0;
}

/* The slot of the class of `name`'s text: the one holding it, or the
   empty slot where it would go. */
static size_t
class_slot(const name_classes *classes, PyObject *name, Py_hash_t hash)
{
    size_t slot = (size_t)hash & classes->mask;
    for (;;) {
        int32_t at = classes->index[slot];
        if (at < 0 || (classes->classes[at].hash == hash
                       && same_text(classes->classes[at].text, name))) {
            return slot;
        }
        slot = (slot + 1) & classes->mask;
    }
}

/* The class of `name`, or NULL when it has none (an interned name that
   equals no other). */
static name_class *
class_of(const name_classes *classes, PyObject *name)
{
    if (classes->length == 0) {
        return NULL;
    }
    int32_t at = classes->index[class_slot(classes, name, text_hash(name))];
    return at < 0 ? NULL : &classes->classes[at];
}

/* The classes of the names of `map` that are not interned (`loose` of
   them): each with its first name in the map's order (interned or not)
   and its total; *repeated is the number of names that are not first in
   their class. 0, or -1 when out of memory. */
static int
find_classes(const mi_count_map *map, size_t loose, name_classes *classes,
             size_t *repeated)
{
    size_t capacity = 8;
    while (capacity < 2 * loose) {
        capacity *= 2;
    }
    classes->classes = malloc(loose * sizeof *classes->classes);
    classes->index = malloc(capacity * sizeof *classes->index);
    classes->length = 0;
    classes->mask = capacity - 1;
    if (classes->classes == NULL || classes->index == NULL) {
        return -1;
    }
    memset(classes->index, -1, capacity * sizeof *classes->index);
    size_t position = 0;
    uint64_t key;
    uint64_t count;
    while (mi_count_map_next(map, &position, &key, &count)) {
        PyObject *name = (PyObject *)(uintptr_t)key;
        if (PyUnicode_CHECK_INTERNED(name)) {
            continue;
        }
        Py_hash_t hash = text_hash(name);
        size_t slot = class_slot(classes, name, hash);
        if (classes->index[slot] < 0) {
            classes->index[slot] = (int32_t)classes->length;
            classes->classes[classes->length++] =
                (name_class){name, NULL, hash, 0, 0};
        }
    }
    /* The first name of each class, in the map's order, and totals. */
    *repeated = 0;
    position = 0;
    while (mi_count_map_next(map, &position, &key, &count)) {
        PyObject *name = (PyObject *)(uintptr_t)key;
        name_class *found = class_of(classes, name);
        if (found == NULL) {
            continue;
        }
        found->count += count;
        if (found->first == NULL) {
            found->first = name;
        }
        else {
            (*repeated)++;
        }
    }
    return 0;
}

/* Packs {name: instances} of `map` (name address -> instances), as
   records.py packs the dict of mi_result_attribute_names, without the
   dict when every name is an exact str: in the map's order, the names of
   a class merged into its first. 0, or -1 with an exception set. */
static int
pack_attribute_names(mi_record_batch *batch, const mi_count_map *map)
{
    size_t position = 0;
    uint64_t key;
    uint64_t count;
    size_t loose = 0;
    while (mi_count_map_next(map, &position, &key, &count)) {
        PyObject *name = (PyObject *)(uintptr_t)key;
        if (!PyUnicode_CheckExact(name)) {
            loose = SIZE_MAX;
            break;
        }
        loose += !PyUnicode_CHECK_INTERNED(name);
    }
    if (loose == SIZE_MAX) {
        /* Other keys: a subclass of str is copied, the rest left out. */
        PyObject *names = mi_result_attribute_names(map);
        if (names == NULL) {
            return -1;
        }
        Py_ssize_t at = 0;
        PyObject *name, *instances;
        mi_pack_map_header(batch, (size_t)PyDict_GET_SIZE(names));
        while (PyDict_Next(names, &at, &name, &instances)) {
            if (pack_str(batch, name) < 0) {
                Py_DECREF(names);
                return -1;
            }
            mi_pack_uint(batch, PyLong_AsUnsignedLongLong(instances));
        }
        Py_DECREF(names);
        return PyErr_Occurred() ? -1 : 0;
    }
    name_classes classes = {NULL, 0, NULL, 0};
    size_t repeated = 0;
    int status = -1;
    if (loose != 0 && find_classes(map, loose, &classes, &repeated) < 0) {
        PyErr_NoMemory();
        goto cleanup;
    }
    mi_pack_map_header(batch, map->count - repeated);
    position = 0;
    while (mi_count_map_next(map, &position, &key, &count)) {
        PyObject *name = (PyObject *)(uintptr_t)key;
        name_class *found = class_of(&classes, name);
        if (found != NULL) {
            if (found->packed || found->first != name) {
                continue;
            }
            found->packed = 1;
            count = found->count;
        }
        if (pack_str(batch, name) < 0) {
            goto cleanup;
        }
        mi_pack_uint(batch, count);
    }
    status = 0;

cleanup:
    free(classes.classes);
    free(classes.index);
    return status;
}

static int
hold_table(const mi_type_table *table, held_table *held)
{
    size_t n = table->length ? table->length : 1;
    mi_record_batch_init(&held->names);
    held->types = malloc(n * sizeof(PyObject *));
    held->names_end = malloc(n * sizeof(size_t));
    held->length = 0;
    if (held->types == NULL || held->names_end == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < table->length; i++) {
        held->types[i] = Py_NewRef((PyObject *)table->stats[i].type);
        held->length = i + 1;
        const mi_count_map *names = &table->stats[i].attribute_names;
        if (names->count != 0
            && pack_attribute_names(&held->names, names) < 0) {
            return -1;
        }
        held->names_end[i] = held->names.buffer.size;
    }
    if (held->names.failed) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void
release_groups(held_groups *groups)
{
    for (size_t i = 0; i < groups->length; i++) {
        Py_DECREF(groups->items[i].value);
    }
    free(groups->items);
    free(groups->refcounts);
    memset(groups, 0, sizeof *groups);
}

static int
compare_groups(const void *left, const void *right)
{
    const held_group *a = left;
    const held_group *b = right;
    if (a->savable != b->savable) {
        return a->savable > b->savable ? -1 : 1;
    }
    if (a->copies != b->copies) {
        return a->copies > b->copies ? -1 : 1;
    }
    return a->start < b->start ? -1 : (a->start > b->start);
}

/* How many candidates (or groups) ahead their objects are prefetched. */
#define READ_AHEAD 8

/* Reads one group's members (borrowed pointers) into `group`. */
static void
read_group(const mi_duplicate_candidates *candidates, size_t start,
           size_t end, uint64_t *refcounts, held_group *group)
{
    memset(group, 0, sizeof *group);
    for (size_t i = start; i < end; i++) {
        /* Each member is a cache miss: fetch those ahead (the next
           group's too). */
        if (i + READ_AHEAD < candidates->length) {
            __builtin_prefetch(candidates->items[i + READ_AHEAD].object);
        }
        PyObject *member = candidates->items[i].object;
        group->interned += PyUnicode_CheckExact(member)
            && PyUnicode_CHECK_INTERNED(member);
        if (_Py_IsImmortal(member)) {
            group->immortal++;
            refcounts[i] = IMMORTAL_MEMBER;
        }
        else {
            refcounts[i] = (uint64_t)Py_REFCNT(member);
        }
    }
    PyObject *value = candidates->items[start].object;
    Py_ssize_t size;
    if (mi_object_size(value, &size) != MI_SIZE_KNOWN) {
        size = mi_object_basic_size(value);
    }
    group->value = Py_NewRef(value);
    group->start = start;
    group->copies = end - start;
    group->size = size;
    group->savable = (uint64_t)size * (end - start - 1);
}

static int
hold_groups(mi_walk *walk, held_groups *groups)
{
    mi_duplicate_candidates *candidates = &walk->candidates;
    if (candidates->length == 0) {
        return 0;
    }
    /* Only the groups of copies are kept: the array of every group (one
       entry per candidate, most of them alone) would double the peak
       memory of the final walk. */
    if (mi_duplicate_groups_build_repeated(candidates, equal_values) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    groups->refcounts = malloc((candidates->length ? candidates->length : 1)
                               * sizeof *groups->refcounts);
    if (groups->refcounts == NULL) {
        PyErr_NoMemory();
        return -1;
    }
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
        if (groups->length == groups->capacity) {
            size_t capacity = groups->capacity ? groups->capacity * 2 : 256;
            held_group *grown = realloc(groups->items,
                                        capacity * sizeof *grown);
            if (grown == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            groups->items = grown;
            groups->capacity = capacity;
        }
        read_group(candidates, start, end, groups->refcounts,
                   &groups->items[groups->length]);
        groups->length++;
    }
    if (groups->length > 1) {
        qsort(groups->items, groups->length, sizeof *groups->items,
              compare_groups);
    }
    return 0;
}

/* --- Packing ------------------------------------------------------------ */

static void
pack_count_map(mi_record_batch *batch, const mi_count_map *map)
{
    size_t position = 0;
    uint64_t key;
    uint64_t count;
    mi_pack_map_header(batch, map->count);
    while (mi_count_map_next(map, &position, &key, &count)) {
        mi_pack_uint(batch, key);
        mi_pack_uint(batch, count);
    }
}

static void
pack_addresses(mi_record_batch *batch, const mi_address_sample *sample)
{
    uintptr_t sorted[2 * MI_ADDRESS_SAMPLE_HALF];
    size_t n = mi_address_sample_sorted(sample, sorted);
    mi_pack_array_header(batch, n);
    for (size_t i = 0; i < n; i++) {
        mi_pack_uint(batch, sorted[i]);
    }
}

/* A str as UTF-8, a lone surrogate as '?'; 0, or -1 with an exception. */
static int
pack_str(mi_record_batch *batch, PyObject *text)
{
    if (PyUnicode_IS_COMPACT_ASCII(text)) {
        /* ASCII is UTF-8 already: no copy. */
        mi_pack_utf8(batch, PyUnicode_DATA(text),
                     (size_t)PyUnicode_GET_LENGTH(text));
        return 0;
    }
    PyObject *bytes = PyUnicode_AsEncodedString(text, "utf-8", "replace");
    if (bytes == NULL) {
        return -1;
    }
    mi_pack_utf8(batch, PyBytes_AS_STRING(bytes),
                 (size_t)PyBytes_GET_SIZE(bytes));
    Py_DECREF(bytes);
    return 0;
}

/* The attribute names of type `i` of `held`: the map packed in phase 1,
   or an empty map. */
static void
pack_names(mi_record_batch *batch, const held_table *held, size_t i)
{
    size_t start = i == 0 ? 0 : held->names_end[i - 1];
    size_t end = held->names_end[i];
    if (start == end) {
        mi_pack_map_header(batch, 0);
        return;
    }
    batch->failed |= msgpack_sbuffer_write(&batch->buffer,
                                           held->names.buffer.data + start,
                                           end - start) != 0;
}

static int
compare_rows(const void *left, const void *right)
{
    const row_order *a = left;
    const row_order *b = right;
    if (a->bytes != b->bytes) {
        return a->bytes > b->bytes ? -1 : 1;
    }
    if (a->instances != b->instances) {
        return a->instances > b->instances ? -1 : 1;
    }
    int by_name = strcmp(a->name, b->name);
    if (by_name != 0) {
        return by_name;
    }
    return a->index < b->index ? -1 : (a->index > b->index);
}

/* The ids of the duplicate types, by name (as shape_inventory orders
   them); 0 or -1. `out` has room for MI_MAX_DUPLICATE_TYPES. */
static int
duplicate_type_ids(mi_walk *walk, mi_type_ids *ids, mi_record_batch *batch,
                   uint32_t *out)
{
    row_order order[MI_MAX_DUPLICATE_TYPES];
    for (size_t i = 0; i < walk->n_duplicate_types; i++) {
        uint32_t id = mi_type_ids_get(ids, walk->duplicate_types[i], batch);
        if (id == 0) {
            return -1;
        }
        order[i] = (row_order){0, 0, ids->entries[id - 1].name, id};
    }
    if (walk->n_duplicate_types > 1) {
        qsort(order, walk->n_duplicate_types, sizeof *order, compare_rows);
    }
    for (size_t i = 0; i < walk->n_duplicate_types; i++) {
        out[i] = (uint32_t)order[i].index;
    }
    return 0;
}

/* INVENTORY: [7, scope, objects, bytes, limit_reached, pending,
               walk_seconds, python_sizeof_calls, sizeof_fallbacks,
               duplicate_type_ids, objects_limit] */
static int
pack_inventory(mi_record_batch *batch, const mi_walk *walk, uint32_t scope,
               uint64_t objects, uint64_t bytes, double walk_seconds,
               unsigned long long fallbacks, const uint32_t *type_ids,
               uint64_t objects_limit)
{
    mi_record_batch_begin(batch, MI_INVENTORY_LENGTH, MI_RECORD_INVENTORY);
    mi_pack_uint(batch, scope);
    mi_pack_uint(batch, objects);
    mi_pack_uint(batch, bytes);
    mi_pack_bool(batch, walk->limit_reached);
    mi_pack_uint(batch, walk->left_pending);
    mi_pack_double(batch, walk_seconds);
    mi_pack_uint(batch, walk->n_deferred);
    mi_pack_uint(batch, fallbacks);
    mi_pack_array_header(batch, walk->n_duplicate_types);
    for (size_t i = 0; i < walk->n_duplicate_types; i++) {
        mi_pack_uint(batch, type_ids[i]);
    }
    mi_pack_uint(batch, objects_limit);
    return mi_record_batch_end(batch);
}

/* The TYPE_STATS of the types of `table` with instances, in the order of
   shape_inventory. */
static int
pack_type_stats(mi_record_batch *batch, const mi_type_table *table,
                const held_table *held, uint32_t scope, mi_type_ids *ids)
{
    size_t n = 0;
    row_order *order = malloc((table->length ? table->length : 1)
                              * sizeof *order);
    uint32_t *row_ids = malloc((table->length ? table->length : 1)
                               * sizeof *row_ids);
    int status = -1;

    if (order == NULL || row_ids == NULL) {
        PyErr_NoMemory();
        goto cleanup;
    }
    for (size_t i = 0; i < table->length; i++) {
        const mi_type_stats *stats = &table->stats[i];
        if (stats->instances == 0) {
            continue;
        }
        uint32_t id = mi_type_ids_get(ids, (PyTypeObject *)held->types[i],
                                      batch);
        if (id == 0) {
            goto cleanup;
        }
        row_ids[i] = id;
        order[n++] = (row_order){stats->bytes, stats->instances,
                                 ids->entries[id - 1].name, i};
    }
    qsort(order, n, sizeof *order, compare_rows);
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k].index;
        const mi_type_stats *stats = &table->stats[i];
        mi_record_batch_begin(batch, MI_TYPE_STATS_LENGTH,
                              MI_RECORD_TYPE_STATS);
        mi_pack_uint(batch, scope);
        mi_pack_uint(batch, row_ids[i]);
        mi_pack_uint(batch, stats->instances);
        mi_pack_uint(batch, stats->bytes);
        mi_pack_uint(batch, stats->immortal);
        mi_pack_uint(batch, stats->interned);
        pack_count_map(batch, &stats->refcounts);
        pack_addresses(batch, &stats->addresses);
        mi_pack_uint(batch, stats->dict_instances);
        mi_pack_uint(batch, stats->dict_bytes);
        pack_names(batch, held, i);
        if (mi_record_batch_end(batch) < 0) {
            goto cleanup;
        }
    }
    status = 0;

cleanup:
    free(order);
    free(row_ids);
    return status;
}

/* UNINSTANTIATED: the types met without instances, exceptions apart, by
   name. */
static int
pack_uninstantiated(mi_record_batch *batch, const mi_type_table *table,
                    const held_table *held, uint32_t scope, mi_type_ids *ids)
{
    size_t n = 0;
    row_order *order = malloc((table->length ? table->length : 1)
                              * sizeof *order);
    int status = -1;

    if (order == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < table->length; i++) {
        PyTypeObject *type = (PyTypeObject *)held->types[i];
        if (table->stats[i].instances != 0
            || PyType_IsSubtype(type, (PyTypeObject *)PyExc_BaseException)) {
            continue;
        }
        uint32_t id = mi_type_ids_get(ids, type, batch);
        if (id == 0) {
            goto cleanup;
        }
        order[n++] = (row_order){0, 0, ids->entries[id - 1].name, id};
    }
    qsort(order, n, sizeof *order, compare_rows);
    mi_record_batch_begin(batch, MI_UNINSTANTIATED_LENGTH,
                          MI_RECORD_UNINSTANTIATED);
    mi_pack_uint(batch, scope);
    mi_pack_array_header(batch, n);
    for (size_t k = 0; k < n; k++) {
        mi_pack_uint(batch, order[k].index);
    }
    status = mi_record_batch_end(batch);

cleanup:
    free(order);
    return status;
}

/* records.safe_repr(value): a new str, or NULL with an exception that is
   not an Exception (KeyboardInterrupt and the like) or MemoryError. */
static PyObject *
safe_repr(PyObject *value)
{
    PyObject *text = PyObject_Repr(value);
    if (text == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_Exception)) {
            return NULL;
        }
        PyErr_Clear();
        if (PyLong_Check(value)) {
            long long bits = (long long)_PyLong_NumBits(value);
            if (bits < 0) {
                return NULL;
            }
            text = PyUnicode_FromFormat("<int of %lld bits>", bits);
        }
        else {
            text = PyBaseObject_Type.tp_repr(value);
        }
        if (text == NULL) {
            return NULL;
        }
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (length <= MAX_REPR) {
        return text;
    }
    PyObject *head = PyUnicode_Substring(text, 0, MAX_REPR);
    PyObject *ellipsis = PyUnicode_FromString("\xe2\x80\xa6");
    PyObject *cut = NULL;
    if (head != NULL && ellipsis != NULL) {
        cut = PyUnicode_FromFormat("%U%U (%zd more characters)", head,
                                   ellipsis, length - MAX_REPR);
    }
    Py_XDECREF(head);
    Py_XDECREF(ellipsis);
    Py_DECREF(text);
    return cut;
}

/* DUPLICATE: [10, scope, type_id, repr, size, copies, immortal, interned,
               refcounts, addresses] */
static int
pack_duplicate(mi_record_batch *batch, const held_group *group,
               const mi_count_map *refcounts,
               const mi_address_sample *addresses, uint32_t scope,
               mi_type_ids *ids)
{
    uint32_t id = mi_type_ids_get(ids, Py_TYPE(group->value), batch);
    if (id == 0) {
        return -1;
    }
    PyObject *repr = safe_repr(group->value);
    if (repr == NULL) {
        return -1;
    }
    mi_record_batch_begin(batch, MI_DUPLICATE_LENGTH,
                          MI_RECORD_DUPLICATE);
    mi_pack_uint(batch, scope);
    mi_pack_uint(batch, id);
    int status = pack_str(batch, repr);
    Py_DECREF(repr);
    if (status < 0) {
        return -1;
    }
    mi_pack_uint(batch, (uint64_t)group->size);
    mi_pack_uint(batch, group->copies);
    mi_pack_uint(batch, group->immortal);
    mi_pack_uint(batch, group->interned);
    pack_count_map(batch, refcounts);
    pack_addresses(batch, addresses);
    if (mi_record_batch_end(batch) < 0) {
        return -1;
    }
    return 0;
}

/* Every group's DUPLICATE record. */
static int
pack_duplicates(mi_record_batch *batch, const held_groups *groups,
                const mi_duplicate_candidates *candidates, uint32_t scope,
                mi_type_ids *ids)
{
    /* The histogram of what phase 1 read and the sample of the members'
       addresses (numbers: no member is read), one group at a time, in
       one map emptied between groups. */
    mi_count_map refcounts;
    mi_count_map_init(&refcounts);
    int status = -1;
    for (size_t i = 0; i < groups->length; i++) {
        const held_group *group = &groups->items[i];
        if (i + 2 < groups->length) {
            /* Its type and repr read it: a cache miss otherwise. */
            __builtin_prefetch(groups->items[i + 2].value);
        }
        mi_address_sample addresses;
        mi_count_map_clear(&refcounts);
        mi_address_sample_init(&addresses);
        for (size_t m = group->start; m < group->start + group->copies;
             m++) {
            mi_address_sample_add(&addresses,
                                  (uintptr_t)candidates->items[m].object);
            if (groups->refcounts[m] != IMMORTAL_MEMBER
                && mi_count_map_add(&refcounts, groups->refcounts[m],
                                    1) < 0) {
                PyErr_NoMemory();
                goto cleanup;
            }
        }
        if (pack_duplicate(batch, group, &refcounts, &addresses, scope,
                           ids) < 0) {
            goto cleanup;
        }
    }
    status = 0;

cleanup:
    mi_count_map_free(&refcounts);
    return status;
}

static int
pack_retained(mi_record_batch *batch, uint32_t scope, uint64_t objects,
              uint64_t bytes)
{
    mi_record_batch_begin(batch, MI_RETAINED_LENGTH, MI_RECORD_RETAINED);
    mi_pack_uint(batch, scope);
    mi_pack_uint(batch, objects);
    mi_pack_uint(batch, bytes);
    return mi_record_batch_end(batch);
}

static int
compare_owners(const void *left, const void *right)
{
    uint64_t a = *(const uint64_t *)left;
    uint64_t b = *(const uint64_t *)right;
    return a < b ? -1 : (a > b);
}

/* Accounting: a RETAINED per owner, by owner, then what no owner holds,
   as RETAINED and as the INVENTORY of MI_SCOPE_UNATTRIBUTED. */
static int
pack_accounting(mi_record_batch *batch, mi_walk *walk,
                const held_table *unattributed, mi_type_ids *ids,
                const uint32_t *type_ids, unsigned long long fallbacks,
                uint64_t objects_limit)
{
    size_t n = walk->owned_objects.count;
    uint64_t *owners = malloc((n ? n : 1) * sizeof *owners);
    if (owners == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t position = 0;
    size_t k = 0;
    uint64_t owner;
    uint64_t count;
    while (mi_count_map_next(&walk->owned_objects, &position, &owner,
                             &count)) {
        owners[k++] = owner;
    }
    qsort(owners, k, sizeof *owners, compare_owners);
    for (size_t i = 0; i < k; i++) {
        uint32_t scope = owners[i] == 0 ? MI_SCOPE_BASELINE
                                        : (uint32_t)owners[i];
        if (pack_retained(batch, scope,
                          mi_count_map_get(&walk->owned_objects, owners[i]),
                          mi_count_map_get(&walk->owned_bytes, owners[i]))
            < 0) {
            free(owners);
            return -1;
        }
    }
    free(owners);

    uint64_t objects = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < walk->unattributed.length; i++) {
        objects += walk->unattributed.stats[i].instances;
        bytes += walk->unattributed.stats[i].bytes;
    }
    if (pack_retained(batch, MI_SCOPE_UNATTRIBUTED, objects, bytes) < 0
        || pack_inventory(batch, walk, MI_SCOPE_UNATTRIBUTED, objects, bytes,
                          0.0, fallbacks, type_ids, objects_limit) < 0
        || pack_type_stats(batch, &walk->unattributed, unattributed,
                           MI_SCOPE_UNATTRIBUTED, ids) < 0) {
        return -1;
    }
    mi_record_batch_begin(batch, MI_UNINSTANTIATED_LENGTH,
                          MI_RECORD_UNINSTANTIATED);
    mi_pack_uint(batch, MI_SCOPE_UNATTRIBUTED);
    mi_pack_array_header(batch, 0);
    return mi_record_batch_end(batch);
}

int
mi_walk_records_pack(mi_walk *walk, const mi_walk_records_options *options,
                     mi_type_ids *ids, mi_record_batch *batch)
{
    held_table types = {0};
    held_table unattributed = {0};
    held_groups groups = {0};
    uint32_t type_ids[MI_MAX_DUPLICATE_TYPES];
    unsigned long long fallbacks = 0;
    int accounting = walk->mode == MI_WALK_ACCOUNTING;
    int status = -1;

    /* 1. What reads borrowed pointers. */
    if (hold_table(&walk->types, &types) < 0
        || (accounting && hold_table(&walk->unattributed,
                                     &unattributed) < 0)
        || hold_groups(walk, &groups) < 0) {
        goto cleanup;
    }
    /* 2. Python code: __sizeof__ methods (and, below, reprs). */
    if (mi_walk_measure_deferred(walk, &fallbacks) < 0) {
        goto cleanup;
    }
    /* 3. The records. */
    if (duplicate_type_ids(walk, ids, batch, type_ids) < 0
        || pack_inventory(batch, walk, options->scope, walk->objects,
                          walk->bytes, options->walk_seconds, fallbacks,
                          type_ids, options->objects_limit) < 0
        || pack_type_stats(batch, &walk->types, &types, options->scope,
                           ids) < 0
        || pack_uninstantiated(batch, &walk->types, &types, options->scope,
                               ids) < 0
        || pack_duplicates(batch, &groups, &walk->candidates,
                           options->scope, ids) < 0) {
        goto cleanup;
    }
    if (accounting
        && pack_accounting(batch, walk, &unattributed, ids, type_ids,
                           fallbacks, options->objects_limit) < 0) {
        goto cleanup;
    }
    status = 0;

cleanup:
    release_groups(&groups);
    release_table(&types);
    release_table(&unattributed);
    return status;
}
