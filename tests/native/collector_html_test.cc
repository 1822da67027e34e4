// Tests of native/collector/report_html.{h,c}: the HTML pages of the
// collector, rendered from a model and an analysis built here by hand.
//
// The pages of the sample recording are compared byte for byte with
// tests/native/golden/html/. To write them anew after a deliberate change,
// build the test, run its binary with MI_UPDATE_GOLDEN set to that
// directory, from the workspace:
//   MI_UPDATE_GOLDEN=$PWD/tests/native/golden/html
//   bazel-bin/tests/native/collector_html_test
// (one command line), then read the diff.

#include "native/collector/report_html.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

// Owns everything a mi_model and a mi_analysis point to. Containers are
// deques, whose elements never move, or vectors moved into deques, whose
// buffers never move.
class Recording {
  public:
    Recording() {
        std::memset(&model, 0, sizeof(model));
        std::memset(&analysis, 0, sizeof(analysis));
        std::memset(&inventory, 0, sizeof(inventory));
        model.has_header = true;
        model.version = 1;
        model.complete = true;
        inventory.scope = 0;
        inventory.objects_limit = 10000000;
        analysis.inventory = &inventory;
    }
    Recording(const Recording &) = delete;
    Recording &operator=(const Recording &) = delete;

    char *Str(const std::string &s) {
        strings_.push_back(s);
        return &strings_.back()[0];
    }

    char **Strs(const std::vector<std::string> &v) {
        std::vector<char *> p;
        for (const auto &s : v) {
            p.push_back(Str(s));
        }
        string_arrays_.push_back(std::move(p));
        return string_arrays_.back().data();
    }

    mi_key_count *Counts(const std::vector<mi_key_count> &v) {
        counts_.push_back(v);
        return counts_.back().data();
    }

    uint64_t *Addresses(uint64_t first, size_t n, uint64_t step = 0x40) {
        std::vector<uint64_t> v;
        for (size_t i = 0; i < n; i++) {
            v.push_back(first + i * step);
        }
        addresses_.push_back(std::move(v));
        return addresses_.back().data();
    }

    // The sample of a walk: the `n` lowest then the `n` highest.
    uint64_t *Sample(uint64_t low, uint64_t high, size_t half) {
        std::vector<uint64_t> v;
        for (size_t i = 0; i < half; i++) {
            v.push_back(low + i * 0x40);
        }
        for (size_t i = half; i > 0; i--) {
            v.push_back(high - (i - 1) * 0x40);
        }
        addresses_.push_back(std::move(v));
        return addresses_.back().data();
    }

    mi_model_type *Type(uint64_t id, const std::string &name,
                        const std::string &repr, uint64_t address,
                        uint64_t flags = 0) {
        types_.emplace_back();
        mi_model_type *t = &types_.back();
        std::memset(t, 0, sizeof(*t));
        t->id = id;
        t->name = Str(name);
        t->repr = Str(repr);
        t->address = address;
        t->flags = flags;
        return t;
    }

    mi_model_type_stats *Stats(const mi_model_type *type, uint64_t instances,
                               uint64_t bytes) {
        stats_.emplace_back();
        mi_model_type_stats *s = &stats_.back();
        std::memset(s, 0, sizeof(*s));
        s->type_id = type->id;
        s->instances = instances;
        s->bytes = bytes;
        type_rows_.push_back({type, s});
        return s;
    }

    mi_model_duplicate *Duplicate(const mi_model_type *type,
                                  const std::string &repr, uint64_t size,
                                  uint64_t copies) {
        duplicates_.emplace_back();
        mi_model_duplicate *d = &duplicates_.back();
        std::memset(d, 0, sizeof(*d));
        d->type_id = type->id;
        d->repr = Str(repr);
        d->size = size;
        d->copies = copies;
        d->refcounts = Counts({{1, copies}});
        d->n_refcounts = 1;
        d->addresses = Addresses(0x7f0000100000 + 0x1000 * duplicates_.size(),
                                 copies > 10 ? 10 : copies);
        d->n_addresses = copies > 10 ? 10 : copies;
        return d;
    }

    // A summary row; its duplicates in the order given, which the test
    // gives sorted as the analysis would.
    void Summary(const mi_model_type *type,
                 const std::vector<const mi_model_duplicate *> &dups) {
        mi_duplicate_summary_row row;
        std::memset(&row, 0, sizeof(row));
        row.type = type;
        for (const mi_model_duplicate *d : dups) {
            row.savable_bytes += d->size * (d->copies - 1);
            row.duplicate_instances += d->copies - 1;
            row.values++;
        }
        duplicate_lists_.push_back(dups);
        row.duplicates = duplicate_lists_.back().data();
        row.n_duplicates = dups.size();
        summary_.push_back(row);
    }

