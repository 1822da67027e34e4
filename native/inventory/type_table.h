/* Statistics per type, gathered during the walk.
 *
 * Pure C: a type is only an address here, so the table can be tested
 * without an interpreter. */
#ifndef MI_TYPE_TABLE_H
#define MI_TYPE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "address_sample.h"
#include "count_map.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const void *type;
    uint64_t instances;
    uint64_t bytes;
    uint64_t immortal;          /* instances with an immortal refcount */
    uint64_t interned;          /* str instances that are interned */
    mi_count_map refcounts;     /* refcount -> instances (mortal only) */
    mi_address_sample addresses;
    uint64_t dict_instances;    /* instances with a non-empty __dict__ */
    uint64_t dict_bytes;        /* sys.getsizeof of those __dict__ */
    mi_count_map attribute_names;   /* name address -> instances */
} mi_type_stats;

typedef struct {
    mi_type_stats *stats;
    size_t length;
    size_t capacity;
    mi_count_map index_of;      /* type address -> index + 1 */
} mi_type_table;

void mi_type_table_init(mi_type_table *table);
void mi_type_table_free(mi_type_table *table);

/* Returns the statistics of `type`, adding an empty entry the first time;
   NULL when out of memory. The pointer is valid until the next call. */
mi_type_stats *mi_type_table_get(mi_type_table *table, const void *type);

/* Counts one instance. Returns 0, or -1 when out of memory. */
int mi_type_stats_add_instance(mi_type_stats *stats, uintptr_t address,
                               uint64_t bytes, uint64_t refcount,
                               int immortal, int interned);

#ifdef __cplusplus
}
#endif

#endif
