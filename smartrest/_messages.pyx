# cython: language_level=3
"""C fast path of :func:`smartrest.templates.decode_messages`.

``templates.py`` turns each template of a registry into a :class:`Spec`
(lengths, positions of mandatory values, positions and types of typed
values, the layout of a plain repeating group) once, when it is imported.
:func:`messages` then checks decoded rows against these tables and makes
the :class:`~smartrest.templates.Message` objects, all in C.

The checks accept exactly the rows that ``templates._check`` accepts.  What
this module does not handle itself goes to a Python callback that runs the
full Python check: a message ID missing from the table (the ``s/e`` line),
templates with section markers, a rest-of-row value or more positions than a
``Spec`` holds, a typed value with a non-ASCII character (the type patterns
are Python regular expressions; on ASCII text the C checks here give the same
answer), a row or value of an unexpected type.  Which error a bad row raises
is always decided by the Python code.
"""

from cpython.ref cimport PyObject, Py_INCREF

cdef extern from *:
    """
    #include <structmember.h>

    #define SR_MAXP 16
    enum { SR_FAIL = 0, SR_PASS = 1, SR_SLOW = 2 };
    enum { SR_NUMBER = 1, SR_INTEGER = 2, SR_BOOLEAN = 3, SR_DATE = 4 };

    typedef struct {
        int slow;            /* every row goes to the Python check */
        int has_serial;      /* the device is the row's value 1 */
        Py_ssize_t min_len, fixed_len;
        int nreq;  Py_ssize_t req[SR_MAXP];
        int nchk;  Py_ssize_t chk_pos[SR_MAXP]; int chk_kind[SR_MAXP];
        int none;  Py_ssize_t one_of[SR_MAXP];
        int block; Py_ssize_t width, min_items, min_last;
        int nbreq; Py_ssize_t breq[SR_MAXP];
        int nbchk; Py_ssize_t bchk_off[SR_MAXP]; int bchk_kind[SR_MAXP];
    } sr_spec;

    #define SR_DIGIT(c) ((unsigned char)((c) - '0') < 10)

    /* [+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)? */
    static int sr_is_number(const unsigned char *s, Py_ssize_t n) {
        Py_ssize_t i = 0, d = 0, f = 0, e = 0;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        while (i < n && SR_DIGIT(s[i])) { i++; d++; }
        if (i < n && s[i] == '.') {
            i++;
            while (i < n && SR_DIGIT(s[i])) { i++; f++; }
        }
        if (d == 0 && f == 0) return 0;
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
            i++;
            if (i < n && (s[i] == '+' || s[i] == '-')) i++;
            while (i < n && SR_DIGIT(s[i])) { i++; e++; }
            if (e == 0) return 0;
        }
        return i == n;
    }

    /* [+-]?[0-9]+ */
    static int sr_is_integer(const unsigned char *s, Py_ssize_t n) {
        Py_ssize_t i = 0;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i == n) return 0;
        for (; i < n; i++)
            if (!SR_DIGIT(s[i])) return 0;
        return 1;
    }

    /* (?i:true|false) on ASCII text: an ASCII letter matches only itself
       in either case (c | 0x20 is the letter only for the letter's two cases) */
    static int sr_is_boolean(const unsigned char *s, Py_ssize_t n) {
        if (n == 4)
            return (s[0] | 0x20) == 't' && (s[1] | 0x20) == 'r' && (s[2] | 0x20) == 'u'
                && (s[3] | 0x20) == 'e';
        if (n == 5)
            return (s[0] | 0x20) == 'f' && (s[1] | 0x20) == 'a' && (s[2] | 0x20) == 'l'
                && (s[3] | 0x20) == 's' && (s[4] | 0x20) == 'e';
        return 0;
    }

    static int sr_d2(const unsigned char *s, int lo0, int hi0, int hi1_at_hi0) {
        /* two digits, the first in [lo0, hi0], the second at most 9, or at
           most hi1_at_hi0 when the first is hi0 */
        if (!SR_DIGIT(s[0]) || !SR_DIGIT(s[1])) return 0;
        int a = s[0] - '0', b = s[1] - '0';
        if (a < lo0 || a > hi0) return 0;
        if (a == hi0 && b > hi1_at_hi0) return 0;
        return 1;
    }

    /* ([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])
       T([01][0-9]|2[0-3]):([0-5][0-9])
       (?::([0-5][0-9]|60)(?:[.,]([0-9]{1,9}))?)?
       (Z|z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?) */
    static int sr_is_date(const unsigned char *s, Py_ssize_t n) {
        Py_ssize_t i;
        if (n < 17) return 0;
        if (!SR_DIGIT(s[0]) || !SR_DIGIT(s[1]) || !SR_DIGIT(s[2]) || !SR_DIGIT(s[3])) return 0;
        if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':') return 0;
        /* month 01-12 */
        if (!sr_d2(s + 5, 0, 1, 2) || (s[5] == '0' && s[6] == '0')) return 0;
        /* day 01-31 */
        if (!sr_d2(s + 8, 0, 3, 1) || (s[8] == '0' && s[9] == '0')) return 0;
        if (!sr_d2(s + 11, 0, 2, 3)) return 0;   /* hour 00-23 */
        if (!sr_d2(s + 14, 0, 5, 9)) return 0;   /* minute 00-59 */
        i = 16;
        if (s[i] == ':') {
            if (n - i < 3) return 0;
            if (!(sr_d2(s + i + 1, 0, 5, 9) || (s[i + 1] == '6' && s[i + 2] == '0'))) return 0;
            i += 3;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                Py_ssize_t f = 0;
                i++;
                while (i < n && SR_DIGIT(s[i])) { i++; f++; }
                if (f < 1 || f > 9) return 0;
            }
        }
        if (i >= n) return 0;
        if (s[i] == 'Z' || s[i] == 'z') return i + 1 == n;
        if (s[i] != '+' && s[i] != '-') return 0;
        i++;
        if (n - i < 2 || !sr_d2(s + i, 0, 2, 3)) return 0;
        i += 2;
        if (i == n) return 1;
        if (s[i] == ':') i++;
        return n - i == 2 && sr_d2(s + i, 0, 5, 9);
    }

    /* SR_PASS, SR_FAIL, or SR_SLOW when the Python check must decide. */
    static int sr_check_value(PyObject *v, int kind) {
        Py_ssize_t n;
        const unsigned char *s;
        if (!PyUnicode_CheckExact(v)) return SR_SLOW;
    #if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(v) < 0) { PyErr_Clear(); return SR_SLOW; }
    #endif
        n = PyUnicode_GET_LENGTH(v);
        if (n == 0) return SR_PASS;             /* empty values are not checked */
        if (!PyUnicode_IS_ASCII(v)) return SR_SLOW;
        s = PyUnicode_1BYTE_DATA(v);
        switch (kind) {
        case SR_NUMBER: return sr_is_number(s, n) ? SR_PASS : SR_FAIL;
        case SR_INTEGER: return sr_is_integer(s, n) ? SR_PASS : SR_FAIL;
        case SR_BOOLEAN: return sr_is_boolean(s, n) ? SR_PASS : SR_FAIL;
        case SR_DATE: return sr_is_date(s, n) ? SR_PASS : SR_FAIL;
        }
        return SR_SLOW;
    }

    /* 1 empty, 0 not, -1 not a str */
    static int sr_empty(PyObject *v) {
        if (!PyUnicode_CheckExact(v)) return -1;
    #if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(v) < 0) { PyErr_Clear(); return -1; }
    #endif
        return PyUnicode_GET_LENGTH(v) == 0;
    }

    /* The rules of templates._check, on a row that is an exact list. */
    static int sr_check_row(const sr_spec *t, PyObject *row) {
        Py_ssize_t n = PyList_GET_SIZE(row), i, p;
        PyObject **v = ((PyListObject *)row)->ob_item;
        int r;
        if (t->slow) return SR_SLOW;
        if (n < t->min_len) return SR_FAIL;
        if (!t->block && n > t->fixed_len) return SR_FAIL;
        if (t->has_serial && n < 2) return SR_SLOW;
        for (i = 0; i < t->nreq; i++) {
            p = t->req[i];
            if (p >= n) return SR_SLOW;        /* cannot happen: p < min_len <= n */
            r = sr_empty(v[p]);
            if (r) return r < 0 ? SR_SLOW : SR_FAIL;
        }
        for (i = 0; i < t->nchk; i++) {
            p = t->chk_pos[i];
            if (p < n) {
                r = sr_check_value(v[p], t->chk_kind[i]);
                if (r != SR_PASS) return r;
            }
        }
        if (t->none) {
            int found = 0;
            for (i = 0; i < t->none; i++) {
                p = t->one_of[i];
                if (p < n) {
                    r = sr_empty(v[p]);
                    if (r < 0) return SR_SLOW;
                    if (!r) { found = 1; break; }
                }
            }
            if (!found) return SR_FAIL;
        }
        if (t->block) {
            Py_ssize_t start = t->fixed_len < n ? t->fixed_len : n;
            Py_ssize_t count = n - start, part = count % t->width, base, j;
            if (count < t->min_items) return SR_FAIL;
            if (part && part < t->min_last) return SR_FAIL;
            for (base = start; base < n; base += t->width) {
                for (j = 0; j < t->nbreq; j++) {
                    p = base + t->breq[j];
                    if (p < n) {
                        r = sr_empty(v[p]);
                        if (r) return r < 0 ? SR_SLOW : SR_FAIL;
                    }
                }
                for (j = 0; j < t->nbchk; j++) {
                    p = base + t->bchk_off[j];
                    if (p < n) {
                        r = sr_check_value(v[p], t->bchk_kind[j]);
                        if (r != SR_PASS) return r;
                    }
                }
            }
        }
        return SR_PASS;
    }

    /* Offset of a writable object slot (a __slots__ member), or -1. */
    static Py_ssize_t sr_slot_offset(PyObject *type, PyObject *descr) {
        PyMemberDef *m;
        if (!PyType_Check(type) || Py_TYPE(descr) != &PyMemberDescr_Type) return -1;
        if (((PyDescrObject *)descr)->d_type != (PyTypeObject *)type) return -1;
        m = ((PyMemberDescrObject *)descr)->d_member;
        if (m->type != T_OBJECT_EX || (m->flags & READONLY)) return -1;
        if (m->offset < (Py_ssize_t)sizeof(PyObject)
            || m->offset + (Py_ssize_t)sizeof(PyObject *) > ((PyTypeObject *)type)->tp_basicsize)
            return -1;
        return m->offset;
    }

    static PyObject *sr_alloc(PyObject *type) {
        PyTypeObject *tp = (PyTypeObject *)type;
        return tp->tp_alloc(tp, 0);
    }

    static void sr_set_slot(PyObject *obj, Py_ssize_t offset, PyObject *value) {
        Py_INCREF(value);
        *(PyObject **)((char *)obj + offset) = value;
    }
    """
    enum:
        SR_MAXP
        SR_FAIL
        SR_PASS
        SR_SLOW
        SR_NUMBER
        SR_INTEGER
        SR_BOOLEAN
        SR_DATE

    ctypedef struct sr_spec:
        int slow
        int has_serial
        Py_ssize_t min_len, fixed_len
        int nreq
        Py_ssize_t req[16]
        int nchk
        Py_ssize_t chk_pos[16]
        int chk_kind[16]
        int none
        Py_ssize_t one_of[16]
        int block
        Py_ssize_t width, min_items, min_last
        int nbreq
        Py_ssize_t breq[16]
        int nbchk
        Py_ssize_t bchk_off[16]
        int bchk_kind[16]

    int sr_check_value(PyObject *v, int kind)
    int sr_check_row(const sr_spec *t, PyObject *row)
    Py_ssize_t sr_slot_offset(PyObject *type, PyObject *descr)
    PyObject *sr_alloc(PyObject *type) except NULL
    void sr_set_slot(PyObject *obj, Py_ssize_t offset, PyObject *value)

