/*
 * libFuzzer harness for the C core alone (csrc/), built with
 * -fsanitize=fuzzer,address,undefined by fuzz/build_libfuzzer.sh.
 *
 * Input layout: byte 0 holds the options (strict, row limit on/off, output
 * array size, quote escape), bytes 1-2 a row limit, bytes 3-4 a split
 * point, bytes 5-6 a second split point; the rest is the payload.  Every
 * buffer handed to the core is a malloc of exactly its length, so ASan sees
 * any read past the end.
 *
 * Invariants checked (abort() on failure, which libFuzzer reports):
 *  - every span lies within the buffer, an unescaped value is never longer
 *    than its span, SR_F_HIGH is set exactly when the value has a byte >= 0x80,
 *    and such a value is valid UTF-8;
 *  - tokenizing the payload in up to three chunks (with sr_keep_from,
 *    sr_rebase and sr_check_pending as the Decoder does) gives the same
 *    fields and the same error as one call, whatever the output array size;
 *  - sr_escape writes exactly sr_escaped_len bytes, in both quote modes, and
 *    tokenizing the escaped value (strict and lenient) gives the value back;
 *  - sr_columns gives every field's span, flags and row ends as emitted;
 *  - sr_parse_double, where it accepts a value, gives strtod's double bit
 *    for bit, and reads only the value's bytes;
 *  - errors are final (smartrest.h, above sr_init): after SR_ERROR, every
 *    later sr_tokenize (on NULL with length 0, on another buffer, on the
 *    freed buffer of the failed call, final or not, with or without room for
 *    fields) and sr_check_pending returns SR_ERROR, emits no field, reads no
 *    byte (ASan reports a read of the freed buffer) and leaves err,
 *    err_offset, err_row and err_field as they were; the chunked run goes
 *    on feeding its remaining chunks after an error, as a careless caller
 *    would, and must get the same error back each time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smartrest.h"

#include "fuzz_check.h"

/* The outcome of tokenizing a payload: every field's value, flattened. */
typedef struct {
    unsigned char *values; /* concatenated unescaped values */
    size_t vlen, vcap;
    size_t *lens;          /* per field: value length */
    unsigned *flags;       /* per field: ROW_END | QUOTED */
    size_t n, cap;
    int rc;                /* SR_DONE or SR_ERROR */
    int err;
    uint64_t err_offset, err_row, err_field;
} outcome;

static void out_free(outcome *o)
{
    free(o->values);
    free(o->lens);
    free(o->flags);
    memset(o, 0, sizeof(*o));
}

static void out_push(outcome *o, const unsigned char *v, size_t n, unsigned flags)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 16;
        o->lens = realloc(o->lens, o->cap * sizeof(*o->lens));
        o->flags = realloc(o->flags, o->cap * sizeof(*o->flags));
        CHECK(o->lens && o->flags);
    }
    if (o->vlen + n > o->vcap) {
        o->vcap = (o->vlen + n) * 2 + 16;
        o->values = realloc(o->values, o->vcap);
        CHECK(o->values);
    }
    if (n)
        memcpy(o->values + o->vlen, v, n);
    o->vlen += n;
    o->lens[o->n] = n;
    o->flags[o->n] = flags;
    o->n++;
}

