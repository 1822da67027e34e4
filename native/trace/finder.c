/* The import hook of import tracing (finder.h). */
#include "finder.h"
#include "../module_types.h"

#include "../records.h"

#include <pythread.h>
#include <time.h>

/* The hook: the callback and the imports in progress, per thread. */
typedef struct {
    PyObject_HEAD
    PyObject *on_import;
    PyObject *proxy_type;   /* ImportLoaderProxy */
    PyObject *stacks;       /* {thread id: [name, ...]}, innermost last */
    PyObject *finding;      /* {(thread id, name)}: delegations under way */
} import_hook;

/* The loader of one import, until its module's code has run. */
typedef struct {
    PyObject_HEAD
    PyObject *hook;         /* the import_hook */
    PyObject *loader;       /* the real loader */
    PyObject *spec;
    PyObject *name;
    PyObject *parent;       /* str or None */
    unsigned long thread_id;
    double started;
    double find_seconds;
    int done;               /* reported: delegate without timing */
} loader_proxy;

static double
monotonic_seconds(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) {
        return 0.0;
    }
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* The stack of this thread's imports in progress (borrowed), or NULL: with
   an exception set on failure, without when there is none and !create. */
static PyObject *
thread_stack(import_hook *hook, unsigned long thread_id, int create)
{
    PyObject *key = PyLong_FromUnsignedLong(thread_id);
    PyObject *stack = NULL;

    if (key == NULL) {
        return NULL;
    }
    stack = PyDict_GetItemWithError(hook->stacks, key);
    if (stack == NULL && !PyErr_Occurred() && create) {
        stack = PyList_New(0);
        if (stack != NULL) {
            int status = PyDict_SetItem(hook->stacks, key, stack);
            Py_DECREF(stack);   /* the dict holds it */
            if (status < 0) {
                stack = NULL;
            }
        }
    }
    Py_DECREF(key);
    return stack;
}

static int
stack_push(import_hook *hook, unsigned long thread_id, PyObject *name)
{
    PyObject *stack = thread_stack(hook, thread_id, 1);
    if (stack == NULL) {
        return -1;
    }
    return PyList_Append(stack, name);
}

/* Pops the innermost import of the thread; keeps any pending exception. */
static void
stack_pop(import_hook *hook, unsigned long thread_id)
{
    PyObject *pending = PyErr_GetRaisedException();
    PyObject *stack = thread_stack(hook, thread_id, 0);

    if (stack != NULL) {
        Py_ssize_t n = PyList_GET_SIZE(stack);
        if (n > 0 && PyList_SetSlice(stack, n - 1, n, NULL) < 0) {
            PyErr_WriteUnraisable((PyObject *)hook);
        }
        else if (n <= 1) {
            PyObject *key = PyLong_FromUnsignedLong(thread_id);
            if (key == NULL || PyDict_DelItem(hook->stacks, key) < 0) {
                PyErr_WriteUnraisable((PyObject *)hook);
            }
            Py_XDECREF(key);
        }
    }
    else if (PyErr_Occurred()) {
        PyErr_WriteUnraisable((PyObject *)hook);
    }
    PyErr_SetRaisedException(pending);
}

/* The innermost import of the thread (a new reference), or None. */
static PyObject *
stack_top(import_hook *hook, unsigned long thread_id)
{
    PyObject *stack = thread_stack(hook, thread_id, 0);
    if (stack == NULL) {
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    }
    Py_ssize_t n = PyList_GET_SIZE(stack);
    return Py_NewRef(n > 0 ? PyList_GET_ITEM(stack, n - 1) : Py_None);
}

/* "Type: message" (or "Type" when the message is empty), never NULL
   unless out of memory. */
static PyObject *
error_text(PyObject *error)
{
    const char *type_name = Py_TYPE(error)->tp_name;
    PyObject *message = PyObject_Str(error);
    PyObject *text;

    if (message == NULL) {
        PyErr_Clear();
        return PyUnicode_FromString(type_name);
    }
    if (PyUnicode_GET_LENGTH(message) == 0) {
        text = PyUnicode_FromString(type_name);
    }
    else {
        text = PyUnicode_FromFormat("%s: %U", type_name, message);
    }
    Py_DECREF(message);
    return text;
}

