#define _POSIX_C_SOURCE 200809L

#include "reader.h"

#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../records.h"
#include "frame.h"
#include "id_map.h"

/* Where bytes go once the reader has stopped: they are still read (the
   caller saves them), but no longer decoded. */
#define SCRATCH_SIZE 65536

/* The least room offered to the source at a time. */
#define MIN_READ_SIZE 4096

#define REASON_SIZE 512

/* ---- The schema of records.h, as tables ---- */

typedef enum {
    F_UINT = 1,
    F_STR,
    F_FLOAT,
    F_BOOL,
    F_UINT_OR_NIL,
    F_STR_ARRAY,
    F_UINT_ARRAY,
    F_UINT_MAP,         /* uint -> uint */
    F_STR_MAP,          /* str -> uint */
    F_STR_OR_NIL,
} field_type;

typedef struct {
    const char *name;
    field_type type;
} field_spec;

typedef struct {
    const char *name;
    size_t length;                  /* elements, the kind included */
    const field_spec *fields;       /* indexed by MI_FIELD_* */
} kind_spec;

static const field_spec header_fields[MI_HEADER_LENGTH] = {
    [MI_FIELD_HEADER_MAGIC] = {"magic", F_STR},
    [MI_FIELD_HEADER_VERSION] = {"version", F_UINT},
    [MI_FIELD_HEADER_PYTHON_VERSION] = {"python_version", F_STR},
    [MI_FIELD_HEADER_PID] = {"pid", F_UINT},
    [MI_FIELD_HEADER_ARGV] = {"argv", F_STR_ARRAY},
    [MI_FIELD_HEADER_WALL_CLOCK] = {"wall_clock", F_FLOAT},
    [MI_FIELD_HEADER_MONOTONIC_CLOCK] = {"monotonic_clock", F_FLOAT},
    [MI_FIELD_HEADER_LOADED_MODULES] = {"loaded_modules", F_STR_ARRAY},
};

static const field_spec type_fields[MI_TYPE_LENGTH] = {
    [MI_FIELD_TYPE_ID] = {"type_id", F_UINT},
    [MI_FIELD_TYPE_NAME] = {"name", F_STR},
    [MI_FIELD_TYPE_REPR] = {"repr", F_STR},
    [MI_FIELD_TYPE_ADDRESS] = {"address", F_UINT},
    [MI_FIELD_TYPE_FLAGS] = {"flags", F_UINT},
    [MI_FIELD_TYPE_STATIC_ATTRIBUTES] = {"static_attributes", F_STR_ARRAY},
    [MI_FIELD_TYPE_STATIC_DICT_BYTES] = {"static_dict_bytes", F_UINT},
};

static const field_spec module_fields[MI_MODULE_LENGTH] = {
    [MI_FIELD_MODULE_ID] = {"module_id", F_UINT},
    [MI_FIELD_MODULE_NAME] = {"name", F_STR},
};

static const field_spec imports_fields[MI_IMPORTS_LENGTH] = {
    [MI_FIELD_IMPORTS_IMPORTED] = {"imported", F_UINT},
    [MI_FIELD_IMPORTS_TOTAL] = {"total", F_UINT},
    [MI_FIELD_IMPORTS_FAILED] = {"failed", F_STR_ARRAY},
};

static const field_spec process_fields[MI_PROCESS_LENGTH] = {
    [MI_FIELD_PROCESS_MOMENT] = {"moment", F_UINT},
    [MI_FIELD_PROCESS_USER_SECONDS] = {"user_seconds", F_FLOAT},
    [MI_FIELD_PROCESS_SYSTEM_SECONDS] = {"system_seconds", F_FLOAT},
    [MI_FIELD_PROCESS_RSS_KIB] = {"rss_kib", F_UINT_OR_NIL},
    [MI_FIELD_PROCESS_PEAK_RSS_KIB] = {"peak_rss_kib", F_UINT_OR_NIL},
    [MI_FIELD_PROCESS_THREADS] = {"threads", F_UINT},
};

static const field_spec gc_fields[MI_GC_LENGTH] = {
    [MI_FIELD_GC_TRACKED] = {"tracked", F_UINT},
    [MI_FIELD_GC_COLLECTED] = {"collected", F_UINT},
    [MI_FIELD_GC_COLLECTIONS] = {"collections", F_UINT},
    [MI_FIELD_GC_UNCOLLECTABLE] = {"uncollectable", F_UINT},
};

static const field_spec inventory_fields[MI_INVENTORY_LENGTH] = {
    [MI_FIELD_INVENTORY_SCOPE] = {"scope", F_UINT},
    [MI_FIELD_INVENTORY_OBJECTS] = {"objects", F_UINT},
    [MI_FIELD_INVENTORY_BYTES] = {"bytes", F_UINT},
    [MI_FIELD_INVENTORY_LIMIT_REACHED] = {"limit_reached", F_BOOL},
    [MI_FIELD_INVENTORY_PENDING] = {"pending", F_UINT},
    [MI_FIELD_INVENTORY_WALK_SECONDS] = {"walk_seconds", F_FLOAT},
    [MI_FIELD_INVENTORY_PYTHON_SIZEOF_CALLS] = {"python_sizeof_calls",
                                                F_UINT},
    [MI_FIELD_INVENTORY_SIZEOF_FALLBACKS] = {"sizeof_fallbacks", F_UINT},
    [MI_FIELD_INVENTORY_DUPLICATE_TYPE_IDS] = {"duplicate_type_ids",
                                               F_UINT_ARRAY},
    [MI_FIELD_INVENTORY_OBJECTS_LIMIT] = {"objects_limit", F_UINT},
};

static const field_spec type_stats_fields[MI_TYPE_STATS_LENGTH] = {
    [MI_FIELD_TYPE_STATS_SCOPE] = {"scope", F_UINT},
    [MI_FIELD_TYPE_STATS_TYPE_ID] = {"type_id", F_UINT},
    [MI_FIELD_TYPE_STATS_INSTANCES] = {"instances", F_UINT},
    [MI_FIELD_TYPE_STATS_BYTES] = {"bytes", F_UINT},
    [MI_FIELD_TYPE_STATS_IMMORTAL] = {"immortal", F_UINT},
    [MI_FIELD_TYPE_STATS_INTERNED] = {"interned", F_UINT},
    [MI_FIELD_TYPE_STATS_REFCOUNTS] = {"refcounts", F_UINT_MAP},
    [MI_FIELD_TYPE_STATS_ADDRESSES] = {"addresses", F_UINT_ARRAY},
    [MI_FIELD_TYPE_STATS_DICT_INSTANCES] = {"dict_instances", F_UINT},
    [MI_FIELD_TYPE_STATS_DICT_BYTES] = {"dict_bytes", F_UINT},
    [MI_FIELD_TYPE_STATS_ATTRIBUTE_NAMES] = {"attribute_names", F_STR_MAP},
};

static const field_spec uninstantiated_fields[MI_UNINSTANTIATED_LENGTH] = {
    [MI_FIELD_UNINSTANTIATED_SCOPE] = {"scope", F_UINT},
    [MI_FIELD_UNINSTANTIATED_TYPE_IDS] = {"type_ids", F_UINT_ARRAY},
};

static const field_spec duplicate_fields[MI_DUPLICATE_LENGTH] = {
    [MI_FIELD_DUPLICATE_SCOPE] = {"scope", F_UINT},
    [MI_FIELD_DUPLICATE_TYPE_ID] = {"type_id", F_UINT},
    [MI_FIELD_DUPLICATE_REPR] = {"repr", F_STR},
    [MI_FIELD_DUPLICATE_SIZE] = {"size", F_UINT},
    [MI_FIELD_DUPLICATE_COPIES] = {"copies", F_UINT},
    [MI_FIELD_DUPLICATE_IMMORTAL] = {"immortal", F_UINT},
    [MI_FIELD_DUPLICATE_INTERNED] = {"interned", F_UINT},
    [MI_FIELD_DUPLICATE_REFCOUNTS] = {"refcounts", F_UINT_MAP},
    [MI_FIELD_DUPLICATE_ADDRESSES] = {"addresses", F_UINT_ARRAY},
};

