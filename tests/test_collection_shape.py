"""Every collection row of the docs is written back byte for byte.

The rows are those of the examples of ``smartrest/data/templates.json``
(``smartrest2.examples``), copied here; the annotations in parentheses the
docs add to two of them are no part of the rows.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

import smartrest
from smartrest import custom as C

#: Every ``10`` and ``11`` row of the docs' collection examples, one
#: collection per entry, as the docs write them.
DOCS = [
    "10,999,POST,MEASUREMENT,,c8y_MyMeasurement,,c8y_MyMeasurement.M.value,NUMBER,",
    "10,999,GET,INVENTORY,,true",
    "10,999,GET,INVENTORY,,false,c8y_Serial",
    "10,999,GET,INVENTORY,,false",
    "10,100,POST,MEASUREMENT,false,c8y_MyMeasurement,,c8y_MyMeasurement.M.value,NUMBER,",
    "10,101,POST,EVENT,,c8y_CustomEvent,mytext,,",
    "10,102,POST,ALARM,,c8y_CustomAlarm,mytext,ACTIVE,MAJOR,",
    "10,100,POST,INVENTORY,,c8y_MySerial",
    "10,101,POST,INVENTORY,,",
    "10,999,PUT,INVENTORY,,false,c8y_Serial,c8y_MyCustomValue,STRING,",
    "10,999,PUT,ALARM,,c8y_MyCustomAlarm,status,ALARMSTATUS",
    "10,999,PUT,OPERATION,,c8y_MyOperation,status,OPERATIONSTATUS,SUCCESSFUL,"
    "c8y_Fragment.val,NUMBER,",
    "10,999,PUT,ALARM,,c8y_MyCustomALarm,status,ALARMSTATUS,CLEARED,"
    "c8y_CustomFragment.reason,STRING,",
    "10,999,POST,MEASUREMENT,,c8y_CustomMeasurement,,c8y_CustomMeasurement.custom.value,"
    "NUMBER,,c8y_CustomMeasurement.custom.unit,STRING,X",
    "10,999,GET,INVENTORY,,true\n11,888,,c8y_IsDevice,type,c8y_Test,c8y_Configuration",
    "11,111,c8y_CustomConfiguration,deviceId,val1,val2,customValues[*]\n"
    "11,222,,deviceId,c8y_CustomConfiguration.val1,c8y_CustomConfiguration.val2\n"
    "11,333,,deviceId,val1,val2,customValues[*]\n"
    "11,444,c8y_CustomConfiguration,c8y_CustomConfiguration.val3,val1,val2,customValues[*]",
    '10,999,GET,INVENTORY,,true\n11,888,,,"$.myList[*].type"',
    "11,100,,c8y_SendConfiguration,deviceId",
]

#: The docs quote one pattern that needs no quotes; the encoder quotes only
#: what must be (docs/dialect.md section 3.2), so that row's bytes differ by
#: the quotes alone.
NEEDLESS_QUOTES = {'"$.myList[*].type"': "$.myList[*].type"}


def test_the_rows_are_every_example_of_the_registry_data():
    examples = json.loads(resources.files("smartrest").joinpath("data", "templates.json")
                          .read_text("utf-8"))["smartrest2"]["examples"]
    assert [e["create"].replace(" (only in SR2_10X)", "") for e in examples] == DOCS


@pytest.mark.parametrize("text", DOCS)
def test_rows_come_back_as_the_docs_write_them(text):
    rows = smartrest.decode(text)
    c = C.TemplateCollection("myXid", rows)
    assert c.to_rows() == rows
    want = text
    for quoted, plain in NEEDLESS_QUOTES.items():
        want = want.replace(quoted, plain)
    assert c.to_payload() == want.encode() + b"\n"
    assert C.TemplateCollection.from_payload("myXid", c.to_payload()) == c


def test_the_value_of_the_last_triple_is_kept():
    c = C.TemplateCollection.from_payload("x", DOCS[0])
    assert c.to_payload().endswith(b",c8y_MyMeasurement.M.value,NUMBER,\n")


@pytest.mark.parametrize("text,shape", [
    # Built templates take the documented shape: whole triples, every
    # mandatory value, GET's empty externalIdType left out.
    ("10,1,POST,MEASUREMENT,,t,,a.b,NUMBER", "10,1,POST,MEASUREMENT,,t,,a.b,NUMBER,"),
    ("10,1,PUT,ALARM,,t,status,ALARMSTATUS", "10,1,PUT,ALARM,,t,status,ALARMSTATUS,"),
    ("10,1,POST,EVENT,,t,x", "10,1,POST,EVENT,,t,x,"),
    ("10,1,POST,INVENTORY", "10,1,POST,INVENTORY,,"),
    ("10,1,GET,INVENTORY,,true,", "10,1,GET,INVENTORY,,true"),
    ("10,1,PUT,INVENTORY,,true", "10,1,PUT,INVENTORY,,true,"),
    ("10,1,PUT,OPERATION,,f,a,,", "10,1,PUT,OPERATION,,f,a,STRING,"),
])
def test_built_templates_have_the_documented_shape(text, shape):
    (t,) = C.TemplateCollection.from_payload("x", text).templates
    built = C.RequestTemplate(t.msg_id, t.method, t.api, t.response, t.values, t.custom)
    assert built == t
    assert smartrest.encode([built.to_row()]) == shape.encode() + b"\n"
