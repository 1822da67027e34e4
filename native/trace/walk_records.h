/* Import tracing: the findings of a walk, packed straight into records
 * (native/records.h), with no Python object per type or per value.
 *
 * What records.inventory_records(shape_inventory(result)) writes for the
 * result of the same walk, field for field and in the same order: the
 * INVENTORY of the scope, a TYPE_STATS per type with instances (by bytes,
 * then instances, descending; ties by name), the UNINSTANTIATED types
 * (exceptions apart, by name), a DUPLICATE per group of equal values (by
 * savable bytes, then copies, descending; reprs as records.safe_repr
 * makes them). TYPE records come first, for the types not numbered yet.
 *
 * An accounting walk adds, after its INVENTORY (scope MI_SCOPE_FINAL):
 * one RETAINED per owner (owner 0 as MI_SCOPE_BASELINE), by owner, the
 * RETAINED of MI_SCOPE_UNATTRIBUTED, and the INVENTORY of that scope with
 * the TYPE_STATS of what no owner holds (no duplicates, no uninstantiated
 * types). They add up exactly to the INVENTORY of scope MI_SCOPE_FINAL.
 *
 * The order of the work is result.c's: first what reads the walk's
 * borrowed pointers (holding the types, grouping duplicates, attribute
 * names), then the only Python code (__sizeof__ methods written in
 * Python, reprs of duplicate values), then the packing. */
#ifndef MI_TRACE_WALK_RECORDS_H
#define MI_TRACE_WALK_RECORDS_H

#include "../inventory/walk.h"
#include "record_batch.h"
#include "type_ids.h"

typedef struct {
    uint32_t scope;             /* of the INVENTORY (an accounting walk:
                                   MI_SCOPE_FINAL) */
    double walk_seconds;
    uint64_t objects_limit;     /* as the INVENTORY reports it */
} mi_walk_records_options;

/* Packs the records of the finished `walk` (mi_walk_run done, traversal
   released) into `batch`. Returns 0, or -1 with an exception set. */
int mi_walk_records_pack(mi_walk *walk,
                         const mi_walk_records_options *options,
                         mi_type_ids *ids, mi_record_batch *batch);

#endif
