// Tests of native/trace/owner_map.{h,c}: addresses to owner ids, with
// backward-shift deletion, and the exact presence bits in front of them.

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

// The presence bit of `address` (16-byte aligned), read from the chunk
// table directly: -1 when its chunk has no bits.
int PresenceBit(const mi_owner_map &map, uintptr_t address) {
    uintptr_t number = address >> MI_OWNER_CHUNK_SHIFT;
    for (size_t i = 0; i <= map.chunk_mask; i++) {
        if (map.chunks[i].bits != nullptr && map.chunks[i].number == number) {
            size_t granule = (address >> MI_OWNER_GRANULE_SHIFT)
                             & (MI_OWNER_CHUNK_WORDS * 64 - 1);
            return static_cast<int>(
                (map.chunks[i].bits[granule / 64] >> (granule % 64)) & 1);
        }
    }
    return -1;
}

// The number of presence bits set, in every chunk.
size_t SetBits(const mi_owner_map &map) {
    size_t set = 0, chunks = 0;
    for (size_t i = 0; i <= map.chunk_mask; i++) {
        if (map.chunks[i].bits == nullptr) {
            continue;
        }
        chunks++;
        for (size_t w = 0; w < MI_OWNER_CHUNK_WORDS; w++) {
            set += static_cast<size_t>(
                __builtin_popcountll(map.chunks[i].bits[w]));
        }
    }
    EXPECT_EQ(chunks, map.n_chunks);
    return set;
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
    // 12.125 bytes a slot, 16 empty chunk entries, no chunk yet.
    EXPECT_EQ(mi_owner_map_memory(&map_),
              size_t{64 * 97 / 8 + 16 * sizeof(mi_owner_chunk)});
    EXPECT_EQ(map_.n_chunks, size_t{0});
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
    // 3.2 MB of addresses from 16: 4 chunks of bits.
    EXPECT_EQ(map_.n_chunks, size_t{4});
    EXPECT_EQ(mi_owner_map_memory(&map_),
              (map_.mask + 1) * 97 / 8
                  + (map_.chunk_mask + 1) * sizeof(mi_owner_chunk)
                  + 4 * size_t{8192});
    for (uintptr_t i = 0; i < n; i++) {
        ASSERT_EQ(OwnerOf((i + 1) * 16), i % 1000) << "i=" << i;
    }
    EXPECT_FALSE(Contains((n + 1) * 16));
    EXPECT_FALSE(Contains(8));
#ifdef __linux__
    // 512 Ki slots, 6 MiB: a table of its own, aligned for huge pages.
    EXPECT_EQ(map_.mask + 1, size_t{1} << 19);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(map_.slots) % (2 << 20),
              uintptr_t{0});
