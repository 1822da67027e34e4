// Tests of native/collector/report_imports_html.{h,c}: imports.html,
// rendered from a model and an import tree built here by hand (not by
// mi_import_tree_build, so that the page is tested on its own).
//
// The page of the sample tree is compared byte for byte with
// tests/native/golden/imports/imports.html. To write it anew after a
// deliberate change, build the test and run its binary with
// MI_UPDATE_GOLDEN set to that directory, from the workspace:
//   MI_UPDATE_GOLDEN=$PWD/tests/native/golden/imports
//   bazel-bin/tests/native/collector_imports_html_test
// (one command line), then read the diff.

#include "native/collector/report_imports_html.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "native/collector/format.h"
#include "native/records.h"

namespace {

// Owns everything the model and the tree point to. Deques keep their
// elements in place; the vectors the model points to are filled first
// and pointed to by Finish().
class Sample {
  public:
    Sample() {
        std::memset(&model, 0, sizeof(model));
        std::memset(&tree, 0, sizeof(tree));
        model.has_header = true;
        model.version = 1;
        model.python_version = Str("3.13.0");
        model.pid = 4242;
        model.wall_clock = 1700000000.0;
        model.complete = true;
    }
    Sample(const Sample &) = delete;
    Sample &operator=(const Sample &) = delete;

    char *Str(const std::string &s) {
        strings_.push_back(s);
        return &strings_.back()[0];
    }

    void Type(uint64_t id, const std::string &name) {
        mi_model_type t;
        std::memset(&t, 0, sizeof(t));
        t.id = id;
        t.name = Str(name);
        t.repr = Str("<class '" + name + "'>");
        t.address = 0x1000 * id;
        types_.push_back(t);
    }

    // The INVENTORY of `scope`; its objects and bytes are its stats'.
    mi_model_inventory *Inventory(uint64_t scope) {
        inventories_.emplace_back();
        mi_model_inventory *inv = &inventories_.back();
        std::memset(inv, 0, sizeof(*inv));
        inv->scope = scope;
        return inv;
    }

    void Stats(mi_model_inventory *inv, uint64_t type_id, uint64_t instances,
               uint64_t bytes, uint64_t dict_bytes = 0,
               std::vector<std::pair<std::string, uint64_t>> names = {}) {
        std::vector<mi_model_type_stats> &v = stats_[inv];
        mi_model_type_stats s;
        std::memset(&s, 0, sizeof(s));
        s.type_id = type_id;
        s.instances = instances;
        s.bytes = bytes;
        s.dict_instances = dict_bytes > 0 ? instances : 0;
        s.dict_bytes = dict_bytes;
        if (!names.empty()) {
            std::vector<mi_name_count> n;
            for (const auto &p : names) {
                n.push_back({Str(p.first), p.second});
            }
            name_lists_.push_back(std::move(n));
            s.attribute_names = name_lists_.back().data();
            s.n_attribute_names = names.size();
        }
        v.push_back(s);
        inv->objects += instances;
        inv->bytes += bytes;
    }

    void Duplicate(mi_model_inventory *inv, uint64_t type_id,
                   const std::string &repr, uint64_t size, uint64_t copies) {
        mi_model_duplicate d;
        std::memset(&d, 0, sizeof(d));
        d.type_id = type_id;
        d.repr = Str(repr);
        d.size = size;
        d.copies = copies;
        duplicates_[inv].push_back(d);
        duplicate_ids_[inv].push_back(type_id);
    }

    size_t Node(const std::string &name, uint64_t module_id, size_t parent,
                uint64_t self_objects, uint64_t self_bytes,
                double total_seconds, double self_seconds,
                uint64_t status = MI_IMPORT_OK, const char *error = nullptr) {
        mi_import_node n;
        std::memset(&n, 0, sizeof(n));
        n.module_id = module_id;
        n.name = Str(name);
        n.thread_id = 1;
        n.total_seconds = total_seconds;
        n.self_seconds = self_seconds;
        n.find_seconds = 0.0001;
        n.status = status;
        n.error = error != nullptr ? Str(error) : nullptr;
        n.walked_objects = n.self_objects = n.cumulative_objects =
            self_objects;
        n.walked_bytes = n.self_bytes = n.cumulative_bytes = self_bytes;
        n.parent = parent;
        nodes_.push_back(n);
        return nodes_.size() - 1;
    }

