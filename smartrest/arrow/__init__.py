"""SmartREST payloads as Apache Arrow tables (``pip install smartrest[arrow]``).

:func:`decode_tables` reads many payloads into one typed
:class:`pyarrow.Table` per template; :func:`decode_table` gives the rows
untyped, for any payload; :func:`table_schema` gives a template's schema
without data (for Dask's ``meta``); :func:`output_pool` sets how much memory
the C tables keep for reuse.  The schema rules and the dictionary
rule are in :mod:`smartrest.arrow.schema` and ``docs/arrow.md``.

With the C extension, payloads on static topics are scanned, checked and
converted in C (``smartrest._arrow``) without the GIL; any payload the C
tables do not decide is read through the template layer
(:mod:`smartrest.arrow.reference`), which decides its values and errors.
"""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import pyarrow as pa

from .. import decode
from .._implementation import arrow_module
from ..custom import TemplateCollection
from ..errors import SmartRestError
from ..templates import numeric_id
from . import schema as _schema
from .reference import Route, Rows, payload_rows, template_of

__all__ = ["decode_tables", "decode_table", "table_schema", "output_pool", "OutputPool"]

#: What ``payloads`` may be.
Payloads = Union[Sequence[Any], pa.Array, pa.ChunkedArray]
#: What ``topics`` may be.
Topics = Union[None, str, Sequence[Optional[str]], pa.Array, pa.ChunkedArray]

_BINARY = (pa.binary(), pa.large_binary(), pa.string(), pa.large_string())
# Fewer chunks than this per column stay as they are; more are combined.
_MAX_CHUNKS = 64


_C = arrow_module()


# ------------------------------------------------------------------ inputs


class _Input:
    """The payloads as Arrow chunks or as immutable bytes-like objects."""

    def __init__(self, payloads: Payloads) -> None:
        self.chunks: Optional[List[pa.Array]] = None
        self.items: Optional[List[Any]] = None
        if isinstance(payloads, (pa.Array, pa.ChunkedArray)):
            chunks = payloads.chunks if isinstance(payloads, pa.ChunkedArray) else [payloads]
            if payloads.type not in _BINARY:
                raise TypeError(f"payloads must be a binary or string array, not "
                                f"{payloads.type}")
            at = 0
            for chunk in chunks:
                if chunk.null_count:
                    nulls = chunk.is_null().to_pylist()
                    raise ValueError(f"payload {at + nulls.index(True)} is null")
                at += len(chunk)
            self.chunks = list(chunks)
            self.count = at
            return
        if isinstance(payloads, (bytes, bytearray, memoryview, str)):
            raise TypeError("payloads must be a sequence of payloads, not one payload")
        items = []
        for index, p in enumerate(payloads):
            if p is None:
                raise ValueError(f"payload {index} is null")
            if isinstance(p, str) or not _is_buffer(p):
                raise TypeError(f"payload {index} must be bytes-like, not {type(p).__name__}")
            items.append(p if type(p) is bytes else bytes(memoryview(p).cast("B")))
        self.items = items
        self.count = len(items)

    def payload(self, index: int) -> Any:
        """Payload ``index`` as a bytes-like object (Arrow: a view of its buffer)."""
        if self.items is not None:
            return self.items[index]
        assert self.chunks is not None
        for chunk in self.chunks:
            if index < len(chunk):
                value = chunk[index]
                return value.as_buffer() if hasattr(value, "as_buffer") else value.as_py()
            index -= len(chunk)
        raise IndexError(index)


def _is_buffer(p: Any) -> bool:
    try:
        memoryview(p)
    except TypeError:
        return False
    return True


def _topic_list(topics: Topics, count: int) -> Tuple[List[Optional[str]], List[int]]:
    """The distinct topics and each payload's index among them."""
    if topics is None or isinstance(topics, str):
        return [topics], [0] * count
    if isinstance(topics, (pa.Array, pa.ChunkedArray)):
        topics = topics.to_pylist()
    values = list(topics)
    if len(values) != count:
        raise ValueError(f"{len(values)} topics for {count} payloads")
    distinct: Dict[Optional[str], int] = {}
    index = [distinct.setdefault(t, len(distinct)) for t in values]
    for t in distinct:
        if t is not None and not isinstance(t, str):
            raise TypeError(f"a topic must be str or None, not {type(t).__name__}")
    return list(distinct), index


# ------------------------------------------------------------------ tables


def _check_errors(errors: str) -> bool:
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', not {errors!r}")
    return errors == "collect"


def _python_rows(source: _Input, indexes: Sequence[int], routes: List[Route],
                 topic_of: List[int], collect: bool, rows: Rows,
                 errors: List[Tuple[int, SmartRestError]]) -> None:
    """Read the payloads ``indexes`` (ascending) through the template layer."""
    for index in indexes:
        try:
            found = payload_rows(source.payload(index), routes[topic_of[index]], index,
                                 collect, rows)
        except SmartRestError as exc:
            exc.payload_index = index
            raise
        errors += [(index, e) for e in found]