static const field_spec import_fields[MI_IMPORT_LENGTH] = {
    [MI_FIELD_IMPORT_MODULE_ID] = {"module_id", F_UINT},
    [MI_FIELD_IMPORT_PARENT_ID] = {"parent_id", F_UINT},
    [MI_FIELD_IMPORT_THREAD_ID] = {"thread_id", F_UINT},
    [MI_FIELD_IMPORT_STARTED] = {"started", F_FLOAT},
    [MI_FIELD_IMPORT_FIND_SECONDS] = {"find_seconds", F_FLOAT},
    [MI_FIELD_IMPORT_TOTAL_SECONDS] = {"total_seconds", F_FLOAT},
    [MI_FIELD_IMPORT_STATUS] = {"status", F_UINT},
    [MI_FIELD_IMPORT_ERROR] = {"error", F_STR_OR_NIL},
};

static const field_spec retained_fields[MI_RETAINED_LENGTH] = {
    [MI_FIELD_RETAINED_SCOPE] = {"scope", F_UINT},
    [MI_FIELD_RETAINED_OBJECTS] = {"objects", F_UINT},
    [MI_FIELD_RETAINED_BYTES] = {"bytes", F_UINT},
};

static const field_spec end_fields[MI_END_LENGTH] = {
    [MI_FIELD_END_RECORDS] = {"records", F_UINT},
    [MI_FIELD_END_DROPPED] = {"dropped", F_UINT},
};

static const kind_spec kinds[MI_RECORD_KIND_MAX + 1] = {
    [MI_RECORD_HEADER] = {"HEADER", MI_HEADER_LENGTH, header_fields},
    [MI_RECORD_TYPE] = {"TYPE", MI_TYPE_LENGTH, type_fields},
    [MI_RECORD_MODULE] = {"MODULE", MI_MODULE_LENGTH, module_fields},
    [MI_RECORD_IMPORTS] = {"IMPORTS", MI_IMPORTS_LENGTH, imports_fields},
    [MI_RECORD_PROCESS] = {"PROCESS", MI_PROCESS_LENGTH, process_fields},
    [MI_RECORD_GC] = {"GC", MI_GC_LENGTH, gc_fields},
    [MI_RECORD_INVENTORY] = {"INVENTORY", MI_INVENTORY_LENGTH,
                             inventory_fields},
    [MI_RECORD_TYPE_STATS] = {"TYPE_STATS", MI_TYPE_STATS_LENGTH,
                              type_stats_fields},
    [MI_RECORD_UNINSTANTIATED] = {"UNINSTANTIATED", MI_UNINSTANTIATED_LENGTH,
                                  uninstantiated_fields},
    [MI_RECORD_DUPLICATE] = {"DUPLICATE", MI_DUPLICATE_LENGTH,
                             duplicate_fields},
    [MI_RECORD_END] = {"END", MI_END_LENGTH, end_fields},
    [MI_RECORD_IMPORT] = {"IMPORT", MI_IMPORT_LENGTH, import_fields},
    [MI_RECORD_RETAINED] = {"RETAINED", MI_RETAINED_LENGTH, retained_fields},
};

/* ---- The reader ---- */

/* What the reader knows of one inventory, beside the model: which types
   it has seen in which role. Parallel to model->inventories. */
typedef struct {
    mi_id_map stats;            /* type id -> index in type_stats */
    mi_id_map uninstantiated;   /* type ids */
    mi_id_map duplicate_types;  /* type ids of duplicate_type_ids */
} scope_index;

struct mi_reader {
    mi_model *model;
    mi_id_map *types;           /* the model's type_index */
    mi_id_map modules;          /* module id -> index in model->modules */
    mi_id_map imported;         /* module ids that have their IMPORT */
    mi_id_map retained;         /* scopes that have their RETAINED */
    scope_index *scopes;
    msgpack_unpacker unpacker;
    msgpack_unpacked unpacked;
    mi_frame frame;
    mi_reader_status status;
    uint64_t max_bytes;
    uint64_t record_start;      /* offset of the record being read */
    char *scratch;
    bool in_scratch;            /* the last buffer handed out */
};

/* Makes room for element `n` of an array that grows by doubling, its
   capacity implied by `n` (8, 16, 32...). */
static int
grow(void *array_pointer, size_t n, size_t element_size)
{
    void **array = array_pointer;
    size_t capacity;
    if (n == 0) {
        capacity = 8;
    }
    else if (n >= 8 && (n & (n - 1)) == 0) {
        capacity = 2 * n;
    }
    else {
        return 0;
    }
    if (capacity > SIZE_MAX / element_size) {
        return -1;
    }
    void *bigger = realloc(*array, capacity * element_size);
    if (bigger == NULL) {
        return -1;
    }
    *array = bigger;
    return 0;
}

/* Stops the reading with `status`; the reason, prefixed with the record
   number and offset, becomes the model's unless it has one already.
   Returns -1. */
static int
stop(mi_reader *reader, mi_reader_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int
stop(mi_reader *reader, mi_reader_status status, const char *format, ...)
{
    char message[REASON_SIZE];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, sizeof(message), format, arguments);
    va_end(arguments);

    reader->status = status;
    mi_model *model = reader->model;
    if (model->incomplete_reason == NULL) {
        size_t size = strlen(message) + 64;
        char *reason = malloc(size);
        if (reason != NULL) {
            snprintf(reason, size, "record %llu at byte %llu: %s",
                     (unsigned long long)model->records_read + 1,
                     (unsigned long long)reader->record_start, message);
        }
        model->incomplete_reason = reason;
    }
    return -1;
}

#define invalid(reader, ...) stop((reader), MI_READER_INVALID, __VA_ARGS__)

static int
no_memory(mi_reader *reader)
{
    return stop(reader, MI_READER_NO_MEMORY, "out of memory");
}

/* ---- Copies out of the msgpack object, before the next `next` ---- */

/* A NUL-terminated copy; a NUL inside becomes U+FFFD, so that the copy
   is not cut short. */
static char *
copy_string(const msgpack_object_str *s)
{
    size_t nuls = 0;
    for (uint32_t i = 0; i < s->size; i++) {
        nuls += s->ptr[i] == '\0';
    }
    char *copy = malloc((size_t)s->size + 2 * nuls + 1);
    if (copy == NULL) {
        return NULL;
    }
    char *p = copy;
    for (uint32_t i = 0; i < s->size; i++) {
        if (s->ptr[i] == '\0') {
            memcpy(p, "\xEF\xBF\xBD", 3);
            p += 3;
        }
        else {
            *p++ = s->ptr[i];
        }
    }
    *p = '\0';
    return copy;
}

static void
free_strings(char **strings, size_t n)
{
    if (strings != NULL) {
        for (size_t i = 0; i < n; i++) {
            free(strings[i]);
        }
        free(strings);
    }
}

/* Copies an array of str (type-checked already). */
static int
copy_strings(const msgpack_object *array, char ***strings, size_t *n)
{
    size_t size = array->via.array.size;
    *strings = NULL;
    *n = 0;
    if (size == 0) {
        return 0;
    }
    char **copies = calloc(size, sizeof(char *));
    if (copies == NULL) {
        return -1;
    }
    for (size_t i = 0; i < size; i++) {
        copies[i] = copy_string(&array->via.array.ptr[i].via.str);
        if (copies[i] == NULL) {
            free_strings(copies, i);
            return -1;
        }
    }
    *strings = copies;
    *n = size;
    return 0;
}

/* Copies an array of uint (type-checked already). */
static int
copy_uints(const msgpack_object *array, uint64_t **values, size_t *n)
{
    size_t size = array->via.array.size;
    *values = NULL;
    *n = 0;
    if (size == 0) {
        return 0;
    }
    uint64_t *copies = malloc(size * sizeof(uint64_t));
    if (copies == NULL) {
        return -1;
    }
    for (size_t i = 0; i < size; i++) {
        copies[i] = array->via.array.ptr[i].via.u64;
    }
    *values = copies;
    *n = size;
    return 0;
}

