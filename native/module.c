/* memory_inventory._native: the Python-facing functions, nothing else. */
#include "inventory/cpython_internals.h"
#include "module_types.h"
#include "inventory/gc_tracked.h"
#include "inventory/instance_dict.h"
#include "inventory/object_size.h"
#include "inventory/result.h"
#include "inventory/value_equality.h"
#include "inventory/walk.h"
#include "records.h"
#include "stream/record_packer.h"
#include "stream/record_writer.h"
#include "stream/sink.h"
#include "trace/attribution_tracker.h"
#include "trace/finder.h"

#include <math.h>

PyDoc_STRVAR(inventory_doc,
"inventory(roots, skip_ids, skip_types, objects_limit, duplicate_types,\n"
"          shaping=None, /) -> dict\n\n"
"Walk every object reachable from `roots`, never entering the objects whose\n"
"id is in `skip_ids` nor the instances of `skip_types`, stopping after\n"
"`objects_limit` objects (0: no limit), and group equal instances of the\n"
"exact types in `duplicate_types`. With `shaping`, a tuple (TypeStats,\n"
"DuplicateValue, type.__dict__['__module__']), the rows come as those\n"
"named tuples, sorted as the reports want them (native/inventory/result.h).");

/* What the module remembers between calls. */
typedef struct {
    /* Objects found by the last inventory: the next one sizes its seen
       set for them, sparing the rehashes (and page faults) of growth. */
    uint64_t last_objects;
} native_state;

