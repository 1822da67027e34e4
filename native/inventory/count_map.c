#include "count_map.h"

#include <stdlib.h>
#include <string.h>

static size_t
slot_of(uint64_t stored_key, size_t mask)
{
    uint64_t h = stored_key * UINT64_C(0x9E3779B97F4A7C15);
    /* Fold the high bits down: a product's low bits only depend on the
       key's low bits, and heap and mmap addresses differ high up. */
    h ^= h >> 32;
    h ^= h >> 16;
    return (size_t)h & mask;
}

void
mi_count_map_init(mi_count_map *map)
{
    map->entries = NULL;
    map->mask = 0;
    map->count = 0;
}

void
mi_count_map_free(mi_count_map *map)
{
    free(map->entries);
    mi_count_map_init(map);
}

/* The capacity of a map's first allocation. */
#define FIRST_CAPACITY 8

void
mi_count_map_clear(mi_count_map *map)
{
    if (map->entries != NULL && map->mask + 1 == FIRST_CAPACITY) {
        memset(map->entries, 0, FIRST_CAPACITY * sizeof(mi_count_entry));
        map->count = 0;
        return;
    }
    mi_count_map_free(map);
}

static mi_count_entry *
find_slot(mi_count_entry *entries, size_t mask, uint64_t stored_key)
{
    size_t i = slot_of(stored_key, mask);
    while (entries[i].key != 0 && entries[i].key != stored_key) {
        i = (i + 1) & mask;
    }
    return &entries[i];
}

static int
resize(mi_count_map *map, size_t capacity)
{
    mi_count_entry *entries = calloc(capacity, sizeof(mi_count_entry));
    if (entries == NULL) {
        return -1;
    }
    if (map->entries != NULL) {
        for (size_t i = 0; i <= map->mask; i++) {
            if (map->entries[i].key != 0) {
                *find_slot(entries, capacity - 1, map->entries[i].key) =
                    map->entries[i];
            }
        }
    }
    free(map->entries);
    map->entries = entries;
    map->mask = capacity - 1;
    return 0;
}

int
mi_count_map_add(mi_count_map *map, uint64_t key, uint64_t amount)
{
    uint64_t stored_key = key + 1;
    if (map->entries == NULL) {
        if (resize(map, FIRST_CAPACITY) < 0) {
            return -1;
        }
    }
    mi_count_entry *entry = find_slot(map->entries, map->mask, stored_key);
    if (entry->key == 0) {
        if ((map->count + 1) * 4 > (map->mask + 1) * 3) {
            if (resize(map, (map->mask + 1) * 2) < 0) {
                return -1;
            }
            entry = find_slot(map->entries, map->mask, stored_key);
        }
        entry->key = stored_key;
        entry->count = 0;
        map->count++;
    }
    entry->count += amount;
    return 0;
}

uint64_t
mi_count_map_get(const mi_count_map *map, uint64_t key)
{
    if (map->entries == NULL) {
        return 0;
    }
    mi_count_entry *entry = find_slot(map->entries, map->mask, key + 1);
    return entry->key == 0 ? 0 : entry->count;
}

int
mi_count_map_next(const mi_count_map *map, size_t *position,
                  uint64_t *key, uint64_t *count)
{
    if (map->entries == NULL) {
        return 0;
    }
    while (*position <= map->mask) {
        const mi_count_entry *entry = &map->entries[(*position)++];
        if (entry->key != 0) {
            *key = entry->key - 1;
            *count = entry->count;
            return 1;
        }
    }
    return 0;
}
