// Tests of native/trace/owner_map.{h,c}: addresses to owner ids, with
// backward-shift deletion.

#include "native/trace/owner_map.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <unordered_map>
#include <vector>

namespace {

const void *Address(uintptr_t value) {
    return reinterpret_cast<const void *>(value);
}

// The slot where `address` lands in an empty map of 64 slots: its home.
size_t HomeSlot(uintptr_t address) {
    mi_owner_map map;
    EXPECT_EQ(mi_owner_map_init(&map, 0), 0);
    EXPECT_EQ(map.mask, size_t{63});
    EXPECT_EQ(mi_owner_map_insert(&map, Address(address), 1), 1);
    size_t home = SIZE_MAX;
    for (size_t i = 0; i <= map.mask; i++) {
        if (map.slots[i].key == address) {
            home = i;
        }
    }
    mi_owner_map_free(&map);
    return home;
}

// `n` distinct 16-byte aligned addresses whose home slot (in 64) is `home`.
std::vector<uintptr_t> AddressesAtHome(size_t home, size_t n,
                                       uintptr_t start = 0x7f0000000000) {
    std::vector<uintptr_t> found;
    for (uintptr_t a = start; found.size() < n; a += 16) {
        if (HomeSlot(a) == home) {
            found.push_back(a);
        }
    }
    return found;
}

size_t SlotOf(const mi_owner_map &map, uintptr_t address) {
    for (size_t i = 0; i <= map.mask; i++) {
        if (map.slots[i].key == address) {
            return i;
        }
    }
    return SIZE_MAX;
}

class OwnerMapTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_EQ(mi_owner_map_init(&map_, 0), 0); }
    void TearDown() override { mi_owner_map_free(&map_); }

    uint32_t OwnerOf(uintptr_t address) {
        uint32_t owner = 0xdeadbeef;
        EXPECT_EQ(mi_owner_map_lookup(&map_, Address(address), &owner), 1)
            << std::hex << "address 0x" << address;
        return owner;
    }

    bool Contains(uintptr_t address) {
        return mi_owner_map_lookup(&map_, Address(address), nullptr) == 1;
    }

    mi_owner_map map_;
};

TEST_F(OwnerMapTest, StartsEmpty) {
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{0});
    EXPECT_EQ(map_.mask, size_t{63});
    EXPECT_FALSE(Contains(16));
    EXPECT_EQ(mi_owner_map_remove(&map_, Address(16), nullptr), 0);
    size_t position = 0;
    uintptr_t address;
    uint32_t owner;
    EXPECT_EQ(mi_owner_map_next(&map_, &position, &address, &owner), 0);
    EXPECT_EQ(mi_owner_map_memory(&map_), size_t{64 * 101 / 8});  // 12.625 a slot
}

TEST_F(OwnerMapTest, InsertLookupReplace) {
    EXPECT_EQ(mi_owner_map_insert(&map_, Address(0x1000), 7), 1);
    EXPECT_EQ(mi_owner_map_insert(&map_, Address(0x2000), 0), 1);
    EXPECT_EQ(mi_owner_map_insert(&map_, Address(0x3000), UINT32_MAX), 1);
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{3});
    EXPECT_EQ(OwnerOf(0x1000), 7u);
    EXPECT_EQ(OwnerOf(0x2000), 0u);     // owner 0 is an owner like others
    EXPECT_EQ(OwnerOf(0x3000), UINT32_MAX);
    EXPECT_FALSE(Contains(0x1010));
    EXPECT_FALSE(Contains(0x1008));
    // Replacing keeps the count.
    EXPECT_EQ(mi_owner_map_insert(&map_, Address(0x1000), 9), 0);
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{3});
    EXPECT_EQ(OwnerOf(0x1000), 9u);
}

