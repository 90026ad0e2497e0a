"""``smartrest.dask.decode_dataset`` on a partitioned Parquet data set, on a
local cluster of two worker processes: the same tables as ``decode_tables``."""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import dask  # noqa: E402

import smartrest  # noqa: E402
from smartrest import bench  # noqa: E402
from smartrest.arrow import decode_tables  # noqa: E402
from smartrest.dask import decode_dataset, pandas_meta  # noqa: E402
from smartrest.errors import SmartRestError  # noqa: E402

FILES = 4


def _publishes() -> Tuple[List[bytes], List[str]]:
    """Up and downstream publishes of several templates, some on child topics."""
    payloads: List[bytes] = []
    topics: List[str] = []
    sources = [("mixed", "s/us"), ("mixed", "s/us/child-7"), ("operations", "s/ds"),
               ("measurements", "s/us/child-2")]
    for number, (name, topic) in enumerate(sources):
        rows = bench.rows(name, 900, seed=number)
        for p in smartrest.pack(rows, topic=topic, limit=300):
            payloads.append(p)
            topics.append(topic)
    # Interleave the sources so each file holds several of them.
    order = sorted(range(len(payloads)), key=lambda i: (i * 7919) % len(payloads))
    return [payloads[i] for i in order], [topics[i] for i in order]


def _write(directory: Path, payloads: List[bytes], topics: List[str]) -> Path:
    directory.mkdir()
    step = -(-len(payloads) // FILES)
    for n in range(FILES):
        part = slice(n * step, (n + 1) * step)
        table = pa.table({"payload": pa.array(payloads[part], pa.binary()),
                          "topic": pa.array(topics[part], pa.string())})
        pq.write_table(table, directory / f"part-{n:02d}.parquet")
    return directory


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    payloads, topics = _publishes()
    path = _write(tmp_path_factory.mktemp("dask") / "publishes", payloads, topics)
    return path, payloads, topics


def _sorted(table):
    return table.sort_by([("message", "ascending"), ("row", "ascending")])


def _check(frames, expected, keys):
    assert list(frames) == keys
    computed = dask.compute(*frames.values())
    for key, df in zip(keys, computed):
        got = pa.Table.from_pandas(df, preserve_index=False)
        want = expected[key]
        assert got.schema == want.schema, key
        assert _sorted(got).to_pylist() == _sorted(want).to_pylist(), key


def test_decode_dataset_equals_decode_tables(client, data):
    path, payloads, topics = data
    assert len(payloads) > 500
    frame = dd.read_parquet(str(path))
    assert frame.npartitions == FILES
    expected = decode_tables(payloads, topics=topics)
    assert len(expected) >= 10 and sum(t.num_rows for t in expected.values()) > 3000
    frames = decode_dataset(frame)
    assert sorted(frames) == sorted(expected)
    for key, df in frames.items():
        assert list(df.dtypes) == list(pandas_meta(expected[key].schema).dtypes)
    _check(frames, expected, list(frames))


def test_named_templates_skip_the_survey(client, data):
    path, payloads, topics = data
    expected = decode_tables(payloads, topics=topics)
    frames = decode_dataset(dd.read_parquet(str(path)), templates=["400", 511, "200"])
    _check(frames, expected, ["400", "511", "200"])


def test_str_payloads_and_no_topic_column():
    payloads = [b"200,c8y_T,T,%d,C\n400,c8y_E,e%d\n" % (n, n) for n in range(40)]
    pdf = pa.table({"payload": [p.decode() for p in payloads]}).to_pandas()
    frames = decode_dataset(dd.from_pandas(pdf, npartitions=3))
    expected = decode_tables(payloads)
    with dask.config.set(scheduler="sync"):
        _check(frames, expected, ["200", "400"])


def test_error_index_is_global(client, data, tmp_path):
    _, payloads, topics = data
    bad = len(payloads) - 5  # in the last file
    payloads = list(payloads)
    payloads[bad] = b"200,c8y_T,T,not a number,C\n"
    topics = list(topics)
    topics[bad] = "s/us"
    with pytest.raises(SmartRestError) as local:
        decode_tables(payloads, topics=topics)
    frames = decode_dataset(dd.read_parquet(str(_write(tmp_path / "bad", payloads, topics))),
                            templates=["200"])
    with pytest.raises(SmartRestError) as remote:
        frames["200"].compute()
    assert type(remote.value) is type(local.value)
    assert remote.value.payload_index == local.value.payload_index == bad
    assert str(remote.value) == str(local.value)


def test_missing_payload_column():
    frame = dd.from_pandas(pa.table({"data": [b"200"]}).to_pandas(), npartitions=1)
    with pytest.raises(KeyError):
        decode_dataset(frame)
