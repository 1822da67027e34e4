/* mmap() is POSIX; MAP_ANONYMOUS and MADV_HUGEPAGE are not, and C11
   hides them without this. */
#define _DEFAULT_SOURCE

#include "owner_map.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#define HUGE_PAGE ((size_t)2 << 20)
#endif

#define MIN_CAPACITY 64
#define MIN_CHUNK_CAPACITY 16
/* A slot (key and owner) and its mark bit. */
#define SLOT_BITS (8 * sizeof(mi_owner_slot) + 1)
#define MARK_WORDS(capacity) ((capacity) / 64)
#define GRANULE ((uintptr_t)1 << MI_OWNER_GRANULE_SHIFT)
#define CHUNK_BYTES (MI_OWNER_CHUNK_WORDS * sizeof(uint64_t))
/* No address >> MI_OWNER_CHUNK_SHIFT is this: the cache's "none yet". */
#define NO_CHUNK UINTPTR_MAX

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

/* --- Presence bits ------------------------------------------------------ */

/* Only keys at the start of a granule have a bit. */
static inline bool
has_bit(uintptr_t key)
{
    return (key & (GRANULE - 1)) == 0;
}

static inline uintptr_t
chunk_number(uintptr_t key)
{
    return key >> MI_OWNER_CHUNK_SHIFT;
}

/* The word of `key` in its chunk, and its bit in that word. */
static inline size_t
bit_word(uintptr_t key)
{
    return (size_t)(key >> (MI_OWNER_GRANULE_SHIFT + 6))
        & (MI_OWNER_CHUNK_WORDS - 1);
}

static inline uint64_t
bit_in_word(uintptr_t key)
{
    return UINT64_C(1) << ((key >> MI_OWNER_GRANULE_SHIFT) & 63);
}

static inline size_t
chunk_slot_of(uintptr_t number, size_t mask)
{
    uint64_t h = (uint64_t)number * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h ^ (h >> 29)) & mask;
}

/* The entry of chunk `number` in the chunk table, or the empty entry
   where its probe ends. */
static inline size_t
chunk_find(const mi_owner_map *map, uintptr_t number)
{
    size_t i = chunk_slot_of(number, map->chunk_mask);
    while (map->chunks[i].bits != NULL && map->chunks[i].number != number) {
        i = (i + 1) & map->chunk_mask;
    }
    return i;
}

/* The bits of chunk `number`, NULL if it has none; from the cache when it
   was the last one looked up. */
static inline const uint64_t *
peek_bits(const mi_owner_map *map, uintptr_t number)
{
    if (number == map->cached_number) {
        return map->cached_bits;
    }
    return map->chunks[chunk_find(map, number)].bits;
}

/* As peek_bits, and remembers the answer. */
static inline uint64_t *
chunk_bits(mi_owner_map *map, uintptr_t number)
{
    if (number != map->cached_number) {
        map->cached_bits = map->chunks[chunk_find(map, number)].bits;
        map->cached_number = number;
    }
    return map->cached_bits;
}

/* 1 when `key` (which has a bit) is in the map, else 0: exact. */
static inline int
bit_is_set(mi_owner_map *map, uintptr_t key)
{
    const uint64_t *bits = chunk_bits(map, chunk_number(key));
    return bits != NULL && (bits[bit_word(key)] & bit_in_word(key)) != 0;
}

static int
grow_chunk_table(mi_owner_map *map)
{
    size_t capacity = map->chunk_mask + 1;
    if (capacity > SIZE_MAX / 2 / sizeof(mi_owner_chunk)) {
        return -1;
    }
    mi_owner_chunk *chunks = calloc(capacity * 2, sizeof(mi_owner_chunk));
    if (chunks == NULL) {
        return -1;
    }
    mi_owner_chunk *old = map->chunks;
    map->chunks = chunks;
    map->chunk_mask = capacity * 2 - 1;
    for (size_t i = 0; i < capacity; i++) {
        if (old[i].bits != NULL) {
            map->chunks[chunk_find(map, old[i].number)] = old[i];
        }
    }
    free(old);
    return 0;
}

