"""Every scan path of the C tokenizer decodes alike, and the C validator,
whose block path follows the scan path, answers alike on each.

The C core picks its scan path (the state machine alone, or with the
64-byte block scan by SWAR, SSE2, AVX2 or AVX-512BW) from the environment variable
``SMARTREST_SIMD`` when it first tokenizes (csrc/smartrest.h), so each path
runs in its own Python process.  Each process reads payloads from stdin and
answers with what ``decode`` and a chunked ``Decoder`` give, rows or error
position; the answers of all paths must be equal.  A path the CPU lacks
falls back to another one, which the comparison then covers twice.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any, Dict, Iterator, List, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codec_helpers import scan_path_workers


WORKER = r"""
import json, sys
import smartrest
from smartrest.errors import SmartRestError

def outcome(call):
    try:
        return call()
    except SmartRestError as err:
        return [type(err).__name__, err.offset, err.row, err.field, str(err)]

def stream(payload, cuts, options):
    decoder = smartrest.Decoder(**options)
    rows, last = [], 0
    for cut in cuts + [len(payload)]:
        rows += decoder.feed(payload[last:cut])
        last = cut
    return rows + decoder.close()

print(smartrest.IMPLEMENTATION, flush=True)
for line in sys.stdin:
    job = json.loads(line)
    payload = bytes.fromhex(job["payload"])
    if "topic" in job:
        print(json.dumps(outcome(lambda: smartrest.validate(
            payload, topic=job["topic"], strict=job["strict"]))), flush=True)
        continue
    options = {"strict": job["strict"], "limit": job["limit"]}
    cuts = sorted({c % (len(payload) + 1) for c in job["cuts"]})
    print(json.dumps([outcome(lambda: smartrest.decode(payload, **options)),
                      outcome(lambda: stream(payload, cuts, options))]), flush=True)
"""


@pytest.fixture(scope="module")
def workers() -> Iterator[Dict[str, subprocess.Popen]]:
    """One worker process per scan path (fails without the C core)."""
    yield from scan_path_workers(WORKER, 'c', 'the C extension')


def ask(proc: subprocess.Popen, job: Dict[str, Any]) -> Any:
    """The worker's answer to one job."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(job) + "\n")
    proc.stdin.flush()
    return json.loads(proc.stdout.readline())


# Structure bytes, non-ASCII and invalid UTF-8, and longer plain runs, so
# that payloads pass the 64-byte blocks of the fast path.
PIECES = [
    b'"', b'"', b"\\", b"\\", b",", b",", b",", b"\n", b"\n", b"\r", b"\r\n", b'""', b'\\"',
    b'","', b"a", b"b", b" ", b"200,c8y_Temperature,T,21.5,C", b"2024-05-01T08:00:00Z",
    b"\xc2\xb0C", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xc3", b"\xa9", b"\xff",
    b"\xed\xa0\x80", b"x" * 70,
]
payloads = st.lists(st.sampled_from(PIECES), max_size=120).map(b"".join) | st.binary(max_size=300)
limits = st.sampled_from([16184, None, 40, 64, 100, 200])


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=payloads, strict=st.booleans(), limit=limits,
       cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_paths_agree(workers: Dict[str, subprocess.Popen], payload: bytes, strict: bool,
                     limit: Optional[int], cuts: List[int]) -> None:
    job = {"payload": payload.hex(), "strict": strict, "limit": limit, "cuts": cuts}
    answers = {path: ask(proc, job) for path, proc in workers.items()}
    assert all(answer == answers["scalar"] for answer in answers.values()), answers


# Rows of upstream templates that pass, some with what the validator's block
# path reads specially (quoted values with escapes or bytes after the closing
# quote, CR LF, fields longer than a block, non-ASCII), rows that fail, and
# bytes that break the dialect.
VALID = [
    b"200,c8y_Temperature,T,21.5,C\n",
    b"200,c8y_Temperature,T,21.5,C,2024-05-01T08:00:00.123+02:00\r\n",
    b'400,c8y_Event,"a ""quoted"" text, and more ' + b"x" * 70 + b'"\n',
    b'400,c8y_Event,"say \\"hi\\""\n',
    b'400,c8y_Event,"trailing"text\n',
    b'400,c8y_Event,"trailing"' + b"t" * 80 + b"\n",
    b'113,"[network]\ndhcp=true\nmtu=1500\n' + b"y" * 80 + b'"\n',
    b'113,"' + b"q" * 90 + b'"\r\n',
    b"110,SN57881925,Model X-100,rev 7\n",
    b'400,c8y_Event,"\xc2\xb0C \xe2\x82\xac, ok"\n',
    b"400,c8y_Event," + b"z" * 100 + b"\n",
    b"400,c8y_Event,\xc3\xa9" + b"z" * 100 + b"\n",
    b'200,"c8y_T",T,"21.5",C\n',
    b"\n", b"\r\n", b"200,c8y_T,T,1,C,\r\n", b'200,c8y_T,T,"1"\r\n',
]
BROKEN = [
    b'200,c8y_T,T,"2""1",C\n', b"200,c8y_T,T,x,C\n", b"200,c8y_T,T,\r\n", b"200,c8y\n",
    b'200,c8y_T,T,""\r\n', b"400,c8y_Event,\r\n", b'400,c8y_Event,""\r\n',
    b'400,c8y_Event,"",2024-05-01T08:00:00Z\n', b'400,c8y_Event,\r""\n', b"999\n",
    b'400,c8y_Event,"open', b"\xff", b'"', b"\r", b"," + b"w" * 70,
    b"400,c8y_Event,\xc3" + b"z" * 100 + b"\n",
]


@st.composite
def validate_payloads(draw: Any) -> bytes:
    """Valid rows with at most two broken pieces among them."""
    rows = draw(st.lists(st.sampled_from(VALID), max_size=40))
    for _ in range(draw(st.integers(0, 2))):
        rows.insert(draw(st.integers(0, len(rows))), draw(st.sampled_from(BROKEN)))
    return b"".join(rows)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=validate_payloads(), strict=st.booleans(),
       topic=st.sampled_from(["s/us", "s/us/child-1", None]))
def test_validate_paths_agree(workers: Dict[str, subprocess.Popen], payload: bytes,
                              strict: bool, topic: Optional[str]) -> None:
    from smartrest import templates
    from smartrest.errors import SmartRestError

    job = {"payload": payload.hex(), "strict": strict, "topic": topic}
    answers = {path: ask(proc, job) for path, proc in workers.items()}
    try:
        templates.decode_messages(payload, topic=topic, strict=strict)
        expected = None
    except SmartRestError as err:
        expected = [type(err).__name__, err.offset, err.row, err.field, str(err)]
    assert all(answer == expected for answer in answers.values()), (answers, expected)