/* The ids not to enter (id() of the tool's own objects). */
static int
configure_skipped_ids(mi_walk *walk, PyObject *skip_ids)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(skip_ids); i++) {
        void *address = PyLong_AsVoidPtr(PyTuple_GET_ITEM(skip_ids, i));
        if (address == NULL && PyErr_Occurred()) {
            return -1;
        }
        if (address != NULL && mi_walk_skip(walk, address) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The argument tuples of a walk are the caller's, not the heap's: skipped
   like the ids they hold. */
static int
configure_walk(mi_walk *walk, PyObject *skip_ids, PyObject *skip_types,
               PyObject *duplicate_types)
{
    if (mi_walk_check_types(skip_types, duplicate_types) < 0) {
        return -1;
    }
    mi_walk_set_types(walk, skip_types, duplicate_types);
    if (configure_skipped_ids(walk, skip_ids) < 0) {
        return -1;
    }
    if (mi_walk_skip(walk, skip_ids) < 0 || mi_walk_skip(walk, skip_types) < 0
        || mi_walk_skip(walk, duplicate_types) < 0) {
        return -1;
    }
    return 0;
}

/* One plain walk, as inventory() asks for it (the AttributionTracker's
   walks are in trace/attribution_tracker.c). */
typedef struct {
    PyObject *roots;            /* tuples, borrowed */
    PyObject *skip_ids;
    PyObject *skip_types;
    PyObject *duplicate_types;
    unsigned long long objects_limit;
    size_t expected_objects;    /* sizes the seen set */
    const mi_result_shaping *shaping;   /* NULL: plain rows */
} walk_request;

/* Runs the walk of `request`; returns its result and sets *objects to the
   number of objects it found, or returns NULL with an exception set. */
static PyObject *
run_walk(const walk_request *request, uint64_t *objects)
{
    PyObject *result = NULL;
    mi_walk walk;
    int gc_was_enabled;

    if (mi_walk_init(&walk, request->expected_objects) < 0) {
        return NULL;
    }
    /* No collection may run between the walk and the end of the results:
       a finalizer could free an object the walk holds a pointer to. */
    gc_was_enabled = PyGC_Disable();
    walk.objects_limit = request->objects_limit;
    if (configure_walk(&walk, request->skip_ids, request->skip_types,
                       request->duplicate_types) < 0
        || mi_walk_skip(&walk, request->roots) < 0) {
        goto cleanup;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(request->roots); i++) {
        if (mi_walk_add_root(&walk, PyTuple_GET_ITEM(request->roots, i)) < 0) {
            goto cleanup;
        }
    }
    if (mi_walk_run(&walk) < 0) {
        goto cleanup;
    }
    mi_walk_release_traversal(&walk);
    *objects = walk.objects;
    result = mi_result_build(&walk, request->shaping);

cleanup:
    mi_walk_free(&walk);
    if (gc_was_enabled) {
        PyGC_Enable();
    }
    return result;
}

/* sys.getallocatedblocks() (a C function: no Python code runs), or 0. Its
   C counterpart is not exported. */
static Py_ssize_t
allocated_blocks(void)
{
    PyObject *function = PySys_GetObject("getallocatedblocks");
    if (function == NULL) {
        return 0;
    }
    PyObject *result = PyObject_CallNoArgs(function);
    if (result == NULL) {
        PyErr_Clear();      /* replaced by something that raises */
        return 0;
    }
    Py_ssize_t blocks = PyLong_Check(result) ? PyLong_AsSsize_t(result) : 0;
    Py_DECREF(result);
    if (blocks < 0) {
        PyErr_Clear();
        return 0;
    }
    return blocks;
}

/* The seen set of a full walk, sized for what the last one found: this
   spares the rehashes (and page faults) of growth. */
static size_t
expected_full_walk(const native_state *state)
{
    if (state->last_objects > (1 << 16)) {
        return (size_t)state->last_objects;
    }
    /* The first time: most blocks of the object allocator hold objects,
       and about half of those are reachable from the modules (measured on
       the whole-stdlib heap: 267 k blocks, 249 k objects found; the set
       sizes itself to twice the expected count, rounded up). */
    Py_ssize_t blocks = allocated_blocks();
    return blocks / 2 > (1 << 16) ? (size_t)(blocks / 2) : 1 << 16;
}

/* objects_limit: an int >= 0 (0: no limit). */
static int
read_objects_limit(PyObject *value, unsigned long long *limit)
{
    *limit = PyLong_AsUnsignedLongLong(value);
    return *limit == (unsigned long long)-1 && PyErr_Occurred() ? -1 : 0;
}

/* A named tuple class: a tuple subclass that adds no field, so that
   its instances can be filled as tuples. */
static int
is_row_class(PyObject *cls)
{
    return PyType_Check(cls)
        && PyType_IsSubtype((PyTypeObject *)cls, &PyTuple_Type)
        && ((PyTypeObject *)cls)->tp_basicsize == PyTuple_Type.tp_basicsize
        && ((PyTypeObject *)cls)->tp_itemsize == PyTuple_Type.tp_itemsize;
}

/* shaping: None, or (TypeStats, DuplicateValue, type_module). */
static int
read_shaping(PyObject *value, mi_result_shaping *shaping, int *shaped)
{
    *shaped = 0;
    if (value == Py_None) {
        return 0;
    }
    if (!PyTuple_Check(value) || PyTuple_GET_SIZE(value) != 3
        || !is_row_class(PyTuple_GET_ITEM(value, 0))
        || !is_row_class(PyTuple_GET_ITEM(value, 1))
        || Py_TYPE(PyTuple_GET_ITEM(value, 2))->tp_descr_get == NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "shaping must be None or a tuple of two named tuple "
                        "classes and a descriptor");
        return -1;
    }
    shaping->type_row = (PyTypeObject *)PyTuple_GET_ITEM(value, 0);
    shaping->duplicate_row = (PyTypeObject *)PyTuple_GET_ITEM(value, 1);
    shaping->type_module = PyTuple_GET_ITEM(value, 2);
    *shaped = 1;
    return 0;
}

static PyObject *
inventory(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    native_state *state = PyModule_GetState(module);
    walk_request request = {0};
    mi_result_shaping shaping;
    int shaped = 0;
    uint64_t objects = 0;

    if (nargs != 5 && nargs != 6) {
        PyErr_SetString(PyExc_TypeError,
                        "inventory() takes 5 or 6 arguments");
        return NULL;
    }
    if (nargs == 6 && read_shaping(args[5], &shaping, &shaped) < 0) {
        return NULL;
    }
    request.shaping = shaped ? &shaping : NULL;
    request.roots = args[0];
    request.skip_ids = args[1];
    request.skip_types = args[2];
    request.duplicate_types = args[4];
    if (!PyTuple_Check(request.roots) || !PyTuple_Check(request.skip_ids)
        || !PyTuple_Check(request.skip_types)
        || !PyTuple_Check(request.duplicate_types)) {
        PyErr_SetString(PyExc_TypeError, "roots, skip_ids, skip_types and "
                        "duplicate_types must be tuples");
        return NULL;
    }
    if (read_objects_limit(args[3], &request.objects_limit) < 0) {
        return NULL;
    }
    request.expected_objects = expected_full_walk(state);
    PyObject *result = run_walk(&request, &objects);
    if (result != NULL) {
        state->last_objects = objects;
    }
    return result;
}

PyDoc_STRVAR(object_allocator_doc,
"object_allocator() -> tuple[int, int, int, int, int]\n\n"
"The object allocator (PYMEM_DOMAIN_OBJ) in place: the addresses of its\n"
"context and of its malloc, calloc, realloc and free; for tests of the\n"
"free hook.");

static PyObject *
object_allocator(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    PyMemAllocatorEx current;
    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &current);
    return Py_BuildValue("(KKKKK)",
                         (unsigned long long)(uintptr_t)current.ctx,
                         (unsigned long long)(uintptr_t)current.malloc,
                         (unsigned long long)(uintptr_t)current.calloc,
                         (unsigned long long)(uintptr_t)current.realloc,
                         (unsigned long long)(uintptr_t)current.free);
}

