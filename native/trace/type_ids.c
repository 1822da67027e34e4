#include "type_ids.h"

#include "../records.h"

#include <stdlib.h>
#include <string.h>

void
mi_type_ids_init(mi_type_ids *ids)
{
    ids->entries = NULL;
    ids->length = 0;
    ids->capacity = 0;
    mi_count_map_init(&ids->index_of);
}

void
mi_type_ids_free(mi_type_ids *ids)
{
    for (size_t i = 0; i < ids->length; i++) {
        Py_DECREF(ids->entries[i].type);
        free(ids->entries[i].name);
    }
    free(ids->entries);
    mi_count_map_free(&ids->index_of);
    mi_type_ids_init(ids);
}

int
mi_type_ids_truncate(mi_type_ids *ids, size_t length)
{
    mi_count_map index;
    int status = 0;

    if (length >= ids->length) {
        return 0;
    }
    for (size_t i = length; i < ids->length; i++) {
        Py_DECREF(ids->entries[i].type);
        free(ids->entries[i].name);
    }
    ids->length = length;
    /* The map cannot take keys out: it is made again from what stays
       (this only happens when a batch was cut back after a failure). */
    mi_count_map_init(&index);
    for (size_t i = 0; i < length; i++) {
        if (mi_count_map_add(&index, (uintptr_t)ids->entries[i].type,
                             ids->entries[i].id) < 0) {
            status = -1;
            break;
        }
    }
    if (status == 0) {
        mi_count_map_free(&ids->index_of);
        ids->index_of = index;
    }
    else {
        mi_count_map_free(&index);
    }
    return status;
}

/* `text` as UTF-8, a lone surrogate as '?' (what the record packer does),
   in a new bytes object; NULL with an exception set. A copy: asking a str
   for its UTF-8 form would cache it in the str, growing the heap. */
static PyObject *
utf8_bytes(PyObject *text)
{
    return PyUnicode_AsEncodedString(text, "utf-8", "replace");
}

static void
pack_text(mi_record_batch *batch, PyObject *bytes)
{
    mi_pack_utf8(batch, PyBytes_AS_STRING(bytes),
                 (size_t)PyBytes_GET_SIZE(bytes));
}

/* A str as UTF-8: 0, or -1 with an exception. */
static int
pack_str(mi_record_batch *batch, PyObject *text)
{
    if (PyUnicode_IS_COMPACT_ASCII(text)) {
        mi_pack_utf8(batch, PyUnicode_DATA(text),
                     (size_t)PyUnicode_GET_LENGTH(text));
        return 0;
    }
    PyObject *bytes = utf8_bytes(text);
    if (bytes == NULL) {
        return -1;
    }
    pack_text(batch, bytes);
    Py_DECREF(bytes);
    return 0;
}

/* type.__module__ as type's own getter reads it (a new reference), or
   NULL with an exception set. */
static PyObject *
module_of(PyTypeObject *type)
{
    if (type->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        PyObject *dict = PyType_GetDict(type);
        if (dict == NULL) {
            return NULL;
        }
        PyObject *module = PyDict_GetItemString(dict, "__module__");
        Py_XINCREF(module);
        Py_DECREF(dict);
        return module != NULL ? module : PyUnicode_FromString("?");
    }
    const char *dot = strrchr(type->tp_name, '.');
    if (dot == NULL) {
        return PyUnicode_FromString("builtins");
    }
    return PyUnicode_FromStringAndSize(type->tp_name,
                                       dot - type->tp_name);
}

