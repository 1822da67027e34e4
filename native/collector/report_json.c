#include "report_json.h"

#include "../records.h"
#include "import_tree.h"
#include "json_writer.h"

/* "key": value, one call for the pairs written most. */
static void
put_uint(mi_json *json, const char *key, uint64_t value)
{
    mi_json_key(json, key);
    mi_json_uint(json, value);
}

static void
put_int(mi_json *json, const char *key, int64_t value)
{
    mi_json_key(json, key);
    mi_json_int(json, value);
}

static void
put_string(mi_json *json, const char *key, const char *value)
{
    mi_json_key(json, key);
    mi_json_string(json, value);
}

static void
put_double(mi_json *json, const char *key, double value)
{
    mi_json_key(json, key);
    mi_json_double(json, value);
}

static void
put_bool(mi_json *json, const char *key, bool value)
{
    mi_json_key(json, key);
    mi_json_bool(json, value);
}

static void
put_strings(mi_json *json, char *const *strings, size_t n)
{
    mi_json_begin_array(json);
    for (size_t i = 0; i < n; i++) {
        mi_json_string(json, strings[i]);
    }
    mi_json_end_array(json);
}

static void
put_uints(mi_json *json, const uint64_t *values, size_t n)
{
    mi_json_begin_compact_array(json);
    for (size_t i = 0; i < n; i++) {
        mi_json_uint(json, values[i]);
    }
    mi_json_end_array(json);
}

/* [[reference count, objects], ...] */
static void
put_refcounts(mi_json *json, const mi_key_count *pairs, size_t n)
{
    mi_json_begin_compact_array(json);
    for (size_t i = 0; i < n; i++) {
        mi_json_begin_compact_array(json);
        mi_json_uint(json, pairs[i].key);
        mi_json_uint(json, pairs[i].count);
        mi_json_end_array(json);
    }
    mi_json_end_array(json);
}

static void
put_header(mi_json *json, const mi_model *model)
{
    mi_json_key(json, "header");
    if (!model->has_header) {
        mi_json_null(json);
        return;
    }
    mi_json_begin_object(json);
    put_uint(json, "record_format_version", model->version);
    put_string(json, "python_version", model->python_version);
    put_uint(json, "pid", model->pid);
    mi_json_key(json, "argv");
    put_strings(json, model->argv, model->n_argv);
    put_double(json, "wall_clock", model->wall_clock);
    put_double(json, "monotonic_clock", model->monotonic_clock);
    mi_json_key(json, "loaded_modules");
    put_strings(json, model->loaded_modules, model->n_loaded_modules);
    mi_json_end_object(json);
}

/* `key`: the value when it is known, else null. */
static void
put_uint_or_null(mi_json *json, const char *key, bool known, uint64_t value)
{
    mi_json_key(json, key);
    if (known) {
        mi_json_uint(json, value);
    }
    else {
        mi_json_null(json);
    }
}

static void
put_recording(mi_json *json, const mi_model *model)
{
    mi_json_key(json, "recording");
    mi_json_begin_object(json);
    put_uint(json, "bytes_read", model->bytes_read);
    put_uint(json, "records_read", model->records_read);
    put_bool(json, "has_end", model->has_end);
    put_uint_or_null(json, "records_declared", model->has_end,
                     model->records_declared);
    put_uint_or_null(json, "records_dropped", model->has_end,
                     model->records_dropped);
    mi_json_end_object(json);
}

static void
put_process(mi_json *json, const char *key, const mi_model_process *process)
{
    mi_json_key(json, key);
    if (!process->present) {
        mi_json_null(json);
        return;
    }
    mi_json_begin_object(json);
    put_double(json, "user_seconds", process->user_seconds);
    put_double(json, "system_seconds", process->system_seconds);
    put_uint_or_null(json, "rss_kib", process->rss_known, process->rss_kib);
    put_uint_or_null(json, "peak_rss_kib", process->peak_known,
                     process->peak_rss_kib);
    put_uint(json, "threads", process->threads);
    mi_json_end_object(json);
}

