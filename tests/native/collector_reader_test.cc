// Tests of native/collector/reader.{h,c} (and frame, model): decoding valid
// recordings exactly, in any chunking; truncation at every offset;
// corrupted bytes; and one exact message per rule of records.h.

#include "tests/native/collector_test_recording.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

extern "C" {
#include "native/collector/frame.h"
#include "native/collector/model.h"
#include "native/collector/reader.h"
}

namespace {

using mi_test::At;
using mi_test::Decode;
using mi_test::InventorySpec;
using mi_test::Reason;
using mi_test::Recording;
using mi_test::StatsSpec;

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

// ---- A valid recording, decoded exactly ----

TEST(CollectorReader, FullRecordingModelIsExact) {
    Recording r;
    mi_test::FullRecording(r);
    Model m;
    EXPECT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED);
    EXPECT_TRUE(m->complete);
    EXPECT_EQ(m->incomplete_reason, nullptr);
    EXPECT_EQ(m->records_read, r.Records());
    EXPECT_EQ(m->bytes_read, r.Size());
    EXPECT_TRUE(m->has_end);
    EXPECT_EQ(m->records_declared, r.Records() - 1);
    EXPECT_EQ(m->records_dropped, 0u);

    // HEADER
    ASSERT_TRUE(m->has_header);
    EXPECT_EQ(m->version, 1u);
    EXPECT_STREQ(m->python_version,
                 "3.13.0 (main, Oct  8 2024, 12:00:00) [GCC 12.2.0]");
    EXPECT_EQ(m->pid, 4242u);
    ASSERT_EQ(m->n_argv, 4u);
    EXPECT_STREQ(m->argv[0], "python");
    EXPECT_STREQ(m->argv[3], "json");
    EXPECT_EQ(m->wall_clock, 1700000000.25);
    EXPECT_EQ(m->monotonic_clock, 12345.5);
    ASSERT_EQ(m->n_loaded_modules, 3u);
    EXPECT_STREQ(m->loaded_modules[2], "json");

    // IMPORTS, PROCESS, GC
    ASSERT_TRUE(m->has_imports);
    EXPECT_EQ(m->imported, 596u);
    EXPECT_EQ(m->total_modules, 715u);
    ASSERT_EQ(m->n_failed_imports, 2u);
    EXPECT_STREQ(m->failed_imports[1], "winreg");
    ASSERT_TRUE(m->process_before.present);
    EXPECT_EQ(m->process_before.user_seconds, 0.1875);
    EXPECT_EQ(m->process_before.system_seconds, 0.034375);
    EXPECT_TRUE(m->process_before.rss_known);
    EXPECT_EQ(m->process_before.rss_kib, 60872u);
    EXPECT_TRUE(m->process_before.peak_known);
    EXPECT_EQ(m->process_before.peak_rss_kib, 61692u);
    EXPECT_EQ(m->process_before.threads, 1u);
    ASSERT_TRUE(m->process_after.present);
    EXPECT_EQ(m->process_after.peak_rss_kib, 62000u);
    ASSERT_TRUE(m->has_gc);
    EXPECT_EQ(m->gc_tracked, 51452u);
    EXPECT_EQ(m->gc_collected, 478u);
    EXPECT_EQ(m->gc_collections, 48u);
    EXPECT_EQ(m->gc_uncollectable, 0u);

    // TYPE
    ASSERT_EQ(m->n_types, 30u);
    const mi_model_type *point = mi_model_find_type(m.get(), 6);
    ASSERT_NE(point, nullptr);
    EXPECT_EQ(point, &m->types[5]);
    EXPECT_STREQ(point->name, "app.Point");
    EXPECT_STREQ(point->repr, "<class 'app.Point'>");
    EXPECT_EQ(point->address, UINT64_C(0x7f0000006000));
    EXPECT_EQ(point->flags, uint64_t{MI_TYPE_FLAG_HEAP});
    ASSERT_EQ(point->n_static_attributes, 3u);
    EXPECT_STREQ(point->static_attributes[2], "_Point__secret");
    EXPECT_EQ(point->static_dict_bytes, 272u);
    EXPECT_STREQ(mi_model_find_type(m.get(), 11)->name,
                 "f\xc3\xb6\xc3\xb6.\xc3\x9cn\xc3\xaf" "code");
    EXPECT_EQ(mi_model_find_type(m.get(), 31), nullptr);
    EXPECT_EQ(mi_model_find_type(m.get(), 0), nullptr);

