"""Validating a payload without decoding it: :func:`validate`.

With the C extension the payload goes to the C validator
(``smartrest._validate``, ``csrc/validate.c``), which checks what
:func:`smartrest.templates.decode_messages` checks on the upstream static
topics, builds nothing and runs without the GIL.  Only when it finds a
problem, or cannot tell (another topic, a template whose rules the C tables
lack, a typed value with non-ASCII text...), ``decode_messages`` runs, and
raises the error.  Without the extension ``decode_messages`` always runs.
"""

from __future__ import annotations

import types
from typing import Any, Optional

from ._implementation import validate_module
from ._limits import LIMIT
from ._payload import payload_bytes, payload_view

_C = validate_module()


def validate(
    payload: Any,
    *,
    topic: Optional[str] = None,
    qos: int = 0,
    limit: Optional[int] = LIMIT,
    strict: bool = False,
) -> None:
    """Check that ``payload`` decodes into messages, and raise its first problem.

    Returns ``None`` or raises exactly what
    ``smartrest.templates.decode_messages(payload, topic=topic, qos=qos,
    limit=limit, strict=strict)`` raises: the same class, message, offset,
    row and field.

    Args:
        payload: bytes-like or ``str``, as for :func:`smartrest.decode`.
        topic: the topic of the publish (it picks the templates and counts
            for the size limit).
        qos, limit, strict: as for :func:`smartrest.decode`.

    Raises:
        UnknownTemplate, MissingValue, TooManyValues, InvalidValue,
        IncompleteGroup: a row does not fit its template.
        PayloadTooLarge, UnterminatedQuote, TextAfterQuote, InvalidUtf8: the
            payload is malformed or too large.
        InvalidTopic: a malformed topic.
        TypeError, ValueError: bad arguments, as for :func:`smartrest.decode`.
    """
    fast = _C
    if fast is not None:
        # The common call (bytes, a str topic or none, the default options)
        # goes straight to the C verdict; anything else through _fast_verdict.
        if (type(payload) is bytes and limit is LIMIT and qos == 0 and type(qos) is int
                and strict is False):
            if topic is None:
                if fast.check(payload, None, 0, LIMIT, False) is None:
                    return
            elif type(topic) is str and topic.isascii():
                if fast.check(payload, topic.encode("ascii"), 0, LIMIT, False) is None:
                    return
            elif _fast_verdict(fast, payload, topic, qos, limit, strict) is None:
                return
        elif _fast_verdict(fast, payload, topic, qos, limit, strict) is None:
            return
    from .templates import decode_messages

    decode_messages(payload, topic=topic, qos=qos, limit=limit, strict=strict)


def _fast_verdict(fast: types.ModuleType, payload: Any, topic: Any, qos: Any, limit: Any,
                  strict: Any) -> Any:
    """The verdict of the C validator ``fast`` (``None``: valid), or ``"slow"`` for
    arguments it does not take (decode_messages then says what is wrong)."""
    if (type(qos) is not int or not (limit is None or (type(limit) is int and limit >= 0))
            or not (topic is None or type(topic) is str)):
        return "slow"
    try:
        data = payload if type(payload) is bytes else payload_bytes(payload_view(payload))
        if type(data) is not bytes:  # a bytes subclass: the C verdict takes bytes only
            data = memoryview(data).tobytes()
        raw_topic = None if topic is None else topic.encode("utf-8")
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return "slow"
    return fast.check(data, raw_topic, qos, limit, bool(strict))