/* Calls on_import; `error` is the exception of a failed import or NULL.
   Keeps any pending exception and returns 0. An Exception of the callback
   goes to PyErr_WriteUnraisable: the import is not changed by it. Any
   other BaseException (KeyboardInterrupt: Ctrl-C while the callback ran,
   SystemExit) is the program's to see: it is left raised, with the
   pending exception as its context, and -1 is returned, so that the
   import fails with it, as it would have with no hook. */
static int
report(import_hook *hook, PyObject *name, PyObject *parent,
       unsigned long thread_id, double started, double find_seconds,
       double total_seconds, int status, PyObject *error)
{
    PyObject *pending = PyErr_GetRaisedException();
    PyObject *text = NULL;
    PyObject *result = NULL;

    if (error != NULL) {
        text = error_text(error);
        if (text == NULL) {
            goto done;
        }
    }
    result = PyObject_CallFunction(hook->on_import, "OOkdddiO", name,
                                   parent, thread_id, started, find_seconds,
                                   total_seconds, status,
                                   text != NULL ? text : Py_None);

done:
    Py_XDECREF(text);
    if (result != NULL) {
        Py_DECREF(result);
        PyErr_SetRaisedException(pending);
        return 0;
    }
    if (!PyErr_ExceptionMatches(PyExc_Exception)) {
        PyObject *raised = PyErr_GetRaisedException();
        if (pending != NULL) {
            PyException_SetContext(raised, pending);   /* steals pending */
        }
        PyErr_SetRaisedException(raised);
        return -1;
    }
    PyErr_WriteUnraisable(hook->on_import);
    PyErr_SetRaisedException(pending);
    return 0;
}

/* Sets obj.<attribute>.loader (or obj.loader when attribute is NULL) to
   `loader` where it is `proxy`; ignores every failure. */
static void
restore_loader_on(PyObject *obj, const char *attribute,
                  const char *loader_name, PyObject *proxy, PyObject *loader)
{
    PyObject *target = obj;
    PyObject *current = NULL;

    if (obj == NULL || obj == Py_None) {
        return;
    }
    if (attribute != NULL) {
        target = PyObject_GetAttrString(obj, attribute);
        if (target == NULL) {
            goto done;
        }
    }
    else {
        Py_INCREF(target);
    }
    current = PyObject_GetAttrString(target, loader_name);
    if (current == proxy
        && PyObject_SetAttrString(target, loader_name, loader) < 0) {
        goto done;
    }

done:
    PyErr_Clear();
    Py_XDECREF(current);
    Py_XDECREF(target);
}

/* Puts the real loader back wherever importlib put the proxy: the spec,
   the module's __loader__ and __spec__, and those of whatever is in
   sys.modules under the name now. Keeps any pending exception. */
static void
restore_loader(loader_proxy *self, PyObject *module)
{
    PyObject *pending = PyErr_GetRaisedException();
    PyObject *proxy = (PyObject *)self;
    PyObject *modules = PySys_GetObject("modules");   /* borrowed */
    PyObject *current = NULL;

    restore_loader_on(self->spec, NULL, "loader", proxy, self->loader);
    restore_loader_on(module, NULL, "__loader__", proxy, self->loader);
    restore_loader_on(module, "__spec__", "loader", proxy, self->loader);
    if (modules != NULL && PyDict_Check(modules)) {
        current = PyDict_GetItemWithError(modules, self->name);
        if (current != NULL && current != module) {
            Py_INCREF(current);
            restore_loader_on(current, NULL, "__loader__", proxy,
                              self->loader);
            restore_loader_on(current, "__spec__", "loader", proxy,
                              self->loader);
            Py_DECREF(current);
        }
        PyErr_Clear();
    }
    PyErr_SetRaisedException(pending);
}

/* Ends the import of `self`: restores the loader and reports, with the
   pending exception (if any) as the failure. Returns report()'s -1 when
   the import must fail with what the callback raised. */
static int
proxy_finish(loader_proxy *self, PyObject *module)
{
    import_hook *hook = (import_hook *)self->hook;
    PyObject *error = PyErr_GetRaisedException();
    int status;

    self->done = 1;
    restore_loader(self, module);
    PyErr_SetRaisedException(Py_XNewRef(error));
    status = report(hook, self->name, self->parent, self->thread_id,
                    self->started, self->find_seconds,
                    monotonic_seconds() - self->started,
                    error != NULL ? MI_IMPORT_FAILED : MI_IMPORT_OK, error);
    Py_XDECREF(error);
    return status;
}

