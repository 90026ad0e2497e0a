# encode and encode_row: every value's UTF-8 and escaped length first, then
# one bytes object of the exact size, clean values copied with memcpy.

from cpython.bytes cimport PyBytes_AS_STRING
from cpython.list cimport PyList_CheckExact
from cpython.sequence cimport (PySequence_Fast, PySequence_Fast_GET_ITEM,
                               PySequence_Fast_GET_SIZE, PySequence_Tuple)
from cpython.tuple cimport PyTuple_CheckExact
from cpython.unicode cimport PyUnicode_AsUTF8AndSize, PyUnicode_CheckExact
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy

from smartrest._capi cimport PyBytes_FromStringAndSize
from smartrest._csmartrest cimport sr_escape, sr_escaped_len

from smartrest._values import value_text as _value_text
from smartrest.errors import EmptyRow, InvalidUtf8

cdef struct Span:
    const unsigned char *ptr
    size_t len
    size_t elen  # escaped length: len when the value is written as it is


cdef inline int _is_double(quote_escape) except -1:
    if quote_escape == "backslash":
        return 0
    if quote_escape == "double":
        return 1
    raise ValueError(f"quote_escape must be 'backslash' or 'double', not {quote_escape!r}")


cdef bytes _encode_rows(rows, int double_quotes):
    cdef list keep = []
    cdef Span *spans = NULL
    cdef size_t nspans = 0, cap = 0, total = 0, i, j, k
    cdef Py_ssize_t nfields, f, size
    cdef Py_ssize_t row_index = 0
    cdef const char *p
    cdef Span *grown
    cdef object seq, value, text
    cdef size_t *counts = NULL  # fields per row
    cdef size_t ncap = 0, r
    cdef size_t *grown_counts
    cdef bytes out
    cdef unsigned char *dst
    try:
        for row in rows:
            # Each row is taken as a tuple (a tuple is used as it is): the
            # spans below point into its str values, which it keeps alive
            # whatever a value's conversion (__str__, __bytes__) does to the
            # row it came from.
            if PyTuple_CheckExact(row):
                seq = row
            elif PyList_CheckExact(row):
                seq = PySequence_Tuple(row)
            elif isinstance(row, (str, bytes, bytearray)):
                raise TypeError(
                    f"row {row_index} must be a sequence of values, not {type(row).__name__}")
            else:
                seq = PySequence_Fast(row, b"a row must be a sequence of values")
            keep.append(seq)
            nfields = PySequence_Fast_GET_SIZE(seq)
            if nfields == 0:
                raise EmptyRow("a row must have at least one field", None, row_index)
            if nspans + <size_t>nfields > cap:
                cap = (nspans + <size_t>nfields) * 2
                grown = <Span *>realloc(spans, cap * sizeof(Span))
                if grown == NULL:
                    raise MemoryError()
                spans = grown
            if <size_t>row_index == ncap:
                ncap = ncap * 2 if ncap else 64
                grown_counts = <size_t *>realloc(counts, ncap * sizeof(size_t))
                if grown_counts == NULL:
                    raise MemoryError()
                counts = grown_counts
            for f in range(nfields):
                value = <object>PySequence_Fast_GET_ITEM(seq, f)
                if not PyUnicode_CheckExact(value):
                    value = _value_text(value, row_index, f)
                    keep.append(value)
                try:
                    p = PyUnicode_AsUTF8AndSize(value, &size)
                except UnicodeEncodeError as exc:
                    raise InvalidUtf8(
                        f"value holds a lone surrogate at character {exc.start}",
                        None, row_index, f) from None
                spans[nspans].ptr = <const unsigned char *>p
                spans[nspans].len = <size_t>size
                spans[nspans].elen = sr_escaped_len(<const unsigned char *>p, <size_t>size)
                total += spans[nspans].elen + 1
                nspans += 1
            if nfields == 1 and spans[nspans - 1].len == 0:
                total += 2
            counts[row_index] = <size_t>nfields
            row_index += 1
        out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>total)
        dst = <unsigned char *>PyBytes_AS_STRING(out)
        k = 0
        for r in range(<size_t>row_index):
            j = counts[r]
            if j == 1 and spans[k].len == 0:
                dst[0] = b'"'
                dst[1] = b'"'
                dst += 2
            else:
                for i in range(j):
                    if spans[k + i].elen == spans[k + i].len:  # no quoting: copy
                        memcpy(dst, spans[k + i].ptr, spans[k + i].len)
                        dst += spans[k + i].len
                    else:
                        dst += sr_escape(spans[k + i].ptr, spans[k + i].len, double_quotes, dst)
                    if i + 1 < j:
                        dst[0] = b','
                        dst += 1
            dst[0] = b'\n'
            dst += 1
            k += j
        return out
    finally:
        free(spans)
        free(counts)


def encode(rows, *, quote_escape="backslash"):
    return _encode_rows(rows, _is_double(quote_escape))


def encode_row(fields, *, quote_escape="backslash"):
    cdef int double_quotes = _is_double(quote_escape)
    if isinstance(fields, (str, bytes, bytearray)):
        raise TypeError(f"row 0 must be a sequence of values, not {type(fields).__name__}")
    return _encode_rows((fields,), double_quotes)
