"""One long stream: decode of the whole buffer against Decoder.feed in 4 KB chunks."""

from __future__ import annotations

import pytest

from conftest import cases


@pytest.mark.parametrize("contender,name,size", cases("decode", ("stream",)))
def test_stream(run_case, contender, name, size):
    run_case("decode", contender, name, size)


@pytest.mark.parametrize("contender,name,size", cases("columns", ("stream",)))
def test_stream_columns(run_case, contender, name, size):
    run_case("columns", contender, name, size)
