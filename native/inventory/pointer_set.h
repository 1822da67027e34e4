/* A set of non-NULL addresses, with open addressing.
 *
 * The walk asks "seen this object before?" once per edge, so this is the
 * hottest structure of the engine: no Python objects, no reference counting,
 * a flat array of slots that grows by doubling at half load. */
#ifndef MI_POINTER_SET_H
#define MI_POINTER_SET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uintptr_t *slots;   /* 0 marks an empty slot */
    size_t mask;        /* capacity - 1; capacity is a power of two */
    size_t count;
} mi_pointer_set;

/* Returns 0, or -1 when out of memory. */
int mi_pointer_set_init(mi_pointer_set *set, size_t expected);
void mi_pointer_set_free(mi_pointer_set *set);

/* Returns 1 if added, 0 if already present, -1 when out of memory. */
int mi_pointer_set_add(mi_pointer_set *set, const void *pointer);
int mi_pointer_set_contains(const mi_pointer_set *set, const void *pointer);

#ifdef __cplusplus
}
#endif

#endif
