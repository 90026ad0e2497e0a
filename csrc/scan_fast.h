/* The block fast path of the tokenizer, written once and included by
 * tokenizer.c for each classifier of simd.h (internal to the C core).
 *
 * Before inclusion define SR_FAST_NAME (the function), SR_FAST_ATTR (its
 * attributes), SR_CLASSIFY (a classifier of simd.h) and SR_PREFIX_XOR.
 *
 * The function tokenizes whole fields from the field start at *pp (state
 * SR_S_FIELD_START), 64 bytes at a time, and emits every field that ends
 * (at its comma or LF) inside the block, unquoted or quoted.  It stops at
 * a field start, leaving that field to the state machine, when fewer than
 * 64 bytes are left, the output is full, a row could pass row_limit within
 * the block, a field holds invalid UTF-8, a quoted field is longer than the
 * block, or, in strict mode, a quoted field has bytes after its closing
 * quote: what it emits is what the state machine would, field for field,
 * and every error is the state machine's to report.  Returns 1 if it ended
 * a row (the next field may then start a row).
 *
 * Each block is classified once and taken one of three ways.  A common
 * block (no quote, no CR before a LF, no empty line, room for all its
 * fields) has only real separators: its fields are emitted by walking the
 * separator bits with no test per field, their UTF-8 is checked in one go
 * and rows and fields are counted once for the block.  An unquoted field it
 * leaves open is carried into the next block, 64 bytes on, so that the next
 * block's loads do not wait for this one's fields.  Any other block that
 * starts at a field start is taken field by field.  Any other block that
 * starts inside a carried field is taken by events: the fields that start
 * with a quote and the empty lines (LF or CR LF at a row start).  The
 * unquoted fields before an event are a run, emitted like a common block;
 * a quoted field ends at the first separator after its closing quote,
 * which drops the events and separators inside it.  Otherwise the next
 * block starts at the field this one leaves open. */

/* Emit the fields of a run, ended by the separators in r: start, length
 * (less a CR before the LF when cr is 1) and flags (ROW_END for a LF, and
 * hiflag); cr and hiflag may use k, the separator's bit. */
#define SR_RUN(cr, hiflag)                                                                        \
    do {                                                                                          \
        unsigned k = sr_ctz64(r);                                                                 \
        size_t e = bs + k;                                                                        \
        o->start = p;                                                                             \
        o->len = e - p - (size_t)(cr);                                                            \
        o->flags = (unsigned)((m.lf >> k) & 1) | (hiflag);                                        \
        p = e + 1;                                                                                \
        o++;                                                                                      \
        r &= r - 1;                                                                               \
    } while (r)

