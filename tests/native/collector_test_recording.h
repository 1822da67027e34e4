// Builds recordings for the collector's tests with msgpack-c's packer:
// each method packs one record exactly as native/records.h describes it
// and remembers the byte offset where it starts. Low-level methods
// (Begin, Uint, Str, ...) build records that break the rules on purpose.

#ifndef MI_TESTS_COLLECTOR_TEST_RECORDING_H
#define MI_TESTS_COLLECTOR_TEST_RECORDING_H

#include <msgpack.h>

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include "native/collector/model.h"
#include "native/collector/reader.h"
#include "native/records.h"
}

namespace mi_test {

using Pairs = std::vector<std::pair<uint64_t, uint64_t>>;
using Names = std::vector<std::pair<std::string, uint64_t>>;
using Strings = std::vector<std::string>;
using Ids = std::vector<uint64_t>;

struct TypeSpec {
    uint64_t id = 0;
    std::string name;
    std::string repr;           // "<class 'NAME'>" when empty
    uint64_t address = 0;       // 0x7f0000000000 + id * 0x1000 when 0
    uint64_t flags = 0;
    Strings static_attributes;
    uint64_t static_dict_bytes = 0;
};

struct StatsSpec {
    uint64_t scope = MI_SCOPE_FINAL;
    uint64_t type_id = 0;
    uint64_t instances = 1;
    uint64_t bytes = 0;
    uint64_t immortal = 0;
    uint64_t interned = 0;
    Pairs refcounts;
    Ids addresses;
    uint64_t dict_instances = 0;
    uint64_t dict_bytes = 0;
    Names attribute_names;
};

struct DuplicateSpec {
    uint64_t scope = MI_SCOPE_FINAL;
    uint64_t type_id = 0;
    std::string repr;
    uint64_t size = 0;
    uint64_t copies = 2;
    uint64_t immortal = 0;
    uint64_t interned = 0;
    Pairs refcounts;
    Ids addresses;
};

struct InventorySpec {
    uint64_t scope = MI_SCOPE_FINAL;
    uint64_t objects = 0;
    uint64_t bytes = 0;
    bool limit_reached = false;
    uint64_t pending = 0;
    double walk_seconds = 0.03125;
    uint64_t python_sizeof_calls = 0;
    uint64_t sizeof_fallbacks = 0;
    Ids duplicate_type_ids;
    uint64_t objects_limit = 10000000;
};

class Recording {
  public:
    Recording() {
        msgpack_sbuffer_init(&buffer_);
        msgpack_packer_init(&packer_, &buffer_, msgpack_sbuffer_write);
    }
    ~Recording() { msgpack_sbuffer_destroy(&buffer_); }
    Recording(const Recording &) = delete;
    Recording &operator=(const Recording &) = delete;

    std::string Bytes() const { return std::string(buffer_.data, buffer_.size); }
    size_t Size() const { return buffer_.size; }
    // Where record `number` (from 1) starts.
    size_t Offset(size_t number) const { return offsets_.at(number - 1); }
    size_t Records() const { return offsets_.size(); }

    // ---- Low level ----

    // Starts a record: an array of `elements` (the kind included).
    Recording &Begin(uint64_t kind, size_t elements) {
        offsets_.push_back(buffer_.size);
        msgpack_pack_array(&packer_, elements);
        msgpack_pack_uint64(&packer_, kind);
        return *this;
    }
    // Starts a "record" that is any msgpack value (not even an array).
    void Mark() { offsets_.push_back(buffer_.size); }
    msgpack_packer *Packer() { return &packer_; }
    void Raw(const std::string &bytes) {
        msgpack_sbuffer_write(&buffer_, bytes.data(), bytes.size());
    }

