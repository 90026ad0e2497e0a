/* Validating a payload without decoding it (declared in smartrest.h).
 *
 * sr_validate checks, in the order smartrest.templates.decode_messages
 * does, what decode_messages would raise on an upstream static topic (or
 * on no topic): the packet size (smartrest/_limits.py, check_payload_size),
 * the dialect (the tokenizer, docs/dialect.md), then each row against its
 * template (sr_check_row over the tables of templates_table.h, which
 * scripts/gen_template_table.py writes from the registry).  A tokenizer
 * error anywhere in the payload comes before any template problem, since
 * decode_messages decodes the whole payload first.  When sr_check_row
 * rejects a row, explain() finds which of its checks the row fails first,
 * in the order of smartrest/templates/checks.py (_check), to name the
 * error and its field.  Whatever these tables cannot decide is SR_V_SLOW. */
#include <stdlib.h>
#include <string.h>

#include "check_fast.h"
#include "simd.h"
#include "smartrest.h"
#include "templates_table.h"

/* MQTT: the largest remaining length, and so the largest packet; the
 * longest topic; the smallest PUBLISH header (smartrest/_limits.py). */
#define MAX_REMAINING 268435455u
#define MAX_PACKET (1u + 4u + MAX_REMAINING)
#define MAX_TOPIC 65535u
#define MIN_HEADER 2u

enum { FIELDS_PER_CALL = 256, VALUES_ON_STACK = 64, VFAST_VALUES = 256 };

static uint64_t varint_len(uint64_t n)
{
    return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}

/* Whether topic[0..n) is a topic decode_messages reads with the upstream
 * static registry: <mode>/<type>[/<child>] (smartrest/topics.py, parse)
 * that check_topic accepts.  Anything else is left to Python. */
