/* Columnar access (smartrest.tokenize and Tokens.column).
 *
 * sr_columns turns the tokenizer's fields into the arrays of Tokens.
 *
 * sr_parse_double handles the common SmartREST measurement values (a plain
 * decimal with an optional exponent) exactly with Clinger's fast path: when
 * the decimal significand fits in 53 bits and the power of ten is at most
 * 22, one correctly rounded multiplication or division gives the correctly
 * rounded result.  Anything else is left to the caller's general parser. */
#include "smartrest.h"

#if defined(_MSC_VER) && !defined(restrict)
#define restrict __restrict
#endif

size_t sr_columns(const sr_field *f, size_t n, size_t first, int64_t *restrict st,
                  int64_t *restrict en, unsigned char *restrict fl, int64_t *restrict rs,
                  size_t *nrows)
{
    size_t i, nr = *nrows;
    for (i = 0; i < n; i++) {
        unsigned flags = f[i].flags;
        if (flags & SR_F_UNESCAPE)
            break;
        st[i] = (int64_t)f[i].start;
        en[i] = (int64_t)(f[i].start + f[i].len);
        fl[i] = (unsigned char)(((flags >> 3) & 1) | ((flags >> 1) & 2));
        /* Without a branch: the slot after the last row start is written at
         * every field and kept (nr moves on) at a row's last field. */
        rs[nr + 1] = (int64_t)(first + i + 1);
        nr += flags & SR_F_ROW_END;
    }
    *nrows = nr;
    return i;
}

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int sr_parse_double(const unsigned char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0, digits = 0, exp10 = 0;
    uint64_t w = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (w > (UINT64_C(1) << 53) / 10)
            return SR_NUM_SLOW;
        w = w * 10 + (uint64_t)(s[i] - '0');
    }
    if (i < n && s[i] == '.') {
        i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            if (w > (UINT64_C(1) << 53) / 10)
                return SR_NUM_SLOW;
            w = w * 10 + (uint64_t)(s[i] - '0');
            exp10--;
        }
    }
    if (digits == 0)
        return SR_NUM_SLOW; /* "nan", "inf", "", or not a number */
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0, e = 0, edigits = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, edigits++) {
            if (e > 1000)
                return SR_NUM_SLOW;
            e = e * 10 + (s[i] - '0');
        }
        if (edigits == 0)
            return SR_NUM_SLOW;
        exp10 += eneg ? -e : e;
    }
    if (i != n || w > (UINT64_C(1) << 53))
        return SR_NUM_SLOW;
    {
        double d = (double)w;
        if (exp10 < -22 || exp10 > 22)
            return SR_NUM_SLOW;
        d = exp10 < 0 ? d / pow10_exact[-exp10] : d * pow10_exact[exp10];
        *out = neg ? -d : d;
    }
    return SR_NUM_OK;
}

int sr_parse_int64(const unsigned char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0, cap;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return SR_NUM_BAD;
    cap = neg ? (UINT64_C(1) << 63) : (UINT64_C(1) << 63) - 1;
    for (; i < n; i++) {
        unsigned d = (unsigned)s[i] - '0';
        if (d > 9)
            return SR_NUM_BAD;
        if (v > (cap - d) / 10)
            return SR_NUM_RANGE;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return SR_NUM_OK;
}
