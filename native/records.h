/* The record format: the one schema that the writer (the extension) and
 * the reader (the collector) both build from. docs/record-format.md
 * describes it for people; this header is what the code compiles.
 *
 * A recording is a sequence of msgpack arrays, one per record, with no
 * framing besides msgpack's own. Element 0 of each array is the record
 * kind; the other elements are the fields, in the order of the
 * MI_FIELD_<KIND>_* indexes below. The first record is a HEADER naming the
 * format version; the last is an END. A reader rejects a record whose
 * kind, length or field types differ from this schema, and a recording of
 * another version. New fields are only ever appended, with a new version.
 */
#ifndef MI_RECORDS_H
#define MI_RECORDS_H

#define MI_RECORD_FORMAT_VERSION 1
#define MI_RECORD_MAGIC "memory_inventory"

/* Record kinds (element 0). */
enum mi_record_kind {
    MI_RECORD_HEADER = 1,
    MI_RECORD_TYPE = 2,
    MI_RECORD_MODULE = 3,
    MI_RECORD_IMPORTS = 4,
    MI_RECORD_PROCESS = 5,
    MI_RECORD_GC = 6,
    MI_RECORD_INVENTORY = 7,
    MI_RECORD_TYPE_STATS = 8,
    MI_RECORD_UNINSTANTIATED = 9,
    MI_RECORD_DUPLICATE = 10,
    MI_RECORD_END = 15,
    /* Import tracing (per-module records); up to 31 reserved for it. */
    MI_RECORD_IMPORT = 16,
    MI_RECORD_RETAINED = 17,
    MI_RECORD_KIND_MAX = 31,
};

/* Scopes: which inventory a record belongs to. 0 is the final (or only)
   full inventory; import tracing numbers its per-import inventories from
   1, by the id of a MODULE record (one per import event). */
#define MI_SCOPE_FINAL 0
/* Import tracing: what existed when tracing began, and what the final
   inventory found that no walk after an import had reached. */
#define MI_SCOPE_BASELINE 4294967294u
#define MI_SCOPE_UNATTRIBUTED 4294967295u

/* HEADER: [1, magic, version, python_version, pid, argv, wall_clock,
            monotonic_clock, loaded_modules]
   magic: str "memory_inventory"; version: uint (MI_RECORD_FORMAT_VERSION);
   python_version: str (sys.version); pid: uint; argv: array of str;
   wall_clock: float (seconds since the epoch); monotonic_clock: float
   (seconds, time.monotonic); loaded_modules: array of str (sys.modules'
   keys when the inventory was taken). */
enum {
    MI_FIELD_HEADER_MAGIC = 1,
    MI_FIELD_HEADER_VERSION,
    MI_FIELD_HEADER_PYTHON_VERSION,
    MI_FIELD_HEADER_PID,
    MI_FIELD_HEADER_ARGV,
    MI_FIELD_HEADER_WALL_CLOCK,
    MI_FIELD_HEADER_MONOTONIC_CLOCK,
    MI_FIELD_HEADER_LOADED_MODULES,
    MI_HEADER_LENGTH
};

/* TYPE: [2, type_id, name, repr, address, flags, static_attributes,
          static_dict_bytes]
   Sent once, before any record that refers to type_id.
   type_id: uint, unique in the recording; name: str (qualified as the
   reports print it: "module.Name", or "Name" for builtins); repr: str
   (repr(cls)); address: uint (id(cls)); flags: uint (MI_TYPE_FLAG_*);
   static_attributes: array of str (the names __static_attributes__ lists
   that the class does not serve through a descriptor, mangled; empty
   before 3.13); static_dict_bytes: uint (sys.getsizeof of a dict holding
   those names: what one instance's __dict__ would occupy, for the savings
   of uninstantiated classes; 0 when there are none). */
enum {
    MI_FIELD_TYPE_ID = 1,
    MI_FIELD_TYPE_NAME,
    MI_FIELD_TYPE_REPR,
    MI_FIELD_TYPE_ADDRESS,
    MI_FIELD_TYPE_FLAGS,
    MI_FIELD_TYPE_STATIC_ATTRIBUTES,
    MI_FIELD_TYPE_STATIC_DICT_BYTES,
    MI_TYPE_LENGTH
};
#define MI_TYPE_FLAG_EXCEPTION 1u   /* a subclass of BaseException */
#define MI_TYPE_FLAG_HEAP 2u        /* a heap type (a class statement) */

