// Tests of native/inventory/duplicate_groups.{h,c}: grouping of equal values.
//
// The objects are pointers into an array of ints, equal when the ints are
// equal; hashes are chosen by each test, some colliding on purpose.

#include "native/inventory/duplicate_groups.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace {

int equal_calls = 0;

int IntsEqual(void *a, void *b) {
    equal_calls++;
    return *static_cast<int *>(a) == *static_cast<int *>(b);
}

struct Candidate {
    int *object;
    uint64_t hash;
    uint32_t type_index;
};

class DuplicateGroupsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        mi_duplicate_candidates_init(&candidates_);
        equal_calls = 0;
    }
    void TearDown() override { mi_duplicate_candidates_free(&candidates_); }

    void Add(const std::vector<Candidate> &added) {
        for (const Candidate &c : added) {
            ASSERT_EQ(mi_duplicate_candidates_add(&candidates_, c.object,
                                                  c.hash, c.type_index),
                      0);
            added_.push_back(c);
        }
    }

    // Builds, then checks everything against the expected grouping: two
    // candidates share a group exactly when they have the same type_index,
    // the same hash (folded to 32 bits, as the candidates keep it) and
    // equal ints. Returns the groups, each a list of the
    // objects in the order they were added.
    std::vector<std::vector<int *>> BuildAndCheck() {
        long groups = mi_duplicate_groups_build(&candidates_, IntsEqual);

        // The expected groups, in the order of their first member.
        std::map<std::tuple<uint32_t, uint64_t, int>, size_t> group_of;
        std::vector<std::vector<const Candidate *>> expected;
        for (const Candidate &c : added_) {
            auto key = std::make_tuple(c.type_index, Folded(c.hash),
                                       *c.object);
            auto found = group_of.find(key);
            if (found == group_of.end()) {
                group_of.emplace(key, expected.size());
                expected.push_back({&c});
            }
            else {
                expected[found->second].push_back(&c);
            }
        }
        EXPECT_EQ(groups, static_cast<long>(expected.size()));
        EXPECT_EQ(candidates_.length, added_.size());
        if (candidates_.length != added_.size()) {
            return {};
        }

        // Members contiguous, groups numbered 0, 1, ... in order, each
        // group exactly the expected candidates in the order they were
        // added, with their type_index (the hash's place holds the
        // group).
        std::vector<std::vector<int *>> result;
        size_t i = 0;
        for (size_t g = 0; g < expected.size(); g++) {
            std::vector<int *> members;
            for (const Candidate *c : expected[g]) {
                if (i >= candidates_.length) {
                    ADD_FAILURE() << "too few candidates";
                    return result;
                }
                const mi_duplicate_candidate &item = candidates_.items[i];
                EXPECT_EQ(item.group, static_cast<uint32_t>(g)) << "i=" << i;
                EXPECT_EQ(item.object, c->object)
                    << "i=" << i << " group " << g << " value " << *c->object;
                EXPECT_EQ(item.type_index, c->type_index) << "i=" << i;
                members.push_back(static_cast<int *>(item.object));
                i++;
            }
            result.push_back(members);
        }
        EXPECT_EQ(i, candidates_.length);
        return result;
    }

    static uint32_t Folded(uint64_t hash) {
        return static_cast<uint32_t>(hash ^ (hash >> 32));
    }

    mi_duplicate_candidates candidates_;
    std::vector<Candidate> added_;
};

TEST_F(DuplicateGroupsTest, EmptyHasNoGroups) {
    EXPECT_EQ(mi_duplicate_groups_build(&candidates_, IntsEqual), 0);
    EXPECT_EQ(candidates_.length, size_t{0});
    EXPECT_EQ(equal_calls, 0);
}

TEST_F(DuplicateGroupsTest, SingleCandidate) {
    int v[] = {7};
    Add({{&v[0], 70, 0}});
    auto groups = BuildAndCheck();
    ASSERT_EQ(groups.size(), size_t{1});
    EXPECT_EQ(groups[0], std::vector<int *>{&v[0]});
}

TEST_F(DuplicateGroupsTest, EqualValuesGroupTogether) {
    //       0  1  2  3  4  5
    int v[] = {1, 2, 1, 3, 2, 1};
    Add({{&v[0], 11, 0},
         {&v[1], 22, 0},
         {&v[2], 11, 0},
         {&v[3], 33, 0},
         {&v[4], 22, 0},
         {&v[5], 11, 0}});
    auto groups = BuildAndCheck();
    ASSERT_EQ(groups.size(), size_t{3});
    EXPECT_EQ(groups[0], (std::vector<int *>{&v[0], &v[2], &v[5]}));
    EXPECT_EQ(groups[1], (std::vector<int *>{&v[1], &v[4]}));
    EXPECT_EQ(groups[2], (std::vector<int *>{&v[3]}));
}

