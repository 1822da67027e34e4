// Tests of native/collector/import_summary.{h,c}: for every scope of a
// model built here, the summary gives the rows mi_analysis_build gives
// (same order, same figures), the duplicates' first value and the first
// missing slot names included.

#include "native/collector/import_summary.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

class Model {
  public:
    Model() { std::memset(&model, 0, sizeof(model)); }
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;

    char *Str(const std::string &s) {
        strings_.push_back(s);
        return &strings_.back()[0];
    }

    void Type(uint64_t id, const std::string &name,
              const std::vector<std::string> &static_attributes = {}) {
        mi_model_type t;
        std::memset(&t, 0, sizeof(t));
        t.id = id;
        t.name = Str(name);
        t.repr = Str("<class '" + name + "'>");
        std::vector<char *> attributes;
        for (const std::string &a : static_attributes) {
            attributes.push_back(Str(a));
        }
        attribute_lists_.push_back(std::move(attributes));
        t.static_attributes = attribute_lists_.back().data();
        t.n_static_attributes = static_attributes.size();
        types_.push_back(t);
    }

    size_t Inventory(uint64_t scope) {
        inventories_.emplace_back();
        std::memset(&inventories_.back(), 0, sizeof(mi_model_inventory));
        inventories_.back().scope = scope;
        stats_.emplace_back();
        duplicates_.emplace_back();
        return inventories_.size() - 1;
    }

    void Stats(size_t inv, uint64_t type_id, uint64_t instances,
               uint64_t bytes, uint64_t dict_bytes = 0,
               const std::vector<std::string> &names = {}) {
        mi_model_type_stats s;
        std::memset(&s, 0, sizeof(s));
        s.type_id = type_id;
        s.instances = instances;
        s.bytes = bytes;
        s.dict_instances = dict_bytes > 0 ? instances : 0;
        s.dict_bytes = dict_bytes;
        std::vector<mi_name_count> counts;
        for (const std::string &n : names) {
            counts.push_back({Str(n), instances});
        }
        name_lists_.push_back(std::move(counts));
        s.attribute_names = name_lists_.back().data();
        s.n_attribute_names = names.size();
        stats_[inv].push_back(s);
    }

    void Duplicate(size_t inv, uint64_t type_id, const std::string &repr,
                   uint64_t size, uint64_t copies) {
        mi_model_duplicate d;
        std::memset(&d, 0, sizeof(d));
        d.type_id = type_id;
        d.repr = Str(repr);
        d.size = size;
        d.copies = copies;
        duplicates_[inv].push_back(d);
    }

    void Finish() {
        for (size_t i = 0; i < inventories_.size(); i++) {
            inventories_[i].type_stats = stats_[i].data();
            inventories_[i].n_type_stats = stats_[i].size();
            inventories_[i].duplicates = duplicates_[i].data();
            inventories_[i].n_duplicates = duplicates_[i].size();
        }
        model.inventories = inventories_.data();
        model.n_inventories = inventories_.size();
        model.types = types_.data();
        model.n_types = types_.size();
    }

    mi_model model;

  private:
    std::deque<std::string> strings_;
    std::deque<std::vector<char *>> attribute_lists_;
    std::deque<std::vector<mi_name_count>> name_lists_;
    std::vector<mi_model_type> types_;
    std::vector<mi_model_inventory> inventories_;
    std::vector<std::vector<mi_model_type_stats>> stats_;
    std::vector<std::vector<mi_model_duplicate>> duplicates_;
};

// Scopes with ties in every order, names found twice, static attributes
// among the names found, duplicates of several types, a class whose
// slots would cost more than its dicts, a type without stats.
void Fill(Model *m) {
    m->Type(1, "dict");
    m->Type(2, "str");
    m->Type(3, "tuple");
    m->Type(4, "module");
    m->Type(5, "Config", {"host", "port", "zone"});
    m->Type(6, "Point");
    m->Type(7, "Big");
    m->Type(8, "Alpha");

    size_t a = m->Inventory(1);
    m->Stats(a, 1, 10, 2000);
    m->Stats(a, 2, 40, 2000);           // ties dict on bytes
    m->Stats(a, 3, 40, 2000);           // ties str on bytes and instances
    m->Stats(a, 4, 1, 800, 3000,
             {"zeta", "alpha", "os", "sys", "alpha", "mu", "beta", "pi",
              "rho", "tau", "chi", "psi", "omega", "eta"});
    m->Stats(a, 5, 5, 560, 1160, {"host", "port", "user"});
    m->Stats(a, 6, 100, 4800, 800, {"x", "y"});    // slots cost 1_600
    m->Stats(a, 8, 2, 96, 200, {});
    m->Stats(a, 7, 0, 0);               // no instances: no row
    m->Stats(a, 99, 3, 300);            // unknown type: no row
    m->Duplicate(a, 2, "'b'", 50, 3);
    m->Duplicate(a, 2, "'a'", 50, 3);   // ties 'b': repr decides
    m->Duplicate(a, 2, "'zz'", 60, 2);
    m->Duplicate(a, 3, "(1, 2)", 64, 4);
    m->Duplicate(a, 1, "{}", 64, 4);    // ties the tuples: name decides
    m->Duplicate(a, 99, "?", 10, 10);   // unknown type: left out

    size_t b = m->Inventory(2);
    m->Stats(b, 4, 1, 500, 700, {"x"});
    m->Stats(b, 5, 1, 56, 232, {"host"});

    m->Inventory(3);                    // empty
    m->Finish();
}