/* Check one emitted field against the buffer and record its value. */
static void take_field(outcome *o, const unsigned char *buf, size_t len, const sr_field *f)
{
    size_t i, vn;
    int high = 0;
    unsigned char *val;
    CHECK(f->start <= len);
    CHECK(f->len <= len - f->start);
    if (f->flags & SR_F_UNESCAPE) {
        CHECK(f->flags & SR_F_QUOTED);
        CHECK(f->len >= 2 && buf[f->start] == '"');
        val = malloc(f->len ? f->len : 1);
        CHECK(val);
        vn = sr_unescape(buf + f->start, f->len, val);
        CHECK(vn <= f->len);
    } else {
        val = malloc(f->len ? f->len : 1);
        CHECK(val);
        if (f->len)
            memcpy(val, buf + f->start, f->len);
        vn = f->len;
    }
    for (i = 0; i < vn; i++)
        high |= val[i] >= 0x80;
    /* SR_F_HIGH may cover bytes outside the value (a quoted field's
     * quotes never are high), so it is set whenever the value is high. */
    if (high)
        CHECK(f->flags & SR_F_HIGH);
    if (f->flags & SR_F_HIGH)
        CHECK(sr_utf8_check(val, vn) == vn);
    CHECK(!(f->flags & ~(unsigned)(SR_F_ROW_END | SR_F_UNESCAPE | SR_F_HIGH | SR_F_QUOTED)));
    out_push(o, val, vn, f->flags & (SR_F_ROW_END | SR_F_QUOTED));
    free(val);
}

/* sr_columns against the fields it is given: spans, flags, row starts. */
static void check_columns(const sr_field *f, size_t n, size_t first, size_t rows_before)
{
    int64_t *st = malloc((n ? n : 1) * sizeof(int64_t));
    int64_t *en = malloc((n ? n : 1) * sizeof(int64_t));
    unsigned char *fl = malloc(n ? n : 1);
    int64_t *rs = calloc(n + rows_before + 2, sizeof(int64_t));
    size_t i = 0, nr = rows_before, row = rows_before, k;
    CHECK(st && en && fl && rs);
    while (i < n) {
        k = sr_columns(f + i, n - i, first + i, st + i, en + i, fl + i, rs, &nr);
        CHECK(k >= 1 && k <= n - i);
        i += k;
        /* It stops right after a field to unescape, or at the end. */
        CHECK(i == n || (f[i - 1].flags & SR_F_UNESCAPE));
        for (size_t j = i - k; j + 1 < i; j++)
            CHECK(!(f[j].flags & SR_F_UNESCAPE));
    }
    for (i = 0; i < n; i++) {
        CHECK(st[i] == (int64_t)f[i].start);
        CHECK(en[i] == (int64_t)(f[i].start + f[i].len));
        CHECK(fl[i] == ((f[i].flags & SR_F_QUOTED) ? 1 : 0) + ((f[i].flags & SR_F_HIGH) ? 2 : 0));
        if (f[i].flags & SR_F_ROW_END) {
            row++;
            CHECK(rs[row] == (int64_t)(first + i + 1));
        }
    }
    CHECK(nr == row);
    free(st);
    free(en);
    free(fl);
    free(rs);
}

/* Run sr_tokenize over buf[0..len) until it stops; record the fields. */
static int run(sr_tokenizer *t, const unsigned char *buf, size_t len, int final,
               sr_field *fields, size_t cap, outcome *o)
{
    for (;;) {
        size_t n = 0, i;
        size_t before = t->pos;
        int rc = sr_tokenize(t, buf, len, final, fields, cap, &n);
        CHECK(n <= cap);
        CHECK(t->pos <= len);
        check_columns(fields, n, o->n, 0);
        for (i = 0; i < n; i++)
            take_field(o, buf, len, &fields[i]);
        if (rc == SR_FULL) {
            CHECK(n == cap);
            (void)before;
            continue;
        }
        if (rc == SR_ERROR) {
            CHECK(t->err >= SR_E_UNTERMINATED && t->err <= SR_E_ROW_TOO_LARGE);
            CHECK(t->err_offset <= t->base + len);
            o->rc = SR_ERROR;
            o->err = t->err;
            o->err_offset = t->err_offset;
            o->err_row = t->err_row;
            o->err_field = t->err_field;
        } else {
            CHECK(rc == SR_DONE);
        }
        return rc;
    }
}

/* The error a failed tokenizer holds. */
typedef struct {
    int err;
    uint64_t offset, row, field;
} saved_error;

