"""The rows of one payload through the template layer: the reference of
:mod:`smartrest.arrow`, and the path of every payload the C tables leave.

:func:`payload_rows` gives, for one payload, the column values of each of
its rows that fits its template (as :func:`smartrest.arrow.schema.plain_schema`
orders them) and, with ``collect``, the errors of the rows that do not.
Without ``collect`` it raises the error
:func:`smartrest.templates.decode_messages` raises (or, on a custom topic
with a collection, the first error of the collection's reading of a row).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from .. import Decoder, decode
from .. import topics as _topics
from .._payload import skip_empty_lines
from ..custom import DATE as _CUSTOM_DATE
from ..custom import TemplateCollection
from ..errors import (
    InvalidUtf8,
    InvalidValue,
    PayloadTooLarge,
    SmartRestError,
    TemplateError,
)
from ..templates import Message, decode_messages, lookup, numeric_id, parse
from .schema import AnyTemplate, convert, template_key, typed

#: One row's column values (message, row, device, values...).
Row = Tuple[Any, ...]
#: The rows of one payload, by table key, with each table's template.
Rows = Dict[str, Tuple[AnyTemplate, List[Row]]]


class Route:
    """How a topic's payloads are read: through the static registry (the
    template layer) or through a collection."""

    __slots__ = ("topic", "collection", "up", "device")

    def __init__(self, topic: Optional[str], collection: Optional[TemplateCollection]) -> None:
        self.topic = topic
        self.collection: Optional[TemplateCollection] = None
        self.up = True
        self.device: Optional[str] = None
        if topic is None or collection is None:
            return
        try:
            where = _topics.parse(topic)
        except SmartRestError:
            return  # decode_messages reports the topic
        if where.kind == _topics.DEFAULT or (where.kind == _topics.CUSTOM and
                                             where.xid == collection.xid):
            self.collection = collection
            self.up = where.direction == "up"
            self.device = where.child


def row_starts(data: bytes) -> List[int]:
    """The byte offset of each row's first byte (up to a decode error), and
    one more item (a row ends where a feed of a :class:`smartrest.Decoder`
    ending at a LF completes it)."""
    decoder = Decoder(limit=None)
    starts = [skip_empty_lines(data, 0)]
    start = 0
    try:
        while True:
            lf = data.find(b"\n", start)
            end = len(data) if lf < 0 else lf + 1
            done = len(decoder.feed(data[start:end]))
            start = end
            starts += [skip_empty_lines(data, start)] * done
            if lf < 0:
                break
        starts += [len(data)] * len(decoder.close())
    except SmartRestError:
        pass  # the rows before the error
    return starts


def located(exc: TemplateError, offset: int, row: int) -> TemplateError:
    """``exc`` with the byte offset of its row's start and the row's index."""
    out: TemplateError = type(exc)(exc.reason, offset, row, exc.field,
                                   template_id=exc.template_id, field_name=exc.field_name)
    return out


def _conversion_error(t: AnyTemplate, key: str, name: str, position: Optional[int],
                      exc: ValueError) -> InvalidValue:
    return InvalidValue(f"template {key}: {name!r} does not convert: {exc}", None, None,
                        position, template_id=numeric_id(key),
                        field_name=name)


def _static_values(msg: Message, index: int, row: int) -> Tuple[str, Row]:
    t = msg.template
    key = template_key(t, msg)
    out: List[Any] = [index, row, msg.device]
    for position, p in enumerate(t.params, 1):
        try:
            out.append(convert(p.type, msg[p.name]))
        except ValueError as exc:
            raise _conversion_error(t, key, p.name, position, exc) from None
    if t.blocks:
        items: Dict[Any, Any] = msg.sections if t.markers else {None: msg.groups}
        for block in t.blocks:
            out.append([{p.name: convert(p.type, item[p.name]) for p in block.params}
                        for item in items[block.marker]])
    return key, tuple(out)


def _custom_values(route: Route, row: List[str], index: int, number: int
                   ) -> Tuple[str, AnyTemplate, Row]:
    collection = route.collection
    assert collection is not None
    if route.up:
        collection.to_request(row)
        t = collection.requests[row[0]]
        fields = t.fields
        # The line holds one value per field, or one per field but the DATEs
        # (see smartrest.custom); to_request has checked which.
        sent = fields if len(row) - 1 == len(fields) else [
            f for f in fields if f.type != _CUSTOM_DATE]
        texts = dict(zip((f.name for f in sent), row[1:]))
        out: List[Any] = [index, number, route.device]
        for position, f in enumerate(fields, 1):
            try:
                out.append(typed(f.type, texts.get(f.name, "")))
            except ValueError as exc:
                raise _conversion_error(t, t.msg_id, f.name, position, exc) from None
        return t.msg_id, t, tuple(out)
    response = collection.parse_response(row)
    rt = response.template
    return rt.msg_id, rt, (index, number, response.device,
                           *(response.values[p] for p in rt.patterns))


def _add(rows: Rows, key: str, t: AnyTemplate, values: Row) -> None:
    entry = rows.get(key)
    if entry is None:
        rows[key] = (t, [values])
    elif entry[0] is not t:
        raise ValueError(f"two templates of message ID {key!r} in one call (a static and a "
                         "custom one); decode their payloads in separate calls")
    else:
        entry[1].append(values)


def _read_row(route: Route, fields: List[str], index: int, number: int, rows: Rows) -> None:
    """Add one decoded row; raises its TemplateError unlocated."""
    if route.collection is not None:
        key, t, values = _custom_values(route, fields, index, number)
        _add(rows, key, t, values)
        return
    msg = parse(fields, topic=route.topic, typed=True)
    key, values = _static_values(msg, index, number)
    _add(rows, key, msg.template, values)


def payload_rows(data: Any, route: Route, index: int, collect: bool,
                 rows: Rows) -> List[SmartRestError]:
    """Add the rows of payload ``index`` to ``rows``; return its errors.

    Without ``collect`` the first problem is raised: for the static
    registry the error of ``decode_messages(data, topic=route.topic)``, or
    an :class:`~smartrest.errors.InvalidValue` for a value that passes its
    check but does not convert (a date that is no real date, an integer
    outside int64), located like a template error.

    Raises:
        SmartRestError: without ``collect``, as above.
        ValueError: a static and a custom template share a table key.
    """
    if not collect:
        if route.collection is None:
            messages = decode_messages(data, topic=route.topic, typed=True)
            for number, msg in enumerate(messages):
                try:
                    key, values = _static_values(msg, index, number)
                except TemplateError as exc:
                    raise located(exc, row_starts(bytes(data))[number], number) from None
                _add(rows, key, msg.template, values)
            return []
        decoded = decode(data, topic=route.topic)
        for number, fields in enumerate(decoded):
            try:
                _read_row(route, fields, index, number, rows)
            except TemplateError as exc:
                raise located(exc, row_starts(bytes(data))[number], number) from None
        return []
    good, errors = salvage(bytes(data), route.topic)
    starts: Optional[List[int]] = None
    for number, fields in good:
        try:
            _read_row(route, fields, index, number, rows)
        except TemplateError as exc:
            if starts is None:
                starts = row_starts(_repaired(bytes(data))[0])
            errors.append(located(exc, starts[number], number))
    errors.sort(key=lambda e: (e.row if e.row is not None else -1))
    return errors


def _repaired(data: bytes) -> Tuple[bytes, List[int]]:
    """``data`` with every byte of an invalid UTF-8 sequence replaced by
    ``?`` (same length, same rows), and the offsets replaced."""
    text = data.decode("utf-8", "surrogateescape")
    bad: List[int] = []
    out = bytearray()
    for ch in text:
        if "\udc80" <= ch <= "\udcff":
            bad.append(len(out))
            out += b"?"
        else:
            out += ch.encode("utf-8", "surrogatepass")
    return bytes(out), bad


def salvage(data: bytes, topic: Optional[str]
            ) -> Tuple[List[Tuple[int, List[str]]], List[SmartRestError]]:
    """The rows of a payload that decode, with their indexes, and the errors
    of the rest.

    A payload over the size limit gives no row and its error.  Rows holding
    invalid UTF-8 are each one error; the other rows stay.  After any other
    decode error (a quote left open), the rows before the row it is in stay.
    """
    try:
        return list(enumerate(decode(data, topic=topic))), []
    except PayloadTooLarge as exc:
        return [], [exc]
    except SmartRestError as exc:
        first = exc
    if not isinstance(first, InvalidUtf8):
        decoder = Decoder(limit=None)
        good: List[List[str]] = []
        start = 0
        try:
            while start < len(data):
                lf = data.find(b"\n", start)
                end = len(data) if lf < 0 else lf + 1
                good += decoder.feed(data[start:end])
                start = end
            good += decoder.close()
        except SmartRestError:
            pass
        return list(enumerate(good)), [first]
    fixed, bad = _repaired(data)
    rows, errors = salvage(fixed, None)
    starts = row_starts(fixed)
    out: List[Tuple[int, List[str]]] = []
    at = 0
    for number, fields in rows:
        lo, hi = starts[number], starts[number + 1] if number + 1 < len(starts) else len(fixed)
        while at < len(bad) and bad[at] < lo:
            at += 1
        if at < len(bad) and bad[at] < hi:
            errors.append(_utf8_error(data, lo, hi, number))
        else:
            out.append((number, fields))
    return out, errors


def _utf8_error(data: bytes, lo: int, hi: int, number: int) -> SmartRestError:
    try:
        decode(data[lo:hi], limit=None)
    except InvalidUtf8 as exc:
        return InvalidUtf8(exc.reason, lo + (exc.offset or 0), number, exc.field)
    raise AssertionError("a row with invalid UTF-8 decodes")


def template_of(key: str, *, topic: Optional[str] = None,
                collection: Optional[TemplateCollection] = None) -> AnyTemplate:
    """The template of table ``key``: a request or response template of
    ``collection`` when it has that message ID, else the static template
    (or system message, or ``s/e`` line) of ``key`` on ``topic``.

    Raises:
        UnknownTemplate: no such template.
    """
    if collection is not None:
        t = collection.requests.get(key) or collection.responses.get(key)
        if t is not None:
            return t
    return lookup(key, topic=topic)
