/* Value syntaxes of the typed template parameters and the row check of a
 * template spec (declared in smartrest.h, where the contracts are).
 *
 * Each syntax check is the fullmatch of one pattern of
 * smartrest/templates/types.py, written as a scanner over ASCII bytes; the
 * pattern is quoted above the function.  The row check applies a spec's
 * tables to an array of values; it accepts exactly the rows the Python check
 * of the template layer accepts, and answers SR_CHECK_SLOW where only that
 * check can decide. */
#include "check_fast.h"
#include "simd.h"
#include "smartrest.h"

#define DIGIT(c) ((unsigned char)((c) - '0') < 10)

/* [+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)? */
int sr_is_number(const unsigned char *s, size_t n)
{
    size_t i = 0, d = 0, f = 0, e = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && DIGIT(s[i])) {
        i++;
        d++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && DIGIT(s[i])) {
            i++;
            f++;
        }
    }
    if (d == 0 && f == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < n && DIGIT(s[i])) {
            i++;
            e++;
        }
        if (e == 0)
            return 0;
    }
    return i == n;
}

/* [+-]?[0-9]+ */
int sr_is_integer(const unsigned char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i == n)
        return 0;
    for (; i < n; i++)
        if (!DIGIT(s[i]))
            return 0;
    return 1;
}

/* (?i:true|false) on ASCII text: c | 0x20 is a given lower-case letter only
 * for that letter's two cases. */
int sr_is_boolean(const unsigned char *s, size_t n)
{
    if (n == 4)
        return (s[0] | 0x20) == 't' && (s[1] | 0x20) == 'r' && (s[2] | 0x20) == 'u' &&
               (s[3] | 0x20) == 'e';
    if (n == 5)
        return (s[0] | 0x20) == 'f' && (s[1] | 0x20) == 'a' && (s[2] | 0x20) == 'l' &&
               (s[3] | 0x20) == 's' && (s[4] | 0x20) == 'e';
    return 0;
}

/* Two digits, the first in [0, hi0], the second at most 9, or at most
 * hi1_at_hi0 when the first is hi0. */
static int d2(const unsigned char *s, int hi0, int hi1_at_hi0)
{
    int a, b;
    if (!DIGIT(s[0]) || !DIGIT(s[1]))
        return 0;
    a = s[0] - '0';
    b = s[1] - '0';
    return a < hi0 || (a == hi0 && b <= hi1_at_hi0);
}

/* ([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])
 * T([01][0-9]|2[0-3]):([0-5][0-9])
 * (?::([0-5][0-9]|60)(?:[.,]([0-9]{1,9}))?)?
 * (Z|z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?) */
int sr_is_date(const unsigned char *s, size_t n)
{
    size_t i, f;
    if (n < 17)
        return 0;
    if (!DIGIT(s[0]) || !DIGIT(s[1]) || !DIGIT(s[2]) || !DIGIT(s[3]))
        return 0;
    if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':')
        return 0;
    if (!d2(s + 5, 1, 2) || (s[5] == '0' && s[6] == '0')) /* month 01-12 */
        return 0;
    if (!d2(s + 8, 3, 1) || (s[8] == '0' && s[9] == '0')) /* day 01-31 */
        return 0;
    if (!d2(s + 11, 2, 3) || !d2(s + 14, 5, 9)) /* hour 00-23, minute 00-59 */
        return 0;
    i = 16;
    if (s[i] == ':') { /* seconds 00-60, an optional fraction */
        if (n - i < 3 || !(d2(s + i + 1, 5, 9) || (s[i + 1] == '6' && s[i + 2] == '0')))
            return 0;
        i += 3;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            i++;
            for (f = 0; i < n && DIGIT(s[i]); f++)
                i++;
            if (f < 1 || f > 9)
                return 0;
        }
    }
    if (i >= n)
        return 0;
    if (s[i] == 'Z' || s[i] == 'z')
        return i + 1 == n;
    if (s[i] != '+' && s[i] != '-')
        return 0;
    i++;
    if (n - i < 2 || !d2(s + i, 2, 3))
        return 0;
    i += 2;
    if (i == n)
        return 1;
    if (s[i] == ':')
        i++;
    return n - i == 2 && d2(s + i, 5, 9);
}