    // INVENTORY and what belongs to it
    ASSERT_EQ(m->n_inventories, 1u);
    const mi_model_inventory *inv = mi_model_find_inventory(m.get(), 0);
    ASSERT_EQ(inv, &m->inventories[0]);
    EXPECT_EQ(mi_model_find_inventory(m.get(), 1), nullptr);
    EXPECT_EQ(inv->objects, 1234u);
    EXPECT_EQ(inv->bytes, 987654u);
    EXPECT_FALSE(inv->limit_reached);
    EXPECT_EQ(inv->pending, 0u);
    EXPECT_EQ(inv->walk_seconds, 0.03125);
    EXPECT_EQ(inv->python_sizeof_calls, 3u);
    EXPECT_EQ(inv->sizeof_fallbacks, 1u);
    EXPECT_EQ(inv->objects_limit, 10000000u);
    ASSERT_EQ(inv->n_duplicate_type_ids, 5u);
    EXPECT_EQ(inv->duplicate_type_ids[3], 10u);
    ASSERT_EQ(inv->n_type_stats, 27u);
    const mi_model_type_stats *str = &inv->type_stats[0];
    EXPECT_EQ(str->type_id, 1u);
    EXPECT_EQ(str->instances, 820u);
    EXPECT_EQ(str->bytes, 75721u);
    EXPECT_EQ(str->immortal, 20u);
    EXPECT_EQ(str->interned, 700u);
    ASSERT_EQ(str->n_refcounts, 3u);
    EXPECT_EQ(str->refcounts[2].key, 3u);
    EXPECT_EQ(str->refcounts[2].count, 100u);
    ASSERT_EQ(str->n_addresses, 10u);
    EXPECT_EQ(str->addresses[9], 0x9040u);
    const mi_model_type_stats *config = &inv->type_stats[6];
    EXPECT_EQ(config->type_id, 7u);
    EXPECT_EQ(config->dict_instances, 2u);
    EXPECT_EQ(config->dict_bytes, 104u);
    ASSERT_EQ(config->n_attribute_names, 7u);
    EXPECT_STREQ(config->attribute_names[2].name, "mode");  // as received
    EXPECT_EQ(config->attribute_names[2].count, 1u);
    ASSERT_EQ(inv->n_uninstantiated_type_ids, 2u);
    EXPECT_EQ(inv->uninstantiated_type_ids[1], 9u);
    ASSERT_EQ(inv->n_duplicates, 6u);
    const mi_model_duplicate *quoted = &inv->duplicates[0];
    EXPECT_EQ(quoted->type_id, 1u);
    EXPECT_STREQ(quoted->repr, "'a \"quoted\" line\\n'");
    EXPECT_EQ(quoted->size, 62u);
    EXPECT_EQ(quoted->copies, 3u);
    EXPECT_EQ(quoted->interned, 1u);
    ASSERT_EQ(quoted->n_refcounts, 2u);
    EXPECT_EQ(quoted->refcounts[1].key, 4u);
    ASSERT_EQ(quoted->n_addresses, 3u);
    EXPECT_STREQ(inv->duplicates[5].repr, "('x', 'y')");
}

// Refcount maps are stored by key whatever their order on the wire.
TEST(CollectorReader, RefcountsSortedByKey) {
    Recording r;
    mi_test::MinimalStart(r);
    StatsSpec s;
    s.type_id = 1;
    s.instances = 6;
    s.refcounts = {{9, 1}, {2, 2}, {5, 3}};
    r.TypeStats(s);
    r.End();
    Model m;
    ASSERT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED);
    const mi_model_type_stats *stats = &m->inventories[0].type_stats[0];
    ASSERT_EQ(stats->n_refcounts, 3u);
    EXPECT_EQ(stats->refcounts[0].key, 2u);
    EXPECT_EQ(stats->refcounts[1].key, 5u);
    EXPECT_EQ(stats->refcounts[2].key, 9u);
    EXPECT_EQ(stats->refcounts[2].count, 1u);
}

// Optional records may be missing, nil RSS is "unknown", float32 is a float.
TEST(CollectorReader, OptionalRecordsAndNilAndFloat32) {
    Recording r;
    r.Header();
    r.Begin(MI_RECORD_PROCESS, MI_PROCESS_LENGTH).Uint(MI_MOMENT_AFTER);
    msgpack_pack_float(r.Packer(), 0.5f);
    r.Float(0.25).Nil().Nil().Uint(2);
    r.End();
    Model m;
    ASSERT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED) << Reason(*m.get());
    EXPECT_TRUE(m->complete);
    EXPECT_FALSE(m->process_before.present);
    EXPECT_FALSE(m->has_gc);
    EXPECT_FALSE(m->has_imports);
    EXPECT_EQ(m->n_inventories, 0u);
    EXPECT_EQ(m->process_after.user_seconds, 0.5);
    EXPECT_FALSE(m->process_after.rss_known);
    EXPECT_FALSE(m->process_after.peak_known);
}

// A NUL inside a string would cut the copy short: it becomes U+FFFD.
TEST(CollectorReader, NulInStringBecomesReplacementCharacter) {
    Recording r;
    r.Header();
    r.Type(1, std::string("a\0b", 3));
    r.End();
    Model m;
    ASSERT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED);
    EXPECT_STREQ(m->types[0].name, "a\xEF\xBF\xBD" "b");
}

TEST(CollectorReader, ModuleInventories) {
    Recording r;
    r.Header();
    r.Type(1, "str");
    r.Module(3, "json.decoder");
    InventorySpec module;
    module.scope = 3;
    r.Inventory(module);
    StatsSpec s;
    s.scope = 3;
    s.type_id = 1;
    s.instances = 2;
    r.TypeStats(s);
    r.Inventory(InventorySpec());
    r.TypeStats(1, 5, 250);
    r.End();
    Model m;
    ASSERT_EQ(Decode(r.Bytes(), m.get()), MI_READER_FINISHED) << Reason(*m.get());
    ASSERT_EQ(m->n_modules, 1u);
    EXPECT_EQ(m->modules[0].id, 3u);
    EXPECT_STREQ(m->modules[0].name, "json.decoder");
    ASSERT_EQ(m->n_inventories, 2u);
    EXPECT_EQ(mi_model_find_inventory(m.get(), 3)->type_stats[0].instances, 2u);
    EXPECT_EQ(mi_model_find_inventory(m.get(), 0)->type_stats[0].instances, 5u);
}

