"""The schema rules of :mod:`smartrest.arrow`: one place for column names,
Arrow types, the dictionary rule and the typed conversion of a value.

Both implementations (the C tables of ``smartrest._arrow`` and the
template-layer reference of :mod:`smartrest.arrow.reference`) take their
schemas and their final step (:func:`finish`) from here, so they agree.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import pyarrow as pa
import pyarrow.compute as pc

from ..custom import (
    ALARMSTATUS,
    OPERATIONSTATUS,
    SEVERITY,
    UNSIGNED,
    RequestTemplate,
    ResponseTemplate,
)
from ..templates import BOOLEAN, DATE, INTEGER, NUMBER, TEMPLATES, Message, Template

#: The columns every typed table starts with.
HEAD = ("message", "row", "device")

#: A STRING value is dictionary-encoded when the last word of its name
#: (split at ``_`` and ``.``, compared in lower case) is one of these: the
#: names of identifiers that take few distinct values.  Values of the
#: enumerated SmartREST 2.0 types are too.  The rule looks at names only, so
#: it never depends on the data.
DICTIONARY_WORDS = frozenset({"fragment", "series", "unit", "type", "status", "severity",
                              "action", "state", "mode"})
_ENUMS = frozenset({SEVERITY, ALARMSTATUS, OPERATIONSTATUS})
_WORD = re.compile(r"[_.]")

DICTIONARY = pa.dictionary(pa.int32(), pa.string())
TIMESTAMP = pa.timestamp("us", tz="UTC")
_TYPES = {NUMBER: pa.float64(), INTEGER: pa.int64(), UNSIGNED: pa.int64(),
          BOOLEAN: pa.bool_(), DATE: TIMESTAMP}

#: Either kind of template a table is made of.
AnyTemplate = Union[Template, RequestTemplate, ResponseTemplate]

#: The schema of the errors table of ``errors="collect"``.
ERRORS = pa.schema([("message", pa.int64()), ("offset", pa.int64()), ("row", pa.int64()),
                    ("field", pa.int64()), ("error", pa.string()), ("text", pa.string())])

#: The schema of :func:`smartrest.arrow.decode_table`.
UNTYPED = pa.schema([("message", pa.int64()), ("row", pa.int64()), ("template", pa.string()),
                     ("values", pa.list_(pa.string()))])


def dictionary_encoded(name: str, kind: str) -> bool:
    """Whether a value named ``name`` of type ``kind`` is dictionary-encoded."""
    if kind in _ENUMS:
        return True
    return kind not in _TYPES and _WORD.split(name)[-1].lower() in DICTIONARY_WORDS


def value_type(kind: str) -> pa.DataType:
    """The Arrow type of a value of type ``kind`` (before the dictionary rule)."""
    return _TYPES.get(kind, pa.string())


def columns(t: AnyTemplate) -> List[Tuple[str, str]]:
    """(name, type) of the value columns of ``t``, after the head."""
    if isinstance(t, RequestTemplate):
        return [(f.name, f.type) for f in t.fields]
    if isinstance(t, ResponseTemplate):
        return [(p, "LIST" if many else "STRING") for p, many in zip(t.patterns, t.varying)]
    return [(p.name, p.type) for p in t.params]


def block_columns(t: AnyTemplate) -> List[Tuple[str, pa.DataType]]:
    """The list columns of the repeating group (``groups``) or of the
    sections (named by their markers, ``$FW``...) of a static template."""
    if not isinstance(t, Template) or not t.blocks:
        return []
    out = []
    for block in t.blocks:
        item = pa.struct([(p.name, value_type(p.type)) for p in block.params])
        out.append((block.marker or "groups", pa.list_(item)))
    return out


def plain_schema(t: AnyTemplate) -> pa.Schema:
    """The schema of ``t``'s table before :func:`finish` (strings not yet
    dictionary-encoded): what both builders make."""
    fields = [("message", pa.int64()), ("row", pa.int64()), ("device", pa.string())]
    for name, kind in columns(t):
        fields.append((name, pa.list_(pa.string()) if kind == "LIST" else value_type(kind)))
    fields += block_columns(t)
    names = [f[0] for f in fields]
    if len(set(names)) != len(names):
        raise ValueError(f"template {template_key(t)}: two columns of one name in {names}")
    return pa.schema(fields)


def schema(t: AnyTemplate) -> pa.Schema:
    """The schema of ``t``'s table as :func:`smartrest.arrow.decode_tables` gives it."""
    kinds = dict(columns(t))
    return pa.schema([pa.field(f.name, DICTIONARY) if f.name in kinds and
                      dictionary_encoded(f.name, kinds[f.name]) else f
                      for f in plain_schema(t)])