PyDoc_STRVAR(object_size_doc,
"object_size(obj, /) -> int | None\n\n"
"sys.getsizeof(obj) as the walk computes it, or None when it would need\n"
"to call a __sizeof__ written in Python.");

static PyObject *
object_size(PyObject *module, PyObject *object)
{
    (void)module;
    Py_ssize_t size;
    if (mi_object_size(object, &size) != MI_SIZE_KNOWN) {
        Py_RETURN_NONE;
    }
    return PyLong_FromSsize_t(size);
}

PyDoc_STRVAR(instance_dict_size_doc,
"instance_dict_size(obj, /) -> int\n\n"
"sys.getsizeof(obj.__dict__) if obj has a non-empty instance dict, read\n"
"without creating it; 0 otherwise.");

static PyObject *
instance_dict_size(PyObject *module, PyObject *object)
{
    (void)module;
    mi_instance_dict info;
    if (!mi_instance_dict_read(object, &info)) {
        return PyLong_FromLong(0);
    }
    return PyLong_FromSsize_t(info.dict_size);
}

PyDoc_STRVAR(has_instance_dict_doc,
"has_instance_dict(obj, /) -> bool\n\n"
"Whether a dict object already holds obj's attributes (reading\n"
"obj.__dict__ would create one where they live in a values array).");

static PyObject *
has_instance_dict(PyObject *module, PyObject *object)
{
    (void)module;
    return PyBool_FromLong(mi_instance_dict_exists(object));
}

PyDoc_STRVAR(gc_tracked_doc,
"gc_tracked() -> int\n\n"
"len(gc.get_objects()), without making the list: the number of objects\n"
"the garbage collector tracks.");

static PyObject *
gc_tracked(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    (void)module;
    return PyLong_FromSsize_t(mi_gc_tracked());
}

PyDoc_STRVAR(values_equal_doc,
"values_equal(a, b, /) -> bool\n\n"
"Whether the inventory counts a and b as duplicates of one value.");

static PyObject *
values_equal(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "values_equal() takes 2 arguments");
        return NULL;
    }
    return PyBool_FromLong(mi_value_equal(args[0], args[1]));
}

/* RecordWriter: records packed here, written by a sink's thread. */

PyDoc_STRVAR(record_writer_doc,
"RecordWriter(*, spawn=None, socket=None, path=None,\n"
"             buffer_bytes=64 << 20)\n\n"
"Writes records (native/records.h) to a collector process that it spawns\n"
"(spawn: the program and its arguments; its stdin is the recording), to a\n"
"Unix socket (socket: its path) or to a file (path): exactly one of them.\n"
"A background thread writes; write() never waits for it. At most\n"
"buffer_bytes bytes wait to be written: a record that does not fit is\n"
"dropped (write() returns False) and counted in `dropped`. If the\n"
"collector goes away, writing stops, and the next write() or close()\n"
"warns once (RuntimeWarning).");

