#include "analysis.h"

#include <stdlib.h>
#include <string.h>

#include "../records.h"
#include "id_map.h"

/* Sums and products saturate rather than wrap: a hostile recording can
   make them absurd, never wrong in sign. */
static uint64_t
add_saturated(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t
multiply_saturated(uint64_t a, uint64_t b)
{
    uint64_t product;
    return __builtin_mul_overflow(a, b, &product) ? UINT64_MAX : product;
}

/* qsort, which must not be given a null array, even empty. */
static void
sort(void *base, size_t n, size_t size,
     int (*compare)(const void *, const void *))
{
    if (n > 1) {
        qsort(base, n, size, compare);
    }
}

static int
compare_u64_descending(uint64_t a, uint64_t b)
{
    return (a < b) - (a > b);
}

/* Ties left by every key are broken by where the rows come from in the
   model (the order received), so that the orders are total. */
static int
compare_addresses(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return (x > y) - (x < y);
}

/* ---- Types by memory ---- */

static int
compare_type_rows(const void *a, const void *b)
{
    const mi_type_row *x = a, *y = b;
    int c = compare_u64_descending(x->stats->bytes, y->stats->bytes);
    if (c == 0) {
        c = compare_u64_descending(x->stats->instances, y->stats->instances);
    }
    if (c == 0) {
        c = strcmp(x->type->name, y->type->name);
    }
    return c != 0 ? c : compare_addresses(x->stats, y->stats);
}

static int
build_types(const mi_model *model, mi_analysis *analysis)
{
    const mi_model_inventory *inventory = analysis->inventory;
    if (inventory->n_type_stats == 0) {
        return 0;
    }
    analysis->types = malloc(inventory->n_type_stats * sizeof(mi_type_row));
    if (analysis->types == NULL) {
        return -1;
    }
    for (size_t i = 0; i < inventory->n_type_stats; i++) {
        const mi_model_type_stats *stats = &inventory->type_stats[i];
        const mi_model_type *type = mi_model_find_type(model, stats->type_id);
        if (type == NULL || stats->instances == 0) {
            continue;
        }
        analysis->types[analysis->n_types++] = (mi_type_row){type, stats};
        analysis->total_bytes = add_saturated(analysis->total_bytes,
                                              stats->bytes);
        analysis->total_instances = add_saturated(analysis->total_instances,
                                                  stats->instances);
    }
    sort(analysis->types, analysis->n_types, sizeof(mi_type_row),
          compare_type_rows);
    return 0;
}

/* ---- Uninstantiated types ---- */

static int
compare_types_by_name(const void *a, const void *b)
{
    const mi_model_type *x = *(const mi_model_type *const *)a;
    const mi_model_type *y = *(const mi_model_type *const *)b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : compare_addresses(x, y);
}

static int
build_uninstantiated(const mi_model *model, mi_analysis *analysis)
{
    const mi_model_inventory *inventory = analysis->inventory;
    size_t n = inventory->n_uninstantiated_type_ids;
    if (n == 0) {
        return 0;
    }
    analysis->uninstantiated = malloc(n * sizeof(mi_model_type *));
    if (analysis->uninstantiated == NULL) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const mi_model_type *type = mi_model_find_type(
            model, inventory->uninstantiated_type_ids[i]);
        if (type != NULL && !(type->flags & MI_TYPE_FLAG_EXCEPTION)) {
            analysis->uninstantiated[analysis->n_uninstantiated++] = type;
        }
    }
    sort(analysis->uninstantiated, analysis->n_uninstantiated,
          sizeof(mi_model_type *), compare_types_by_name);
    return 0;
}

/* ---- Duplicates ---- */

static uint64_t
duplicate_savable(const mi_model_duplicate *duplicate)
{
    return multiply_saturated(duplicate->size,
                              duplicate->copies > 0 ? duplicate->copies - 1
                                                    : 0);
}

