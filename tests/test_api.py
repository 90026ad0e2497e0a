"""The public API of :mod:`smartrest`: names, constants, implementation choice."""

from __future__ import annotations

import importlib.util
import inspect
import os
import pickle
import pydoc
import subprocess
import sys

import pytest
from conftest import c_api

import smartrest
from smartrest import errors

PUBLIC = [
    "LIMIT", "IMPLEMENTATION", "TRIM_MARKER", "Decoder", "decode", "encode",
    "encode_row", "pack", "packet_size", "errors", "SmartRestError",
    "UnterminatedQuote", "TextAfterQuote", "InvalidUtf8", "PayloadTooLarge",
    "RowTooLarge", "EmptyRow",
]

ERRORS = [
    errors.UnterminatedQuote, errors.TextAfterQuote, errors.InvalidUtf8,
    errors.PayloadTooLarge, errors.RowTooLarge, errors.EmptyRow,
]


def test_limit():
    assert smartrest.LIMIT == 16184


def test_trim_marker():
    assert smartrest.TRIM_MARKER == "...<trimmed>"


@pytest.mark.parametrize("name", PUBLIC)
def test_public_names(name):
    assert hasattr(smartrest, name)
    assert name in smartrest.__all__


def test_implementation_matches_environment():
    assert smartrest.IMPLEMENTATION in ("c", "python")
    forced = os.environ.get("SMARTREST_PURE_PYTHON", "") not in ("", "0")
    if forced:
        assert smartrest.IMPLEMENTATION == "python"
    if smartrest.IMPLEMENTATION == "python":
        from smartrest import _pure
        assert smartrest.decode is _pure.decode
        assert smartrest.Decoder is _pure.Decoder
    else:
        from smartrest import _codec
        assert smartrest.decode is _codec.decode
        assert smartrest.Decoder is _codec.Decoder


def _implementation_in_child(value):
    env = dict(os.environ)
    env.pop("SMARTREST_PURE_PYTHON", None)
    if value is not None:
        env["SMARTREST_PURE_PYTHON"] = value
    code = "import smartrest; print(smartrest.IMPLEMENTATION)"
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def test_pure_python_forced_by_environment():
    assert _implementation_in_child("1") == "python"


def test_extension_used_when_present():
    c_api()  # fails if the extension cannot be imported
    assert _implementation_in_child(None) == "c"
    assert _implementation_in_child("0") == "c"


def test_public_functions_work():
    assert smartrest.decode(b"100,a\n") == [["100", "a"]]
    assert smartrest.encode([["100", "a,b"]]) == b'100,"a,b"\n'
    assert smartrest.encode_row(["100"]) == b"100\n"
    assert smartrest.pack([["100"]], topic="s/us") == [b"100\n"]
    assert smartrest.packet_size("a/b", 2, 1) == 11
    decoder = smartrest.Decoder()
    assert decoder.feed(b"1\n2") == [["1"]]
    assert decoder.close() == [["2"]]


def test_error_hierarchy():
    assert issubclass(smartrest.SmartRestError, ValueError)
    assert smartrest.SmartRestError is errors.SmartRestError
    for cls in ERRORS:
        assert issubclass(cls, smartrest.SmartRestError)
        assert issubclass(cls, ValueError)
        assert getattr(smartrest, cls.__name__) is cls


def test_error_attributes_and_message():
    err = errors.UnterminatedQuote("unterminated quoted field starting", 17, 1, 2)
    assert (err.offset, err.row, err.field) == (17, 1, 2)
    assert err.reason == "unterminated quoted field starting"
    assert str(err) == "unterminated quoted field starting at byte 17 (row 1, field 2)"
    assert str(errors.EmptyRow("a row must have at least one field", None, 3)) == (
        "a row must have at least one field (row 3)")
    assert str(errors.SmartRestError("bad")) == "bad"


