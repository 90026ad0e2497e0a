# cython: language_level=3
"""C implementation of the SmartREST codec (binding to ``csrc/``).

This module only acquires buffers, calls the C core, builds Python objects
and maps the core's error codes to :mod:`smartrest.errors`.  Its behaviour is
that of :mod:`smartrest._pure`, byte for byte, and so is its documentation:
the public functions and methods take the docstrings of the reference
implementation at the end of this module.
"""

from cpython.ref cimport PyObject, Py_INCREF, Py_DECREF, Py_XDECREF
from cpython.buffer cimport (PyObject_GetBuffer, PyBuffer_Release, PyBuffer_FillInfo,
                             PyBUF_SIMPLE)
from libc.stdint cimport uint64_t, int64_t
from libc.stdlib cimport malloc, calloc, realloc, free
from libc.string cimport memcpy, memcmp, memmove, memset

from smartrest._limits import (LIMIT, check_limit, check_options, check_payload_size,
                               check_topic, packet_size)
from smartrest._payload import count_rows as _count_rows, is_stable, payload_view
from smartrest._values import value_text as _value_text
from smartrest.errors import (
    DECODER_IN_USE,
    raised_again,
    SmartRestError,
    EmptyRow,
    InvalidUtf8,
    RowTooLarge,
    TextAfterQuote,
    UnterminatedQuote,
)

cdef extern from "smartrest.h":
    ctypedef struct sr_field:
        size_t start
        size_t len
        unsigned flags

    ctypedef struct sr_tokenizer:
        int strict
        uint64_t row_limit
        int state
        size_t pos
        uint64_t base
        uint64_t row
        int err
        uint64_t err_offset
        uint64_t err_row
        uint64_t err_field

    enum:
        SR_F_ROW_END
        SR_F_UNESCAPE
        SR_F_HIGH
        SR_F_QUOTED
        SR_DONE
        SR_FULL
        SR_ERROR
        SR_E_UNTERMINATED
        SR_E_TEXT_AFTER_QUOTE
        SR_E_UTF8
        SR_E_ROW_TOO_LARGE

    void sr_init(sr_tokenizer *t, int strict, uint64_t row_limit) nogil
    int sr_tokenize(sr_tokenizer *t, const unsigned char *buf, size_t len, int final,
                    sr_field *out, size_t cap, size_t *n_out) nogil
    size_t sr_keep_from(const sr_tokenizer *t) nogil
    void sr_rebase(sr_tokenizer *t, size_t shift) nogil
    int sr_check_pending(sr_tokenizer *t, size_t len) nogil
    size_t sr_unescape(const unsigned char *src, size_t len, unsigned char *dst) nogil
    size_t sr_columns(const sr_field *f, size_t n, size_t first, int64_t *st, int64_t *en,
                      unsigned char *fl, int64_t *rs, size_t *nrows) nogil
    size_t sr_utf8_check(const unsigned char *s, size_t n) nogil
    size_t sr_escaped_len(const unsigned char *v, size_t n) nogil
    size_t sr_escape(const unsigned char *v, size_t n, int double_quotes,
                     unsigned char *dst) nogil

cdef extern from "Python.h":
    PyObject *PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    void *PyUnicode_DATA(PyObject *o)
    Py_ssize_t PyUnicode_GET_LENGTH(PyObject *o)
    PyObject *PyUnicode_DecodeUTF8(const char *s, Py_ssize_t size, const char *errors)
    const char *PyUnicode_AsUTF8AndSize(object o, Py_ssize_t *size) except NULL
    PyObject *PyList_New(Py_ssize_t size)
    void PyList_SET_ITEM(PyObject *lst, Py_ssize_t i, PyObject *o)
    int PyList_Append(object lst, PyObject *o) except -1
    object PyBytes_FromStringAndSize(const char *s, Py_ssize_t n)
    char *PyBytes_AS_STRING(object o)
    Py_ssize_t PyBytes_GET_SIZE(object o)
    bint PyBytes_CheckExact(object o)
    bint PyBytes_Check(object o)
    object PySequence_Tuple(object o)
    bint PyUnicode_CheckExact(object o)
    bint PyList_CheckExact(object o)
    bint PyTuple_CheckExact(object o)
    object PySequence_Fast(object o, const char *m)
    Py_ssize_t PySequence_Fast_GET_SIZE(object o)
    PyObject *PySequence_Fast_GET_ITEM(object o, Py_ssize_t i)

# ------------------------------------------------------------ memory

cdef extern from *:
    """
    #if defined(__linux__)
    #include <sys/mman.h>
    #endif
    /* Ask for transparent huge pages on a large array (Linux): far fewer
     * page faults when it is first written. */
    static void sr_advise_huge(void *p, size_t n)
    {
    #if defined(__linux__) && defined(MADV_HUGEPAGE)
        uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
        uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
        if (n >= ((size_t)4 << 20) && e > a)
            (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
    #else
        (void)p;
        (void)n;
    #endif
    }
    """
    void sr_advise_huge(void *p, size_t n) nogil


