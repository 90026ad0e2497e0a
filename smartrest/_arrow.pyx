# cython: language_level=3
"""The C tables of :mod:`smartrest.arrow` (csrc/table.c).

:func:`decode` runs ``sr_table_run`` over the payloads, without the GIL, on
one or more threads, and hands the buffers it fills to pyarrow without a
copy (each buffer keeps its set of tables alive).  The payloads it leaves
are returned for the template layer to read.
"""

from concurrent.futures import ThreadPoolExecutor

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdint cimport int16_t, int32_t, int64_t, uintptr_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset

import pyarrow as pa

from smartrest._csmartrest cimport (SR_MAX_POSITIONS, SR_TYPE_BOOLEAN, SR_TYPE_DATE,
                                    SR_TYPE_INTEGER, SR_TYPE_NUMBER, sr_spec)

from smartrest import topics as _topics
from smartrest._limits import LIMIT, max_payload
from smartrest.arrow import schema as _schema
from smartrest.errors import SmartRestError
from smartrest.templates import BOOLEAN, DATE, INTEGER, NUMBER, TEMPLATES as _STATIC

cdef extern from "smartrest.h":
    enum:
        SR_COL_STRING
        SR_COL_NUMBER
        SR_COL_INTEGER
        SR_COL_BOOLEAN
        SR_COL_DATE
        SR_COL_DICT
        SR_TABLE_MAX_VALUES

    ctypedef struct sr_buf:
        unsigned char *p
        size_t len
        size_t cap

    ctypedef struct sr_column:
        int type
        sr_buf valid
        sr_buf values
        sr_buf data
        sr_buf offsets
        size_t distinct

    ctypedef struct sr_table_template:
        const sr_spec *spec
        size_t ncols
        const int *types
        int serial_device

    ctypedef struct sr_table:
        size_t rows
        sr_buf message
        sr_buf row
        sr_column *cols
        sr_buf slow
        sr_buf slow_text

    ctypedef struct sr_payload:
        const unsigned char *ptr
        size_t len
        int registry
        size_t max_len
        const unsigned char *device
        size_t device_len

    ctypedef struct sr_table_set:
        sr_table *tables
        sr_buf slow_payloads

    void sr_table_set_init(sr_table_set *s, const sr_table_template *templates,
                           size_t ntemplates, const int16_t (*lookup)[1000]) nogil
    void sr_table_set_free(sr_table_set *s) nogil
    int64_t sr_table_run(sr_table_set *s, const sr_payload *payloads, int64_t first,
                         int64_t last) nogil
    int sr_table_export(sr_table_set *s, size_t k, ArrowArray *out) nogil
    size_t sr_table_pool(size_t limit, size_t *held) nogil
    size_t SR_TABLE_POOL_QUERY

cdef extern from "arrow_c.h":
    struct ArrowArray:
        void (*release)(ArrowArray *)


# ------------------------------------------------------------------ the templates

_KINDS = {NUMBER: SR_TYPE_NUMBER, INTEGER: SR_TYPE_INTEGER, BOOLEAN: SR_TYPE_BOOLEAN,
          DATE: SR_TYPE_DATE}
_COLUMNS = {NUMBER: SR_COL_NUMBER, INTEGER: SR_COL_INTEGER, BOOLEAN: SR_COL_BOOLEAN,
            DATE: SR_COL_DATE}


def _eligible(t):
    """Whether the C tables take template t: no group, no rest-of-row
    value, at most one one-of rule, positions within the spec's arrays."""
    typed = [p for p in t.params if p.type in _KINDS]
    return (not t.blocks and not t.rest and len(t.one_of) <= 1 and
            len(t.params) < SR_TABLE_MAX_VALUES and len(t.required) <= SR_MAX_POSITIONS and
            len(typed) <= SR_MAX_POSITIONS and
            all(len(g) <= SR_MAX_POSITIONS for g in t.one_of))


cdef sr_spec *_specs = NULL
cdef sr_table_template *_templates = NULL
cdef int **_types = NULL
cdef int16_t (*_lookup)[1000]
cdef size_t _count = 0

#: The templates the C tables take, by table key.
TEMPLATES = {}
_ORDER = []
_SCHEMAS = []


