#include "owner_map.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAPACITY 64
/* A slot (key and owner), 4 bits of filter and a mark bit. */
#define SLOT_BITS (8 * sizeof(mi_owner_slot) + 4 + 1)
#define FILTER_WORDS(capacity) ((capacity) / 16)
#define MARK_WORDS(capacity) ((capacity) / 64)

static inline int
is_marked(const mi_owner_map *map, size_t i)
{
    return (map->marks[i / 64] >> (i % 64)) & 1;
}

static inline void
set_mark(mi_owner_map *map, size_t i, int marked)
{
    uint64_t bit = UINT64_C(1) << (i % 64);
    if (marked) {
        map->marks[i / 64] |= bit;
    }
    else {
        map->marks[i / 64] &= ~bit;
    }
}

static inline size_t
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

static inline void
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
        if (map->slots[i].key != 0) {
            filter_add(map, map->slots[i].key);
        }
    }
    map->stale = 0;
}

/* One allocation holds the slots, the filter, then the marks. */
static int
allocate(mi_owner_map *map, size_t capacity)
{
    if (capacity > SIZE_MAX / SLOT_BITS) {
        return -1;
    }
    mi_owner_slot *slots = calloc(capacity * SLOT_BITS / 64,
                                  sizeof(uint64_t));
    if (slots == NULL) {
        return -1;
    }
    map->slots = slots;
    map->filter = (uint64_t *)(slots + capacity);
    map->marks = map->filter + FILTER_WORDS(capacity);
    map->mask = capacity - 1;
    map->stale = 0;
    return 0;
}

/* At most three quarters full. */
static inline int
too_full(size_t count, size_t capacity)
{
    return count > capacity / 4 * 3;
}

int
mi_owner_map_init(mi_owner_map *map, size_t expected)
{
    size_t capacity = MIN_CAPACITY;
    while (too_full(expected, capacity) && capacity <= SIZE_MAX / 4) {
        capacity *= 2;
    }
    map->count = 0;
    if (allocate(map, capacity) < 0) {
        map->slots = NULL;
        map->filter = NULL;
        map->marks = NULL;
        map->mask = 0;
        map->stale = 0;
        return -1;
    }
    return 0;
}

void
mi_owner_map_free(mi_owner_map *map)
{
    free(map->slots);
    map->slots = NULL;
    map->filter = NULL;
    map->marks = NULL;
    map->mask = 0;
    map->count = 0;
    map->stale = 0;
}

/* The slot of `key`, or of the empty slot where its probe ends. */
static inline size_t
find(const mi_owner_map *map, uintptr_t key)
{
    size_t i = slot_of(key, map->mask);
    while (map->slots[i].key != 0 && map->slots[i].key != key) {
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
        if (old.slots[i].key != 0) {
            size_t j = find(map, old.slots[i].key);
            map->slots[j] = old.slots[i];
            set_mark(map, j, is_marked(&old, i));
            filter_add(map, old.slots[i].key);
        }
    }
    free(old.slots);
    return 0;
}

/* Adds `key` for `owner` unless it is there: returns 1. When it is there,
   returns 0, and gives it to `owner` when `replace`. -1 when out of
   memory. */
static inline int
put(mi_owner_map *map, uintptr_t key, uint32_t owner, bool replace)
{
    size_t i = find(map, key);
    if (map->slots[i].key == key) {
        if (replace) {
            map->slots[i].owner = owner;
        }
        return 0;
    }
    if (too_full(map->count + 1, map->mask + 1)) {
        if (grow(map) < 0) {
            return -1;
        }
        i = find(map, key);
    }
    map->slots[i].key = key;
    map->slots[i].owner = owner;
    set_mark(map, i, 0);
    map->count++;
    filter_add(map, key);
    return 1;
}

int
mi_owner_map_insert(mi_owner_map *map, const void *address, uint32_t owner)
{
    return put(map, (uintptr_t)address, owner, true);
}

void
mi_owner_map_prefetch(const mi_owner_map *map, const void *address)
{
    if (map->slots != NULL) {
        __builtin_prefetch(&map->slots[slot_of((uintptr_t)address,
                                               map->mask)]);
    }
}

int
mi_owner_map_claim(mi_owner_map *map, const void *address, uint32_t owner)
{
    return put(map, (uintptr_t)address, owner, false);
}

int
mi_owner_map_lookup(const mi_owner_map *map, const void *address,
                    uint32_t *owner)
{
    if (map->count == 0 || !filter_may_hold(map, (uintptr_t)address)) {
        return 0;       /* also a freed map */
    }
    size_t i = find(map, (uintptr_t)address);
    if (map->slots[i].key == 0) {
        return 0;
    }
    if (owner != NULL) {
        *owner = map->slots[i].owner;
    }
    return 1;
}

int
mi_owner_map_mark(mi_owner_map *map, const void *address, uint32_t *owner)
{
    /* No filter: the accounting walk asks mostly about owned objects. */
    if (map->count == 0) {
        return 0;
    }
    size_t i = find(map, (uintptr_t)address);
    if (map->slots[i].key == 0) {
        return 0;
    }
    if (owner != NULL) {
        *owner = map->slots[i].owner;
    }
    if (is_marked(map, i)) {
        return 2;
    }
    set_mark(map, i, 1);
    return 1;
}

void
mi_owner_map_new_marks(mi_owner_map *map)
{
    if (map->marks != NULL) {
        memset(map->marks, 0, MARK_WORDS(map->mask + 1) * sizeof(uint64_t));
    }
}

int
mi_owner_map_remove(mi_owner_map *map, const void *address, uint32_t *owner)
{
    if (map->count == 0 || !filter_may_hold(map, (uintptr_t)address)) {
        return 0;       /* also a freed map */
    }
    size_t hole = find(map, (uintptr_t)address);
    if (map->slots[hole].key == 0) {
        return 0;
    }
    if (owner != NULL) {
        *owner = map->slots[hole].owner;
    }
    /* Backward shift: walk the run after the hole; an entry may fill the
       hole when its home slot is not between the hole and itself (going
       round the end of the array), that is, when it is at least as far
       from its home as from the hole. */
    size_t mask = map->mask;
    for (size_t j = (hole + 1) & mask; map->slots[j].key != 0;
         j = (j + 1) & mask) {
        size_t home = slot_of(map->slots[j].key, mask);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            map->slots[hole] = map->slots[j];
            set_mark(map, hole, is_marked(map, j));
            hole = j;
        }
    }
    map->slots[hole].key = 0;
    set_mark(map, hole, 0);
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
    if (map->slots == NULL) {
        return 0;
    }
    while (*position <= map->mask) {
        size_t i = (*position)++;
        if (map->slots[i].key != 0) {
            *address = map->slots[i].key;
            *owner = map->slots[i].owner;
            return 1;
        }
    }
    return 0;
}

size_t
mi_owner_map_memory(const mi_owner_map *map)
{
    return map->slots == NULL ? 0 : (map->mask + 1) * SLOT_BITS / 8;
}