static int
compare_key_counts(const void *a, const void *b)
{
    uint64_t x = ((const mi_key_count *)a)->key;
    uint64_t y = ((const mi_key_count *)b)->key;
    return (x > y) - (x < y);
}

/* Copies a map of uint to uint (type-checked already), by key. */
static int
copy_key_counts(const msgpack_object *map, mi_key_count **pairs, size_t *n)
{
    size_t size = map->via.map.size;
    *pairs = NULL;
    *n = 0;
    if (size == 0) {
        return 0;
    }
    mi_key_count *copies = malloc(size * sizeof(mi_key_count));
    if (copies == NULL) {
        return -1;
    }
    for (size_t i = 0; i < size; i++) {
        copies[i].key = map->via.map.ptr[i].key.via.u64;
        copies[i].count = map->via.map.ptr[i].val.via.u64;
    }
    qsort(copies, size, sizeof(mi_key_count), compare_key_counts);
    *pairs = copies;
    *n = size;
    return 0;
}

static void
free_name_counts(mi_name_count *pairs, size_t n)
{
    if (pairs != NULL) {
        for (size_t i = 0; i < n; i++) {
            free(pairs[i].name);
        }
        free(pairs);
    }
}

/* Copies a map of str to uint (type-checked already), in its order. */
static int
copy_name_counts(const msgpack_object *map, mi_name_count **pairs, size_t *n)
{
    size_t size = map->via.map.size;
    *pairs = NULL;
    *n = 0;
    if (size == 0) {
        return 0;
    }
    mi_name_count *copies = calloc(size, sizeof(mi_name_count));
    if (copies == NULL) {
        return -1;
    }
    for (size_t i = 0; i < size; i++) {
        copies[i].name = copy_string(&map->via.map.ptr[i].key.via.str);
        if (copies[i].name == NULL) {
            free_name_counts(copies, i);
            return -1;
        }
        copies[i].count = map->via.map.ptr[i].val.via.u64;
    }
    *pairs = copies;
    *n = size;
    return 0;
}

static int
compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name that appears twice among `pairs`, or NULL. */
static const char *
repeated_name(const mi_name_count *pairs, size_t n, bool *no_memory_left)
{
    *no_memory_left = false;
    if (n < 2) {
        return NULL;
    }
    char **names = malloc(n * sizeof(char *));
    if (names == NULL) {
        *no_memory_left = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        names[i] = pairs[i].name;
    }
    qsort(names, n, sizeof(char *), compare_strings);
    const char *repeated = NULL;
    for (size_t i = 1; i < n && repeated == NULL; i++) {
        if (strcmp(names[i - 1], names[i]) == 0) {
            repeated = names[i];
        }
    }
    free(names);
    return repeated;
}

/* `s` between double quotes, printable ASCII as is, other bytes as \xNN,
   cut at about 60 characters: for messages. */
static const char *
quote(char *buffer, size_t size, const char *s)
{
    size_t used = 0;
    buffer[used++] = '"';
    for (; *s != '\0' && used + 8 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (used > 60) {
            memcpy(buffer + used, "...", 3);
            used += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            buffer[used++] = (char)c;
        }
        else {
            used += (size_t)snprintf(buffer + used, size - used, "\\x%02x", c);
        }
    }
    buffer[used++] = '"';
    buffer[used] = '\0';
    return buffer;
}

/* ---- Validation of the msgpack types ---- */

static bool
is_uint(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
}

static bool
is_float(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_FLOAT64
           || o->type == MSGPACK_OBJECT_FLOAT32;
}

static const char *
type_description(field_type type)
{
    switch (type) {
    case F_UINT: return "an unsigned integer";
    case F_STR: return "a string";
    case F_FLOAT: return "a float";
    case F_BOOL: return "a boolean";
    case F_UINT_OR_NIL: return "an unsigned integer or nil";
    case F_STR_ARRAY: return "an array of strings";
    case F_UINT_ARRAY: return "an array of unsigned integers";
    case F_UINT_MAP: return "a map of unsigned integers to unsigned integers";
    case F_STR_MAP: return "a map of strings to unsigned integers";
    case F_STR_OR_NIL: return "a string or nil";
    }
    return "?";
}

/* Checks that field `index` of a record of `kind` has its type. */
static int
check_field(mi_reader *reader, const kind_spec *kind, size_t index,
            const msgpack_object *o)
{
    const field_spec *field = &kind->fields[index];
    bool ok = false;
    switch (field->type) {
    case F_UINT:
        ok = is_uint(o);
        break;
    case F_STR:
        ok = o->type == MSGPACK_OBJECT_STR;
        break;
    case F_FLOAT:
        ok = is_float(o);
        break;
    case F_BOOL:
        ok = o->type == MSGPACK_OBJECT_BOOLEAN;
        break;
    case F_UINT_OR_NIL:
        ok = is_uint(o) || o->type == MSGPACK_OBJECT_NIL;
        break;
    case F_STR_OR_NIL:
        ok = o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_NIL;
        break;
    case F_STR_ARRAY:
    case F_UINT_ARRAY:
        ok = o->type == MSGPACK_OBJECT_ARRAY;
        break;
    case F_UINT_MAP:
    case F_STR_MAP:
        ok = o->type == MSGPACK_OBJECT_MAP;
        break;
    }
    if (!ok) {
        return invalid(reader, "%s field %zu (%s) must be %s", kind->name,
                       index, field->name, type_description(field->type));
    }
    if (field->type == F_STR_ARRAY || field->type == F_UINT_ARRAY) {
        bool strings = field->type == F_STR_ARRAY;
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            const msgpack_object *element = &o->via.array.ptr[i];
            if (strings ? element->type != MSGPACK_OBJECT_STR
                        : !is_uint(element)) {
                return invalid(reader, "%s field %zu (%s) element %lu must be "
                               "%s", kind->name, index, field->name,
                               (unsigned long)i,
                               strings ? "a string" : "an unsigned integer");
            }
        }
    }
    if (field->type == F_UINT_MAP || field->type == F_STR_MAP) {
        bool strings = field->type == F_STR_MAP;
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *pair = &o->via.map.ptr[i];
            if (strings ? pair->key.type != MSGPACK_OBJECT_STR
                        : !is_uint(&pair->key)) {
                return invalid(reader, "%s field %zu (%s) key %lu must be %s",
                               kind->name, index, field->name,
                               (unsigned long)i,
                               strings ? "a string" : "an unsigned integer");
            }
            if (!is_uint(&pair->val)) {
                return invalid(reader, "%s field %zu (%s) value %lu must be "
                               "an unsigned integer", kind->name, index,
                               field->name, (unsigned long)i);
            }
        }
    }
    return 0;
}

static double
float_of(const msgpack_object *o)
{
    return o->via.f64;
}

/* ---- Checks shared by several kinds ---- */

/* Field `index` of `record` names a type: it must be a known one. */
static int
check_type_reference(mi_reader *reader, const kind_spec *kind, size_t index,
                     uint64_t type_id, long element)
{
    if (mi_id_map_get(reader->types, type_id, NULL)) {
        return 0;
    }
    if (element >= 0) {
        return invalid(reader, "%s field %zu (%s) element %ld refers to type "
                       "%llu, which no earlier TYPE record defines",
                       kind->name, index, kind->fields[index].name, element,
                       (unsigned long long)type_id);
    }
    return invalid(reader, "%s field %zu (%s) refers to type %llu, which no "
                   "earlier TYPE record defines", kind->name, index,
                   kind->fields[index].name, (unsigned long long)type_id);
}