cdef inline int _resize(void **p, size_t nbytes) noexcept nogil:
    """realloc *p in place: 0, or -1 (and *p untouched) without memory."""
    cdef void *q = realloc(p[0], nbytes)
    if q == NULL:
        return -1
    p[0] = q
    sr_advise_huge(q, nbytes)
    return 0


# ------------------------------------------------------------ string cache
#
# Short ASCII fields repeat a lot (template IDs, serials, fragment and series
# names, units): a small direct-mapped cache hands out the same str object
# instead of allocating a new one.  Only touched with the GIL held.

cdef enum:
    CACHE_SIZE = 2048
    CACHE_MAX_LEN = 32
    CACHE_SHORT = 8
    CACHE_LEADING_FIELDS = 3
    FIELDS_PER_CALL = 512



cdef inline PyObject *_new_ascii(const unsigned char *p, size_t n) except NULL:
    cdef PyObject *s = PyUnicode_New(<Py_ssize_t>n, 127)
    if s == NULL:
        raise MemoryError()
    memcpy(PyUnicode_DATA(s), p, n)
    return s


cdef inline uint64_t _load_masked(const unsigned char *p, size_t n, const unsigned char *end):
    """The first n (<= 8) bytes at p as a zero-padded word."""
    cdef uint64_t w = 0
    if n == 0:
        return 0
    if p + 8 <= end:
        memcpy(&w, p, 8)
        return w & (<uint64_t>0xFFFFFFFFFFFFFFFF >> (64 - 8 * n))
    memcpy(&w, p, n)
    return w


cdef struct CacheEntry:
    # One slot: the string and its key (length and up to 32 bytes), kept
    # together so that a lookup touches one or two cache lines.
    PyObject *obj
    uint64_t len
    uint64_t key[4]

cdef CacheEntry _cache[CACHE_SIZE]


cdef inline PyObject *_cached(const unsigned char *p, size_t n, unsigned flags,
                              const unsigned char *end) except NULL:
    # The cache is keyed by the field's bytes (at most 32), which are kept
    # beside each slot, so a hit is decided without touching the string.
    cdef uint64_t w0, w1 = 0, w2 = 0, w3 = 0, h
    cdef size_t slot
    cdef PyObject *s
    if n <= 8:
        w0 = _load_masked(p, n, end)
    else:
        w0 = _load_masked(p, 8, end)
        if n <= 16:
            w1 = _load_masked(p + 8, n - 8, end)
        else:
            w1 = _load_masked(p + 8, 8, end)
            if n <= 24:
                w2 = _load_masked(p + 16, n - 16, end)
            else:
                w2 = _load_masked(p + 16, 8, end)
                w3 = _load_masked(p + 24, n - 24, end)
    h = ((w0 ^ n) * <uint64_t>0x9E3779B97F4A7C15) ^ (w1 * <uint64_t>0xC2B2AE3D27D4EB4F) \
        ^ (w2 * <uint64_t>0x165667B19E3779F9) ^ (w3 * <uint64_t>0x27D4EB2F165667C5)
    slot = <size_t>((h ^ (h >> 29)) * <uint64_t>0xBF58476D1CE4E5B9 >> 53) & (CACHE_SIZE - 1)
    cdef CacheEntry *e = &_cache[slot]
    s = e.obj
    if (s != NULL and e.len == n and e.key[0] == w0 and e.key[1] == w1
            and e.key[2] == w2 and e.key[3] == w3):
        Py_INCREF(<object>s)
        return s
    if flags & SR_F_HIGH:
        s = PyUnicode_DecodeUTF8(<const char *>p, <Py_ssize_t>n, NULL)
        if s == NULL:
            raise MemoryError()
    else:
        s = _new_ascii(p, n)
    Py_XDECREF(e.obj)
    Py_INCREF(<object>s)
    e.obj = s
    e.len = n
    e.key[0] = w0
    e.key[1] = w1
    e.key[2] = w2
    e.key[3] = w3
    return s


cdef struct Scratch:
    unsigned char *data
    size_t cap


cdef inline PyObject *_make_str(const unsigned char *p, size_t n, unsigned flags,
                                Scratch *scratch, const unsigned char *end,
                                size_t field) except NULL:
    # Cached: short values anywhere (units, flags), and names up to 32 bytes
    # in the leading fields (template IDs, serials, fragments, types).  Long
    # values further on (times, readings, texts) are rarely repeated.
    cdef PyObject *s
    if flags & SR_F_UNESCAPE:
        if scratch.cap < n:
            free(scratch.data)
            scratch.data = <unsigned char *>malloc(n if n > 256 else 256)
            if scratch.data == NULL:
                scratch.cap = 0
                raise MemoryError()
            scratch.cap = n if n > 256 else 256
        n = sr_unescape(p, n, scratch.data)
        p = scratch.data
        end = scratch.data + scratch.cap
    if n <= CACHE_SHORT or (n <= CACHE_MAX_LEN and field < CACHE_LEADING_FIELDS):
        return _cached(p, n, flags, end)
    if flags & SR_F_HIGH:
        s = PyUnicode_DecodeUTF8(<const char *>p, <Py_ssize_t>n, NULL)
        if s == NULL:
            raise MemoryError()
        return s
    return _new_ascii(p, n)