// Unequal values with the same hash are not grouped.
TEST_F(DuplicateGroupsTest, HashCollisionsBetweenUnequalValues) {
    int v[] = {1, 2, 3, 1, 2, 3, 4};
    Add({{&v[0], 5, 0},
         {&v[1], 5, 0},
         {&v[2], 5, 0},
         {&v[3], 5, 0},
         {&v[4], 5, 0},
         {&v[5], 5, 0},
         {&v[6], 5, 0}});
    auto groups = BuildAndCheck();
    ASSERT_EQ(groups.size(), size_t{4});
    EXPECT_EQ(groups[0], (std::vector<int *>{&v[0], &v[3]}));
    EXPECT_EQ(groups[1], (std::vector<int *>{&v[1], &v[4]}));
    EXPECT_EQ(groups[2], (std::vector<int *>{&v[2], &v[5]}));
    EXPECT_EQ(groups[3], (std::vector<int *>{&v[6]}));
}

// Equal values, same hash, different type_index: different groups.
TEST_F(DuplicateGroupsTest, DifferentTypesNeverGrouped) {
    int v[] = {9, 9, 9, 9, 9};
    Add({{&v[0], 99, 0},
         {&v[1], 99, 1},
         {&v[2], 99, 0},
         {&v[3], 99, 2},
         {&v[4], 99, 1}});
    auto groups = BuildAndCheck();
    ASSERT_EQ(groups.size(), size_t{3});
    EXPECT_EQ(groups[0], (std::vector<int *>{&v[0], &v[2]}));
    EXPECT_EQ(groups[1], (std::vector<int *>{&v[1], &v[4]}));
    EXPECT_EQ(groups[2], (std::vector<int *>{&v[3]}));
}

// Type indexes that differ only in high bits, and hashes that differ only
// in high bits, must not merge groups either.
TEST_F(DuplicateGroupsTest, HighBitsOfHashAndType) {
    int v[] = {4, 4, 4, 4};
    Add({{&v[0], 1, 0},
         {&v[1], 1, 0x40000000u},
         {&v[2], 1 | (uint64_t{1} << 63), 0},
         {&v[3], 1 | (uint64_t{1} << 40), 0}});
    auto groups = BuildAndCheck();
    ASSERT_EQ(groups.size(), size_t{4});
}

// A type_index of 2**31 or more is refused (its top bit marks, while
// grouping, the candidates that joined a group), and nothing is added.
TEST_F(DuplicateGroupsTest, TypeIndexTopBitRefused) {
    int v[] = {7};
    EXPECT_EQ(mi_duplicate_candidates_add(&candidates_, &v[0], 1,
                                          0x80000000u), -1);
    EXPECT_EQ(candidates_.length, size_t{0});
}

// Hashes equal once folded to 32 bits but different values: the callback
// tells them apart.
TEST_F(DuplicateGroupsTest, FoldedHashesCollide) {
    int v[] = {1, 2, 1};
    Add({{&v[0], uint64_t{0x12345678}, 0},
         {&v[1], uint64_t{0x12345678} << 32, 0},
         {&v[2], uint64_t{0x12345678}, 0}});
    auto groups = BuildAndCheck();
    ASSERT_EQ(groups.size(), size_t{2});
    EXPECT_EQ(groups[0], (std::vector<int *>{&v[0], &v[2]}));
    EXPECT_EQ(groups[1], (std::vector<int *>{&v[1]}));
}

// The same object added twice is its own duplicate.
TEST_F(DuplicateGroupsTest, SameObjectTwice) {
    int v[] = {5, 6};
    Add({{&v[0], 50, 3}, {&v[1], 60, 3}, {&v[0], 50, 3}});
    auto groups = BuildAndCheck();
    ASSERT_EQ(groups.size(), size_t{2});
    EXPECT_EQ(groups[0], (std::vector<int *>{&v[0], &v[0]}));
    EXPECT_EQ(groups[1], (std::vector<int *>{&v[1]}));
}

// Every hash the same, every value distinct: worst-case probing.
TEST_F(DuplicateGroupsTest, AllHashesCollide) {
    std::vector<int> v(600);
    std::vector<Candidate> added;
    for (size_t i = 0; i < v.size(); i++) {
        v[i] = static_cast<int>(i % 300);
        added.push_back({&v[i], 0xabcdef, 1});
    }
    Add(added);
    auto groups = BuildAndCheck();
    ASSERT_EQ(groups.size(), size_t{300});
    for (size_t g = 0; g < groups.size(); g++) {
        EXPECT_EQ(groups[g], (std::vector<int *>{&v[g], &v[g + 300]}))
            << "g=" << g;
    }
}

