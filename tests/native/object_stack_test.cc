// Tests of native/inventory/object_stack.{h,c}: the walk's LIFO work list.

#include "native/inventory/object_stack.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

void *Item(uintptr_t value) { return reinterpret_cast<void *>(value); }

TEST(ObjectStack, PopOnEmptyReturnsNull) {
    mi_object_stack stack;
    ASSERT_EQ(mi_object_stack_init(&stack, 4), 0);
    EXPECT_EQ(stack.length, size_t{0});
    EXPECT_EQ(mi_object_stack_pop(&stack), nullptr);
    EXPECT_EQ(mi_object_stack_pop(&stack), nullptr);
    EXPECT_EQ(stack.length, size_t{0});
    mi_object_stack_free(&stack);
}

TEST(ObjectStack, LastInFirstOut) {
    mi_object_stack stack;
    ASSERT_EQ(mi_object_stack_init(&stack, 16), 0);
    int a = 0, b = 0, c = 0;
    ASSERT_EQ(mi_object_stack_push(&stack, &a), 0);
    ASSERT_EQ(mi_object_stack_push(&stack, &b), 0);
    ASSERT_EQ(mi_object_stack_push(&stack, &c), 0);
    EXPECT_EQ(stack.length, size_t{3});
    EXPECT_EQ(mi_object_stack_pop(&stack), &c);
    EXPECT_EQ(mi_object_stack_pop(&stack), &b);
    ASSERT_EQ(mi_object_stack_push(&stack, &c), 0);
    EXPECT_EQ(mi_object_stack_pop(&stack), &c);
    EXPECT_EQ(mi_object_stack_pop(&stack), &a);
    EXPECT_EQ(mi_object_stack_pop(&stack), nullptr);
    EXPECT_EQ(stack.length, size_t{0});
    mi_object_stack_free(&stack);
}

// The same item may be queued more than once; each push pops once.
TEST(ObjectStack, RepeatedItems) {
    mi_object_stack stack;
    ASSERT_EQ(mi_object_stack_init(&stack, 2), 0);
    int a = 0;
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(mi_object_stack_push(&stack, &a), 0);
    }
    for (int i = 0; i < 5; i++) {
        EXPECT_EQ(mi_object_stack_pop(&stack), &a) << "i=" << i;
    }
    EXPECT_EQ(mi_object_stack_pop(&stack), nullptr);
    mi_object_stack_free(&stack);
}

// From a capacity of 1 to 100000 items: many reallocations, order kept.
TEST(ObjectStack, GrowsFromSmallCapacity) {
    mi_object_stack stack;
    ASSERT_EQ(mi_object_stack_init(&stack, 1), 0);
    EXPECT_EQ(stack.capacity, size_t{1});
    const uintptr_t n = 100000;
    for (uintptr_t i = 1; i <= n; i++) {
        ASSERT_EQ(mi_object_stack_push(&stack, Item(i * 16)), 0);
        ASSERT_EQ(stack.length, static_cast<size_t>(i));
        ASSERT_GE(stack.capacity, stack.length);
    }
    for (uintptr_t i = n; i >= 1; i--) {
        ASSERT_EQ(mi_object_stack_pop(&stack), Item(i * 16)) << "i=" << i;
    }
    EXPECT_EQ(mi_object_stack_pop(&stack), nullptr);
    mi_object_stack_free(&stack);
}

// Interleaved pushes and pops across growth, against std::vector.
TEST(ObjectStack, InterleavedMatchesVector) {
    mi_object_stack stack;
    ASSERT_EQ(mi_object_stack_init(&stack, 3), 0);
    std::vector<void *> model;
    uintptr_t next = 1;
    for (int round = 0; round < 200; round++) {
        int pushes = round % 7 + 1;
        int pops = round % 5;
        for (int i = 0; i < pushes; i++) {
            ASSERT_EQ(mi_object_stack_push(&stack, Item(next * 16)), 0);
            model.push_back(Item(next * 16));
            next++;
        }
        for (int i = 0; i < pops; i++) {
            void *expected = nullptr;
            if (!model.empty()) {
                expected = model.back();
                model.pop_back();
            }
            ASSERT_EQ(mi_object_stack_pop(&stack), expected)
                << "round=" << round;
        }
        ASSERT_EQ(stack.length, model.size());
    }
    while (!model.empty()) {
        ASSERT_EQ(mi_object_stack_pop(&stack), model.back());
        model.pop_back();
    }
    EXPECT_EQ(mi_object_stack_pop(&stack), nullptr);
    mi_object_stack_free(&stack);
}

// A capacity of 0 picks a default: the stack is usable.
TEST(ObjectStack, ZeroCapacityGetsADefault) {
    mi_object_stack stack;
    ASSERT_EQ(mi_object_stack_init(&stack, 0), 0);
    EXPECT_GT(stack.capacity, size_t{0});
    ASSERT_EQ(mi_object_stack_push(&stack, Item(32)), 0);
    EXPECT_EQ(mi_object_stack_pop(&stack), Item(32));
    EXPECT_EQ(mi_object_stack_pop(&stack), nullptr);
    mi_object_stack_free(&stack);
}

TEST(ObjectStack, FreeResets) {
    mi_object_stack stack;
    ASSERT_EQ(mi_object_stack_init(&stack, 8), 0);
    ASSERT_EQ(mi_object_stack_push(&stack, Item(16)), 0);
    mi_object_stack_free(&stack);
    EXPECT_EQ(stack.items, nullptr);
    EXPECT_EQ(stack.length, size_t{0});
    EXPECT_EQ(stack.capacity, size_t{0});
    EXPECT_EQ(mi_object_stack_pop(&stack), nullptr);
}

}  // namespace
