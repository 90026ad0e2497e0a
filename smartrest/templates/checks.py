"""Checking a row against its template (the rules of :mod:`smartrest.templates`).

:func:`_check` is the authority on every problem of a row; :func:`_quick_check`
makes the fast test that :func:`smartrest.templates.decode_messages` runs
first on the templates without groups.  ``smartrest._messages`` accepts
exactly the rows that :func:`_check` accepts.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple

from ..errors import (
    IncompleteGroup,
    InvalidValue,
    MissingValue,
    TemplateError,
    TooManyValues,
)
from .types import _TYPES, OPTIONAL, REQUIRED, type_check

if TYPE_CHECKING:
    from .registry import Block, Template

#: Where the quick check hands the non-empty values of each type.
Sinks = Dict[str, Callable[[str], None]]


def _error(cls: type, t: Template, row: Sequence[str], position: int, name: Optional[str],
           what: str) -> TemplateError:
    label = t.label if t.id is not None else f"s/e line {row[0]!r}"
    err: TemplateError = cls(f"{label}: {what}", None, None, position,
                             template_id=t.id, field_name=name)
    return err


def _check(t: Template, row: Sequence[str]) -> None:
    """Raise the first problem of ``row`` against ``t``.

    Raises:
        MissingValue, TooManyValues, InvalidValue, IncompleteGroup: the row
            does not fit; ``field`` is the value's index in the row and
            ``field_name`` its name.
    """
    n = len(row)
    if n < t.min_len:
        for position in range(n, t.min_len):
            p = t.params[position - 1]
            if p.requirement != OPTIONAL:
                kind = "mandatory value" if p.requirement == REQUIRED else "value"
                raise _error(MissingValue, t, row, position, p.name,
                             f"missing {kind} {p.name!r}")
    for position in t.required:
        if not row[position]:
            name = t.names[position - 1]
            raise _error(MissingValue, t, row, position, name,
                         f"mandatory value {name!r} is empty")
    for position, check in t.checks:
        if position < n:
            value = row[position]
            if value and not check(value):
                p = t.params[position - 1]
                raise _error(InvalidValue, t, row, position, p.name,
                             f"{p.name!r} must be {type_check(p.type)[1]}, not {value!r}")
    for positions in t.one_of:
        if not any(p < n and row[p] for p in positions):
            names = [t.names[p - 1] for p in positions]
            raise _error(MissingValue, t, row, positions[0], names[0],
                         f"at least one of {', '.join(map(repr, names))} is needed")
    if n > t.fixed_len:
        if t.rest:
            return
        if not t.blocks:
            raise _error(TooManyValues, t, row, t.fixed_len, None,
                         f"too many values ({n - 1} after the message ID; the template "
                         f"has {len(t.params)})")
    if t.blocks:
        for block, start, end in _spans(t, row):
            _check_items(t, block, row, start, end)


def _quick_check(t: Template) -> Optional[Callable[[Sequence[str], Sinks], bool]]:
    """A fast test of a row against a template without groups (``None`` for the others).

    ``quick_check(row, sinks)`` checks the row's length and its mandatory
    values and hands each non-empty typed value to ``sinks[type]``, so that
    the caller checks the values of a payload in one go
    (:func:`smartrest.templates.types._all_of_type`).  False means the row
    does not fit; :func:`_check`, which stays the authority, then says why.
    """
    if t.blocks or t.one_of or t.rest:
        return None
    lo, hi = t.min_len, t.fixed_len
    # Field 0 makes the getter return a tuple even for one position; the
    # message ID is never empty once it has been found in a registry.
    required = itemgetter(*t.required, 0) if t.required else None
    typed = tuple((i + 1, p.type) for i, p in enumerate(t.params) if p.type in _TYPES)

    def quick_check(row: Sequence[str], sinks: Sinks) -> bool:
        n = len(row)
        if n < lo or n > hi or (required is not None and "" in required(row)):
            return False
        for position, kind in typed:
            if position < n:
                value = row[position]
                if value:
                    sinks[kind](value)
        return True

    return quick_check


def _spans(t: Template, row: Sequence[str]) -> List[Tuple[Block, int, int]]:
    """Where each block's values lie in ``row``: (block, first, end).

    Raises:
        InvalidValue: the sections of 527/531 are out of order, or the
            values after the fixed ones do not start with a section marker.
    """
    n = len(row)
    start = t.fixed_len
    if not t.markers:
        return [(t.blocks[0], min(start, n), n)]
    found: List[Tuple[int, int]] = []  # (block index, position of its marker)
    markers = t.markers
    for position in range(start, n):
        b = markers.get(row[position])
        if b is None:
            continue
        if found and b <= found[-1][0]:
            raise _error(InvalidValue, t, row, position, None,
                         f"section {row[position]!r} after {t.blocks[found[-1][0]].marker!r} "
                         f"(the order is {', '.join(markers)})")
        found.append((b, position))
    if n > start and (not found or found[0][1] != start):
        raise _error(InvalidValue, t, row, start, None,
                     f"expected a section marker ({', '.join(markers)}), not {row[start]!r}")
    ends = [p for _, p in found[1:]] + [n]
    return [(t.blocks[b], p + 1, e) for (b, p), e in zip(found, ends)]


def _check_items(t: Template, block: Block, row: Sequence[str], start: int, end: int) -> None:
    """Raise the first problem of the items of ``block`` in ``row[start:end]``.

    Raises:
        MissingValue, TooManyValues, InvalidValue, IncompleteGroup: as
            :func:`_check`.
    """
    width = block.width
    count = end - start
    what = f"section {block.marker}" if block.marker else "group"
    if count < block.min_items:
        p = block.params[block.required[0]]
        raise _error(MissingValue, t, row, start, p.name,
                     f"needs at least one {what} item ({', '.join(block.names)})")
    if not block.repeating and count > width:
        raise _error(TooManyValues, t, row, start + width, None,
                     f"{what} has {count} values, but one item has {width}")
    part = count % width
    if part and part < block.min_last:
        p = block.params[part]
        raise _error(IncompleteGroup, t, row, end, p.name,
                     f"the last {what} item stops before {p.name!r} "
                     f"({part} of {width} values: {', '.join(block.names)})")
    for base in range(start, end, width):
        for offset in block.required:
            position = base + offset
            if position < end and not row[position]:
                name = block.names[offset]
                raise _error(MissingValue, t, row, position, name,
                             f"mandatory {what} value {name!r} is empty")
        for offset, check in block.checks:
            position = base + offset
            if position < end:
                value = row[position]
                if value and not check(value):
                    p = block.params[offset]
                    raise _error(InvalidValue, t, row, position, p.name,
                                 f"{what} value {p.name!r} must be {type_check(p.type)[1]}, "
                                 f"not {value!r}")
