"""The documentation shared by both implementations of the codec.

The pure-Python reference (``_pure``, ``_pure_batch``) and the C binding
(``_codec``) give their public functions and methods these docstrings, so
the two say the same thing and neither has to import the other.  (The class
docstring of ``Decoder`` is written in both, as an extension type's cannot
be set at run time; a test compares them.)
"""

from __future__ import annotations

from typing import Callable, TypeVar

_F = TypeVar("_F", bound=Callable[..., object])


def shared(doc: str) -> Callable[[_F], _F]:
    """Decorator: give the function ``doc`` as its docstring."""

    def give(function: _F) -> _F:
        function.__doc__ = doc
        return function

    return give


#: The docstring of ``decode``.
DECODE = """Decode a SmartREST payload into rows of ``str`` fields.

    Rows end at a LF outside quotes (a CR right before it is dropped), empty
    lines give no row and the last row may lack its LF.  Fields are split at
    commas and never trimmed; a field whose first byte is ``"`` is quoted,
    and inside quotes ``\\"`` and ``""`` both stand for ``"``.

    Args:
        payload: ``bytes``, ``bytearray``, ``memoryview``, ``mmap`` or any
            other C-contiguous buffer, or ``str`` (read as its UTF-8).
        topic: the topic the payload is published on; its length counts
            toward the packet size.  ``None`` assumes the smallest MQTT
            header (payloads up to ``limit - 2`` bytes fit).
        qos: 0, 1 or 2 (QoS 1 and 2 add a 2-byte packet identifier).
        limit: the largest MQTT PUBLISH packet allowed, header included
            (:data:`smartrest.LIMIT`, 16184 bytes, by default); ``None``
            turns the size check off.
        strict: reject bytes other than backslashes after a closing quote
            (by default they are appended to the value: ``"ab"cd`` is
            ``abcd``).

    Returns:
        One list of fields per row.

    Raises:
        PayloadTooLarge: the packet would exceed ``limit``; checked before
            anything else, ``offset`` is the first payload byte past it.
        UnterminatedQuote: a quoted field is still open at the end
            (``offset`` is its opening quote).
        TextAfterQuote: with ``strict``, text follows a closing quote.
        InvalidUtf8: the payload is not UTF-8 (a ``str`` with a lone
            surrogate is not either).
        InvalidTopic: ``topic`` is empty, longer than 65535 UTF-8 bytes, or
            holds NUL, ``+`` or ``#`` (``offset`` is in the topic).
        TypeError: ``payload`` is neither bytes-like nor ``str`` or its
            buffer is not C-contiguous, ``topic`` is not a ``str``, or
            ``limit`` is not an int or ``None`` (``bool`` and ``float`` are
            refused).
        ValueError: ``qos`` is not 0, 1 or 2, ``limit`` is negative, or the
            payload's buffer cannot be read (a closed mmap).

    The payload is checked first, then the options, then the size; a
    payload other than ``bytes`` (or a memoryview of ``bytes``) is copied
    once, after the size check, so that it cannot change while it is read.

    Every error above but ``TypeError`` and ``ValueError`` is a
    :class:`smartrest.SmartRestError` with ``offset`` (0-based byte offset in
    the payload), ``row`` and ``field`` (0-based indexes).  When a payload
    has several problems, the one that starts first is reported.
    """

#: The docstring of ``encode_row``.
ENCODE_ROW = """Encode one row, terminated by LF.

    Args:
        fields: the values of the row, as for :func:`encode`.
        quote_escape: as for :func:`encode`.

    Raises:
        EmptyRow: the row has no field.
        InvalidUtf8: a ``str`` holds a lone surrogate, or a bytes value is
            not UTF-8 (``row`` is 0, ``field`` the value's index).
        InvalidValue: NaN or an infinity, or a naive datetime.
        TypeError: ``fields`` is a ``str`` or bytes or not iterable, or a
            value is of another type than those :func:`encode` accepts.
        ValueError: ``quote_escape`` is neither ``"backslash"`` nor
            ``"double"``.
    """

