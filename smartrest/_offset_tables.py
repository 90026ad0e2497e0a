""":func:`smartrest.arrow.decode_tables` of one slice of a larger input
(a partition, a chunk of a file): positions counted in the whole input."""

from __future__ import annotations

from typing import Any, Dict

import pyarrow as pa
import pyarrow.compute as pc

from .arrow import decode_tables
from .errors import SmartRestError


def decode_tables_at(offset: int, payloads: Any, **options: Any) -> Dict[str, pa.Table]:
    """``decode_tables(payloads, **options)`` of payloads that start at
    position ``offset`` of a larger input: every ``message`` column (that
    of the ``errors`` table too) counts from ``offset``.

    Raises:
        SmartRestError: as :func:`decode_tables`, ``payload_index`` counted
            from ``offset``.
        TypeError, ValueError: as :func:`decode_tables`.
    """
    try:
        tables = decode_tables(payloads, **options)
    except SmartRestError as exc:
        exc.payload_index = offset + (exc.payload_index or 0)
        raise
    if not offset:
        return tables
    start = pa.scalar(offset, pa.int64())
    return {key: table.set_column(0, "message", pc.add(table.column("message"), start))
            for key, table in tables.items()}