/* How long the finalizer of a writer left open waits for its close. */
#define RECORD_WRITER_FINALIZE_TIMEOUT 5.0
/* A packing buffer bigger than this is freed after its record. */
#define RECORD_WRITER_KEEP_BUFFER ((size_t)1 << 20)

typedef enum {
    WRITER_OPEN,
    WRITER_CLOSING,     /* close() runs, without the GIL */
    WRITER_CLOSED,
} writer_state;

typedef struct {
    PyObject_HEAD
    mi_sink *sink;              /* NULL unless WRITER_OPEN */
    mi_sink_kind kind;
    writer_state state;
    int warned;                 /* the RuntimeWarning was given */
    int timed_out;              /* close() ran out of time */
    int pid;                    /* the spawned collector, or 0 */
    mi_sink_stats final;        /* the counts once closing */
    msgpack_sbuffer buffer;     /* write() packs its record here */
    msgpack_packer packer;
} record_writer;

static void
record_writer_stats(record_writer *self, mi_sink_stats *stats)
{
    if (self->sink != NULL) {
        mi_sink_get_stats(self->sink, stats);
    }
    else {
        *stats = self->final;
    }
}

/* The one RuntimeWarning of a writer, when records were lost to a broken
   transport, or when close() ran out of time before all was written. */
static int
record_writer_warn(record_writer *self, const mi_sink_stats *stats)
{
    char reason[128];
    char message[320];

    int cut_short = self->timed_out && !stats->flushed;
    if (self->warned || !(stats->broken || cut_short)) {
        return 0;
    }
    self->warned = 1;
    unsigned long long lost = stats->dropped;
    const char *records = lost == 1 ? "record was" : "records were";
    if (stats->broken) {
        mi_sink_describe_break(stats, reason, sizeof(reason));
        PyOS_snprintf(message, sizeof(message),
                      self->kind == MI_SINK_FILE
                          ? "memory_inventory: the recording cannot be "
                            "written (%s); %llu %s not written"
                          : "memory_inventory: the collector is gone (%s); "
                            "%llu %s not sent",
                      reason, lost, records);
    }
    else {
        PyOS_snprintf(message, sizeof(message),
                      "memory_inventory: close() timed out before the "
                      "collector took the whole recording; END and %llu %s "
                      "were not sent", lost, lost == 1 ? "record"
                                                       : "records");
    }
    return PyErr_WarnEx(PyExc_RuntimeWarning, message, 1);
}

/* Appends END, then closes the sink, without the GIL. */
static int
record_writer_finish(record_writer *self, double timeout)
{
    mi_sink *sink = self->sink;
    PyObject *failure = NULL;
    mi_sink_stats stats;
    int timed_out;

    mi_sink_get_stats(sink, &self->final);
    msgpack_sbuffer_clear(&self->buffer);
    if (mi_record_pack_end(&self->packer, self->final.records,
                           self->final.dropped) < 0) {
        /* Closed all the same, ending without END: incomplete. */
        failure = PyErr_GetRaisedException();
        msgpack_sbuffer_clear(&self->buffer);
    }
    /* From here, other threads see a closing writer and its counts so
       far; the sink is freed before the GIL comes back. */
    self->sink = NULL;
    self->state = WRITER_CLOSING;
    Py_BEGIN_ALLOW_THREADS
    timed_out = mi_sink_close(sink, self->buffer.data, self->buffer.size,
                              timeout, &stats);
    Py_END_ALLOW_THREADS
    self->final = stats;
    self->state = WRITER_CLOSED;
    self->timed_out = timed_out;
    msgpack_sbuffer_destroy(&self->buffer);
    msgpack_sbuffer_init(&self->buffer);
    if (failure != NULL) {
        PyErr_SetRaisedException(failure);
        return -1;
    }
    return 0;
}