/* The inventory that field 1 (scope) of `record` names, or -1. */
static long
find_scope(mi_reader *reader, const kind_spec *kind,
           const msgpack_object *fields)
{
    uint64_t scope = fields[1].via.u64;
    size_t n = reader->model->n_inventories;
    /* The records of an inventory mostly follow it. */
    if (n > 0 && reader->model->inventories[n - 1].scope == scope) {
        return (long)(n - 1);
    }
    for (size_t i = 0; i < n; i++) {
        if (reader->model->inventories[i].scope == scope) {
            return (long)i;
        }
    }
    invalid(reader, "%s field 1 (scope) refers to inventory %llu, which no "
            "earlier INVENTORY record opens", kind->name,
            (unsigned long long)scope);
    return -1;
}

/* Addresses must be distinct, ascending, and no more than the objects. */
static int
check_addresses(mi_reader *reader, const kind_spec *kind, size_t index,
                const msgpack_object *array, uint64_t objects,
                const char *objects_name)
{
    const msgpack_object *a = array->via.array.ptr;
    for (uint32_t i = 1; i < array->via.array.size; i++) {
        if (a[i - 1].via.u64 >= a[i].via.u64) {
            return invalid(reader, "%s field %zu (addresses) must be distinct "
                           "and ascending (element %lu is not)", kind->name,
                           index, (unsigned long)i);
        }
    }
    if (array->via.array.size > objects) {
        return invalid(reader, "%s field %zu (addresses) has %lu addresses "
                       "for %llu %s", kind->name, index,
                       (unsigned long)array->via.array.size,
                       (unsigned long long)objects, objects_name);
    }
    return 0;
}

/* A count that cannot exceed the number of objects. */
static int
check_at_most(mi_reader *reader, const kind_spec *kind,
              const msgpack_object *fields, size_t index, size_t limit_index)
{
    if (fields[index].via.u64 > fields[limit_index].via.u64) {
        return invalid(reader, "%s field %zu (%s) is more than field %zu (%s)",
                       kind->name, index, kind->fields[index].name,
                       limit_index, kind->fields[limit_index].name);
    }
    return 0;
}

/* Refcounts, copied by key; a repeated key is invalid. */
static int
read_refcounts(mi_reader *reader, const kind_spec *kind, size_t index,
               const msgpack_object *map, mi_key_count **pairs, size_t *n)
{
    if (copy_key_counts(map, pairs, n) < 0) {
        return no_memory(reader);
    }
    for (size_t i = 1; i < *n; i++) {
        if ((*pairs)[i - 1].key == (*pairs)[i].key) {
            unsigned long long key = (*pairs)[i].key;
            free(*pairs);
            *pairs = NULL;
            *n = 0;
            return invalid(reader, "%s field %zu (refcounts) repeats the "
                           "reference count %llu", kind->name, index, key);
        }
    }
    return 0;
}

/* ---- One handler per kind: check, then fill the model ---- */

static int
read_header(mi_reader *reader, const msgpack_object *f)
{
    mi_model *model = reader->model;
    int rc = -1;

    if (copy_strings(&f[MI_FIELD_HEADER_ARGV], &model->argv,
                     &model->n_argv) < 0
        || copy_strings(&f[MI_FIELD_HEADER_LOADED_MODULES],
                        &model->loaded_modules,
                        &model->n_loaded_modules) < 0
        || (model->python_version = copy_string(
                &f[MI_FIELD_HEADER_PYTHON_VERSION].via.str)) == NULL) {
        no_memory(reader);
        goto done;
    }
    model->version = f[MI_FIELD_HEADER_VERSION].via.u64;
    model->pid = f[MI_FIELD_HEADER_PID].via.u64;
    model->wall_clock = float_of(&f[MI_FIELD_HEADER_WALL_CLOCK]);
    model->monotonic_clock = float_of(&f[MI_FIELD_HEADER_MONOTONIC_CLOCK]);
    model->has_header = true;
    rc = 0;
done:
    if (rc < 0) {
        free_strings(model->argv, model->n_argv);
        free_strings(model->loaded_modules, model->n_loaded_modules);
        free(model->python_version);
        model->argv = model->loaded_modules = NULL;
        model->n_argv = model->n_loaded_modules = 0;
        model->python_version = NULL;
    }
    return rc;
}

/* Magic and version come first, so that a stream of another kind or
   version gets told so rather than that its HEADER has the wrong length. */
static int
check_header_identity(mi_reader *reader, const msgpack_object_array *record)
{
    static const char magic[] = MI_RECORD_MAGIC;
    if (record->size > MI_FIELD_HEADER_MAGIC) {
        const msgpack_object *o = &record->ptr[MI_FIELD_HEADER_MAGIC];
        if (o->type != MSGPACK_OBJECT_STR
            || o->via.str.size != sizeof(magic) - 1
            || memcmp(o->via.str.ptr, magic, sizeof(magic) - 1) != 0) {
            return invalid(reader, "HEADER field 1 (magic) must be \"%s\": "
                           "this is not a memory_inventory recording", magic);
        }
    }
    if (record->size > MI_FIELD_HEADER_VERSION) {
        const msgpack_object *o = &record->ptr[MI_FIELD_HEADER_VERSION];
        if (is_uint(o) && o->via.u64 != MI_RECORD_FORMAT_VERSION) {
            return invalid(reader, "unsupported format version %llu (this "
                           "collector reads version %d)",
                           (unsigned long long)o->via.u64,
                           MI_RECORD_FORMAT_VERSION);
        }
    }
    return 0;
}

static int
read_type(mi_reader *reader, const kind_spec *kind, const msgpack_object *f)
{
    mi_model *model = reader->model;
    mi_model_type type = {0};
    int rc = -1;

    type.id = f[MI_FIELD_TYPE_ID].via.u64;
    if (mi_id_map_get(reader->types, type.id, NULL)) {
        return invalid(reader, "%s field 1 (type_id) repeats type %llu",
                       kind->name, (unsigned long long)type.id);
    }
    type.address = f[MI_FIELD_TYPE_ADDRESS].via.u64;
    type.flags = f[MI_FIELD_TYPE_FLAGS].via.u64;
    type.static_dict_bytes = f[MI_FIELD_TYPE_STATIC_DICT_BYTES].via.u64;
    if ((type.name = copy_string(&f[MI_FIELD_TYPE_NAME].via.str)) == NULL
        || (type.repr = copy_string(&f[MI_FIELD_TYPE_REPR].via.str)) == NULL
        || copy_strings(&f[MI_FIELD_TYPE_STATIC_ATTRIBUTES],
                        &type.static_attributes,
                        &type.n_static_attributes) < 0
        || grow(&model->types, model->n_types, sizeof(mi_model_type)) < 0
        || mi_id_map_add(reader->types, type.id, model->n_types) < 0) {
        no_memory(reader);
        goto done;
    }
    model->types[model->n_types++] = type;
    rc = 0;
done:
    if (rc < 0) {
        free(type.name);
        free(type.repr);
        free_strings(type.static_attributes, type.n_static_attributes);
    }
    return rc;
}

static int
read_module(mi_reader *reader, const kind_spec *kind, const msgpack_object *f)
{
    mi_model *model = reader->model;
    mi_model_module module = {f[MI_FIELD_MODULE_ID].via.u64, NULL};

    if (module.id < 1) {
        return invalid(reader, "%s field 1 (module_id) must be at least 1",
                       kind->name);
    }
    if (mi_id_map_get(&reader->modules, module.id, NULL)) {
        return invalid(reader, "%s field 1 (module_id) repeats module %llu",
                       kind->name, (unsigned long long)module.id);
    }
    if ((module.name = copy_string(&f[MI_FIELD_MODULE_NAME].via.str)) == NULL
        || grow(&model->modules, model->n_modules,
                sizeof(mi_model_module)) < 0
        || mi_id_map_add(&reader->modules, module.id, model->n_modules) < 0) {
        free(module.name);
        return no_memory(reader);
    }
    model->modules[model->n_modules++] = module;
    return 0;
}