static saved_error save_error(const sr_tokenizer *t)
{
    saved_error e;
    e.err = t->err;
    e.offset = t->err_offset;
    e.row = t->err_row;
    e.field = t->err_field;
    return e;
}

static void same_error(const sr_tokenizer *t, const saved_error *e)
{
    CHECK(t->err == e->err);
    CHECK(t->err_offset == e->offset);
    CHECK(t->err_row == e->row);
    CHECK(t->err_field == e->field);
}

/* One call of sr_tokenize on a tokenizer that has failed: SR_ERROR again,
 * no field, the error unchanged.  buf may be NULL, freed or unrelated. */
static void tokenize_again(sr_tokenizer *t, const saved_error *e, const unsigned char *buf,
                           size_t len, int final, sr_field *out, size_t cap)
{
    size_t n = (size_t)-1;
    CHECK(sr_tokenize(t, buf, len, final, out, cap, &n) == SR_ERROR);
    CHECK(n == 0);
    same_error(t, e);
}

static void check_pending_again(sr_tokenizer *t, const saved_error *e, size_t len)
{
    CHECK(sr_check_pending(t, len) == SR_ERROR);
    same_error(t, e);
}

/* After SR_ERROR: errors are final (smartrest.h, above sr_init).  freed is
 * the buffer of the failed call, already freed (len bytes): any read of it
 * is a heap-use-after-free for ASan.  The other buffer is exactly sized,
 * holds a valid row and is freed again here. */
static void stays_failed(sr_tokenizer *t, const unsigned char *freed, size_t len,
                         sr_field *fields, size_t cap)
{
    static const unsigned char row[] = "200,c8y_T,T,25\n\"q\",\"open";
    saved_error e = save_error(t);
    unsigned char *other = malloc(sizeof(row) - 1);
    int final;
    CHECK(e.err >= SR_E_UNTERMINATED && e.err <= SR_E_ROW_TOO_LARGE);
    CHECK(other);
    memcpy(other, row, sizeof(row) - 1);
    for (final = 0; final <= 1; final++) {
        tokenize_again(t, &e, NULL, 0, final, fields, cap);
        tokenize_again(t, &e, NULL, 0, final, NULL, 0);
        tokenize_again(t, &e, freed, len, final, fields, cap);
        tokenize_again(t, &e, other, sizeof(row) - 1, final, fields, cap);
        tokenize_again(t, &e, other, sizeof(row) - 1, final, fields, 1);
        check_pending_again(t, &e, 0);
        check_pending_again(t, &e, len);
        check_pending_again(t, &e, sizeof(row) - 1);
        check_pending_again(t, &e, (size_t)-1 / 4);
    }
    free(other);
    /* A buffer freed, then another one: the old positions point nowhere. */
    other = malloc(len + 3);
    CHECK(other);
    memset(other, '"', len + 3);
    tokenize_again(t, &e, other, len + 3, 0, fields, cap);
    free(other);
    tokenize_again(t, &e, other, len + 3, 1, fields, cap);
}

static void one_call(const unsigned char *data, size_t size, int strict, uint64_t limit,
                     size_t cap, outcome *o)
{
    sr_tokenizer t;
    sr_field *fields = malloc(cap * sizeof(*fields));
    unsigned char *buf = malloc(size ? size : 1);
    CHECK(fields && buf);
    if (size)
        memcpy(buf, data, size);
    sr_init(&t, strict, limit);
    if (run(&t, buf, size, 1, fields, cap, o) == SR_ERROR) {
        free(buf);
        stays_failed(&t, buf, size, fields, cap);
    } else {
        free(buf);
    }
    free(fields);
}

/* Feed data in chunks ending at cuts[0], cuts[1], ..., size, keeping the
 * unfinished tail between calls as smartrest/_codec.pyx's Decoder does.
 * After an error it goes on like a careless caller: every later chunk is
 * fed on its own (in an exactly sized buffer, the last one final), and
 * each call must give the same error back without a field. */