    // Children in the order given; cumulative figures and depths from
    // them (every child must be added before its parent, as they end).
    void Children(size_t parent, const std::vector<size_t> &children) {
        children_.push_back(children);
        mi_import_node &p = nodes_[parent];
        p.children = children_.back().data();
        p.n_children = children.size();
        for (size_t c : children) {
            p.cumulative_objects += nodes_[c].cumulative_objects;
            p.cumulative_bytes += nodes_[c].cumulative_bytes;
        }
    }

    void Finish(const std::vector<size_t> &roots) {
        roots_ = roots;
        for (size_t i = 0; i < nodes_.size(); i++) {
            unsigned depth = 0;
            for (size_t p = nodes_[i].parent; p != MI_IMPORT_NO_PARENT;
                 p = nodes_[p].parent) {
                depth++;
            }
            nodes_[i].depth = depth;
        }
        for (size_t i = 0; i < nodes_.size(); i++) {
            by_self_.push_back(i);
            by_cumulative_.push_back(i);
        }
        std::stable_sort(by_self_.begin(), by_self_.end(),
                         [this](size_t a, size_t b) {
                             return nodes_[a].self_bytes > nodes_[b].self_bytes;
                         });
        std::stable_sort(by_cumulative_.begin(), by_cumulative_.end(),
                         [this](size_t a, size_t b) {
                             return nodes_[a].cumulative_bytes >
                                    nodes_[b].cumulative_bytes;
                         });
        tree.nodes = nodes_.data();
        tree.n_nodes = nodes_.size();
        tree.roots = roots_.data();
        tree.n_roots = roots_.size();
        tree.by_self_bytes = by_self_.data();
        tree.by_cumulative_bytes = by_cumulative_.data();
        tree.import_seconds = 0;
        for (size_t r : roots_) {
            tree.import_seconds += nodes_[r].total_seconds;
        }

        for (mi_model_inventory &inv : inventories_) {
            std::vector<mi_model_type_stats> &s = stats_[&inv];
            inv.type_stats = s.data();
            inv.n_type_stats = s.size();
            std::vector<mi_model_duplicate> &d = duplicates_[&inv];
            inv.duplicates = d.data();
            inv.n_duplicates = d.size();
            std::vector<uint64_t> &ids = duplicate_ids_[&inv];
            inv.duplicate_type_ids = ids.data();
            inv.n_duplicate_type_ids = ids.size();
        }
        // The model's inventories: copied into one array, as it keeps them.
        inventory_array_.assign(inventories_.begin(), inventories_.end());
        model.inventories = inventory_array_.data();
        model.n_inventories = inventory_array_.size();
        model.types = types_.data();
        model.n_types = types_.size();
    }

    mi_model model;
    mi_import_tree tree;