static int
read_imports(mi_reader *reader, const msgpack_object *f)
{
    mi_model *model = reader->model;
    if (model->has_imports) {
        return invalid(reader, "a second IMPORTS record");
    }
    if (copy_strings(&f[MI_FIELD_IMPORTS_FAILED], &model->failed_imports,
                     &model->n_failed_imports) < 0) {
        return no_memory(reader);
    }
    model->imported = f[MI_FIELD_IMPORTS_IMPORTED].via.u64;
    model->total_modules = f[MI_FIELD_IMPORTS_TOTAL].via.u64;
    model->has_imports = true;
    return 0;
}

static int
read_process(mi_reader *reader, const kind_spec *kind,
             const msgpack_object *f)
{
    uint64_t moment = f[MI_FIELD_PROCESS_MOMENT].via.u64;
    mi_model_process *process;
    if (moment == MI_MOMENT_BEFORE) {
        process = &reader->model->process_before;
    }
    else if (moment == MI_MOMENT_AFTER) {
        process = &reader->model->process_after;
    }
    else {
        return invalid(reader, "%s field 1 (moment) must be %d (before) or "
                       "%d (after)", kind->name, MI_MOMENT_BEFORE,
                       MI_MOMENT_AFTER);
    }
    if (process->present) {
        return invalid(reader, "a second PROCESS record for moment %llu",
                       (unsigned long long)moment);
    }
    const msgpack_object *rss = &f[MI_FIELD_PROCESS_RSS_KIB];
    const msgpack_object *peak = &f[MI_FIELD_PROCESS_PEAK_RSS_KIB];
    *process = (mi_model_process){
        .present = true,
        .user_seconds = float_of(&f[MI_FIELD_PROCESS_USER_SECONDS]),
        .system_seconds = float_of(&f[MI_FIELD_PROCESS_SYSTEM_SECONDS]),
        .rss_known = is_uint(rss),
        .rss_kib = is_uint(rss) ? rss->via.u64 : 0,
        .peak_known = is_uint(peak),
        .peak_rss_kib = is_uint(peak) ? peak->via.u64 : 0,
        .threads = f[MI_FIELD_PROCESS_THREADS].via.u64,
    };
    return 0;
}

static int
read_gc(mi_reader *reader, const msgpack_object *f)
{
    mi_model *model = reader->model;
    if (model->has_gc) {
        return invalid(reader, "a second GC record");
    }
    model->gc_tracked = f[MI_FIELD_GC_TRACKED].via.u64;
    model->gc_collected = f[MI_FIELD_GC_COLLECTED].via.u64;
    model->gc_collections = f[MI_FIELD_GC_COLLECTIONS].via.u64;
    model->gc_uncollectable = f[MI_FIELD_GC_UNCOLLECTABLE].via.u64;
    model->has_gc = true;
    return 0;
}

static void
free_scope_index(scope_index *index)
{
    mi_id_map_free(&index->stats);
    mi_id_map_free(&index->uninstantiated);
    mi_id_map_free(&index->duplicate_types);
}

static int
read_inventory(mi_reader *reader, const kind_spec *kind,
               const msgpack_object *f)
{
    mi_model *model = reader->model;
    mi_model_inventory inventory = {0};
    scope_index index;
    const msgpack_object *ids = &f[MI_FIELD_INVENTORY_DUPLICATE_TYPE_IDS];
    int rc = -1;

    mi_id_map_init(&index.stats);
    mi_id_map_init(&index.uninstantiated);
    mi_id_map_init(&index.duplicate_types);
    inventory.scope = f[MI_FIELD_INVENTORY_SCOPE].via.u64;
    if (inventory.scope != MI_SCOPE_FINAL
        && inventory.scope != MI_SCOPE_BASELINE
        && inventory.scope != MI_SCOPE_UNATTRIBUTED
        && !mi_id_map_get(&reader->modules, inventory.scope, NULL)) {
        invalid(reader, "%s field 1 (scope) refers to module %llu, which no "
                "earlier MODULE record defines", kind->name,
                (unsigned long long)inventory.scope);
        goto done;
    }
    if (mi_model_find_inventory(model, inventory.scope) != NULL) {
        invalid(reader, "%s field 1 (scope) repeats inventory %llu",
                kind->name, (unsigned long long)inventory.scope);
        goto done;
    }
    for (uint32_t i = 0; i < ids->via.array.size; i++) {
        uint64_t id = ids->via.array.ptr[i].via.u64;
        if (check_type_reference(reader, kind,
                                 MI_FIELD_INVENTORY_DUPLICATE_TYPE_IDS, id,
                                 (long)i) < 0) {
            goto done;
        }
        int added = mi_id_map_add(&index.duplicate_types, id, i);
        if (added < 0) {
            no_memory(reader);
            goto done;
        }
        if (added == 0) {
            invalid(reader, "%s field %d (duplicate_type_ids) element %lu "
                    "repeats type %llu", kind->name,
                    MI_FIELD_INVENTORY_DUPLICATE_TYPE_IDS, (unsigned long)i,
                    (unsigned long long)id);
            goto done;
        }
    }
    inventory.objects = f[MI_FIELD_INVENTORY_OBJECTS].via.u64;
    inventory.bytes = f[MI_FIELD_INVENTORY_BYTES].via.u64;
    inventory.limit_reached = f[MI_FIELD_INVENTORY_LIMIT_REACHED].via.boolean;
    inventory.pending = f[MI_FIELD_INVENTORY_PENDING].via.u64;
    inventory.walk_seconds = float_of(&f[MI_FIELD_INVENTORY_WALK_SECONDS]);
    inventory.python_sizeof_calls =
        f[MI_FIELD_INVENTORY_PYTHON_SIZEOF_CALLS].via.u64;
    inventory.sizeof_fallbacks =
        f[MI_FIELD_INVENTORY_SIZEOF_FALLBACKS].via.u64;
    inventory.objects_limit = f[MI_FIELD_INVENTORY_OBJECTS_LIMIT].via.u64;
    if (copy_uints(ids, &inventory.duplicate_type_ids,
                   &inventory.n_duplicate_type_ids) < 0
        || grow(&model->inventories, model->n_inventories,
                sizeof(mi_model_inventory)) < 0
        || grow(&reader->scopes, model->n_inventories,
                sizeof(scope_index)) < 0) {
        no_memory(reader);
        goto done;
    }
    reader->scopes[model->n_inventories] = index;
    model->inventories[model->n_inventories++] = inventory;
    rc = 0;
done:
    if (rc < 0) {
        free(inventory.duplicate_type_ids);
        free_scope_index(&index);
    }
    return rc;
}

