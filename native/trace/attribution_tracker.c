/* _native.AttributionTracker (attribution_tracker.h). */
#include "../inventory/cpython_internals.h"
#include "attribution_tracker.h"

#include "../inventory/result.h"
#include "../inventory/walk.h"
#include "../module_types.h"
#include "../records.h"
#include "../stream/record_packer.h"
#include "../stream/record_writer.h"
#include "free_hook.h"
#include "module_scan.h"
#include "object_block.h"
#include "owner_map.h"
#include "record_batch.h"
#include "type_ids.h"
#include "walk_records.h"

#include <time.h>

PyDoc_STRVAR(attribution_tracker_doc,
"AttributionTracker(skip_ids, skip_types, duplicate_types)\n\n"
"Attributes the growth of the heap to owners (by convention 0 is the\n"
"baseline taken when tracing starts, then one owner per import): each\n"
"attribute() walks only what no earlier walk owns, and owns what it finds;\n"
"account() walks everything and totals what each owner still holds.\n"
"attribute_records() and account_records() do the same walks and pack\n"
"their findings straight into a RecordWriter, as records.py would.\n"
"The skip rules are those of inventory(). While open, a hook on the object\n"
"allocator forgets the owner of every object that is freed, so that a new\n"
"object at a reused address is not taken for the old one (on 3.12, objects\n"
"that CPython recycles through its free lists, such as floats, tuples,\n"
"lists and dicts, escape it; 3.13 has a hook for them). close() removes\n"
"the hooks.");

/* A new owner map holds this many addresses before it grows (what the
   whole standard library makes: growing rehashes every entry, and the
   kernel only backs the pages a small map touches). */
#define TRACKER_EXPECTED_OBJECTS (1 << 18)
/* The seen set of an incremental walk starts small: most imports add a few
   hundred objects, and a large set costs page faults on every walk. */
#define TRACKER_EXPECTED_GROWTH 1024
/* A batch buffer bigger than this is freed after its records are sent. */
#define TRACKER_KEEP_BATCH ((size_t)1 << 20)

typedef struct {
    PyObject_HEAD
    mi_owner_map owners;
    mi_free_hook *hook;         /* NULL once closed */
    PyObject *skip_ids;         /* tuples */
    PyObject *skip_types;
    PyObject *duplicate_types;
    /* The same, read once: every walk needs them. */
    const void **skip_addresses;
    size_t n_skip_addresses;
    mi_type_ids type_ids;       /* the TYPE records sent */
    mi_record_batch batch;
    mi_module_scan module_scan;  /* sys.modules as the last walk saw it */
    int busy;                   /* in a walk or its results */
} attribution_tracker;

static double
monotonic_seconds(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) {
        return 0.0;
    }
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* --- Configuration ------------------------------------------------------- */

static int
read_skip_ids(attribution_tracker *self)
{
    Py_ssize_t n = PyTuple_GET_SIZE(self->skip_ids);
    self->skip_addresses = PyMem_Calloc((size_t)n + 1, sizeof(void *));
    if (self->skip_addresses == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        void *address = PyLong_AsVoidPtr(PyTuple_GET_ITEM(self->skip_ids, i));
        if (address == NULL && PyErr_Occurred()) {
            return -1;
        }
        if (address != NULL) {
            self->skip_addresses[self->n_skip_addresses++] = address;
        }
    }
    return 0;
}

/* A walk set up with the tracker's rules; `also_skip` (or NULL) is one
   more object not to enter (the writer, the roots tuple). Returns 0, or
   -1 with an exception set and the walk freed. */
static int
prepare_walk(attribution_tracker *self, mi_walk *walk, size_t expected,
             PyObject *roots, PyObject *also_skip)
{
    if (mi_walk_init(walk, expected) < 0) {
        return -1;
    }
    mi_walk_set_types(walk, self->skip_types, self->duplicate_types);
    /* The argument tuples are the caller's, not the heap's. */
    PyObject *own[] = {self->skip_ids, self->skip_types,
                       self->duplicate_types, roots, (PyObject *)self,
                       also_skip};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        if (own[i] != NULL && mi_walk_skip(walk, own[i]) < 0) {
            goto error;
        }
    }
    for (size_t i = 0; i < self->n_skip_addresses; i++) {
        if (mi_walk_skip(walk, self->skip_addresses[i]) < 0) {
            goto error;
        }
    }
    return 0;