def _errors_table(errors: List[Tuple[int, SmartRestError]]) -> pa.Table:
    cols: List[Any] = list(zip(*[(i, e.offset, e.row, e.field, type(e).__name__, str(e))
                                 for i, e in errors])) or [[]] * 6
    return pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(cols, _schema.ERRORS)],
                                schema=_schema.ERRORS)


def _from_rows(rows: Rows) -> Dict[str, List[Tuple[int, pa.RecordBatch]]]:
    """One (message, batch) per payload of each table's rows (ascending by
    message), so that C batches can go between them."""
    out: Dict[str, List[Tuple[int, pa.RecordBatch]]] = {}
    for key, (t, values) in rows.items():
        batch = pa.RecordBatch.from_arrays(_schema.arrays(t, values),
                                           schema=_schema.plain_schema(t))
        starts = [i for i in range(len(values)) if i == 0 or values[i][0] != values[i - 1][0]]
        out[key] = [(values[lo][0], batch.slice(lo, hi - lo))
                    for lo, hi in zip(starts, starts[1:] + [len(values)])]
    return out


def _assemble(pieces: Dict[str, List[Tuple[int, pa.RecordBatch]]],
              templates: Dict[str, Any]) -> Dict[str, pa.Table]:
    tables = {}
    for key in sorted(pieces, key=lambda k: (numeric_id(k) is None, numeric_id(k) or 0, k)):
        t = templates[key]
        batches = [b for _, b in sorted(pieces[key], key=lambda p: p[0])]
        table = pa.Table.from_batches(batches, schema=batches[0].schema)
        if len(batches) > _MAX_CHUNKS:
            table = table.combine_chunks()
        tables[key] = _schema.finish(table, t)
    return tables


def _decode(payloads: Payloads, topics: Topics, collection: Optional[TemplateCollection],
            errors: str, threads: int, use_c: bool) -> Dict[str, pa.Table]:
    collect = _check_errors(errors)
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"threads must be a positive int, not {threads!r}")
    if collection is not None and not isinstance(collection, TemplateCollection):
        raise TypeError("collection must be a TemplateCollection or None")
    source = _Input(payloads)
    topic_values, topic_of = _topic_list(topics, source.count)
    routes = [Route(t, collection) for t in topic_values]
    rows: Rows = {}
    found: List[Tuple[int, SmartRestError]] = []
    pieces: Dict[str, List[Tuple[int, pa.RecordBatch]]] = {}
    templates: Dict[str, Any] = {}
    if use_c and _C is not None:
        slow, c_pieces = _C.decode(source.chunks, source.items, topic_values, topic_of,
                                   [r.collection is not None for r in routes], threads)
        _python_rows(source, slow, routes, topic_of, collect, rows, found)
        py = _from_rows(rows)
        for key, items in c_pieces.items():
            t = _C.TEMPLATES[key]
            templates[key] = t
            if key in py:  # rows of both: plain strings, encoded in _assemble
                items = [(m, _schema.decoded(b, t)) for m, b in items]
                items = _split(items, [m for m, _ in py[key]])
            pieces[key] = items
        for key, items in py.items():
            if templates.setdefault(key, rows[key][0]) is not rows[key][0]:
                raise ValueError(f"two templates of message ID {key!r} in one call")
            pieces.setdefault(key, []).extend(items)
    else:
        _python_rows(source, range(source.count), routes, topic_of, collect, rows, found)
        pieces = _from_rows(rows)
        templates = {key: entry[0] for key, entry in rows.items()}
    tables = _assemble(pieces, templates)
    if collect:
        tables["errors"] = _errors_table(found)
    return tables


def _split(items: List[Tuple[int, pa.RecordBatch]], starts: List[int]
           ) -> List[Tuple[int, pa.RecordBatch]]:
    """Cut C batches where a payload read in Python goes between their rows."""
    if not starts:
        return items
    import numpy as np

    cuts = np.array(sorted(starts), dtype=np.int64)
    out = []
    for first, batch in items:
        message = batch.column(0).to_numpy()
        at = np.searchsorted(message, cuts[(cuts > message[0]) & (cuts <= message[-1])])
        lo = 0
        for hi in list(at) + [len(message)]:
            if hi > lo:
                out.append((int(message[lo]), batch.slice(lo, hi - lo)))
            lo = hi
    return out