    mi_name_count *Names(const std::vector<std::pair<std::string, uint64_t>>
                             &v) {
        std::vector<mi_name_count> n;
        for (const auto &p : v) {
            n.push_back({Str(p.first), p.second});
        }
        names_.push_back(std::move(n));
        return names_.back().data();
    }

    void SlotsRow(bool instantiated, const mi_model_type *type,
                  uint64_t instances, uint64_t dict_bytes,
                  const std::vector<std::pair<std::string, uint64_t>>
                      &missing) {
        mi_slots_row row;
        std::memset(&row, 0, sizeof(row));
        row.type = type;
        row.instances = instances;
        row.dict_bytes = dict_bytes;
        row.missing_slots = Names(missing);
        row.n_missing_slots = missing.size();
        row.savable_bytes =
            static_cast<int64_t>(dict_bytes) -
            static_cast<int64_t>(missing.size() * MI_SLOT_SIZE *
                                 (instantiated ? instances : 1));
        row.reduction = static_cast<double>(row.savable_bytes) /
                        static_cast<double>(dict_bytes);
        (instantiated ? lacking_ : uninstantiated_lacking_).push_back(row);
    }

    // Points the model and the analysis at what was added.
    void Finish() {
        // model.types stays empty: the types live in a deque, and the
        // reports reach them through the analysis only.
        model.inventories = &inventory;
        model.n_inventories = 1;
        analysis.types = type_rows_.data();
        analysis.n_types = type_rows_.size();
        analysis.total_bytes = analysis.total_instances = 0;
        for (const mi_type_row &row : type_rows_) {
            analysis.total_bytes += row.stats->bytes;
            analysis.total_instances += row.stats->instances;
        }
        analysis.uninstantiated = uninstantiated_.data();
        analysis.n_uninstantiated = uninstantiated_.size();
        analysis.duplicate_summary = summary_.data();
        analysis.n_duplicate_summary = summary_.size();
        analysis.total_savable_bytes = analysis.total_duplicate_instances = 0;
        for (const auto &row : summary_) {
            analysis.total_savable_bytes += row.savable_bytes;
            analysis.total_duplicate_instances += row.duplicate_instances;
        }
        analysis.lacking_slots = lacking_.data();
        analysis.n_lacking_slots = lacking_.size();
        analysis.uninstantiated_lacking_slots = uninstantiated_lacking_.data();
        analysis.n_uninstantiated_lacking_slots =
            uninstantiated_lacking_.size();
    }

    mi_model model;
    mi_model_inventory inventory;
    mi_analysis analysis;
    std::vector<const mi_model_type *> uninstantiated_;

  private:
    std::deque<std::string> strings_;
    std::deque<std::vector<char *>> string_arrays_;
    std::deque<std::vector<mi_key_count>> counts_;
    std::deque<std::vector<uint64_t>> addresses_;
    std::deque<std::vector<mi_name_count>> names_;
    std::deque<mi_model_type> types_;
    std::deque<mi_model_type_stats> stats_;
    std::deque<mi_model_duplicate> duplicates_;
    std::deque<std::vector<const mi_model_duplicate *>> duplicate_lists_;
    std::vector<mi_type_row> type_rows_;
    std::vector<mi_duplicate_summary_row> summary_;
    std::vector<mi_slots_row> lacking_;
    std::vector<mi_slots_row> uninstantiated_lacking_;
};

void FillHeader(Recording *r) {
    r->model.python_version =
        r->Str("3.13.3 (main, Apr 10 2025, 21:38:51) [GCC 14.2.0]");
    r->model.pid = 4242;
    const std::vector<std::string> argv = {
        "/usr/bin/python3", "-m", "memory_inventory", "json", "--label=a b",
        "it's"};
    r->model.argv = r->Strs(argv);
    r->model.n_argv = argv.size();
    r->model.wall_clock = 1745316000.25;    // 2025-04-22T10:00:00Z
    r->model.monotonic_clock = 1234.5;
    const std::vector<std::string> modules = {
        "builtins", "sys", "json", "json.decoder", "mymod"};
    r->model.loaded_modules = r->Strs(modules);
    r->model.n_loaded_modules = modules.size();
    r->inventory.objects = 60;
    r->inventory.bytes = 4500;
}

