#include "duplicate_groups.h"

#include <stdlib.h>

void
mi_duplicate_candidates_init(mi_duplicate_candidates *candidates)
{
    candidates->items = NULL;
    candidates->length = 0;
    candidates->capacity = 0;
    candidates->first_capacity = 0;
}

void
mi_duplicate_candidates_expect(mi_duplicate_candidates *candidates,
                               size_t expected)
{
    candidates->first_capacity = expected;
}

void
mi_duplicate_candidates_free(mi_duplicate_candidates *candidates)
{
    free(candidates->items);
    mi_duplicate_candidates_init(candidates);
}

/* In type_index during grouping: the candidate joined an earlier one's
   group, and its hash field holds the index of that group's first
   member. */
#define JOINED (UINT32_C(1) << 31)

int
mi_duplicate_candidates_add(mi_duplicate_candidates *candidates,
                            void *object, uint64_t hash, uint32_t type_index)
{
    if (type_index & JOINED) {
        return -1;
    }
    if (candidates->length == candidates->capacity) {
        size_t capacity = candidates->capacity ? candidates->capacity * 2
            : candidates->first_capacity > 4096 ? candidates->first_capacity
            : 4096;
        mi_duplicate_candidate *items =
            realloc(candidates->items, capacity * sizeof *items);
        if (items == NULL) {
            return -1;
        }
        candidates->items = items;
        candidates->capacity = capacity;
    }
    mi_duplicate_candidate *item = &candidates->items[candidates->length++];
    item->object = object;
    item->hash = (uint32_t)(hash ^ (hash >> 32));
    item->type_index = type_index;
    return 0;
}

static size_t
slot_of(const mi_duplicate_candidate *candidate, size_t mask)
{
    uint64_t h = ((uint64_t)candidate->type_index << 32 | candidate->hash)
        * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h ^ (h >> 32)) & mask;
}

/* Finds for each candidate the first earlier candidate equal to it: a
   candidate with none keeps its hash (later ones are compared to it); one
   that has one gets JOINED and that first member's index in place of its
   hash (no one compares to it any more). `first_of_group` is an
   open-addressing table of the index + 1 of each group's first candidate
   (32 bits: with the candidates, it is the peak of an inventory). */
static void
assign_groups(mi_duplicate_candidate *items, size_t length,
              uint32_t *first_of_group, size_t mask, mi_values_equal equal)
{
    for (size_t i = 0; i < length; i++) {
        size_t slot = slot_of(&items[i], mask);
        for (;;) {
            uint32_t first = first_of_group[slot];
            if (first == 0) {
                first_of_group[slot] = (uint32_t)(i + 1);
                break;
            }
            const mi_duplicate_candidate *candidate = &items[first - 1];
            if (candidate->hash == items[i].hash
                && candidate->type_index == items[i].type_index
                && equal(candidate->object, items[i].object)) {
                items[i].group = first - 1;
                items[i].type_index |= JOINED;
                break;
            }
            slot = (slot + 1) & mask;
        }
    }
}

/* The index of the first member of the group of items[i]. */
static inline uint32_t
first_member(const mi_duplicate_candidate *items, size_t i)
{
    return items[i].type_index & JOINED ? items[i].group : (uint32_t)i;
}

/* Moves the candidates into `ordered`, each group's members contiguous,
   groups in the order of their first member (a stable counting sort on
   that member's index), numbered from 0; with `repeated_only`, groups of
   one member are left out. Returns the number of groups placed, or -1
   when out of memory (the candidates are then only fit to be freed). */
static long
order_by_group(mi_duplicate_candidates *candidates, int repeated_only)
{
    size_t length = candidates->length;
    mi_duplicate_candidate *items = candidates->items;
    uint32_t *next = calloc(length, sizeof *next);
    long placed = 0;

    if (next == NULL) {
        return -1;
    }
    for (size_t i = 0; i < length; i++) {
        next[first_member(items, i)]++;
    }
    /* Sizes become the index where each group's next member goes; only
       first members have a size. */
    uint32_t kept = 0;
    for (size_t k = 0; k < length; k++) {
        uint32_t size = next[k];
        if (size == 0) {
            continue;
        }
        if (repeated_only && size < 2) {
            next[k] = UINT32_MAX;
            continue;
        }
        next[k] = kept;
        kept += size;
        placed++;
    }
    mi_duplicate_candidate *ordered =
        malloc((kept ? kept : 1) * sizeof *ordered);
    if (ordered == NULL) {
        free(next);
        return -1;
    }
    for (size_t i = 0; i < length; i++) {
        uint32_t *slot = &next[first_member(items, i)];
        if (*slot != UINT32_MAX) {
            mi_duplicate_candidate *item = &ordered[(*slot)++];
            *item = items[i];
            /* For now, the group's key: its first member's index. */
            item->group = first_member(items, i);
            item->type_index &= ~JOINED;
        }
    }
    free(next);
    /* Keys to numbers: the groups are contiguous, keys unique to each. */
    uint32_t group = 0;
    uint32_t previous_key = kept ? ordered[0].group : 0;
    for (uint32_t i = 0; i < kept; i++) {
        uint32_t key = ordered[i].group;
        if (key != previous_key) {
            group++;
            previous_key = key;
        }
        ordered[i].group = group;
    }
    free(items);
    candidates->items = ordered;
    candidates->length = kept;
    candidates->capacity = kept;
    return placed;
}

static long
build_groups(mi_duplicate_candidates *candidates, mi_values_equal equal,
             int repeated_only)
{
    size_t length = candidates->length;
    size_t capacity = 64;

    if (length == 0) {
        return 0;
    }
    if (length >= UINT32_MAX / 2) {
        return -1;
    }
    while (capacity < length * 2) {
        capacity *= 2;
    }
    /* The peak memory of an inventory is here: give back the slack of
       the candidates' growth, and the table once groups are assigned. */
    if (candidates->capacity > length) {
        mi_duplicate_candidate *fitted =
            realloc(candidates->items, length * sizeof *fitted);
        if (fitted != NULL) {
            candidates->items = fitted;
            candidates->capacity = length;
        }
    }
    uint32_t *first_of_group = calloc(capacity, sizeof *first_of_group);
    if (first_of_group == NULL) {
        return -1;
    }
    assign_groups(candidates->items, length, first_of_group, capacity - 1,
                  equal);
    free(first_of_group);
    return order_by_group(candidates, repeated_only);
}

long
mi_duplicate_groups_build(mi_duplicate_candidates *candidates,
                          mi_values_equal equal)
{
    return build_groups(candidates, equal, 0);
}

long
mi_duplicate_groups_build_repeated(mi_duplicate_candidates *candidates,
                                   mi_values_equal equal)
{
    return build_groups(candidates, equal, 1);
}