# ------------------------------------------------------------ row building

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


cdef bytes _utf8_of_str(object s):
    # str.encode itself, so that a str subclass is read as its characters
    # (as the reference does), whatever it overrides.
    return str.encode(s, "utf-8", "surrogatepass")


cdef class _Buffer:
    """The bytes of a payload: bytes, str (its UTF-8) or any C-contiguous
    buffer (smartrest._payload has the rule).  Bytes that may change
    (bytearray, mmap, numpy...) are copied by own(), which every caller runs
    after the size check and before the bytes are scanned."""
    cdef Py_buffer view
    cdef bint has_view
    cdef bint stable
    cdef object keep
    cdef const unsigned char *ptr
    cdef size_t length

    def __cinit__(self, payload):
        if PyBytes_CheckExact(payload):
            self.keep = payload
        elif isinstance(payload, str):
            self.keep = _utf8_of_str(payload)
        else:
            view = payload_view(payload)
            if PyBytes_Check(view):  # a bytes subclass
                self.keep = view
            else:
                PyObject_GetBuffer(view, &self.view, PyBUF_SIMPLE)
                self.has_view = True
                self.keep = view
                self.stable = is_stable(view)
                self.ptr = <const unsigned char *>self.view.buf
                self.length = <size_t>self.view.len
                return
        self.stable = True
        self.ptr = <const unsigned char *>PyBytes_AS_STRING(self.keep)
        self.length = <size_t>PyBytes_GET_SIZE(self.keep)

    def __dealloc__(self):
        if self.has_view:
            PyBuffer_Release(&self.view)

    cdef int own(self) except -1:
        """Make the bytes ours if they may change: a copy, and the payload's
        buffer released (a bytearray may be resized again)."""
        if self.stable:
            return 0
        data = PyBytes_FromStringAndSize(<const char *>self.ptr, <Py_ssize_t>self.length)
        PyBuffer_Release(&self.view)
        self.has_view = False
        self.keep.release()
        self.keep = data
        self.ptr = <const unsigned char *>PyBytes_AS_STRING(data)
        self.stable = True
        return 0

    cdef bytes head(self, size_t n):
        """The first n bytes (all, if fewer), as bytes."""
        if n > self.length:
            n = self.length
        return PyBytes_FromStringAndSize(<const char *>self.ptr, <Py_ssize_t>n)


cdef inline object _options(topic, qos, limit):
    """The checked limit (smartrest._limits.check_options), quickly for the
    usual options."""
    if ((limit is None or (type(limit) is int and limit >= 0))
            and type(qos) is int and 0 <= qos <= 2):
        if topic is not None:
            check_topic(topic)
        return limit
    return check_options(topic, qos, limit)


cdef inline bint _at_most(size_t n, object limit):
    """n <= limit, for a non-negative int limit (in C when it fits)."""
    cdef unsigned long long lim
    if type(limit) is int:
        try:
            lim = limit
        except OverflowError:  # past 2**64: nothing is that large
            return True
        return n <= lim
    return n <= limit


cdef int _check_size(_Buffer b, topic, qos, limit) except -1:
    """Raise PayloadTooLarge like decode (the options are checked)."""
    if limit is None:
        return 0
    if topic is None:
        if b.length <= 2**62 and _at_most(b.length + 2, limit):
            return 0
    elif b.length <= 268435455 and packet_size(topic, b.length, qos) <= limit:
        return 0
    check_payload_size(b.length, b.head(limit if limit < b.length else b.length), topic,
                       qos, limit, _count_rows)
    return 0


def decode(payload, *, topic=None, qos=0, limit=LIMIT, strict=False):
    cdef _Buffer b = _Buffer(payload)
    cdef sr_tokenizer t
    cdef RowBuilder rb
    cdef Scratch scratch
    cdef list rows = []
    limit = _options(topic, qos, limit)
    _check_size(b, topic, qos, limit)
    b.own()
    sr_init(&t, 1 if strict else 0, 0)
    rb.items = NULL
    rb.n = rb.cap = 0
    scratch.data = NULL
    scratch.cap = 0
    try:
        _run(&t, b.ptr, b.length, 1, rows, &rb, &scratch)
    finally:
        _rb_free(&rb)
        free(scratch.data)
    return rows


