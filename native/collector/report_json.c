#include "report_json.h"

#include "../records.h"
#include "import_tree.h"
#include "json_writer.h"

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
    mi_json_key(json, "record_format_version");
    mi_json_uint(json, model->version);
    mi_json_key(json, "python_version");
    mi_json_string(json, model->python_version);
    mi_json_key(json, "pid");
    mi_json_uint(json, model->pid);
    mi_json_key(json, "argv");
    put_strings(json, model->argv, model->n_argv);
    mi_json_key(json, "wall_clock");
    mi_json_double(json, model->wall_clock);
    mi_json_key(json, "monotonic_clock");
    mi_json_double(json, model->monotonic_clock);
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
    mi_json_key(json, "bytes_read");
    mi_json_uint(json, model->bytes_read);
    mi_json_key(json, "records_read");
    mi_json_uint(json, model->records_read);
    mi_json_key(json, "has_end");
    mi_json_bool(json, model->has_end);
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
    mi_json_key(json, "user_seconds");
    mi_json_double(json, process->user_seconds);
    mi_json_key(json, "system_seconds");
    mi_json_double(json, process->system_seconds);
    put_uint_or_null(json, "rss_kib", process->rss_known, process->rss_kib);
    put_uint_or_null(json, "peak_rss_kib", process->peak_known,
                     process->peak_rss_kib);
    mi_json_key(json, "threads");
    mi_json_uint(json, process->threads);
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
        mi_json_key(json, "tracked");
        mi_json_uint(json, model->gc_tracked);
        mi_json_key(json, "collected");
        mi_json_uint(json, model->gc_collected);
        mi_json_key(json, "collections");
        mi_json_uint(json, model->gc_collections);
        mi_json_key(json, "uncollectable");
        mi_json_uint(json, model->gc_uncollectable);
        mi_json_end_object(json);
    }
    else {
        mi_json_null(json);
    }

    mi_json_key(json, "imports");
    if (model->has_imports) {
        mi_json_begin_object(json);
        mi_json_key(json, "imported");
        mi_json_uint(json, model->imported);
        mi_json_key(json, "total");
        mi_json_uint(json, model->total_modules);
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
        mi_json_key(json, "id");
        mi_json_uint(json, model->modules[i].id);
        mi_json_key(json, "name");
        mi_json_string(json, model->modules[i].name);
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
        mi_json_key(json, "id");
        mi_json_uint(json, type->id);
        mi_json_key(json, "name");
        mi_json_string(json, type->name);
        mi_json_key(json, "repr");
        mi_json_string(json, type->repr);
        mi_json_key(json, "address");
        mi_json_uint(json, type->address);
        mi_json_key(json, "flags");
        mi_json_uint(json, type->flags);
        mi_json_key(json, "exception");
        mi_json_bool(json, (type->flags & MI_TYPE_FLAG_EXCEPTION) != 0);
        mi_json_key(json, "heap");
        mi_json_bool(json, (type->flags & MI_TYPE_FLAG_HEAP) != 0);
        mi_json_key(json, "static_attributes");
        put_strings(json, type->static_attributes, type->n_static_attributes);
        mi_json_key(json, "static_dict_bytes");
        mi_json_uint(json, type->static_dict_bytes);
        mi_json_end_object(json);
    }
    mi_json_end_array(json);
}

