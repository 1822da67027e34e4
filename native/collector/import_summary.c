#include "import_summary.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "saturating.h"

static int
compare_u64_descending(uint64_t a, uint64_t b)
{
    return (a < b) - (a > b);
}

static int
compare_addresses(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return (x > y) - (x < y);
}

static const char *
text_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* Grows *array to hold `n` items of `size` bytes. Returns 0 or -1. */
static int
reserve(void **array, size_t *capacity, size_t n, size_t size)
{
    if (n <= *capacity) {
        return 0;
    }
    size_t wanted = *capacity > 0 ? *capacity : 16;
    while (wanted < n) {
        if (wanted > SIZE_MAX / 2 / size) {
            return -1;
        }
        wanted *= 2;
    }
    void *bigger = realloc(*array, wanted * size);
    if (bigger == NULL) {
        return -1;
    }
    *array = bigger;
    *capacity = wanted;
    return 0;
}

/* ---- Types, in analysis.c's order ---- */

static int
compare_type_rows(const void *a, const void *b)
{
    const mi_type_row *x = a, *y = b;
    int c = compare_u64_descending(x->stats->bytes, y->stats->bytes);
    if (c == 0) {
        c = compare_u64_descending(x->stats->instances, y->stats->instances);
    }
    if (c == 0) {
        c = strcmp(text_or_empty(x->type->name), text_or_empty(y->type->name));
    }
    return c != 0 ? c : compare_addresses(x->stats, y->stats);
}

static int
build_types(mi_import_summary *s, const mi_model *model)
{
    const mi_model_inventory *inventory = s->inventory;
    if (reserve((void **)&s->types, &s->types_capacity,
                inventory->n_type_stats, sizeof(mi_type_row)) < 0) {
        return -1;
    }
    for (size_t i = 0; i < inventory->n_type_stats; i++) {
        const mi_model_type_stats *stats = &inventory->type_stats[i];
        const mi_model_type *type = mi_model_find_type(model, stats->type_id);
        if (type == NULL || stats->instances == 0) {
            continue;
        }
        s->types[s->n_types++] = (mi_type_row){type, stats};
        s->total_bytes = mi_add_saturated(s->total_bytes, stats->bytes);
        s->total_instances = mi_add_saturated(s->total_instances,
                                           stats->instances);
    }
    if (s->n_types > 1) {
        qsort(s->types, s->n_types, sizeof(mi_type_row), compare_type_rows);
    }
    return 0;
}

/* ---- Duplicates ---- */

static uint64_t
duplicate_savable(const mi_model_duplicate *d)
{
    return mi_multiply_saturated(d->size, d->copies > 0 ? d->copies - 1 : 0);
}

/* analysis.c's order of the values of one type. */
static int
compare_duplicates(const mi_model_duplicate *x, const mi_model_duplicate *y)
{
    int c = compare_u64_descending(duplicate_savable(x),
                                   duplicate_savable(y));
    if (c == 0) {
        c = compare_u64_descending(x->copies, y->copies);
    }
    if (c == 0) {
        c = strcmp(text_or_empty(x->repr), text_or_empty(y->repr));
    }
    return c != 0 ? c : compare_addresses(x, y);
}

static int
compare_duplicate_rows(const void *a, const void *b)
{
    const mi_summary_duplicates *x = a, *y = b;
    int c = compare_u64_descending(x->savable_bytes, y->savable_bytes);
    if (c == 0) {
        c = compare_u64_descending(x->duplicate_instances,
                                   y->duplicate_instances);
    }
    if (c == 0) {
        c = strcmp(text_or_empty(x->type->name), text_or_empty(y->type->name));
    }
    return c != 0 ? c : compare_addresses(x->type, y->type);
}

