# From tokenizer output to rows: a growable array of the current row's str
# objects (RowBuilder), the run that tokenizes a buffer and appends each
# completed row to a list (decode, Decoder and tokenize share it), the
# exception of a tokenizer error code, and the rows built from field records
# found beforehand (the bench's list floor).

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.ref cimport PyObject, Py_DECREF
from libc.stdlib cimport free, realloc

from smartrest._capi cimport PyList_Append, PyList_New, PyList_SET_ITEM
from smartrest._csmartrest cimport (SR_DONE, SR_E_ROW_TOO_LARGE, SR_E_TEXT_AFTER_QUOTE,
                                    SR_E_UNTERMINATED, SR_E_UTF8, SR_ERROR, SR_F_ROW_END,
                                    sr_field, sr_init, sr_tokenize, sr_tokenizer)

from smartrest.errors import InvalidUtf8, RowTooLarge, TextAfterQuote, UnterminatedQuote

# Fields asked of the tokenizer per call: the array stays in the first-level
# cache.
cdef enum:
    FIELDS_PER_CALL = 512

cdef struct RowBuilder:
    PyObject **items
    size_t n
    size_t cap


cdef int _rb_grow(RowBuilder *rb, PyObject *o) except -1:
    cdef size_t cap = rb.cap * 2 if rb.cap else 32
    cdef PyObject **items = <PyObject **>realloc(rb.items, cap * sizeof(PyObject *))
    if items == NULL:
        Py_DECREF(<object>o)
        raise MemoryError()
    rb.items = items
    rb.cap = cap
    return 0


cdef inline int _rb_push(RowBuilder *rb, PyObject *o) except -1:
    if rb.n == rb.cap:
        _rb_grow(rb, o)
    rb.items[rb.n] = o
    rb.n += 1
    return 0


cdef PyObject *_rb_take(RowBuilder *rb) except NULL:
    cdef PyObject *row = PyList_New(<Py_ssize_t>rb.n)
    cdef size_t i
    if row == NULL:
        raise MemoryError()
    for i in range(rb.n):
        PyList_SET_ITEM(row, <Py_ssize_t>i, rb.items[i])
    rb.n = 0
    return row


cdef void _rb_clear(RowBuilder *rb):
    cdef size_t i
    for i in range(rb.n):
        Py_DECREF(<object>rb.items[i])
    rb.n = 0


cdef void _rb_free(RowBuilder *rb):
    _rb_clear(rb)
    free(rb.items)
    rb.items = NULL
    rb.cap = 0


# ------------------------------------------------------------ errors

cdef object _error(sr_tokenizer *t):
    cdef int code = t.err
    if code == SR_E_UNTERMINATED:
        return UnterminatedQuote("unterminated quoted field starting", t.err_offset,
                                 t.err_row, t.err_field)
    if code == SR_E_TEXT_AFTER_QUOTE:
        return TextAfterQuote("text after the closing quote", t.err_offset, t.err_row,
                              t.err_field)
    if code == SR_E_UTF8:
        return InvalidUtf8("invalid UTF-8", t.err_offset, t.err_row, t.err_field)
    if code == SR_E_ROW_TOO_LARGE:
        return RowTooLarge(f"row longer than the limit of {t.row_limit} bytes",
                           t.err_offset, t.err_row)
    return ValueError(f"smartrest: unknown tokenizer error {code}")


cdef int _run(sr_tokenizer *t, const unsigned char *buf, size_t length, int final,
              list rows, RowBuilder *rb, Scratch *scratch) except -1:
    """Tokenize buf and append every completed row to rows."""
    cdef sr_field fields[FIELDS_PER_CALL]
    cdef size_t nf, i
    cdef int rc
    cdef PyObject *o
    while True:
        rc = sr_tokenize(t, buf, length, final, fields, FIELDS_PER_CALL, &nf)
        if rc == SR_ERROR:
            raise _error(t)
        for i in range(nf):
            o = _make_str(buf + fields[i].start, fields[i].len, fields[i].flags, scratch,
                          buf + length, rb.n)
            _rb_push(rb, o)
            if fields[i].flags & SR_F_ROW_END:
                o = _rb_take(rb)
                try:
                    PyList_Append(rows, o)
                finally:
                    Py_DECREF(<object>o)
        if rc == SR_DONE:
            return 0


def _fields_of(bytes payload):
    """The tokenizer's field records of a whole payload, as bytes: the input
    of :func:`_rows_from_fields` (the bench's list floor).

    Raises:
        SmartRestError: the payload does not decode.
    """
    cdef const unsigned char *buf = <const unsigned char *>PyBytes_AS_STRING(payload)
    cdef size_t length = <size_t>PyBytes_GET_SIZE(payload)
    cdef sr_tokenizer t
    cdef sr_field fields[FIELDS_PER_CALL]
    cdef size_t nf
    cdef int rc
    out = bytearray()
    sr_init(&t, 0, 0)
    while True:
        rc = sr_tokenize(&t, buf, length, 1, fields, FIELDS_PER_CALL, &nf)
        if rc == SR_ERROR:
            raise _error(&t)
        out += (<char *>fields)[:nf * sizeof(sr_field)]
        if rc == SR_DONE:
            return bytes(out)


def _rows_from_fields(bytes payload, bytes fields):
    """The rows of :func:`decode`, built from field records found beforehand
    (:func:`_fields_of`): decode without its tokenizer, every str made and
    every list filled as decode makes them.  The bench's list floor: how fast
    this design builds ``list[list[str]]`` when the scan costs nothing.

    Raises:
        ValueError: ``fields`` is not a whole number of records or points
            outside ``payload``.
    """
    cdef const unsigned char *buf = <const unsigned char *>PyBytes_AS_STRING(payload)
    cdef size_t length = <size_t>PyBytes_GET_SIZE(payload)
    cdef const sr_field *f = <const sr_field *>PyBytes_AS_STRING(fields)
    cdef size_t nf = <size_t>PyBytes_GET_SIZE(fields) // sizeof(sr_field), i
    cdef RowBuilder rb
    cdef Scratch scratch
    cdef PyObject *o
    cdef list rows = []
    if <size_t>PyBytes_GET_SIZE(fields) % sizeof(sr_field):
        raise ValueError("fields is not a whole number of field records")
    for i in range(nf):
        if f[i].start > length or f[i].len > length - f[i].start:
            raise ValueError(f"field record {i} points outside the payload")
    rb.items = NULL
    rb.n = rb.cap = 0
    scratch.data = NULL
    scratch.cap = 0
    try:
        for i in range(nf):
            o = _make_str(buf + f[i].start, f[i].len, f[i].flags, &scratch, buf + length, rb.n)
            _rb_push(&rb, o)
            if f[i].flags & SR_F_ROW_END:
                o = _rb_take(&rb)
                try:
                    PyList_Append(rows, o)
                finally:
                    Py_DECREF(<object>o)
    finally:
        _rb_free(&rb)
        free(scratch.data)
    return rows