cdef extern from "Python.h":
    bint PyList_CheckExact(object o)
    Py_ssize_t PyList_GET_SIZE(object o)
    PyObject *PyList_GET_ITEM(object o, Py_ssize_t i)
    void PyList_SET_ITEM(object o, Py_ssize_t i, PyObject *v)
    object PyList_New(Py_ssize_t n)
    PyObject *PyDict_GetItem(object d, PyObject *key)
    bint PyDict_CheckExact(object o)
    bint PyUnicode_CheckExact(PyObject *o)
    object PyList_GetSlice(object o, Py_ssize_t lo, Py_ssize_t hi)


cdef extern from *:
    """
    static PyObject *sr_steal(PyObject *o) { return o; }
    """
    object _steal "sr_steal" (PyObject *o)


#: The type codes of ``kinds`` in :class:`Spec`.
NUMBER = SR_NUMBER
INTEGER = SR_INTEGER
BOOLEAN = SR_BOOLEAN
DATE = SR_DATE
#: The most positions of one kind a :class:`Spec` holds.
MAX_POSITIONS = SR_MAXP


cdef int _fill(Py_ssize_t *out, object values) except -1:
    cdef Py_ssize_t i = 0
    for v in values:
        out[i] = v
        i += 1
    return <int>i


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
    """

    cdef sr_spec c
    cdef readonly object template

    def __init__(self, template, *, bint has_serial, Py_ssize_t min_len, Py_ssize_t fixed_len,
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
        if max(len(required), len(checks), len(one_of), len(breq), len(bchk)) > SR_MAXP \
                or width < 1:
            slow = True
        self.c.slow = slow
        if slow:
            return
        self.c.nreq = _fill(self.c.req, required)
        self.c.nchk = _fill(self.c.chk_pos, [p for p, _ in checks])
        for i, (_, kind) in enumerate(checks):
            self.c.chk_kind[i] = _kind(kind)
        self.c.none = _fill(self.c.one_of, one_of)
        self.c.block = block is not None
        self.c.width = width
        self.c.min_items = min_items
        self.c.min_last = min_last
        self.c.nbreq = _fill(self.c.breq, breq)
        self.c.nbchk = _fill(self.c.bchk_off, [p for p, _ in bchk])
        for i, (_, kind) in enumerate(bchk):
            self.c.bchk_kind[i] = _kind(kind)

    @property
    def slow(self):
        return bool(self.c.slow)


cdef int _kind(object kind) except -1:
    if kind not in (SR_NUMBER, SR_INTEGER, SR_BOOLEAN, SR_DATE):
        raise ValueError(f"unknown type code {kind!r}")
    return kind


def check_value(int kind, str value):
    """The C check of one value: True, False, or None when Python must decide."""
    r = sr_check_value(<PyObject *>value, _kind(kind))
    return None if r == SR_SLOW else r == SR_PASS


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
            off = -1 if descr is None else sr_slot_offset(<PyObject *>cls, <PyObject *>descr)
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
        # sr_alloc returns a new reference; _steal hands it to Cython as is.
        cdef PyObject *obj = sr_alloc(<PyObject *>self.cls)
        sr_set_slot(obj, self.o_template, <PyObject *>template)
        sr_set_slot(obj, self.o_values, <PyObject *>values)
        sr_set_slot(obj, self.o_device, <PyObject *>device)
        sr_set_slot(obj, self.o_typed, <PyObject *>typed)
        return _steal(obj)


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
    """
    cdef Py_ssize_t n = PyList_GET_SIZE(rows), i
    cdef PyObject *row
    cdef PyObject *spec
    cdef PyObject *key
    cdef Spec s
    cdef int r
    cdef object out = PyList_New(n)
    cdef object msg
    cdef object dev
    for i in range(n):
        row = PyList_GET_ITEM(rows, i)
        spec = NULL
        r = SR_SLOW
        if PyList_CheckExact(<object>row) and PyList_GET_SIZE(<object>row) > 0:
            key = PyList_GET_ITEM(<object>row, 0)
            if PyUnicode_CheckExact(key):
                spec = PyDict_GetItem(table, key)
                if spec != NULL and type(<object>spec) is Spec:
                    s = <Spec><object>spec
                    r = sr_check_row(&s.c, row)
        if r == SR_PASS:
            if s.c.has_serial:
                dev = <object>PyList_GET_ITEM(<object>row, 1)
            else:
                dev = device
            msg = builder._new(s.template, <object>row, dev, typed)
        elif r == SR_FAIL:
            return i
        else:
            msg = slow(<object>row, where, typed)
            if msg is None:
                return i
        Py_INCREF(msg)
        PyList_SET_ITEM(out, i, <PyObject *>msg)
    return out