  private:
    std::deque<std::string> strings_;
    std::vector<mi_model_type> types_;
    std::deque<mi_model_inventory> inventories_;
    std::vector<mi_model_inventory> inventory_array_;
    std::map<mi_model_inventory *, std::vector<mi_model_type_stats>> stats_;
    std::map<mi_model_inventory *, std::vector<mi_model_duplicate>>
        duplicates_;
    std::map<mi_model_inventory *, std::vector<uint64_t>> duplicate_ids_;
    std::deque<std::vector<mi_name_count>> name_lists_;
    std::vector<mi_import_node> nodes_;
    std::deque<std::vector<size_t>> children_;
    std::vector<size_t> roots_, by_self_, by_cumulative_;
};

const char kHostileName[] = "<script>alert(1)</script>";
const char kHostileError[] =
    "ImportError: </title><script>alert(2)</script>";

// app (app.config, json (json.decoder)), a hostile failed import and a
// module that was not found: 10_000 bytes in all.
void FillSample(Sample *s) {
    s->Type(1, "dict");
    s->Type(2, "str");
    s->Type(3, "function");
    s->Type(4, "Config");
    s->Type(5, "<img src=x onerror=alert(3)>");

    mi_model_inventory *app = s->Inventory(1);
    s->Stats(app, 1, 10, 2000);
    s->Stats(app, 4, 5, 560, 1160, {{"host", 5}, {"port", 5}});
    mi_model_inventory *config = s->Inventory(2);
    s->Stats(config, 2, 40, 2400);
    s->Duplicate(config, 2, "'localhost'", 60, 3);
    s->Stats(s->Inventory(3), 3, 20, 3000);
    mi_model_inventory *decoder = s->Inventory(4);
    s->Stats(decoder, 1, 3, 700);
    s->Stats(decoder, 5, 1, 100);
    s->Inventory(6);

    size_t n = MI_IMPORT_NO_PARENT;
    // In the order they ended; parents are fixed below.
    size_t config_node = s->Node("app.config", 2, 3, 40, 2400, 0.002, 0.002);
    size_t decoder_node = s->Node("json.decoder", 4, 2, 4, 800, 0.003,
                                  0.003);
    size_t json_node = s->Node("json", 3, 3, 20, 3000, 0.005, 0.002);
    size_t app_node = s->Node("app", 1, n, 15, 2560, 0.012, 0.005);
    size_t hostile = s->Node(kHostileName, 5, n, 3, 1240, 0.001, 0.001,
                             MI_IMPORT_FAILED, kHostileError);
    size_t missing = s->Node("missing_mod", 6, n, 0, 0, 0.0004, 0.0004,
                             MI_IMPORT_NOT_FOUND);
    s->Children(json_node, {decoder_node});
    s->Children(app_node, {config_node, json_node});
    s->Finish({app_node, hostile, missing});
    s->tree.has_baseline = true;
    s->tree.baseline_objects = 1000;
    s->tree.baseline_bytes = 150000;
    s->tree.has_unattributed = true;
    s->tree.unattributed_objects = 7;
    s->tree.unattributed_bytes = 900;
    s->tree.n_failed = 1;
    s->tree.n_not_found = 1;
}

std::string Render(const Sample &s) {
    char *buffer = nullptr;
    size_t size = 0;
    FILE *out = open_memstream(&buffer, &size);
    EXPECT_NE(out, nullptr);
    EXPECT_EQ(mi_report_imports_html_write_stream(out, &s.model, &s.tree),
              0);
    std::fclose(out);
    std::string page(buffer, size);
    std::free(buffer);
    return page;
}

size_t Count(const std::string &haystack, const std::string &needle) {
    size_t n = 0;
    for (size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + 1)) {
        n++;
    }
    return n;
}

// The <g> element of node `i`, up to its closing tag.
std::string NodeElement(const std::string &page, size_t i) {
    std::string id = "id=\"n" + std::to_string(i) + "\"";
    size_t at = page.find(id);
    if (at == std::string::npos) {
        return "";
    }
    size_t start = page.rfind("<g ", at);
    size_t end = page.find("</g>", at);
    return page.substr(start, end + 4 - start);
}

// The value of attribute `name` of the first element <`tag` ...> in
// `text` ("" when there is none). No std::regex: GCC 12 warns about it
// under the sanitizers.
std::string Attribute(const std::string &text, const std::string &tag,
                      const std::string &name) {
    size_t start = text.find("<" + tag + " ");
    if (start == std::string::npos) {
        return "";
    }
    size_t end = text.find('>', start);
    std::string element = text.substr(start, end - start);
    size_t at = element.find(" " + name + "=\"");
    if (at == std::string::npos) {
        return "";
    }
    at += name.size() + 3;
    return element.substr(at, element.find('"', at) - at);
}

double RectAttribute(const std::string &element, const std::string &name) {
    std::string value = Attribute(element, "rect", name);
    return value.empty() ? -1 : std::stod(value);
}