/* Calls loader.<method>(argument) with the import on the thread's stack. */
static PyObject *
proxy_call(loader_proxy *self, const char *method, PyObject *argument)
{
    import_hook *hook = (import_hook *)self->hook;
    PyObject *result;

    if (self->done) {
        return PyObject_CallMethod(self->loader, method, "O", argument);
    }
    /* The stack of the thread that runs the module, which is not always
       the one that found it (importlib.util.LazyLoader, a spec found on
       one thread and loaded on another). */
    unsigned long thread_id = PyThread_get_thread_ident();
    if (stack_push(hook, thread_id, self->name) < 0) {
        return NULL;
    }
    result = PyObject_CallMethod(self->loader, method, "O", argument);
    stack_pop(hook, thread_id);
    return result;
}

static PyObject *
proxy_create_module(PyObject *op, PyObject *spec)
{
    loader_proxy *self = (loader_proxy *)op;
    PyObject *module = proxy_call(self, "create_module", spec);
    if (module == NULL && !self->done) {
        (void)proxy_finish(self, NULL);     /* failing either way */
    }
    return module;
}

static PyObject *
proxy_exec_module(PyObject *op, PyObject *module)
{
    loader_proxy *self = (loader_proxy *)op;
    int was_done = self->done;
    PyObject *result = proxy_call(self, "exec_module", module);
    if (!was_done && proxy_finish(self, module) < 0) {
        Py_CLEAR(result);
    }
    return result;
}

static PyObject *
proxy_load_module(PyObject *op, PyObject *fullname)
{
    loader_proxy *self = (loader_proxy *)op;
    int was_done = self->done;
    PyObject *result = proxy_call(self, "load_module", fullname);
    if (!was_done && proxy_finish(self, result) < 0) {
        Py_CLEAR(result);
    }
    return result;
}

static PyMethodDef proxy_create_module_def = {
    "create_module", proxy_create_module, METH_O, NULL};
static PyMethodDef proxy_exec_module_def = {
    "exec_module", proxy_exec_module, METH_O, NULL};
static PyMethodDef proxy_load_module_def = {
    "load_module", proxy_load_module, METH_O, NULL};

/* The timed methods when the real loader has them; everything else is
   the real loader's (so hasattr() and isinstance() answer for it). */
static PyObject *
proxy_getattro(PyObject *op, PyObject *name)
{
    loader_proxy *self = (loader_proxy *)op;
    PyMethodDef *def = NULL;

    if (PyUnicode_Check(name)) {
        if (PyUnicode_CompareWithASCIIString(name, "exec_module") == 0) {
            def = &proxy_exec_module_def;
        }
        else if (PyUnicode_CompareWithASCIIString(name,
                                                  "create_module") == 0) {
            def = &proxy_create_module_def;
        }
        else if (PyUnicode_CompareWithASCIIString(name,
                                                  "load_module") == 0) {
            def = &proxy_load_module_def;
        }
    }
    if (def == NULL) {
        return PyObject_GetAttr(self->loader, name);
    }
    PyObject *real = PyObject_GetAttr(self->loader, name);
    if (real == NULL) {
        return NULL;
    }
    Py_DECREF(real);
    return PyCFunction_New(def, op);
}

static int
proxy_setattro(PyObject *op, PyObject *name, PyObject *value)
{
    return PyObject_SetAttr(((loader_proxy *)op)->loader, name, value);
}

static PyObject *
proxy_repr(PyObject *op)
{
    return PyObject_Repr(((loader_proxy *)op)->loader);
}

static int
proxy_traverse(PyObject *op, visitproc visit, void *arg)
{
    loader_proxy *self = (loader_proxy *)op;
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->hook);
    Py_VISIT(self->loader);
    Py_VISIT(self->spec);
    Py_VISIT(self->name);
    Py_VISIT(self->parent);
    return 0;
}

static int
proxy_clear(PyObject *op)
{
    loader_proxy *self = (loader_proxy *)op;
    Py_CLEAR(self->hook);
    Py_CLEAR(self->loader);
    Py_CLEAR(self->spec);
    Py_CLEAR(self->name);
    Py_CLEAR(self->parent);
    return 0;
}