cdef void _load() except *:
    global _specs, _templates, _types, _lookup, _count
    chosen = [t for _, t in sorted(_STATIC.items()) if _eligible(t)]
    _count = len(chosen)
    _specs = <sr_spec *>calloc(_count, sizeof(sr_spec))
    _templates = <sr_table_template *>calloc(_count, sizeof(sr_table_template))
    _types = <int **>calloc(_count, sizeof(int *))
    _lookup = <int16_t (*)[1000]>calloc(3, sizeof(int16_t[1000]))
    if not (_specs and _templates and _types and _lookup):
        raise MemoryError()
    memset(_lookup, 0xFF, 3 * sizeof(int16_t[1000]))  # -1 everywhere
    cdef size_t k, i
    cdef sr_spec *s
    for k, t in enumerate(chosen):
        s = &_specs[k]
        s.has_serial = t.has_serial
        s.min_len = t.min_len
        s.fixed_len = t.fixed_len
        s.nreq = len(t.required)
        for i, p in enumerate(t.required):
            s.req[i] = p
        # NUMBER and DATE values are checked as table.c converts them.
        typed = [(i + 1, _KINDS[p.type]) for i, p in enumerate(t.params)
                 if p.type in _KINDS and p.type not in (NUMBER, DATE)]
        s.nchk = len(typed)
        for i, (p, kind) in enumerate(typed):
            s.chk_pos[i] = p
            s.chk_type[i] = kind
        if t.one_of:
            s.n_one_of = len(t.one_of[0])
            for i, p in enumerate(t.one_of[0]):
                s.one_of[i] = p
        s.width = 1
        _types[k] = <int *>calloc(len(t.params) + 1, sizeof(int))
        if _types[k] == NULL:
            raise MemoryError()
        for i, p in enumerate(t.params):
            _types[k][i] = (SR_COL_DICT if _schema.dictionary_encoded(p.name, p.type)
                            else _COLUMNS.get(p.type, SR_COL_STRING))
        _templates[k].spec = s
        _templates[k].ncols = len(t.params)
        _templates[k].types = _types[k]
        _templates[k].serial_device = t.has_serial
        _lookup[0][t.id] = <int16_t>k
        _lookup[1 if t.direction == "up" else 2][t.id] = <int16_t>k
        key = str(t.id)
        TEMPLATES[key] = t
        _ORDER.append(key)
        _SCHEMAS.append(_schema.schema(t))


_load()


# ------------------------------------------------------------------ sets of tables


cdef class _Set:
    """One sr_table_set; owns the buffers handed to pyarrow."""

    cdef sr_table_set s

    def __cinit__(self):
        sr_table_set_init(&self.s, _templates, _count, _lookup)

    def __dealloc__(self):
        sr_table_set_free(&self.s)


cdef class _Payloads:
    """The sr_payload array of one call, and what its pointers point into."""

    cdef sr_payload *p
    cdef int64_t n
    cdef object keep

    def __dealloc__(self):
        free(self.p)


cdef void _fix_numbers(sr_table *t) except *:
    """Write the correctly rounded value of each NUMBER the fast parser left."""
    cdef int64_t *e = <int64_t *>t.slow.p
    cdef size_t i, n = t.slow.len // (4 * sizeof(int64_t))
    cdef double d
    for i in range(n):
        text = (<char *>t.slow_text.p)[e[4 * i + 2]:e[4 * i + 2] + e[4 * i + 3]]
        d = float(text)
        memcpy((<double *>t.cols[e[4 * i]].values.p) + e[4 * i + 1], &d, sizeof(double))


cdef object _batches(_Set owner):
    """(key, first message, record batch) of every table of a set with rows,
    with the schema ``decode_tables`` gives (dictionary columns encoded).
    Each table goes to pyarrow through the Arrow C data interface: its
    buffers move into the batch, without a copy."""
    out = []
    cdef size_t k
    cdef sr_table *t
    cdef ArrowArray *array
    cdef int64_t first
    for k in range(_count):
        t = &owner.s.tables[k]
        if t.rows == 0:
            continue
        _fix_numbers(t)
        first = (<int64_t *>t.message.p)[0]
        array = <ArrowArray *>malloc(sizeof(ArrowArray))
        if array == NULL:
            raise MemoryError()
        try:
            if sr_table_export(&owner.s, k, array) != 0:
                array.release = NULL
                raise MemoryError()
            batch = pa.RecordBatch._import_from_c(<uintptr_t>array, _SCHEMAS[k])
        finally:
            if array.release != NULL:  # not taken by pyarrow
                array.release(array)
            free(array)
        out.append((_ORDER[k], first, batch))
    return out


def _run(_Payloads payloads, int64_t first, int64_t last):
    """Sets of tables for payloads[first:last] (several when one fills up)."""
    sets = []
    cdef _Set s
    cdef int64_t at = first
    while at < last:
        s = _Set()
        with nogil:
            at = sr_table_run(&s.s, payloads.p, at, last)
        if at < 0:
            raise MemoryError()
        sets.append(s)
    return sets


