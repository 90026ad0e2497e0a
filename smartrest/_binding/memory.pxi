# C memory of the binding: growing an array with realloc, and asking for
# transparent huge pages on a large one (Linux).

from libc.stdlib cimport realloc

cdef extern from *:
    """
    #if defined(__linux__)
    #include <sys/mman.h>
    #endif
    /* Ask for transparent huge pages on a large array (Linux): far fewer
     * page faults when it is first written. */
    static void sr_advise_huge(void *p, size_t n)
    {
    #if defined(__linux__) && defined(MADV_HUGEPAGE)
        uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
        uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
        if (n >= ((size_t)4 << 20) && e > a)
            (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
    #else
        (void)p;
        (void)n;
    #endif
    }
    """
    void sr_advise_huge(void *p, size_t n) nogil


cdef inline int _resize(void **p, size_t nbytes) noexcept nogil:
    """realloc *p in place: 0, or -1 (and *p untouched) without memory."""
    cdef void *q = realloc(p[0], nbytes)
    if q == NULL:
        return -1
    p[0] = q
    sr_advise_huge(q, nbytes)
    return 0