// A small inventory with something in every table.
void FillSample(Recording *r) {
    FillHeader(r);
    const mi_model_type *str =
        r->Type(1, "str", "<class 'str'>", 0x7f00000a1000);
    const mi_model_type *tuple =
        r->Type(2, "tuple", "<class 'tuple'>", 0x7f00000a2000);
    const mi_model_type *int_ =
        r->Type(3, "int", "<class 'int'>", 0x7f00000a3000);
    const mi_model_type *dict =
        r->Type(4, "dict", "<class 'dict'>", 0x7f00000a4000);
    const mi_model_type *point =
        r->Type(5, "mymod.Point", "<class 'mymod.Point'>", 0x55500001000);
    const mi_model_type *unused =
        r->Type(6, "mymod.Unused", "<class 'mymod.Unused'>", 0x55500002000);
    const mi_model_type *pattern =
        r->Type(7, "re.Pattern", "<class 're.Pattern'>", 0x7f00000a7000);
    const mi_model_type *complex_ =
        r->Type(9, "complex", "<class 'complex'>", 0x7f00000a9000);

    // Types by bytes, descending.
    mi_model_type_stats *s = r->Stats(str, 25, 2000);
    s->immortal = 3;
    s->interned = 10;
    s->refcounts = r->Counts({{1, 12}, {2, 7}, {5, 3}});
    s->n_refcounts = 3;
    s->addresses = r->Sample(0x7f0000200000, 0x7f0000280000, 5);
    s->n_addresses = 10;
    s = r->Stats(dict, 4, 1184);
    s->refcounts = r->Counts({{1, 4}});
    s->n_refcounts = 1;
    s->addresses = r->Addresses(0x7f0000300000, 4);
    s->n_addresses = 4;
    s = r->Stats(tuple, 8, 640);
    s->refcounts = r->Counts({{1, 6}, {4, 2}});
    s->n_refcounts = 2;
    s->addresses = r->Addresses(0x7f0000400000, 8);
    s->n_addresses = 8;
    s = r->Stats(int_, 12, 336);
    s->immortal = 12;
    s->addresses = r->Sample(0x7f0000500000, 0x7f0000580000, 5);
    s->n_addresses = 10;
    s = r->Stats(point, 3, 144);
    s->refcounts = r->Counts({{1, 2}, {3, 1}});
    s->n_refcounts = 2;
    s->addresses = r->Addresses(0x555000100000, 3);
    s->n_addresses = 3;
    s->dict_instances = 3;
    s->dict_bytes = 888;
    s = r->Stats(complex_, 2, 64);
    s->refcounts = r->Counts({{1, 2}});
    s->n_refcounts = 1;
    s->addresses = r->Addresses(0x7f0000600000, 2);
    s->n_addresses = 2;

    r->uninstantiated_ = {unused, pattern};

    mi_model_duplicate *pair = r->Duplicate(tuple, "(1, 2)", 56, 12);
    pair->refcounts = r->Counts({{1, 11}, {2, 1}});
    pair->n_refcounts = 2;
    pair->addresses = r->Sample(0x7f0000700000, 0x7f0000780000, 5);
    mi_model_duplicate *long_str = r->Duplicate(
        str, "'a fairly long string value that goes past forty characters'",
        100, 3);
    long_str->interned = 1;
    long_str->refcounts = r->Counts({{1, 2}, {2, 1}});
    long_str->n_refcounts = 2;
    mi_model_duplicate *hello = r->Duplicate(str, "'h\xC3\xA9llo'", 60, 2);
    mi_model_duplicate *init = r->Duplicate(str, "'__init__'", 57, 2);
    init->immortal = 2;
    init->interned = 2;
    init->n_refcounts = 0;
    r->Summary(tuple, {pair});
    r->Summary(str, {long_str, hello, init});
    r->Summary(complex_, {});

    r->SlotsRow(true, point, 3, 888, {{"label", 1}, {"x", 3}, {"y", 3}});
    r->SlotsRow(false, unused, 0, 272, {{"_Unused__c", 0}, {"a", 0},
                                        {"b", 0}});
    r->Finish();
}

class TempDir {
  public:
    TempDir() {
        const char *base = std::getenv("TEST_TMPDIR");
        std::string pattern =
            std::string(base != nullptr ? base : "/tmp") + "/htmlXXXXXX";
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        char *made = mkdtemp(buf.data());
        EXPECT_NE(made, nullptr) << std::strerror(errno);
        path = made != nullptr ? made : "";
        fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        EXPECT_GE(fd, 0) << std::strerror(errno);
    }
    ~TempDir() {
        for (const std::string &name : Files()) {
            unlinkat(fd, name.c_str(), 0);
        }
        close(fd);
        rmdir(path.c_str());
    }

