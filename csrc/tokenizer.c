/* The resumable SmartREST tokenizer.  See smartrest.h and docs/dialect.md sections 1, 2 and 5. */
#include <stdlib.h>
#include <string.h>

#include "simd.h"
#include "smartrest.h"

/* The block fast path, once per classifier (scan_fast.h). */
#define SR_FAST_NAME fast_swar
#define SR_FAST_ATTR
#define SR_CLASSIFY sr_classify_swar
#define SR_PREFIX_XOR sr_prefix_xor_shift
#include "scan_fast.h"

#ifdef SR_USE_SSE2
#define SR_FAST_NAME fast_sse2
#define SR_FAST_ATTR
#define SR_CLASSIFY sr_classify_sse2
#define SR_PREFIX_XOR sr_prefix_xor_shift
#include "scan_fast.h"
#endif

#ifdef SR_HAVE_AVX2
#define SR_FAST_NAME fast_avx2
#define SR_FAST_ATTR SR_AVX2
#define SR_CLASSIFY sr_classify_avx2
#define SR_PREFIX_XOR sr_prefix_xor_clmul
#include "scan_fast.h"
#endif

#ifdef SR_HAVE_AVX512
#define SR_FAST_NAME fast_avx512
#define SR_FAST_ATTR SR_AVX512
#define SR_CLASSIFY sr_classify_avx512
#define SR_PREFIX_XOR sr_prefix_xor_clmul
#include "scan_fast.h"
#endif

/* Whether this build and CPU can run a scan path. */
static int path_available(int path)
{
    switch (path) {
    case SR_SCAN_SCALAR:
    case SR_SCAN_SWAR:
        return 1;
#ifdef SR_USE_SSE2
    case SR_SCAN_SSE2:
        return 1;
#endif
#ifdef SR_HAVE_AVX2
    case SR_SCAN_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi")
               && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("pclmul");
#endif
#ifdef SR_HAVE_AVX512
    case SR_SCAN_AVX512:
        return path_available(SR_SCAN_AVX2) && __builtin_cpu_supports("avx512f")
               && __builtin_cpu_supports("avx512bw");
#endif
    default:
        return 0;
    }
}

/* The path SMARTREST_SIMD names if it is available, else the fastest. */
static int default_path(void)
{
    static const char *const names[] = {"scalar", "swar", "sse2", "avx2", "avx512"};
    const char *env = getenv("SMARTREST_SIMD");
    int path;
    if (env) {
        for (path = SR_SCAN_SCALAR; path <= SR_SCAN_AVX512; path++) {
            if (strcmp(env, names[path]) == 0 && path_available(path))
                return path;
        }
    }
#ifdef SR_HAVE_AVX512
    /* Before Ice Lake (no AVX512_VBMI2) 512-bit instructions can lower the
     * clock of the core, for other code too: AVX2 there. */
    if (path_available(SR_SCAN_AVX512) && __builtin_cpu_supports("avx512vbmi2"))
        return SR_SCAN_AVX512;
#endif
    for (path = SR_SCAN_AVX2; !path_available(path); path--)
        ;
    return path;
}

static int scan_path = -1; /* not chosen yet */

int sr_scan_path(void)
{
    if (scan_path < 0)
        scan_path = default_path();
    return scan_path;
}

int sr_set_scan_path(int path)
{
    if (path == SR_SCAN_AUTO) {
        scan_path = default_path();
        return 0;
    }
    if (!path_available(path))
        return -1;
    scan_path = path;
    return 0;
}

static int run_fast(int path, sr_tokenizer *t, const unsigned char *buf, size_t len, size_t *pp,
                    sr_field *out, size_t cap, size_t *pn)
{
    switch (path) {
#ifdef SR_HAVE_AVX512
    case SR_SCAN_AVX512:
        return fast_avx512(t, buf, len, pp, out, cap, pn);
#endif
#ifdef SR_HAVE_AVX2
    case SR_SCAN_AVX2:
        return fast_avx2(t, buf, len, pp, out, cap, pn);
#endif
#ifdef SR_USE_SSE2
    case SR_SCAN_SSE2:
        return fast_sse2(t, buf, len, pp, out, cap, pn);
#endif
    default:
        return fast_swar(t, buf, len, pp, out, cap, pn);
    }
}

void sr_init(sr_tokenizer *t, int strict, uint64_t row_limit)
{
    memset(t, 0, sizeof(*t));
    t->strict = strict;
    t->row_limit = row_limit;
    t->state = SR_S_ROW_START;
}

size_t sr_keep_from(const sr_tokenizer *t)
{
    switch (t->state) {
    case SR_S_UNQUOTED:
    case SR_S_QUOTED:
    case SR_S_AFTER_QUOTE:
        return t->field_start;
    default:
        return t->pos;
    }
}