cdef class Decoder:
    # The same text as smartrest._pure.Decoder (a test compares them): the
    # docstring of an extension type cannot be set at run time.
    """Incremental decoder for a stream of SmartREST rows.

    Bytes go in with :meth:`feed` in chunks of any size, split anywhere
    (inside a field, a quote, a CRLF or a UTF-8 character); each call
    returns the rows it completes, and :meth:`close` returns the last row if
    it lacks its LF.  The rows are those :func:`smartrest.decode` gives for
    the whole stream; error offsets count from the start of the stream.

    Errors are final: once :meth:`feed` or :meth:`close` has raised a
    :class:`smartrest.SmartRestError` (or ``MemoryError``), the decoder is
    failed and every later call of either raises an equal error again (same
    class, message and attributes).  A chunk of the wrong type
    (``TypeError``) changes nothing.

    A decoder is one stream: it must not be used by two threads at once,
    nor re-entered (from a garbage-collector callback, say) while one of
    its calls runs.  Such a call raises ``RuntimeError`` and changes
    nothing; the call that was running is not disturbed.

    Args:
        limit: the longest row allowed, in bytes, so that memory stays
            bounded; ``None`` allows any length.  Defaults to
            :data:`smartrest.LIMIT`.
        strict: as for :func:`smartrest.decode`.

    Raises:
        ValueError: ``limit`` is less than 1.
        TypeError: ``limit`` is not an int or ``None``.
    """
    cdef sr_tokenizer t
    cdef RowBuilder rb
    cdef Scratch scratch
    cdef unsigned char *buf
    cdef size_t length
    cdef size_t cap
    cdef bint closed
    # Set while a call runs (checked and set with the GIL held, with no
    # Python code in between): a second thread or a re-entered call gets
    # RuntimeError instead of a share of this state.
    cdef bint busy
    # The error that failed the decoder: raised again by every later call.
    # The tokenizer then refers to a buffer that is gone; nothing reads it.
    cdef object _error
    cdef object _limit

    def __cinit__(self, *, limit=LIMIT, strict=False):
        limit = check_limit(limit)
        if limit is not None and limit < 1:
            raise ValueError("limit must be positive or None")
        sr_init(&self.t, 1 if strict else 0,
                0 if limit is None else (<uint64_t>limit if limit < 2**64 else <uint64_t>-1))
        self._limit = limit

    def __dealloc__(self):
        _rb_free(&self.rb)
        free(self.scratch.data)
        free(self.buf)

    cdef int _enter(self) except -1:
        if self.busy:
            raise RuntimeError(DECODER_IN_USE)
        if self._error is not None:
            raise raised_again(self._error)
        self.busy = True
        return 0

    cdef int _keep_tail(self, const unsigned char *src, size_t n) except -1:
        """Keep the unfinished part of src[0..n) (src may be self.buf)."""
        cdef size_t keep = sr_keep_from(&self.t)
        cdef size_t rest = n - keep
        cdef unsigned char *grown
        if sr_check_pending(&self.t, n) == SR_ERROR:
            raise _error(&self.t)
        if rest > self.cap:
            grown = <unsigned char *>realloc(self.buf, rest)
            if grown == NULL:
                raise MemoryError()
            self.buf = grown
            self.cap = rest
        if rest:
            memmove(self.buf, src + keep, rest)
        self.length = rest
        sr_rebase(&self.t, keep)
        return 0

    def feed(self, data):
        cdef _Buffer b
        cdef list rows = []
        cdef size_t need, n
        cdef const unsigned char *src
        cdef unsigned char *grown
        self._enter()
        try:
            if self.closed:
                raise ValueError("feed() after close()")
            b = _Buffer(data)
            b.own()
            if self.length == 0:  # nothing kept: tokenize the chunk where it is
                src = b.ptr
                n = b.length
            else:
                need = self.length + b.length
                if need > self.cap:
                    grown = <unsigned char *>realloc(self.buf, need)
                    if grown == NULL:
                        raise MemoryError()  # nothing changed yet
                    self.buf = grown
                    self.cap = need
                memcpy(self.buf + self.length, b.ptr, b.length)
                self.length = need
                src = self.buf
                n = self.length
            try:
                _run(&self.t, src, n, 0, rows, &self.rb, &self.scratch)
                self._keep_tail(src, n)
            except (SmartRestError, MemoryError) as exc:
                self._error = exc
                raise
            return rows
        finally:
            self.busy = False

    def close(self):
        cdef list rows = []
        self._enter()
        try:
            if self.closed:
                return rows
            self.closed = True
            try:
                _run(&self.t, self.buf, self.length, 1, rows, &self.rb, &self.scratch)
            except (SmartRestError, MemoryError) as exc:
                self._error = exc
                raise
            self.length = 0
            return rows
        finally:
            self.busy = False


# ------------------------------------------------------------ encoding

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


# ------------------------------------------------------------ columnar access

cdef extern from "smartrest.h":
    enum:
        SR_NUM_OK
        SR_NUM_SLOW
        SR_NUM_BAD
        SR_NUM_RANGE
    int sr_parse_double(const unsigned char *s, size_t n, double *out) nogil
    int sr_parse_int64(const unsigned char *s, size_t n, int64_t *out) nogil

from smartrest.errors import InvalidNumber


cdef struct FieldBuf:
    sr_field *f
    size_t n
    size_t cap