/* naming.qual_name(type), a new reference. */
static PyObject *
qualified_name(PyTypeObject *type)
{
    PyObject *module = module_of(type);
    PyObject *name = PyType_GetName(type);
    PyObject *result = NULL;

    if (module == NULL || name == NULL) {
        goto cleanup;
    }
    if (!PyUnicode_Check(module)) {
        Py_SETREF(module, PyUnicode_FromString("?"));
        if (module == NULL) {
            goto cleanup;
        }
    }
    if (PyUnicode_CompareWithASCIIString(module, "builtins") == 0) {
        result = Py_NewRef(name);
    }
    else {
        result = PyUnicode_FromFormat("%U.%U", module, name);
    }

cleanup:
    Py_XDECREF(module);
    Py_XDECREF(name);
    return result;
}

/* `name` mangled as inside class `type`: "_" + type.__name__ without its
   leading underscores + name. A new reference. */
static PyObject *
mangled(PyTypeObject *type, PyObject *name)
{
    PyObject *class_name = PyType_GetName(type);
    if (class_name == NULL) {
        return NULL;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(class_name);
    Py_ssize_t start = 0;
    while (start < length
           && PyUnicode_READ_CHAR(class_name, start) == '_') {
        start++;
    }
    PyObject *stripped = PyUnicode_Substring(class_name, start, length);
    Py_DECREF(class_name);
    if (stripped == NULL) {
        return NULL;
    }
    PyObject *result = PyUnicode_FromFormat("_%U%U", stripped, name);
    Py_DECREF(stripped);
    return result;
}

static int
is_private(PyObject *name)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(name);
    return length >= 2 && PyUnicode_READ_CHAR(name, 0) == '_'
        && PyUnicode_READ_CHAR(name, 1) == '_'
        && !(length >= 4 && PyUnicode_READ_CHAR(name, length - 1) == '_'
             && PyUnicode_READ_CHAR(name, length - 2) == '_');
}

/* slots.static_attributes(type) as a new list of str; NULL with an
   exception set. */
static PyObject *
static_attributes(PyTypeObject *type)
{
    PyObject *found = PyList_New(0);
    PyObject *dict = NULL;
    if (found == NULL || !(type->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        return found;
    }
    dict = PyType_GetDict(type);
    if (dict == NULL) {
        goto error;
    }
    PyObject *names = PyDict_GetItemString(dict, "__static_attributes__");
    if (names == NULL || !PyTuple_Check(names)) {
        Py_DECREF(dict);
        return found;
    }
    Py_INCREF(names);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        PyObject *name = PyTuple_GET_ITEM(names, i);
        if (!PyUnicode_Check(name)) {
            continue;
        }
        name = is_private(name) ? mangled(type, name) : Py_NewRef(name);
        if (name == NULL) {
            Py_DECREF(names);
            goto error;
        }
        PyObject *attribute = PyDict_GetItemWithError(dict, name);
        int status = 0;
        if (attribute == NULL && PyErr_Occurred()) {
            status = -1;
        }
        else if (attribute == NULL
                 || Py_TYPE(attribute)->tp_descr_get == NULL) {
            status = PyList_Append(found, name);
        }
        Py_DECREF(name);
        if (status < 0) {
            Py_DECREF(names);
            goto error;
        }
    }
    Py_DECREF(names);
    Py_DECREF(dict);
    return found;

error:
    Py_XDECREF(dict);
    Py_DECREF(found);
    return NULL;
}

/* sys.getsizeof(dict.fromkeys(names)), or 0 when there are none. */
static Py_ssize_t
static_dict_bytes(PyObject *names)
{
    if (PyList_GET_SIZE(names) == 0) {
        return 0;
    }
    PyObject *dict = PyDict_New();
    if (dict == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(names); i++) {
        if (PyDict_SetItem(dict, PyList_GET_ITEM(names, i), Py_None) < 0) {
            Py_DECREF(dict);
            return -1;
        }
    }
    size_t size = _PySys_GetSizeOf(dict);
    Py_DECREF(dict);
    return size == (size_t)-1 ? -1 : (Py_ssize_t)size;
}

/* TYPE: [2, type_id, name, repr, address, flags, static_attributes,
          static_dict_bytes] */