std::string Label(const std::string &element) {
    size_t start = element.find("<text ");
    start = element.find('>', start) + 1;
    return element.substr(start, element.find("</text>") - start);
}

class TempDir {
  public:
    TempDir() {
        char templ[] = "/tmp/imports_html_test_XXXXXX";
        char *made = mkdtemp(templ);
        EXPECT_NE(made, nullptr);
        path = made != nullptr ? made : "";
        fd = open(path.c_str(), O_RDONLY | O_DIRECTORY);
    }
    ~TempDir() {
        DIR *d = opendir(path.c_str());
        if (d != nullptr) {
            while (struct dirent *e = readdir(d)) {
                if (std::strcmp(e->d_name, ".") != 0 &&
                    std::strcmp(e->d_name, "..") != 0) {
                    unlinkat(fd, e->d_name, 0);
                }
            }
            closedir(d);
        }
        close(fd);
        rmdir(path.c_str());
    }
    std::string path;
    int fd;
};

std::string ReadFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(ImportsHtml, WritesOnePrivateSelfContainedFile) {
    Sample s;
    FillSample(&s);
    TempDir dir;
    mode_t old = umask(0);
    ASSERT_EQ(mi_report_imports_html_write(&s.model, &s.tree, dir.fd), 0);
    umask(old);
    struct stat st;
    ASSERT_EQ(fstatat(dir.fd, "imports.html", &st, AT_SYMLINK_NOFOLLOW), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0600u);

    std::string page = ReadFile(dir.path + "/imports.html");
    EXPECT_EQ(page, Render(s));
    EXPECT_EQ(page.rfind("<!DOCTYPE html>\n", 0), 0u);
    EXPECT_NE(page.find("Content-Security-Policy\" content=\"default-src "
                        "&#x27;none&#x27;"),
              std::string::npos);
    // Nothing fetched: no source, stylesheet, import or URL in the page
    // (the only links are to its own fragments).
    for (const char *fetch : {" src=", "<link", "@import", "url(", "http:",
                              "https:", "//cdn"}) {
        if (std::string(fetch) == " src=") {
            // The hostile type name contains " src=", escaped as text.
            EXPECT_EQ(Count(page, fetch), Count(page, "&lt;img src=x"))
                << fetch;
            continue;
        }
        EXPECT_EQ(page.find(fetch), std::string::npos) << fetch;
    }
    size_t links = 0;
    for (size_t at = page.find(" href=\""); at != std::string::npos;
         at = page.find(" href=\"", at + 1)) {
        EXPECT_EQ(page[at + 7], '#') << page.substr(at, 40);
        links++;
    }
    EXPECT_EQ(links, 1u);       // the panel's link to an import's table
    // The markers the browser test reads.
    EXPECT_NE(page.find("dataset.chart = 'drawn'"), std::string::npos);
    EXPECT_NE(page.find("window.onerror"), std::string::npos);
    EXPECT_LT(page.find("window.onerror"), page.find("<svg"));
}

TEST(ImportsHtml, MatchesGoldenPage) {
    Sample s;
    FillSample(&s);
    std::string page = Render(s);
    const char *update = std::getenv("MI_UPDATE_GOLDEN");
    if (update != nullptr && *update != '\0') {
        std::ofstream out(std::string(update) + "/imports.html",
                          std::ios::binary | std::ios::trunc);
        out << page;
        ASSERT_TRUE(out.good()) << update;
        GTEST_SKIP() << "golden page written to " << update;
    }
    const char *srcdir = std::getenv("TEST_SRCDIR");
    const char *workspace = std::getenv("TEST_WORKSPACE");
    ASSERT_NE(srcdir, nullptr) << "run me with bazel test";
    ASSERT_NE(workspace, nullptr);
    std::string golden = std::string(srcdir) + "/" + workspace +
                         "/tests/native/golden/imports/imports.html";
    std::string expected = ReadFile(golden);
    EXPECT_FALSE(expected.empty()) << "no golden " << golden;
    EXPECT_TRUE(page == expected) << "differs from " << golden
                                  << "; rendered:\n" << page;
}