// ---- Chunking does not matter ----

// A digest of a model: enough to tell two decodings apart.
std::string Digest(const mi_model &m) {
    std::string d = std::to_string(m.records_read) + "/" +
                    std::to_string(m.bytes_read) + "/" +
                    std::to_string(m.n_types) + "/" + Reason(m) + "/" +
                    (m.complete ? "complete" : "incomplete");
    for (size_t i = 0; i < m.n_types; i++) {
        d += "|" + std::string(m.types[i].name);
    }
    for (size_t i = 0; i < m.n_inventories; i++) {
        const mi_model_inventory &inv = m.inventories[i];
        d += "#" + std::to_string(inv.n_type_stats) + "," +
             std::to_string(inv.n_duplicates) + "," +
             std::to_string(inv.n_uninstantiated_type_ids);
        for (size_t j = 0; j < inv.n_duplicates; j++) {
            d += "|" + std::string(inv.duplicates[j].repr);
        }
    }
    return d;
}

TEST(CollectorReader, AnyChunkingGivesTheSameModel) {
    Recording r;
    mi_test::FullRecording(r);
    Model whole;
    ASSERT_EQ(Decode(r.Bytes(), whole.get()), MI_READER_FINISHED);
    std::string expected = Digest(*whole.get());
    for (size_t chunk : {1, 2, 3, 7, 64, 1000}) {
        Model m;
        EXPECT_EQ(Decode(r.Bytes(), m.get(), chunk), MI_READER_FINISHED)
            << "chunk " << chunk;
        EXPECT_EQ(Digest(*m.get()), expected) << "chunk " << chunk;
    }
}

// ---- Truncation: every prefix ----

TEST(CollectorReader, EveryPrefixIsCompleteOrDocumentedIncomplete) {
    Recording r;
    mi_test::FullRecording(r);
    const std::string bytes = r.Bytes();
    for (size_t length = 0; length <= bytes.size(); length++) {
        Model m;
        // Byte by byte for some, at once for the others.
        mi_reader_status status =
            Decode(bytes.substr(0, length), m.get(), length % 3 == 0 ? 1 : 0);
        // The last record wholly inside the prefix.
        size_t whole = 0;
        while (whole < r.Records() &&
               (whole + 1 < r.Records() ? r.Offset(whole + 2)
                                        : bytes.size()) <= length) {
            whole++;
        }
        if (length == bytes.size()) {
            EXPECT_EQ(status, MI_READER_FINISHED);
            EXPECT_TRUE(m->complete);
            continue;
        }
        EXPECT_EQ(status, MI_READER_TRUNCATED) << "length " << length;
        EXPECT_FALSE(m->complete);
        EXPECT_EQ(m->records_read, whole) << "length " << length;
        std::string expected;
        if (length == 0) {
            expected = "the recording is empty";
        }
        else if (r.Offset(whole + 1) == length) {
            expected = "the recording stops after record " +
                       std::to_string(whole) + " (at byte " +
                       std::to_string(length) + ") without an END record";
        }
        else {
            expected = At(r, whole + 1) + "the recording ends inside this "
                       "record, after " +
                       std::to_string(length - r.Offset(whole + 1)) +
                       " of its bytes";
        }
        ASSERT_EQ(Reason(*m.get()), expected) << "length " << length;
    }
}

// ---- Corrupted bytes: never a crash, always a documented outcome ----

TEST(CollectorReader, CorruptedBytesNeverCrash) {
    Recording r;
    mi_test::FullRecording(r);
    const std::string bytes = r.Bytes();
    const unsigned char replacements[] = {0x00, 0x7f, 0x80, 0x9f, 0xa5, 0xc1,
                                          0xc2, 0xc6, 0xcb, 0xcf, 0xd3, 0xd9,
                                          0xdb, 0xdd, 0xdf, 0xff};
    std::mt19937 random(12345);
    size_t complete = 0, incomplete = 0;
    for (size_t at = 0; at < bytes.size(); at++) {
        for (unsigned char c : replacements) {
            if (static_cast<unsigned char>(bytes[at]) == c) {
                continue;
            }
            std::string corrupted = bytes;
            corrupted[at] = static_cast<char>(c);
            // Sometimes a run of random bytes after it.
            if (random() % 4 == 0) {
                for (size_t i = at + 1; i < corrupted.size() && i < at + 6;
                     i++) {
                    corrupted[i] = static_cast<char>(random());
                }
            }
            Model m;
            mi_reader_status status =
                Decode(corrupted, m.get(), 1 + random() % 97);
            ASSERT_NE(status, MI_READER_NO_MEMORY) << "at " << at;
            if (m->complete) {
                complete++;
                EXPECT_EQ(status, MI_READER_FINISHED);
                continue;
            }
            incomplete++;
            std::string reason = Reason(*m.get());
            ASSERT_FALSE(reason.empty()) << "at " << at;
            EXPECT_TRUE(reason.rfind("record ", 0) == 0 ||
                        reason.rfind("the recording ", 0) == 0)
                << reason;
            EXPECT_LE(m->records_read, r.Records());
        }
    }
    // Many corruptions only change a value (a byte of a string, of a
    // count); the others are caught, and none crashes.
    EXPECT_GT(incomplete, (complete + incomplete) / 4);
    EXPECT_GT(complete, 0u);
}

