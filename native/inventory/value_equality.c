#include "value_equality.h"

#include <string.h>

/* Python's own hash of a buffer (SipHash); for str it is the cached hash
   when there is one. Reading the cache is fine; writing it is not. */
static uint64_t
hash_bytes(const void *data, size_t length, uint64_t seed)
{
    return seed ^ (uint64_t)_Py_HashBytes(data, (Py_ssize_t)length);
}

static uint64_t
hash_str(PyObject *object, uint64_t seed)
{
    Py_hash_t cached = ((PyASCIIObject *)object)->hash;
    if (cached != -1) {
        return seed ^ (uint64_t)cached;
    }
    return hash_bytes(PyUnicode_DATA(object),
                      (size_t)PyUnicode_GET_LENGTH(object)
                      * PyUnicode_KIND(object), seed);
}

static inline int
is_value_type(PyTypeObject *type)
{
    return type == &PyUnicode_Type || type == &PyBytes_Type
        || type == &PyByteArray_Type || type == &PyLong_Type
        || type == &PyFloat_Type || type == &PyComplex_Type
        || type == &PyTuple_Type || type == &PyFrozenSet_Type
        || type == &PySet_Type || type == &PyList_Type
        || type == &PyDict_Type;
}

static uint64_t
mix(uint64_t h, uint64_t value)
{
    h ^= value + UINT64_C(0x9e3779b97f4a7c15) + (h << 6) + (h >> 2);
    return h;
}

int
mi_value_type_supported(PyTypeObject *type)
{
    return is_value_type(type);
}

static uint64_t value_hash(PyObject *object, int depth);
static int value_equal(PyObject *a, PyObject *b, int depth);

static uint64_t
hash_sequence(PyObject **items, Py_ssize_t length, uint64_t seed, int depth)
{
    uint64_t h = mix(seed, (uint64_t)length);
#if defined(__GNUC__)
    /* The items lie elsewhere in memory: ask for all of them at once, so
       that their cache misses overlap rather than follow one another. */
    for (Py_ssize_t i = 0; i < length && i < 16; i++) {
        __builtin_prefetch(items[i]);
    }
#endif
    for (Py_ssize_t i = 0; i < length; i++) {
        h = mix(h, value_hash(items[i], depth + 1));
    }
    return h;
}

static uint64_t
hash_set(PyObject *set)
{
    /* The entries carry Python's hash of each key; equal values under
       mi_value_equal are equal under ==, so they have equal Python hashes.
       Order-independent: a sum. */
    uint64_t h = 0;
    Py_ssize_t position = 0;
    PyObject *key;
    Py_hash_t key_hash;
    while (_PySet_NextEntry(set, &position, &key, &key_hash)) {
        h += mix(0, (uint64_t)key_hash);
    }
    return mix(h, (uint64_t)PySet_GET_SIZE(set));
}

static uint64_t
value_hash(PyObject *object, int depth)
{
    PyTypeObject *type = Py_TYPE(object);
    uint64_t seed = (uint64_t)(uintptr_t)type;
    if (depth > MI_VALUE_MAX_DEPTH || !is_value_type(type)) {
        return mix(seed, (uint64_t)(uintptr_t)object);
    }
    if (type == &PyUnicode_Type) {
        return hash_str(object, seed);
    }
    if (type == &PyBytes_Type) {
        return hash_bytes(PyBytes_AS_STRING(object),
                          (size_t)PyBytes_GET_SIZE(object), seed);
    }
    if (type == &PyByteArray_Type) {
        return hash_bytes(PyByteArray_AS_STRING(object),
                          (size_t)PyByteArray_GET_SIZE(object), seed);
    }
    if (type == &PyLong_Type) {
        /* long_hash is C, reads the digits and caches nothing. */
        Py_hash_t h = PyLong_Type.tp_hash(object);
        return mix(seed, (uint64_t)h);
    }
    if (type == &PyFloat_Type) {
        double value = PyFloat_AS_DOUBLE(object);
        uint64_t bits;
        memcpy(&bits, &value, sizeof bits);
        return mix(seed, bits);
    }
    if (type == &PyComplex_Type) {
        Py_complex value = ((PyComplexObject *)object)->cval;
        uint64_t bits[2];
        memcpy(bits, &value, sizeof bits);
        return mix(mix(seed, bits[0]), bits[1]);
    }
    if (type == &PyTuple_Type) {
        return hash_sequence(((PyTupleObject *)object)->ob_item,
                             PyTuple_GET_SIZE(object), seed, depth);
    }
    if (type == &PyList_Type) {
        return hash_sequence(((PyListObject *)object)->ob_item,
                             PyList_GET_SIZE(object), seed, depth);
    }
    if (type == &PyFrozenSet_Type || type == &PySet_Type) {
        return mix(seed, hash_set(object));
    }
    /* dict: order-independent sum over the items. */
    uint64_t h = 0;
    Py_ssize_t position = 0;
    PyObject *key;
    PyObject *value;
    while (PyDict_Next(object, &position, &key, &value)) {
        h += mix(value_hash(key, depth + 1), value_hash(value, depth + 1));
    }
    return mix(mix(seed, h), (uint64_t)PyDict_GET_SIZE(object));
}

