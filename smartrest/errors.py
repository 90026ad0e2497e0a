"""Exceptions raised by :mod:`smartrest`.

Every problem with a payload, a row or a value raises a subclass of
:class:`SmartRestError`, itself a :class:`ValueError`.  Each carries the
0-based byte ``offset`` in the payload (or stream) where the problem starts,
the 0-based ``row`` index and, where it applies, the 0-based ``field`` index.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "SmartRestError",
    "UnterminatedQuote",
    "TextAfterQuote",
    "InvalidUtf8",
    "PayloadTooLarge",
    "RowTooLarge",
    "EmptyRow",
]


class SmartRestError(ValueError):
    """Base class of every error about SmartREST data.

    Attributes:
        offset: 0-based byte offset in the payload where the problem starts,
            or ``None`` where no byte position applies.
        row: 0-based index of the row the problem is in, or ``None``.
        field: 0-based index of the field in that row, or ``None``.
        reason: the bare description, without the position.
    """

    offset: Optional[int]
    row: Optional[int]
    field: Optional[int]
    reason: str

    def __init__(
        self,
        reason: str,
        offset: Optional[int] = None,
        row: Optional[int] = None,
        field: Optional[int] = None,
    ) -> None:
        self.reason = reason
        self.offset = offset
        self.row = row
        self.field = field
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field}")
        text = self.reason
        if self.offset is not None:
            text += f" at byte {self.offset}"
        if where:
            text += f" ({', '.join(where)})"
        return text

    def __reduce__(self):  # keep attributes through pickling (multiprocessing)
        return (type(self), (self.reason, self.offset, self.row, self.field))


class UnterminatedQuote(SmartRestError):
    """A quoted field is still open at the end of the payload.

    ``offset`` is the position of the opening quote.
    """


class TextAfterQuote(SmartRestError):
    """Strict mode: bytes other than backslashes follow a closing quote."""


class InvalidUtf8(SmartRestError):
    """The payload (or a value to encode) is not valid UTF-8."""


class PayloadTooLarge(SmartRestError):
    """The payload, with its MQTT header, exceeds the packet size limit.

    ``offset`` is the first byte of the payload past the limit.
    """


class RowTooLarge(SmartRestError):
    """A single row cannot fit within the limit (packing, streaming)."""


class EmptyRow(SmartRestError):
    """A row to encode has no fields; SmartREST cannot express it."""
