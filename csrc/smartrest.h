/*
 * smartrest C core: a resumable SmartREST tokenizer, an unescaper, an
 * escaper and a UTF-8 validator.  Plain C99, no Python API: every function
 * works on (pointer, length) and reports errors as codes with byte offsets.
 *
 * The wire rules are those of docs/dialect.md.  In short: rows end at a LF
 * outside quotes (a CR right before it is dropped, empty lines give no row),
 * fields are split at commas outside quotes, a field whose first byte is '"'
 * is quoted, inside quotes both \" and "" stand for a quote and every other
 * backslash is literal, bytes after the closing quote are appended (an
 * error in strict mode unless they are backslashes).
 */
#ifndef SMARTREST_H
#define SMARTREST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Field flags reported by the tokenizer. */
enum {
    SR_F_ROW_END = 1u << 0,  /* last field of its row */
    SR_F_UNESCAPE = 1u << 1, /* span is the raw quoted field: run sr_unescape */
    SR_F_HIGH = 1u << 2,     /* holds bytes >= 0x80 (valid UTF-8, checked) */
    SR_F_QUOTED = 1u << 3    /* the field was quoted */
};

/* A field: a span of the current buffer.  Without SR_F_UNESCAPE the span is
 * the value itself; with it, the span runs from the opening quote to the
 * end of the field and sr_unescape() gives the value (never longer). */
typedef struct {
    size_t start;
    size_t len;
    unsigned flags;
} sr_field;

/* Return codes of sr_tokenize. */
enum {
    SR_DONE = 0,  /* every complete field emitted; feed more (or finished) */
    SR_FULL = 1,  /* the output array is full: consume it and call again */
    SR_ERROR = 2  /* see t->err and its position */
};

/* Error codes. */
enum {
    SR_OK = 0,
    SR_E_UNTERMINATED = 1, /* quoted field open at the end (offset: its quote) */
    SR_E_TEXT_AFTER_QUOTE = 2, /* strict mode */
    SR_E_UTF8 = 3,         /* invalid UTF-8 (offset: first byte of the sequence) */
    SR_E_ROW_TOO_LARGE = 4 /* row longer than row_limit (offset: row start + limit) */
};

/* Tokenizer states (internal, but part of the resumable state). */
enum {
    SR_S_ROW_START = 0,
    SR_S_FIELD_START,
    SR_S_UNQUOTED,
    SR_S_QUOTED,
    SR_S_AFTER_QUOTE
};

typedef struct {
    /* Configuration: set before the first call. */
    int strict;          /* bytes after a closing quote are an error */
    uint64_t row_limit;  /* rows longer than this are an error; 0: no limit */

    /* Resumable state. Positions are relative to the buffer passed in. */
    int state;
    size_t pos;          /* next byte to look at */
    size_t field_start;  /* first byte of the current field (its quote if quoted) */
    size_t qend;         /* closing quote of the current quoted field */
    unsigned fflags;     /* flags gathered for the current field */
    uint64_t base;       /* stream offset of buffer[0] */
    uint64_t row_start;  /* stream offset of the current row's first byte */
    uint64_t row;        /* index of the current row in the stream */
    uint64_t field;      /* index of the current field in its row */

    /* Set when SR_ERROR is returned. */
    int err;
    uint64_t err_offset; /* stream offset */
    uint64_t err_row;
    uint64_t err_field;
} sr_tokenizer;

/* Start a tokenizer (zeroes the state, keeps nothing).
 *
 * Errors are final: once sr_tokenize or sr_check_pending has returned
 * SR_ERROR, every later call of either returns SR_ERROR again, reads no
 * byte and leaves err, err_offset, err_row and err_field as they are, until
 * sr_init starts the tokenizer anew. */
void sr_init(sr_tokenizer *t, int strict, uint64_t row_limit);

/*
 * Scan buf[t->pos .. len) and write up to cap complete fields to out.
 * final: the buffer ends the payload (the last row needs no LF, an open
 * quote is an error).  Without final, a byte whose meaning depends on the
 * next one (a quote or backslash inside quotes) is left for the next call.
 * Returns SR_DONE, SR_FULL or SR_ERROR; *n_out is the number of fields.
 * Never reads outside buf[0 .. len).
 */
int sr_tokenize(sr_tokenizer *t, const unsigned char *buf, size_t len, int final,
                sr_field *out, size_t cap, size_t *n_out);

/* First buffer position the tokenizer still needs (the unfinished field). */
size_t sr_keep_from(const sr_tokenizer *t);

/* The caller dropped the first `shift` bytes of its buffer. */
void sr_rebase(sr_tokenizer *t, size_t shift);

/* After a non-final call that consumed buf[0 .. len): SR_ERROR (with
 * SR_E_ROW_TOO_LARGE) when the unfinished row already exceeds row_limit,
 * else SR_DONE.  This keeps a stream's memory bounded by the limit. */
int sr_check_pending(sr_tokenizer *t, size_t len);

/* Unescape a raw quoted field (from its opening quote): resolve \" and "",
 * drop the quotes, append the bytes after the closing quote.  dst must hold
 * len bytes.  Returns the value length. */
size_t sr_unescape(const unsigned char *src, size_t len, unsigned char *dst);

/* Offset of the first invalid UTF-8 sequence in s[0..n), or n if valid. */
size_t sr_utf8_check(const unsigned char *s, size_t n);

/* Escaping one value (docs/dialect.md section 3).  sr_escaped_len returns the
 * encoded length; sr_escape writes exactly that many bytes to dst. */
size_t sr_escaped_len(const unsigned char *v, size_t n);
size_t sr_escape(const unsigned char *v, size_t n, int double_quotes, unsigned char *dst);

/* Columnar access.  sr_columns copies fields f[0..n) into column arrays,
 * up to and including the first one that needs unescaping, and returns how
 * many it copied (n if none needs it; for the one that does, st and en hold
 * its raw span, which the caller replaces by its unescaped value's):
 * st[i] and en[i] the span, fl[i] 1 if quoted | 2 if it holds non-ASCII.
 * first is the index of f[0] among all fields; rows that end here are
 * counted into *nrows, and rs[row + 1] is set to the index just past each
 * row's last field (rs needs room for one item beyond the last row; the
 * slot after the current row is scratch until that row ends).  The arrays
 * must not overlap. */
size_t sr_columns(const sr_field *f, size_t n, size_t first, int64_t *st, int64_t *en,
                  unsigned char *fl, int64_t *rs, size_t *nrows);

/* Numbers (columnar access).  SR_NUM_SLOW: not handled by the fast path,
 * use a general parser; SR_NUM_BAD: not an integer; SR_NUM_RANGE: outside
 * int64. */
enum { SR_NUM_OK = 0, SR_NUM_SLOW = 1, SR_NUM_BAD = 2, SR_NUM_RANGE = 3 };
int sr_parse_double(const unsigned char *s, size_t n, double *out);
int sr_parse_int64(const unsigned char *s, size_t n, int64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* SMARTREST_H */
