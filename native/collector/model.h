/* What the collector knows after reading a recording: the records,
 * decoded, validated and indexed; the reports are built from this alone.
 *
 * Strings are NUL-terminated copies owned by the model. Arrays grow by
 * doubling. Every type_id in an inventory refers to a TYPE in `types`. */
#ifndef MI_COLLECTOR_MODEL_H
#define MI_COLLECTOR_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t key;
    uint64_t count;
} mi_key_count;          /* a reference count and how many objects have it */

typedef struct {
    char *name;
    uint64_t count;
} mi_name_count;

typedef struct {
    uint64_t id;
    char *name;
    char *repr;
    uint64_t address;
    uint64_t flags;                 /* MI_TYPE_FLAG_* of records.h */
    char **static_attributes;
    size_t n_static_attributes;
    uint64_t static_dict_bytes;
} mi_model_type;

typedef struct {
    uint64_t type_id;
    uint64_t instances;
    uint64_t bytes;
    uint64_t immortal;
    uint64_t interned;
    mi_key_count *refcounts;        /* ascending by key */
    size_t n_refcounts;
    uint64_t *addresses;            /* ascending */
    size_t n_addresses;
    uint64_t dict_instances;
    uint64_t dict_bytes;
    mi_name_count *attribute_names; /* as received */
    size_t n_attribute_names;
} mi_model_type_stats;

typedef struct {
    uint64_t type_id;
    char *repr;
    uint64_t size;
    uint64_t copies;
    uint64_t immortal;
    uint64_t interned;
    mi_key_count *refcounts;
    size_t n_refcounts;
    uint64_t *addresses;
    size_t n_addresses;
} mi_model_duplicate;

typedef struct {
    uint64_t scope;
    uint64_t objects;
    uint64_t bytes;
    bool limit_reached;
    uint64_t pending;
    double walk_seconds;
    uint64_t python_sizeof_calls;
    uint64_t sizeof_fallbacks;
    uint64_t objects_limit;
    uint64_t *duplicate_type_ids;
    size_t n_duplicate_type_ids;
    mi_model_type_stats *type_stats;    /* in the order received */
    size_t n_type_stats;
    uint64_t *uninstantiated_type_ids;
    size_t n_uninstantiated_type_ids;
    mi_model_duplicate *duplicates;     /* in the order received */
    size_t n_duplicates;
} mi_model_inventory;

/* MODULE (import tracing): a module whose import has its own inventory,
   of scope `id`. */
typedef struct {
    uint64_t id;
    char *name;
} mi_model_module;

/* IMPORT (import tracing): one import, recorded when it ended. */
typedef struct {
    uint64_t module_id;         /* a MODULE's id: the scope of its walk */
    uint64_t parent_id;         /* a MODULE's id, or 0 at the top */
    uint64_t thread_id;
    double started;             /* time.monotonic() */
    double find_seconds;
    double total_seconds;
    uint64_t status;            /* MI_IMPORT_* of records.h */
    char *error;                /* NULL: nil */
} mi_model_import;

/* RETAINED (import tracing): of what the final inventory found, what the
   walk of `scope` reached first. */
typedef struct {
    uint64_t scope;             /* a module id, MI_SCOPE_BASELINE or
                                   MI_SCOPE_UNATTRIBUTED */
    uint64_t objects;
    uint64_t bytes;
} mi_model_retained;

typedef struct {
    bool present;
    double user_seconds;
    double system_seconds;
    bool rss_known;
    uint64_t rss_kib;
    bool peak_known;
    uint64_t peak_rss_kib;
    uint64_t threads;
} mi_model_process;

typedef struct {
    /* HEADER */
    bool has_header;
    uint64_t version;
    char *python_version;
    uint64_t pid;
    char **argv;
    size_t n_argv;
    double wall_clock;
    double monotonic_clock;
    char **loaded_modules;
    size_t n_loaded_modules;

    mi_model_type *types;           /* in the order received */
    size_t n_types;

    /* IMPORTS (optional) */
    bool has_imports;
    uint64_t imported;
    uint64_t total_modules;
    char **failed_imports;
    size_t n_failed_imports;

    mi_model_process process_before;
    mi_model_process process_after;
    bool has_gc;
    uint64_t gc_tracked;
    uint64_t gc_collected;
    uint64_t gc_collections;
    uint64_t gc_uncollectable;

    mi_model_inventory *inventories;    /* by scope, in order received */
    size_t n_inventories;

    /* END, and what went wrong */
    bool has_end;
    uint64_t records_declared;      /* END's count */
    uint64_t records_dropped;
    uint64_t records_read;
    bool complete;                  /* END read, nothing dropped, valid */
    char *incomplete_reason;        /* NULL when complete */

    /* Added after the first version of this interface. */
    mi_model_module *modules;       /* in the order received */
    size_t n_modules;
    uint64_t bytes_read;            /* of the stream, valid or not */
    /* Private to model.c and reader.c: type id -> index in `types`
       (an mi_id_map); NULL in a model built by hand, where
       mi_model_find_type searches `types` in order. */
    void *type_index;
    /* Import tracing, in the order received. */
    mi_model_import *imports;
    size_t n_imports;
    mi_model_retained *retained;
    size_t n_retained;
} mi_model;

/* mi_model_init zeroes the model: no records, not complete, no reason.
   mi_model_free frees everything it holds (every pointer in it must be
   NULL or from malloc) and leaves it as mi_model_init does. */
void mi_model_init(mi_model *model);
void mi_model_free(mi_model *model);

/* The TYPE with this id, or NULL. */
const mi_model_type *mi_model_find_type(const mi_model *model, uint64_t id);

/* The inventory of this scope, or NULL. */
const mi_model_inventory *mi_model_find_inventory(const mi_model *model,
                                                  uint64_t scope);

#ifdef __cplusplus
}
#endif

#endif
