// Tests of the collector's text and JSON reports: the table layout of the
// original memory_inventory, number formats, the JSON writer's escaping, and
// whole reports against golden files in tests/native/golden/{text,json}/.
//
// To write the golden files anew after a deliberate change, build the
// test, then run its binary with MI_UPDATE_GOLDEN set to the golden
// directory:
//
//   bazel build //tests/native:collector_report_test
//   MI_UPDATE_GOLDEN=$PWD/tests/native/golden bazel-bin/tests/native/collector_report_test
//
// and read the differences before committing them.

#include "tests/native/collector_test_recording.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "native/collector/analysis.h"
#include "native/collector/format.h"
#include "native/collector/json_writer.h"
#include "native/collector/report_json.h"
#include "native/collector/report_text.h"
#include "native/collector/utf8.h"
}

namespace {

using mi_test::Decode;
using mi_test::InventorySpec;
using mi_test::Recording;

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

std::string Table(const std::vector<const char *> &headers,
                  const std::vector<const char *> &cells,
                  const std::vector<const char *> &totals,
                  size_t max_rows = 15) {
    size_t rows = headers.empty() ? 0 : cells.size() / headers.size();
    return Capture([&](FILE *out) {
        return mi_report_text_table(out, headers.size(), headers.data(),
                                    cells.data(), rows, totals.data(),
                                    max_rows);
    });
}

// ---- Tables ----

TEST(CollectorTextTable, EveryRowShown) {
    // Widths come from the header, rows and totals; the 'total' rule is
    // centred in them (and overflows a 4-wide column).
    EXPECT_EQ(Table({"type", "memory", "instances"},
                    {"str", "1_234_567 B", "12", "int", "28 B", "1"},
                    {"2", "1_234_595 B", "13"}),
              "\n"
              "| type |      memory | instances |\n"
              "| ---- | ----------- | --------- |\n"
              "| str  | 1_234_567 B |        12 |\n"
              "| int  |        28 B |         1 |\n"
              "| total | ........... | ......... |\n"
              "|    2 | 1_234_595 B |        13 |\n");
}

TEST(CollectorTextTable, TopRowsAndPercentages) {
    std::string table = Table({"class", "reduction", "n"},
                              {"t0", "50.0%", "0", "t1", "50.0%", "1", "t2",
                               "50.0%", "2"},
                              {"3", "NaN", "3"}, 2);
    EXPECT_EQ(table,
              "\n"
              "| class | reduction | n |\n"
              "| top 2 | --------- | - |\n"
              "| t0    |     50.0% | 0 |\n"
              "| t1    |     50.0% | 1 |\n"
              "| total | ......... | . |\n"
              "|     3 |       NaN | 3 |\n");
}

TEST(CollectorTextTable, NoRowsGivesNothing) {
    EXPECT_EQ(Table({"a"}, {}, {"0"}), "");
}

TEST(CollectorTextTable, CentringAsPythonStrCenter) {
    // 'top 15'.center(9, '-') == '--top 15-' (odd margin and width: the
    // extra on the left); 'total'.center(8, '.') == '.total..'.
    std::vector<const char *> cells;
    std::vector<std::string> names;
    for (int i = 0; i < 16; i++) {
        names.push_back("n" + std::to_string(i));
    }
    for (const auto &n : names) {
        cells.push_back(n.c_str());
    }
    std::string table = Table({"123456789"}, cells, {"16"});
    EXPECT_NE(table.find("| --top 15- |\n"), std::string::npos) << table;
    EXPECT_NE(table.find("| ..total.. |\n"), std::string::npos) << table;
    std::string eight = Table({"12345678"}, {"x"}, {"1"});
    EXPECT_NE(eight.find("| .total.. |\n"), std::string::npos) << eight;
}

TEST(CollectorTextTable, WidthsCountCharactersNotBytes) {
    EXPECT_EQ(Table({"type", "n"}, {"\xc3\xa9t\xc3\xa9", "1"}, {"1", "1"}),
              "\n"
              "| type | n |\n"
              "| ---- | - |\n"
              "| \xc3\xa9t\xc3\xa9  | 1 |\n"
              "| total | . |\n"
              "|    1 | 1 |\n");
}

// ---- Numbers ----

TEST(CollectorFormat, ThousandsBytesAndPercentages) {
    char b[MI_FORMAT_SIZE];
    EXPECT_STREQ(mi_format_uint(b, 0), "0");
    EXPECT_STREQ(mi_format_uint(b, 999), "999");
    EXPECT_STREQ(mi_format_uint(b, 1000), "1_000");
    EXPECT_STREQ(mi_format_uint(b, 36401131), "36_401_131");
    EXPECT_STREQ(mi_format_uint(b, UINT64_MAX), "18_446_744_073_709_551_615");
    EXPECT_STREQ(mi_format_int(b, -1234), "-1_234");
    EXPECT_STREQ(mi_format_int(b, INT64_MIN), "-9_223_372_036_854_775_808");
    EXPECT_STREQ(mi_format_bytes(b, 7572197), "7_572_197 B");
    EXPECT_STREQ(mi_format_signed_bytes(b, -80), "-80 B");
    EXPECT_STREQ(mi_format_percent(b, 0.5), "50.0%");
    EXPECT_STREQ(mi_format_percent(b, 372928.0 / 490816.0), "76.0%");
    EXPECT_STREQ(mi_format_percent(b, 1.0), "100.0%");
    EXPECT_STREQ(mi_format_percent(b, 0.0005), "0.1%");   // as Python
    EXPECT_STREQ(mi_format_percent(b, 0.00025), "0.0%");  // half to even
    EXPECT_STREQ(mi_format_percent(b, NAN), "nan%");
    EXPECT_STREQ(mi_format_percent(b, -INFINITY), "-inf%");
}

// Percentages are formatted without printf in the reports' range: the
// same text as printf's "%.1f" (the exact binary value, rounded half to
// even), ties and near-ties included, on either side of that range too.
TEST(CollectorFormat, PercentagesAsPrintf) {
    std::vector<double> fractions = {
        0.0, -0.0, 0.00049999999999999, 0.0005, 0.0015, 0.0025, -0.0005,
        -0.00001, 0.125, 0.99995, 0.999949999, 1.0 / 3.0, 2.0 / 3.0,
        123456789.0125, 99999999999.9995, 1e11, 1e12, 1e30, 9e37, -1e13,
    };
    // Every tenth of a percent, and every half of one (the ties).
    for (int i = -2000; i <= 2000; i++) {
        fractions.push_back(i / 1000.0);
        fractions.push_back((i + 0.5) / 1000.0);
        fractions.push_back((i + 0.5) / 100000.0);
    }
    for (double fraction : fractions) {
        char expected[400];
        std::snprintf(expected, sizeof(expected), "%.1f%%",
                      fraction * 100.0);
        char b[MI_FORMAT_SIZE];
        EXPECT_STREQ(mi_format_percent(b, fraction), expected) << fraction;
    }
}

TEST(CollectorFormat, Decimal) {
    std::vector<uint64_t> values = {0, UINT64_MAX, UINT64_MAX - 1};
    for (uint64_t power = 1, i = 0; i < 20; i++, power *= 10) {
        values.insert(values.end(), {power - 1, power, power + 1});
    }
    for (int shift = 0; shift < 64; shift++) {
        values.push_back(uint64_t{1} << shift);
    }
    for (uint64_t value : values) {
        char expected[32];
        std::snprintf(expected, sizeof(expected), "%llu",
                      static_cast<unsigned long long>(value));
        char b[MI_FORMAT_DECIMAL_SIZE];
        EXPECT_EQ(mi_format_decimal(b, value), std::strlen(expected));
        EXPECT_STREQ(b, expected);
    }
}

TEST(CollectorUtf8, LengthAndReplacement) {
    EXPECT_EQ(mi_utf8_length(""), 0u);
    EXPECT_EQ(mi_utf8_length("abc"), 3u);
    EXPECT_EQ(mi_utf8_length("\xc3\xa9\xe2\x80\xa6\xf0\x9f\x98\x80"), 3u);
    // Python: b'\xe2\x82a\xff\xed\xa0\x80'.decode('utf-8', 'replace')
    // == '\ufffda\ufffd\ufffd\ufffd\ufffd'
    EXPECT_EQ(mi_utf8_length("\xe2\x82" "a\xff\xed\xa0\x80"), 6u);
    std::string written = Capture([](FILE *out) {
        return mi_utf8_write(out, "ok\xe2\x82" "a\xff\xc3\xa9");
    });
    EXPECT_EQ(written, "ok\xef\xbf\xbd" "a\xef\xbf\xbd\xc3\xa9");
}

// ---- The JSON writer ----

TEST(CollectorJson, StructureAndEscaping) {
    int rc = -1;
    std::string text = Capture(
        [](FILE *out) {
            mi_json j;
            mi_json_init(&j, out);
            mi_json_begin_object(&j);
            mi_json_key(&j, "s");
            mi_json_string(&j, "q\"b\\n\n\t\x01\x1f\x7f \xc3\xa9 \xff end");
            mi_json_key(&j, "n");
            mi_json_begin_compact_array(&j);
            mi_json_uint(&j, UINT64_MAX);
            mi_json_int(&j, INT64_MIN);
            mi_json_double(&j, 0.1);
            mi_json_double(&j, 5.0);
            mi_json_double(&j, -0.0);
            mi_json_double(&j, 1e300);
            mi_json_double(&j, 1.0 / 3.0);
            mi_json_double(&j, NAN);
            mi_json_bool(&j, true);
            mi_json_null(&j);
            mi_json_string(&j, nullptr);
            mi_json_end_array(&j);
            mi_json_key(&j, "empty");
            mi_json_begin_object(&j);
            mi_json_end_object(&j);
            mi_json_key(&j, "list");
            mi_json_begin_array(&j);
            mi_json_uint(&j, 1);
            mi_json_begin_compact_array(&j);
            mi_json_end_array(&j);
            mi_json_end_array(&j);
            mi_json_end_object(&j);
            return mi_json_finish(&j);
        },
        &rc);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(text,
              "{\n"
              "  \"s\": \"q\\\"b\\\\n\\n\\t\\u0001\\u001f\\u007f \xc3\xa9 "
              "\xef\xbf\xbd end\",\n"
              "  \"n\": [18446744073709551615, -9223372036854775808, 0.1, "
              "5.0, -0.0, 1e+300, 0.3333333333333333, null, true, null, "
              "null],\n"
              "  \"empty\": {},\n"
              "  \"list\": [\n"
              "    1,\n"
              "    []\n"
              "  ]\n"
              "}\n");
}

// A document larger than the writer's buffer, with strings longer than
// its quick path (and escapes at their ends), arrives whole and in order;
// doubles of every length take their shortest form.
TEST(CollectorJson, LargeDocument) {
    std::string expected = "[";
    std::string text = Capture([&expected](FILE *out) {
        mi_json j;
        mi_json_init(&j, out);
        mi_json_begin_compact_array(&j);
        for (int i = 0; i < 3000; i++) {
            std::string s(static_cast<size_t>(i % 700), 'a' + i % 26);
            s += i % 2 ? "\n" : "\xc3\xa9";
            mi_json_string(&j, s.c_str());
            mi_json_double(&j, i / 7.0);
            char number[40];
            for (int precision = 1; precision <= 17; precision++) {
                std::snprintf(number, sizeof(number), "%.*g", precision,
                              i / 7.0);
                if (std::strtod(number, nullptr) == i / 7.0) {
                    break;
                }
            }
            if (std::strpbrk(number, ".e") == nullptr) {
                std::strcat(number, ".0");
            }
            expected += (i > 0 ? ", \"" : "\"")
                        + s.substr(0, s.size() - (i % 2 ? 1 : 0))
                        + (i % 2 ? "\\n" : "") + "\", " + number;
        }
        mi_json_end_array(&j);
        return mi_json_finish(&j);
    });
    expected += "]\n";
    ASSERT_GT(text.size(), size_t{MI_JSON_BUFFER_SIZE} * 10);
    EXPECT_EQ(text, expected);
}

TEST(CollectorJson, MisuseIsAnError) {
    int rc = 0;
    Capture(
        [](FILE *out) {
            mi_json j;
            mi_json_init(&j, out);
            mi_json_begin_object(&j);
            return mi_json_finish(&j);     // unclosed
        },
        &rc);
    EXPECT_EQ(rc, -1);
}

// ---- Whole reports against golden files ----

std::string ReadFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Compares `actual` with tests/native/golden/<name>, or writes it there
// when MI_UPDATE_GOLDEN names the golden directory.
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

// The text and JSON reports of a recording.
struct Reports {
    std::string text;
    std::string json;
};

Reports Render(const std::string &bytes, const char *saved_dir) {
    mi_model model;
    mi_model_init(&model);
    Decode(bytes, &model);
    mi_analysis analysis;
    int built = mi_analysis_build(&model, 0, &analysis);
    EXPECT_NE(built, -1);
    Reports r;
    int rc = -1;
    r.text = Capture(
        [&](FILE *out) {
            return mi_report_text_write(out, &model,
                                        built == 0 ? &analysis : nullptr,
                                        saved_dir);
        },
        &rc);
    EXPECT_EQ(rc, 0);
    r.json = Capture([&](FILE *out) { return mi_report_json_write(out, &model); },
                     &rc);
    EXPECT_EQ(rc, 0);
    mi_analysis_free(&analysis);
    mi_model_free(&model);
    return r;
}

TEST(CollectorGolden, FullRecording) {
    Recording r;
    mi_test::FullRecording(r);
    Reports reports = Render(r.Bytes(), "/tmp/memory_inventory_Ab12Cd");
    ExpectGolden("text/full.txt", reports.text);
    ExpectGolden("json/full.json", reports.json);
}

// The summary alone is the middle of the whole report, plus a newline.
TEST(CollectorGolden, SummaryIsTheMiddleOfTheReport) {
    Recording r;
    mi_test::FullRecording(r);
    mi_model model;
    mi_model_init(&model);
    Decode(r.Bytes(), &model);
    mi_analysis analysis;
    ASSERT_EQ(mi_analysis_build(&model, 0, &analysis), 0);
    std::string summary = Capture(
        [&](FILE *out) { return mi_report_text_summary(out, &analysis); });
    std::string full = Capture([&](FILE *out) {
        return mi_report_text_write(out, &model, &analysis, nullptr);
    });
    EXPECT_NE(full.find("\n" + summary + "\nElapsed time: "),
              std::string::npos);
    EXPECT_EQ(summary.rfind("Types by intrinsic memory usage:\n", 0), 0u);
    mi_analysis_free(&analysis);
    mi_model_free(&model);
}

// Cut in the middle of a DUPLICATE; the walk stopped at its limit; no
// classes lacking slots, no duplicates: "none." lines and no empty line.
TEST(CollectorGolden, IncompleteAndLimited) {
    Recording r;
    r.Header();
    r.Process(MI_MOMENT_BEFORE, 0, 0, -1, -1, 3);
    r.Type(1, "str");
    r.Type(2, "int");
    InventorySpec inventory;
    inventory.limit_reached = true;
    inventory.pending = 17;
    inventory.objects_limit = 100;
    inventory.duplicate_type_ids = {1};
    r.Inventory(inventory);
    r.TypeStats(1, 60, 3000);
    r.TypeStats(2, 40, 1120);
    r.Uninstantiated({});
    r.Duplicate(1, "'cut'", 52, 2);
    std::string bytes = r.Bytes();
    bytes.resize(bytes.size() - 3);
    Reports reports = Render(bytes, nullptr);
    ExpectGolden("text/incomplete.txt", reports.text);
    ExpectGolden("json/incomplete.json", reports.json);
}

TEST(CollectorGolden, NoInventory) {
    Recording r;
    r.Header();
    r.Gc(1, 2, 3, 4);
    r.End();
    Reports reports = Render(r.Bytes(), nullptr);
    EXPECT_EQ(reports.text,
              "The garbage collector is tracking 1 objects and has previously "
              "deleted 2 others in 3 runs. It has found 4 uncollectable "
              "objects.\n"
              "The recording holds no inventory.\n");
    EXPECT_NE(reports.json.find("\"inventory\": null,"), std::string::npos);
}

}  // namespace
