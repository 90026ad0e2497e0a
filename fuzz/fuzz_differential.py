"""differential: C and Python decode give the same rows, or the same error
(class, byte offset, row and field); so does C tokenize, whose spans must
hold the values and whose flags must equal the pure-Python tokenize's.
Byte 0 holds the options."""

import _common as h


def test_one_input(data: bytes) -> None:
    if not data:
        return
    kwargs = h.decode_options(data[0])
    payload = data[1:]
    c = h.outcome(h.C.decode, payload, **kwargs)
    py = h.outcome(h.PY.decode, payload, **kwargs)
    assert c == py, f"C {c!r} != Python {py!r} for {payload!r} {kwargs}"
    strict = kwargs["strict"]
    want = h.outcome(h.PY.decode, payload, strict=strict, limit=None)
    got = h.outcome(h.tokenized_rows, h.C.tokenize, payload, strict)
    assert got == want, f"C tokenize {got!r} != Python decode {want!r} for {payload!r}"
    if got[0] == "ok":
        flags = h.C.tokenize(payload, strict=strict).flags.tolist()
        assert flags == h.PY.tokenize(payload, strict=strict).flags.tolist(), payload


if __name__ == "__main__":
    h.run(test_one_input)
