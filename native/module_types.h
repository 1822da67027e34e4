/* Adding a heap type, made from its spec, to the extension module: shared
 * by module.c and the files that define types of their own. */
#ifndef MI_MODULE_TYPES_H
#define MI_MODULE_TYPES_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Returns 0, or -1 with an exception set. */
static inline int
mi_add_type(PyObject *module, PyType_Spec *spec)
{
    PyObject *type = PyType_FromModuleAndSpec(module, spec, NULL);
    if (type == NULL) {
        return -1;
    }
    int status = PyModule_AddType(module, (PyTypeObject *)type);
    Py_DECREF(type);
    return status;
}

#endif