static int
read_type_stats(mi_reader *reader, const kind_spec *kind,
                const msgpack_object *f)
{
    mi_model_type_stats stats = {0};
    const msgpack_object *addresses = &f[MI_FIELD_TYPE_STATS_ADDRESSES];
    int rc = -1;

    long at = find_scope(reader, kind, f);
    if (at < 0) {
        return -1;
    }
    mi_model_inventory *inventory = &reader->model->inventories[at];
    scope_index *index = &reader->scopes[at];
    stats.type_id = f[MI_FIELD_TYPE_STATS_TYPE_ID].via.u64;
    stats.instances = f[MI_FIELD_TYPE_STATS_INSTANCES].via.u64;
    if (check_type_reference(reader, kind, MI_FIELD_TYPE_STATS_TYPE_ID,
                             stats.type_id, -1) < 0) {
        return -1;
    }
    if (mi_id_map_get(&index->stats, stats.type_id, NULL)) {
        return invalid(reader, "%s field 2 (type_id) repeats type %llu in "
                       "inventory %llu", kind->name,
                       (unsigned long long)stats.type_id,
                       (unsigned long long)inventory->scope);
    }
    if (mi_id_map_get(&index->uninstantiated, stats.type_id, NULL)) {
        return invalid(reader, "%s field 2 (type_id) names type %llu, which "
                       "inventory %llu lists as uninstantiated", kind->name,
                       (unsigned long long)stats.type_id,
                       (unsigned long long)inventory->scope);
    }
    if (stats.instances < 1) {
        return invalid(reader, "%s field 3 (instances) must be at least 1",
                       kind->name);
    }
    if (check_at_most(reader, kind, f, MI_FIELD_TYPE_STATS_IMMORTAL,
                      MI_FIELD_TYPE_STATS_INSTANCES) < 0
        || check_at_most(reader, kind, f, MI_FIELD_TYPE_STATS_INTERNED,
                         MI_FIELD_TYPE_STATS_INSTANCES) < 0
        || check_at_most(reader, kind, f, MI_FIELD_TYPE_STATS_DICT_INSTANCES,
                         MI_FIELD_TYPE_STATS_INSTANCES) < 0
        || check_addresses(reader, kind, MI_FIELD_TYPE_STATS_ADDRESSES,
                           addresses, stats.instances, "instances") < 0) {
        return -1;
    }
    if (read_refcounts(reader, kind, MI_FIELD_TYPE_STATS_REFCOUNTS,
                       &f[MI_FIELD_TYPE_STATS_REFCOUNTS], &stats.refcounts,
                       &stats.n_refcounts) < 0) {
        goto done;
    }
    if (copy_uints(addresses, &stats.addresses, &stats.n_addresses) < 0
        || copy_name_counts(&f[MI_FIELD_TYPE_STATS_ATTRIBUTE_NAMES],
                            &stats.attribute_names,
                            &stats.n_attribute_names) < 0) {
        no_memory(reader);
        goto done;
    }
    bool out_of_memory;
    const char *repeated = repeated_name(stats.attribute_names,
                                         stats.n_attribute_names,
                                         &out_of_memory);
    if (out_of_memory) {
        no_memory(reader);
        goto done;
    }
    if (repeated != NULL) {
        char quoted[80];
        invalid(reader, "%s field %d (attribute_names) repeats the name %s",
                kind->name, MI_FIELD_TYPE_STATS_ATTRIBUTE_NAMES,
                quote(quoted, sizeof(quoted), repeated));
        goto done;
    }
    stats.bytes = f[MI_FIELD_TYPE_STATS_BYTES].via.u64;
    stats.immortal = f[MI_FIELD_TYPE_STATS_IMMORTAL].via.u64;
    stats.interned = f[MI_FIELD_TYPE_STATS_INTERNED].via.u64;
    stats.dict_instances = f[MI_FIELD_TYPE_STATS_DICT_INSTANCES].via.u64;
    stats.dict_bytes = f[MI_FIELD_TYPE_STATS_DICT_BYTES].via.u64;
    if (grow(&inventory->type_stats, inventory->n_type_stats,
             sizeof(mi_model_type_stats)) < 0
        || mi_id_map_add(&index->stats, stats.type_id,
                         inventory->n_type_stats) < 0) {
        no_memory(reader);
        goto done;
    }
    inventory->type_stats[inventory->n_type_stats++] = stats;
    rc = 0;
done:
    if (rc < 0) {
        free(stats.refcounts);
        free(stats.addresses);
        free_name_counts(stats.attribute_names, stats.n_attribute_names);
    }
    return rc;
}

static int
read_uninstantiated(mi_reader *reader, const kind_spec *kind,
                    const msgpack_object *f)
{
    const msgpack_object *ids = &f[MI_FIELD_UNINSTANTIATED_TYPE_IDS];
    long at = find_scope(reader, kind, f);
    if (at < 0) {
        return -1;
    }
    mi_model_inventory *inventory = &reader->model->inventories[at];
    scope_index *index = &reader->scopes[at];
    size_t n = ids->via.array.size;
    size_t old = inventory->n_uninstantiated_type_ids;

    for (size_t i = 0; i < n; i++) {
        uint64_t id = ids->via.array.ptr[i].via.u64;
        if (check_type_reference(reader, kind,
                                 MI_FIELD_UNINSTANTIATED_TYPE_IDS, id,
                                 (long)i) < 0) {
            return -1;
        }
        if (mi_id_map_get(&index->stats, id, NULL)) {
            invalid(reader, "%s field 2 (type_ids) element %lu names type "
                    "%llu, which has a TYPE_STATS record in inventory %llu",
                    kind->name, (unsigned long)i, (unsigned long long)id,
                    (unsigned long long)inventory->scope);
            return -1;
        }
        int added = mi_id_map_add(&index->uninstantiated, id, 0);
        if (added < 0) {
            no_memory(reader);
            return -1;
        }
        if (added == 0) {
            invalid(reader, "%s field 2 (type_ids) element %lu repeats type "
                    "%llu in inventory %llu", kind->name, (unsigned long)i,
                    (unsigned long long)id,
                    (unsigned long long)inventory->scope);
            return -1;
        }
    }
    if (n > 0) {
        if (old + n < old || old + n > SIZE_MAX / sizeof(uint64_t)) {
            no_memory(reader);
            return -1;
        }
        uint64_t *bigger = realloc(inventory->uninstantiated_type_ids,
                                   (old + n) * sizeof(uint64_t));
        if (bigger == NULL) {
            no_memory(reader);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            bigger[old + i] = ids->via.array.ptr[i].via.u64;
        }
        inventory->uninstantiated_type_ids = bigger;
        inventory->n_uninstantiated_type_ids = old + n;
    }
    /* On failure, the reading stops: the ids already added to the index
       no longer matter. */
    return 0;
}

static int
read_duplicate(mi_reader *reader, const kind_spec *kind,
               const msgpack_object *f)
{
    mi_model_duplicate duplicate = {0};
    const msgpack_object *addresses = &f[MI_FIELD_DUPLICATE_ADDRESSES];
    int rc = -1;

    long at = find_scope(reader, kind, f);
    if (at < 0) {
        return -1;
    }
    mi_model_inventory *inventory = &reader->model->inventories[at];
    duplicate.type_id = f[MI_FIELD_DUPLICATE_TYPE_ID].via.u64;
    duplicate.copies = f[MI_FIELD_DUPLICATE_COPIES].via.u64;
    if (check_type_reference(reader, kind, MI_FIELD_DUPLICATE_TYPE_ID,
                             duplicate.type_id, -1) < 0) {
        return -1;
    }
    if (!mi_id_map_get(&reader->scopes[at].duplicate_types,
                       duplicate.type_id, NULL)) {
        return invalid(reader, "%s field 2 (type_id) names type %llu, which "
                       "the duplicate_type_ids of inventory %llu do not list",
                       kind->name, (unsigned long long)duplicate.type_id,
                       (unsigned long long)inventory->scope);
    }
    if (duplicate.copies < 2) {
        return invalid(reader, "%s field 5 (copies) must be at least 2",
                       kind->name);
    }
    if (check_at_most(reader, kind, f, MI_FIELD_DUPLICATE_IMMORTAL,
                      MI_FIELD_DUPLICATE_COPIES) < 0
        || check_at_most(reader, kind, f, MI_FIELD_DUPLICATE_INTERNED,
                         MI_FIELD_DUPLICATE_COPIES) < 0
        || check_addresses(reader, kind, MI_FIELD_DUPLICATE_ADDRESSES,
                           addresses, duplicate.copies, "copies") < 0) {
        return -1;
    }
    if (read_refcounts(reader, kind, MI_FIELD_DUPLICATE_REFCOUNTS,
                       &f[MI_FIELD_DUPLICATE_REFCOUNTS], &duplicate.refcounts,
                       &duplicate.n_refcounts) < 0) {
        goto done;
    }
    if ((duplicate.repr = copy_string(
             &f[MI_FIELD_DUPLICATE_REPR].via.str)) == NULL
        || copy_uints(addresses, &duplicate.addresses,
                      &duplicate.n_addresses) < 0
        || grow(&inventory->duplicates, inventory->n_duplicates,
                sizeof(mi_model_duplicate)) < 0) {
        no_memory(reader);
        goto done;
    }
    duplicate.size = f[MI_FIELD_DUPLICATE_SIZE].via.u64;
    duplicate.immortal = f[MI_FIELD_DUPLICATE_IMMORTAL].via.u64;
    duplicate.interned = f[MI_FIELD_DUPLICATE_INTERNED].via.u64;
    inventory->duplicates[inventory->n_duplicates++] = duplicate;
    rc = 0;
done:
    if (rc < 0) {
        free(duplicate.repr);
        free(duplicate.refcounts);
        free(duplicate.addresses);
    }
    return rc;
}

