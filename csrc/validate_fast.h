/* The block path of the validator, written once and included by validate.c
 * for each classifier of simd.h (internal to the C core).
 *
 * Before inclusion define SR_VFAST_NAME (the function), SR_VFAST_FIELDS
 * (its field-by-field helper), SR_VFAST_ATTR (their attributes),
 * SR_CLASSIFY (a classifier of simd.h) and SR_PREFIX_XOR.
 *
 * The function reads the rows of d[0..len) from the start, 64 bytes at a
 * time, but keeps no field records: each value goes straight into the
 * row's value array (a vrow), and each row is checked against its template (row_passes) at its LF.  It decides only
 * that rows are valid.  It stops, returning 0, at the first thing it does
 * not take (a row that does not pass, in strict mode a quoted field with
 * bytes after its closing quote, invalid UTF-8, a row of too many values):
 * the caller then validates the whole payload the slow way, which names the
 * problem.  Otherwise it returns 1 with *done the start of the first row it
 * did not read (fewer than 64 bytes were left), every row before it valid.
 *
 * A block is read as a whole, with the quote state carried from the block
 * before (docs/dialect.md, section 2): the live quotes are those no
 * backslash precedes, and their prefix XOR is the inside of the quoted
 * fields, so the commas and LFs outside it are the real separators.  That
 * reading is the dialect's as long as every quote that opens (by the
 * parity) is a field's first byte or follows a closing quote at once (the
 * pair ""): a quote inside an unquoted field or in the bytes after a
 * closing quote is an ordinary byte to the dialect, but would flip the
 * parity.  A block where some quote opens elsewhere, or, in strict mode, a
 * closing quote is followed by anything but a separator, the other quote
 * of a pair or the CR of a CR LF, is read field by field instead
 * (SR_VFAST_FIELDS, the field start search of the tokenizer's block path),
 * from the field it is in; the next block starts at the field start where
 * that left off.
 *
 * A value is its bytes less the quotes at both ends when it starts with a
 * quote: exact for a quoted field without escapes or bytes after its
 * closing quote; otherwise the value has a quote left in it, is not empty
 * (a quoted field is empty only as the two bytes ""), and a typed value
 * with a quote fails every syntax, so its row is left to the slow way.
 * The UTF-8 of each block is checked from its first to its last byte >=
 * 0x80 (and the continuation bytes that follow into the next block): the
 * payload is valid UTF-8 exactly when every such stretch is, since the
 * bytes between them are ASCII. */

/* One block read field by field from the field start r->p (its block
 * starting there), as the tokenizer's block path reads it; a field longer
 * than the block is read by long_field.  1: go on from r->p; 0: the field
 * at r->p ends the payload (the tail's); -1: stop (the slow way decides). */
SR_VFAST_ATTR static int SR_VFAST_FIELDS(const unsigned char *d, size_t len, unsigned where,
                                         int strict, vrow *r)
{
    size_t p = r->p, bs = p;
    sr_masks m;
    uint64_t rest, done = 0;
    SR_CLASSIFY(d + bs, &m);
    rest = m.sep;
    for (;;) {
        uint64_t bit, upto;
        size_t e, end;
        sr_value *v = &r->v[r->nv]; /* r->nv < VFAST_VALUES: vrow_value */
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
                return -1; /* bytes after the closing quote */
            if (end > qend + 1 || (m.quote & ~(done | (done + 1)) & (cl - 1) & ~cl)) {
                v->ptr = d + p; /* escapes: the raw field */
                v->len = end - p;
            } else {
                v->ptr = d + p + 1;
                v->len = qend - p - 1;
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
            v->ptr = d + p;
            v->len = end - p;
        }
        upto = rest ^ (rest - 1);
        rest ^= bit;
        if ((m.high & upto & ~done) && sr_utf8_check(d + p, end - p) < end - p)
            return -1;
        done = upto;
        if (vrow_value(r, len, e, m.lf & bit, end == p, where) < 0)
            return -1;
        p = e + 1;
    }
    r->p = p;
    return 1;
long_field: /* a field longer than its block */
    {
        size_t e;
        int k = long_field(d, len, p, strict, &r->v[r->nv], &e);
        if (k <= 0)
            return k;
        if (vrow_value(r, len, e, d[e] == '\n', 0, where) < 0)
            return -1;
        r->p = e + 1;
        return 1;
    }
}

