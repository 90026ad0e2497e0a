/* The C tokenizer alone, without Python: how fast sr_tokenize runs over a
 * corpus of payloads.  Built and run by benchmarks/tokenizer_speed.py.
 *
 * Input file: each payload as a 4-byte little-endian length and its bytes.
 * Output: one line with the best throughput over PASSES passes. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "smartrest.h"

enum { PASSES = 300, CHUNK = 512 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    static sr_field out[CHUNK];
    unsigned char **bufs = NULL;
    size_t *lens = NULL, np = 0, cap = 0, total = 0, fields = 0, i;
    unsigned char head[4];
    double best = 1e30;
    int pass;
    FILE *f;
    if (argc != 2 || !(f = fopen(argv[1], "rb"))) {
        fprintf(stderr, "usage: tokenizer_speed CORPUS\n");
        return 2;
    }
    while (fread(head, 1, 4, f) == 4) {
        size_t n = (size_t)head[0] | (size_t)head[1] << 8 | (size_t)head[2] << 16
                   | (size_t)head[3] << 24;
        if (np == cap) {
            cap = cap ? 2 * cap : 256;
            bufs = realloc(bufs, cap * sizeof(*bufs));
            lens = realloc(lens, cap * sizeof(*lens));
            if (!bufs || !lens)
                return 1;
        }
        bufs[np] = malloc(n ? n : 1);
        if (!bufs[np] || fread(bufs[np], 1, n, f) != n)
            return 1;
        lens[np++] = n;
        total += n;
    }
    fclose(f);
    for (pass = 0; pass < PASSES; pass++) {
        double t0 = now(), dt;
        fields = 0;
        for (i = 0; i < np; i++) {
            sr_tokenizer t;
            size_t nf;
            int rc;
            sr_init(&t, 0, 0);
            do {
                rc = sr_tokenize(&t, bufs[i], lens[i], 1, out, CHUNK, &nf);
                fields += nf;
            } while (rc == SR_FULL);
            if (rc == SR_ERROR) {
                fprintf(stderr, "payload %zu: error %d\n", i, t.err);
                return 1;
            }
        }
        dt = now() - t0;
        if (dt < best)
            best = dt;
    }
    printf("%.2f GB/s (%zu payloads, %zu bytes, %zu fields, best of %d passes)\n",
           (double)total / best / 1e9, np, total, fields, PASSES);
    for (i = 0; i < np; i++)
        free(bufs[i]);
    free(bufs);
    free(lens);
    return 0;
}
