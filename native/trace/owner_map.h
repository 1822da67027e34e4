/* A map from non-NULL addresses to 32-bit owner ids, with open addressing.
 *
 * Import tracing keeps here, for every object an incremental walk took
 * stock of, the walk (the import) that owns it; the free hook
 * (free_hook.h) removes an entry as soon as the allocator frees its
 * block. Removal is backward-shift deletion for linear probing: no
 * tombstones, so a map that sees millions of frees stays as fast as a
 * fresh one. A slot holds the key and its owner (12 bytes, packed: a
 * lookup that finds its key reads one cache line, rarely two). The table
 * fills up to three quarters before it doubles.
 *
 * Presence bits: the hook asks "is this block in the map?" on every free
 * (and on 3.13 for many new objects), almost always to hear "no", and an
 * incremental walk claims every reference it follows, mostly to hear
 * "already owned". Both are answered by an exact bitmap of the keys,
 * without touching the table: a bit per 16-byte granule, which stands for
 * the key at the granule's start (blocks are 16-byte aligned). The bits of
 * each MiB of address space that holds a key are a chunk of 8 KiB,
 * allocated when its first key comes and kept until the map is freed; a
 * small hash table finds the chunk of an address (address >> 20), and the
 * map remembers the last chunk it looked up. Objects made one after
 * another sit side by side in the allocator's pools: their bits share a
 * cache line, where a hash of each address (a Bloom filter, a table probe)
 * misses the cache each time. A key that is not 16-byte aligned (only a
 * static object's can be) has no bit: it is looked up in the table.
 *
 * Marks: the final accounting walk uses the map as its seen set for owned
 * objects (mi_owner_map_mark): a bit per slot, which moves with its key,
 * all cleared by mi_owner_map_new_marks(). This spares that walk a second
 * table of every object, and a second cache miss per reference.
 *
 * A table of 2 MiB or more (the tracker's starts at 6 MiB) is mapped on
 * its own in transparent huge pages, on Linux: its random probes touch
 * every page, and with 4 KiB pages each is a page fault and, beyond the
 * TLB's reach, a page walk.
 *
 * Pure C, no Python: tested with GoogleTest (tests/native/owner_map_test.cc).
 * Not thread-safe; the free hook and the walks run under the GIL. */
#ifndef MI_OWNER_MAP_H
#define MI_OWNER_MAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 12 bytes: the key may be read unaligned (x86-64 and arm64 do it at the
   speed of an aligned read within a cache line). */
typedef struct __attribute__((packed)) {
    uintptr_t key;      /* 0 marks an empty slot */
    uint32_t owner;
} mi_owner_slot;

/* The presence bits of one MiB of address space: an entry of the chunk
   table. */
typedef struct {
    uintptr_t number;   /* address >> MI_OWNER_CHUNK_SHIFT */
    uint64_t *bits;     /* MI_OWNER_CHUNK_WORDS words; NULL: an empty entry */
} mi_owner_chunk;

#define MI_OWNER_CHUNK_SHIFT 20
#define MI_OWNER_GRANULE_SHIFT 4
#define MI_OWNER_CHUNK_WORDS \
    ((size_t)1 << (MI_OWNER_CHUNK_SHIFT - MI_OWNER_GRANULE_SHIFT - 6))

typedef struct {
    mi_owner_slot *slots;
    uint64_t *marks;    /* capacity / 64 words: a bit per slot */
    size_t mask;        /* capacity - 1; capacity is a power of two */
    size_t count;
    mi_owner_chunk *chunks;     /* the chunk table, open addressing */
    size_t chunk_mask;          /* its capacity - 1 */
    size_t n_chunks;
    uintptr_t cached_number;    /* the chunk looked up last, */
    uint64_t *cached_bits;      /* its bits (NULL: it has none yet) */
} mi_owner_map;

/* Returns 0, or -1 when out of memory. */
int mi_owner_map_init(mi_owner_map *map, size_t expected);
void mi_owner_map_free(mi_owner_map *map);

/* Sets the owner of `address` (non-NULL), replacing any previous one.
   Returns 1 if added, 0 if replaced, -1 when out of memory (the map is
   then unchanged). */
int mi_owner_map_insert(mi_owner_map *map, const void *address,
                        uint32_t owner);

/* Sets the owner of `address` (non-NULL) unless it has one: returns 1
   if added, 0 if it was there (unchanged), -1 when out of memory. What an
   incremental walk asks of every reference it follows: "already owned"
   is read from the presence bits, without a probe. */
int mi_owner_map_claim(mi_owner_map *map, const void *address,
                       uint32_t owner);

/* Asks the processor to fetch the slot where a probe for `address`
   starts: a walk does it for a batch of references before it claims or
   marks them, so that their cache misses overlap. (Not the presence bits
   too: measured, that costs the walks more than it spares them; the bits
   are small enough to be mostly in cache.) */
void mi_owner_map_prefetch(const mi_owner_map *map, const void *address);

/* Returns 1 and sets *owner (when owner is not NULL) if `address` is in
   the map, else 0. */
int mi_owner_map_lookup(const mi_owner_map *map, const void *address,
                        uint32_t *owner);

/* Removes `address`. Returns 1 and sets *owner (when owner is not NULL)
   if it was in the map, else 0. Never allocates: safe in an allocator. */
int mi_owner_map_remove(mi_owner_map *map, const void *address,
                        uint32_t *owner);

/* Iteration, in slot order: start with *position = 0; returns 1 and fills
   address and owner while entries remain, then 0. The map must not change
   during an iteration. */
int mi_owner_map_next(const mi_owner_map *map, size_t *position,
                      uintptr_t *address, uint32_t *owner);

/* Marks `address` if it is in the map: returns 0 when it is not, 1 when
   it was not marked yet (and marks it), 2 when it was; sets *owner
   (when not NULL) in the last two cases. */
int mi_owner_map_mark(mi_owner_map *map, const void *address,
                      uint32_t *owner);

/* Unmarks every slot. */
void mi_owner_map_new_marks(mi_owner_map *map);

/* The number of addresses in the map. */
static inline size_t
mi_owner_map_count(const mi_owner_map *map)
{
    return map->count;
}

/* The bytes the map holds (its arrays, chunk table and chunks). */
size_t mi_owner_map_memory(const mi_owner_map *map);

#ifdef __cplusplus
}
#endif

#endif