    std::set<std::string> Files() const {
        std::set<std::string> names;
        DIR *dir = opendir(path.c_str());
        if (dir == nullptr) {
            return names;
        }
        while (struct dirent *e = readdir(dir)) {
            std::string name = e->d_name;
            if (name != "." && name != "..") {
                names.insert(name);
            }
        }
        closedir(dir);
        return names;
    }

    std::string Read(const std::string &name) const {
        return ReadFile(path + "/" + name);
    }

    static std::string ReadFile(const std::string &file) {
        std::ifstream in(file, std::ios::binary);
        std::ostringstream content;
        content << in.rdbuf();
        return content.str();
    }

    std::string path;
    int fd = -1;
};

// Renders `r` into a new directory; returns the pages by file name.
std::map<std::string, std::string> Render(const Recording &r) {
    TempDir dir;
    EXPECT_EQ(mi_report_html_write(&r.model, &r.analysis, dir.fd), 0)
        << std::strerror(errno);
    std::map<std::string, std::string> pages;
    for (const std::string &name : dir.Files()) {
        pages[name] = dir.Read(name);
    }
    return pages;
}

std::set<std::string> Names(const std::map<std::string, std::string> &pages) {
    std::set<std::string> names;
    for (const auto &p : pages) {
        names.insert(p.first);
    }
    return names;
}

bool ValidUtf8(const std::string &s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        }
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        }
        else {
            return false;
        }
        if (i + n >= s.size()) {
            return false;
        }
        for (size_t k = 1; k <= n; k++) {
            unsigned char b = s[i + k];
            if ((b & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (b & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
            return false;
        }
        i += n + 1;
    }
    return true;
}

size_t Count(const std::string &haystack, const std::string &needle) {
    size_t n = 0;
    for (size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + 1)) {
        n++;
    }
    return n;
}

const std::set<std::string> kFixedPages = {
    "types_by_memory_usage.html",
    "uninstantiated_types.html",
    "classes_lacking_slots.html",
};

TEST(ReportHtml, WritesOnePagePerTableAndDuplicateType) {
    Recording r;
    FillSample(&r);
    std::set<std::string> expected = kFixedPages;
    expected.insert("duplicate_tuple.html");
    expected.insert("duplicate_str.html");
    // complex has a summary row but no duplicates: no page.
    EXPECT_EQ(Names(Render(r)), expected);
}

TEST(ReportHtml, MatchesGoldenPages) {
    Recording r;
    FillSample(&r);
    std::map<std::string, std::string> pages = Render(r);
    ASSERT_EQ(pages.size(), 5u);

    const char *update = std::getenv("MI_UPDATE_GOLDEN");
    if (update != nullptr && *update != '\0') {
        for (const auto &p : pages) {
            std::ofstream out(std::string(update) + "/" + p.first,
                              std::ios::binary | std::ios::trunc);
            out << p.second;
            ASSERT_TRUE(out.good()) << update << "/" << p.first;
        }
        GTEST_SKIP() << "golden pages written to " << update;
    }

    const char *srcdir = std::getenv("TEST_SRCDIR");
    const char *workspace = std::getenv("TEST_WORKSPACE");
    ASSERT_NE(srcdir, nullptr) << "run me with bazel test";
    ASSERT_NE(workspace, nullptr);
    std::string golden = std::string(srcdir) + "/" + workspace +
                         "/tests/native/golden/html/";
    for (const auto &p : pages) {
        std::string expected = TempDir::ReadFile(golden + p.first);
        EXPECT_FALSE(expected.empty()) << "no golden " << golden << p.first;
        EXPECT_TRUE(p.second == expected)
            << p.first << " differs from " << golden << p.first
            << "; rendered:\n" << p.second;
    }
}

