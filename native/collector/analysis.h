/* The tables every report shows, derived from the model of one
 * inventory, with the original memory_inventory's rules and orders.
 * Renderers (report_text.c, report_json.c, report_html.c) read these and
 * compute nothing of their own. */
#ifndef MI_COLLECTOR_ANALYSIS_H
#define MI_COLLECTOR_ANALYSIS_H

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The memory of one slot, as the original measures it (64-bit CPython). */
#define MI_SLOT_SIZE 8

typedef struct {
    const mi_model_type *type;
    const mi_model_type_stats *stats;
} mi_type_row;

typedef struct {
    const mi_model_type *type;
    uint64_t savable_bytes;         /* sum of size * (copies - 1) */
    uint64_t duplicate_instances;   /* sum of copies - 1 */
    uint64_t values;                /* duplicate values of this type */
    const mi_model_duplicate **duplicates;  /* by savable bytes, copies
                                               descending, then repr */
    size_t n_duplicates;
} mi_duplicate_summary_row;

typedef struct {
    const mi_model_type *type;
    uint64_t instances;
    uint64_t dict_bytes;            /* per instance when uninstantiated */
    int64_t savable_bytes;
    double reduction;               /* savable / dict bytes */
    mi_name_count *missing_slots;   /* by name; count 0: static only */
    size_t n_missing_slots;
} mi_slots_row;

typedef struct {
    const mi_model_inventory *inventory;

    /* Types with instances, by bytes, instances descending, then name. */
    mi_type_row *types;
    size_t n_types;
    uint64_t total_bytes;
    uint64_t total_instances;

    /* Types without instances, BaseException subclasses left out, by
       name. */
    const mi_model_type **uninstantiated;
    size_t n_uninstantiated;

    /* One row per type of duplicate_type_ids with instances, by savable
       bytes, duplicate instances descending, then name. */
    mi_duplicate_summary_row *duplicate_summary;
    size_t n_duplicate_summary;
    uint64_t total_savable_bytes;
    uint64_t total_duplicate_instances;

    /* Classes lacking slots with a positive reduction: instantiated ones
       (instance dicts found) and uninstantiated ones (static attributes),
       each by savable bytes, reduction descending, then name. */
    mi_slots_row *lacking_slots;
    size_t n_lacking_slots;
    mi_slots_row *uninstantiated_lacking_slots;
    size_t n_uninstantiated_lacking_slots;
} mi_analysis;

/* Fills `analysis` for the inventory of `scope`. Returns 0, -1 when out of
   memory, -2 when the model has no inventory of that scope. */
/* Added: on -1 and -2 the analysis is left empty (inventory NULL, no
   rows), which the renderers accept. Rows point into the model (the
   names in missing_slots too), so the model must outlive the analysis.
   Equal rows keep the order of the model. The duplicate summary also
   has a row for a type with DUPLICATE records but no TYPE_STATS, should a
   recording have one, so that no duplicate goes unshown; and
   uninstantiated_lacking_slots is built from `uninstantiated`, so
   BaseException subclasses are left out of it too (as the Python
   package does). */
int mi_analysis_build(const mi_model *model, uint64_t scope,
                      mi_analysis *analysis);
void mi_analysis_free(mi_analysis *analysis);

#ifdef __cplusplus
}
#endif

#endif
