"""Activations: values from the textbook formulas, derivatives against central differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.nn.activations import ACTIVATIONS, get_activation


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


FORMULAS = {
    "linear": lambda v: v,
    "relu": lambda v: max(v, 0.0),
    "leaky_relu": lambda v: v if v > 0 else 0.01 * v,
    "elu": lambda v: v if v > 0 else math.exp(v) - 1.0,
    "sigmoid": _sigmoid,
    "tanh": math.tanh,
    "softplus": lambda v: math.log(1.0 + math.exp(v)),
    "gelu": lambda v: 0.5 * v * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (v + 0.044715 * v**3))),
    "swish": lambda v: v * _sigmoid(v),
}
# points away from the kink at 0
Z = np.array([[-4.0, -2.5, -1.3, -0.6, -0.05], [0.07, 0.4, 1.1, 2.2, 3.9]])


def test_registry_covers_the_formulas() -> None:
    assert set(ACTIVATIONS) == set(FORMULAS)


@pytest.mark.parametrize("name", list(FORMULAS))
def test_value_matches_formula(name: str) -> None:
    expected = np.vectorize(FORMULAS[name])(Z)
    np.testing.assert_allclose(ACTIVATIONS[name](Z), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(FORMULAS))
def test_derivative_matches_central_difference(name: str) -> None:
    act = ACTIVATIONS[name]
    h = 1e-6
    numeric = (np.vectorize(FORMULAS[name])(Z + h) - np.vectorize(FORMULAS[name])(Z - h)) / (2 * h)
    np.testing.assert_allclose(act.grad(Z, act(Z)), numeric, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("name", list(FORMULAS))
def test_float32_in_float32_out(name: str) -> None:
    z = Z.astype(np.float32)
    act = ACTIVATIONS[name]
    assert act(z).dtype == np.float32 and act.grad(z, act(z)).dtype == np.float32


def test_out_buffer_is_written_and_returned() -> None:
    out = np.empty_like(Z)
    assert ACTIVATIONS["tanh"](Z, out) is out
    np.testing.assert_allclose(out, np.tanh(Z))


def test_sigmoid_does_not_overflow() -> None:
    z = np.array([[-1000.0, 1000.0]], dtype=np.float32)
    with np.errstate(all="raise"):
        a = ACTIVATIONS["sigmoid"](z)
    assert a[0, 0] == 0.0 and a[0, 1] == 1.0


def test_leaky_slope_is_a_setting() -> None:
    act = get_activation("leaky_relu", leaky_slope=0.2)
    np.testing.assert_allclose(act(np.array([[-2.0, 3.0]])), [[-0.4, 3.0]])
    np.testing.assert_allclose(act.grad(np.array([[-2.0, 3.0]]), None), [[0.2, 1.0]])


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="relu.*tanh"):
        get_activation("sine")


@pytest.mark.parametrize("name", list(FORMULAS))
def test_grid_sized_arrays_match_small_ones(name: str) -> None:
    z = np.random.default_rng(0).uniform(-5, 5, (8, 1000))
    act = ACTIVATIONS[name]
    big = act(z)
    small = np.concatenate([act(z[:, i : i + 10]) for i in range(0, 1000, 10)], axis=1)
    np.testing.assert_array_equal(big, small)