error:
    mi_walk_free(walk);
    return -1;
}

static int
add_root(PyObject *object, void *walk)
{
    return mi_walk_add_root(walk, object);
}

/* Adds the roots and runs the walk: `roots`, and with a dict `modules`
   (only attribute_records() passes one, for incremental walks) the
   modules that no walk owns yet, imports in progress (`importing`)
   apart: those the scan finds new since the last walk (module_scan.h).
   0, or -1 with an exception set. */
static int
run_walk(mi_walk *walk, PyObject *roots, PyObject *modules,
         PyObject *importing, mi_module_scan *scan)
{
    if (modules != NULL
        && mi_module_scan_new(scan, modules, importing, add_root, walk) < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(roots); i++) {
        if (mi_walk_add_root(walk, PyTuple_GET_ITEM(roots, i)) < 0) {
            return -1;
        }
    }
    if (mi_walk_run(walk) < 0) {
        return -1;
    }
    mi_walk_release_traversal(walk);
    return 0;
}

/* --- Life cycle ---------------------------------------------------------- */

static PyObject *
attribution_tracker_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"skip_ids", "skip_types", "duplicate_types",
                             NULL};
    PyObject *skip_ids, *skip_types, *duplicate_types;
    attribution_tracker *self;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs,
                                     "O!O!O!:AttributionTracker", kwlist,
                                     &PyTuple_Type, &skip_ids,
                                     &PyTuple_Type, &skip_types,
                                     &PyTuple_Type, &duplicate_types)) {
        return NULL;
    }
    if (mi_walk_check_types(skip_types, duplicate_types) < 0) {
        return NULL;
    }
    self = (attribution_tracker *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->skip_ids = Py_NewRef(skip_ids);
    self->skip_types = Py_NewRef(skip_types);
    self->duplicate_types = Py_NewRef(duplicate_types);
    mi_type_ids_init(&self->type_ids);
    mi_record_batch_init(&self->batch);
    mi_module_scan_init(&self->module_scan);
    if (read_skip_ids(self) < 0) {
        goto error;
    }
    if (mi_owner_map_init(&self->owners, TRACKER_EXPECTED_OBJECTS) < 0) {
        PyErr_NoMemory();
        goto error;
    }
    self->hook = mi_free_hook_start(&self->owners);
    if (self->hook == NULL) {
        goto error;
    }
    return (PyObject *)self;

error:
    Py_DECREF(self);
    return NULL;
}

/* Stops the hook, then frees the map: in this order, so that no free
   reaches a freed map. */
static void
attribution_tracker_stop(attribution_tracker *self)
{
    if (self->hook != NULL) {
        (void)mi_free_hook_stop(self->hook);
        self->hook = NULL;
    }
    mi_owner_map_free(&self->owners);
    mi_type_ids_free(&self->type_ids);
    mi_record_batch_free(&self->batch);
    mi_module_scan_free(&self->module_scan);
}

/* 0 when the tracker can walk; -1 with an exception set otherwise. */
static int
attribution_tracker_check_usable(attribution_tracker *self)
{
    if (self->hook == NULL) {
        PyErr_SetString(PyExc_ValueError, "the AttributionTracker is closed");
        return -1;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the AttributionTracker is "
                        "already walking (called from a __sizeof__?)");
        return -1;
    }
    return 0;
}

/* --- Walks --------------------------------------------------------------- */

typedef struct {
    PyObject *roots;
    mi_walk_mode mode;
    uint32_t owner;                 /* incremental walks */
    unsigned long long objects_limit;   /* applied to incremental walks */
    PyObject *writer;               /* records: a RecordWriter, or None */
    PyObject *before;               /* records to pack first, or NULL */
    PyObject *modules;              /* a dict whose values are roots too */
    PyObject *importing;            /* a frozenset of its keys not to use */
} walk_call;

/* Sends the pending records to `writer`: 0, or -1 with an exception. */
static int
send_batch(attribution_tracker *self, PyObject *writer)
{
    int pushed = mi_record_writer_push_batch(
        writer, self->batch.buffer.data, self->batch.buffer.size,
        self->batch.records);
    mi_record_batch_clear(&self->batch);
    if (self->batch.buffer.alloc > TRACKER_KEEP_BATCH) {
        mi_record_batch_free(&self->batch);
    }
    return pushed < 0 ? -1 : 0;
}