TEST_F(OwnerMapTest, RemoveReturnsTheOwnerOnce) {
    ASSERT_EQ(mi_owner_map_insert(&map_, Address(0x1000), 5), 1);
    ASSERT_EQ(mi_owner_map_insert(&map_, Address(0x2000), 6), 1);
    uint32_t owner = 0;
    EXPECT_EQ(mi_owner_map_remove(&map_, Address(0x1000), &owner), 1);
    EXPECT_EQ(owner, 5u);
    EXPECT_EQ(mi_owner_map_remove(&map_, Address(0x1000), &owner), 0);
    EXPECT_EQ(mi_owner_map_remove(&map_, Address(0x3000), nullptr), 0);
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{1});
    EXPECT_FALSE(Contains(0x1000));
    EXPECT_EQ(OwnerOf(0x2000), 6u);
    EXPECT_EQ(mi_owner_map_remove(&map_, Address(0x2000), nullptr), 1);
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{0});
    for (size_t i = 0; i <= map_.mask; i++) {
        ASSERT_EQ(map_.slots[i].key, uintptr_t{0}) << "slot " << i;
    }
}

// A run that goes round the end of the array: removing its first entry
// shifts every later entry back by one slot, across the wrap, except the
// one already at its home.
TEST_F(OwnerMapTest, BackwardShiftAcrossWrapAround) {
    std::vector<uintptr_t> at62 = AddressesAtHome(62, 3);
    uintptr_t at63 = AddressesAtHome(63, 1)[0];
    uintptr_t at0 = AddressesAtHome(0, 1)[0];
    uintptr_t at3 = AddressesAtHome(3, 1)[0];
    // Slots: 62 a, 63 b, 0 c (home 62), 1 at63, 2 at0, 3 at3.
    uint32_t owner = 1;
    for (uintptr_t a : {at62[0], at62[1], at62[2], at63, at0, at3}) {
        ASSERT_EQ(mi_owner_map_insert(&map_, Address(a), owner++), 1);
    }
    ASSERT_EQ(SlotOf(map_, at62[0]), size_t{62});
    ASSERT_EQ(SlotOf(map_, at62[1]), size_t{63});
    ASSERT_EQ(SlotOf(map_, at62[2]), size_t{0});
    ASSERT_EQ(SlotOf(map_, at63), size_t{1});
    ASSERT_EQ(SlotOf(map_, at0), size_t{2});
    ASSERT_EQ(SlotOf(map_, at3), size_t{3});

    uint32_t removed = 0;
    ASSERT_EQ(mi_owner_map_remove(&map_, Address(at62[0]), &removed), 1);
    EXPECT_EQ(removed, 1u);
    EXPECT_EQ(SlotOf(map_, at62[1]), size_t{62});
    EXPECT_EQ(SlotOf(map_, at62[2]), size_t{63});
    EXPECT_EQ(SlotOf(map_, at63), size_t{0});
    EXPECT_EQ(SlotOf(map_, at0), size_t{1});
    EXPECT_EQ(SlotOf(map_, at3), size_t{3});    // at home: not moved
    EXPECT_EQ(map_.slots[2].key, uintptr_t{0});      // no tombstone
    EXPECT_EQ(OwnerOf(at62[1]), 2u);
    EXPECT_EQ(OwnerOf(at62[2]), 3u);
    EXPECT_EQ(OwnerOf(at63), 4u);
    EXPECT_EQ(OwnerOf(at0), 5u);
    EXPECT_EQ(OwnerOf(at3), 6u);
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{5});

    // From the middle of the run, past the wrap: the entry homed at 63
    // (now in slot 0) goes; the one homed at 0 moves into its place.
    ASSERT_EQ(mi_owner_map_remove(&map_, Address(at63), nullptr), 1);
    EXPECT_EQ(SlotOf(map_, at0), size_t{0});
    EXPECT_EQ(SlotOf(map_, at62[2]), size_t{63});
    EXPECT_EQ(map_.slots[1].key, uintptr_t{0});
    EXPECT_EQ(OwnerOf(at0), 5u);
    EXPECT_EQ(OwnerOf(at3), 6u);
}