static void
proxy_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    (void)proxy_clear(op);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyType_Slot proxy_slots[] = {
    {Py_tp_doc, (void *)"The loader of an import traced by ImportHook: "
                        "delegates to the real loader, timing "
                        "create_module, exec_module and load_module."},
    {Py_tp_getattro, proxy_getattro},
    {Py_tp_setattro, proxy_setattro},
    {Py_tp_repr, proxy_repr},
    {Py_tp_traverse, proxy_traverse},
    {Py_tp_clear, proxy_clear},
    {Py_tp_dealloc, proxy_dealloc},
    {0, NULL},
};

static PyType_Spec proxy_spec = {
    .name = "memory_inventory._native.ImportLoaderProxy",
    .basicsize = sizeof(loader_proxy),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC
             | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = proxy_slots,
};

/* --- ImportHook ---------------------------------------------------------- */

static PyObject *
import_hook_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"on_import", NULL};
    PyObject *on_import;
    PyObject *module;
    import_hook *self;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:ImportHook", kwlist,
                                     &on_import)) {
        return NULL;
    }
    if (!PyCallable_Check(on_import)) {
        PyErr_SetString(PyExc_TypeError, "on_import must be callable");
        return NULL;
    }
    module = PyType_GetModule(type);
    if (module == NULL) {
        return NULL;
    }
    self = (import_hook *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->on_import = Py_NewRef(on_import);
    self->proxy_type = PyObject_GetAttrString(module, "ImportLoaderProxy");
    self->stacks = PyDict_New();
    self->finding = PySet_New(NULL);
    if (self->proxy_type == NULL || self->stacks == NULL
        || self->finding == NULL) {
        goto error;
    }
    if (!PyType_Check(self->proxy_type)) {
        PyErr_SetString(PyExc_RuntimeError, "ImportLoaderProxy is gone");
        goto error;
    }
    return (PyObject *)self;

error:
    Py_DECREF(self);
    return NULL;
}

/* Asks the finders of sys.meta_path after the hook (all but the hook when
   it is not there) for the spec: a new reference, None included. */
static PyObject *
delegate_find_spec(PyObject *hook, PyObject *name, PyObject *path,
                   PyObject *target)
{
    PyObject *meta_path = PySys_GetObject("meta_path");   /* borrowed */
    PyObject *finders = NULL;
    PyObject *spec = NULL;
    Py_ssize_t first = 0;

    if (meta_path == NULL) {
        return Py_NewRef(Py_None);
    }
    finders = PySequence_List(meta_path);
    if (finders == NULL) {
        goto done;
    }
    Py_ssize_t n = PyList_GET_SIZE(finders);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyList_GET_ITEM(finders, i) == hook) {
            first = i + 1;
            break;
        }
    }
    for (Py_ssize_t i = first; i < n; i++) {
        PyObject *finder = PyList_GET_ITEM(finders, i);
        PyObject *find_spec;
        if (finder == hook) {
            continue;
        }
        find_spec = PyObject_GetAttrString(finder, "find_spec");
        if (find_spec == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
                goto done;
            }
            PyErr_Clear();
            continue;
        }
        spec = PyObject_CallFunctionObjArgs(find_spec, name, path, target,
                                            NULL);
        Py_DECREF(find_spec);
        if (spec == NULL) {
            goto done;
        }
        if (spec != Py_None) {
            goto done;
        }
        Py_CLEAR(spec);
    }
    spec = Py_NewRef(Py_None);

done:
    Py_XDECREF(finders);
    return spec;
}

/* Replaces spec.loader by a proxy; reports at once when it cannot time the
   load (no loader, or a spec that refuses the proxy). Returns 0 or -1. */