    Recording &Uint(uint64_t v) { msgpack_pack_uint64(&packer_, v); return *this; }
    Recording &Int(int64_t v) { msgpack_pack_int64(&packer_, v); return *this; }
    Recording &Float(double v) { msgpack_pack_double(&packer_, v); return *this; }
    Recording &Bool(bool v) {
        if (v) {
            msgpack_pack_true(&packer_);
        }
        else {
            msgpack_pack_false(&packer_);
        }
        return *this;
    }
    Recording &Nil() { msgpack_pack_nil(&packer_); return *this; }
    Recording &Str(const std::string &s) {
        msgpack_pack_str(&packer_, s.size());
        msgpack_pack_str_body(&packer_, s.data(), s.size());
        return *this;
    }
    Recording &StrArray(const Strings &v) {
        msgpack_pack_array(&packer_, v.size());
        for (const auto &s : v) {
            Str(s);
        }
        return *this;
    }
    Recording &UintArray(const Ids &v) {
        msgpack_pack_array(&packer_, v.size());
        for (uint64_t x : v) {
            Uint(x);
        }
        return *this;
    }
    Recording &UintMap(const Pairs &v) {
        msgpack_pack_map(&packer_, v.size());
        for (const auto &p : v) {
            Uint(p.first);
            Uint(p.second);
        }
        return *this;
    }
    Recording &StrMap(const Names &v) {
        msgpack_pack_map(&packer_, v.size());
        for (const auto &p : v) {
            Str(p.first);
            Uint(p.second);
        }
        return *this;
    }

    // ---- One method per record kind ----