static PyObject *
raise_open_error(const mi_sink_error *error, PyObject *target)
{
    PyObject *exc;

    if (error->sys_errno == 0) {
        return PyErr_Format(PyExc_OSError, "%s: %R", error->message, target);
    }
    exc = PyObject_CallFunction(PyExc_OSError, "isO", error->sys_errno,
                                error->message, target);
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* spawn as argv: a tuple of str (or os.PathLike), encoded as os.fsencode()
   does. `encoded` receives the bytes objects, which own the strings of
   argv; argv must have room for n + 1 pointers. A tuple, because
   __fspath__ could change a list under our feet. */
static int
spawn_argv(PyObject *spawn, PyObject *encoded, const char **argv)
{
    Py_ssize_t n = PyTuple_GET_SIZE(spawn);

    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *bytes = NULL;
        if (!PyUnicode_FSConverter(PyTuple_GET_ITEM(spawn, i), &bytes)) {
            return -1;
        }
        int appended = PyList_Append(encoded, bytes);
        Py_DECREF(bytes);
        if (appended < 0) {
            return -1;
        }
        argv[i] = PyBytes_AS_STRING(bytes);
    }
    argv[n] = NULL;
    return 0;
}

static PyObject *
record_writer_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"spawn", "socket", "path", "buffer_bytes",
                             NULL};
    PyObject *spawn = Py_None, *socket = Py_None, *path = Py_None;
    Py_ssize_t buffer_bytes = (Py_ssize_t)MI_SINK_DEFAULT_CAPACITY;
    PyObject *encoded = NULL, *target = NULL, *spawned = NULL;
    const char **argv = NULL;
    record_writer *self = NULL;
    PyObject *result = NULL;
    mi_sink_options options = {0};
    mi_sink_error error;
    mi_sink *sink = NULL;
    int status;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|$OOOn:RecordWriter",
                                     kwlist, &spawn, &socket, &path,
                                     &buffer_bytes)) {
        return NULL;
    }
    if ((spawn != Py_None) + (socket != Py_None) + (path != Py_None) != 1) {
        PyErr_SetString(PyExc_TypeError, "RecordWriter() takes exactly one "
                        "of spawn, socket and path");
        return NULL;
    }
    if (buffer_bytes <= 0) {
        PyErr_SetString(PyExc_ValueError, "buffer_bytes must be positive");
        return NULL;
    }
    options.capacity = (size_t)buffer_bytes;
    encoded = PyList_New(0);
    if (encoded == NULL) {
        goto cleanup;
    }
    if (spawn != Py_None) {
        if (!PyList_CheckExact(spawn) && !PyTuple_CheckExact(spawn)) {
            PyErr_Format(PyExc_TypeError, "spawn must be a list of str, "
                         "not %s", Py_TYPE(spawn)->tp_name);
            goto cleanup;
        }
        spawned = PySequence_Tuple(spawn);
        if (spawned == NULL) {
            goto cleanup;
        }
        Py_ssize_t n = PyTuple_GET_SIZE(spawned);
        if (n == 0) {
            PyErr_SetString(PyExc_ValueError, "spawn must name a program");
            goto cleanup;
        }
        argv = PyMem_Calloc((size_t)n + 1, sizeof(char *));
        if (argv == NULL) {
            PyErr_NoMemory();
            goto cleanup;
        }
        if (spawn_argv(spawned, encoded, argv) < 0) {
            goto cleanup;
        }
        options.kind = MI_SINK_SPAWN;
        options.argv = argv;
    }
    else {
        PyObject *bytes = NULL;
        if (!PyUnicode_FSConverter(socket != Py_None ? socket : path,
                                   &bytes)) {
            goto cleanup;
        }
        status = PyList_Append(encoded, bytes);
        Py_DECREF(bytes);
        if (status < 0) {
            goto cleanup;
        }
        options.kind = socket != Py_None ? MI_SINK_SOCKET : MI_SINK_FILE;
        options.path = PyBytes_AS_STRING(bytes);
    }

    self = (record_writer *)type->tp_alloc(type, 0);
    if (self == NULL) {
        goto cleanup;
    }
    self->kind = options.kind;
    self->state = WRITER_CLOSED;    /* until the sink is open */
    msgpack_sbuffer_init(&self->buffer);
    msgpack_packer_init(&self->packer, &self->buffer, msgpack_sbuffer_write);

    Py_BEGIN_ALLOW_THREADS
    status = mi_sink_open(&sink, &options, &error);
    Py_END_ALLOW_THREADS
    if (status < 0) {
        /* The name as given, decoded back from what was tried. */
        target = PyUnicode_DecodeFSDefault(options.kind == MI_SINK_SPAWN
                                               ? options.argv[0]
                                               : options.path);
        if (target != NULL) {
            raise_open_error(&error, target);
        }
        goto cleanup;
    }
    self->sink = sink;
    self->state = WRITER_OPEN;
    mi_sink_get_stats(sink, &self->final);
    self->pid = self->final.pid;
    result = (PyObject *)self;
    self = NULL;

