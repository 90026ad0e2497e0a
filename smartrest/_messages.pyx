# cython: language_level=3
"""C fast path of :func:`smartrest.templates.decode_messages`.

``templates.py`` turns each template of a registry into a :class:`Spec`
(lengths, positions of mandatory values, positions and types of typed
values, the layout of a plain repeating group) once, when it is imported.
:func:`messages` then checks decoded rows against these tables and makes
the :class:`~smartrest.templates.Message` objects, all in C.  The rules
are C (``csrc/check.c``, declared in ``csrc/smartrest.h``): a :class:`Spec`
holds an ``sr_spec``, and a row goes to ``sr_check_row`` as the UTF-8 bytes
of its values.  This module only reads the rows and makes the objects.

The checks accept exactly the rows that ``templates._check`` accepts.  What
this module does not handle itself goes to a Python callback that runs the
full Python check: a message ID missing from the table (the ``s/e`` line),
templates with section markers, a rest-of-row value or more positions than a
``Spec`` holds, a typed value with a non-ASCII character (the type patterns
are Python regular expressions; on ASCII text the C checks here give the same
answer), a row or value of an unexpected type.  Which error a bad row raises
is always decided by the Python code.
"""

from cpython.dict cimport PyDict_GetItem
from cpython.exc cimport PyErr_Clear
from cpython.list cimport (PyList_CheckExact, PyList_GET_ITEM, PyList_GET_SIZE, PyList_New,
                          PyList_SET_ITEM)
from cpython.object cimport Py_TYPE, PyObject, PyTypeObject
from cpython.ref cimport Py_INCREF
from cpython.unicode cimport PyUnicode_1BYTE_DATA, PyUnicode_CheckExact, PyUnicode_GET_LENGTH
from libc.stdlib cimport free, malloc

from smartrest._capi cimport (PyMemberDescr_Type, PyMemberDescrObject, PyTypeAlloc,
                              PyUnicode_IS_ASCII, PyUnicode_IS_COMPACT_ASCII, READONLY,
                              T_OBJECT_EX, sr_unicode_ready, steal)
from smartrest._csmartrest cimport (SR_CHECK_PASS, SR_CHECK_FAIL, SR_CHECK_SLOW,
                                    SR_MAX_POSITIONS, SR_TYPE_BOOLEAN, SR_TYPE_DATE,
                                    SR_TYPE_INTEGER, SR_TYPE_NUMBER, sr_check_row,
                                    sr_check_value, sr_spec, sr_spec_reach, sr_value)

#: The type codes of ``kinds`` in :class:`Spec`.
NUMBER = SR_TYPE_NUMBER
INTEGER = SR_TYPE_INTEGER
BOOLEAN = SR_TYPE_BOOLEAN
DATE = SR_TYPE_DATE
#: The most positions of one kind a :class:`Spec` holds.
MAX_POSITIONS = SR_MAX_POSITIONS

# Rows of at most this many values are read into an array on the stack.
cdef enum:
    VALUES_ON_STACK = 64


cdef int _fill(size_t *out, object values) except -1:
    cdef int i = 0
    for v in values:
        out[i] = v
        i += 1
    return i