def decode_tables(payloads: Payloads, *, topics: Topics = None,
                  collection: Optional[TemplateCollection] = None, errors: str = "raise",
                  threads: int = 1) -> Dict[str, pa.Table]:
    """Decode payloads into one typed table per template.

    Args:
        payloads: a sequence of bytes-like payloads, or a pyarrow
            ``binary``, ``large_binary``, ``string`` or ``large_string``
            Array or ChunkedArray (read in place).
        topics: ``None`` (as :func:`smartrest.templates.decode_messages`
            with no topic: every static template, the smallest MQTT
            header), one topic for all payloads, or one per payload (a
            sequence or a pyarrow string array; ``None`` items as ``None``).
        collection: the SmartREST 2.0 collection of the payloads on custom
            topics (``s/uc/<X-ID>`` of its X-ID, ``s/ud``; ``s/dc``,
            ``s/dd`` for responses).
        errors: ``"raise"`` or ``"collect"`` (an ``"errors"`` table lists
            every row left out; every other row stays).
        threads: how many threads share the C work.

    Returns:
        ``{template ID: table}`` (keys as ``str``, in numeric order), and
        ``"errors"`` with ``errors="collect"``.  See ``docs/arrow.md``.

    Raises:
        SmartRestError: with ``errors="raise"``, the error
            ``decode_messages(payload, topic=...)`` (or the collection's
            reading of a row) raises for the first bad payload, with
            ``payload_index`` set; also
            :class:`~smartrest.errors.InvalidValue` for a value that passes
            its check but does not convert (February 30, an integer outside
            int64).
        TypeError: a payload that is not bytes-like, an array of another
            type, a topic that is not ``str``.
        ValueError: a null payload, as many topics as payloads not given,
            a bad ``errors`` or ``threads``, a static and a custom template
            of one message ID in one call.
    """
    return _decode(payloads, topics, collection, errors, threads, True)


def _reference_tables(payloads: Payloads, *, topics: Topics = None,
                      collection: Optional[TemplateCollection] = None,
                      errors: str = "raise", threads: int = 1) -> Dict[str, pa.Table]:
    """:func:`decode_tables` through the template layer only (the
    reference the C tables are compared with); same contract."""
    return _decode(payloads, topics, collection, errors, threads, False)


class OutputPool(NamedTuple):
    """What :func:`output_pool` reports: the limit and the bytes held."""

    #: The most bytes of freed output blocks the pool keeps.
    limit: int
    #: The bytes it keeps now.
    held: int


def output_pool(limit: Optional[int] = None) -> OutputPool:
    """The pool of output blocks of the C tables: read or set its limit.

    The C tables write their columns into blocks of 128 KB and more; when a
    table's buffers are freed (pyarrow lets go of the table) those blocks
    are kept, up to ``limit`` bytes in all, and the next call's columns are
    written into them: their pages are already mapped and cleared, which
    saves the kernel's work on fresh memory (a sixth of a single-threaded
    call on a large batch, more with ``threads=2``).  The limit starts at
    256 MB; ``output_pool(0)`` frees every block kept and keeps none. The
    pool is shared by every thread of the process. Without the C extension,
    or off Linux, there is no pool, and both numbers are 0.

    Args:
        limit: the new limit in bytes (blocks above it are freed), or
            ``None`` to leave it.

    Returns:
        The limit and the bytes held, after the call.

    Raises:
        TypeError: ``limit`` is not an int (or is a bool).
        ValueError: ``limit`` is negative.
    """
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise TypeError(f"limit must be an int or None, not {type(limit).__name__}")
        if limit < 0:
            raise ValueError(f"limit must be 0 or more, not {limit}")
    if _C is None:
        return OutputPool(0, 0)
    # A limit past what size_t holds is no limit: the largest size_t less one
    # (the largest is the C core's "leave it").
    lim, held = _C.pool(None if limit is None else min(limit, 2 ** 64 - 2))
    return OutputPool(int(lim), int(held))


def table_schema(template_id: Union[int, str], *, topic: Optional[str] = None,
                 collection: Optional[TemplateCollection] = None) -> pa.Schema:
    """The schema of the table :func:`decode_tables` gives for a template.

    Raises:
        UnknownTemplate: no template of that ID (in ``collection``, or on
            ``topic``).
    """
    return _schema.schema(template_of(str(template_id), topic=topic, collection=collection))


def decode_table(payloads: Payloads, *, topics: Topics = None) -> pa.Table:
    """Decode payloads into one untyped table: ``message``, ``row``,
    ``template`` (the first value) and ``values`` (the rest, as
    ``list<string>``), for any payload.

    Raises:
        SmartRestError: the error :func:`smartrest.decode` raises for the
            first malformed payload, with ``payload_index`` set.
        TypeError, ValueError: as for :func:`decode_tables`.
    """
    source = _Input(payloads)
    topic_values, topic_of = _topic_list(topics, source.count)
    message: List[int] = []
    row: List[int] = []
    first: List[str] = []
    rest: List[List[str]] = []
    for index in range(source.count):
        try:
            decoded = decode(source.payload(index), topic=topic_values[topic_of[index]])
        except SmartRestError as exc:
            exc.payload_index = index
            raise
        for number, fields in enumerate(decoded):
            message.append(index)
            row.append(number)
            first.append(fields[0])
            rest.append(fields[1:])
    return pa.table([message, row, first, rest], schema=_schema.UNTYPED)

