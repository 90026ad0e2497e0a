/*
 * libFuzzer harness for the template checks of the C core (csrc/check.c),
 * built with -fsanitize=fuzzer,address,undefined by fuzz/build_libfuzzer.sh.
 *
 * Input layout: the first bytes describe an sr_spec (see read_spec: flags,
 * lengths, counts, positions and type codes, one byte each, 0 once the
 * input runs out); the rest is a row, its values split at ','.  A value
 * whose first byte is '~' stands for one whose bytes are not at hand (ptr
 * NULL, len the rest's length plus one).  Every value is a malloc of
 * exactly its length and the value array one of exactly n items, so ASan
 * sees any read past the end.
 *
 * Invariants checked (abort() on failure, which libFuzzer reports):
 *  - sr_is_number, sr_is_integer, sr_is_boolean and sr_is_date agree with
 *    the references below, written from the patterns of
 *    smartrest/templates/types.py in another way (number: a mantissa of
 *    digits and at most one point; date: fields parsed as numbers and their
 *    ranges compared), on the whole input and on every value of the row;
 *  - sr_check_value is PASS for an empty value or one of the syntax, SLOW
 *    for bytes not at hand, an unknown type, or a non-matching value with a
 *    byte >= 0x80, else FAIL;
 *  - sr_check_row, on any valid spec, answers PASS exactly when no rule of
 *    the template fails and none needs the Python check (the rules
 *    evaluated here value by value, with a group's offset computed per
 *    position); FAIL only when a rule fails, SLOW only when one needs the
 *    Python check, and either is allowed when both happen;
 *  - sr_check_row reads no value at or past sr_spec_reach: the values from
 *    there on are left out of the array handed to it;
 *  - sr_check_value_padded and sr_check_row_padded give the answers of
 *    sr_check_value and sr_check_row, whatever the SR_CHECK_PAD bytes after
 *    each value hold (digits, separators of a date, or the input itself).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smartrest.h"

#include "fuzz_check.h"

/* ------------------------------------------------------------ references */

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Length of the run of digits at s[i..n). */
static size_t digits(const unsigned char *s, size_t i, size_t n)
{
    size_t k = 0;
    while (i + k < n && is_digit(s[i + k]))
        k++;
    return k;
}

static int ref_integer(const unsigned char *s, size_t n)
{
    size_t i = (n && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    return i < n && digits(s, i, n) == n - i;
}

/* Sign, a mantissa of digits with at most one '.' and at least one digit,
 * then an optional exponent of at least one digit. */
static int ref_number(const unsigned char *s, size_t n)
{
    size_t i = (n && (s[0] == '+' || s[0] == '-')) ? 1 : 0, dots = 0, nd = 0;
    for (; i < n && (is_digit(s[i]) || s[i] == '.'); i++) {
        if (s[i] == '.')
            dots++;
        else
            nd++;
    }
    if (dots > 1 || nd == 0)
        return 0;
    if (i == n)
        return 1;
    if (s[i] != 'e' && s[i] != 'E')
        return 0;
    return ref_integer(s + i + 1, n - i - 1);
}

static int ref_boolean(const unsigned char *s, size_t n)
{
    char low[6];
    size_t i;
    if (n != 4 && n != 5)
        return 0;
    for (i = 0; i < n; i++)
        low[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
    return (n == 4 && memcmp(low, "true", 4) == 0) || (n == 5 && memcmp(low, "false", 5) == 0);
}

/* The number of the k digits at s[i..), or -1 if they are not all digits
 * or run past n. */
static long num(const unsigned char *s, size_t n, size_t i, size_t k)
{
    long v = 0;
    size_t j;
    if (i + k > n)
        return -1;
    for (j = 0; j < k; j++) {
        if (!is_digit(s[i + j]))
            return -1;
        v = v * 10 + (s[i + j] - '0');
    }
    return v;
}

static int in(long v, long lo, long hi) { return v >= lo && v <= hi; }

/* YYYY-MM-DDTHH:MM[:SS[(.|,)F{1,9}]](Z|z|(+|-)HH[[:]MM]), with the ranges
 * month 1-12, day 1-31, hour 0-23, minute 0-59, second 0-60. */
static int ref_date(const unsigned char *s, size_t n)
{
    size_t i = 16, f;
    if (n < 16 || num(s, n, 0, 4) < 0 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':')
        return 0;
    if (!in(num(s, n, 5, 2), 1, 12) || !in(num(s, n, 8, 2), 1, 31) ||
        !in(num(s, n, 11, 2), 0, 23) || !in(num(s, n, 14, 2), 0, 59))
        return 0;
    if (i < n && s[i] == ':') {
        if (!in(num(s, n, i + 1, 2), 0, 60))
            return 0;
        i += 3;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            f = digits(s, i + 1, n);
            if (f < 1 || f > 9)
                return 0;
            i += 1 + f;
        }
    }
    if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z'))
        return 1;
    if (i >= n || (s[i] != '+' && s[i] != '-') || !in(num(s, n, i + 1, 2), 0, 23))
        return 0;
    i += 3;
    if (i == n)
        return 1;
    if (s[i] == ':')
        i++;
    return i + 2 == n && in(num(s, n, i, 2), 0, 59);
}

/* The reference answer of a syntax, or -1 for no type. */
static int ref_syntax(int type, const unsigned char *s, size_t n)
{
    switch (type) {
    case SR_TYPE_NUMBER: return ref_number(s, n);
    case SR_TYPE_INTEGER: return ref_integer(s, n);
    case SR_TYPE_BOOLEAN: return ref_boolean(s, n);
    case SR_TYPE_DATE: return ref_date(s, n);
    }
    return -1;
}

static int has_high(const unsigned char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] >= 0x80)
            return 1;
    return 0;
}

