#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "id_map.h"

void
mi_model_init(mi_model *model)
{
    memset(model, 0, sizeof(*model));
}

static void
free_strings(char **strings, size_t n)
{
    if (strings == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(strings[i]);
    }
    free(strings);
}

static void
free_inventory(mi_model_inventory *inventory)
{
    free(inventory->duplicate_type_ids);
    for (size_t i = 0; i < inventory->n_type_stats; i++) {
        mi_model_type_stats *stats = &inventory->type_stats[i];
        free(stats->refcounts);
        free(stats->addresses);
        for (size_t j = 0; j < stats->n_attribute_names; j++) {
            free(stats->attribute_names[j].name);
        }
        free(stats->attribute_names);
    }
    free(inventory->type_stats);
    free(inventory->uninstantiated_type_ids);
    for (size_t i = 0; i < inventory->n_duplicates; i++) {
        mi_model_duplicate *duplicate = &inventory->duplicates[i];
        free(duplicate->repr);
        free(duplicate->refcounts);
        free(duplicate->addresses);
    }
    free(inventory->duplicates);
}

void
mi_model_free(mi_model *model)
{
    free(model->python_version);
    free_strings(model->argv, model->n_argv);
    free_strings(model->loaded_modules, model->n_loaded_modules);
    for (size_t i = 0; i < model->n_types; i++) {
        mi_model_type *type = &model->types[i];
        free(type->name);
        free(type->repr);
        free_strings(type->static_attributes, type->n_static_attributes);
    }
    free(model->types);
    free_strings(model->failed_imports, model->n_failed_imports);
    for (size_t i = 0; i < model->n_inventories; i++) {
        free_inventory(&model->inventories[i]);
    }
    free(model->inventories);
    free(model->incomplete_reason);
    for (size_t i = 0; i < model->n_modules; i++) {
        free(model->modules[i].name);
    }
    free(model->modules);
    for (size_t i = 0; i < model->n_imports; i++) {
        free(model->imports[i].error);
    }
    free(model->imports);
    free(model->retained);
    if (model->type_index != NULL) {
        mi_id_map_free(model->type_index);
        free(model->type_index);
    }
    mi_model_init(model);
}

const mi_model_type *
mi_model_find_type(const mi_model *model, uint64_t id)
{
    const mi_id_map *index = model->type_index;
    if (index != NULL && index->count == model->n_types) {
        size_t i;
        return mi_id_map_get(index, id, &i) ? &model->types[i] : NULL;
    }
    for (size_t i = 0; i < model->n_types; i++) {
        if (model->types[i].id == id) {
            return &model->types[i];
        }
    }
    return NULL;
}

const mi_model_inventory *
mi_model_find_inventory(const mi_model *model, uint64_t scope)
{
    for (size_t i = 0; i < model->n_inventories; i++) {
        if (model->inventories[i].scope == scope) {
            return &model->inventories[i];
        }
    }
    return NULL;
}