#: The docstring of ``encode``.
ENCODE = """Encode rows to one payload, each row terminated by LF.

    A value is quoted when it holds ``"``, a comma, LF, CR or tab, or
    starts or ends with whitespace; a trailing run of backslashes goes
    after the closing quote, the one form that reads back exactly.

    Args:
        rows: an iterable of rows, each an iterable of values: ``str``,
            ``None`` (empty), ``bool`` (``true``/``false``), ``int``,
            finite ``float`` (its ``repr``) or :class:`decimal.Decimal`,
            an aware :class:`datetime.datetime` (ISO 8601 with its offset),
            or UTF-8 ``bytes``, ``bytearray`` or ``memoryview``
            (:func:`smartrest.templates.format_value` follows the same
            rule).  Each row is taken as a tuple before its values are
            converted.
        quote_escape: how a ``"`` inside a quoted value is written:
            ``"backslash"`` (``\\"``, the default) or ``"double"`` (``""``;
            a ``"`` right after a backslash is still written ``\\"``).

    Raises:
        EmptyRow: a row has no field (``row`` says which).
        InvalidUtf8: a ``str`` holds a lone surrogate, or a bytes value is
            not UTF-8 (``row`` and ``field`` say which).
        InvalidValue: NaN or an infinity, or a naive datetime (``row`` and
            ``field`` say which).
        TypeError: a row is a ``str`` or bytes or not iterable, or a value
            is of another type.
        ValueError: ``quote_escape`` is neither ``"backslash"`` nor
            ``"double"``.
    """

#: The docstring of ``Decoder.feed``.
DECODER_FEED = """Add bytes to the stream; return the rows they complete.

        Args:
            data: bytes-like or ``str``, as a payload of
                :func:`smartrest.decode`.

        Raises:
            RowTooLarge: the unfinished row grows past ``limit`` bytes
                (``offset`` is the first byte past it).
            TextAfterQuote, InvalidUtf8: a completed row is malformed, as
                for :func:`smartrest.decode` (offsets in the stream).
            TypeError: ``data`` is neither bytes-like nor ``str``.
            ValueError: the decoder was closed.
            RuntimeError: another call on this decoder is running.

        After a ``SmartRestError`` every later call raises it again.
        """

#: The docstring of ``Decoder.close``.
DECODER_CLOSE = """End the stream; return the last row if it lacks its LF.

        Closing again returns ``[]``.

        Raises:
            UnterminatedQuote: the stream ends inside a quoted field.
            TextAfterQuote, InvalidUtf8: the last row is malformed.
            RuntimeError: another call on this decoder is running.

        After a ``SmartRestError`` (from here or from :meth:`feed`) every
        later call raises it again.
        """

#: The docstring of ``tokenize``.
TOKENIZE = """Find the rows and fields of a payload without making a Python
    object per field.

    The payload is validated as :func:`smartrest.decode` does (UTF-8,
    quotes, strict mode) but no size limit applies: this is meant for logs
    and streams of many publishes.  With the C extension the scan runs
    without the GIL.  A payload whose bytes may change (``bytearray``,
    ``mmap``, numpy arrays...) is copied first: the Tokens describes the
    bytes as they were when ``tokenize`` was called, whatever happens to the
    payload later.

    Args:
        payload: bytes-like or ``str``, as for :func:`smartrest.decode`.
        strict: as for :func:`smartrest.decode`.

    Returns:
        Tokens: numpy arrays of field and row boundaries.

    Raises:
        UnterminatedQuote, TextAfterQuote, InvalidUtf8: the payload is
            malformed, as for :func:`smartrest.decode`.
        TypeError: ``payload`` is neither bytes-like nor ``str``.
        ImportError: numpy is not installed.
    """

#: The docstring of ``decode_batch``.
DECODE_BATCH = """Decode many payloads in one call.

    Returns a list with, for every payload, what :func:`smartrest.decode`
    gives for it with the same options.  With the C extension the scans run
    without the GIL; payloads whose bytes may change are copied first (one
    at a time, as they are taken from ``payloads``), so another thread
    writing to one cannot tear its fields.  The options are checked before
    the first payload is read.

    Args:
        payloads: an iterable of bytes-like or ``str`` payloads.
        topic, qos, limit, strict: as for :func:`smartrest.decode`, applied
            to every payload.

    Raises:
        SmartRestError: the error :func:`smartrest.decode` raises for the
            first payload (in order) that is malformed or too large; its
            ``payload_index`` attribute says which payload that is.
        TypeError: a payload is neither bytes-like nor ``str``.
        ValueError: ``qos`` is not 0, 1 or 2.
    """