static int
equal_sequences(PyObject **a, PyObject **b, Py_ssize_t length, int depth)
{
    for (Py_ssize_t i = 0; i < length; i++) {
        if (!value_equal(a[i], b[i], depth + 1)) {
            return 0;
        }
    }
    return 1;
}

static int
set_contains_value(PyObject *set, PyObject *key, Py_hash_t key_hash,
                   int depth)
{
    Py_ssize_t position = 0;
    PyObject *other;
    Py_hash_t other_hash;
    while (_PySet_NextEntry(set, &position, &other, &other_hash)) {
        if (other_hash == key_hash && value_equal(key, other, depth + 1)) {
            return 1;
        }
    }
    return 0;
}

static int
equal_sets(PyObject *a, PyObject *b, int depth)
{
    if (PySet_GET_SIZE(a) != PySet_GET_SIZE(b)) {
        return 0;
    }
    Py_ssize_t position = 0;
    PyObject *key;
    Py_hash_t key_hash;
    while (_PySet_NextEntry(a, &position, &key, &key_hash)) {
        if (!set_contains_value(b, key, key_hash, depth)) {
            return 0;
        }
    }
    return 1;
}

static int
equal_dicts(PyObject *a, PyObject *b, int depth)
{
    if (PyDict_GET_SIZE(a) != PyDict_GET_SIZE(b)) {
        return 0;
    }
    Py_ssize_t position_a = 0;
    PyObject *key_a;
    PyObject *value_a;
    while (PyDict_Next(a, &position_a, &key_a, &value_a)) {
        int found = 0;
        Py_ssize_t position_b = 0;
        PyObject *key_b;
        PyObject *value_b;
        while (PyDict_Next(b, &position_b, &key_b, &value_b)) {
            if (value_equal(key_a, key_b, depth + 1)) {
                found = value_equal(value_a, value_b, depth + 1);
                break;
            }
        }
        if (!found) {
            return 0;
        }
    }
    return 1;
}

static int
value_equal(PyObject *a, PyObject *b, int depth)
{
    if (a == b) {
        return 1;
    }
    PyTypeObject *type = Py_TYPE(a);
    if (type != Py_TYPE(b) || depth > MI_VALUE_MAX_DEPTH
        || !is_value_type(type))
    {
        return 0;
    }
    if (type == &PyUnicode_Type) {
        Py_ssize_t length = PyUnicode_GET_LENGTH(a);
        int kind = PyUnicode_KIND(a);
        return length == PyUnicode_GET_LENGTH(b) && kind == PyUnicode_KIND(b)
            && memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b),
                      (size_t)length * (size_t)kind) == 0;
    }
    if (type == &PyBytes_Type) {
        Py_ssize_t length = PyBytes_GET_SIZE(a);
        return length == PyBytes_GET_SIZE(b)
            && memcmp(PyBytes_AS_STRING(a), PyBytes_AS_STRING(b),
                      (size_t)length) == 0;
    }
    if (type == &PyByteArray_Type) {
        Py_ssize_t length = PyByteArray_GET_SIZE(a);
        return length == PyByteArray_GET_SIZE(b)
            && memcmp(PyByteArray_AS_STRING(a), PyByteArray_AS_STRING(b),
                      (size_t)length) == 0;
    }
    if (type == &PyLong_Type) {
        /* long_richcompare is C and has no side effects. */
        PyObject *result = PyLong_Type.tp_richcompare(a, b, Py_EQ);
        int equal = result == Py_True;
        Py_XDECREF(result);
        return equal;
    }
    if (type == &PyFloat_Type) {
        double x = PyFloat_AS_DOUBLE(a);
        double y = PyFloat_AS_DOUBLE(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    if (type == &PyComplex_Type) {
        Py_complex x = ((PyComplexObject *)a)->cval;
        Py_complex y = ((PyComplexObject *)b)->cval;
        return memcmp(&x, &y, sizeof x) == 0;
    }
    if (type == &PyTuple_Type) {
        Py_ssize_t length = PyTuple_GET_SIZE(a);
        return length == PyTuple_GET_SIZE(b)
            && equal_sequences(((PyTupleObject *)a)->ob_item,
                               ((PyTupleObject *)b)->ob_item, length, depth);
    }
    if (type == &PyList_Type) {
        Py_ssize_t length = PyList_GET_SIZE(a);
        return length == PyList_GET_SIZE(b)
            && equal_sequences(((PyListObject *)a)->ob_item,
                               ((PyListObject *)b)->ob_item, length, depth);
    }
    if (type == &PyFrozenSet_Type || type == &PySet_Type) {
        return equal_sets(a, b, depth);
    }
    return equal_dicts(a, b, depth);
}

uint64_t
mi_value_hash(PyObject *object)
{
    return value_hash(object, 0);
}

int
mi_value_equal(PyObject *a, PyObject *b)
{
    return value_equal(a, b, 0);
}