// An entry at its home just after the hole stays; one further on, homed
// at or before the hole, still moves into it.
TEST_F(OwnerMapTest, BackwardShiftSkipsEntriesAtHome) {
    std::vector<uintptr_t> at10 = AddressesAtHome(10, 2);
    uintptr_t at12 = AddressesAtHome(12, 1)[0];
    uintptr_t at11 = AddressesAtHome(11, 1)[0];
    // Slots: 10 at10[0], 11 at10[1], 12 at12, 13 at11.
    for (uintptr_t a : {at10[0], at10[1], at12, at11}) {
        ASSERT_EQ(mi_owner_map_insert(&map_, Address(a), 1), 1);
    }
    ASSERT_EQ(SlotOf(map_, at12), size_t{12});
    ASSERT_EQ(SlotOf(map_, at11), size_t{13});
    ASSERT_EQ(mi_owner_map_remove(&map_, Address(at10[1]), nullptr), 1);
    EXPECT_EQ(SlotOf(map_, at12), size_t{12});  // at home: stays
    EXPECT_EQ(SlotOf(map_, at11), size_t{11});  // back to its home
    EXPECT_EQ(map_.slots[13].key, uintptr_t{0});
    EXPECT_TRUE(Contains(at10[0]));
    EXPECT_TRUE(Contains(at12));
    EXPECT_TRUE(Contains(at11));
}

// Many addresses with one home: a long run, emptied from the middle out.
TEST_F(OwnerMapTest, LongRunRemovedInAnyOrder) {
    std::vector<uintptr_t> run = AddressesAtHome(60, 12);
    for (size_t i = 0; i < run.size(); i++) {
        ASSERT_EQ(mi_owner_map_insert(&map_, Address(run[i]),
                                      static_cast<uint32_t>(i)), 1);
    }
    std::vector<size_t> order = {5, 0, 11, 6, 1, 10, 2, 9, 3, 8, 4, 7};
    for (size_t k = 0; k < order.size(); k++) {
        ASSERT_EQ(mi_owner_map_remove(&map_, Address(run[order[k]]), nullptr),
                  1);
        for (size_t m = k + 1; m < order.size(); m++) {
            ASSERT_EQ(OwnerOf(run[order[m]]), order[m])
                << "after removing " << k + 1;
        }
        ASSERT_FALSE(Contains(run[order[k]]));
    }
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{0});
}

// 200000 addresses: many doublings; load stays at most three quarters.
TEST_F(OwnerMapTest, GrowthKeepsEveryEntry) {
    const uintptr_t n = 200000;
    for (uintptr_t i = 0; i < n; i++) {
        ASSERT_EQ(mi_owner_map_insert(&map_, Address((i + 1) * 16),
                                      static_cast<uint32_t>(i % 1000)), 1);
    }
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{n});
    EXPECT_EQ((map_.mask + 1) & map_.mask, size_t{0});
    EXPECT_LE(mi_owner_map_count(&map_) * 4, (map_.mask + 1) * 3);
    EXPECT_EQ(mi_owner_map_memory(&map_), (map_.mask + 1) * 101 / 8);
    for (uintptr_t i = 0; i < n; i++) {
        ASSERT_EQ(OwnerOf((i + 1) * 16), i % 1000) << "i=" << i;
    }
    EXPECT_FALSE(Contains((n + 1) * 16));
    EXPECT_FALSE(Contains(8));
}

TEST(OwnerMapInit, ExpectedSizeAvoidsGrowth) {
    mi_owner_map map;
    ASSERT_EQ(mi_owner_map_init(&map, 5000), 0);
    size_t capacity = map.mask + 1;
    EXPECT_GE(capacity * 3, size_t{5000 * 4});
    for (uintptr_t i = 0; i < 5000; i++) {
        ASSERT_EQ(mi_owner_map_insert(&map, Address(0x7f3a00000000 + i * 48),
                                      1), 1);
    }
    EXPECT_EQ(map.mask + 1, capacity);
    mi_owner_map_free(&map);
    EXPECT_EQ(map.slots, nullptr);
    EXPECT_EQ(mi_owner_map_count(&map), size_t{0});
    // A freed map answers "absent" (the free hook may ask once closed).
    EXPECT_EQ(mi_owner_map_lookup(&map, Address(0x7f3a00000000), nullptr), 0);
    EXPECT_EQ(mi_owner_map_remove(&map, Address(0x7f3a00000000), nullptr), 0);
    EXPECT_EQ(mi_owner_map_memory(&map), size_t{0});
}

