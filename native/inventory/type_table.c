#include "type_table.h"

#include <stdlib.h>
#include <string.h>

void
mi_type_table_init(mi_type_table *table)
{
    table->stats = NULL;
    table->length = 0;
    table->capacity = 0;
    mi_count_map_init(&table->index_of);
}

void
mi_type_table_free(mi_type_table *table)
{
    for (size_t i = 0; i < table->length; i++) {
        mi_count_map_free(&table->stats[i].refcounts);
        mi_count_map_free(&table->stats[i].attribute_names);
    }
    free(table->stats);
    mi_count_map_free(&table->index_of);
    mi_type_table_init(table);
}

mi_type_stats *
mi_type_table_get(mi_type_table *table, const void *type)
{
    uint64_t index = mi_count_map_get(&table->index_of, (uintptr_t)type);
    if (index != 0) {
        return &table->stats[index - 1];
    }
    if (table->length == table->capacity) {
        size_t capacity = table->capacity ? table->capacity * 2 : 256;
        mi_type_stats *stats = realloc(table->stats,
                                       capacity * sizeof(mi_type_stats));
        if (stats == NULL) {
            return NULL;
        }
        table->stats = stats;
        table->capacity = capacity;
    }
    if (mi_count_map_add(&table->index_of, (uintptr_t)type,
                         table->length + 1) < 0) {
        return NULL;
    }
    mi_type_stats *stats = &table->stats[table->length++];
    memset(stats, 0, sizeof *stats);
    stats->type = type;
    mi_count_map_init(&stats->refcounts);
    mi_count_map_init(&stats->attribute_names);
    mi_address_sample_init(&stats->addresses);
    return stats;
}

int
mi_type_stats_add_instance(mi_type_stats *stats, uintptr_t address,
                           uint64_t bytes, uint64_t refcount,
                           int immortal, int interned)
{
    if (immortal) {
        stats->immortal++;
    }
    else if (mi_count_map_add(&stats->refcounts, refcount, 1) < 0) {
        return -1;
    }
    stats->instances++;
    stats->bytes += bytes;
    stats->interned += interned != 0;
    mi_address_sample_add(&stats->addresses, address);
    return 0;
}
