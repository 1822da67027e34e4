// Tests of import tracing in the collector: the IMPORT and RETAINED
// records (reader), the import tree (import_tree.c) and the reports made
// from it (report_imports_text.c, report.json's "import_tree"), against
// golden files in tests/native/golden/{text,json}/.
//
// To write the golden files anew after a deliberate change:
//
//   bazel build //tests/native:collector_imports_test
//   MI_UPDATE_GOLDEN=$PWD/tests/native/golden bazel-bin/tests/native/collector_imports_test
//
// and read the differences before committing them.

#include "tests/native/collector_test_recording.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "native/collector/import_tree.h"
#include "native/collector/report_imports_text.h"
#include "native/collector/report_json.h"
}

namespace {

using mi_test::At;
using mi_test::Decode;
using mi_test::Reason;
using mi_test::Recording;

class Model {
  public:
    Model() { mi_model_init(&model_); }
    ~Model() { mi_model_free(&model_); }
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;
    mi_model *get() { return &model_; }
    mi_model *operator->() { return &model_; }

  private:
    mi_model model_;
};

class Tree {
  public:
    explicit Tree(const mi_model *model) {
        built_ = mi_import_tree_build(model, &tree_);
    }
    ~Tree() { mi_import_tree_free(&tree_); }
    Tree(const Tree &) = delete;
    Tree &operator=(const Tree &) = delete;
    int built() const { return built_; }
    const mi_import_tree *operator->() const { return &tree_; }
    const mi_import_tree *get() const { return &tree_; }
    const mi_import_node &node(size_t i) const { return tree_.nodes[i]; }
    std::vector<size_t> children(size_t i) const {
        const mi_import_node &n = tree_.nodes[i];
        return std::vector<size_t>(n.children, n.children + n.n_children);
    }
    std::vector<size_t> roots() const {
        return std::vector<size_t>(tree_.roots, tree_.roots + tree_.n_roots);
    }

  private:
    mi_import_tree tree_;
    int built_ = -1;
};

// What a function writing to a FILE* wrote.
template <typename F>
std::string Capture(F write, int *rc = nullptr) {
    char *data = nullptr;
    size_t size = 0;
    FILE *out = open_memstream(&data, &size);
    int result = write(out);
    if (rc != nullptr) {
        *rc = result;
    }
    std::fclose(out);
    std::string text(data, size);
    std::free(data);
    return text;
}

std::string Fail(const Recording &r) {
    Model m;
    EXPECT_EQ(Decode(r.Bytes(), m.get()), MI_READER_INVALID);
    EXPECT_FALSE(m->complete);
    return Reason(*m.get());
}

// ---- The reader ----

TEST(CollectorImportsReader, TracedRecordingIsReadExactly) {
    Recording r;
    mi_test::TracedRecording(r);
    Model m;
    ASSERT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED) << Reason(*m.get());
    EXPECT_TRUE(m->complete);
    ASSERT_EQ(m->n_modules, 11u);
    EXPECT_STREQ(m->modules[2].name, "json.scanner");
    EXPECT_STREQ(m->modules[6].name, "json.scanner");   // a name twice
    ASSERT_EQ(m->n_imports, 10u);
    const mi_model_import &scanner = m->imports[0];
    EXPECT_EQ(scanner.module_id, 3u);
    EXPECT_EQ(scanner.parent_id, 2u);
    EXPECT_EQ(scanner.thread_id, 1u);
    EXPECT_EQ(scanner.started, 100.0);
    EXPECT_EQ(scanner.find_seconds, 0.0001);
    EXPECT_EQ(scanner.total_seconds, 0.0003);
    EXPECT_EQ(scanner.status, static_cast<uint64_t>(MI_IMPORT_OK));
    EXPECT_EQ(scanner.error, nullptr);
    const mi_model_import &broken = m->imports[5];
    EXPECT_EQ(broken.module_id, 6u);
    EXPECT_EQ(broken.status, static_cast<uint64_t>(MI_IMPORT_FAILED));
    EXPECT_STREQ(broken.error, "ValueError: boom\nsecond line");
    ASSERT_EQ(m->n_retained, 10u);
    EXPECT_EQ(m->retained[0].scope, 1u);
    EXPECT_EQ(m->retained[0].objects, 10u);
    EXPECT_EQ(m->retained[0].bytes, 3300u);
    EXPECT_EQ(m->retained[8].scope, MI_SCOPE_BASELINE);
    EXPECT_EQ(m->retained[9].scope, MI_SCOPE_UNATTRIBUTED);
    EXPECT_EQ(m->retained[9].bytes, 3020u);
    // Every scope has its inventory, the unattributed one included.
    const mi_model_inventory *unattributed =
        mi_model_find_inventory(m.get(), MI_SCOPE_UNATTRIBUTED);
    ASSERT_NE(unattributed, nullptr);
    EXPECT_EQ(unattributed->objects, 64u);
    EXPECT_EQ(unattributed->n_type_stats, 2u);
}

