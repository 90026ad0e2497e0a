"""decode: any bytes in; only SmartRestError subclasses may come out.

Byte 0 picks strict, topic, QoS and limit; bit 7 passes the payload as a
str (surrogateescape), a bytearray or a memoryview instead of bytes.
Runs the C and the Python implementation.
"""

import sys

import _common as h


def test_one_input(data: bytes) -> None:
    if not data:
        return
    opts, payload = data[0], data[1:]
    kwargs = h.decode_options(opts)
    variants = [payload]
    if opts & 0x80:
        variants += [payload.decode("utf-8", "surrogateescape"), bytearray(payload),
                     memoryview(payload)]
    for impl in h.IMPLS:
        for p in variants:
            result = h.outcome(impl.decode, p, **kwargs)
            if result[0] == "ok":
                rows = result[1]
                assert isinstance(rows, list)
                for row in rows:
                    assert isinstance(row, list) and row, (impl.name, rows)
                    for value in row:
                        assert type(value) is str, (impl.name, rows)


if __name__ == "__main__":
    h.run(test_one_input)
    sys.exit(0)
