/* JSON strings and numbers of decoded values (see jsonl.h). */
#include "jsonl.h"

#include <string.h>

/* For each byte: 0 copied as it is, 'u' written as \u00XX, else the letter
 * of its short escape. */
static const unsigned char escape_of[256] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
};

size_t sr_json_string(const unsigned char *s, size_t n, unsigned char *dst)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char *out = dst;
    size_t i = 0, run;
    *out++ = '"';
    while (i < n) {
        run = i;
        while (run < n && !escape_of[s[run]])
            run++;
        memcpy(out, s + i, run - i);
        out += run - i;
        if (run == n)
            break;
        *out++ = '\\';
        if (escape_of[s[run]] == 'u') {
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = (unsigned char)hex[s[run] >> 4];
            *out++ = (unsigned char)hex[s[run] & 15];
        } else {
            *out++ = escape_of[s[run]];
        }
        i = run + 1;
    }
    *out++ = '"';
    return (size_t)(out - dst);
}

size_t sr_json_uint(uint64_t v, unsigned char *dst)
{
    unsigned char digits[SR_JSON_UINT_ROOM];
    size_t n = 0, i;
    do {
        digits[n++] = (unsigned char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++)
        dst[i] = digits[n - 1 - i];
    return n;
}
