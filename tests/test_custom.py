"""SmartREST 2.0 custom template collections: both sides, every documented example."""

from __future__ import annotations

import datetime as dt
import json
import re
from importlib import resources
from typing import Any, Dict, List

import pytest

import smartrest
from smartrest import custom as C
from smartrest.errors import (
    AmbiguousResponse,
    DuplicateTemplate,
    InvalidTopic,
    InvalidValue,
    MissingValue,
    PayloadTooLarge,
    TemplateError,
    TooManyValues,
    UnknownTemplate,
)

SPEC = json.loads(resources.files("smartrest").joinpath("data", "templates.json")
                  .read_text("utf-8"))["smartrest2"]
EXAMPLES: List[Dict[str, Any]] = SPEC["examples"]

# The docs annotate two example lines in parentheses ("(only in SR2_10X)",
# "(no external ID)"); the annotation is no part of the row.
_ANNOTATION = re.compile(r" \([^)]*\)$")


def rows(text: str) -> List[List[str]]:
    return smartrest.decode("\n".join(_ANNOTATION.sub("", line) for line in text.split("\n")))


def row(line: str) -> List[str]:
    (only,) = rows(line)
    return only


def collection(text: str, xid: str = "myXid") -> C.TemplateCollection:
    return C.TemplateCollection(xid, rows(text))


def example(create: str) -> Dict[str, Any]:
    (found,) = [e for e in EXAMPLES if e["create"] == create]
    return found


def test_annotations_stripped_are_only_the_two_known_ones():
    lines = [line for e in EXAMPLES for line in [e["create"], *e.get("use", [])]]
    assert sorted(m.group(0) for line in lines for m in [_ANNOTATION.search(line)] if m) == [
        " (no external ID)", " (only in SR2_10X)"]


# ------------------------------------------------------------------ every example

USES = [(i, line) for i, e in enumerate(EXAMPLES) for line in e.get("use", [])]
# The one usage the docs get wrong (see test_example_used_without_its_value).
REFUSED = {(4, "100")}


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_every_example_collection_reads_and_round_trips(index):
    c = collection(EXAMPLES[index]["create"])
    again = C.TemplateCollection(c.xid, c.to_rows())
    assert again == c
    assert C.TemplateCollection.from_payload(c.xid, c.to_payload()) == c
    assert again.to_rows() == c.to_rows()


@pytest.mark.parametrize("index,line", [u for u in USES if u not in REFUSED])
def test_every_example_usage_both_directions(index, line):
    c = collection(EXAMPLES[index]["create"])
    device_row = row(line)
    c.to_request(device_row)  # the gateway reads it
    assert c.request(device_row[0], *device_row[1:]) == device_row  # the device writes it


def test_example_used_without_its_value():
    # The docs use "10,100,POST,MEASUREMENT,false,...,M.value,NUMBER," as plain
    # "100": the value of the measurement is empty in the template and so is
    # the device's to send; templates.json notes the inconsistency.  Leaving
    # out the empty DATE is allowed, leaving out the value is not.
    e = EXAMPLES[4]
    assert "inconsistency" in e["note"]
    c = collection(e["create"])
    assert [f.name for f in c.requests["100"].fields] == ["time", "c8y_MyMeasurement.M.value"]
    with pytest.raises(MissingValue) as info:
        c.to_request(row(e["use"][0]))
    assert info.value.field_name == "c8y_MyMeasurement.M.value"
    with pytest.raises(MissingValue):
        c.request(100)
    assert c.to_request(["100", "21.5"]).body == {
        "type": "c8y_MyMeasurement", "c8y_MyMeasurement": {"M": {"value": 21.5}}}