TEST(ImportsHtml, EscapesHostileStrings) {
    Sample s;
    FillSample(&s);
    std::string page = Render(s);
    // Our two scripts, no third.
    EXPECT_EQ(Count(page, "<script>"), 2u);
    EXPECT_EQ(Count(page, "</script>"), 2u);
    EXPECT_EQ(page.find("<img"), std::string::npos);
    EXPECT_EQ(Count(page, "</title>"), 1u + s.tree.n_nodes + 1u);
    EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"),
              std::string::npos);
    EXPECT_NE(page.find("ImportError: &lt;/title&gt;&lt;script&gt;alert(2)"
                        "&lt;/script&gt;"),
              std::string::npos);
    EXPECT_NE(page.find("&lt;img src=x onerror=alert(3)&gt;"),
              std::string::npos);
}

TEST(ImportsHtml, ReplacesIllFormedUtf8AndControls) {
    Sample s;
    FillSample(&s);
    s.tree.nodes[5].name = s.Str("bad\xff\x01name\"'&");
    std::string page = Render(s);
    EXPECT_NE(page.find("bad\xEF\xBF\xBD\xEF\xBF\xBDname&quot;&#x27;&amp;"),
              std::string::npos);
    EXPECT_EQ(page.find("\xff"), std::string::npos);
    EXPECT_EQ(page.find('\x01'), std::string::npos);
}

TEST(ImportsHtml, OneChartElementPerNodeWidthsProportional) {
    Sample s;
    FillSample(&s);
    std::string page = Render(s);
    EXPECT_EQ(Count(page, "<g class=\"node"), s.tree.n_nodes);
    EXPECT_EQ(Count(page, "<g class=\"node failed\""), 2u);
    EXPECT_EQ(Count(page, "<g class=\"all\""), 1u);
    for (size_t i = 0; i < s.tree.n_nodes; i++) {
        EXPECT_EQ(Count(page, "id=\"n" + std::to_string(i) + "\""), 1u)
            << i;
    }
    // 10_000 bytes over 1200 units: app 8_760, its children from its
    // left edge in the order they ended, json.decoder under json.
    struct Expected {
        size_t node;
        double x, width, y;
    } expected[] = {
        {3, 0, 1051.2, 20},   {0, 0, 288, 40},    {2, 288, 456, 40},
        {1, 288, 96, 60},     {4, 1051.2, 148.8, 20}, {5, 1200, 0, 20},
    };
    for (const Expected &e : expected) {
        std::string g = NodeElement(page, e.node);
        ASSERT_FALSE(g.empty()) << e.node;
        EXPECT_DOUBLE_EQ(RectAttribute(g, "x"), e.x) << g;
        EXPECT_DOUBLE_EQ(RectAttribute(g, "width"), e.width) << g;
        EXPECT_DOUBLE_EQ(RectAttribute(g, "y"), e.y) << g;
    }
    // Parents first: the drawing order.
    EXPECT_LT(page.find("id=\"n3\""), page.find("id=\"n0\""));
    EXPECT_LT(page.find("id=\"n0\""), page.find("id=\"n2\""));
    EXPECT_LT(page.find("id=\"n2\""), page.find("id=\"n1\""));
    EXPECT_LT(page.find("id=\"n1\""), page.find("id=\"n4\""));
    EXPECT_NE(NodeElement(page, 1).find("data-p=\"n2\""), std::string::npos);
    EXPECT_EQ(NodeElement(page, 3).find("data-p="), std::string::npos);
    // Four rows: the top bar and three levels.
    EXPECT_NE(page.find("viewBox=\"0 0 1200 80\""), std::string::npos);
}

