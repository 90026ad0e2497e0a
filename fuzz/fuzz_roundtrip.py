"""round trip: rows built from the input (any Unicode values, see
_common.ROW_SEP), decode(encode(rows)) == rows with both quote escapes, in
both implementations, lenient and strict; C and Python encode the same
bytes."""

import _common as h


def test_one_input(data: bytes) -> None:
    rows = h.rows_from_input(data)
    for quote_escape in ("backslash", "double"):
        encoded = {impl.name: impl.encode(rows, quote_escape=quote_escape) for impl in h.IMPLS}
        assert encoded["c"] == encoded["python"], (rows, encoded)
        payload = encoded["c"]
        lines = b"".join(impl.encode_row(r, quote_escape=quote_escape)
                         for r in rows for impl in (h.C,))
        assert lines == payload, (rows, lines, payload)
        for impl in h.IMPLS:
            for strict in (False, True):
                back = impl.decode(payload, limit=None, strict=strict)
                assert back == rows, (impl.name, quote_escape, strict, rows, payload, back)


if __name__ == "__main__":
    h.run(test_one_input)