/* What sr_check_value must answer. */
static int ref_value(int type, const unsigned char *s, size_t n)
{
    int ok;
    if (n == 0)
        return SR_CHECK_PASS;
    if (s == NULL)
        return SR_CHECK_SLOW;
    ok = ref_syntax(type, s, n);
    if (ok < 0)
        return SR_CHECK_SLOW;
    if (ok)
        return SR_CHECK_PASS;
    return has_high(s, n) ? SR_CHECK_SLOW : SR_CHECK_FAIL;
}

/* A copy of s[0..n) followed by SR_CHECK_PAD bytes of `fill` (or, with
 * fill 0, of s itself, repeated), a malloc of exactly that size. */
static unsigned char *padded_copy(const unsigned char *s, size_t n, int fill)
{
    unsigned char *b = (unsigned char *)malloc(n + SR_CHECK_PAD);
    size_t i;
    CHECK(b != NULL);
    if (n)
        memcpy(b, s, n);
    for (i = 0; i < SR_CHECK_PAD; i++)
        b[n + i] = fill ? (unsigned char)fill : n ? s[i % n] : 'Z';
    return b;
}

static void check_padded(const unsigned char *s, size_t n)
{
    static const int fills[] = {0, '0', ':', '-', 'Z', '.'};
    size_t f;
    int type;
    for (f = 0; f < sizeof fills / sizeof fills[0]; f++) {
        unsigned char *b = padded_copy(s, n, fills[f]);
        for (type = 0; type <= 5; type++)
            CHECK(sr_check_value_padded(type, b, n) == sr_check_value(type, s, n));
        free(b);
    }
}

/* Check one value's syntaxes and answers against the references. */
static void check_value(const unsigned char *s, size_t n)
{
    int type;
    CHECK(sr_is_number(s, n) == ref_number(s, n));
    CHECK(sr_is_integer(s, n) == ref_integer(s, n));
    CHECK(sr_is_boolean(s, n) == ref_boolean(s, n));
    CHECK(sr_is_date(s, n) == ref_date(s, n));
    for (type = 0; type <= 5; type++)
        CHECK(sr_check_value(type, s, n) == ref_value(type, s, n));
    check_padded(s, n);
}

/* ------------------------------------------------------------ rows */

typedef struct {
    const unsigned char *p;
    size_t n, i;
} reader;

static unsigned take(reader *r)
{
    return r->i < r->n ? r->p[r->i++] : 0;
}

/* A valid spec from the input: counts at most SR_MAX_POSITIONS, a group
 * width of at least 1 and group offsets below it, small positions (some
 * past any row). */
static void read_spec(reader *r, sr_spec *t)
{
    unsigned flags = take(r);
    size_t i;
    memset(t, 0, sizeof *t);
    t->slow = (flags & 1) != 0;
    t->has_serial = (flags & 2) != 0;
    t->block = (flags & 4) != 0;
    t->min_len = take(r) % 12;
    t->fixed_len = take(r) % 12;
    t->nreq = take(r) % (SR_MAX_POSITIONS + 1);
    for (i = 0; i < t->nreq; i++)
        t->req[i] = take(r) % 14;
    t->nchk = take(r) % (SR_MAX_POSITIONS + 1);
    for (i = 0; i < t->nchk; i++) {
        t->chk_pos[i] = take(r) % 14;
        t->chk_type[i] = (int)(take(r) % 6);
    }
    t->n_one_of = take(r) % (SR_MAX_POSITIONS + 1);
    for (i = 0; i < t->n_one_of; i++)
        t->one_of[i] = take(r) % 14;
    t->width = 1 + take(r) % 6;
    t->min_items = take(r) % 12;
    t->min_last = take(r) % 7;
    t->nbreq = take(r) % (SR_MAX_POSITIONS + 1);
    for (i = 0; i < t->nbreq; i++)
        t->breq[i] = take(r) % t->width;
    t->nbchk = take(r) % (SR_MAX_POSITIONS + 1);
    for (i = 0; i < t->nbchk; i++) {
        t->bchk_off[i] = take(r) % t->width;
        t->bchk_type[i] = (int)(take(r) % 6);
    }
}

