/* What one traced import added (the INVENTORY of its scope), as
 * imports.html shows it for every import: its types, its duplicates by
 * type, its classes lacking slots, in the orders and with the rules of
 * analysis.h. mi_analysis_build gives the same rows but also sorts
 * every duplicate value and every missing slot name of every class
 * (a module's globals are the missing slots of its `module` instance),
 * which over 750 imports costs more than the whole page; this keeps the
 * totals per row and only the first slot names and the most savable
 * value. Its scratch memory is kept from one import to the next. */
#ifndef MI_COLLECTOR_IMPORT_SUMMARY_H
#define MI_COLLECTOR_IMPORT_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "analysis.h"
#include "id_map.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Missing slot names kept per class: the first in strcmp order. */
#define MI_SUMMARY_SLOT_NAMES 8

typedef struct {
    const mi_model_type *type;
    uint64_t values;                /* duplicate values of this type */
    uint64_t duplicate_instances;   /* sum of copies - 1 */
    uint64_t savable_bytes;         /* sum of size * (copies - 1) */
    const mi_model_duplicate *first;    /* first in analysis.h's order */
} mi_summary_duplicates;

typedef struct {
    const mi_model_type *type;
    uint64_t instances;
    uint64_t dict_bytes;
    int64_t savable_bytes;
    double reduction;
    size_t n_missing_slots;
    const char *first_missing[MI_SUMMARY_SLOT_NAMES];   /* the model's */
    size_t n_first_missing;
} mi_summary_slots;

typedef struct {
    const mi_model_inventory *inventory;    /* NULL: none of that scope */
    /* As mi_analysis: types with instances, by bytes, instances
       descending, then name; their totals. */
    mi_type_row *types;
    size_t n_types;
    uint64_t total_instances;
    uint64_t total_bytes;
    /* Types with DUPLICATE records, by savable bytes, duplicate
       instances descending, then name. */
    mi_summary_duplicates *duplicates;
    size_t n_duplicates;
    /* Instantiated classes lacking slots with a positive reduction, by
       savable bytes, reduction descending, then name. */
    mi_summary_slots *lacking_slots;
    size_t n_lacking_slots;

    /* Private: scratch kept between builds. */
    size_t types_capacity;
    size_t duplicates_capacity;
    size_t slots_capacity;
    const char **names;             /* open addressing set of names */
    size_t names_capacity;
    mi_id_map scopes;               /* scope -> index in inventories */
    const mi_model *indexed;        /* the model `scopes` was built for */
} mi_import_summary;

void mi_import_summary_init(mi_import_summary *summary);

/* Fills `summary` for the inventory of `scope` (rows point into the
   model). Returns 0, -1 when out of memory, -2 when the model has no
   inventory of that scope (the summary is then empty). */
int mi_import_summary_build(mi_import_summary *summary,
                            const mi_model *model, uint64_t scope);

void mi_import_summary_free(mi_import_summary *summary);

#ifdef __cplusplus
}
#endif

#endif
