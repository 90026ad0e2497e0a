"""The MQTT packet size limit, exact PUBLISH sizes, and the checks of the
options that every entry point takes (``limit``, ``qos``, ``topic``).

Both implementations of the codec call these functions, so that the same
options are refused with the same error (docs/dialect.md, the size limit).
"""

from __future__ import annotations

import operator
from functools import lru_cache
from typing import Any, Callable, Optional

from .errors import InvalidTopic, PayloadTooLarge

#: Largest MQTT PUBLISH packet, header included, that Cumulocity accepts.
LIMIT = 16184

#: Smallest MQTT PUBLISH header: a fixed-header byte and a 1-byte length.
_MIN_HEADER = 2

#: The largest "remaining length" MQTT can express, and so the largest packet.
_MAX_REMAINING = 268_435_455
MAX_PACKET = 1 + 4 + _MAX_REMAINING

#: The longest topic MQTT can carry (a 2-byte length prefix), in UTF-8 bytes.
MAX_TOPIC = 65535


def _varint_len(n: int) -> int:
    if n < 128:
        return 1
    if n < 16384:
        return 2
    if n < 2097152:
        return 3
    return 4


def check_limit(limit: Any, name: str = "limit") -> Optional[int]:
    """``limit`` as an ``int`` (or ``None``).

    Raises:
        TypeError: ``limit`` is not an integer (a ``bool`` or a ``float``
            is refused too).
        ValueError: ``limit`` is negative.
    """
    if limit is None:
        return None
    if isinstance(limit, bool) or not hasattr(type(limit), "__index__"):
        raise TypeError(f"{name} must be an int or None, not {type(limit).__name__}")
    value = operator.index(limit)
    if value < 0:
        raise ValueError(f"{name} must not be negative, not {value}")
    return value


def check_qos(qos: Any) -> int:
    """``qos`` as an ``int``.

    Raises:
        ValueError: ``qos`` is not 0, 1 or 2 (a ``bool`` is refused).
    """
    if type(qos) is int and 0 <= qos <= 2:  # the common case, quickly
        return qos
    if not isinstance(qos, bool) and hasattr(type(qos), "__index__"):
        value = operator.index(qos)
        if 0 <= value <= 2:
            return value
    raise ValueError(f"qos must be 0, 1 or 2, not {qos!r}")


def check_topic(topic: Any) -> int:
    """The length in UTF-8 bytes of ``topic``, a topic a PUBLISH may carry.

    Raises:
        TypeError: ``topic`` is not a ``str``.
        InvalidTopic: ``topic`` is empty, is not UTF-8 (a lone surrogate),
            is longer than 65535 bytes, or holds NUL or a wildcard (``+``,
            ``#``); ``offset`` is the byte offset in the topic.
    """
    if type(topic) is not str:
        if not isinstance(topic, str):
            raise TypeError(f"topic must be str, not {type(topic).__name__}")
        topic = str.__str__(topic)
    return _topic_length(topic)


@lru_cache(maxsize=256)
def _topic_length(topic: str) -> int:
    if not topic:
        raise InvalidTopic("empty topic", 0)
    try:
        raw = topic.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidTopic(f"topic is not valid UTF-8 (a lone surrogate at character "
                           f"{exc.start})", len(topic[:exc.start].encode("utf-8",
                                                                          "surrogatepass")))
    if len(raw) > MAX_TOPIC:
        raise InvalidTopic(f"topic of {len(raw)} bytes is longer than the MQTT maximum "
                           f"of {MAX_TOPIC}", MAX_TOPIC)
    found = [(at, what) for at, what in ((raw.find(b"\x00"), "NUL"),
                                         (raw.find(b"+"), "the wildcard '+'"),
                                         (raw.find(b"#"), "the wildcard '#'")) if at >= 0]
    if found:
        at, what = min(found)
        raise InvalidTopic(f"a publish topic cannot hold {what}", at)
    return len(raw)


def check_options(topic: Any, qos: Any, limit: Any) -> Optional[int]:
    """Check the options of a decode: ``limit`` (returned as an int),
    ``qos`` and ``topic`` (see the ``check_*`` functions)."""
    value = check_limit(limit)
    check_qos(qos)
    if topic is not None:
        check_topic(topic)
    return value


def packet_size(topic: str, payload_len: int, qos: int = 0) -> int:
    """Exact size in bytes of an MQTT PUBLISH packet.

    The packet is the fixed header (one byte plus the variable-length
    "remaining length"), the topic with its 2-byte length, a 2-byte packet
    identifier when ``qos`` is 1 or 2, and the payload.

    Raises:
        InvalidTopic: ``topic`` is empty, longer than 65535 UTF-8 bytes, or
            holds NUL, ``+`` or ``#`` (``offset`` is in the topic).
        ValueError: ``qos`` is not 0, 1 or 2, ``payload_len`` is negative, or
            the packet would exceed the MQTT maximum of 256 MB.
        TypeError: ``topic`` is not a ``str``, or ``payload_len`` not an int.
    """
    topic_len = check_topic(topic)
    qos = check_qos(qos)
    if isinstance(payload_len, bool) or not hasattr(type(payload_len), "__index__"):
        raise TypeError(f"payload_len must be an int, not {type(payload_len).__name__}")
    payload_len = operator.index(payload_len)
    if payload_len < 0:
        raise ValueError("payload_len must not be negative")
    remaining = 2 + topic_len + (2 if qos else 0) + payload_len
    if remaining > _MAX_REMAINING:
        raise ValueError("packet larger than the MQTT maximum of 268435455 bytes")
    return 1 + _varint_len(remaining) + remaining


def max_payload(topic: Optional[str], qos: int, limit: Optional[int]) -> int:
    """Largest payload that fits in ``limit`` bytes on ``topic`` (-1 if
    none).  A limit of ``None``, or one above the MQTT maximum packet,
    stands for that maximum."""
    if limit is None or limit > MAX_PACKET:
        limit = MAX_PACKET
    if topic is None:
        return limit - _MIN_HEADER
    overhead = 2 + check_topic(topic) + (2 if qos else 0)
    best = -1
    for header in (2, 3, 4, 5):
        # With a length field of header-1 bytes, the payload may be this big:
        n = limit - header - overhead
        remaining = n + overhead
        if n >= 0 and remaining <= _MAX_REMAINING and 1 + _varint_len(remaining) + remaining <= limit:
            best = max(best, n)
    return best


def check_payload_size(
    size: int,
    head: Any,
    topic: Optional[str],
    qos: int,
    limit: Optional[int],
    count_rows: Callable[[bytes], int],
) -> None:
    """Raise :class:`PayloadTooLarge` if a payload of ``size`` bytes cannot
    be one publish.

    ``head`` holds at least the payload's first ``min(size, limit)`` bytes
    (bytes-like): only they are read, to name the row of the error, so that
    a payload far too large is refused without being copied.  The options
    must have been checked (:func:`check_options`).
    """
    if limit is None:
        return
    if topic is None:
        allowed = limit - _MIN_HEADER
    else:
        if size <= _MAX_REMAINING and packet_size(topic, size, qos) <= limit:
            return
        allowed = max_payload(topic, qos, limit)
    if size <= allowed:
        return
    at = max(allowed, 0)
    where = f"on topic {topic!r} at QoS {qos}" if topic is not None else "with the smallest header"
    raise PayloadTooLarge(
        f"payload of {size} bytes exceeds the {limit}-byte packet limit {where} "
        f"(at most {at} payload bytes fit); first byte past the limit",
        at,
        count_rows(bytes(head[:at])),
    )