static int
build_duplicates(mi_import_summary *s, const mi_model *model)
{
    const mi_model_inventory *inventory = s->inventory;
    if (inventory->n_duplicates == 0) {
        return 0;
    }
    if (reserve((void **)&s->duplicates, &s->duplicates_capacity,
                inventory->n_duplicates, sizeof(mi_summary_duplicates)) < 0) {
        return -1;
    }
    mi_id_map rows;
    mi_id_map_init(&rows);
    int rc = -1;
    for (size_t i = 0; i < inventory->n_duplicates; i++) {
        const mi_model_duplicate *d = &inventory->duplicates[i];
        const mi_model_type *type = mi_model_find_type(model, d->type_id);
        if (type == NULL) {
            continue;
        }
        int added = mi_id_map_add(&rows, type->id, s->n_duplicates);
        if (added < 0) {
            goto done;
        }
        if (added > 0) {
            s->duplicates[s->n_duplicates++] =
                (mi_summary_duplicates){.type = type};
        }
        size_t at;
        mi_id_map_get(&rows, type->id, &at);
        mi_summary_duplicates *row = &s->duplicates[at];
        row->values++;
        row->duplicate_instances = mi_add_saturated(
            row->duplicate_instances, d->copies > 0 ? d->copies - 1 : 0);
        row->savable_bytes = mi_add_saturated(row->savable_bytes,
                                           duplicate_savable(d));
        if (row->first == NULL || compare_duplicates(d, row->first) < 0) {
            row->first = d;
        }
    }
    if (s->n_duplicates > 1) {
        qsort(s->duplicates, s->n_duplicates, sizeof(mi_summary_duplicates),
              compare_duplicate_rows);
    }
    rc = 0;
done:
    mi_id_map_free(&rows);
    return rc;
}

/* ---- Classes lacking slots ---- */

static size_t
hash_name(const char *name)
{
    uint64_t h = 14695981039346656037u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h = (h ^ *p) * 1099511628211u;
    }
    return (size_t)h;
}

/* Adds `name` to the set; true when it was not there. */
static bool
set_add(const char **set, size_t mask, const char *name)
{
    for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
        if (set[i] == NULL) {
            set[i] = name;
            return true;
        }
        if (strcmp(set[i], name) == 0) {
            return false;
        }
    }
}

/* Keeps the MI_SUMMARY_SLOT_NAMES first distinct names, sorted. */
static void
keep_first(mi_summary_slots *row, const char *name)
{
    size_t n = row->n_first_missing;
    if (n == MI_SUMMARY_SLOT_NAMES
        && strcmp(name, row->first_missing[n - 1]) >= 0) {
        return;
    }
    size_t at = n;
    while (at > 0) {
        int c = strcmp(name, row->first_missing[at - 1]);
        if (c == 0) {
            return;
        }
        if (c > 0) {
            break;
        }
        at--;
    }
    if (n == MI_SUMMARY_SLOT_NAMES) {
        n--;            /* the last one goes */
    }
    memmove(&row->first_missing[at + 1], &row->first_missing[at],
            (n - at) * sizeof(row->first_missing[0]));
    row->first_missing[at] = name;
    row->n_first_missing = n + 1;
}

/* The static attributes and the names found in instance dicts, counted
   once each (analysis.c's missing_slots), the first ones kept. */
static int
missing_slots(mi_import_summary *s, const mi_model_type *type,
              const mi_model_type_stats *stats, mi_summary_slots *row)
{
    size_t n_static = type->n_static_attributes;
    size_t n_found = stats->n_attribute_names;
    size_t total = n_static + n_found;
    row->n_missing_slots = 0;
    row->n_first_missing = 0;
    if (total == 0) {
        return 0;
    }
    size_t wanted = 16;
    while (wanted < 2 * total) {
        if (wanted > SIZE_MAX / 2 / sizeof(char *)) {
            return -1;
        }
        wanted *= 2;
    }
    if (wanted > s->names_capacity) {
        free(s->names);
        s->names = malloc(wanted * sizeof(char *));
        s->names_capacity = s->names != NULL ? wanted : 0;
        if (s->names == NULL) {
            return -1;
        }
    }
    memset(s->names, 0, wanted * sizeof(char *));
    for (size_t i = 0; i < total; i++) {
        const char *name = text_or_empty(
            i < n_static ? type->static_attributes[i]
                         : stats->attribute_names[i - n_static].name);
        if (set_add(s->names, wanted - 1, name)) {
            row->n_missing_slots++;
            keep_first(row, name);
        }
    }
    return 0;
}