TEST(ReportHtml, PagesAreWellFormedUtf8WithEveryRow) {
    Recording r;
    FillSample(&r);
    std::map<std::string, std::string> pages = Render(r);
    for (const auto &p : pages) {
        EXPECT_TRUE(ValidUtf8(p.second)) << p.first;
        EXPECT_EQ(p.second.rfind("<!DOCTYPE html>\n", 0), 0u) << p.first;
        EXPECT_NE(p.second.find("<meta charset=\"utf-8\">"),
                  std::string::npos);
        EXPECT_EQ(Count(p.second, "<details"), Count(p.second, "</details>"));
        EXPECT_EQ(Count(p.second, "<tr>"), Count(p.second, "</tr>"));
        EXPECT_EQ(p.second.find("INCOMPLETE"), std::string::npos);
        EXPECT_NE(p.second.find("Date: 2025-04-22T10:00:00Z<br>"),
                  std::string::npos);
        // No external resource of any kind.
        EXPECT_EQ(p.second.find("src="), std::string::npos);
        EXPECT_EQ(p.second.find("http"), std::string::npos);
        EXPECT_EQ(p.second.find("<script"), std::string::npos);
    }
    const std::string &types = pages["types_by_memory_usage.html"];
    // Header plus one row per type, totals in the footer.
    EXPECT_EQ(Count(types, "<tr>"), 1u + 6u + 1u);
    EXPECT_NE(types.find("<td>total: 6</td><td>4_368 B</td><td>54</td>"
                         "<td>80 B</td>"),
              std::string::npos);
    // Immortal first, then ascending; a sample shows its gap.
    EXPECT_NE(types.find("refcounts:<br>immortal (3\xC3\x97)<br>1 (12\xC3\x97)"
                         "<br>2 (7\xC3\x97)<br>5 (3\xC3\x97)<br><br>"
                         "addresses:<br>0x7f0000200000<br>"),
              std::string::npos);
    EXPECT_NE(types.find("<br>0x7f0000200100<br>\xE2\x80\xA6<br>"
                         "0x7f000027ff00<br>"),
              std::string::npos);
    // Eight instances, eight addresses: no gap.
    EXPECT_NE(types.find("0x7f00004001c0</div>"), std::string::npos);
    EXPECT_EQ(Count(types, "\xE2\x80\xA6"), 2u);
}

TEST(ReportHtml, DuplicateFileNamesAreSanitised) {
    Recording r;
    FillHeader(&r);
    const char *names[] = {
        "my mod.<Weird>/x", "a/b", "a?b", "h\xC3\xA9llo", "..", "bad\xFF",
        "ok-1.2_3",
    };
    uint64_t id = 1;
    for (const char *name : names) {
        const mi_model_type *t =
            r.Type(id, name, std::string("<class '") + name + "'>", id * 16);
        mi_model_duplicate *d = r.Duplicate(t, "1", 28, 2);
        r.Summary(t, {d});
        id++;
    }
    r.Finish();
    std::set<std::string> expected = kFixedPages;
    for (const char *name : {
             "duplicate_my_mod._Weird__x.html", "duplicate_a_b.html",
             "duplicate_a_b_2.html", "duplicate_h_llo.html",
             "duplicate_...html", "duplicate_bad_.html",
             "duplicate_ok-1.2_3.html"}) {
        expected.insert(name);
    }
    std::map<std::string, std::string> pages = Render(r);
    EXPECT_EQ(Names(pages), expected);
    // Each page is about its own type, named in full (escaped).
    EXPECT_NE(pages["duplicate_a_b_2.html"].find(
                  "<h2>Duplicate a?b instances</h2>"),
              std::string::npos);
    EXPECT_NE(pages["duplicate_my_mod._Weird__x.html"].find(
                  "<h2>Duplicate my mod.&lt;Weird&gt;/x instances</h2>"),
              std::string::npos);
    // The navigation links them all.
    EXPECT_NE(pages["types_by_memory_usage.html"].find(
                  "<a href=\"duplicate_a_b_2.html\">a?b</a>"),
              std::string::npos);
}

TEST(ReportHtml, LongTypeNamesMakeShortFileNames) {
    Recording r;
    FillHeader(&r);
    std::string long_name(1000, 'x');
    for (uint64_t id = 1; id <= 3; id++) {
        const mi_model_type *t = r.Type(id, long_name, "<class>", id);
        r.Summary(t, {r.Duplicate(t, "1", 28, 2)});
    }
    r.Finish();
    std::set<std::string> expected = kFixedPages;
    std::string base = "duplicate_" + std::string(200, 'x');
    expected.insert(base + ".html");
    expected.insert(base + "_2.html");
    expected.insert(base + "_3.html");
    EXPECT_EQ(Names(Render(r)), expected);
}

