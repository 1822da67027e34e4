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

mi_size_status
mi_object_size(PyObject *object, Py_ssize_t *size)
{
    PyObject *descriptor = _PyType_Lookup(Py_TYPE(object), sizeof_name);
    if (descriptor == NULL || !Py_IS_TYPE(descriptor, &PyMethodDescr_Type)) {
        return MI_SIZE_NEEDS_PYTHON;
    }
    PyMethodDef *method = ((PyMethodDescrObject *)descriptor)->d_method;
    int calling = method->ml_flags & (METH_VARARGS | METH_FASTCALL
                                      | METH_NOARGS | METH_O
                                      | METH_KEYWORDS | METH_METHOD);
    if (calling != METH_NOARGS) {
        return MI_SIZE_NEEDS_PYTHON;
    }
    Py_ssize_t intrinsic;
    if (method->ml_meth == object_sizeof) {
        intrinsic = object_sizeof_result(object);
    }
    else {
        PyObject *result = method->ml_meth(object, NULL);
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
    }
    *size = intrinsic + mi_object_preheader_size(object);
    return MI_SIZE_KNOWN;
}
