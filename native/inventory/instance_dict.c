#include "instance_dict.h"

#include "object_size.h"

/* sys.getsizeof of a dict made from shared keys and a values array: the
   dict object, its GC pre-header and one pointer per usable shared entry
   (the keys are accounted to the type, as _PyDict_SizeOf does). */
static Py_ssize_t
split_dict_size(PyDictKeysObject *keys)
{
    return (Py_ssize_t)(sizeof(PyDictObject) + sizeof(PyGC_Head))
        + (keys->dk_nentries + keys->dk_usable)
          * (Py_ssize_t)sizeof(PyObject *);
}

static int
read_values(PyTypeObject *type, PyObject **values, mi_instance_dict *info)
{
    PyDictKeysObject *keys = ((PyHeapTypeObject *)type)->ht_cached_keys;
    if (keys == NULL) {
        return 0;
    }
    Py_ssize_t present = 0;
    for (Py_ssize_t i = 0; i < keys->dk_nentries; i++) {
        present += values[i] != NULL;
    }
    if (present == 0) {
        return 0;
    }
    info->attributes = present;
    info->dict_size = split_dict_size(keys);
    info->keys = keys;
    info->values = values;
    return 1;
}

static int
read_dict(PyObject *dict, mi_instance_dict *info)
{
    if (dict == NULL || !PyDict_Check(dict) || PyDict_GET_SIZE(dict) == 0) {
        return 0;
    }
    Py_ssize_t size;
    if (mi_object_size(dict, &size) != MI_SIZE_KNOWN) {
        size = mi_object_basic_size(dict);
    }
    info->attributes = PyDict_GET_SIZE(dict);
    info->dict_size = size;
    info->dict = dict;
    return 1;
}

static PyObject **
unmanaged_dict_pointer(PyObject *object, PyTypeObject *type)
{
    Py_ssize_t offset = type->tp_dictoffset;
    if (offset < 0) {
        /* Variable-size objects keep the dict after their items. */
        Py_ssize_t items = Py_SIZE(object);
        size_t size = (size_t)type->tp_basicsize
            + (size_t)(items < 0 ? -items : items) * (size_t)type->tp_itemsize;
        size = (size + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
        offset += (Py_ssize_t)size;
    }
    return (PyObject **)((char *)object + offset);
}

int
mi_instance_dict_read(PyObject *object, mi_instance_dict *info)
{
    PyTypeObject *type = Py_TYPE(object);
    info->attributes = 0;
    info->dict_size = 0;
    info->dict = NULL;
    info->keys = NULL;
    info->values = NULL;
    if (PyType_Check(object)) {
        return 0;
    }
    if (type->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
#if MI_PY313
        PyDictObject *dict = _PyObject_GetManagedDict(object);
        if (dict != NULL) {
            return read_dict((PyObject *)dict, info);
        }
        if (type->tp_flags & Py_TPFLAGS_INLINE_VALUES) {
            PyDictValues *values = _PyObject_InlineValues(object);
            return values->valid ? read_values(type, values->values, info) : 0;
        }
        return 0;
#else
        PyDictOrValues dorv = *_PyObject_DictOrValuesPointer(object);
        if (_PyDictOrValues_IsValues(dorv)) {
            return read_values(type, _PyDictOrValues_GetValues(dorv)->values,
                               info);
        }
        return read_dict(_PyDictOrValues_GetDict(dorv), info);
#endif
    }
    if (type->tp_dictoffset != 0) {
        return read_dict(*unmanaged_dict_pointer(object, type), info);
    }
    return 0;
}

int
mi_instance_dict_visit_names(const mi_instance_dict *info,
                             visitproc visit, void *arg)
{
    if (info->dict != NULL) {
        Py_ssize_t position = 0;
        PyObject *key;
        PyObject *value;
        while (PyDict_Next(info->dict, &position, &key, &value)) {
            int status = visit(key, arg);
            if (status != 0) {
                return status;
            }
        }
        return 0;
    }
    if (info->keys != NULL) {
        PyDictUnicodeEntry *entries = DK_UNICODE_ENTRIES(info->keys);
        for (Py_ssize_t i = 0; i < info->keys->dk_nentries; i++) {
            if (info->values[i] != NULL && entries[i].me_key != NULL) {
                int status = visit(entries[i].me_key, arg);
                if (status != 0) {
                    return status;
                }
            }
        }
    }
    return 0;
}

int
mi_instance_dict_exists(PyObject *object)
{
    PyTypeObject *type = Py_TYPE(object);
    if (type->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
#if MI_PY313
        return _PyObject_GetManagedDict(object) != NULL;
#else
        PyDictOrValues dorv = *_PyObject_DictOrValuesPointer(object);
        return !_PyDictOrValues_IsValues(dorv)
            && _PyDictOrValues_GetDict(dorv) != NULL;
#endif
    }
    if (type->tp_dictoffset != 0) {
        return *unmanaged_dict_pointer(object, type) != NULL;
    }
    return 0;
}
