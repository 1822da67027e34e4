/* A map from 64-bit ids (any value) to indexes, with open addressing:
 * which TYPE has an id, which types an inventory has statistics for. */
#ifndef MI_COLLECTOR_ID_MAP_H
#define MI_COLLECTOR_ID_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t id;
    size_t index;
    bool used;
} mi_id_entry;

typedef struct {
    mi_id_entry *entries;
    size_t mask;        /* capacity - 1, or 0 when nothing is allocated */
    size_t count;
} mi_id_map;

void mi_id_map_init(mi_id_map *map);
void mi_id_map_free(mi_id_map *map);

/* Maps `id` to `index` unless `id` is there already. Returns 1 when
   added, 0 when present (its index unchanged), -1 when out of memory. */
int mi_id_map_add(mi_id_map *map, uint64_t id, size_t index);

/* Whether `id` is present; stores its index in *index when it is and
   `index` is not NULL. */
bool mi_id_map_get(const mi_id_map *map, uint64_t id, size_t *index);

#ifdef __cplusplus
}
#endif

#endif
