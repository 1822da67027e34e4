/* The one place where the engine reaches into CPython's internal headers.
 *
 * Measuring without disturbing needs layouts that the public API hides: the
 * pre-header of objects with managed dicts, the values arrays and shared
 * keys of split dicts, the size of the pre-header that sys.getsizeof adds.
 * These headers ship with every CPython install; they are stable within a
 * minor version, which is why the extension is built per interpreter. */
#ifndef MI_CPYTHON_INTERNALS_H
#define MI_CPYTHON_INTERNALS_H

#ifndef Py_BUILD_CORE
#  define Py_BUILD_CORE 1
#endif
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <internal/pycore_dict.h>
#include <internal/pycore_object.h>
#include <internal/pycore_moduleobject.h>
#include <internal/pycore_typeobject.h>
#if PY_VERSION_HEX >= 0x030D0000
#  include <internal/pycore_pyhash.h>
#  include <internal/pycore_setobject.h>
#  include <internal/pycore_sysmodule.h>
#endif

#if PY_VERSION_HEX < 0x030C0000
#  error "memory_inventory needs CPython 3.12 or newer"
#endif

#define MI_PY313 (PY_VERSION_HEX >= 0x030D0000)

#endif