TEST(ImportsHtml, LabelsFitTheirRectangles) {
    Sample s;
    FillSample(&s);
    std::string page = Render(s);
    EXPECT_EQ(Label(NodeElement(page, 3)), "app 8.6 KiB");
    EXPECT_EQ(Label(NodeElement(page, 0)), "app.config 2.3 KiB");
    // 96 units: 12 characters, the name alone.
    EXPECT_EQ(Label(NodeElement(page, 1)), "json.decoder");
    // 148.8 units: 20 characters, the name cut.
    EXPECT_EQ(Label(NodeElement(page, 4)),
              "&lt;script&gt;alert(1)&lt;/s\xE2\x80\xA6");
    EXPECT_EQ(Label(NodeElement(page, 5)), "");
}

TEST(ImportsHtml, HoverFiguresAndColoursByPackage) {
    Sample s;
    FillSample(&s);
    std::string page = Render(s);
    std::string json = NodeElement(page, 2);
    EXPECT_NE(json.find("<title>json\ncumulative: 3_800 B in 24 objects\n"
                        "self: 3_000 B in 20 objects (found after the "
                        "import)\ntime: 5.00 ms cumulative, 2.00 ms self "
                        "(finding it: 0.10 ms)\nstatus: ok</title>"),
              std::string::npos)
        << json;
    EXPECT_NE(NodeElement(page, 5).find("status: not found</title>"),
              std::string::npos);
    // json and json.decoder share a colour, app and app.config another;
    // packages by self bytes: app (4_960), json (3_800), the hostile one.
    std::vector<std::string> fills;
    for (size_t i = 0; i < s.tree.n_nodes; i++) {
        std::string g = NodeElement(page, i);
        fills.push_back(Attribute(g, "rect", "fill"));
        ASSERT_FALSE(fills.back().empty()) << g;
    }
    EXPECT_EQ(fills[3], "#7eb0d5");
    EXPECT_EQ(fills[0], fills[3]);
    EXPECT_EQ(fills[2], "#fd7f6f");
    EXPECT_EQ(fills[1], fills[2]);
    EXPECT_EQ(fills[4], "#b2e061");
    EXPECT_NE(page.find("class=\"legend\"><li><span class=\"swatch\" "
                        "style=\"background:#7eb0d5\"></span>app <small>"
                        "(4_960 B)</small></li>"),
              std::string::npos);
}

TEST(ImportsHtml, RetainedFiguresSayWhatTheyAre) {
    Sample s;
    FillSample(&s);
    s.tree.retained = true;
    s.tree.nodes[2].has_retained = true;
    s.tree.nodes[2].walked_bytes = 3500;
    s.tree.nodes[2].walked_objects = 22;
    std::string page = Render(s);
    EXPECT_NE(NodeElement(page, 2).find(
                  "self: 3_000 B in 20 objects (still there at the end)\n"
                  "found after the import: 3_500 B in 22 objects\n"),
              std::string::npos);
    EXPECT_NE(page.find("what the final inventory still held"),
              std::string::npos);
}

TEST(ImportsHtml, OneCollapsedSectionPerImportBySelfBytes) {
    Sample s;
    FillSample(&s);
    std::string page = Render(s);
    EXPECT_EQ(Count(page, "<details id=\"m"), s.tree.n_nodes);
    EXPECT_EQ(Count(page, "<details open"), 0u);
    // json 3_000, app 2_560, app.config 2_400, hostile 1_240, json.decoder
    // 800, missing_mod 0.
    size_t last = 0;
    for (size_t i : {2, 3, 0, 4, 1, 5}) {
        size_t at = page.find("<details id=\"m" + std::to_string(i) + "\">");
        ASSERT_NE(at, std::string::npos) << i;
        EXPECT_GT(at, last) << i;
        last = at;
    }
    // app's INVENTORY by type, and Config lacking slots: 1_160 B of
    // dicts, 2 slots of 8 B on 5 instances.
    std::string app = page.substr(page.find("<details id=\"m3\">"));
    app = app.substr(0, app.find("</details>"));
    EXPECT_NE(app.find("(its INVENTORY): 15 objects, 2_560 B</h4>"),
              std::string::npos);
    EXPECT_NE(app.find("<tr><td>dict</td><td>10</td><td>2_000 B</td>"
                       "<td>200 B</td></tr>"),
              std::string::npos);
    EXPECT_NE(app.find("Classes lacking slots it added"), std::string::npos);
    EXPECT_NE(app.find("<tr><td>Config</td><td>5</td><td>1_160 B</td><td>"
                       "1_080 B</td><td>2: host, port</td></tr>"),
              std::string::npos);
    EXPECT_EQ(app.find("Duplicates it added"), std::string::npos);
    // app.config's duplicate strings.
    std::string config = page.substr(page.find("<details id=\"m0\">"));
    config = config.substr(0, config.find("</details>"));
    EXPECT_NE(config.find("<tr><td>str</td><td>1</td><td>2</td><td>120 B"
                          "</td><td><code>&#x27;localhost&#x27;</code>"),
              std::string::npos)
        << config;
    // The hostile import has no INVENTORY in the model.
    std::string hostile = page.substr(page.find("<details id=\"m4\">"));
    hostile = hostile.substr(0, hostile.find("</details>"));
    EXPECT_NE(hostile.find("no INVENTORY of this import"), std::string::npos);
    EXPECT_NE(hostile.find("<span class=\"status\">failed: ImportError: "),
              std::string::npos);
}

