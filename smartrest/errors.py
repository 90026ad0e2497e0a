"""Exceptions raised by :mod:`smartrest`.

Every problem with a payload, a row or a value raises a subclass of
:class:`SmartRestError`, itself a :class:`ValueError`.  Each carries the
0-based byte ``offset`` in the payload (or stream) where the problem starts,
the 0-based ``row`` index and, where it applies, the 0-based ``field`` index.
"""

from __future__ import annotations

import copy
from typing import Any, Optional, Tuple, Type

__all__ = [
    "InvalidNumber",
    "SmartRestError",
    "UnterminatedQuote",
    "TextAfterQuote",
    "InvalidUtf8",
    "PayloadTooLarge",
    "RowTooLarge",
    "EmptyRow",
    "TemplateError",
    "UnknownTemplate",
    "MissingValue",
    "TooManyValues",
    "InvalidValue",
    "IncompleteGroup",
    "InvalidTopic",
    "InvalidClientId",
    "DuplicateTemplate",
    "AmbiguousResponse",
]


class SmartRestError(ValueError):
    """Base class of every error about SmartREST data.

    Attributes:
        offset: 0-based byte offset in the payload where the problem starts,
            or ``None`` where no byte position applies.
        row: 0-based index of the row the problem is in, or ``None``.
        field: 0-based index of the field in that row, or ``None``.
        reason: the bare description, without the position.
        payload_index: for :func:`smartrest.decode_batch`, the 0-based index
            of the payload the error is about; ``None`` otherwise.
    """

    offset: Optional[int]
    row: Optional[int]
    field: Optional[int]
    reason: str
    payload_index: Optional[int] = None

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

    # Keep every attribute through pickling and copying (multiprocessing,
    # a Decoder raising its error again): the constructor's arguments, and
    # the instance dict for the rest (``payload_index``, attributes a caller
    # set).
    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.reason, self.offset, self.row, self.field),
                dict(self.__dict__))


#: The text of the RuntimeError a Decoder raises when a second call enters.
DECODER_IN_USE = ("this Decoder is in use: another call on it is running (from another "
                  "thread, or re-entered); a decoder takes one call at a time")


def raised_again(exc: BaseException) -> BaseException:
    """A new exception equal to ``exc`` (class, message and attributes), to
    raise once more without growing the first one's traceback."""
    return copy.copy(exc)


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


class TemplateError(SmartRestError):
    """A row does not fit its template (static or SmartREST 2.0 custom).

    Besides the position, it names the template and the parameter:

    Attributes:
        template_id: the message ID of the template, or ``None`` where the
            row's first field is not a number.
        field_name: the parameter's name (snake case), or ``None``.

    ``offset`` is the byte offset of the row's first byte in the payload
    (:func:`smartrest.decode_messages`); ``field`` the 0-based index of the
    value in the row (the message ID is field 0).  Rows checked on their own
    (:func:`smartrest.templates.parse`, ``build``) have no offset or row.
    """

    template_id: Optional[int]
    field_name: Optional[str]

    def __init__(
        self,
        reason: str,
        offset: Optional[int] = None,
        row: Optional[int] = None,
        field: Optional[int] = None,
        *,
        template_id: Optional[int] = None,
        field_name: Optional[str] = None,
    ) -> None:
        self.template_id = template_id
        self.field_name = field_name
        super().__init__(reason, offset, row, field)

    def __reduce__(self) -> Tuple[Any, ...]:  # keep the names through pickling
        return (_rebuild_template_error,
                (type(self), self.reason, self.offset, self.row, self.field,
                 self.template_id, self.field_name), dict(self.__dict__))


def _rebuild_template_error(
    cls: Type[TemplateError], reason: str, offset: Optional[int], row: Optional[int],
    field: Optional[int], template_id: Optional[int], field_name: Optional[str],
) -> TemplateError:
    return cls(reason, offset, row, field, template_id=template_id, field_name=field_name)


class UnknownTemplate(TemplateError):
    """The message ID is not a template of the topic's registry."""


class MissingValue(TemplateError):
    """A mandatory value is empty or left out."""


class TooManyValues(TemplateError):
    """A row holds more values than its template has parameters.

    ``field`` is the first value too many.
    """


class InvalidValue(TemplateError):
    """A value is not of its parameter's type (or not an allowed value)."""


class IncompleteGroup(TemplateError):
    """The last item of a repeating group stops before a required value.

    ``field`` is the position where the missing value should be.
    """


class InvalidTopic(SmartRestError):
    """A malformed MQTT topic, or one a device may not publish to.

    ``offset`` is the byte offset in the topic where the problem starts.
    """


class InvalidClientId(SmartRestError):
    """A malformed MQTT ClientId.

    ``offset`` is the byte offset in the ClientId where the problem starts.
    """


class DuplicateTemplate(TemplateError):
    """Two templates of a SmartREST 2.0 collection share a message ID.

    ``row`` is the index of the second one in the collection.
    """


class AmbiguousResponse(TemplateError):
    """A row received on ``s/dc/<X-ID>`` can be split into values in more than one way.

    A response template with a ``[*]`` pattern gives a varying number of
    values, so the row alone does not say whether the device's external ID
    was inserted (operations) or not (GET results), nor, with two such
    patterns, where one ends.
    """


class InvalidNumber(SmartRestError):
    """A field read as a number column (:meth:`smartrest.Tokens.column`)
    does not hold a number of that type."""
