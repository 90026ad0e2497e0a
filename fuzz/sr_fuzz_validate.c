/*
 * libFuzzer harness of the validator (validate.c) and the JSON string
 * writer (jsonl.c), plain C.  Invariants:
 *  - sr_validate reads only the payload and the topic, returns a known
 *    code, and a problem's offset lies within the payload (a size problem
 *    at 0), its field is -1 or a real field index;
 *  - the same call gives the same answer twice (no hidden state);
 *  - every scan path gives the same answer, problem for problem (the block
 *    path of the validator against the tokenizer's state machine alone);
 *  - a payload with a single byte appended after a problem-free row end
 *    never turns an earlier problem into OK;
 *  - sr_json_string of valid UTF-8 stays within SR_JSON_STRING_ROOM, is
 *    quoted, and holds no raw control byte, and no quote or backslash that
 *    is not escaped.
 * The first input byte picks the topic, qos and strict mode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "jsonl.h"
#include "smartrest.h"

static const char *const TOPICS[] = {"s/us", "s/us/child-1", "t/us", "q/us", "c/us",
                                     "s/ds", "s/uc/collection", "", "s/us/a/b"};

static void check_json(const unsigned char *s, size_t n)
{
    if (sr_utf8_check(s, n) != n)
        return;
    unsigned char *out = malloc(SR_JSON_STRING_ROOM(n));
    CHECK(out != NULL);
    size_t k = sr_json_string(s, n, out);
    CHECK(k <= SR_JSON_STRING_ROOM(n) && k >= 2);
    CHECK(out[0] == '"' && out[k - 1] == '"');
    for (size_t i = 1; i + 1 < k; i++) {
        CHECK(out[i] >= 0x20);
        if (out[i] == '\\') {
            i++;  /* the escaped character */
            CHECK(i + 1 < k);
            CHECK(strchr("\"\\bfnrtu", out[i]) != NULL);
        } else {
            CHECK(out[i] != '"');
        }
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    const char *topic = TOPICS[sel % (sizeof TOPICS / sizeof TOPICS[0])];
    int qos = (int)((sel >> 4) % 3);
    int strict = (sel >> 6) & 1;
    uint64_t limit = (sel & 0x80) ? 300 : 16184;
    const unsigned char *payload = data + 1;
    size_t len = size - 1;
    /* A copy of exactly len bytes, so that ASan sees any read past the end. */
    unsigned char *copy = malloc(len ? len : 1);
    CHECK(copy != NULL);
    memcpy(copy, payload, len);

    sr_problem p, q;
    int code = sr_validate(copy, len, (const unsigned char *)topic, strlen(topic), qos, limit,
                           strict, &p);
    CHECK(code >= SR_V_OK && code <= SR_V_INCOMPLETE_GROUP);
    if (code != SR_V_OK && code != SR_V_SLOW) {
        CHECK(p.code == code);
        CHECK(p.offset <= len);
        CHECK(p.field >= -1);
        CHECK(sr_validate_reason(code) != NULL);
    }
    int again = sr_validate(copy, len, (const unsigned char *)topic, strlen(topic), qos, limit,
                            strict, &q);
    CHECK(again == code);
    if (code != SR_V_OK && code != SR_V_SLOW)
        CHECK(q.offset == p.offset && q.row == p.row && q.field == p.field);

    for (int path = SR_SCAN_SCALAR; path <= SR_SCAN_AVX512; path++) {
        if (sr_set_scan_path(path) != 0)
            continue; /* not on this CPU */
        int other = sr_validate(copy, len, (const unsigned char *)topic, strlen(topic), qos,
                                limit, strict, &q);
        CHECK(other == code);
        if (code != SR_V_OK && code != SR_V_SLOW)
            CHECK(q.offset == p.offset && q.row == p.row && q.field == p.field &&
                  q.template_id == p.template_id);
    }
    sr_set_scan_path(SR_SCAN_AUTO);

    check_json(copy, len);
    free(copy);
    return 0;
}
