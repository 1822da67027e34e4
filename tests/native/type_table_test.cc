// Tests of native/inventory/type_table.{h,c}: statistics per type.

#include "native/inventory/type_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <vector>

namespace {

const void *Type(uintptr_t value) {
    return reinterpret_cast<const void *>(value);
}

std::map<uint64_t, uint64_t> Histogram(const mi_count_map &map) {
    std::map<uint64_t, uint64_t> result;
    size_t position = 0;
    uint64_t key = 0;
    uint64_t count = 0;
    while (mi_count_map_next(&map, &position, &key, &count)) {
        EXPECT_TRUE(result.emplace(key, count).second) << "key " << key;
    }
    return result;
}

std::vector<uintptr_t> Addresses(const mi_type_stats &stats) {
    uintptr_t out[2 * MI_ADDRESS_SAMPLE_HALF];
    size_t n = mi_address_sample_sorted(&stats.addresses, out);
    return std::vector<uintptr_t>(out, out + n);
}

class TypeTableTest : public ::testing::Test {
  protected:
    void SetUp() override { mi_type_table_init(&table_); }
    void TearDown() override { mi_type_table_free(&table_); }

    mi_type_table table_;
};

TEST_F(TypeTableTest, NewEntryIsEmpty) {
    mi_type_stats *stats = mi_type_table_get(&table_, Type(0x1000));
    ASSERT_NE(stats, nullptr);
    EXPECT_EQ(stats->type, Type(0x1000));
    EXPECT_EQ(stats->instances, uint64_t{0});
    EXPECT_EQ(stats->bytes, uint64_t{0});
    EXPECT_EQ(stats->immortal, uint64_t{0});
    EXPECT_EQ(stats->interned, uint64_t{0});
    EXPECT_EQ(stats->dict_instances, uint64_t{0});
    EXPECT_EQ(stats->dict_bytes, uint64_t{0});
    EXPECT_EQ(stats->refcounts.count, size_t{0});
    EXPECT_EQ(stats->attribute_names.count, size_t{0});
    EXPECT_EQ(stats->addresses.count, uint64_t{0});
    EXPECT_TRUE(Addresses(*stats).empty());
    EXPECT_EQ(table_.length, size_t{1});
}

TEST_F(TypeTableTest, GetCreatesEachEntryOnce) {
    mi_type_stats *a = mi_type_table_get(&table_, Type(0x1000));
    ASSERT_NE(a, nullptr);
    mi_type_stats *a_again = mi_type_table_get(&table_, Type(0x1000));
    EXPECT_EQ(a_again, a);
    EXPECT_EQ(table_.length, size_t{1});

    mi_type_stats *b = mi_type_table_get(&table_, Type(0x2000));
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(table_.length, size_t{2});
    // No growth yet, so the first pointer is still the entry of 0x1000.
    a = mi_type_table_get(&table_, Type(0x1000));
    EXPECT_NE(a, b);
    EXPECT_EQ(a->type, Type(0x1000));
    EXPECT_EQ(b->type, Type(0x2000));
    EXPECT_EQ(table_.length, size_t{2});

    ASSERT_EQ(mi_type_stats_add_instance(b, 0x50, 32, 1, 0, 0), 0);
    EXPECT_EQ(mi_type_table_get(&table_, Type(0x2000))->instances,
              uint64_t{1});
    EXPECT_EQ(mi_type_table_get(&table_, Type(0x1000))->instances,
              uint64_t{0});
    EXPECT_EQ(table_.length, size_t{2});
}

// The entries are in table->stats in the order the types were first seen.
TEST_F(TypeTableTest, EntriesInOrderOfFirstGet) {
    const uintptr_t types[] = {0x30, 0x10, 0x20};
    for (uintptr_t t : types) {
        ASSERT_NE(mi_type_table_get(&table_, Type(t)), nullptr);
    }
    ASSERT_EQ(table_.length, size_t{3});
    for (size_t i = 0; i < 3; i++) {
        EXPECT_EQ(table_.stats[i].type, Type(types[i])) << "i=" << i;
        EXPECT_EQ(mi_type_table_get(&table_, Type(types[i])),
                  &table_.stats[i]);
    }
}

TEST_F(TypeTableTest, AddInstanceAccumulates) {
    mi_type_stats *stats = mi_type_table_get(&table_, Type(0x1000));
    ASSERT_NE(stats, nullptr);
    ASSERT_EQ(mi_type_stats_add_instance(stats, 0x7000, 48, 1, 0, 0), 0);
    ASSERT_EQ(mi_type_stats_add_instance(stats, 0x5000, 64, 2, 0, 0), 0);
    ASSERT_EQ(mi_type_stats_add_instance(stats, 0x6000, 100, 1, 0, 0), 0);
    EXPECT_EQ(stats->instances, uint64_t{3});
    EXPECT_EQ(stats->bytes, uint64_t{212});
    EXPECT_EQ(stats->immortal, uint64_t{0});
    EXPECT_EQ(stats->interned, uint64_t{0});
    std::map<uint64_t, uint64_t> refcounts{{1, 2}, {2, 1}};
    EXPECT_EQ(Histogram(stats->refcounts), refcounts);
    std::vector<uintptr_t> addresses{0x5000, 0x6000, 0x7000};
    EXPECT_EQ(Addresses(*stats), addresses);
    EXPECT_EQ(stats->addresses.count, uint64_t{3});
    // Left alone: filled elsewhere.
    EXPECT_EQ(stats->dict_instances, uint64_t{0});
    EXPECT_EQ(stats->attribute_names.count, size_t{0});
}

TEST_F(TypeTableTest, ImmortalNotInRefcounts) {
    mi_type_stats *stats = mi_type_table_get(&table_, Type(0x1000));
    ASSERT_NE(stats, nullptr);
    const uint64_t immortal_refcount = 0xffffffff;  // 3.12's immortal value
    ASSERT_EQ(mi_type_stats_add_instance(stats, 0x100, 50, immortal_refcount,
                                         1, 0),
              0);
    ASSERT_EQ(mi_type_stats_add_instance(stats, 0x200, 50, 3, 1, 0), 0);
    ASSERT_EQ(mi_type_stats_add_instance(stats, 0x300, 50, 3, 0, 0), 0);
    EXPECT_EQ(stats->instances, uint64_t{3});
    EXPECT_EQ(stats->bytes, uint64_t{150});
    EXPECT_EQ(stats->immortal, uint64_t{2});
    std::map<uint64_t, uint64_t> refcounts{{3, 1}};
    EXPECT_EQ(Histogram(stats->refcounts), refcounts);
    EXPECT_EQ(mi_count_map_get(&stats->refcounts, immortal_refcount),
              uint64_t{0});
    // Immortal instances are still instances: in the address sample too.
    std::vector<uintptr_t> addresses{0x100, 0x200, 0x300};
    EXPECT_EQ(Addresses(*stats), addresses);
}

TEST_F(TypeTableTest, InternedCount) {
    mi_type_stats *stats = mi_type_table_get(&table_, Type(0x1000));
    ASSERT_NE(stats, nullptr);
    ASSERT_EQ(mi_type_stats_add_instance(stats, 0x100, 50, 1, 0, 1), 0);
    ASSERT_EQ(mi_type_stats_add_instance(stats, 0x200, 50, 1, 0, 0), 0);
    ASSERT_EQ(mi_type_stats_add_instance(stats, 0x300, 50, 1, 1, 1), 0);
    // Any non-zero value means interned, and counts once.
    ASSERT_EQ(mi_type_stats_add_instance(stats, 0x400, 50, 2, 0, 2), 0);
    EXPECT_EQ(stats->interned, uint64_t{3});
    EXPECT_EQ(stats->immortal, uint64_t{1});
    EXPECT_EQ(stats->instances, uint64_t{4});
    std::map<uint64_t, uint64_t> refcounts{{1, 2}, {2, 1}};
    EXPECT_EQ(Histogram(stats->refcounts), refcounts);
}

TEST_F(TypeTableTest, AddressSampleOfManyInstances) {
    mi_type_stats *stats = mi_type_table_get(&table_, Type(0x1000));
    ASSERT_NE(stats, nullptr);
    // 1000 instances, added out of order.
    for (uintptr_t i = 0; i < 1000; i++) {
        uintptr_t address = 0x10000 + ((i * 389) % 1000) * 16;
        ASSERT_EQ(mi_type_stats_add_instance(stats, address, 16, 1, 0, 0), 0);
    }
    std::vector<uintptr_t> expected;
    for (uintptr_t i : {0, 1, 2, 3, 4, 995, 996, 997, 998, 999}) {
        expected.push_back(0x10000 + i * 16);
    }
    EXPECT_EQ(Addresses(*stats), expected);
    EXPECT_EQ(stats->addresses.count, uint64_t{1000});
    EXPECT_EQ(stats->instances, uint64_t{1000});
    EXPECT_EQ(stats->bytes, uint64_t{16000});
    EXPECT_EQ(mi_count_map_get(&stats->refcounts, 1), uint64_t{1000});
}

// Past 256 types the stats array is reallocated: every entry keeps its
// type and its counts, and is found again by type.
TEST_F(TypeTableTest, EntriesSurviveGrowth) {
    const uintptr_t n = 1000;
    auto type_of = [](uintptr_t i) { return Type(0x7f0000000000 + i * 0x1a0); };
    for (uintptr_t i = 0; i < n; i++) {
        mi_type_stats *stats = mi_type_table_get(&table_, type_of(i));
        ASSERT_NE(stats, nullptr) << "i=" << i;
        ASSERT_EQ(stats->type, type_of(i));
        ASSERT_EQ(stats->instances, uint64_t{0}) << "i=" << i;
        // i + 1 instances, i of them with refcount 1, one immortal.
        for (uintptr_t k = 0; k <= i % 7; k++) {
            ASSERT_EQ(mi_type_stats_add_instance(stats, 0x1000 + 16 * k,
                                                 i + 8, 1, k == 0, 0),
                      0);
        }
        ASSERT_EQ(table_.length, static_cast<size_t>(i + 1));
    }
    EXPECT_GE(table_.capacity, table_.length);
    for (uintptr_t i = 0; i < n; i++) {
        mi_type_stats *stats = mi_type_table_get(&table_, type_of(i));
        ASSERT_NE(stats, nullptr) << "i=" << i;
        ASSERT_EQ(stats, &table_.stats[i]) << "i=" << i;
        uint64_t instances = i % 7 + 1;
        EXPECT_EQ(stats->type, type_of(i)) << "i=" << i;
        EXPECT_EQ(stats->instances, instances) << "i=" << i;
        EXPECT_EQ(stats->bytes, instances * (i + 8)) << "i=" << i;
        EXPECT_EQ(stats->immortal, uint64_t{1}) << "i=" << i;
        EXPECT_EQ(stats->refcounts.count, instances > 1 ? 1u : 0u)
            << "i=" << i;
        EXPECT_EQ(mi_count_map_get(&stats->refcounts, 1), instances - 1)
            << "i=" << i;
        EXPECT_EQ(Addresses(*stats).size(), static_cast<size_t>(instances))
            << "i=" << i;
    }
    // Looking up did not add anything.
    EXPECT_EQ(table_.length, static_cast<size_t>(n));
    // A new type after growth is new and empty.
    mi_type_stats *fresh = mi_type_table_get(&table_, Type(0x10));
    ASSERT_NE(fresh, nullptr);
    EXPECT_EQ(fresh->instances, uint64_t{0});
    EXPECT_EQ(table_.length, static_cast<size_t>(n + 1));
}

// A type at address 0 and one at a high address are types like any other.
TEST_F(TypeTableTest, UnusualTypeAddresses) {
    mi_type_stats *zero = mi_type_table_get(&table_, Type(0));
    ASSERT_NE(zero, nullptr);
    ASSERT_EQ(mi_type_stats_add_instance(zero, 0x10, 1, 1, 0, 0), 0);
    mi_type_stats *high =
        mi_type_table_get(&table_, Type(UINTPTR_MAX - 15));
    ASSERT_NE(high, nullptr);
    ASSERT_EQ(mi_type_stats_add_instance(high, 0x20, 2, 1, 0, 0), 0);
    ASSERT_EQ(mi_type_stats_add_instance(high, 0x30, 2, 1, 0, 0), 0);
    EXPECT_EQ(table_.length, size_t{2});
    EXPECT_EQ(mi_type_table_get(&table_, Type(0))->instances, uint64_t{1});
    EXPECT_EQ(mi_type_table_get(&table_, Type(UINTPTR_MAX - 15))->instances,
              uint64_t{2});
    EXPECT_EQ(table_.length, size_t{2});
}

TEST_F(TypeTableTest, FreeResets) {
    mi_type_stats *stats = mi_type_table_get(&table_, Type(0x1000));
    ASSERT_NE(stats, nullptr);
    ASSERT_EQ(mi_count_map_add(&stats->attribute_names, 0x4000, 1), 0);
    ASSERT_EQ(mi_type_stats_add_instance(stats, 0x10, 1, 1, 0, 0), 0);
    mi_type_table_free(&table_);
    EXPECT_EQ(table_.stats, nullptr);
    EXPECT_EQ(table_.length, size_t{0});
    EXPECT_EQ(table_.capacity, size_t{0});
    stats = mi_type_table_get(&table_, Type(0x1000));
    ASSERT_NE(stats, nullptr);
    EXPECT_EQ(stats->instances, uint64_t{0});
    EXPECT_EQ(table_.length, size_t{1});
}

}  // namespace
