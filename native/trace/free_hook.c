#include "free_hook.h"

#include <stdlib.h>

struct mi_free_hook {
    PyMemAllocatorEx previous;  /* every call goes on to it */
    mi_owner_map *map;          /* NULL once stopped: a pass-through */
    uint64_t freed;
};

static void *
hook_malloc(void *ctx, size_t size)
{
    mi_free_hook *hook = ctx;
    return hook->previous.malloc(hook->previous.ctx, size);
}

static void *
hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
    mi_free_hook *hook = ctx;
    return hook->previous.calloc(hook->previous.ctx, nelem, elsize);
}

static void *
hook_realloc(void *ctx, void *block, size_t size)
{
    mi_free_hook *hook = ctx;
    void *moved = hook->previous.realloc(hook->previous.ctx, block, size);
    /* NULL for a size of 0 means freed (CPython's allocators never do it,
       others might); NULL otherwise means failed, the block unchanged. */
    if (moved == block || block == NULL || (moved == NULL && size != 0)) {
        return moved;
    }
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
    /* mi_owner_map_remove answers at once when the map is empty. */
    if (hook->map != NULL && mi_owner_map_remove(hook->map, block, NULL)) {
        hook->freed++;
    }
    hook->previous.free(hook->previous.ctx, block);
}

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
    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &current);
    if (current.ctx != hook || current.free != hook_free) {
        /* Someone installed an allocator over ours and may call ours:
           keep it, passing everything through. */
        hook->map = NULL;
        return 0;
    }
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &hook->previous);
    free(hook);
    return 1;
}

uint64_t
mi_free_hook_freed(const mi_free_hook *hook)
{
    return hook->freed;
}
