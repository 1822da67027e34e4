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

int
mi_duplicate_candidates_add(mi_duplicate_candidates *candidates,
                            void *object, uint64_t hash, uint32_t type_index)
{
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
    item->hash = hash;
    item->type_index = type_index;
    item->group = 0;
    return 0;
}

static size_t
slot_of(const mi_duplicate_candidate *candidate, size_t mask)
{
    uint64_t h = (candidate->hash ^ ((uint64_t)candidate->type_index << 40))
        * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 16) & mask;
}

/* Gives each candidate the group of the first earlier candidate equal to
   it, or a new group. `first_of_group` is an open-addressing table of the
   index + 1 of each group's first candidate (32 bits: it is the largest
   transient allocation of an inventory). */
static uint32_t
assign_groups(mi_duplicate_candidate *items, size_t length,
              uint32_t *first_of_group, size_t mask, mi_values_equal equal)
{
    uint32_t groups = 0;
    for (size_t i = 0; i < length; i++) {
        size_t slot = slot_of(&items[i], mask);
        for (;;) {
            uint32_t first = first_of_group[slot];
            if (first == 0) {
                first_of_group[slot] = (uint32_t)(i + 1);
                items[i].group = groups++;
                break;
            }
            const mi_duplicate_candidate *candidate = &items[first - 1];
            if (candidate->hash == items[i].hash
                && candidate->type_index == items[i].type_index
                && equal(candidate->object, items[i].object)) {
                items[i].group = candidate->group;
                break;
            }
            slot = (slot + 1) & mask;
        }
    }
    return groups;
}

/* Moves the candidates into `ordered`, each group's members contiguous,
   groups in the order of their first member (a stable counting sort);
   with `repeated_only`, groups of one member are left out. `groups` is the
   number of groups assigned; returns the number placed, or -1 when out of
   memory. */
static long
order_by_group(mi_duplicate_candidates *candidates, uint32_t groups,
               int repeated_only)
{
    size_t length = candidates->length;
    uint32_t *next = calloc((size_t)groups + 1, sizeof *next);
    mi_duplicate_candidate *ordered = NULL;
    long placed = 0;

    if (next == NULL) {
        return -1;
    }
    for (size_t i = 0; i < length; i++) {
        next[candidates->items[i].group]++;
    }
    /* Sizes become the index where each group's next member goes. */
    uint32_t kept = 0;
    for (uint32_t g = 0; g < groups; g++) {
        uint32_t size = next[g];
        if (repeated_only && size < 2) {
            next[g] = UINT32_MAX;
            continue;
        }
        next[g] = kept;
        kept += size;
        placed++;
    }
    ordered = malloc((kept ? kept : 1) * sizeof *ordered);
    if (ordered == NULL) {
        free(next);
        return -1;
    }
    for (size_t i = 0; i < length; i++) {
        uint32_t *slot = &next[candidates->items[i].group];
        if (*slot != UINT32_MAX) {
            ordered[(*slot)++] = candidates->items[i];
        }
    }
    free(next);
    free(candidates->items);
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
    uint32_t groups = assign_groups(candidates->items, length,
                                    first_of_group, capacity - 1, equal);
    free(first_of_group);
    return order_by_group(candidates, groups, repeated_only);
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
