#include "free_hook.h"

#include "object_block.h"

#include <stdlib.h>

struct mi_free_hook {
    PyMemAllocatorEx previous;  /* every call goes on to it */
    mi_owner_map *map;          /* NULL once stopped: a pass-through */
    uint64_t freed;
    uint64_t recycled;
#if MI_PY313
    PyRefTracer previous_tracer;    /* called after ours */
    void *previous_tracer_data;
    uintptr_t fresh;    /* see hook_trace_reference */
    size_t fresh_size;
#endif
};

/* 3.13: the block the allocator handed out last is fresh (see
   hook_trace_reference). */
static inline void *
handed_out(mi_free_hook *hook, void *block, size_t size)
{
#if MI_PY313
    hook->fresh = (uintptr_t)block;
    hook->fresh_size = block == NULL ? 0 : size;
#else
    (void)hook;
    (void)size;
#endif
    return block;
}

static void *
hook_malloc(void *ctx, size_t size)
{
    mi_free_hook *hook = ctx;
    return handed_out(hook, hook->previous.malloc(hook->previous.ctx, size),
                      size);
}

static void *
hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
    mi_free_hook *hook = ctx;
    return handed_out(hook, hook->previous.calloc(hook->previous.ctx, nelem,
                                                  elsize), nelem * elsize);
}

static void *
hook_realloc(void *ctx, void *block, size_t size)
{
    mi_free_hook *hook = ctx;
    void *moved = hook->previous.realloc(hook->previous.ctx, block, size);
    /* NULL for a size of 0 means freed (CPython's allocators never do it,
       others might); NULL otherwise means failed, the block unchanged. */
    if (moved == block || block == NULL || (moved == NULL && size != 0)) {
        return handed_out(hook, moved, size);
    }
    (void)handed_out(hook, moved, size);
    mi_owner_map *map = hook->map;
    uint32_t owner;
    if (map != NULL && mi_owner_map_remove(map, block, &owner)) {
        /* The object moved with its block (a resize): same owner. When
           out of memory, it is only forgotten. */
        if (moved == NULL || mi_owner_map_insert(map, moved, owner) < 0) {
            hook->freed++;
        }
    }
    return moved;
}

static void
hook_free(void *ctx, void *block)
{
    mi_free_hook *hook = ctx;
#if MI_PY313
    if ((uintptr_t)block == hook->fresh) {
        hook->fresh_size = 0;
    }
#endif
    /* mi_owner_map_remove answers at once when the map is empty. */
    if (hook->map != NULL && mi_owner_map_remove(hook->map, block, NULL)) {
        hook->freed++;
    }
    hook->previous.free(hook->previous.ctx, block);
}

#if MI_PY313
/* 3.13's reference tracer hears of every new object, free-list pops
   included: an owned block that holds a new object was recycled without
   the allocator hearing of it. The block is computed as tracemalloc's own
   tracer does (Python/tracemalloc.c, _PyTraceMalloc_TraceRef).

   Most new objects are made in the memory the allocator has just handed
   out (PyObject_Init right after PyObject_Malloc; a resize right after
   PyObject_Realloc): the fresh block, hook->fresh and hook->fresh_size.
   It is in no entry of the map: the hook removed its block when it was
   freed (and moved the owner along when a realloc moved it: the resized
   object keeps its owner). So an object made in the fresh block skips the
   map, and the block stops being fresh: the same object may later die
   into a free list and come back from it, and must then be looked up. A
   free-list pop is never taken for fresh by mistake: the memory was the
   allocator's, then the first object's made in it (which took its
   freshness), and only after that object died could it go to a free list;
   a block freed stops being fresh too. Testing the address against the
   block's bounds, without the object's type, is enough: an object made
   in the fresh block is new, whatever its type.

   This is exact for every free list without knowing them: CPython's
   (3.13: float, tuple, list, dict, slice, Context, async generator values
   and asend objects, MemoryError) as well as an extension's (Cython's,
   asyncio's future iterators); a list of types would not be. Everything
   else (an object whose memory is not from the hooked allocator, one made
   after another allocation came in between) is looked up, as all were
   before. */
/* Passes the event on to the tracer in place before ours, if any. */
static inline int
chain_tracer(mi_free_hook *hook, PyObject *object, PyRefTracerEvent event)
{
    if (hook->previous_tracer != NULL) {
        return hook->previous_tracer(object, event,
                                     hook->previous_tracer_data);
    }
    return 0;
}

static Py_NO_INLINE int
trace_creation(mi_free_hook *hook, PyObject *object)
{
    if ((uintptr_t)object - hook->fresh < hook->fresh_size) {
        hook->fresh_size = 0;
    }
    else if (mi_owner_map_remove(hook->map, mi_object_block(object),
                                 NULL)) {
        hook->recycled++;
    }
    return chain_tracer(hook, object, PyRefTracer_CREATE);
}

/* Called for every object made and every object destroyed: destruction
   is passed on at once, creation handled out of line. */
static int
hook_trace_reference(PyObject *object, PyRefTracerEvent event, void *data)
{
    mi_free_hook *hook = data;
    if (event == PyRefTracer_CREATE && hook->map != NULL) {
        return trace_creation(hook, object);
    }
    return chain_tracer(hook, object, event);
}

static void
start_tracer(mi_free_hook *hook)
{
    hook->previous_tracer = PyRefTracer_GetTracer(&hook->previous_tracer_data);
    (void)PyRefTracer_SetTracer(hook_trace_reference, hook);
}

/* Returns 1 when the tracer in place before ours is back, 0 when another
   replaced ours (tracemalloc.start() does, without chaining): ours may
   then still be called by whoever chained to it. */
static int
stop_tracer(mi_free_hook *hook)
{
    void *data;
    PyRefTracer current = PyRefTracer_GetTracer(&data);
    if (current == hook_trace_reference && data == hook) {
        (void)PyRefTracer_SetTracer(hook->previous_tracer,
                                    hook->previous_tracer_data);
        return 1;
    }
    return 0;
}
#endif

mi_free_hook *
mi_free_hook_start(mi_owner_map *map)
{
    /* Not from the allocator it wraps; a hook left in another
       allocator's chain is never freed (see mi_free_hook_stop). */
    mi_free_hook *hook = malloc(sizeof *hook);
    if (hook == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &hook->previous);
    hook->map = map;
    hook->freed = 0;
    hook->recycled = 0;
#if MI_PY313
    hook->fresh = 0;
    hook->fresh_size = 0;
    start_tracer(hook);
#endif
    PyMemAllocatorEx ours = {
        .ctx = hook,
        .malloc = hook_malloc,
        .calloc = hook_calloc,
        .realloc = hook_realloc,
        .free = hook_free,
    };
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &ours);
    return hook;
}

int
mi_free_hook_stop(mi_free_hook *hook)
{
    PyMemAllocatorEx current;
    int restored = 1;

    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &current);
    if (current.ctx == hook && current.free == hook_free) {
        PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &hook->previous);
    }
    else {
        restored = 0;
    }
#if MI_PY313
    restored &= stop_tracer(hook);
#endif
    if (!restored) {
        /* Someone installed their hook over ours and may call ours: keep
           it, passing everything through. */
        hook->map = NULL;
        return 0;
    }
    free(hook);
    return 1;
}

uint64_t
mi_free_hook_freed(const mi_free_hook *hook)
{
    return hook->freed;
}

uint64_t
mi_free_hook_recycled(const mi_free_hook *hook)
{
    return hook->recycled;
}