TEST(CollectorImportsReader, BaselineInventoryAccepted) {
    Recording r;
    r.Header();
    r.Type(1, "str");
    mi_test::ScopeInventory(r, MI_SCOPE_BASELINE, {{1, 3, 150}});
    r.End();
    Model m;
    EXPECT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED) << Reason(*m.get());
    EXPECT_NE(mi_model_find_inventory(m.get(), MI_SCOPE_BASELINE), nullptr);
}

// The start of the recordings below: records 1 to 3.
void TwoModules(Recording &r) {
    r.Header();
    r.Module(1, "a");
    r.Module(2, "b");
}

TEST(CollectorImportsReaderErrors, ImportOfAnUnknownModule) {
    Recording r;
    TwoModules(r);
    r.Import(3, 0, 1, 0.0, 0.0, 0.0);
    EXPECT_EQ(Fail(r), At(r, 4) + "IMPORT field 1 (module_id) refers to "
                                  "module 3, which no earlier MODULE record "
                                  "defines");
}

TEST(CollectorImportsReaderErrors, ModuleDefinedAfterItsImport) {
    Recording r;
    r.Header();
    r.Import(1, 0, 1, 0.0, 0.0, 0.0);
    r.Module(1, "a");
    EXPECT_EQ(Fail(r), At(r, 2) + "IMPORT field 1 (module_id) refers to "
                                  "module 1, which no earlier MODULE record "
                                  "defines");
}

TEST(CollectorImportsReaderErrors, SecondImportOfAModule) {
    Recording r;
    TwoModules(r);
    r.Import(1, 0, 1, 0.0, 0.0, 0.0);
    r.Import(1, 0, 1, 0.0, 0.0, 0.0);
    EXPECT_EQ(Fail(r), At(r, 5) + "a second IMPORT record for module 1");
}

TEST(CollectorImportsReaderErrors, UnknownParent) {
    Recording r;
    TwoModules(r);
    r.Import(1, 7, 1, 0.0, 0.0, 0.0);
    EXPECT_EQ(Fail(r), At(r, 4) + "IMPORT field 2 (parent_id) refers to "
                                  "module 7, which no earlier MODULE record "
                                  "defines");
}

TEST(CollectorImportsReaderErrors, Status) {
    Recording r;
    TwoModules(r);
    r.Import(1, 0, 1, 0.0, 0.0, 0.0, 3);
    EXPECT_EQ(Fail(r), At(r, 4) + "IMPORT field 7 (status) must be 0 (ok), 1 "
                                  "(failed) or 2 (not found)");
}

