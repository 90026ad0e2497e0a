"""The benchmark harness: corpora, the JSON report and its correctness column.

No timing is asserted: the runs use tiny corpora and one short round.
"""

from __future__ import annotations

import argparse
import json

import pytest

import smartrest
from smartrest import _pure, bench


def _run(capsys, *argv):
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(["--quick", "--repeat", "1", "--min-time", "0",
                              "--stream-mb", "0.05", "--no-progress", *argv])
    code = bench.run(args)
    return code, capsys.readouterr()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "out.json"
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(["--quick", "--repeat", "1", "--min-time", "0",
                              "--stream-mb", "0.05", "--no-progress", "--json", str(path)])
    assert bench.run(args) == 0
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
    assert [t["label"] for t in report["targets"]] == [t[0] for t in bench.TARGETS]
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
    code, out = _run(capsys, "--task", "decode", "--corpus", "mixed", "--size", "16k")
    assert code == 0
    text = out.out
    assert "CPU: " in text and "Python: " in text
    assert "vs csv.reader" in text and "exact" in text
    assert "csv.reader [1]" in text and 'come out as "n"' in text
    assert "C decode vs csv.reader, mixed 16k:" in text


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
