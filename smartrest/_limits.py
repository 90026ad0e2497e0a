"""The MQTT packet size limit and exact PUBLISH sizes (DIALECT.md section 4)."""

from __future__ import annotations

from typing import Callable, Optional

from .errors import PayloadTooLarge

#: Largest MQTT PUBLISH packet, header included, that Cumulocity accepts.
LIMIT = 16184

#: Smallest MQTT PUBLISH header: a fixed-header byte and a 1-byte length.
_MIN_HEADER = 2

_MAX_REMAINING = 268_435_455


def _varint_len(n: int) -> int:
    if n < 128:
        return 1
    if n < 16384:
        return 2
    if n < 2097152:
        return 3
    return 4


def packet_size(topic: str, payload_len: int, qos: int = 0) -> int:
    """Exact size in bytes of an MQTT PUBLISH packet.

    The packet is the fixed header (one byte plus the variable-length
    "remaining length"), the topic with its 2-byte length, a 2-byte packet
    identifier when ``qos`` is 1 or 2, and the payload.

    Raises:
        ValueError: ``qos`` is not 0, 1 or 2, ``payload_len`` is negative, or
            the packet would exceed the MQTT maximum of 256 MB.
        TypeError: ``topic`` is not a ``str``.
    """
    if not isinstance(topic, str):
        raise TypeError(f"topic must be str, not {type(topic).__name__}")
    if qos not in (0, 1, 2):
        raise ValueError(f"qos must be 0, 1 or 2, not {qos!r}")
    if payload_len < 0:
        raise ValueError("payload_len must not be negative")
    remaining = 2 + len(topic.encode("utf-8")) + (2 if qos else 0) + payload_len
    if remaining > _MAX_REMAINING:
        raise ValueError("packet larger than the MQTT maximum of 268435455 bytes")
    return 1 + _varint_len(remaining) + remaining


def max_payload(topic: Optional[str], qos: int, limit: int) -> int:
    """Largest payload that fits in ``limit`` bytes on ``topic`` (-1 if none)."""
    if topic is None:
        return limit - _MIN_HEADER
    overhead = 2 + len(topic.encode("utf-8")) + (2 if qos else 0)
    best = -1
    for header in (2, 3, 4, 5):
        # With a length field of header-1 bytes, the payload may be this big:
        n = limit - header - overhead
        if n >= 0 and packet_size(topic, n, qos) <= limit:
            best = max(best, n)
    return best


def check_payload_size(
    data: bytes,
    topic: Optional[str],
    qos: int,
    limit: Optional[int],
    count_rows: Callable[[bytes], int],
) -> None:
    """Raise :class:`PayloadTooLarge` if ``data`` cannot be one publish."""
    if limit is None:
        if topic is not None:
            packet_size(topic, 0, qos)  # validates topic and qos
        return
    if topic is None:
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, not {qos!r}")
        allowed = limit - _MIN_HEADER
    else:
        if packet_size(topic, len(data), qos) <= limit:
            return
        allowed = max_payload(topic, qos, limit)
    if len(data) <= allowed:
        return
    at = max(allowed, 0)
    where = f"on topic {topic!r} at QoS {qos}" if topic is not None else "with the smallest header"
    raise PayloadTooLarge(
        f"payload of {len(data)} bytes exceeds the {limit}-byte packet limit {where} "
        f"(at most {max(allowed, 0)} payload bytes fit); first byte past the limit",
        at,
        count_rows(data[:at]),
    )
