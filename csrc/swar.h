/* Word-at-a-time scans over ordinary bytes (internal to the C core).
 *
 * Eight bytes are loaded at once; a word is skipped when it holds none of
 * the bytes that end the scan.  The test is exact (no false negatives), so
 * the byte loop after it only runs near a stop byte.  The OR of all skipped
 * and scanned bytes is kept so the caller learns, for free, whether the
 * field holds non-ASCII bytes. */
#ifndef SMARTREST_SWAR_H
#define SMARTREST_SWAR_H

#include <stdint.h>
#include <string.h>

#define SR_ONES 0x0101010101010101ULL
#define SR_HIGHS 0x8080808080808080ULL

static inline uint64_t sr_load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Nonzero when some byte of v equals c. */
static inline uint64_t sr_has_byte(uint64_t v, unsigned char c)
{
    uint64_t x = v ^ (SR_ONES * c);
    return (x - SR_ONES) & ~x & SR_HIGHS;
}

/* Position of the first ',' or '\n' in buf[p..len), or len. */
static inline size_t sr_scan_plain(const unsigned char *buf, size_t p, size_t len, uint64_t *hi)
{
    uint64_t acc = 0;
    while (p + 8 <= len) {
        uint64_t v = sr_load64(buf + p);
        if (sr_has_byte(v, ',') | sr_has_byte(v, '\n'))
            break;
        acc |= v;
        p += 8;
    }
    while (p < len) {
        unsigned char c = buf[p];
        if (c == ',' || c == '\n')
            break;
        acc |= c;
        p++;
    }
    *hi |= acc;
    return p;
}

/* Position of the first '"' or '\\' in buf[p..len), or len. */
static inline size_t sr_scan_quoted(const unsigned char *buf, size_t p, size_t len, uint64_t *hi)
{
    uint64_t acc = 0;
    while (p + 8 <= len) {
        uint64_t v = sr_load64(buf + p);
        if (sr_has_byte(v, '"') | sr_has_byte(v, '\\'))
            break;
        acc |= v;
        p += 8;
    }
    while (p < len) {
        unsigned char c = buf[p];
        if (c == '"' || c == '\\')
            break;
        acc |= c;
        p++;
    }
    *hi |= acc;
    return p;
}

#endif /* SMARTREST_SWAR_H */
