#include "referents.h"

/* The layout of range objects (Objects/rangeobject.c), the same in 3.12
   and 3.13; no header declares it. */
typedef struct {
    PyObject_HEAD
    PyObject *start;
    PyObject *stop;
    PyObject *step;
    PyObject *length;
} mi_range_layout;

#define VISIT(field)                                  \
    do {                                              \
        PyObject *visited_ = (PyObject *)(field);     \
        if (visited_ != NULL) {                       \
            int status_ = visit(visited_, arg);       \
            if (status_ != 0) {                       \
                return status_;                       \
            }                                         \
        }                                             \
    } while (0)

static int
visit_code(PyCodeObject *code, visitproc visit, void *arg)
{
    VISIT(code->co_consts);
    VISIT(code->co_names);
    VISIT(code->co_exceptiontable);
    VISIT(code->co_localsplusnames);
    VISIT(code->co_localspluskinds);
    VISIT(code->co_filename);
    VISIT(code->co_name);
    VISIT(code->co_qualname);
    VISIT(code->co_linetable);
    VISIT(code->co_weakreflist);
    if (code->_co_cached != NULL) {
        VISIT(code->_co_cached->_co_code);
        VISIT(code->_co_cached->_co_varnames);
        VISIT(code->_co_cached->_co_cellvars);
        VISIT(code->_co_cached->_co_freevars);
    }
    return 0;
}

int
mi_visit_shared_key_names(PyTypeObject *type, visitproc visit, void *arg)
{
    if (!(type->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        return 0;
    }
    PyDictKeysObject *keys = ((PyHeapTypeObject *)type)->ht_cached_keys;
    if (keys == NULL || keys->dk_kind == DICT_KEYS_GENERAL) {
        return 0;
    }
    PyDictUnicodeEntry *entries = DK_UNICODE_ENTRIES(keys);
    for (Py_ssize_t i = 0; i < keys->dk_nentries; i++) {
        VISIT(entries[i].me_key);
    }
    return 0;
}

static int
visit_type(PyTypeObject *type, visitproc visit, void *arg)
{
    if (type->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        /* Heap types are traversed by type_traverse (dict, cache, mro,
           bases, module); the names and slots are left out. */
        traverseproc traverse = Py_TYPE(type)->tp_traverse;
        int status = traverse != NULL ?
            traverse((PyObject *)type, visit, arg) : 0;
        if (status != 0) {
            return status;
        }
        PyHeapTypeObject *heap_type = (PyHeapTypeObject *)type;
        VISIT(heap_type->ht_name);
        VISIT(heap_type->ht_qualname);
        VISIT(heap_type->ht_slots);
        VISIT(heap_type->ht_module);
        VISIT(type->tp_subclasses);
        return mi_visit_shared_key_names(type, visit, arg);
    }
    /* Static types must not be traversed (type_traverse asserts a heap
       type); their dict lives in the interpreter state on 3.12+. */
    PyObject *dict = PyType_GetDict(type);
    if (dict != NULL) {
        int status = visit(dict, arg);
        Py_DECREF(dict);
        if (status != 0) {
            return status;
        }
    }
    VISIT(type->tp_mro);
    VISIT(type->tp_bases);
    VISIT(type->tp_base);
    return 0;
}

static int
visit_dict_items(PyObject *dict, visitproc visit, void *arg)
{
    Py_ssize_t position = 0;
    PyObject *key;
    PyObject *value;
    while (PyDict_Next(dict, &position, &key, &value)) {
        VISIT(key);
        VISIT(value);
    }
    return 0;
}

static int
visit_descriptor(PyDescrObject *descriptor, visitproc visit, void *arg)
{
    VISIT(descriptor->d_type);
    VISIT(descriptor->d_name);
    VISIT(descriptor->d_qualname);
    return 0;
}

int
mi_visit_referents(PyObject *object, visitproc visit, void *arg)
{
    PyTypeObject *type = Py_TYPE(object);
    VISIT(type);

    if (PyType_Check(object)) {
        return visit_type((PyTypeObject *)object, visit, arg);
    }
    if (PyDict_CheckExact(object)) {
        /* PyDict_Next sees every key and value; dict_traverse skips str
           keys, so it would add nothing. */
        return visit_dict_items(object, visit, arg);
    }
    if (PyObject_IS_GC(object) && type->tp_traverse != NULL) {
        int status = type->tp_traverse(object, visit, arg);
        if (status != 0) {
            return status;
        }
    }
#if MI_PY313
    /* With inline values, traverse visits the values and not the dict
       that reading __dict__ made: the dict itself must be visited. */
    if (type->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
        VISIT(_PyObject_GetManagedDict(object));
    }
#endif
    if (PyDict_Check(object)) {
        return visit_dict_items(object, visit, arg);
    }
    if (PyCode_Check(object)) {
        return visit_code((PyCodeObject *)object, visit, arg);
    }
    if (PyModule_Check(object)) {
        VISIT(((PyModuleObject *)object)->md_dict);
        VISIT(((PyModuleObject *)object)->md_name);
        return 0;
    }
    if (Py_IS_TYPE(object, &PyMethodDescr_Type)
        || Py_IS_TYPE(object, &PyClassMethodDescr_Type)
        || Py_IS_TYPE(object, &PyGetSetDescr_Type)
        || Py_IS_TYPE(object, &PyMemberDescr_Type)
        || Py_IS_TYPE(object, &PyWrapperDescr_Type))
    {
        return visit_descriptor((PyDescrObject *)object, visit, arg);
    }
    if (PyRange_Check(object)) {
        mi_range_layout *range = (mi_range_layout *)object;
        VISIT(range->start);
        VISIT(range->stop);
        VISIT(range->step);
        VISIT(range->length);
        return 0;
    }
    if (PySlice_Check(object)) {
        PySliceObject *slice = (PySliceObject *)object;
        VISIT(slice->start);
        VISIT(slice->stop);
        VISIT(slice->step);
        return 0;
    }
    return 0;
}