TEST(ImportsHtml, TotalsAndIncompleteBanner) {
    Sample s;
    FillSample(&s);
    std::string page = Render(s);
    EXPECT_EQ(page.find("INCOMPLETE"), std::string::npos);
    EXPECT_NE(page.find("<tr><td>baseline (before tracing began)</td><td>"
                        "1_000</td><td>150_000 B</td></tr>"),
              std::string::npos);
    EXPECT_NE(page.find("<tr><td>imports (the chart&#x27;s top bar)</td>"
                        "<td>82</td><td>10_000 B</td></tr>"),
              std::string::npos);
    EXPECT_NE(page.find("<tr><td>final inventory</td><td>unknown</td><td>"
                        "unknown</td></tr>"),
              std::string::npos);
    EXPECT_NE(page.find("<p class=\"lead\">6 imports (1 failed, 1 not found)"
                        ", 10_000 B in 13.40 ms;"),
              std::string::npos);
    EXPECT_EQ(page.find("modules without an IMPORT"), std::string::npos);
    EXPECT_EQ(page.find("WARNING"), std::string::npos);
    // RETAINED records of modules no IMPORT has, and RETAINED records
    // that do not add up to the final inventory.
    s.tree.orphan_retained_objects = 3;
    s.tree.orphan_retained_bytes = 330;
    s.tree.retained = true;
    s.tree.has_final = true;
    s.tree.final_objects = 1100;
    s.tree.final_bytes = 161000;
    s.tree.retained_total_objects = 1092;
    s.tree.retained_total_bytes = 161230;
    page = Render(s);
    EXPECT_NE(page.find("<tr><td>modules without an IMPORT</td><td>3</td>"
                        "<td>330 B</td></tr>"),
              std::string::npos);
    EXPECT_NE(page.find("<p class=\"banner\">WARNING: the RETAINED records"
                        " add up to 161_230 B in 1_092 objects, but the "
                        "final inventory holds 161_000 B in 1_100 objects"),
              std::string::npos);
    s.tree.retained_adds_up = true;
    EXPECT_EQ(Render(s).find("WARNING"), std::string::npos);

    s.model.complete = false;
    s.model.incomplete_reason = s.Str("truncated <at> byte 12");
    page = Render(s);
    EXPECT_NE(page.find("<p class=\"banner\">INCOMPLETE: truncated &lt;at"
                        "&gt; byte 12</p>"),
              std::string::npos);
    EXPECT_LT(page.find("INCOMPLETE"), page.find("<svg"));
}

