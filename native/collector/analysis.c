#include "analysis.h"

#include <stdlib.h>
#include <string.h>

#include "../records.h"
#include "id_map.h"
#include "saturating.h"

/* ---- Sorting ----

   Every order here is: one or two numbers, then a string (strcmp's
   order), then where the row comes from in the model, which makes it
   total. Rows are sorted through keys that hold all of that, the numbers
   made ascending integers and the string's first 8 bytes a big-endian
   integer, so that most comparisons are a few integer ones: strcmp is
   called only when 8 bytes tie (names like "__init__" and reprs do).
   Since the order is total, the result is the one any sort gives. */

typedef struct {
    uint64_t first;         /* ascending */
    uint64_t second;        /* ascending */
    uint64_t prefix;        /* the string's first 8 bytes, big-endian */
    const char *text;
    uintptr_t last;         /* the row's place in the model */
    size_t index;           /* in the array being sorted */
} sort_key;

/* Descending orders as ascending keys. */
static uint64_t
descending_u64(uint64_t value)
{
    return ~value;
}

static uint64_t
descending_i64(int64_t value)
{
    return ~((uint64_t)value ^ ((uint64_t)1 << 63));
}

/* A double (not NaN) as an integer of the same order, descending. */
static uint64_t
descending_double(double value)
{
    uint64_t bits;
    if (value == 0.0) {
        value = 0.0;        /* -0.0 and 0.0 compare equal */
    }
    memcpy(&bits, &value, sizeof(bits));
    bits = (bits & ((uint64_t)1 << 63)) ? ~bits : bits | ((uint64_t)1 << 63);
    return ~bits;
}

static uint64_t
string_prefix(const char *text)
{
    uint64_t prefix = 0;
    size_t i = 0;
    for (; i < 8 && text[i] != '\0'; i++) {
        prefix = (prefix << 8) | (unsigned char)text[i];
    }
    return prefix << (8 * (8 - i));
}

/* strcmp of the two strings whose prefixes are equal. */
static int
compare_tails(const sort_key *x, const sort_key *y)
{
    /* A last prefix byte of 0: both strings ended within it. */
    if ((x->prefix & 0xFF) == 0) {
        return 0;
    }
    return strcmp(x->text + 8, y->text + 8);
}

static int
compare_keys(const sort_key *x, const sort_key *y)
{
    if (x->first != y->first) {
        return x->first < y->first ? -1 : 1;
    }
    if (x->second != y->second) {
        return x->second < y->second ? -1 : 1;
    }
    if (x->prefix != y->prefix) {
        return x->prefix < y->prefix ? -1 : 1;
    }
    int c = compare_tails(x, y);
    if (c != 0) {
        return c;
    }
    return (x->last > y->last) - (x->last < y->last);
}

static void
merge_sort(sort_key *keys, sort_key *spare, size_t n)
{
    if (n <= 12) {
        for (size_t i = 1; i < n; i++) {
            sort_key key = keys[i];
            size_t j = i;
            for (; j > 0 && compare_keys(&key, &keys[j - 1]) < 0; j--) {
                keys[j] = keys[j - 1];
            }
            keys[j] = key;
        }
        return;
    }
    size_t half = n / 2;
    merge_sort(keys, spare, half);
    merge_sort(keys + half, spare, n - half);
    if (compare_keys(&keys[half - 1], &keys[half]) <= 0) {
        return;             /* already in order */
    }
    memcpy(spare, keys, half * sizeof(sort_key));
    size_t i = 0, j = half, k = 0;
    while (i < half && j < n) {
        keys[k++] = compare_keys(&keys[j], &spare[i]) < 0 ? keys[j++]
                                                          : spare[i++];
    }
    memcpy(keys + k, spare + i, (half - i) * sizeof(sort_key));
}

/* Sorts `keys` (n of them, with their index set) and puts the `n` rows
   of `size` bytes at `base` in their order. Returns 0, or -1 when out of
   memory (the rows are left as they were). */
static int
sort_rows(void *base, size_t n, size_t size, sort_key *keys)
{
    if (n < 2) {
        return 0;
    }
    sort_key *spare = malloc((n / 2) * sizeof(sort_key));
    unsigned char *copy = malloc(n * size);
    if (spare == NULL || copy == NULL) {
        free(spare);
        free(copy);
        return -1;
    }
    merge_sort(keys, spare, n);
    memcpy(copy, base, n * size);
    for (size_t i = 0; i < n; i++) {
        memcpy((unsigned char *)base + i * size,
               copy + keys[i].index * size, size);
    }
    free(spare);
    free(copy);
    return 0;
}

