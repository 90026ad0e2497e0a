/* The block path of the validator, written once and included by validate.c
 * for each classifier of simd.h (internal to the C core).
 *
 * Before inclusion define SR_VFAST_NAME (the function), SR_VFAST_ATTR (its
 * attributes), SR_CLASSIFY (a classifier of simd.h) and SR_PREFIX_XOR.
 *
 * The function reads the rows of d[0..len) from the start, as the block
 * path of the tokenizer (scan_fast.h) splits them, but keeps no field
 * records: each value goes straight into the row's value array, and each
 * row is checked against its template (check_row) at its LF.  It decides
 * only that rows are valid.  It stops, returning 0, at the first thing it
 * does not take (a row that does not pass, in strict mode a quoted field
 * with bytes after its closing quote, invalid UTF-8, a row of too many
 * values): the caller then validates the whole payload the slow
 * way, which names the problem.  Otherwise it returns 1 with *done the
 * start of the first row it did not read (fewer than 64 bytes were left),
 * every row before it valid.
 *
 * A field longer than its block is read by long_field (validate.c).  A
 * quoted field with escapes, or with bytes after its closing quote (kept
 * in the default mode), keeps its raw bytes as its value.  That is exact
 * for what check_row asks of a value it does not type (empty or not: both
 * hold at least one byte), and a typed value with a quote in it fails
 * every syntax, so its row is left to the slow way. */

SR_VFAST_ATTR static int SR_VFAST_NAME(const unsigned char *d, size_t len, unsigned where,
                                       int strict, size_t *done_to)
{
    sr_value v[VFAST_VALUES];
    size_t p = 0, nv = 0, row_start = 0;
    sr_problem unused;

    while (p + 64 <= len) {
        size_t bs = p;
        sr_masks m;
        uint64_t rest, done;
        SR_CLASSIFY(d + bs, &m);
        rest = m.sep;
        done = 0;
        for (;;) {
            uint64_t bit, upto;
            size_t e, end;
            if (m.quote & (done + 1)) {
                unsigned rel = (unsigned)(p - bs);
                uint64_t live, cl;
                size_t qend;
                if (rel >= 62)
                    break;
                live = (m.quote & ~(m.bsl << 1) & ~(done | (done + 1))) | (done + 1);
                cl = sr_closers(live, SR_PREFIX_XOR(live));
                rest &= ~(cl ^ (cl - 1));
                if (!cl || !rest) {
                    if (rel == 0)
                        goto long_field;
                    break;
                }
                qend = bs + sr_ctz64(cl);
                bit = rest & (0 - rest);
                e = bs + sr_ctz64(rest);
                end = e - (size_t)((m.crlf & bit) != 0);
                if (end > qend + 1 && strict)
                    return 0; /* bytes after the closing quote */
                if (end > qend + 1 || (m.quote & ~(done | (done + 1)) & (cl - 1) & ~cl)) {
                    v[nv].ptr = d + p; /* escapes: the raw field */
                    v[nv].len = end - p;
                } else {
                    v[nv].ptr = d + p + 1;
                    v[nv].len = qend - p - 1;
                }
            } else {
                if (!rest) {
                    if (p == bs)
                        goto long_field;
                    break;
                }
                bit = rest & (0 - rest);
                e = bs + sr_ctz64(rest);
                end = e - (size_t)((m.crlf & bit) != 0);
                v[nv].ptr = d + p;
                v[nv].len = end - p;
            }
            upto = rest ^ (rest - 1);
            rest ^= bit;
            if ((m.high & upto & ~done) && sr_utf8_check(d + p, end - p) < end - p)
                return 0;
            done = upto;
            if (!(m.lf & bit)) {
                if (++nv == VFAST_VALUES)
                    return 0;
            } else {
                if (nv != 0 || end != p) {
                    if (check_row(v, nv + 1, where, e + SR_CHECK_PAD <= len, &unused) != SR_V_OK)
                        return 0;
                } /* else an empty line (or CR LF): no row */
                nv = 0;
                row_start = e + 1;
            }
            p = e + 1;
        }
        continue;
    long_field: /* a field longer than its block */
        {
            size_t e;
            int r = long_field(d, len, p, strict, &v[nv], &e);
            if (r < 0)
                return 0;
            if (r == 0)
                break; /* it ends the payload: the tail's */
            if (d[e] != '\n') {
                if (++nv == VFAST_VALUES)
                    return 0;
            } else {
                if (check_row(v, nv + 1, where, e + SR_CHECK_PAD <= len, &unused) != SR_V_OK)
                    return 0;
                nv = 0;
                row_start = e + 1;
            }
            p = e + 1;
        }
    }
    *done_to = row_start;
    return 1;
}
