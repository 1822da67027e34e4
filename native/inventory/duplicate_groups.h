/* Grouping of equal values among the candidates of the walk.
 *
 * Pure C: candidates carry an address, the index of their type and a hash;
 * equality is a callback, so the grouping is tested without an interpreter.
 * After mi_duplicate_groups_build, the members of each group are contiguous,
 * groups and members in the order they were added. */
#ifndef MI_DUPLICATE_GROUPS_H
#define MI_DUPLICATE_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 16 bytes: a whole-heap walk holds one per value (~250 k on the
   standard library's heap), the largest part of its peak memory. */
typedef struct {
    void *object;
    union {
        uint32_t hash;  /* before grouping: the hash, folded to 32 bits */
        uint32_t group; /* after mi_duplicate_groups_build */
    };
    uint32_t type_index;    /* below 2**31 */
} mi_duplicate_candidate;

typedef struct {
    mi_duplicate_candidate *items;
    size_t length;
    size_t capacity;
    size_t first_capacity;  /* of the first allocation (0: a default) */
} mi_duplicate_candidates;

typedef int (*mi_values_equal)(void *a, void *b);

void mi_duplicate_candidates_init(mi_duplicate_candidates *candidates);
void mi_duplicate_candidates_free(mi_duplicate_candidates *candidates);
/* Before the first candidate: room for `expected` of them in one
   allocation, sparing the copies of growth (what is never written costs
   no memory). */
void mi_duplicate_candidates_expect(mi_duplicate_candidates *candidates,
                                    size_t expected);
/* Keeps `hash` folded to 32 bits (equal values still need equal hashes;
   unequal ones sharing a folded hash are told apart by the callback).
   Returns 0, or -1 when out of memory or type_index >= 2**31. */
int mi_duplicate_candidates_add(mi_duplicate_candidates *candidates,
                                void *object, uint64_t hash,
                                uint32_t type_index);

/* Sorts and groups the candidates; returns the number of groups, or -1
   when out of memory (the candidates are then only fit to be freed). */
long mi_duplicate_groups_build(mi_duplicate_candidates *candidates,
                               mi_values_equal equal);

/* The same, keeping only the groups of two or more members (most values
   have no copy: the array holding the rest is a fraction of the whole);
   returns the number of those groups, or -1 when out of memory. */
long mi_duplicate_groups_build_repeated(mi_duplicate_candidates *candidates,
                                        mi_values_equal equal);

#ifdef __cplusplus
}
#endif

#endif