/* The keys of `n` rows, filled by `key_of`, then sort_rows. */
static int
sort_by(void *base, size_t n, size_t size,
        sort_key (*key_of)(const void *row))
{
    if (n < 2) {
        return 0;
    }
    sort_key *keys = malloc(n * sizeof(sort_key));
    if (keys == NULL) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        keys[i] = key_of((const unsigned char *)base + i * size);
        if (keys[i].text == NULL) {
            keys[i].text = "";     /* a model built by hand may lack one */
        }
        keys[i].prefix = string_prefix(keys[i].text);
        keys[i].index = i;
    }
    int rc = sort_rows(base, n, size, keys);
    free(keys);
    return rc;
}

/* ---- Types by memory ---- */

/* By bytes, instances descending, then name. */
static sort_key
type_row_key(const void *row)
{
    const mi_type_row *x = row;
    return (sort_key){descending_u64(x->stats->bytes),
                      descending_u64(x->stats->instances), 0,
                      x->type->name, (uintptr_t)x->stats, 0};
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
        analysis->total_bytes = mi_add_saturated(analysis->total_bytes,
                                              stats->bytes);
        analysis->total_instances = mi_add_saturated(analysis->total_instances,
                                                  stats->instances);
    }
    return sort_by(analysis->types, analysis->n_types, sizeof(mi_type_row),
                   type_row_key);
}

/* ---- Uninstantiated types ---- */

static sort_key
type_name_key(const void *row)
{
    const mi_model_type *x = *(const mi_model_type *const *)row;
    return (sort_key){0, 0, 0, x->name, (uintptr_t)x, 0};
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
    return sort_by(analysis->uninstantiated, analysis->n_uninstantiated,
                   sizeof(mi_model_type *), type_name_key);
}

/* ---- Duplicates ---- */

static uint64_t
duplicate_savable(const mi_model_duplicate *duplicate)
{
    return mi_multiply_saturated(duplicate->size,
                              duplicate->copies > 0 ? duplicate->copies - 1
                                                    : 0);
}

/* By savable bytes, copies descending, then repr. */
static sort_key
duplicate_key(const void *row)
{
    const mi_model_duplicate *x = *(const mi_model_duplicate *const *)row;
    return (sort_key){descending_u64(duplicate_savable(x)),
                      descending_u64(x->copies), 0, x->repr, (uintptr_t)x,
                      0};
}

/* By savable bytes, duplicate instances descending, then name. */
static sort_key
duplicate_row_key(const void *row)
{
    const mi_duplicate_summary_row *x = row;
    return (sort_key){descending_u64(x->savable_bytes),
                      descending_u64(x->duplicate_instances), 0,
                      x->type->name, (uintptr_t)x->type, 0};
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
        row->savable_bytes = mi_add_saturated(row->savable_bytes,
                                           duplicate_savable(duplicate));
        row->duplicate_instances = mi_add_saturated(
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
        if (sort_by(row->duplicates, row->n_duplicates,
                    sizeof(mi_model_duplicate *), duplicate_key) < 0) {
            goto done;
        }
        analysis->total_savable_bytes = mi_add_saturated(
            analysis->total_savable_bytes, row->savable_bytes);
        analysis->total_duplicate_instances = mi_add_saturated(
            analysis->total_duplicate_instances, row->duplicate_instances);
    }
    if (sort_by(analysis->duplicate_summary, analysis->n_duplicate_summary,
                sizeof(mi_duplicate_summary_row), duplicate_row_key) < 0) {
        goto done;
    }
    rc = 0;
done:
    mi_id_map_free(&with_stats);
    mi_id_map_free(&rows);
    return rc;
}

