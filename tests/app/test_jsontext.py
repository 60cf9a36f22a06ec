"""Server JSON text: compact, NaN and Infinity as null, NumPy values as plain numbers."""

from __future__ import annotations

import json
import math

import numpy as np

from app.jsontext import dumps, jsonable


def test_compact_text():
    assert dumps({"type": "pong", "id": 1}) == '{"type":"pong","id":1}'


def test_non_finite_floats_become_null():
    assert json.loads(dumps({"a": math.nan, "b": [math.inf, -math.inf, 1.5]})) == {"a": None, "b": [None, None, 1.5]}


def test_numpy_values_become_plain_numbers():
    text = dumps({"n": np.int64(3), "x": np.float32(0.5), "v": np.array([1.0, np.nan]), (1): (2, 3)})
    assert json.loads(text) == {"n": 3, "x": 0.5, "v": [1.0, None], "1": [2, 3]}


def test_jsonable_leaves_plain_values_alone():
    assert jsonable({"s": "x", "b": True, "n": None}) == {"s": "x", "b": True, "n": None}
