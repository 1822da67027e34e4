// Tests of native/collector/analysis.{h,c}: the tables' rows, orders and
// totals, with the original memory_inventory's rules, on crafted data.

#include "tests/native/collector_test_recording.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "native/collector/analysis.h"
#include "native/collector/model.h"
}

namespace {

using mi_test::Decode;
using mi_test::InventorySpec;
using mi_test::Reason;
using mi_test::Recording;
using mi_test::Ids;
using mi_test::Names;
using mi_test::StatsSpec;
using mi_test::Strings;
using mi_test::TypeSpec;

// A model decoded from a recording, and its analysis of scope 0.
class Analysed {
  public:
    explicit Analysed(const Recording &r) {
        mi_model_init(&model_);
        status_ = Decode(r.Bytes(), &model_);
        rc_ = mi_analysis_build(&model_, 0, &analysis_);
    }
    ~Analysed() {
        mi_analysis_free(&analysis_);
        mi_model_free(&model_);
    }
    Analysed(const Analysed &) = delete;
    Analysed &operator=(const Analysed &) = delete;

    const mi_analysis &a() const { return analysis_; }
    const mi_model &model() const { return model_; }
    int rc() const { return rc_; }
    mi_reader_status status() const { return status_; }

  private:
    mi_model model_;
    mi_analysis analysis_;
    mi_reader_status status_;
    int rc_;
};

std::vector<std::string> TypeNames(const mi_analysis &a) {
    std::vector<std::string> names;
    for (size_t i = 0; i < a.n_types; i++) {
        names.push_back(a.types[i].type->name);
    }
    return names;
}

TEST(CollectorAnalysis, TypesByBytesThenInstancesThenName) {
    Recording r;
    r.Header();
    r.Type(1, "b");
    r.Type(2, "a");
    r.Type(3, "c");
    r.Type(4, "d");
    r.Type(5, "e");
    r.Inventory(InventorySpec());
    r.TypeStats(1, 10, 500);    // ties with 2 on bytes and instances
    r.TypeStats(2, 10, 500);
    r.TypeStats(3, 20, 500);    // more instances first
    r.TypeStats(4, 1, 9000);
    r.TypeStats(5, 3, 7);
    r.End();
    Analysed x(r);
    ASSERT_EQ(x.rc(), 0);
    EXPECT_EQ(TypeNames(x.a()),
              (std::vector<std::string>{"d", "c", "a", "b", "e"}));
    EXPECT_EQ(x.a().total_bytes, 10507u);
    EXPECT_EQ(x.a().total_instances, 44u);
    EXPECT_EQ(x.a().types[0].stats->type_id, 4u);
    EXPECT_EQ(x.a().inventory, &x.model().inventories[0]);
}

TEST(CollectorAnalysis, UninstantiatedLeaveOutExceptionsAndAreByName) {
    Recording r;
    r.Header();
    r.Type(1, "zeta");
    r.Type(2, "ValueError", MI_TYPE_FLAG_EXCEPTION);
    r.Type(3, "alpha");
    r.Type(4, "mod.MyError", MI_TYPE_FLAG_EXCEPTION | MI_TYPE_FLAG_HEAP);
    r.Type(5, "Mid");
    r.Inventory(InventorySpec());
    r.Uninstantiated({1, 2, 3});
    r.Uninstantiated({4, 5});
    r.End();
    Analysed x(r);
    ASSERT_EQ(x.rc(), 0);
    ASSERT_EQ(x.a().n_uninstantiated, 3u);
    EXPECT_STREQ(x.a().uninstantiated[0]->name, "Mid");  // code point order
    EXPECT_STREQ(x.a().uninstantiated[1]->name, "alpha");
    EXPECT_STREQ(x.a().uninstantiated[2]->name, "zeta");
}

TEST(CollectorAnalysis, DuplicateSummaryAndDetails) {
    Recording r;
    mi_test::FullRecording(r);
    Analysed x(r);
    ASSERT_EQ(x.rc(), 0);
    const mi_analysis &a = x.a();
    // float (12) is looked for but has no TYPE_STATS: no row. complex (10)
    // has TYPE_STATS and no duplicates: a row of zeros, as the original.
    ASSERT_EQ(a.n_duplicate_summary, 4u);
    EXPECT_STREQ(a.duplicate_summary[0].type->name, "tuple");
    EXPECT_EQ(a.duplicate_summary[0].savable_bytes, 448u);     // 56 * 8
    EXPECT_EQ(a.duplicate_summary[0].duplicate_instances, 8u);
    EXPECT_EQ(a.duplicate_summary[0].values, 1u);
    EXPECT_STREQ(a.duplicate_summary[1].type->name, "str");
    // 62*2 + 54*4 + 52 + 52
    EXPECT_EQ(a.duplicate_summary[1].savable_bytes, 444u);
    EXPECT_EQ(a.duplicate_summary[1].duplicate_instances, 2u + 4 + 1 + 1);
    EXPECT_EQ(a.duplicate_summary[1].values, 4u);
    EXPECT_STREQ(a.duplicate_summary[2].type->name, "int");
    EXPECT_EQ(a.duplicate_summary[2].savable_bytes, 84u);
    EXPECT_STREQ(a.duplicate_summary[3].type->name, "complex");
    EXPECT_EQ(a.duplicate_summary[3].savable_bytes, 0u);
    EXPECT_EQ(a.duplicate_summary[3].duplicate_instances, 0u);
    EXPECT_EQ(a.duplicate_summary[3].n_duplicates, 0u);
    EXPECT_EQ(a.total_savable_bytes, 448u + 444 + 84);
    EXPECT_EQ(a.total_duplicate_instances, 8u + 8 + 3);
    // Values by savable bytes, then copies, descending, then repr.
    const mi_duplicate_summary_row &str = a.duplicate_summary[1];
    ASSERT_EQ(str.n_duplicates, 4u);
    EXPECT_STREQ(str.duplicates[0]->repr, "'caf\xc3\xa9'");      // 216
    EXPECT_STREQ(str.duplicates[1]->repr, "'a \"quoted\" line\\n'");  // 124
    EXPECT_STREQ(str.duplicates[2]->repr, "'aaa'");              // 52
    EXPECT_STREQ(str.duplicates[3]->repr, "'bbb'");              // 52
}

TEST(CollectorAnalysis, DuplicateRowsTiesAndCopiesOrder) {
    Recording r;
    r.Header();
    r.Type(1, "b");
    r.Type(2, "a");
    InventorySpec inventory;
    inventory.duplicate_type_ids = {1, 2};
    r.Inventory(inventory);
    r.TypeStats(1, 10, 100);
    r.TypeStats(2, 10, 100);
    r.Duplicate(1, "x", 10, 3);     // 20 savable, 2 extra
    r.Duplicate(1, "y", 20, 2);     // 20 savable, 1 extra: after x
    r.Duplicate(2, "z", 40, 2);     // a: 40, 1
    r.Duplicate(1, "w", 0, 2);      // b: 40, 4 in all
    r.End();
    Analysed x(r);
    ASSERT_EQ(x.rc(), 0);
    const mi_analysis &a = x.a();
    ASSERT_EQ(a.n_duplicate_summary, 2u);
    // Equal savable bytes: more duplicate instances first.
    EXPECT_STREQ(a.duplicate_summary[0].type->name, "b");
    EXPECT_EQ(a.duplicate_summary[0].duplicate_instances, 4u);
    EXPECT_STREQ(a.duplicate_summary[0].duplicates[0]->repr, "x");
    EXPECT_STREQ(a.duplicate_summary[0].duplicates[1]->repr, "y");
    EXPECT_STREQ(a.duplicate_summary[0].duplicates[2]->repr, "w");
    EXPECT_STREQ(a.duplicate_summary[1].type->name, "a");
}

const mi_slots_row *FindSlots(const mi_slots_row *rows, size_t n,
                              const char *name) {
    for (size_t i = 0; i < n; i++) {
        if (std::string(rows[i].type->name) == name) {
            return &rows[i];
        }
    }
    return nullptr;
}

TEST(CollectorAnalysis, ClassesLackingSlots) {
    Recording r;
    mi_test::FullRecording(r);
    Analysed x(r);
    ASSERT_EQ(x.rc(), 0);
    const mi_analysis &a = x.a();
    ASSERT_EQ(a.n_lacking_slots, 2u);
    // app.Point: statics x, y, _Point__secret (0) merged with x, y, z:
    // 4 slots; 11840 - 4 * 8 * 40 = 10560.
    const mi_slots_row &point = a.lacking_slots[0];
    EXPECT_STREQ(point.type->name, "app.Point");
    EXPECT_EQ(point.instances, 40u);
    EXPECT_EQ(point.dict_bytes, 11840u);
    EXPECT_EQ(point.savable_bytes, 10560);
    EXPECT_DOUBLE_EQ(point.reduction, 10560.0 / 11840.0);
    ASSERT_EQ(point.n_missing_slots, 4u);
    EXPECT_STREQ(point.missing_slots[0].name, "_Point__secret");
    EXPECT_EQ(point.missing_slots[0].count, 0u);
    EXPECT_STREQ(point.missing_slots[1].name, "x");
    EXPECT_EQ(point.missing_slots[1].count, 40u);
    EXPECT_STREQ(point.missing_slots[3].name, "z");
    EXPECT_EQ(point.missing_slots[3].count, 3u);
    // The Unicode class: 888 - 1 * 8 * 3.
    const mi_slots_row &unicode = a.lacking_slots[1];
    EXPECT_EQ(unicode.savable_bytes, 864);
    // app.Config: 104 - 7 * 8 * 2 < 0: left out.
    EXPECT_EQ(FindSlots(a.lacking_slots, a.n_lacking_slots, "app.Config"),
              nullptr);
    // Uninstantiated: app.Unused has 6 static attributes: 472 - 48.
    // app.Point is instantiated; ValueError is an exception.
    ASSERT_EQ(a.n_uninstantiated_lacking_slots, 1u);
    const mi_slots_row &unused = a.uninstantiated_lacking_slots[0];
    EXPECT_STREQ(unused.type->name, "app.Unused");
    EXPECT_EQ(unused.instances, 0u);
    EXPECT_EQ(unused.dict_bytes, 472u);
    EXPECT_EQ(unused.savable_bytes, 424);
    EXPECT_DOUBLE_EQ(unused.reduction, 424.0 / 472.0);
    ASSERT_EQ(unused.n_missing_slots, 6u);
    EXPECT_STREQ(unused.missing_slots[5].name, "f");
}

TEST(CollectorAnalysis, SlotsOrderAndEdgeCases) {
    Recording r;
    r.Header();
    TypeSpec t;
    t.id = 1;
    t.name = "same.B";
    r.Type(t);
    t.id = 2;
    t.name = "same.A";
    r.Type(t);
    t.id = 3;
    t.name = "half";
    r.Type(t);
    t.id = 4;
    t.name = "nothing";
    t.static_attributes = {"a"};
    t.static_dict_bytes = 0;    // no dict size known: nothing savable
    r.Type(t);
    t.id = 5;
    t.name = "static.dupes";
    t.static_attributes = {"q", "q", "p"};
    t.static_dict_bytes = 100;
    r.Type(t);
    r.Inventory(InventorySpec());
    for (uint64_t id = 1; id <= 3; id++) {
        StatsSpec s;
        s.type_id = id;
        s.instances = 2;
        s.dict_instances = 2;
        s.dict_bytes = id == 3 ? 64 : 200;
        s.attribute_names = {{"v", 2}};
        r.TypeStats(s);
    }
    r.Uninstantiated({4, 5});
    r.End();
    Analysed x(r);
    ASSERT_EQ(x.rc(), 0) << Reason(x.model());
    const mi_analysis &a = x.a();
    ASSERT_EQ(a.n_lacking_slots, 3u);
    // 184, 184, 48: equal rows by name.
    EXPECT_STREQ(a.lacking_slots[0].type->name, "same.A");
    EXPECT_STREQ(a.lacking_slots[1].type->name, "same.B");
    EXPECT_STREQ(a.lacking_slots[2].type->name, "half");
    EXPECT_EQ(a.lacking_slots[2].savable_bytes, 48);
    // Repeated static names count once: 100 - 2 * 8.
    ASSERT_EQ(a.n_uninstantiated_lacking_slots, 1u);
    EXPECT_EQ(a.uninstantiated_lacking_slots[0].savable_bytes, 84);
    EXPECT_EQ(a.uninstantiated_lacking_slots[0].n_missing_slots, 2u);
}

// Strings that tie on their first 8 bytes (or end within them), with
// bytes above 0x7F, in no particular order: the orders are strcmp's
// (bytes unsigned), then the model's for equal strings.
const std::vector<std::string> kTiedStrings = {
    "__init__x", "__init__", "__init_", "abcdefgh\xc3\xa9", "abcdefgh~",
    "abcdefghij", "abcdefgh", "__init__", "\xc3\xa9t\xc3\xa9", "Z",
    "abcdefghi", "__init__subclass__", "__init__x", "abcdefg", "a",
    "__init__sub", "ZZZZZZZZZZZZZZZZZZZZZZZZZZ", "ZZZZZZZZZZZZZZZZZZZZZZZZZY",
};

// The indices of `strings` in strcmp's order, ties in index order.
std::vector<size_t> StrcmpOrder(const std::vector<std::string> &strings) {
    std::vector<size_t> order(strings.size());
    for (size_t i = 0; i < order.size(); i++) {
        order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        return std::strcmp(strings[x].c_str(), strings[y].c_str()) < 0;
    });
    return order;
}