TEST(ImportsHtml, SurvivesInconsistentTrees) {
    Sample s;
    FillSample(&s);
    // A child out of range, a child listed twice, a child wider than its
    // parent, a root listed twice.
    std::vector<size_t> children = {0, 99, 0, 2};
    s.tree.nodes[3].children = children.data();
    s.tree.nodes[3].n_children = children.size();
    s.tree.nodes[2].cumulative_bytes = 1000000;
    std::vector<size_t> roots = {3, 3, 4, 5, 42};
    s.tree.roots = roots.data();
    s.tree.n_roots = roots.size();
    std::string page = Render(s);
    EXPECT_EQ(Count(page, "<g class=\"node"), s.tree.n_nodes);
    // json is cut at app's right edge.
    std::string json = NodeElement(page, 2);
    std::string app = NodeElement(page, 3);
    EXPECT_NEAR(RectAttribute(json, "x") + RectAttribute(json, "width"),
                RectAttribute(app, "x") + RectAttribute(app, "width"), 0.01);
}

TEST(ImportsHtml, NumbersAsTheOtherReportsWriteThem) {
    Sample s;
    FillSample(&s);
    const uint64_t values[] = {0, 7, 999, 1000, 123456, 1000000,
                               UINT64_MAX / 3, UINT64_MAX};
    for (uint64_t v : values) {
        s.tree.nodes[5].self_bytes = v;
        s.tree.nodes[5].self_objects = v;
        std::string page = Render(s);
        char bytes[MI_FORMAT_SIZE], count[MI_FORMAT_SIZE];
        mi_format_bytes(bytes, v);
        mi_format_uint(count, v);
        std::string expected = std::string("<b>missing_mod</b> \xE2\x80\x94"
                                           " self ") +
                               bytes + " (" + count + " objects)";
        EXPECT_NE(page.find(expected), std::string::npos) << expected;
    }
    // Sums of the rows left out saturate: 15 types of UINT64_MAX / 2.
    Sample big;
    for (uint64_t id = 1; id <= 15; id++) {
        big.Type(id, "t" + std::to_string(id));
    }
    mi_model_inventory *inv = big.Inventory(1);
    for (uint64_t id = 1; id <= 15; id++) {
        big.Stats(inv, id, 1, UINT64_MAX / 2);
    }
    big.Node("huge", 1, MI_IMPORT_NO_PARENT, 15, UINT64_MAX, 0.001, 0.001);
    big.Finish({0});
    std::string page = Render(big);
    char max[MI_FORMAT_SIZE];
    mi_format_bytes(max, UINT64_MAX);
    EXPECT_NE(page.find(std::string("<tr class=\"others\"><td>3 other types"
                                    "</td><td>3</td><td>") + max),
              std::string::npos);
    EXPECT_NE(page.find(std::string("<g class=\"all\" data-s=\"16.0 EiB")),
              std::string::npos);
}

TEST(ImportsHtml, EmptyTree) {
    Sample s;
    s.Finish({});
    std::string page = Render(s);
    EXPECT_EQ(Count(page, "<g class=\"node"), 0u);
    EXPECT_NE(page.find("<g class=\"all\""), std::string::npos);
    EXPECT_NE(page.find("</html>\n"), std::string::npos);
}

TEST(ImportsHtml, ReportsErrorsAndRefusesSymlinks) {
    Sample s;
    FillSample(&s);
    errno = 0;
    EXPECT_EQ(mi_report_imports_html_write(&s.model, &s.tree, -1), -1);
    EXPECT_EQ(errno, EBADF);

    TempDir dir, elsewhere;
    std::string target = elsewhere.path + "/victim";
    ASSERT_EQ(symlink(target.c_str(), (dir.path + "/imports.html").c_str()),
              0);
    errno = 0;
    EXPECT_EQ(mi_report_imports_html_write(&s.model, &s.tree, dir.fd), -1);
    EXPECT_EQ(errno, ELOOP);
    struct stat st;
    EXPECT_NE(stat(target.c_str(), &st), 0);

    FILE *full = std::fopen("/dev/full", "w");
    if (full != nullptr) {
        errno = 0;
        EXPECT_EQ(mi_report_imports_html_write_stream(full, &s.model,
                                                      &s.tree),
                  -1);
        EXPECT_EQ(errno, ENOSPC);
        std::fclose(full);
    }
}

}  // namespace
