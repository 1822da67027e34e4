/* Forgets the owner of a block as soon as the object allocator frees it.
 *
 * Import tracing owns objects by address (owner_map.h, keyed by
 * object_block.h). An owned object can die and a new one take its block;
 * without this hook, the next incremental walk would take the newcomer for
 * the old object and skip it. While started, the hook wraps the object
 * allocator (PYMEM_DOMAIN_OBJ): every call goes on to the allocator that was
 * in place before, and a free (or a realloc that moves the block) first
 * removes the block from the map (a realloc moves the owner along with the
 * block: the object moved, it did not die).
 *
 * Cheap: nothing but a test when the map is empty, else one lookup in the
 * map per free; no Python call, no allocation (but when realloc moves an
 * owned block). The OBJ domain is only used with the GIL held, which
 * serialises the hook with the walks.
 *
 * Limits:
 * - Objects whose memory does not come from PYMEM_DOMAIN_OBJ (an extension
 *   type that allocates with malloc, say) are not seen freed.
 * - Objects that CPython recycles through its free lists (float, tuples of
 *   up to 20 items, list, dict, slice, ...) are not freed when they die: a
 *   new object of the same type can take an owned address without the
 *   allocator hearing of it, and keeps the old owner.
 * - Another tool may install its own allocator over ours. Stopping then
 *   leaves ours in place, chained under theirs, as a pass-through (a few
 *   bytes that are never freed), since restoring ours would cut theirs out.
 *   A tool that replaces the allocator without chaining to ours (or restores
 *   one it saved before ours) silently takes the hook out.
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

/* Stops the hook and frees it. Returns 1 when the allocator in place
   before it was restored, 0 when another allocator had been installed
   over it: the hook then stays in that chain as a pass-through, and is
   never freed. The GIL must be held. */
int mi_free_hook_stop(mi_free_hook *hook);

/* Owned blocks the hook saw freed (their entries removed). */
uint64_t mi_free_hook_freed(const mi_free_hook *hook);

#endif