// Many candidates: the candidate array (first capacity 4096) and the hash
// table both grow. Hashes collide across values (value % 97), and values
// appear under several types.
TEST_F(DuplicateGroupsTest, ManyCandidates) {
    const size_t n = 30000;
    std::vector<int> v(n);
    std::vector<Candidate> added;
    for (size_t i = 0; i < n; i++) {
        int value = static_cast<int>((i * 7919) % 2500);
        v[i] = value;
        added.push_back({&v[i], static_cast<uint64_t>(value % 97),
                         static_cast<uint32_t>(value % 3 == 0 ? i % 2 : 0)});
    }
    Add(added);
    auto groups = BuildAndCheck();
    std::set<std::pair<uint32_t, int>> distinct;
    for (const Candidate &c : added) {
        distinct.emplace(c.type_index, *c.object);
    }
    EXPECT_EQ(groups.size(), distinct.size());
    size_t total = 0;
    for (const auto &members : groups) {
        total += members.size();
    }
    EXPECT_EQ(total, n);
}

// Only groups of two or more: exactly the full grouping's groups of two
// or more, in the same order, members in the same order.
TEST_F(DuplicateGroupsTest, RepeatedOnlyKeepsTheGroupsOfTwoOrMore) {
    std::vector<int> v(5000);
    std::vector<Candidate> added;
    for (size_t i = 0; i < v.size(); i++) {
        // Values 0..2999 once, then 1000..2999 a second time, then every
        // tenth of them a third time: singletons, pairs and triples.
        size_t value = i < 3000 ? i : 1000 + (i - 3000);
        v[i] = static_cast<int>(value);
        added.push_back({&v[i], static_cast<uint64_t>(value % 89),
                         static_cast<uint32_t>(value % 2)});
    }
    for (size_t i = 1000; i < 3000; i += 10) {
        added.push_back({&v[i], static_cast<uint64_t>(i % 89),
                         static_cast<uint32_t>(i % 2)});
    }
    Add(added);
    auto all = BuildAndCheck();
    std::vector<std::vector<int *>> expected;
    for (const auto &members : all) {
        if (members.size() >= 2) {
            expected.push_back(members);
        }
    }
    ASSERT_EQ(expected.size(), size_t{2000});

    mi_duplicate_candidates repeated;
    mi_duplicate_candidates_init(&repeated);
    for (const Candidate &c : added) {
        ASSERT_EQ(mi_duplicate_candidates_add(&repeated, c.object, c.hash,
                                              c.type_index), 0);
    }
    EXPECT_EQ(mi_duplicate_groups_build_repeated(&repeated, IntsEqual),
              2000);
    std::vector<std::vector<int *>> found;
    for (size_t i = 0; i < repeated.length; i++) {
        if (i == 0 || repeated.items[i].group != repeated.items[i - 1].group) {
            found.emplace_back();
        }
        found.back().push_back(static_cast<int *>(repeated.items[i].object));
    }
    EXPECT_EQ(found, expected);
    EXPECT_EQ(repeated.length, size_t{2000 * 2 + 200});
    mi_duplicate_candidates_free(&repeated);
}

TEST_F(DuplicateGroupsTest, RepeatedOnlyOfNoneOrSingletons) {
    int v[] = {1, 2, 3};
    EXPECT_EQ(mi_duplicate_groups_build_repeated(&candidates_, IntsEqual), 0);
    Add({{&v[0], 1, 0}, {&v[1], 2, 0}, {&v[2], 3, 0}});
    EXPECT_EQ(mi_duplicate_groups_build_repeated(&candidates_, IntsEqual), 0);
    EXPECT_EQ(candidates_.length, size_t{0});
}

// The expected number sizes the first allocation: no growth below it.
TEST_F(DuplicateGroupsTest, ExpectSizesTheFirstAllocation) {
    std::vector<int> v(10000, 7);
    mi_duplicate_candidates_expect(&candidates_, 8000);
    for (size_t i = 0; i < 8000; i++) {
        ASSERT_EQ(mi_duplicate_candidates_add(&candidates_, &v[i], 7, 0), 0);
    }
    EXPECT_EQ(candidates_.capacity, size_t{8000});
    for (size_t i = 8000; i < v.size(); i++) {
        ASSERT_EQ(mi_duplicate_candidates_add(&candidates_, &v[i], 7, 0), 0);
    }
    EXPECT_EQ(candidates_.capacity, size_t{16000});
    EXPECT_EQ(mi_duplicate_groups_build(&candidates_, IntsEqual), 1);
    EXPECT_EQ(candidates_.length, v.size());
}

TEST_F(DuplicateGroupsTest, FreeResets) {
    int v[] = {1};
    Add({{&v[0], 1, 0}});
    mi_duplicate_candidates_free(&candidates_);
    EXPECT_EQ(candidates_.items, nullptr);
    EXPECT_EQ(candidates_.length, size_t{0});
    EXPECT_EQ(candidates_.capacity, size_t{0});
    EXPECT_EQ(mi_duplicate_groups_build(&candidates_, IntsEqual), 0);
}

}  // namespace