cdef int _index_all(sr_tokenizer *t, const unsigned char *buf, size_t length,
                    FieldBuf *fb) noexcept nogil:
    """Tokenize a whole payload into fb.  SR_DONE, SR_ERROR, or -1 (no memory)."""
    cdef size_t nf, cap
    cdef int rc
    while True:
        if fb.cap - fb.n < 256:
            # SmartREST fields average well over 8 bytes: start there, so a
            # large buffer rarely needs to grow (and copy) the array.
            cap = fb.cap * 2 if fb.cap else 1024 + (length - t.pos) // 8
            if _resize(<void **>&fb.f, cap * sizeof(sr_field)):
                return -1
            fb.cap = cap
        rc = sr_tokenize(t, buf, length, 1, fb.f + fb.n, fb.cap - fb.n, &nf)
        fb.n += nf
        if rc != SR_FULL:
            return rc


cdef object _np = None


cdef object _numpy():
    global _np
    if _np is None:
        try:
            import numpy
        except ImportError:
            raise ImportError(
                "smartrest.tokenize needs numpy: pip install 'smartrest[numpy]'") from None
        _np = numpy
    return _np


cdef class Tokens:
    """Row and field boundaries of a payload, as numpy arrays.

    No Python object is made per field until one is asked for.  Field ``k``
    is ``data[starts[k]:ends[k]]`` (UTF-8); the fields of row ``r`` are
    ``row_starts[r]`` up to ``row_starts[r + 1]``.  ``data`` is the payload
    itself when its bytes cannot change (``bytes``, a memoryview of
    ``bytes``), else a copy taken before the scan; when quoted fields held
    escape pairs or text after the closing quote, it is a copy followed by
    their unescaped values.  The arrays are read-only.

    A Tokens never changes once made, whatever happens to the payload it
    came from, so any number of threads may read one at the same time.

    Made by :func:`smartrest.tokenize`.
    """
    cdef readonly object data
    cdef _Buffer _buf
    cdef dict _origin  # field index -> payload offset, for unescaped fields
    cdef Py_ssize_t _nrows
    cdef Py_ssize_t _nfields
    # The arrays' memory: its owners, the numpy arrays over it (made when
    # first asked for), and plain pointers (row, to_rows and column read
    # the memory directly).
    cdef _Owned _ost, _oen, _ofl, _ors
    cdef object _starts, _ends, _flags, _row_starts
    cdef const int64_t *_st
    cdef const int64_t *_en
    cdef const int64_t *_rs
    cdef const unsigned char *_fl

    def __init__(self, *args, **kwargs):
        raise TypeError("Tokens are made by smartrest.tokenize()")

    def __len__(self):
        return self._nrows

    @property
    def starts(self):
        """Each field's first byte in ``data`` (int64, read-only)."""
        if self._starts is None:
            self._starts = _frombuffer(self._ost, _int64)
        return self._starts

    @property
    def ends(self):
        """Each field's end in ``data``, exclusive (int64, read-only)."""
        if self._ends is None:
            self._ends = _frombuffer(self._oen, _int64)
        return self._ends

    @property
    def flags(self):
        """Each field's flags: 1 quoted, 2 holds non-ASCII (uint8, read-only)."""
        if self._flags is None:
            self._flags = _frombuffer(self._ofl, _uint8)
        return self._flags

    @property
    def row_starts(self):
        """Index of each row's first field, and the field count at the end
        (int64, ``len(self) + 1`` items, read-only)."""
        if self._row_starts is None:
            self._row_starts = _frombuffer(self._ors, _int64)
        return self._row_starts

    @property
    def nfields(self):
        """Number of fields in all rows."""
        return self._nfields

    cdef object _field(self, Py_ssize_t k):
        cdef const int64_t *st = self._st
        cdef const int64_t *en = self._en
        cdef const unsigned char *fl = self._fl
        cdef PyObject *o = _make_str(self._buf.ptr + st[k], <size_t>(en[k] - st[k]),
                                     SR_F_HIGH if fl[k] & 2 else 0, NULL,
                                     self._buf.ptr + self._buf.length, 0)
        s = <object>o  # takes a reference of its own
        Py_DECREF(s)   # drop the one _make_str returned
        return s

    def row(self, Py_ssize_t i):
        """The fields of row ``i`` as a list of ``str``."""
        cdef const int64_t *rs = self._rs
        cdef Py_ssize_t k
        if i < 0:
            i += self._nrows
        if not 0 <= i < self._nrows:
            raise IndexError("row index out of range")
        return [self._field(k) for k in range(rs[i], rs[i + 1])]

    def to_rows(self):
        """All rows as lists of ``str`` (what :func:`smartrest.decode` gives)."""
        return [self.row(i) for i in range(self._nrows)]

    def _offset(self, Py_ssize_t k):
        """The payload offset of field k's first byte (its opening quote if
        quoted)."""
        cdef const int64_t *st = self._st
        if k in self._origin:
            return self._origin[k]
        return st[k] - 1 if self._fl[k] & 1 else st[k]

    def column(self, Py_ssize_t index, dtype=float, default=None):
        """Field ``index`` of every row as a numpy array, parsed in C.

        Args:
            index: 0-based field position (0 is the template ID).
            dtype: ``float`` (float64), ``int`` (int64) or ``str`` (an
                object array of ``str``).
            default: the value for rows without that field or with it
                empty; for ``float`` it defaults to NaN, for ``str`` to
                ``""``; for ``int`` such a row is an error unless given.

        A ``float`` field is ASCII text that Python's ``float()`` reads; an
        ``int`` field is ASCII digits with an optional sign, within int64.

        Raises:
            InvalidNumber: a field is not a number of that type.  The error
                names the row, the field and the byte offset in the payload
                of the field's first byte (its opening quote if quoted;
                ``None`` for a row that lacks the field).
            ValueError: an unknown ``dtype``, or a negative ``index``.
        """
        np = _numpy()
        cdef const int64_t *rs = self._rs
        cdef const int64_t *st = self._st
        cdef const int64_t *en = self._en
        cdef Py_ssize_t r, k, nrows = self._nrows
        cdef const unsigned char *base = self._buf.ptr
        cdef double[::1] fo
        cdef int64_t[::1] io
        cdef double dfill, dv
        cdef int64_t ifill = 0, iv
        cdef bint has_ifill = False
        cdef int rc
        if index < 0:
            raise ValueError("index must not be negative")
        if dtype is float:
            out = np.empty(nrows, dtype=np.float64)
            fo = out
            dfill = float("nan") if default is None else float(default)
            for r in range(nrows):
                k = rs[r] + index
                if k >= rs[r + 1] or en[k] == st[k]:
                    fo[r] = dfill
                    continue
                rc = sr_parse_double(base + st[k], <size_t>(en[k] - st[k]), &dv)
                if rc != SR_NUM_OK:
                    text = (<const char *>(base + st[k]))[:en[k] - st[k]]
                    try:
                        if not text.isascii():  # SmartREST numbers are ASCII
                            raise ValueError
                        dv = float(text)
                    except ValueError:
                        raise InvalidNumber(f"not a number: {text.decode('utf-8')!r}",
                                            self._offset(k), r, index) from None
                fo[r] = dv
            return out
        if dtype is int:
            out = np.empty(nrows, dtype=np.int64)
            io = out
            if default is not None:
                ifill = default
                has_ifill = True
            for r in range(nrows):
                k = rs[r] + index
                if k >= rs[r + 1] or en[k] == st[k]:
                    if not has_ifill:
                        raise InvalidNumber(
                            "missing or empty integer (pass default= to fill)",
                            self._offset(k) if k < rs[r + 1] else None, r, index)
                    io[r] = ifill
                    continue
                rc = sr_parse_int64(base + st[k], <size_t>(en[k] - st[k]), &iv)
                if rc != SR_NUM_OK:
                    text = (<const char *>(base + st[k]))[:en[k] - st[k]].decode("utf-8")
                    what = "outside the int64 range" if rc == SR_NUM_RANGE else "not an integer"
                    raise InvalidNumber(f"{what}: {text!r}", self._offset(k), r, index)
                io[r] = iv
            return out
        if dtype is str:
            fill = "" if default is None else default
            out = np.empty(nrows, dtype=object)
            for r in range(nrows):
                k = rs[r] + index
                out[r] = self._field(k) if k < rs[r + 1] else fill
            return out
        raise ValueError(f"dtype must be float, int or str, not {dtype!r}")


