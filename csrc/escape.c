/* Escaping values for SmartREST rows (docs/dialect.md section 3).  Callers count first (sr_escaped_len), allocate once, then
 * write (sr_escape); clean values are copied whole. */
#include <string.h>

#include "smartrest.h"
#include "swar.h"

/* ASCII whitespace at the edges of a value forces quoting. */
static inline int is_edge_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Byte classes: 1 for bytes that force quoting, 3 for the quote (which
 * also counts one extra byte). */
static const unsigned char byte_class[256] = {
    ['"'] = 3, [','] = 1, ['\n'] = 1, ['\r'] = 1, ['\t'] = 1,
};

/* Count the quotes in v and tell whether it must be quoted. */
static int scan_value(const unsigned char *v, size_t n, size_t *quotes)
{
    size_t i = 0, q = 0;
    unsigned special = 0;
    if (n == 0) {
        *quotes = 0;
        return 0;
    }
#ifdef SR_USE_SSE2
    {
        const __m128i dq = _mm_set1_epi8('"'), comma = _mm_set1_epi8(','),
                      lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'),
                      tab = _mm_set1_epi8('\t');
        for (; i + 16 <= n; i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + i));
            unsigned mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, dq));
            __m128i other = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(x, comma), _mm_cmpeq_epi8(x, lf)),
                _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, tab)));
            special |= mq | (unsigned)_mm_movemask_epi8(other);
            for (; mq; mq &= mq - 1) /* quotes are rare: no popcount call */
                q++;
        }
    }
#endif
    for (; i < n; i++) {
        unsigned c = byte_class[v[i]];
        special |= c;
        q += c >> 1;
    }
    *quotes = q;
    return special || is_edge_space(v[0]) || is_edge_space(v[n - 1]);
}

size_t sr_escaped_len(const unsigned char *v, size_t n)
{
    size_t quotes;
    if (!scan_value(v, n, &quotes))
        return n;
    /* Two quotes around it, one more byte per embedded quote.  A trailing
     * backslash run moves behind the closing quote: same length. */
    return n + 2 + quotes;
}

size_t sr_escape(const unsigned char *v, size_t n, int double_quotes, unsigned char *dst)
{
    size_t quotes, body, i, o = 0;
    if (!scan_value(v, n, &quotes)) {
        if (n)
            memcpy(dst, v, n);
        return n;
    }
    /* A backslash right before the closing quote would read as \", so a
     * trailing run of backslashes is written after the closing quote. */
    body = n;
    while (body > 0 && v[body - 1] == '\\')
        body--;
    dst[o++] = '"';
    if (quotes == 0) {
        memcpy(dst + o, v, body);
        o += body;
    } else {
        size_t run = 0; /* start of the clean run being copied */
        for (i = 0; i < body; i++) {
            if (v[i] != '"')
                continue;
            memcpy(dst + o, v + run, i - run);
            o += i - run;
            /* In "" mode a quote right after a backslash is still written \"
             * (the decoder reads backslash-quote as the escape pair). */
            dst[o++] = (double_quotes && !(i > 0 && v[i - 1] == '\\')) ? '"' : '\\';
            dst[o++] = '"';
            run = i + 1;
        }
        memcpy(dst + o, v + run, body - run);
        o += body - run;
    }
    dst[o++] = '"';
    memcpy(dst + o, v + body, n - body);
    return o + (n - body);
}
