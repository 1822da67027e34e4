#include "type_names.h"

PyObject *
mi_type_qual_name(PyObject *type_module, PyObject *type)
{
    descrgetfunc get = Py_TYPE(type_module)->tp_descr_get;
    PyObject *module = NULL;
    PyObject *name = NULL;
    PyObject *result = NULL;

    if (get == NULL) {
        PyErr_SetString(PyExc_TypeError, "type.__module__ is no descriptor");
        return NULL;
    }
    module = get(type_module, type, (PyObject *)&PyType_Type);
    if (module == NULL) {
        return NULL;
    }
    if (!PyUnicode_Check(module)) {
        Py_SETREF(module, PyUnicode_FromString("?"));
        if (module == NULL) {
            return NULL;
        }
    }
    name = PyObject_GetAttr(type, &_Py_ID(__name__));
    if (name == NULL) {
        goto cleanup;
    }
    /* name if module == 'builtins' else f"{module}.{name}" */
    int builtins = PyUnicode_CheckExact(module)
        ? PyUnicode_CompareWithASCIIString(module, "builtins") == 0
        : -2;
    if (builtins == -2) {
        PyObject *literal = PyUnicode_FromString("builtins");
        if (literal == NULL) {
            goto cleanup;
        }
        PyObject *equal = PyObject_RichCompare(module, literal, Py_EQ);
        Py_DECREF(literal);
        builtins = equal == NULL ? -1 : PyObject_IsTrue(equal);
        Py_XDECREF(equal);
        if (builtins < 0) {
            goto cleanup;
        }
    }
    if (builtins) {
        result = Py_NewRef(name);
        goto cleanup;
    }
    Py_SETREF(module, PyObject_Format(module, NULL));
    if (module == NULL) {
        goto cleanup;
    }
    Py_SETREF(name, PyObject_Format(name, NULL));
    if (name == NULL) {
        goto cleanup;
    }
    result = PyUnicode_FromFormat("%U.%U", module, name);

cleanup:
    Py_XDECREF(module);
    Py_XDECREF(name);
    return result;
}

/* names[a] < names[b], as Python's sort compares keys: 1, 0, or -1 with an
   exception set. */
static int
name_less(PyObject *a, PyObject *b)
{
    if (PyUnicode_CheckExact(a) && PyUnicode_CheckExact(b)) {
        return PyUnicode_Compare(a, b) < 0;
    }
    return PyObject_RichCompareBool(a, b, Py_LT);
}

/* A bottom-up merge sort of `order` (indices into names), stable: an item
   of the right run goes first only when strictly less. */
static int
merge_sort(PyObject **names, size_t *order, size_t *scratch, size_t n)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t low = 0; low < n; low += 2 * width) {
            size_t middle = low + width < n ? low + width : n;
            size_t high = low + 2 * width < n ? low + 2 * width : n;
            size_t left = low;
            size_t right = middle;
            size_t out = low;
            while (left < middle && right < high) {
                int less = name_less(names[order[right]], names[order[left]]);
                if (less < 0) {
                    return -1;
                }
                scratch[out++] = less ? order[right++] : order[left++];
            }
            while (left < middle) {
                scratch[out++] = order[left++];
            }
            while (right < high) {
                scratch[out++] = order[right++];
            }
        }
        memcpy(order, scratch, n * sizeof *order);
    }
    return 0;
}

int
mi_order_types_by_name(PyObject *type_module, PyObject *const *types,
                       size_t n, size_t *order)
{
    PyObject **names = NULL;
    size_t *scratch = NULL;
    size_t named = 0;
    int status = -1;

    for (size_t i = 0; i < n; i++) {
        order[i] = i;
    }
    if (n < 2) {
        return 0;
    }
    names = malloc(n * sizeof *names);
    scratch = malloc(n * sizeof *scratch);
    if (names == NULL || scratch == NULL) {
        PyErr_NoMemory();
        goto cleanup;
    }
    for (; named < n; named++) {
        names[named] = mi_type_qual_name(type_module, types[named]);
        if (names[named] == NULL) {
            goto cleanup;
        }
    }
    status = merge_sort(names, order, scratch, n);

cleanup:
    for (size_t i = 0; i < named; i++) {
        Py_DECREF(names[i]);
    }
    free(names);
    free(scratch);
    return status;
}

int
mi_sort_types_by_name(PyObject *type_module, PyObject **types, size_t n)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    PyObject **sorted = malloc((n ? n : 1) * sizeof *sorted);
    int status = -1;

    if (order == NULL || sorted == NULL) {
        PyErr_NoMemory();
        goto cleanup;
    }
    if (mi_order_types_by_name(type_module, types, n, order) < 0) {
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        sorted[i] = types[order[i]];
    }
    memcpy(types, sorted, n * sizeof *types);
    status = 0;

cleanup:
    free(order);
    free(sorted);
    return status;
}