def _route(topic, is_custom):
    """(registry, size limit, device as UTF-8 or None) of a topic's payloads."""
    registry, device = -1, None
    limit = max_payload(topic, 0, LIMIT) if topic is None else -1
    if topic is None:
        registry = 0
    elif not is_custom:
        try:
            where = _topics.parse(topic)
            limit = max_payload(topic, 0, LIMIT)
        except SmartRestError:
            where = None
        if where is not None and where.kind == _topics.STATIC and limit >= 0:
            registry = 1 if where.direction == "up" else 2
            device = None if where.child is None else where.child.encode("utf-8")
    return registry, max(limit, 0), device


# Routes of the topics seen lately (a topic's route never changes).
_ROUTES = {}
_MAX_ROUTES = 4096


cdef _Payloads _payloads(chunks, items, topic_values, topic_of, custom):
    """The sr_payload array, with each topic's registry, size limit and device."""
    routes = []
    for key in zip(topic_values, custom):
        route = _ROUTES.get(key)
        if route is None:
            if len(_ROUTES) >= _MAX_ROUTES:
                _ROUTES.clear()
            route = _ROUTES[key] = _route(*key)
        routes.append(route)
    cdef _Payloads out = _Payloads()
    cdef int64_t n = len(topic_of), i = 0, j, m
    cdef sr_payload *p
    cdef const int32_t *o32
    cdef const int64_t *o64
    cdef const unsigned char *data
    cdef uintptr_t addr
    out.p = <sr_payload *>calloc(n if n else 1, sizeof(sr_payload))
    if out.p == NULL:
        raise MemoryError()
    out.n = n
    out.keep = (chunks, items, routes)
    if items is not None:
        for i, item in enumerate(items):
            out.p[i].ptr = <const unsigned char *>PyBytes_AS_STRING(item)
            out.p[i].len = PyBytes_GET_SIZE(item)
    else:
        i = 0
        for chunk in chunks:
            bufs = chunk.buffers()
            m = len(chunk)
            addr = bufs[2].address if bufs[2] is not None else 0
            data = <const unsigned char *>addr
            addr = bufs[1].address
            if chunk.type in (pa.binary(), pa.string()):
                o32 = (<const int32_t *>addr) + <int64_t>chunk.offset
                for j in range(m):
                    out.p[i + j].ptr = data + o32[j]
                    out.p[i + j].len = o32[j + 1] - o32[j]
            else:
                o64 = (<const int64_t *>addr) + <int64_t>chunk.offset
                for j in range(m):
                    out.p[i + j].ptr = data + o64[j]
                    out.p[i + j].len = <size_t>(o64[j + 1] - o64[j])
            i += m
    for i in range(n):
        registry, limit, device = routes[topic_of[i]]
        p = &out.p[i]
        p.registry = registry
        p.max_len = limit
        if device is not None:
            p.device = <const unsigned char *>PyBytes_AS_STRING(device)
            p.device_len = PyBytes_GET_SIZE(device)
    return out


def decode(chunks, items, topic_values, topic_of, custom, int threads):
    """Run the C tables over the payloads (Arrow ``chunks``, or bytes
    ``items``); ``topic_of[i]`` indexes ``topic_values`` and ``custom``
    (whether that topic goes to a collection).

    Returns ``(slow, pieces)``: the indexes of the payloads left to the
    template layer (ascending), and for each table key a list of (first
    message, record batch) in payload order, with the schema of
    ``smartrest.arrow.schema.schema`` (each batch its own dictionaries).

    Raises:
        MemoryError: no memory for the tables.
    """
    cdef _Payloads p = _payloads(chunks, items, topic_values, topic_of, custom)
    n = p.n
    threads = max(1, min(threads, n))
    bounds = [n * i // threads for i in range(threads + 1)]
    if threads == 1:
        runs = [_run(p, 0, n)]
    else:
        with ThreadPoolExecutor(threads) as pool:
            runs = list(pool.map(_run, [p] * threads, bounds[:threads], bounds[1:]))
    slow = []
    pieces = {}
    cdef _Set s
    cdef int64_t *sp
    for sets in runs:
        for s in sets:
            sp = <int64_t *>s.s.slow_payloads.p
            slow += [sp[i] for i in range(s.s.slow_payloads.len // sizeof(int64_t))]
            for key, first, batch in _batches(s):
                pieces.setdefault(key, []).append((first, batch))
    return slow, pieces


def pool(limit):
    """The C core's pool of output blocks: sets its limit (bytes) unless
    limit is None, and returns (limit, bytes held) after the call."""
    cdef size_t held = 0
    cdef size_t lim, new
    # Without the GIL: the lock may wait for a thread of a run.
    if limit is not None:
        new = limit
        with nogil:
            sr_table_pool(new, &held)
    with nogil:
        lim = sr_table_pool(SR_TABLE_POOL_QUERY, &held)
    return lim, held
