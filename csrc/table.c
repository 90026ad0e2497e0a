/* Typed Arrow columns of SmartREST messages (declared in smartrest.h, where
 * the contracts are).
 *
 * sr_table_run scans payloads with the tokenizer, checks each row against
 * its template with sr_check_row (check.c) and appends the row's values to
 * the columns of that template: Arrow buffers (validity bitmaps, int64 and
 * float64 values, bit-packed booleans, int32 string offsets and UTF-8
 * data, int32 indices of a dictionary of the distinct strings) that the
 * binding hands to pyarrow without a copy.  NUMBER and DATE values are
 * checked as they are converted: a value the fast conversion takes passes
 * its check, any other goes through sr_check_value first.  A payload with
 * any row these tables do not decide (a decode error, a row that does not
 * fit or that only the Python checks can judge, a date that is no real
 * date, an integer outside int64) is rolled back and reported: the template
 * layer reads it instead.
 *
 * Most payloads (unquoted fields, LF line ends) do not go through the
 * tokenizer's field records: table_fast.h reads their values from the
 * 64-byte block masks of simd.h and hands each row to fast_row, which
 * takes the common values (the dictionary string of the row before, a
 * short decimal, a fixed-layout date) inline and the rest as take_row
 * does.  Every other payload takes the general path above. */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* madvise, posix_memalign */
#endif
#include "arrow_c.h"
#include "decimal.h"
#include "simd.h"
#include "smartrest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* ------------------------------------------------------------ buffers */

#if defined(__linux__) && defined(MADV_HUGEPAGE)
#define SR_LARGE_BLOCKS 1
#include <pthread.h>

/* Blocks of buffers of at least POOLED bytes are malloc'ed (not
 * realloc'ed) at exactly that size, those of at least LARGE bytes in 2 MB
 * multiples on 2 MB boundaries: block_size is the size of the block of a
 * buffer of capacity cap. */
#define HUGE ((size_t)1 << 21)
#define LARGE (2 * HUGE)
/* SR_POOLED: a build may set the least pooled size (the fuzzing build sets
 * a small one, so that small inputs exercise the pool). */
#ifdef SR_POOLED
#define POOLED ((size_t)(SR_POOLED))
#else
#define POOLED ((size_t)1 << 17)
#endif

/* Under AddressSanitizer a pooled block is poisoned until it is taken
 * again: a read or write through a pointer into a freed buffer is still
 * reported. */
#if defined(__SANITIZE_ADDRESS__)
#define SR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SR_ASAN 1
#endif
#endif
#ifdef SR_ASAN
#include <sanitizer/asan_interface.h>
#define POOL_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define POOL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POOL_POISON(p, n) ((void)0)
#define POOL_UNPOISON(p, n) ((void)0)
#endif

static size_t block_size(size_t cap)
{
    return cap >= LARGE ? (cap + HUGE - 1) & ~(HUGE - 1) : cap;
}

/* The pool: blocks of POOLED bytes or more given back (a buffer freed, an
 * export released) and kept for the next buffers, whose pages are then
 * already faulted in and cleared: the kernel's work on fresh pages is a
 * tenth of a run's time or more.  At most pool_limit bytes in POOL_SLOTS
 * blocks; a block that does not fit is freed.  A buffer takes the smallest
 * block that holds it and is less than twice its size (a larger block
 * given to a smaller buffer is known by the buffer's size after). */
enum { POOL_SLOTS = 256 };
static struct {
    void *p;
    size_t size;
} pool[POOL_SLOTS];
static size_t pool_n, pool_bytes, pool_limit = SR_TABLE_POOL_DEFAULT;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* The lock is held across fork(), so that a child does not start with it
 * held by a thread it does not have. */
static void pool_prefork(void)
{
    pthread_mutex_lock(&pool_lock);
}

static void pool_postfork(void)
{
    pthread_mutex_unlock(&pool_lock);
}

static void pool_setup(void)
{
    (void)pthread_atfork(pool_prefork, pool_postfork, pool_postfork);
}

static void pool_lock_take(void)
{
    (void)pthread_once(&pool_once, pool_setup);
    pthread_mutex_lock(&pool_lock);
}

static void *pool_take(size_t size)
{
    void *p = NULL;
    size_t i, best = POOL_SLOTS;
    pool_lock_take();
    for (i = 0; i < pool_n; i++)
        if (pool[i].size >= size && pool[i].size / 2 < size
            && (best == POOL_SLOTS || pool[i].size < pool[best].size))
            best = i;
    if (best != POOL_SLOTS) {
        p = pool[best].p;
        POOL_UNPOISON(p, pool[best].size);
        pool_bytes -= pool[best].size;
        pool[best] = pool[--pool_n];
    }
    pthread_mutex_unlock(&pool_lock);
    return p;
}

/* Free block p of capacity cap (a large one to the pool, if it fits). */
static void block_free(void *p, size_t cap)
{
    if (p != NULL && cap >= POOLED) {
        size_t size = block_size(cap);
        int kept = 0;
        pool_lock_take();
        if (pool_n < POOL_SLOTS && size <= pool_limit - pool_bytes && pool_bytes <= pool_limit) {
            POOL_POISON(p, size);
            pool[pool_n].p = p;
            pool[pool_n].size = size;
            pool_n++;
            pool_bytes += size;
            kept = 1;
        }
        pthread_mutex_unlock(&pool_lock);
        if (kept)
            return;
    }
    free(p);
}

size_t sr_table_pool(size_t limit, size_t *held)
{
    size_t was;
    void *drop[POOL_SLOTS];
    size_t ndrop = 0, i;
    pool_lock_take();
    was = pool_limit;
    if (limit != SR_TABLE_POOL_QUERY) {
        pool_limit = limit;
        while (pool_n && pool_bytes > pool_limit) {
            pool_n--;
            pool_bytes -= pool[pool_n].size;
            POOL_UNPOISON(pool[pool_n].p, pool[pool_n].size);
            drop[ndrop++] = pool[pool_n].p;
        }
    }
    if (held != NULL)
        *held = pool_bytes;
    pthread_mutex_unlock(&pool_lock);
    for (i = 0; i < ndrop; i++)
        free(drop[i]);
    return was;
}
#else
static void block_free(void *p, size_t cap)
{
    (void)cap;
    free(p);
}

size_t sr_table_pool(size_t limit, size_t *held)
{
    (void)limit;
    if (held != NULL)
        *held = 0;
    return 0;
}
#endif

/* realloc(p, want) for a buffer of `have` bytes in use and capacity cap.
 * A large buffer (several MB of a large run: a column written once, front
 * to back) is placed on 2 MB boundaries and, where the system gives huge
 * pages only on request (Linux's transparent huge pages in "madvise"
 * mode), asks for them: a fault per 4 KB page costs more than writing the
 * page.  It comes from the pool when a block there fits. */
