/* Scans over runs of ordinary bytes (internal to the C core).
 *
 * With SSE2 (every x86-64 CPU) sixteen bytes are compared at once; elsewhere
 * eight bytes are tested word-at-a-time (SWAR).  Both find the exact first
 * stop byte and tell, for free, whether any byte before it is >= 0x80 (the
 * field then needs UTF-8 validation and decoding).  Loads never go past the
 * end of the buffer. */
#ifndef SMARTREST_SWAR_H
#define SMARTREST_SWAR_H

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && defined(__GNUC__) && !defined(SR_NO_SSE2) /* SR_NO_SSE2: test SWAR */
#include <emmintrin.h>
#define SR_USE_SSE2 1
#endif

#define SR_ONES 0x0101010101010101ULL
#define SR_HIGHS 0x8080808080808080ULL

static inline uint64_t sr_load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The eight bytes at p as a little-endian word: byte i in bits 8i..8i+7. */
static inline uint64_t sr_load64le(const unsigned char *p)
{
    uint64_t v = sr_load64(p);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Nonzero when some byte of v equals c; the lowest flagged byte is exact. */
static inline uint64_t sr_has_byte(uint64_t v, unsigned char c)
{
    uint64_t x = v ^ (SR_ONES * c);
    return (x - SR_ONES) & ~x & SR_HIGHS;
}

static inline unsigned sr_ctz64(uint64_t v)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(v);
#else
    unsigned n = 0;
    while (!(v & 1)) {
        v >>= 1;
        n++;
    }
    return n;
#endif
}

/* Hide x's value from the optimizer (GCC and Clang), which keeps the
 * branch that holds it from being turned into a select. */
#if defined(__GNUC__)
#define SR_OPAQUE(x) __asm__("" : "+r"(x))
#else
#define SR_OPAQUE(x) ((void)0)
#endif

/* Number of leading zero bits of v, which is not 0. */
static inline unsigned sr_clz64(uint64_t v)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_clzll(v);
#else
    unsigned n = 0;
    while (!(v >> 63)) {
        v <<= 1;
        n++;
    }
    return n;
#endif
}

/* Number of one bits of v.  Without the POPCNT instruction in the build
 * GCC's builtin is a library call, so the bits are summed by halves. */
static inline unsigned sr_popcount64(uint64_t v)
{
#if defined(__GNUC__) && defined(__POPCNT__)
    return (unsigned)__builtin_popcountll(v);
#else
    v -= (v >> 1) & 0x5555555555555555ULL;
    v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
    v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (unsigned)((v * SR_ONES) >> 56);
#endif
}

/* Position of the first byte equal to a or b in buf[p..len), or len.
 * *high becomes nonzero if a byte >= 0x80 comes before it. */
static inline size_t sr_scan2(const unsigned char *buf, size_t p, size_t len, unsigned char a,
                              unsigned char b, unsigned *high)
{
#ifdef SR_USE_SSE2
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);
    unsigned acc = 0;
    while (p + 16 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
        unsigned h = (unsigned)_mm_movemask_epi8(v);
        if (m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            *high |= acc | (h & ((1u << k) - 1));
            return p + k;
        }
        acc |= h;
        p += 16;
    }
    *high |= acc;
#else
    uint64_t acc = 0;
    while (p + 8 <= len) {
        uint64_t v = sr_load64(buf + p);
        uint64_t m = sr_has_byte(v, a) | sr_has_byte(v, b);
        if (m) {
            unsigned k = sr_ctz64(m) >> 3;
            if (k)
                acc |= v & (~0ULL >> (64 - 8 * k));
            *high |= (acc & SR_HIGHS) != 0;
            return p + k;
        }
        acc |= v;
        p += 8;
    }
    *high |= (acc & SR_HIGHS) != 0;
#endif
    while (p < len) {
        unsigned char c = buf[p];
        if (c == a || c == b)
            break;
        *high |= c & 0x80;
        p++;
    }
    return p;
}

/* Position of the first ',' or '\n' in buf[p..len), or len. */
static inline size_t sr_scan_plain(const unsigned char *buf, size_t p, size_t len, unsigned *high)
{
    return sr_scan2(buf, p, len, ',', '\n', high);
}

/* Position of the first '"' or '\\' in buf[p..len), or len. */
static inline size_t sr_scan_quoted(const unsigned char *buf, size_t p, size_t len,
                                    unsigned *high)
{
    return sr_scan2(buf, p, len, '"', '\\', high);
}

#endif /* SMARTREST_SWAR_H */
