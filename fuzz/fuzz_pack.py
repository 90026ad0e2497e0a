"""pack: every publish fits the limit (exact packet size) and the rows come
back whole and in order; with on_oversize="truncate" only rows too long
alone are cut, and they end with the marker.

Byte 0: bits 0-1 topic, bits 2-3 QoS, bit 4 quote escape, bit 5
truncate; byte 1 picks a limit (small limits force many publishes and
oversize rows).  The rest are rows (see _common.ROW_SEP).
"""

import _common as h
from smartrest.errors import RowTooLarge

TOPICS = ("s/us", "s/uc/tmpl", "s/us/" + "x" * 40, "t")


def check(impl, rows, topic, qos, limit, quote_escape, truncate):
    try:
        publishes = impl.pack(rows, topic=topic, qos=qos, limit=limit,
                              quote_escape=quote_escape,
                              on_oversize="truncate" if truncate else "raise")
    except RowTooLarge as exc:
        # Only when a row cannot fit alone (truncating: not even cut).
        index = exc.row
        alone = impl.encode_row(rows[index], quote_escape=quote_escape)
        assert h.packet_size(topic, len(alone), qos) > limit, (impl.name, rows, exc)
        return ("error", RowTooLarge, exc.offset, exc.row)
    back = []
    for p in publishes:
        assert p, (impl.name, rows, publishes)
        assert h.packet_size(topic, len(p), qos) <= limit, (impl.name, rows, publishes)
        back += impl.decode(p, topic=topic, qos=qos, limit=limit)
    assert len(back) == len(rows), (impl.name, rows, back)
    for original, got in zip(rows, back):
        if got == original:
            continue
        # Truncated: only the last field changes, only for a row too long alone.
        assert truncate, (impl.name, original, got)
        alone = impl.encode_row(original, quote_escape=quote_escape)
        assert h.packet_size(topic, len(alone), qos) > limit, (impl.name, original, got)
        assert got[:-1] == original[:-1] and got[-1].endswith(h.TRIM_MARKER)
        assert original[-1].startswith(got[-1][:-len(h.TRIM_MARKER)])
    return ("ok", publishes)


def test_one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    opts = data[0]
    topic = TOPICS[opts & 3]
    qos = ((opts >> 2) & 3) % 3
    quote_escape = "double" if opts & 0x10 else "backslash"
    truncate = bool(opts & 0x20)
    limit = 30 + data[1] * 4 if data[1] < 250 else h._limits.LIMIT
    rows = h.rows_from_input(data[2:])
    results = [check(impl, rows, topic, qos, limit, quote_escape, truncate) for impl in h.IMPLS]
    assert results[0] == results[1], (rows, results)


if __name__ == "__main__":
    h.run(test_one_input)