/* MODULE: [3, module_id, name]  (import tracing; module_id >= 1)
   One per import event, not per module: module_id is the event's id,
   unique in the recording; name (the module's) may repeat, when a module
   is imported again (importlib.reload(), a failed import retried). */
enum {
    MI_FIELD_MODULE_ID = 1,
    MI_FIELD_MODULE_NAME,
    MI_MODULE_LENGTH
};

/* IMPORTS: [4, imported, total, failed]
   What the command line imported before the inventory: imported: uint
   (modules added to sys.modules), total: uint (len(sys.modules) after),
   failed: array of str (modules whose import raised). */
enum {
    MI_FIELD_IMPORTS_IMPORTED = 1,
    MI_FIELD_IMPORTS_TOTAL,
    MI_FIELD_IMPORTS_FAILED,
    MI_IMPORTS_LENGTH
};

/* PROCESS: [5, moment, user_seconds, system_seconds, rss_kib,
             peak_rss_kib, threads]
   moment: uint (MI_MOMENT_*); the times are floats; rss_kib and
   peak_rss_kib: uint, or nil where unknown; threads: uint. */
enum {
    MI_FIELD_PROCESS_MOMENT = 1,
    MI_FIELD_PROCESS_USER_SECONDS,
    MI_FIELD_PROCESS_SYSTEM_SECONDS,
    MI_FIELD_PROCESS_RSS_KIB,
    MI_FIELD_PROCESS_PEAK_RSS_KIB,
    MI_FIELD_PROCESS_THREADS,
    MI_PROCESS_LENGTH
};
#define MI_MOMENT_BEFORE 0  /* before the inventory */
#define MI_MOMENT_AFTER 1   /* after it */

/* GC: [6, tracked, collected, collections, uncollectable]  (all uint;
   taken before the inventory, as the original prints them) */
enum {
    MI_FIELD_GC_TRACKED = 1,
    MI_FIELD_GC_COLLECTED,
    MI_FIELD_GC_COLLECTIONS,
    MI_FIELD_GC_UNCOLLECTABLE,
    MI_GC_LENGTH
};

/* INVENTORY: [7, scope, objects, bytes, limit_reached, pending,
               walk_seconds, python_sizeof_calls, sizeof_fallbacks,
               duplicate_type_ids, objects_limit]
   Opens the records of one inventory: its TYPE_STATS, UNINSTANTIATED and
   DUPLICATE records follow, each naming the same scope. objects, bytes,
   pending, the counts and objects_limit: uint; limit_reached: bool;
   walk_seconds: float; duplicate_type_ids: array of uint (the types whose
   duplicates were looked for). */
enum {
    MI_FIELD_INVENTORY_SCOPE = 1,
    MI_FIELD_INVENTORY_OBJECTS,
    MI_FIELD_INVENTORY_BYTES,
    MI_FIELD_INVENTORY_LIMIT_REACHED,
    MI_FIELD_INVENTORY_PENDING,
    MI_FIELD_INVENTORY_WALK_SECONDS,
    MI_FIELD_INVENTORY_PYTHON_SIZEOF_CALLS,
    MI_FIELD_INVENTORY_SIZEOF_FALLBACKS,
    MI_FIELD_INVENTORY_DUPLICATE_TYPE_IDS,
    MI_FIELD_INVENTORY_OBJECTS_LIMIT,
    MI_INVENTORY_LENGTH
};

/* TYPE_STATS: [8, scope, type_id, instances, bytes, immortal, interned,
                refcounts, addresses, dict_instances, dict_bytes,
                attribute_names]
   One per type with at least one instance found. refcounts: map of uint
   (reference count) to uint (instances), immortal ones apart; addresses:
   array of uint (the lowest and highest addresses, ascending; all of them
   when instances <= 10); attribute_names: map of str to uint (instances
   whose __dict__ holds the name). */