// Without tombstones, a million insert/remove cycles over a few live
// entries never grow the table; the filter, rebuilt as removed keys pile
// up in it, never loses a live one (remove would then return 0).
TEST_F(OwnerMapTest, ChurnDoesNotGrow) {
    for (uintptr_t i = 0; i < 1000000; i++) {
        ASSERT_EQ(mi_owner_map_insert(&map_, Address((i + 1) * 16), 1), 1);
        if (i >= 20) {
            ASSERT_EQ(mi_owner_map_remove(&map_, Address((i - 19) * 16),
                                          nullptr), 1);
        }
    }
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{20});
    EXPECT_EQ(map_.mask, size_t{63});
    EXPECT_LE(map_.stale, size_t{16});
    for (uintptr_t i = 1000000 - 19; i <= 1000000; i++) {
        ASSERT_TRUE(Contains(i * 16)) << i;
    }
}

// The filter turns away most absent keys without a probe: with the map
// half full, far fewer than a quarter of absent keys get past it.
TEST_F(OwnerMapTest, FilterTurnsAwayMostAbsentKeys) {
    for (uintptr_t i = 0; i < 100000; i++) {
        ASSERT_EQ(mi_owner_map_insert(&map_, Address(0x7f0000000000 + i * 32),
                                      1), 1);
    }
    size_t words = (map_.mask + 1) / 16;
    size_t set = 0;
    for (size_t w = 0; w < words; w++) {
        set += static_cast<size_t>(__builtin_popcountll(map_.filter[w]));
    }
    double density = static_cast<double>(set) / (words * 64.0);
    // Two bits a key: an absent key passes with probability density^2.
    EXPECT_LT(density * density, 0.25);
    EXPECT_GT(density, 0.0);
}

TEST_F(OwnerMapTest, IterationVisitsEachEntryOnce) {
    std::map<uintptr_t, uint32_t> expected;
    for (uintptr_t i = 0; i < 1000; i++) {
        uintptr_t a = 0x560000000000 + i * 32;
        expected[a] = static_cast<uint32_t>(i * 7);
        ASSERT_EQ(mi_owner_map_insert(&map_, Address(a), expected[a]), 1);
    }
    for (uintptr_t i = 0; i < 1000; i += 3) {
        uintptr_t a = 0x560000000000 + i * 32;
        expected.erase(a);
        ASSERT_EQ(mi_owner_map_remove(&map_, Address(a), nullptr), 1);
    }
    std::map<uintptr_t, uint32_t> seen;
    size_t position = 0;
    uintptr_t address;
    uint32_t owner;
    while (mi_owner_map_next(&map_, &position, &address, &owner)) {
        EXPECT_TRUE(seen.emplace(address, owner).second);
    }
    EXPECT_EQ(seen, expected);
}

// Addresses with the same low 32 bits: none may be taken for another.
TEST_F(OwnerMapTest, AddressesDifferingOnlyInHighBits) {
    const uintptr_t low = 0x12345670;
    for (uintptr_t high = 1; high <= 2000; high++) {
        ASSERT_EQ(mi_owner_map_insert(&map_, Address(high << 32 | low),
                                      static_cast<uint32_t>(high)), 1);
    }
    for (uintptr_t high = 1; high <= 2000; high += 2) {
        ASSERT_EQ(mi_owner_map_remove(&map_, Address(high << 32 | low),
                                      nullptr), 1);
    }
    for (uintptr_t high = 1; high <= 2000; high++) {
        ASSERT_EQ(Contains(high << 32 | low), high % 2 == 0) << high;
    }
    EXPECT_FALSE(Contains(low));
}

