"""Messages: rows read through their templates.

:func:`parse` turns a decoded row into a :class:`Message`, :func:`build`
makes one from named values, and :meth:`Message.to_row` gives the row back.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from .._values import str_row
from ..errors import InvalidValue, TooManyValues
from .checks import _check, _spans
from .lenient import Relaxed, relax
from .registry import Template, _where, lookup
from .types import _convert, format_value

Value = Any


class Message:
    """One row read through its template.

    ``msg["fragment"]`` is the value of a fixed parameter by its snake-case
    name: the text as received, ``""`` for an empty or left-out value, or
    with ``typed=True`` a ``float`` (NUMBER), ``int`` (INTEGER), ``bool``
    (BOOLEAN), aware ``datetime`` (DATE) or ``str``, and ``None`` for an
    empty value.  Conversion happens on access; the row is kept as it came.

    Attributes:
        template: the :class:`Template`.
        device: the device the message is about: the serial of a downstream
            5xx message, the child of an upstream topic, else ``None``.
        typed: whether values are converted on access.

    :attr:`relaxed` says what lenient mode let through; it is no part of
    equality (a message is its template, values and device).
    """

    # The C fast path makes messages by these four slots (smartrest._messages.Builder)
    # and leaves _relaxed unset: it makes strict messages only.
    __slots__ = ("template", "_values", "device", "typed", "_relaxed")

    def __init__(self, template: Template, values: List[str], device: Optional[str] = None,
                 typed: bool = False, relaxed: Relaxed = ()) -> None:
        self.template = template
        self._values = values
        self.device = device
        self.typed = typed
        self._relaxed = relaxed

    @property
    def relaxed(self) -> Relaxed:
        """What lenient mode relaxed: ``(position, what)`` pairs in field
        order, ``what`` being ``"leading spaces"`` (stripped from the value
        at that field index) or ``"empty"`` (a mandatory value empty or left
        out, where :data:`smartrest.templates.lenient.EMPTY_ALLOWED` allows
        it).  Empty in strict mode and when nothing was relaxed."""
        try:
            return self._relaxed
        except AttributeError:  # made by the C fast path
            return ()

    @property
    def template_id(self) -> int:
        """The message ID (for an ``s/e`` line: the error code)."""
        t = self.template.id
        return t if t is not None else int(self._values[0])

    @property
    def name(self) -> str:
        """The template's name, e.g. ``"Create custom measurement"``."""
        return self.template.name

    def _text(self, position: int) -> str:
        values = self._values
        if position >= len(values):
            return ""
        if self.template.rest and position == self.template.fixed_len - 1:
            return ",".join(values[position:])
        return values[position]

    def __getitem__(self, name: str) -> Value:
        try:
            position = self.template.index[name]
        except KeyError:
            raise KeyError(f"{self.template.label} has no parameter {name!r} "
                           f"(it has {', '.join(self.template.names) or 'none'})") from None
        text = self._text(position)
        return _convert(self.template.params[position - 1].type, text) if self.typed else text

    def get(self, name: str, default: Value = None) -> Value:
        """The value of ``name``, or ``default`` if the template has no such parameter."""
        if name not in self.template.index:
            return default
        return self[name]

    def __contains__(self, name: object) -> bool:
        return name in self.template.index

    @property
    def fields(self) -> Dict[str, Value]:
        """Every fixed parameter by name (repeating groups are in :attr:`groups`)."""
        return {name: self[name] for name in self.template.names}

    @property
    def groups(self) -> List[Dict[str, Value]]:
        """The items of the repeating group as dicts, in order.

        Items of the sections of 527 and 531 also hold the section's marker
        under ``"section"``.  A last item that stops early has ``""`` (or
        ``None`` when typed) for the values it leaves out.
        """
        if not self.template.blocks:
            return []
        values = self._values
        items: List[Dict[str, Value]] = []
        for block, start, end in _spans(self.template, values):
            for base in range(start, end, block.width):
                item: Dict[str, Value] = {}
                for offset, p in enumerate(block.params):
                    position = base + offset
                    text = values[position] if position < end else ""
                    item[p.name] = _convert(p.type, text) if self.typed else text
                if block.marker:
                    item["section"] = block.marker
                items.append(item)
        return items

    @property
    def sections(self) -> Dict[str, List[Dict[str, Value]]]:
        """For 527 and 531: the items of each section, by marker (``{}`` otherwise)."""
        out: Dict[str, List[Dict[str, Value]]] = {m: [] for m in self.template.markers}
        for item in self.groups:
            out[item.pop("section")].append(item)
        return out

    def to_row(self) -> List[str]:
        """The row's values as text, message ID first, ready for :func:`smartrest.encode`."""
        return list(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return (self.template is other.template and self._values == other._values
                and self.device == other.device)

    def __hash__(self) -> int:
        return hash((id(self.template), tuple(self._values), self.device))

    def __repr__(self) -> str:
        parts = [repr(self.template_id)]
        parts += [f"{k}={v!r}" for k, v in self.fields.items()]
        if self.template.blocks:
            parts.append(f"groups={self.groups!r}")
        if self.device is not None and not self.template.has_serial:
            parts.append(f"device={self.device!r}")
        if self.relaxed:
            parts.append(f"relaxed={self.relaxed!r}")
        return f"Message({', '.join(parts)})"


def _message(t: Template, values: List[str], device: Optional[str], typed: bool,
             relaxed: Relaxed = ()) -> Message:
    """The message of a row that fits ``t``: its device is the serial of a
    downstream 5xx row, else ``device`` (the child an upstream topic names)."""
    return Message(t, values, values[1] if t.has_serial else device, typed, relaxed)


def parse(row: Sequence[str], *, topic: Optional[str] = None, typed: bool = False,
          lenient: bool = False) -> Message:
    """Read a decoded row through its template.

    Args:
        row: the row's fields, message ID first (one row of
            :func:`smartrest.decode`).
        topic: the topic the row came on.  It picks the templates: the
            upstream or downstream static ones, or the system messages of
            ``s/e``, ``s/dcr``, ``s/dat`` and ``s/dt``; an upstream child
            topic names :attr:`Message.device`.  Without it, any static
            template is accepted.
        typed: convert values on access (see :class:`Message`).
        lenient: also accept what agents send and the platform takes
            (:mod:`smartrest.templates.lenient`, docs/dialect.md section
            8.1): the listed mandatory values empty, and spaces before a
            value, which are stripped.  ``parse`` sees values, not the wire,
            so it strips the leading spaces of every value after the message
            ID; :attr:`Message.relaxed` says what was relaxed.

    Raises:
        UnknownTemplate: the message ID is not a template of the topic.
        MissingValue, TooManyValues, InvalidValue, IncompleteGroup: the row
            does not fit its template; ``field`` is the value's index in the
            row and ``field_name`` its name.  These carry no offset or row.
        InvalidTopic: a malformed topic.
        TypeError: ``row`` is not a sequence of ``str``.
    """
    values = str_row(row)
    where = _where(topic)
    t = where.registry.get(values[0])
    if t is None:
        t = lookup(values[0], topic=topic)
    if lenient:
        return _message(t, values, where.device, typed, relax(t, values))
    _check(t, values)
    return _message(t, values, where.device, typed)


def build(
    template_id: Union[int, str],
    *,
    topic: Optional[str] = None,
    groups: Iterable[Mapping[str, Value]] = (),
    device: Optional[str] = None,
    **values: Value,
) -> Message:
    """Make a message from named values, e.g.
    ``build(200, fragment="c8y_Temperature", series="T", value=25.3, unit="C")``.

    Values are written with :func:`format_value` (a ``datetime`` as ISO 8601
    with its offset).  Left-out optional values at the end of the fixed
    parameters are left out of the row; with a repeating group every item is
    written in full.  Sections of 527/531 come from ``groups`` items with a
    ``"section"`` key; every marker is written, in order.

    Args:
        template_id: the message ID.
        topic: picks the template registry as for :func:`parse` (needed for
            the system messages, e.g. ``topic="s/dcr"`` for 70).
        groups: the items of the repeating group or sections, as dicts.
        device: the child device of an upstream message (the topic it goes
            to names it); for downstream 5xx messages pass ``serial``.
        **values: the fixed parameters by name.

    Raises:
        UnknownTemplate: no template of that ID on that topic.
        MissingValue, TooManyValues, InvalidValue, IncompleteGroup: the
            values do not fit the template (the same checks as :func:`parse`);
            also a value that cannot be written (a naive ``datetime``, a
            float that is not finite, a 527/531 value equal to a marker).
        TypeError: a name the template does not have, or a value of a type
            that cannot be written.
    """
    t = lookup(template_id, topic=topic)
    unknown = set(values) - set(t.names)
    if unknown:
        raise TypeError(f"{t.label} has no parameter {', '.join(sorted(map(repr, unknown)))} "
                        f"(it has {', '.join(t.names) or 'none'})")
    first = str(template_id) if t.id is None else str(t.id)
    row = [first] + [_text(t, i + 1, name, values.get(name)) for i, name in enumerate(t.names)]
    items = list(groups)
    if items and not t.blocks:
        raise TypeError(f"{t.label} has no repeating group")
    if not items or t.markers:
        # Drop optional values left empty at the end; required and
        # "present" ones stay (see the rules of smartrest.templates).
        while len(row) > t.min_len and not row[-1]:
            row.pop()
    if t.blocks:
        row += _group_values(t, items, len(row))
    _check(t, row)
    return _message(t, row, device, False)


def _text(t: Template, position: int, name: str, value: Value) -> str:
    try:
        return format_value(value)
    except ValueError as exc:
        raise InvalidValue(f"{t.label}: {name!r}: {exc}", None, None, position,
                           template_id=t.id, field_name=name) from None
    except TypeError as exc:
        raise TypeError(f"{t.label}: {name!r}: {exc}") from None


def _group_values(t: Template, items: List[Mapping[str, Value]], start: int) -> List[str]:
    out: List[str] = []
    by_block: Dict[int, List[Mapping[str, Value]]] = {}
    last = -1
    for number, item in enumerate(items):
        b = 0
        if t.markers:
            marker = item.get("section")
            if marker not in t.markers:
                raise TypeError(f"{t.label}: group item {number} needs 'section', one of "
                                f"{', '.join(t.markers)}")
            b = t.markers[marker]
            if b < last:
                raise InvalidValue(f"{t.label}: section {marker} item after a later section",
                                   None, None, None, template_id=t.id)
        last = b
        by_block.setdefault(b, []).append(item)
    for b, block in enumerate(t.blocks):
        if block.marker:
            out.append(block.marker)
        block_items = by_block.get(b, [])
        if not block.repeating and len(block_items) > 1:
            raise TooManyValues(f"{t.label}: section {block.marker} has one item, not "
                                f"{len(block_items)}", None, None, None, template_id=t.id)
        for item in block_items:
            extra = set(item) - set(block.names) - {"section"}
            if extra:
                raise TypeError(f"{t.label}: group item has no value "
                                f"{', '.join(sorted(map(repr, extra)))} "
                                f"(it has {', '.join(block.names)})")
            for name in block.names:
                text = _text(t, start + len(out), name, item.get(name))
                if text in t.markers:
                    raise InvalidValue(f"{t.label}: {name!r} cannot be {text!r}, "
                                       "a section marker", None, None, start + len(out),
                                       template_id=t.id, field_name=name)
                out.append(text)
    return out
