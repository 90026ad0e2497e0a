"""Topics and ClientIds."""

from __future__ import annotations

import pytest

from smartrest import topics
from smartrest.errors import InvalidClientId, InvalidTopic, SmartRestError


@pytest.mark.parametrize("text,mode,direction,kind,xid,child", [
    ("s/us", "s", "up", topics.STATIC, None, None),
    ("t/us", "t", "up", topics.STATIC, None, None),
    ("q/us/child1", "q", "up", topics.STATIC, None, "child1"),
    ("c/us", "c", "up", topics.STATIC, None, None),
    ("s/ds", "s", "down", topics.STATIC, None, None),
    ("s/e", "s", "down", topics.ERROR, None, None),
    ("s/uc/myXid", "s", "up", topics.CUSTOM, "myXid", None),
    ("t/uc/myXid/child1", "t", "up", topics.CUSTOM, "myXid", "child1"),
    ("s/dc/myXid", "s", "down", topics.CUSTOM, "myXid", None),
    ("s/ud", "s", "up", topics.DEFAULT, None, None),
    ("s/ud/child1", "s", "up", topics.DEFAULT, None, "child1"),
    ("s/dd", "s", "down", topics.DEFAULT, None, None),
    ("s/ut/myXid", "s", "up", topics.TEMPLATE, "myXid", None),
    ("s/dt", "s", "down", topics.TEMPLATE, None, None),
    ("s/ucr", "s", "up", topics.CREDENTIALS, None, None),
    ("s/dcr", "s", "down", topics.CREDENTIALS, None, None),
    ("s/uat", "s", "up", topics.TOKEN, None, None),
    ("s/dat", "s", "down", topics.TOKEN, None, None),
    ("s/ul/myXid", "s", "up", topics.SMARTREST1, "myXid", None),
    ("s/dl/myXid", "s", "down", topics.SMARTREST1, "myXid", None),
    ("s/ol/myXid", "s", "down", topics.SMARTREST1_OPERATIONS, "myXid", None),
])
def test_parse(text, mode, direction, kind, xid, child):
    t = topics.parse(text)
    assert (t.text, t.mode, t.direction, t.kind, t.xid, t.child) == (
        text, mode, direction, kind, xid, child)
    assert str(t) == text
    assert t.publishable == (direction == "up")
    assert topics.build(kind, direction, mode=mode, xid=xid, child=child) == text


def test_processing_modes_come_from_the_spec():
    assert topics.PROCESSING_MODES == {"s": "PERSISTENT", "t": "TRANSIENT",
                                       "q": "QUIESCENT", "c": "CEP"}
    assert topics.parse("c/us").processing_mode == "CEP"


@pytest.mark.parametrize("text,message", [
    ("", "empty topic at byte 0"),
    ("x/us", "topic 'x/us' does not start with a processing mode (s/, t/, q/, c/); "
             "it is not a SmartREST topic at byte 0"),
    ("measurement/measurements/create", "topic 'measurement/measurements/create' does not "
     "start with a processing mode (s/, t/, q/, c/); it is not a SmartREST topic at byte 0"),
    ("s", "topic 's' has no type after s/ at byte 1"),
    ("s/zz", "topic 's/zz': unknown topic type 'zz' (one of us, ds, e, uc, dc, ud, dd, ut, dt, "
             "ucr, dcr, uat, dat, ul, dl, ol) at byte 2"),
    ("t/ds", "topic 't/ds': subscribe topics exist only under s/, not t/ at byte 0"),
    ("q/ut/x", "topic 'q/ut/x': ut exists only under s/, not q/ at byte 0"),
    ("s/uc", "topic 's/uc' needs an X-ID: s/uc/<X-ID> at byte 4"),
    ("s/us/a/b", "topic 's/us/a/b' has a level too many (the form is s/us/<child>) at byte 7"),
    ("s/ds/x", "topic 's/ds/x' has a level too many (the form is s/ds) at byte 5"),
    ("s/uc/x/c/d", "topic 's/uc/x/c/d' has a level too many (the form is "
                   "s/uc/<X-ID>/<child>) at byte 9"),
    ("s//us", "topic 's//us' has an empty level at byte 2"),
    ("s/us/", "topic 's/us/' has an empty level at byte 5"),
    ("s/us/+", "topic 's/us/+' holds '+', which no SmartREST topic holds at byte 5"),
    ("s/uc/é#", "topic 's/uc/é#' holds '#', which no SmartREST topic holds at byte 7"),
])
def test_malformed(text, message):
    with pytest.raises(InvalidTopic) as info:
        topics.parse(text)
    assert str(info.value) == message
    assert isinstance(info.value, SmartRestError)