/* Outcome of the rules on a row: whether one fails, whether one needs the
 * Python check. */
typedef struct {
    int fail, slow;
} verdict;

static void typed(verdict *w, int type, const sr_value *x)
{
    int r = ref_value(type, x->ptr, x->len);
    w->fail |= r == SR_CHECK_FAIL;
    w->slow |= r == SR_CHECK_SLOW;
}

static verdict ref_row(const sr_spec *t, const sr_value *v, size_t n)
{
    verdict w = {0, 0};
    size_t i, j, q, start, count, part;
    int any;
    if (t->slow) {
        w.slow = 1;
        return w;
    }
    w.fail |= n < t->min_len || (!t->block && n > t->fixed_len);
    w.slow |= t->has_serial && n < 2;
    for (i = 0; i < t->nreq; i++) {
        if (t->req[i] >= n)
            w.slow = 1;
        else
            w.fail |= v[t->req[i]].len == 0;
    }
    for (i = 0; i < t->nchk; i++)
        if (t->chk_pos[i] < n)
            typed(&w, t->chk_type[i], &v[t->chk_pos[i]]);
    if (t->n_one_of) {
        any = 0;
        for (i = 0; i < t->n_one_of; i++)
            any |= t->one_of[i] < n && v[t->one_of[i]].len != 0;
        w.fail |= !any;
    }
    if (t->block) {
        start = t->fixed_len < n ? t->fixed_len : n;
        count = n - start;
        part = count % t->width;
        w.fail |= count < t->min_items || (part != 0 && part < t->min_last);
        for (q = start; q < n; q++) {
            size_t off = (q - start) % t->width;
            for (j = 0; j < t->nbreq; j++)
                w.fail |= t->breq[j] == off && v[q].len == 0;
            for (j = 0; j < t->nbchk; j++)
                if (t->bchk_off[j] == off)
                    typed(&w, t->bchk_type[j], &v[q]);
        }
    }
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size, 0};
    sr_spec t;
    unsigned char *whole;
    unsigned char **bufs;
    sr_value *v, *given;
    size_t n = 0, i, start, k, reach;
    verdict w;
    int got;

    whole = (unsigned char *)malloc(size);
    memcpy(whole, data, size);
    check_value(whole, size);
    free(whole);

    read_spec(&r, &t);
    if (r.i < size) {
        n = 1;
        for (i = r.i; i < size; i++)
            n += data[i] == ',';
    }
    v = (sr_value *)calloc(n ? n : 1, sizeof *v);
    bufs = (unsigned char **)calloc(n ? n : 1, sizeof *bufs);
    for (i = 0, start = r.i; i < n; i++) {
        size_t end = start;
        while (end < size && data[end] != ',')
            end++;
        bufs[i] = (unsigned char *)malloc(end - start);
        memcpy(bufs[i], data + start, end - start);
        if (end > start && data[start] == '~') {
            v[i].ptr = NULL;
            v[i].len = end - start; /* nonzero: the '~' itself */
        } else {
            v[i].ptr = bufs[i];
            v[i].len = end - start;
            check_value(bufs[i], end - start);
        }
        start = end + 1;
    }

    reach = sr_spec_reach(&t);
    k = n < reach ? n : reach;
    given = (sr_value *)malloc(k * sizeof *given); /* ASan: even 0 items */
    if (k)
        memcpy(given, v, k * sizeof *given);
    got = sr_check_row(&t, given, n);
    w = ref_row(&t, v, n);
    CHECK(got == SR_CHECK_PASS || got == SR_CHECK_FAIL || got == SR_CHECK_SLOW);
    CHECK((got == SR_CHECK_PASS) == (!w.fail && !w.slow));
    CHECK(got != SR_CHECK_FAIL || w.fail);
    CHECK(got != SR_CHECK_SLOW || w.slow);
    {
        unsigned char **pads = (unsigned char **)malloc((n ? n : 1) * sizeof *pads);
        sr_value *pv = (sr_value *)malloc((n ? n : 1) * sizeof *pv);
        CHECK(pads != NULL && pv != NULL);
        for (i = 0; i < n; i++) {
            pads[i] = v[i].ptr ? padded_copy(v[i].ptr, v[i].len, '0') : NULL;
            pv[i].ptr = pads[i];
            pv[i].len = v[i].len;
        }
        CHECK(sr_check_row_padded(&t, pv, n) == got);
        for (i = 0; i < n; i++)
            free(pads[i]);
        free(pads);
        free(pv);
    }

    free(given);
    for (i = 0; i < n; i++)
        free(bufs[i]);
    free(bufs);
    free(v);
    return 0;
}
