/*
 * smartrest C core: a resumable SmartREST tokenizer, an unescaper, an
 * escaper, a UTF-8 validator, number parsing and the template checks.
 * Plain C99, no Python API: every function works on (pointer, length) and
 * reports errors as codes with byte offsets.
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

/* Scan paths of sr_tokenize: the state machine alone, or with the 64-byte
 * block scan by SWAR, SSE2, AVX2 or AVX-512BW (csrc/simd.h).  Every path
 * gives the same fields, errors and offsets; only the speed differs.  The
 * first call of sr_tokenize takes the path the environment variable
 * SMARTREST_SIMD names ("scalar", "swar", "sse2", "avx2" or "avx512") if
 * this CPU has it, else the fastest one it has: AVX-512BW where the CPU
 * also has AVX512_VBMI2 (Ice Lake and later, where 512-bit compares do not
 * lower the clock), else AVX2, SSE2, SWAR.  The validator (sr_validate) and
 * the tables (sr_table_run) take the same path.
 * sr_set_scan_path(SR_SCAN_AUTO) makes that choice again;
 * sr_set_scan_path(path) picks one and returns 0, or -1 (and changes
 * nothing) if the CPU or build lacks it.  The path is global: set it while
 * no tokenizer runs. */
enum {
    SR_SCAN_AUTO = -1,
    SR_SCAN_SCALAR = 0,
    SR_SCAN_SWAR,
    SR_SCAN_SSE2,
    SR_SCAN_AVX2,
    SR_SCAN_AVX512
};
int sr_set_scan_path(int path);
int sr_scan_path(void);

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

/* Template checks (check.c): the value syntaxes of typed template
 * parameters and the rules a row of values must meet to fit a template.
 *
 * sr_is_number, sr_is_integer, sr_is_boolean and sr_is_date return 1 when
 * s[0..n) is, as a whole, a value of that syntax, else 0 (an empty value is
 * none of them).  They read no byte outside s[0..n); the syntaxes are the
 * patterns NUMBER, INTEGER, BOOLEAN and DATE of the template layer
 * (smartrest/templates/types.py), quoted in check.c, and match ASCII bytes
 * only. */
int sr_is_number(const unsigned char *s, size_t n);
int sr_is_integer(const unsigned char *s, size_t n);
int sr_is_boolean(const unsigned char *s, size_t n);
int sr_is_date(const unsigned char *s, size_t n);

/* Answers of the checks: the value or row fits, does not fit, or only the
 * template layer's own (Python) check can tell. */
enum { SR_CHECK_FAIL = 0, SR_CHECK_PASS = 1, SR_CHECK_SLOW = 2 };

/* The types of the typed parameters. */
enum { SR_TYPE_NUMBER = 1, SR_TYPE_INTEGER = 2, SR_TYPE_BOOLEAN = 3, SR_TYPE_DATE = 4 };

/* One value of a row: its UTF-8 bytes ptr[0..len).  ptr may be NULL when
 * len > 0: the bytes are not at hand (the value is known to be non-empty
 * and nothing more), and any check of its syntax is SR_CHECK_SLOW. */
typedef struct {
    const unsigned char *ptr;
    size_t len;
} sr_value;

/* sr_check_value: SR_CHECK_PASS when the value is empty (empty values are
 * not checked) or has the syntax of `type`; SR_CHECK_SLOW when its bytes
 * are not at hand (s NULL), `type` is none of SR_TYPE_*, or it does not
 * have the syntax and holds a byte >= 0x80 (the Python patterns work on
 * characters; only on ASCII is the answer sure to be theirs); else
 * SR_CHECK_FAIL.  Reads no byte outside s[0..n). */
int sr_check_value(int type, const unsigned char *s, size_t n);

/* sr_check_value_padded: the answer of sr_check_value for a value whose
 * buffer holds at least SR_CHECK_PAD readable bytes from s on (the value and
 * what follows it), which it may read to check a NUMBER or DATE a word at a
 * time.  The answer never depends on the bytes past s[n). */
#define SR_CHECK_PAD 32
int sr_check_value_padded(int type, const unsigned char *s, size_t n);

/* The most positions of one kind an sr_spec holds. */
#define SR_MAX_POSITIONS 16

/* The tables of one template.  Positions count values from 0 (the message
 * ID); a row of n values has the fixed part 0 .. fixed_len - 1 and, with
 * `block`, repeating groups of `width` values after it. */
