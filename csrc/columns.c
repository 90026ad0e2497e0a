/* Columnar access (smartrest.tokenize): sr_columns turns the tokenizer's
 * fields into the arrays of Tokens. */
#include "smartrest.h"

#if defined(_MSC_VER) && !defined(restrict)
#define restrict __restrict
#endif

size_t sr_columns(const sr_field *f, size_t n, size_t first, int64_t *restrict st,
                  int64_t *restrict en, unsigned char *restrict fl, int64_t *restrict rs,
                  size_t *nrows)
{
    size_t i, nr = *nrows;
    for (i = 0; i < n; i++) {
        unsigned flags = f[i].flags;
        st[i] = (int64_t)f[i].start;
        en[i] = (int64_t)(f[i].start + f[i].len);
        fl[i] = (unsigned char)(((flags >> 3) & 1) | ((flags >> 1) & 2));
        /* Without a branch: the slot after the last row start is written at
         * every field and kept (nr moves on) at a row's last field. */
        rs[nr + 1] = (int64_t)(first + i + 1);
        nr += flags & SR_F_ROW_END;
        if (flags & SR_F_UNESCAPE) {
            i++;
            break;
        }
    }
    *nrows = nr;
    return i;
}
