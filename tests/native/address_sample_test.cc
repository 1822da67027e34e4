// Tests of native/inventory/address_sample.{h,c}: the lowest and highest
// addresses among the instances of a type.

#include "native/inventory/address_sample.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace {

constexpr size_t kCapacity = 2 * MI_ADDRESS_SAMPLE_HALF;

// Adds `addresses` in this order; returns what mi_address_sample_sorted
// writes. Checks that it writes no more than it returns.
std::vector<uintptr_t> SampleOf(const std::vector<uintptr_t> &addresses,
                                mi_address_sample *sample) {
    mi_address_sample_init(sample);
    for (uintptr_t a : addresses) {
        mi_address_sample_add(sample, a);
    }
    const uintptr_t canary = 0xdeadbeefcafe;
    uintptr_t out[kCapacity + 1];
    std::fill(std::begin(out), std::end(out), canary);
    size_t n = mi_address_sample_sorted(sample, out);
    EXPECT_LE(n, kCapacity);
    EXPECT_EQ(out[kCapacity], canary) << "wrote past 2 * HALF";
    n = std::min(n, kCapacity);
    for (size_t i = n; i < kCapacity; i++) {
        EXPECT_EQ(out[i], canary) << "wrote past the returned count";
    }
    return std::vector<uintptr_t>(out, out + n);
}

std::vector<uintptr_t> Distinct(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<uintptr_t> addresses;
    while (addresses.size() < n) {
        uintptr_t a = 0x7f0000000000 + (rng() % 100000) * 16;
        if (std::find(addresses.begin(), addresses.end(), a) ==
            addresses.end()) {
            addresses.push_back(a);
        }
    }
    return addresses;
}

TEST(AddressSample, Empty) {
    mi_address_sample sample;
    EXPECT_TRUE(SampleOf({}, &sample).empty());
    EXPECT_EQ(sample.count, uint64_t{0});
}

TEST(AddressSample, One) {
    mi_address_sample sample;
    std::vector<uintptr_t> expected{0x1230};
    EXPECT_EQ(SampleOf({0x1230}, &sample), expected);
    EXPECT_EQ(sample.count, uint64_t{1});
}

// Up to 2 * HALF distinct addresses: all of them, ascending, once each.
TEST(AddressSample, AllKeptUpToTen) {
    for (size_t n : {size_t{1}, size_t{2}, size_t{5}, size_t{6}, size_t{7},
                     size_t{9}, size_t{10}}) {
        for (uint64_t seed = 1; seed <= 50; seed++) {
            std::vector<uintptr_t> addresses = Distinct(n, seed * 100 + n);
            std::vector<uintptr_t> expected = addresses;
            std::sort(expected.begin(), expected.end());
            mi_address_sample sample;
            ASSERT_EQ(SampleOf(addresses, &sample), expected)
                << "n=" << n << " seed=" << seed;
            ASSERT_EQ(sample.count, static_cast<uint64_t>(n));
        }
    }
}

TEST(AddressSample, AscendingAndDescendingInsertion) {
    for (size_t n : {size_t{7}, size_t{10}}) {
        std::vector<uintptr_t> ascending;
        for (size_t i = 0; i < n; i++) {
            ascending.push_back(0x1000 + 16 * i);
        }
        std::vector<uintptr_t> descending(ascending.rbegin(),
                                          ascending.rend());
        mi_address_sample sample;
        EXPECT_EQ(SampleOf(ascending, &sample), ascending) << "n=" << n;
        EXPECT_EQ(SampleOf(descending, &sample), ascending) << "n=" << n;
        EXPECT_EQ(sample.count, static_cast<uint64_t>(n));
    }
}

// Address 0 and the largest address are addresses like any other.
TEST(AddressSample, ExtremeValues) {
    mi_address_sample sample;
    std::vector<uintptr_t> expected{0, 16, UINTPTR_MAX - 15, UINTPTR_MAX};
    EXPECT_EQ(SampleOf({UINTPTR_MAX, 16, 0, UINTPTR_MAX - 15}, &sample),
              expected);
    EXPECT_EQ(sample.count, uint64_t{4});
}

// More than 2 * HALF: exactly the 5 lowest then the 5 highest, ascending.
TEST(AddressSample, LowestAndHighestFive) {
    for (size_t n : {size_t{11}, size_t{12}, size_t{20}, size_t{1000}}) {
        for (uint64_t seed = 1; seed <= 30; seed++) {
            std::vector<uintptr_t> addresses = Distinct(n, seed * 7919 + n);
            std::vector<uintptr_t> sorted = addresses;
            std::sort(sorted.begin(), sorted.end());
            std::vector<uintptr_t> expected(sorted.begin(),
                                            sorted.begin() + 5);
            expected.insert(expected.end(), sorted.end() - 5, sorted.end());
            mi_address_sample sample;
            ASSERT_EQ(SampleOf(addresses, &sample), expected)
                << "n=" << n << " seed=" << seed;
            ASSERT_EQ(sample.count, static_cast<uint64_t>(n));
        }
    }
}

TEST(AddressSample, SortedInputMoreThanTen) {
    std::vector<uintptr_t> ascending;
    for (uintptr_t i = 0; i < 100; i++) {
        ascending.push_back(0x5000 + 32 * i);
    }
    std::vector<uintptr_t> expected{0x5000, 0x5020, 0x5040, 0x5060, 0x5080,
                                    0x5000 + 32 * 95, 0x5000 + 32 * 96,
                                    0x5000 + 32 * 97, 0x5000 + 32 * 98,
                                    0x5000 + 32 * 99};
    std::vector<uintptr_t> descending(ascending.rbegin(), ascending.rend());
    mi_address_sample sample;
    EXPECT_EQ(SampleOf(ascending, &sample), expected);
    EXPECT_EQ(sample.count, uint64_t{100});
    EXPECT_EQ(SampleOf(descending, &sample), expected);
    EXPECT_EQ(sample.count, uint64_t{100});
}

// The raw fields: low ascending, high descending, both at most HALF.
TEST(AddressSample, FieldsFollowTheirContract) {
    mi_address_sample sample;
    mi_address_sample_init(&sample);
    for (uintptr_t a : {0x90, 0x10, 0x50, 0x30, 0x70, 0x20, 0x80, 0x60,
                        0x40, 0xa0, 0xb0, 0x00}) {
        mi_address_sample_add(&sample, a);
    }
    ASSERT_EQ(sample.n_low, size_t{MI_ADDRESS_SAMPLE_HALF});
    ASSERT_EQ(sample.n_high, size_t{MI_ADDRESS_SAMPLE_HALF});
    const uintptr_t low[] = {0x00, 0x10, 0x20, 0x30, 0x40};
    const uintptr_t high[] = {0xb0, 0xa0, 0x90, 0x80, 0x70};
    for (size_t i = 0; i < MI_ADDRESS_SAMPLE_HALF; i++) {
        EXPECT_EQ(sample.low[i], low[i]) << "i=" << i;
        EXPECT_EQ(sample.high[i], high[i]) << "i=" << i;
    }
    EXPECT_EQ(sample.count, uint64_t{12});
}

}  // namespace