cdef class Spec:
    """The tables of one template that :func:`messages` checks a row with.

    Args:
        template: the ``Template`` given to the messages.
        has_serial: the device is the row's value 1.
        min_len, fixed_len: fewest values of a row, values of the fixed part
            (most values without a group), message ID included.
        required: positions of values that must be non-empty.
        checks: (position, type code) of the typed fixed values.
        one_of: positions of which at least one value must be non-empty
            (empty: no such rule).
        block: ``None``, or (width, min_items, min_last, required offsets,
            checks as (offset, type code)) of a plain repeating group.
        slow: every row goes to the Python check (section markers, a
            rest-of-row value...).  Set as well when a table is too long.

    Raises:
        ValueError: an unknown type code.
        OverflowError: a negative length, position or count.
    """

    cdef sr_spec c
    cdef size_t reach  # sr_check_row reads values up to this one (excluded)
    cdef readonly object template

    def __init__(self, template, *, bint has_serial, size_t min_len, size_t fixed_len,
                 required=(), checks=(), one_of=(), block=None, bint slow=False):
        self.template = template
        self.c.has_serial = has_serial
        self.c.min_len = min_len
        self.c.fixed_len = fixed_len
        required = tuple(required)
        checks = tuple(checks)
        one_of = tuple(one_of)
        if block is not None:
            width, min_items, min_last, breq, bchk = block
            breq = tuple(breq)
            bchk = tuple(bchk)
        else:
            width, min_items, min_last, breq, bchk = 1, 0, 0, (), ()
        if max(len(required), len(checks), len(one_of), len(breq), len(bchk)) > SR_MAX_POSITIONS \
                or width < 1:
            slow = True
        self.c.slow = slow
        if slow:
            return  # reach 0: no value is read
        self.c.nreq = _fill(self.c.req, required)
        self.c.nchk = _fill(self.c.chk_pos, [p for p, _ in checks])
        for i, (_, kind) in enumerate(checks):
            self.c.chk_type[i] = _kind(kind)
        self.c.n_one_of = _fill(self.c.one_of, one_of)
        self.c.block = block is not None
        self.c.width = width
        self.c.min_items = min_items
        self.c.min_last = min_last
        self.c.nbreq = _fill(self.c.breq, breq)
        self.c.nbchk = _fill(self.c.bchk_off, [p for p, _ in bchk])
        for i, (_, kind) in enumerate(bchk):
            self.c.bchk_type[i] = _kind(kind)
        self.reach = sr_spec_reach(&self.c)

    @property
    def slow(self):
        return bool(self.c.slow)


cdef int _kind(object kind) except -1:
    if kind not in (SR_TYPE_NUMBER, SR_TYPE_INTEGER, SR_TYPE_BOOLEAN, SR_TYPE_DATE):
        raise ValueError(f"unknown type code {kind!r}")
    return kind


cdef inline bint _read_value(PyObject *x, sr_value *v) noexcept:
    """v: the value of x for the C checks, or False when x is not an exact
    str.  An ASCII str is its own UTF-8; for any other str the bytes are not
    made (ptr NULL: a check of its syntax is then left to Python)."""
    if not PyUnicode_CheckExact(<object>x):
        return False
    if PyUnicode_IS_COMPACT_ASCII(<object>x):  # the usual case, quickly
        v.len = <size_t>PyUnicode_GET_LENGTH(<object>x)
        v.ptr = PyUnicode_1BYTE_DATA(<object>x)
        return True
    if sr_unicode_ready(<object>x) < 0:
        PyErr_Clear()
        return False
    v.len = <size_t>PyUnicode_GET_LENGTH(<object>x)
    v.ptr = PyUnicode_1BYTE_DATA(<object>x) if PyUnicode_IS_ASCII(<object>x) else NULL
    return True


cdef inline bint _read_row(PyObject *row, sr_value *v, Py_ssize_t n) noexcept:
    """v[0..n): the values of the list row, or False when one is not an exact str."""
    cdef Py_ssize_t i
    for i in range(n):
        if not _read_value(PyList_GET_ITEM(<object>row, i), &v[i]):
            return False
    return True


def check_value(int kind, str value):
    """The C check of one value: True, False, or None when Python must decide."""
    cdef sr_value v
    cdef int r = SR_CHECK_SLOW
    if _read_value(<PyObject *>value, &v):
        r = sr_check_value(_kind(kind), v.ptr, v.len)
    return None if r == SR_CHECK_SLOW else r == SR_CHECK_PASS


cdef Py_ssize_t _slot_offset(type cls, object descr):
    """Offset of a writable object slot (a __slots__ member) of cls, or -1."""
    cdef PyMemberDescrObject *d
    if Py_TYPE(descr) != &PyMemberDescr_Type:
        return -1
    d = <PyMemberDescrObject *>descr
    if d.d_type != <PyTypeObject *>cls:
        return -1
    if d.d_member.type != T_OBJECT_EX or d.d_member.flags & READONLY:
        return -1
    if (d.d_member.offset < <Py_ssize_t>sizeof(PyObject)
            or d.d_member.offset + <Py_ssize_t>sizeof(PyObject *)
            > (<PyTypeObject *>cls).tp_basicsize):
        return -1
    return d.d_member.offset


cdef PyObject *_alloc(PyTypeObject *tp) except NULL:
    """A new instance of tp, its slots NULL (tp_alloc; __init__ is not called)."""
    return (<PyTypeAlloc *>tp).tp_alloc(tp, 0)


