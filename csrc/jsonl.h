/*
 * JSON text of decoded SmartREST values (smartrest decode --format jsonl).
 * Plain C99, no Python API.  The output is that of Python's
 * json.dumps(value, ensure_ascii=False), byte for byte.
 */
#ifndef SMARTREST_JSONL_H
#define SMARTREST_JSONL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most bytes sr_json_string writes for n bytes of text: every byte a
 * \u00XX escape, and the two quotes. */
#define SR_JSON_STRING_ROOM(n) (6 * (size_t)(n) + 2)

/* The most bytes sr_json_uint writes. */
#define SR_JSON_UINT_ROOM 20

/* Write the UTF-8 text s[0..n) (valid UTF-8) as a JSON string (RFC 8259):
 * '"' and '\\' escaped, the control characters \b \f \n \r \t short and the
 * others as \u00XX (lowercase hex), every other byte as it is.  dst must
 * hold SR_JSON_STRING_ROOM(n) bytes.  Returns the bytes written. */
size_t sr_json_string(const unsigned char *s, size_t n, unsigned char *dst);

/* Write v in decimal; dst must hold SR_JSON_UINT_ROOM bytes.  Returns the
 * bytes written. */
size_t sr_json_uint(uint64_t v, unsigned char *dst);

#ifdef __cplusplus
}
#endif

#endif
