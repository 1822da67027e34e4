/* memory_inventory._native: the Python-facing functions, nothing else. */
#include "inventory/cpython_internals.h"
#include "inventory/instance_dict.h"
#include "inventory/object_size.h"
#include "inventory/result.h"
#include "inventory/value_equality.h"
#include "inventory/walk.h"

PyDoc_STRVAR(inventory_doc,
"inventory(roots, skip_ids, skip_types, objects_limit, duplicate_types, /)\n"
"    -> dict\n\n"
"Walk every object reachable from `roots`, never entering the objects whose\n"
"id is in `skip_ids` nor the instances of `skip_types`, stopping after\n"
"`objects_limit` objects (0: no limit), and group equal instances of the\n"
"exact types in `duplicate_types`.");

/* What the module remembers between calls. */
typedef struct {
    /* Objects found by the last inventory: the next one sizes its seen
       set for them, sparing the rehashes (and page faults) of growth. */
    uint64_t last_objects;
} native_state;

static int
configure_duplicate_types(mi_walk *walk, PyObject *duplicate_types)
{
    Py_ssize_t n = PyTuple_GET_SIZE(duplicate_types);
    if (n > MI_MAX_DUPLICATE_TYPES) {
        PyErr_Format(PyExc_ValueError,
                     "at most %d duplicate types", MI_MAX_DUPLICATE_TYPES);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
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
        walk->duplicate_types[walk->n_duplicate_types++] =
            (PyTypeObject *)type;
    }
    return 0;
}

static int
configure_skipping(mi_walk *walk, PyObject *skip_ids, PyObject *skip_types)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(skip_ids); i++) {
        void *address = PyLong_AsVoidPtr(PyTuple_GET_ITEM(skip_ids, i));
        if (address == NULL && PyErr_Occurred()) {
            return -1;
        }
        if (address != NULL && mi_walk_skip(walk, address) < 0) {
            return -1;
        }
    }
    Py_ssize_t n = PyTuple_GET_SIZE(skip_types);
    if (n > MI_MAX_SKIP_TYPES) {
        PyErr_Format(PyExc_ValueError, "at most %d types to skip",
                     MI_MAX_SKIP_TYPES);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *type = PyTuple_GET_ITEM(skip_types, i);
        if (!PyType_Check(type)) {
            PyErr_Format(PyExc_TypeError, "not a type: %R", type);
            return -1;
        }
        walk->skip_types[walk->n_skip_types++] = (PyTypeObject *)type;
    }
    return 0;
}

static PyObject *
inventory(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    native_state *state = PyModule_GetState(module);
    PyObject *result = NULL;
    unsigned long long objects_limit;
    mi_walk walk;
    int gc_was_enabled;

    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "inventory() takes 5 arguments");
        return NULL;
    }
    PyObject *roots = args[0];
    PyObject *skip_ids = args[1];
    PyObject *skip_types = args[2];
    PyObject *duplicate_types = args[4];
    if (!PyTuple_Check(roots) || !PyTuple_Check(skip_ids)
        || !PyTuple_Check(skip_types) || !PyTuple_Check(duplicate_types)) {
        PyErr_SetString(PyExc_TypeError, "roots, skip_ids, skip_types and "
                        "duplicate_types must be tuples");
        return NULL;
    }
    objects_limit = PyLong_AsUnsignedLongLong(args[3]);
    if (objects_limit == (unsigned long long)-1 && PyErr_Occurred()) {
        return NULL;
    }
    if (mi_walk_init(&walk, state->last_objects > (1 << 16)
                               ? (size_t)state->last_objects : 1 << 16) < 0) {
        return NULL;
    }
    /* No collection may run between the walk and the end of the results:
       a finalizer could free an object the walk holds a pointer to. */
    gc_was_enabled = PyGC_Disable();
    walk.objects_limit = objects_limit;
    if (configure_duplicate_types(&walk, duplicate_types) < 0) {
        goto cleanup;
    }
    if (configure_skipping(&walk, skip_ids, skip_types) < 0) {
        goto cleanup;
    }
    /* The argument tuples are the caller's, not the heap's. */
    if (mi_walk_skip(&walk, roots) < 0 || mi_walk_skip(&walk, skip_ids) < 0
        || mi_walk_skip(&walk, skip_types) < 0
        || mi_walk_skip(&walk, duplicate_types) < 0) {
        goto cleanup;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(roots); i++) {
        if (mi_walk_add_root(&walk, PyTuple_GET_ITEM(roots, i)) < 0) {
            goto cleanup;
        }
    }
    if (mi_walk_run(&walk) < 0) {
        goto cleanup;
    }
    mi_walk_release_traversal(&walk);
    state->last_objects = walk.objects;
    result = mi_result_build(&walk);

cleanup:
    mi_walk_free(&walk);
    if (gc_was_enabled) {
        PyGC_Enable();
    }
    return result;
}

PyDoc_STRVAR(object_size_doc,
"object_size(obj, /) -> int | None\n\n"
"sys.getsizeof(obj) as the walk computes it, or None when it would need\n"
"to call a __sizeof__ written in Python.");

static PyObject *
object_size(PyObject *module, PyObject *object)
{
    (void)module;
    Py_ssize_t size;
    if (mi_object_size(object, &size) != MI_SIZE_KNOWN) {
        Py_RETURN_NONE;
    }
    return PyLong_FromSsize_t(size);
}

PyDoc_STRVAR(instance_dict_size_doc,
"instance_dict_size(obj, /) -> int\n\n"
"sys.getsizeof(obj.__dict__) if obj has a non-empty instance dict, read\n"
"without creating it; 0 otherwise.");

static PyObject *
instance_dict_size(PyObject *module, PyObject *object)
{
    (void)module;
    mi_instance_dict info;
    if (!mi_instance_dict_read(object, &info)) {
        return PyLong_FromLong(0);
    }
    return PyLong_FromSsize_t(info.dict_size);
}

PyDoc_STRVAR(has_instance_dict_doc,
"has_instance_dict(obj, /) -> bool\n\n"
"Whether a dict object already holds obj's attributes (reading\n"
"obj.__dict__ would create one where they live in a values array).");

static PyObject *
has_instance_dict(PyObject *module, PyObject *object)
{
    (void)module;
    return PyBool_FromLong(mi_instance_dict_exists(object));
}

PyDoc_STRVAR(values_equal_doc,
"values_equal(a, b, /) -> bool\n\n"
"Whether the inventory counts a and b as duplicates of one value.");

static PyObject *
values_equal(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "values_equal() takes 2 arguments");
        return NULL;
    }
    return PyBool_FromLong(mi_value_equal(args[0], args[1]));
}

static PyMethodDef native_methods[] = {
    {"inventory", _PyCFunction_CAST(inventory), METH_FASTCALL, inventory_doc},
    {"object_size", object_size, METH_O, object_size_doc},
    {"instance_dict_size", instance_dict_size, METH_O,
     instance_dict_size_doc},
    {"has_instance_dict", has_instance_dict, METH_O, has_instance_dict_doc},
    {"values_equal", _PyCFunction_CAST(values_equal), METH_FASTCALL,
     values_equal_doc},
    {NULL, NULL, 0, NULL},
};

static int
native_exec(PyObject *module)
{
    (void)module;
    return mi_object_size_init();
}

static PyModuleDef_Slot native_slots[] = {
    {Py_mod_exec, native_exec},
#if MI_PY313
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "memory_inventory._native",
    .m_doc = "The C engine of memory_inventory.",
    .m_size = sizeof(native_state),
    .m_methods = native_methods,
    .m_slots = native_slots,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    return PyModuleDef_Init(&native_module);
}
