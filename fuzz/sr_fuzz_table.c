/*
 * libFuzzer harness of the Arrow tables of the C core (table.c), plain C.
 *
 * Three templates are set up by hand, shaped like the registry's: 200
 * (dictionary strings, a NUMBER, a DATE), 400 (a string, a dictionary
 * string, a DATE) and 110 (the serial names the device; an INTEGER and a
 * BOOLEAN).  The input is cut at every 0xFF byte into payloads (each a
 * malloc of exactly its length, so that ASan sees any read past it); the
 * first byte of the input picks, per payload, the registry, the size limit
 * and the device.  Invariants, after sr_table_run over all the payloads:
 *  - it returns the number of payloads (nothing here fills a string column);
 *  - slow_payloads is ascending and within range;
 *  - a payload not listed there gave exactly as many rows, to the tables,
 *    as the tokenizer ends rows in it, each table's rows in payload and row
 *    order; a listed one gave none;
 *  - every string column's offsets start at 0, never decrease and end at
 *    its data length, and its strings are valid UTF-8; every dictionary
 *    index lies below its count of distinct strings, whose offsets are
 *    consistent the same way; no validity bit is set past the rows;
 *  - a second run over the same payloads in a new set gives the same rows;
 *  - each table exports (sr_table_export) as a struct array of its rows with
 *    one child per column, a dictionary for each dictionary column; a child
 *    moved out of it stays readable after the batch is released, until its
 *    own release frees the last of the buffers (ASan's leak check sees
 *    any that are not).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arrow_c.h"
#include "fuzz_check.h"
#include "smartrest.h"

enum { MAX_PAYLOADS = 64 };

static sr_spec specs[3];
static sr_table_template templates[3];
static int16_t lookup[3][1000];
static const int types200[] = {SR_COL_DICT, SR_COL_DICT, SR_COL_NUMBER, SR_COL_DICT,
                               SR_COL_DATE};
static const int types400[] = {SR_COL_DICT, SR_COL_STRING, SR_COL_DATE};
static const int types110[] = {SR_COL_STRING, SR_COL_INTEGER, SR_COL_BOOLEAN};

static void setup(void)
{
    static int done = 0;
    int r;
    if (done)
        return;
    done = 1;
    memset(specs, 0, sizeof specs);
    /* 200,fragment,series,value[,unit[,time]]: fragment, series, value required */
    specs[0].min_len = 4;
    specs[0].fixed_len = 6;
    specs[0].nreq = 3;
    specs[0].req[0] = 1;
    specs[0].req[1] = 2;
    specs[0].req[2] = 3;
    specs[0].width = 1;
    /* 400,type,text[,time] */
    specs[1].min_len = 3;
    specs[1].fixed_len = 4;
    specs[1].nreq = 2;
    specs[1].req[0] = 1;
    specs[1].req[1] = 2;
    specs[1].width = 1;
    /* 110,serial[,count[,flag]]: the BOOLEAN is checked by the spec */
    specs[2].has_serial = 1;
    specs[2].min_len = 2;
    specs[2].fixed_len = 4;
    specs[2].nreq = 1;
    specs[2].req[0] = 1;
    specs[2].nchk = 2;
    specs[2].chk_pos[0] = 2;
    specs[2].chk_type[0] = SR_TYPE_INTEGER;
    specs[2].chk_pos[1] = 3;
    specs[2].chk_type[1] = SR_TYPE_BOOLEAN;
    specs[2].width = 1;
    templates[0] = (sr_table_template){&specs[0], 5, types200, 0};
    templates[1] = (sr_table_template){&specs[1], 3, types400, 0};
    templates[2] = (sr_table_template){&specs[2], 3, types110, 1};
    memset(lookup, 0xFF, sizeof lookup);
    for (r = 0; r < 3; r++) {
        lookup[r][200] = 0;
        lookup[r][400] = 1;
    }
    lookup[0][110] = 2; /* 110 only without a topic */
}

/* Rows the tokenizer ends in p[0..n), or -1 when it does not decode. */
static long tokenizer_rows(const unsigned char *p, size_t n)
{
    sr_tokenizer t;
    sr_field f[256];
    size_t nf, i;
    long rows = 0;
    int rc;
    sr_init(&t, 0, 0);
    do {
        rc = sr_tokenize(&t, p, n, 1, f, 256, &nf);
        if (rc == SR_ERROR)
            return -1;
        for (i = 0; i < nf; i++)
            rows += (f[i].flags & SR_F_ROW_END) != 0;
    } while (rc != SR_DONE);
    return rows;
}

static int bit(const sr_buf *b, size_t i)
{
    return (b->p[i >> 3] >> (i & 7)) & 1;
}

static void check_offsets(const int32_t *off, size_t count, size_t data_len,
                          const unsigned char *data)
{
    size_t i;
    CHECK(off[0] == 0);
    for (i = 0; i < count; i++) {
        CHECK(off[i + 1] >= off[i]);
        if (data == NULL) /* no byte yet: every string empty */
            CHECK(off[i + 1] == 0);
        else
            CHECK(sr_utf8_check(data + off[i], (size_t)(off[i + 1] - off[i])) ==
                  (size_t)(off[i + 1] - off[i]));
    }
    CHECK((size_t)off[count] == data_len);
}

static void check_column(const sr_column *c, size_t rows)
{
    size_t i;
    for (i = rows; i < ((rows + 7) & ~(size_t)7); i++)
        CHECK(!bit(&c->valid, i));
    if (c->type == SR_COL_STRING)
        check_offsets((const int32_t *)c->values.p, rows, c->data.len, c->data.p);
    if (c->type == SR_COL_DICT) {
        if (c->distinct)
            check_offsets((const int32_t *)c->offsets.p, c->distinct, c->data.len, c->data.p);
        for (i = 0; i < rows; i++)
            if (bit(&c->valid, i))
                CHECK(((const int32_t *)c->values.p)[i] >= 0 &&
                      (size_t)((const int32_t *)c->values.p)[i] < c->distinct);
    }
}