typedef struct {
    int slow;         /* every row is SR_CHECK_SLOW (rules these tables lack) */
    int has_serial;   /* value 1 names the device: a row of fewer than two
                         values is SR_CHECK_SLOW */
    size_t min_len;   /* fewest values */
    size_t fixed_len; /* values of the fixed part; without `block`, the most */
    size_t nreq;      /* values req[0..nreq) must be non-empty */
    size_t req[SR_MAX_POSITIONS];
    size_t nchk;      /* value chk_pos[i], where present, has type chk_type[i] */
    size_t chk_pos[SR_MAX_POSITIONS];
    int chk_type[SR_MAX_POSITIONS];
    size_t n_one_of;  /* when nonzero, one of values one_of[0..n_one_of) (of
                         those present) must be non-empty */
    size_t one_of[SR_MAX_POSITIONS];
    int block;        /* repeating groups follow the fixed part */
    size_t width;     /* values per group */
    size_t min_items; /* fewest values in all groups */
    size_t min_last;  /* fewest values of an incomplete last group */
    size_t nbreq;     /* in each group, values at offsets breq[0..nbreq)
                         (where present) must be non-empty */
    size_t breq[SR_MAX_POSITIONS];
    size_t nbchk;     /* in each group, the value at offset bchk_off[i]
                         (where present) has type bchk_type[i] */
    size_t bchk_off[SR_MAX_POSITIONS];
    int bchk_type[SR_MAX_POSITIONS];
} sr_spec;

/* Check the row v[0..n) against spec t: SR_CHECK_PASS, SR_CHECK_FAIL, or
 * SR_CHECK_SLOW (t is slow, a value's answer was SR_CHECK_SLOW, see
 * has_serial, or a required position is at or past n: a spec that
 * contradicts its min_len).  t must be valid: no count above
 * SR_MAX_POSITIONS and, with block, a width of at least 1 and every group
 * offset (breq, bchk_off) below it.  Any other values are safe: only
 * v[0..n) is read, and of each value only ptr[0..len). */
int sr_check_row(const sr_spec *t, const sr_value *v, size_t n);

/* sr_check_row for values whose buffers all hold SR_CHECK_PAD readable bytes
 * from each value's ptr on (sr_check_value_padded): the same answer. */
int sr_check_row_padded(const sr_spec *t, const sr_value *v, size_t n);

/* How far sr_check_row reads: it reads v[i] only for i < sr_spec_reach(t)
 * (0 for a slow spec, SIZE_MAX with a repeating group), so a caller may
 * leave the values from there on unset.  For a valid t. */
size_t sr_spec_reach(const sr_spec *t);

/* Validation (validate.c): one pass over a payload that checks what
 * smartrest.templates.decode_messages checks on the upstream static topics,
 * builds nothing and reports the first problem.  The template tables are
 * generated from smartrest/data/templates.json (templates_table.h, written
 * by scripts/gen_template_table.py). */

/* Codes of sr_validate.  SR_V_SLOW: these tables cannot tell (a topic other
 * than an upstream static one, a template or value only the Python checks
 * decide, a size or option outside what is handled here, no memory). */
enum {
    SR_V_OK = 0,
    SR_V_SLOW,
    SR_V_TOO_LARGE,        /* PayloadTooLarge */
    SR_V_UNTERMINATED,     /* UnterminatedQuote */
    SR_V_TEXT_AFTER_QUOTE, /* TextAfterQuote (strict) */
    SR_V_UTF8,             /* InvalidUtf8 */
    SR_V_UNKNOWN_TEMPLATE, /* UnknownTemplate */
    SR_V_MISSING_VALUE,    /* MissingValue */
    SR_V_TOO_MANY_VALUES,  /* TooManyValues */
    SR_V_INVALID_VALUE,    /* InvalidValue */
    SR_V_INCOMPLETE_GROUP  /* IncompleteGroup */
};

/* Registries a template of the tables belongs to. */
enum { SR_VT_UP = 1, SR_VT_DOWN = 2 };

/* The most positions of non-optional fixed values a table entry holds. */
#define SR_VT_MAX_NEED 32

/* One template of the validation tables: its message ID, the registries
 * it is in, its sr_spec and the positions of its fixed values that a row
 * may not leave out (need[0..nneed), ascending), which name the value a
 * short row misses.  (The tables also hold each spec compiled into C,
 * sr_vt_pass.) */
typedef struct {
    unsigned id;
    unsigned where;
    sr_spec spec;
    size_t nneed;
    size_t need[SR_VT_MAX_NEED];
} sr_vtemplate;