static void
put_context(mi_json *json, const mi_model *model)
{
    mi_json_key(json, "process");
    mi_json_begin_object(json);
    put_process(json, "before", &model->process_before);
    put_process(json, "after", &model->process_after);
    mi_json_end_object(json);

    mi_json_key(json, "gc");
    if (model->has_gc) {
        mi_json_begin_object(json);
        put_uint(json, "tracked", model->gc_tracked);
        put_uint(json, "collected", model->gc_collected);
        put_uint(json, "collections", model->gc_collections);
        put_uint(json, "uncollectable", model->gc_uncollectable);
        mi_json_end_object(json);
    }
    else {
        mi_json_null(json);
    }

    mi_json_key(json, "imports");
    if (model->has_imports) {
        mi_json_begin_object(json);
        put_uint(json, "imported", model->imported);
        put_uint(json, "total", model->total_modules);
        mi_json_key(json, "failed");
        put_strings(json, model->failed_imports, model->n_failed_imports);
        mi_json_end_object(json);
    }
    else {
        mi_json_null(json);
    }

    mi_json_key(json, "modules");
    mi_json_begin_array(json);
    for (size_t i = 0; i < model->n_modules; i++) {
        mi_json_begin_object(json);
        put_uint(json, "id", model->modules[i].id);
        put_string(json, "name", model->modules[i].name);
        mi_json_end_object(json);
    }
    mi_json_end_array(json);
}

static void
put_types(mi_json *json, const mi_model *model)
{
    mi_json_key(json, "types");
    mi_json_begin_array(json);
    for (size_t i = 0; i < model->n_types; i++) {
        const mi_model_type *type = &model->types[i];
        mi_json_begin_object(json);
        put_uint(json, "id", type->id);
        put_string(json, "name", type->name);
        put_string(json, "repr", type->repr);
        put_uint(json, "address", type->address);
        put_uint(json, "flags", type->flags);
        put_bool(json, "exception",
                 (type->flags & MI_TYPE_FLAG_EXCEPTION) != 0);
        put_bool(json, "heap", (type->flags & MI_TYPE_FLAG_HEAP) != 0);
        mi_json_key(json, "static_attributes");
        put_strings(json, type->static_attributes, type->n_static_attributes);
        put_uint(json, "static_dict_bytes", type->static_dict_bytes);
        mi_json_end_object(json);
    }
    mi_json_end_array(json);
}

/* "type_id" and "name" of the type a row is about. */
static void
put_type_identity(mi_json *json, const mi_model_type *type)
{
    put_uint(json, "type_id", type->id);
    put_string(json, "name", type->name);
}

static void
put_types_table(mi_json *json, const mi_analysis *analysis)
{
    mi_json_key(json, "types_by_memory_usage");
    mi_json_begin_object(json);
    mi_json_key(json, "rows");
    mi_json_begin_array(json);
    for (size_t i = 0; i < analysis->n_types; i++) {
        const mi_type_row *row = &analysis->types[i];
        const mi_model_type_stats *stats = row->stats;
        mi_json_begin_object(json);
        put_type_identity(json, row->type);
        put_uint(json, "bytes", stats->bytes);
        put_uint(json, "instances", stats->instances);
        put_uint(json, "average_bytes", stats->bytes / stats->instances);
        put_uint(json, "immortal", stats->immortal);
        put_uint(json, "interned", stats->interned);
        mi_json_key(json, "refcounts");
        put_refcounts(json, stats->refcounts, stats->n_refcounts);
        mi_json_key(json, "addresses");
        put_uints(json, stats->addresses, stats->n_addresses);
        put_uint(json, "dict_instances", stats->dict_instances);
        put_uint(json, "dict_bytes", stats->dict_bytes);
        mi_json_key(json, "attribute_names");
        mi_json_begin_compact_array(json);
        for (size_t j = 0; j < stats->n_attribute_names; j++) {
            mi_json_begin_compact_array(json);
            mi_json_string(json, stats->attribute_names[j].name);
            mi_json_uint(json, stats->attribute_names[j].count);
            mi_json_end_array(json);
        }
        mi_json_end_array(json);
        mi_json_end_object(json);
    }
    mi_json_end_array(json);
    mi_json_key(json, "totals");
    mi_json_begin_object(json);
    put_uint(json, "types", analysis->n_types);
    put_uint(json, "bytes", analysis->total_bytes);
    put_uint(json, "instances", analysis->total_instances);
    put_uint(json, "average_bytes", analysis->total_instances > 0
                       ? analysis->total_bytes / analysis->total_instances
                       : 0);
    mi_json_end_object(json);
    mi_json_end_object(json);
}

static void
put_uninstantiated(mi_json *json, const mi_analysis *analysis)
{
    mi_json_key(json, "uninstantiated_types");
    mi_json_begin_array(json);
    for (size_t i = 0; i < analysis->n_uninstantiated; i++) {
        mi_json_begin_object(json);
        put_type_identity(json, analysis->uninstantiated[i]);
        mi_json_end_object(json);
    }
    mi_json_end_array(json);
}