void sr_rebase(sr_tokenizer *t, size_t shift)
{
    t->pos -= shift;
    t->base += shift;
    if (t->field_start >= shift)
        t->field_start -= shift;
    if (t->qend >= shift)
        t->qend -= shift;
}

static int fail(sr_tokenizer *t, int code, uint64_t offset)
{
    t->err = code;
    t->err_offset = offset;
    t->err_row = t->row;
    t->err_field = t->field;
    return SR_ERROR;
}

int sr_check_pending(sr_tokenizer *t, size_t len)
{
    if (t->err != SR_OK)
        return SR_ERROR; /* failed earlier: stays failed */
    /* In ROW_START no row has begun yet: what is left starts at pos. */
    uint64_t start = t->state == SR_S_ROW_START ? t->base + t->pos : t->row_start;
    if (t->row_limit && t->base + len - start > t->row_limit) {
        t->row_start = start;
        return fail(t, SR_E_ROW_TOO_LARGE, start + t->row_limit);
    }
    return SR_DONE;
}

/* Validate the field's bytes and, in strict mode, the bytes after its
 * closing quote; report the problem that starts first. */
static int check_field(sr_tokenizer *t, const unsigned char *buf, size_t end)
{
    size_t bad = end, p;
    if (t->fflags & SR_F_HIGH) {
        size_t n = end - t->field_start;
        size_t at = sr_utf8_check(buf + t->field_start, n);
        if (at < n)
            bad = t->field_start + at;
    }
    if (t->strict && (t->fflags & SR_F_QUOTED)) {
        for (p = t->qend + 1; p < end && p < bad; p++) {
            if (buf[p] != '\\')
                return fail(t, SR_E_TEXT_AFTER_QUOTE, t->base + p);
        }
    }
    if (bad < end)
        return fail(t, SR_E_UTF8, t->base + bad);
    return SR_DONE;
}

/* A row longer than the limit is judged by its first limit + 1 bytes, so
 * that the answer does not depend on how a stream is split: a problem in a
 * field that a comma ends within them is reported (fields are checked in
 * order), anything later gives RowTooLarge.  `sep` is the buffer position
 * of the byte that ends the current field (comma, LF, or the end). */
static int past_limit(sr_tokenizer *t, size_t sep)
{
    return t->row_limit && t->base + sep - t->row_start > t->row_limit;
}

static int row_too_large(sr_tokenizer *t)
{
    return fail(t, SR_E_ROW_TOO_LARGE, t->row_start + t->row_limit);
}

/* The payload ended inside a quoted field. */
static int unterminated(sr_tokenizer *t, size_t len)
{
    if (past_limit(t, len))
        return row_too_large(t);
    return fail(t, SR_E_UNTERMINATED, t->base + t->field_start);
}

/* Emit the current field, ending at `end` (exclusive), ended by the byte
 * at `sep`. */
static inline int emit(sr_tokenizer *t, const unsigned char *buf, size_t end, size_t sep,
                       unsigned row_end, sr_field *f)
{
    unsigned flags = t->fflags;
    if (past_limit(t, sep))
        return row_too_large(t);
    if ((flags & SR_F_HIGH) || (t->strict && (flags & SR_F_QUOTED))) {
        int rc = check_field(t, buf, end);
        if (rc != SR_DONE)
            return rc;
    }
    if (!(flags & SR_F_QUOTED)) {
        f->start = t->field_start;
        f->len = end - t->field_start;
    } else if ((flags & SR_F_UNESCAPE) || end > t->qend + 1) {
        flags |= SR_F_UNESCAPE;
        f->start = t->field_start;
        f->len = end - t->field_start;
    } else {
        f->start = t->field_start + 1;
        f->len = t->qend - t->field_start - 1;
    }
    f->flags = flags | row_end;
    return SR_DONE;
}

/* End of a row (its last field was emitted, which checked its length). */
static void end_row(sr_tokenizer *t)
{
    t->row++;
    t->field = 0;
    t->state = SR_S_ROW_START;
}