// ---- One exact message per rule ----

// Decodes `r` and returns the reason (the reading must have stopped).
std::string Fail(const Recording &r, mi_reader_status expected =
                                         MI_READER_INVALID) {
    Model m;
    mi_reader_status status = Decode(r.Bytes(), m.get());
    EXPECT_EQ(status, expected);
    EXPECT_FALSE(m->complete);
    return Reason(*m.get());
}

TEST(CollectorReaderErrors, HeaderNotFirst) {
    Recording r;
    r.Type(1, "str");
    EXPECT_EQ(Fail(r), "record 1 at byte 0: the first record must be a "
                       "HEADER, not a TYPE");
}

TEST(CollectorReaderErrors, SecondHeader) {
    Recording r;
    r.Header().Header();
    EXPECT_EQ(Fail(r), At(r, 2) + "a second HEADER (only the first record "
                                  "is one)");
}

TEST(CollectorReaderErrors, WrongMagic) {
    Recording r;
    r.Header(1, "memory_inventorz");
    EXPECT_EQ(Fail(r), "record 1 at byte 0: HEADER field 1 (magic) must be "
                       "\"memory_inventory\": this is not a memory_inventory "
                       "recording");
}

TEST(CollectorReaderErrors, WrongVersion) {
    Recording r;
    r.Header(2);
    EXPECT_EQ(Fail(r), "record 1 at byte 0: unsupported format version 2 "
                       "(this collector reads version 1)");
}

// A later version may have more HEADER fields: its version is what matters.
TEST(CollectorReaderErrors, LaterVersionWithMoreFieldsNamesTheVersion) {
    Recording r;
    r.Begin(MI_RECORD_HEADER, MI_HEADER_LENGTH + 1)
        .Str(MI_RECORD_MAGIC)
        .Uint(2);
    for (int i = 0; i < MI_HEADER_LENGTH - 2; i++) {
        r.Nil();
    }
    EXPECT_EQ(Fail(r), "record 1 at byte 0: unsupported format version 2 "
                       "(this collector reads version 1)");
}

TEST(CollectorReaderErrors, WrongArrayLength) {
    Recording r;
    mi_test::MinimalStart(r);
    r.Begin(MI_RECORD_DUPLICATE, MI_DUPLICATE_LENGTH - 1)
        .Uint(0).Uint(1).Str("'x'").Uint(50).Uint(2).Uint(0).Uint(0)
        .UintMap({});
    EXPECT_EQ(Fail(r), At(r, 5) + "DUPLICATE has 9 elements, expected 10");
}

TEST(CollectorReaderErrors, WrongFieldType) {
    Recording r;
    mi_test::MinimalStart(r);
    r.Begin(MI_RECORD_DUPLICATE, MI_DUPLICATE_LENGTH)
        .Uint(0).Uint(1).Str("'x'").Str("50").Uint(2).Uint(0).Uint(0)
        .UintMap({}).UintArray({});
    EXPECT_EQ(Fail(r), At(r, 5) + "DUPLICATE field 4 (size) must be an "
                                  "unsigned integer");
}

TEST(CollectorReaderErrors, NegativeIntegerIsNotUnsigned) {
    Recording r;
    r.Header();
    r.Begin(MI_RECORD_GC, MI_GC_LENGTH).Uint(1).Int(-1).Uint(0).Uint(0);
    EXPECT_EQ(Fail(r), At(r, 2) + "GC field 2 (collected) must be an "
                                  "unsigned integer");
}

TEST(CollectorReaderErrors, IntegerIsNotFloat) {
    Recording r;
    r.Header();
    r.Begin(MI_RECORD_PROCESS, MI_PROCESS_LENGTH)
        .Uint(0).Uint(1).Float(0).Nil().Nil().Uint(1);
    EXPECT_EQ(Fail(r), At(r, 2) + "PROCESS field 2 (user_seconds) must be "
                                  "a float");
}

TEST(CollectorReaderErrors, WrongElementType) {
    Recording r;
    r.Begin(MI_RECORD_HEADER, MI_HEADER_LENGTH)
        .Str(MI_RECORD_MAGIC).Uint(1).Str("3.13").Uint(1);
    msgpack_pack_array(r.Packer(), 2);
    r.Str("python").Uint(7);
    r.Float(0).Float(0).StrArray({});
    EXPECT_EQ(Fail(r), "record 1 at byte 0: HEADER field 5 (argv) element 1 "
                       "must be a string");
}