static void chunked(const unsigned char *data, size_t size, const size_t *cuts, size_t ncuts,
                    int strict, uint64_t limit, size_t cap, outcome *o)
{
    sr_tokenizer t;
    sr_field *fields = malloc(cap * sizeof(*fields));
    unsigned char *tail = NULL;
    size_t tail_len = 0, from = 0, k;
    int failed = 0;
    saved_error e;
    CHECK(fields);
    sr_init(&t, strict, limit);
    for (k = 0; k <= ncuts; k++) {
        size_t to = k < ncuts ? cuts[k] : size;
        int final = k == ncuts;
        size_t len = tail_len + (to - from);
        unsigned char *buf = malloc(len ? len : 1);
        CHECK(buf);
        if (tail_len)
            memcpy(buf, tail, tail_len);
        if (to > from)
            memcpy(buf + tail_len, data + from, to - from);
        free(tail);
        tail = NULL;
        tail_len = 0;
        from = to;
        if (failed) {
            tokenize_again(&t, &e, buf, len, final, fields, cap);
            if (!final)
                check_pending_again(&t, &e, len);
            free(buf);
            continue;
        }
        if (run(&t, buf, len, final, fields, cap, o) == SR_ERROR) {
            free(buf);
            stays_failed(&t, buf, len, fields, cap);
            failed = 1;
            e = save_error(&t);
            continue;
        }
        if (final) {
            free(buf);
            break;
        }
        if (sr_check_pending(&t, len) == SR_ERROR) {
            CHECK(t.err == SR_E_ROW_TOO_LARGE);
            o->rc = SR_ERROR;
            o->err = t.err;
            o->err_offset = t.err_offset;
            o->err_row = t.err_row;
            o->err_field = t.err_field;
            free(buf);
            stays_failed(&t, buf, len, fields, cap);
            failed = 1;
            e = save_error(&t);
            continue;
        }
        {
            size_t keep = sr_keep_from(&t);
            CHECK(keep <= len);
            /* Memory stays bounded: what is kept is one unfinished row. */
            if (limit)
                CHECK(len - keep <= limit + 2);
            tail_len = len - keep;
            tail = malloc(tail_len ? tail_len : 1);
            CHECK(tail);
            if (tail_len)
                memcpy(tail, buf + keep, tail_len);
            sr_rebase(&t, keep);
            CHECK(t.pos <= tail_len);
        }
        free(buf);
    }
    if (failed)
        same_error(&t, &e);
    free(tail);
    free(fields);
}

static void same_outcome(const outcome *a, const outcome *b)
{
    size_t i;
    CHECK(a->rc == b->rc);
    if (a->rc == SR_ERROR) {
        CHECK(a->err == b->err);
        CHECK(a->err_offset == b->err_offset);
        CHECK(a->err_row == b->err_row);
        /* A row-length error names no field (smartrest/errors.py). */
        if (a->err != SR_E_ROW_TOO_LARGE)
            CHECK(a->err_field == b->err_field);
        /* Fields emitted before an error depend on how far each call got;
         * those both emitted must agree. */
    } else {
        CHECK(a->n == b->n);
        CHECK(a->vlen == b->vlen);
    }
    for (i = 0; i < a->n && i < b->n; i++) {
        CHECK(a->lens[i] == b->lens[i]);
        CHECK(a->flags[i] == b->flags[i]);
    }
    {
        size_t common = a->vlen < b->vlen ? a->vlen : b->vlen;
        size_t off = 0;
        for (i = 0; i < a->n && i < b->n; i++)
            off += a->lens[i];
        if (off > common)
            off = common;
        CHECK(off == 0 || memcmp(a->values, b->values, off) == 0);
    }
}