/* Packs the records of the tuple `records` into the batch. */
static int
pack_python_records(attribution_tracker *self, PyObject *records)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(records); i++) {
        if (mi_record_pack(&self->batch.packer,
                           PyTuple_GET_ITEM(records, i)) < 0) {
            return -1;
        }
        self->batch.records++;
    }
    return 0;
}

/* The seen set of the accounting walk: owned objects are marked in the
   map instead, so it holds what no walk owns (a few percent). */
static size_t
expected_accounting(const attribution_tracker *self)
{
    return mi_owner_map_count(&self->owners) / 8 + 4096;
}

/* Walks as `call` asks, then builds the result dict (writer NULL) or
   packs the records into the writer (writer None: neither). Returns the
   dict, or (objects, walk_seconds, pack_seconds); NULL with an exception
   set. */
static PyObject *
tracker_walk(attribution_tracker *self, const walk_call *call)
{
    mi_walk walk;
    PyObject *result = NULL;
    int records = call->writer != NULL;
    int send = records && call->writer != Py_None;
    size_t expected = call->mode == MI_WALK_ACCOUNTING
        ? expected_accounting(self) : TRACKER_EXPECTED_GROWTH;

    if (prepare_walk(self, &walk, expected, call->roots,
                     send ? call->writer : NULL) < 0) {
        return NULL;
    }
    /* No collection may run between the walk and the end of the results:
       a finalizer could free an object the walk holds a pointer to. */
    int gc_was_enabled = PyGC_Disable();
    self->busy = 1;
    if (call->mode == MI_WALK_INCREMENTAL) {
        walk.objects_limit = call->objects_limit;
        mi_walk_set_incremental(&walk, &self->owners, call->owner);
        /* No records: only what it owns matters (the baseline). */
        walk.ownership_only = records && !send;
    }
    else {
        mi_walk_set_accounting(&walk, &self->owners);
    }
    double started = monotonic_seconds();
    if (run_walk(&walk, call->roots, call->modules, call->importing,
                 &self->module_scan) < 0) {
        goto cleanup;
    }
    double walked = monotonic_seconds();
    if (!records) {
        result = mi_result_build(&walk, NULL);
        goto cleanup;
    }
    double packed = walked;
    if (send) {
        mi_walk_records_options options = {
            .scope = call->mode == MI_WALK_ACCOUNTING ? MI_SCOPE_FINAL
                                                      : call->owner,
            .walk_seconds = walked - started,
            .objects_limit = call->objects_limit,
        };
        /* On failure, nothing of this call stays in the batch, and the
           types it numbered are forgotten with their TYPE records. */
        size_t size = self->batch.buffer.size;
        uint64_t pending = self->batch.records;
        size_t types = self->type_ids.length;
        if ((call->before != NULL
             && pack_python_records(self, call->before) < 0)
            || mi_walk_records_pack(&walk, &options, &self->type_ids,
                                    &self->batch) < 0) {
            self->batch.buffer.size = size;
            self->batch.records = pending;
            self->batch.failed = 0;
            (void)mi_type_ids_truncate(&self->type_ids, types);
            goto cleanup;
        }
        /* Sent at once: the writer's thread coalesces what comes in
           quick succession (sink.c writes at most every 10 ms), and a
           program killed later loses nothing it recorded. */
        if (send_batch(self, call->writer) < 0) {
            goto cleanup;
        }
        packed = monotonic_seconds();
    }
    result = Py_BuildValue("(Kdd)", (unsigned long long)walk.objects,
                           walked - started, packed - walked);

cleanup:
    self->busy = 0;
    mi_walk_free(&walk);
    if (gc_was_enabled) {
        PyGC_Enable();
    }
    return result;
}

/* objects_limit: an int >= 0 (0: no limit). */
static int
read_objects_limit(PyObject *value, unsigned long long *limit)
{
    *limit = PyLong_AsUnsignedLongLong(value);
    return *limit == (unsigned long long)-1 && PyErr_Occurred() ? -1 : 0;
}

static int
read_owner(PyObject *owner, uint32_t *value)
{
    unsigned long long number = PyLong_AsUnsignedLongLong(owner);
    if ((number == (unsigned long long)-1 && PyErr_Occurred())
        || number > UINT32_MAX) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "owner must be from 0 to %lu, "
                     "not %R", (unsigned long)UINT32_MAX, owner);
        return -1;
    }
    *value = (uint32_t)number;
    return 0;
}