static void *grow_block(void *p, size_t have, size_t cap, size_t want)
{
#ifdef SR_LARGE_BLOCKS
    void *q;
    if (want >= POOLED && want <= SIZE_MAX - HUGE) {
        size_t size = block_size(want);
        q = pool_take(size);
        if (q == NULL && size < LARGE) {
            q = malloc(size);
            if (q == NULL)
                return NULL;
        } else if (q == NULL) {
            if (posix_memalign(&q, HUGE, size) != 0)
                return NULL;
            (void)madvise(q, size, MADV_HUGEPAGE); /* a hint: an error is harmless */
        }
        if (have)
            memcpy(q, p, have);
        block_free(p, cap);
        return q;
    }
#else
    (void)have;
    (void)cap;
#endif
    return realloc(p, want);
}

static int buf_reserve(sr_buf *b, size_t extra)
{
    size_t want = b->len + extra, cap;
    unsigned char *p;
    if (want <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    p = (unsigned char *)grow_block(b->p, b->len, b->cap, cap);
    if (p == NULL)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_put(sr_buf *b, const void *src, size_t n)
{
    if (buf_reserve(b, n))
        return -1;
    if (n)
        memcpy(b->p + b->len, src, n);
    b->len += n;
    return 0;
}

/* A dictionary's hash, of realloc (never a large block). */
static void hash_free(sr_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static void buf_free(sr_buf *b)
{
    block_free(b->p, b->cap);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* A function of the per-value path inlined into it even where the
 * compiler would rather not: its call costs as much as its work. */
#if defined(__GNUC__)
#define TABLE_INLINE inline __attribute__((always_inline))
#else
#define TABLE_INLINE inline
#endif

/* ------------------------------------------------------------ dates */

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int num(const unsigned char *s, size_t k)
{
    int v = 0;
    size_t i;
    for (i = 0; i < k; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

int sr_date_micros(const unsigned char *s, size_t n, int64_t *out)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year = num(s, 4), month = num(s + 5, 2), day = num(s + 8, 2);
    int hour = num(s + 11, 2), minute = num(s + 14, 2), second = 0, leap;
    int64_t micro = 0, offset = 0;
    size_t i = 16, f;
    if (year < 1)
        return SR_CHECK_SLOW;
    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > mdays[month - 1] + (month == 2 && leap))
        return SR_CHECK_SLOW;
    if (i < n && s[i] == ':') {
        second = num(s + i + 1, 2);
        i += 3;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            i++;
            for (f = 0; i < n && (unsigned char)(s[i] - '0') < 10; f++, i++)
                if (f < 6)
                    micro = micro * 10 + (s[i] - '0');
            for (; f < 6; f++)
                micro *= 10;
        }
    }
    if (second == 60) { /* read as :59.999999, as datetime can hold it */
        second = 59;
        micro = 999999;
    }
    if (s[i] == '+' || s[i] == '-') {
        int oh = num(s + i + 1, 2), om = 0;
        size_t j = i + 3;
        if (j < n) {
            if (s[j] == ':')
                j++;
            om = num(s + j, 2);
        }
        offset = (int64_t)(oh * 60 + om) * 60;
        if (s[i] == '-')
            offset = -offset;
    }
    *out = ((days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
             offset) * 1000000) + micro;
    return SR_CHECK_PASS;
}


/* YYYY-MM-DDTHH:MM of a date of the fixed layouts as seconds since the
 * epoch: 1 when its digits and ranges are right (year 1 or later), else 0. */
static int minute_of(const unsigned char *s, int64_t *out)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    static const unsigned char at[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15};
    unsigned d[12], bad = 0;
    size_t i;
    int year, month, day, hour, minute, leap;
    if ((s[4] ^ '-') | (s[7] ^ '-') | (s[10] ^ 'T') | (s[13] ^ ':'))
        return 0;
    for (i = 0; i < 12; i++) {
        d[i] = (unsigned)s[at[i]] - '0';
        bad |= d[i] > 9;
    }
    if (bad)
        return 0;
    year = (int)(d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3]);
    month = (int)(d[4] * 10 + d[5]);
    day = (int)(d[6] * 10 + d[7]);
    hour = (int)(d[8] * 10 + d[9]);
    minute = (int)(d[10] * 10 + d[11]);
    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 ||
        day > mdays[month - 1] + (month == 2 && leap))
        return 0;
    *out = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60;
    return 1;
}

