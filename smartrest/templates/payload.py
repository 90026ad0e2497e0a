"""Decoding a whole payload into messages, with the C fast path.

:func:`decode_messages` decodes a payload with :func:`smartrest.decode` and
reads every row through its template.  With the C extension the rows are
checked and the messages made in ``smartrest._messages``, from per-template
tables built here; the Python checks (:mod:`smartrest.templates.checks`)
stay the authority on every error.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .._implementation import messages_module
from .._limits import LIMIT
from .._payload import skip_empty_lines as _skip_empty_lines
from ..errors import TemplateError
from .checks import Sinks, _check
from .lenient import quoted_with_spaces, relax
from .message import Message, _message
from .registry import _REGISTRIES, _STATIC, Param, Template, _Where, _where, lookup
from .types import _TYPES, BOOLEAN, DATE, INTEGER, NUMBER, _all_of_type


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
    """Decode a payload and read every row through its template.

    Args:
        payload: bytes-like or ``str``, as for :func:`smartrest.decode`.
        topic: the topic of the publish; it picks the templates (see
            :func:`parse`) and counts for the size limit.
        typed: convert values on access (see :class:`Message`).
        qos, limit, strict: as for :func:`smartrest.decode`.
        lenient: read rows as :func:`parse` does with ``lenient=True``, but
            strip leading spaces of unquoted values only (docs/dialect.md
            section 8.1).  Lenient decoding runs in Python, without the C
            fast path, and is slower.

    Raises:
        UnknownTemplate, MissingValue, TooManyValues, InvalidValue,
        IncompleteGroup: a row does not fit its template.  ``offset`` is the
            byte offset of the row's first byte in the payload, ``row`` its
            index, ``field`` the value's index in the row.
        InvalidTopic: a malformed topic.
        SmartRestError: the payload itself is malformed (see
            :func:`smartrest.decode`).
    """
    from .. import decode

    where = _where(topic)
    rows = decode(payload, topic=topic, qos=qos, limit=limit, strict=strict)
    if lenient:
        return _lenient_messages(payload, rows, where, topic, typed, strict)
    table = _FAST_TABLES.get(id(where.registry)) if _FAST is not None else None
    if table is not None and type(rows) is list:
        result = _FAST.messages(rows, table, _slow_message, where, where.device, typed,
                                _BUILDER)
        if type(result) is list:
            return result
        _raise_first(rows, result, payload, topic)
    out, fits = _python_messages(rows, where, topic, typed)
    if fits:
        return out
    # Something does not fit: check row by row to report the first problem.
    _raise_first(rows, 0, payload, topic)
    raise AssertionError("unreachable")


def _python_messages(rows: List[List[str]], where: _Where, topic: Optional[str],
                     typed: bool) -> Tuple[List[Message], bool]:
    """The messages of decoded rows, in Python, and whether every row fits."""
    get = where.registry.get
    device = where.device
    batches: Dict[str, List[str]] = {kind: [] for kind in _TYPES}
    sinks: Sinks = {kind: values.append for kind, values in batches.items()}
    out: List[Message] = []
    append = out.append
    fits = True
    for row in rows:
        t = get(row[0])
        if t is None:
            try:
                t = lookup(row[0], topic=topic)
            except TemplateError:
                fits = False
                break
        quick = t.quick_check
        if quick is None:
            try:
                _check(t, row)
            except TemplateError:
                fits = False
                break
        elif not quick(row, sinks):
            fits = False
            break
        append(_message(t, row, device, typed))
    return out, fits and all(_all_of_type(kind, values) for kind, values in batches.items())


def _lenient_messages(payload: Any, rows: List[List[str]], where: _Where,
                      topic: Optional[str], typed: bool, strict: bool) -> List[Message]:
    """The messages of decoded rows in lenient mode.

    Raises:
        TemplateError: as :func:`decode_messages`, for the first row that
            does not fit even in lenient mode.
    """
    out: List[Message] = []
    for index, (row, quoted) in enumerate(zip(rows, quoted_with_spaces(payload, rows,
                                                                        strict))):
        try:
            t = lookup(row[0], topic=topic)
            relaxed = relax(t, row, quoted)
        except TemplateError as exc:
            raise _located(exc, payload, index) from None
        out.append(_message(t, row, where.device, typed, relaxed))
    return out


def _raise_first(rows: List[List[str]], start: int, payload: Any, topic: Optional[str]) -> None:
    """Raise the problem of the first row from ``start`` on that does not fit."""
    for index in range(start, len(rows)):
        row = rows[index]
        try:
            _check(lookup(row[0], topic=topic), row)
        except TemplateError as exc:
            raise _located(exc, payload, index) from None
    raise AssertionError("a row failed the quick check but passes the full one")


# The C fast path: smartrest._messages checks decoded rows against tables
# made here from the registry (one Spec per template) and makes the messages
# in C.  Rows it does not handle itself (s/e lines, the sections of 527/531,
# typed values with non-ASCII text...) go to _slow_message.  Without the
# extension, or with SMARTREST_PURE_PYTHON=1, decode_messages runs
# _python_messages.


def _slow_message(row: List[str], where: _Where, typed: bool) -> Optional[Message]:
    """The message of one row checked in Python, or ``None`` when it does not fit."""
    try:
        t = lookup(row[0], topic=where.topic)
        _check(t, row)
    except TemplateError:
        return None
    return _message(t, row, where.device, typed)


def _spec_args(t: Template, codes: Mapping[str, Any]) -> Dict[str, Any]:
    """The C tables of ``t``: the keyword arguments of
    ``smartrest._messages.Spec(t, **args)``, whose fields are those of
    ``sr_spec`` (csrc/smartrest.h).  ``codes`` maps ``NUMBER``, ``INTEGER``,
    ``BOOLEAN`` and ``DATE`` to the type codes to write.  The one rule from
    the registry to the C tables (``scripts/gen_template_table.py`` writes
    them for ``csrc/validate.c`` from it too)."""

    def typed_at(params: Sequence[Param], first: int) -> List[Tuple[int, Any]]:
        return [(first + i, codes[p.type]) for i, p in enumerate(params) if p.type in codes]

    slow = t.rest or bool(t.markers) or len(t.blocks) > 1 or len(t.one_of) > 1
    block = None
    if t.blocks and not slow:
        b = t.blocks[0]
        block = (b.width, b.min_items, b.min_last, b.required, typed_at(b.params, 0))
    return dict(has_serial=t.has_serial, min_len=t.min_len, fixed_len=t.fixed_len,
                required=t.required, checks=typed_at(t.params, 1),
                one_of=t.one_of[0] if t.one_of else (), block=block, slow=slow)


def _fast_spec(fast: Any, t: Template) -> Any:
    """The table of ``t`` for :func:`smartrest._messages.messages`."""
    codes = {NUMBER: fast.NUMBER, INTEGER: fast.INTEGER, BOOLEAN: fast.BOOLEAN,
             DATE: fast.DATE}
    return fast.Spec(t, **_spec_args(t, codes))


def _load_fast() -> Tuple[Any, Any, Dict[int, Dict[str, Any]]]:
    fast = messages_module()
    if fast is None:
        return None, None, {}
    try:
        builder = fast.Builder(Message)
    except TypeError:  # Message is not laid out as the builder needs
        return None, None, {}
    tables = {}
    for registry in (*_REGISTRIES.values(), _STATIC):
        tables[id(registry)] = {key: _fast_spec(fast, t) for key, t in registry.items()
                                if key is not None}
    return fast, builder, tables


_FAST, _BUILDER, _FAST_TABLES = _load_fast()


def _located(exc: TemplateError, payload: Any, index: int) -> TemplateError:
    """``exc`` with the row index and the byte offset of the row's start."""
    located: TemplateError = type(exc)(exc.reason, _row_start(payload, index), index,
                                       exc.field, template_id=exc.template_id,
                                       field_name=exc.field_name)
    return located


def _row_start(payload: Any, index: int) -> int:
    """Byte offset of row ``index`` of a payload that decodes (error path only).

    The payload is fed to a :class:`smartrest.Decoder` one line at a time:
    the feed that completes a row ends at that row's LF.
    """
    from .. import Decoder

    data = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) \
        else memoryview(payload).cast("B").tobytes()
    decoder = Decoder(limit=None)
    done = 0
    start = 0  # just past the LF that ends row done-1
    while done < index:
        lf = data.find(b"\n", start)
        done += len(decoder.feed(data[start:lf + 1]))
        start = lf + 1
    return _skip_empty_lines(data, start)  # empty lines in front are not part of the row
