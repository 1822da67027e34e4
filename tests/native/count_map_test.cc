// Tests of native/inventory/count_map.{h,c}: 64-bit keys to 64-bit counts.

#include "native/inventory/count_map.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>

namespace {

class CountMapTest : public ::testing::Test {
  protected:
    void SetUp() override { mi_count_map_init(&map_); }
    void TearDown() override { mi_count_map_free(&map_); }

    // Everything mi_count_map_next yields; fails on a key seen twice.
    std::map<uint64_t, uint64_t> Iterate() {
        std::map<uint64_t, uint64_t> seen;
        size_t position = 0;
        uint64_t key = 0;
        uint64_t count = 0;
        size_t steps = 0;
        while (mi_count_map_next(&map_, &position, &key, &count)) {
            EXPECT_TRUE(seen.emplace(key, count).second)
                << "key " << key << " visited twice";
            steps++;
            if (steps > map_.count + 1) {
                ADD_FAILURE() << "iteration does not end";
                break;
            }
        }
        // Once finished, it stays finished.
        EXPECT_EQ(mi_count_map_next(&map_, &position, &key, &count), 0);
        return seen;
    }

    mi_count_map map_;
};

TEST_F(CountMapTest, EmptyMap) {
    EXPECT_EQ(map_.count, size_t{0});
    EXPECT_EQ(map_.entries, nullptr);  // holds no memory until used
    EXPECT_EQ(mi_count_map_get(&map_, 0), uint64_t{0});
    EXPECT_EQ(mi_count_map_get(&map_, 42), uint64_t{0});
    size_t position = 0;
    uint64_t key = 7;
    uint64_t count = 9;
    EXPECT_EQ(mi_count_map_next(&map_, &position, &key, &count), 0);
    EXPECT_TRUE(Iterate().empty());
}

TEST_F(CountMapTest, AddAndGet) {
    ASSERT_EQ(mi_count_map_add(&map_, 5, 1), 0);
    EXPECT_EQ(map_.count, size_t{1});
    EXPECT_EQ(mi_count_map_get(&map_, 5), uint64_t{1});
    EXPECT_EQ(mi_count_map_get(&map_, 4), uint64_t{0});
    EXPECT_EQ(mi_count_map_get(&map_, 6), uint64_t{0});
    EXPECT_EQ(mi_count_map_get(&map_, 0), uint64_t{0});
}

TEST_F(CountMapTest, AmountsAccumulate) {
    ASSERT_EQ(mi_count_map_add(&map_, 3, 10), 0);
    ASSERT_EQ(mi_count_map_add(&map_, 3, 5), 0);
    ASSERT_EQ(mi_count_map_add(&map_, 3, 1), 0);
    ASSERT_EQ(mi_count_map_add(&map_, 8, 2), 0);
    EXPECT_EQ(mi_count_map_get(&map_, 3), uint64_t{16});
    EXPECT_EQ(mi_count_map_get(&map_, 8), uint64_t{2});
    EXPECT_EQ(map_.count, size_t{2});
    // Large amounts are kept whole.
    ASSERT_EQ(mi_count_map_add(&map_, 9, uint64_t{1} << 40), 0);
    ASSERT_EQ(mi_count_map_add(&map_, 9, uint64_t{1} << 40), 0);
    EXPECT_EQ(mi_count_map_get(&map_, 9), uint64_t{1} << 41);
}

TEST_F(CountMapTest, AddingZeroCreatesTheKey) {
    ASSERT_EQ(mi_count_map_add(&map_, 12, 0), 0);
    EXPECT_EQ(map_.count, size_t{1});
    EXPECT_EQ(mi_count_map_get(&map_, 12), uint64_t{0});
    std::map<uint64_t, uint64_t> expected{{12, 0}};
    EXPECT_EQ(Iterate(), expected);
}

TEST_F(CountMapTest, KeyZeroAndLargeKeys) {
    const uint64_t largest = UINT64_MAX - 1;  // UINT64_MAX is not valid
    ASSERT_EQ(mi_count_map_add(&map_, 0, 3), 0);
    ASSERT_EQ(mi_count_map_add(&map_, largest, 4), 0);
    ASSERT_EQ(mi_count_map_add(&map_, uint64_t{1} << 63, 5), 0);
    ASSERT_EQ(mi_count_map_add(&map_, uint64_t{1} << 32, 6), 0);
    ASSERT_EQ(mi_count_map_add(&map_, 0x7f12345678f0, 7), 0);
    EXPECT_EQ(map_.count, size_t{5});
    EXPECT_EQ(mi_count_map_get(&map_, 0), uint64_t{3});
    EXPECT_EQ(mi_count_map_get(&map_, largest), uint64_t{4});
    EXPECT_EQ(mi_count_map_get(&map_, uint64_t{1} << 63), uint64_t{5});
    EXPECT_EQ(mi_count_map_get(&map_, uint64_t{1} << 32), uint64_t{6});
    EXPECT_EQ(mi_count_map_get(&map_, 0x7f12345678f0), uint64_t{7});
    EXPECT_EQ(mi_count_map_get(&map_, 1), uint64_t{0});
    EXPECT_EQ(mi_count_map_get(&map_, largest - 1), uint64_t{0});
    EXPECT_EQ(mi_count_map_get(&map_, (uint64_t{1} << 63) + 1), uint64_t{0});
    std::map<uint64_t, uint64_t> expected{
        {0, 3},
        {largest, 4},
        {uint64_t{1} << 63, 5},
        {uint64_t{1} << 32, 6},
        {0x7f12345678f0, 7},
    };
    EXPECT_EQ(Iterate(), expected);
}

// Random keys and amounts against std::map, through many resizes.
TEST_F(CountMapTest, IterationMatchesStdMap) {
    std::map<uint64_t, uint64_t> expected;
    std::mt19937_64 rng(2024);
    for (int i = 0; i < 20000; i++) {
        uint64_t key = 0;
        switch (i % 4) {
        case 0:
            key = rng() % 64;                          // small, repeated
            break;
        case 1:
            key = (rng() % 5000) * 16 + 0x7f0000000000;  // addresses
            break;
        case 2:
            key = rng() % (UINT64_MAX - 1);            // anything valid
            break;
        default:
            key = rng() % 3000;
            break;
        }
        uint64_t amount = rng() % 100 + 1;
        ASSERT_EQ(mi_count_map_add(&map_, key, amount), 0);
        expected[key] += amount;
    }
    EXPECT_EQ(map_.count, expected.size());
    for (const auto &entry : expected) {
        ASSERT_EQ(mi_count_map_get(&map_, entry.first), entry.second)
            << "key " << entry.first;
    }
    EXPECT_EQ(Iterate(), expected);
}

TEST_F(CountMapTest, GrowthKeepsEveryKey) {
    const uint64_t n = 100000;
    for (uint64_t key = 0; key < n; key++) {
        ASSERT_EQ(mi_count_map_add(&map_, key, key + 1), 0);
        ASSERT_EQ(map_.count, static_cast<size_t>(key + 1));
    }
    // Capacity a power of two, load at most three quarters.
    EXPECT_EQ((map_.mask + 1) & map_.mask, size_t{0});
    EXPECT_LE(map_.count * 4, (map_.mask + 1) * 3);
    for (uint64_t key = 0; key < n; key++) {
        ASSERT_EQ(mi_count_map_get(&map_, key), key + 1) << "key " << key;
    }
    EXPECT_EQ(mi_count_map_get(&map_, n), uint64_t{0});
    EXPECT_EQ(mi_count_map_get(&map_, n * 7), uint64_t{0});
    std::map<uint64_t, uint64_t> seen = Iterate();
    ASSERT_EQ(seen.size(), static_cast<size_t>(n));
    uint64_t expected_key = 0;
    for (const auto &entry : seen) {
        ASSERT_EQ(entry.first, expected_key);
        ASSERT_EQ(entry.second, expected_key + 1);
        expected_key++;
    }
}

// Keys that differ only in their high bits must stay apart.
TEST_F(CountMapTest, KeysDifferingOnlyInHighBits) {
    std::map<uint64_t, uint64_t> expected;
    for (uint64_t high = 0; high < 1000; high++) {
        uint64_t key = (high << 40) | 0x1230;
        ASSERT_EQ(mi_count_map_add(&map_, key, high + 1), 0);
        expected[key] = high + 1;
    }
    EXPECT_EQ(map_.count, size_t{1000});
    for (const auto &entry : expected) {
        ASSERT_EQ(mi_count_map_get(&map_, entry.first), entry.second);
    }
    EXPECT_EQ(mi_count_map_get(&map_, (uint64_t{1000} << 40) | 0x1230),
              uint64_t{0});
    EXPECT_EQ(Iterate(), expected);
}

TEST_F(CountMapTest, FreeEmptiesAndAllowsReuse) {
    ASSERT_EQ(mi_count_map_add(&map_, 1, 1), 0);
    mi_count_map_free(&map_);
    EXPECT_EQ(map_.entries, nullptr);
    EXPECT_EQ(map_.count, size_t{0});
    EXPECT_EQ(mi_count_map_get(&map_, 1), uint64_t{0});
    ASSERT_EQ(mi_count_map_add(&map_, 1, 2), 0);
    EXPECT_EQ(mi_count_map_get(&map_, 1), uint64_t{2});
}

TEST_F(CountMapTest, ClearedMapIteratesAsANewOne) {
    // Small (one allocation kept) and grown (allocation dropped) maps.
    for (uint64_t n : {3, 6, 7, 50}) {
        mi_count_map fresh;
        mi_count_map_init(&fresh);
        for (uint64_t i = 0; i < 40; i++) {
            ASSERT_EQ(mi_count_map_add(&map_, i * 977 + 5, 1), 0);
        }
        mi_count_map_clear(&map_);
        EXPECT_EQ(map_.count, 0u);
        EXPECT_EQ(mi_count_map_get(&map_, 5), 0u);
        EXPECT_TRUE(Iterate().empty());
        for (uint64_t i = 0; i < n; i++) {
            uint64_t key = (i * 0x9E3779B97F4A7C15u) >> 7;
            ASSERT_EQ(mi_count_map_add(&map_, key, i + 1), 0);
            ASSERT_EQ(mi_count_map_add(&fresh, key, i + 1), 0);
        }
        // Same entries, visited in the same order.
        size_t a = 0, b = 0;
        uint64_t key_a, key_b, count_a, count_b;
        size_t visited = 0;
        while (mi_count_map_next(&map_, &a, &key_a, &count_a)) {
            ASSERT_EQ(mi_count_map_next(&fresh, &b, &key_b, &count_b), 1);
            EXPECT_EQ(key_a, key_b);
            EXPECT_EQ(count_a, count_b);
            visited++;
        }
        EXPECT_EQ(mi_count_map_next(&fresh, &b, &key_b, &count_b), 0);
        EXPECT_EQ(visited, n);
        mi_count_map_free(&fresh);
        mi_count_map_clear(&map_);
    }
    // Cleared small, the map keeps its allocation.
    ASSERT_EQ(mi_count_map_add(&map_, 1, 1), 0);
    mi_count_entry *entries = map_.entries;
    mi_count_map_clear(&map_);
    EXPECT_EQ(map_.entries, entries);
    ASSERT_EQ(mi_count_map_add(&map_, 2, 1), 0);
    EXPECT_EQ(map_.entries, entries);
}

}  // namespace