@pytest.mark.parametrize("cls", ERRORS)
def test_errors_pickle(cls):
    err = cls("something is wrong", 5, 2, 1)
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is cls
    assert (copy.reason, copy.offset, copy.row, copy.field) == ("something is wrong", 5, 2, 1)
    assert str(copy) == str(err)
    copy = pickle.loads(pickle.dumps(cls("no position")))
    assert (copy.offset, copy.row, copy.field) == (None, None, None)


def test_raised_errors_pickle():
    with pytest.raises(smartrest.SmartRestError) as info:
        smartrest.decode(b'a\nb,"c')
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is smartrest.UnterminatedQuote
    assert (copy.offset, copy.row, copy.field) == (4, 1, 1)
    assert str(copy) == str(info.value)


DOCUMENTED = ["decode", "encode", "encode_row", "Decoder", "tokenize", "decode_batch"]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_contract_in_help(name):
    # The contract is written once, in the reference implementation; the C
    # module shares it, so help() shows it whichever implementation runs.
    text = pydoc.render_doc(getattr(smartrest, name))
    assert "Raises:" in text
    assert "See :func:" not in text and "See :class:" not in text


def test_implementations_share_docs():
    c = c_api().module
    from smartrest import _pure, _pure_batch
    pairs = [
        (c.decode, _pure.decode), (c.encode, _pure.encode),
        (c.encode_row, _pure.encode_row), (c.Decoder, _pure.Decoder),
        (c.Decoder.feed, _pure.Decoder.feed), (c.Decoder.close, _pure.Decoder.close),
        (c.tokenize, _pure_batch.tokenize), (c.decode_batch, _pure_batch.decode_batch),
    ]
    for ours, reference in pairs:
        # cleandoc: CPython 3.13 strips the indentation of docstrings it compiles.
        assert inspect.cleandoc(ours.__doc__) == inspect.cleandoc(reference.__doc__), \
            reference.__qualname__


def test_implementations_share_public_attributes():
    # What one implementation's objects offer, the other's offer too (the
    # pure-Python Tokens once lacked flags).
    c = c_api().module
    pytest.importorskip("numpy")
    from smartrest import _pure, _pure_batch

    def public(obj):
        return {name for name in dir(obj) if not name.startswith("_")}

    payload = b'a,"b"\n'
    assert public(c.tokenize(payload)) == public(_pure_batch.tokenize(payload))
    assert public(c.Decoder()) == public(_pure.Decoder())


def test_decode_batch_payload_index():
    assert errors.SmartRestError("x").payload_index is None
    with pytest.raises(smartrest.SmartRestError) as info:
        smartrest.decode_batch([b"1\n", b'"a', b"x" * 20000])
    assert type(info.value) is smartrest.UnterminatedQuote
    assert info.value.payload_index == 1


_BLOCK_EXTENSION = (
    "import sys, warnings\n"
    "sys.modules['smartrest._codec'] = None  # as if the extension were not built\n"
    "warnings.simplefilter('error', RuntimeWarning)\n"
    "try:\n"
    "    import smartrest\n"
    "except Exception as exc:\n"
    "    print(type(exc).__name__, exc)\n"
    "else:\n"
    "    print('imported', smartrest.IMPLEMENTATION)\n"
)


def _import_without_extension(**env: str) -> str:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("SMARTREST_PURE_PYTHON", "SMARTREST_REQUIRE_EXTENSION")}
    environ.update(env)
    done = subprocess.run([sys.executable, "-c", _BLOCK_EXTENSION], capture_output=True,
                          text=True, env=environ, check=True)
    return done.stdout.strip()


def test_fallback_to_pure_python_warns() -> None:
    out = _import_without_extension()
    assert out.startswith("PurePythonWarning the C extension smartrest._codec cannot be imported"), out
    assert "pure-Python implementation" in out and "pip install -e ." in out


def test_fallback_warning_is_an_ordinary_warning() -> None:
    assert issubclass(smartrest.PurePythonWarning, RuntimeWarning)
    script = _BLOCK_EXTENSION.replace("'error'", "'ignore'")
    environ = {k: v for k, v in os.environ.items()
               if k not in ("SMARTREST_PURE_PYTHON", "SMARTREST_REQUIRE_EXTENSION")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=environ, check=True)
    assert done.stdout.strip() == "imported python"


