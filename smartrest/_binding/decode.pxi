# decode (one payload) and Decoder (a stream fed in chunks; it keeps the
# unfinished tail between calls).

from libc.stdint cimport uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, memmove

from smartrest._csmartrest cimport (SR_ERROR, sr_check_pending, sr_init, sr_keep_from,
                                    sr_rebase, sr_tokenizer)

from smartrest._limits import LIMIT, check_limit
from smartrest.errors import DECODER_IN_USE, SmartRestError, raised_again

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