/* Field `index` of an import-tracing record names a module: it must be
   an earlier MODULE's. */
static int
check_module_reference(mi_reader *reader, const kind_spec *kind,
                       size_t index, uint64_t module_id)
{
    if (mi_id_map_get(&reader->modules, module_id, NULL)) {
        return 0;
    }
    return invalid(reader, "%s field %zu (%s) refers to module %llu, which "
                   "no earlier MODULE record defines", kind->name, index,
                   kind->fields[index].name, (unsigned long long)module_id);
}

static int
read_import(mi_reader *reader, const kind_spec *kind, const msgpack_object *f)
{
    mi_model *model = reader->model;
    const msgpack_object *error = &f[MI_FIELD_IMPORT_ERROR];
    mi_model_import import = {
        .module_id = f[MI_FIELD_IMPORT_MODULE_ID].via.u64,
        .parent_id = f[MI_FIELD_IMPORT_PARENT_ID].via.u64,
        .thread_id = f[MI_FIELD_IMPORT_THREAD_ID].via.u64,
        .started = float_of(&f[MI_FIELD_IMPORT_STARTED]),
        .find_seconds = float_of(&f[MI_FIELD_IMPORT_FIND_SECONDS]),
        .total_seconds = float_of(&f[MI_FIELD_IMPORT_TOTAL_SECONDS]),
        .status = f[MI_FIELD_IMPORT_STATUS].via.u64,
        .error = NULL,
    };

    if (check_module_reference(reader, kind, MI_FIELD_IMPORT_MODULE_ID,
                               import.module_id) < 0) {
        return -1;
    }
    if (mi_id_map_get(&reader->imported, import.module_id, NULL)) {
        return invalid(reader, "a second IMPORT record for module %llu",
                       (unsigned long long)import.module_id);
    }
    if (import.parent_id != 0
        && check_module_reference(reader, kind, MI_FIELD_IMPORT_PARENT_ID,
                                  import.parent_id) < 0) {
        return -1;
    }
    if (import.status > MI_IMPORT_NOT_FOUND) {
        return invalid(reader, "%s field %d (status) must be %d (ok), %d "
                       "(failed) or %d (not found)", kind->name,
                       MI_FIELD_IMPORT_STATUS, MI_IMPORT_OK, MI_IMPORT_FAILED,
                       MI_IMPORT_NOT_FOUND);
    }
    if (error->type == MSGPACK_OBJECT_STR
        && (import.error = copy_string(&error->via.str)) == NULL) {
        return no_memory(reader);
    }
    if (grow(&model->imports, model->n_imports, sizeof(mi_model_import)) < 0
        || mi_id_map_add(&reader->imported, import.module_id,
                         model->n_imports) < 0) {
        free(import.error);
        return no_memory(reader);
    }
    model->imports[model->n_imports++] = import;
    return 0;
}

static int
read_retained(mi_reader *reader, const kind_spec *kind,
              const msgpack_object *f)
{
    mi_model *model = reader->model;
    mi_model_retained retained = {
        .scope = f[MI_FIELD_RETAINED_SCOPE].via.u64,
        .objects = f[MI_FIELD_RETAINED_OBJECTS].via.u64,
        .bytes = f[MI_FIELD_RETAINED_BYTES].via.u64,
    };

    if (retained.scope == MI_SCOPE_FINAL) {
        return invalid(reader, "%s field %d (scope) must be a module id, "
                       "%llu (baseline) or %llu (unattributed), not %d",
                       kind->name, MI_FIELD_RETAINED_SCOPE,
                       (unsigned long long)MI_SCOPE_BASELINE,
                       (unsigned long long)MI_SCOPE_UNATTRIBUTED,
                       MI_SCOPE_FINAL);
    }
    if (retained.scope != MI_SCOPE_BASELINE
        && retained.scope != MI_SCOPE_UNATTRIBUTED
        && check_module_reference(reader, kind, MI_FIELD_RETAINED_SCOPE,
                                  retained.scope) < 0) {
        return -1;
    }
    if (mi_id_map_get(&reader->retained, retained.scope, NULL)) {
        return invalid(reader, "a second RETAINED record for scope %llu",
                       (unsigned long long)retained.scope);
    }
    if (grow(&model->retained, model->n_retained,
             sizeof(mi_model_retained)) < 0
        || mi_id_map_add(&reader->retained, retained.scope,
                         model->n_retained) < 0) {
        return no_memory(reader);
    }
    model->retained[model->n_retained++] = retained;
    return 0;
}

static int
read_end(mi_reader *reader, const kind_spec *kind, const msgpack_object *f)
{
    mi_model *model = reader->model;
    uint64_t records = f[MI_FIELD_END_RECORDS].via.u64;
    uint64_t dropped = f[MI_FIELD_END_DROPPED].via.u64;

    model->has_end = true;
    model->records_declared = records;
    model->records_dropped = dropped;
    reader->status = MI_READER_ENDED;
    /* The END is valid and ends the reading; what it says can still make
       the recording incomplete. */
    if (dropped > 0) {
        stop(reader, MI_READER_ENDED, "the writer dropped %llu records "
             "(END field 2): its buffer was full",
             (unsigned long long)dropped);
    }
    else if (records != model->records_read) {
        stop(reader, MI_READER_ENDED, "%s field 1 (records) counts %llu "
             "records before it, but %llu were read", kind->name,
             (unsigned long long)records,
             (unsigned long long)model->records_read);
    }
    return 0;
}

/* Checks one record and adds it to the model. Returns 0, or -1 once the
   reading has stopped. */
static int
read_record(mi_reader *reader, const msgpack_object *record)
{
    mi_model *model = reader->model;

    if (record->type != MSGPACK_OBJECT_ARRAY) {
        return invalid(reader, "not an array (every record is a msgpack "
                       "array)");
    }
    const msgpack_object_array *array = &record->via.array;
    if (array->size == 0) {
        return invalid(reader, "an empty array (element 0 must be the record "
                       "kind)");
    }
    if (!is_uint(&array->ptr[0])) {
        return invalid(reader, "element 0 (the record kind) must be an "
                       "unsigned integer");
    }
    uint64_t kind_id = array->ptr[0].via.u64;
    if (kind_id > MI_RECORD_KIND_MAX || kinds[kind_id].name == NULL) {
        return invalid(reader, "unknown record kind %llu",
                       (unsigned long long)kind_id);
    }
    const kind_spec *kind = &kinds[kind_id];
    if (!model->has_header && kind_id != MI_RECORD_HEADER) {
        return invalid(reader, "the first record must be a HEADER, not a %s",
                       kind->name);
    }
    if (model->has_header && kind_id == MI_RECORD_HEADER) {
        return invalid(reader, "a second HEADER (only the first record is "
                       "one)");
    }
    if (kind_id == MI_RECORD_HEADER
        && check_header_identity(reader, array) < 0) {
        return -1;
    }
    if (array->size != kind->length) {
        return invalid(reader, "%s has %lu elements, expected %zu",
                       kind->name, (unsigned long)array->size, kind->length);
    }
    for (size_t i = 1; i < kind->length; i++) {
        if (check_field(reader, kind, i, &array->ptr[i]) < 0) {
            return -1;
        }
    }
    const msgpack_object *f = array->ptr;
    switch (kind_id) {
    case MI_RECORD_HEADER: return read_header(reader, f);
    case MI_RECORD_TYPE: return read_type(reader, kind, f);
    case MI_RECORD_MODULE: return read_module(reader, kind, f);
    case MI_RECORD_IMPORTS: return read_imports(reader, f);
    case MI_RECORD_PROCESS: return read_process(reader, kind, f);
    case MI_RECORD_GC: return read_gc(reader, f);
    case MI_RECORD_INVENTORY: return read_inventory(reader, kind, f);
    case MI_RECORD_TYPE_STATS: return read_type_stats(reader, kind, f);
    case MI_RECORD_UNINSTANTIATED:
        return read_uninstantiated(reader, kind, f);
    case MI_RECORD_DUPLICATE: return read_duplicate(reader, kind, f);
    case MI_RECORD_END: return read_end(reader, kind, f);
    case MI_RECORD_IMPORT: return read_import(reader, kind, f);
    case MI_RECORD_RETAINED: return read_retained(reader, kind, f);
    default: return invalid(reader, "unknown record kind %llu",
                            (unsigned long long)kind_id);
    }
}

