/* The import hook of import tracing: a meta-path finder written in C
 * (`_native.ImportHook`) that times every import reaching the import
 * system and reports it, when it ends, to a Python callback.
 *
 * ImportHook(on_import), placed first in sys.meta_path: its find_spec()
 * asks the finders after it for the spec and, when one is found, replaces
 * spec.loader with a proxy (`_native.ImportLoaderProxy`) that delegates
 * every attribute to the real loader but times create_module, exec_module
 * and load_module. After exec_module (or load_module) ends, the proxy puts
 * the real loader back on the spec, on module.__loader__ and on
 * module.__spec__ (also those of a module that replaced itself in
 * sys.modules), then calls
 *
 *     on_import(name, parent, thread_id, started, find_seconds,
 *               total_seconds, status, error)
 *
 * with the GIL held, from the importing thread, after the module's code
 * ran; status is MI_IMPORT_OK, MI_IMPORT_FAILED or MI_IMPORT_NOT_FOUND
 * (records.h). While the module's code runs, module.__loader__ and
 * __spec__.loader are the proxy. An exception from the callback is
 * reported with PyErr_WriteUnraisable and never changes the import.
 */
#ifndef MI_TRACE_FINDER_H
#define MI_TRACE_FINDER_H

#include <Python.h>

/* Adds ImportHook and ImportLoaderProxy to the extension module: 0, or -1
   with an exception set. */
int mi_finder_add_types(PyObject *module);

#endif
