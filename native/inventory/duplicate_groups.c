#include "duplicate_groups.h"

#include <stdlib.h>
#include <string.h>

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
   group, and its group field holds the index of that group's first
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

/* memset through a pointer the compiler cannot see through: it would
   make malloc then memset a calloc again. */
static void *(*const volatile write_bytes)(void *, int, size_t) = memset;

/* A slot of the table of groups: the index + 1 of a group's first
   candidate (low half; 0: empty) and its hash (high half), so that a probe
   passes other hashes without reading their candidates. */
static inline uint64_t
table_entry(uint32_t hash, size_t index)
{
    return (uint64_t)hash << 32 | (uint64_t)(index + 1);
}

/* What the groups found will take once ordered. */
typedef struct {
    uint32_t members;       /* the candidates placed */
    uint32_t groups;
} group_totals;

/* Finds for each candidate the first earlier candidate equal to it. A
   candidate with none (a group's first member) gets the number of its
   group's members in its hash field (the table holds the hash from then
   on); one that has one gets JOINED and that first member's index in
   place of its hash, and adds itself to the first member's count. Counts
   the groups, and their members, that order_by_group will place (with
   `repeated_only`, those of two or more members). */
static void
assign_groups(mi_duplicate_candidate *items, size_t length, uint64_t *table,
              size_t mask, mi_values_equal equal, int repeated_only,
              group_totals *totals)
{
    totals->members = 0;
    totals->groups = 0;
    for (size_t i = 0; i < length; i++) {
        uint32_t hash = items[i].hash;
        size_t slot = slot_of(&items[i], mask);
        for (;;) {
            uint64_t entry = table[slot];
            if (entry == 0) {
                table[slot] = table_entry(hash, i);
                items[i].group = 1;
                if (!repeated_only) {
                    totals->groups++;
                    totals->members++;
                }
                break;
            }
            if ((uint32_t)(entry >> 32) == hash) {
                uint32_t first = (uint32_t)entry - 1;
                mi_duplicate_candidate *candidate = &items[first];
                if (candidate->type_index == items[i].type_index
                    && equal(candidate->object, items[i].object)) {
                    if (repeated_only && candidate->group == 1) {
                        totals->groups++;
                        totals->members++;  /* the first member */
                    }
                    totals->members++;
                    candidate->group++;
                    items[i].group = first;
                    items[i].type_index |= JOINED;
                    break;
                }
            }
            slot = (slot + 1) & mask;
        }
    }
}

/* Moves the candidates into a new array of `totals->members`, each
   group's members contiguous, groups in the order of their first member
   (a stable counting sort on that member's index, whose count
   assign_groups left in its group field), numbered from 0; with
   `repeated_only`, groups of one member are left out. One pass: a group's
   first member comes before the others, and takes the place where the
   group starts; its fields then hold the group's next place (group) and
   number (type_index, copied already). `ordered` (malloc'd) has room
   for them, and becomes the candidates' array. Returns the number of
   groups placed. */
static long
order_by_group(mi_duplicate_candidates *candidates, int repeated_only,
               const group_totals *totals, mi_duplicate_candidate *ordered)
{
    size_t length = candidates->length;
    mi_duplicate_candidate *items = candidates->items;
    uint32_t kept = totals->members;
    uint32_t placed = 0;
    uint32_t groups = 0;
    for (size_t i = 0; i < length; i++) {
        mi_duplicate_candidate *item = &items[i];
        mi_duplicate_candidate *into;
        if (item->type_index & JOINED) {
            mi_duplicate_candidate *first = &items[item->group];
            into = &ordered[first->group++];
            into->group = first->type_index;
            into->type_index = item->type_index & ~JOINED;
        }
        else if (repeated_only && item->group < 2) {
            continue;
        }
        else {
            into = &ordered[placed];
            into->group = groups;
            into->type_index = item->type_index;
            placed += item->group;
            item->group = (uint32_t)(into - ordered) + 1;
            item->type_index = groups++;
        }
        into->object = item->object;
    }
    free(items);
    candidates->items = ordered;
    candidates->length = kept;
    candidates->capacity = kept;
    return (long)groups;
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
    /* At most three quarters full: the hashes in the table keep probes
       short (a cache line holds eight slots). */
    while (capacity / 4 * 3 < length) {
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
    /* Zeroed by writing: calloc's fresh pages would fault twice, once
       mapped for the probe's read, then copied for its write. */
    uint64_t *table = malloc(capacity * sizeof *table);
    if (table == NULL) {
        return -1;
    }
    write_bytes(table, 0, capacity * sizeof *table);
    group_totals totals;
    assign_groups(candidates->items, length, table, capacity - 1, equal,
                  repeated_only, &totals);
    /* The groups' members go into the table's memory when it has room
       (its pages are mapped already), given back beyond them; into a new
       array otherwise. */
    size_t kept_bytes = (totals.members ? totals.members : 1)
        * sizeof(mi_duplicate_candidate);
    mi_duplicate_candidate *ordered;
    if (kept_bytes <= capacity * sizeof *table) {
        ordered = (mi_duplicate_candidate *)table;
    }
    else {
        free(table);
        ordered = malloc(kept_bytes);
        if (ordered == NULL) {
            return -1;
        }
    }
    long groups = order_by_group(candidates, repeated_only, &totals,
                                 ordered);
    if (kept_bytes < capacity * sizeof *table) {
        mi_duplicate_candidate *fitted = realloc(ordered, kept_bytes);
        if (fitted != NULL) {
            candidates->items = fitted;
        }
    }
    return groups;
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