/* Escape data as one value and read it back. */
static void escape_round_trip(const unsigned char *v, size_t n, int double_quotes, int strict)
{
    size_t want = sr_escaped_len(v, n), got;
    unsigned char *out = malloc(want ? want : 1);
    unsigned char *src = malloc(n ? n : 1);
    outcome o;
    CHECK(out && src);
    if (n)
        memcpy(src, v, n);
    got = sr_escape(src, n, double_quotes, out);
    CHECK(got == want);
    CHECK(want >= n);
    memset(&o, 0, sizeof(o));
    one_call(out, want, strict, 0, 4, &o);
    if (sr_utf8_check(v, n) < n) {
        CHECK(o.rc == SR_ERROR && o.err == SR_E_UTF8);
    } else if (n == 0) {
        CHECK(o.rc == SR_DONE && o.n == 0);
    } else {
        CHECK(o.rc == SR_DONE);
        CHECK(o.n == 1);
        CHECK(o.flags[0] & SR_F_ROW_END);
        CHECK(o.lens[0] == n);
        CHECK(memcmp(o.values, v, n) == 0);
    }
    out_free(&o);
    free(out);
    free(src);
}

static uint16_t u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* sr_parse_double on every short value of o against strtod. */
static void check_numbers(const outcome *o)
{
    size_t i, at = 0;
    for (i = 0; i < o->n; at += o->lens[i], i++) {
        size_t n = o->lens[i];
        unsigned char *exact;
        char text[40], *end;
        double got, want;
        if (n > 32)
            continue;
        exact = malloc(n ? n : 1); /* exactly the value: ASan sees overreads */
        CHECK(exact);
        if (n)
            memcpy(exact, o->values + at, n);
        if (sr_parse_double(exact, n, &got) == SR_NUM_OK) {
            memcpy(text, exact, n);
            text[n] = 0;
            want = strtod(text, &end);
            CHECK(n > 0 && end == text + n);
            CHECK(memcmp(&got, &want, sizeof got) == 0);
        }
        free(exact);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int strict, double_quotes;
    uint64_t limit;
    size_t cap, cuts[2], ncuts = 0;
    outcome whole, split;
    static const size_t caps[4] = {1, 3, 64, 512};
    if (size < 7)
        return 0;
    strict = data[0] & 1;
    limit = (data[0] & 2) ? (uint64_t)u16(data + 1) % 300 + 1 : 0;
    cap = caps[(data[0] >> 2) & 3];
    double_quotes = (data[0] >> 4) & 1;
    cuts[0] = u16(data + 3);
    cuts[1] = u16(data + 5);
    data += 7;
    size -= 7;
    cuts[0] = size ? cuts[0] % (size + 1) : 0;
    cuts[1] = size ? cuts[1] % (size + 1) : 0;
    if (cuts[0] > cuts[1]) {
        size_t x = cuts[0];
        cuts[0] = cuts[1];
        cuts[1] = x;
    }
    ncuts = (data[-7] & 0x20) ? 2 : 1;
    if (ncuts == 1)
        cuts[0] = cuts[1];

    memset(&whole, 0, sizeof(whole));
    memset(&split, 0, sizeof(split));
    one_call(data, size, strict, limit, cap, &whole);
    chunked(data, size, cuts, ncuts, strict, limit, caps[(data[-7] >> 6) & 3], &split);
    if (limit == 0) {
        same_outcome(&whole, &split);
    } else {
        /* A stream may stop at a row that grows past the limit before the
         * row (and a later problem in it) is complete; anything else must
         * agree. */
        if (!(split.rc == SR_ERROR && split.err == SR_E_ROW_TOO_LARGE &&
              !(whole.rc == SR_ERROR && whole.err == SR_E_ROW_TOO_LARGE)))
            same_outcome(&whole, &split);
    }
    check_numbers(&whole);
    out_free(&whole);
    out_free(&split);

    escape_round_trip(data, size, double_quotes, strict);
    return 0;
}