static int
compare_duplicates(const void *a, const void *b)
{
    const mi_model_duplicate *x = *(const mi_model_duplicate *const *)a;
    const mi_model_duplicate *y = *(const mi_model_duplicate *const *)b;
    int c = compare_u64_descending(duplicate_savable(x),
                                   duplicate_savable(y));
    if (c == 0) {
        c = compare_u64_descending(x->copies, y->copies);
    }
    if (c == 0) {
        c = strcmp(x->repr, y->repr);
    }
    return c != 0 ? c : compare_addresses(x, y);
}

static int
compare_duplicate_rows(const void *a, const void *b)
{
    const mi_duplicate_summary_row *x = a, *y = b;
    int c = compare_u64_descending(x->savable_bytes, y->savable_bytes);
    if (c == 0) {
        c = compare_u64_descending(x->duplicate_instances,
                                   y->duplicate_instances);
    }
    if (c == 0) {
        c = strcmp(x->type->name, y->type->name);
    }
    return c != 0 ? c : compare_addresses(x->type, y->type);
}

/* Adds a summary row for `type` unless it has one. Returns 0 or -1. */
static int
add_duplicate_row(mi_analysis *analysis, mi_id_map *rows,
                  const mi_model_type *type)
{
    int added = mi_id_map_add(rows, type->id, analysis->n_duplicate_summary);
    if (added > 0) {
        analysis->duplicate_summary[analysis->n_duplicate_summary++] =
            (mi_duplicate_summary_row){.type = type};
    }
    return added < 0 ? -1 : 0;
}

/* One row per type of duplicate_type_ids that has TYPE_STATS in this
   inventory, even without duplicates (as the original); and, should a
   recording have DUPLICATE records of a type without TYPE_STATS, one for
   that type too, so that no duplicate goes unshown. */
static int
build_duplicates(const mi_model *model, mi_analysis *analysis)
{
    const mi_model_inventory *inventory = analysis->inventory;
    size_t most = inventory->n_duplicate_type_ids + inventory->n_duplicates;
    mi_id_map with_stats, rows;
    int rc = -1;

    mi_id_map_init(&with_stats);
    mi_id_map_init(&rows);
    if (most == 0) {
        return 0;
    }
    analysis->duplicate_summary = calloc(most,
                                         sizeof(mi_duplicate_summary_row));
    if (analysis->duplicate_summary == NULL) {
        goto done;
    }
    for (size_t i = 0; i < inventory->n_type_stats; i++) {
        if (inventory->type_stats[i].instances > 0
            && mi_id_map_add(&with_stats, inventory->type_stats[i].type_id,
                             i) < 0) {
            goto done;
        }
    }
    for (size_t i = 0; i < inventory->n_duplicate_type_ids; i++) {
        uint64_t id = inventory->duplicate_type_ids[i];
        const mi_model_type *type = mi_model_find_type(model, id);
        if (type != NULL && mi_id_map_get(&with_stats, id, NULL)
            && add_duplicate_row(analysis, &rows, type) < 0) {
            goto done;
        }
    }
    for (size_t i = 0; i < inventory->n_duplicates; i++) {
        const mi_model_duplicate *duplicate = &inventory->duplicates[i];
        const mi_model_type *type = mi_model_find_type(model,
                                                       duplicate->type_id);
        if (type == NULL) {
            continue;
        }
        if (add_duplicate_row(analysis, &rows, type) < 0) {
            goto done;
        }
        size_t at;
        mi_id_map_get(&rows, type->id, &at);
        mi_duplicate_summary_row *row = &analysis->duplicate_summary[at];
        row->savable_bytes = add_saturated(row->savable_bytes,
                                           duplicate_savable(duplicate));
        row->duplicate_instances = add_saturated(
            row->duplicate_instances,
            duplicate->copies > 0 ? duplicate->copies - 1 : 0);
        row->values++;
    }
    /* Each row's values, then the rows, in their orders. */
    for (size_t i = 0; i < analysis->n_duplicate_summary; i++) {
        mi_duplicate_summary_row *row = &analysis->duplicate_summary[i];
        if (row->values > 0) {
            row->duplicates = malloc(row->values
                                     * sizeof(mi_model_duplicate *));
            if (row->duplicates == NULL) {
                goto done;
            }
        }
    }
    for (size_t i = 0; i < inventory->n_duplicates; i++) {
        const mi_model_duplicate *duplicate = &inventory->duplicates[i];
        size_t at;
        if (mi_id_map_get(&rows, duplicate->type_id, &at)) {
            mi_duplicate_summary_row *row = &analysis->duplicate_summary[at];
            row->duplicates[row->n_duplicates++] = duplicate;
        }
    }
    for (size_t i = 0; i < analysis->n_duplicate_summary; i++) {
        mi_duplicate_summary_row *row = &analysis->duplicate_summary[i];
        sort(row->duplicates, row->n_duplicates,
              sizeof(mi_model_duplicate *), compare_duplicates);
        analysis->total_savable_bytes = add_saturated(
            analysis->total_savable_bytes, row->savable_bytes);
        analysis->total_duplicate_instances = add_saturated(
            analysis->total_duplicate_instances, row->duplicate_instances);
    }
    sort(analysis->duplicate_summary, analysis->n_duplicate_summary,
          sizeof(mi_duplicate_summary_row), compare_duplicate_rows);
    rc = 0;
done:
    mi_id_map_free(&with_stats);
    mi_id_map_free(&rows);
    return rc;
}

