#include "pointer_set.h"

#include <stdlib.h>
#include <string.h>

static size_t
slot_of(uintptr_t key, size_t mask)
{
    /* Objects are 16-byte aligned: the low bits carry no information.
       Fibonacci hashing spreads the rest over the table. */
    uint64_t h = (uint64_t)(key >> 4) * UINT64_C(0x9E3779B97F4A7C15);
    /* Fold the high bits down: a product's low bits only depend on the
       key's low bits, and heap and mmap addresses differ high up. */
    h ^= h >> 32;
    h ^= h >> 16;
    return (size_t)h & mask;
}

static size_t
capacity_for(size_t expected)
{
    size_t capacity = 64;
    while (capacity < expected * 2) {
        capacity *= 2;
    }
    return capacity;
}

/* memset through a pointer the compiler cannot see through: it would
   make malloc then memset a calloc again. */
static void *(*const volatile write_bytes)(void *, int, size_t) = memset;

/* A zeroed array of `capacity` slots, or NULL. Zeroed by writing: the
   fresh pages of a calloc would fault twice, mapped by the first probe's
   read, then copied by its write. */
static uintptr_t *
new_slots(size_t capacity)
{
    uintptr_t *slots = malloc(capacity * sizeof(uintptr_t));
    if (slots != NULL) {
        write_bytes(slots, 0, capacity * sizeof(uintptr_t));
    }
    return slots;
}

int
mi_pointer_set_init(mi_pointer_set *set, size_t expected)
{
    size_t capacity = capacity_for(expected);
    set->slots = new_slots(capacity);
    if (set->slots == NULL) {
        return -1;
    }
    set->mask = capacity - 1;
    set->count = 0;
    return 0;
}

void
mi_pointer_set_free(mi_pointer_set *set)
{
    free(set->slots);
    set->slots = NULL;
    set->mask = 0;
    set->count = 0;
}

static void
insert_unchecked(uintptr_t *slots, size_t mask, uintptr_t key)
{
    size_t i = slot_of(key, mask);
    while (slots[i] != 0) {
        i = (i + 1) & mask;
    }
    slots[i] = key;
}

static int
grow(mi_pointer_set *set)
{
    size_t old_capacity = set->mask + 1;
    size_t new_capacity = old_capacity * 2;
    uintptr_t *slots = new_slots(new_capacity);
    if (slots == NULL) {
        return -1;
    }
    for (size_t i = 0; i < old_capacity; i++) {
        if (set->slots[i] != 0) {
            insert_unchecked(slots, new_capacity - 1, set->slots[i]);
        }
    }
    free(set->slots);
    set->slots = slots;
    set->mask = new_capacity - 1;
    return 0;
}

int
mi_pointer_set_add(mi_pointer_set *set, const void *pointer)
{
    uintptr_t key = (uintptr_t)pointer;
    size_t i = slot_of(key, set->mask);
    while (set->slots[i] != 0) {
        if (set->slots[i] == key) {
            return 0;
        }
        i = (i + 1) & set->mask;
    }
    if ((set->count + 1) * 2 > set->mask + 1) {
        if (grow(set) < 0) {
            return -1;
        }
        insert_unchecked(set->slots, set->mask, key);
    }
    else {
        set->slots[i] = key;
    }
    set->count++;
    return 1;
}

int
mi_pointer_set_contains(const mi_pointer_set *set, const void *pointer)
{
    uintptr_t key = (uintptr_t)pointer;
    size_t i = slot_of(key, set->mask);
    while (set->slots[i] != 0) {
        if (set->slots[i] == key) {
            return 1;
        }
        i = (i + 1) & set->mask;
    }
    return 0;
}
