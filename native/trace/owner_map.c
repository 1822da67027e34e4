#include "owner_map.h"

#include <stdlib.h>
#include <string.h>

#define MIN_CAPACITY 64
/* A key, an owner, and 4 bits of filter. */
#define SLOT_BITS (8 * (sizeof(uintptr_t) + sizeof(uint32_t)) + 4)
#define FILTER_WORDS(capacity) ((capacity) / 16)

static size_t
slot_of(uintptr_t key, size_t mask)
{
    /* As pointer_set.c: blocks are 16-byte aligned, so the low bits carry
       no information; Fibonacci hashing, then the high bits folded down
       (heap and mmap addresses differ high up). */
    uint64_t h = (uint64_t)(key >> 4) * UINT64_C(0x9E3779B97F4A7C15);
    h ^= h >> 32;
    h ^= h >> 16;
    return (size_t)h & mask;
}

/* The filter's bits for `key`, in its word *word: two bits of one word,
   from a hash independent of slot_of's. */
static inline uint64_t
filter_bits(uintptr_t key, size_t mask, size_t *word)
{
    uint64_t h = (uint64_t)(key >> 4) * UINT64_C(0xC2B2AE3D27D4EB4F);
    h ^= h >> 31;
    *word = (size_t)(h >> 12) & (mask >> 4);
    return UINT64_C(1) << (h & 63) | UINT64_C(1) << ((h >> 6) & 63);
}

static void
filter_add(mi_owner_map *map, uintptr_t key)
{
    size_t word;
    uint64_t bits = filter_bits(key, map->mask, &word);
    map->filter[word] |= bits;
}

/* 0 when `key` is certainly absent. */
static inline int
filter_may_hold(const mi_owner_map *map, uintptr_t key)
{
    size_t word;
    uint64_t bits = filter_bits(key, map->mask, &word);
    return (map->filter[word] & bits) == bits;
}

static void
rebuild_filter(mi_owner_map *map)
{
    memset(map->filter, 0, FILTER_WORDS(map->mask + 1) * sizeof(uint64_t));
    for (size_t i = 0; i <= map->mask; i++) {
        if (map->keys[i] != 0) {
            filter_add(map, map->keys[i]);
        }
    }
    map->stale = 0;
}

/* One allocation holds the keys, the owners, then the filter. */
static int
allocate(mi_owner_map *map, size_t capacity)
{
    if (capacity > SIZE_MAX / SLOT_BITS) {
        return -1;
    }
    uintptr_t *keys = calloc(capacity * SLOT_BITS / 64, sizeof(uint64_t));
    if (keys == NULL) {
        return -1;
    }
    map->keys = keys;
    map->owners = (uint32_t *)(keys + capacity);
    map->filter = (uint64_t *)(map->owners + capacity);
    map->mask = capacity - 1;
    map->stale = 0;
    return 0;
}

int
mi_owner_map_init(mi_owner_map *map, size_t expected)
{
    size_t capacity = MIN_CAPACITY;
    while (capacity / 2 < expected && capacity <= SIZE_MAX / 4) {
        capacity *= 2;
    }
    map->count = 0;
    if (allocate(map, capacity) < 0) {
        map->keys = NULL;
        map->owners = NULL;
        map->filter = NULL;
        map->mask = 0;
        map->stale = 0;
        return -1;
    }
    return 0;
}

void
mi_owner_map_free(mi_owner_map *map)
{
    free(map->keys);
    map->keys = NULL;
    map->owners = NULL;
    map->filter = NULL;
    map->mask = 0;
    map->count = 0;
    map->stale = 0;
}

/* The slot of `key`, or of the empty slot where its probe ends. */
static size_t
find(const mi_owner_map *map, uintptr_t key)
{
    size_t i = slot_of(key, map->mask);
    while (map->keys[i] != 0 && map->keys[i] != key) {
        i = (i + 1) & map->mask;
    }
    return i;
}

static int
grow(mi_owner_map *map)
{
    mi_owner_map old = *map;
    if (old.mask + 1 > SIZE_MAX / 2 || allocate(map, (old.mask + 1) * 2) < 0) {
        *map = old;
        return -1;
    }
    for (size_t i = 0; i <= old.mask; i++) {
        if (old.keys[i] != 0) {
            size_t j = find(map, old.keys[i]);
            map->keys[j] = old.keys[i];
            map->owners[j] = old.owners[i];
            filter_add(map, old.keys[i]);
        }
    }
    free(old.keys);
    return 0;
}

int
mi_owner_map_insert(mi_owner_map *map, const void *address, uint32_t owner)
{
    uintptr_t key = (uintptr_t)address;
    size_t i = find(map, key);
    if (map->keys[i] == key) {
        map->owners[i] = owner;
        return 0;
    }
    /* At most half full: short probes, most of all for misses. */
    if ((map->count + 1) * 2 > map->mask + 1) {
        if (grow(map) < 0) {
            return -1;
        }
        i = find(map, key);
    }
    map->keys[i] = key;
    map->owners[i] = owner;
    map->count++;
    filter_add(map, key);
    return 1;
}

int
mi_owner_map_lookup(const mi_owner_map *map, const void *address,
                    uint32_t *owner)
{
    if (map->count == 0 || !filter_may_hold(map, (uintptr_t)address)) {
        return 0;       /* also a freed map */
    }
    size_t i = find(map, (uintptr_t)address);
    if (map->keys[i] == 0) {
        return 0;
    }
    if (owner != NULL) {
        *owner = map->owners[i];
    }
    return 1;
}

int
mi_owner_map_remove(mi_owner_map *map, const void *address, uint32_t *owner)
{
    if (map->count == 0 || !filter_may_hold(map, (uintptr_t)address)) {
        return 0;       /* also a freed map */
    }
    size_t hole = find(map, (uintptr_t)address);
    if (map->keys[hole] == 0) {
        return 0;
    }
    if (owner != NULL) {
        *owner = map->owners[hole];
    }
    /* Backward shift: walk the run after the hole; an entry may fill the
       hole when its home slot is not between the hole and itself (going
       round the end of the array), that is, when it is at least as far
       from its home as from the hole. */
    size_t mask = map->mask;
    for (size_t j = (hole + 1) & mask; map->keys[j] != 0; j = (j + 1) & mask) {
        size_t home = slot_of(map->keys[j], mask);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            map->keys[hole] = map->keys[j];
            map->owners[hole] = map->owners[j];
            hole = j;
        }
    }
    map->keys[hole] = 0;
    map->count--;
    /* The key's bits stay set. Once a quarter of the capacity is stale,
       rebuild: at most one pass over the table per that many removals. */
    if (++map->stale > (map->mask + 1) / 4) {
        rebuild_filter(map);
    }
    return 1;
}

int
mi_owner_map_next(const mi_owner_map *map, size_t *position,
                  uintptr_t *address, uint32_t *owner)
{
    if (map->keys == NULL) {
        return 0;
    }
    while (*position <= map->mask) {
        size_t i = (*position)++;
        if (map->keys[i] != 0) {
            *address = map->keys[i];
            *owner = map->owners[i];
            return 1;
        }
    }
    return 0;
}

size_t
mi_owner_map_memory(const mi_owner_map *map)
{
    return map->keys == NULL ? 0 : (map->mask + 1) * SLOT_BITS / 8;
}
