/* The block path of sr_table_run, written once and included by table.c for
 * each classifier of simd.h (internal to the C core).
 *
 * Before inclusion define SR_TFAST_NAME (the function), SR_TFAST_ATTR (its
 * attributes) and SR_CLASSIFY (a classifier of simd.h).
 *
 * The function takes the rows of one payload as take_payload does, but
 * without the tokenizer's field records: each block of 64 bytes, from the
 * start of a field on, is classified once, and the values go straight from
 * its separator bits into the row's value array, each row to fast_row at
 * its LF (or at the end of the payload).  It reads only payloads of
 * unquoted fields with LF line ends: at a quote, a CR before a LF or a
 * field longer than a block it returns ROW_RETRY, with some rows of the
 * payload perhaps taken, and take_payload takes them back and reads the
 * payload the general way.  What it takes is then exactly what the
 * tokenizer gives for such a payload (docs/dialect.md sections 1 and 2: a
 * field ends at a comma or a LF, a row at a LF, a line with no byte holds
 * no row, the last row may lack its LF).  Bytes >= 0x80 must be valid
 * UTF-8 (section 5.2): unquoted fields and the separators between them
 * are the whole payload, and a field split at an ASCII byte is valid when
 * the whole is, so the payload is checked once, as a whole, at its first
 * block that has such a byte.  Otherwise the answer is take_payload's:
 * ROW_OK, ROW_SLOW, ROW_FULL or ROW_NOMEM. */

SR_TFAST_ATTR static int SR_TFAST_NAME(sr_table_set *s, const sr_payload *pl, int64_t message,
                                       double scale)
{
    const unsigned char *d = pl->ptr;
    const size_t len = pl->len;
    sr_value v[SR_TABLE_MAX_VALUES];
    row_shape shape;
    size_t p = 0, nv = 0;
    uint64_t rowno = 0;
    uint32_t mask = 0;
    int utf8_checked = 0, r;
    shape.k = -1;
    shape.n = 0;
    shape.mask = 0;
    shape.id = 0;
    shape.id_k = -1;
    while (p < len) {
        const size_t bs = p;
        sr_masks m;
        uint64_t rest;
        if (len - bs >= 64) {
            SR_CLASSIFY(d + bs, &m);
        } else {
            /* The tail, in a copy padded with zero bytes, which are none
             * of the classified bytes. */
            unsigned char tail[64];
            memset(tail, 0, sizeof tail);
            memcpy(tail, d + bs, len - bs);
            SR_CLASSIFY(tail, &m);
        }
        if (m.quote | m.crlf)
            return ROW_RETRY;
        if (m.high && !utf8_checked) {
            if (sr_utf8_check(d, len) < len)
                return ROW_SLOW; /* the tokenizer's error */
            utf8_checked = 1;
        }
        for (rest = m.sep; rest; rest &= rest - 1) {
            const unsigned k = sr_ctz64(rest);
            const size_t e = bs + k;
            if (nv == SR_TABLE_MAX_VALUES)
                return ROW_SLOW; /* take_row's answer to a row of more values */
            v[nv].ptr = d + p;
            v[nv].len = e - p;
            mask |= (uint32_t)(e != p) << nv;
            p = e + 1;
            if (!((m.lf >> k) & 1)) {
                nv++;
            } else {
                if (nv != 0 || mask != 0) { /* else an empty line: no row */
                    r = fast_row(s, pl, message, rowno++, v, nv + 1, mask, 0, scale, &shape);
                    if (r != ROW_OK)
                        return r;
                }
                nv = 0;
                mask = 0;
            }
        }
        if (len - bs <= 64)
            break; /* the block reached the end: the rest is the last field */
        if (p == bs)
            return ROW_RETRY; /* a field longer than the block */
    }
    if (p < len || nv != 0) { /* the last row, without its LF */
        if (nv == SR_TABLE_MAX_VALUES)
            return ROW_SLOW;
        v[nv].ptr = d + p;
        v[nv].len = len - p;
        mask |= (uint32_t)(len != p) << nv;
        return fast_row(s, pl, message, rowno, v, nv + 1, mask, 0, scale, &shape);
    }
    return ROW_OK;
}

/* Its parameters, undefined for the next inclusion. */
#undef SR_TFAST_NAME
#undef SR_TFAST_ATTR
#undef SR_CLASSIFY