static int upstream_topic(const unsigned char *t, size_t n)
{
    size_t i, tl = strlen(SR_VT_UP_TYPE);
    if (n < 2 + tl || n > MAX_TOPIC || sr_utf8_check(t, n) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (t[i] == '+' || t[i] == '#' || t[i] == 0)
            return 0;
    if (t[0] == 0 || strchr(SR_VT_UP_MODES, t[0]) == NULL || t[1] != '/' ||
        memcmp(t + 2, SR_VT_UP_TYPE, tl) != 0)
        return 0;
    i = 2 + tl;
    if (i == n)
        return 1;
    if (!SR_VT_UP_CHILD || t[i] != '/' || i + 1 == n)
        return 0;
    return memchr(t + i + 1, '/', n - i - 1) == NULL;
}

/* Largest payload that fits in `limit` bytes with `overhead` bytes of
 * topic and packet identifier, or -1 (_limits.max_payload). */
static int64_t max_payload(uint64_t limit, uint64_t overhead)
{
    int64_t best = -1, n;
    uint64_t header, remaining;
    if (limit > MAX_PACKET)
        limit = MAX_PACKET;
    for (header = 2; header <= 5; header++) {
        if (limit < header + overhead)
            continue;
        n = (int64_t)(limit - header - overhead);
        remaining = (uint64_t)n + overhead;
        if (remaining <= MAX_REMAINING && 1 + varint_len(remaining) + remaining <= limit &&
            n > best)
            best = n;
    }
    return best;
}

/* Rows that end in d[0..n) (_payload.count_rows): empty lines are none, a
 * field that starts with a quote runs to its closing quote (\" and "" are
 * pairs), then every field runs to the next comma or LF. */
static uint64_t count_rows(const unsigned char *d, size_t n)
{
    size_t pos = 0;
    uint64_t rows = 0;
    for (;;) {
        for (;;) { /* empty lines */
            if (pos < n && d[pos] == '\n')
                pos++;
            else if (pos + 1 < n && d[pos] == '\r' && d[pos + 1] == '\n')
                pos += 2;
            else
                break;
        }
        if (pos >= n)
            return rows;
        for (;;) { /* the fields of one row */
            if (d[pos] == '"') {
                for (pos++;; pos++) {
                    if (pos >= n)
                        return rows;
                    if (d[pos] == '\\' && pos + 1 < n && d[pos + 1] == '"')
                        pos++;
                    else if (d[pos] == '"') {
                        if (pos + 1 < n && d[pos + 1] == '"')
                            pos++;
                        else
                            break;
                    }
                }
                pos++;
            }
            while (pos < n && d[pos] != ',' && d[pos] != '\n')
                pos++;
            if (pos >= n)
                return rows;
            if (d[pos++] == '\n') {
                rows++;
                break;
            }
            if (pos >= n)
                return rows;
        }
    }
}

/* The size check of decode (_limits.check_payload_size).  Returns SR_V_OK,
 * SR_V_TOO_LARGE (p filled) or SR_V_SLOW. */
static int check_size(const unsigned char *d, size_t len, const unsigned char *topic,
                      size_t topic_len, int qos, uint64_t limit, sr_problem *p)
{
    int64_t allowed;
    uint64_t at, overhead, remaining;
    if (limit == SR_NO_LIMIT)
        return SR_V_OK;
    if (topic == NULL) {
        if (limit >= MIN_HEADER && (uint64_t)len <= limit - MIN_HEADER)
            return SR_V_OK;
        allowed = limit >= MIN_HEADER ? (int64_t)(limit - MIN_HEADER) : -1;
    } else {
        overhead = 2 + (uint64_t)topic_len + (qos ? 2 : 0);
        if ((uint64_t)len <= MAX_REMAINING) {
            remaining = (uint64_t)len + overhead;
            if (remaining > MAX_REMAINING) /* packet_size raises ValueError */
                return SR_V_SLOW;
            if (1 + varint_len(remaining) + remaining <= limit)
                return SR_V_OK;
        }
        allowed = max_payload(limit, overhead);
        if (allowed >= 0 && (uint64_t)len <= (uint64_t)allowed)
            return SR_V_OK;
    }
    at = allowed > 0 ? (uint64_t)allowed : 0;
    p->code = SR_V_TOO_LARGE;
    p->offset = at;
    p->row = count_rows(d, (size_t)at);
    p->field = -1;
    return SR_V_TOO_LARGE;
}

/* 1 + the index in sr_vt_templates of the template of message ID v, among
 * the registries of `where` (SR_VT_UP, or both), or 0 for none. */
static inline unsigned find_index(const sr_value *v, unsigned where)
{
    size_t i;
    unsigned id = 0, a, b, c;
    if (v->len == 3) { /* most IDs: three digits, no loop */
        a = (unsigned)v->ptr[0] - '1';
        b = (unsigned)v->ptr[1] - '0';
        c = (unsigned)v->ptr[2] - '0';
        if ((a > 8) | (b > 9) | (c > 9))
            return 0;
        id = 100 + a * 100 + b * 10 + c;
    } else {
        if (v->len == 0 || v->len > 3 || v->ptr[0] == '0')
            return 0;
        for (i = 0; i < v->len; i++) {
            if ((unsigned char)(v->ptr[i] - '0') > 9)
                return 0;
            id = id * 10 + (unsigned)(v->ptr[i] - '0');
        }
    }
    if (id > SR_VT_MAX_ID)
        return 0;
    return (where == SR_VT_UP ? sr_vt_index_up : sr_vt_index)[id];
}

/* The template of message ID v, among the registries of `where`, or NULL. */
static const sr_vtemplate *find(const sr_value *v, unsigned where)
{
    unsigned k = find_index(v, where);
    return k ? &sr_vt_templates[k - 1] : NULL;
}

/* The message ID as a number when it is ASCII digits, else -1; -2 for
 * more digits than an int64_t holds. */
static int64_t id_number(const sr_value *v)
{
    size_t i;
    int64_t id = 0;
    if (v->len == 0)
        return -1;
    for (i = 0; i < v->len; i++)
        if ((unsigned char)(v->ptr[i] - '0') > 9)
            return -1;
    if (v->len > 18)
        return -2;
    for (i = 0; i < v->len; i++)
        id = id * 10 + (v->ptr[i] - '0');
    return id;
}

/* A problem found: its code and field. */
typedef struct {
    int code;
    size_t field;
} finding;

static int found(finding *f, int code, size_t field)
{
    f->code = code;
    f->field = field;
    return SR_CHECK_FAIL;
}

/* A typed value's answer: SR_CHECK_PASS, or FAIL with f set, or SLOW. */
static int typed(finding *f, int type, const sr_value *v, size_t position)
{
    int r = sr_check_value(type, v->ptr, v->len);
    return r == SR_CHECK_FAIL ? found(f, SR_V_INVALID_VALUE, position) : r;
}

/* The first problem of a row that sr_check_row rejected, in the order of
 * the Python check: the values a short row misses, the empty mandatory
 * values, the typed values, the one-of rule, the values past the fixed
 * part, then the repeating group (too few items, an incomplete last item,
 * each item's mandatory and typed values).  SR_CHECK_FAIL with f set, or
 * another answer when the row does not fail after all. */
static int explain(const sr_vtemplate *e, const sr_value *v, size_t n, finding *f)
{
    const sr_spec *t = &e->spec;
    size_t i, j, start, count, part, base;
    int r;
    if (n < t->min_len) {
        for (i = 0; i < e->nneed; i++)
            if (e->need[i] >= n)
                return found(f, SR_V_MISSING_VALUE, e->need[i]);
        return SR_CHECK_SLOW;
    }
    for (i = 0; i < t->nreq; i++)
        if (v[t->req[i]].len == 0)
            return found(f, SR_V_MISSING_VALUE, t->req[i]);
    for (i = 0; i < t->nchk; i++)
        if (t->chk_pos[i] < n &&
            (r = typed(f, t->chk_type[i], &v[t->chk_pos[i]], t->chk_pos[i])) != SR_CHECK_PASS)
            return r;
    if (t->n_one_of) {
        for (i = 0; i < t->n_one_of; i++)
            if (t->one_of[i] < n && v[t->one_of[i]].len != 0)
                break;
        if (i == t->n_one_of)
            return found(f, SR_V_MISSING_VALUE, t->one_of[0]);
    }
    if (!t->block)
        return n > t->fixed_len ? found(f, SR_V_TOO_MANY_VALUES, t->fixed_len) : SR_CHECK_PASS;
    start = t->fixed_len < n ? t->fixed_len : n;
    count = n - start;
    part = count % t->width;
    if (count < t->min_items)
        return found(f, SR_V_MISSING_VALUE, start);
    if (part && part < t->min_last)
        return found(f, SR_V_INCOMPLETE_GROUP, n);
    for (base = start; base < n; base += t->width) {
        for (j = 0; j < t->nbreq; j++)
            if (base + t->breq[j] < n && v[base + t->breq[j]].len == 0)
                return found(f, SR_V_MISSING_VALUE, base + t->breq[j]);
        for (j = 0; j < t->nbchk; j++)
            if (base + t->bchk_off[j] < n &&
                (r = typed(f, t->bchk_type[j], &v[base + t->bchk_off[j]],
                           base + t->bchk_off[j])) != SR_CHECK_PASS)
                return r;
    }
    return SR_CHECK_PASS;
}

/* Check one row v[0..n): SR_V_OK, SR_V_SLOW, or a problem (code, field and
 * template ID in p).  With `padded`, each value's buffer holds SR_CHECK_PAD
 * bytes from its ptr on (sr_check_row_padded). */
static int check_row(const sr_value *v, size_t n, unsigned where, int padded, sr_problem *p)
{
    const sr_vtemplate *e = find(&v[0], where);
    finding f;
    int r;
    size_t i;
    if (e == NULL) {
        for (i = 0; i < v[0].len; i++) /* Python's isdigit() knows non-ASCII digits */
            if (v[0].ptr[i] >= 0x80)
                return p->code = SR_V_SLOW;
        p->field = 0;
        p->template_id = id_number(&v[0]);
        return p->code = p->template_id == -2 ? SR_V_SLOW : SR_V_UNKNOWN_TEMPLATE;
    }
    r = padded ? sr_check_row_padded(&e->spec, v, n) : sr_check_row(&e->spec, v, n);
    if (r == SR_CHECK_PASS)
        return SR_V_OK;
    if (r != SR_CHECK_FAIL || explain(e, v, n, &f) != SR_CHECK_FAIL)
        return p->code = SR_V_SLOW;
    p->field = (int64_t)f.field;
    p->template_id = e->id;
    return p->code = f.code;
}

/* Whether the row v[0..n) passes, for the block path: by its template's
 * spec compiled into C (sr_vt_pass) and else sr_check_row_padded when
 * each value's buffer holds SR_CHECK_PAD bytes (`padded`), else by
 * sr_check_row.  Any other answer than a pass is the slow way's to name.
 * Inlined into the scan loops with the value checks it calls (measured in
 * one process against the out-of-line form: 3-5% faster on the benchmark
 * corpora). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int row_passes(const sr_value *v, size_t n, unsigned where, int padded)
{
    unsigned k = find_index(&v[0], where);
    if (k == 0)
        return 0;
    if (padded)
        return sr_vt_pass(k - 1, v, n) ||
               sr_check_row_padded(&sr_vt_templates[k - 1].spec, v, n) == SR_CHECK_PASS;
    return sr_check_row(&sr_vt_templates[k - 1].spec, v, n) == SR_CHECK_PASS;
}

static int tokenizer_code(int err)
{
    switch (err) {
    case SR_E_UNTERMINATED:
        return SR_V_UNTERMINATED;
    case SR_E_TEXT_AFTER_QUOTE:
        return SR_V_TEXT_AFTER_QUOTE;
    case SR_E_UTF8:
        return SR_V_UTF8;
    default:
        return SR_V_SLOW;
    }
}

/* One field at d[p] read byte by byte, for a field longer than a block
 * (docs/dialect.md, section 2): 1 with its value in *v and its comma or LF
 * at *sep; 0 when no comma or LF ends it (the caller stops: the field is
 * the tail's); -1 when the slow way must decide (invalid UTF-8, bytes after
 * the closing quote in strict mode).  A value with escapes or bytes after
 * its closing quote is the raw field, as in validate_fast.h. */
static int long_field(const unsigned char *d, size_t len, size_t p, int strict, sr_value *v,
                      size_t *sep)
{
    size_t i = p, qend = 0, end;
    int raw = 0;
    if (d[p] == '"') {
        for (i = p + 1;; i++) {
            const unsigned char *q = (const unsigned char *)memchr(d + i, '"', len - i);
            if (q == NULL)
                return 0;
            i = (size_t)(q - d);
            if (d[i - 1] == '\\') /* \" is an escape, never a close */
                raw = 1;
            else if (i + 1 < len && d[i + 1] == '"') { /* "" */
                raw = 1;
                i++;
            } else
                break;
        }
        qend = i++;
    }
    while (i < len && d[i] != ',' && d[i] != '\n')
        i++;
    if (i == len)
        return 0;
    end = i - (size_t)(d[i] == '\n' && i > p && d[i - 1] == '\r');
    if (d[p] == '"' && end > qend + 1) {
        if (strict)
            return -1;
        raw = 1;
    }
    if (sr_utf8_check(d + p, end - p) < end - p)
        return -1;
    if (d[p] != '"' || raw) {
        v->ptr = d + p;
        v->len = end - p;
    } else {
        v->ptr = d + p + 1;
        v->len = qend - p - 1;
    }
    *sep = i;
    return 1;
}

/* The row the block path is reading: its values so far and, for the
 * field-by-field helper, the next field's start; row_start is the start
 * of the first row not yet checked. */
typedef struct {
    sr_value v[VFAST_VALUES + 64];
    size_t nv;
    size_t p;
    size_t row_start;
} vrow;

/* Add the value r->v[r->nv], whose field ends at the comma or LF d[e]
 * (lf: a LF; blank: the field is empty): at a LF the row is checked, unless
 * it is an empty line.  0, or -1 when the row does not pass or has too many
 * values. */
static int vrow_value(vrow *r, size_t len, size_t e, uint64_t lf, int blank, unsigned where)
{
    r->nv++;
    if (!lf)
        return r->nv < VFAST_VALUES ? 0 : -1;
    if ((r->nv != 1 || !blank) && !row_passes(r->v, r->nv, where, e + SR_CHECK_PAD <= len))
        return -1;
    r->nv = 0;
    r->row_start = e + 1;
    return 0;
}

/* The UTF-8 of the block at d[bs], whose bytes >= 0x80 are the bits of
 * `high` (not 0): the bytes from the first of them not yet checked (*to
 * on) to the last, with the continuation bytes that follow it into the
 * next block.  1 with *to past them when they are valid, else 0.  A span
 * starts at a sequence's first byte: the one before ended a valid span, or
 * the bytes between are ASCII. */
static int span_utf8(const unsigned char *d, size_t len, size_t bs, uint64_t high, size_t *to)
{
    size_t a = bs + sr_ctz64(high), last = bs + 63 - sr_clz64(high), b = last + 1;
    if (a < *to)
        a = *to;
    if (a >= b)
        return 1;
    if (b - a == 2 && (unsigned)(d[a] - 0xC2) <= 0xDF - 0xC2 && (d[a + 1] & 0xC0) == 0x80) {
        *to = b; /* the commonest case: one two-byte sequence */
        return 1;
    }
    while (b < len && b - last < 4 && (d[b] & 0xC0) == 0x80)
        b++;
    if (sr_utf8_check(d + a, b - a) != b - a)
        return 0;
    *to = b;
    return 1;
}

#define SR_VFAST_NAME vfast_swar
#define SR_VFAST_FIELDS vfields_swar
#define SR_VFAST_ATTR
#define SR_CLASSIFY sr_classify_swar
#define SR_PREFIX_XOR sr_prefix_xor_shift
#include "validate_fast.h"

#ifdef SR_USE_SSE2
#define SR_VFAST_NAME vfast_sse2
#define SR_VFAST_FIELDS vfields_sse2
#define SR_VFAST_ATTR
#define SR_CLASSIFY sr_classify_sse2
#define SR_PREFIX_XOR sr_prefix_xor_shift
#include "validate_fast.h"
#endif

#ifdef SR_HAVE_AVX2
#define SR_VFAST_NAME vfast_avx2
#define SR_VFAST_FIELDS vfields_avx2
#define SR_VFAST_ATTR SR_AVX2
#define SR_CLASSIFY sr_classify_avx2
#define SR_PREFIX_XOR sr_prefix_xor_clmul
#include "validate_fast.h"
#endif

#ifdef SR_HAVE_AVX512
#define SR_VFAST_NAME vfast_avx512
#define SR_VFAST_FIELDS vfields_avx512
#define SR_VFAST_ATTR SR_AVX512
#define SR_CLASSIFY sr_classify_avx512
#define SR_PREFIX_XOR sr_prefix_xor_clmul
#include "validate_fast.h"
#endif

/* The block path of the tokenizer's scan path (sr_scan_path): 1 with *done
 * set when the rows before *done are all valid, 0 when the slow way must
 * decide (always, on the scalar path). */
static int run_vfast(const unsigned char *d, size_t len, unsigned where, int strict,
                     size_t *done)
{
    switch (sr_scan_path()) {
#ifdef SR_HAVE_AVX512
    case SR_SCAN_AVX512:
        return vfast_avx512(d, len, where, strict, done);
#endif
#ifdef SR_HAVE_AVX2
    case SR_SCAN_AVX2:
        return vfast_avx2(d, len, where, strict, done);
#endif
#ifdef SR_USE_SSE2
    case SR_SCAN_SSE2:
        return vfast_sse2(d, len, where, strict, done);
#endif
    case SR_SCAN_SWAR:
        return vfast_swar(d, len, where, strict, done);
    default:
        return 0;
    }
}

/* The slow way: the tokenizer's fields, each row checked at its end, the
 * first problem in p (offsets and rows counted from payload). */
static int slow_scan(const unsigned char *payload, size_t len, unsigned where, int strict,
                     sr_problem *p)
{
    sr_tokenizer tk;
    sr_field fields[FIELDS_PER_CALL];
    sr_value local[VALUES_ON_STACK];
    sr_value *vals = local, *grown;
    size_t cap = VALUES_ON_STACK, nvals = 0, nf, i, used = 0;
    unsigned char *scratch = NULL;
    uint64_t row = 0, row_start = 0;
    int rc, first = SR_V_OK; /* the first row that does not pass */
    sr_problem row_problem;

    p->code = SR_V_SLOW;
    sr_init(&tk, strict, 0);
    for (;;) {
        rc = sr_tokenize(&tk, payload, len, 1, fields, FIELDS_PER_CALL, &nf);
        if (rc == SR_ERROR) {
            p->code = tokenizer_code(tk.err);
            p->offset = tk.err_offset;
            p->row = tk.err_row;
            p->field = (int64_t)tk.err_field;
            p->template_id = -1;
            goto done;
        }
        for (i = 0; i < nf && first == SR_V_OK; i++) {
            const sr_field *fl = &fields[i];
            sr_value *v;
            if (nvals == 0) /* a quoted value's span starts past its quote */
                row_start = fl->start - ((fl->flags & (SR_F_QUOTED | SR_F_UNESCAPE)) ==
                                         SR_F_QUOTED);
            if (nvals == cap) {
                grown = (sr_value *)malloc(2 * cap * sizeof(sr_value));
                if (grown == NULL) {
                    p->code = SR_V_SLOW;
                    goto done;
                }
                memcpy(grown, vals, cap * sizeof(sr_value));
                if (vals != local)
                    free(vals);
                vals = grown;
                cap *= 2;
            }
            v = &vals[nvals++];
            if (fl->flags & SR_F_UNESCAPE) {
                if (scratch == NULL && (scratch = (unsigned char *)malloc(len)) == NULL) {
                    p->code = SR_V_SLOW;
                    goto done;
                }
                v->ptr = scratch + used;
                v->len = sr_unescape(payload + fl->start, fl->len, scratch + used);
                used += v->len;
            } else {
                v->ptr = payload + fl->start;
                v->len = fl->len;
            }
            if (fl->flags & SR_F_ROW_END) {
                first = check_row(vals, nvals, where, 0, &row_problem);
                if (first != SR_V_OK) {
                    row_problem.offset = row_start;
                    row_problem.row = row;
                }
                nvals = 0;
                used = 0;
                row++;
            }
        }
        if (rc == SR_DONE)
            break;
    }
    if (first == SR_V_OK)
        p->code = SR_V_OK;
    else if (first == SR_V_SLOW)
        p->code = SR_V_SLOW;
    else
        *p = row_problem;
done:
    if (vals != local)
        free(vals);
    free(scratch);
    return p->code;
}

static void clear_problem(sr_problem *p)
{
    p->code = SR_V_SLOW;
    p->offset = 0;
    p->row = 0;
    p->field = -1;
    p->template_id = -1;
}

int sr_validate(const unsigned char *payload, size_t len, const unsigned char *topic,
                size_t topic_len, int qos, uint64_t limit, int strict, sr_problem *p)
{
    unsigned where = SR_VT_UP | SR_VT_DOWN;
    size_t from;
    int rc;

    clear_problem(p);
    if (qos < 0 || qos > 2)
        return SR_V_SLOW;
    if (topic != NULL) {
        if (!upstream_topic(topic, topic_len))
            return SR_V_SLOW;
        where = SR_VT_UP;
    }
    rc = check_size(payload, len, topic, topic_len, qos, limit, p);
    if (rc != SR_V_OK)
        return p->code = rc;
    /* Valid rows the quick way, the last few the slow way; any doubt, and
     * the whole payload goes the slow way, which names the problem. */
    if (run_vfast(payload, len, where, strict, &from)) {
        if (from == len || slow_scan(payload + from, len - from, where, strict, p) == SR_V_OK)
            return p->code = SR_V_OK;
        clear_problem(p);
    }
    return slow_scan(payload, len, where, strict, p);
}

const char *sr_validate_reason(int code)
{
    switch (code) {
    case SR_V_OK:
        return "valid";
    case SR_V_TOO_LARGE:
        return "packet larger than the limit";
    case SR_V_UNTERMINATED:
        return "unterminated quoted field";
    case SR_V_TEXT_AFTER_QUOTE:
        return "text after the closing quote";
    case SR_V_UTF8:
        return "invalid UTF-8";
    case SR_V_UNKNOWN_TEMPLATE:
        return "unknown template";
    case SR_V_MISSING_VALUE:
        return "missing value";
    case SR_V_TOO_MANY_VALUES:
        return "too many values";
    case SR_V_INVALID_VALUE:
        return "invalid value";
    case SR_V_INCOMPLETE_GROUP:
        return "incomplete group";
    default:
        return "not decided by the C tables";
    }
}
