#include "record_packer.h"

#include "../records.h"

#include <limits.h>
#include <stdarg.h>

/* Where the packing is, for the messages of errors. */
typedef struct {
    msgpack_packer *packer;
    long kind;
    Py_ssize_t field;
} pack_context;

static int pack_object(pack_context *ctx, PyObject *obj, int depth);

/* msgpack-c's packers return the status of the buffer's write callback:
   for an sbuffer, -1 means that realloc() failed. */
static int
check(int status)
{
    if (status != 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int
pack_error(const pack_context *ctx, PyObject *exception, const char *format,
           ...)
{
    va_list vargs;
    PyObject *detail;

    va_start(vargs, format);
    detail = PyUnicode_FromFormatV(format, vargs);
    va_end(vargs);
    if (detail != NULL) {
        PyErr_Format(exception, "cannot pack field %zd of a record of kind "
                     "%ld: %U", ctx->field, ctx->kind, detail);
        Py_DECREF(detail);
    }
    return -1;
}

static int
check_length(const pack_context *ctx, Py_ssize_t length, const char *what)
{
    if ((uint64_t)length > UINT32_MAX) {
        return pack_error(ctx, PyExc_ValueError, "a %s of %zd items or "
                          "bytes: msgpack's limit is 2**32-1", what, length);
    }
    return 0;
}

static int
pack_int(pack_context *ctx, PyObject *obj)
{
    int overflow;
    long long value = PyLong_AsLongLongAndOverflow(obj, &overflow);

    if (value == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow == 0) {
        if (value >= 0) {
            return check(msgpack_pack_uint64(ctx->packer, (uint64_t)value));
        }
        return check(msgpack_pack_int64(ctx->packer, (int64_t)value));
    }
    if (overflow > 0) {
        unsigned long long big = PyLong_AsUnsignedLongLong(obj);
        if (big != (unsigned long long)-1 || !PyErr_Occurred()) {
            return check(msgpack_pack_uint64(ctx->packer, (uint64_t)big));
        }
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
            return -1;
        }
        PyErr_Clear();
    }
    /* No %R: the repr of a huge int is slow, and may even be refused. */
    return pack_error(ctx, PyExc_ValueError, "an int beyond 64 bits (the "
                      "range is -2**63 to 2**64-1)");
}

/* The UTF-8 length of a code point; a surrogate counts for its '?'. */
static size_t
utf8_length(Py_UCS4 c)
{
    if (c < 0x80 || (c >= 0xD800 && c <= 0xDFFF)) {
        return 1;
    }
    return c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

static size_t
utf8_encode(Py_UCS4 c, char *out)
{
    if (c < 0x80 || (c >= 0xD800 && c <= 0xDFFF)) {
        out[0] = c < 0x80 ? (char)c : '?';
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* A str, encoded here rather than by PyUnicode_AsUTF8AndSize(): that one
   caches the UTF-8 copy in the str object for good, which would grow the
   very strings the inventory measures, and it fails on surrogates. */
static int
pack_str(pack_context *ctx, PyObject *obj)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(obj);
    char block[1024];
    size_t used = 0;
    size_t size = 0;

    if (PyUnicode_IS_COMPACT_ASCII(obj)) {
        if (check_length(ctx, length, "str") < 0) {
            return -1;
        }
        return check(msgpack_pack_str_with_body(ctx->packer,
                                                PyUnicode_DATA(obj),
                                                (size_t)length));
    }
    int kind = PyUnicode_KIND(obj);
    const void *data = PyUnicode_DATA(obj);
    for (Py_ssize_t i = 0; i < length; i++) {
        size += utf8_length(PyUnicode_READ(kind, data, i));
    }
    if (check_length(ctx, (Py_ssize_t)size, "str") < 0) {
        return -1;
    }
    if (check(msgpack_pack_str(ctx->packer, size)) < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < length; i++) {
        if (used > sizeof(block) - 4) {
            if (check(msgpack_pack_str_body(ctx->packer, block, used)) < 0) {
                return -1;
            }
            used = 0;
        }
        used += utf8_encode(PyUnicode_READ(kind, data, i), block + used);
    }
    return check(msgpack_pack_str_body(ctx->packer, block, used));
}

static int
pack_array(pack_context *ctx, PyObject *obj, int depth)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(obj);
    PyObject **items = PySequence_Fast_ITEMS(obj);

    if (check_length(ctx, n, Py_TYPE(obj)->tp_name) < 0
        || check(msgpack_pack_array(ctx->packer, (size_t)n)) < 0) {
        return -1;
    }
    /* No Python code runs while packing, so the list cannot change. */
    for (Py_ssize_t i = 0; i < n; i++) {
        if (pack_object(ctx, items[i], depth + 1) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
pack_map(pack_context *ctx, PyObject *obj, int depth)
{
    Py_ssize_t n = PyDict_GET_SIZE(obj);
    Py_ssize_t pos = 0;
    PyObject *key, *value;

    if (check_length(ctx, n, "dict") < 0
        || check(msgpack_pack_map(ctx->packer, (size_t)n)) < 0) {
        return -1;
    }
    while (PyDict_Next(obj, &pos, &key, &value)) {
        if (pack_object(ctx, key, depth + 1) < 0
            || pack_object(ctx, value, depth + 1) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
pack_object(pack_context *ctx, PyObject *obj, int depth)
{
    PyTypeObject *type = Py_TYPE(obj);

    if (obj == Py_None) {
        return check(msgpack_pack_nil(ctx->packer));
    }
    if (obj == Py_True) {
        return check(msgpack_pack_true(ctx->packer));
    }
    if (obj == Py_False) {
        return check(msgpack_pack_false(ctx->packer));
    }
    if (type == &PyLong_Type) {
        return pack_int(ctx, obj);
    }
    if (type == &PyFloat_Type) {
        return check(msgpack_pack_double(ctx->packer,
                                         PyFloat_AS_DOUBLE(obj)));
    }
    if (type == &PyUnicode_Type) {
        return pack_str(ctx, obj);
    }
    if (type == &PyBytes_Type) {
        Py_ssize_t n = PyBytes_GET_SIZE(obj);
        if (check_length(ctx, n, "bytes") < 0) {
            return -1;
        }
        return check(msgpack_pack_bin_with_body(ctx->packer,
                                                PyBytes_AS_STRING(obj),
                                                (size_t)n));
    }
    if (type == &PyList_Type || type == &PyTuple_Type
        || type == &PyDict_Type) {
        if (depth >= MI_PACK_MAX_DEPTH) {
            return pack_error(ctx, PyExc_ValueError, "containers nested "
                              "more than %d deep (one holding itself?)",
                              MI_PACK_MAX_DEPTH);
        }
        return type == &PyDict_Type ? pack_map(ctx, obj, depth)
                                    : pack_array(ctx, obj, depth);
    }
    return pack_error(ctx, PyExc_TypeError, "an object of type %s; a "
                      "record holds only None, bool, int, float, str, "
                      "bytes, list, tuple and dict, of exactly these types",
                      type->tp_name);
}

long
mi_record_kind(PyObject *record)
{
    PyTypeObject *type = Py_TYPE(record);

    if (type != &PyTuple_Type && type != &PyList_Type) {
        PyErr_Format(PyExc_TypeError, "a record is a tuple or a list, not "
                     "%s", type->tp_name);
        return -1;
    }
    if (PySequence_Fast_GET_SIZE(record) == 0) {
        PyErr_SetString(PyExc_ValueError, "a record cannot be empty: its "
                        "element 0 is its kind");
        return -1;
    }
    PyObject *kind = PySequence_Fast_GET_ITEM(record, 0);
    if (!Py_IS_TYPE(kind, &PyLong_Type)) {
        PyErr_Format(PyExc_TypeError, "the kind of a record (element 0) is "
                     "an int, not %s", Py_TYPE(kind)->tp_name);
        return -1;
    }
    int overflow;
    long value = PyLong_AsLongAndOverflow(kind, &overflow);
    if (value == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow != 0) {
        value = overflow < 0 ? LONG_MIN : LONG_MAX;    /* for the message */
    }
    if (value < 1 || value > MI_RECORD_KIND_MAX) {
        PyErr_Format(PyExc_ValueError, "the kind of a record (element 0) "
                     "is from 1 to %d, not %s%ld", MI_RECORD_KIND_MAX,
                     overflow != 0 ? "beyond " : "", value);
        return -1;
    }
    return value;
}

int
mi_record_pack(msgpack_packer *packer, PyObject *record)
{
    pack_context ctx = {packer, 0, 0};
    Py_ssize_t n;
    PyObject **items;

    ctx.kind = mi_record_kind(record);
    if (ctx.kind < 0) {
        return -1;
    }
    n = PySequence_Fast_GET_SIZE(record);
    items = PySequence_Fast_ITEMS(record);
    if (check_length(&ctx, n, "record") < 0
        || check(msgpack_pack_array(packer, (size_t)n)) < 0
        || check(msgpack_pack_uint64(packer, (uint64_t)ctx.kind)) < 0) {
        return -1;
    }
    for (ctx.field = 1; ctx.field < n; ctx.field++) {
        if (pack_object(&ctx, items[ctx.field], 1) < 0) {
            return -1;
        }
    }
    return 0;
}

int
mi_record_pack_end(msgpack_packer *packer, uint64_t records,
                   uint64_t dropped)
{
    if (check(msgpack_pack_array(packer, MI_END_LENGTH)) < 0
        || check(msgpack_pack_uint64(packer, MI_RECORD_END)) < 0
        || check(msgpack_pack_uint64(packer, records)) < 0
        || check(msgpack_pack_uint64(packer, dropped)) < 0) {
        return -1;
    }
    return 0;
}
