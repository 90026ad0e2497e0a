"""smartrest: an exact and fast codec for Cumulocity IoT SmartREST payloads.

The codec runs in C when the compiled extension is present and in pure
Python otherwise (or when ``SMARTREST_PURE_PYTHON=1`` is set);
:data:`IMPLEMENTATION` says which.  Both follow the same dialect byte for
byte.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, List, Optional

from . import errors
from ._limits import LIMIT, packet_size
from ._packing import TRIM_MARKER
from ._packing import pack as _pack
from .errors import (
    EmptyRow,
    InvalidUtf8,
    PayloadTooLarge,
    RowTooLarge,
    SmartRestError,
    TextAfterQuote,
    UnterminatedQuote,
)

if TYPE_CHECKING:
    from .templates import Message

__version__ = "0.1.0"


from ._implementation import IMPLEMENTATION, PurePythonWarning
from ._implementation import api as _api

_impl = _api()

# The type checker sees the signatures of the C module (``_codec.pyi``); the
# pure-Python fallback has the same ones.  The contract of each name is the
# docstring of the reference implementation (``_pure``, ``_pure_batch``), which
# the C module shares.
if TYPE_CHECKING:
    from ._codec import Decoder, Tokens, decode, decode_batch, encode, encode_row, tokenize
else:
    decode = _impl.decode
    encode = _impl.encode
    encode_row = _impl.encode_row
    Decoder = _impl.Decoder
    tokenize = _impl.tokenize
    decode_batch = _impl.decode_batch
    Tokens = _impl.Tokens

def pack(
    rows: Iterable[Iterable[Any]],
    *,
    topic: str,
    qos: int = 0,
    limit: Optional[int] = LIMIT,
    on_oversize: str = "raise",
    quote_escape: str = "backslash",
) -> List[bytes]:
    """Encode ``rows`` and group them into MQTT publishes under ``limit``.

    Rows stay whole and in order.  Each publish is filled greedily: a row
    goes into the current publish if the publish's exact packet size
    (:func:`packet_size`) stays at most ``limit``, else it starts the next.

    Args:
        rows: rows of values, as for :func:`encode`.
        topic: the topic the publishes go to (its length counts).
        qos: 0, 1 or 2 (QoS 1 and 2 add a 2-byte packet identifier).
        limit: the largest packet allowed, header included; ``None`` (or
            a larger value) leaves only the MQTT maximum of 268435460 bytes.
        on_oversize: ``"raise"`` (default) or ``"truncate"``: cut the last
            field of a row that cannot fit alone, on a character boundary,
            ending it with ``"...<trimmed>"``.
        quote_escape: ``"backslash"`` or ``"double"``, as for :func:`encode`.

    Raises:
        RowTooLarge: a row cannot fit alone (with ``"truncate"``: not even
            with its last field cut).
        InvalidTopic: ``topic`` is empty, longer than 65535 UTF-8 bytes, or
            holds NUL, ``+`` or ``#``.
        TypeError: a value cannot be encoded, or ``limit`` is not an int
            or ``None``.
        ValueError: a bad option (``qos``, ``on_oversize``,
            ``quote_escape``, a negative ``limit``).
    """
    return _pack(rows, topic=topic, qos=qos, limit=limit, on_oversize=on_oversize,
                 quote_escape=quote_escape, encode_row=encode_row)


__all__ = [
    "LIMIT",
    "IMPLEMENTATION",
    "PurePythonWarning",
    "TRIM_MARKER",
    "Decoder",
    "decode",
    "encode",
    "encode_row",
    "pack",
    "packet_size",
    "tokenize",
    "Tokens",
    "decode_batch",
    "errors",
    "SmartRestError",
    "UnterminatedQuote",
    "TextAfterQuote",
    "InvalidUtf8",
    "PayloadTooLarge",
    "RowTooLarge",
    "EmptyRow",
]


def decode_messages(
    payload: Any,
    *,
    topic: Optional[str] = None,
    typed: bool = False,
    qos: int = 0,
    limit: Optional[int] = LIMIT,
    strict: bool = False,
    lenient: bool = False,
) -> List[Message]:
    """Decode a payload into :class:`smartrest.templates.Message` objects.

    See :func:`smartrest.templates.decode_messages` for the contract, the
    lenient mode and the errors raised.
    """
    from .templates import decode_messages as _decode_messages

    return _decode_messages(payload, topic=topic, typed=typed, qos=qos, limit=limit,
                            strict=strict, lenient=lenient)


__all__.append("decode_messages")

from ._validation import validate as validate  # noqa: E402

__all__.append("validate")
