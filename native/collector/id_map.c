#include "id_map.h"

#include <stdlib.h>

static size_t
slot_of(uint64_t id, size_t mask)
{
    uint64_t h = id * UINT64_C(0x9E3779B97F4A7C15);
    h ^= h >> 32;
    return (size_t)h & mask;
}

void
mi_id_map_init(mi_id_map *map)
{
    map->entries = NULL;
    map->mask = 0;
    map->count = 0;
}

void
mi_id_map_free(mi_id_map *map)
{
    free(map->entries);
    mi_id_map_init(map);
}

static mi_id_entry *
find_slot(mi_id_entry *entries, size_t mask, uint64_t id)
{
    size_t i = slot_of(id, mask);
    while (entries[i].used && entries[i].id != id) {
        i = (i + 1) & mask;
    }
    return &entries[i];
}

static int
resize(mi_id_map *map, size_t capacity)
{
    mi_id_entry *entries = calloc(capacity, sizeof(mi_id_entry));
    if (entries == NULL) {
        return -1;
    }
    if (map->entries != NULL) {
        for (size_t i = 0; i <= map->mask; i++) {
            if (map->entries[i].used) {
                *find_slot(entries, capacity - 1, map->entries[i].id) =
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
mi_id_map_add(mi_id_map *map, uint64_t id, size_t index)
{
    if (map->entries == NULL && resize(map, 16) < 0) {
        return -1;
    }
    mi_id_entry *entry = find_slot(map->entries, map->mask, id);
    if (entry->used) {
        return 0;
    }
    if ((map->count + 1) * 4 > (map->mask + 1) * 3) {
        if (map->mask + 1 > SIZE_MAX / 2 / sizeof(mi_id_entry)
            || resize(map, (map->mask + 1) * 2) < 0) {
            return -1;
        }
        entry = find_slot(map->entries, map->mask, id);
    }
    entry->id = id;
    entry->index = index;
    entry->used = true;
    map->count++;
    return 1;
}

bool
mi_id_map_get(const mi_id_map *map, uint64_t id, size_t *index)
{
    if (map->entries == NULL) {
        return false;
    }
    const mi_id_entry *entry = find_slot(map->entries, map->mask, id);
    if (!entry->used) {
        return false;
    }
    if (index != NULL) {
        *index = entry->index;
    }
    return true;
}