TEST(CollectorAnalysis, NamesAndReprsTiedOnTheirFirstBytesSortAsStrcmp) {
    const std::vector<std::string> &names = kTiedStrings;
    Recording r;
    r.Header();
    for (size_t i = 0; i < names.size(); i++) {
        r.Type(i + 1, names[i]);
    }
    r.Type(100, "str");
    InventorySpec inventory;
    inventory.duplicate_type_ids = {100};
    r.Inventory(inventory);
    r.TypeStats(100, 50, 5000);
    Ids all;
    for (size_t i = 0; i < names.size(); i++) {
        all.push_back(i + 1);
        // Equal savable bytes and copies: by repr.
        r.Duplicate(100, names[i], 60, 3);
    }
    r.Uninstantiated(all);
    r.End();
    Analysed x(r);
    ASSERT_EQ(x.rc(), 0) << Reason(x.model());
    const mi_analysis &a = x.a();
    std::vector<size_t> order = StrcmpOrder(names);
    ASSERT_EQ(a.n_uninstantiated, names.size());
    ASSERT_EQ(a.n_duplicate_summary, 1u);
    ASSERT_EQ(a.duplicate_summary[0].n_duplicates, names.size());
    for (size_t i = 0; i < names.size(); i++) {
        // Equal names: the type received first comes first.
        EXPECT_EQ(a.uninstantiated[i]->id, order[i] + 1) << i;
        EXPECT_EQ(a.duplicate_summary[0].duplicates[i],
                  &x.model().inventories[0].duplicates[order[i]]) << i;
    }
}

