# The bytes of a payload (_Buffer: bytes read in place, str as its UTF-8,
# other buffers copied when they may change) and the checks of the options
# and of the payload's size that decode and decode_batch run first.

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_Check, PyBytes_CheckExact, PyBytes_GET_SIZE

from smartrest._capi cimport PyBytes_FromStringAndSize

from smartrest._limits import check_options, check_payload_size, check_topic, packet_size
from smartrest._payload import count_rows as _count_rows, is_stable, payload_view

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