    Recording &Header(uint64_t version = MI_RECORD_FORMAT_VERSION,
                      const std::string &magic = MI_RECORD_MAGIC) {
        return Begin(MI_RECORD_HEADER, MI_HEADER_LENGTH)
            .Str(magic)
            .Uint(version)
            .Str("3.13.0 (main, Oct  8 2024, 12:00:00) [GCC 12.2.0]")
            .Uint(4242)
            .StrArray({"python", "-m", "memory_inventory", "json"})
            .Float(1700000000.25)
            .Float(12345.5)
            .StrArray({"builtins", "sys", "json"});
    }
    Recording &Type(const TypeSpec &t) {
        return Begin(MI_RECORD_TYPE, MI_TYPE_LENGTH)
            .Uint(t.id)
            .Str(t.name)
            .Str(t.repr.empty() ? "<class '" + t.name + "'>" : t.repr)
            .Uint(t.address != 0 ? t.address
                                 : UINT64_C(0x7f0000000000) + t.id * 0x1000)
            .Uint(t.flags)
            .StrArray(t.static_attributes)
            .Uint(t.static_dict_bytes);
    }
    Recording &Type(uint64_t id, const std::string &name, uint64_t flags = 0) {
        TypeSpec t;
        t.id = id;
        t.name = name;
        t.flags = flags;
        return Type(t);
    }
    Recording &Module(uint64_t id, const std::string &name) {
        return Begin(MI_RECORD_MODULE, MI_MODULE_LENGTH).Uint(id).Str(name);
    }
    Recording &Imports(uint64_t imported, uint64_t total,
                       const Strings &failed) {
        return Begin(MI_RECORD_IMPORTS, MI_IMPORTS_LENGTH)
            .Uint(imported)
            .Uint(total)
            .StrArray(failed);
    }
    Recording &Process(uint64_t moment, double user, double system,
                       int64_t rss, int64_t peak, uint64_t threads) {
        Begin(MI_RECORD_PROCESS, MI_PROCESS_LENGTH)
            .Uint(moment)
            .Float(user)
            .Float(system);
        if (rss < 0) {
            Nil();
        }
        else {
            Uint(static_cast<uint64_t>(rss));
        }
        if (peak < 0) {
            Nil();
        }
        else {
            Uint(static_cast<uint64_t>(peak));
        }
        return Uint(threads);
    }
    Recording &Gc(uint64_t tracked, uint64_t collected, uint64_t collections,
                  uint64_t uncollectable) {
        return Begin(MI_RECORD_GC, MI_GC_LENGTH)
            .Uint(tracked)
            .Uint(collected)
            .Uint(collections)
            .Uint(uncollectable);
    }
    Recording &Inventory(const InventorySpec &i) {
        return Begin(MI_RECORD_INVENTORY, MI_INVENTORY_LENGTH)
            .Uint(i.scope)
            .Uint(i.objects)
            .Uint(i.bytes)
            .Bool(i.limit_reached)
            .Uint(i.pending)
            .Float(i.walk_seconds)
            .Uint(i.python_sizeof_calls)
            .Uint(i.sizeof_fallbacks)
            .UintArray(i.duplicate_type_ids)
            .Uint(i.objects_limit);
    }
    Recording &TypeStats(const StatsSpec &s) {
        return Begin(MI_RECORD_TYPE_STATS, MI_TYPE_STATS_LENGTH)
            .Uint(s.scope)
            .Uint(s.type_id)
            .Uint(s.instances)
            .Uint(s.bytes)
            .Uint(s.immortal)
            .Uint(s.interned)
            .UintMap(s.refcounts)
            .UintArray(s.addresses)
            .Uint(s.dict_instances)
            .Uint(s.dict_bytes)
            .StrMap(s.attribute_names);
    }
    Recording &TypeStats(uint64_t type_id, uint64_t instances, uint64_t bytes) {
        StatsSpec s;
        s.type_id = type_id;
        s.instances = instances;
        s.bytes = bytes;
        s.refcounts = {{1, instances}};
        return TypeStats(s);
    }
    Recording &Uninstantiated(const Ids &ids, uint64_t scope = MI_SCOPE_FINAL) {
        return Begin(MI_RECORD_UNINSTANTIATED, MI_UNINSTANTIATED_LENGTH)
            .Uint(scope)
            .UintArray(ids);
    }
    Recording &Duplicate(const DuplicateSpec &d) {
        return Begin(MI_RECORD_DUPLICATE, MI_DUPLICATE_LENGTH)
            .Uint(d.scope)
            .Uint(d.type_id)
            .Str(d.repr)
            .Uint(d.size)
            .Uint(d.copies)
            .Uint(d.immortal)
            .Uint(d.interned)
            .UintMap(d.refcounts)
            .UintArray(d.addresses);
    }
    Recording &Duplicate(uint64_t type_id, const std::string &repr,
                         uint64_t size, uint64_t copies) {
        DuplicateSpec d;
        d.type_id = type_id;
        d.repr = repr;
        d.size = size;
        d.copies = copies;
        d.refcounts = {{2, copies}};
        return Duplicate(d);
    }
    Recording &Import(uint64_t module_id, uint64_t parent_id,
                      uint64_t thread_id, double started, double find_seconds,
                      double total_seconds, uint64_t status = MI_IMPORT_OK,
                      const char *error = nullptr) {
        Begin(MI_RECORD_IMPORT, MI_IMPORT_LENGTH)
            .Uint(module_id)
            .Uint(parent_id)
            .Uint(thread_id)
            .Float(started)
            .Float(find_seconds)
            .Float(total_seconds)
            .Uint(status);
        if (error == nullptr) {
            return Nil();
        }
        return Str(error);
    }
    Recording &Retained(uint64_t scope, uint64_t objects, uint64_t bytes) {
        return Begin(MI_RECORD_RETAINED, MI_RETAINED_LENGTH)
            .Uint(scope)
            .Uint(objects)
            .Uint(bytes);
    }
    // END counting the records packed so far.
    Recording &End(uint64_t dropped = 0) {
        uint64_t before = offsets_.size();
        return Begin(MI_RECORD_END, MI_END_LENGTH).Uint(before).Uint(dropped);
    }
    Recording &End(uint64_t records, uint64_t dropped) {
        return Begin(MI_RECORD_END, MI_END_LENGTH).Uint(records).Uint(dropped);
    }