def test_measurement_with_time_and_without():
    c = collection(EXAMPLES[0]["create"])
    first, second = (c.to_request(row(u)) for u in EXAMPLES[0]["use"])
    assert (first.method, first.api, first.target, first.response) == (
        "POST", "MEASUREMENT", {}, False)
    assert first.body == {"type": "c8y_MyMeasurement", "time": "2016-06-22T17:03:14.000+02:00",
                          "c8y_MyMeasurement": {"M": {"value": 25}}}
    assert first.server_time == ()
    assert second.body == {"type": "c8y_MyMeasurement", "c8y_MyMeasurement": {"M": {"value": 25}}}
    assert second.server_time == ("time",)
    when = dt.datetime(2016, 6, 22, 17, 3, 14, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert c.request(999, when, 25) == row(EXAMPLES[0]["use"][0])
    assert c.request("999", None, 25) == row(EXAMPLES[0]["use"][1])


def test_measurement_with_its_date_left_out():
    # "time left empty but not sent -> server time": the line holds the
    # value only, although the time comes first in the template.
    e = example("10,999,POST,MEASUREMENT,,c8y_CustomMeasurement,,"
                "c8y_CustomMeasurement.custom.value,NUMBER,,"
                "c8y_CustomMeasurement.custom.unit,STRING,X")
    c = collection(e["create"])
    r = c.to_request(row(e["use"][0]))
    assert r.body == {"type": "c8y_CustomMeasurement",
                      "c8y_CustomMeasurement": {"custom": {"value": 30.6, "unit": "X"}}}
    assert r.server_time == ("time",)
    assert c.request(999, 30.6) == ["999", "30.6"]
    assert c.request(999, None, 30.6) == ["999", "", "30.6"]
    assert c.to_request(["999", "", "30.6"]) == r


@pytest.mark.parametrize("create,use,target", [
    ("10,999,GET,INVENTORY,,true", "999,123456", {"id": "123456"}),
    ("10,999,GET,INVENTORY,,false,c8y_Serial", "999,myDeviceImei",
     {"externalIdType": "c8y_Serial", "externalId": "myDeviceImei"}),
    # "type first, then ID"
    ("10,999,GET,INVENTORY,,false", "999,c8y_Serial,myDeviceImei",
     {"externalIdType": "c8y_Serial", "externalId": "myDeviceImei"}),
])
def test_get_inventory(create, use, target):
    c = collection(example(create)["create"])
    assert use in example(create)["use"]
    r = c.to_request(row(use))
    assert (r.method, r.api, r.body, r.target, r.response) == ("GET", "INVENTORY", {}, target,
                                                               True)


def test_get_inventory_type_first_post_inventory_value_first():
    # The docs' two orders: GET INVENTORY takes the type, then the ID;
    # POST INVENTORY the ID, then the type ("value then type -- opposite").
    get = collection("10,1,GET,INVENTORY,,false").requests["1"]
    post = collection("10,1,POST,INVENTORY,,").requests["1"]
    assert [f.name for f in get.fields] == ["externalIdType", "externalId"]
    assert [f.name for f in post.fields] == ["externalId", "externalIdType"]
    assert "opposite" in example("10,101,POST,INVENTORY,, (only in SR2_10X)")["note"]


def test_post_inventory_with_fixed_type():
    e = example("10,100,POST,INVENTORY,,c8y_MySerial")
    r = collection(e["create"]).to_request(row(e["use"][0]))
    assert (r.method, r.api, r.body, r.target) == (
        "POST", "INVENTORY", {}, {"externalIdType": "c8y_MySerial", "externalId": "myImei"})


def test_post_inventory_with_and_without_external_id():
    e = example("10,101,POST,INVENTORY,, (only in SR2_10X)")
    c = collection(e["create"])
    with_id, without = (c.to_request(row(u)) for u in e["use"])
    assert with_id.target == {"externalIdType": "c8y_MySerial", "externalId": "myImei"}
    assert without.target == {}  # "no external ID"
    assert without.body == {}
    with pytest.raises(MissingValue) as info:
        c.to_request(["101", "myImei", ""])
    assert (info.value.field_name, info.value.field) == ("externalIdType", 2)


def test_put_inventory():
    e = example("10,999,PUT,INVENTORY,,false,c8y_Serial,c8y_MyCustomValue,STRING,")
    r = collection(e["create"]).to_request(row(e["use"][0]))
    assert (r.method, r.api, r.body, r.target, r.response) == (
        "PUT", "INVENTORY", {"c8y_MyCustomValue": "myValue"},
        {"externalIdType": "c8y_Serial", "externalId": "myDeviceImei"}, False)


def test_event_and_alarm_with_every_value_fixed():
    # "10,101,POST,EVENT,,c8y_CustomEvent,mytext,," ends in two empty values:
    # the time and one past it; both are left-out values, so "101" is whole.
    event = collection(example("10,101,POST,EVENT,,c8y_CustomEvent,mytext,,")["create"])
    r = event.to_request(["101"])
    assert (r.method, r.api, r.body, r.server_time) == (
        "POST", "EVENT", {"type": "c8y_CustomEvent", "text": "mytext"}, ("time",))
    assert event.request(101) == ["101"]
    assert event.request(101, "2020-01-01T00:00:00Z") == ["101", "2020-01-01T00:00:00Z"]
    alarm = collection(example("10,102,POST,ALARM,,c8y_CustomAlarm,mytext,ACTIVE,MAJOR,")
                       ["create"])
    assert alarm.to_request(["102"]).body == {"type": "c8y_CustomAlarm", "text": "mytext",
                                              "status": "ACTIVE", "severity": "MAJOR"}


def test_put_alarm_with_value_column_left_out():
    # "value column omitted entirely (trailing) = empty"
    e = example("10,999,PUT,ALARM,,c8y_MyCustomAlarm,status,ALARMSTATUS")
    c = collection(e["create"])
    assert c.requests["999"].custom == (C.CustomValue("status", C.ALARMSTATUS, ""),)
    r = c.to_request(row(e["use"][0]))
    assert (r.method, r.api, r.body, r.target) == (
        "PUT", "ALARM", {"status": "CLEARED"}, {"type": "c8y_MyCustomAlarm"})
    with pytest.raises(InvalidValue):
        c.request(999, "OPEN")


def test_put_alarm_with_fixed_status_and_reason():
    e = example("10,999,PUT,ALARM,,c8y_MyCustomALarm,status,ALARMSTATUS,CLEARED,"
                "c8y_CustomFragment.reason,STRING,")
    r = collection(e["create"]).to_request(row(e["use"][0]))
    assert r.body == {"status": "CLEARED",
                      "c8y_CustomFragment": {"reason": "Device resolved alarm on its own"}}
    assert r.target == {"type": "c8y_MyCustomALarm"}


def test_put_operation():
    e = example("10,999,PUT,OPERATION,,c8y_MyOperation,status,OPERATIONSTATUS,SUCCESSFUL,"
                "c8y_Fragment.val,NUMBER,")
    r = collection(e["create"]).to_request(row(e["use"][0]))
    assert (r.method, r.api, r.body, r.target) == (
        "PUT", "OPERATION", {"status": "SUCCESSFUL", "c8y_Fragment": {"val": 24}},
        {"fragment": "c8y_MyOperation"})


# ------------------------------------------------------------------ responses


def test_get_result_rendered_and_read():
    e = EXAMPLES[14]
    c = collection(e["create"])
    request = c.to_request(row(e["use"][0]))
    assert (request.target, request.response) == ({"id": "12345"}, True)
    expected = row(e["receive_on_s/dc"][0])
    # The docs show the configuration as "val1=1\nval2=2" inside quotes;
    # by the dialect that \n is two characters.  The object below holds
    # whatever the documented line decodes to, and c8y_Test is absent.
    obj = {"id": "12345", "type": "myMqttDevice", "c8y_IsDevice": {},
           "c8y_Configuration": expected[3]}
    assert c.render_responses(obj) == [expected]
    assert c.render_responses({"type": "x"}) == []  # no c8y_IsDevice: the condition fails
    got = c.parse_response(expected)
    assert got.device is None and got.msg_id == "888"
    assert got.values == {"type": "myMqttDevice", "c8y_Test": "",
                          "c8y_Configuration": "val1=1\\nval2=2"}


def test_operation_rendered_by_every_matching_template():
    e = EXAMPLES[15]
    c = collection(e["create"])
    assert "myMqttTestDevice" in e["trigger"]
    operation = {"deviceId": 67890, "c8y_CustomConfiguration": {
        "val1": "1", "val2": "2", "customValues": ["a", "b", "c"]}}
    expected = [row(line) for line in e["receive_on_s/dc"]]
    assert c.render_responses(operation, device="myMqttTestDevice") == expected  # 444 not sent
    with pytest.raises(AmbiguousResponse):
        c.parse_response(expected[0])  # the [*] pattern: with or without a device ID?
    first = c.parse_response(expected[0], operation=True)
    assert first.device == "myMqttTestDevice"
    assert first.values == {"val1": "1", "val2": "2", "customValues[*]": ["a", "b", "c"]}
    second = c.parse_response(expected[1])  # no [*]: the count says there is a device ID
    assert (second.device, second["c8y_CustomConfiguration.val1"]) == ("myMqttTestDevice", "1")
    third = c.parse_response(expected[2], operation=True)
    assert third.values == {"val1": "", "val2": "", "customValues[*]": []}


def test_list_pattern_expands():
    e = EXAMPLES[16]
    c = collection(e["create"])
    assert c.responses["888"].patterns == ("$.myList[*].type",)
    expected = row(e["receive_on_s/dc"][0])
    obj = {"id": "12345", "myList": [{"type": "test"}, {"type": "test2"}]}
    assert c.render_responses(obj) == [expected]
    assert c.parse_response(expected, operation=False).values == {
        "$.myList[*].type": ["test", "test2"]}


def test_operation_device_id_inserted():
    e = EXAMPLES[17]
    c = collection(e["create"])
    expected = row(e["receive"][0])
    operation = {"id": "1", "deviceId": 4801, "c8y_SendConfiguration": {}}
    assert c.render_responses(operation, device="DeviceSerial") == [expected]
    assert c.parse_response(expected).values == {"deviceId": "4801"}
    assert c.render_responses({"deviceId": 4801}, device="DeviceSerial") == []


def test_rendering_of_json_values():
    c = collection("11,1,,,a,b,c,d,e,f,g[0],g[5],h[*],$")
    obj = {"a": True, "b": None, "c": 1.5, "d": {"x": [1]}, "e": "t", "f": 0,
           "g": ["first"], "h": {"k1": "v1", "k2": "v2"}}
    assert c.render_responses(obj) == [[
        "1", "true", "", "1.5", '{"x":[1]}', "t", "0", "first", "", "v1", "v2",
        json.dumps(obj, separators=(",", ":"))]]
    with pytest.raises(TypeError):
        c.render_responses(["not", "an", "object"])  # type: ignore[arg-type]


def test_base_that_does_not_resolve_gives_empty_values():
    c = collection("11,1,nowhere,,a,b")
    assert c.render_responses({"a": 1}) == [["1", "", ""]]


# ------------------------------------------------------------------ values


def test_custom_values_typed():
    c = collection("10,1,PUT,INVENTORY,,true,,"
                   "n.int,NUMBER,,n.float,NUMBER,,n.exp,NUMBER,,i,INTEGER,,u,UNSIGNED,,"
                   "f,FLAG,,d,DATE,,s,SEVERITY,,a,ALARMSTATUS,,o,OPERATIONSTATUS,,plain,,")
    t = c.requests["1"]
    assert [f.type for f in t.fields] == [
        "STRING", "NUMBER", "NUMBER", "NUMBER", "INTEGER", "UNSIGNED", "DATE", "SEVERITY",
        "ALARMSTATUS", "OPERATIONSTATUS", "STRING"]  # the ID, then no FLAG: never sent
    line = c.request(1, "42", 7, 2.5, "1e3", -3, 0,
                     dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
                     "WARNING", "ACKNOWLEDGED", "EXECUTING", "")
    r = c.to_request(line)
    assert r.target == {"id": "42"}
    assert r.body == {"n": {"int": 7, "float": 2.5, "exp": 1000.0}, "i": -3, "u": 0, "f": {},
                      "d": "2020-01-02T03:04:05.000+00:00", "s": "WARNING",
                      "a": "ACKNOWLEDGED", "o": "EXECUTING", "plain": ""}
    assert type(r.body["n"]["int"]) is int and type(r.body["n"]["exp"]) is float


@pytest.mark.parametrize("position,bad", [
    (2, "seven"), (3, "1e999"), (5, "1.5"), (6, "-1"), (7, "2020-13-01T00:00:00Z"),
    (8, "HIGH"), (9, "OPEN"), (10, "DONE"),
])
def test_device_values_checked(position, bad):
    c = collection("10,1,PUT,INVENTORY,,true,,"
                   "n.int,NUMBER,,n.float,NUMBER,,n.exp,NUMBER,,i,INTEGER,,u,UNSIGNED,,"
                   "d,DATE,,s,SEVERITY,,a,ALARMSTATUS,,o,OPERATIONSTATUS,")
    good = ["1", "42", "1", "1", "1", "1", "1", "2020-01-01T00:00:00Z", "MAJOR", "ACTIVE",
            "FAILED"]
    c.to_request(good)
    line = good[:position] + [bad] + good[position + 1:]
    with pytest.raises(InvalidValue) as info:
        c.to_request(line)
    assert info.value.field == position
    assert info.value.field_name == c.requests["1"].fields[position - 1].name
    with pytest.raises(InvalidValue):
        c.request(1, *line[1:])


def test_enums():
    assert C.ENUMS[C.SEVERITY] == ("CRITICAL", "MAJOR", "MINOR", "WARNING")
    assert set(C.VALUE_TYPES) == {"STRING", "DATE", "NUMBER", "INTEGER", "UNSIGNED", "FLAG",
                                  "SEVERITY", "ALARMSTATUS", "OPERATIONSTATUS"}


# ------------------------------------------------------------------ device-side errors


def test_request_errors():
    c = collection("10,1,POST,EVENT,,,,\n10,2,POST,MEASUREMENT,,t,,a,NUMBER,,b,DATE,\n"
                   "11,3,,,x")
    assert [f.name for f in c.requests["1"].fields] == ["type", "text", "time"]
    with pytest.raises(MissingValue) as info:
        c.request(1, "", "text")  # the time left out, but the type is empty
    assert (info.value.field_name, info.value.field) == ("type", 1)
    with pytest.raises(MissingValue) as info:
        c.request(1, "t")
    assert info.value.field_name == "text"
    with pytest.raises(TooManyValues):
        c.request(1, "t", "x", None, "more")
    with pytest.raises(MissingValue) as info:
        c.request(2, None, 1)  # two DATEs: all of them or none
    assert info.value.field_name == "b"
    assert c.request(2, 1.5) == ["2", "1.5"]
    assert c.request(2, None, 1, None) == ["2", "", "1", ""]
    with pytest.raises(InvalidValue):
        c.request(1, "t", "x", dt.datetime(2020, 1, 1))  # naive: no offset to write
    with pytest.raises(InvalidValue):
        c.request(2, float("nan"))
    with pytest.raises(TypeError):
        c.request(2, object())
    with pytest.raises(UnknownTemplate) as unknown:
        c.request(3)
    assert "response template" in str(unknown.value)
    with pytest.raises(UnknownTemplate):
        c.to_request(["4"])
    with pytest.raises(TypeError):
        c.to_request("1,t,x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        c.to_request([])
    alarm = collection("10,5,PUT,ALARM,,c8y_A,status,ALARMSTATUS")
    with pytest.raises(TooManyValues) as info:
        alarm.to_request(["5", "CLEARED", "more"])
    assert info.value.field == 2 and "asks for 1 (status)" in str(info.value)


def test_response_errors():
    c = collection("11,1,,,a,b\n11,2,,,a[*],b[*]\n10,3,GET,INVENTORY,,true")
    with pytest.raises(MissingValue):
        c.parse_response(["1", "x"])
    with pytest.raises(TooManyValues):
        c.parse_response(["1", "dev", "x", "y", "z"])
    with pytest.raises(TooManyValues):
        c.parse_response(["1", "dev", "x", "y"], operation=False)
    assert c.parse_response(["1", "x", "y"]).device is None
    with pytest.raises(AmbiguousResponse):
        c.parse_response(["2", "x", "y", "z"], operation=False)  # where does a[*] end?
    assert c.parse_response(["2", "x", "y"], operation=False).values == {
        "a[*]": ["x"], "b[*]": ["y"]}
    with pytest.raises(UnknownTemplate) as info:
        c.parse_response(["3", "x"])
    assert "request template" in str(info.value)


# ------------------------------------------------------------------ collection errors


@pytest.mark.parametrize("text,error,row_index,field,hint", [
    ("12,1,POST,EVENT", UnknownTemplate, 0, 0, "not 10"),
    ("10,,POST,EVENT", MissingValue, 0, 1, "message ID"),
    ("10,1,POST,EVENT\n11,1,,,a", DuplicateTemplate, 1, 1, "row 0"),
    ("10,1,POST", MissingValue, 0, 3, "method,api"),
    ("10,1,MEASUREMENT,POST", InvalidValue, 0, 2, "quick reference"),
    ("10,1,DELETE,ALARM", InvalidValue, 0, 2, "method"),
    ("10,1,POST,AUDIT", InvalidValue, 0, 3, "api"),
    ("10,1,GET,ALARM,,x", InvalidValue, 0, 3, "not supported"),
    ("10,1,PUT,EVENT", InvalidValue, 0, 3, "not supported"),
    ("10,1,POST,EVENT,yes", InvalidValue, 0, 4, "true or false"),
    ("10,1,GET,INVENTORY", MissingValue, 0, 5, "byId"),
    ("10,1,PUT,INVENTORY,,,c8y_Serial", MissingValue, 0, 5, "byId"),
    ("10,1,GET,INVENTORY,,maybe", InvalidValue, 0, 5, "byId"),
    ("10,1,POST,EVENT,,t,x,yesterday", InvalidValue, 0, 7, "time"),
    ("10,1,POST,ALARM,,t,x,OPEN", InvalidValue, 0, 7, "ACTIVE"),
    ("10,1,POST,ALARM,,t,x,ACTIVE,HIGH", InvalidValue, 0, 8, "CRITICAL"),
    ("10,1,GET,INVENTORY,,false,c8y_Serial,a,STRING,", TooManyValues, 0, 7, "no custom"),
    ("10,1,PUT,ALARM,,t,,STRING,x", MissingValue, 0, 6, "JSON path"),
    ("10,1,PUT,ALARM,,t,a..b", InvalidValue, 0, 6, "malformed"),
    ("10,1,PUT,ALARM,,t,a[*]", InvalidValue, 0, 6, "keys"),
    ("10,1,PUT,ALARM,,t,$", InvalidValue, 0, 6, "keys"),
    ("10,1,PUT,ALARM,,t,a,FLOAT", InvalidValue, 0, 7, "FLAG"),
    ("10,1,PUT,ALARM,,t,a,string", InvalidValue, 0, 7, "STRING"),
    ("10,1,PUT,ALARM,,t,a,FLAG,yes", InvalidValue, 0, 8, "takes no value"),
    ("10,1,PUT,ALARM,,t,a,NUMBER,abc", InvalidValue, 0, 8, "a number"),
    ("10,1,PUT,ALARM,,t,a,INTEGER,1.5", InvalidValue, 0, 8, "an integer"),
    ("10,1,PUT,ALARM,,t,a,UNSIGNED,-1", InvalidValue, 0, 8, "unsigned"),
    ("10,1,PUT,ALARM,,t,a,DATE,2020", InvalidValue, 0, 8, "ISO 8601"),
    ("10,1,PUT,ALARM,,t,a,SEVERITY,major", InvalidValue, 0, 8, "MAJOR"),
    ("10,1,PUT,ALARM,,t,a,ALARMSTATUS,OPEN", InvalidValue, 0, 8, "CLEARED"),
    ("10,1,PUT,ALARM,,t,a,OPERATIONSTATUS,DONE", InvalidValue, 0, 8, "SUCCESSFUL"),
    ("10,1,PUT,ALARM,,t,a.b,STRING,,a.b.c,STRING,", InvalidValue, 0, 9, "overlaps"),
    ("10,1,PUT,ALARM,,t,a.b,STRING,,a,STRING,", InvalidValue, 0, 6, "overlaps"),
    ("10,1,PUT,ALARM,,t,a,STRING,,$.a,NUMBER,", InvalidValue, 0, 9, "overlaps"),
    ("10,1,POST,MEASUREMENT,,t,,time.x,STRING,", InvalidValue, 0, 7, "overlaps"),
    ("11,1", MissingValue, 0, 4, "pattern"),
    ("11,1,base,cond", MissingValue, 0, 4, "pattern"),
    ("11,1,,,a,,b", MissingValue, 0, 5, "empty"),
    ("11,1,,,a,a", InvalidValue, 0, 5, "twice"),
    ("11,1,a[x],,a", InvalidValue, 0, 2, "malformed"),
    ("11,1,,a]b,a", InvalidValue, 0, 3, "malformed"),
    ("11,1,,,a.", InvalidValue, 0, 4, "malformed"),
])
def test_collection_checks(text, error, row_index, field, hint):
    with pytest.raises(error) as info:
        collection(text)
    err = info.value
    assert isinstance(err, TemplateError)
    assert (err.row, err.field) == (row_index, field)
    assert hint in str(err)


def test_swapped_method_and_api_is_the_documented_mistake():
    assert any("swaps" in d or "api,method" in d for d in SPEC["doc_inconsistencies"])
    with pytest.raises(InvalidValue, match="swapped"):
        collection("10,1,MEASUREMENT,POST,,c8y_M")


def test_empty_collection_and_bad_xid():
    with pytest.raises(MissingValue, match="status"):
        C.TemplateCollection("x", [])
    with pytest.raises(InvalidTopic):
        C.TemplateCollection("a/b", [["11", "1", "", "", "a"]])
    with pytest.raises(TypeError):
        C.TemplateCollection("x", [["11", 1, "", "", "a"]])  # type: ignore[list-item]


def test_message_ids_need_not_be_numbers():
    c = collection("10,temp,POST,MEASUREMENT,,c8y_T,,c8y_T.T.value,NUMBER,")
    assert c.request("temp", None, 21) == ["temp", "", "21"]
    with pytest.raises(DuplicateTemplate) as info:
        collection("11,temp,,,a\n10,temp,POST,EVENT")
    assert info.value.template_id is None


# ------------------------------------------------------------------ writing


ROUND_TRIP = """\
10,100,POST,MEASUREMENT,,c8y_Temperature,,c8y_Temperature.T.value,NUMBER,,c8y_Temperature.T.unit,,C
10,101,POST,EVENT,true,c8y_Event,"text, with a comma",,c8y_IsNew,FLAG
10,102,POST,ALARM,,c8y_Alarm,,ACTIVE,,,c8y_Details.count,UNSIGNED,
10,103,POST,INVENTORY,,c8y_Serial,c8y_IsDevice,FLAG,,name,,
10,104,GET,INVENTORY,false,false
10,105,PUT,INVENTORY,,false,c8y_Serial,c8y_Firmware.version,STRING,
10,106,PUT,ALARM,,c8y_Alarm,status,ALARMSTATUS,CLEARED
10,107,PUT,OPERATION,,c8y_Restart,status,OPERATIONSTATUS,
11,200,c8y_Configuration,deviceId,config,"$.files[*].name"
11,201,,,name,type
"""


def test_round_trip_collection_rows_collection():
    c = collection(ROUND_TRIP, "myXid")
    written = c.to_rows()
    assert written[1] == ["10", "101", "POST", "EVENT", "true", "c8y_Event",
                          "text, with a comma", "", "c8y_IsNew", "FLAG"]
    assert written[0][11] == "STRING"  # the empty type spelled out
    again = C.TemplateCollection("myXid", written)
    assert again == c and again.to_rows() == written
    payload = c.to_payload()
    assert C.TemplateCollection.from_payload("myXid", payload) == c
    assert smartrest.decode(payload) == written
    assert list(c.requests) == [str(i) for i in range(100, 108)]
    assert list(c.responses) == ["200", "201"]
    assert c.topic == "s/ut/myXid"
    assert C.TemplateCollection("other", written) != c
    assert hash(again) == hash(c) and len({c, again}) == 1 and c != "myXid"
    assert repr(c) == ("TemplateCollection('myXid', requests=['100', '101', '102', '103', "
                       "'104', '105', '106', '107'], responses=['200', '201'])")


def test_round_trip_rows_of_the_device():
    c = collection(ROUND_TRIP)
    cases = {
        "100": (None, 21.5),
        "101": ("2020-01-01T00:00:00Z",),
        "102": ("raised", "MAJOR", None, 3),
        "103": ("serial-1", "my device"),
        "104": ("c8y_Serial", "serial-1"),
        "105": ("serial-1", "1.0"),
        "106": (),
        "107": ("SUCCESSFUL",),
    }
    for msg_id, values in cases.items():
        line = c.request(msg_id, *values)
        payload = smartrest.encode([line])
        (decoded,) = smartrest.decode(payload)
        assert decoded == line
        c.to_request(decoded)
    r = c.to_request(c.request("103", "serial-1", "my device"))
    assert r.body == {"c8y_IsDevice": {}, "name": "my device"}
    assert r.target == {"externalIdType": "c8y_Serial", "externalId": "serial-1"}
    assert c.to_request(c.request("104", "c8y_Serial", "s")).response is False


def test_collection_too_large_for_one_publish():
    rows_ = [["10", str(i), "POST", "EVENT", "", "t" * 100, "x" * 100] for i in range(200)]
    c = C.TemplateCollection("big", rows_)
    with pytest.raises(PayloadTooLarge) as info:
        c.to_payload()
    assert "one publish" in str(info.value)
    size = smartrest.packet_size("s/ut/big", len(smartrest.encode(rows_)))
    assert len(c.to_payload(limit=size)) == len(smartrest.encode(rows_))
    with pytest.raises(PayloadTooLarge):
        c.to_payload(limit=size - 1)


# ------------------------------------------------------------------ s/dt


def test_status_replies():
    exists = C.parse_status(["20", "myXid", "12345"])
    assert (exists.template_id, exists["xid"], exists["collection_id"]) == (20, "myXid", "12345")
    missing = C.parse_status(["41", "myXid"])
    assert (missing.template_id, missing["xid"]) == (41, "myXid")
    assert C.STATUS_TOPIC == "s/dt"
    assert [m.template_id for m in smartrest.decode_messages(
        b"20,myXid,12345\n41,other\n", topic=C.STATUS_TOPIC)] == [20, 41]
    with pytest.raises(UnknownTemplate):
        C.parse_status(["21", "myXid"])  # no such code (smartrest/data/templates.json lists the codes)
    with pytest.raises(MissingValue):
        C.parse_status(["20", "myXid"])
    with pytest.raises(TooManyValues):
        C.parse_status(["41", "myXid", "1"])