#endif
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
// entries never grow the table; the bits of removed keys are cleared, so
// a live key is never taken for absent nor a removed one for present.
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
    EXPECT_EQ(SetBits(map_), size_t{20});
    for (uintptr_t i = 1000000 - 19; i <= 1000000; i++) {
        ASSERT_TRUE(Contains(i * 16)) << i;
    }
    EXPECT_FALSE(Contains((1000000 - 20) * 16));
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
            // One address in 8 is 8 bytes into its granule, as a static
            // object's may be: it has no presence bit.
            uintptr_t a = 0x7f0000000000 + (rng() % universe) * 16
                          + (rng() % 8 == 0 ? 8 : 0);
            uint32_t owner = static_cast<uint32_t>(rng());
            uint32_t got = 0;
            auto it = reference.find(a);
            switch (rng() % 5) {
            case 4:
                ASSERT_EQ(mi_owner_map_claim(&map, Address(a), owner),
                          it == reference.end() ? 1 : 0);
                reference.emplace(a, owner);    // keeps an existing owner
                break;
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
        size_t aligned = 0;
        for (const auto &entry : reference) {
            aligned += entry.first % 16 == 0;
        }
        ASSERT_EQ(SetBits(map), aligned);
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

// An empty slot's mark is clear: a key added where a marked one was
// removed starts unmarked, with no new_marks() in between.
TEST_F(OwnerMapTest, NewKeysInFreedSlotsStartUnmarked) {
    for (uintptr_t i = 1; i <= 40; i++) {
        ASSERT_EQ(mi_owner_map_insert(&map_, Address(i * 16), 1), 1);
        ASSERT_EQ(mi_owner_map_mark(&map_, Address(i * 16), nullptr), 1);
    }
    for (uintptr_t i = 1; i <= 40; i++) {
        ASSERT_EQ(mi_owner_map_remove(&map_, Address(i * 16), nullptr), 1);
    }
    ASSERT_EQ(map_.mask, size_t{63});     // the same 64 slots, reused
    for (uintptr_t i = 41; i <= 88; i++) {
        ASSERT_EQ(mi_owner_map_claim(&map_, Address(i * 16), 2), 1);
    }
    for (uintptr_t i = 41; i <= 88; i++) {
        EXPECT_EQ(mi_owner_map_mark(&map_, Address(i * 16), nullptr), 1) << i;
    }
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

// The presence bits are exact: a bit per 16-byte granule, set exactly for
// the keys in the map, through inserts, claims, removals and growth.
TEST_F(OwnerMapTest, PresenceBitsAreExact) {
    const uintptr_t base = 0x7f5500000000;
    for (uintptr_t i = 0; i < 3000; i++) {
        if (i % 3 != 2) {
            ASSERT_EQ(mi_owner_map_claim(&map_, Address(base + i * 16), 1),
                      1);
        }
    }
    ASSERT_GT(map_.mask, size_t{63});   // grew on the way
    for (uintptr_t i = 0; i < 3000; i += 6) {
        ASSERT_EQ(mi_owner_map_remove(&map_, Address(base + i * 16),
                                      nullptr), 1);
    }
    size_t present = 0;
    for (uintptr_t i = 0; i < 3000; i++) {
        bool expected = i % 3 != 2 && i % 6 != 0;
        ASSERT_EQ(PresenceBit(map_, base + i * 16), expected ? 1 : 0) << i;
        ASSERT_EQ(Contains(base + i * 16), expected) << i;
        present += expected;
    }
    EXPECT_EQ(SetBits(map_), present);
    EXPECT_EQ(mi_owner_map_count(&map_), present);
    // Neighbours of a removed key in the same word keep their bits.
    ASSERT_EQ(mi_owner_map_remove(&map_, Address(base + 16), nullptr), 1);
    EXPECT_TRUE(Contains(base + 3 * 16));
    EXPECT_EQ(PresenceBit(map_, base + 16), 0);
    EXPECT_EQ(PresenceBit(map_, base + 3 * 16), 1);
}

// The last granule of one MiB and the first of the next are in different
// chunks; each key sets and clears only its own bit.
TEST_F(OwnerMapTest, ChunkBoundaries) {
    const uintptr_t boundary = 0x7f0000300000;
    for (uintptr_t a : {boundary - 16, boundary, boundary + 16}) {
        ASSERT_EQ(mi_owner_map_insert(&map_, Address(a), 1), 1);
    }
    EXPECT_EQ(map_.n_chunks, size_t{2});
    EXPECT_EQ(PresenceBit(map_, boundary - 16), 1);
    EXPECT_EQ(PresenceBit(map_, boundary), 1);
    ASSERT_EQ(mi_owner_map_remove(&map_, Address(boundary), nullptr), 1);
    EXPECT_EQ(PresenceBit(map_, boundary), 0);
    EXPECT_TRUE(Contains(boundary - 16));
    EXPECT_TRUE(Contains(boundary + 16));
    EXPECT_FALSE(Contains(boundary));
    // A chunk left empty keeps its bits (all clear): no chunk is freed
    // before the map.
    ASSERT_EQ(mi_owner_map_remove(&map_, Address(boundary - 16), nullptr), 1);
    EXPECT_EQ(map_.n_chunks, size_t{2});
    EXPECT_EQ(PresenceBit(map_, boundary - 16), 0);
    EXPECT_EQ(SetBits(map_), size_t{1});
}

// Keys in 5000 MiB far apart: the chunk table (16 entries at first)
// doubles, at most half full, and keeps every chunk.
TEST_F(OwnerMapTest, ChunkTableGrows) {
    const uintptr_t n = 5000;
    for (uintptr_t i = 0; i < n; i++) {
        // Spread over the address space, the high bits differing too.
        uintptr_t a = ((i * 0x9E3779B1) % (uintptr_t{1} << 27)) << 20 | 0x40;
        ASSERT_EQ(mi_owner_map_insert(&map_, Address(a),
                                      static_cast<uint32_t>(i)), 1) << i;
    }
    EXPECT_EQ(map_.n_chunks, size_t{n});
    EXPECT_LE(map_.n_chunks * 2, map_.chunk_mask + 1);
    EXPECT_EQ((map_.chunk_mask + 1) & map_.chunk_mask, size_t{0});
    for (uintptr_t i = 0; i < n; i++) {
        uintptr_t a = ((i * 0x9E3779B1) % (uintptr_t{1} << 27)) << 20 | 0x40;
        ASSERT_EQ(OwnerOf(a), i);
        ASSERT_FALSE(Contains(a + 16));
        ASSERT_EQ(PresenceBit(map_, a), 1);
    }
    EXPECT_EQ(SetBits(map_), size_t{n});
}

// The map remembers the last chunk it looked up, "no bits" included: a
// chunk made afterwards for that MiB is seen at once.
TEST_F(OwnerMapTest, LastChunkCacheFollowsNewChunks) {
    ASSERT_EQ(mi_owner_map_insert(&map_, Address(0x100000), 1), 1);
    EXPECT_EQ(mi_owner_map_remove(&map_, Address(0x500010), nullptr), 0);
    EXPECT_EQ(map_.cached_number, uintptr_t{5});
    EXPECT_EQ(map_.cached_bits, nullptr);
    EXPECT_EQ(mi_owner_map_claim(&map_, Address(0x500010), 2), 1);
    EXPECT_EQ(mi_owner_map_claim(&map_, Address(0x500010), 3), 0);
    EXPECT_EQ(mi_owner_map_remove(&map_, Address(0x100000), nullptr), 1);
    uint32_t owner = 0;
    EXPECT_EQ(mi_owner_map_remove(&map_, Address(0x500010), &owner), 1);
    EXPECT_EQ(owner, 2u);
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{0});
    EXPECT_EQ(SetBits(map_), size_t{0});
}

// A key that is not at the start of a granule (a static object's may be
// 8 bytes in) has no bit: it lives in the table only, next to an aligned
// key of the same granule, and neither is taken for the other.
TEST_F(OwnerMapTest, UnalignedKeysBypassTheBits) {
    EXPECT_EQ(mi_owner_map_claim(&map_, Address(0x7f0000001008), 1), 1);
    EXPECT_EQ(PresenceBit(map_, 0x7f0000001000), -1);   // no chunk yet
    EXPECT_FALSE(Contains(0x7f0000001000));
    EXPECT_EQ(mi_owner_map_claim(&map_, Address(0x7f0000001000), 2), 1);
    EXPECT_EQ(mi_owner_map_claim(&map_, Address(0x7f0000001008), 3), 0);
    EXPECT_EQ(PresenceBit(map_, 0x7f0000001000), 1);
    EXPECT_EQ(SetBits(map_), size_t{1});
    EXPECT_EQ(OwnerOf(0x7f0000001008), 1u);
    EXPECT_EQ(OwnerOf(0x7f0000001000), 2u);
    ASSERT_EQ(mi_owner_map_remove(&map_, Address(0x7f0000001000), nullptr),
              1);
    EXPECT_EQ(OwnerOf(0x7f0000001008), 1u);
    EXPECT_EQ(mi_owner_map_mark(&map_, Address(0x7f0000001008), nullptr), 1);
    EXPECT_EQ(mi_owner_map_mark(&map_, Address(0x7f0000001000), nullptr), 0);
    ASSERT_EQ(mi_owner_map_remove(&map_, Address(0x7f0000001008), nullptr),
              1);
    EXPECT_EQ(mi_owner_map_count(&map_), size_t{0});
}