TEST(CollectorImportsReaderErrors, FieldTypesAndLength) {
    Recording error;
    TwoModules(error);
    error.Begin(MI_RECORD_IMPORT, MI_IMPORT_LENGTH)
        .Uint(1).Uint(0).Uint(1).Float(0).Float(0).Float(0).Uint(0).Uint(5);
    EXPECT_EQ(Fail(error), At(error, 4) + "IMPORT field 8 (error) must be a "
                                          "string or nil");
    Recording started;
    TwoModules(started);
    started.Begin(MI_RECORD_IMPORT, MI_IMPORT_LENGTH)
        .Uint(1).Uint(0).Uint(1).Uint(0).Float(0).Float(0).Uint(0).Nil();
    EXPECT_EQ(Fail(started), At(started, 4) + "IMPORT field 4 (started) "
                                              "must be a float");
    Recording thread;
    TwoModules(thread);
    thread.Begin(MI_RECORD_IMPORT, MI_IMPORT_LENGTH)
        .Uint(1).Uint(0).Int(-1).Float(0).Float(0).Float(0).Uint(0).Nil();
    EXPECT_EQ(Fail(thread), At(thread, 4) + "IMPORT field 3 (thread_id) must "
                                            "be an unsigned integer");
    Recording short_import;
    TwoModules(short_import);
    short_import.Begin(MI_RECORD_IMPORT, 8)
        .Uint(1).Uint(0).Uint(1).Float(0).Float(0).Float(0).Uint(0);
    EXPECT_EQ(Fail(short_import), At(short_import, 4) + "IMPORT has 8 "
                                                        "elements, expected "
                                                        "9");
    Recording retained;
    TwoModules(retained);
    retained.Begin(MI_RECORD_RETAINED, MI_RETAINED_LENGTH)
        .Uint(1).Uint(2).Float(3.0);
    EXPECT_EQ(Fail(retained), At(retained, 4) + "RETAINED field 3 (bytes) "
                                                "must be an unsigned "
                                                "integer");
    Recording long_retained;
    TwoModules(long_retained);
    long_retained.Begin(MI_RECORD_RETAINED, 5).Uint(1).Uint(2).Uint(3).Uint(4);
    EXPECT_EQ(Fail(long_retained), At(long_retained, 4) + "RETAINED has 5 "
                                                          "elements, "
                                                          "expected 4");
}

TEST(CollectorImportsReaderErrors, RetainedScopes) {
    Recording unknown;
    TwoModules(unknown);
    unknown.Retained(9, 1, 1);
    EXPECT_EQ(Fail(unknown), At(unknown, 4) + "RETAINED field 1 (scope) "
                                              "refers to module 9, which no "
                                              "earlier MODULE record "
                                              "defines");
    Recording final_scope;
    TwoModules(final_scope);
    final_scope.Retained(0, 1, 1);
    EXPECT_EQ(Fail(final_scope),
              At(final_scope, 4) + "RETAINED field 1 (scope) must be a module "
                                   "id, 4294967294 (baseline) or 4294967295 "
                                   "(unattributed), not 0");
    Recording twice;
    TwoModules(twice);
    twice.Retained(MI_SCOPE_BASELINE, 1, 1);
    twice.Retained(2, 1, 1);
    twice.Retained(MI_SCOPE_BASELINE, 2, 2);
    EXPECT_EQ(Fail(twice), At(twice, 6) + "a second RETAINED record for "
                                          "scope 4294967294");
    Recording module_twice;
    TwoModules(module_twice);
    module_twice.Retained(2, 1, 1);
    module_twice.Retained(2, 1, 1);
    EXPECT_EQ(Fail(module_twice), At(module_twice, 5) + "a second RETAINED "
                                                        "record for scope 2");
}

// ---- The tree ----

TEST(CollectorImportTree, LinkageOfTheTracedRecording) {
    Recording r;
    mi_test::TracedRecording(r);
    Model m;
    ASSERT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED);
    Tree t(m.get());
    ASSERT_EQ(t.built(), 0);
    ASSERT_EQ(t->n_nodes, 10u);
    // Node order: the IMPORT records' (the order imports ended).
    const char *names[] = {"json.scanner", "json.decoder", "json.encoder",
                           "json", "missing_mod", "broken", "json.scanner",
                           "worker.jobs", "worker", "app.config"};
    for (size_t i = 0; i < 10; i++) {
        EXPECT_STREQ(t.node(i).name, names[i]) << i;
    }
    EXPECT_EQ(t.node(0).parent, 1u);
    EXPECT_EQ(t.node(1).parent, 3u);
    EXPECT_EQ(t.node(2).parent, 3u);
    EXPECT_EQ(t.node(3).parent, MI_IMPORT_NO_PARENT);
    EXPECT_EQ(t.children(3), (std::vector<size_t>{1, 2}));
    EXPECT_EQ(t.children(1), (std::vector<size_t>{0}));
    EXPECT_EQ(t.children(0), (std::vector<size_t>{}));
    EXPECT_EQ(t.node(0).depth, 2u);
    EXPECT_EQ(t.node(1).depth, 1u);
    EXPECT_EQ(t.node(3).depth, 0u);
    // The reload is a root of its own, not json.decoder's child.
    EXPECT_EQ(t.node(6).parent, MI_IMPORT_NO_PARENT);
    EXPECT_EQ(t.node(6).module_id, 7u);
    // Thread 2.
    EXPECT_EQ(t.node(7).parent, 8u);
    EXPECT_EQ(t.node(7).thread_id, 2u);
    EXPECT_EQ(t.children(8), (std::vector<size_t>{7}));
    // app never ended: app.config is a root, marked.
    EXPECT_EQ(t.node(9).parent, MI_IMPORT_NO_PARENT);
    EXPECT_TRUE(t.node(9).parent_unfinished);
    EXPECT_EQ(t.node(9).parent_id, 10u);
    EXPECT_FALSE(t.node(3).parent_unfinished);
    EXPECT_EQ(t.roots(), (std::vector<size_t>{3, 4, 5, 6, 8, 9}));
    EXPECT_EQ(t->n_failed, 1u);
    EXPECT_EQ(t->n_not_found, 1u);
    EXPECT_EQ(t.node(5).status, static_cast<uint64_t>(MI_IMPORT_FAILED));
    EXPECT_STREQ(t.node(5).error, "ValueError: boom\nsecond line");
}

