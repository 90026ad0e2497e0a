/* The fast value checks of the template layer's syntaxes, for values
 * whose buffers hold SR_CHECK_PAD readable bytes (internal to the C core:
 * check.c builds sr_check_value_padded on them, the compiled row checks of
 * templates_table.h that validate.c's block path runs call them inline).
 * Each answers only "passes" (1) for sure; any other answer is the exact
 * checks' of check.c. */
#ifndef SMARTREST_CHECK_FAST_H
#define SMARTREST_CHECK_FAST_H

#include "simd.h"
#include "smartrest.h"

/* The checks below are a few instructions each once their type is known:
 * inlined into every compiled row check, whose type is a constant there. */
#if defined(__GNUC__)
#define SR_CHECK_INLINE inline __attribute__((always_inline))
#else
#define SR_CHECK_INLINE inline
#endif

/* Bit i of the masks of 16 bytes at s: the byte is no ASCII digit
 * (*nondigit) or equals c (*eq).  SSE2 where there is SSE2, else SWAR. */
#ifdef SR_USE_SSE2
static SR_CHECK_INLINE void masks16(const unsigned char *s, unsigned char c,
                                    uint32_t *nondigit, uint32_t *eq)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i out = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8('0')),
                               _mm_cmpgt_epi8(v, _mm_set1_epi8('9')));
    *nondigit = (uint32_t)_mm_movemask_epi8(out); /* bytes >= 0x80 are negative: below '0' */
    *eq = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)c)));
}
#else
/* 0x80 in each byte of the word w that is no ASCII digit. */
static inline uint64_t nondigits(uint64_t w)
{
    uint64_t x = w & 0x7F7F7F7F7F7F7F7FULL;
    uint64_t ge_colon = x + 0x4646464646464646ULL;             /* bit 7: x >= '9' + 1 */
    uint64_t ge_zero = (x | SR_HIGHS) - 0x3030303030303030ULL; /* bit 7: x >= '0' */
    return (w | ge_colon | ~ge_zero) & SR_HIGHS;
}

static SR_CHECK_INLINE void masks16(const unsigned char *s, unsigned char c,
                                    uint32_t *nondigit, uint32_t *eq)
{
    uint64_t lo = sr_load64le(s), hi = sr_load64le(s + 8);
    *nondigit = (uint32_t)sr_gather8(nondigits(lo)) | (uint32_t)sr_gather8(nondigits(hi)) << 8;
    *eq = (uint32_t)sr_gather8(sr_eq_bytes(lo, c)) | (uint32_t)sr_gather8(sr_eq_bytes(hi, c)) << 8;
}
#endif

/* sr_is_number for 1 <= n <= 16 with 16 readable bytes at s: 1 for an
 * optional sign, digits and at most one point with a digit somewhere, else
 * -1 (an exponent, or no number), which sr_is_number decides. */
static SR_CHECK_INLINE int number16(const unsigned char *s, size_t n)
{
    uint32_t nd, dot, keep = (1u << n) - 1;
    masks16(s, '.', &nd, &dot);
    nd &= keep;
    dot &= keep;
    if ((nd & ~dot & ~(uint32_t)(s[0] == '+' || s[0] == '-')) || (dot & (dot - 1)) ||
        !(~nd & keep))
        return -1;
    return 1;
}

/* The two bytes at s as a big-endian number: for two digits, its order is
 * that of their value, so a range of two-digit values is one comparison. */
static SR_CHECK_INLINE unsigned be16(const unsigned char *s)
{
    return (unsigned)s[0] << 8 | s[1];
}

/* The commonest layouts after YYYY-MM-DDTHH:MM, by length: byte ranges of
 * bytes 16 to 31 (from lo[i] to hi[i]; bytes past the value take any
 * value) and where the zone's sign is (0: Z).  The tens of the seconds and
 * of the zone's minutes are at most 6 and 5 here, the other bounds of two
 * digits are tested apart. */
typedef struct {
    unsigned char n, zone;
    char lo[17], hi[17];
} date_layout;

static const date_layout LAYOUTS[] = {
    {20, 0, ":00Z", ":69Z\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"},
    {24, 0, ":00.000Z", ":69.999Z\xff\xff\xff\xff\xff\xff\xff\xff"},
    {25, 19, ":00+00:00", ":69-29:59\xff\xff\xff\xff\xff\xff\xff"},
    {27, 0, ":00.000000Z", ":69.999999Z\xff\xff\xff\xff\xff"},
    {29, 23, ":00.000+00:00", ":69.999-29:59\xff\xff\xff"},
    {32, 26, ":00.000000+00:00", ":69.999999-29:59"},
};

