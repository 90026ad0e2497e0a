# tokenize and Tokens: the field and row boundaries of a payload in C
# arrays, tokenized without the GIL and lent to numpy without a copy
# (_Owned); Tokens.column parses a column of numbers in C.

from cpython.buffer cimport PyBuffer_FillInfo
from cpython.bytes cimport PyBytes_AS_STRING
from cpython.ref cimport PyObject, Py_DECREF
from libc.stdint cimport int64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, memset

from smartrest._capi cimport PyBytes_FromStringAndSize
from smartrest._csmartrest cimport (SR_ERROR, SR_F_HIGH, SR_F_UNESCAPE, SR_FULL, SR_NUM_OK,
                                    SR_NUM_RANGE, sr_columns, sr_field, sr_init,
                                    sr_parse_double, sr_parse_int64, sr_tokenize,
                                    sr_tokenizer, sr_unescape)

from smartrest.errors import InvalidNumber

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