/* ---- Classes lacking slots ---- */

typedef struct {
    const char *name;
    uint64_t count;
    size_t order;
} name_entry;

static int
compare_name_entries(const void *a, const void *b)
{
    const name_entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : (x->order > y->order) - (x->order < y->order);
}

/* The attributes slots would hold, by name: the static attributes (count
   0), then the names found in instance dicts with their counts, a later
   count replacing an earlier one (as dict.fromkeys, then update). The
   names are the model's. */
static int
missing_slots(const mi_model_type *type, const mi_model_type_stats *stats,
              mi_name_count **slots, size_t *n_slots)
{
    size_t n_static = type->n_static_attributes;
    size_t n_found = stats != NULL ? stats->n_attribute_names : 0;
    *slots = NULL;
    *n_slots = 0;
    if (n_static + n_found == 0) {
        return 0;
    }
    name_entry *entries = malloc((n_static + n_found) * sizeof(name_entry));
    mi_name_count *merged = malloc((n_static + n_found)
                                   * sizeof(mi_name_count));
    if (entries == NULL || merged == NULL) {
        free(entries);
        free(merged);
        return -1;
    }
    for (size_t i = 0; i < n_static; i++) {
        entries[i] = (name_entry){type->static_attributes[i], 0, i};
    }
    for (size_t i = 0; i < n_found; i++) {
        entries[n_static + i] = (name_entry){stats->attribute_names[i].name,
                                             stats->attribute_names[i].count,
                                             n_static + i};
    }
    sort(entries, n_static + n_found, sizeof(name_entry),
          compare_name_entries);
    size_t n = 0;
    for (size_t i = 0; i < n_static + n_found; i++) {
        if (n > 0 && strcmp(merged[n - 1].name, entries[i].name) == 0) {
            merged[n - 1].count = entries[i].count;
        }
        else {
            merged[n++] = (mi_name_count){(char *)entries[i].name,
                                          entries[i].count};
        }
    }
    free(entries);
    *slots = merged;
    *n_slots = n;
    return 0;
}

/* What `slots` slots would save on `objects` objects whose dicts take
   `dict_bytes`; false when nothing. */
static bool
savings(uint64_t dict_bytes, uint64_t slots, uint64_t objects,
        int64_t *savable)
{
    uint64_t cost = multiply_saturated(
        multiply_saturated(slots, MI_SLOT_SIZE), objects);
    if (cost >= dict_bytes) {
        return false;
    }
    uint64_t saved = dict_bytes - cost;
    *savable = saved > INT64_MAX ? INT64_MAX : (int64_t)saved;
    return true;
}

static int
compare_slots_rows(const void *a, const void *b)
{
    const mi_slots_row *x = a, *y = b;
    int c = (x->savable_bytes < y->savable_bytes)
            - (x->savable_bytes > y->savable_bytes);
    if (c == 0) {
        c = (x->reduction < y->reduction) - (x->reduction > y->reduction);
    }
    if (c == 0) {
        c = strcmp(x->type->name, y->type->name);
    }
    return c != 0 ? c : compare_addresses(x->type, y->type);
}

