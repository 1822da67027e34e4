#include "object_stack.h"

#include <stdlib.h>

int
mi_object_stack_init(mi_object_stack *stack, size_t capacity)
{
    if (capacity == 0) {
        capacity = 1024;
    }
    stack->items = malloc(capacity * sizeof(void *));
    if (stack->items == NULL) {
        return -1;
    }
    stack->length = 0;
    stack->capacity = capacity;
    return 0;
}

void
mi_object_stack_free(mi_object_stack *stack)
{
    free(stack->items);
    stack->items = NULL;
    stack->length = 0;
    stack->capacity = 0;
}

int
mi_object_stack_push(mi_object_stack *stack, void *item)
{
    if (stack->length == stack->capacity) {
        size_t capacity = stack->capacity * 2;
        void **items = realloc(stack->items, capacity * sizeof(void *));
        if (items == NULL) {
            return -1;
        }
        stack->items = items;
        stack->capacity = capacity;
    }
    stack->items[stack->length++] = item;
    return 0;
}