TEST(CollectorImportTree, SelfAndCumulative) {
    Recording r;
    mi_test::TracedRecording(r);
    Model m;
    ASSERT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED);
    Tree t(m.get());
    ASSERT_EQ(t.built(), 0);
    EXPECT_TRUE(t->retained);
    // json.scanner: walked 13 objects, 960 B; retained 12, 850.
    EXPECT_EQ(t.node(0).walked_objects, 13u);
    EXPECT_EQ(t.node(0).walked_bytes, 960u);
    EXPECT_TRUE(t.node(0).has_retained);
    EXPECT_EQ(t.node(0).self_objects, 12u);
    EXPECT_EQ(t.node(0).self_bytes, 850u);
    EXPECT_EQ(t.node(0).cumulative_bytes, 850u);
    // json.decoder: 3000 + its child's 850.
    EXPECT_EQ(t.node(1).self_bytes, 3000u);
    EXPECT_EQ(t.node(1).cumulative_bytes, 3850u);
    EXPECT_EQ(t.node(1).cumulative_objects, 52u);
    // json.encoder retained nothing: no RETAINED record, self 0.
    EXPECT_FALSE(t.node(2).has_retained);
    EXPECT_EQ(t.node(2).walked_bytes, 3440u);
    EXPECT_EQ(t.node(2).self_bytes, 0u);
    // json: 3300 + 3850 + 0.
    EXPECT_EQ(t.node(3).self_bytes, 3300u);
    EXPECT_EQ(t.node(3).cumulative_bytes, 7150u);
    EXPECT_EQ(t.node(3).cumulative_objects, 62u);
    EXPECT_EQ(t.node(8).cumulative_bytes, 1900u);
    // Times: self is total minus the children's total.
    EXPECT_DOUBLE_EQ(t.node(1).self_seconds, 0.0011 - 0.0003);
    EXPECT_DOUBLE_EQ(t.node(3).self_seconds, 0.0035 - 0.0011 - 0.0009);
    EXPECT_DOUBLE_EQ(t.node(0).self_seconds, 0.0003);
    EXPECT_DOUBLE_EQ(t->import_seconds,
                     0.0035 + 0.0004 + 0.0006 + 0.0002 + 0.0015 + 0.0007);
    // Totals and the RETAINED check.
    EXPECT_TRUE(t->has_baseline);
    EXPECT_EQ(t->baseline_bytes, 130000u);
    EXPECT_TRUE(t->has_unattributed);
    EXPECT_EQ(t->unattributed_objects, 64u);
    EXPECT_EQ(t->unattributed_bytes, 3020u);
    EXPECT_TRUE(t->has_final);
    EXPECT_EQ(t->final_objects, 1660u);
    EXPECT_EQ(t->final_bytes, 143120u);
    EXPECT_EQ(t->self_bytes, 10100u);
    EXPECT_EQ(t->self_objects, 96u);
    EXPECT_EQ(t->retained_total_bytes, 143120u);
    EXPECT_EQ(t->retained_total_objects, 1660u);
    EXPECT_TRUE(t->retained_adds_up);
    EXPECT_EQ(t->orphan_retained_bytes, 0u);
    // Sorted lists: largest first, ties in node order.
    std::vector<size_t> by_cumulative(t->by_cumulative_bytes,
                                      t->by_cumulative_bytes + 10);
    EXPECT_EQ(by_cumulative,
              (std::vector<size_t>{3, 1, 8, 7, 9, 0, 5, 6, 2, 4}));
    std::vector<size_t> by_self(t->by_self_bytes, t->by_self_bytes + 10);
    EXPECT_EQ(by_self, (std::vector<size_t>{3, 1, 7, 9, 0, 8, 5, 6, 2, 4}));
}