TEST(ReportHtml, EscapesEveryStringFromTheRecording) {
    Recording r;
    FillHeader(&r);
    const std::string script = "<script>alert(1)</script>";
    const std::string escaped_script =
        "&lt;script&gt;alert(1)&lt;/script&gt;";
    const std::string nasty = "we\"ird&'<b>";
    const std::string escaped_nasty = "we&quot;ird&amp;&#x27;&lt;b&gt;";

    r.model.argv = r.Strs({"python", script});
    r.model.n_argv = 2;
    r.model.loaded_modules = r.Strs({"sys", script});
    r.model.n_loaded_modules = 2;
    r.model.python_version = r.Str(script);
    r.model.complete = false;
    r.model.incomplete_reason = r.Str(script);
    r.model.has_imports = true;
    r.model.failed_imports = r.Strs({script});
    r.model.n_failed_imports = 1;

    mi_model_type *t = r.Type(1, nasty, "<class '" + script + "'>", 0x10);
    mi_model_type_stats *s = r.Stats(t, 2, 100);
    s->addresses = r.Addresses(0x1000, 2);
    s->n_addresses = 2;
    // Short: whole in the cell; long: cut in the cell, whole in details.
    mi_model_duplicate *short_dup = r.Duplicate(t, script, 50, 2);
    mi_model_duplicate *long_dup = r.Duplicate(
        t, "'" + script + script + script + "'", 100, 2);
    r.Summary(t, {long_dup, short_dup});
    const mi_model_type *u = r.Type(2, nasty + "2", script, 0x20);
    r.uninstantiated_ = {u};
    r.SlotsRow(true, t, 2, 500, {{script, 1}});
    r.SlotsRow(false, u, 0, 200, {{script, 0}});
    r.Finish();

    std::map<std::string, std::string> pages = Render(r);
    ASSERT_EQ(pages.size(), 4u);
    ASSERT_EQ(pages.count("duplicate_we_ird___b_.html"), 1u);
    for (const auto &p : pages) {
        const std::string &html = p.second;
        EXPECT_EQ(html.find("<script"), std::string::npos) << p.first;
        EXPECT_EQ(html.find(nasty), std::string::npos) << p.first;
        EXPECT_EQ(html.find("<b>"), std::string::npos) << p.first;
        EXPECT_NE(html.find(escaped_nasty), std::string::npos) << p.first;
        // argv, the modules, the version and the reason.
        EXPECT_GE(Count(html, escaped_script), 4u) << p.first;
        EXPECT_NE(html.find("<p class=\"banner\">INCOMPLETE: " +
                            escaped_script + "</p>"),
                  std::string::npos)
            << p.first;
        EXPECT_NE(html.find("Command line: <code>python &#x27;" +
                            escaped_script + "&#x27;</code>"),
                  std::string::npos)
            << p.first;
    }
    const std::string &dup = pages["duplicate_we_ird___b_.html"];
    EXPECT_NE(dup.find("<td>" + escaped_script + "</td>"), std::string::npos);
    EXPECT_NE(dup.find("<div class=\"details\">&#x27;" + escaped_script +
                       escaped_script + escaped_script + "&#x27;</div>"),
              std::string::npos);
    EXPECT_NE(dup.find("<th>" + escaped_nasty + "</th>"), std::string::npos);
    EXPECT_NE(pages["uninstantiated_types.html"].find(
                  "<summary>" + escaped_nasty + "2</summary>"
                  "<div class=\"details\">" + escaped_script + " at 0x20"),
              std::string::npos);
    EXPECT_NE(pages["classes_lacking_slots.html"].find(
                  escaped_script + " (in 50.0% of instances)"),
              std::string::npos);
}

