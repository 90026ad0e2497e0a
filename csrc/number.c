/* Numbers of columnar access (Tokens.column).
 *
 * sr_parse_double handles the common SmartREST measurement values (a plain
 * decimal with an optional exponent) exactly with Clinger's fast path: when
 * the decimal significand fits in 53 bits and the power of ten is at most
 * 22, one correctly rounded multiplication or division gives the correctly
 * rounded result.  Anything else is left to the caller's general parser. */
#include "smartrest.h"
#include "decimal.h"

#include <string.h>

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#if defined(__SIZEOF_INT128__) && defined(SR_DECIMAL_WORDS)
#define SR_SWAR_DECIMAL 1
__extension__ typedef unsigned __int128 sr_u128;

static uint64_t load_le(const unsigned char *p, size_t k)
{
    uint64_t w = 0;
    memcpy(&w, p, k);
    return w;
}

/* parse_short_decimal for the m <= 8 characters at p after the sign, in
 * one 64-bit word (decimal.h): most measurement values are that short. */
static int parse_eight(const unsigned char *p, size_t m, int neg, double *out)
{
    uint64_t v;
    if (m >= 4)
        v = load_le(p, 4) | (load_le(p + m - 4, 4) << (8 * (m - 4)));
    else
        v = (uint64_t)p[0] | ((uint64_t)p[m / 2] << (8 * (m / 2))) |
            ((uint64_t)p[m - 1] << (8 * (m - 1)));
    return sr_decimal_word(v, m, neg, out);
}

/* The common measurement value, [+-]digits[.digits] with at most 16
 * characters after the sign, without a loop over the characters (their
 * lengths vary from value to value, and a loop mispredicts its end).
 * Returns SR_NUM_SLOW for anything else. */
static int parse_short_decimal(const unsigned char *s, size_t n, double *out)
{
    const unsigned char *p = s;
    size_t m = n, k, dot, frac = 0;
    uint64_t lo, hi = 0, w, t;
    sr_u128 v, digits;
    const sr_u128 ones = ((sr_u128)UINT64_C(0x0101010101010101) << 64) |
                         UINT64_C(0x0101010101010101);
    int neg = 0;
    if (m && (p[0] == '-' || p[0] == '+')) {
        neg = p[0] == '-';
        p++;
        m--;
    }
    if (m == 0 || m > 16)
        return SR_NUM_SLOW;
    if (m <= 8)
        return parse_eight(p, m, neg, out);
    /* The m bytes as a little-endian number, read in bounds: two
     * overlapping loads, or up to three single bytes. */
    if (m >= 8) {
        lo = load_le(p, 8);
        if (m > 8)
            hi = load_le(p + m - 8, 8) >> (8 * (16 - m));
    } else if (m >= 4) {
        lo = load_le(p, 4) | (load_le(p + m - 4, 4) << (8 * (m - 4)));
    } else {
        lo = (uint64_t)p[0] | ((uint64_t)p[m / 2] << (8 * (m / 2))) |
             ((uint64_t)p[m - 1] << (8 * (m - 1)));
    }
    v = ((sr_u128)hi << 64) | lo;
    /* The first '.', if any: the lowest zero byte of v ^ "....".  Bytes
     * above the first zero may be flagged wrongly; only the lowest counts. */
    {
        sr_u128 x = v ^ (ones * 0x2E);
        sr_u128 z = (x - ones) & ~x & (ones * 0x80);
        uint64_t zl = (uint64_t)z, zh = (uint64_t)(z >> 64);
        if (zl)
            dot = (size_t)__builtin_ctzll(zl) / 8;
        else if (zh)
            dot = 8 + (size_t)__builtin_ctzll(zh) / 8;
        else
            dot = 16;
    }
    if (dot < m) {
        /* Remove the dot: the bytes above it move down one place. */
        sr_u128 below = dot ? v & ((sr_u128)-1 >> (8 * (16 - dot))) : 0;
        sr_u128 above = dot < 15 ? (v >> (8 * (dot + 1))) << (8 * dot) : 0;
        digits = below | above;
        k = m - 1;
        frac = k - dot;
    } else {
        digits = v;
        k = m;
    }
    if (k == 0)
        return SR_NUM_SLOW;
    /* Digit values, moved up so that the padding becomes leading zeros;
     * every byte must be 0-9 (a second dot, an 'e' or a space is not). */
    digits = (digits ^ (ones * 0x30)) << (8 * (16 - k));
    if (((digits + ones * 0x76) | digits) & (ones * 0x80))
        return SR_NUM_SLOW;
    t = sr_eight_digits((uint64_t)digits);
    w = t * 100000000 + sr_eight_digits((uint64_t)(digits >> 64));
    if (w > (UINT64_C(1) << 53))
        return SR_NUM_SLOW;
    {
        double d = (double)w;
        if (frac)
            d /= pow10_exact[frac];
        *out = neg ? -d : d;
    }
    return SR_NUM_OK;
}
#endif

int sr_parse_double(const unsigned char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0, digits = 0, exp10 = 0;
    uint64_t w = 0;
#ifdef SR_SWAR_DECIMAL
    if (parse_short_decimal(s, n, out) == SR_NUM_OK)
        return SR_NUM_OK;
#endif
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