TEST(CollectorImportTree, RetainedThatDoesNotAddUp) {
    Recording r;
    mi_test::TracedRecording(r, false);
    Model m;
    ASSERT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED);
    Tree t(m.get());
    ASSERT_EQ(t.built(), 0);
    EXPECT_EQ(t->retained_total_bytes, 143119u);
    EXPECT_FALSE(t->retained_adds_up);
}

// Without RETAINED records (no final accounting), self is the walk's.
TEST(CollectorImportTree, WithoutRetainedSelfIsTheWalk) {
    Recording r;
    r.Header();
    r.Type(1, "str");
    r.Module(1, "a");
    r.Module(2, "b");
    r.Import(2, 1, 7, 1.0, 0.0, 0.25);
    mi_test::ScopeInventory(r, 2, {{1, 2, 100}});
    r.Import(1, 0, 7, 0.5, 0.0, 1.0);
    mi_test::ScopeInventory(r, 1, {{1, 5, 1000}});
    r.End();
    Model m;
    ASSERT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED);
    Tree t(m.get());
    ASSERT_EQ(t.built(), 0);
    EXPECT_FALSE(t->retained);
    EXPECT_FALSE(t->has_final);
    EXPECT_FALSE(t->retained_adds_up);
    EXPECT_EQ(t.node(0).self_bytes, 100u);
    EXPECT_EQ(t.node(1).self_bytes, 1000u);
    EXPECT_EQ(t.node(1).cumulative_bytes, 1100u);
    EXPECT_EQ(t.node(1).cumulative_objects, 7u);
    EXPECT_DOUBLE_EQ(t.node(1).self_seconds, 0.75);
}

// A hand-built model, as a tracer that reuses a module id for a name
// would make it (one IMPORT per id is the reader's rule, not the tree's):
// a child belongs to the NEXT import of its parent module on its thread
// that ends after it.
TEST(CollectorImportTree, ReusedModuleIdsNestByOrderAndThread) {
    mi_model model;
    mi_model_init(&model);
    char a[] = "a", b[] = "b";
    mi_model_module modules[] = {{1, a}, {2, b}};
    model.modules = modules;
    model.n_modules = 2;
    mi_model_import imports[] = {
        // a imported on thread 1, then b inside a reload of a.
        {1, 0, 1, 0.0, 0.0, 0.5, MI_IMPORT_OK, nullptr},
        {2, 1, 1, 1.0, 0.0, 0.25, MI_IMPORT_OK, nullptr},
        // b on thread 2, inside an import of a on thread 2, which ends
        // after the reload of a on thread 1.
        {2, 1, 2, 1.1, 0.0, 0.125, MI_IMPORT_OK, nullptr},
        {1, 0, 1, 0.9, 0.0, 1.0, MI_IMPORT_OK, nullptr},
        {1, 0, 2, 1.05, 0.0, 0.5, MI_IMPORT_OK, nullptr},
        // b on thread 1, inside an a that never ends.
        {2, 1, 1, 2.0, 0.0, 0.0625, MI_IMPORT_OK, nullptr},
    };
    model.imports = imports;
    model.n_imports = 6;
    {
        Tree t(&model);
        ASSERT_EQ(t.built(), 0);
        EXPECT_EQ(t.node(0).parent, MI_IMPORT_NO_PARENT);
        EXPECT_EQ(t.node(1).parent, 3u);
        EXPECT_EQ(t.node(2).parent, 4u);
        EXPECT_EQ(t.children(3), (std::vector<size_t>{1}));
        EXPECT_EQ(t.children(4), (std::vector<size_t>{2}));
        EXPECT_EQ(t.node(5).parent, MI_IMPORT_NO_PARENT);
        EXPECT_TRUE(t.node(5).parent_unfinished);
        EXPECT_EQ(t.roots(), (std::vector<size_t>{0, 3, 4, 5}));
        EXPECT_DOUBLE_EQ(t.node(3).self_seconds, 0.75);
        // No inventories, no RETAINED: everything is 0.
        EXPECT_EQ(t.node(3).cumulative_bytes, 0u);
        EXPECT_FALSE(t->has_final);
    }
    model.modules = nullptr;
    model.n_modules = 0;
    model.imports = nullptr;
    model.n_imports = 0;
    mi_model_free(&model);
}

