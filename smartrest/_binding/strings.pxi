# Making the str of a field: unescaped if it needs it, ASCII copied with
# memcpy into a fresh str, UTF-8 decoded, and short values shared through a
# small cache of str objects.

from cpython.ref cimport PyObject, Py_INCREF, Py_XDECREF
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

from smartrest._capi cimport PyUnicode_DATA, PyUnicode_DecodeUTF8, PyUnicode_New
from smartrest._csmartrest cimport SR_F_HIGH, SR_F_UNESCAPE, sr_unescape

# Short ASCII fields repeat a lot (template IDs, serials, fragment and series
# names, units): a small direct-mapped cache hands out the same str object
# instead of allocating a new one.  Only touched with the GIL held.

cdef enum:
    CACHE_SIZE = 2048
    CACHE_MAX_LEN = 32
    CACHE_SHORT = 8
    CACHE_LEADING_FIELDS = 3

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
