"""JSON paths of SmartREST 2.0 templates.

A path is a dotted list of keys, ``c8y_Temperature.T.value``, optionally
after ``$.``.  Custom values of request templates take keys only; response
templates also take ``[*]`` (every item of a list, or every value of an
object) and ``[n]`` (the n-th item of a list) after a key, as in
``$.myList[*].type``.  Keys cannot hold ``.``, ``[`` or ``]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

_STEP = re.compile(r"([^.\[\]]+)((?:\[(?:\*|[0-9]+)\])*)")
_INDEX = re.compile(r"\[(\*|[0-9]+)\]")

#: One step of a JSON path: a key, an ``[n]`` index, or ``None`` for ``[*]``.
Step = Optional[Union[str, int]]


@dataclass(frozen=True)
class JsonPath:
    """A parsed JSON path.

    Attributes:
        steps: its steps, from the root.
    """

    steps: Tuple[Step, ...]

    @property
    def keys_only(self) -> bool:
        """Whether every step is a key (no ``[*]`` and no ``[n]``)."""
        return all(isinstance(s, str) for s in self.steps)

    @property
    def wildcard(self) -> bool:
        """Whether a step is ``[*]``, so that the path may reach other than one value."""
        return None in self.steps


def parse_path(text: str) -> JsonPath:
    """Read a JSON path (see the module docstring); ``""`` and ``$`` are the root.

    Raises:
        ValueError: the path is malformed.
    """
    rest = text[1:] if text.startswith("$") else text
    if rest.startswith("."):
        rest = rest[1:]
    steps: List[Step] = []
    if rest:
        for part in rest.split("."):
            m = _STEP.fullmatch(part)
            if m is None:
                raise ValueError(f"malformed JSON path {text!r} (expected keys joined by '.', "
                                 "each optionally followed by [*] or [n])")
            steps.append(m.group(1))
            steps += [None if i == "*" else int(i) for i in _INDEX.findall(m.group(2))]
    return JsonPath(tuple(steps))


def resolve(node: Any, steps: Sequence[Step]) -> List[Any]:
    """Every value ``steps`` reach from ``node``; ``[]`` when none."""
    nodes = [node]
    for step in steps:
        found: List[Any] = []
        for n in nodes:
            if step is None:
                if isinstance(n, list):
                    found += n
                elif isinstance(n, Mapping):
                    found += list(n.values())
            elif isinstance(step, int):
                if isinstance(n, list) and step < len(n):
                    found.append(n[step])
            elif isinstance(n, Mapping) and step in n:
                found.append(n[step])
        nodes = found
    return nodes


def put(body: Dict[str, Any], keys: Sequence[Step], value: Any) -> None:
    """Set ``value`` at the path of ``keys`` in ``body``, making the objects on the way.

    The paths of one body must not overlap (a request template's are checked
    not to); ``keys`` is not empty.
    """
    node = body
    for key in keys[:-1]:
        node = node.setdefault(str(key), {})
    node[str(keys[-1])] = value