static int
check_writer(PyObject *writer)
{
    if (writer != Py_None && !mi_record_writer_check(writer)) {
        PyErr_Format(PyExc_TypeError, "writer must be a RecordWriter or "
                     "None, not %s", Py_TYPE(writer)->tp_name);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(attribution_tracker_attribute_doc,
"attribute(owner, roots, objects_limit=0) -> dict\n\n"
"Walk from `roots` (a tuple) what no earlier walk owns, and make `owner`\n"
"(an int from 0 to 2**32 - 1) the owner of every object found. Returns\n"
"what inventory() returns, for those objects only. A walk cut short by\n"
"objects_limit leaves the rest behind owned objects, where no later\n"
"attribute() enters: account() finds it, unattributed.");

static PyObject *
attribution_tracker_attribute(PyObject *op, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"owner", "roots", "objects_limit", NULL};
    attribution_tracker *self = (attribution_tracker *)op;
    PyObject *owner, *roots, *objects_limit = NULL;
    walk_call call = {.mode = MI_WALK_INCREMENTAL};

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!|O!:attribute",
                                     kwlist, &PyLong_Type, &owner,
                                     &PyTuple_Type, &roots,
                                     &PyLong_Type, &objects_limit)) {
        return NULL;
    }
    if (attribution_tracker_check_usable(self) < 0
        || read_owner(owner, &call.owner) < 0
        || (objects_limit != NULL
            && read_objects_limit(objects_limit, &call.objects_limit) < 0)) {
        return NULL;
    }
    call.roots = roots;
    return tracker_walk(self, &call);
}

PyDoc_STRVAR(attribution_tracker_attribute_records_doc,
"attribute_records(owner, roots, writer, objects_limit=0, before=(),\n"
"                  modules=None, importing=None)\n"
"    -> tuple[int, float, float]\n\n"
"attribute() from `roots` and the values of the dict `modules` that the\n"
"last call did not see (new keys, new values under old keys; not those\n"
"whose key is in the frozenset `importing`), its findings packed\n"
"for `writer` (a RecordWriter) as the\n"
"INVENTORY of scope `owner` and its records (TYPE records first, for the\n"
"types not sent yet), after the records of the tuple `before`; or not\n"
"recorded at all when writer is None. The records are sent to the\n"
"writer before it returns.\n"
"Returns (objects, walk_seconds, pack_seconds).");

static PyObject *
attribution_tracker_attribute_records(PyObject *op, PyObject *args,
                                      PyObject *kwargs)
{
    static char *kwlist[] = {"owner", "roots", "writer", "objects_limit",
                             "before", "modules", "importing", NULL};
    attribution_tracker *self = (attribution_tracker *)op;
    PyObject *owner, *roots, *writer, *objects_limit = NULL;
    walk_call call = {.mode = MI_WALK_INCREMENTAL};

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!O|O!O!O!O!:"
                                     "attribute_records", kwlist,
                                     &PyLong_Type, &owner,
                                     &PyTuple_Type, &roots, &writer,
                                     &PyLong_Type, &objects_limit,
                                     &PyTuple_Type, &call.before,
                                     &PyDict_Type, &call.modules,
                                     &PyFrozenSet_Type, &call.importing)) {
        return NULL;
    }
    if (attribution_tracker_check_usable(self) < 0
        || check_writer(writer) < 0
        || read_owner(owner, &call.owner) < 0
        || (objects_limit != NULL
            && read_objects_limit(objects_limit, &call.objects_limit) < 0)) {
        return NULL;
    }
    call.roots = roots;
    call.writer = writer;
    return tracker_walk(self, &call);
}

PyDoc_STRVAR(attribution_tracker_account_doc,
"account(roots) -> dict\n\n"
"Walk everything reachable from `roots` (a tuple), as inventory() does,\n"
"and total it by owner. Returns what inventory() returns, plus 'owners':\n"
"{owner: (objects, bytes)} of what each owner still holds, and\n"
"'unattributed': the rows, as 'types', of the objects no owner holds\n"
"(types with instances only). The owners' totals and the unattributed\n"
"rows add up exactly to 'objects' and 'bytes'.");

static PyObject *
attribution_tracker_account(PyObject *op, PyObject *roots)
{
    attribution_tracker *self = (attribution_tracker *)op;
    walk_call call = {.mode = MI_WALK_ACCOUNTING};

    if (!PyTuple_Check(roots)) {
        PyErr_Format(PyExc_TypeError, "roots must be a tuple, not %s",
                     Py_TYPE(roots)->tp_name);
        return NULL;
    }
    if (attribution_tracker_check_usable(self) < 0) {
        return NULL;
    }
    call.roots = roots;
    return tracker_walk(self, &call);
}