/* A row for `type` when slots would save something, into *rows. */
static int
add_slots_row(const mi_model_type *type, const mi_model_type_stats *stats,
              mi_slots_row *rows, size_t *n_rows)
{
    mi_slots_row row = {.type = type};
    if (missing_slots(type, stats, &row.missing_slots,
                      &row.n_missing_slots) < 0) {
        return -1;
    }
    if (stats != NULL) {
        row.instances = stats->instances;
        row.dict_bytes = stats->dict_bytes;
    }
    else {
        row.dict_bytes = type->static_dict_bytes;
    }
    if (!savings(row.dict_bytes, row.n_missing_slots,
                 stats != NULL ? stats->instances : 1, &row.savable_bytes)) {
        free(row.missing_slots);
        return 0;
    }
    row.reduction = (double)row.savable_bytes / (double)row.dict_bytes;
    rows[(*n_rows)++] = row;
    return 0;
}

static int
build_lacking_slots(mi_analysis *analysis)
{
    if (analysis->n_types > 0) {
        analysis->lacking_slots = malloc(analysis->n_types
                                         * sizeof(mi_slots_row));
        if (analysis->lacking_slots == NULL) {
            return -1;
        }
    }
    for (size_t i = 0; i < analysis->n_types; i++) {
        const mi_type_row *t = &analysis->types[i];
        if (t->stats->dict_bytes > 0
            && add_slots_row(t->type, t->stats, analysis->lacking_slots,
                             &analysis->n_lacking_slots) < 0) {
            return -1;
        }
    }
    sort(analysis->lacking_slots, analysis->n_lacking_slots,
          sizeof(mi_slots_row), compare_slots_rows);

    if (analysis->n_uninstantiated > 0) {
        analysis->uninstantiated_lacking_slots = malloc(
            analysis->n_uninstantiated * sizeof(mi_slots_row));
        if (analysis->uninstantiated_lacking_slots == NULL) {
            return -1;
        }
    }
    for (size_t i = 0; i < analysis->n_uninstantiated; i++) {
        const mi_model_type *type = analysis->uninstantiated[i];
        if (type->n_static_attributes > 0
            && add_slots_row(type, NULL,
                             analysis->uninstantiated_lacking_slots,
                             &analysis->n_uninstantiated_lacking_slots) < 0) {
            return -1;
        }
    }
    sort(analysis->uninstantiated_lacking_slots,
          analysis->n_uninstantiated_lacking_slots, sizeof(mi_slots_row),
          compare_slots_rows);
    return 0;
}

/* ---- The whole ---- */

int
mi_analysis_build(const mi_model *model, uint64_t scope,
                  mi_analysis *analysis)
{
    memset(analysis, 0, sizeof(*analysis));
    analysis->inventory = mi_model_find_inventory(model, scope);
    if (analysis->inventory == NULL) {
        return -2;
    }
    if (build_types(model, analysis) < 0
        || build_uninstantiated(model, analysis) < 0
        || build_duplicates(model, analysis) < 0
        || build_lacking_slots(analysis) < 0) {
        mi_analysis_free(analysis);
        return -1;
    }
    return 0;
}

static void
free_slots_rows(mi_slots_row *rows, size_t n)
{
    if (rows != NULL) {
        for (size_t i = 0; i < n; i++) {
            free(rows[i].missing_slots);
        }
        free(rows);
    }
}

void
mi_analysis_free(mi_analysis *analysis)
{
    free(analysis->types);
    free(analysis->uninstantiated);
    if (analysis->duplicate_summary != NULL) {
        for (size_t i = 0; i < analysis->n_duplicate_summary; i++) {
            free(analysis->duplicate_summary[i].duplicates);
        }
        free(analysis->duplicate_summary);
    }
    free_slots_rows(analysis->lacking_slots, analysis->n_lacking_slots);
    free_slots_rows(analysis->uninstantiated_lacking_slots,
                    analysis->n_uninstantiated_lacking_slots);
    memset(analysis, 0, sizeof(*analysis));
}