TEST(CollectorReaderErrors, WrongMapKeyAndValueTypes) {
    Recording r;
    mi_test::MinimalStart(r);
    r.Begin(MI_RECORD_TYPE_STATS, MI_TYPE_STATS_LENGTH)
        .Uint(0).Uint(1).Uint(1).Uint(8).Uint(0).Uint(0).UintMap({{1, 1}})
        .UintArray({}).Uint(0).Uint(0);
    msgpack_pack_map(r.Packer(), 2);
    r.Str("a").Uint(1).Str("b").Str("1");
    EXPECT_EQ(Fail(r), At(r, 5) + "TYPE_STATS field 11 (attribute_names) "
                                  "value 1 must be an unsigned integer");
    Recording k;
    mi_test::MinimalStart(k);
    k.Begin(MI_RECORD_TYPE_STATS, MI_TYPE_STATS_LENGTH)
        .Uint(0).Uint(1).Uint(1).Uint(8).Uint(0).Uint(0);
    msgpack_pack_map(k.Packer(), 1);
    k.Str("1").Uint(1);
    k.UintArray({}).Uint(0).Uint(0).StrMap({});
    EXPECT_EQ(Fail(k), At(k, 5) + "TYPE_STATS field 7 (refcounts) key 0 must "
                                  "be an unsigned integer");
}

TEST(CollectorReaderErrors, NotAnArray) {
    Recording r;
    r.Header();
    r.Mark();
    r.Str("hello");
    EXPECT_EQ(Fail(r), At(r, 2) + "not an array (every record is a msgpack "
                                  "array)");
}

TEST(CollectorReaderErrors, EmptyArray) {
    Recording r;
    r.Header();
    r.Mark();
    msgpack_pack_array(r.Packer(), 0);
    EXPECT_EQ(Fail(r), At(r, 2) + "an empty array (element 0 must be the "
                                  "record kind)");
}

TEST(CollectorReaderErrors, KindNotAnInteger) {
    Recording r;
    r.Mark();
    msgpack_pack_array(r.Packer(), 1);
    r.Str("HEADER");
    EXPECT_EQ(Fail(r), "record 1 at byte 0: element 0 (the record kind) must "
                       "be an unsigned integer");
}

TEST(CollectorReaderErrors, UnknownKind) {
    Recording r;
    r.Header();
    r.Begin(18, 1);
    EXPECT_EQ(Fail(r), At(r, 2) + "unknown record kind 18");
    Recording r2;
    r2.Header();
    r2.Begin(12345, 3).Uint(0).Uint(0);
    EXPECT_EQ(Fail(r2), At(r2, 2) + "unknown record kind 12345");
}

TEST(CollectorReaderErrors, TypeStatsBeforeItsInventory) {
    Recording r;
    r.Header();
    r.Type(1, "str");
    r.TypeStats(1, 3, 150);
    EXPECT_EQ(Fail(r), At(r, 3) + "TYPE_STATS field 1 (scope) refers to "
                                  "inventory 0, which no earlier INVENTORY "
                                  "record opens");
}

TEST(CollectorReaderErrors, DuplicateAndUninstantiatedBeforeTheirInventory) {
    Recording r;
    r.Header();
    r.Type(1, "str");
    r.Uninstantiated({1});
    EXPECT_EQ(Fail(r), At(r, 3) + "UNINSTANTIATED field 1 (scope) refers to "
                                  "inventory 0, which no earlier INVENTORY "
                                  "record opens");
    Recording d;
    d.Header();
    d.Type(1, "str");
    d.Duplicate(1, "'a'", 50, 2);
    EXPECT_EQ(Fail(d), At(d, 3) + "DUPLICATE field 1 (scope) refers to "
                                  "inventory 0, which no earlier INVENTORY "
                                  "record opens");
}

TEST(CollectorReaderErrors, ReferenceToUnknownType) {
    Recording r;
    mi_test::MinimalStart(r);
    r.TypeStats(99, 1, 16);
    EXPECT_EQ(Fail(r), At(r, 5) + "TYPE_STATS field 2 (type_id) refers to "
                                  "type 99, which no earlier TYPE record "
                                  "defines");
}

TEST(CollectorReaderErrors, TypeDefinedAfterItsUse) {
    Recording r;
    r.Header();
    r.Type(1, "str");
    InventorySpec inventory;
    inventory.duplicate_type_ids = {1, 2};
    r.Inventory(inventory);
    r.Type(2, "int");
    EXPECT_EQ(Fail(r), At(r, 3) + "INVENTORY field 9 (duplicate_type_ids) "
                                  "element 1 refers to type 2, which no "
                                  "earlier TYPE record defines");
}

TEST(CollectorReaderErrors, UnknownTypeInUninstantiated) {
    Recording r;
    mi_test::MinimalStart(r);
    r.Uninstantiated({2, 1, 7});
    EXPECT_EQ(Fail(r), At(r, 5) + "UNINSTANTIATED field 2 (type_ids) "
                                  "element 2 refers to type 7, which no "
                                  "earlier TYPE record defines");
}

