# _JsonLines: a stream of rows written straight to JSON lines (the jsonl
# output of `smartrest decode`), with no Python object per field.

from cpython.bytes cimport PyBytes_AS_STRING
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, memmove

from smartrest._capi cimport PyBytes_FromStringAndSize
from smartrest._csmartrest cimport (SR_DONE, SR_ERROR, SR_F_QUOTED, SR_F_ROW_END,
                                    SR_F_UNESCAPE, sr_check_pending, sr_field, sr_init,
                                    sr_keep_from, sr_rebase, sr_tokenize, sr_tokenizer,
                                    sr_unescape)

from smartrest._limits import check_limit

cdef extern from "jsonl.h":
    size_t SR_JSON_STRING_ROOM(size_t n) nogil
    size_t SR_JSON_UINT_ROOM
    size_t sr_json_string(const unsigned char *s, size_t n, unsigned char *dst) nogil
    size_t sr_json_uint(uint64_t v, unsigned char *dst) nogil


cdef class _JsonLines:
    """Rows of a stream, fed in chunks, as JSON lines: per row
    ``{"row": R, "offset": O, "template": ID, <extra>, "fields": [...]}``,
    each string as ``json.dumps(value, ensure_ascii=False)`` writes it.

    ``extra(template_id)`` gives, for a message ID (UTF-8 bytes), the JSON
    members to put after ``"template"`` (bytes, such as ``b'"name": null'``);
    it is called once per distinct ID.  Rows and errors are those of
    :class:`smartrest.Decoder` with the same ``limit`` and ``strict``.
    """
    cdef sr_tokenizer t
    cdef object tail       # bytes the tokenizer still needs
    cdef uint64_t base     # stream offset of tail[0]
    cdef uint64_t rows     # rows written
    cdef size_t in_row     # fields of the current row written so far
    cdef unsigned char *out
    cdef size_t n          # bytes in out (the current row's included)
    cdef size_t done       # bytes in out that end a row
    cdef size_t cap
    cdef unsigned char *value
    cdef size_t value_cap
    cdef dict extras
    cdef object extra

    def __cinit__(self, extra, *, limit, strict=False):
        limit = check_limit(limit)
        sr_init(&self.t, 1 if strict else 0, 0 if limit is None else <uint64_t>limit)
        self.tail = b""
        self.extras = {}
        self.extra = extra

    def __dealloc__(self):
        free(self.out)
        free(self.value)

    cdef int _room(self, size_t more) except -1:
        cdef size_t cap = self.cap if self.cap else 1 << 16
        cdef unsigned char *grown
        if self.n + more <= self.cap:
            return 0
        while cap < self.n + more:
            cap *= 2
        grown = <unsigned char *>realloc(self.out, cap)
        if grown == NULL:
            raise MemoryError()
        self.out = grown
        self.cap = cap
        return 0

    cdef int _put(self, const unsigned char *p, size_t n) except -1:
        self._room(n)
        memcpy(self.out + self.n, p, n)
        self.n += n
        return 0

    cdef int _string(self, const unsigned char *p, size_t n) except -1:
        self._room(SR_JSON_STRING_ROOM(n))
        self.n += sr_json_string(p, n, self.out + self.n)
        return 0

    cdef int _uint(self, uint64_t v) except -1:
        self._room(SR_JSON_UINT_ROOM)
        self.n += sr_json_uint(v, self.out + self.n)
        return 0

    cdef int _field(self, const unsigned char *buf, sr_field *f) except -1:
        cdef const unsigned char *p = buf + f.start
        cdef size_t n = f.len
        cdef unsigned char *grown
        cdef bytes members
        if f.flags & SR_F_UNESCAPE:
            if self.value_cap < n:
                grown = <unsigned char *>realloc(self.value, n)
                if grown == NULL:
                    raise MemoryError()
                self.value = grown
                self.value_cap = n
            n = sr_unescape(p, n, self.value)
            p = self.value
        if self.in_row == 0:
            key = (<const char *>p)[:n]
            members = self.extras.get(key)
            if members is None:
                members = self.extras[key] = bytes(self.extra(key))
            self._put(b'{"row": ', 8)
            self._uint(self.rows)
            self._put(b', "offset": ', 12)
            self._uint(self.base + f.start
                       - (1 if f.flags & (SR_F_QUOTED | SR_F_UNESCAPE) == SR_F_QUOTED else 0))
            self._put(b', "template": ', 14)
            self._string(p, n)
            self._put(b', ', 2)
            self._put(members, len(members))
            self._put(b', "fields": [', 13)
        else:
            self._put(b', ', 2)
        self._string(p, n)
        self.in_row += 1
        if f.flags & SR_F_ROW_END:
            self._put(b']}\n', 3)
            self.in_row = 0
            self.rows += 1
            self.done = self.n
        return 0

    cdef bytes _take(self):
        """The finished rows' lines, which leave the buffer."""
        cdef bytes lines = PyBytes_FromStringAndSize(<const char *>self.out, <Py_ssize_t>self.done)
        memmove(self.out, self.out + self.done, self.n - self.done)
        self.n -= self.done
        self.done = 0
        return lines

    def feed(self, bytes chunk, bint final=False):
        """Tokenize ``chunk`` (the stream's next bytes; the last call passes
        ``final``) and return ``(lines, error)``: the JSON lines of the rows
        it completes, and ``None`` or the :class:`smartrest.SmartRestError`
        of malformed input, after which the stream stops (the lines are
        those of the rows before the error).

        Raises:
            MemoryError: out of memory.
        """
        cdef bytes data = self.tail + chunk if self.tail else chunk
        cdef const unsigned char *buf = <const unsigned char *>PyBytes_AS_STRING(data)
        cdef size_t length = <size_t>len(data)
        cdef size_t nf, i, keep
        cdef sr_field fields[FIELDS_PER_CALL]
        cdef int rc
        while True:
            rc = sr_tokenize(&self.t, buf, length, 1 if final else 0, fields,
                             FIELDS_PER_CALL, &nf)
            if rc == SR_ERROR:
                return self._take(), _error(&self.t)
            for i in range(nf):
                self._field(buf, &fields[i])
            if rc == SR_DONE:
                break
        if final:
            self.tail = b""
            return self._take(), None
        if sr_check_pending(&self.t, length) == SR_ERROR:
            return self._take(), _error(&self.t)
        keep = sr_keep_from(&self.t)
        self.tail = data[keep:]
        self.base += keep
        sr_rebase(&self.t, keep)
        return self._take(), None
