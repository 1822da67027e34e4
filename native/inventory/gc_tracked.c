#include "gc_tracked.h"

#include <internal/pycore_gc.h>
#include <internal/pycore_interp.h>

Py_ssize_t
mi_gc_tracked(void)
{
    struct _gc_runtime_state *gc = &PyInterpreterState_Get()->gc;
    Py_ssize_t count = 0;
    /* The generations gc.get_objects() lists: not the permanent one. */
    for (int i = 0; i < NUM_GENERATIONS; i++) {
        PyGC_Head *head = &gc->generations[i].head;
        for (PyGC_Head *node = _PyGCHead_NEXT(head); node != head;
             node = _PyGCHead_NEXT(node)) {
            count++;
        }
    }
    return count;
}