TEST(CollectorReaderErrors, RepeatedIds) {
    Recording t;
    t.Header().Type(1, "str").Type(1, "int");
    EXPECT_EQ(Fail(t), At(t, 3) + "TYPE field 1 (type_id) repeats type 1");

    Recording s;
    mi_test::MinimalStart(s);
    s.TypeStats(1, 1, 50).TypeStats(1, 2, 100);
    EXPECT_EQ(Fail(s), At(s, 6) + "TYPE_STATS field 2 (type_id) repeats type "
                                  "1 in inventory 0");

    Recording i;
    mi_test::MinimalStart(i);
    i.Inventory(InventorySpec());
    EXPECT_EQ(Fail(i), At(i, 5) + "INVENTORY field 1 (scope) repeats "
                                  "inventory 0");

    Recording d;
    d.Header().Type(1, "str");
    InventorySpec inventory;
    inventory.duplicate_type_ids = {1, 1};
    d.Inventory(inventory);
    EXPECT_EQ(Fail(d), At(d, 3) + "INVENTORY field 9 (duplicate_type_ids) "
                                  "element 1 repeats type 1");

    Recording u;
    mi_test::MinimalStart(u);
    u.Uninstantiated({1}).Uninstantiated({2, 1});
    EXPECT_EQ(Fail(u), At(u, 6) + "UNINSTANTIATED field 2 (type_ids) "
                                  "element 1 repeats type 1 in inventory 0");

    Recording m;
    m.Header().Module(2, "a").Module(2, "b");
    EXPECT_EQ(Fail(m), At(m, 3) + "MODULE field 1 (module_id) repeats "
                                  "module 2");

    Recording g;
    g.Header().Gc(1, 2, 3, 4).Gc(1, 2, 3, 4);
    EXPECT_EQ(Fail(g), At(g, 3) + "a second GC record");

    Recording im;
    im.Header().Imports(1, 2, {}).Imports(1, 2, {});
    EXPECT_EQ(Fail(im), At(im, 3) + "a second IMPORTS record");

    Recording p;
    p.Header().Process(0, 1, 1, 1, 1, 1).Process(0, 1, 1, 1, 1, 1);
    EXPECT_EQ(Fail(p), At(p, 3) + "a second PROCESS record for moment 0");
}

TEST(CollectorReaderErrors, StatsAndUninstantiatedContradict) {
    Recording r;
    mi_test::MinimalStart(r);
    r.TypeStats(1, 1, 50).Uninstantiated({1});
    EXPECT_EQ(Fail(r), At(r, 6) + "UNINSTANTIATED field 2 (type_ids) element "
                                  "0 names type 1, which has a TYPE_STATS "
                                  "record in inventory 0");
    Recording s;
    mi_test::MinimalStart(s);
    s.Uninstantiated({1}).TypeStats(1, 1, 50);
    EXPECT_EQ(Fail(s), At(s, 6) + "TYPE_STATS field 2 (type_id) names type "
                                  "1, which inventory 0 lists as "
                                  "uninstantiated");
}

TEST(CollectorReaderErrors, ValueRules) {
    Recording m;
    m.Header().Module(0, "a");
    EXPECT_EQ(Fail(m), At(m, 2) + "MODULE field 1 (module_id) must be at "
                                  "least 1");

    Recording scope;
    scope.Header();
    InventorySpec inventory;
    inventory.scope = 4;
    scope.Inventory(inventory);
    EXPECT_EQ(Fail(scope), At(scope, 2) + "INVENTORY field 1 (scope) refers "
                                          "to module 4, which no earlier "
                                          "MODULE record defines");

    Recording moment;
    moment.Header().Process(2, 1, 1, 1, 1, 1);
    EXPECT_EQ(Fail(moment), At(moment, 2) + "PROCESS field 1 (moment) must "
                                            "be 0 (before) or 1 (after)");

    Recording zero;
    mi_test::MinimalStart(zero);
    zero.TypeStats(1, 0, 0);
    EXPECT_EQ(Fail(zero), At(zero, 5) + "TYPE_STATS field 3 (instances) must "
                                        "be at least 1");

    Recording immortal;
    mi_test::MinimalStart(immortal);
    StatsSpec s;
    s.type_id = 1;
    s.instances = 2;
    s.immortal = 3;
    immortal.TypeStats(s);
    EXPECT_EQ(Fail(immortal), At(immortal, 5) + "TYPE_STATS field 5 "
                                                "(immortal) is more than "
                                                "field 3 (instances)");

    Recording copies;
    mi_test::MinimalStart(copies);
    copies.Duplicate(1, "'a'", 50, 1);
    EXPECT_EQ(Fail(copies), At(copies, 5) + "DUPLICATE field 5 (copies) must "
                                            "be at least 2");

    Recording listed;
    mi_test::MinimalStart(listed);
    listed.Type(3, "tuple").Duplicate(3, "()", 40, 2);
    EXPECT_EQ(Fail(listed), At(listed, 6) + "DUPLICATE field 2 (type_id) "
                                            "names type 3, which the "
                                            "duplicate_type_ids of inventory "
                                            "0 do not list");
}

