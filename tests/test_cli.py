"""The ``smartrest`` command line."""

from __future__ import annotations

import argparse
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
from smartrest import cli as cli_module
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
    path = tmp_path / "ok.txt"
    path.write_bytes(SAMPLE)
    status, out, err = cli(["check", str(path)])
    assert status == 0, out
    assert out == "" and "0 problems in 5 rows" in err


def test_check_downstream_topic(cli):
    status, out, err = cli(["check", "--topic", "s/ds"], b"510,dev-1\n200,c8y_T,T,1\n")
    assert status == 1
    assert out.splitlines() == [out.splitlines()[0]] and "row 1, field 0, byte 10" in out


def test_check_stops_at_malformed_input(cli):
    status, out, err = cli(["check"], b'211,1\n400,"open\n')
    assert status == 1
    assert "row 1" in out and "byte 10" in out and "stopped" in out


def test_check_usage_errors(cli):
    status, out, err = cli(["check", "--topic", "s/dc/xid"], b"1,2\n")
    assert status == 2 and "static templates" in err
    status, out, err = cli(["check", "--topic", "s/us/#"], b"1,2\n")
    assert status == 2 and err.startswith("smartrest check: error:")


# --------------------------------------------------------------- bench


def test_bench_is_delegated(cli):
    status, out, err = cli(["bench", "--help"])
    assert status == 0 and "usage: smartrest bench" in out
    assert "--targets FILE" in out and "benchmarks/targets.json" in out


def test_bench_options_match_the_bench():
    from smartrest import bench

    assert cli_module.BENCH_TASKS == tuple(bench.TASKS)
    assert cli_module.BENCH_CORPORA == tuple(bench.CORPORA)
    assert cli_module.BENCH_SIZES == bench.SIZES
    assert cli_module.BENCH_CONTENDERS == tuple(dict.fromkeys(
        k.key for t in bench.TASKS.values() for k in t.contenders))
    assert cli_module.BENCH_TARGETS == bench.TARGETS_FILE.as_posix()
    parser = argparse.ArgumentParser()
    cli_module.add_bench_arguments(parser)
    text = " ".join(parser.format_help().split())
    assert f"(default {bench.STREAM_MB:g}, {bench.QUICK_STREAM_MB:g} with --quick)" in text
    assert f"(default {bench.REPEAT}, {bench.QUICK_REPEAT} with --quick)" in text
    assert f"(default {bench.MIN_TIME:g}, {bench.QUICK_MIN_TIME:g} with --quick)" in text


def test_the_command_line_does_not_import_the_bench():
    code = ("import sys, smartrest.cli as c; c.build_parser(); "
            "print(sorted(m for m in sys.modules if 'bench' in m))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


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


# ------------------------------------------------- decode: formats, topics


def _decode_c_and_pure(data: bytes, topic: str = "s/us") -> Tuple[bytes, str]:
    """The jsonl of ``data`` from the C writer and from the reference record."""
    from smartrest._codec import _JsonLines

    members = cli_module._members(topic)
    writer = _JsonLines(members, limit=None)
    out = b""
    for start in range(0, len(data) + 1, 7):  # chunks split anywhere
        lines, error = writer.feed(data[start:start + 7], start + 7 > len(data))
        assert error is None
        out += lines
    reference = "".join(
        cli_module.jsonl_record(row, members(row.fields[0].encode("utf-8")))
        for row in cli_module.read_rows(io.BytesIO(data), limit=None))
    return out, reference


@pytest.mark.skipif(smartrest.IMPLEMENTATION != "c", reason="the C writer")
def test_jsonl_writer_matches_json_dumps():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)

    @hypothesis.given(st.lists(st.lists(text, min_size=1, max_size=5), min_size=1, max_size=8))
    @hypothesis.settings(max_examples=300, deadline=None)
    def check(rows: List[List[str]]) -> None:
        rows = [row for row in rows if row != [""]]  # an empty line holds no row
        data = smartrest.encode(rows) if rows else b""
        out, reference = _decode_c_and_pure(data)
        assert out.decode("utf-8") == reference
        lines = reference.split("\n")[:-1]  # not splitlines: a value may hold U+2028
        decoded = [json.loads(line) for line in lines]
        assert [r["fields"] for r in decoded] == rows
        for line, record in zip(lines, decoded):
            assert line == json.dumps(record, ensure_ascii=False)

    check()


def test_decode_jsonl_is_the_same_in_both_implementations(cli):
    status, out, err = cli(["decode", "--topic", "s/us/child-1"], SAMPLE)
    assert status == 0, err
    result = _python("decode", "--topic", "s/us/child-1", stdin=SAMPLE)
    env_pure = subprocess.run(
        [sys.executable, "-m", "smartrest", "decode", "--topic", "s/us/child-1"], input=SAMPLE,
        capture_output=True, env=dict(os.environ, SMARTREST_PURE_PYTHON="1"), timeout=60)
    assert result.stdout == env_pure.stdout == out.encode("utf-8")


@pytest.mark.skipif(smartrest.IMPLEMENTATION != "c", reason="the C writer")
def test_decode_rows_and_publishes(cli, tmp_path):
    status, out, err = cli(["decode", "--format", "rows"], SAMPLE)
    assert status == 0, err
    assert out.encode("utf-8") == smartrest.encode(SAMPLE_ROWS)
    status, out, err = cli(["decode", "--format", "publishes", "--topic", "s/us"], SAMPLE)
    assert status == 0, err
    publishes = [json.loads(line) for line in out.splitlines()]
    assert all(p["topic"] == "s/us" for p in publishes)
    assert [r for p in publishes for r in smartrest.decode(p["payload"])] == SAMPLE_ROWS
    status, out, err = cli(["decode", "--format", "publishes"], SAMPLE)
    assert status == 2 and "--topic" in err


def test_decode_table_aligns_long_cells(cli):
    rows = [["400", "c8y_Event", "short"], ["x" * 100, "y"]]
    status, out, err = cli(["decode", "--format", "table"], smartrest.encode(rows))
    assert status == 0, err
    lines = out.splitlines()
    assert "\u2026" in lines[2] and "x" * 100 not in lines[2]
    assert lines[0].index("FIELDS") == lines[1].index("c8y_Event") == lines[2].index("y")


@pytest.mark.parametrize("command", [["decode"], ["pack"], ["check"]])
def test_topics_are_checked_alike(cli, command):
    status, out, err = cli(command + ["--topic", "bad topic/#"], b"200,x\n")
    assert status == 2
    assert "invalid topic 'bad topic/#': " in err and "character 10 of the topic" in err
    assert "byte" not in err


def test_check_stop_message_is_a_sentence(cli):
    status, out, err = cli(["check"], b'211,1\n400,"open\n')
    assert "unterminated quoted field starting at byte 10 (row 1, field 1); checking " \
           "stopped there" in out