TEST(CollectorImportTree, NoImportsGivesAnEmptyTree) {
    Recording r;
    mi_test::FullRecording(r);
    Model m;
    ASSERT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED);
    Tree t(m.get());
    ASSERT_EQ(t.built(), 0);
    EXPECT_EQ(t->n_nodes, 0u);
    EXPECT_EQ(t->n_roots, 0u);
    EXPECT_TRUE(t->has_final);
    EXPECT_FALSE(t->retained);
}

// Children of children, deep: depth and cumulative sums over 200 levels.
TEST(CollectorImportTree, DeepNesting) {
    Recording r;
    r.Header();
    r.Type(1, "str");
    const uint64_t levels = 200;
    for (uint64_t id = 1; id <= levels; id++) {
        r.Module(id, "m" + std::to_string(id));
    }
    for (uint64_t id = levels; id >= 1; id--) {
        r.Import(id, id - 1, 1, 0.0, 0.0, 0.001 * static_cast<double>(id));
        mi_test::ScopeInventory(r, id, {{1, 1, id}});
    }
    r.End();
    Model m;
    ASSERT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED) << Reason(*m.get());
    Tree t(m.get());
    ASSERT_EQ(t.built(), 0);
    ASSERT_EQ(t->n_roots, 1u);
    const mi_import_node &top = t.node(levels - 1);
    EXPECT_EQ(top.depth, 0u);
    EXPECT_EQ(t.node(0).depth, levels - 1);
    EXPECT_EQ(top.cumulative_bytes, levels * (levels + 1) / 2);
    EXPECT_EQ(top.cumulative_objects, levels);
    // Self time: 0.001 * id - 0.001 * (id + 1) < 0 is clamped to 0.
    EXPECT_EQ(top.self_seconds, 0.0);
    EXPECT_DOUBLE_EQ(t.node(0).self_seconds, 0.2);
}

// ---- Reports, against golden files ----

std::string ReadFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void ExpectGolden(const std::string &name, const std::string &actual) {
    const char *update = std::getenv("MI_UPDATE_GOLDEN");
    if (update != nullptr) {
        std::ofstream out(std::string(update) + "/" + name, std::ios::binary);
        out << actual;
        ASSERT_TRUE(out.good()) << "cannot write " << update << "/" << name;
        return;
    }
    const char *srcdir = std::getenv("TEST_SRCDIR");
    const char *workspace = std::getenv("TEST_WORKSPACE");
    ASSERT_NE(srcdir, nullptr) << "run under bazel test";
    ASSERT_NE(workspace, nullptr);
    std::string path = std::string(srcdir) + "/" + workspace +
                       "/tests/native/golden/" + name;
    std::string expected = ReadFile(path);
    ASSERT_FALSE(expected.empty()) << "no golden file " << path;
    EXPECT_EQ(actual, expected) << name << " differs from " << path;
}

struct Rendered {
    std::string tree;
    std::string importtime;
    std::string json;
};

Rendered Render(const std::string &bytes, size_t top, uint64_t min_size) {
    Model m;
    Decode(bytes, m.get());
    Tree t(m.get());
    EXPECT_EQ(t.built(), 0);
    Rendered r;
    int rc = -1;
    mi_imports_text_options options = {top, min_size, true};
    r.tree = Capture(
        [&](FILE *out) {
            return mi_report_imports_text_write(out, m.get(), t.get(),
                                                &options);
        },
        &rc);
    EXPECT_EQ(rc, 0);
    r.importtime = Capture(
        [&](FILE *out) {
            return mi_report_importtime_write(out, t.get(), min_size);
        },
        &rc);
    EXPECT_EQ(rc, 0);
    r.json = Capture(
        [&](FILE *out) { return mi_report_json_write(out, m.get()); }, &rc);
    EXPECT_EQ(rc, 0);
    return r;
}