TEST(ReportHtml, ReplacesInvalidUtf8) {
    Recording r;
    FillHeader(&r);
    r.model.argv = r.Strs({"python\xC3"});
    r.model.n_argv = 1;
    const mi_model_type *t = r.Type(1, "by\xFFtes", "<class 'by\xFFtes'>", 1);
    mi_model_type_stats *s = r.Stats(t, 2, 10);
    s->addresses = r.Addresses(0x1000, 2);
    s->n_addresses = 2;
    // A stray continuation byte, a truncated sequence, an overlong '/', a
    // surrogate, a control character, then valid text.
    mi_model_duplicate *d = r.Duplicate(
        t, "'\x80 \xE2\x82 \xC0\xAF \xED\xA0\x80 \x1B ok \xE2\x82\xAC'", 10,
        2);
    r.Summary(t, {d});
    r.Finish();

    std::map<std::string, std::string> pages = Render(r);
    ASSERT_EQ(pages.count("duplicate_by_tes.html"), 1u);
    const std::string fffd = "\xEF\xBF\xBD";
    for (const auto &p : pages) {
        EXPECT_TRUE(ValidUtf8(p.second)) << p.first;
        // Not plain ASCII: quoted, as shlex.quote does.
        EXPECT_NE(p.second.find("<code>&#x27;python" + fffd +
                                "&#x27;</code>"),
                  std::string::npos)
            << p.first;
    }
    // One U+FFFD per maximal ill-formed subsequence (the overlong form and
    // the surrogate are two each).
    EXPECT_NE(pages["duplicate_by_tes.html"].find(
                  "<td>&#x27;" + fffd + " " + fffd + " " + fffd + fffd + " " +
                  fffd + fffd + fffd + " " + fffd + " ok \xE2\x82\xAC&#x27;" +
                  "</td>"),
              std::string::npos)
        << pages["duplicate_by_tes.html"];
    EXPECT_NE(pages["types_by_memory_usage.html"].find(
                  "<summary>by" + fffd + "tes</summary>"),
              std::string::npos);
}

TEST(ReportHtml, CutsReprsAtFortyCharacters) {
    Recording r;
    FillHeader(&r);
    const mi_model_type *t = r.Type(1, "str", "<class 'str'>", 1);
    std::string forty = "'" + std::string(38, 'a') + "'";
    // 41 characters, 44 bytes: the cut counts characters.
    std::string forty_one = "'" + std::string(35, 'b') +
                            "\xC3\xA9\xC3\xA9\xC3\xA9" + "'" + "c";
    mi_model_duplicate *a = r.Duplicate(t, forty, 10, 2);
    mi_model_duplicate *b = r.Duplicate(t, forty_one, 10, 2);
    r.Summary(t, {a, b});
    r.Finish();
    std::string page = Render(r)["duplicate_str.html"];
    EXPECT_NE(page.find("<td>&#x27;" + std::string(38, 'a') + "&#x27;</td>"),
              std::string::npos);
    EXPECT_NE(page.find("<summary>&#x27;" + std::string(35, 'b') +
                        "\xC3\xA9\xC3\xA9\xC3\xA9\xE2\x80\xA6</summary>"
                        "<div class=\"details\">&#x27;" +
                        std::string(35, 'b') +
                        "\xC3\xA9\xC3\xA9\xC3\xA9&#x27;c</div>"),
              std::string::npos)
        << page;
    // Strings say how many copies are interned.
    EXPECT_EQ(Count(page, "interned: 0<br><br>refcounts:"), 2u);
}

TEST(ReportHtml, IncompleteRecordingShowsBannerOnEveryPage) {
    Recording r;
    FillSample(&r);
    r.model.complete = false;
    r.model.incomplete_reason = r.Str("no END record: the stream was cut");
    r.inventory.limit_reached = true;
    r.inventory.pending = 1234;
    std::map<std::string, std::string> pages = Render(r);
    ASSERT_EQ(pages.size(), 5u);
    for (const auto &p : pages) {
        EXPECT_NE(p.second.find("<p class=\"banner\">INCOMPLETE: no END "
                                "record: the stream was cut</p>"),
                  std::string::npos)
            << p.first;
        EXPECT_NE(p.second.find("OBJECTS LIMIT REACHED: the walk stopped at "
                                "10_000_000 objects with 1_234 left"),
                  std::string::npos)
            << p.first;
    }

    r.model.incomplete_reason = nullptr;
    for (const auto &p : Render(r)) {
        EXPECT_NE(p.second.find("INCOMPLETE: unknown reason"),
                  std::string::npos);
    }
}

TEST(ReportHtml, NoDuplicatesNoDuplicatePage) {
    Recording r;
    FillHeader(&r);
    const mi_model_type *t = r.Type(1, "int", "<class 'int'>", 1);
    r.Summary(t, {});
    r.Finish();
    std::map<std::string, std::string> pages = Render(r);
    EXPECT_EQ(Names(pages), kFixedPages);
    for (const auto &p : pages) {
        EXPECT_NE(p.second.find("Duplicates: none</nav>"), std::string::npos);
    }
    EXPECT_NE(pages["types_by_memory_usage.html"].find(
                  "<p>None found.</p>"),
              std::string::npos);
    EXPECT_NE(pages["uninstantiated_types.html"].find("<p>None found.</p>"),
              std::string::npos);
    EXPECT_EQ(Count(pages["classes_lacking_slots.html"], "<p>None found.</p>"),
              2u);

    // Nothing at all: no summary row either.
    Recording empty;
    empty.model.has_header = false;
    empty.analysis.inventory = nullptr;
    empty.Finish();
    pages = Render(empty);
    EXPECT_EQ(Names(pages), kFixedPages);
    EXPECT_NE(pages["types_by_memory_usage.html"].find(
                  "Python version: unknown<br>\nDate: unknown<br>\n"
                  "Process ID: unknown<br>\nCommand line: <code></code>"),
              std::string::npos);
}