PyDoc_STRVAR(attribution_tracker_account_records_doc,
"account_records(roots, writer, objects_limit=0)\n"
"    -> tuple[int, float, float]\n\n"
"account(), packed into `writer` (a RecordWriter): the final INVENTORY\n"
"(scope 0) and its records, a RETAINED per owner (owner 0 as\n"
"SCOPE_BASELINE), the RETAINED of SCOPE_UNATTRIBUTED and the INVENTORY\n"
"of that scope (its TYPE_STATS only); objects_limit is only reported.\n"
"Returns (objects, walk_seconds, pack_seconds).");

static PyObject *
attribution_tracker_account_records(PyObject *op, PyObject *args,
                                    PyObject *kwargs)
{
    static char *kwlist[] = {"roots", "writer", "objects_limit", NULL};
    attribution_tracker *self = (attribution_tracker *)op;
    PyObject *roots, *writer, *objects_limit = NULL;
    walk_call call = {.mode = MI_WALK_ACCOUNTING};

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O|O!:account_records",
                                     kwlist, &PyTuple_Type, &roots, &writer,
                                     &PyLong_Type, &objects_limit)) {
        return NULL;
    }
    if (attribution_tracker_check_usable(self) < 0
        || check_writer(writer) < 0
        || (objects_limit != NULL
            && read_objects_limit(objects_limit, &call.objects_limit) < 0)) {
        return NULL;
    }
    call.roots = roots;
    call.writer = writer;
    return tracker_walk(self, &call);
}

/* --- The rest of the type ------------------------------------------------ */

PyDoc_STRVAR(attribution_tracker_owner_of_doc,
"owner_of(obj, /) -> int | None\n\n"
"The owner of `obj`, or None when no walk owns it (for tests).");

static PyObject *
attribution_tracker_owner_of(PyObject *op, PyObject *object)
{
    attribution_tracker *self = (attribution_tracker *)op;
    uint32_t owner;

    if (self->hook == NULL) {
        PyErr_SetString(PyExc_ValueError, "the AttributionTracker is closed");
        return NULL;
    }
    if (!mi_owner_map_lookup(&self->owners, mi_object_block(object),
                             &owner)) {
        Py_RETURN_NONE;
    }
    return PyLong_FromUnsignedLong(owner);
}

PyDoc_STRVAR(attribution_tracker_close_doc,
"close() -> None\n\n"
"Remove the allocator hook and forget the owners; closing again does\n"
"nothing. If another allocator was installed over the hook since, the\n"
"hook stays under it, passing every call through.");

static PyObject *
attribution_tracker_close(PyObject *op, PyObject *unused)
{
    (void)unused;
    attribution_tracker *self = (attribution_tracker *)op;
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "cannot close the "
                        "AttributionTracker while it walks");
        return NULL;
    }
    attribution_tracker_stop(self);
    Py_RETURN_NONE;
}

static PyObject *
attribution_tracker_enter(PyObject *op, PyObject *unused)
{
    (void)unused;
    return Py_NewRef(op);
}

static PyObject *
attribution_tracker_exit(PyObject *op, PyObject *args)
{
    (void)args;
    PyObject *none = attribution_tracker_close(op, NULL);
    if (none == NULL) {
        return NULL;
    }
    Py_DECREF(none);
    Py_RETURN_FALSE;
}

static PyObject *
attribution_tracker_get_owned(PyObject *op, void *closure)
{
    (void)closure;
    attribution_tracker *self = (attribution_tracker *)op;
    return PyLong_FromSize_t(mi_owner_map_count(&self->owners));
}

static PyObject *
attribution_tracker_get_freed(PyObject *op, void *closure)
{
    (void)closure;
    attribution_tracker *self = (attribution_tracker *)op;
    return PyLong_FromUnsignedLongLong(
        self->hook == NULL ? 0 : mi_free_hook_freed(self->hook));
}

static PyObject *
attribution_tracker_get_recycled(PyObject *op, void *closure)
{
    (void)closure;
    attribution_tracker *self = (attribution_tracker *)op;
    return PyLong_FromUnsignedLongLong(
        self->hook == NULL ? 0 : mi_free_hook_recycled(self->hook));
}