cdef struct Columns:
    # What tokenize fills without the GIL: growable C arrays that become the
    # numpy arrays of Tokens without a copy.
    int64_t *st          # field starts
    int64_t *en          # field ends
    unsigned char *fl    # field flags: 1 quoted, 2 non-ASCII
    size_t n             # fields
    size_t cap
    int64_t *rs          # row starts (field indexes), n rows + 1
    size_t nr            # rows
    unsigned char *x     # unescaped values, placed after the payload in data
    size_t xn
    size_t xcap
    size_t *oi           # unescaped fields: field index and payload offset
    size_t *oo
    size_t on
    size_t ocap


cdef void _columns_free(Columns *c) noexcept nogil:
    free(c.st)
    free(c.en)
    free(c.fl)
    free(c.rs)
    free(c.x)
    free(c.oi)
    free(c.oo)


cdef int _columns_reserve(Columns *c, size_t more) noexcept nogil:
    """Room for `more` further fields (and rows).  0, or -1 without memory."""
    cdef size_t cap = c.cap if c.cap else more
    if c.n + more <= c.cap:
        return 0
    while cap < c.n + more:
        cap *= 2
    if (_resize(<void **>&c.st, cap * sizeof(int64_t))
            or _resize(<void **>&c.en, cap * sizeof(int64_t))
            or _resize(<void **>&c.fl, cap)
            or _resize(<void **>&c.rs, (cap + 1) * sizeof(int64_t))):
        return -1
    c.cap = cap
    return 0


