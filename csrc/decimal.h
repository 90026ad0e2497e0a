/* The short decimals of sr_parse_double (number.c), in 64-bit words
 * (internal to the C core).  number.c reads them from any buffer; table.c
 * also reads them with one load where the payload has 8 bytes from the
 * value on, and calls these inline: a column of measurements is mostly such
 * values, and a call per value costs as much as the parse.
 *
 * The result is Clinger's fast path, as in number.c: at most 8 digits are
 * below 2^53 and 10^7 is exact, so one correctly rounded division gives the
 * correctly rounded value, bit for bit that of Python's float(). */
#ifndef SR_DECIMAL_H
#define SR_DECIMAL_H

#include "smartrest.h"

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SR_DECIMAL_WORDS 1

static const double sr_pow10_small[8] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};

/* Eight digit values (0-9, the most significant in the lowest byte) as a
 * number, in three multiplications (the method of simdjson and
 * fast_float). */
static inline uint64_t sr_eight_digits(uint64_t v)
{
    v = v * 10 + (v >> 8);
    return (((v & UINT64_C(0x000000FF000000FF)) * (100 + (UINT64_C(1000000) << 32))) +
            (((v >> 16) & UINT64_C(0x000000FF000000FF)) * (1 + (UINT64_C(10000) << 32)))) >>
           32;
}

/* digits[.digits]: the 1 <= m <= 8 bytes after the sign in the low bytes of
 * v (the first in the lowest), zero bytes above them.  SR_NUM_OK with *out
 * (negated when neg), or SR_NUM_SLOW for anything else (no digit, a second
 * point, any other byte). */
static inline int sr_decimal_word(uint64_t v, size_t m, int neg, double *out)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones * 0x80;
    uint64_t x, z, digits;
    size_t dot, k, frac = 0;
    x = v ^ (ones * 0x2E); /* the first '.': the lowest zero byte of x */
    z = (x - ones) & ~x & highs;
    dot = z ? (size_t)__builtin_ctzll(z) / 8 : 8;
    if (dot < m) {
        /* Remove the point: the bytes above it move down one place (dot
         * is below 8 here). */
        uint64_t below = (UINT64_C(1) << (8 * dot)) - 1;
        digits = (v & below) | ((v >> 8) & ~below);
        k = m - 1;
        frac = k - dot;
    } else {
        digits = v;
        k = m;
    }
    if (k == 0)
        return SR_NUM_SLOW;
    /* Digit values, moved up so that the padding becomes leading zeros;
     * every byte must be 0-9. */
    digits = (digits ^ (ones * 0x30)) << (8 * (8 - k));
    if (((digits + ones * 0x76) | digits) & highs)
        return SR_NUM_SLOW;
    {
        double d = (double)sr_eight_digits(digits);
        if (frac)
            d /= sr_pow10_small[frac];
        *out = neg ? -d : d;
    }
    return SR_NUM_OK;
}

/* [+-]digits[.digits] of 1 <= n <= 8 bytes at s, with 8 bytes readable at
 * s (the bytes past s[n) are not looked at): the answer of sr_decimal_word,
 * SR_NUM_SLOW for any other n. */
static inline int sr_decimal8_padded(const unsigned char *s, size_t n, double *out)
{
    uint64_t v;
    size_t sign;
    int neg;
    if (n - 1 > 7)
        return SR_NUM_SLOW;
    memcpy(&v, s, 8);
    v &= ~UINT64_C(0) >> (8 * (8 - n));
    neg = s[0] == '-';
    sign = (size_t)(neg | (s[0] == '+'));
    if (n == sign)
        return SR_NUM_SLOW;
    return sr_decimal_word(v >> (8 * sign), n - sign, neg, out);
}
#endif

#endif /* SR_DECIMAL_H */
