# Declarations of the C core, csrc/smartrest.h (whose comments hold the
# contracts), for the Cython binding: the tokenizer, unescaper, escaper and
# UTF-8 validator, the columnar copy and number parsing (smartrest._codec),
# and the template checks of csrc/check.c (smartrest._messages).

from libc.stdint cimport int64_t, uint64_t

cdef extern from "smartrest.h":
    # ---- tokenizer
    ctypedef struct sr_field:
        size_t start
        size_t len
        unsigned flags

    ctypedef struct sr_tokenizer:
        int strict
        uint64_t row_limit
        int state
        size_t pos
        uint64_t base
        uint64_t row
        int err
        uint64_t err_offset
        uint64_t err_row
        uint64_t err_field

    enum:
        SR_F_ROW_END
        SR_F_UNESCAPE
        SR_F_HIGH
        SR_F_QUOTED
        SR_DONE
        SR_FULL
        SR_ERROR
        SR_E_UNTERMINATED
        SR_E_TEXT_AFTER_QUOTE
        SR_E_UTF8
        SR_E_ROW_TOO_LARGE

    void sr_init(sr_tokenizer *t, int strict, uint64_t row_limit) nogil
    int sr_tokenize(sr_tokenizer *t, const unsigned char *buf, size_t len, int final,
                    sr_field *out, size_t cap, size_t *n_out) nogil
    size_t sr_keep_from(const sr_tokenizer *t) nogil
    void sr_rebase(sr_tokenizer *t, size_t shift) nogil
    int sr_check_pending(sr_tokenizer *t, size_t len) nogil

    # ---- unescaping, UTF-8, escaping
    size_t sr_unescape(const unsigned char *src, size_t len, unsigned char *dst) nogil
    size_t sr_utf8_check(const unsigned char *s, size_t n) nogil
    size_t sr_escaped_len(const unsigned char *v, size_t n) nogil
    size_t sr_escape(const unsigned char *v, size_t n, int double_quotes,
                     unsigned char *dst) nogil

    # ---- columnar access
    size_t sr_columns(const sr_field *f, size_t n, size_t first, int64_t *st, int64_t *en,
                      unsigned char *fl, int64_t *rs, size_t *nrows) nogil

    enum:
        SR_NUM_OK
        SR_NUM_SLOW
        SR_NUM_BAD
        SR_NUM_RANGE
    int sr_parse_double(const unsigned char *s, size_t n, double *out) nogil
    int sr_parse_int64(const unsigned char *s, size_t n, int64_t *out) nogil

    # ---- template checks (check.c)
    int sr_is_number(const unsigned char *s, size_t n) nogil
    int sr_is_integer(const unsigned char *s, size_t n) nogil
    int sr_is_boolean(const unsigned char *s, size_t n) nogil
    int sr_is_date(const unsigned char *s, size_t n) nogil

    enum:
        SR_CHECK_FAIL
        SR_CHECK_PASS
        SR_CHECK_SLOW
        SR_TYPE_NUMBER
        SR_TYPE_INTEGER
        SR_TYPE_BOOLEAN
        SR_TYPE_DATE
        SR_MAX_POSITIONS

    ctypedef struct sr_value:
        const unsigned char *ptr
        size_t len

    int sr_check_value(int type, const unsigned char *s, size_t n) nogil

    ctypedef struct sr_spec:
        int slow
        int has_serial
        size_t min_len
        size_t fixed_len
        size_t nreq
        size_t req[SR_MAX_POSITIONS]
        size_t nchk
        size_t chk_pos[SR_MAX_POSITIONS]
        int chk_type[SR_MAX_POSITIONS]
        size_t n_one_of
        size_t one_of[SR_MAX_POSITIONS]
        int block
        size_t width
        size_t min_items
        size_t min_last
        size_t nbreq
        size_t breq[SR_MAX_POSITIONS]
        size_t nbchk
        size_t bchk_off[SR_MAX_POSITIONS]
        int bchk_type[SR_MAX_POSITIONS]

    int sr_check_row(const sr_spec *t, const sr_value *v, size_t n) nogil
    size_t sr_spec_reach(const sr_spec *t) nogil