cdef int _columns_unescaped(Columns *c, size_t k, size_t offset, size_t room) noexcept nogil:
    """Record field k as unescaped (from payload offset) with room bytes."""
    cdef size_t cap
    if c.xn + room > c.xcap:
        cap = c.xcap * 2 if c.xcap else 256
        while cap < c.xn + room:
            cap *= 2
        if _resize(<void **>&c.x, cap):
            return -1
        c.xcap = cap
    if c.on == c.ocap:
        cap = c.ocap * 2 if c.ocap else 16
        if _resize(<void **>&c.oi, cap * sizeof(size_t)) or _resize(<void **>&c.oo, cap * sizeof(size_t)):
            return -1
        c.ocap = cap
    c.oi[c.on] = k
    c.oo[c.on] = offset
    c.on += 1
    return 0


cdef int _tokenize_columns(sr_tokenizer *t, const unsigned char *buf, size_t length,
                           Columns *c) noexcept nogil:
    """Tokenize a whole payload into c, a chunk of fields at a time (the chunk
    stays in the first-level cache).  SR_DONE, SR_ERROR, or -1 (no memory)."""
    cdef sr_field f[FIELDS_PER_CALL]
    cdef size_t nf, i, k, u
    cdef int rc
    while True:
        rc = sr_tokenize(t, buf, length, 1, f, FIELDS_PER_CALL, &nf)
        if rc == SR_ERROR:
            return rc
        if _columns_reserve(c, nf) == -1:
            return -1
        i = 0
        while i < nf:
            i += sr_columns(f + i, nf - i, c.n + i, c.st + c.n + i, c.en + c.n + i,
                            c.fl + c.n + i, c.rs, &c.nr)
            if f[i - 1].flags & SR_F_UNESCAPE:
                # A quoted field with escape pairs or text after its quote:
                # its value goes after the payload in data.
                k = c.n + i - 1
                if _columns_unescaped(c, k, f[i - 1].start, f[i - 1].len) == -1:
                    return -1
                u = sr_unescape(buf + f[i - 1].start, f[i - 1].len, c.x + c.xn)
                c.st[k] = <int64_t>(length + c.xn)
                c.en[k] = <int64_t>(length + c.xn + u)
                c.xn += u
        c.n += nf
        if rc != SR_FULL:
            return rc


cdef class _Owned:
    """A block of C memory (malloc) lent to numpy without a copy; freed with
    the last array that uses it."""
    cdef void *ptr
    cdef Py_ssize_t nbytes

    def __getbuffer__(self, Py_buffer *view, int flags):
        # Read-only: Tokens reads these offsets without checking them again.
        PyBuffer_FillInfo(view, self, self.ptr, self.nbytes, 1, flags)

    def __releasebuffer__(self, Py_buffer *view):
        pass

    def __dealloc__(self):
        free(self.ptr)


cdef object _frombuffer = None
cdef object _int64 = None
cdef object _uint8 = None


cdef _Owned _own(void **ptr, size_t count, size_t itemsize, const void **at):
    """An _Owned over the first `count` items of *ptr, which it now owns
    (*ptr becomes NULL); *at is where the items ended up."""
    cdef _Owned owner = _Owned.__new__(_Owned)
    cdef void *p = realloc(ptr[0], count * itemsize if count else 1)  # give back the spare room
    if p != NULL:
        ptr[0] = p
    owner.ptr = ptr[0]
    owner.nbytes = <Py_ssize_t>(count * itemsize)
    ptr[0] = NULL
    at[0] = owner.ptr
    return owner


def tokenize(payload, *, strict=False):
    np = _numpy()
    cdef _Buffer b = _Buffer(payload)
    cdef sr_tokenizer t
    cdef Columns c
    cdef int rc
    cdef size_t i
    cdef unsigned char *dst
    cdef Tokens tok = Tokens.__new__(Tokens)
    b.own()  # Tokens keeps these bytes: they must not change
    global _frombuffer, _int64, _uint8
    if _frombuffer is None:
        _int64 = np.dtype(np.int64)
        _uint8 = np.dtype(np.uint8)
        _frombuffer = np.frombuffer
    memset(&c, 0, sizeof(c))
    sr_init(&t, 1 if strict else 0, 0)
    try:
        # SmartREST fields average well over 8 bytes: start there, so that a
        # large payload rarely grows (and copies) the arrays.
        if _columns_reserve(&c, 64 + b.length // 8) == -1:
            raise MemoryError()
        c.rs[0] = 0
        with nogil:
            rc = _tokenize_columns(&t, b.ptr, b.length, &c)
        if rc == -1:
            raise MemoryError()
        if rc == SR_ERROR:
            raise _error(&t)
        tok._origin = {}
        for i in range(c.on):
            tok._origin[c.oi[i]] = c.oo[i]
        if c.xn:
            data = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>(b.length + c.xn))
            dst = <unsigned char *>PyBytes_AS_STRING(data)
            memcpy(dst, b.ptr, b.length)
            memcpy(dst + b.length, c.x, c.xn)
            tok._buf = _Buffer(data)
            tok.data = data
        else:
            tok._buf = b
            tok.data = b.keep
        tok._nrows = <Py_ssize_t>c.nr
        tok._nfields = <Py_ssize_t>c.n
        tok._ost = _own(<void **>&c.st, c.n, sizeof(int64_t), <const void **>&tok._st)
        tok._oen = _own(<void **>&c.en, c.n, sizeof(int64_t), <const void **>&tok._en)
        tok._ofl = _own(<void **>&c.fl, c.n, 1, <const void **>&tok._fl)
        tok._ors = _own(<void **>&c.rs, c.nr + 1, sizeof(int64_t), <const void **>&tok._rs)
        return tok
    finally:
        _columns_free(&c)