void ExpectSame(const mi_model &model, uint64_t scope) {
    SCOPED_TRACE("scope " + std::to_string(scope));
    mi_analysis a;
    ASSERT_EQ(mi_analysis_build(&model, scope, &a), 0);
    mi_import_summary s;
    mi_import_summary_init(&s);
    ASSERT_EQ(mi_import_summary_build(&s, &model, scope), 0);

    EXPECT_EQ(s.inventory, a.inventory);
    ASSERT_EQ(s.n_types, a.n_types);
    for (size_t i = 0; i < a.n_types; i++) {
        EXPECT_EQ(s.types[i].type, a.types[i].type) << i;
        EXPECT_EQ(s.types[i].stats, a.types[i].stats) << i;
    }
    EXPECT_EQ(s.total_bytes, a.total_bytes);
    EXPECT_EQ(s.total_instances, a.total_instances);

    std::vector<const mi_duplicate_summary_row *> rows;
    for (size_t i = 0; i < a.n_duplicate_summary; i++) {
        if (a.duplicate_summary[i].n_duplicates > 0) {
            rows.push_back(&a.duplicate_summary[i]);
        }
    }
    ASSERT_EQ(s.n_duplicates, rows.size());
    for (size_t i = 0; i < rows.size(); i++) {
        EXPECT_EQ(s.duplicates[i].type, rows[i]->type) << i;
        EXPECT_EQ(s.duplicates[i].values, rows[i]->values) << i;
        EXPECT_EQ(s.duplicates[i].duplicate_instances,
                  rows[i]->duplicate_instances) << i;
        EXPECT_EQ(s.duplicates[i].savable_bytes, rows[i]->savable_bytes)
            << i;
        EXPECT_EQ(s.duplicates[i].first, rows[i]->duplicates[0]) << i;
    }

    ASSERT_EQ(s.n_lacking_slots, a.n_lacking_slots);
    for (size_t i = 0; i < a.n_lacking_slots; i++) {
        const mi_slots_row &r = a.lacking_slots[i];
        const mi_summary_slots &t = s.lacking_slots[i];
        EXPECT_EQ(t.type, r.type) << i;
        EXPECT_EQ(t.instances, r.instances) << i;
        EXPECT_EQ(t.dict_bytes, r.dict_bytes) << i;
        EXPECT_EQ(t.savable_bytes, r.savable_bytes) << i;
        EXPECT_DOUBLE_EQ(t.reduction, r.reduction) << i;
        EXPECT_EQ(t.n_missing_slots, r.n_missing_slots) << i;
        size_t first = r.n_missing_slots < MI_SUMMARY_SLOT_NAMES
                           ? r.n_missing_slots : MI_SUMMARY_SLOT_NAMES;
        ASSERT_EQ(t.n_first_missing, first) << i;
        for (size_t k = 0; k < first; k++) {
            EXPECT_STREQ(t.first_missing[k], r.missing_slots[k].name)
                << i << " " << k;
        }
    }
    mi_import_summary_free(&s);
    mi_analysis_free(&a);
}

TEST(ImportSummary, SameRowsAsTheAnalysis) {
    Model m;
    Fill(&m);
    for (uint64_t scope : {1, 2, 3}) {
        ExpectSame(m.model, scope);
    }
}

TEST(ImportSummary, RowsOfTheSampleScope) {
    Model m;
    Fill(&m);
    mi_import_summary s;
    mi_import_summary_init(&s);
    ASSERT_EQ(mi_import_summary_build(&s, &m.model, 1), 0);
    // Point's slots would cost more than its dicts; module, Config and
    // Alpha (no names: its whole dicts) are left.
    ASSERT_EQ(s.n_lacking_slots, 3u);
    EXPECT_STREQ(s.lacking_slots[0].type->name, "module");
    EXPECT_EQ(s.lacking_slots[0].n_missing_slots, 13u);  // alpha twice
    EXPECT_EQ(s.lacking_slots[0].n_first_missing, 8u);
    EXPECT_STREQ(s.lacking_slots[0].first_missing[0], "alpha");
    EXPECT_STREQ(s.lacking_slots[0].first_missing[7], "pi");
    EXPECT_STREQ(s.lacking_slots[1].type->name, "Config");
    EXPECT_EQ(s.lacking_slots[1].n_missing_slots, 4u);   // host port user zone
    EXPECT_EQ(s.lacking_slots[1].savable_bytes, 1160 - 4 * 8 * 5);
    EXPECT_STREQ(s.lacking_slots[2].type->name, "Alpha");
    EXPECT_EQ(s.lacking_slots[2].savable_bytes, 200);
    // str first (220 B), its first value 'a' (ties 'b' on size and
    // copies); then dict before tuple (equal figures, by name).
    ASSERT_EQ(s.n_duplicates, 3u);
    EXPECT_STREQ(s.duplicates[0].type->name, "str");
    EXPECT_EQ(s.duplicates[0].savable_bytes, 260u);
    EXPECT_STREQ(s.duplicates[0].first->repr, "'a'");
    EXPECT_STREQ(s.duplicates[1].type->name, "dict");
    EXPECT_STREQ(s.duplicates[2].type->name, "tuple");
    // Built again for another scope, the scratch is reused.
    ASSERT_EQ(mi_import_summary_build(&s, &m.model, 3), 0);
    EXPECT_EQ(s.n_types, 0u);
    EXPECT_EQ(s.n_duplicates, 0u);
    EXPECT_EQ(s.n_lacking_slots, 0u);
    EXPECT_EQ(mi_import_summary_build(&s, &m.model, 42), -2);
    EXPECT_EQ(s.inventory, nullptr);
    mi_import_summary_free(&s);
}

}  // namespace
