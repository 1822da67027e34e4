/* A growable LIFO of object addresses: the walk's work list.
 *
 * Holds borrowed pointers: the walk runs no Python code, so nothing it has
 * queued can be freed before it is popped. */
#ifndef MI_OBJECT_STACK_H
#define MI_OBJECT_STACK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    void **items;
    size_t length;
    size_t capacity;
} mi_object_stack;

int mi_object_stack_init(mi_object_stack *stack, size_t capacity);
void mi_object_stack_free(mi_object_stack *stack);
/* Returns 0, or -1 when out of memory. */
int mi_object_stack_push(mi_object_stack *stack, void *item);

static inline void *
mi_object_stack_pop(mi_object_stack *stack)
{
    return stack->length ? stack->items[--stack->length] : NULL;
}

#ifdef __cplusplus
}
#endif

#endif
