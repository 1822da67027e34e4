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

typedef struct {
    void *object;
    uint64_t hash;
    uint32_t type_index;
    uint32_t group;     /* set by mi_duplicate_groups_build */
} mi_duplicate_candidate;

typedef struct {
    mi_duplicate_candidate *items;
    size_t length;
    size_t capacity;
} mi_duplicate_candidates;

typedef int (*mi_values_equal)(void *a, void *b);

void mi_duplicate_candidates_init(mi_duplicate_candidates *candidates);
void mi_duplicate_candidates_free(mi_duplicate_candidates *candidates);
/* Returns 0, or -1 when out of memory. */
int mi_duplicate_candidates_add(mi_duplicate_candidates *candidates,
                                void *object, uint64_t hash,
                                uint32_t type_index);

/* Sorts and groups the candidates; returns the number of groups, or -1
   when out of memory. */
long mi_duplicate_groups_build(mi_duplicate_candidates *candidates,
                               mi_values_equal equal);

#ifdef __cplusplus
}
#endif

#endif
