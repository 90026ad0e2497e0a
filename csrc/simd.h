/* The 64-byte structural scan of the tokenizer (internal to the C core).
 *
 * A block of 64 bytes is classified into bit masks, bit i standing for
 * byte i: separators (',' and '\n'), LF alone, quotes, backslashes, bytes
 * >= 0x80 and LFs right after a CR.  Four classifiers compute the same
 * masks: AVX-512BW (one 64-byte register, each compare a mask) and AVX2
 * (both chosen at run time, compiled with target attributes so that the
 * build needs no -mavx2 or -mavx512bw), SSE2 (every x86-64 CPU) and SWAR
 * (eight bytes per 64-bit word, everywhere).  The quote helpers find
 * where a quoted field closes from those masks alone (docs/dialect.md
 * section 2). */
#ifndef SMARTREST_SIMD_H
#define SMARTREST_SIMD_H

#include <stdint.h>

#include "swar.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define SR_HAVE_AVX2 1
#define SR_HAVE_AVX512 1
#endif

typedef struct {
    uint64_t sep;   /* ',' or '\n' */
    uint64_t lf;    /* '\n' */
    uint64_t quote; /* '"' */
    uint64_t bsl;   /* '\\' */
    uint64_t high;  /* >= 0x80 */
    uint64_t crlf;  /* '\n' right after a '\r' */
} sr_masks;

/* The eight high bits of m (one per byte) gathered into the low byte. */
static inline uint64_t sr_gather8(uint64_t m)
{
    return ((m & SR_HIGHS) * 0x0002040810204081ULL) >> 56;
}

/* 0x80 in every byte of v that equals c, 0 in the others (exact). */
static inline uint64_t sr_eq_bytes(uint64_t v, unsigned char c)
{
    uint64_t x = v ^ (SR_ONES * c);
    uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
    return ~(((x & low7) + low7) | x) & SR_HIGHS;
}

/* Store the masks; cr marks every '\r', of which only those before a LF
 * are kept. */
static inline void sr_set_masks(sr_masks *m, uint64_t sep, uint64_t lf, uint64_t quote,
                                uint64_t bsl, uint64_t high, uint64_t cr)
{
    m->sep = sep;
    m->lf = lf;
    m->quote = quote;
    m->bsl = bsl;
    m->high = high;
    m->crlf = (cr << 1) & lf;
}

static inline void sr_classify_swar(const unsigned char *buf, sr_masks *m)
{
    uint64_t sep = 0, lf = 0, quote = 0, bsl = 0, high = 0, cr = 0;
    int i;
    for (i = 0; i < 8; i++) {
        uint64_t v = sr_load64le(buf + 8 * i), l = sr_eq_bytes(v, '\n');
        unsigned sh = 8 * (unsigned)i;
        sep |= sr_gather8(sr_eq_bytes(v, ',') | l) << sh;
        lf |= sr_gather8(l) << sh;
        quote |= sr_gather8(sr_eq_bytes(v, '"')) << sh;
        bsl |= sr_gather8(sr_eq_bytes(v, '\\')) << sh;
        high |= sr_gather8(v) << sh;
        cr |= sr_gather8(sr_eq_bytes(v, '\r')) << sh;
    }
    sr_set_masks(m, sep, lf, quote, bsl, high, cr);
}

#ifdef SR_USE_SSE2
static inline void sr_classify_sse2(const unsigned char *buf, sr_masks *m)
{
    const __m128i comma = _mm_set1_epi8(','), nl = _mm_set1_epi8('\n');
    const __m128i dq = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), ret = _mm_set1_epi8('\r');
    uint64_t sep = 0, lf = 0, quote = 0, bsl = 0, high = 0, cr = 0;
    int i;
    for (i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + 16 * i));
        __m128i l = _mm_cmpeq_epi8(v, nl);
        unsigned sh = 16 * (unsigned)i;
        sep |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, comma), l))
               << sh;
        lf |= (uint64_t)(unsigned)_mm_movemask_epi8(l) << sh;
        quote |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, dq)) << sh;
        bsl |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bs)) << sh;
        high |= (uint64_t)(unsigned)_mm_movemask_epi8(v) << sh;
        cr |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, ret)) << sh;
    }
    sr_set_masks(m, sep, lf, quote, bsl, high, cr);
}
#endif

