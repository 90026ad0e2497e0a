"""The static-template layer: registry, parse, build, decode_messages."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from typing import Any, Dict, List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import smartrest
from smartrest import errors
from smartrest import templates as T
from smartrest.errors import (
    IncompleteGroup,
    InvalidValue,
    MissingValue,
    SmartRestError,
    TemplateError,
    TooManyValues,
    UnknownTemplate,
)

SPEC = json.loads(resources.files("smartrest").joinpath("data", "templates.json")
                  .read_text("utf-8"))
STATIC = SPEC["static_templates"]
UP_IDS = sorted(e["id"] for e in STATIC if e["direction"] == "up")
DOWN_IDS = sorted(e["id"] for e in STATIC if e["direction"] == "down")


def row_of(line: str) -> List[str]:
    rows = smartrest.decode(line)
    assert len(rows) == 1
    return rows[0]


# ------------------------------------------------------------------ registry


def test_registry_holds_every_static_template():
    assert len(STATIC) == 78
    assert sorted(T.TEMPLATES) == sorted(e["id"] for e in STATIC)
    assert UP_IDS[0] == 100 and UP_IDS[-1] == 602
    assert DOWN_IDS[:2] == [106, 124] and DOWN_IDS[-2:] == [601, 603]
    assert set(range(510, 533)) - set(DOWN_IDS) == {512, 514}  # never defined


@pytest.mark.parametrize("entry", STATIC, ids=lambda e: str(e["id"]))
def test_registry_row_matches_the_json(entry):
    t = T.TEMPLATES[entry["id"]]
    assert t.name == entry["name"]
    assert t.direction == entry["direction"]
    assert t.topic == entry["topic"]
    assert [p.doc_name for p in t.params] == [p["name"] for p in entry["params"]]
    for p, src in zip(t.params, entry["params"]):
        assert p.default == src["default"]
        assert p.mandatory == (src["mandatory"] is True)
    if entry.get("sections"):
        assert [b.marker for b in t.blocks] == [s["marker"] for s in entry["sections"]]
        assert [[p.doc_name for p in b.params] for b in t.blocks] == [
            s["fields"] for s in entry["sections"]]
        assert [b.repeating for b in t.blocks] == [s["repeating"] for s in entry["sections"]]
    elif entry["repeating_group"]:
        assert [p.doc_name for p in t.blocks[0].params] == entry["repeating_group"]
    else:
        assert t.blocks == ()


def test_field_names_are_snake_case():
    assert T.TEMPLATES[211].names == ("temperature_value", "time")
    assert T.TEMPLATES[511].names == ("serial", "command_text")
    assert T.TEMPLATES[110].names == ("serial_number", "model", "revision")
    assert T.TEMPLATES[120].names[1] == "configuration_file_download_url"
    assert T.TEMPLATES[531].blocks[1].names == (
        "name", "version", "software_type", "url", "action")


def test_typed_parameters():
    assert [p.type for p in T.TEMPLATES[200].params] == [
        "STRING", "STRING", "NUMBER", "STRING", "DATE"]
    assert T.TEMPLATES[117].params[0].type == "INTEGER"
    assert T.TEMPLATES[101].params[3].type == "BOOLEAN"


# ------------------------------------------------------------------ documented examples


@pytest.mark.parametrize("entry", STATIC, ids=lambda e: str(e["id"]))
def test_documented_example_parses_and_writes_back(entry):
    payload = entry["example"].encode() + b"\n"
    row = row_of(entry["example"])
    msg = T.parse(row, topic=entry["topic"])
    assert msg.template_id == entry["id"]
    assert msg.to_row() == row
    assert smartrest.encode([msg.to_row()]) == smartrest.encode([row])
    # The same through decode_messages, typed: every value converts.
    [typed] = smartrest.decode_messages(payload, topic=entry["topic"], typed=True)
    assert typed == msg
    typed.fields
    typed.groups


def test_example_603_holds_a_literal_ellipsis():
    # "603,100,101,102,...,603": the docs abbreviate the list; as template IDs
    # are untyped strings, "..." is read as one of them.
    msg = T.parse(row_of("603,100,101,102,...,603"), topic="s/ds")
    assert [g["template_id"] for g in msg.groups] == ["100", "101", "102", "...", "603"]


def test_example_529_of_the_static_page_is_known_inconsistent():
    # smartrest/data/templates.json notes: the static-template page's own 529 example has
    # 4 values per item, its table 5 (the registry's example, from the
    # software fragment page, has 5).  Read as 5 per item it stops short.
    with pytest.raises(IncompleteGroup) as info:
        T.parse(row_of("529,DeviceSerial,softwareA,1.0,url1,install,softwareB,2.0,url2,install"),
                topic="s/ds")
    assert str(info.value) == (
        "template 529: the last group item stops before 'url' (3 of 5 values: "
        "name, version, type, url, action) (field 10)")


def test_relay_examples_without_serial_are_known_inconsistent():
    # smartrest/data/templates.json notes: the relay page leaves out the serial.  518 is
    # then short of its state; 519 cannot be told apart from a valid row and
    # reads its first state as the serial.
    with pytest.raises(MissingValue, match="missing value 'relay_state'"):
        T.parse(row_of("518,OPEN"), topic="s/ds")
    msg = T.parse(row_of("519,OPEN,CLOSED,CLOSED,OPEN"), topic="s/ds")
    assert msg.device == "OPEN"
    assert [g["relay_state"] for g in msg.groups] == ["CLOSED", "CLOSED", "OPEN"]


@pytest.mark.parametrize("line", [
    "100,,myType", "100,,", "100",
    "101,uniqueChildId,myChildDevice,myChildType",
    "101,test-device:device:child1,child1,thin-edge.io-child,true",
    "121,false,", "121,true,",
    '140,software_a,3.0.0,"type A",http://example.com/software_a',
    "408,,,true,c8y_RelayStatus.left,BOOLEAN,false",
    "503,c8y_Command,Everything went fine",
    "503,c8y_RelayArray,OPEN,CLOSED,CLOSED,OPEN",
    '503,c8y_LogfileRequest,"https://example.com/binaries"',
    '400,c8y_ConnectionEvent,"Device connection was lost."',
])
def test_other_documented_upstream_rows(line):
    row = row_of(line)
    assert T.parse(row, topic="s/us").to_row() == row


@pytest.mark.parametrize("line", [
    '511,myDeviceSerial,"execute this\\nand this\\nand \\"this\\""',
    "532,someSerial,MyParameter,b,true,DeviceMaintainer.name,s,John Smithsky,"
    "DeviceMaintainer.contact,s,12312,Problems,,",
    "527,DeviceSerial,$FW,device_fw,1.0.1,https://cumulocity.com/fw,false,,$SW,curl,2.3.4,"
    "http://my.url.com,install,$CONF,http://cumulocity.com/conf,ssh_conf",
    "522,DeviceSerial,logfileA,2021-09-21T11:40:27+0200,2021-09-21T12:40:27+0200,ERROR,100",
    "515,DeviceSerial,myFirmware,1.0,$PROVIDED",
])
def test_other_documented_downstream_rows(line):
    row = row_of(line)
    assert T.parse(row, topic="s/ds").to_row() == row


# ------------------------------------------------------------------ messages


def test_named_and_typed_fields():
    msg = T.parse(["200", "c8y_Temperature", "T", "25.3", "C",
                   "2016-06-22T17:03:14.000+02:00"], typed=True)
    assert msg.template_id == 200
    assert msg.name == "Create custom measurement"
    assert msg["fragment"] == "c8y_Temperature"
    assert msg["value"] == 25.3
    assert msg["time"] == dt.datetime(2016, 6, 22, 17, 3, 14,
                                      tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert msg["time"].utcoffset() == dt.timedelta(hours=2)
    untyped = T.parse(msg.to_row())
    assert untyped["value"] == "25.3"
    assert untyped.device is None


def test_typed_empty_and_left_out_values_are_none():
    msg = T.parse(["112", "50.323423", "6.423423"], typed=True)
    assert msg.fields == {"latitude": 50.323423, "longitude": 6.423423,
                          "altitude": None, "accuracy": None}
    assert T.parse(["117", "60"], typed=True)["required_interval"] == 60
    assert T.parse(["101", "c1", "", "", "TRUE"], typed=True)["child_device_marker"] is True
    assert T.parse(["112", "1"])["accuracy"] == ""


def test_dates_with_z_and_compact_offsets():
    d = T.parse(["211", "25", "2022-03-19T12:03:27.845Z"], typed=True)["time"]
    assert d == dt.datetime(2022, 3, 19, 12, 3, 27, 845000, tzinfo=dt.timezone.utc)
    d = T.parse(["211", "25", "2021-09-21T11:40:27-0230"], typed=True)["time"]
    assert d.utcoffset() == -dt.timedelta(hours=2, minutes=30)


def test_unknown_name_is_a_key_error():
    msg = T.parse(["200", "f", "s", "1"])
    with pytest.raises(KeyError, match="has no parameter 'frament'"):
        msg["frament"]
    assert msg.get("frament", 7) == 7
    assert "fragment" in msg


def test_groups_and_sections():
    msg = T.parse(row_of(T.TEMPLATES[116].example))
    assert msg.groups == [
        {"name": "software1", "version": "version1", "url": "url1"},
        {"name": "software2", "version": "", "url": "url2"},
        {"name": "software3", "version": "version3", "url": ""},
    ]
    msg = T.parse(row_of(T.TEMPLATES[531].example), topic="s/ds")
    assert msg.device == "DeviceSerial"
    assert msg.sections["$FW"] == [{"name": "device_fw", "version": "1.0.1",
                                    "url": "https://cumulocity.com/fw", "is_patch": "false",
                                    "dependency": ""}]
    assert [i["software_type"] for i in msg.sections["$SW"]] == ["rpm", ""]
    assert len(msg.sections["$CONF"]) == 2
    assert all(g["section"] in ("$FW", "$SW", "$CONF") for g in msg.groups)


def test_sections_may_be_left_out_but_keep_their_order():
    msg = T.parse(["527", "S", "$CONF", "u", "t"], topic="s/ds")
    assert msg.sections == {"$FW": [], "$SW": [], "$CONF": [{"url": "u", "type": "t"}]}
    with pytest.raises(InvalidValue, match=r"section '\$FW' after '\$SW'"):
        T.parse(["527", "S", "$SW", "a", "b", "c", "d", "$FW"], topic="s/ds")
    with pytest.raises(InvalidValue, match=r"expected a section marker .* not 'x'"):
        T.parse(["527", "S", "x"], topic="s/ds")
    with pytest.raises(TooManyValues, match=r"section \$FW has 6 values, but one item has 5"):
        T.parse(["527", "S", "$FW", "a", "b", "c", "d", "e", "f"], topic="s/ds")


def test_device_of_downstream_and_child_topics():
    assert T.parse(["511", "child7", "ls"], topic="s/ds").device == "child7"
    assert T.parse(["200", "f", "s", "1"], topic="s/us/child7").device == "child7"
    msgs = smartrest.decode_messages(b"200,f,s,1\n400,t,x\n", topic="t/us/c1")
    assert [m.device for m in msgs] == ["c1", "c1"]


# ------------------------------------------------------------------ errors


def check_error(exc: TemplateError, cls: type, message: str, *, template_id: Any,
                field_name: Any) -> None:
    assert type(exc) is cls
    assert str(exc) == message
    assert exc.template_id == template_id
    assert exc.field_name == field_name


PAYLOAD_ERRORS = [
    # (row, topic, class, message after the reason's position, template ID, field name)
    ("999,x", "s/us", UnknownTemplate,
     "template '999' is not a template of topic 's/us' at byte 11 (row 1, field 0)", 999, None),
    ("510,serial", "s/us", UnknownTemplate,
     "template 510 is a downstream template; topic 's/us' does not carry it "
     "at byte 11 (row 1, field 0)", 510, None),
    ("x,1", None, UnknownTemplate,
     "template 'x' is not a static template at byte 11 (row 1, field 0)", None, None),
    ("200,c8y_T,T", "s/us", MissingValue,
     "template 200: missing mandatory value 'value' at byte 11 (row 1, field 3)", 200, "value"),
    ("200,,T,1", "s/us", MissingValue,
     "template 200: mandatory value 'fragment' is empty at byte 11 (row 1, field 1)",
     200, "fragment"),
    ("210,,", "s/us", MissingValue,
     "template 210: at least one of 'rssi_value', 'ber_value' is needed "
     "at byte 11 (row 1, field 1)", 210, "rssi_value"),
    ("201,t,", "s/us", MissingValue,
     "template 201: needs at least one group item (fragment, series, value, unit) "
     "at byte 11 (row 1, field 3)", 201, "fragment"),
    ("201,t,,f,,1,u", "s/us", MissingValue,
     "template 201: mandatory group value 'series' is empty at byte 11 (row 1, field 4)",
     201, "series"),
    ("200,a,b,1,C,2020-01-01T00:00:00Z,extra", "s/us", TooManyValues,
     "template 200: too many values (6 after the message ID; the template has 5) "
     "at byte 11 (row 1, field 6)", 200, None),
    ("105,x", "s/us", TooManyValues,
     "template 105: too many values (1 after the message ID; the template has 0) "
     "at byte 11 (row 1, field 1)", 105, None),
    ("200,c8y_T,T,abc", "s/us", InvalidValue,
     "template 200: 'value' must be a number, not 'abc' at byte 11 (row 1, field 3)",
     200, "value"),
    ("117,1.5", "s/us", InvalidValue,
     "template 117: 'required_interval' must be an integer, not '1.5' "
     "at byte 11 (row 1, field 1)", 117, "required_interval"),
    ("101,c,,,yes", "s/us", InvalidValue,
     "template 101: 'child_device_marker' must be true or false, not 'yes' "
     "at byte 11 (row 1, field 4)", 101, "child_device_marker"),
    ("211,25,2016-06-22 17:03:14", "s/us", InvalidValue,
     "template 211: 'time' must be an ISO 8601 date and time with a UTC offset, not "
     "'2016-06-22 17:03:14' at byte 11 (row 1, field 2)", 211, "time"),
    ("201,t,,f,s,x", "s/us", InvalidValue,
     "template 201: group value 'value' must be a number, not 'x' at byte 11 (row 1, field 5)",
     201, "value"),
    ("140,docker", "s/us", IncompleteGroup,
     "template 140: the last group item stops before 'version' (1 of 4 values: "
     "name, version, type, url) at byte 11 (row 1, field 2)", 140, "version"),
    ("201,t,,f,s", "s/us", IncompleteGroup,
     "template 201: the last group item stops before 'value' (2 of 4 values: "
     "fragment, series, value, unit) at byte 11 (row 1, field 5)", 201, "value"),
]


@pytest.mark.parametrize("line,topic,cls,message,tid,name", PAYLOAD_ERRORS,
                         ids=[e[0] for e in PAYLOAD_ERRORS])
def test_errors_in_a_payload(line, topic, cls, message, tid, name):
    payload = b"200,a,b,1\n\n" + line.encode() + b"\n"  # the bad row starts at byte 11
    with pytest.raises(cls) as info:
        smartrest.decode_messages(payload, topic=topic)
    check_error(info.value, cls, message, template_id=tid, field_name=name)
    assert (info.value.offset, info.value.row) == (11, 1)
    assert isinstance(info.value, SmartRestError) and isinstance(info.value, ValueError)
    # parse() says the same without a position in a payload.
    with pytest.raises(cls) as info:
        T.parse(row_of(line), topic=topic)
    assert info.value.reason == message.split(" at byte ")[0]
    assert info.value.offset is None and info.value.row is None


def test_the_first_bad_row_is_reported():
    # A later structural problem must not hide an earlier bad value.
    payload = b"200,a,b,x\n200,a,b\n"
    with pytest.raises(InvalidValue) as info:
        smartrest.decode_messages(payload, topic="s/us")
    assert info.value.row == 0


@pytest.mark.parametrize("payload,start,row", [
    (b'400,a,"multi\nline"\r\n\r\n\n999\n', 23, 1),
    (b'\n\n999', 2, 0),
    ('400,a,"\u00e9\u00e9"\n999'.encode(), 13, 1),
    ('400,a,"\u00e9\u00e9"\n999', 13, 1),
])
def test_offset_is_the_start_of_the_row(payload, start, row):
    with pytest.raises(UnknownTemplate) as info:
        smartrest.decode_messages(payload, topic="s/us")
    assert (info.value.offset, info.value.row) == (start, row)


def test_a_value_with_a_line_break_is_not_a_number():
    with pytest.raises(InvalidValue):
        smartrest.decode_messages(b'200,a,b,"1\n2"\n', topic="s/us")


def test_topics_without_static_templates():
    with pytest.raises(UnknownTemplate, match=r"topic 's/uc/x' \(custom, up\) carries no static "
                                              r"templates or system messages \(see smartrest"):
        smartrest.decode_messages(b"100,1\n", topic="s/uc/x")


def test_error_pickles_with_its_names():
    import pickle

    with pytest.raises(MissingValue) as info:
        smartrest.decode_messages(b"200,a,b\n")
    again = pickle.loads(pickle.dumps(info.value))
    assert (again.template_id, again.field_name, again.offset, str(again)) == (
        200, "value", 0, str(info.value))


# ------------------------------------------------------------------ building


def test_build_a_measurement():
    msg = T.build(200, fragment="c8y_Temperature", series="T", value=25.3, unit="C")
    assert msg.to_row() == ["200", "c8y_Temperature", "T", "25.3", "C"]
    assert smartrest.encode([msg.to_row()]) == b"200,c8y_Temperature,T,25.3,C\n"
    when = dt.datetime(2016, 6, 22, 17, 3, 14, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    msg = T.build(200, fragment="f", series="s", value=1, time=when)
    assert msg.to_row() == ["200", "f", "s", "1", "", "2016-06-22T17:03:14.000+02:00"]


def test_build_leaves_out_trailing_optional_values_only():
    assert T.build(100, device_type="myType").to_row() == ["100", "", "myType"]
    assert T.build(100).to_row() == ["100"]
    assert T.build(511, serial="S").to_row() == ["511", "S", ""]  # docs do not say optional
    assert T.build(122, agent_name="a", agent_version="1", agent_maintainer="m").to_row() == [
        "122", "a", "1", "", "m"]


def test_build_groups_and_sections():
    msg = T.build(201, type="t", groups=[{"fragment": "f", "series": "s", "value": 2.5}])
    assert msg.to_row() == ["201", "t", "", "f", "s", "2.5", ""]
    src = T.parse(row_of(T.TEMPLATES[527].example), topic="s/ds")
    again = T.build(527, serial="DeviceSerial", groups=src.groups)
    assert again == src
    assert T.build(527, serial="S").to_row() == ["527", "S", "$FW", "$SW", "$CONF"]


def test_build_errors():
    with pytest.raises(MissingValue, match="template 200: mandatory value 'series' is empty"):
        T.build(200, fragment="f")
    with pytest.raises(InvalidValue, match="template 200: 'value' must be a number, not 'x'"):
        T.build(200, fragment="f", series="s", value="x")
    with pytest.raises(InvalidValue, match="has no UTC offset"):
        T.build(211, temperature_value=1, time=dt.datetime(2020, 1, 1))
    with pytest.raises(InvalidValue, match="is not a finite number"):
        T.build(211, temperature_value=float("nan"))
    with pytest.raises(TypeError, match="template 200 has no parameter 'colour'"):
        T.build(200, fragment="f", series="s", value=1, colour="red")
    with pytest.raises(TypeError, match="cannot encode a value of type object"):
        T.build(200, fragment="f", series="s", value=object())
    with pytest.raises(InvalidValue, match=r"'name' cannot be '\$SW', a section marker"):
        T.build(527, serial="S", groups=[{"section": "$SW", "name": "$SW"}])
    with pytest.raises(UnknownTemplate):
        T.build(999)


# ------------------------------------------------------------------ round trips


def _tz() -> st.SearchStrategy[dt.tzinfo]:
    return st.integers(-14 * 60, 14 * 60).map(
        lambda m: dt.timezone(dt.timedelta(minutes=m)))


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


def _value(param: T.Param, markers: Any) -> st.SearchStrategy[Any]:
    kind = param.type
    if kind == T.NUMBER:
        value: st.SearchStrategy[Any] = st.one_of(
            st.integers(), st.floats(allow_nan=False, allow_infinity=False))
    elif kind == T.INTEGER:
        value = st.integers()
    elif kind == T.BOOLEAN:
        value = st.booleans()
    elif kind == T.DATE:
        value = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                             timezones=_tz())
    else:
        value = _TEXT.filter(lambda s: s not in markers)
        if param.mandatory:
            value = value.filter(bool)
    return value if param.mandatory else st.one_of(st.none(), value)


@st.composite
def messages(draw: Any, t: T.Template) -> Dict[str, Any]:
    markers = set(t.markers)
    values = {p.name: draw(_value(p, markers)) for p in t.params}
    for positions in t.one_of:
        if all(values[t.names[i - 1]] in (None, "") for i in positions):
            values[t.names[positions[0] - 1]] = 1
    groups: List[Dict[str, Any]] = []
    for block in t.blocks:
        most = 1 if not block.repeating else 3
        for _ in range(draw(st.integers(block.min_items, most))):
            item = {p.name: draw(_value(p, markers)) for p in block.params}
            if block.marker:
                item["section"] = block.marker
            groups.append(item)
    return {"values": values, "groups": groups}


ALL = sorted(T.TEMPLATES.values(), key=lambda t: t.id) + [
    T.lookup(i, topic=topic) for i, topic in ((70, "s/dcr"), (71, "s/dat"), (20, "s/dt"),
                                               (41, "s/dt"))]


@pytest.mark.parametrize("t", ALL, ids=lambda t: f"{t.id}@{t.topic}")
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_round_trip_build_encode_decode_parse(t, data):
    drawn = data.draw(messages(t))
    msg = T.build(t.id, topic=t.topic, groups=drawn["groups"], **drawn["values"])
    payload = smartrest.encode([msg.to_row()])
    [back] = smartrest.decode_messages(payload, topic=t.topic, typed=True)
    assert back.to_row() == msg.to_row()
    assert back == msg if not t.has_serial else back.to_row() == msg.to_row()
    for name, value in drawn["values"].items():
        got = back[name]
        if value is None or value == "":
            assert got is None
        elif isinstance(value, dt.datetime):
            assert got == value.replace(microsecond=value.microsecond // 1000 * 1000)
        elif isinstance(value, bool) or t.params[t.index[name] - 1].type != T.NUMBER:
            assert got == value
        else:
            assert got == float(value)


@settings(max_examples=300, deadline=None)
@given(tid=st.sampled_from(sorted(T.TEMPLATES)),
       fields=st.lists(st.sampled_from(["", "x", "1", "-2.5", "true", "2020-01-01T00:00:00Z",
                                        "$SW", "$FW", "$CONF", "1e5", "02", "2020-02-30T00:00Z"]),
                       max_size=8))
def test_decode_messages_agrees_with_parse(tid, fields):
    # decode_messages checks rows in a fast way and values in batches; it
    # must accept and reject exactly what parse does, with the same error.
    row = [str(tid)] + fields
    try:
        expected = T.parse(row)
    except TemplateError as exc:
        with pytest.raises(type(exc)) as info:
            smartrest.decode_messages(smartrest.encode([row]))
        assert info.value.reason == exc.reason
    else:
        assert smartrest.decode_messages(smartrest.encode([row])) == [expected]


# ------------------------------------------------------------------ lenient mode

from smartrest.templates import payload as _TP  # noqa: E402

#: (payload, what lenient mode reads: (message ID, values, relaxed) per row).
LENIENT = [
    (b"102,tedge-agent,", [("102", ["102", "tedge-agent", ""],
                            ((2, "empty"), (3, "empty"), (4, "empty")))]),
    (b"102,svc", [("102", ["102", "svc"], ((2, "empty"), (3, "empty"), (4, "empty")))]),
    (b"102,svc,,,", [("102", ["102", "svc", "", "", ""],
                      ((2, "empty"), (3, "empty"), (4, "empty")))]),
    (b"102,svc,systemd,,up", [("102", ["102", "svc", "systemd", "", "up"], ((3, "empty"),))]),
    (b"140,curl,,apt,,vim,9.0,apt", [("140", ["140", "curl", "", "apt", "", "vim", "9.0", "apt"],
                                       ((2, "empty"),))]),
    (b"141,a,,,,b,", [("141", ["141", "a", "", "", "", "b", ""], ((2, "empty"), (6, "empty")))]),
    (b"114, c8y_Restart,  c8y_Configuration", [
        ("114", ["114", "c8y_Restart", "c8y_Configuration"],
         ((1, "leading spaces"), (2, "leading spaces")))]),
    # Quoted values keep their spaces; a tab is no space; the space is only
    # stripped before the value.
    (b'114," c8y_Restart", "x", \tc8y_A,c8y_B ', [
        ("114", ["114", " c8y_Restart", '"x"', "\tc8y_A", "c8y_B "],
         ((2, "leading spaces"), (3, "leading spaces")))]),
    (b"200, c8y_T, T, 25\n102,svc, ", [
        ("200", ["200", "c8y_T", "T", "25"],
         ((1, "leading spaces"), (2, "leading spaces"), (3, "leading spaces"))),
        ("102", ["102", "svc", ""],
         ((2, "empty"), (2, "leading spaces"), (3, "empty"), (4, "empty")))]),
    (b"200,c8y_T,T,25", [("200", ["200", "c8y_T", "T", "25"], ())]),
]


@pytest.mark.parametrize("use_fast", [True, False])
@pytest.mark.parametrize("payload,want", LENIENT)
def test_lenient_mode_on_both_implementations(impl, monkeypatch, use_fast, payload, want):
    monkeypatch.setattr(smartrest, "decode", impl.decode)
    if not use_fast:
        monkeypatch.setattr(_TP, "_FAST", None)
    for decode_messages in (T.decode_messages, smartrest.decode_messages):
        msgs = decode_messages(payload, lenient=True, topic="s/us")
        assert [(m.template_id, m.to_row(), m.relaxed) for m in msgs] == [
            (int(i), values, relaxed) for i, values, relaxed in want]
    for m, (_, values, relaxed) in zip(msgs, want):
        assert ("relaxed=" in repr(m)) == bool(relaxed)
        # parse takes every value as unquoted: the same unless a quoted one
        # started with a space.
        if b'" ' not in payload and b'," ' not in payload:
            again = T.parse(impl.decode(payload)[msgs.index(m)], lenient=True)
            assert (again.to_row(), again.relaxed) == (values, relaxed)


def test_parse_lenient_strips_every_value():
    msg = T.parse(["114", " c8y_Restart"], lenient=True)
    assert msg.to_row() == ["114", "c8y_Restart"] and msg.relaxed == ((1, "leading spaces"),)
    assert T.parse(["114", " c8y_Restart"]).to_row() == ["114", " c8y_Restart"]
    assert T.parse(["114", " c8y_Restart"]).relaxed == ()
    assert T.parse(["114", " c8y_Restart"], lenient=True) == T.parse(["114", "c8y_Restart"])


def test_lenient_mode_keeps_the_text_of_an_error_line():
    (msg,) = T.decode_messages(b"40,100, some text, more", topic="s/e", lenient=True)
    assert msg["text"] == " some text, more" and msg.relaxed == ()


#: (payload, the error of strict mode: class, field, field name).
STRICT_REFUSES = [
    (b"102,tedge-agent,", MissingValue, 3, "service_name"),
    (b"102,svc,,,", MissingValue, 2, "service_type"),
    (b"140,curl,,apt,", MissingValue, 2, "version"),
    (b"141,a,1,,,b,", MissingValue, 6, "version"),
    (b"200, c8y_T, T, 25", InvalidValue, 3, "value"),
]


@pytest.mark.parametrize("use_fast", [True, False])
@pytest.mark.parametrize("payload,cls,field,name", STRICT_REFUSES)
def test_strict_mode_still_refuses(impl, monkeypatch, use_fast, payload, cls, field, name):
    monkeypatch.setattr(smartrest, "decode", impl.decode)
    if not use_fast:
        monkeypatch.setattr(_TP, "_FAST", None)
    with pytest.raises(cls) as info:
        T.decode_messages(payload, topic="s/us")
    assert (type(info.value), info.value.field, info.value.field_name, info.value.row) == (
        cls, field, name, 0)
    with pytest.raises(cls):
        T.parse(impl.decode(payload)[0])


@pytest.mark.parametrize("payload,cls,field", [
    (b"200,a,b,1\n102,,x", MissingValue, 1),  # the external ID stays mandatory
    (b"142,a,", MissingValue, 2),  # not listed: removing needs the version
    (b"140,a", IncompleteGroup, 2),  # the version may be empty, not left out
    (b"200,c8y_T,T, x", InvalidValue, 3),  # stripped values are still checked
])
def test_lenient_mode_refuses_the_rest(impl, monkeypatch, payload, cls, field):
    monkeypatch.setattr(smartrest, "decode", impl.decode)
    with pytest.raises(cls) as info:
        T.decode_messages(payload, lenient=True)
    assert info.value.field == field
    assert info.value.row == payload.count(b"\n")
    assert info.value.offset == payload.rfind(b"\n") + 1


def test_a_digit_that_is_not_a_number_is_an_unknown_template() -> None:
    # str.isdigit accepts '²', which int() refuses: the template ID is
    # unknown, not a crash (found by Hypothesis through the CLI writer).
    with pytest.raises(errors.UnknownTemplate) as info:
        smartrest.decode_messages("²,1\n")
    assert info.value.template_id is None and info.value.offset == 0
