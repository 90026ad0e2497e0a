"""The aligned text table of ``smartrest decode --format table``."""

from __future__ import annotations

import json
from typing import IO, Any, Callable, Iterator, List

from .rows import RawRow


def _field_text(value: str) -> str:
    if value and not any(c in value for c in '|"\\\n\r\t') and value.strip() == value:
        return value
    return json.dumps(value, ensure_ascii=False)


#: The widest cell of ``decode --format table``; longer ones end in an ellipsis.
TABLE_CELL = 40


def _cell(text: str) -> str:
    return text if len(text) <= TABLE_CELL else text[:TABLE_CELL - 1] + "\u2026"


def _write_table(rows: Iterator[RawRow], message_of: Callable[[List[str]], Any],
                 out: IO[str]) -> None:
    """An aligned table: the columns are as wide as their widest cell (at most
    :data:`TABLE_CELL` characters), so all rows are read first."""
    lines = []
    for row in rows:
        name = getattr(message_of(row.fields), "name", None)
        lines.append([str(row.index), str(row.offset), _cell(_field_text(row.fields[0])),
                      _cell(name or "-"),
                      " | ".join(_cell(_field_text(v)) for v in row.fields[1:])])
    header = ["ROW", "OFFSET", "ID", "NAME", "FIELDS"]
    widths = [max([len(header[i])] + [len(line[i]) for line in lines]) for i in range(4)]
    for line in [header] + lines:
        out.write(f"{line[0]:>{widths[0]}} {line[1]:>{widths[1]}}  {line[2]:<{widths[2]}} "
                  f"{line[3]:<{widths[3]}} {line[4]}".rstrip() + "\n")