# ------------------------------------------------------------ many payloads

def decode_batch(payloads, *, topic=None, qos=0, limit=LIMIT, strict=False):
    # A payload that cannot be read or is too large stops the batch there:
    # its error is raised after those of the payloads before it, so the
    # first problem in order is reported, as the reference does.
    # Payloads are taken one at a time, as the reference decodes them: read,
    # checked for size and copied if they may change before the next one is
    # asked for.  The first that fails stops the batch; its error is raised
    # after the scan of those before it (whose own errors come first).
    cdef list bufs = []
    cdef object stop = None
    cdef _Buffer pb
    limit = _options(topic, qos, limit)
    it = iter(payloads)
    while True:
        try:
            p = next(it)
        except StopIteration:
            break
        except Exception as exc:
            stop = exc
            break
        try:
            pb = _Buffer(p)
            _check_size(pb, topic, qos, limit)
            pb.own()
        except Exception as exc:
            if isinstance(exc, SmartRestError):
                exc.payload_index = len(bufs)
            stop = exc
            break
        bufs.append(pb)
    cdef Py_ssize_t count = len(bufs), scan = count, j
    # One field array for the whole batch: payload j owns fields
    # first[j] .. first[j + 1] - 1.
    cdef FieldBuf fb
    cdef size_t *first = <size_t *>calloc(count + 1, sizeof(size_t))
    cdef sr_tokenizer *toks = <sr_tokenizer *>calloc(count if count else 1, sizeof(sr_tokenizer))
    cdef int *rcs = <int *>calloc(count if count else 1, sizeof(int))
    cdef const unsigned char **ptrs = <const unsigned char **>calloc(count if count else 1, sizeof(void *))
    cdef size_t *lens = <size_t *>calloc(count if count else 1, sizeof(size_t))
    cdef _Buffer b
    cdef list out = []
    cdef list rows
    cdef RowBuilder rb
    cdef Scratch scratch
    cdef size_t i
    cdef PyObject *o
    rb.items = NULL
    rb.n = rb.cap = 0
    scratch.data = NULL
    scratch.cap = 0
    fb.f = NULL
    fb.n = fb.cap = 0
    try:
        if first == NULL or toks == NULL or rcs == NULL or ptrs == NULL or lens == NULL:
            raise MemoryError()
        for j in range(count):
            b = bufs[j]
            ptrs[j] = b.ptr
            lens[j] = b.length
            sr_init(&toks[j], 1 if strict else 0, 0)
        with nogil:
            for j in range(scan):
                first[j] = fb.n
                rcs[j] = _index_all(&toks[j], ptrs[j], lens[j], &fb)
                first[j + 1] = fb.n
                if rcs[j] != SR_DONE:
                    break
        for j in range(scan):
            if rcs[j] == -1:
                raise MemoryError()
            if rcs[j] == SR_ERROR:
                exc = _error(&toks[j])
                exc.payload_index = j
                raise exc
            rows = []
            for i in range(first[j], first[j + 1]):
                o = _make_str(ptrs[j] + fb.f[i].start, fb.f[i].len, fb.f[i].flags,
                              &scratch, ptrs[j] + lens[j], rb.n)
                _rb_push(&rb, o)
                if fb.f[i].flags & SR_F_ROW_END:
                    o = _rb_take(&rb)
                    try:
                        PyList_Append(rows, o)
                    finally:
                        Py_DECREF(<object>o)
            out.append(rows)
        if stop is not None:
            raise stop
        return out
    finally:
        _rb_free(&rb)
        free(scratch.data)
        free(fb.f)
        free(first)
        free(toks)
        free(rcs)
        free(ptrs)
        free(lens)


# ------------------------------------------------------------ documentation

from smartrest import _columnar, _pure

for _function, _reference in (
    (decode, _pure.decode),
    (encode, _pure.encode),
    (encode_row, _pure.encode_row),
    (Decoder.feed, _pure.Decoder.feed),
    (Decoder.close, _pure.Decoder.close),
    (tokenize, _columnar.tokenize),
    (decode_batch, _columnar.decode_batch),
):
    _function.__doc__ = _reference.__doc__
del _function, _reference