TEST(CollectorImportsGolden, TracedRecording) {
    Recording r;
    mi_test::TracedRecording(r);
    Rendered out = Render(r.Bytes(), MI_IMPORTS_TEXT_DEFAULT_TOP, 0);
    ExpectGolden("text/imports.txt", out.tree);
    ExpectGolden("text/importtime.txt", out.importtime);
    ExpectGolden("json/traced.json", out.json);
    // Every scope's inventory is in report.json: the final one, the ten
    // walks and the unattributed one.
    size_t inventories = 0;
    for (size_t at = out.json.find("\"walk_seconds\""); at != std::string::npos;
         at = out.json.find("\"walk_seconds\"", at + 1)) {
        inventories++;
    }
    EXPECT_EQ(inventories, 12u);
    EXPECT_NE(out.json.find("\"scope\": 4294967295,\n      \"objects\": 64,"),
              std::string::npos);
}

TEST(CollectorImportsReader, AnyChunking) {
    Recording r;
    mi_test::TracedRecording(r);
    for (size_t chunk : {1, 3, 64}) {
        Model m;
        ASSERT_EQ(Decode(r.Bytes(), m.get(), chunk), MI_READER_FINISHED)
            << chunk;
        EXPECT_EQ(m->n_imports, 10u);
        EXPECT_EQ(m->n_retained, 10u);
        EXPECT_STREQ(m->imports[5].error, "ValueError: boom\nsecond line");
    }
}

TEST(CollectorImportsGolden, MinSizeTopAndAdditivityFailure) {
    Recording r;
    mi_test::TracedRecording(r, false);
    Rendered out = Render(r.Bytes(), 3, 1000);
    ExpectGolden("text/imports_min_size.txt", out.tree);
    ExpectGolden("text/importtime_min_size.txt", out.importtime);
    EXPECT_NE(out.json.find("\"retained_adds_up\": false"), std::string::npos);
}

// Cut inside the final inventory: the walks' figures, marked incomplete.
TEST(CollectorImportsGolden, IncompleteWithoutRetained) {
    Recording r;
    mi_test::TracedRecording(r);
    size_t records = 0;
    for (size_t n = 1; n <= r.Records(); n++) {
        records = n;
        // The first RETAINED record is the first of kind 17.
        std::string bytes = r.Bytes();
        if (static_cast<unsigned char>(bytes[r.Offset(n) + 1]) ==
            MI_RECORD_RETAINED) {
            break;
        }
    }
    std::string bytes = r.Bytes().substr(0, r.Offset(records) + 2);
    Rendered out = Render(bytes, 2, 0);
    ExpectGolden("text/imports_incomplete.txt", out.tree);
    EXPECT_NE(out.json.find("\"self_is\": \"walked\""), std::string::npos);
}

// The importtime format is CPython's, field for field (Python/import.c:
// "import time: %9ld | %10ld | %*s%s\n").
TEST(CollectorImportsText, ImporttimeLinesParseAsCPythons) {
    Recording r;
    mi_test::TracedRecording(r);
    Rendered out = Render(r.Bytes(), 0, 0);
    std::istringstream lines(out.importtime);
    std::string line;
    std::getline(lines, line);
    EXPECT_EQ(line, "import time: self [us] | cumulative | imported package");
    size_t n = 0;
    while (std::getline(lines, line)) {
        char expected[256];
        long self = 0, cumulative = 0;
        int consumed = 0;
        ASSERT_EQ(std::sscanf(line.c_str(), "import time: %ld | %ld |%n",
                              &self, &cumulative, &consumed),
                  2)
            << line;
        ASSERT_EQ(line[static_cast<size_t>(consumed)], ' ');
        std::string rest = line.substr(static_cast<size_t>(consumed) + 1);
        size_t indent = rest.find_first_not_of(' ');
        std::snprintf(expected, sizeof(expected),
                      "import time: %9ld | %10ld | %*s%s", self, cumulative,
                      static_cast<int>(indent), "", rest.c_str() + indent);
        EXPECT_EQ(line, expected);
        EXPECT_EQ(indent % 2, 0u);
        n++;
    }
    EXPECT_EQ(n, 10u);
}

TEST(CollectorImportsText, NoImports) {
    Recording r;
    mi_test::FullRecording(r);
    Rendered out = Render(r.Bytes(), 10, 0);
    EXPECT_EQ(out.tree, "The recording holds no IMPORT records.\n");
    EXPECT_EQ(out.importtime,
              "import time: self [us] | cumulative | imported package\n");
    EXPECT_NE(out.json.find("\"import_tree\": null"), std::string::npos);
}

}  // namespace