static int
pack_type_record(mi_record_batch *batch, const mi_type_id *entry)
{
    PyTypeObject *type = entry->type;
    PyObject *repr = PyType_Type.tp_repr((PyObject *)type);
    PyObject *statics = NULL;
    int status = -1;

    if (repr == NULL || (statics = static_attributes(type)) == NULL) {
        goto cleanup;
    }
    Py_ssize_t dict_bytes = static_dict_bytes(statics);
    if (dict_bytes < 0) {
        goto cleanup;
    }
    unsigned flags = (entry->exception ? MI_TYPE_FLAG_EXCEPTION : 0)
        | ((type->tp_flags & Py_TPFLAGS_HEAPTYPE) ? MI_TYPE_FLAG_HEAP : 0);
    mi_record_batch_begin(batch, MI_TYPE_LENGTH, MI_RECORD_TYPE);
    mi_pack_uint(batch, entry->id);
    mi_pack_utf8(batch, entry->name, strlen(entry->name));
    if (pack_str(batch, repr) < 0) {
        goto cleanup;
    }
    mi_pack_uint(batch, (uint64_t)(uintptr_t)type);
    mi_pack_uint(batch, flags);
    mi_pack_array_header(batch, (size_t)PyList_GET_SIZE(statics));
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(statics); i++) {
        if (pack_str(batch, PyList_GET_ITEM(statics, i)) < 0) {
            goto cleanup;
        }
    }
    mi_pack_uint(batch, (uint64_t)dict_bytes);
    status = mi_record_batch_end(batch);

cleanup:
    Py_XDECREF(repr);
    Py_XDECREF(statics);
    return status;
}

/* A malloc'd copy of the UTF-8 form of `text`; NULL with an exception. */
static char *
utf8_copy(PyObject *text)
{
    PyObject *bytes = utf8_bytes(text);
    if (bytes == NULL) {
        return NULL;
    }
    size_t size = (size_t)PyBytes_GET_SIZE(bytes);
    char *copy = malloc(size + 1);
    if (copy == NULL) {
        PyErr_NoMemory();
    }
    else {
        memcpy(copy, PyBytes_AS_STRING(bytes), size + 1);
    }
    Py_DECREF(bytes);
    return copy;
}

uint32_t
mi_type_ids_get(mi_type_ids *ids, PyTypeObject *type, mi_record_batch *batch)
{
    uint64_t known = mi_count_map_get(&ids->index_of, (uintptr_t)type);
    if (known != 0) {
        return (uint32_t)known;
    }
    if (ids->length == UINT32_MAX - 1) {
        PyErr_SetString(PyExc_OverflowError, "too many types");
        return 0;
    }
    if (ids->length == ids->capacity) {
        size_t capacity = ids->capacity ? ids->capacity * 2 : 1024;
        mi_type_id *entries = realloc(ids->entries,
                                      capacity * sizeof *entries);
        if (entries == NULL) {
            PyErr_NoMemory();
            return 0;
        }
        ids->entries = entries;
        ids->capacity = capacity;
    }
    PyObject *name = qualified_name(type);
    if (name == NULL) {
        return 0;
    }
    char *text = utf8_copy(name);
    if (text == NULL) {
        Py_DECREF(name);
        return 0;
    }
    uint32_t id = (uint32_t)ids->length + 1;
    if (mi_count_map_add(&ids->index_of, (uintptr_t)type, id) < 0) {
        free(text);
        Py_DECREF(name);
        PyErr_NoMemory();
        return 0;
    }
    mi_type_id *entry = &ids->entries[ids->length++];
    entry->type = (PyTypeObject *)Py_NewRef((PyObject *)type);
    entry->id = id;
    entry->exception = PyType_IsSubtype(type,
                                        (PyTypeObject *)PyExc_BaseException);
    entry->name = text;
    Py_DECREF(name);
    int status = pack_type_record(batch, entry);
    return status < 0 ? 0 : id;
}