/* ---- Classes lacking slots ---- */

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
    size_t total = n_static + n_found;
    *slots = NULL;
    *n_slots = 0;
    if (total == 0) {
        return 0;
    }
    /* By name, then in the order above (`last`, which is `index`). */
    sort_key *keys = malloc(total * sizeof(sort_key));
    sort_key *spare = malloc((total / 2 + 1) * sizeof(sort_key));
    mi_name_count *merged = malloc(total * sizeof(mi_name_count));
    if (keys == NULL || spare == NULL || merged == NULL) {
        free(keys);
        free(spare);
        free(merged);
        return -1;
    }
    for (size_t i = 0; i < total; i++) {
        const char *name = i < n_static
                           ? type->static_attributes[i]
                           : stats->attribute_names[i - n_static].name;
        keys[i] = (sort_key){0, 0, string_prefix(name), name, i, i};
    }
    merge_sort(keys, spare, total);
    size_t n = 0;
    for (size_t i = 0; i < total; i++) {
        const sort_key *key = &keys[i];
        uint64_t count = 0;
        if (key->index >= n_static) {
            count = stats->attribute_names[key->index - n_static].count;
        }
        if (i > 0 && key->prefix == keys[i - 1].prefix
            && compare_tails(key, &keys[i - 1]) == 0) {
            merged[n - 1].count = count;
        }
        else {
            merged[n++] = (mi_name_count){(char *)key->text, count};
        }
    }
    free(keys);
    free(spare);
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
    uint64_t cost = mi_multiply_saturated(
        mi_multiply_saturated(slots, MI_SLOT_SIZE), objects);
    if (cost >= dict_bytes) {
        return false;
    }
    uint64_t saved = dict_bytes - cost;
    *savable = saved > INT64_MAX ? INT64_MAX : (int64_t)saved;
    return true;
}

/* By savable bytes, reduction descending, then name. The reduction is
   never NaN: the dict bytes are more than the slots' cost, so positive. */
static sort_key
slots_row_key(const void *row)
{
    const mi_slots_row *x = row;
    return (sort_key){descending_i64(x->savable_bytes),
                      descending_double(x->reduction), 0, x->type->name,
                      (uintptr_t)x->type, 0};
}

/* Above this many names, a row is first tested with their number
   (counted in a hash table), and only sorted when it is kept: the one
   type with thousands of names, module, saves nothing with slots. */
#define NAMES_COUNTED_FIRST 64

static uint64_t
name_hash(const char *name)
{
    uint64_t hash = 14695981039346656037u;      /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        hash = (hash ^ *p) * 1099511628211u;
    }
    return hash | 1;        /* never 0, which marks a free entry */
}

/* The number of different names among the static attributes of `type`
   and the attribute names of `stats`, into *count. Returns 0, or -1 when
   out of memory. */
static int
count_names(const mi_model_type *type, const mi_model_type_stats *stats,
            size_t *count)
{
    typedef struct {
        uint64_t hash;
        const char *name;
    } entry;
    size_t n_static = type->n_static_attributes;
    size_t total = n_static + (stats != NULL ? stats->n_attribute_names : 0);
    size_t capacity = 16;
    while (capacity < 2 * total) {
        capacity *= 2;
    }
    entry *table = calloc(capacity, sizeof(entry));
    if (table == NULL) {
        return -1;
    }
    *count = 0;
    for (size_t i = 0; i < total; i++) {
        const char *name = i < n_static
                           ? type->static_attributes[i]
                           : stats->attribute_names[i - n_static].name;
        uint64_t hash = name_hash(name);
        size_t at = (size_t)hash & (capacity - 1);
        while (table[at].hash != 0
               && (table[at].hash != hash
                   || strcmp(table[at].name, name) != 0)) {
            at = (at + 1) & (capacity - 1);
        }
        if (table[at].hash == 0) {
            table[at] = (entry){hash, name};
            ++*count;
        }
    }
    free(table);
    return 0;
}

/* A row for `type` when slots would save something, into *rows. */
static int
add_slots_row(const mi_model_type *type, const mi_model_type_stats *stats,
              mi_slots_row *rows, size_t *n_rows)
{
    mi_slots_row row = {.type = type};
    uint64_t objects = stats != NULL ? stats->instances : 1;
    if (stats != NULL) {
        row.instances = stats->instances;
        row.dict_bytes = stats->dict_bytes;
    }
    else {
        row.dict_bytes = type->static_dict_bytes;
    }
    if (type->n_static_attributes
        + (stats != NULL ? stats->n_attribute_names : 0)
        > NAMES_COUNTED_FIRST) {
        size_t count;
        if (count_names(type, stats, &count) < 0) {
            return -1;
        }
        if (!savings(row.dict_bytes, count, objects, &row.savable_bytes)) {
            return 0;
        }
    }
    if (missing_slots(type, stats, &row.missing_slots,
                      &row.n_missing_slots) < 0) {
        return -1;
    }
    if (!savings(row.dict_bytes, row.n_missing_slots, objects,
                 &row.savable_bytes)) {
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
    if (sort_by(analysis->lacking_slots, analysis->n_lacking_slots,
                sizeof(mi_slots_row), slots_row_key) < 0) {
        return -1;
    }

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
    return sort_by(analysis->uninstantiated_lacking_slots,
                   analysis->n_uninstantiated_lacking_slots,
                   sizeof(mi_slots_row), slots_row_key);
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
