"""The package and code that uses it pass ``mypy --strict``.

mypy keeps its cache in pytest's cache directory, so that a second run takes
a few seconds.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy")

ROOT = Path(__file__).resolve().parent.parent

USER_CODE = '''
from decimal import Decimal
from typing import List, Optional

import numpy
from numpy.typing import NDArray

import smartrest
from smartrest import templates, topics


def read(payload: bytes) -> List[List[str]]:
    rows: List[List[str]] = smartrest.decode(payload, topic="s/us", qos=1, strict=True)
    rows += smartrest.decode(bytearray(payload), limit=None)
    rows += smartrest.decode(memoryview(payload))
    rows += smartrest.decode("200,c8y_Temperature,T,25.3,C")
    return rows


def write() -> bytes:
    row = ["200", "c8y_Temperature", 25.3, None, True, Decimal("1.5"), b"x"]
    out: bytes = smartrest.encode([row], quote_escape="double")
    return out + smartrest.encode_row(row)


def stream(chunks: List[bytes]) -> int:
    decoder = smartrest.Decoder(limit=smartrest.LIMIT, strict=False)
    rows = [row for chunk in chunks for row in decoder.feed(chunk)]
    rows += decoder.close()
    return len(rows)


def packets(rows: List[List[object]]) -> int:
    publishes: List[bytes] = smartrest.pack(rows, topic="s/us", on_oversize="truncate")
    return sum(smartrest.packet_size("s/us", len(p)) for p in publishes)


def columns(payload: bytes) -> float:
    tokens = smartrest.tokenize(payload)
    values: NDArray[numpy.float64] = tokens.column(3)
    ids: NDArray[numpy.int64] = tokens.column(0, int, default=0)
    names: NDArray[numpy.object_] = tokens.column(1, dtype=str)
    starts: NDArray[numpy.int64] = tokens.starts
    first: List[str] = tokens.row(0)
    return float(values.sum()) + int(ids[0]) + len(names) + len(starts) + len(first)


def batch(payloads: List[bytes]) -> int:
    try:
        results = smartrest.decode_batch(payloads, topic="s/us")
    except smartrest.SmartRestError as exc:
        where: Optional[int] = exc.payload_index
        return -1 if where is None else where
    return sum(len(rows) for rows in results)


def problem(payload: bytes) -> str:
    try:
        smartrest.decode(payload)
    except smartrest.UnterminatedQuote as exc:
        offset: Optional[int] = exc.offset
        return f"{offset} {exc.row} {exc.field} {exc.reason}"
    except smartrest.errors.TemplateError as exc:
        return f"{exc.template_id} {exc.field_name}"
    return ""


def messages(payload: bytes) -> str:
    message = templates.parse(["200", "c8y_Temperature", "T", "25.3", "C"], typed=True)
    found: List[templates.Message] = smartrest.decode_messages(payload, topic="s/us")
    topic = topics.parse("s/us")
    return f"{message.name} {len(found)} {topic} {smartrest.IMPLEMENTATION}"
'''

# Both implementations have the signatures of the stub: assigning one to a
# variable of the other's type must type-check.
SAME_SIGNATURES = '''
from smartrest import _codec, _pure, _pure_batch

decode = _codec.decode
decode = _pure.decode
encode = _codec.encode
encode = _pure.encode
encode_row = _codec.encode_row
encode_row = _pure.encode_row
feed = _codec.Decoder().feed
feed = _pure.Decoder().feed
close = _codec.Decoder().close
close = _pure.Decoder().close
tokenize = _codec.tokenize
tokenize = _pure_batch.tokenize  # type: ignore[assignment]  # Tokens: two classes
decode_batch = _codec.decode_batch
decode_batch = _pure_batch.decode_batch
'''


@pytest.fixture(scope="module")
def mypy(request, tmp_path_factory):
    pytest_cache = getattr(request.config, "cache", None)
    if pytest_cache is not None:
        cache = pytest_cache.mkdir("mypy")
    else:  # -p no:cacheprovider
        cache = tmp_path_factory.mktemp("mypy-cache")

    def run(*args):
        env = dict(os.environ)
        env.pop("MYPYPATH", None)
        return subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache),
             "--no-error-summary", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )

    return run


def test_package(mypy):
    result = mypy("-p", "smartrest")
    assert result.returncode == 0, result.stdout + result.stderr


def test_user_code(mypy, tmp_path):
    user = tmp_path / "user.py"
    user.write_text(textwrap.dedent(USER_CODE))
    same = tmp_path / "same_signatures.py"
    same.write_text(textwrap.dedent(SAME_SIGNATURES))
    result = mypy(str(user), str(same))
    assert result.returncode == 0, result.stdout + result.stderr


def test_user_errors_are_found(mypy, tmp_path):
    user = tmp_path / "wrong.py"
    user.write_text(textwrap.dedent('''
        import smartrest

        smartrest.decode(b"1", 0)
        smartrest.decode(b"1", qos="1")
        rows: int = smartrest.decode(b"1")
        smartrest.Decoder(16184)
        smartrest.tokenize(b"1").column(0, int, default="x")
    '''))
    result = mypy(str(user))
    lines = {int(n) for n in re.findall(r"wrong\.py:(\d+): error:", result.stdout)}
    assert lines == {4, 5, 6, 7, 8}, result.stdout
