"""Captured publishes in a Dask DataFrame as typed Dask DataFrames, one per
template (``pip install smartrest[dask]``).

:func:`decode_dataset` applies :func:`smartrest.arrow.decode_tables` to each
partition; the tables keep the types of ``docs/arrow.md`` as pandas columns
backed by pyarrow (:class:`pandas.ArrowDtype`).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import dask
import dask.dataframe as dd
import pandas as pd
import pyarrow as pa

from ._offset_tables import decode_tables_at
from .arrow import decode_tables, table_schema
from .custom import TemplateCollection
from .errors import SmartRestError

__all__ = ["decode_dataset", "pandas_meta"]

#: What ``templates`` may be: template IDs, or template IDs with the topic
#: whose schema they take (an ``s/e`` error code needs ``"s/e"``).
Templates = Union[None, Iterable[Union[int, str]], Mapping[Union[int, str], Optional[str]]]


def pandas_meta(schema: pa.Schema) -> pd.DataFrame:
    """An empty pandas frame of ``schema``, every column a
    :class:`pandas.ArrowDtype` (so dictionary, timestamp and list types stay
    as they are in Arrow)."""
    return schema.empty_table().to_pandas(types_mapper=pd.ArrowDtype)


def _partition_arrays(frame: pd.DataFrame, payload: str, topic: Optional[str]
                      ) -> Tuple[pa.Array, Optional[pa.Array]]:
    """The payload column and the topic column (None without one) as Arrow arrays."""
    payloads = pa.array(frame[payload], from_pandas=True)
    topics = None if topic is None else pa.array(frame[topic], pa.string(), from_pandas=True)
    return payloads, topics


def _decode_partition(frame: pd.DataFrame, number: int, offset: int, payload: str,
                      topic: Optional[str], collection: Optional[TemplateCollection]
                      ) -> Dict[str, pa.Table]:
    """:func:`decode_tables` (``errors="raise"``) of one partition, ``message`` counted from
    ``offset`` (the partition's first row in the whole frame).

    Raises:
        SmartRestError: as :func:`decode_tables`, ``payload_index`` counted
            from ``offset``.
        TypeError, ValueError: as :func:`decode_tables`, the message naming
            the partition ``number``.
    """
    payloads, topics = _partition_arrays(frame, payload, topic)
    try:
        return decode_tables_at(offset, payloads, topics=topics, collection=collection)
    except SmartRestError:  # some are ValueErrors: they keep their type and text
        raise
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"partition {number} (first row {offset}): {exc}") from exc


def _survey(frame: pd.DataFrame, payload: str, topic: Optional[str],
            collection: Optional[TemplateCollection], keys: bool
            ) -> Tuple[int, Dict[str, pa.Schema]]:
    """A partition's row count and, with ``keys``, the schema of each table
    its rows go to (errors aside: the decode reports those)."""
    if not keys:
        return len(frame), {}
    payloads, topics = _partition_arrays(frame, payload, topic)
    tables = decode_tables(payloads, topics=topics, collection=collection, errors="collect")
    tables.pop("errors")
    return len(frame), {key: table.schema for key, table in tables.items()}


def _table_frame(tables: Dict[str, pa.Table], key: str, schema: pa.Schema) -> pd.DataFrame:
    table = tables.get(key)
    if table is None:
        return pandas_meta(schema)
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _given_schemas(templates: Templates, collection: Optional[TemplateCollection]
                   ) -> Dict[str, pa.Schema]:
    topics: Mapping[Any, Optional[str]] = (
        templates if isinstance(templates, Mapping) else dict.fromkeys(templates or ()))
    return {str(key): table_schema(key, topic=t, collection=collection)
            for key, t in topics.items()}


def decode_dataset(frame: dd.DataFrame, *, payload: str = "payload", topic: Optional[str] = "topic",
                   templates: Templates = None,
                   collection: Optional[TemplateCollection] = None) -> Dict[str, dd.DataFrame]:
    """Decode a Dask DataFrame of captured publishes into one lazy Dask
    DataFrame per template.

    Each partition is read by :func:`smartrest.arrow.decode_tables`
    (``errors="raise"``); a template's frame has the columns and types of
    its table (``docs/arrow.md``), each a :class:`pandas.ArrowDtype`
    (``meta`` from :func:`smartrest.arrow.table_schema`, or from the tables
    of the data when the IDs are found in it).  ``message`` is the payload's
    row position in the whole ``frame`` (0-based, across partitions), so
    the frames equal ``decode_tables`` of all payloads at once.  The frames
    share one decode task per partition: computing several of them together
    (``dask.compute(*frames.values())``) decodes each partition once.

    How the template IDs are found: ``templates`` names them (IDs, or a
    mapping of ID to the topic whose schema it takes, such as ``"s/e"`` for
    an error code), and rows of other templates are left out; with
    ``templates=None`` one eager pass decodes every partition
    (``errors="collect"``) and keeps only the IDs of its tables.  Either way
    that pass (run at once, with ``dask.compute``) also counts each
    partition's rows for the global ``message`` index: a cheap pass with
    ``templates``, one decode more without.

    Args:
        frame: one publish per row.
        payload: the column of payloads (bytes or str).
        topic: the column of topics; None, or a name ``frame`` has no
            column of, reads every payload with no topic (as
            ``decode_tables(topics=None)``).
        templates: the template IDs to give frames for (see above).
        collection: as for ``decode_tables``.

    Returns:
        ``{template ID: dask DataFrame}``, the keys as ``decode_tables``
        gives them (``str``), in the order of ``templates``, else in the
        order the partitions first hold them.

    Raises:
        KeyError: ``frame`` has no column ``payload``.
        UnknownTemplate: an ID of ``templates`` that names no template.
        SmartRestError: when computed, the error ``decode_tables`` raises
            for the first bad payload of a partition, its ``payload_index``
            the payload's row position in the whole ``frame``.
        TypeError, ValueError: when computed, as ``decode_tables`` raises
            them (a null payload, a payload that is not bytes or str), the
            message naming the partition and its first row.
    """
    if payload not in frame.columns:
        raise KeyError(f"the frame has no column {payload!r}")
    topic_column = topic if topic is not None and topic in frame.columns else None
    given = None if templates is None else _given_schemas(templates, collection)
    parts = frame.to_delayed()
    survey = dask.delayed(_survey, pure=True)
    counted: Sequence[Tuple[int, Dict[str, pa.Schema]]] = dask.compute(
        *[survey(p, payload, topic_column, collection, given is None) for p in parts])
    offsets: List[int] = []
    at = 0
    for count, _ in counted:
        offsets.append(at)
        at += count
    schemas: Dict[str, pa.Schema] = {}
    if given is None:
        for _, found in counted:
            for key, schema in found.items():
                schemas.setdefault(key, schema)
    else:
        schemas = given
    decode = dask.delayed(_decode_partition, pure=True)
    decoded = [decode(p, number, offset, payload, topic_column, collection)
               for number, (p, offset) in enumerate(zip(parts, offsets))]
    to_frame = dask.delayed(_table_frame, pure=True)
    return {key: dd.from_delayed([to_frame(d, key, schema) for d in decoded],
                                 meta=pandas_meta(schema), verify_meta=False)
            for key, schema in schemas.items()}