cleanup:
    Py_XDECREF(self);
    Py_XDECREF(target);
    Py_XDECREF(spawned);
    Py_XDECREF(encoded);
    PyMem_Free(argv);
    return result;
}

PyDoc_STRVAR(record_writer_write_doc,
"write(record, /) -> bool\n\n"
"Queue one record: a tuple or list whose element 0 is its kind, holding\n"
"only None, bool, int (64 bits at most), float, str, bytes, list, tuple\n"
"and dict, of exactly these types (TypeError or ValueError otherwise,\n"
"and nothing is written). False when the record was dropped: the buffer\n"
"is full, or the collector is gone.");

static PyObject *
record_writer_write(PyObject *op, PyObject *record)
{
    record_writer *self = (record_writer *)op;
    PyObject *result = NULL;
    mi_sink_push_result pushed;
    mi_sink_stats stats;
    long kind;

    if (self->state != WRITER_OPEN) {
        PyErr_SetString(PyExc_ValueError, "write to a closed RecordWriter");
        return NULL;
    }
    kind = mi_record_kind(record);
    if (kind < 0) {
        return NULL;
    }
    if (kind == MI_RECORD_END) {
        PyErr_SetString(PyExc_ValueError, "close() writes the END record");
        return NULL;
    }
    msgpack_sbuffer_clear(&self->buffer);
    if (mi_record_pack(&self->packer, record) < 0) {
        goto cleanup;       /* nothing queued, nothing counted */
    }
    pushed = mi_sink_push(self->sink, self->buffer.data, self->buffer.size);
    if (pushed == MI_SINK_BROKEN) {
        mi_sink_get_stats(self->sink, &stats);
        if (record_writer_warn(self, &stats) < 0) {
            goto cleanup;
        }
    }
    result = PyBool_FromLong(pushed == MI_SINK_QUEUED);

cleanup:
    if (self->buffer.alloc > RECORD_WRITER_KEEP_BUFFER) {
        msgpack_sbuffer_destroy(&self->buffer);
        msgpack_sbuffer_init(&self->buffer);
    }
    return result;
}

PyDoc_STRVAR(record_writer_close_doc,
"close(timeout=30.0) -> int | None\n\n"
"Append the END record, write what is queued, close the pipe and, for a\n"
"spawned collector, wait for it to exit; all in `timeout` seconds at most\n"
"(what is still queued then is dropped, with a RuntimeWarning). Return the\n"
"collector's exit status (minus the signal number if a signal killed it),\n"
"or None: no process was spawned, or it still runs. Releases the GIL\n"
"while it waits. Closing again returns the same.");

static PyObject *
record_writer_close_impl(record_writer *self, double timeout)
{
    if (isnan(timeout) || timeout < 0) {
        PyErr_SetString(PyExc_ValueError, "timeout must be a number >= 0");
        return NULL;
    }
    if (self->state == WRITER_CLOSING) {
        PyErr_SetString(PyExc_RuntimeError, "close() is running in another "
                        "thread");
        return NULL;
    }
    if (self->state == WRITER_OPEN) {
        if (record_writer_finish(self, isinf(timeout) ? -1.0 : timeout) < 0) {
            return NULL;
        }
        if (record_writer_warn(self, &self->final) < 0) {
            return NULL;
        }
    }
    if (self->kind != MI_SINK_SPAWN || !self->final.exited) {
        Py_RETURN_NONE;
    }
    if (self->final.term_signal != 0) {
        return PyLong_FromLong(-(long)self->final.term_signal);
    }
    return PyLong_FromLongLong((long long)self->final.exit_status);
}

