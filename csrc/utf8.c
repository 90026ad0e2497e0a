/* UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF.  The offset reported is the first byte of the first
 * invalid sequence, the same position Python's decoder names. */
#include "smartrest.h"
#include "swar.h"

size_t sr_utf8_check(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n && !(sr_load64(s + i) & SR_HIGHS)) {
            i += 8;
            continue;
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
                return i;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            unsigned char lo = 0x80, hi = 0xBF;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
            if (i + 1 >= n || s[i + 1] < lo || s[i + 1] > hi)
                return i;
            if (i + 2 >= n || (s[i + 2] & 0xC0) != 0x80)
                return i;
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            unsigned char lo = 0x80, hi = 0xBF;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
            if (i + 1 >= n || s[i + 1] < lo || s[i + 1] > hi)
                return i;
            if (i + 2 >= n || (s[i + 2] & 0xC0) != 0x80)
                return i;
            if (i + 3 >= n || (s[i + 3] & 0xC0) != 0x80)
                return i;
            i += 4;
        } else {
            return i; /* continuation byte, C0, C1, F5..FF */
        }
    }
    return n;
}