static int
wrap_spec(import_hook *hook, PyObject *spec, PyObject *name,
          PyObject *parent, unsigned long thread_id, double started,
          double find_seconds)
{
    PyObject *loader = PyObject_GetAttrString(spec, "loader");
    loader_proxy *proxy = NULL;
    int status = -1;

    if (loader == NULL) {
        goto done;
    }
    if (Py_IS_TYPE(loader, (PyTypeObject *)hook->proxy_type)) {
        /* A finder handed back a spec it had given before. */
        PyObject *real = Py_NewRef(((loader_proxy *)loader)->loader);
        Py_SETREF(loader, real);
    }
    if (loader == Py_None) {
        status = report(hook, name, parent, thread_id, started, find_seconds,
                        find_seconds, MI_IMPORT_OK, NULL);
        goto done;
    }
    PyTypeObject *type = (PyTypeObject *)hook->proxy_type;
    proxy = (loader_proxy *)type->tp_alloc(type, 0);
    if (proxy == NULL) {
        goto done;
    }
    proxy->hook = Py_NewRef((PyObject *)hook);
    proxy->loader = Py_NewRef(loader);
    proxy->spec = Py_NewRef(spec);
    proxy->name = Py_NewRef(name);
    proxy->parent = Py_NewRef(parent);
    proxy->thread_id = thread_id;
    proxy->started = started;
    proxy->find_seconds = find_seconds;
    if (PyObject_SetAttrString(spec, "loader", (PyObject *)proxy) < 0) {
        /* A spec that cannot take it: the import goes on untimed. */
        PyErr_Clear();
        status = report(hook, name, parent, thread_id, started,
                        find_seconds, find_seconds, MI_IMPORT_OK, NULL);
        goto done;
    }
    status = 0;

done:
    Py_XDECREF((PyObject *)proxy);
    Py_XDECREF(loader);
    return status;
}

PyDoc_STRVAR(import_hook_find_spec_doc,
"find_spec(fullname, path, target=None) -> ModuleSpec | None\n\n"
"Asks the finders after this one in sys.meta_path; times and reports the\n"
"import (see ImportHook).");

static PyObject *
import_hook_find_spec(PyObject *op, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"fullname", "path", "target", NULL};
    import_hook *hook = (import_hook *)op;
    PyObject *name, *path, *target = Py_None;
    PyObject *key = NULL, *parent = NULL, *spec = NULL, *result = NULL;
    unsigned long thread_id = PyThread_get_thread_ident();

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "UO|O:find_spec", kwlist,
                                     &name, &path, &target)) {
        return NULL;
    }
    key = Py_BuildValue("(kO)", thread_id, name);
    if (key == NULL) {
        goto done;
    }
    int finding = PySet_Contains(hook->finding, key);
    if (finding < 0) {
        goto done;
    }
    if (finding) {
        /* A finder after this one imports the very name it is finding:
           let the rest of sys.meta_path answer, untraced. */
        result = Py_NewRef(Py_None);
        goto done;
    }
    parent = stack_top(hook, thread_id);
    if (parent == NULL || PySet_Add(hook->finding, key) < 0) {
        goto done;
    }
    if (stack_push(hook, thread_id, name) < 0) {
        (void)PySet_Discard(hook->finding, key);
        goto done;
    }
    double started = monotonic_seconds();
    spec = delegate_find_spec(op, name, path, target);
    double find_seconds = monotonic_seconds() - started;
    stack_pop(hook, thread_id);
    {
        PyObject *pending = PyErr_GetRaisedException();
        if (PySet_Discard(hook->finding, key) < 0) {
            PyErr_WriteUnraisable(op);
        }
        PyErr_SetRaisedException(pending);
    }
    if (spec == NULL) {
        /* report() keeps the finder's exception raised (or chains it to
           a KeyboardInterrupt of the callback's). */
        PyObject *error = PyErr_GetRaisedException();
        PyErr_SetRaisedException(Py_NewRef(error));
        (void)report(hook, name, parent, thread_id, started, find_seconds,
                     find_seconds, MI_IMPORT_FAILED, error);
        Py_DECREF(error);
        goto done;
    }
    if (spec == Py_None) {
        if (report(hook, name, parent, thread_id, started, find_seconds,
                   find_seconds, MI_IMPORT_NOT_FOUND, NULL) < 0) {
            goto done;
        }
    }
    else if (wrap_spec(hook, spec, name, parent, thread_id, started,
                       find_seconds) < 0) {
        goto done;
    }
    result = Py_NewRef(spec);

done:
    Py_XDECREF(spec);
    Py_XDECREF(parent);
    Py_XDECREF(key);
    return result;
}