/* The first problem of a payload.  offset, row and field are those of the
 * error decode_messages raises (field -1: none); template_id is the message
 * ID of the row at fault when known, else -1. */
typedef struct {
    int code;
    uint64_t offset;
    uint64_t row;
    int64_t field;
    int64_t template_id;
} sr_problem;

/* No packet size limit. */
#define SR_NO_LIMIT UINT64_MAX

/* Check payload[0..len) as decode_messages(payload, topic=topic, qos=qos,
 * limit=limit, strict=strict) checks it.  topic is topic[0..topic_len) in
 * UTF-8, or NULL for none (then every static template is accepted and the
 * smallest header is assumed); limit SR_NO_LIMIT for none.  Returns the
 * code, also written to p->code with the problem's place (SR_V_OK: the
 * payload decodes into messages; SR_V_SLOW: these tables cannot tell).
 * Reads nothing outside the two buffers. */
int sr_validate(const unsigned char *payload, size_t len, const unsigned char *topic,
                size_t topic_len, int qos, uint64_t limit, int strict, sr_problem *p);

/* A short name of a code: "missing value", "invalid UTF-8"... */
const char *sr_validate_reason(int code);

/* Typed Arrow columns (table.c): the rows of many payloads, checked
 * against their static templates, as Arrow buffers per template.
 *
 * sr_date_micros: microseconds since 1970-01-01T00:00Z of a value that
 * passed sr_is_date, with its UTC offset applied and a leap second read as
 * :59.999999 (the conversion of the template layer's typed access).
 * Returns SR_CHECK_PASS, or SR_CHECK_SLOW (*out untouched) when the value
 * is no real date (year 0, February 30...): the template layer decides. */
int sr_date_micros(const unsigned char *s, size_t n, int64_t *out);

/* Column types. */
enum { SR_COL_STRING = 0, SR_COL_NUMBER = 1, SR_COL_INTEGER = 2, SR_COL_BOOLEAN = 3,
       SR_COL_DATE = 4, SR_COL_DICT = 5 };

/* The most values (message ID included) of a row sr_table_run takes. */
#define SR_TABLE_MAX_VALUES 32

/* A growable byte buffer (malloc'ed; p NULL while empty). */
typedef struct {
    unsigned char *p;
    size_t len;
    size_t cap;
} sr_buf;

/* An Arrow column of `rows` items: `valid` the validity bitmap (bit i set:
 * item i is not null; bytes past (rows + 7) / 8 may exist); `values` int32
 * offsets (rows + 1 of them) for SR_COL_STRING with the bytes in `data`, a
 * bitmap for SR_COL_BOOLEAN, else 8-byte items: float64 for SR_COL_NUMBER,
 * int64 for SR_COL_INTEGER, int64 microseconds since the epoch (UTC) for
 * SR_COL_DATE.  Null items hold 0 (an empty string).  SR_COL_DICT is a
 * string column dictionary-encoded: `values` int32 indices into a
 * dictionary of `distinct` strings in order of first appearance, their
 * int32 offsets (distinct + 1) in `offsets` and bytes in `data`; `hash`,
 * `mark_distinct`, the last_ fields and the day_ fields are internal. */
typedef struct {
    int type;
    sr_buf valid;
    sr_buf values;
    sr_buf data;
    sr_buf offsets;
    sr_buf hash;
    size_t distinct;
    size_t mark_distinct;
    size_t last;
    /* SR_COL_DATE: the last YYYY-MM-DDTHH:MM taken (its 16 bytes, when
     * day_valid) and its seconds since the epoch, before any offset. */
    uint64_t day_key[2];
    int64_t day_seconds;
    int day_valid;
    /* SR_COL_DICT: the string of entry last - 1 (when last is not 0), its
     * first 16 bytes zero-padded and its length. */
    uint64_t last_word[2];
    size_t last_len;
} sr_column;

/* A template as sr_table_run reads it: its row check (a spec without a
 * block; the values of SR_COL_NUMBER and SR_COL_DATE columns are checked
 * as they are converted, so the spec need not list them), its parameters'
 * column types, and whether value 1 (the serial) names the device. */
typedef struct {
    const sr_spec *spec;
    size_t ncols; /* parameters: fixed_len - 1, at most SR_TABLE_MAX_VALUES - 1 */
    const int *types;
    int serial_device;
} sr_table_template;

