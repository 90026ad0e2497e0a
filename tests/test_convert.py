"""``smartrest convert``: publishes to one Parquet file per template."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import smartrest  # noqa: E402
from smartrest import bench  # noqa: E402
from smartrest.cli import convert as cli_convert  # noqa: E402
from smartrest.arrow import decode_tables  # noqa: E402
from smartrest.cli import main  # noqa: E402

BAD = b"200,c8y_T,T,not a number,C\n"


def _publishes():
    payloads, topics = [], []
    for name, topic in (("mixed", "s/us"), ("operations", "s/ds"), ("mixed", "s/us/child-1")):
        for p in smartrest.pack(bench.rows(name, 300), topic=topic, limit=400):
            payloads.append(p)
            topics.append(topic)
    return payloads, topics


def _run(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _written(directory: Path):
    return {p.name[:-len(".parquet")]: pq.read_table(p) for p in sorted(directory.iterdir())}


def _sorted(table):
    if "row" not in table.column_names:  # the errors table
        return table.to_pylist()
    return table.sort_by([("message", "ascending"), ("row", "ascending")]).to_pylist()


def _assert_same(got, want):
    assert sorted(got) == sorted(want)
    for key, table in want.items():
        assert got[key].schema == table.schema, key
        assert _sorted(got[key]) == _sorted(table), key


def _write_jsonl(path: Path, payloads, topics) -> Path:
    path.write_text("".join(json.dumps({"topic": t, "payload": p.decode()}) + "\n"
                            for p, t in zip(payloads, topics)))
    return path


def test_jsonl(capsys, tmp_path):
    payloads, topics = _publishes()
    source = _write_jsonl(tmp_path / "in.jsonl", payloads, topics)
    status, out, err = _run(capsys, "convert", str(source), "--to", str(tmp_path / "out"),
                            "--threads", "2")
    assert status == 0, err
    got = _written(tmp_path / "out")
    _assert_same(got, decode_tables(payloads, topics=topics))
    assert f"{tmp_path / 'out' / '200.parquet'}: " in out
    assert f"{len(payloads)} publishes in 1 input" in err
    assert not list((tmp_path / "out").glob(".*"))  # no hidden file left


def test_jsonl_from_pack(capsys, tmp_path, monkeypatch):
    rows = b"200,c8y_T,T,1.5,C\n400,c8y_E,hello\n" * 50
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(rows)))
    assert main(["pack", "--topic", "s/us", "--format", "jsonl", "--limit", "200"]) == 0
    source = tmp_path / "packed.jsonl"
    source.write_text(capsys.readouterr().out)
    status, _, err = _run(capsys, "convert", str(source), "--to", str(tmp_path / "out"))
    assert status == 0, err
    got = _written(tmp_path / "out")
    assert got["200"].num_rows == got["400"].num_rows == 50


def test_parquet_in_chunks(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cli_convert, "CONVERT_CHUNK", 100)
    payloads, topics = _publishes()
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"payload": pa.array(payloads, pa.binary()), "topic": topics}),
                   source)
    status, _, err = _run(capsys, "convert", str(source), "--to", str(tmp_path / "out"))
    assert status == 0, err
    _assert_same(_written(tmp_path / "out"), decode_tables(payloads, topics=topics))


def test_parquet_string_payloads_without_topic(capsys, tmp_path):
    payloads = [b"200,c8y_T,T,%d,C\n" % n for n in range(30)]
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"payload": [p.decode() for p in payloads]}), source)
    status, _, err = _run(capsys, "convert", str(source), "--to", str(tmp_path / "out"),
                          "--topic", "s/us/child-3")
    assert status == 0, err
    _assert_same(_written(tmp_path / "out"), decode_tables(payloads, topics="s/us/child-3"))


def test_raw_files_and_several_inputs(capsys, tmp_path):
    payloads, topics = _publishes()
    raw = [p for p, t in zip(payloads, topics) if t == "s/ds"][:3]
    names = []
    for n, p in enumerate(raw):
        (tmp_path / f"p{n}.txt").write_bytes(p)
        names.append(str(tmp_path / f"p{n}.txt"))
    extra = _write_jsonl(tmp_path / "more.jsonl", payloads[:5], topics[:5])
    status, _, err = _run(capsys, "convert", *names, str(extra), "--topic", "s/ds",
                          "--to", str(tmp_path / "out"))
    assert status == 0, err
    _assert_same(_written(tmp_path / "out"),
                 decode_tables(raw + payloads[:5], topics=["s/ds"] * 3 + topics[:5]))


def test_errors_raise_names_the_publish(capsys, tmp_path):
    payloads, topics = _publishes()
    payloads[7] = BAD
    first = _write_jsonl(tmp_path / "a.jsonl", payloads[:3], topics[:3])
    second = _write_jsonl(tmp_path / "b.jsonl", payloads[3:], topics[3:])
    status, out, err = _run(capsys, "convert", str(first), str(second),
                            "--to", str(tmp_path / "out"))
    assert status == 1 and out == ""
    assert "b.jsonl: publish 4 (message 7): template 200: 'value' must be a number" in err
    assert list((tmp_path / "out").iterdir()) == []


def test_errors_collect(capsys, tmp_path):
    payloads, topics = _publishes()
    payloads[7] = BAD
    source = _write_jsonl(tmp_path / "in.jsonl", payloads, topics)
    status, _, err = _run(capsys, "convert", str(source), "--to", str(tmp_path / "out"),
                          "--errors", "collect")
    assert status == 0, err
    got = _written(tmp_path / "out")
    _assert_same(got, decode_tables(payloads, topics=topics, errors="collect"))
    assert got["errors"].column("message").to_pylist() == [7]


def test_errors_collect_writes_an_empty_errors_file(capsys, tmp_path):
    (tmp_path / "p.txt").write_bytes(b"200,c8y_T,T,1,C\n")
    status, _, _ = _run(capsys, "convert", str(tmp_path / "p.txt"), "--to",
                        str(tmp_path / "out"), "--errors", "collect")
    assert status == 0
    assert _written(tmp_path / "out")["errors"].num_rows == 0


@pytest.mark.parametrize("content, message", [
    ("not json\n", "in.jsonl, line 1: not JSON"),
    ('{"topic": "s/us"}\n', 'in.jsonl, line 1: expected an object with a "payload" string'),
    ('{"payload": "200", "topic": 3}\n', '"topic" must be a string'),
])
def test_bad_jsonl(capsys, tmp_path, content, message):
    (tmp_path / "in.jsonl").write_text(content)
    status, _, err = _run(capsys, "convert", str(tmp_path / "in.jsonl"), "--to",
                          str(tmp_path / "out"))
    assert status == 1 and message in err


def test_bad_inputs(capsys, tmp_path):
    status, _, err = _run(capsys, "convert", str(tmp_path / "missing"), "--to", str(tmp_path))
    assert status == 2 and "cannot open" in err
    pq.write_table(pa.table({"data": [b"x"]}), tmp_path / "x.parquet")
    status, _, err = _run(capsys, "convert", str(tmp_path / "x.parquet"), "--to",
                          str(tmp_path / "out"))
    assert status == 2 and "no column 'payload'" in err


def test_plain_progress_lines(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cli_convert, "PROGRESS_EVERY", 0.0)
    monkeypatch.setattr(cli_convert, "CONVERT_CHUNK", 50)
    payloads, topics = _publishes()
    source = _write_jsonl(tmp_path / "in.jsonl", payloads, topics)
    status, _, err = _run(capsys, "convert", str(source), "--to", str(tmp_path / "out"))
    assert status == 0
    lines = [line for line in err.splitlines() if line.startswith("smartrest convert: ")]
    assert len(lines) >= len(payloads) // 50 - 1
    assert "MB (" in lines[0] and "100%" in lines[-1] and "\r" not in err
    status, _, err = _run(capsys, "convert", str(source), "--to", str(tmp_path / "out2"),
                          "--no-progress")
    assert status == 0 and "smartrest convert: " not in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_convert, "CONVERT_CHUNK", 50)
    clock = iter(range(0, 10_000))
    monkeypatch.setattr(cli_convert, "_now", lambda: float(next(clock)))
    payloads, topics = _publishes()
    source = _write_jsonl(tmp_path / "in.jsonl", payloads, topics)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["convert", str(source), "--to", str(tmp_path / "out")]) == 0
    text = terminal.getvalue()
    assert "\r\x1b[K[" in text and "########################] " in text
    assert text.count("\r\x1b[K") > 2
