"""Speed targets: ratios between two contenders that a run is checked against.

The targets are data, not part of the library: a JSON file holding
``{"targets": [{"label", "task", "corpus", "size", "contender", "versus"},
...]}``.  The project keeps its own in ``benchmarks/targets.json`` of the
source tree, which :func:`find_targets` finds when ``smartrest bench`` runs
from the root of a checkout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from .contenders import TASKS
from .runner import Result

#: Where the project's targets are, relative to the root of a checkout.
TARGETS_FILE = Path("benchmarks", "targets.json")

_FIELDS = ("label", "task", "corpus", "size", "contender", "versus")


def find_targets() -> Optional[Path]:
    """:data:`TARGETS_FILE` in the current directory, or None if it is not there."""
    return TARGETS_FILE if TARGETS_FILE.is_file() else None


def _check(number: int, entry: Any) -> Dict[str, str]:
    """One target of the file, its fields checked.

    Raises:
        ValueError: a field is missing or not a string, or names an unknown
            task, corpus, size or contender.
    """
    if not isinstance(entry, dict) or not all(isinstance(entry.get(f), str) for f in _FIELDS):
        raise ValueError(f"target {number}: expected an object with the strings "
                         f"{', '.join(_FIELDS)}")
    target = {f: entry[f] for f in _FIELDS}
    task = TASKS.get(target["task"])
    if task is None:
        raise ValueError(f"target {number}: unknown task {target['task']!r}")
    if target["corpus"] not in task.corpora or target["size"] not in task.sizes:
        raise ValueError(f"target {number}: task {task.name} has no corpus "
                         f"{target['corpus']!r} at size {target['size']!r}")
    keys = {k.key for k in task.contenders}
    for field in ("contender", "versus"):
        if target[field] not in keys:
            raise ValueError(f"target {number}: task {task.name} has no contender "
                             f"{target[field]!r}")
    return target


def load_targets(path: Path) -> List[Dict[str, str]]:
    """The targets held in the JSON file ``path``.

    Raises:
        OSError: the file cannot be read.
        ValueError: it is not JSON of the form described above, or a target
            names an unknown task, corpus, size or contender.
    """
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    entries = data.get("targets") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError('expected a JSON object with a "targets" array')
    return [_check(number, entry) for number, entry in enumerate(entries, 1)]


def target_ratios(targets: Sequence[Dict[str, str]],
                  results: Sequence[Result]) -> List[Dict[str, Any]]:
    """Each target with its speed ratio from one run's results.

    ``ratio`` is the speed of ``contender`` over that of ``versus`` (above 1
    is faster), or None with the ``reason`` it could not be measured.
    """
    found = {(r.task, r.corpus, r.size, r.contender): r for r in results}
    out = []
    for target in targets:
        where = (target["task"], target["corpus"], target["size"])
        a, b = found.get((*where, target["contender"])), found.get((*where, target["versus"]))
        entry: Dict[str, Any] = {**target, "ratio": None, "reason": None}
        if a is None or b is None:
            entry["reason"] = "not run"
        elif a.seconds is None or b.seconds is None:
            entry["reason"] = next(r.reason for r in (a, b) if r.seconds is None)
        else:
            entry["ratio"] = b.seconds / a.seconds
        out.append(entry)
    return out
