// Tests of native/inventory/pointer_set.{h,c}: a set of non-NULL addresses.

#include "native/inventory/pointer_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace {

const void *Address(uintptr_t value) {
    return reinterpret_cast<const void *>(value);
}

class PointerSetTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_EQ(mi_pointer_set_init(&set_, 0), 0); }
    void TearDown() override { mi_pointer_set_free(&set_); }

    mi_pointer_set set_;
};

TEST_F(PointerSetTest, StartsEmpty) {
    EXPECT_EQ(set_.count, size_t{0});
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address(16)), 0);
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address(0x7f0000001230)), 0);
}

TEST_F(PointerSetTest, AddReturnsOneThenZero) {
    int value = 0;
    EXPECT_EQ(mi_pointer_set_add(&set_, &value), 1);
    EXPECT_EQ(set_.count, size_t{1});
    EXPECT_EQ(mi_pointer_set_add(&set_, &value), 0);
    EXPECT_EQ(mi_pointer_set_add(&set_, &value), 0);
    EXPECT_EQ(set_.count, size_t{1});
    EXPECT_EQ(mi_pointer_set_contains(&set_, &value), 1);
}

TEST_F(PointerSetTest, ContainsOnlyWhatWasAdded) {
    EXPECT_EQ(mi_pointer_set_add(&set_, Address(0x1000)), 1);
    EXPECT_EQ(mi_pointer_set_add(&set_, Address(0x2000)), 1);
    EXPECT_EQ(mi_pointer_set_add(&set_, Address(0x1008)), 1);  // unaligned
    EXPECT_EQ(set_.count, size_t{3});
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address(0x1000)), 1);
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address(0x2000)), 1);
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address(0x1008)), 1);
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address(0x1010)), 0);
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address(0x1001)), 0);
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address(0x3000)), 0);
}

// 200000 distinct 16-byte aligned addresses: from 64 slots, many doublings.
TEST_F(PointerSetTest, GrowthKeepsEveryMember) {
    const uintptr_t n = 200000;
    for (uintptr_t i = 0; i < n; i++) {
        ASSERT_EQ(mi_pointer_set_add(&set_, Address((i + 1) * 16)), 1)
            << "i=" << i;
        ASSERT_EQ(set_.count, static_cast<size_t>(i + 1));
    }
    // Load stays at most one half, the capacity a power of two.
    EXPECT_EQ((set_.mask + 1) & set_.mask, size_t{0});
    EXPECT_LE(set_.count * 2, set_.mask + 1);
    for (uintptr_t i = 0; i < n; i++) {
        ASSERT_EQ(mi_pointer_set_contains(&set_, Address((i + 1) * 16)), 1)
            << "i=" << i;
        ASSERT_EQ(mi_pointer_set_add(&set_, Address((i + 1) * 16)), 0)
            << "i=" << i;
    }
    EXPECT_EQ(set_.count, static_cast<size_t>(n));
    // Non-members: past the end, in between (aligned to 8), far away.
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address((n + 1) * 16)), 0);
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address((n + 1000) * 16)), 0);
    for (uintptr_t i = 0; i < n; i += 997) {
        ASSERT_EQ(mi_pointer_set_contains(&set_, Address((i + 1) * 16 + 8)),
                  0)
            << "i=" << i;
    }
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address(0x7f0000000000)), 0);
}

// Growth with addresses in random order and from a large `expected`.
TEST(PointerSetInit, ExpectedSizeAndRandomOrder) {
    mi_pointer_set set;
    ASSERT_EQ(mi_pointer_set_init(&set, 5000), 0);
    EXPECT_GE(set.mask + 1, size_t{10000});
    std::vector<uintptr_t> addresses;
    for (uintptr_t i = 0; i < 50000; i++) {
        addresses.push_back(0x7f3a00000000 + i * 48);
    }
    std::mt19937_64 rng(12345);
    std::shuffle(addresses.begin(), addresses.end(), rng);
    for (uintptr_t a : addresses) {
        ASSERT_EQ(mi_pointer_set_add(&set, Address(a)), 1);
    }
    EXPECT_EQ(set.count, addresses.size());
    for (uintptr_t a : addresses) {
        ASSERT_EQ(mi_pointer_set_contains(&set, Address(a)), 1);
        ASSERT_EQ(mi_pointer_set_contains(&set, Address(a + 16)), 0);
    }
    mi_pointer_set_free(&set);
    EXPECT_EQ(set.slots, nullptr);
    EXPECT_EQ(set.count, size_t{0});
}

// Addresses with the same low 32 bits, differing only above: none may be
// mistaken for another (e.g. by truncating the key to its low bits).
TEST_F(PointerSetTest, AddressesDifferingOnlyInHighBits) {
    const uintptr_t low = 0x12345670;
    std::vector<uintptr_t> addresses;
    for (uintptr_t high = 1; high <= 2000; high++) {
        addresses.push_back((high << 32) | low);
    }
    addresses.push_back(uintptr_t{1} << 63 | low);
    addresses.push_back(uintptr_t{0xffff} << 48 | low);
    for (uintptr_t a : addresses) {
        ASSERT_EQ(mi_pointer_set_add(&set_, Address(a)), 1)
            << std::hex << "a=0x" << a;
    }
    EXPECT_EQ(set_.count, addresses.size());
    for (uintptr_t a : addresses) {
        ASSERT_EQ(mi_pointer_set_contains(&set_, Address(a)), 1)
            << std::hex << "a=0x" << a;
        ASSERT_EQ(mi_pointer_set_add(&set_, Address(a)), 0)
            << std::hex << "a=0x" << a;
    }
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address(low)), 0);
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address(uintptr_t{2001} << 32 | low)),
              0);
    EXPECT_EQ(mi_pointer_set_contains(&set_, Address(uintptr_t{1} << 62 | low)),
              0);
    EXPECT_EQ(set_.count, addresses.size());
}

}  // namespace
