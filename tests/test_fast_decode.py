"""The monitor's fast path (harness.ocppj.frames._proven_clean): a frame it takes must be one the checking decoder
finds nothing wrong with, and decode to the same value; anything it cannot prove clean goes the slow way."""

from __future__ import annotations

import json
import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.ocppj.frames import _DECODER, _proven_clean, parse


def slow(text: str) -> tuple[object, bool]:
    """What the checking decoder makes of `text`: the value, and whether it found something to report."""
    _DECODER.saw_empty, _DECODER.odd_numbers = False, []
    try:
        value = _DECODER.decode(text)
    except (ValueError, RecursionError):
        return None, True
    return value, _DECODER.saw_empty or bool(_DECODER.odd_numbers)


@pytest.mark.parametrize("text", [
    '{"a":1,"a":2}',  # duplicate key
    '{"a":1,"a" :2}',  # duplicate key, hidden by whitespace before the colon
    '{"a":1,"a":2,"s":"\\u0022:"}',  # ... or by an escaped quote in a string
    '{"a":{}}', '{"a":[]}', '{"a":NaN}', '{"a":Infinity}', '{"a":1e400}', '{"a":12345678901}',
    '{"a":-99999999999999999999999}', "[" * 600 + "]" * 600,
])
def test_what_the_checking_decoder_reports_never_takes_the_fast_path(text: str) -> None:
    assert _proven_clean(text) is None
    assert parse(f'[2,"1","Heartbeat",{text}]').findings or slow(text)[1] or text.startswith("[")


def test_a_plain_frame_takes_it() -> None:
    text = json.dumps({"reason": "PowerUp", "chargingStation": {"model": 'm: "x"', "vendorName": "v"}},
                      separators=(",", ":"))
    assert _proven_clean(text) == json.loads(text)


keys = st.sampled_from(["a", "b", "c", "k:", 'q"', "\u00e9"])
scalars = st.one_of(st.integers(-2**40, 2**40), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(alphabet='ab:"{}[] \\\n\u00e9', max_size=6), st.booleans(), st.none())
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.lists(st.tuples(keys, inner), max_size=4)), max_leaves=12)


def render(value: object, rng: random.Random) -> str:
    """JSON text of a value where a list of pairs is an object that may repeat keys, with random spacing."""
    space = rng.choice(["", "", " ", "\n"])
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        return "{" + ",".join(f"{json.dumps(k)}{space}:{space}{render(v, rng)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + f",{space}".join(render(v, rng) for v in value) + "]"
    return json.dumps(value, ensure_ascii=rng.random() < 0.3)


@settings(max_examples=int(os.environ.get("FAST_DECODE_EXAMPLES", "400")), deadline=None)
@given(values, st.randoms())
def test_the_fast_path_only_takes_what_the_checking_decoder_passes(value: object, rng: random.Random) -> None:
    text = render(value, rng)
    fast = _proven_clean(text)
    if fast is not None or text == "null":
        decoded, reported = slow(text)
        assert not reported, f"fast path took {text!r}, which the checking decoder reports"
        assert fast == decoded


frame_items = st.one_of(st.integers(-1, 5), st.booleans(), st.none(), st.floats(allow_nan=False, allow_infinity=False),
                        st.text(max_size=40), st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 9),
                                                              max_size=2), st.lists(st.integers(0, 9), max_size=2))
frames = st.lists(frame_items, min_size=0, max_size=6)


@settings(max_examples=int(os.environ.get("FAST_DECODE_EXAMPLES", "400")), deadline=None)
@given(st.one_of(frames, st.tuples(st.sampled_from([2, 3]), st.text(max_size=40), st.text(max_size=8),
                                   st.dictionaries(st.just("k"), st.integers(0, 9))).map(list),
                 st.tuples(st.just(3), st.text(max_size=40), st.dictionaries(st.just("k"), st.integers(0, 9))).map(list)))
def test_the_well_formed_shortcut_parses_as_the_general_checks_do(value: list[object]) -> None:
    """_well_formed() takes a CALL or CALLRESULT in one expression: it must give what _parse_value gives."""
    from harness.ocppj import frames

    text = json.dumps(value, separators=(",", ":"))
    short = parse(text)
    general = frames.Parsed(text=text)
    decoded = frames._proven_clean(text)
    if decoded is None:
        return
    frames._parse_value(general, decoded, "strict")
    assert (short.frame, short.findings, short.message_id, short.message_type, short.action, short.reply_code) == \
        (general.frame, general.findings, general.message_id, general.message_type, general.action,
         general.reply_code)