enum {
    MI_FIELD_TYPE_STATS_SCOPE = 1,
    MI_FIELD_TYPE_STATS_TYPE_ID,
    MI_FIELD_TYPE_STATS_INSTANCES,
    MI_FIELD_TYPE_STATS_BYTES,
    MI_FIELD_TYPE_STATS_IMMORTAL,
    MI_FIELD_TYPE_STATS_INTERNED,
    MI_FIELD_TYPE_STATS_REFCOUNTS,
    MI_FIELD_TYPE_STATS_ADDRESSES,
    MI_FIELD_TYPE_STATS_DICT_INSTANCES,
    MI_FIELD_TYPE_STATS_DICT_BYTES,
    MI_FIELD_TYPE_STATS_ATTRIBUTE_NAMES,
    MI_TYPE_STATS_LENGTH
};

/* UNINSTANTIATED: [9, scope, type_ids]
   The types the walk met (as objects) without finding an instance of
   them, BaseException subclasses included (their TYPE flags tell). */
enum {
    MI_FIELD_UNINSTANTIATED_SCOPE = 1,
    MI_FIELD_UNINSTANTIATED_TYPE_IDS,
    MI_UNINSTANTIATED_LENGTH
};

/* DUPLICATE: [10, scope, type_id, repr, size, copies, immortal, interned,
               refcounts, addresses]
   One per value held by two or more objects. repr: str (repr(value),
   whole); size: uint (sys.getsizeof of one copy); copies: uint (>= 2);
   refcounts and addresses as in TYPE_STATS. */
enum {
    MI_FIELD_DUPLICATE_SCOPE = 1,
    MI_FIELD_DUPLICATE_TYPE_ID,
    MI_FIELD_DUPLICATE_REPR,
    MI_FIELD_DUPLICATE_SIZE,
    MI_FIELD_DUPLICATE_COPIES,
    MI_FIELD_DUPLICATE_IMMORTAL,
    MI_FIELD_DUPLICATE_INTERNED,
    MI_FIELD_DUPLICATE_REFCOUNTS,
    MI_FIELD_DUPLICATE_ADDRESSES,
    MI_DUPLICATE_LENGTH
};

/* IMPORT: [16, module_id, parent_id, thread_id, started, find_seconds,
            total_seconds, status, error]
   Import tracing: one import that reached the import system, sent when
   it ends (so children come before their parent, as -X importtime
   prints them). module_id: uint (the id of this import event: a MODULE
   sent before); parent_id: uint (the id of the import event in progress
   on the same thread when this one began, whose own IMPORT comes later
   with that id; 0 at the top); thread_id: uint
   (threading.get_ident()); started: float (time.monotonic() at the
   start); find_seconds: float (finding the spec); total_seconds: float
   (finding, loading and executing, children included: importtime's
   cumulative time); status: uint (MI_IMPORT_*);
   error: str or nil (the exception's type and message when it failed).
   Its self growth follows as an INVENTORY of scope module_id. */
enum {
    MI_FIELD_IMPORT_MODULE_ID = 1,
    MI_FIELD_IMPORT_PARENT_ID,
    MI_FIELD_IMPORT_THREAD_ID,
    MI_FIELD_IMPORT_STARTED,
    MI_FIELD_IMPORT_FIND_SECONDS,
    MI_FIELD_IMPORT_TOTAL_SECONDS,
    MI_FIELD_IMPORT_STATUS,
    MI_FIELD_IMPORT_ERROR,
    MI_IMPORT_LENGTH
};
#define MI_IMPORT_OK 0
#define MI_IMPORT_FAILED 1      /* the import raised */
#define MI_IMPORT_NOT_FOUND 2   /* no finder found a spec */

/* RETAINED: [17, scope, objects, bytes]
   Import tracing, after the final inventory: of what it found, the
   objects and bytes first reached by the walk of `scope` (a module id,
   MI_SCOPE_BASELINE or MI_SCOPE_UNATTRIBUTED). Over all scopes they add
   up exactly to the final INVENTORY's objects and bytes. */
enum {
    MI_FIELD_RETAINED_SCOPE = 1,
    MI_FIELD_RETAINED_OBJECTS,
    MI_FIELD_RETAINED_BYTES,
    MI_RETAINED_LENGTH
};

/* END: [15, records, dropped]
   records: uint (records written before this one, HEADER included);
   dropped: uint (records the writer dropped because its buffer was full:
   a report with dropped records is incomplete). A recording without END
   is incomplete. */
enum {
    MI_FIELD_END_RECORDS = 1,
    MI_FIELD_END_DROPPED,
    MI_END_LENGTH
};

#endif