def test_pure_python_asked_for_does_not_warn() -> None:
    assert _import_without_extension(SMARTREST_PURE_PYTHON="1") == "imported python"


def test_required_extension_fails_the_import() -> None:
    out = _import_without_extension(SMARTREST_REQUIRE_EXTENSION="1")
    assert out.startswith("ImportError SMARTREST_REQUIRE_EXTENSION is set"), out


_BLOCK_SIBLING = (
    "import sys, warnings\n"
    "sys.modules['smartrest.{name}'] = None  # built without this one extension\n"
    "warnings.simplefilter('error', RuntimeWarning)\n"
    "try:\n"
    "    import smartrest\n"
    "    {use}\n"
    "except Exception as exc:\n"
    "    print(type(exc).__name__, exc)\n"
    "else:\n"
    "    print('imported', smartrest.IMPLEMENTATION)\n"
)

_SIBLINGS = [
    pytest.param("_arrow", "smartrest.arrow.decode_tables",
                 "import smartrest.arrow; smartrest.arrow.decode_tables([b'200,c8y_T,T,1'])",
                 marks=pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None,
                                          reason="pyarrow is not installed (smartrest[arrow])")),
    ("_validate", "smartrest.validate", "smartrest.validate(b'200,c8y_T,T,1', topic='s/us')"),
    ("_messages", "decode_messages",
     "import smartrest.templates; "
     "smartrest.templates.decode_messages(b'200,c8y_T,T,1', topic='s/us')"),
]


def _import_without(name: str, use: str, *, ignore: bool = False, **env: str) -> str:
    script = _BLOCK_SIBLING.format(name=name, use=use)
    if ignore:
        script = script.replace("'error'", "'ignore'")
    environ = {k: v for k, v in os.environ.items()
               if k not in ("SMARTREST_PURE_PYTHON", "SMARTREST_REQUIRE_EXTENSION")}
    environ.update(env)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=environ, check=True)
    return done.stdout.strip()


@pytest.mark.parametrize("name, serves, use", _SIBLINGS)
def test_missing_sibling_extension_warns(c_impl: object, name: str, serves: str,
                                         use: str) -> None:
    # _codec imports but one of the other extensions does not (a partial
    # build): what it serves runs in pure Python, and says so.
    out = _import_without(name, use)
    assert out.startswith(f"PurePythonWarning the C extension smartrest.{name} cannot be "
                          f"imported"), out
    assert f"{serves} runs in pure Python" in out and "pip install -e ." in out


@pytest.mark.parametrize("name, serves, use", _SIBLINGS)
def test_missing_sibling_extension_still_answers(c_impl: object, name: str, serves: str,
                                                 use: str) -> None:
    assert _import_without(name, use, ignore=True) == "imported c"


@pytest.mark.parametrize("name, serves, use", _SIBLINGS)
def test_missing_sibling_extension_fails_when_required(c_impl: object, name: str,
                                                       serves: str, use: str) -> None:
    out = _import_without(name, use, SMARTREST_REQUIRE_EXTENSION="1")
    assert out.startswith("ImportError SMARTREST_REQUIRE_EXTENSION is set and the C "
                          f"extension smartrest.{name} cannot be imported"), out


def test_c_implementation_does_not_load_the_reference() -> None:
    # The pure-Python reference is the oracle and the fallback; the C path
    # and the layers above it run without it.
    c_api()
    script = ("import sys, smartrest, smartrest.templates, smartrest.custom, smartrest.topics\n"
              "smartrest.decode_messages(b'200,c8y_T,T,1.5\\n')\n"
              "print(sorted(m for m in sys.modules if m.startswith('smartrest._pure')))")
    environ = {k: v for k, v in os.environ.items() if k != "SMARTREST_PURE_PYTHON"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=environ, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