/* The layout of LAYOUTS for each length, + 1 (0: none). */
static const unsigned char LAYOUT_OF[33] = {
    [20] = 1, [24] = 2, [25] = 3, [27] = 4, [29] = 5, [32] = 6,
};

/* The ranges of YYYY-MM-DDTHH:MM. */
static const char DATE_LO[17] = "0000-00-00T00:00", DATE_HI[17] = "9999-19-39T29:59";

#ifdef SR_USE_SSE2
/* Whether each of the 16 bytes at s lies within [lo[i], hi[i]]. */
static SR_CHECK_INLINE int in_range16(const unsigned char *s, const char *lo, const char *hi)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i l = _mm_loadu_si128((const __m128i *)(const void *)lo);
    __m128i h = _mm_loadu_si128((const __m128i *)(const void *)hi);
    __m128i ok = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, l), v),
                               _mm_cmpeq_epi8(_mm_min_epu8(v, h), v));
    return _mm_movemask_epi8(ok) == 0xFFFF;
}
#else
/* 0x80 in each byte of the word w that lies within [lo, hi] (bytes of lo
 * below 0x80, of hi at most 0x7F, or 0xFF in the top bytes, whose answers
 * then do not count; a byte of w >= 0x80 never lies within).  Each byte is
 * worked on apart from the others: (w | 0x80) - lo borrows from no other
 * byte, (w & 0x7F) + (0x7F - hi) carries into none, save from the bytes of
 * hi 0xFF into the ones above them. */
static inline uint64_t in_range(uint64_t w, uint64_t lo, uint64_t hi)
{
    uint64_t ge = (w | SR_HIGHS) - lo;
    uint64_t gt = (w & ~SR_HIGHS) + (~SR_HIGHS - hi);
    return ge & ~gt & ~w & SR_HIGHS;
}

/* Whether each of the first k (1 to 16) of the 16 bytes at s lies within
 * [lo[i], hi[i]]. */
static SR_CHECK_INLINE int in_range16(const unsigned char *s, const char *lo, const char *hi,
                                      unsigned k)
{
    const unsigned char *l = (const unsigned char *)lo, *h = (const unsigned char *)hi;
    uint64_t care0 = k >= 8 ? ~0ULL : ~0ULL >> (64 - 8 * k);
    uint64_t care1 = k <= 8 ? 0 : ~0ULL >> (128 - 8 * k);
    return ((in_range(sr_load64le(s), sr_load64le(l), sr_load64le(h)) | ~care0) &
            (in_range(sr_load64le(s + 8), sr_load64le(l + 8), sr_load64le(h + 8)) | ~care1) &
            SR_HIGHS) == SR_HIGHS;
}
#endif

/* sr_is_date for a date of a layout of LAYOUTS, with 32 readable bytes at
 * s: 1 when it is one, else -1, which the exact checks decide.  Every byte
 * is tested at once against its range, and the values of two digits that a
 * range of bytes does not bound exactly (month 01-12, day 01-31, hour
 * 00-23, second 00-60, the zone's hour 00-23) by the order of their two
 * bytes. */
static SR_CHECK_INLINE int date_layout_check(const unsigned char *s, size_t n)
{
    const date_layout *l;
    unsigned bad;
    if (n > 32 || LAYOUT_OF[n] == 0)
        return -1;
    l = &LAYOUTS[LAYOUT_OF[n] - 1];
#ifdef SR_USE_SSE2
    bad = !(in_range16(s, DATE_LO, DATE_HI) & in_range16(s + 16, l->lo, l->hi));
#else
    bad = !(in_range16(s, DATE_LO, DATE_HI, 16) & in_range16(s + 16, l->lo, l->hi, (unsigned)n - 16));
#endif
    bad |= (unsigned)(be16(s + 5) - 0x3031u > 0x3132u - 0x3031u);
    bad |= (unsigned)(be16(s + 8) - 0x3031u > 0x3331u - 0x3031u);
    bad |= (unsigned)(be16(s + 11) > 0x3233u) | (unsigned)(be16(s + 17) > 0x3630u);
    if (l->zone) /* + or -, not the ',' between them */
        bad |= (unsigned)(s[l->zone] == ',') | (unsigned)(be16(s + l->zone + 1) > 0x3233u);
    return bad ? -1 : 1;
}

/* A non-empty value's padded check passes: the fast syntax checks, then
 * sr_check_value_padded's own answer. */
static SR_CHECK_INLINE int typed_pass(int type, const unsigned char *s, size_t n)
{
    if (type == SR_TYPE_NUMBER && n <= 16 && number16(s, n) > 0)
        return 1;
    if (type == SR_TYPE_DATE && date_layout_check(s, n) > 0)
        return 1;
    return sr_check_value_padded(type, s, n) == SR_CHECK_PASS;
}

#endif /* SMARTREST_CHECK_FAST_H */