static void
put_duplicate(mi_json *json, const mi_model_duplicate *duplicate)
{
    mi_json_begin_object(json);
    put_string(json, "repr", duplicate->repr);
    put_uint(json, "size", duplicate->size);
    put_uint(json, "copies", duplicate->copies);
    mi_json_key(json, "savable_bytes");
    uint64_t savable;
    uint64_t extra = duplicate->copies > 0 ? duplicate->copies - 1 : 0;
    if (__builtin_mul_overflow(duplicate->size, extra, &savable)) {
        savable = UINT64_MAX;
    }
    mi_json_uint(json, savable);
    put_uint(json, "immortal", duplicate->immortal);
    put_uint(json, "interned", duplicate->interned);
    mi_json_key(json, "refcounts");
    put_refcounts(json, duplicate->refcounts, duplicate->n_refcounts);
    mi_json_key(json, "addresses");
    put_uints(json, duplicate->addresses, duplicate->n_addresses);
    mi_json_end_object(json);
}

static void
put_duplicates(mi_json *json, const mi_analysis *analysis)
{
    mi_json_key(json, "duplicates");
    mi_json_begin_object(json);
    mi_json_key(json, "rows");
    mi_json_begin_array(json);
    for (size_t i = 0; i < analysis->n_duplicate_summary; i++) {
        const mi_duplicate_summary_row *row = &analysis->duplicate_summary[i];
        mi_json_begin_object(json);
        put_type_identity(json, row->type);
        put_uint(json, "savable_bytes", row->savable_bytes);
        put_uint(json, "duplicate_instances", row->duplicate_instances);
        put_uint(json, "values", row->values);
        mi_json_key(json, "duplicates");
        mi_json_begin_array(json);
        for (size_t j = 0; j < row->n_duplicates; j++) {
            put_duplicate(json, row->duplicates[j]);
        }
        mi_json_end_array(json);
        mi_json_end_object(json);
    }
    mi_json_end_array(json);
    mi_json_key(json, "totals");
    mi_json_begin_object(json);
    put_uint(json, "types", analysis->n_duplicate_summary);
    put_uint(json, "savable_bytes", analysis->total_savable_bytes);
    put_uint(json, "duplicate_instances", analysis->total_duplicate_instances);
    mi_json_end_object(json);
    mi_json_end_object(json);
}

static void
put_missing_slots(mi_json *json, const mi_slots_row *row)
{
    mi_json_key(json, "missing_slots");
    mi_json_begin_array(json);
    for (size_t j = 0; j < row->n_missing_slots; j++) {
        mi_json_begin_object(json);
        put_string(json, "name", row->missing_slots[j].name);
        put_uint(json, "instances", row->missing_slots[j].count);
        mi_json_end_object(json);
    }
    mi_json_end_array(json);
}

static void
put_slots(mi_json *json, const char *key, const mi_slots_row *rows,
          size_t n, bool instantiated)
{
    int64_t savable = 0;
    uint64_t dict_bytes = 0, missing = 0, instances = 0;

    mi_json_key(json, key);
    mi_json_begin_object(json);
    mi_json_key(json, "rows");
    mi_json_begin_array(json);
    for (size_t i = 0; i < n; i++) {
        const mi_slots_row *row = &rows[i];
        mi_json_begin_object(json);
        put_type_identity(json, row->type);
        put_int(json, "savable_bytes", row->savable_bytes);
        put_uint(json, "dict_bytes", row->dict_bytes);
        put_double(json, "reduction", row->reduction);
        if (instantiated) {
            put_uint(json, "instances", row->instances);
        }
        put_missing_slots(json, row);
        mi_json_end_object(json);
        savable = row->savable_bytes > INT64_MAX - savable
                  ? INT64_MAX : savable + row->savable_bytes;
        dict_bytes = dict_bytes > UINT64_MAX - row->dict_bytes
                     ? UINT64_MAX : dict_bytes + row->dict_bytes;
        missing += row->n_missing_slots;
        instances = instances > UINT64_MAX - row->instances
                    ? UINT64_MAX : instances + row->instances;
    }
    mi_json_end_array(json);
    mi_json_key(json, "totals");
    mi_json_begin_object(json);
    put_uint(json, "classes", n);
    put_uint(json, "missing_slots", missing);
    if (instantiated) {
        put_int(json, "savable_bytes", savable);
        put_uint(json, "dict_bytes", dict_bytes);
        mi_json_key(json, "reduction");
        if (dict_bytes > 0) {
            mi_json_double(json, (double)savable / (double)dict_bytes);
        }
        else {
            mi_json_null(json);
        }
        put_uint(json, "instances", instances);
    }
    mi_json_end_object(json);
    mi_json_end_object(json);
}