static PyObject *
record_writer_close(PyObject *op, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"timeout", NULL};
    double timeout = 30.0;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|d:close", kwlist,
                                     &timeout)) {
        return NULL;
    }
    return record_writer_close_impl((record_writer *)op, timeout);
}

static PyObject *
record_writer_enter(PyObject *op, PyObject *unused)
{
    (void)unused;
    return Py_NewRef(op);
}

static PyObject *
record_writer_exit(PyObject *op, PyObject *args)
{
    (void)args;
    PyObject *status = record_writer_close_impl((record_writer *)op, 30.0);
    if (status == NULL) {
        return NULL;
    }
    Py_DECREF(status);
    Py_RETURN_FALSE;
}

static PyObject *
record_writer_get_records(PyObject *op, void *closure)
{
    (void)closure;
    mi_sink_stats stats;
    record_writer_stats((record_writer *)op, &stats);
    return PyLong_FromUnsignedLongLong(stats.records);
}

static PyObject *
record_writer_get_dropped(PyObject *op, void *closure)
{
    (void)closure;
    mi_sink_stats stats;
    record_writer_stats((record_writer *)op, &stats);
    return PyLong_FromUnsignedLongLong(stats.dropped);
}

static PyObject *
record_writer_get_broken(PyObject *op, void *closure)
{
    (void)closure;
    mi_sink_stats stats;
    record_writer_stats((record_writer *)op, &stats);
    return PyBool_FromLong(stats.broken);
}

static PyObject *
record_writer_get_pid(PyObject *op, void *closure)
{
    (void)closure;
    record_writer *self = (record_writer *)op;
    if (self->pid == 0) {
        Py_RETURN_NONE;
    }
    return PyLong_FromLong(self->pid);
}

static PyObject *
record_writer_get_closed(PyObject *op, void *closure)
{
    (void)closure;
    return PyBool_FromLong(((record_writer *)op)->state != WRITER_OPEN);
}

/* A writer dropped without close(): warned about, then closed. */
static void
record_writer_finalize(PyObject *op)
{
    record_writer *self = (record_writer *)op;
    PyObject *exc;

    if (self->state != WRITER_OPEN) {
        return;
    }
    exc = PyErr_GetRaisedException();
    if (PyErr_ResourceWarning(op, 1, "unclosed RecordWriter %R", op) < 0) {
        PyErr_WriteUnraisable(op);
    }
    if (self->state != WRITER_OPEN) {
        /* The warning ran Python code, which closed the writer. */
        PyErr_SetRaisedException(exc);
        return;
    }
    if (record_writer_finish(self, RECORD_WRITER_FINALIZE_TIMEOUT) < 0
        || record_writer_warn(self, &self->final) < 0) {
        PyErr_WriteUnraisable(op);
    }
    PyErr_SetRaisedException(exc);
}

static int
record_writer_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op));
    return 0;
}