/* The rows each payload gave (counts[i]), checking message and row order. */
static void count_rows(const sr_table_set *s, size_t n, long *counts)
{
    size_t k, r, c;
    memset(counts, 0, n * sizeof *counts);
    if (s->tables == NULL)
        return;
    for (k = 0; k < 3; k++) {
        const sr_table *t = &s->tables[k];
        int64_t last = -1;
        uint64_t last_row = 0;
        if (t->rows == 0)
            continue;
        for (r = 0; r < t->rows; r++) {
            int64_t m = ((const int64_t *)t->message.p)[r];
            uint64_t row = ((const uint64_t *)t->row.p)[r];
            CHECK(m >= last && m >= 0 && (size_t)m < n);
            CHECK(m > last || row > last_row);
            last = m;
            last_row = row;
            counts[m]++;
        }
        for (c = 0; c <= templates[k].ncols; c++)
            check_column(&t->cols[c], t->rows);
    }
}

/* Export every table with rows; move one child out, release the batch,
 * read the child's buffers, release the child. */
static void check_export(sr_table_set *s, unsigned sel)
{
    size_t k;
    if (s->tables == NULL)
        return;
    for (k = 0; k < 3; k++) {
        struct ArrowArray batch, moved;
        size_t rows = s->tables[k].rows, c, pick, nch = templates[k].ncols + 3;
        int64_t i;
        if (rows == 0)
            continue;
        CHECK(sr_table_export(s, k, &batch) == 0);
        CHECK(s->tables[k].rows == 0);
        CHECK(batch.length == (int64_t)rows && batch.n_children == (int64_t)nch);
        CHECK(batch.release != NULL && batch.n_buffers == 1);
        for (c = 0; c < nch; c++) {
            const struct ArrowArray *a = batch.children[c];
            int dict = c >= 3 && templates[k].types[c - 3] == SR_COL_DICT; /* c 2: the device */
            CHECK(a->length == (int64_t)rows && a->release != NULL);
            CHECK((a->dictionary != NULL) == dict);
            for (i = 0; i < a->n_buffers; i++)
                CHECK(i == 0 || a->buffers[i] != NULL);
        }
        pick = sel % nch;
        moved = *batch.children[pick];
        batch.children[pick]->release = NULL; /* moved out */
        batch.release(&batch);
        CHECK(batch.release == NULL);
        {
            const unsigned char *b = (const unsigned char *)moved.buffers[1];
            volatile unsigned char sink = b[0]; /* still allocated */
            (void)sink;
            if (moved.dictionary != NULL && moved.dictionary->length > 0)
                sink = ((const unsigned char *)moved.dictionary->buffers[2])[0];
        }
        moved.release(&moved);
        CHECK(moved.release == NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sr_payload payloads[MAX_PAYLOADS];
    unsigned char *bufs[MAX_PAYLOADS];
    long counts[MAX_PAYLOADS], again[MAX_PAYLOADS];
    sr_table_set s, s2;
    size_t n = 0, start = 1, i, j;
    unsigned sel;
    int64_t got;
    if (size < 1)
        return 0;
    setup();
    sel = data[0];
    for (i = 1; i <= size && n < MAX_PAYLOADS; i++) {
        if (i == size || data[i] == 0xFF) {
            size_t len = i - start;
            bufs[n] = (unsigned char *)malloc(len ? len : 1);
            CHECK(bufs[n] != NULL);
            if (len)
                memcpy(bufs[n], data + start, len);
            payloads[n].ptr = bufs[n];
            payloads[n].len = len;
            payloads[n].registry = (int)((sel + n) % 4) - 1; /* -1, 0, 1, 2 */
            payloads[n].max_len = (sel & 0x10) ? 40 : 16184;
            payloads[n].device = (sel & 0x20) ? (const unsigned char *)"child-1" : NULL;
            payloads[n].device_len = (sel & 0x20) ? 7 : 0;
            n++;
            start = i + 1;
        }
    }

    sr_table_set_init(&s, templates, 3, (const int16_t(*)[1000])lookup);
    got = sr_table_run(&s, payloads, 0, (int64_t)n);
    if (got >= 0) {
        const int64_t *slow = (const int64_t *)s.slow_payloads.p;
        size_t nslow = s.slow_payloads.len / sizeof(int64_t);
        CHECK(got == (int64_t)n);
        for (j = 0; j < nslow; j++)
            CHECK(slow[j] >= 0 && (size_t)slow[j] < n && (j == 0 || slow[j] > slow[j - 1]));
        count_rows(&s, n, counts);
        for (i = 0, j = 0; i < n; i++) {
            int listed = j < nslow && (size_t)slow[j] == i;
            if (listed) {
                CHECK(counts[i] == 0);
                j++;
            } else {
                CHECK(counts[i] == tokenizer_rows(payloads[i].ptr, payloads[i].len));
            }
        }
        sr_table_set_init(&s2, templates, 3, (const int16_t(*)[1000])lookup);
        if (sr_table_run(&s2, payloads, 0, (int64_t)n) == (int64_t)n) {
            CHECK(s2.slow_payloads.len == s.slow_payloads.len);
            count_rows(&s2, n, again);
            CHECK(memcmp(again, counts, n * sizeof *counts) == 0);
            check_export(&s2, sel);
        }
        sr_table_set_free(&s2);
    }
    sr_table_set_free(&s);
    for (i = 0; i < n; i++)
        free(bufs[i]);
    return 0;
}