#ifdef SR_HAVE_AVX2
#define SR_AVX2 __attribute__((target("avx2,bmi,bmi2,pclmul")))

SR_AVX2 static inline uint64_t sr_mask32x2(__m256i lo, __m256i hi)
{
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(lo)
           | (uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32;
}

SR_AVX2 static inline void sr_classify_avx2(const unsigned char *buf, sr_masks *m)
{
    const __m256i comma = _mm256_set1_epi8(','), nl = _mm256_set1_epi8('\n');
    const __m256i dq = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\');
    const __m256i ret = _mm256_set1_epi8('\r');
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)buf);
    __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(buf + 32));
    __m256i la = _mm256_cmpeq_epi8(a, nl), lb = _mm256_cmpeq_epi8(b, nl);
    m->sep = sr_mask32x2(_mm256_or_si256(_mm256_cmpeq_epi8(a, comma), la),
                         _mm256_or_si256(_mm256_cmpeq_epi8(b, comma), lb));
    m->lf = sr_mask32x2(la, lb);
    m->quote = sr_mask32x2(_mm256_cmpeq_epi8(a, dq), _mm256_cmpeq_epi8(b, dq));
    m->bsl = sr_mask32x2(_mm256_cmpeq_epi8(a, bs), _mm256_cmpeq_epi8(b, bs));
    m->high = sr_mask32x2(a, b);
    m->crlf = (sr_mask32x2(_mm256_cmpeq_epi8(a, ret), _mm256_cmpeq_epi8(b, ret)) << 1) & m->lf;
}

/* The blocks classified with AVX-512BW: one load, each compare a mask. */
#define SR_AVX512 __attribute__((target("avx512f,avx512bw,avx2,bmi,bmi2,pclmul")))

SR_AVX512 static inline void sr_classify_avx512(const unsigned char *buf, sr_masks *m)
{
    __m512i v = _mm512_loadu_si512((const void *)buf);
    uint64_t lf = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
    m->sep = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(',')) | lf;
    m->lf = lf;
    m->quote = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"'));
    m->bsl = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\'));
    m->high = _mm512_movepi8_mask(v);
    m->crlf = (_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\r')) << 1) & lf;
}

/* Prefix XOR by carry-less multiplication with all ones. */
SR_AVX2 static inline uint64_t sr_prefix_xor_clmul(uint64_t x)
{
    __m128i v = _mm_set_epi64x(0, (long long)x);
    return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(v, _mm_set1_epi8((char)0xFF), 0));
}
#endif

/* Prefix XOR by a shift-xor cascade: bit i of the result is the parity of
 * bits 0..i of x. */
static inline uint64_t sr_prefix_xor_shift(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* The closing quotes a quoted field can have.  `live` holds its opening
 * quote and the quotes after it that no backslash escapes (inside quotes \"
 * is always an escape: a backslash is never escaped itself); `parity` is
 * their prefix XOR.  The live quotes then pair up as "" from left to right:
 * the parity leaves the field at each of them and comes back at its
 * partner, so the field closes at the first live quote outside whose next
 * byte is no live quote.  Bit 63 is never taken, as its next byte is
 * unknown.  The lowest bit of the result is the closing quote (0: none in
 * the block). */
static inline uint64_t sr_closers(uint64_t live, uint64_t parity)
{
    uint64_t next_live = (live >> 1) | (1ULL << 63);
    return live & ~parity & ~next_live;
}

#endif /* SMARTREST_SIMD_H */
