"""Helpers shared by the commands of the ``smartrest`` command line: the
error they report, opening their input, checking ``--topic``, reading JSON
lines and counting nouns in messages."""

from __future__ import annotations

import json
import sys
from typing import IO, Any, Iterator, Optional, Tuple

from ..errors import SmartRestError

PROG = "smartrest"


class CommandError(Exception):
    """A problem to report on stderr, with the exit status to return."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def _open_input(name: str) -> IO[bytes]:
    if name == "-":
        return sys.stdin.buffer
    try:
        return open(name, "rb")
    except OSError as exc:
        raise CommandError(f"cannot open {name}: {exc.strerror or exc}", 2) from None


class _input:
    """Context manager: the named file or stdin, closed after use (stdin is not)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stream: Optional[IO[bytes]] = None

    def __enter__(self) -> IO[bytes]:
        self.stream = _open_input(self.name)
        return self.stream

    def __exit__(self, *exc: object) -> None:
        if self.stream is not None and self.name != "-":
            self.stream.close()


def checked_topic(topic: Optional[str]) -> Any:
    """The parsed ``topic`` (:func:`smartrest.topics.parse`), ``None`` without one.

    Every command that takes ``--topic`` checks it here.

    Raises:
        CommandError: a malformed topic (status 2), naming the topic and the
            character where the problem starts.
    """
    if topic is None:
        return None
    from .. import topics

    try:
        return topics.parse(topic)
    except SmartRestError as exc:
        reason = exc.reason
        prefix = f"topic {topic!r} "
        if reason.startswith(prefix):
            reason = reason[len(prefix):]
        where = ""
        if exc.offset is not None:
            char = len(topic.encode("utf-8")[:exc.offset].decode("utf-8", "ignore"))
            where = f" (at character {char} of the topic)"
        raise CommandError(f"invalid topic {topic!r}: {reason}{where}", 2) from None


def _json_lines(stream: IO[bytes], where: str = "") -> Iterator[Tuple[int, Any, int]]:
    """(line number, JSON value, bytes of the line) of each line that is not
    blank; ``where`` (such as ``"FILE, "``) starts the error message.

    Raises:
        CommandError: a line that is not JSON.
    """
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), len(line)
        except ValueError as exc:
            raise CommandError(f"{where}line {number}: not JSON: {exc}") from None


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun}{'es' if noun.endswith('sh') else 's'}"