// Random inserts, replacements, removals and lookups against
// std::unordered_map, over few enough addresses that runs form, merge and
// wrap around, while the table grows from 64 slots.
TEST(OwnerMapRandom, MatchesUnorderedMap) {
    mi_owner_map map;
    ASSERT_EQ(mi_owner_map_init(&map, 0), 0);
    std::unordered_map<uintptr_t, uint32_t> reference;
    std::mt19937_64 rng(20240611);
    for (int round = 0; round < 8; round++) {
        // The universe of addresses grows each round: growth mid-churn.
        const uintptr_t universe = uintptr_t{64} << round;
        for (int step = 0; step < 200000; step++) {
            uintptr_t a = 0x7f0000000000 + (rng() % universe) * 16;
            uint32_t owner = static_cast<uint32_t>(rng());
            uint32_t got = 0;
            auto it = reference.find(a);
            switch (rng() % 4) {
            case 0:
            case 1:
                ASSERT_EQ(mi_owner_map_insert(&map, Address(a), owner),
                          it == reference.end() ? 1 : 0);
                reference[a] = owner;
                break;
            case 2:
                ASSERT_EQ(mi_owner_map_remove(&map, Address(a), &got),
                          it == reference.end() ? 0 : 1);
                if (it != reference.end()) {
                    ASSERT_EQ(got, it->second);
                    reference.erase(it);
                }
                break;
            default:
                ASSERT_EQ(mi_owner_map_lookup(&map, Address(a), &got),
                          it == reference.end() ? 0 : 1);
                if (it != reference.end()) {
                    ASSERT_EQ(got, it->second);
                }
            }
            ASSERT_EQ(mi_owner_map_count(&map), reference.size());
        }
        ASSERT_LE(mi_owner_map_count(&map) * 4, (map.mask + 1) * 3);
        for (const auto &[address, owner] : reference) {
            uint32_t got = 0;
            ASSERT_EQ(mi_owner_map_lookup(&map, Address(address), &got), 1);
            ASSERT_EQ(got, owner);
        }
        size_t position = 0, visited = 0;
        uintptr_t address;
        uint32_t owner;
        while (mi_owner_map_next(&map, &position, &address, &owner)) {
            auto found = reference.find(address);
            ASSERT_NE(found, reference.end());
            ASSERT_EQ(found->second, owner);
            visited++;
        }
        ASSERT_EQ(visited, reference.size());
    }
    mi_owner_map_free(&map);
}

}  // namespace

// Marks: the seen set of the accounting walk, for owned addresses.
TEST_F(OwnerMapTest, MarksAndGenerations) {
    for (uintptr_t i = 1; i <= 100; i++) {
        ASSERT_EQ(mi_owner_map_insert(&map_, Address(i * 16),
                                      static_cast<uint32_t>(i)), 1);
    }
    uint32_t owner = 0;
    EXPECT_EQ(mi_owner_map_mark(&map_, Address(101 * 16), &owner), 0);
    EXPECT_EQ(mi_owner_map_mark(&map_, Address(7 * 16), &owner), 1);
    EXPECT_EQ(owner, 7u);
    owner = 0;
    EXPECT_EQ(mi_owner_map_mark(&map_, Address(7 * 16), &owner), 2);
    EXPECT_EQ(owner, 7u);
    // A mark moves with its entry when a removal shifts it back.
    for (uintptr_t i = 1; i <= 100; i++) {
        mi_owner_map_mark(&map_, Address(i * 16), nullptr);
    }
    for (uintptr_t i = 1; i <= 100; i += 2) {
        ASSERT_EQ(mi_owner_map_remove(&map_, Address(i * 16), nullptr), 1);
    }
    for (uintptr_t i = 2; i <= 100; i += 2) {
        EXPECT_EQ(mi_owner_map_mark(&map_, Address(i * 16), nullptr), 2);
    }
    // new_marks unmarks every entry; a new entry starts unmarked.
    mi_owner_map_new_marks(&map_);
    EXPECT_EQ(mi_owner_map_mark(&map_, Address(2 * 16), nullptr), 1);
    ASSERT_EQ(mi_owner_map_insert(&map_, Address(1 * 16), 1), 1);
    EXPECT_EQ(mi_owner_map_mark(&map_, Address(1 * 16), nullptr), 1);
    EXPECT_EQ(OwnerOf(2 * 16), 2u);
}

// Claim: insert unless present, in one probe; never replaces an owner.
TEST_F(OwnerMapTest, ClaimKeepsTheFirstOwner) {
    EXPECT_EQ(mi_owner_map_claim(&map_, Address(0x1000), 3), 1);
    EXPECT_EQ(mi_owner_map_claim(&map_, Address(0x1000), 4), 0);
    EXPECT_EQ(OwnerOf(0x1000), 3u);
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{1});
    for (uintptr_t i = 1; i <= 1000; i++) {
        ASSERT_EQ(mi_owner_map_claim(&map_, Address(0x100000 + i * 16), 5),
                  1);
    }
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{1001});
    EXPECT_EQ(OwnerOf(0x100000 + 500 * 16), 5u);
    EXPECT_EQ(OwnerOf(0x1000), 3u);
}