static PyObject *
attribution_tracker_get_map_bytes(PyObject *op, void *closure)
{
    (void)closure;
    attribution_tracker *self = (attribution_tracker *)op;
    return PyLong_FromSize_t(mi_owner_map_memory(&self->owners));
}

static PyObject *
attribution_tracker_get_closed(PyObject *op, void *closure)
{
    (void)closure;
    return PyBool_FromLong(((attribution_tracker *)op)->hook == NULL);
}

static int
attribution_tracker_traverse(PyObject *op, visitproc visit, void *arg)
{
    attribution_tracker *self = (attribution_tracker *)op;
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->skip_ids);
    Py_VISIT(self->skip_types);
    Py_VISIT(self->duplicate_types);
    return 0;
}

/* A tracker can be in a cycle (through its skip types' modules): once
   cleared, it is closed, since its tuples are gone. */
static int
attribution_tracker_clear(PyObject *op)
{
    attribution_tracker *self = (attribution_tracker *)op;
    attribution_tracker_stop(self);
    PyMem_Free(self->skip_addresses);
    self->skip_addresses = NULL;
    self->n_skip_addresses = 0;
    Py_CLEAR(self->skip_ids);
    Py_CLEAR(self->skip_types);
    Py_CLEAR(self->duplicate_types);
    return 0;
}

static void
attribution_tracker_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    (void)attribution_tracker_clear(op);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyObject *
attribution_tracker_repr(PyObject *op)
{
    attribution_tracker *self = (attribution_tracker *)op;
    return PyUnicode_FromFormat("<AttributionTracker%s owned=%zu>",
                                self->hook == NULL ? " closed" : "",
                                mi_owner_map_count(&self->owners));
}

static PyMethodDef attribution_tracker_methods[] = {
    {"attribute", _PyCFunction_CAST(attribution_tracker_attribute),
     METH_VARARGS | METH_KEYWORDS, attribution_tracker_attribute_doc},
    {"account", attribution_tracker_account, METH_O,
     attribution_tracker_account_doc},
    {"attribute_records",
     _PyCFunction_CAST(attribution_tracker_attribute_records),
     METH_VARARGS | METH_KEYWORDS, attribution_tracker_attribute_records_doc},
    {"account_records",
     _PyCFunction_CAST(attribution_tracker_account_records),
     METH_VARARGS | METH_KEYWORDS, attribution_tracker_account_records_doc},
    {"owner_of", attribution_tracker_owner_of, METH_O,
     attribution_tracker_owner_of_doc},
    {"close", attribution_tracker_close, METH_NOARGS,
     attribution_tracker_close_doc},
    {"__enter__", attribution_tracker_enter, METH_NOARGS, NULL},
    {"__exit__", attribution_tracker_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef attribution_tracker_getset[] = {
    {"owned", attribution_tracker_get_owned, NULL,
     "The number of addresses with an owner.", NULL},
    {"freed", attribution_tracker_get_freed, NULL,
     "Owned objects whose memory the allocator freed since the start "
     "(their owners forgotten).", NULL},
    {"recycled", attribution_tracker_get_recycled, NULL,
     "Owned objects whose memory a new object took without the allocator "
     "freeing it (free lists; their owners forgotten); 3.13 only, always 0 "
     "on 3.12.", NULL},
    {"map_bytes", attribution_tracker_get_map_bytes, NULL,
     "The memory of the owner map.", NULL},
    {"closed", attribution_tracker_get_closed, NULL,
     "Whether close() was called.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot attribution_tracker_slots[] = {
    {Py_tp_doc, (void *)attribution_tracker_doc},
    {Py_tp_new, attribution_tracker_new},
    {Py_tp_dealloc, attribution_tracker_dealloc},
    {Py_tp_traverse, attribution_tracker_traverse},
    {Py_tp_clear, attribution_tracker_clear},
    {Py_tp_repr, attribution_tracker_repr},
    {Py_tp_methods, attribution_tracker_methods},
    {Py_tp_getset, attribution_tracker_getset},
    {0, NULL},
};

static PyType_Spec attribution_tracker_spec = {
    .name = "memory_inventory._native.AttributionTracker",
    .basicsize = sizeof(attribution_tracker),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = attribution_tracker_slots,
};


int
mi_attribution_tracker_add_type(PyObject *module)
{
    return mi_add_type(module, &attribution_tracker_spec);
}