TEST(ReportHtml, Python312HasNoStaticAttributes) {
    Recording r;
    FillHeader(&r);
    r.model.python_version = r.Str("3.12.9 (main) [GCC]");
    r.Finish();
    EXPECT_NE(Render(r)["classes_lacking_slots.html"].find(
                  "<p>None found (requires Python \xE2\x89\xA5 3.13).</p>"),
              std::string::npos);
}

TEST(ReportHtml, FormatsLargeNumbers) {
    Recording r;
    FillHeader(&r);
    const mi_model_type *t = r.Type(1, "bytes", "<class 'bytes'>", 1);
    mi_model_type_stats *s = r.Stats(t, 1000, UINT64_MAX);
    s->refcounts = r.Counts({{1234567, 1000}});
    s->n_refcounts = 1;
    r.Finish();
    std::string page = Render(r)["types_by_memory_usage.html"];
    EXPECT_NE(page.find("<td>18_446_744_073_709_551_615 B</td>"
                        "<td><details name=\"t1c3\"><summary>1_000</summary>"),
              std::string::npos)
        << page;
    EXPECT_NE(page.find("1_234_567 (1_000\xC3\x97)"), std::string::npos);
    EXPECT_NE(page.find("<td>18_446_744_073_709_551 B</td>"),
              std::string::npos);
}

TEST(ReportHtml, WritePageToStream) {
    Recording r;
    FillSample(&r);
    char *buf = nullptr;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    ASSERT_NE(out, nullptr);
    EXPECT_EQ(mi_report_html_write_page(out, &r.model, &r.analysis,
                                        "duplicate_str.html"),
              0);
    fclose(out);
    std::string page(buf, size);
    free(buf);
    EXPECT_EQ(page, Render(r)["duplicate_str.html"]);

    out = std::fopen("/dev/null", "w");
    ASSERT_NE(out, nullptr);
    errno = 0;
    EXPECT_EQ(mi_report_html_write_page(out, &r.model, &r.analysis,
                                        "duplicate_complex.html"),
              -1);
    EXPECT_EQ(errno, ENOENT);
    fclose(out);
}

TEST(ReportHtml, ReportsErrorsAndRefusesSymlinks) {
    Recording r;
    FillSample(&r);
    errno = 0;
    EXPECT_EQ(mi_report_html_write(&r.model, &r.analysis, -1), -1);
    EXPECT_EQ(errno, EBADF);

    TempDir dir;
    TempDir elsewhere;
    std::string target = elsewhere.path + "/victim";
    ASSERT_EQ(symlink(target.c_str(),
                      (dir.path + "/types_by_memory_usage.html").c_str()),
              0);
    errno = 0;
    EXPECT_EQ(mi_report_html_write(&r.model, &r.analysis, dir.fd), -1);
    EXPECT_EQ(errno, ELOOP);
    EXPECT_TRUE(elsewhere.Files().empty());

    // A full device: the page that could not be written is removed.
    struct stat st;
    if (stat("/dev/full", &st) == 0) {
        FILE *full = std::fopen("/dev/full", "w");
        if (full == nullptr) {
            return;
        }
        errno = 0;
        EXPECT_EQ(mi_report_html_write_page(full, &r.model, &r.analysis,
                                            "types_by_memory_usage.html"),
                  -1);
        EXPECT_EQ(errno, ENOSPC);
        fclose(full);
    }
}

TEST(ReportHtml, CreatesPrivateFiles) {
    Recording r;
    FillSample(&r);
    TempDir dir;
    mode_t old = umask(0);
    ASSERT_EQ(mi_report_html_write(&r.model, &r.analysis, dir.fd), 0);
    umask(old);
    for (const std::string &name : dir.Files()) {
        struct stat st;
        ASSERT_EQ(fstatat(dir.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW), 0);
        EXPECT_TRUE(S_ISREG(st.st_mode)) << name;
        EXPECT_EQ(st.st_mode & 07777, 0600u) << name;
    }
}

}  // namespace
