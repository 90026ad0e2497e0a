# decode_batch: many payloads read and size-checked one at a time, all
# tokenized into one field array without the GIL, then made into rows.

from cpython.ref cimport PyObject, Py_DECREF
from libc.stdlib cimport calloc, free

from smartrest._capi cimport PyList_Append
from smartrest._csmartrest cimport (SR_DONE, SR_ERROR, SR_F_ROW_END, SR_FULL, sr_field,
                                    sr_init, sr_tokenize, sr_tokenizer)

from smartrest._limits import LIMIT
from smartrest.errors import SmartRestError

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