/* "type_id" and "name" of the type a row is about. */
static void
put_type_identity(mi_json *json, const mi_model_type *type)
{
    mi_json_key(json, "type_id");
    mi_json_uint(json, type->id);
    mi_json_key(json, "name");
    mi_json_string(json, type->name);
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
        mi_json_key(json, "bytes");
        mi_json_uint(json, stats->bytes);
        mi_json_key(json, "instances");
        mi_json_uint(json, stats->instances);
        mi_json_key(json, "average_bytes");
        mi_json_uint(json, stats->bytes / stats->instances);
        mi_json_key(json, "immortal");
        mi_json_uint(json, stats->immortal);
        mi_json_key(json, "interned");
        mi_json_uint(json, stats->interned);
        mi_json_key(json, "refcounts");
        put_refcounts(json, stats->refcounts, stats->n_refcounts);
        mi_json_key(json, "addresses");
        put_uints(json, stats->addresses, stats->n_addresses);
        mi_json_key(json, "dict_instances");
        mi_json_uint(json, stats->dict_instances);
        mi_json_key(json, "dict_bytes");
        mi_json_uint(json, stats->dict_bytes);
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
    mi_json_key(json, "types");
    mi_json_uint(json, analysis->n_types);
    mi_json_key(json, "bytes");
    mi_json_uint(json, analysis->total_bytes);
    mi_json_key(json, "instances");
    mi_json_uint(json, analysis->total_instances);
    mi_json_key(json, "average_bytes");
    mi_json_uint(json, analysis->total_instances > 0
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
    mi_json_key(json, "repr");
    mi_json_string(json, duplicate->repr);
    mi_json_key(json, "size");
    mi_json_uint(json, duplicate->size);
    mi_json_key(json, "copies");
    mi_json_uint(json, duplicate->copies);
    mi_json_key(json, "savable_bytes");
    uint64_t savable;
    uint64_t extra = duplicate->copies > 0 ? duplicate->copies - 1 : 0;
    if (__builtin_mul_overflow(duplicate->size, extra, &savable)) {
        savable = UINT64_MAX;
    }
    mi_json_uint(json, savable);
    mi_json_key(json, "immortal");
    mi_json_uint(json, duplicate->immortal);
    mi_json_key(json, "interned");
    mi_json_uint(json, duplicate->interned);
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
        mi_json_key(json, "savable_bytes");
        mi_json_uint(json, row->savable_bytes);
        mi_json_key(json, "duplicate_instances");
        mi_json_uint(json, row->duplicate_instances);
        mi_json_key(json, "values");
        mi_json_uint(json, row->values);
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
    mi_json_key(json, "types");
    mi_json_uint(json, analysis->n_duplicate_summary);
    mi_json_key(json, "savable_bytes");
    mi_json_uint(json, analysis->total_savable_bytes);
    mi_json_key(json, "duplicate_instances");
    mi_json_uint(json, analysis->total_duplicate_instances);
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
        mi_json_key(json, "name");
        mi_json_string(json, row->missing_slots[j].name);
        mi_json_key(json, "instances");
        mi_json_uint(json, row->missing_slots[j].count);
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
        mi_json_key(json, "savable_bytes");
        mi_json_int(json, row->savable_bytes);
        mi_json_key(json, "dict_bytes");
        mi_json_uint(json, row->dict_bytes);
        mi_json_key(json, "reduction");
        mi_json_double(json, row->reduction);
        if (instantiated) {
            mi_json_key(json, "instances");
            mi_json_uint(json, row->instances);
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
    mi_json_key(json, "classes");
    mi_json_uint(json, n);
    mi_json_key(json, "missing_slots");
    mi_json_uint(json, missing);
    if (instantiated) {
        mi_json_key(json, "savable_bytes");
        mi_json_int(json, savable);
        mi_json_key(json, "dict_bytes");
        mi_json_uint(json, dict_bytes);
        mi_json_key(json, "reduction");
        if (dict_bytes > 0) {
            mi_json_double(json, (double)savable / (double)dict_bytes);
        }
        else {
            mi_json_null(json);
        }
        mi_json_key(json, "instances");
        mi_json_uint(json, instances);
    }
    mi_json_end_object(json);
    mi_json_end_object(json);
}

static void
put_inventory(mi_json *json, const mi_analysis *analysis)
{
    const mi_model_inventory *inventory = analysis->inventory;
    mi_json_begin_object(json);
    mi_json_key(json, "scope");
    mi_json_uint(json, inventory->scope);
    mi_json_key(json, "objects");
    mi_json_uint(json, inventory->objects);
    mi_json_key(json, "bytes");
    mi_json_uint(json, inventory->bytes);
    mi_json_key(json, "limit_reached");
    mi_json_bool(json, inventory->limit_reached);
    mi_json_key(json, "pending");
    mi_json_uint(json, inventory->pending);
    mi_json_key(json, "objects_limit");
    mi_json_uint(json, inventory->objects_limit);
    mi_json_key(json, "walk_seconds");
    mi_json_double(json, inventory->walk_seconds);
    mi_json_key(json, "python_sizeof_calls");
    mi_json_uint(json, inventory->python_sizeof_calls);
    mi_json_key(json, "sizeof_fallbacks");
    mi_json_uint(json, inventory->sizeof_fallbacks);
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
    mi_json_key(json, "objects");
    mi_json_uint(json, objects);
    mi_json_key(json, "bytes");
    mi_json_uint(json, bytes);
    mi_json_end_object(json);
}

static void
put_import_node(mi_json *json, const mi_import_node *node, size_t index)
{
    mi_json_begin_object(json);
    mi_json_key(json, "index");
    mi_json_uint(json, index);
    mi_json_key(json, "module_id");
    mi_json_uint(json, node->module_id);
    mi_json_key(json, "name");
    mi_json_string(json, node->name);
    mi_json_key(json, "parent");
    if (node->parent == MI_IMPORT_NO_PARENT) {
        mi_json_null(json);
    }
    else {
        mi_json_uint(json, node->parent);
    }
    mi_json_key(json, "parent_id");
    mi_json_uint(json, node->parent_id);
    mi_json_key(json, "parent_unfinished");
    mi_json_bool(json, node->parent_unfinished);
    mi_json_key(json, "depth");
    mi_json_uint(json, node->depth);
    mi_json_key(json, "children");
    put_indexes(json, node->children, node->n_children);
    mi_json_key(json, "thread_id");
    mi_json_uint(json, node->thread_id);
    mi_json_key(json, "started");
    mi_json_double(json, node->started);
    mi_json_key(json, "find_seconds");
    mi_json_double(json, node->find_seconds);
    mi_json_key(json, "total_seconds");
    mi_json_double(json, node->total_seconds);
    mi_json_key(json, "self_seconds");
    mi_json_double(json, node->self_seconds);
    mi_json_key(json, "status");
    mi_json_string(json, status_name(node->status));
    mi_json_key(json, "error");
    mi_json_string(json, node->error);
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
    mi_json_key(json, "self_is");
    mi_json_string(json, tree->retained ? "retained" : "walked");
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
    mi_json_key(json, "imports");
    mi_json_uint(json, tree->n_nodes);
    mi_json_key(json, "failed");
    mi_json_uint(json, tree->n_failed);
    mi_json_key(json, "not_found");
    mi_json_uint(json, tree->n_not_found);
    mi_json_key(json, "import_seconds");
    mi_json_double(json, tree->import_seconds);
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
        mi_json_key(json, "scope");
        mi_json_uint(json, retained->scope);
        mi_json_key(json, "objects");
        mi_json_uint(json, retained->objects);
        mi_json_key(json, "bytes");
        mi_json_uint(json, retained->bytes);
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