static void
record_writer_dealloc(PyObject *op)
{
    record_writer *self = (record_writer *)op;
    PyTypeObject *type = Py_TYPE(op);

    if (PyObject_CallFinalizerFromDealloc(op) < 0) {
        return;     /* resurrected */
    }
    PyObject_GC_UnTrack(op);
    if (self->sink != NULL) {
        /* Only if the finalizer failed before closing: close, quickly. */
        mi_sink_stats stats;
        (void)mi_sink_close(self->sink, NULL, 0, 0.0, &stats);
        self->sink = NULL;
    }
    msgpack_sbuffer_destroy(&self->buffer);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyObject *
record_writer_repr(PyObject *op)
{
    record_writer *self = (record_writer *)op;
    static const char *kinds[] = {"spawn", "socket", "path"};
    mi_sink_stats stats;

    record_writer_stats(self, &stats);
    return PyUnicode_FromFormat("<RecordWriter %s%s records=%llu "
                                "dropped=%llu%s>", kinds[self->kind],
                                self->state == WRITER_OPEN ? "" : " closed",
                                (unsigned long long)stats.records,
                                (unsigned long long)stats.dropped,
                                stats.broken ? " broken" : "");
}

static PyMethodDef record_writer_methods[] = {
    {"write", record_writer_write, METH_O, record_writer_write_doc},
    {"close", _PyCFunction_CAST(record_writer_close),
     METH_VARARGS | METH_KEYWORDS, record_writer_close_doc},
    {"__enter__", record_writer_enter, METH_NOARGS, NULL},
    {"__exit__", record_writer_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef record_writer_getset[] = {
    {"records", record_writer_get_records, NULL,
     "Records written (queued and not lost since), END excluded.", NULL},
    {"dropped", record_writer_get_dropped, NULL,
     "Records not sent: no room in the buffer, or the collector gone.",
     NULL},
    {"broken", record_writer_get_broken, NULL,
     "Whether the collector (or the file) stopped taking the recording.",
     NULL},
    {"pid", record_writer_get_pid, NULL,
     "The spawned collector's process id, or None.", NULL},
    {"closed", record_writer_get_closed, NULL,
     "Whether close() was called.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot record_writer_slots[] = {
    {Py_tp_doc, (void *)record_writer_doc},
    {Py_tp_new, record_writer_new},
    {Py_tp_finalize, record_writer_finalize},
    {Py_tp_dealloc, record_writer_dealloc},
    {Py_tp_traverse, record_writer_traverse},
    {Py_tp_repr, record_writer_repr},
    {Py_tp_methods, record_writer_methods},
    {Py_tp_getset, record_writer_getset},
    {0, NULL},
};

static PyType_Spec record_writer_spec = {
    .name = "memory_inventory._native.RecordWriter",
    .basicsize = sizeof(record_writer),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = record_writer_slots,
};

/* record_writer.h: for import tracing, which packs its records in C. */

int
mi_record_writer_check(PyObject *object)
{
    return Py_TYPE(object)->tp_dealloc == record_writer_dealloc;
}

int
mi_record_writer_push_batch(PyObject *writer, const void *bytes,
                            size_t size, uint64_t records)
{
    record_writer *self = (record_writer *)writer;
    mi_sink_stats stats;

    if (self->state != WRITER_OPEN) {
        PyErr_SetString(PyExc_ValueError, "write to a closed RecordWriter");
        return -1;
    }
    mi_sink_push_result pushed = mi_sink_push_batch(self->sink, bytes, size,
                                                    records);
    if (pushed == MI_SINK_BROKEN) {
        mi_sink_get_stats(self->sink, &stats);
        if (record_writer_warn(self, &stats) < 0) {
            return -1;
        }
    }
    return pushed == MI_SINK_QUEUED;
}

static PyMethodDef native_methods[] = {
    {"inventory", _PyCFunction_CAST(inventory), METH_FASTCALL, inventory_doc},
    {"object_size", object_size, METH_O, object_size_doc},
    {"instance_dict_size", instance_dict_size, METH_O,
     instance_dict_size_doc},
    {"has_instance_dict", has_instance_dict, METH_O, has_instance_dict_doc},
    {"gc_tracked", gc_tracked, METH_NOARGS, gc_tracked_doc},
    {"values_equal", _PyCFunction_CAST(values_equal), METH_FASTCALL,
     values_equal_doc},
    {"object_allocator", object_allocator, METH_NOARGS,
     object_allocator_doc},
    {NULL, NULL, 0, NULL},
};

static int
native_exec(PyObject *module)
{
    if (mi_object_size_init() < 0) {
        return -1;
    }
    if (mi_add_type(module, &record_writer_spec) < 0) {
        return -1;
    }
    if (mi_attribution_tracker_add_type(module) < 0) {
        return -1;
    }
    /* ImportHook and its loader proxy (trace/finder.h). */
    return mi_finder_add_types(module);
}

static PyModuleDef_Slot native_slots[] = {
    {Py_mod_exec, native_exec},
#if MI_PY313
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "memory_inventory._native",
    .m_doc = "The C engine of memory_inventory.",
    .m_size = sizeof(native_state),
    .m_methods = native_methods,
    .m_slots = native_slots,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    return PyModuleDef_Init(&native_module);
}
