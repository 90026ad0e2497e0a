"""The lenient mode of :func:`~smartrest.templates.parse` and
:func:`~smartrest.templates.decode_messages` (docs/dialect.md section 8.1).

Strict mode reads rows exactly by ``templates.json``.  Lenient mode also
accepts two things that agents in the field send and the platform takes:

* **Empty values that the docs mark mandatory**, only at the places listed
  in :data:`EMPTY_ALLOWED`: the service type, name and status of ``102``
  (which may also be left out), and the version of a ``140`` or ``141``
  software item.
* **Spaces after a comma**: the leading ASCII spaces (U+0020, nothing else)
  of every unquoted value after the message ID are dropped, as in
  ``114, c8y_Restart``.  Quoted values keep them, and so does the text of an
  ``s/e`` line.  :func:`parse` sees values, not the wire, and takes every
  value as unquoted; :func:`decode_messages` knows which were quoted.

What was relaxed is :attr:`Message.relaxed`: ``(position, what)`` pairs,
``what`` being ``"leading spaces"`` (stripped) or ``"empty"`` (a listed value
empty or left out).
"""

from __future__ import annotations

import dataclasses
from typing import AbstractSet, Any, Dict, List, Mapping, Set, Tuple

from .checks import _check, _spans
from .registry import _STATIC_UP, Block, Param, Template
from .types import OPTIONAL, PRESENT, REQUIRED

#: How a relaxed value is named in :attr:`Message.relaxed`.
STRIPPED = "leading spaces"
EMPTY = "empty"

#: One thing lenient mode let through: (field index in the row, what).
Relaxed = Tuple[Tuple[int, str], ...]

#: The mandatory values that agents leave empty, by template ID and the
#: parameter's name in ``templates.json``, with what lenient mode takes
#: instead: ``"optional"`` (empty, or left out at the end of the row) or
#: ``"present"`` (there, but may be empty).
#:
#: * 102: thin-edge.io creates services with only their external ID
#:   (``102,<id>,``); the platform creates the service all the same.
#: * 140, 141: thin-edge.io reports software without a version with an empty
#:   version (``140,name,,type,url``); the item keeps its place.
EMPTY_ALLOWED: Mapping[int, Mapping[str, str]] = {
    102: {"service type": OPTIONAL, "service name": OPTIONAL, "service status": OPTIONAL},
    140: {"version": PRESENT},
    141: {"version": PRESENT},
}


def _eased(params: Tuple[Param, ...], levels: Mapping[str, str],
           used: Set[str]) -> Tuple[Param, ...]:
    out = []
    for p in params:
        level = levels.get(p.doc_name)
        if level is not None:
            used.add(p.doc_name)
            p = dataclasses.replace(p, requirement=level)
        out.append(p)
    return tuple(out)


def _twins() -> Dict[int, Template]:
    """The template that lenient mode checks rows of each listed template
    against (by ``id`` of the registry's template).

    Raises:
        ValueError: :data:`EMPTY_ALLOWED` names a template or a mandatory
            value that ``templates.json`` does not have.
    """
    twins: Dict[int, Template] = {}
    for template_id, levels in EMPTY_ALLOWED.items():
        t = _STATIC_UP.get(str(template_id))
        if t is None:
            raise ValueError(f"lenient mode names template {template_id}, which is not in "
                             "templates.json")
        every = list(t.params) + [p for b in t.blocks for p in b.params]
        named = {p.doc_name for p in every if p.requirement == REQUIRED}
        if not set(levels) <= named:
            raise ValueError(f"lenient mode names {sorted(set(levels) - named)} of template "
                             f"{template_id}, which are not its mandatory values")
        used: Set[str] = set()
        blocks = tuple(Block(_eased(b.params, levels, used), b.marker, b.repeating)
                       for b in t.blocks)
        twins[id(t)] = dataclasses.replace(t, params=_eased(t.params, levels, used),
                                           blocks=blocks)
    return twins


_TWINS = _twins()


def _emptied(t: Template, twin: Template, row: List[str]) -> List[Tuple[int, str]]:
    """The listed values of ``row`` that are empty or left out."""
    n = len(row)
    out = [(i + 1, EMPTY) for i, (p, q) in enumerate(zip(t.params, twin.params))
           if p.requirement != q.requirement and (i + 1 >= n or not row[i + 1])]
    for strict, (block, start, end) in zip(t.blocks, _spans(twin, row) if t.blocks else ()):
        offsets = [k for k, (p, q) in enumerate(zip(strict.params, block.params))
                   if p.requirement != q.requirement]
        out += [(base + k, EMPTY) for base in range(start, end, block.width)
                for k in offsets if base + k < end and not row[base + k]]
    return out


def relax(t: Template, row: List[str], quoted: AbstractSet[int] = frozenset()) -> Relaxed:
    """Check ``row`` against ``t`` in lenient mode, stripping the leading
    spaces of its unquoted values in place.

    Args:
        t: the row's template (from its registry).
        row: the row's values; changed in place.
        quoted: the field indexes of values that were quoted on the wire.

    Returns:
        What was relaxed, by position (empty when the row fits ``t`` as it is).

    Raises:
        MissingValue, TooManyValues, InvalidValue, IncompleteGroup: the row
            does not fit even so (as for strict mode, against the template
            with the listed values eased).
    """
    relaxed: List[Tuple[int, str]] = []
    stop = t.fixed_len - 1 if t.rest else len(row)  # the s/e text is not stripped
    for position in range(1, stop):
        value = row[position]
        if value[:1] == " " and position not in quoted:
            row[position] = value.lstrip(" ")
            relaxed.append((position, STRIPPED))
    twin = _TWINS.get(id(t))
    if twin is None:
        _check(t, row)
    else:
        _check(twin, row)
        relaxed += _emptied(t, twin, row)
    return tuple(sorted(relaxed))


def quoted_with_spaces(payload: Any, rows: List[List[str]], strict: bool) -> List[Set[int]]:
    """For each decoded row of ``payload``, the indexes of its values that
    start with a space and were quoted on the wire.

    A field is quoted when its first byte is ``"`` (docs/dialect.md section
    2.1), so an unquoted value that starts with a space follows a ``, ``.
    The payload is decoded once more with a space added after every ``, ``:
    an unquoted value then gains exactly one leading space, and a quoted one
    never does (inside quotes the extra space lands after a comma of the
    value, not at its start).  Only payloads with such values pay for this.
    """
    from .. import decode

    out: List[Set[int]] = [set() for _ in rows]
    if not any(v[:1] == " " for row in rows for v in row[1:]):
        return out
    if isinstance(payload, str):
        spaced: Any = payload.replace(", ", ",  ")
    else:
        spaced = memoryview(payload).cast("B").tobytes().replace(b", ", b",  ")
    for found, row, again in zip(out, rows, decode(spaced, limit=None, strict=strict)):
        found.update(i for i in range(1, len(row))
                     if row[i][:1] == " " and again[i] != " " + row[i])
    return out