@pytest.mark.parametrize("text", ["s/ds", "s/e", "s/dc/x", "s/dd", "s/dt", "s/dcr", "s/dat",
                                  "s/dl/x", "s/ol/x"])
def test_a_device_cannot_publish_to_subscribe_topics(text):
    with pytest.raises(InvalidTopic, match=f"a device cannot publish to '{text}': it is a "
                                           "subscribe topic"):
        topics.parse(text, publish=True)
    assert not topics.parse(text).publishable


@pytest.mark.parametrize("text", ["measurement/measurements/create", "error",
                                  "devicecontrol/notifications", "s/os", "s/oc/x"])
def test_json_and_undocumented_topics_are_not_smartrest(text):
    with pytest.raises(InvalidTopic):
        topics.parse(text)


def test_publish_topics_pass():
    assert topics.parse("t/us/child", publish=True).child == "child"


def test_build_errors():
    with pytest.raises(InvalidTopic, match="there is no down topic of kind 'credentialz'"):
        topics.build("credentialz", "down")
    with pytest.raises(InvalidTopic, match="s/us takes no X-ID"):
        topics.build(topics.STATIC, xid="x")
    with pytest.raises(InvalidTopic, match="s/ds takes no child"):
        topics.build(topics.STATIC, "down", child="c")
    with pytest.raises(InvalidTopic, match="needs an X-ID"):
        topics.build(topics.CUSTOM)
    with pytest.raises(InvalidTopic, match="a topic level cannot hold '/'"):
        topics.build(topics.STATIC, child="a/b")
    with pytest.raises(InvalidTopic, match="subscribe topics exist only under s/"):
        topics.build(topics.STATIC, "down", mode="t")


def test_every_documented_topic_with_concrete_levels_parses():
    from smartrest._spec import spec

    for entry in spec()["topics"]:
        if "(" in entry["topic"] or entry["topic"].startswith(
                ("<", "error", "devicecontrol", "s/os")):
            # JSON over MQTT, undocumented topics and "s/ul, s/dl (no X-ID)",
            # a C SDK form the docs do not describe, are not SmartREST topics.
            continue
        for text in entry["topic"].split(", "):
            text = text.replace("<X-ID>", "xid").replace("<childId>", "child")
            t = topics.parse(text.replace("[/child]", ""))
            assert t.publishable == (entry["dir"] == "publish")


# ------------------------------------------------------------------ ClientIds


@pytest.mark.parametrize("text,conn,device,xid", [
    ("mySerialNumber", "d", "mySerialNumber", None),
    ("d:mySerialNumber", "d", "mySerialNumber", None),
    ("d:mySerialNumber:myDefaultTemplate", "d", "mySerialNumber", "myDefaultTemplate"),
])
def test_client_ids_of_the_docs(text, conn, device, xid):
    c = topics.parse_client_id(text)
    assert (c.connection_type, c.device, c.default_xid) == (conn, device, xid)
    assert bool(c.notes) == (len(text) >= 24)
    assert topics.parse_client_id(str(c)) == c


@pytest.mark.parametrize("text,message", [
    ("", "empty ClientId at byte 0"),
    ("a:b:c:d", "ClientId 'a:b:c:d' has 4 parts: the device identifier must not contain ':' "
                "(the form is [d:]deviceIdentifier[:defaultX-ID]) at byte 5"),
    ("serial:xid", "ClientId 'serial:xid': unknown connection type 'serial' (a default X-ID "
                   "needs the d: prefix, and the device identifier must not contain ':') "
                   "at byte 0"),
    ("d:", "ClientId 'd:' has an empty device identifier at byte 2"),
    ("d::xid", "ClientId 'd::xid' has an empty device identifier at byte 2"),
    ("d:serial:", "ClientId 'd:serial:' has an empty default X-ID at byte 9"),
])
def test_invalid_client_ids(text, message):
    with pytest.raises(InvalidClientId) as info:
        topics.parse_client_id(text)
    assert str(info.value) == message


def test_long_client_id_gets_a_note():
    assert topics.parse_client_id("d:" + "x" * 21).notes == ()
    c = topics.parse_client_id("d:" + "x" * 22)
    assert c.notes == ("ClientId of 24 characters: MQTT 3.1 brokers may refuse ClientIds of "
                       "24 or more with CONNACK 5 (MQTT 3.1.1 does not)",)
