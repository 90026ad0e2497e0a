/* Escaping values for SmartREST rows (DIALECT.md section 3), and the MQTT
 * packet size.  Callers count first (sr_escaped_len), allocate once, then
 * write (sr_escape); clean values are copied whole. */
#include <string.h>

#include "smartrest.h"
#include "swar.h"

/* ASCII whitespace at the edges of a value forces quoting. */
static inline int is_edge_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Count the quotes in v and tell whether it must be quoted. */
static int scan_value(const unsigned char *v, size_t n, size_t *quotes)
{
    size_t i = 0, q = 0;
    int special = 0;
    if (n == 0) {
        *quotes = 0;
        return 0;
    }
    while (i + 8 <= n) {
        uint64_t w = sr_load64(v + i);
        if (sr_has_byte(w, '"') | sr_has_byte(w, ',') | sr_has_byte(w, '\n') |
            sr_has_byte(w, '\r') | sr_has_byte(w, '\t'))
            break;
        i += 8;
    }
    for (; i < n; i++) {
        unsigned char c = v[i];
        if (c == '"') {
            q++;
            special = 1;
        } else if (c == ',' || c == '\n' || c == '\r' || c == '\t') {
            special = 1;
        }
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

uint64_t sr_packet_size(size_t topic_len, size_t payload_len, int qos)
{
    uint64_t r = 2 + (uint64_t)topic_len + (qos > 0 ? 2 : 0) + (uint64_t)payload_len;
    unsigned vl = r < 128 ? 1 : r < 16384 ? 2 : r < 2097152 ? 3 : 4;
    return 1 + vl + r;
}