int sr_check_value(int type, const unsigned char *s, size_t n)
{
    int ok;
    size_t i;
    if (n == 0)
        return SR_CHECK_PASS;
    if (s == NULL)
        return SR_CHECK_SLOW;
    switch (type) {
    case SR_TYPE_NUMBER:
        ok = sr_is_number(s, n);
        break;
    case SR_TYPE_INTEGER:
        ok = sr_is_integer(s, n);
        break;
    case SR_TYPE_BOOLEAN:
        ok = sr_is_boolean(s, n);
        break;
    case SR_TYPE_DATE:
        ok = sr_is_date(s, n);
        break;
    default:
        return SR_CHECK_SLOW;
    }
    if (ok)
        return SR_CHECK_PASS;
    /* The patterns are Python regular expressions over characters; only
     * ASCII text is sure to get the same answer here. */
    for (i = 0; i < n; i++)
        if (s[i] >= 0x80)
            return SR_CHECK_SLOW;
    return SR_CHECK_FAIL;
}

/* sr_is_date for dates YYYY-MM-DDTHH:MM:SS[.f...] and a zone, with 32
 * readable bytes at s: 1 when it is one, else -1 (another layout, or no
 * date), which sr_is_date decides.  The fixed part is tested as a whole,
 * without a branch per field. */
static int date32(const unsigned char *s, size_t n)
{
    /* The digits of YYYY-MM-DDTHH:MM:SS, and its separators. */
    const uint32_t digits = 0x6DB6Fu;
    uint32_t nd, nd_hi, dash, colon_hi, dg;
    unsigned bad, i, f, c;
    if (n < 20 || n > 32)
        return -1;
    masks16(s, '-', &nd, &dash);
    masks16(s + 16, ':', &nd_hi, &colon_hi);
    dg = ~(nd | nd_hi << 16);
    if (n < 32)
        dg &= (1u << n) - 1;
    /* Month 01-12, day 01-31, hour 00-23, minute 00-59, second 00-60. */
    bad = (dg & digits) != digits;
    bad |= (dash & 0x90) != 0x90;
    bad |= (unsigned)(s[10] != 'T') | (unsigned)(s[13] != ':') | (~colon_hi & 1);
    bad |= (unsigned)(be16(s + 5) - 0x3031u > 0x3132u - 0x3031u);
    bad |= (unsigned)(be16(s + 8) - 0x3031u > 0x3331u - 0x3031u);
    bad |= (unsigned)(be16(s + 11) > 0x3233u) | (unsigned)(s[14] > '5');
    bad |= (unsigned)(be16(s + 17) > 0x3630u);
    if (bad)
        return -1;
    i = 19;
    if (s[i] == '.' || s[i] == ',') {
        f = sr_ctz64(~(uint64_t)(dg >> 20)); /* the digits from s[20] on */
        if (f < 1 || f > 9)
            return -1;
        i = 20 + f;
    }
    if (i >= n)
        return -1;
    c = s[i];
    if ((c | 0x20) == 'z') /* Z or z */
        return i + 1 == n ? 1 : -1;
    if ((c != '+' && c != '-') || n - i < 3 || (~dg >> (i + 1) & 3) || be16(s + i + 1) > 0x3233u)
        return -1;
    i += 3;
    if (i == n)
        return 1;
    if (s[i] == ':')
        i++;
    return n - i == 2 && !(~dg >> i & 3) && s[i] <= '5' ? 1 : -1;
}