// Above 64 names, a class is first tested with the number of its names;
// the row must be the same as when they are sorted first.
TEST(CollectorAnalysis, ClassesWithManyNames) {
    Strings statics;
    Names found;
    for (int i = 0; i < 90; i++) {
        std::string name = "attribute_" + std::to_string(i * 7 % 90);
        statics.push_back(name);
        if (i % 3 == 0) {
            statics.push_back(name);    // repeated: counts once
        }
        if (i % 2 == 0) {
            found.push_back({name, static_cast<uint64_t>(i + 1)});
        }
    }
    found.push_back({"only_found", 5});
    // 91 names, 8 bytes each: 728 per object. `kept` saves 1 byte on
    // its 2 objects; `dropped` would save nothing; `exact` neither.
    Recording r;
    r.Header();
    TypeSpec t;
    t.static_attributes = statics;
    for (uint64_t id = 1; id <= 3; id++) {
        t.id = id;
        t.name = id == 1 ? "kept" : id == 2 ? "dropped" : "exact";
        r.Type(t);
    }
    r.Inventory(InventorySpec());
    for (uint64_t id = 1; id <= 3; id++) {
        StatsSpec s;
        s.type_id = id;
        s.instances = 2;
        s.dict_instances = 2;
        s.dict_bytes = id == 1 ? 2 * 728 + 1 : id == 2 ? 2 * 728 - 1
                                                       : 2 * 728;
        s.attribute_names = found;
        r.TypeStats(s);
    }
    r.End();
    Analysed x(r);
    ASSERT_EQ(x.rc(), 0) << Reason(x.model());
    const mi_analysis &a = x.a();
    ASSERT_EQ(a.n_lacking_slots, 1u);
    const mi_slots_row &kept = a.lacking_slots[0];
    EXPECT_STREQ(kept.type->name, "kept");
    EXPECT_EQ(kept.savable_bytes, 1);
    ASSERT_EQ(kept.n_missing_slots, 91u);
    Strings names;
    for (size_t i = 0; i < kept.n_missing_slots; i++) {
        names.push_back(kept.missing_slots[i].name);
    }
    Strings expected = statics;
    expected.push_back("only_found");
    std::sort(expected.begin(), expected.end());
    expected.erase(std::unique(expected.begin(), expected.end()),
                   expected.end());
    EXPECT_EQ(names, expected);
    // The counts found in instance dicts, 0 for static-only names.
    for (size_t i = 0; i < kept.n_missing_slots; i++) {
        uint64_t count = 0;
        for (const auto &pair : found) {
            if (pair.first == kept.missing_slots[i].name) {
                count = pair.second;
            }
        }
        EXPECT_EQ(kept.missing_slots[i].count, count) << names[i];
    }
}