static int
compare_slots_rows(const void *a, const void *b)
{
    const mi_summary_slots *x = a, *y = b;
    int c = (x->savable_bytes < y->savable_bytes)
            - (x->savable_bytes > y->savable_bytes);
    if (c == 0) {
        c = (x->reduction < y->reduction) - (x->reduction > y->reduction);
    }
    if (c == 0) {
        c = strcmp(text_or_empty(x->type->name), text_or_empty(y->type->name));
    }
    return c != 0 ? c : compare_addresses(x->type, y->type);
}

static int
build_lacking_slots(mi_import_summary *s)
{
    if (reserve((void **)&s->lacking_slots, &s->slots_capacity, s->n_types,
                sizeof(mi_summary_slots)) < 0) {
        return -1;
    }
    for (size_t i = 0; i < s->n_types; i++) {
        const mi_type_row *t = &s->types[i];
        if (t->stats->dict_bytes == 0) {
            continue;
        }
        mi_summary_slots *row = &s->lacking_slots[s->n_lacking_slots];
        *row = (mi_summary_slots){.type = t->type,
                                  .instances = t->stats->instances,
                                  .dict_bytes = t->stats->dict_bytes};
        if (missing_slots(s, t->type, t->stats, row) < 0) {
            return -1;
        }
        /* analysis.c's savings: slots cost MI_SLOT_SIZE each, per
           instance; a row only when they cost less than the dicts. */
        uint64_t cost = mi_multiply_saturated(
            mi_multiply_saturated(row->n_missing_slots, MI_SLOT_SIZE),
            row->instances);
        if (cost >= row->dict_bytes) {
            continue;
        }
        uint64_t saved = row->dict_bytes - cost;
        row->savable_bytes = saved > INT64_MAX ? INT64_MAX : (int64_t)saved;
        row->reduction = (double)row->savable_bytes / (double)row->dict_bytes;
        s->n_lacking_slots++;
    }
    if (s->n_lacking_slots > 1) {
        qsort(s->lacking_slots, s->n_lacking_slots, sizeof(mi_summary_slots),
              compare_slots_rows);
    }
    return 0;
}

/* ---- The whole ---- */

void
mi_import_summary_init(mi_import_summary *summary)
{
    memset(summary, 0, sizeof(*summary));
    mi_id_map_init(&summary->scopes);
}

static int
index_scopes(mi_import_summary *s, const mi_model *model)
{
    mi_id_map_free(&s->scopes);
    mi_id_map_init(&s->scopes);
    s->indexed = NULL;
    /* The first inventory of a scope wins, as in
       mi_model_find_inventory. */
    for (size_t i = 0; i < model->n_inventories; i++) {
        if (mi_id_map_add(&s->scopes, model->inventories[i].scope, i) < 0) {
            return -1;
        }
    }
    s->indexed = model;
    return 0;
}

int
mi_import_summary_build(mi_import_summary *summary, const mi_model *model,
                        uint64_t scope)
{
    mi_import_summary *s = summary;
    s->inventory = NULL;
    s->n_types = s->n_duplicates = s->n_lacking_slots = 0;
    s->total_instances = s->total_bytes = 0;
    if (s->indexed != model && index_scopes(s, model) < 0) {
        return -1;
    }
    size_t at;
    if (!mi_id_map_get(&s->scopes, scope, &at)) {
        return -2;
    }
    s->inventory = &model->inventories[at];
    if (build_types(s, model) < 0 || build_duplicates(s, model) < 0
        || build_lacking_slots(s) < 0) {
        s->inventory = NULL;
        s->n_types = s->n_duplicates = s->n_lacking_slots = 0;
        return -1;
    }
    return 0;
}

void
mi_import_summary_free(mi_import_summary *summary)
{
    free(summary->types);
    free(summary->duplicates);
    free(summary->lacking_slots);
    free(summary->names);
    mi_id_map_free(&summary->scopes);
    mi_import_summary_init(summary);
}
