"""Fuzz: thousands of malformed or out-of-range messages, each answered by an `error`; the session keeps streaming."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.protocol import MESSAGE_TYPES, ProtocolError, parse
from tests.app.test_protocol import Client

pytestmark = pytest.mark.timeout(120)

MESSAGES = 3000
EXPECTED_CODES = {"bad_json", "invalid", "rejected", "binary_not_allowed"}

VALID = [
    {"type": "config", "learning_rate": 0.1},
    {"type": "step", "n": 3},
    {"type": "add_point", "x": 1.0, "y": 2.0, "label": 1},
    {"type": "erase_points", "x": 0.0, "y": 0.0, "radius": 1.0},
    {"type": "set_weight", "layer": 0, "row": 0, "col": 1, "value": 0.5},
    {"type": "gradcheck", "inject_bug": False},
    {"type": "ping", "id": 1},
]
OUT_OF_RANGE = [
    {"learning_rate": 0}, {"learning_rate": -1}, {"learning_rate": 10.5}, {"points": 5}, {"points": 10**9},
    {"noise": 0.75}, {"train_ratio": 0.95}, {"seed": -1}, {"seed": 2**40}, {"layers": [17]}, {"layers": [0]},
    {"layers": [2] * 9}, {"activation": "swish-ish"}, {"activation": ["tanh"] * 5}, {"dataset": "mnist"},
    {"loss": "softmax_ce", "dataset": "plane"}, {"features": []}, {"features": ["x3"]}, {"features": ["x1", "x1"]},
    {"optimizer": "adamz"}, {"optimizer_params": {"beta9": 0.5}}, {"batch_size": 0}, {"regularization": "l3"},
    {"regularization_rate": 2}, {"dropout": 0.95}, {"dropout": [0.1, 0.2, 0.3]}, {"clip": {"mode": "sideways"}},
    {"clip": {"mode": "norm", "value": -1}}, {"schedule": {"name": "zigzag"}}, {"speed": 0}, {"speed": "fast"},
    {"fps": 0}, {"fps": 61}, {"classes": 9}, {"init_scale": 0}, {"early_stopping": {"patience": 0}},
    {"leaky_slope": 3}, {"shuffle": "yes"}, {"what": 1},
]
BAD_OTHERS = [
    {"type": "step", "n": 0}, {"type": "step", "n": 5000}, {"type": "step", "n": "3"},
    {"type": "add_point", "x": 7, "y": 0, "label": 1}, {"type": "add_point", "x": 0, "y": 0, "label": 5},
    {"type": "add_point", "x": 0, "y": 0}, {"type": "erase_points", "x": 0, "y": 0, "radius": -1},
    {"type": "set_weight", "layer": 99, "row": 0, "col": 0, "value": 1}, {"type": "set_weight", "layer": 0,
                                                                        "row": 99, "col": 0, "value": 1},
    {"type": "set_weight", "layer": 0, "row": 0, "col": 0, "value": 10**6}, {"type": "set_params", "params": [1, 2]},
    {"type": "gradcheck", "inject_bug": "yes"}, {"type": "trace", "index": -1}, {"type": "trace", "index": 10**6},
    {"type": "trace", "index": 0, "split": "validation"}, {"type": "load_csv", "csv": ""},
    {"type": "load_csv", "csv": "x,y,label\nfoo,bar,baz\n"}, {"type": "play", "extra": True},
    {"type": "ping", "id": [1]}, {"type": "ping", "id": "x" * 100},
]
NOT_A_NUMBER = ["text", True, [], {}, [1, "a"], "", None]
WRONG_VALUES = {  # per field: values of the wrong type (or null where null is not allowed)
    "col": ["text", True, [], {}, 1.5, -3], "inject_bug": ["text", 1, None, [], {}],
    "id": [[], {}, 1.5, True, "x" * 100, {"nested": 1}],
}


def generate(rng: random.Random) -> Callable[[Client], None]:
    """One bad message (as a function that sends it), chosen from every kind of mistake."""
    kind = rng.randrange(9)
    if kind == 0:  # malformed JSON
        text = json.dumps(rng.choice(VALID))
        cut = rng.randrange(1, len(text))
        bad = rng.choice([text[:cut], text[:cut] + "}}", "{" + text, text.replace('"', "'"), "nul", "{,}"])
        return lambda c: c.ws.send(bad)
    if kind == 1:  # valid JSON that is not an object
        value = rng.choice([1, -2.5, "play", None, True, [], [{"type": "play"}], "[" * 5000])
        return lambda c: c.ws.send(value if isinstance(value, str) and value.startswith("[") else json.dumps(value))
    if kind == 2:  # unknown or missing type
        message = rng.choice([{}, {"type": rng.choice(["Play", "train", "", "config ", 3, None, ["config"]])},
                              {"kind": "play"}])
        return lambda c: c.ws.send(json.dumps(message))
    if kind == 3:  # a known type with a field of the wrong type
        message = dict(rng.choice(VALID))
        field = rng.choice([k for k in message if k != "type"])
        message[field] = rng.choice(WRONG_VALUES.get(field, NOT_A_NUMBER))
        return lambda c: c.ws.send(json.dumps(message))
    if kind == 4:  # NaN and Infinity (not JSON, but Python and some clients write them)
        field = rng.choice(["learning_rate", "noise", "dropout", "regularization_rate"])
        literal = rng.choice(["NaN", "Infinity", "-Infinity", "1e999"])
        return lambda c: c.ws.send(f'{{"type": "config", "{field}": {literal}}}')
    if kind == 5:  # config out of range (checked by the engine's validation)
        patch = rng.choice(OUT_OF_RANGE)
        return lambda c: c.send(type="config", **patch)
    if kind == 6:  # other messages with bad arguments
        message = rng.choice(BAD_OTHERS)
        return lambda c: c.ws.send(json.dumps(message))
    if kind == 7:  # binary
        payload = rng.randbytes(rng.randrange(1, 64))
        return lambda c: c.ws.send(payload)
    message = {**rng.choice(VALID), rng.choice(["bogus", "Type", "n_", "lr"]): 1}  # unknown keys
    return lambda c: c.ws.send(json.dumps(message))


def test_every_bad_message_gets_an_error_and_the_session_keeps_streaming(make_server):
    srv = make_server(rate_per_second=1e6, rate_burst=10**6)
    rng = random.Random(20261127)
    with Client(srv.ws_url) as c:
        c.frame()
        start_config = c.hello["config"]
        sent = 0
        errors = 0
        while sent < MESSAGES:
            for _ in range(100):
                generate(rng)(c)
                sent += 1
            while errors < sent:
                message = c.json("error", timeout=30)
                assert message["code"] in EXPECTED_CODES, message
                assert message["message"], message
                errors += 1
        c.send(type="ping", id="after")
        c.json("pong")
        assert errors == sent == MESSAGES
        assert not [m for m in c.messages if m["type"] == "config"], "nothing bad was applied"
        c.send(type="config")
        assert c.json("config")["config"] == start_config
        c.send(type="config", speed=500)
        c.send(type="play")
        first = c.frame(lambda f: f["state"] == 1)
        c.frame(lambda f: f["step"] > first["step"] + 20)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
message_like = st.fixed_dictionaries(
    {"type": st.sampled_from(MESSAGE_TYPES) | st.text(max_size=10)},
    optional={key: json_values for key in ("id", "n", "x", "y", "label", "layer", "row", "col", "value", "csv",
                                           "learning_rate", "layers", "activation", "speed", "fps", "params")},
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(message_like, json_values).map(lambda v: json.dumps(v)) | st.text(max_size=200))
def test_parse_either_accepts_or_raises_a_protocol_error(text):
    try:
        message = parse(text)
    except ProtocolError as exc:
        error = exc.to_message()
        assert error["type"] == "error" and error["code"] in ("bad_json", "invalid") and error["message"]
        json.dumps(error, allow_nan=False)
    else:
        assert message.type in MESSAGE_TYPES