/* The bits of chunk `number`, made (all clear) if it has none yet; NULL
   when out of memory. */
static uint64_t *
need_bits(mi_owner_map *map, uintptr_t number)
{
    uint64_t *bits = chunk_bits(map, number);
    if (bits != NULL) {
        return bits;
    }
    /* At most half full: probes for absent chunks stay short. */
    if ((map->n_chunks + 1) * 2 > map->chunk_mask + 1
        && grow_chunk_table(map) < 0) {
        return NULL;
    }
    bits = calloc(MI_OWNER_CHUNK_WORDS, sizeof(uint64_t));
    if (bits == NULL) {
        return NULL;
    }
    size_t i = chunk_find(map, number);
    map->chunks[i].number = number;
    map->chunks[i].bits = bits;
    map->n_chunks++;
    map->cached_bits = bits;
    return bits;
}

/* --- The table ---------------------------------------------------------- */

static inline size_t
table_bytes(size_t capacity)
{
    return capacity * SLOT_BITS / 8;
}

/* Zeroed memory for a table of `bytes`. Random probes touch every page of
   a large table, each a page fault and (beyond the TLB's reach) a page
   walk: from 2 MiB up, it is mapped on its own, aligned to 2 MiB and
   marked for transparent huge pages (where the kernel does them only when
   asked, as with "madvise"). Its pages would all be touched anyway: the
   resident size does not grow. */
static void *
table_alloc(size_t bytes)
{
#ifdef HUGE_PAGE
    if (bytes >= HUGE_PAGE) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t length = (bytes + page - 1) / page * page;
        char *raw = mmap(NULL, length + HUGE_PAGE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) {
            return NULL;
        }
        /* Keep the 2 MiB-aligned `length` bytes, unmap the rest. */
        size_t head = (HUGE_PAGE - (uintptr_t)raw % HUGE_PAGE) % HUGE_PAGE;
        char *start = raw + head;
        if (head != 0) {
            (void)munmap(raw, head);
        }
        (void)munmap(start + length, HUGE_PAGE - head);
#ifdef MADV_HUGEPAGE
        (void)madvise(start, length, MADV_HUGEPAGE);
#endif
        return start;
    }
#endif
    return calloc(bytes / sizeof(uint64_t), sizeof(uint64_t));
}

static void
table_free(void *table, size_t bytes)
{
#ifdef HUGE_PAGE
    if (bytes >= HUGE_PAGE) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        (void)munmap(table, (bytes + page - 1) / page * page);
        return;
    }
#endif
    free(table);
}

/* One allocation holds the slots, then the marks. */
static int
allocate(mi_owner_map *map, size_t capacity)
{
    if (capacity > SIZE_MAX / SLOT_BITS) {
        return -1;
    }
    mi_owner_slot *slots = table_alloc(table_bytes(capacity));
    if (slots == NULL) {
        return -1;
    }
    map->slots = slots;
    map->marks = (uint64_t *)(slots + capacity);
    map->mask = capacity - 1;
    return 0;
}

/* At most three quarters full. */
static inline int
too_full(size_t count, size_t capacity)
{
    return count > capacity / 4 * 3;
}

static void
clear(mi_owner_map *map)
{
    map->slots = NULL;
    map->marks = NULL;
    map->mask = 0;
    map->count = 0;
    map->chunks = NULL;
    map->chunk_mask = 0;
    map->n_chunks = 0;
    map->cached_number = NO_CHUNK;
    map->cached_bits = NULL;
}

int
mi_owner_map_init(mi_owner_map *map, size_t expected)
{
    size_t capacity = MIN_CAPACITY;
    while (too_full(expected, capacity) && capacity <= SIZE_MAX / 4) {
        capacity *= 2;
    }
    clear(map);
    map->chunks = calloc(MIN_CHUNK_CAPACITY, sizeof(mi_owner_chunk));
    if (map->chunks == NULL || allocate(map, capacity) < 0) {
        free(map->chunks);
        clear(map);
        return -1;
    }
    map->chunk_mask = MIN_CHUNK_CAPACITY - 1;
    return 0;
}

