# CPython C-API declarations the binding needs and Cython's own cpython
# package lacks, or declares in a form the hot loops cannot use: these take
# and return bare PyObject pointers (new or borrowed references as the
# C-API documents them), so that the callers count references themselves
# and Cython adds no reference counting or error check of its own.  Every
# other C-API name comes from Cython's cpython package.

from cpython.object cimport PyObject, PyTypeObject

cdef extern from "Python.h":
    # ---- str: built from bytes, read in place
    PyObject *PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)  # new, or NULL
    void *PyUnicode_DATA(PyObject *o)
    PyObject *PyUnicode_DecodeUTF8(const char *s, Py_ssize_t size, const char *errors)
    bint PyUnicode_IS_ASCII(object o)  # o must be ready (see below)
    bint PyUnicode_IS_COMPACT_ASCII(object o)  # ready, and its data is its UTF-8

    # ---- list and bytes
    PyObject *PyList_New(Py_ssize_t size)  # new, or NULL
    void PyList_SET_ITEM(PyObject *lst, Py_ssize_t i, PyObject *o)  # steals o
    int PyList_Append(object lst, PyObject *o) except -1
    object PyBytes_FromStringAndSize(const char *s, Py_ssize_t n)

    # ---- allocating instances without calling __init__
    # A new reference handed to Cython as an object as it is (a cast: no
    # reference count changes).
    object steal "(PyObject *)" (PyObject *o)
    ctypedef PyObject *(*allocfunc)(PyTypeObject *tp, Py_ssize_t nitems)
    ctypedef struct PyTypeAlloc "PyTypeObject":  # the slot Cython's PyTypeObject lacks
        allocfunc tp_alloc

cdef extern from "structmember.h":
    # A __slots__ member: offset of its PyObject * slot in the instance.
    ctypedef struct PyMemberDef:
        int type
        Py_ssize_t offset
        int flags
    enum:
        T_OBJECT_EX
        READONLY

cdef extern from "Python.h":
    ctypedef struct PyMemberDescrObject:
        PyTypeObject *d_type "d_common.d_type"
        PyMemberDef *d_member
    PyTypeObject PyMemberDescr_Type

cdef extern from *:
    # Before Python 3.12 a str may need PyUnicode_READY before its length
    # and data can be read; since 3.12 every str is ready.  0, or -1 with
    # an exception set.
    """
    #if PY_VERSION_HEX < 0x030C0000
    #define sr_unicode_ready(o) PyUnicode_READY(o)
    #else
    #define sr_unicode_ready(o) 0
    #endif
    """
    int sr_unicode_ready(object o)