/* The rows of one template: message (payload index) and row (index in the
 * payload) as int64, cols[0] the device (a string column), cols[1 + i]
 * parameter i.  `slow` holds one int64 quadruple (column, row, start,
 * length) per NUMBER value the fast parser left (its item holds 0): its
 * text is slow_text[start .. start + length); the caller writes the
 * correctly rounded value into the column.  The mark_* fields are
 * internal (taking back a payload's rows). */
typedef struct {
    size_t rows;
    sr_buf message;
    sr_buf row;
    sr_column *cols;
    sr_buf slow;
    sr_buf slow_text;
    int64_t mark_payload;
    size_t mark_rows;
    size_t mark_slow;
    size_t mark_slow_text;
} sr_table;

/* One payload: its bytes, the registry its topic picks (0: every static
 * template, as for no topic; 1: upstream static; 2: downstream static; -1:
 * none of these, the payload is left to the caller), the largest size the
 * packet limit allows on its topic, and the device its topic names
 * (device NULL: the root device). */
typedef struct {
    const unsigned char *ptr;
    size_t len;
    int registry;
    size_t max_len;
    const unsigned char *device;
    size_t device_len;
} sr_payload;

/* The tables one call (one thread) builds: tables[k] of templates[k];
 * lookup[registry][id] is the index k of message ID `id` (0 to 999) in
 * that registry, or -1.  slow_payloads lists (int64) the indexes of the
 * payloads left to the caller, ascending.  fields and scratch are
 * internal. */
typedef struct {
    const sr_table_template *templates;
    size_t ntemplates;
    const int16_t (*lookup)[1000];
    sr_table *tables;
    sr_buf slow_payloads;
    sr_buf fields;
    sr_buf scratch;
} sr_table_set;

/* Start a set (no memory taken yet).  templates and lookup must outlive
 * it; lookup has three rows (registries 0, 1, 2). */
void sr_table_set_init(sr_table_set *s, const sr_table_template *templates, size_t ntemplates,
                       const int16_t (*lookup)[1000]);

/* Free every buffer of the set (buffers handed on must be taken first). */
void sr_table_set_free(sr_table_set *s);

/* Append the rows of payloads[first .. last) to the set's tables, in
 * order.  A payload is taken whole or not at all: one that fails to
 * tokenize, is larger than its max_len, has a row of a message ID not in
 * its registry, a row sr_check_row does not pass, an integer outside int64
 * or a date sr_date_micros does not convert is listed in slow_payloads
 * instead.  Returns the index of the first payload not looked at: last
 * when done, less when a string column would pass 2^31 - 1 bytes (the
 * caller goes on with a new set from there), or -1 when memory ran out
 * (the set is then only fit for sr_table_set_free).  Needs no lock: two
 * threads may run on two sets at once. */
int64_t sr_table_run(sr_table_set *s, const sr_payload *payloads, int64_t first, int64_t last);

/* The pool of large output blocks (Linux; elsewhere there is none and
 * this returns 0).  A buffer of at least 4 MB that a set frees, or an
 * export releases, is kept for the next run's buffers, up to a limit on
 * the bytes kept (SR_TABLE_POOL_DEFAULT at the start): their pages are
 * then already faulted in.  sr_table_pool sets the limit (freeing blocks
 * above it; 0 frees them all and keeps none), or with SR_TABLE_POOL_QUERY
 * leaves it; it returns the limit before the call and writes the bytes
 * now kept to *held (when held is not NULL).  Thread-safe. */
#define SR_TABLE_POOL_DEFAULT ((size_t)256 << 20)
#define SR_TABLE_POOL_QUERY SIZE_MAX
size_t sr_table_pool(size_t limit, size_t *held);

struct ArrowArray; /* arrow_c.h: the Arrow C data interface */

/* Export table k of the set (rows > 0) into *out as an Arrow C data
 * interface struct array, one child per column: message and row (int64),
 * then cols[0 .. ncols] with the layouts of sr_column (a SR_COL_DICT child
 * has its dictionary, utf8; a SR_COL_DATE child is int64, the consumer's
 * schema names the unit).  The table's buffers move into the export
 * (the set no longer holds them): they are freed when the consumer has
 * released the struct and every child it moved out.  The NUMBER values the
 * fast parser left must have been written first.  0, or -1 when memory ran
 * out (*out untouched, the table unchanged). */
int sr_table_export(sr_table_set *s, size_t k, struct ArrowArray *out);

#ifdef __cplusplus
}
#endif

#endif /* SMARTREST_H */
