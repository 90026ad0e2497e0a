"""The C tokenizer's 64-byte block path against the pure-Python reference.

Rows of unquoted fields are cut a whole 64-byte block at a time; these
tests make payloads long enough to take that path, with empty lines, CRLF,
quotes and non-ASCII bytes at block edges, and compare both implementations
(rows, or error class, offset and row), whole and streamed.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codec_helpers import outcome, split, stream, stream_outcome

PIECES = [b",", b"\n", b"\r\n", b"\n\n", b"\r", b"a", b"bc", b"defgh", b" ", b"\xc3\xa9",
          b"200", b"c8y_Temperature", b"25.3", b'"', b'""', b'\\"', b"\\", b"\xff"]


payloads = st.lists(st.sampled_from(PIECES), min_size=40, max_size=200).map(b"".join)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads, st.booleans())
def test_block_path_matches_reference(c_impl, py_impl, data, strict):
    assert outcome(c_impl.decode, data, limit=None, strict=strict) == \
        outcome(py_impl.decode, data, limit=None, strict=strict)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads, st.lists(st.integers(0, 200), max_size=4), st.sampled_from([None, 30, 70]))
def test_block_path_streamed_matches_reference(c_impl, py_impl, data, cuts, limit):
    chunks = split(data, cuts)
    assert stream_outcome(c_impl, chunks, limit=limit) == \
        stream_outcome(py_impl, chunks, limit=limit)


ASCII_PIECES = [b",", b"\n", b"\r\n", b"\n\n", b"a", b"bc", b"defgh", b"0123456789abcdef",
                b"200", b"c8y_Temperature", b"25.3", b'"x,y"']


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(ASCII_PIECES), min_size=40, max_size=300).map(b"".join),
       st.lists(st.integers(0, 600), max_size=4), st.sampled_from([64, 65, 100, 150, 300]))
def test_ascii_blocks_under_a_row_limit_match_reference(c_impl, py_impl, data, cuts, limit):
    # ASCII blocks take the lean loop when no row can pass the limit inside
    # them: rows near the limit must still be caught exactly.
    chunks = split(data, cuts)
    assert stream_outcome(c_impl, chunks, limit=limit) == \
        stream_outcome(py_impl, chunks, limit=limit)


def test_row_ending_a_block_exactly_at_the_end_of_a_feed(impl):
    # 64 bytes: the block path consumes every separator, the last row's
    # final (empty) field is only known at close().
    data = b"bc  a\xc3\xa9c8y_Temperaturedefgh200\xc3\xa9200,,bc25.325.3\r\n\nbc\r25.3\r 200,,"
    assert len(data) == 64
    assert stream(impl, [data], limit=None) == [["bc  aéc8y_Temperaturedefgh200é200", "", "bc25.325.3"],
                    ["bc\r25.3\r 200", "", ""]]


@pytest.mark.parametrize("gap", [b"\n", b"\r\n", b"\n\n\r\n\n"])
def test_empty_lines_after_a_block_row_give_no_row(impl, gap):
    row = b"200,c8y_Temperature,T,25.3,C,2024-05-01T08:00:00.995+02:00"
    data = row + gap + b"\xc3\xa9" + gap + row
    assert impl.decode(data) == [row.decode().split(","), ["é"], row.decode().split(",")]
