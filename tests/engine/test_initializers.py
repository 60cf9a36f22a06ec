"""Initialisers: statistics from their formulas, determinism by seed, zeros."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.nn.initializers import INITIALIZERS, get_initializer
from engine.nn.network import Network

FAN_IN, FAN_OUT = 400, 300


def draw(name: str, seed: int = 0, dtype=np.float64, scale: float = 0.5) -> np.ndarray:
    return INITIALIZERS[name](FAN_IN, FAN_OUT, np.random.default_rng(seed), dtype, scale)


@pytest.mark.parametrize(
    ("name", "std"),
    [
        ("he", math.sqrt(2.0 / FAN_IN)),
        ("lecun", math.sqrt(1.0 / FAN_IN)),
        ("xavier", math.sqrt(6.0 / (FAN_IN + FAN_OUT)) / math.sqrt(3.0)),  # U(±a) has std a/√3
        ("uniform", 0.5 / math.sqrt(3.0)),
    ],
)
def test_std_follows_formula(name: str, std: float) -> None:
    w = draw(name)
    assert w.shape == (FAN_IN, FAN_OUT)
    assert abs(w.mean()) < 0.02 * std * 10
    assert w.std() == pytest.approx(std, rel=0.02)


def test_uniform_bounds() -> None:
    limit = math.sqrt(6.0 / (FAN_IN + FAN_OUT))
    assert np.abs(draw("xavier")).max() <= limit
    assert np.abs(draw("uniform", scale=0.3)).max() <= 0.3


def test_normal_shape_of_he() -> None:
    w = draw("he") / math.sqrt(2.0 / FAN_IN)
    assert np.mean(np.abs(w) < 1.0) == pytest.approx(0.6827, abs=0.01)  # normal, not uniform


@pytest.mark.parametrize("name", list(INITIALIZERS))
def test_same_seed_same_bits(name: str) -> None:
    assert np.array_equal(draw(name, 7, np.float32), draw(name, 7, np.float32))
    assert draw(name, 7, np.float32).dtype == np.float32


@pytest.mark.parametrize("name", ["he", "xavier", "lecun", "uniform"])
def test_other_seed_other_weights(name: str) -> None:
    assert not np.array_equal(draw(name, 1), draw(name, 2))


def test_zeros() -> None:
    assert not draw("zeros").any()


def test_network_biases_start_at_zero_and_seed_reproduces() -> None:
    a = Network(2, [5, 3], 1, init="he", rng=np.random.default_rng(3))
    b = Network(2, [5, 3], 1, init="he", rng=np.random.default_rng(3))
    assert np.array_equal(a.params, b.params)
    assert all(not bias.any() for bias in a.b)


def test_unknown_name() -> None:
    with pytest.raises(ValueError, match="he, xavier"):
        get_initializer("orthogonal")