TEST(CollectorReaderErrors, AddressesAndRefcounts) {
    Recording order;
    mi_test::MinimalStart(order);
    StatsSpec s;
    s.type_id = 1;
    s.instances = 3;
    s.addresses = {16, 48, 32};
    order.TypeStats(s);
    EXPECT_EQ(Fail(order), At(order, 5) + "TYPE_STATS field 8 (addresses) "
                                          "must be distinct and ascending "
                                          "(element 2 is not)");

    Recording many;
    mi_test::MinimalStart(many);
    mi_test::DuplicateSpec d;
    d.type_id = 1;
    d.repr = "'a'";
    d.copies = 2;
    d.addresses = {16, 32, 48};
    many.Duplicate(d);
    EXPECT_EQ(Fail(many), At(many, 5) + "DUPLICATE field 9 (addresses) has 3 "
                                        "addresses for 2 copies");

    Recording repeated;
    mi_test::MinimalStart(repeated);
    repeated.Begin(MI_RECORD_TYPE_STATS, MI_TYPE_STATS_LENGTH)
        .Uint(0).Uint(1).Uint(2).Uint(8).Uint(0).Uint(0)
        .UintMap({{3, 1}, {3, 1}}).UintArray({}).Uint(0).Uint(0).StrMap({});
    EXPECT_EQ(Fail(repeated), At(repeated, 5) + "TYPE_STATS field 7 "
                                                "(refcounts) repeats the "
                                                "reference count 3");

    Recording names;
    mi_test::MinimalStart(names);
    s = StatsSpec();
    s.type_id = 1;
    s.attribute_names = {{"x", 1}, {"y\n", 1}, {"y\n", 1}};
    names.TypeStats(s);
    EXPECT_EQ(Fail(names), At(names, 5) + "TYPE_STATS field 11 "
                                          "(attribute_names) repeats the "
                                          "name \"y\\x0a\"");
}

TEST(CollectorReaderErrors, DataAfterEnd) {
    Recording r;
    mi_test::MinimalStart(r);
    r.End();
    r.Gc(1, 2, 3, 4);
    EXPECT_EQ(Fail(r), At(r, 6) + "data after the END record");
    // Even one byte, arriving later.
    Recording e;
    mi_test::MinimalStart(e);
    e.End();
    Model m;
    mi_reader *reader = mi_reader_new(m.get());
    std::string bytes = e.Bytes();
    mi_reader_feed(reader, bytes.data(), bytes.size());
    EXPECT_EQ(mi_reader_get_status(reader), MI_READER_ENDED);
    mi_reader_feed(reader, "\xc0", 1);
    mi_reader_finish(reader);
    EXPECT_EQ(mi_reader_get_status(reader), MI_READER_INVALID);
    EXPECT_EQ(Reason(*m.get()), "record 6 at byte " +
                                    std::to_string(bytes.size()) +
                                    ": data after the END record");
    EXPECT_EQ(m->records_read, 5u);
    EXPECT_TRUE(m->has_end);
    mi_reader_free(reader);
}

TEST(CollectorReaderErrors, EndCountsAndDropped) {
    Recording count;
    mi_test::MinimalStart(count);
    count.End(7, 0);
    Model m;
    EXPECT_EQ(Decode(count.Bytes(), m.get()), MI_READER_FINISHED);
    EXPECT_FALSE(m->complete);
    EXPECT_TRUE(m->has_end);
    EXPECT_EQ(Reason(*m.get()), At(count, 5) + "END field 1 (records) counts "
                                               "7 records before it, but 4 "
                                               "were read");

    Recording dropped;
    mi_test::MinimalStart(dropped);
    dropped.End(3);
    Model d;
    EXPECT_EQ(Decode(dropped.Bytes(), d.get()), MI_READER_FINISHED);
    EXPECT_FALSE(d->complete);
    EXPECT_EQ(d->records_dropped, 3u);
    EXPECT_EQ(Reason(*d.get()), At(dropped, 5) + "the writer dropped 3 "
                                                 "records (END field 2): its "
                                                 "buffer was full");
}

// ---- Sizes no record may have, before msgpack-c allocates for them ----

TEST(CollectorReaderErrors, HugeArrayHeaderIsRefusedUnread) {
    Recording r;
    r.Header();
    r.Mark();
    r.Raw(std::string("\x91\xdd\xff\xff\xff\xf0", 6));
    EXPECT_EQ(Fail(r), At(r, 2) + "declares an array of 4294967280 elements, "
                                  "more than a record may hold (at most "
                                  "268435456 bytes, 16777216 elements)");
}

TEST(CollectorReaderErrors, HugeMapAndStringHeadersAreRefused) {
    Recording m;
    m.Mark();
    m.Raw(std::string("\xdf\x7f\xff\xff\xff", 5));
    EXPECT_EQ(Fail(m), "record 1 at byte 0: declares a map of 2147483647 "
                       "elements, more than a record may hold (at most "
                       "268435456 bytes, 16777216 elements)");
    Recording s;
    s.Mark();
    s.Raw(std::string("\x92\x01\xdb\xff\xff\xff\xff", 7));
    EXPECT_EQ(Fail(s), "record 1 at byte 0: declares a string of 4294967295 "
                       "bytes, more than a record may hold (at most 268435456 "
                       "bytes)");
}

TEST(CollectorReaderErrors, RecordLargerThanTheLimit) {
    Recording r;
    r.Header();
    r.Type(1, std::string(300, 'x'));
    Model m;
    EXPECT_EQ(Decode(r.Bytes(), m.get(), 0, 200), MI_READER_INVALID);
    EXPECT_EQ(Reason(*m.get()), At(r, 2) + "declares a string of 300 bytes, "
                                           "more than a record may hold (at "
                                           "most 200 bytes)");
    // Many small scalars, each wider than the byte counted for it.
    Recording w;
    w.Header();
    w.Mark();
    msgpack_pack_array(w.Packer(), 40);
    for (int i = 0; i < 40; i++) {
        w.Uint(UINT64_MAX);
    }
    Model n;
    EXPECT_EQ(Decode(w.Bytes(), n.get(), 5, 200), MI_READER_INVALID);
    EXPECT_EQ(Reason(*n.get()), At(w, 2) + "larger than a record may be (at "
                                           "most 200 bytes)");
}