/* ---- The stream ---- */

static bool
reading(const mi_reader *reader)
{
    return reader->status == MI_READER_READING;
}

static int
data_after_end(mi_reader *reader)
{
    /* Keeps an END's own remark (dropped records) if it made one. */
    return stop(reader, MI_READER_INVALID, "data after the END record");
}

/* Decodes the whole records the unpacker holds. */
static void
decode(mi_reader *reader)
{
    msgpack_unpacker *unpacker = &reader->unpacker;
    while (reading(reader)) {
        size_t bytes = 0;
        msgpack_unpack_return rc = msgpack_unpacker_next_with_size(
            unpacker, &reader->unpacked, &bytes);
        if (rc == MSGPACK_UNPACK_SUCCESS) {
            int read = read_record(reader, &reader->unpacked.data);
            /* The strings were copied: the object can go. */
            msgpack_unpacked_destroy(&reader->unpacked);
            if (read < 0) {
                return;
            }
            reader->model->records_read++;
            reader->record_start += bytes;
            if (reader->status == MI_READER_ENDED
                && unpacker->used > unpacker->off) {
                data_after_end(reader);
            }
        }
        else if (rc == MSGPACK_UNPACK_CONTINUE) {
            if (msgpack_unpacker_message_size(unpacker) > reader->max_bytes) {
                invalid(reader, "larger than a record may be (at most %llu "
                        "bytes)", (unsigned long long)reader->max_bytes);
            }
            return;
        }
        else if (rc == MSGPACK_UNPACK_NOMEM_ERROR) {
            no_memory(reader);
        }
        else {
            /* -1, or anything else the library may add. */
            invalid(reader, "not valid msgpack");
        }
    }
}

mi_reader *
mi_reader_new_with_limits(mi_model *model, uint64_t max_bytes,
                          uint64_t max_elements)
{
    mi_reader *reader = calloc(1, sizeof(mi_reader));
    if (reader == NULL) {
        return NULL;
    }
    reader->model = model;
    reader->max_bytes = max_bytes;
    reader->status = MI_READER_READING;
    mi_id_map_init(&reader->modules);
    mi_id_map_init(&reader->imported);
    mi_id_map_init(&reader->retained);
    msgpack_unpacked_init(&reader->unpacked);
    mi_frame_init(&reader->frame, max_bytes, max_elements);
    reader->scratch = malloc(SCRATCH_SIZE);
    reader->types = malloc(sizeof(mi_id_map));
    if (reader->scratch == NULL || reader->types == NULL) {
        goto error;
    }
    mi_id_map_init(reader->types);
    if (!msgpack_unpacker_init(&reader->unpacker,
                               MSGPACK_UNPACKER_INIT_BUFFER_SIZE)) {
        goto error;
    }
    model->type_index = reader->types;
    return reader;
error:
    free(reader->types);
    free(reader->scratch);
    free(reader);
    return NULL;
}

mi_reader *
mi_reader_new(mi_model *model)
{
    return mi_reader_new_with_limits(model, MI_READER_MAX_RECORD_BYTES,
                                     MI_READER_MAX_RECORD_ELEMENTS);
}

void
mi_reader_free(mi_reader *reader)
{
    if (reader == NULL) {
        return;
    }
    for (size_t i = 0; i < reader->model->n_inventories; i++) {
        free_scope_index(&reader->scopes[i]);
    }
    free(reader->scopes);
    mi_id_map_free(&reader->modules);
    mi_id_map_free(&reader->imported);
    mi_id_map_free(&reader->retained);
    msgpack_unpacked_destroy(&reader->unpacked);
    msgpack_unpacker_destroy(&reader->unpacker);
    free(reader->scratch);
    /* reader->types belongs to the model now (model->type_index). */
    free(reader);
}

void
mi_reader_buffer(mi_reader *reader, size_t suggested, char **buffer,
                 size_t *size)
{
    if (reading(reader)) {
        size_t want = suggested < MIN_READ_SIZE ? MIN_READ_SIZE : suggested;
        if (msgpack_unpacker_reserve_buffer(&reader->unpacker, want)) {
            *buffer = msgpack_unpacker_buffer(&reader->unpacker);
            *size = msgpack_unpacker_buffer_capacity(&reader->unpacker);
            reader->in_scratch = false;
            return;
        }
        no_memory(reader);
    }
    *buffer = reader->scratch;
    *size = SCRATCH_SIZE;
    reader->in_scratch = true;
}

void
mi_reader_consumed(mi_reader *reader, size_t size)
{
    reader->model->bytes_read += size;
    if (size == 0) {
        return;
    }
    if (reader->status == MI_READER_ENDED) {
        data_after_end(reader);
        return;
    }
    if (!reading(reader) || reader->in_scratch) {
        return;
    }
    const unsigned char *data =
        (const unsigned char *)msgpack_unpacker_buffer(&reader->unpacker);
    size_t accepted;
    mi_frame_error error = mi_frame_scan(&reader->frame, data, size,
                                         &accepted);
    msgpack_unpacker_buffer_consumed(&reader->unpacker, accepted);
    decode(reader);
    if (error != MI_FRAME_OK) {
        if (reader->status == MI_READER_ENDED) {
            data_after_end(reader);
        }
        else if (reading(reader)) {
            char message[REASON_SIZE];
            invalid(reader, "%s", mi_frame_describe(&reader->frame, message,
                                                    sizeof(message)));
        }
    }
}

void
mi_reader_feed(mi_reader *reader, const void *data, size_t size)
{
    const char *p = data;
    while (size > 0) {
        char *buffer;
        size_t room;
        mi_reader_buffer(reader, size, &buffer, &room);
        size_t n = size < room ? size : room;
        memcpy(buffer, p, n);
        mi_reader_consumed(reader, n);
        p += n;
        size -= n;
    }
}

void
mi_reader_finish(mi_reader *reader)
{
    mi_model *model = reader->model;
    if (reader->status == MI_READER_READING) {
        uint64_t partial = model->bytes_read - reader->record_start;
        if (partial > 0) {
            stop(reader, MI_READER_TRUNCATED, "the recording ends inside "
                 "this record, after %llu of its bytes",
                 (unsigned long long)partial);
        }
        else if (model->records_read == 0) {
            reader->status = MI_READER_TRUNCATED;
            free(model->incomplete_reason);
            model->incomplete_reason = strdup("the recording is empty");
        }
        else {
            reader->status = MI_READER_TRUNCATED;
            free(model->incomplete_reason);
            size_t size = 128;
            model->incomplete_reason = malloc(size);
            if (model->incomplete_reason != NULL) {
                snprintf(model->incomplete_reason, size,
                         "the recording stops after record %llu (at byte "
                         "%llu) without an END record",
                         (unsigned long long)model->records_read,
                         (unsigned long long)reader->record_start);
            }
        }
    }
    else if (reader->status == MI_READER_ENDED) {
        reader->status = MI_READER_FINISHED;
    }
    model->complete = reader->status == MI_READER_FINISHED
                      && model->incomplete_reason == NULL;
}

mi_reader_status
mi_reader_get_status(const mi_reader *reader)
{
    return reader->status;
}
