# cython: language_level=3
"""C validator of :func:`smartrest.validate` (``csrc/validate.c``).

:func:`check` runs ``sr_validate`` on a payload's bytes, without the GIL,
and returns its verdict: ``None`` when the payload decodes into messages,
else the first problem as the name of the error class that
``smartrest.templates.decode_messages`` would raise (``"slow"`` when the C
tables cannot tell) with its offset, row, field and template ID.
"""

from libc.stdint cimport int64_t, uint64_t

cdef extern from "smartrest.h" nogil:
    ctypedef struct sr_problem:
        int code
        uint64_t offset
        uint64_t row
        int64_t field
        int64_t template_id
    enum:
        SR_V_OK
        SR_V_SLOW
        SR_V_TOO_LARGE
        SR_V_UNTERMINATED
        SR_V_TEXT_AFTER_QUOTE
        SR_V_UTF8
        SR_V_UNKNOWN_TEMPLATE
        SR_V_MISSING_VALUE
        SR_V_TOO_MANY_VALUES
        SR_V_INVALID_VALUE
        SR_V_INCOMPLETE_GROUP
    uint64_t SR_NO_LIMIT
    int sr_validate(const unsigned char *payload, size_t len, const unsigned char *topic,
                    size_t topic_len, int qos, uint64_t limit, int strict, sr_problem *p)

#: The error class (of smartrest.errors) of each problem code.
ERRORS = {
    SR_V_SLOW: "slow",
    SR_V_TOO_LARGE: "PayloadTooLarge",
    SR_V_UNTERMINATED: "UnterminatedQuote",
    SR_V_TEXT_AFTER_QUOTE: "TextAfterQuote",
    SR_V_UTF8: "InvalidUtf8",
    SR_V_UNKNOWN_TEMPLATE: "UnknownTemplate",
    SR_V_MISSING_VALUE: "MissingValue",
    SR_V_TOO_MANY_VALUES: "TooManyValues",
    SR_V_INVALID_VALUE: "InvalidValue",
    SR_V_INCOMPLETE_GROUP: "IncompleteGroup",
}


def check(bytes payload not None, bytes topic, int qos, limit, bint strict):
    """The C verdict on ``payload`` published on ``topic`` (UTF-8, or None).

    Args:
        payload: the payload.
        topic: the topic's UTF-8 bytes, or ``None``.
        qos: 0, 1 or 2 (anything else: ``"slow"``).
        limit: a non-negative int, or ``None`` for no limit.
        strict: the strict tokenizer rules.

    Returns:
        ``None`` (valid), or ``(error, offset, row, field, template_id)``:
        ``error`` a class name of :data:`ERRORS` (``"slow"``: call
        ``decode_messages``), ``field`` and ``template_id`` ``None`` where
        the error has none.

    Raises:
        OverflowError: a negative ``limit``.
    """
    cdef sr_problem p
    cdef uint64_t lim = SR_NO_LIMIT
    cdef const unsigned char *data = payload
    cdef size_t n = len(payload)
    cdef const unsigned char *t = NULL
    cdef size_t tn = 0
    cdef int code
    if limit is not None and limit < <object>SR_NO_LIMIT:
        lim = limit
    if topic is not None:
        t = topic
        tn = len(topic)
    with nogil:
        code = sr_validate(data, n, t, tn, qos, lim, strict, &p)
    if code == SR_V_OK:
        return None
    if code == SR_V_SLOW:
        return ("slow", 0, 0, None, None)
    return (ERRORS[code], p.offset, p.row, None if p.field < 0 else p.field,
            None if p.template_id < 0 else p.template_id)