static void
put_inventory(mi_json *json, const mi_analysis *analysis)
{
    const mi_model_inventory *inventory = analysis->inventory;
    mi_json_begin_object(json);
    put_uint(json, "scope", inventory->scope);
    put_uint(json, "objects", inventory->objects);
    put_uint(json, "bytes", inventory->bytes);
    put_bool(json, "limit_reached", inventory->limit_reached);
    put_uint(json, "pending", inventory->pending);
    put_uint(json, "objects_limit", inventory->objects_limit);
    put_double(json, "walk_seconds", inventory->walk_seconds);
    put_uint(json, "python_sizeof_calls", inventory->python_sizeof_calls);
    put_uint(json, "sizeof_fallbacks", inventory->sizeof_fallbacks);
    mi_json_key(json, "duplicate_type_ids");
    put_uints(json, inventory->duplicate_type_ids,
              inventory->n_duplicate_type_ids);
    put_types_table(json, analysis);
    put_uninstantiated(json, analysis);
    put_duplicates(json, analysis);
    put_slots(json, "classes_lacking_slots", analysis->lacking_slots,
              analysis->n_lacking_slots, true);
    put_slots(json, "uninstantiated_classes_lacking_slots",
              analysis->uninstantiated_lacking_slots,
              analysis->n_uninstantiated_lacking_slots, false);
    mi_json_end_object(json);
}

/* The inventory of `scope`, analysed; -1 when out of memory. */
static int
put_analysed(mi_json *json, const mi_model *model, uint64_t scope)
{
    mi_analysis analysis;
    int rc = mi_analysis_build(model, scope, &analysis);
    if (rc == -1) {
        return -1;
    }
    if (rc == -2) {
        mi_json_null(json);
        return 0;
    }
    put_inventory(json, &analysis);
    mi_analysis_free(&analysis);
    return 0;
}

/* ---- Import tracing ---- */

static const char *
status_name(uint64_t status)
{
    switch (status) {
    case MI_IMPORT_OK: return "ok";
    case MI_IMPORT_FAILED: return "failed";
    case MI_IMPORT_NOT_FOUND: return "not_found";
    }
    return "unknown";
}

static void
put_indexes(mi_json *json, const size_t *indexes, size_t n)
{
    mi_json_begin_compact_array(json);
    for (size_t i = 0; i < n; i++) {
        mi_json_uint(json, indexes[i]);
    }
    mi_json_end_array(json);
}

/* `key`: {"objects", "bytes"} when known, else null. */
static void
put_amount(mi_json *json, const char *key, bool known, uint64_t objects,
           uint64_t bytes)
{
    mi_json_key(json, key);
    if (!known) {
        mi_json_null(json);
        return;
    }
    mi_json_begin_object(json);
    put_uint(json, "objects", objects);
    put_uint(json, "bytes", bytes);
    mi_json_end_object(json);
}

static void
put_import_node(mi_json *json, const mi_import_node *node, size_t index)
{
    mi_json_begin_object(json);
    put_uint(json, "index", index);
    put_uint(json, "module_id", node->module_id);
    put_string(json, "name", node->name);
    mi_json_key(json, "parent");
    if (node->parent == MI_IMPORT_NO_PARENT) {
        mi_json_null(json);
    }
    else {
        mi_json_uint(json, node->parent);
    }
    put_uint(json, "parent_id", node->parent_id);
    put_bool(json, "parent_unfinished", node->parent_unfinished);
    put_uint(json, "depth", node->depth);
    mi_json_key(json, "children");
    put_indexes(json, node->children, node->n_children);
    put_uint(json, "thread_id", node->thread_id);
    put_double(json, "started", node->started);
    put_double(json, "find_seconds", node->find_seconds);
    put_double(json, "total_seconds", node->total_seconds);
    put_double(json, "self_seconds", node->self_seconds);
    put_string(json, "status", status_name(node->status));
    put_string(json, "error", node->error);
    put_amount(json, "walked", true, node->walked_objects,
               node->walked_bytes);
    put_amount(json, "retained", node->has_retained, node->retained_objects,
               node->retained_bytes);
    put_amount(json, "self", true, node->self_objects, node->self_bytes);
    put_amount(json, "cumulative", true, node->cumulative_objects,
               node->cumulative_bytes);
    mi_json_end_object(json);
}

