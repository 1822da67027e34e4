/* The import tree of a traced recording: one node per IMPORT record,
 * nested as the imports were (a child is an import that began while its
 * parent was in progress on the same thread), with each node's self and
 * cumulative memory and time. The text, JSON and HTML reports of import
 * tracing are all built from this.
 *
 * Which memory a node owns ("self"): when the recording has RETAINED
 * records (the tracer took the final inventory), what the final inventory
 * still found of the objects first reached by the walk after this import
 * (`retained` is true); otherwise what that walk found at the time (the
 * INVENTORY of the node's scope). Cumulative: self plus the cumulative of
 * every child. Self time: total_seconds minus the children's
 * total_seconds (never below 0), as -X importtime computes it. */
#ifndef MI_COLLECTOR_IMPORT_TREE_H
#define MI_COLLECTOR_IMPORT_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MI_IMPORT_NO_PARENT ((size_t)-1)

typedef struct {
    uint64_t module_id;         /* the MODULE id: the scope of its walk */
    const char *name;           /* the model's string */
    uint64_t thread_id;
    double started;             /* time.monotonic() */
    double find_seconds;
    double total_seconds;       /* importtime's cumulative */
    double self_seconds;        /* importtime's self */
    uint64_t status;            /* MI_IMPORT_* of records.h */
    const char *error;          /* the model's string, or NULL */

    /* The walk after the import (its INVENTORY); 0 when it has none. */
    uint64_t walked_objects;
    uint64_t walked_bytes;
    /* Its RETAINED record; has_retained false when there is none. */
    bool has_retained;
    uint64_t retained_objects;
    uint64_t retained_bytes;
    /* Self and cumulative, as the header comment defines them. */
    uint64_t self_objects;
    uint64_t self_bytes;
    uint64_t cumulative_objects;
    uint64_t cumulative_bytes;

    size_t parent;              /* index in nodes, or MI_IMPORT_NO_PARENT */
    bool parent_unfinished;     /* a root whose parent never ended
                                   (tracing stopped while it ran) */
    size_t *children;           /* indexes in nodes, in the order they ended */
    size_t n_children;
    unsigned depth;             /* 0 for a root */

    /* Added after the first version of this interface. */
    uint64_t parent_id;         /* the IMPORT's parent_id (0: none) */
} mi_import_node;

typedef struct {
    /* In the order the imports ended (the IMPORT records' order), which
       is the order -X importtime prints them in: children first. */
    mi_import_node *nodes;
    size_t n_nodes;
    size_t *roots;              /* indexes, in the order they ended */
    size_t n_roots;
    /* Node indexes, largest first (ties: the order they ended). */
    size_t *by_cumulative_bytes;
    size_t *by_self_bytes;

    bool retained;              /* self is retained memory (see above) */
    /* RETAINED of MI_SCOPE_BASELINE and MI_SCOPE_UNATTRIBUTED. */
    bool has_baseline;
    uint64_t baseline_objects;
    uint64_t baseline_bytes;
    bool has_unattributed;
    uint64_t unattributed_objects;
    uint64_t unattributed_bytes;
    /* The final inventory (scope MI_SCOPE_FINAL), when there is one. */
    bool has_final;
    uint64_t final_objects;
    uint64_t final_bytes;
    double import_seconds;      /* the roots' total_seconds, summed */

    /* Added after the first version of this interface. */
    size_t n_failed;            /* nodes of status MI_IMPORT_FAILED */
    size_t n_not_found;         /* nodes of status MI_IMPORT_NOT_FOUND */
    /* Every RETAINED record, summed (saturating), and whether the sum is
       exactly the final inventory's objects and bytes, as the tracer
       promises. retained_adds_up is false when there is no final
       inventory or no RETAINED record. */
    uint64_t retained_total_objects;
    uint64_t retained_total_bytes;
    bool retained_adds_up;
    /* RETAINED records of module scopes that no IMPORT has (0 from the
       tracer), summed: part of the total, in no node. */
    uint64_t orphan_retained_objects;
    uint64_t orphan_retained_bytes;
    /* The nodes' self, summed (saturating): what the imports own. */
    uint64_t self_objects;
    uint64_t self_bytes;
} mi_import_tree;

/* Builds the tree of `model` (which must outlive it). A model without
   IMPORT records gives an empty tree (n_nodes == 0). Returns 0, or -1
   when out of memory (the tree is then empty and may be freed). */
int mi_import_tree_build(const mi_model *model, mi_import_tree *tree);

/* Frees what the tree holds and leaves it empty. */
void mi_import_tree_free(mi_import_tree *tree);

#ifdef __cplusplus
}
#endif

#endif