SR_VFAST_ATTR static int SR_VFAST_NAME(const unsigned char *d, size_t len, unsigned where,
                                       int strict, size_t *done_to)
{
    vrow r;
    size_t bs = 0, p = 0, nv = 0, utf_to = 0;
    /* The state at byte bs - 1: inside quotes (all ones), a backslash, the
     * end of a field (bs starts one), a closing quote, a CR. */
    uint64_t in = 0, bsl_in = 0, fs_in = 1, close_in = 0, cr_in = 0;

    r.row_start = 0;
    while (bs + 64 <= len) {
        sr_masks m;
        uint64_t live, inside, open, close, real, rest;
        sr_value *vp;
        SR_CLASSIFY(d + bs, &m);
        m.crlf |= m.lf & cr_in;
        live = m.quote & ~((m.bsl << 1) | bsl_in);
        inside = SR_PREFIX_XOR(live) ^ in;
        real = m.sep & ~inside;
        open = live & inside;
        close = live & ~inside;
        /* A block adds at most 64 values; the helper takes fewer than
         * VFAST_VALUES. */
        if (nv >= VFAST_VALUES)
            return 0; /* a row of too many values */
        if ((open & ~((real << 1) | fs_in | (close << 1) | close_in)) ||
            (strict && (((close << 1) | close_in) & ~(real | live | (m.crlf >> 1)))))
            goto by_field;
        if (m.high && !span_utf8(d, len, bs, m.high, &utf_to))
            return 0;
        vp = r.v + nv;
        if (!(m.quote | m.crlf | in) && d[p] != '"') {
            /* No quote and no CR LF, and the field carried into the block
             * (if any) is not quoted: each value is its field. */
            for (rest = real; rest; rest &= rest - 1) {
                unsigned k = sr_ctz64(rest);
                size_t e = bs + k;
                vp->ptr = d + p;
                vp->len = e - p;
                vp++;
                if ((m.lf >> k) & 1) {
                    nv = (size_t)(vp - r.v);
                    if ((nv != 1 || e != p) && /* else an empty line: no row */
                        !row_passes(r.v, nv, where, e + SR_CHECK_PAD <= len))
                        return 0;
                    vp = r.v;
                    r.row_start = e + 1;
                }
                p = e + 1;
            }
        } else {
            for (rest = real; rest; rest &= rest - 1) {
                unsigned k = sr_ctz64(rest);
                size_t e = bs + k, end = e - (size_t)((m.crlf >> k) & 1);
                size_t q = d[p] == '"';
                vp->ptr = d + p + q;
                vp->len = end - p - 2 * q;
                vp++;
                if ((m.lf >> k) & 1) {
                    nv = (size_t)(vp - r.v);
                    if ((nv != 1 || end != p) && /* else an empty line (or CR LF): no row */
                        !row_passes(r.v, nv, where, e + SR_CHECK_PAD <= len))
                        return 0;
                    vp = r.v;
                    r.row_start = e + 1;
                }
                p = e + 1;
            }
        }
        nv = (size_t)(vp - r.v);
        in = 0 - (inside >> 63);
        bsl_in = m.bsl >> 63;
        fs_in = real >> 63;
        close_in = close >> 63;
        cr_in = d[bs + 63] == '\r';
        bs += 64;
        continue;
    by_field: /* from the field this block is in, field by field */
        if (p + 64 > len)
            break;
        r.p = p;
        r.nv = nv;
        switch (SR_VFAST_FIELDS(d, len, where, strict, &r)) {
        case -1:
            return 0;
        case 0:
            goto tail;
        default:
            break;
        }
        bs = p = r.p;
        nv = r.nv;
        in = bsl_in = close_in = cr_in = 0;
        fs_in = 1;
        utf_to = p; /* what the helper read, it checked */
    }
tail:
    *done_to = r.row_start;
    return 1;
}

/* Its parameters, undefined for the next inclusion. */
#undef SR_VFAST_NAME
#undef SR_VFAST_FIELDS
#undef SR_VFAST_ATTR
#undef SR_CLASSIFY
#undef SR_PREFIX_XOR
