"""System and error messages: s/e lines, 70, 71, and the s/dt replies 20 and 41."""

from __future__ import annotations

import pytest

import smartrest
from smartrest import templates as T
from smartrest._spec import spec
from smartrest.errors import MissingValue, TooManyValues, UnknownTemplate, InvalidValue

ERROR_EXAMPLES = spec()["errors"]["examples"]


@pytest.mark.parametrize("example", ERROR_EXAMPLES, ids=lambda e: e["line"][:12])
def test_documented_error_lines(example):
    line = example["line"]
    code, msg_id, text = line.split(",", 2)
    [msg] = smartrest.decode_messages(line.encode(), topic="s/e", typed=True)
    assert msg.template_id == int(code)
    assert msg["message_id"] == (int(msg_id) if msg_id else None)
    # The server does not quote the text; it may hold commas.
    assert msg["text"] == text
    assert msg.to_row() == smartrest.decode(line)[0]


def test_error_line_build_quotes_its_text():
    msg = T.build(50, topic="s/e", message_id=100, text="Error on device creation, message: x")
    assert smartrest.encode([msg.to_row()]) == (
        b'50,100,"Error on device creation, message: x"\n')
    [back] = smartrest.decode_messages(smartrest.encode([msg.to_row()]), topic="s/e")
    assert back == msg


def test_error_line_errors():
    with pytest.raises(UnknownTemplate, match="template 'x' is not a template of topic 's/e'"):
        smartrest.decode_messages(b"x,1,text\n", topic="s/e")
    with pytest.raises(InvalidValue, match=r"s/e line '40': 'message_id' must be an integer"):
        smartrest.decode_messages(b"40,abc,text\n", topic="s/e")


@pytest.mark.parametrize("topic,line,fields", [
    ("s/dcr", "70,t12345,device_abc,s3cret", {"tenant_id": "t12345", "username": "device_abc",
                                                "password": "s3cret"}),
    ("s/dat", "71,eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", {"token": (
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")}),
    ("s/dt", "20,myXid,4711", {"xid": "myXid", "collection_id": "4711"}),
    ("s/dt", "41,myXid", {"xid": "myXid"}),
])
def test_system_messages(topic, line, fields):
    [msg] = smartrest.decode_messages(line.encode(), topic=topic)
    assert msg.fields == fields
    assert msg.to_row() == line.split(",")
    assert T.build(int(line[:2]), topic=topic, **fields) == msg


def test_system_messages_are_checked():
    with pytest.raises(MissingValue, match="template 70: missing mandatory value 'password'"):
        smartrest.decode_messages(b"70,t,u\n", topic="s/dcr")
    with pytest.raises(TooManyValues, match="template 41: too many values"):
        smartrest.decode_messages(b"41,x,1\n", topic="s/dt")
    with pytest.raises(UnknownTemplate, match="template '71' is not a template of topic 's/dt'"):
        smartrest.decode_messages(b"71,token\n", topic="s/dt")
    # Static templates are not system messages, and the other way round.
    with pytest.raises(UnknownTemplate):
        smartrest.decode_messages(b"70,t,u,p\n", topic="s/ds")


def test_empty_publishes_have_no_rows():
    assert smartrest.decode_messages(b"", topic="s/dt") == []
