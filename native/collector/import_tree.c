#include "import_tree.h"

#include <stdlib.h>
#include <string.h>

#include "../records.h"
#include "id_map.h"

static uint64_t
add_saturating(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The children that wait for the IMPORT of one parent module id, in the
   order they ended. */
typedef struct {
    size_t *items;
    size_t n;
    size_t capacity;
} index_list;

static int
list_append(index_list *list, size_t value)
{
    if (list->n == list->capacity) {
        size_t capacity = list->capacity == 0 ? 4 : 2 * list->capacity;
        if (capacity > SIZE_MAX / sizeof(size_t)) {
            return -1;
        }
        size_t *bigger = realloc(list->items, capacity * sizeof(size_t));
        if (bigger == NULL) {
            return -1;
        }
        list->items = bigger;
        list->capacity = capacity;
    }
    list->items[list->n++] = value;
    return 0;
}

/* What the build needs besides the tree: maps from ids to the model's
   arrays, and the children waiting for their parent. */
typedef struct {
    mi_id_map modules;          /* module id -> index in model->modules */
    mi_id_map inventories;      /* scope -> index in model->inventories */
    mi_id_map retained;         /* scope -> index in model->retained */
    mi_id_map imported;         /* module id -> a node with it */
    mi_id_map waiting;          /* parent module id -> index in lists */
    index_list *lists;
    size_t n_lists;
    size_t lists_capacity;
} build_state;

static void
state_free(build_state *state)
{
    mi_id_map_free(&state->modules);
    mi_id_map_free(&state->inventories);
    mi_id_map_free(&state->retained);
    mi_id_map_free(&state->imported);
    mi_id_map_free(&state->waiting);
    for (size_t i = 0; i < state->n_lists; i++) {
        free(state->lists[i].items);
    }
    free(state->lists);
}

static int
state_index(build_state *state, const mi_model *model)
{
    for (size_t i = 0; i < model->n_modules; i++) {
        if (mi_id_map_add(&state->modules, model->modules[i].id, i) < 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < model->n_inventories; i++) {
        if (mi_id_map_add(&state->inventories, model->inventories[i].scope,
                          i) < 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < model->n_retained; i++) {
        if (mi_id_map_add(&state->retained, model->retained[i].scope, i)
            < 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < model->n_imports; i++) {
        if (mi_id_map_add(&state->imported, model->imports[i].module_id, i)
            < 0) {
            return -1;
        }
    }
    return 0;
}

/* Makes `child` wait for the IMPORT of its parent module. */
static int
wait_for_parent(build_state *state, uint64_t parent_id, size_t child)
{
    size_t slot;
    if (!mi_id_map_get(&state->waiting, parent_id, &slot)) {
        if (state->n_lists == state->lists_capacity) {
            size_t capacity = state->lists_capacity == 0
                              ? 16 : 2 * state->lists_capacity;
            if (capacity > SIZE_MAX / sizeof(index_list)) {
                return -1;
            }
            index_list *bigger = realloc(state->lists,
                                         capacity * sizeof(index_list));
            if (bigger == NULL) {
                return -1;
            }
            state->lists = bigger;
            state->lists_capacity = capacity;
        }
        slot = state->n_lists;
        if (mi_id_map_add(&state->waiting, parent_id, slot) < 0) {
            return -1;
        }
        state->lists[state->n_lists++] = (index_list){NULL, 0, 0};
    }
    return list_append(&state->lists[slot], child);
}

/* Node `at` ended: it adopts the children that wait for its module on
   its thread (the others go on waiting). */
static int
adopt_children(build_state *state, mi_import_node *nodes, size_t at)
{
    mi_import_node *parent = &nodes[at];
    size_t slot;
    if (!mi_id_map_get(&state->waiting, parent->module_id, &slot)) {
        return 0;
    }
    index_list *list = &state->lists[slot];
    size_t adopted = 0;
    for (size_t i = 0; i < list->n; i++) {
        adopted += nodes[list->items[i]].thread_id == parent->thread_id;
    }
    if (adopted == 0) {
        return 0;
    }
    parent->children = malloc(adopted * sizeof(size_t));
    if (parent->children == NULL) {
        return -1;
    }
    size_t kept = 0;
    for (size_t i = 0; i < list->n; i++) {
        size_t child = list->items[i];
        if (nodes[child].thread_id == parent->thread_id) {
            nodes[child].parent = at;
            parent->children[parent->n_children++] = child;
        }
        else {
            list->items[kept++] = child;
        }
    }
    list->n = kept;
    return 0;
}

static void
fill_node(const mi_model *model, const build_state *state,
          const mi_model_import *import, mi_import_node *node)
{
    size_t at;
    node->module_id = import->module_id;
    node->parent_id = import->parent_id;
    node->name = mi_id_map_get(&state->modules, import->module_id, &at)
                 ? model->modules[at].name : "?";
    node->thread_id = import->thread_id;
    node->started = import->started;
    node->find_seconds = import->find_seconds;
    node->total_seconds = import->total_seconds;
    node->status = import->status;
    node->error = import->error;
    if (mi_id_map_get(&state->inventories, import->module_id, &at)) {
        node->walked_objects = model->inventories[at].objects;
        node->walked_bytes = model->inventories[at].bytes;
    }
    if (mi_id_map_get(&state->retained, import->module_id, &at)) {
        node->has_retained = true;
        node->retained_objects = model->retained[at].objects;
        node->retained_bytes = model->retained[at].bytes;
    }
    node->parent = MI_IMPORT_NO_PARENT;
}

typedef struct {
    uint64_t key;
    size_t index;
} sort_entry;

/* Largest key first; ties in node order. */
static int
compare_entries(const void *a, const void *b)
{
    const sort_entry *x = a, *y = b;
    if (x->key != y->key) {
        return x->key > y->key ? -1 : 1;
    }
    return (x->index > y->index) - (x->index < y->index);
}

/* Node indexes by `cumulative` or self bytes, largest first. */
static size_t *
sorted_indexes(const mi_import_tree *tree, bool cumulative)
{
    size_t n = tree->n_nodes;
    sort_entry *entries = malloc(n * sizeof(sort_entry));
    size_t *indexes = malloc(n * sizeof(size_t));
    if (entries == NULL || indexes == NULL) {
        free(entries);
        free(indexes);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const mi_import_node *node = &tree->nodes[i];
        entries[i].key = cumulative ? node->cumulative_bytes
                                    : node->self_bytes;
        entries[i].index = i;
    }
    qsort(entries, n, sizeof(sort_entry), compare_entries);
    for (size_t i = 0; i < n; i++) {
        indexes[i] = entries[i].index;
    }
    free(entries);
    return indexes;
}

/* Parents, depths, self and cumulative figures, roots. IMPORT records
   come as imports end, so a child's index is below its parent's. */
static int
link_nodes(const mi_model *model, build_state *state, mi_import_tree *tree)
{
    mi_import_node *nodes = tree->nodes;
    size_t n = tree->n_nodes;
    for (size_t i = 0; i < n; i++) {
        fill_node(model, state, &model->imports[i], &nodes[i]);
        if (adopt_children(state, nodes, i) < 0) {
            return -1;
        }
        if (nodes[i].parent_id != 0
            && wait_for_parent(state, nodes[i].parent_id, i) < 0) {
            return -1;
        }
    }
    for (size_t i = n; i-- > 0;) {
        mi_import_node *node = &nodes[i];
        if (node->parent == MI_IMPORT_NO_PARENT) {
            node->depth = 0;
            node->parent_unfinished = node->parent_id != 0;
            tree->n_roots++;
        }
        else {
            node->depth = nodes[node->parent].depth + 1;
        }
    }
    tree->roots = malloc((tree->n_roots > 0 ? tree->n_roots : 1)
                         * sizeof(size_t));
    if (tree->roots == NULL) {
        return -1;
    }
    size_t root = 0;
    for (size_t i = 0; i < n; i++) {
        mi_import_node *node = &nodes[i];
        if (tree->retained) {
            node->self_objects = node->retained_objects;
            node->self_bytes = node->retained_bytes;
        }
        else {
            node->self_objects = node->walked_objects;
            node->self_bytes = node->walked_bytes;
        }
        /* Until now self_seconds held the children's total_seconds and
           the cumulative figures the children's. */
        double self = node->total_seconds - node->self_seconds;
        node->self_seconds = self > 0.0 ? self : 0.0;
        node->cumulative_objects = add_saturating(node->cumulative_objects,
                                                  node->self_objects);
        node->cumulative_bytes = add_saturating(node->cumulative_bytes,
                                                node->self_bytes);
        tree->self_objects = add_saturating(tree->self_objects,
                                            node->self_objects);
        tree->self_bytes = add_saturating(tree->self_bytes, node->self_bytes);
        tree->n_failed += node->status == MI_IMPORT_FAILED;
        tree->n_not_found += node->status == MI_IMPORT_NOT_FOUND;
        if (node->parent == MI_IMPORT_NO_PARENT) {
            tree->roots[root++] = i;
            tree->import_seconds += node->total_seconds;
        }
        else {
            mi_import_node *parent = &nodes[node->parent];
            parent->self_seconds += node->total_seconds;
            parent->cumulative_objects = add_saturating(
                parent->cumulative_objects, node->cumulative_objects);
            parent->cumulative_bytes = add_saturating(
                parent->cumulative_bytes, node->cumulative_bytes);
        }
    }
    return 0;
}

/* Baseline, unattributed, final, and the RETAINED records' sum. */
static void
fill_totals(const mi_model *model, const build_state *state,
            mi_import_tree *tree)
{
    size_t at;
    if (mi_id_map_get(&state->inventories, MI_SCOPE_FINAL, &at)) {
        tree->has_final = true;
        tree->final_objects = model->inventories[at].objects;
        tree->final_bytes = model->inventories[at].bytes;
    }
    for (size_t i = 0; i < model->n_retained; i++) {
        const mi_model_retained *retained = &model->retained[i];
        tree->retained_total_objects = add_saturating(
            tree->retained_total_objects, retained->objects);
        tree->retained_total_bytes = add_saturating(
            tree->retained_total_bytes, retained->bytes);
        if (retained->scope == MI_SCOPE_BASELINE) {
            tree->has_baseline = true;
            tree->baseline_objects = retained->objects;
            tree->baseline_bytes = retained->bytes;
        }
        else if (retained->scope == MI_SCOPE_UNATTRIBUTED) {
            tree->has_unattributed = true;
            tree->unattributed_objects = retained->objects;
            tree->unattributed_bytes = retained->bytes;
        }
        else if (!mi_id_map_get(&state->imported, retained->scope, NULL)) {
            tree->orphan_retained_objects = add_saturating(
                tree->orphan_retained_objects, retained->objects);
            tree->orphan_retained_bytes = add_saturating(
                tree->orphan_retained_bytes, retained->bytes);
        }
    }
    tree->retained_adds_up = tree->has_final && model->n_retained > 0
                             && tree->retained_total_objects
                                == tree->final_objects
                             && tree->retained_total_bytes
                                == tree->final_bytes;
}

int
mi_import_tree_build(const mi_model *model, mi_import_tree *tree)
{
    build_state state;
    int rc = -1;

    memset(tree, 0, sizeof(*tree));
    memset(&state, 0, sizeof(state));
    mi_id_map_init(&state.modules);
    mi_id_map_init(&state.inventories);
    mi_id_map_init(&state.retained);
    mi_id_map_init(&state.imported);
    mi_id_map_init(&state.waiting);
    if (state_index(&state, model) < 0) {
        goto done;
    }
    tree->retained = model->n_retained > 0;
    fill_totals(model, &state, tree);
    if (model->n_imports > 0) {
        tree->n_nodes = model->n_imports;
        tree->nodes = calloc(tree->n_nodes, sizeof(mi_import_node));
        if (tree->nodes == NULL || link_nodes(model, &state, tree) < 0
            || (tree->by_cumulative_bytes = sorted_indexes(tree, true))
               == NULL
            || (tree->by_self_bytes = sorted_indexes(tree, false)) == NULL) {
            goto done;
        }
    }
    rc = 0;
done:
    state_free(&state);
    if (rc < 0) {
        mi_import_tree_free(tree);
    }
    return rc;
}

void
mi_import_tree_free(mi_import_tree *tree)
{
    if (tree->nodes != NULL) {
        for (size_t i = 0; i < tree->n_nodes; i++) {
            free(tree->nodes[i].children);
        }
    }
    free(tree->nodes);
    free(tree->roots);
    free(tree->by_cumulative_bytes);
    free(tree->by_self_bytes);
    memset(tree, 0, sizeof(*tree));
}
