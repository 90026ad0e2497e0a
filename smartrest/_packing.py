"""Packing rows into MQTT publishes under the size limit (docs/dialect.md section 4.5)."""

from __future__ import annotations

from typing import Any, Callable, Iterable, List

from typing import Optional

from ._limits import LIMIT, check_limit, max_payload, packet_size
from ._values import value_text
from .errors import RowTooLarge

TRIM_MARKER = "...<trimmed>"

EncodeRow = Callable[..., bytes]


def pack(
    rows: Iterable[Any],
    *,
    topic: str,
    qos: int = 0,
    limit: Optional[int] = LIMIT,
    on_oversize: str = "raise",
    quote_escape: str = "backslash",
    encode_row: EncodeRow,
) -> List[bytes]:
    """Encode ``rows`` and group them, whole and in order, into publishes.

    See :func:`smartrest.pack` for the contract.
    """
    if on_oversize not in ("raise", "truncate"):
        raise ValueError(f"on_oversize must be 'raise' or 'truncate', not {on_oversize!r}")
    limit = check_limit(limit)
    packet_size(topic, 0, qos)  # validates topic and qos
    room = max_payload(topic, qos, limit)
    publishes: List[bytes] = []
    current: List[bytes] = []
    used = 0
    for index, fields in enumerate(rows):
        if isinstance(fields, (str, bytes, bytearray)):
            raise TypeError(f"row {index} must be a sequence of values, not {type(fields).__name__}")
        fields = list(fields)
        line = encode_row(fields, quote_escape=quote_escape)
        if len(line) > room:
            if on_oversize == "raise":
                raise RowTooLarge(
                    f"row of {len(line)} bytes cannot fit in a publish of at most "
                    f"{'the MQTT maximum of 268435460' if limit is None else limit} bytes "
                    f"on topic {topic!r} (room for {max(room, 0)} payload "
                    "bytes); first byte past the limit", max(room, 0), index)
            line = _truncate(fields, room, index, quote_escape, encode_row)
        if used + len(line) > room:
            publishes.append(b"".join(current))
            current = []
            used = 0
        current.append(line)
        used += len(line)
    if current:
        publishes.append(b"".join(current))
    return publishes


def _truncate(
    fields: List[Any], room: int, index: int, quote_escape: str, encode_row: EncodeRow
) -> bytes:
    """Cut the last field so that the encoded row fits in ``room`` bytes.

    The value is cut between characters (so on a UTF-8 boundary) and
    re-encoded, so quotes stay balanced and no escape pair is split; the
    marker ends it.  The encoded length only grows with the kept prefix, so
    a binary search finds the longest prefix that fits.
    """
    head = fields[:-1]
    last = fields[-1]
    if not isinstance(last, str):
        last = value_text(last, index, len(fields) - 1)
    lo, hi = 0, len(last)
    best = None
    while lo <= hi:
        mid = (lo + hi) // 2
        line = encode_row(head + [last[:mid] + TRIM_MARKER], quote_escape=quote_escape)
        if len(line) <= room:
            best = line
            lo = mid + 1
        else:
            hi = mid - 1
    if best is None:
        raise RowTooLarge(
            f"row cannot fit in {max(room, 0)} payload bytes even with its last field "
            "cut; first byte past the limit", max(room, 0), index)
    return best