static PyObject *
import_hook_get_on_import(PyObject *op, void *closure)
{
    (void)closure;
    return Py_NewRef(((import_hook *)op)->on_import);
}

static PyObject *
import_hook_get_in_progress(PyObject *op, void *closure)
{
    import_hook *self = (import_hook *)op;
    PyObject *stack = thread_stack(self, PyThread_get_thread_ident(), 0);
    (void)closure;
    if (stack == NULL) {
        return PyErr_Occurred() ? NULL : PyTuple_New(0);
    }
    return PyList_AsTuple(stack);
}

static PyObject *
import_hook_get_importing(PyObject *op, void *closure)
{
    import_hook *self = (import_hook *)op;
    PyObject *names = PySet_New(NULL);
    PyObject *result = NULL;
    PyObject *key, *stack;
    Py_ssize_t position = 0;
    (void)closure;

    if (names == NULL) {
        return NULL;
    }
    while (PyDict_Next(self->stacks, &position, &key, &stack)) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(stack); i++) {
            if (PySet_Add(names, PyList_GET_ITEM(stack, i)) < 0) {
                goto done;
            }
        }
    }
    result = PyFrozenSet_New(names);

done:
    Py_DECREF(names);
    return result;
}

static int
import_hook_traverse(PyObject *op, visitproc visit, void *arg)
{
    import_hook *self = (import_hook *)op;
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->on_import);
    Py_VISIT(self->proxy_type);
    Py_VISIT(self->stacks);
    Py_VISIT(self->finding);
    return 0;
}

static int
import_hook_clear(PyObject *op)
{
    import_hook *self = (import_hook *)op;
    Py_CLEAR(self->on_import);
    Py_CLEAR(self->proxy_type);
    Py_CLEAR(self->stacks);
    Py_CLEAR(self->finding);
    return 0;
}

static void
import_hook_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    (void)import_hook_clear(op);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyObject *
import_hook_repr(PyObject *op)
{
    return PyUnicode_FromFormat("<ImportHook on_import=%R>",
                                ((import_hook *)op)->on_import);
}

PyDoc_STRVAR(import_hook_doc,
"ImportHook(on_import)\n\n"
"A meta-path finder to put first in sys.meta_path: it times every import\n"
"that reaches the import system and, when the import ends (after the\n"
"module's code ran, or raised), calls from the importing thread\n"
"on_import(name, parent, thread_id, started, find_seconds, total_seconds,\n"
"status, error): parent is the import in progress on the thread when\n"
"this one began (or None), started is time.monotonic() then, status 0\n"
"(ok), 1 (failed: error is 'Type: message') or 2 (no finder found it).\n"
"While a module's code runs, its __loader__ and __spec__.loader are an\n"
"ImportLoaderProxy delegating to the real loader; the real one is put\n"
"back when the code has run. Exceptions of on_import are reported with\n"
"sys.unraisablehook and never change the import.");

static PyMethodDef import_hook_methods[] = {
    {"find_spec", _PyCFunction_CAST(import_hook_find_spec),
     METH_VARARGS | METH_KEYWORDS, import_hook_find_spec_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef import_hook_getset[] = {
    {"on_import", import_hook_get_on_import, NULL, "The callback.", NULL},
    {"in_progress", import_hook_get_in_progress, NULL,
     "The names of this thread's imports in progress, outermost first.",
     NULL},
    {"importing", import_hook_get_importing, NULL,
     "The names of the imports in progress on every thread.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot import_hook_slots[] = {
    {Py_tp_doc, (void *)import_hook_doc},
    {Py_tp_new, import_hook_new},
    {Py_tp_dealloc, import_hook_dealloc},
    {Py_tp_traverse, import_hook_traverse},
    {Py_tp_clear, import_hook_clear},
    {Py_tp_repr, import_hook_repr},
    {Py_tp_methods, import_hook_methods},
    {Py_tp_getset, import_hook_getset},
    {0, NULL},
};

static PyType_Spec import_hook_spec = {
    .name = "memory_inventory._native.ImportHook",
    .basicsize = sizeof(import_hook),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = import_hook_slots,
};

int
mi_finder_add_types(PyObject *module)
{
    if (mi_add_type(module, &proxy_spec) < 0) {
        return -1;
    }
    return mi_add_type(module, &import_hook_spec);
}
