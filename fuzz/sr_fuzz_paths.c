/* libFuzzer harness: every scan path of sr_tokenize (smartrest.h) gives the
 * same fields and the same error as the state machine alone, on the whole
 * payload and fed in chunks, with the output array full at any point.
 *
 * Input: byte 0 sets strict mode (bit 0) and the row limit (bits 1-3: none,
 * or 1 to 7 times 9 bytes); byte 1 the output capacity (1 to 256 fields);
 * bytes 2-3 seed the chunk sizes (1 to 200 bytes); the rest is the payload.
 * Each call gets a buffer of exactly its length, so AddressSanitizer sees a
 * read past the end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smartrest.h"

typedef struct {
    uint64_t offset; /* stream offset of the span */
    size_t len;
    unsigned flags;
} rec_field;

typedef struct {
    rec_field *f;
    size_t n;
    int err;
    uint64_t err_offset, err_row, err_field;
} result;

typedef struct {
    int strict;
    uint64_t limit;
    size_t cap;
    unsigned seed;
} config;

static void push(result *r, const sr_tokenizer *t, const sr_field *out, size_t nf)
{
    size_t i;
    for (i = 0; i < nf; i++) {
        r->f[r->n].offset = t->base + out[i].start;
        r->f[r->n].len = out[i].len;
        r->f[r->n].flags = out[i].flags;
        r->n++;
    }
}

/* Tokenize window[0..wlen) until the output is not full; 1 on an error. */
static int drain(sr_tokenizer *t, const unsigned char *w, size_t wlen, int final, sr_field *out,
                 size_t cap, result *r)
{
    int rc;
    do {
        size_t nf = 0;
        rc = sr_tokenize(t, w, wlen, final, out, cap, &nf);
        push(r, t, out, nf);
    } while (rc == SR_FULL);
    return rc == SR_ERROR;
}

/* chunked: 0 for the whole payload in one final call. */
static void run(const unsigned char *data, size_t len, const config *c, int chunked, result *r)
{
    sr_tokenizer t;
    sr_field *out = malloc(c->cap * sizeof(*out));
    unsigned char *w = NULL;
    size_t wlen = 0, fed = 0;
    unsigned rng = c->seed;
    int failed = 0;
    sr_init(&t, c->strict, c->limit);
    r->n = 0;
    while (chunked && fed < len && !failed) {
        size_t step, keep;
        unsigned char *nw;
        rng = rng * 1103515245u + 12345u;
        step = 1 + (rng >> 16) % 200;
        if (step > len - fed)
            step = len - fed;
        nw = malloc(wlen + step);
        if (wlen)
            memcpy(nw, w, wlen);
        memcpy(nw + wlen, data + fed, step);
        free(w);
        w = nw;
        wlen += step;
        fed += step;
        failed = drain(&t, w, wlen, 0, out, c->cap, r)
                 || sr_check_pending(&t, wlen) == SR_ERROR;
        if (!failed) {
            keep = sr_keep_from(&t);
            nw = malloc(wlen - keep + 1);
            memcpy(nw, w + keep, wlen - keep);
            free(w);
            w = nw;
            wlen -= keep;
            sr_rebase(&t, keep);
        }
    }
    if (!chunked) {
        w = malloc(len + 1);
        if (len)
            memcpy(w, data, len);
        wlen = len;
    }
    if (!failed) {
        unsigned char *exact = malloc(wlen + 1);
        if (wlen)
            memcpy(exact, w, wlen);
        drain(&t, exact, wlen, 1, out, c->cap, r);
        free(exact);
    }
    r->err = t.err;
    r->err_offset = t.err_offset;
    r->err_row = t.err_row;
    r->err_field = t.err_field;
    free(w);
    free(out);
}

static void same(const result *a, const result *b, int path, int chunked)
{
    size_t i;
    int ok = a->n == b->n && a->err == b->err;
    if (ok && a->err != SR_OK)
        ok = a->err_offset == b->err_offset && a->err_row == b->err_row
             && a->err_field == b->err_field;
    for (i = 0; ok && i < a->n; i++)
        ok = a->f[i].offset == b->f[i].offset && a->f[i].len == b->f[i].len
             && a->f[i].flags == b->f[i].flags;
    if (!ok) {
        fprintf(stderr, "path %d (%s) differs from the state machine: %zu/%zu fields, error %d/%d\n",
                path, chunked ? "chunked" : "whole", b->n, a->n, b->err, a->err);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int paths[] = {SR_SCAN_SWAR, SR_SCAN_SSE2, SR_SCAN_AVX2, SR_SCAN_AVX512};
    config c;
    result ref, got;
    int chunked;
    size_t p;
    if (size < 4)
        return 0;
    c.strict = data[0] & 1;
    c.limit = 9u * ((data[0] >> 1) & 7);
    c.cap = 1 + data[1];
    c.seed = (unsigned)data[2] | (unsigned)data[3] << 8;
    data += 4;
    size -= 4;
    ref.f = malloc((size + 1) * sizeof(rec_field));
    got.f = malloc((size + 1) * sizeof(rec_field));
    for (chunked = 0; chunked < 2; chunked++) {
        sr_set_scan_path(SR_SCAN_SCALAR);
        run(data, size, &c, chunked, &ref);
        for (p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
            if (sr_set_scan_path(paths[p]) != 0)
                continue; /* not on this CPU or build */
            run(data, size, &c, chunked, &got);
            same(&ref, &got, paths[p], chunked);
        }
    }
    sr_set_scan_path(SR_SCAN_AUTO);
    free(ref.f);
    free(got.f);
    return 0;
}
