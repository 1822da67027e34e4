/* Forgets the owner of a block as soon as the object allocator frees it.
 *
 * Import tracing owns objects by block (owner_map.h, keyed as in
 * object_block.h). An owned object can die and a new one take its block;
 * without this hook, the next incremental walk would take the newcomer for
 * the old object and skip it. While started, the hook wraps the object
 * allocator (PYMEM_DOMAIN_OBJ): every call goes on to the allocator that was
 * in place before, and a free (or a realloc that moves the block) first
 * removes the block from the map (a realloc moves the owner along with the
 * block: the object moved, it did not die).
 *
 * CPython does not free every dead object: floats, tuples of up to 20
 * items, lists, dicts, slices and a few more go to per-type free lists, and
 * the next object of that type takes the block back without the allocator
 * hearing of it. On 3.13 the hook also installs a reference tracer
 * (PyRefTracer_SetTracer), told of every new object, free-list pops
 * included: a new object in an owned block removes it ("recycled"). 3.12
 * has no such hook: there, an object recycled through a free list keeps
 * the owner of its block's previous object.
 *
 * Cheap: one look-up of the map's presence bits per free, and on 3.13 per
 * new object that is not made in the block the allocator has just handed
 * out (most are, and skip the map: free_hook.c says why that is exact);
 * no Python call, no allocation (but when realloc moves an owned block).
 * The OBJ domain is only used with the GIL held, which serialises the hook
 * with the walks.
 *
 * Limits:
 * - Objects whose memory does not come from PYMEM_DOMAIN_OBJ (an extension
 *   type that allocates with malloc, say) are not seen freed (on 3.13, a
 *   new object in their block is still seen).
 * - Free lists on 3.12, as above.
 * - Another tool may install its own hook over ours (tracemalloc.start()
 *   does, for the allocator and, on 3.13, the reference tracer). Stopping
 *   then leaves ours in place as a pass-through, chained under theirs, and
 *   never frees its few bytes: restoring ours would cut theirs out. A tool
 *   that installs its hook without chaining to ours (tracemalloc's
 *   reference tracer), or restores one it saved before ours, silently
 *   takes ours out.
 * - Interpreters with their own GIL (PEP 684) share the allocator: the hook
 *   assumes one GIL. */
#ifndef MI_FREE_HOOK_H
#define MI_FREE_HOOK_H

#include "../inventory/cpython_internals.h"
#include "owner_map.h"

typedef struct mi_free_hook mi_free_hook;

/* Starts removing from `map` the blocks that the object allocator frees;
   the map must outlive the hook. The GIL must be held. Returns the hook,
   or NULL with MemoryError set. */
mi_free_hook *mi_free_hook_start(mi_owner_map *map);

/* Stops the hook and frees it. Returns 1 when the allocator (and tracer)
   in place before it were restored, 0 when another had been installed
   over it: the hook then stays in that chain as a pass-through, and is
   never freed. The GIL must be held. */
int mi_free_hook_stop(mi_free_hook *hook);

/* Owned blocks the hook saw freed (their entries removed). */
uint64_t mi_free_hook_freed(const mi_free_hook *hook);

/* 3.13: owned blocks that the hook saw hold a new object without having
   been freed (free lists); always 0 on 3.12. */
uint64_t mi_free_hook_recycled(const mi_free_hook *hook);

#endif