# (template, its dictionary columns) by id of the template, for templates seen.
_DICTIONARY_COLUMNS: Dict[int, Tuple[AnyTemplate, List[Tuple[int, str]]]] = {}


def _dictionary_columns(t: AnyTemplate) -> List[Tuple[int, str]]:
    """(index, name) of the dictionary-encoded columns of ``t``'s table."""
    entry = _DICTIONARY_COLUMNS.get(id(t))
    if entry is None or entry[0] is not t:
        if len(_DICTIONARY_COLUMNS) >= 4096:
            _DICTIONARY_COLUMNS.clear()
        found = [(i, name) for i, (name, kind) in enumerate(columns(t), len(HEAD))
                 if dictionary_encoded(name, kind)]
        entry = _DICTIONARY_COLUMNS[id(t)] = (t, found)
    return entry[1]


def finish(table: pa.Table, t: AnyTemplate) -> pa.Table:
    """Apply the dictionary rule to a table of :func:`plain_schema` (one
    dictionary for all chunks of a column, in order of first appearance).
    A column that is dictionary-encoded already (its chunks in order, each
    with the dictionary of its own values in order of first appearance)
    gets one dictionary for all chunks."""
    for i, name in _dictionary_columns(t):
        column = table.column(i)
        if pa.types.is_dictionary(column.type):
            if column.num_chunks > 1:
                table = table.set_column(i, name, column.unify_dictionaries())
        else:
            table = table.set_column(i, name, pc.dictionary_encode(column))
    return table


def decoded(batch: pa.RecordBatch, t: AnyTemplate) -> pa.RecordBatch:
    """A record batch of :func:`schema` with its dictionary columns decoded:
    the batch of :func:`plain_schema`."""
    plain = plain_schema(t)
    arrays = [c.dictionary_decode() if pa.types.is_dictionary(c.type) else c
              for c in batch.columns]
    return pa.RecordBatch.from_arrays(arrays, schema=plain)


def template_key(t: AnyTemplate, message: Optional[Message] = None) -> str:
    """The key of ``t``'s table: its message ID (for an ``s/e`` line, the
    error code, as :attr:`Message.template_id` gives it)."""
    if isinstance(t, (RequestTemplate, ResponseTemplate)):
        return t.msg_id
    if message is not None:
        return str(message.template_id)
    return str(t.id)


# ------------------------------------------------------------------ values

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_US = _dt.timedelta(microseconds=1)
_INT64 = (-(1 << 63), (1 << 63) - 1)


def _carriers() -> Dict[str, Tuple[Template, int, str]]:
    """For each typed kind, a static template with a parameter of that kind
    (its position and name): typed access on it converts a text exactly as
    the template layer does."""
    out: Dict[str, Tuple[Template, int, str]] = {}
    for t in TEMPLATES.values():
        for i, p in enumerate(t.params, 1):
            out.setdefault(p.type, (t, i, p.name))
    return out


_CARRIERS = _carriers()


def typed(kind: str, text: str) -> Any:
    """The column value of a checked ``text`` of type ``kind``: ``None`` when
    empty; a float, an int, a bool, microseconds since the epoch (DATE) or
    the text.

    Raises:
        ValueError: the text does not convert (a date that is no real date,
            an integer outside int64).
    """
    if not text:
        return None
    if kind == UNSIGNED:
        kind = INTEGER
    carrier = _CARRIERS.get(kind)
    if carrier is None or kind not in _TYPES:
        return text
    t, position, name = carrier
    row = [str(t.id)] + [""] * len(t.params)
    row[position] = text
    value = Message(t, row, None, True)[name]
    return convert(kind, value)


def convert(kind: str, value: Any) -> Any:
    """A typed value of the template layer (``Message`` with ``typed=True``)
    as its column holds it.

    Raises:
        ValueError: an INTEGER outside int64.
    """
    if value is None:
        return None
    if kind == DATE:
        return (value - _EPOCH) // _US
    if kind in (INTEGER, UNSIGNED) and not _INT64[0] <= value <= _INT64[1]:
        raise ValueError(f"{value} is outside the range of int64")
    return value


def arrays(t: AnyTemplate, rows: Sequence[Sequence[Any]]) -> List[pa.Array]:
    """The columns of :func:`plain_schema` from rows of column values (DATE
    as microseconds)."""
    out = []
    for i, f in enumerate(plain_schema(t)):
        values = [r[i] for r in rows]
        if f.type == TIMESTAMP:
            out.append(pa.array(values, pa.int64()).cast(TIMESTAMP))
        else:
            out.append(pa.array(values, f.type))
    return out