void
mi_owner_map_free(mi_owner_map *map)
{
    if (map->chunks != NULL) {
        for (size_t i = 0; i <= map->chunk_mask; i++) {
            free(map->chunks[i].bits);
        }
    }
    free(map->chunks);
    if (map->slots != NULL) {
        table_free(map->slots, table_bytes(map->mask + 1));
    }
    clear(map);
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
        }
    }
    table_free(old.slots, table_bytes(old.mask + 1));
    return 0;
}

/* Adds `key`, which is not in the map, for `owner`: 1, or -1 when out of
   memory (the map unchanged but maybe for an empty chunk of bits). */
static int
add(mi_owner_map *map, uintptr_t key, uint32_t owner)
{
    uint64_t *bits = NULL;
    if (has_bit(key)) {
        bits = need_bits(map, chunk_number(key));
        if (bits == NULL) {
            return -1;
        }
    }
    if (too_full(map->count + 1, map->mask + 1) && grow(map) < 0) {
        return -1;
    }
    size_t i = find(map, key);
    map->slots[i].key = key;
    map->slots[i].owner = owner;
    /* Its mark is clear, as every empty slot's: a new table is zeroed,
       and removal clears the mark of the slot it empties (not clearing it
       here spares the walk a cache miss in the marks). */
    map->count++;
    if (bits != NULL) {
        bits[bit_word(key)] |= bit_in_word(key);
    }
    return 1;
}

/* Adds `key` for `owner` unless it is there: returns 1. When it is there,
   returns 0, and gives it to `owner` when `replace`. -1 when out of
   memory. */
static inline int
put(mi_owner_map *map, uintptr_t key, uint32_t owner, bool replace)
{
    if (has_bit(key)) {
        if (!bit_is_set(map, key)) {
            return add(map, key, owner);
        }
        if (replace) {
            map->slots[find(map, key)].owner = owner;
        }
        return 0;
    }
    size_t i = find(map, key);
    if (map->slots[i].key == key) {
        if (replace) {
            map->slots[i].owner = owner;
        }
        return 0;
    }
    return add(map, key, owner);
}

int
mi_owner_map_insert(mi_owner_map *map, const void *address, uint32_t owner)
{
    return put(map, (uintptr_t)address, owner, true);
}

int
mi_owner_map_claim(mi_owner_map *map, const void *address, uint32_t owner)
{
    return put(map, (uintptr_t)address, owner, false);
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
mi_owner_map_lookup(const mi_owner_map *map, const void *address,
                    uint32_t *owner)
{
    uintptr_t key = (uintptr_t)address;
    if (map->count == 0) {
        return 0;       /* also a freed map */
    }
    if (has_bit(key)) {
        const uint64_t *bits = peek_bits(map, chunk_number(key));
        if (bits == NULL || (bits[bit_word(key)] & bit_in_word(key)) == 0) {
            return 0;
        }
    }
    size_t i = find(map, key);
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
    /* No presence bits: the accounting walk asks mostly about owned
       objects, and needs their slot. */
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
    uintptr_t key = (uintptr_t)address;
    uint64_t *bits = NULL;
    if (map->count == 0) {
        return 0;       /* also a freed map */
    }
    if (has_bit(key)) {
        bits = chunk_bits(map, chunk_number(key));
        if (bits == NULL || (bits[bit_word(key)] & bit_in_word(key)) == 0) {
            return 0;
        }
        bits[bit_word(key)] &= ~bit_in_word(key);
    }
    size_t hole = find(map, key);
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
    if (map->slots == NULL) {
        return 0;
    }
    return table_bytes(map->mask + 1)
        + (map->chunk_mask + 1) * sizeof(mi_owner_chunk)
        + map->n_chunks * CHUNK_BYTES;
}