static uint64_t date_word(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* The fixed layouts YYYY-MM-DDTHH:MM:SS[.fff](Z|z|+HH:MM|-HH:MM) without a
 * branch per character: 1 and *out set when s is one of them and a real
 * date (year 1 or later, second below 60, offset hour below 24), else 0
 * and the general check and conversion decide.  Every value taken here
 * passes sr_is_date and converts as sr_date_micros converts it.  col keeps
 * the minute of the last date taken: a column of measurements repeats it
 * from row to row, and then only the seconds and the zone are read. */
static TABLE_INLINE int date_fixed(sr_column *col, const unsigned char *s, size_t n, int64_t *out)
{
    size_t tz;
    unsigned s0, s1, f0 = 0, f1 = 0, f2 = 0;
    uint64_t k0, k1;
    int64_t base, micro = 0, offset = 0;
    if (n == 20 || n == 25)
        tz = 19;
    else if (n == 24 || n == 29)
        tz = 23;
    else
        return 0;
    memcpy(&k0, s, 8);
    memcpy(&k1, s + 8, 8);
    if (col->day_valid && k0 == col->day_key[0] && k1 == col->day_key[1]) {
        base = col->day_seconds;
    } else {
        if (!minute_of(s, &base))
            return 0;
        col->day_key[0] = k0;
        col->day_key[1] = k1;
        col->day_seconds = base;
        col->day_valid = 1;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (tz == 23) {
        /* :SS.fff and the zone in two words: every digit byte xor '0' and
         * every separator xor itself must be at most 9 and 0.  Adding 0x76
         * sets the high bit of a byte above 9 (a byte with it set already
         * is caught by the or); a carry out of a byte happens only from
         * one that is caught. */
        const uint64_t highs = UINT64_C(0x8080808080808080);
        uint64_t a = date_word(s + 16) ^ UINT64_C(0x003030302E30303A);
        if (((a + UINT64_C(0x7676767676767676)) | a) & highs & UINT64_C(0x00FFFFFFFFFFFFFF) ||
            (a & UINT64_C(0x00000000FF0000FF)) || ((a >> 8) & 0xFF) > 5)
            return 0;
        micro = (int64_t)(((a >> 32) & 0xFF) * 100 + ((a >> 40) & 0xFF) * 10 +
                          ((a >> 48) & 0xFF)) * 1000;
        if (n == 24) {
            if ((s[23] | 0x20) != 'z')
                return 0;
        } else {
            uint64_t b = date_word(s + 21) ^ UINT64_C(0x30303A3030000000);
            unsigned hh, mm;
            if ((((b + UINT64_C(0x7676767676767676)) | b) & highs & UINT64_C(0xFFFFFFFFFF000000)) ||
                ((b >> 40) & 0xFF) || (s[23] != '+' && s[23] != '-'))
                return 0;
            hh = (unsigned)((b >> 24) & 0xFF) * 10 + (unsigned)((b >> 32) & 0xFF);
            mm = (unsigned)((b >> 48) & 0xFF);
            if (hh > 23 || mm > 5)
                return 0;
            offset = (int64_t)(hh * 60 + mm * 10 + (unsigned)(b >> 56)) * 60;
            if (s[23] == '-')
                offset = -offset;
        }
        *out = (base + (int64_t)(((a >> 8) & 0xFF) * 10 + ((a >> 16) & 0xFF)) - offset) *
                   1000000 + micro;
        return 1;
    }
#endif
    s0 = (unsigned)s[17] - '0';
    s1 = (unsigned)s[18] - '0';
    if (tz == 23) {
        f0 = (unsigned)s[20] - '0';
        f1 = (unsigned)s[21] - '0';
        f2 = (unsigned)s[22] - '0';
        if (s[19] != '.')
            return 0;
    }
    if (s[16] != ':' || (s0 > 5) | (s1 > 9) | (f0 > 9) | (f1 > 9) | (f2 > 9))
        return 0;
    micro = (int64_t)(f0 * 100 + f1 * 10 + f2) * 1000;
    if (n == tz + 1) {
        if ((s[tz] | 0x20) != 'z')
            return 0;
    } else {
        unsigned a = (unsigned)s[tz + 1] - '0', b = (unsigned)s[tz + 2] - '0';
        unsigned c = (unsigned)s[tz + 4] - '0', e = (unsigned)s[tz + 5] - '0';
        if ((s[tz] != '+' && s[tz] != '-') || s[tz + 3] != ':' || (a > 9) | (b > 9) |
            (c > 9) | (e > 9) || a * 10 + b > 23 || c > 5)
            return 0;
        offset = (int64_t)((a * 10 + b) * 60 + c * 10 + e) * 60;
        if (s[tz] == '-')
            offset = -offset;
    }
    *out = (base + (int64_t)(s0 * 10 + s1) - offset) * 1000000 + micro;
    return 1;
}

/* ------------------------------------------------------------ tables */

void sr_table_set_init(sr_table_set *s, const sr_table_template *templates, size_t ntemplates,
                       const int16_t (*lookup)[1000])
{
    memset(s, 0, sizeof *s);
    s->templates = templates;
    s->ntemplates = ntemplates;
    s->lookup = lookup;
}

void sr_table_set_free(sr_table_set *s)
{
    size_t k, c;
    if (s->tables != NULL) {
        for (k = 0; k < s->ntemplates; k++) {
            sr_table *t = &s->tables[k];
            buf_free(&t->message);
            buf_free(&t->row);
            buf_free(&t->slow);
            buf_free(&t->slow_text);
            if (t->cols == NULL)
                continue;
            for (c = 0; c <= s->templates[k].ncols; c++) {
                buf_free(&t->cols[c].valid);
                buf_free(&t->cols[c].values);
                buf_free(&t->cols[c].data);
                buf_free(&t->cols[c].offsets);
                hash_free(&t->cols[c].hash);
            }
            free(t->cols);
        }
    }
    free(s->tables);
    buf_free(&s->slow_payloads);
    buf_free(&s->fields);
    buf_free(&s->scratch);
    s->tables = NULL;
}

static int tables_alloc(sr_table_set *s)
{
    size_t k;
    s->tables = (sr_table *)calloc(s->ntemplates ? s->ntemplates : 1, sizeof(sr_table));
    if (s->tables == NULL)
        return -1;
    for (k = 0; k < s->ntemplates; k++)
        s->tables[k].mark_payload = -1;
    return 0;
}

/* The columns of table k, made at its first row (a table without rows
 * has cols NULL). */
static int columns_alloc(sr_table_set *s, size_t k)
{
    sr_table *t = &s->tables[k];
    size_t c;
    int32_t zero = 0;
    /* cols[0] is the device column, cols[1 + i] parameter i. */
    t->cols = (sr_column *)calloc(s->templates[k].ncols + 1, sizeof(sr_column));
    if (t->cols == NULL)
        return -1;
    for (c = 0; c <= s->templates[k].ncols; c++) {
        sr_column *col = &t->cols[c];
        col->type = c ? s->templates[k].types[c - 1] : SR_COL_STRING;
        if (col->type == SR_COL_STRING && buf_put(&col->values, &zero, 4))
            return -1;
        if (col->type == SR_COL_DICT && buf_put(&col->offsets, &zero, 4))
            return -1;
    }
    return 0;
}

/* Grow buffer b to exactly `want` bytes of capacity (zero-filled past the
 * old capacity when `zero`); never shrinks. */
static int grow_to(sr_buf *b, size_t want, int zero)
{
    unsigned char *p;
    if (want <= b->cap)
        return 0;
    p = (unsigned char *)grow_block(b->p, b->cap, b->cap, want);
    if (p == NULL)
        return -1;
    if (zero)
        memset(p + b->cap, 0, want - b->cap);
    b->p = p;
    b->cap = want;
    return 0;
}

/* Rows every fixed-width buffer of table t has room for (bits past the
 * rows of a bitmap are 0). */
static size_t row_cap(const sr_table *t)
{
    return t->message.cap / 8;
}

/* Room for more rows: twice as many, or the rows the table is on course
 * to reach (its rows times `scale`, the bytes of the run over those read so
 * far, with a tenth more), so that a large run grows its buffers (and
 * copies them) a few times only. */
static int grow_rows(sr_table *t, size_t ncols, double scale)
{
    double course = (double)t->rows * scale * 1.1;
    size_t rows = row_cap(t) ? 2 * row_cap(t) : 1024, c, bits;
    if (course > (double)rows && course < (double)(SIZE_MAX / 16))
        rows = (size_t)course;
    bits = (rows + 7) >> 3;
    if (grow_to(&t->row, rows * 8, 0) || grow_to(&t->message, rows * 8, 0))
        return -1;
    for (c = 0; c <= ncols; c++) {
        sr_column *col = &t->cols[c];
        int r = grow_to(&col->valid, bits, 1);
        switch (col->type) {
        case SR_COL_STRING:
            r |= grow_to(&col->values, (rows + 1) * 4, 0);
            break;
        case SR_COL_DICT:
            r |= grow_to(&col->values, rows * 4, 0);
            break;
        case SR_COL_BOOLEAN:
            r |= grow_to(&col->values, bits, 1);
            break;
        default:
            r |= grow_to(&col->values, rows * 8, 0);
        }
        if (r)
            return -1;
    }
    return 0;
}

static void set_bit(sr_buf *b, size_t i)
{
    b->p[i >> 3] |= (unsigned char)(1u << (i & 7));
}

/* Clear bits [from, to) of bitmap b. */
static void clear_bits(sr_buf *b, size_t from, size_t to)
{
    for (; from < to && (from & 7); from++)
        b->p[from >> 3] &= (unsigned char)~(1u << (from & 7));
    if (from < to)
        memset(b->p + (from >> 3), 0, ((to + 7) >> 3) - (from >> 3));
}

/* The lengths of every buffer of the set's tables, from their row counts. */
static void settle(sr_table_set *s)
{
    size_t k, c;
    for (k = 0; k < s->ntemplates; k++) {
        sr_table *t = &s->tables[k];
        size_t rows = t->rows;
        if (t->cols == NULL)
            continue;
        t->message.len = t->row.len = rows * 8;
        for (c = 0; c <= s->templates[k].ncols; c++) {
            sr_column *col = &t->cols[c];
            col->valid.len = rows ? (rows + 7) >> 3 : 0;
            switch (col->type) {
            case SR_COL_STRING:
                col->values.len = (rows + 1) * 4;
                break;
            case SR_COL_DICT:
                col->values.len = rows * 4;
                col->offsets.len = (col->distinct + 1) * 4;
                break;
            case SR_COL_BOOLEAN:
                col->values.len = rows ? (rows + 7) >> 3 : 0;
                break;
            default:
                col->values.len = rows * 8;
            }
        }
    }
}

/* ------------------------------------------------------------ dictionaries */

static uint64_t load8(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static uint64_t load4(const unsigned char *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

/* A hash of n bytes, 8 at a time; the last (partial) word is read with
 * overlapping loads, never past the bytes. */
static uint32_t hash_bytes(const unsigned char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ n, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        h = (h ^ load8(p + i)) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    if (i < n) {
        if (n >= 8)
            w = load8(p + n - 8);
        else if (n >= 4)
            w = load4(p) | (load4(p + n - 4) << 32);
        else
            w = (uint64_t)p[0] | ((uint64_t)p[n / 2] << 8) | ((uint64_t)p[n - 1] << 16);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
    }
    h ^= h >> 29;
    return (uint32_t)h;
}

/* Whether a[0..n) and b[0..n) are the same bytes: the short strings of a
 * dictionary (fragments, series, units) compared in at most two pairs of
 * overlapping loads, without a call. */
static int same_bytes(const unsigned char *a, const unsigned char *b, size_t n)
{
    uint64_t x, y, u, w;
    uint32_t c, d, e, f;
    if (n >= 8 && n <= 16) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&u, a + n - 8, 8);
        memcpy(&w, b + n - 8, 8);
        return ((x ^ y) | (u ^ w)) == 0;
    }
    if (n >= 4 && n < 8) {
        memcpy(&c, a, 4);
        memcpy(&d, b, 4);
        memcpy(&e, a + n - 4, 4);
        memcpy(&f, b + n - 4, 4);
        return ((c ^ d) | (e ^ f)) == 0;
    }
    if (n < 4) /* the first, middle and last byte: all of them */
        return n == 0 || ((a[0] ^ b[0]) | (a[n / 2] ^ b[n / 2]) | (a[n - 1] ^ b[n - 1])) == 0;
    return memcmp(a, b, n) == 0;
}

/* The slots of a dictionary's hash: 0 empty, else (hash << 32) | (index + 1),
 * linear probing, at most half full.  Entries are taken back newest first,
 * so clearing a slot never cuts a probe chain. */
static size_t dict_slot(const sr_column *col, uint32_t h, const unsigned char *p, size_t n,
                        int64_t *index)
{
    const uint64_t *slots = (const uint64_t *)col->hash.p;
    const int32_t *off = (const int32_t *)col->offsets.p;
    size_t mask = col->hash.cap / 8 - 1, i;
    for (i = h & mask;; i = (i + 1) & mask) {
        uint64_t e = slots[i];
        size_t j;
        if (e == 0) {
            *index = -1;
            return i;
        }
        j = (size_t)(uint32_t)e - 1;
        if ((uint32_t)(e >> 32) == h && (size_t)(off[j + 1] - off[j]) == n &&
            same_bytes(col->data.p + off[j], p, n)) {
            *index = (int64_t)j;
            return i;
        }
    }
}

/* Rebuild the hash of a dictionary with `slots` slots (a power of two). */
static int dict_rehash(sr_column *col, size_t slots)
{
    const int32_t *off = (const int32_t *)col->offsets.p;
    size_t j, i;
    int64_t found;
    unsigned char *p = (unsigned char *)realloc(col->hash.p, slots * 8);
    if (p == NULL)
        return -1;
    memset(p, 0, slots * 8);
    col->hash.p = p;
    col->hash.cap = slots * 8;
    for (j = 0; j < col->distinct; j++) {
        const unsigned char *v = col->data.p + off[j];
        size_t n = (size_t)(off[j + 1] - off[j]);
        uint32_t h = hash_bytes(v, n);
        i = dict_slot(col, h, v, n, &found);
        ((uint64_t *)col->hash.p)[i] = ((uint64_t)h << 32) | (uint64_t)(j + 1);
    }
    return 0;
}

/* What taking a row or payload gives; ROW_RETRY: the block path
 * (table_fast.h) leaves the payload to the general one. */
enum { ROW_OK = 0, ROW_SLOW = 1, ROW_FULL = 2, ROW_RETRY = 3, ROW_NOMEM = -1 };

static int put_dict(sr_column *col, size_t row, const unsigned char *p, size_t n)
{
    const int32_t *off = (const int32_t *)col->offsets.p;
    uint32_t h;
    int64_t index;
    size_t i;
    int32_t end;
    if (col->last) { /* the value of the row before, most often */
        size_t j = col->last - 1;
        if ((size_t)(off[j + 1] - off[j]) == n && same_bytes(col->data.p + off[j], p, n)) {
            ((int32_t *)col->values.p)[row] = (int32_t)j;
            set_bit(&col->valid, row);
            return ROW_OK;
        }
    }
    h = hash_bytes(p, n);
    if ((col->distinct + 1) * 2 > col->hash.cap / 8 &&
        dict_rehash(col, col->hash.cap ? col->hash.cap / 4 : 64))
        return ROW_NOMEM;
    i = dict_slot(col, h, p, n, &index);
    if (index < 0) {
        if (col->data.len + n > (size_t)INT32_MAX)
            return ROW_FULL;
        if (buf_put(&col->data, p, n) || buf_reserve(&col->offsets, 4))
            return ROW_NOMEM;
        end = (int32_t)col->data.len;
        index = (int64_t)col->distinct++;
        ((int32_t *)col->offsets.p)[col->distinct] = end;
        col->offsets.len = (col->distinct + 1) * 4;
        ((uint64_t *)col->hash.p)[i] = ((uint64_t)h << 32) | (uint64_t)col->distinct;
    }
    ((int32_t *)col->values.p)[row] = (int32_t)index;
    set_bit(&col->valid, row);
    col->last = (size_t)index + 1;
    col->last_len = n;
    col->last_word[0] = col->last_word[1] = 0;
    memcpy(col->last_word, p, n < 16 ? n : 16);
    return ROW_OK;
}

/* Take back the dictionary entries from index `keep` on, newest first. */
static void dict_rollback(sr_column *col, size_t keep)
{
    const int32_t *off = (const int32_t *)col->offsets.p;
    int64_t found;
    while (col->distinct > keep) {
        size_t j = col->distinct - 1, n = (size_t)(off[j + 1] - off[j]);
        const unsigned char *v = col->data.p + off[j];
        size_t i = dict_slot(col, hash_bytes(v, n), v, n, &found);
        ((uint64_t *)col->hash.p)[i] = 0;
        col->distinct = j;
    }
    col->data.len = (size_t)off[col->distinct];
    col->offsets.len = (col->distinct + 1) * 4;
    if (col->last > col->distinct)
        col->last = 0;
}

/* ------------------------------------------------------------ rows */

/* Remember where table t stood before the first row of payload `message`. */
static void mark(sr_table *t, size_t ncols, int64_t message)
{
    size_t c;
    if (t->mark_payload == message)
        return;
    t->mark_payload = message;
    t->mark_rows = t->rows;
    t->mark_slow = t->slow.len;
    t->mark_slow_text = t->slow_text.len;
    for (c = 0; c <= ncols; c++)
        t->cols[c].mark_distinct = t->cols[c].distinct;
}

/* Take back every row of payload `message`. */
static void rollback(sr_table_set *s, int64_t message)
{
    size_t k, c;
    for (k = 0; k < s->ntemplates; k++) {
        sr_table *t = &s->tables[k];
        if (t->mark_payload != message)
            continue;
        for (c = 0; c <= s->templates[k].ncols; c++) {
            sr_column *col = &t->cols[c];
            clear_bits(&col->valid, t->mark_rows, t->rows);
            if (col->type == SR_COL_BOOLEAN)
                clear_bits(&col->values, t->mark_rows, t->rows);
            else if (col->type == SR_COL_STRING)
                col->data.len = (size_t)((int32_t *)col->values.p)[t->mark_rows];
            else if (col->type == SR_COL_DICT)
                dict_rollback(col, col->mark_distinct);
        }
        t->rows = t->mark_rows;
        t->slow.len = t->mark_slow;
        t->slow_text.len = t->mark_slow_text;
        t->mark_payload = -1;
    }
}

static int put_string(sr_column *col, size_t row, const unsigned char *p, size_t n, int valid)
{
    if (valid) {
        if (col->data.len + n > (size_t)INT32_MAX)
            return ROW_FULL;
        if (buf_put(&col->data, p, n))
            return ROW_NOMEM;
        set_bit(&col->valid, row);
    }
    ((int32_t *)col->values.p)[row + 1] = (int32_t)col->data.len;
    return ROW_OK;
}

/* A value of a typed column that the fast conversion did not take: passes
 * the check of its type (else the row is left to the template layer). */
static int checked(int type, const unsigned char *ptr, size_t len)
{
    return sr_check_value(type, ptr, len) == SR_CHECK_PASS;
}

/* A NUMBER value's double: SR_NUM_OK, or SR_NUM_SLOW (*d untouched) when
 * only a correctly rounded general parser can tell.  room: the bytes
 * readable from ptr on; with 8 of them a short decimal is read in one load
 * (decimal.h), inline. */
static inline int number_of(const unsigned char *ptr, size_t len, size_t room, double *d)
{
#ifdef SR_DECIMAL_WORDS
    if (room >= 8 && len <= 8)
        return sr_decimal8_padded(ptr, len, d) == SR_NUM_OK ? SR_NUM_OK
                                                            : sr_parse_double(ptr, len, d);
#endif
    return sr_parse_double(ptr, len, d);
}

/* Append the value ptr[0..len) (of parameter c - 1, row `row`; len 0: a
 * missing or empty value) to column col.  room: the bytes readable from
 * ptr on, as for number_of. */
static int put_value(sr_table *t, size_t c, sr_column *col, size_t row,
                     const unsigned char *ptr, size_t len, size_t room)
{
    int valid = len > 0;
    double d = 0;
    int64_t i = 0;
    switch (col->type) {
    case SR_COL_STRING:
        return put_string(col, row, ptr, len, valid);
    case SR_COL_DICT:
        if (!valid) {
            ((int32_t *)col->values.p)[row] = 0;
            return ROW_OK;
        }
        return put_dict(col, row, ptr, len);
    case SR_COL_BOOLEAN:
        if (valid) {
            set_bit(&col->valid, row);
            if ((ptr[0] | 0x20) == 't')
                set_bit(&col->values, row);
        }
        return ROW_OK;
    case SR_COL_NUMBER:
        if (valid && number_of(ptr, len, room, &d) != SR_NUM_OK) {
            /* Left to a correctly rounded parser: remember the text. */
            int64_t e[4];
            if (!checked(SR_TYPE_NUMBER, ptr, len))
                return ROW_SLOW;
            e[0] = (int64_t)c;
            e[1] = (int64_t)row;
            e[2] = (int64_t)t->slow_text.len;
            e[3] = (int64_t)len;
            if (buf_put(&t->slow_text, ptr, len) || buf_put(&t->slow, e, sizeof e))
                return ROW_NOMEM;
        }
        ((double *)col->values.p)[row] = d;
        break;
    case SR_COL_INTEGER:
        if (valid && sr_parse_int64(ptr, len, &i) != SR_NUM_OK)
            return ROW_SLOW;
        ((int64_t *)col->values.p)[row] = i;
        break;
    case SR_COL_DATE:
        if (valid && !date_fixed(col, ptr, len, &i) &&
            (!checked(SR_TYPE_DATE, ptr, len) || sr_date_micros(ptr, len, &i) != SR_CHECK_PASS))
            return ROW_SLOW;
        ((int64_t *)col->values.p)[row] = i;
        break;
    default:
        return ROW_SLOW;
    }
    if (valid)
        set_bit(&col->valid, row);
    return ROW_OK;
}

/* The template index of a row's message ID in registry reg, or -1. */
static int find(const sr_table_set *s, int reg, const sr_value *id)
{
    size_t i;
    int v = 0;
    if (id->len == 0 || id->len > 3 || (id->len > 1 && id->ptr[0] == '0'))
        return -1;
    for (i = 0; i < id->len; i++) {
        if ((unsigned char)(id->ptr[i] - '0') >= 10)
            return -1;
        v = v * 10 + (id->ptr[i] - '0');
    }
    return s->lookup[reg][v];
}

/* Start a row of table k for a row that passed its template's check:
 * its message, row number and device (the serial in v[1] for a template
 * that names one), with room for its values at *rowp. */
static int start_row(sr_table_set *s, int k, const sr_payload *p, int64_t message,
                     uint64_t rowno, const sr_value *v, double scale, size_t *rowp)
{
    const sr_table_template *tt = &s->templates[k];
    sr_table *t = &s->tables[k];
    size_t row;
    *rowp = 0;
    if (t->cols == NULL && columns_alloc(s, (size_t)k))
        return ROW_NOMEM;
    mark(t, tt->ncols, message);
    row = t->rows;
    if (row == row_cap(t) && grow_rows(t, tt->ncols, scale))
        return ROW_NOMEM;
    ((int64_t *)t->message.p)[row] = message;
    ((uint64_t *)t->row.p)[row] = rowno;
    t->rows++; /* counted before the values, so that a rollback clears them all */
    *rowp = row;
    if (tt->serial_device)
        return put_string(&t->cols[0], row, v[1].ptr, v[1].len, 1);
    return put_string(&t->cols[0], row, p->device, p->device_len, p->device != NULL);
}

static int take_row(sr_table_set *s, const sr_payload *p, int64_t message, uint64_t rowno,
                    const sr_field *f, size_t n, double scale)
{
    sr_value v[SR_TABLE_MAX_VALUES];
    const sr_table_template *tt;
    sr_table *t;
    size_t i, used = 0, row;
    int k, r;
    if (n > SR_TABLE_MAX_VALUES)
        return ROW_SLOW;
    for (i = 0; i < n; i++) {
        if (f[i].flags & SR_F_UNESCAPE) {
            v[i].ptr = s->scratch.p + used;
            v[i].len = sr_unescape(p->ptr + f[i].start, f[i].len, s->scratch.p + used);
            used += v[i].len;
        } else {
            v[i].ptr = p->ptr + f[i].start;
            v[i].len = f[i].len;
        }
    }
    if (f[0].flags & SR_F_QUOTED)
        return ROW_SLOW;
    k = find(s, p->registry, &v[0]);
    if (k < 0)
        return ROW_SLOW;
    tt = &s->templates[k];
    if (n > tt->ncols + 1 || sr_check_row(tt->spec, v, n) != SR_CHECK_PASS)
        return ROW_SLOW;
    t = &s->tables[k];
    r = start_row(s, k, p, message, rowno, v, scale, &row);
    for (i = 0; i < tt->ncols && r == ROW_OK; i++)
        r = i + 1 < n ? put_value(t, i + 1, &t->cols[i + 1], row, v[i + 1].ptr, v[i + 1].len, 0)
                      : put_value(t, i + 1, &t->cols[i + 1], row, NULL, 0, 0);
    return r;
}

/* What fast_row remembers from row to row of a payload: the last row shape
 * (template k, n values, bit i of mask set when value i is not empty) that
 * passed a spec whose answer depends on nothing else (k -1: none). */
typedef struct {
    int k;
    size_t n;
    uint32_t mask;
    uint32_t id;  /* the message ID of the last row (id_key), 0: none */
    int id_k;     /* its template */
} row_shape;

/* The bytes of a message ID of 1 to 3 bytes as one number (its first,
 * middle and last byte are all of them, and its length), 0 for another
 * length. */
static uint32_t id_key(const sr_value *id)
{
    const unsigned char *q = id->ptr;
    size_t n = id->len;
    if (n - 1 > 2)
        return 0;
    return (uint32_t)n | (uint32_t)q[0] << 8 | (uint32_t)q[n / 2] << 16 | (uint32_t)q[n - 1] << 24;
}

/* take_row for a row whose values all lie in the payload as they are (no
 * field to unescape) and number at most SR_TABLE_MAX_VALUES: v[0..n) the
 * values, mask as in row_shape, flags0 the flags of the first field.  The
 * same rows, values and answers as take_row, without the copy of the
 * fields into values and, for rows of the shape of the row before, without
 * the row check: a spec without typed checks (nchk 0; NUMBER and DATE are
 * checked as they are converted) and without a group passes or fails a
 * row by its length and which of its values are empty alone. */
static int fast_row(sr_table_set *s, const sr_payload *p, int64_t message, uint64_t rowno,
                    const sr_value *v, size_t n, uint32_t mask, unsigned flags0, double scale,
                    row_shape *shape)
{
    const unsigned char *end = p->ptr + p->len;
    const sr_table_template *tt;
    sr_table *t;
    sr_column *cols;
    size_t c, row, ncols;
    int k, r;
    uint32_t id;
    if (flags0 & SR_F_QUOTED)
        return ROW_SLOW;
    /* The payload's rows have one registry: the same ID, the same
     * template. */
    id = id_key(&v[0]);
    if (id != 0 && id == shape->id) {
        k = shape->id_k;
    } else {
        k = find(s, p->registry, &v[0]);
        if (k < 0)
            return ROW_SLOW;
        shape->id = id;
        shape->id_k = k;
    }
    tt = &s->templates[k];
    if (n > tt->ncols + 1)
        return ROW_SLOW;
    if (k != shape->k || n != shape->n || mask != shape->mask) {
        if (sr_check_row(tt->spec, v, n) != SR_CHECK_PASS)
            return ROW_SLOW;
        if (tt->spec->nchk == 0 && !tt->spec->block) {
            shape->k = k;
            shape->n = n;
            shape->mask = mask;
        }
    }
    t = &s->tables[k];
    r = start_row(s, k, p, message, rowno, v, scale, &row);
    /* The common values here, the others (and the errors) in put_value,
     * which gives the same items. */
    if (r != ROW_OK)
        return r;
    /* In locals: the stores to the columns may alias the structs. */
    ncols = tt->ncols;
    cols = t->cols;
    for (c = 1; c <= ncols; c++) {
        sr_column *col = &cols[c];
        const unsigned char *q = v[c].ptr;
        size_t len = c < n ? v[c].len : 0;
        if (len == 0) {
            r = put_value(t, c, col, row, NULL, 0, 0);
            if (r != ROW_OK)
                return r;
            continue;
        }
        switch (col->type) {
        case SR_COL_DICT:
#ifdef SR_DECIMAL_WORDS
            /* The value of the row before, most often: up to 16 bytes
             * compared in two words when the payload has them. */
            if (col->last && len == col->last_len && len <= 16 && end - q >= 16) {
                uint64_t w0 = load8(q), w1 = load8(q + 8);
                w0 &= len >= 8 ? ~UINT64_C(0) : ~UINT64_C(0) >> (64 - 8 * len);
                w1 &= len > 8 ? ~UINT64_C(0) >> (128 - 8 * len) : 0;
                if (((w0 ^ col->last_word[0]) | (w1 ^ col->last_word[1])) == 0) {
                    ((int32_t *)col->values.p)[row] = (int32_t)(col->last - 1);
                    set_bit(&col->valid, row);
                    continue;
                }
            }
#endif
            r = put_dict(col, row, q, len);
            if (r != ROW_OK)
                return r;
            continue;
#ifdef SR_DECIMAL_WORDS
        case SR_COL_NUMBER: {
            double d;
            if (end - q >= 8 && sr_decimal8_padded(q, len, &d) == SR_NUM_OK) {
                ((double *)col->values.p)[row] = d;
                set_bit(&col->valid, row);
                continue;
            }
            break;
        }
#endif
        case SR_COL_DATE: {
            int64_t i;
            if (date_fixed(col, q, len, &i)) {
                ((int64_t *)col->values.p)[row] = i;
                set_bit(&col->valid, row);
                continue;
            }
            break;
        }
        default:
            break;
        }
        r = put_value(t, c, col, row, q, len, (size_t)(end - q));
        if (r != ROW_OK)
            return r;
    }
    return ROW_OK;
}

#define SR_TFAST_NAME tfast_swar
#define SR_TFAST_ATTR
#define SR_CLASSIFY sr_classify_swar
#include "table_fast.h"

#ifdef SR_USE_SSE2
#define SR_TFAST_NAME tfast_sse2
#define SR_TFAST_ATTR
#define SR_CLASSIFY sr_classify_sse2
#include "table_fast.h"
#endif

#ifdef SR_HAVE_AVX2
#define SR_TFAST_NAME tfast_avx2
#define SR_TFAST_ATTR SR_AVX2
#define SR_CLASSIFY sr_classify_avx2
#include "table_fast.h"
#endif

#ifdef SR_HAVE_AVX512
#define SR_TFAST_NAME tfast_avx512
#define SR_TFAST_ATTR SR_AVX512
#define SR_CLASSIFY sr_classify_avx512
#include "table_fast.h"
#endif

/* The block path of the tokenizer's scan path (sr_scan_path), or ROW_RETRY
 * on the scalar path: the general path alone then, as the tokenizer reads
 * with the state machine alone. */
static int run_tfast(sr_table_set *s, const sr_payload *p, int64_t message, double scale)
{
    switch (sr_scan_path()) {
#ifdef SR_HAVE_AVX512
    case SR_SCAN_AVX512:
        return tfast_avx512(s, p, message, scale);
#endif
#ifdef SR_HAVE_AVX2
    case SR_SCAN_AVX2:
        return tfast_avx2(s, p, message, scale);
#endif
#ifdef SR_USE_SSE2
    case SR_SCAN_SSE2:
        return tfast_sse2(s, p, message, scale);
#endif
    case SR_SCAN_SWAR:
        return tfast_swar(s, p, message, scale);
    default:
        return ROW_RETRY;
    }
}

/* Fields the tokenizer emits per call: a 16 KB payload of short rows in
 * a few calls, the array still within the first-level cache. */
#define FIELDS 1024

/* One payload: ROW_OK (its rows appended), ROW_SLOW, ROW_FULL or ROW_NOMEM
 * (its rows taken back).  scale: as for grow_rows. */
static int take_payload(sr_table_set *s, const sr_payload *p, int64_t message, double scale)
{
    sr_tokenizer tok;
    sr_field *f;
    sr_value v[SR_TABLE_MAX_VALUES];
    row_shape shape;
    size_t cap, have = 0, got, i, start, nv;
    uint64_t rowno = 0;
    uint32_t mask;
    unsigned fl;
    int rc, r;
    if (p->registry < 0 || p->len > p->max_len)
        return ROW_SLOW;
    r = run_tfast(s, p, message, scale);
    if (r != ROW_RETRY)
        return r;
    rollback(s, message); /* the rows the block path took, if any */
    s->scratch.len = 0;
    if (buf_reserve(&s->scratch, p->len + 1))
        return ROW_NOMEM;
    if (s->fields.cap < FIELDS * sizeof(sr_field) &&
        buf_reserve(&s->fields, FIELDS * sizeof(sr_field)))
        return ROW_NOMEM;
    sr_init(&tok, 0, 0);
    shape.k = -1;
    shape.n = 0;
    shape.mask = 0;
    shape.id = 0;
    shape.id_k = -1;
    for (;;) {
        f = (sr_field *)s->fields.p;
        cap = s->fields.cap / sizeof(sr_field);
        rc = sr_tokenize(&tok, p->ptr, p->len, 1, f + have, cap - have, &got);
        if (rc == SR_ERROR)
            return ROW_SLOW;
        have += got;
        /* The values of each row, gathered as its fields go by: a row with
         * a field to unescape, or of too many values, goes to take_row. */
        start = 0;
        nv = 0;
        mask = 0;
        fl = 0;
        for (i = 0; i < have; i++) {
            unsigned ff = f[i].flags;
            if (nv < SR_TABLE_MAX_VALUES) {
                v[nv].ptr = p->ptr + f[i].start;
                v[nv].len = f[i].len;
                mask |= (uint32_t)(f[i].len != 0) << nv;
            }
            nv++;
            fl |= ff;
            if (ff & SR_F_ROW_END) {
                if ((fl & SR_F_UNESCAPE) || nv > SR_TABLE_MAX_VALUES)
                    r = take_row(s, p, message, rowno, f + start, nv, scale);
                else
                    r = fast_row(s, p, message, rowno, v, nv, mask, f[start].flags, scale,
                                 &shape);
                if (r != ROW_OK)
                    return r;
                rowno++;
                start = i + 1;
                nv = 0;
                mask = 0;
                fl = 0;
            }
        }
        memmove(f, f + start, (have - start) * sizeof(sr_field));
        have -= start;
        if (rc == SR_DONE)
            return ROW_OK;
        if (have == cap) { /* one row fills the array: grow it */
            s->fields.len = s->fields.cap;
            if (buf_reserve(&s->fields, s->fields.cap))
                return ROW_NOMEM;
        }
    }
}

int64_t sr_table_run(sr_table_set *s, const sr_payload *payloads, int64_t first, int64_t last)
{
    int64_t m;
    double total = 0, done = 0;
    int r;
    if (s->tables == NULL && tables_alloc(s))
        return -1;
    for (m = first; m < last; m++)
        total += (double)payloads[m].len;
    for (m = first; m < last; m++) {
        done += (double)payloads[m].len;
        r = take_payload(s, &payloads[m], m, done > 0 ? total / done : 1);
        if (r != ROW_OK && r != ROW_NOMEM)
            rollback(s, m);
        if (r == ROW_SLOW) {
            if (buf_put(&s->slow_payloads, &m, 8))
                return -1;
        } else if (r == ROW_FULL) {
            if (m > first) {
                settle(s);
                return m;
            }
            /* Alone too large for one set: left to the caller. */
            if (buf_put(&s->slow_payloads, &m, 8))
                return -1;
        } else if (r == ROW_NOMEM) {
            return -1;
        }
    }
    settle(s);
    return last;
}

/* ------------------------------------------------------------ export */

/* What one exported table owns: its buffers and the structs that point at
 * them.  Every struct of the export (the batch, its children, their
 * dictionaries) holds one reference; the last release frees it all. */
typedef struct {
    long refs;
    size_t nowned;
    sr_buf *owned;
    struct ArrowArray *arrays;   /* the children, then the dictionaries */
    struct ArrowArray **children;
    const void **buffers;
} export_data;

/* Stands for an empty buffer (a string column whose strings are all empty,
 * a dictionary of no string): the interface wants a pointer, and the one
 * int32 offset such a buffer may be read for is 0. */
static const int64_t empty_buffer[1] = {0};

static long drop_ref(export_data *x)
{
#if defined(__GNUC__)
    return __atomic_sub_fetch(&x->refs, 1, __ATOMIC_ACQ_REL);
#else
    return --x->refs;
#endif
}

static void export_release(struct ArrowArray *a)
{
    export_data *x = (export_data *)a->private_data;
    int64_t i;
    for (i = 0; i < a->n_children; i++)
        if (a->children[i]->release != NULL)
            a->children[i]->release(a->children[i]);
    if (a->dictionary != NULL && a->dictionary->release != NULL)
        a->dictionary->release(a->dictionary);
    a->release = NULL;
    if (drop_ref(x) == 0) {
        size_t j;
        for (j = 0; j < x->nowned; j++)
            block_free(x->owned[j].p, x->owned[j].cap);
        free(x->owned);
        free(x->arrays);
        free(x->children);
        free(x->buffers);
        free(x);
    }
}

static const void *buffer_of(const sr_buf *b)
{
    return b->p != NULL ? (const void *)b->p : (const void *)empty_buffer;
}

/* Fill array a: `length` items, `nbuf` buffers from *next on (taken), no
 * children. */
static void export_array(struct ArrowArray *a, export_data *x, int64_t length,
                         int64_t null_count, const void ***next, int nbuf)
{
    a->length = length;
    a->null_count = null_count;
    a->offset = 0;
    a->n_buffers = nbuf;
    a->n_children = 0;
    a->buffers = *next;
    *next += nbuf;
    a->children = NULL;
    a->dictionary = NULL;
    a->release = export_release;
    a->private_data = x;
}

/* Move b into the export's owned buffers. */
static void own(export_data *x, sr_buf *b)
{
    x->owned[x->nowned++] = *b;
    b->p = NULL;
    b->len = b->cap = 0;
}

int sr_table_export(sr_table_set *s, size_t k, struct ArrowArray *out)
{
    sr_table *t = &s->tables[k];
    size_t ncols = s->templates[k].ncols, nch = ncols + 3, c, dicts = 0;
    int64_t rows = (int64_t)t->rows;
    const void **next;
    export_data *x = (export_data *)calloc(1, sizeof *x);
    if (x == NULL)
        return -1;
    x->owned = (sr_buf *)calloc(2 + 4 * (ncols + 1), sizeof(sr_buf));
    x->arrays = (struct ArrowArray *)calloc(2 * nch, sizeof(struct ArrowArray));
    x->children = (struct ArrowArray **)calloc(nch, sizeof(struct ArrowArray *));
    x->buffers = (const void **)calloc(1 + 6 * nch, sizeof(const void *));
    if (x->owned == NULL || x->arrays == NULL || x->children == NULL || x->buffers == NULL) {
        free(x->owned);
        free(x->arrays);
        free(x->children);
        free(x->buffers);
        free(x);
        return -1;
    }
    next = x->buffers;
    /* The batch: a struct array without a validity bitmap. */
    *next = NULL;
    export_array(out, x, rows, 0, &next, 1);
    out->n_children = (int64_t)nch;
    out->children = x->children;
    x->refs = 1;
    for (c = 0; c < nch; c++) {
        struct ArrowArray *a = &x->arrays[c];
        x->children[c] = a;
        x->refs++;
        if (c < 2) { /* message, row */
            sr_buf *b = c == 0 ? &t->message : &t->row;
            next[0] = NULL;
            next[1] = buffer_of(b);
            export_array(a, x, rows, 0, &next, 2);
            own(x, b);
            continue;
        }
        {
            sr_column *col = &t->cols[c - 2];
            next[0] = buffer_of(&col->valid);
            next[1] = buffer_of(&col->values);
            if (col->type == SR_COL_STRING) {
                next[2] = buffer_of(&col->data);
                export_array(a, x, rows, -1, &next, 3);
            } else {
                export_array(a, x, rows, -1, &next, 2);
            }
            if (col->type == SR_COL_DICT) {
                struct ArrowArray *d = &x->arrays[nch + dicts++];
                next[0] = NULL;
                next[1] = buffer_of(&col->offsets);
                next[2] = buffer_of(&col->data);
                export_array(d, x, (int64_t)col->distinct, 0, &next, 3);
                a->dictionary = d;
                x->refs++;
            }
            own(x, &col->valid);
            own(x, &col->values);
            own(x, &col->data);
            own(x, &col->offsets);
            hash_free(&col->hash);
            col->distinct = col->last = 0;
        }
    }
    t->rows = 0;
    return 0;
}
