/* The block fast path of the tokenizer, written once and included by
 * tokenizer.c for each classifier of simd.h (internal to the C core).
 *
 * Before inclusion define SR_FAST_NAME (the function), SR_FAST_ATTR (its
 * attributes), SR_CLASSIFY (a classifier of simd.h) and SR_PREFIX_XOR.
 *
 * The function tokenizes whole fields from the field start at *pp (state
 * SR_S_FIELD_START): it classifies the 64 bytes at the current field
 * and emits every field that starts and ends (at its comma or LF) inside
 * them, unquoted or quoted, then classifies the 64 bytes at the next field,
 * and so on.  It stops at a field start, leaving that field to the state
 * machine, when fewer than 64 bytes are left, the output is full, a row
 * could pass row_limit within the block, a field is longer than the block,
 * a field holds invalid UTF-8, or, in strict mode, a quoted field has bytes
 * after its closing quote: what it emits is what the state machine would,
 * field for field, and every error is the state machine's to report.
 * Returns 1 if it ended a row (the next field may then start a row). */

SR_FAST_ATTR static int SR_FAST_NAME(sr_tokenizer *t, const unsigned char *buf, size_t len,
                                     size_t *pp, sr_field *out, size_t cap, size_t *pn)
{
    size_t p = *pp, n = *pn;
    /* Kept in locals: stores to out may alias *t. */
    uint64_t field = t->field, row = t->row, rs = t->row_start;
    const uint64_t base = t->base, limit = t->row_limit;
    const int strict = t->strict;
    int ended = 0, stop = 0;

    while (!stop && p + 64 <= len && n < cap) {
        size_t bs = p;
        sr_masks m;
        uint64_t rest; /* separators not yet used */
        uint64_t done; /* the bytes before p; done + 1 is p's bit */
        if (limit && base + bs + 64 - rs > limit)
            break; /* rows starting later in the block are shorter still */
        SR_CLASSIFY(buf + bs, &m);
        rest = m.sep;
        done = 0;
        for (;;) {
            uint64_t bit, upto, is_lf;
            unsigned flags = 0;
            size_t e, end;
            if (n == cap)
                break;
            if (m.quote & (done + 1)) {
                /* A quoted field: live quotes, their parity, its close. */
                unsigned rel = (unsigned)(p - bs);
                uint64_t live, cl;
                size_t qend;
                int trailing;
                if (rel >= 62)
                    break;
                live = (m.quote & ~(m.bsl << 1) & ~(done | (done + 1))) | (done + 1);
                cl = sr_closers(live, SR_PREFIX_XOR(live));
                rest &= ~(cl ^ (cl - 1)); /* the separators after the close */
                if (!cl || !rest) {
                    stop = rel == 0;
                    break;
                }
                qend = bs + sr_ctz64(cl);
                bit = rest & (0 - rest);
                e = bs + sr_ctz64(rest);
                end = e - (size_t)((m.crlf & bit) != 0);
                trailing = end > qend + 1;
                if (trailing && strict) {
                    stop = 1;
                    break;
                }
                flags = SR_F_QUOTED;
                /* Any quote between the two is half of an escape. */
                if (trailing || (m.quote & ~(done | (done + 1)) & (cl - 1) & ~cl)) {
                    out[n].start = p;
                    out[n].len = end - p;
                    flags |= SR_F_UNESCAPE;
                } else {
                    out[n].start = p + 1;
                    out[n].len = qend - p - 1;
                }
            } else {
                if (!rest) {
                    stop = p == bs;
                    break;
                }
                bit = rest & (0 - rest);
                e = bs + sr_ctz64(rest);
                end = e - (size_t)((m.crlf & bit) != 0);
                out[n].start = p;
                out[n].len = end - p;
            }
            upto = rest ^ (rest - 1); /* bits up to the separator */
            rest ^= bit;
            is_lf = (m.lf & bit) != 0;
            if (m.high & upto & ~done) {
                if (sr_utf8_check(buf + p, end - p) < end - p) {
                    stop = 1;
                    break;
                }
                flags |= SR_F_HIGH;
            }
            done = upto;
            out[n].flags = flags | (unsigned)is_lf;
            if (!is_lf) {
                n++;
                field++;
            } else {
                if (field != 0 || end != p) {
                    n++;
                    row++;
                } /* else an empty line (or CR LF): no row */
                field = 0;
                rs = base + e + 1;
                ended = 1;
            }
            p = e + 1;
        }
    }
    t->field = field;
    t->row = row;
    t->row_start = rs;
    *pp = p;
    *pn = n;
    return ended;
}
