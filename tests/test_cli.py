"""The ``smartrest`` command line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

import smartrest
from smartrest import LIMIT, packet_size
from smartrest.cli import field_offset, main

ROOT = Path(__file__).resolve().parents[1]

# CRLF, an empty line, a quoted LF, \" and "" escapes, a quoted comma, non-ASCII.
SAMPLE = ('200,c8y_Temperature,T,25.5,C\r\n'
          '\n'
          '400,c8y_Event,"multi\nline, with \\"quotes\\""\n'
          '301,c8y_Alarm,"a ""b"", c",2024-05-01T12:00:00Z\n'
          '211,-3\n'
          '400,c8y_Übertemperatur,Grüße\n').encode("utf-8")
SAMPLE_ROWS = [
    ["200", "c8y_Temperature", "T", "25.5", "C"],
    ["400", "c8y_Event", 'multi\nline, with "quotes"'],
    ["301", "c8y_Alarm", 'a "b", c', "2024-05-01T12:00:00Z"],
    ["211", "-3"],
    ["400", "c8y_Übertemperatur", "Grüße"],
]
SAMPLE_OFFSETS = [0, 31, 75, 123, 130]


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        args: List[str], stdin: bytes = b"") -> Tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    try:
        status = main(args)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def cli(capsys, monkeypatch):
    return lambda args, stdin=b"": run(capsys, monkeypatch, args, stdin)


def test_sample_offsets_are_right():
    for offset, row in zip(SAMPLE_OFFSETS, SAMPLE_ROWS):
        assert SAMPLE[offset:].startswith(row[0].encode() + b",")
    assert smartrest.decode(SAMPLE, limit=None) == SAMPLE_ROWS


# ---------------------------------------------------------------- help


@pytest.mark.parametrize("command, words", [
    (None, ["decode", "encode", "pack", "check", "bench", "Exit status"]),
    ("decode", ["--topic", "--format", "jsonl", "table", "standard input"]),
    ("encode", ["JSON", "--quote-escape"]),
    ("pack", ["--topic", "--qos", "packet size"]),
    ("check", ["--topic", "row", "field", "byte", "Exit status 1"]),
])
def test_help(cli, command, words):
    status, out, err = cli(([command] if command else []) + ["--help"])
    assert status == 0
    text = " ".join(out.split())
    for word in words:
        assert word in text


def test_no_command_is_a_usage_error(cli):
    status, out, err = cli([])
    assert status == 2
    assert "required" in err and out == ""


def test_version(cli):
    status, out, err = cli(["--version"])
    assert status == 0
    assert smartrest.__version__ in out and smartrest.IMPLEMENTATION in out


# -------------------------------------------------------------- decode


def test_decode_jsonl_from_stdin(cli):
    status, out, err = cli(["decode"], SAMPLE)
    assert status == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["fields"] for r in records] == SAMPLE_ROWS
    assert [r["row"] for r in records] == list(range(5))
    assert [r["offset"] for r in records] == SAMPLE_OFFSETS
    assert [r["template"] for r in records] == [row[0] for row in SAMPLE_ROWS]


def test_decode_names_templates(cli):
    pytest.importorskip("smartrest.templates")
    status, out, err = cli(["decode", "-", "--topic", "s/us/child-1"], SAMPLE)
    assert status == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert all(isinstance(r["name"], str) and r["name"] for r in records)
    assert {r["device"] for r in records} == {"child-1"}
    status, out, err = cli(["decode", "-", "--topic", "s/dc/myCollection"], SAMPLE)
    assert status == 0 and {json.loads(line)["name"] for line in out.splitlines()} == {None}


def test_decode_table_from_file(cli, tmp_path):
    path = tmp_path / "rows.txt"
    path.write_bytes(SAMPLE)
    status, out, err = cli(["decode", str(path), "--format", "table"])
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["ROW", "OFFSET", "ID", "NAME"]
    assert len(lines) == 1 + len(SAMPLE_ROWS)
    assert '"multi\\nline, with \\"quotes\\""' in lines[2]  # one line per row
    assert "Grüße" in lines[5]


def test_decode_errors(cli, tmp_path):
    status, out, err = cli(["decode"], b'200,ok\n400,"never closed\n')
    assert status == 1
    assert "unterminated" in err and "byte 11" in err and "row 1" in err
    assert json.loads(out)["fields"] == ["200", "ok"]  # rows before the error are out

    status, out, err = cli(["decode"], b"200,\xff\n")
    assert status == 1 and "byte 4" in err

    status, out, err = cli(["decode", str(tmp_path / "missing.txt")])
    assert status == 2 and "cannot open" in err and out == ""

    status, out, err = cli(["decode", "--format", "xml"])
    assert status == 2 and "invalid choice" in err


def test_decode_limit_and_no_limit(cli):
    long_row = b"400,c8y_Log," + b"x" * LIMIT + b"\n"
    status, out, err = cli(["decode"], long_row)
    assert status == 1 and "limit" in err
    status, out, err = cli(["decode", "--no-limit"], long_row)
    assert status == 0 and len(json.loads(out)["fields"][2]) == LIMIT


# -------------------------------------------------------------- encode


def test_encode_round_trip(cli):
    status, out, err = cli(["decode"], SAMPLE)
    status, encoded, err = cli(["encode"], out.encode("utf-8"))
    assert status == 0, err
    assert smartrest.decode(encoded.encode("utf-8")) == SAMPLE_ROWS
    assert encoded.encode("utf-8") == smartrest.encode(SAMPLE_ROWS)


def test_encode_arrays_with_json_values(cli):
    lines = b'["200", "c8y_T", "T", 21.5, "C"]\n\n[101, "child", null, true]\n["x", "a\\"b"]\n'
    status, out, err = cli(["encode"], lines)
    assert status == 0, err
    assert out == '200,c8y_T,T,21.5,C\n101,child,,true\nx,"a\\"b"\n'
    status, out, err = cli(["encode", "--quote-escape", "double"], b'["x", "a\\"b"]\n')
    assert out == 'x,"a""b"\n'


@pytest.mark.parametrize("line, message", [
    (b"[1, 2\n", "line 1: not JSON"),
    (b'"200,x"\n', "line 1: expected a JSON array"),
    (b'["1"]\n[1, [2]]\n', "line 2, field 1"),
    (b"[]\n", "line 1"),
])
def test_encode_errors(cli, line, message):
    status, out, err = cli(["encode"], line)
    assert status == 1
    assert message in err
    assert err.startswith("smartrest encode: error:")


# ---------------------------------------------------------------- pack


def _many_rows(count: int) -> List[List[str]]:
    return [["400", "c8y_Event", f"event {i}, with comma and \"quote\"\nand a line"]
            for i in range(count)]


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_pack_jsonl(cli, qos):
    rows = _many_rows(2000)
    status, out, err = cli(["pack", "--topic", "s/us/child", "--qos", str(qos)],
                           smartrest.encode(rows))
    assert status == 0, err
    publishes = [json.loads(line) for line in out.splitlines()]
    assert len(publishes) > 3
    got: List[List[str]] = []
    first = 0
    for number, p in enumerate(publishes):
        payload = p["payload"].encode("utf-8")
        assert p["publish"] == number and p["first_row"] == first
        assert p["payload_bytes"] == len(payload)
        assert p["packet_size"] == packet_size("s/us/child", len(payload), qos) <= LIMIT
        decoded = smartrest.decode(payload, topic="s/us/child", qos=qos)
        assert p["rows"] == len(decoded)
        first += len(decoded)
        got += decoded
    assert got == rows
    assert f"2000 rows in {len(publishes)} publishes" in err


def test_pack_table_from_jsonl(cli):
    lines = "".join(json.dumps(row) + "\n" for row in _many_rows(500)).encode()
    status, out, err = cli(["pack", "--topic", "s/us", "--input", "jsonl", "--format", "table",
                            "--limit", "4000"], lines)
    assert status == 0, err
    lines_out = out.splitlines()
    assert lines_out[0].startswith("publish 0: rows 0-")
    assert all(int(line.split("packet ")[1].split()[0]) <= 4000 for line in lines_out)
    assert lines_out[-1].split(": rows ")[1].split()[0].endswith("-499")


def test_pack_oversize(cli):
    row = b"400,c8y_Big," + b"y" * LIMIT + b"\n"
    status, out, err = cli(["pack", "--topic", "s/us"], row)
    assert status == 1 and "cannot fit" in err
    status, out, err = cli(["pack", "--topic", "s/us", "--on-oversize", "truncate"], row)
    assert status == 0, err
    publish = json.loads(out)
    assert publish["packet_size"] <= LIMIT
    assert publish["payload"].endswith(smartrest.TRIM_MARKER + "\n")


@pytest.mark.parametrize("args", [["pack"], ["pack", "--topic", "s/us", "--qos", "3"],
                                  ["pack", "--topic", "s/us", "--limit", "0"]])
def test_pack_usage_errors(cli, args):
    status, out, err = cli(args, b"200,x\n")
    assert status == 2 and "usage:" in err


# --------------------------------------------------------------- check


def test_field_offset():
    raw = b'201,"a,b\\",c",,"x""y",plain,"q"tail,last\n'
    fields = smartrest.decode(raw)[0]
    assert fields == ["201", 'a,b",c', "", 'x"y', "plain", "qtail", "last"]
    starts = [field_offset(raw, fields, i) for i in range(len(fields) + 1)]
    assert starts == [0, 4, 14, 15, 22, 28, 36, 40]
    assert field_offset(raw.rstrip(), fields, 9) == 40


CHECK_INPUT = ('200,c8y_T,T,abc\n'
               '999\n'
               '\r\n'
               '400,"type, quoted",\n'
               '201,t,,"frag,x",s,nope\n'
               '211,21.5\n').encode()


def test_check_reports_every_problem_with_its_position(cli):
    pytest.importorskip("smartrest.templates")
    status, out, err = cli(["check", "--topic", "s/us"], CHECK_INPUT)
    assert status == 1
    problems = out.splitlines()
    assert [p.split(": ")[1] for p in problems] == [
        "row 0, field 3, byte 12",
        "row 1, field 0, byte 16",
        "row 2, field 2, byte 41",
        "row 3, field 5, byte 60",
    ]
    assert all(p.startswith("<stdin>: ") for p in problems)
    assert "4 problems in 5 rows" in err


def test_check_clean_input(cli, tmp_path):
    pytest.importorskip("smartrest.templates")
    path = tmp_path / "ok.txt"
    path.write_bytes(SAMPLE)
    status, out, err = cli(["check", str(path)])
    assert status == 0, out
    assert out == "" and "0 problems in 5 rows" in err


def test_check_downstream_topic(cli):
    pytest.importorskip("smartrest.templates")
    status, out, err = cli(["check", "--topic", "s/ds"], b"510,dev-1\n200,c8y_T,T,1\n")
    assert status == 1
    assert out.splitlines() == [out.splitlines()[0]] and "row 1, field 0, byte 10" in out


def test_check_stops_at_malformed_input(cli):
    pytest.importorskip("smartrest.templates")
    status, out, err = cli(["check"], b'211,1\n400,"open\n')
    assert status == 1
    assert "row 1" in out and "byte 10" in out and "stopped" in out


def test_check_usage_errors(cli):
    pytest.importorskip("smartrest.templates")
    status, out, err = cli(["check", "--topic", "s/dc/xid"], b"1,2\n")
    assert status == 2 and "static templates" in err
    status, out, err = cli(["check", "--topic", "s/us/#"], b"1,2\n")
    assert status == 2 and err.startswith("smartrest check: error:")


# --------------------------------------------------------------- bench


def test_bench_is_delegated(cli):
    bench = pytest.importorskip("smartrest.bench")
    if not hasattr(bench, "add_arguments"):
        pytest.skip("smartrest.bench has no add_arguments yet")
    status, out, err = cli(["bench", "--help"])
    assert status == 0 and "usage: smartrest bench" in out


# ----------------------------------------------------------- processes


def _python(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "smartrest", *args], input=stdin,
                          capture_output=True, env=env, timeout=60)


def test_python_dash_m():
    result = _python("decode", "--format", "jsonl", stdin=SAMPLE)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["fields"] for line in result.stdout.splitlines()] == SAMPLE_ROWS
    result = _python("decode", stdin=b'1,"x')
    assert result.returncode == 1
    assert result.stdout == b"" and b"unterminated" in result.stderr


def test_broken_pipe_is_quiet(tmp_path):
    big = b"".join(b"200,c8y_T,T,%d,C\n" % i for i in range(50000))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    path = tmp_path / "big.txt"
    path.write_bytes(big)
    result = subprocess.run(
        f"'{sys.executable}' -m smartrest decode '{path}' | head -n 1",
        shell=True, capture_output=True, env=env, timeout=60)
    assert result.returncode == 0
    assert json.loads(result.stdout)["fields"] == ["200", "c8y_T", "T", "0", "C"]
    assert result.stderr == b""
