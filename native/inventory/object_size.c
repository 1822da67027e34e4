#include "object_size.h"

static PyObject *sizeof_name;            /* interned "__sizeof__" */
static PyCFunction object_sizeof;        /* object.__sizeof__ in C */

int
mi_object_size_init(void)
{
    if (sizeof_name == NULL) {
        sizeof_name = PyUnicode_InternFromString("__sizeof__");
        if (sizeof_name == NULL) {
            return -1;
        }
    }
    PyObject *descriptor = _PyType_Lookup(&PyBaseObject_Type, sizeof_name);
    if (descriptor == NULL || !Py_IS_TYPE(descriptor, &PyMethodDescr_Type)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "object.__sizeof__ is not a C method");
        return -1;
    }
    object_sizeof = ((PyMethodDescrObject *)descriptor)->d_method->ml_meth;
    return 0;
}

Py_ssize_t
mi_object_preheader_size(PyObject *object)
{
#if MI_PY313
    /* As sys.getsizeof on 3.13: static types have no pre-header (3.12
       counts the GC header of `type` for them too). */
    if (Py_IS_TYPE(object, &PyType_Type)
        && !PyType_HasFeature((PyTypeObject *)object, Py_TPFLAGS_HEAPTYPE))
    {
        return 0;
    }
#endif
    return (Py_ssize_t)_PyType_PreHeaderSize(Py_TYPE(object));
}

static Py_ssize_t
object_sizeof_result(PyObject *object)
{
    PyTypeObject *type = Py_TYPE(object);
    Py_ssize_t size = type->tp_basicsize;
    if (type->tp_itemsize != 0) {
        Py_ssize_t items = Py_SIZE(object);
        size += (items < 0 ? -items : items) * type->tp_itemsize;
    }
    return size;
}

Py_ssize_t
mi_object_basic_size(PyObject *object)
{
    return object_sizeof_result(object) + mi_object_preheader_size(object);
}

void
mi_size_method_resolve(PyTypeObject *type, mi_size_method *method)
{
    method->kind = MI_SIZE_BY_PYTHON;
    method->method = NULL;
    PyObject *descriptor = _PyType_Lookup(type, sizeof_name);
    if (descriptor == NULL || !Py_IS_TYPE(descriptor, &PyMethodDescr_Type)) {
        return;
    }
    PyMethodDef *definition = ((PyMethodDescrObject *)descriptor)->d_method;
    int calling = definition->ml_flags & (METH_VARARGS | METH_FASTCALL
                                          | METH_NOARGS | METH_O
                                          | METH_KEYWORDS | METH_METHOD);
    if (calling != METH_NOARGS) {
        return;
    }
    if (definition->ml_meth == object_sizeof) {
        method->kind = MI_SIZE_BY_OBJECT;
    }
    else {
        method->kind = MI_SIZE_BY_C_METHOD;
        method->method = definition->ml_meth;
    }
}

mi_size_status
mi_object_size_with(PyObject *object, const mi_size_method *method,
                    Py_ssize_t *size)
{
    Py_ssize_t intrinsic;
    switch (method->kind) {
    case MI_SIZE_BY_OBJECT:
        intrinsic = object_sizeof_result(object);
        break;
    case MI_SIZE_BY_C_METHOD: {
        PyObject *result = method->method(object, NULL);
        if (result == NULL) {
            PyErr_Clear();
            return MI_SIZE_NEEDS_PYTHON;
        }
        intrinsic = PyLong_Check(result) ? PyLong_AsSsize_t(result) : -1;
        Py_DECREF(result);
        if (intrinsic < 0) {
            PyErr_Clear();
            return MI_SIZE_NEEDS_PYTHON;
        }
        break;
    }
    default:
        return MI_SIZE_NEEDS_PYTHON;
    }
    *size = intrinsic + mi_object_preheader_size(object);
    return MI_SIZE_KNOWN;
}

mi_size_status
mi_object_size(PyObject *object, Py_ssize_t *size)
{
    mi_size_method method;
    mi_size_method_resolve(Py_TYPE(object), &method);
    return mi_object_size_with(object, &method, size);
}