  private:
    msgpack_sbuffer buffer_;
    msgpack_packer packer_;
    std::vector<size_t> offsets_;
};

// The start every valid recording shares: HEADER, and an INVENTORY of
// scope 0 after the TYPEs it needs (str, int as 1 and 2).
inline void MinimalStart(Recording &r) {
    r.Header();
    r.Type(1, "str");
    r.Type(2, "int");
    InventorySpec inventory;
    inventory.duplicate_type_ids = {1, 2};
    r.Inventory(inventory);
}

// Decodes `bytes` into `model` in chunks of `chunk` bytes (0: at once)
// and finishes. Returns the reader's final status.
inline mi_reader_status Decode(const std::string &bytes, mi_model *model,
                               size_t chunk = 0,
                               uint64_t max_bytes = MI_READER_MAX_RECORD_BYTES,
                               uint64_t max_elements =
                                   MI_READER_MAX_RECORD_ELEMENTS) {
    mi_reader *reader = mi_reader_new_with_limits(model, max_bytes,
                                                  max_elements);
    if (reader == nullptr) {
        return MI_READER_NO_MEMORY;
    }
    if (chunk == 0) {
        chunk = bytes.size() > 0 ? bytes.size() : 1;
    }
    for (size_t at = 0; at < bytes.size(); at += chunk) {
        size_t n = bytes.size() - at < chunk ? bytes.size() - at : chunk;
        mi_reader_feed(reader, bytes.data() + at, n);
    }
    mi_reader_finish(reader);
    mi_reader_status status = mi_reader_get_status(reader);
    mi_reader_free(reader);
    return status;
}

// The model's reason, "" when it has none.
inline std::string Reason(const mi_model &model) {
    return model.incomplete_reason != nullptr ? model.incomplete_reason : "";
}

// "record N at byte B: " for record N of `r`.
inline std::string At(const Recording &r, size_t number) {
    return "record " + std::to_string(number) + " at byte " +
           std::to_string(r.Offset(number)) + ": ";
}

// A recording with every kind of record and every table: the one the
// reader, analysis and golden tests share. Types 13 to 30 are there so
// that the types table has more than 15 rows.
inline void FullRecording(Recording &r) {
    r.Header();
    r.Imports(596, 715, {"nt", "winreg"});
    r.Process(MI_MOMENT_BEFORE, 0.1875, 0.034375, 60872, 61692, 1);
    r.Gc(51452, 478, 48, 0);
    r.Type(1, "str");
    r.Type(2, "int");
    r.Type(3, "tuple");
    r.Type(4, "dict");
    r.Type(5, "type");
    TypeSpec point;
    point.id = 6;
    point.name = "app.Point";
    point.flags = MI_TYPE_FLAG_HEAP;
    point.static_attributes = {"x", "y", "_Point__secret"};
    point.static_dict_bytes = 272;
    r.Type(point);
    TypeSpec config;
    config.id = 7;
    config.name = "app.Config";
    config.flags = MI_TYPE_FLAG_HEAP;
    r.Type(config);
    r.Type(8, "ValueError", MI_TYPE_FLAG_EXCEPTION);
    TypeSpec unused;
    unused.id = 9;
    unused.name = "app.Unused";
    unused.flags = MI_TYPE_FLAG_HEAP;
    unused.static_attributes = {"a", "b", "c", "d", "e", "f"};
    unused.static_dict_bytes = 472;
    r.Type(unused);
    r.Type(10, "complex");
    r.Type(11, "f\xc3\xb6\xc3\xb6.\xc3\x9cn\xc3\xaf" "code", MI_TYPE_FLAG_HEAP);
    r.Type(12, "float");
    for (uint64_t id = 13; id <= 30; id++) {
        r.Type(id, "mod.T" + std::to_string(id));
    }
    InventorySpec inventory;
    inventory.objects = 1234;
    inventory.bytes = 987654;
    inventory.python_sizeof_calls = 3;
    inventory.sizeof_fallbacks = 1;
    inventory.duplicate_type_ids = {1, 2, 3, 10, 12};
    r.Inventory(inventory);

    StatsSpec s;
    s.type_id = 1;
    s.instances = 820;
    s.bytes = 75721;
    s.immortal = 20;
    s.interned = 700;
    s.refcounts = {{1, 300}, {2, 400}, {3, 100}};
    s.addresses = {0x1000, 0x1010, 0x1020, 0x1030, 0x1040,
                   0x9000, 0x9010, 0x9020, 0x9030, 0x9040};
    r.TypeStats(s);
    r.TypeStats(2, 57, 1596);
    r.TypeStats(3, 513, 37976);
    r.TypeStats(4, 214, 34202);
    s = StatsSpec();
    s.type_id = 5;
    s.instances = 28;
    s.bytes = 40096;
    s.refcounts = {{5, 28}};
    r.TypeStats(s);
    s = StatsSpec();
    s.type_id = 6;
    s.instances = 40;
    s.bytes = 1920;
    s.refcounts = {{1, 40}};
    s.dict_instances = 40;
    s.dict_bytes = 11840;
    s.attribute_names = {{"x", 40}, {"y", 40}, {"z", 3}};
    r.TypeStats(s);
    s = StatsSpec();
    s.type_id = 7;
    s.instances = 2;
    s.bytes = 96;
    s.refcounts = {{1, 2}};
    s.dict_instances = 2;
    s.dict_bytes = 104;
    s.attribute_names = {{"name", 2}, {"path", 2}, {"mode", 1}, {"size", 1},
                         {"user", 1}, {"flags", 1}, {"more", 1}};
    r.TypeStats(s);
    r.TypeStats(10, 1, 32);
    s = StatsSpec();
    s.type_id = 11;
    s.instances = 3;
    s.bytes = 144;
    s.refcounts = {{1, 3}};
    s.dict_instances = 3;
    s.dict_bytes = 888;
    s.attribute_names = {{"\xc3\xa9t\xc3\xa9", 3}};
    r.TypeStats(s);
    for (uint64_t id = 13; id <= 30; id++) {
        r.TypeStats(id, id - 12, (id - 12) * 48);
    }
    r.Uninstantiated({8, 9});
    DuplicateSpec d;
    d.type_id = 1;
    d.repr = "'a \"quoted\" line\\n'";
    d.size = 62;
    d.copies = 3;
    d.interned = 1;
    d.refcounts = {{1, 2}, {4, 1}};
    d.addresses = {0x1000, 0x1010, 0x1020};
    r.Duplicate(d);
    r.Duplicate(1, "'caf\xc3\xa9'", 54, 5);
    r.Duplicate(1, "'bbb'", 52, 2);
    r.Duplicate(1, "'aaa'", 52, 2);
    r.Duplicate(2, "1000", 28, 4);
    r.Duplicate(3, "('x', 'y')", 56, 9);
    r.Process(MI_MOMENT_AFTER, 0.3125, 0.0625, 61000, 62000, 1);
    r.End();
}

// An inventory of `scope` whose objects and bytes are the sum of its
// TYPE_STATS: (type id, instances, bytes).
inline void ScopeInventory(Recording &r, uint64_t scope,
                           const std::vector<std::array<uint64_t, 3>> &rows) {
    InventorySpec inventory;
    inventory.scope = scope;
    inventory.duplicate_type_ids = {1};
    for (const auto &row : rows) {
        inventory.objects += row[1];
        inventory.bytes += row[2];
    }
    r.Inventory(inventory);
    for (const auto &row : rows) {
        StatsSpec s;
        s.scope = scope;
        s.type_id = row[0];
        s.instances = row[1];
        s.bytes = row[2];
        s.refcounts = {{1, row[1]}};
        r.TypeStats(s);
    }
}

// A recording of import tracing as the Tracer writes it, with every case
// the import tree handles (thread 1 unless said):
//
//   json (1) > json.decoder (2) > json.scanner (3); json > json.encoder (4)
//   missing_mod (5): not found; broken (6): failed
//   json.scanner again (7, a reload: a name seen twice)
//   worker (8) > worker.jobs (9), on thread 2
//   app.config (11), inside app (10), whose import never ends
//
// then the final inventory, a RETAINED per scope (they add up to it
// unless `retained_adds_up` is false: the unattributed bytes are one
// short) and the unattributed inventory. Types: 1 str, 2 dict, 3
// function, 4 module.
inline void TracedRecording(Recording &r, bool retained_adds_up = true) {
    r.Header();
    r.Process(MI_MOMENT_BEFORE, 0.25, 0.0625, 50000, 51000, 2);
    r.Gc(40000, 100, 10, 0);
    r.Type(1, "str");
    r.Type(2, "dict");
    r.Type(3, "function");
    r.Type(4, "module");
    r.Module(1, "json");
    r.Module(2, "json.decoder");
    r.Module(3, "json.scanner");
    r.Import(3, 2, 1, 100.0, 0.0001, 0.0003);
    ScopeInventory(r, 3, {{1, 10, 600}, {3, 2, 288}, {4, 1, 72}});
    r.Import(2, 1, 1, 100.0, 0.0002, 0.0011);
    ScopeInventory(r, 2, {{1, 40, 2400}, {2, 3, 1100}});
    r.Module(4, "json.encoder");
    r.Import(4, 1, 1, 100.002, 0.0001, 0.0009);
    ScopeInventory(r, 4, {{1, 30, 2000}, {3, 10, 1440}});
    r.Import(1, 0, 1, 99.999, 0.0002, 0.0035);
    ScopeInventory(r, 1, {{2, 5, 3000}, {1, 5, 300}, {4, 1, 72}});
    r.Module(5, "missing_mod");
    r.Import(5, 0, 1, 100.01, 0.0004, 0.0004, MI_IMPORT_NOT_FOUND);
    ScopeInventory(r, 5, {});
    r.Module(6, "broken");
    r.Import(6, 0, 1, 100.02, 0.0001, 0.0006, MI_IMPORT_FAILED,
             "ValueError: boom\nsecond line");
    ScopeInventory(r, 6, {{1, 2, 100}});
    r.Module(7, "json.scanner");
    r.Import(7, 0, 1, 100.03, 0.0001, 0.0002);
    ScopeInventory(r, 7, {{1, 1, 50}});
    r.Module(8, "worker");
    r.Module(9, "worker.jobs");
    r.Import(9, 8, 2, 100.04, 0.0001, 0.0005);
    ScopeInventory(r, 9, {{1, 20, 1200}});
    r.Import(8, 0, 2, 100.039, 0.0001, 0.0015);
    ScopeInventory(r, 8, {{2, 2, 700}});
    r.Module(10, "app");
    r.Module(11, "app.config");
    r.Import(11, 10, 1, 100.05, 0.0001, 0.0007);
    ScopeInventory(r, 11, {{2, 1, 400}, {1, 8, 500}});
    ScopeInventory(r, MI_SCOPE_FINAL,
                   {{1, 1100, 70000}, {2, 300, 40000}, {3, 200, 28800},
                    {4, 60, 4320}});
    // Retained: less than some walks found (objects freed since), json.encoder
    // without any (all freed), app.config more (none here: equal).
    r.Retained(1, 10, 3300);
    r.Retained(2, 40, 3000);
    r.Retained(3, 12, 850);
    r.Retained(6, 2, 100);
    r.Retained(7, 1, 50);
    r.Retained(8, 2, 700);
    r.Retained(9, 20, 1200);
    r.Retained(11, 9, 900);
    r.Retained(MI_SCOPE_BASELINE, 1500, 130000);
    // Final: 1660 objects, 143120 bytes; the scopes above: 1596 objects,
    // 140100 bytes; the rest is unattributed.
    r.Retained(MI_SCOPE_UNATTRIBUTED, 64, retained_adds_up ? 3020 : 3019);
    ScopeInventory(r, MI_SCOPE_UNATTRIBUTED, {{1, 60, 2700}, {2, 4, 320}});
    r.Process(MI_MOMENT_AFTER, 0.5, 0.125, 52000, 53000, 2);
    r.End();
}

}  // namespace mi_test

#endif