TEST(CollectorAnalysis, NoInventoryLeavesAnEmptyAnalysis) {
    Recording r;
    r.Header();
    r.End();
    Analysed x(r);
    EXPECT_EQ(x.rc(), -2);
    EXPECT_EQ(x.a().inventory, nullptr);
    EXPECT_EQ(x.a().n_types, 0u);
    EXPECT_EQ(x.a().types, nullptr);
}

// A model built by hand (no reader, no type index) works the same.
TEST(CollectorAnalysis, HandBuiltModel) {
    mi_model model;
    mi_model_init(&model);
    static char str_name[] = "str";
    static char int_name[] = "int";
    mi_model_type types[2] = {};
    types[0].id = 7;
    types[0].name = str_name;
    types[1].id = 9;
    types[1].name = int_name;
    mi_model_type_stats stats[2] = {};
    stats[0].type_id = 9;
    stats[0].instances = 2;
    stats[0].bytes = 56;
    stats[1].type_id = 7;
    stats[1].instances = 1;
    stats[1].bytes = 60;
    mi_model_inventory inventory = {};
    inventory.type_stats = stats;
    inventory.n_type_stats = 2;
    model.types = types;
    model.n_types = 2;
    model.inventories = &inventory;
    model.n_inventories = 1;
    EXPECT_EQ(mi_model_find_type(&model, 9), &types[1]);
    EXPECT_EQ(mi_model_find_type(&model, 8), nullptr);
    mi_analysis a;
    ASSERT_EQ(mi_analysis_build(&model, 0, &a), 0);
    ASSERT_EQ(a.n_types, 2u);
    EXPECT_STREQ(a.types[0].type->name, "str");
    EXPECT_EQ(a.total_bytes, 116u);
    mi_analysis_free(&a);
    EXPECT_EQ(a.types, nullptr);
}

}  // namespace