int sr_check_value_padded(int type, const unsigned char *s, size_t n)
{
    int r = -1;
    if (n == 0 || s == NULL)
        return sr_check_value(type, s, n);
    if (type == SR_TYPE_NUMBER && n <= 16)
        r = number16(s, n);
    else if (type == SR_TYPE_DATE && (r = date_layout_check(s, n)) < 0)
        r = date32(s, n);
    if (r > 0)
        return SR_CHECK_PASS;
    return sr_check_value(type, s, n); /* the answer for a failure, and any other */
}

/* A value's check, padded (sr_check_value_padded) or not. */
static inline int value_check(int padded, int type, const unsigned char *s, size_t n)
{
    return padded ? sr_check_value_padded(type, s, n) : sr_check_value(type, s, n);
}

/* The checks of one repeating group instance: the values base .. n - 1. */
static int check_group(const sr_spec *t, const sr_value *v, size_t n, size_t base, int padded)
{
    size_t j;
    int r;
    for (j = 0; j < t->nbreq; j++)
        if (t->breq[j] < n - base && v[base + t->breq[j]].len == 0)
            return SR_CHECK_FAIL;
    for (j = 0; j < t->nbchk; j++) {
        if (t->bchk_off[j] < n - base) {
            const sr_value *x = &v[base + t->bchk_off[j]];
            r = value_check(padded, t->bchk_type[j], x->ptr, x->len);
            if (r != SR_CHECK_PASS)
                return r;
        }
    }
    return SR_CHECK_PASS;
}

size_t sr_spec_reach(const sr_spec *t)
{
    size_t i, reach = 0;
    if (t->slow)
        return 0;
    if (t->block)
        return SIZE_MAX;
    for (i = 0; i < t->nreq; i++)
        reach = t->req[i] >= reach ? t->req[i] + 1 : reach;
    for (i = 0; i < t->nchk; i++)
        reach = t->chk_pos[i] >= reach ? t->chk_pos[i] + 1 : reach;
    for (i = 0; i < t->n_one_of; i++)
        reach = t->one_of[i] >= reach ? t->one_of[i] + 1 : reach;
    return reach;
}

static inline int check_row(const sr_spec *t, const sr_value *v, size_t n, int padded)
{
    size_t i, p, start, count, part, base;
    int r, found;
    if (t->slow)
        return SR_CHECK_SLOW;
    if (n < t->min_len || (!t->block && n > t->fixed_len))
        return SR_CHECK_FAIL;
    if (t->has_serial && n < 2)
        return SR_CHECK_SLOW;
    for (i = 0; i < t->nreq; i++) {
        p = t->req[i];
        if (p >= n) /* a spec whose required value lies past min_len */
            return SR_CHECK_SLOW;
        if (v[p].len == 0)
            return SR_CHECK_FAIL;
    }
    for (i = 0; i < t->nchk; i++) {
        p = t->chk_pos[i];
        if (p < n) {
            r = value_check(padded, t->chk_type[i], v[p].ptr, v[p].len);
            if (r != SR_CHECK_PASS)
                return r;
        }
    }
    if (t->n_one_of) {
        found = 0;
        for (i = 0; i < t->n_one_of && !found; i++)
            found = t->one_of[i] < n && v[t->one_of[i]].len != 0;
        if (!found)
            return SR_CHECK_FAIL;
    }
    if (t->block) {
        start = t->fixed_len < n ? t->fixed_len : n;
        count = n - start;
        part = count % t->width;
        if (count < t->min_items || (part && part < t->min_last))
            return SR_CHECK_FAIL;
        for (base = start; base < n; base += t->width) {
            r = check_group(t, v, n, base, padded);
            if (r != SR_CHECK_PASS)
                return r;
            if (t->width > n - base) /* the last group */
                break;
        }
    }
    return SR_CHECK_PASS;
}

int sr_check_row(const sr_spec *t, const sr_value *v, size_t n)
{
    return check_row(t, v, n, 0);
}

int sr_check_row_padded(const sr_spec *t, const sr_value *v, size_t n)
{
    return check_row(t, v, n, 1);
}