TEST(CollectorReaderErrors, TooDeep) {
    Recording r;
    r.Header();
    r.Mark();
    for (int i = 0; i < 20; i++) {
        msgpack_pack_array(r.Packer(), 1);
    }
    r.Nil();
    EXPECT_EQ(Fail(r), At(r, 2) + "arrays and maps nested deeper than 16 "
                                  "levels");
}

TEST(CollectorReaderErrors, NeverUsedByte) {
    Recording r;
    r.Header();
    r.Mark();
    r.Raw("\x93\x01\xc1");
    EXPECT_EQ(Fail(r), At(r, 2) + "not msgpack: byte 0xc1 is never used");
}

// What was valid before the fault stays in the model.
TEST(CollectorReaderErrors, ValidRecordsBeforeTheFaultAreKept) {
    Recording r;
    mi_test::MinimalStart(r);
    r.TypeStats(1, 3, 150);
    r.Duplicate(1, "'a'", 50, 2);
    r.Duplicate(1, "'b'", 50, 1);
    Model m;
    EXPECT_EQ(Decode(r.Bytes(), m.get(), 3), MI_READER_INVALID);
    EXPECT_EQ(m->records_read, 6u);
    EXPECT_EQ(m->n_types, 2u);
    ASSERT_EQ(m->n_inventories, 1u);
    EXPECT_EQ(m->inventories[0].n_type_stats, 1u);
    ASSERT_EQ(m->inventories[0].n_duplicates, 1u);
    EXPECT_STREQ(m->inventories[0].duplicates[0].repr, "'a'");
    EXPECT_EQ(m->bytes_read, r.Size());
    // Bytes arriving after the stop are counted, not decoded.
    EXPECT_EQ(Reason(*m.get()), At(r, 7) + "DUPLICATE field 5 (copies) must "
                                           "be at least 2");
}

// ---- The frame scanner alone ----

TEST(CollectorFrame, FindsNothingWrongInValidMsgpackOfEveryType) {
    Recording r;
    r.Mark();
    msgpack_packer *p = r.Packer();
    msgpack_pack_array(p, 14);
    msgpack_pack_nil(p);
    msgpack_pack_true(p);
    msgpack_pack_int8(p, -5);
    msgpack_pack_int64(p, INT64_MIN);
    msgpack_pack_uint16(p, 65535);
    msgpack_pack_float(p, 1.5f);
    msgpack_pack_double(p, 2.5);
    msgpack_pack_str(p, 40);
    msgpack_pack_str_body(p, std::string(40, 's').data(), 40);
    msgpack_pack_bin(p, 300);
    msgpack_pack_bin_body(p, std::string(300, 'b').data(), 300);
    msgpack_pack_ext(p, 4, 7);
    msgpack_pack_ext_body(p, "abcd", 4);
    msgpack_pack_ext(p, 20, 7);
    msgpack_pack_ext_body(p, std::string(20, 'e').data(), 20);
    msgpack_pack_map(p, 0);
    msgpack_pack_array(p, 0);
    msgpack_pack_map(p, 1);
    msgpack_pack_str(p, 1);
    msgpack_pack_str_body(p, "k", 1);
    msgpack_pack_array(p, 17);
    for (int i = 0; i < 17; i++) {
        msgpack_pack_uint8(p, 200);
    }
    const std::string bytes = r.Bytes();
    for (size_t chunk = 1; chunk <= bytes.size(); chunk += 7) {
        mi_frame frame;
        mi_frame_init(&frame, 10000, 1000);
        for (size_t at = 0; at < bytes.size(); at += chunk) {
            size_t n = std::min(chunk, bytes.size() - at);
            size_t accepted = 0;
            ASSERT_EQ(mi_frame_scan(&frame,
                                    reinterpret_cast<const unsigned char *>(
                                        bytes.data() + at),
                                    n, &accepted),
                      MI_FRAME_OK);
            EXPECT_EQ(accepted, n);
            if (at + n < bytes.size()) {
                EXPECT_TRUE(mi_frame_in_record(&frame));
            }
        }
        EXPECT_FALSE(mi_frame_in_record(&frame)) << "chunk " << chunk;
    }
}

TEST(CollectorFrame, AcceptsTheRecordsBeforeTheFault) {
    const unsigned char bytes[] = {0x91, 0x01, 0x92, 0x02, 0xdd, 0xff, 0xff,
                                   0xff, 0xff};
    mi_frame frame;
    mi_frame_init(&frame, 1000, 100);
    size_t accepted = 99;
    EXPECT_EQ(mi_frame_scan(&frame, bytes, sizeof(bytes), &accepted),
              MI_FRAME_TOO_LARGE);
    EXPECT_EQ(accepted, 4u);  // up to the header at fault
    // Once in error, stays in error.
    EXPECT_EQ(mi_frame_scan(&frame, bytes, 2, &accepted), MI_FRAME_TOO_LARGE);
    EXPECT_EQ(accepted, 0u);
}

}  // namespace