static void
put_import_tree(mi_json *json, const mi_model *model,
                const mi_import_tree *tree)
{
    mi_json_key(json, "import_tree");
    if (tree->n_nodes == 0 && model->n_retained == 0) {
        mi_json_null(json);
        return;
    }
    mi_json_begin_object(json);
    put_string(json, "self_is", tree->retained ? "retained" : "walked");
    mi_json_key(json, "nodes");
    mi_json_begin_array(json);
    for (size_t i = 0; i < tree->n_nodes; i++) {
        put_import_node(json, &tree->nodes[i], i);
    }
    mi_json_end_array(json);
    mi_json_key(json, "roots");
    put_indexes(json, tree->roots, tree->n_roots);
    mi_json_key(json, "by_cumulative_bytes");
    put_indexes(json, tree->by_cumulative_bytes, tree->n_nodes);
    mi_json_key(json, "by_self_bytes");
    put_indexes(json, tree->by_self_bytes, tree->n_nodes);

    mi_json_key(json, "totals");
    mi_json_begin_object(json);
    put_uint(json, "imports", tree->n_nodes);
    put_uint(json, "failed", tree->n_failed);
    put_uint(json, "not_found", tree->n_not_found);
    put_double(json, "import_seconds", tree->import_seconds);
    put_amount(json, "self", true, tree->self_objects, tree->self_bytes);
    mi_json_end_object(json);

    put_amount(json, "baseline", tree->has_baseline, tree->baseline_objects,
               tree->baseline_bytes);
    put_amount(json, "unattributed", tree->has_unattributed,
               tree->unattributed_objects, tree->unattributed_bytes);
    put_amount(json, "orphan_retained", true, tree->orphan_retained_objects,
               tree->orphan_retained_bytes);
    put_amount(json, "final", tree->has_final, tree->final_objects,
               tree->final_bytes);
    mi_json_key(json, "retained");
    mi_json_begin_array(json);
    for (size_t i = 0; i < model->n_retained; i++) {
        const mi_model_retained *retained = &model->retained[i];
        mi_json_begin_object(json);
        put_uint(json, "scope", retained->scope);
        put_uint(json, "objects", retained->objects);
        put_uint(json, "bytes", retained->bytes);
        mi_json_end_object(json);
    }
    mi_json_end_array(json);
    put_amount(json, "retained_total", model->n_retained > 0,
               tree->retained_total_objects, tree->retained_total_bytes);
    mi_json_key(json, "retained_adds_up");
    if (model->n_retained > 0 && tree->has_final) {
        mi_json_bool(json, tree->retained_adds_up);
    }
    else {
        mi_json_null(json);
    }
    mi_json_end_object(json);
}

int
mi_report_json_write(FILE *out, const mi_model *model)
{
    mi_json json;
    mi_json_init(&json, out);
    mi_json_begin_object(&json);
    mi_json_key(&json, "format_version");
    mi_json_uint(&json, MI_REPORT_JSON_VERSION);
    mi_json_key(&json, "complete");
    mi_json_bool(&json, model->complete);
    mi_json_key(&json, "incomplete_reason");
    if (model->complete) {
        mi_json_null(&json);
    }
    else {
        mi_json_string(&json, model->incomplete_reason != NULL
                              ? model->incomplete_reason : "unknown reason");
    }
    put_recording(&json, model);
    put_header(&json, model);
    put_context(&json, model);
    put_types(&json, model);
    mi_json_key(&json, "inventory");
    if (put_analysed(&json, model, MI_SCOPE_FINAL) < 0) {
        return -1;
    }
    mi_json_key(&json, "module_inventories");
    mi_json_begin_array(&json);
    for (size_t i = 0; i < model->n_inventories; i++) {
        uint64_t scope = model->inventories[i].scope;
        if (scope != MI_SCOPE_FINAL && put_analysed(&json, model, scope) < 0) {
            return -1;
        }
    }
    mi_json_end_array(&json);
    mi_import_tree tree;
    if (mi_import_tree_build(model, &tree) < 0) {
        return -1;
    }
    put_import_tree(&json, model, &tree);
    mi_import_tree_free(&tree);
    mi_json_end_object(&json);
    return mi_json_finish(&json);
}
