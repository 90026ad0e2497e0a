"""The benchmark harness: corpora, the JSON report and its correctness column.

No timing is asserted: the runs use tiny corpora and one short round.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

import smartrest
from smartrest import _implementation, _pure, bench

ROOT = Path(__file__).resolve().parents[1]
#: The project's speed targets, in the source tree.
TARGETS = ROOT / bench.TARGETS_FILE


def _args(*argv):
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    return parser.parse_args(["--quick", "--repeat", "1", "--min-time", "0",
                              "--stream-mb", "0.05", "--no-progress", *argv])


def _run(capsys, *argv):
    code = bench.run(_args(*argv))
    return code, capsys.readouterr()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "out.json"
    assert bench.run(_args("--json", str(path), "--targets", str(TARGETS))) == 0
    return json.loads(path.read_text())


def _result(report, task, corpus, size, contender):
    (found,) = [r for r in report["results"] if (r["task"], r["corpus"], r["size"],
                                                 r["contender"]) == (task, corpus, size, contender)]
    return found


@pytest.mark.parametrize("name", sorted(bench.CORPORA))
@pytest.mark.parametrize("size", bench.SIZES)
def test_corpus_is_deterministic_and_decodes_to_its_rows(name, size):
    c = bench.build_corpus(name, size, total=20_000)
    again = bench.build_corpus.__wrapped__(name, size, total=20_000)
    assert c.payloads == again.payloads
    decoded = [row for p in c.payloads for row in _pure.decode(p, limit=None)]
    assert decoded == c.rows
    assert c.nbytes >= 20_000
    if size != "stream":
        for p in c.payloads:
            assert smartrest.packet_size(c.topic, len(p)) <= smartrest.LIMIT
    if size == "row":
        assert all(len(_pure.decode(p)) == 1 for p in c.payloads)
    if size == "1k":
        assert max(len(p) for p in c.payloads) <= 1024


@pytest.mark.parametrize("name", sorted(bench.CORPORA))
def test_every_generated_row_fits_its_template(name):
    from smartrest import templates

    c = bench.build_corpus(name, "16k", 200_000)
    messages = [m for p in c.payloads for m in templates.decode_messages(p, topic=c.topic)]
    assert [m.to_row() for m in messages] == c.rows


def test_public_helpers():
    payloads = bench.build_corpus("mixed", "16k", 40_000).payloads
    assert bench.corpus("mixed", "16k", 40_000) == payloads
    rows = bench.rows("operations", 50)
    assert len(rows) == 50 and rows == bench.rows("operations", 50)
    assert all(isinstance(v, str) for r in rows for v in r)
    assert {r[0] for r in rows} <= {str(n) for n in range(500, 540)}
    assert all(len(r) == bench.MEASUREMENT_COLUMNS for r in bench.rows("measurements", 200))
    with pytest.raises(ValueError):
        bench.rows("nope", 1)
    with pytest.raises(ValueError):
        bench.corpus("mixed", "2k")


def test_mixed_corpus_has_the_hard_cases():
    c = bench.build_corpus("mixed", "16k", 200_000)
    values = [v for r in c.rows for v in r]
    assert any("\n" in v for v in values)  # real line breaks inside quotes
    assert any('"' in v for v in values)
    assert any("\\n" in v for v in values)  # the two characters \ and n
    # A value ending in a backslash, written after the closing quote.
    assert any(b'"\\\n' in p or b'"\\,' in p for p in c.payloads)
    assert {r[0] for r in c.rows} >= {"200", "400", "301", "101", "503"}
    assert 0.1 < c.quoted / c.fields < 0.3


def test_json_structure(report):
    assert report["schema"] == 1
    assert {"cpu", "cores", "python", "c_extension"} <= set(report["machine"])
    corpora = {(c["name"], c["size"]) for c in report["corpora"]}
    assert corpora == {(n, s) for n in bench.CORPORA for s in bench.SIZES}
    keys = {"task", "corpus", "size", "contender", "label", "status", "mb_per_s",
            "rows_per_s", "ratio", "baseline", "correct"}
    for r in report["results"]:
        assert keys <= set(r)
        assert r["status"] in ("ok", "skipped", "error")
        assert r["status"] != "error", r
        if r["status"] == "ok":
            assert r["mb_per_s"] > 0 and r["rows_per_s"] > 0 and r["ratio"] > 0
            assert isinstance(r["correct"], bool)
        else:
            assert r["reason"]
    assert [t["label"] for t in report["targets"]] == [
        t["label"] for t in bench.load_targets(TARGETS)]
    for t in report["targets"]:
        assert (t["ratio"] is None) != (t["reason"] is None)


def test_correctness_column(report):
    for size in bench.SIZES:
        assert _result(report, "decode", "mixed", size, "python")["correct"] is True
        assert _result(report, "decode", "mixed", size, "naive")["correct"] is False
        assert _result(report, "decode", "mixed", size, "csv")["correct"] is False
        # Measurement rows hold no quoted value: every reader gets them right.
        assert _result(report, "decode", "measurements", size, "naive")["correct"] is True
    assert _result(report, "decode", "mixed", "stream", "python-feed")["correct"] is True
    assert _result(report, "encode", "mixed", "16k", "python")["correct"] is True
    assert _result(report, "encode", "mixed", "16k", "csv")["correct"] is False
    assert _result(report, "columns", "measurements", "16k", "python")["correct"] is True
    c = _result(report, "decode", "mixed", "16k", "c")
    if report["machine"]["c_extension"]:
        assert c["correct"] is True
    else:
        assert c["status"] == "skipped"


def test_table_output(capsys):
    code, out = _run(capsys, "--task", "decode", "--corpus", "mixed", "--size", "16k",
                     "--targets", str(TARGETS))
    assert code == 0
    text = out.out
    assert "CPU: " in text and "Python: " in text
    assert "vs csv.reader" in text and "exact" in text
    assert "csv.reader [1]" in text and 'come out as "n"' in text
    assert "\nTargets (speed ratios from this run" in text
    assert "C decode vs csv.reader, mixed 16k:" in text


def test_targets_are_found_in_a_checkout(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert bench.find_targets() == bench.TARGETS_FILE
    code, out = _run(capsys, "--task", "decode", "--corpus", "mixed", "--size", "row",
                     "--json")
    assert code == 0
    assert [t["label"] for t in json.loads(out.out)["targets"]] == [
        t["label"] for t in bench.load_targets(TARGETS)]


def test_no_targets_section_outside_a_checkout(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert bench.find_targets() is None
    code, out = _run(capsys, "--task", "decode", "--corpus", "mixed", "--size", "row")
    assert code == 0
    assert "exact: " in out.out and "Targets" not in out.out
    code, out = _run(capsys, "--task", "decode", "--corpus", "mixed", "--size", "row",
                     "--json")
    assert code == 0 and json.loads(out.out)["targets"] == []


@pytest.mark.parametrize("content, message", [
    ("not json", "Expecting value"),
    ('{"targets": {}}', '"targets" array'),
    ('{"targets": [{"label": "x"}]}', "target 1: expected an object"),
    ('{"targets": [{"label": "x", "task": "decode", "corpus": "mixed", "size": "16k", '
     '"contender": "c", "versus": "nope"}]}', "target 1: task decode has no contender 'nope'"),
    ('{"targets": [{"label": "x", "task": "columns", "corpus": "mixed", "size": "16k", '
     '"contender": "c", "versus": "csv"}]}', "task columns has no corpus 'mixed'"),
])
def test_bad_targets_file(capsys, tmp_path, content, message):
    path = tmp_path / "targets.json"
    path.write_text(content)
    code, out = _run(capsys, "--task", "decode", "--targets", str(path))
    assert code == 2 and message in out.err and out.out == ""
    code, out = _run(capsys, "--targets", str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json" in out.err


def test_json_on_stdout_and_filters(capsys):
    code, out = _run(capsys, "--task", "encode", "--corpus", "operations", "--size", "row",
                     "--contender", "python", "--contender", "csv", "--json")
    assert code == 0
    data = json.loads(out.out)
    assert {(r["contender"], r["task"], r["size"]) for r in data["results"]} == {
        ("python", "encode", "row"), ("csv", "encode", "row")}


def test_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "bench.png"
    code, _ = _run(capsys, "--task", "decode", "--corpus", "mixed", "--size", "row",
                   "--plot", str(path))
    assert code == 0
    assert path.read_bytes().startswith(b"\x89PNG")


def test_bad_options(capsys):
    code, out = _run(capsys, "--contender", "nope")
    assert code == 2 and "unknown contender nope" in out.err
    code, out = _run(capsys, "--repeat", "0")
    assert code == 2


def test_pure_python_run_skips_the_c_contenders(capsys, monkeypatch):
    monkeypatch.setattr(smartrest, "IMPLEMENTATION", "python")
    code, out = _run(capsys, "--task", "encode", "--corpus", "mixed", "--size", "row", "--json")
    assert code == 0
    data = json.loads(out.out)
    assert data["machine"]["c_extension"] is False
    by_key = {r["contender"]: r for r in data["results"]}
    assert by_key["c"]["status"] == "skipped"
    assert by_key["python"]["status"] == "ok" and by_key["python"]["correct"] is True


def test_tables_task_and_list_floor_run_in_quick(capsys):
    pytest.importorskip("pyarrow")
    code, out = _run(capsys, "--task", "tables", "--task", "decode", "--corpus",
                     "measurements", "--json")
    assert code == 0
    data = json.loads(out.out)
    tables = {(r["size"], r["contender"]): r for r in data["results"] if r["task"] == "tables"}
    assert {size for size, _ in tables} == {"16k", "stream"}
    for (size, key), r in tables.items():
        if key in ("polars", "duckdb") and r["status"] == "skipped":
            assert r["reason"] == f"{key} not installed"
            continue
        assert r["status"] == "ok" and r["correct"] is True, r
    floor = [r for r in data["results"] if r["contender"] == "list-floor"]
    assert {r["size"] for r in floor} == set(bench.SIZES)
    if _implementation.PURE_REQUESTED:  # the floor is built by the C binding
        assert all(r["status"] == "skipped" for r in floor)
    else:
        assert all(r["status"] == "ok" and r["correct"] is True for r in floor), floor


def test_tables_print_as_measured_and_progress_lines_without_a_terminal() -> None:
    # stdout and stderr are pipes here: each table is written (and flushed)
    # before the next one is timed, and stderr gets one line per table.
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "smartrest", "bench", "--quick", "--task", "encode",
         "--size", "1k", "--repeat", "1", "--min-time", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    first_table = ""
    for line in proc.stdout:
        first_table += line
        if line.startswith("  smartrest C"):
            break
    # The first table was read from the pipe before the run ended.
    assert proc.poll() is None or proc.returncode == 0
    assert "encode · mixed · 1k" in first_table
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    progress = [line for line in err.splitlines() if line.startswith("smartrest bench: [")]
    assert len(progress) == 3 and progress[-1].startswith("smartrest bench: [9/9]"), err
    assert "\x1b" not in err
    assert (first_table + out).count("encode · ") == 3