SR_FAST_ATTR static int SR_FAST_NAME(sr_tokenizer *t, const unsigned char *buf, size_t len,
                                     size_t *pp, sr_field *out, size_t cap, size_t *pn)
{
    size_t p = *pp;
    sr_field *o = out + *pn, *const oend = out + cap;
    /* Kept in locals: stores to out may alias *t. */
    uint64_t field = t->field, row = t->row, rs = t->row_start;
    const uint64_t base = t->base, limit = t->row_limit;
    const int strict = t->strict;
    int ended = 0, stop = 0;
    size_t bs = p;         /* the block; p < bs while a field is carried */
    uint64_t carry_hi = 0; /* 1: the carried field has a byte >= 0x80 */

    while (!stop && bs + 64 <= len && o < oend) {
        sr_masks m;
        uint64_t rest;         /* separators from p on */
        uint64_t from = ~0ULL; /* the bytes from p on */
        uint64_t used = 0;     /* separators that ended a field or an empty line */
        uint64_t empty = 0;    /* those of empty lines */
        uint64_t events, rsm, lfs;
        const uint64_t start = p == bs; /* p's bit, 0 when carried */
        int carry = 0;
        if (limit && base + bs + 64 - rs > limit)
            break; /* rows starting later in the block are shorter still */
        SR_CLASSIFY(buf + bs, &m);
        if (!start)
            m.crlf |= m.lf & (uint64_t)(buf[bs - 1] == '\r');
        rsm = (m.lf << 1) | (field == 0 ? start : 0); /* row starts */
        if (!(m.quote | m.crlf | (m.lf & rsm)) && m.sep
            && ((size_t)(oend - o) >= 64 || sr_popcount64(m.sep) <= (size_t)(oend - o))) {
            /* The common block: no quote, no CR before a LF, no empty
             * line, so every comma and LF in it ends a field. */
            uint64_t r = m.sep;
            unsigned last = 63 - sr_clz64(m.sep);
            uint64_t hi = m.high & ((2ULL << last) - 1);
            if (hi | carry_hi) {
                /* The separators that end a field with a byte >= 0x80:
                 * adding those bytes to the mask of the others carries
                 * into the separator that ends their field. */
                uint64_t hf = ((~m.sep + hi) & m.sep) | ((0 - carry_hi) & r & (0 - r));
                /* The UTF-8 as in the runs below; a bad field is theirs.
                 * The most common case, one two-byte sequence, is checked
                 * here. */
                uint64_t pair = hi & (0 - hi);
                if (carry_hi || hi != pair * 3
                    || (unsigned)(buf[bs + sr_ctz64(hi)] - 0xC2) > 0xDF - 0xC2
                    || (buf[bs + sr_ctz64(hi) + 1] & 0xC0) != 0x80) {
                    size_t lo = carry_hi ? p : bs + sr_ctz64(hi);
                    size_t up = hi ? bs + 64 - sr_clz64(hi) : bs;
                    if (sr_utf8_check(buf + lo, up - lo) < up - lo)
                        goto by_field;
                }
                SR_RUN(0, (unsigned)((hf >> k) << 2) & SR_F_HIGH);
            } else {
                SR_RUN(0, 0u);
            }
            lfs = m.lf;
            row += sr_popcount64(lfs);
            if (lfs) {
                unsigned kl = 63 - sr_clz64(lfs); /* the last LF */
                field = sr_popcount64(m.sep >> kl) - 1;
                rs = base + bs + kl + 1;
                ended = 1;
            } else {
                field += sr_popcount64(m.sep);
            }
            if (last < 62) {
                /* A branch, not a select (see SR_OPAQUE). */
                SR_OPAQUE(bs);
                bs += 64;
                carry_hi = (m.high >> (last + 1)) != 0;
            } else {
                bs = p;
                carry_hi = 0;
            }
            continue;
        }
    by_field:
        if (start) {
            /* Field by field from p, at the block's start. */
            uint64_t done = 0; /* the bytes before p; done + 1 is p's bit */
            rest = m.sep;
            for (;;) {
                uint64_t bit, upto, is_lf;
                unsigned flags = 0;
                size_t e, end;
                if (o == oend)
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
                        o->start = p;
                        o->len = end - p;
                        flags |= SR_F_UNESCAPE;
                    } else {
                        o->start = p + 1;
                        o->len = qend - p - 1;
                    }
                } else {
                    if (!rest) {
                        stop = p == bs;
                        break;
                    }
                    bit = rest & (0 - rest);
                    e = bs + sr_ctz64(rest);
                    end = e - (size_t)((m.crlf & bit) != 0);
                    o->start = p;
                    o->len = end - p;
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
                o->flags = flags | (unsigned)is_lf;
                if (!is_lf) {
                    o++;
                    field++;
                } else {
                    if (field != 0 || end != p) {
                        o++;
                        row++;
                    } /* else an empty line (or CR LF): no row */
                    field = 0;
                    rs = base + e + 1;
                    ended = 1;
                }
                p = e + 1;
            }
            bs = p;
            continue;
        }
        /* Events, as if every separator were real: those a quoted field
         * holds are dropped with it. */
        events = ((start | (m.sep << 1)) & m.quote) | (m.lf & (rsm | ((rsm << 1) & m.crlf)));
        rest = m.sep;
        for (;;) {
            uint64_t ev = events & from, ob = ev & (0 - ev);
            uint64_t run = rest & (ob - 1);
            uint64_t above, live, cl, after, bit;
            unsigned rel, k, flags;
            size_t qend, e, end;
            int trailing, unesc;
            if (o == oend)
                break;
            if (run) {
                uint64_t r, hi;
                size_t avail = (size_t)(oend - o);
                int bad = 0;
                if (avail < 64 && sr_popcount64(run) > avail) {
                    /* As many fields as the output takes. */
                    uint64_t over = run;
                    size_t i;
                    for (i = 0; i < avail; i++)
                        over &= over - 1;
                    run ^= over;
                }
                k = 63 - sr_clz64(run); /* the run's last separator */
                hi = m.high & from & ((2ULL << k) - 1);
                if (hi | carry_hi) {
                    /* Separators are ASCII, so the run's fields are valid
                     * UTF-8 if their bytes are as one span, and its first
                     * bad byte is in the first bad field.  Bytes before the
                     * first byte >= 0x80 and after the one that follows the
                     * last cannot make it invalid: only the stretch between
                     * is checked (from the carried field's start when it
                     * has such bytes). */
                    size_t lo = carry_hi ? p : bs + sr_ctz64(hi);
                    size_t up = hi ? bs + 64 - sr_clz64(hi) : bs;
                    size_t at = lo + sr_utf8_check(buf + lo, up - lo);
                    if (at < up) {
                        /* The fields before it; the state machine takes
                         * the bad one. */
                        run &= at > bs ? ((uint64_t)1 << (at - bs)) - 1 : 0;
                        bad = 1;
                    }
                    hi |= carry_hi; /* bit 0 ends the carried field */
                    carry_hi = 0;
                }
                r = run;
                if (!r) {
                    /* the carried field is bad */
                } else if (hi) {
                    do {
                        uint64_t upto = r ^ (r - 1); /* bits up to the separator */
                        unsigned f = (hi & upto) ? SR_F_HIGH : 0u;
                        hi &= ~upto;
                        k = sr_ctz64(r);
                        e = bs + k;
                        o->start = p;
                        o->len = e - p - (size_t)((m.crlf >> k) & 1);
                        o->flags = (unsigned)((m.lf >> k) & 1) | f;
                        p = e + 1;
                        o++;
                        r &= r - 1;
                    } while (r);
                } else if (m.crlf) {
                    SR_RUN((m.crlf >> k) & 1, 0u);
                } else {
                    SR_RUN(0, 0u); /* the common run */
                }
                used |= run;
                if (bad) {
                    stop = 1;
                    break;
                }
                if (o == oend)
                    break;
                k = 63 - sr_clz64(run);
                from = 0 - (2ULL << k);
                rest &= from;
            }
            if (!ob) {
                /* Every separator used: the field left open is carried
                 * on, unless it is a lone byte, which could be the CR of
                 * an empty line. */
                if (p + 1 < bs + 64) {
                    carry_hi |= (m.high & from) != 0;
                    carry = 1;
                }
                break;
            }
            if (ob & m.lf) {
                /* An empty line: no field, no row. */
                used |= ob;
                empty |= ob;
                p = bs + sr_ctz64(ob) + 1;
                from = 0 - (ob << 1);
                rest &= from;
                continue;
            }
            /* A quoted field at p: live quotes, their parity, its close. */
            rel = (unsigned)(p - bs);
            if (rel >= 62)
                break;
            above = 0 - (ob << 1);
            live = (m.quote & ~(m.bsl << 1) & above) | ob;
            cl = sr_closers(live, SR_PREFIX_XOR(live));
            after = rest & ~(cl ^ (cl - 1)); /* the separators after the close */
            if (!cl || !after) {
                stop = rel == 0;
                break;
            }
            qend = bs + sr_ctz64(cl);
            bit = after & (0 - after);
            k = sr_ctz64(after);
            e = bs + k;
            end = e - (size_t)((m.crlf >> k) & 1);
            trailing = end > qend + 1;
            if (trailing && strict) {
                stop = 1;
                break;
            }
            flags = SR_F_QUOTED | (unsigned)((m.lf >> k) & 1);
            if (m.high & (bit | (bit - 1)) & above) {
                if (sr_utf8_check(buf + p, end - p) < end - p) {
                    stop = 1;
                    break;
                }
                flags |= SR_F_HIGH;
            }
            /* Any quote between the two is half of an escape. */
            unesc = trailing || (m.quote & above & (cl - 1) & ~cl) != 0;
            o->start = unesc ? p : p + 1;
            o->len = unesc ? end - p : qend - p - 1;
            o->flags = flags | (unesc ? SR_F_UNESCAPE : 0u);
            o++;
            used |= bit;
            p = e + 1;
            from = 0 - (bit << 1);
            rest = after & from;
        }
        /* Rows and fields, counted once for the block. */
        lfs = used & m.lf;
        row += sr_popcount64(lfs & ~empty);
        if (lfs) {
            unsigned kl = 63 - sr_clz64(lfs); /* the last LF */
            field = sr_popcount64(used >> kl) - 1;
            rs = base + bs + kl + 1;
            ended = 1;
        } else {
            field += sr_popcount64(used);
        }
        if (carry) {
            /* A branch, not a select, so that the next block's loads need
             * not wait for this block's fields. */
            SR_OPAQUE(bs);
            bs += 64;
        } else {
            bs = p;
        }
    }
    t->field = field;
    t->row = row;
    t->row_start = rs;
    *pp = p;
    *pn = (size_t)(o - out);
    return ended;
}

#undef SR_RUN

/* Its parameters, undefined for the next inclusion. */
#undef SR_FAST_NAME
#undef SR_FAST_ATTR
#undef SR_CLASSIFY
#undef SR_PREFIX_XOR