cdef inline void _set_slot(PyObject *obj, Py_ssize_t offset, object value) noexcept:
    Py_INCREF(value)
    (<PyObject **>(<char *>obj + offset))[0] = <PyObject *>value


cdef class Builder:
    """Makes instances of a class with the ``__slots__`` template, _values,
    device and typed, without calling its ``__init__``.

    Raises:
        TypeError: the class does not have these four plain object slots.
    """

    cdef object cls
    cdef Py_ssize_t o_template, o_values, o_device, o_typed

    def __init__(self, cls):
        if not isinstance(cls, type):
            raise TypeError("a class is needed")
        offsets = []
        for name in ("template", "_values", "device", "typed"):
            descr = cls.__dict__.get(name)
            off = -1 if descr is None else _slot_offset(cls, descr)
            if off < 0:
                raise TypeError(f"{cls.__name__}.{name} is not a plain object slot")
            offsets.append(off)
        if len(set(offsets)) != 4:
            raise TypeError("slots share an offset")
        self.cls = cls
        self.o_template, self.o_values, self.o_device, self.o_typed = offsets

    def __call__(self, template, values, device, typed):
        return self._new(template, values, device, typed)

    cdef object _new(self, object template, object values, object device, object typed):
        cdef PyObject *obj = _alloc(<PyTypeObject *>self.cls)
        _set_slot(obj, self.o_template, template)
        _set_slot(obj, self.o_values, values)
        _set_slot(obj, self.o_device, device)
        _set_slot(obj, self.o_typed, typed)
        return steal(obj)


def messages(list rows not None, dict table not None, slow, where, device, typed,
             Builder builder not None):
    """The messages of decoded ``rows``, or the index of the first row that fails.

    Args:
        rows: the decoded rows.
        table: :class:`Spec` by message ID.
        slow: ``slow(row, where, typed)`` checks a row in Python and returns
            its message, or ``None`` when the row does not fit.
        where: passed to ``slow``.
        device: the device of messages whose template has no serial.
        typed: the messages' ``typed``.
        builder: makes the messages.

    Returns:
        A list of messages, one per row; or an ``int``, the index of the
        first row that does not fit its template (or has no template).

    Raises:
        MemoryError: no memory for the values of a long row.
    """
    cdef Py_ssize_t n = PyList_GET_SIZE(rows), i, m
    cdef size_t k
    cdef PyObject *row
    cdef PyObject *spec
    cdef PyObject *key
    cdef Spec s
    cdef int r
    cdef object out = PyList_New(n)
    cdef object msg
    cdef object dev
    cdef sr_value local[VALUES_ON_STACK]
    cdef sr_value *v
    cdef sr_value *heap = NULL
    cdef size_t heap_cap = 0
    try:
        for i in range(n):
            row = PyList_GET_ITEM(rows, i)
            spec = NULL
            r = SR_CHECK_SLOW
            if PyList_CheckExact(<object>row) and PyList_GET_SIZE(<object>row) > 0:
                key = PyList_GET_ITEM(<object>row, 0)
                if PyUnicode_CheckExact(<object>key):
                    spec = PyDict_GetItem(table, <object>key)
                    if spec != NULL and type(<object>spec) is Spec:
                        s = <Spec><object>spec
                        m = PyList_GET_SIZE(<object>row)
                        k = <size_t>m if <size_t>m < s.reach else s.reach  # the values read
                        v = local
                        if k > VALUES_ON_STACK:
                            if k > heap_cap:
                                free(heap)
                                heap = <sr_value *>malloc(k * sizeof(sr_value))
                                heap_cap = k if heap != NULL else 0
                                if heap == NULL:
                                    raise MemoryError()
                            v = heap
                        if _read_row(row, v, <Py_ssize_t>k):
                            r = sr_check_row(&s.c, v, <size_t>m)
            if r == SR_CHECK_PASS:
                if s.c.has_serial:
                    dev = <object>PyList_GET_ITEM(<object>row, 1)
                else:
                    dev = device
                msg = builder._new(s.template, <object>row, dev, typed)
            elif r == SR_CHECK_FAIL:
                return i
            else:
                msg = slow(<object>row, where, typed)
                if msg is None:
                    return i
            Py_INCREF(msg)
            PyList_SET_ITEM(out, i, msg)
        return out
    finally:
        free(heap)
