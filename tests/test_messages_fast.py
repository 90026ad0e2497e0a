"""The C fast path of decode_messages (smartrest._messages) against the Python one.

Both must give equal messages, or raise the same error, for any payload.
Fails when the extension is not built (skipped only with SMARTREST_PURE_PYTHON=1).
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import smartrest
from conftest import PURE_ONLY, c_api
from smartrest import templates as T
from smartrest.templates import payload as TP
from smartrest._implementation import BUILD_HINT
from smartrest.errors import SmartRestError, TemplateError

pytestmark = pytest.mark.skipif(
    PURE_ONLY, reason="SMARTREST_PURE_PYTHON=1: the pure-Python implementation was asked for")


@pytest.fixture(autouse=True)
def _fast_path_active():
    # Without the extension this fails, saying how to build it; it never skips.
    c_api()
    if TP._FAST is None:
        pytest.fail(f"smartrest._messages is not active; {BUILD_HINT}", pytrace=False)

fast = TP._FAST

#: A topic of every registry, and no topic (every static template).
TOPICS = [None, "s/us", "s/us/child-7", "s/ds", "s/dcr", "s/dat", "s/dt", "s/e"]

KINDS = [T.NUMBER, T.INTEGER, T.BOOLEAN, T.DATE]

VALID = {
    T.NUMBER: ["0", "-1", "+2.5", "3.", ".5", "1e3", "-2.5E-7", "25.3", "007", "1.e5"],
    T.INTEGER: ["0", "-1", "+42", "007", "123456789012345678901234567890"],
    T.BOOLEAN: ["true", "false", "TRUE", "False", "tRuE"],
    T.DATE: ["2024-05-01T08:00:00.000+02:00", "2016-06-22T17:03:14Z", "2016-06-22T17:03z",
             "2016-02-30T23:59:60,123456789-0530", "2016-06-22T17:03:14+0100",
             "0000-12-31T00:00+23", "2016-06-22T17:03:14.5-23:59"],
    T.STRING: ["c8y_Temperature", "T", "some text, with a comma", 'a "quoted" word', "x\ny"],
}

# Near misses, and text only the Python check may decide (non-ASCII).
INVALID = ["", " ", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "0x1A", "nan",
           "inf", "truee", "tru", "yes", "1\n2", "1\n", "2016-06-22", "2016-13-22T17:03Z",
           "2016-06-00T17:03Z", "2016-06-32T17:03Z", "2016-06-22T24:03Z", "2016-06-22T17:60Z",
           "2016-06-22T17:03:61Z", "2016-06-22T17:03:14.Z", "2016-06-22T17:03:14.1234567890Z",
           "2016-06-22T17:03:14+24:00", "2016-06-22T17:03:14+01:0", "2016-06-22T17:03:14+01:",
           "2016-06-22t17:03Z", "2016-06-22T17:03:14", "2016-06-22T17:03:14+1",
           "falſe", "ſ", "１２", "١٢", "²", "tru\u0435", "2016-06-22T17:03:14Ｚ", "é", "1é",
           "$FW", "$SW", "$CONF"]

ALPHABET = "0123456789+-.,:eEzZT tTrRuUfFaAlLsS\nx$é１ſ"


def values_for(kind: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(VALID[kind]), st.sampled_from(INVALID),
                     st.text(ALPHABET, max_size=12))


def param_type(t: T.Template, position: int) -> str:
    """The type of the value at ``position`` of a row of ``t`` (STRING past the fixed part
    of a template with sections, whose values are strings)."""
    if position <= len(t.params):
        return t.params[position - 1].type
    if t.blocks and not t.markers:
        block = t.blocks[0]
        return block.params[(position - t.fixed_len) % block.width].type
    return T.STRING


@st.composite
def rows_of(draw: Any, t: T.Template, key: Optional[str]) -> List[str]:
    """A row for ``t``: mostly values of the right type, sometimes anything."""
    first = key if key is not None else draw(st.sampled_from(["40", "500", "0", "x", "١"]))
    width = t.blocks[0].width if t.blocks else 1
    extra = 3 * width if t.blocks else 0
    if draw(st.integers(0, 3)) == 0:  # any length
        n = draw(st.integers(0, t.fixed_len + 3 * width + 1))
    else:  # a length the template allows, mostly
        n = draw(st.integers(max(t.min_len - 1, 0), t.fixed_len - 1 + extra))
    sloppy = draw(st.booleans())
    row = [first]
    for position in range(1, n + 1):
        kind = param_type(t, position)
        if t.markers and position >= t.fixed_len and draw(st.integers(0, 3)) == 0:
            row.append(draw(st.sampled_from(["$FW", "$SW", "$CONF"])))
        elif sloppy and draw(st.integers(0, 4)) == 0:
            row.append(draw(values_for(kind) if kind != T.STRING
                                else st.sampled_from(INVALID + VALID[T.STRING])))
        else:
            row.append(draw(st.sampled_from(VALID[kind])))
    return row


@st.composite
def payloads(draw: Any) -> Tuple[Optional[str], List[List[str]]]:
    topic = draw(st.sampled_from(TOPICS))
    registry = T._where(topic).registry
    keys = sorted(registry, key=lambda k: (k is None, k or ""))
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(keys))
        if key is not None and draw(st.integers(0, 30)) == 0:
            key = draw(st.sampled_from(["999", "", "200 ", "x", "5O1", "٢٠٠"]))
        rows.append(draw(rows_of(registry[key] if key in registry else T._STATIC["200"], key)))
    return topic, rows


def outcome(payload: bytes, topic: Optional[str], typed: bool, use_fast: bool) -> Any:
    """The messages (as comparable tuples) or the error (type and attributes)."""
    saved = TP._FAST
    TP._FAST = saved if use_fast else None
    try:
        msgs = T.decode_messages(payload, topic=topic, typed=typed)
    except SmartRestError as exc:
        return ("error", type(exc), str(exc), exc.offset, exc.row, exc.field,
                getattr(exc, "template_id", None), getattr(exc, "field_name", None))
    finally:
        TP._FAST = saved
    out = []
    for m in msgs:
        assert type(m) is T.Message
        out.append((m.template, m.to_row(), m.device, m.typed, m._values))
    return out


def check_same(topic: Optional[str], rows: List[List[str]], typed: bool = False) -> Any:
    payload = smartrest.encode(rows)
    if smartrest.decode(payload) != rows:  # not a row the decoder gives back
        assume(False)
    got = outcome(payload, topic, typed, use_fast=True)
    want = outcome(payload, topic, typed, use_fast=False)
    assert got == want
    return got


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads(), st.booleans())
@example((None, [["200", "c8y_T", "T", "1.", "C", "2016-06-22T17:03:14.5-23:59"]]), False)
@example(("s/us", [["201", "c8y_S", "2016-06-22T17:03Z", "f", "s", "1", "u", "f", "s"]]), True)
@example(("s/us", [["201", "c8y_S", "2016-06-22T17:03Z", "f", "s"]]), False)
@example(("s/us", [["210", "", "", "2016-06-22T17:03Z"]]), False)
@example(("s/us", [["210", "", "4"]]), False)
@example(("s/us", [["200", "c8y_T", "T", "１", "C"]]), False)
@example(("s/us", [["115", "falſe"]]), False)
@example(("s/ds", [["527", "sn", "$FW", "a", "b", "c", "d", "e", "$CONF", "u", "t"]]), False)
@example(("s/e", [["40", "", "text, with, commas"], ["41", "x", "y"]]), False)
def test_fast_path_equals_python_path(case, typed):
    topic, rows = case
    check_same(topic, rows, typed)


@pytest.mark.parametrize("topic", TOPICS)
def test_every_template_valid_row(topic):
    """A row of valid values for every template gives its message on both paths."""
    registry = T._where(topic).registry
    for key, t in registry.items():
        row = [key if key is not None else "40"]
        width = t.blocks[0].width if t.blocks and not t.markers else 0
        for position in range(1, t.fixed_len + 2 * width):
            row.append(VALID[param_type(t, position)][0])
        got = check_same(topic, [row, row])
        assert isinstance(got, list), (key, got)
        assert [m[0] for m in got] == [t, t]


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=1000, deadline=None)
@given(text=st.one_of(st.text(ALPHABET, max_size=40), st.sampled_from(VALID[T.DATE] + INVALID),
                      st.from_regex(r"[0-9+\-.,:TZz ]{0,34}", fullmatch=True)))
def test_value_check_equals_the_regex(kind, text):
    check, _ = T.type_check(kind)
    got = fast.check_value(getattr(fast, kind), text)
    if not text:
        assert got is True  # empty values are not checked
    elif not text.isascii():
        assert got is None  # left to the Python check
    else:
        assert got is (check(text) is not None), text


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_value_check_accepts_what_the_regex_matches(kind, data):
    pattern = {T.NUMBER: T._NUMBER_RE, T.INTEGER: T._INTEGER_RE, T.BOOLEAN: T._BOOLEAN_RE,
               T.DATE: T._DATE_RE}[kind]
    text = data.draw(st.from_regex(pattern, fullmatch=True))
    assume(text.isascii())
    assert fast.check_value(getattr(fast, kind), text) is True
    # One character changed, removed or added: both checks still agree.
    i = data.draw(st.integers(0, len(text)))
    c = data.draw(st.sampled_from("0123456789+-.,:eEzZTtx \n"))
    check, _ = T.type_check(kind)
    for mutant in (text[:i] + c + text[i + 1:], text[:i] + text[i + 1:], text[:i] + c + text[i:]):
        if mutant:
            assert fast.check_value(getattr(fast, kind), mutant) is (check(mutant) is not None)


def test_builder_makes_the_same_message():
    t = T.TEMPLATES[200]
    row = ["200", "c8y_T", "T", "1", "C"]
    made = TP._BUILDER(t, row, "child", True)
    assert type(made) is T.Message
    assert made == T.Message(t, row, "child", True)
    assert made._values is row and made.typed is True and made.device == "child"
    assert made["value"] == 1.0


def test_builder_refuses_a_class_without_the_slots():
    class Plain:
        pass

    class Other:
        __slots__ = ("template", "_values", "device")

    for cls in (Plain, Other, int):
        with pytest.raises(TypeError):
            fast.Builder(cls)


def test_first_bad_row_is_reported():
    rows = [["200", "c8y_T", "T", "1", "C"]] * 3 + [["200", "c8y_T", "T", "x", "C"],
                                                       ["999"]]
    payload = smartrest.encode(rows)
    with pytest.raises(TemplateError) as info:
        T.decode_messages(payload, topic="s/us")
    assert info.value.row == 3 and info.value.field == 3
    assert outcome(payload, "s/us", False, True) == outcome(payload, "s/us", False, False)


def test_table_covers_every_template():
    for registry in (*T._REGISTRIES.values(), T._STATIC):
        table = TP._FAST_TABLES[id(registry)]
        assert set(table) == {k for k in registry if k is not None}
        for key, spec in table.items():
            t = registry[key]
            assert spec.template is t
            # Only the sections of 527/531, the s/e text and the like are left to Python.
            assert spec.slow == bool(t.markers or t.rest), key
