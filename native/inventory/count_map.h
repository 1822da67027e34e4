/* A map from 64-bit keys to 64-bit counts, with open addressing.
 *
 * Used for the histograms of the inventory: reference counts per type, and
 * attribute names (by address) per class. Small until used: an empty map
 * holds no memory. */
#ifndef MI_COUNT_MAP_H
#define MI_COUNT_MAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t key;       /* stored as key + 1: 0 marks an empty slot */
    uint64_t count;
} mi_count_entry;

typedef struct {
    mi_count_entry *entries;
    size_t mask;        /* capacity - 1, or 0 when nothing is allocated */
    size_t count;       /* number of distinct keys */
} mi_count_map;

void mi_count_map_init(mi_count_map *map);
void mi_count_map_free(mi_count_map *map);
/* Empties the map. It then is as a new one, iterated in the same order
   after the same adds, but keeps its first allocation: a map filled and
   emptied many times (one small histogram after another) allocates once. */
void mi_count_map_clear(mi_count_map *map);

/* Adds `amount` to the count of `key` (UINT64_MAX is not a valid key).
   Returns 0, or -1 when out of memory (the map is then unchanged). */
int mi_count_map_add(mi_count_map *map, uint64_t key, uint64_t amount);

/* Returns the count of `key`, 0 when absent. */
uint64_t mi_count_map_get(const mi_count_map *map, uint64_t key);

/* Iteration: start with *position = 0; returns 1 and fills key and count
   while entries remain, then 0. */
int mi_count_map_next(const mi_count_map *map, size_t *position,
                      uint64_t *key, uint64_t *count);

#ifdef __cplusplus
}
#endif

#endif