int sr_tokenize(sr_tokenizer *t, const unsigned char *buf, size_t len, int final,
                sr_field *out, size_t cap, size_t *n_out)
{
    size_t n = 0;
    size_t p = t->pos;
    int rc, path = sr_scan_path();

#define SAVE() (t->pos = p, *n_out = n)

    if (t->err != SR_OK) {
        /* Failed earlier: the positions kept refer to a buffer that may be
         * gone, so nothing is read; the same error again. */
        *n_out = 0;
        return SR_ERROR;
    }

    for (;;) {
        switch (t->state) {
        case SR_S_ROW_START:
            /* Skip empty lines: LF alone, or CR LF. */
            for (;;) {
                if (p >= len) {
                    SAVE();
                    return SR_DONE;
                }
                if (buf[p] == '\n') {
                    p++;
                } else if (buf[p] == '\r') {
                    if (p + 1 < len) {
                        if (buf[p + 1] != '\n')
                            break;
                        p += 2;
                    } else if (!final) {
                        SAVE();
                        return SR_DONE;
                    } else {
                        break;
                    }
                } else {
                    break;
                }
            }
            t->row_start = t->base + p;
            t->field = 0;
            t->state = SR_S_FIELD_START;
            /* fall through */
        case SR_S_FIELD_START:
            if (path != SR_SCAN_SCALAR && p + 64 <= len && n < cap) {
                int ended = run_fast(path, t, buf, len, &p, out, cap, &n);
                if (ended && t->field == 0) {
                    /* p starts a row: let ROW_START skip empty lines there. */
                    t->state = SR_S_ROW_START;
                    continue;
                }
                t->state = SR_S_FIELD_START;
            }
            if (n == cap) {
                SAVE();
                return SR_FULL;
            }
            t->field_start = p;
            t->fflags = 0;
            if (p < len && buf[p] == '"') {
                t->fflags = SR_F_QUOTED;
                p++;
                t->state = SR_S_QUOTED;
                goto quoted;
            }
            if (p >= len && !final) {
                SAVE();
                return SR_DONE;
            }
            t->state = SR_S_UNQUOTED;
            /* fall through */
        case SR_S_UNQUOTED:
        case SR_S_AFTER_QUOTE:
        plain: {
            /* Up to the next comma or LF; for a quoted field these are the
             * bytes after the closing quote, appended to its value.  A CR
             * right before the LF belongs to the line end. */
            unsigned hi = 0;
            size_t floor = t->state == SR_S_UNQUOTED ? t->field_start : t->qend + 1;
            p = sr_scan_plain(buf, p, len, &hi);
            if (hi)
                t->fflags |= SR_F_HIGH;
            if (p >= len) {
                if (!final) {
                    SAVE();
                    return SR_DONE;
                }
                if ((rc = emit(t, buf, len, len, SR_F_ROW_END, &out[n])) != SR_DONE) {
                    SAVE();
                    return rc;
                }
                end_row(t);
                n++;
                SAVE();
                return SR_DONE;
            }
            if (buf[p] == ',') {
                if ((rc = emit(t, buf, p, p, 0, &out[n])) != SR_DONE) {
                    SAVE();
                    return rc;
                }
                n++;
                p++;
                t->field++;
                t->state = SR_S_FIELD_START;
            } else { /* LF */
                size_t end = p;
                if (end > floor && buf[end - 1] == '\r')
                    end--;
                if ((rc = emit(t, buf, end, p, SR_F_ROW_END, &out[n])) != SR_DONE) {
                    SAVE();
                    return rc;
                }
                end_row(t);
                n++;
                p++;
            }
            continue;
        }
        case SR_S_QUOTED:
        quoted: {
            for (;;) {
                unsigned hi = 0;
                p = sr_scan_quoted(buf, p, len, &hi);
                if (hi)
                    t->fflags |= SR_F_HIGH;
                if (p >= len) {
                    SAVE();
                    return final ? unterminated(t, len) : SR_DONE;
                }
                if (p + 1 >= len) {
                    /* A quote or backslash as the last byte: its meaning
                     * depends on the next byte. */
                    if (!final) {
                        SAVE();
                        return SR_DONE;
                    }
                    if (buf[p] == '\\') {
                        SAVE();
                        return unterminated(t, len);
                    }
                    break; /* closing quote at the very end */
                }
                if (buf[p] == '\\') {
                    if (buf[p + 1] == '"') {
                        t->fflags |= SR_F_UNESCAPE;
                        p += 2;
                    } else {
                        p += 1;
                    }
                } else if (buf[p + 1] == '"') {
                    t->fflags |= SR_F_UNESCAPE;
                    p += 2;
                } else {
                    break; /* closing quote */
                }
            }
            t->qend = p;
            p++;
            t->state = SR_S_AFTER_QUOTE;
            goto plain;
        }
        }
    }
#undef SAVE
}

size_t sr_unescape(const unsigned char *src, size_t len, unsigned char *dst)
{
    size_t i = 1, o = 0; /* src[0] is the opening quote */
    while (i < len) {
        unsigned char c = src[i];
        if (c == '\\' && i + 1 < len && src[i + 1] == '"') {
            dst[o++] = '"';
            i += 2;
        } else if (c == '"') {
            if (i + 1 < len && src[i + 1] == '"') {
                dst[o++] = '"';
                i += 2;
            } else {
                /* The closing quote: the rest is appended as it is. */
                i++;
                memcpy(dst + o, src + i, len - i);
                return o + (len - i);
            }
        } else {
            dst[o++] = c;
            i++;
        }
    }
    return o;
}
