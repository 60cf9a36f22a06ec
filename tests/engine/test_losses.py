"""Losses: values from their formulas, δ = ∂L/∂z_out against central differences, stable from logits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.nn.losses import LOSSES, get_loss

CASES = [(name, problem) for name, loss in LOSSES.items() for problem in loss.problems]


def example(name: str, problem: str, batch: int = 6, seed: int = 0):
    loss = get_loss(name, problem, 3 if problem == "multiclass" else 2)
    rng = np.random.default_rng(seed)
    z = rng.uniform(-2.0, 2.0, (batch, loss.n_outputs))
    labels = rng.uniform(-1, 1, batch) if problem == "regression" else rng.integers(0, loss.k, batch)
    return loss, z, labels, loss.encode(labels, np.float64)


@pytest.mark.parametrize(("name", "problem"), CASES)
def test_delta_matches_central_difference(name: str, problem: str) -> None:
    loss, z, _, target = example(name, problem)
    numeric = np.zeros_like(z)
    h = 1e-6
    for idx in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (loss.value(up, target) - loss.value(down, target)) / (2 * h)
    np.testing.assert_allclose(loss.delta(z, target), numeric, rtol=1e-6, atol=1e-9)


def test_mse_binary_is_tensorflow_playground_style() -> None:
    loss = get_loss("mse", "binary")
    assert loss.output == "tanh"
    target = loss.encode(np.array([0, 1]))
    assert target.tolist() == [[-1.0], [1.0]]
    z = np.array([[0.3], [-0.2]])
    expected = (0.5 * (math.tanh(0.3) + 1) ** 2 + 0.5 * (math.tanh(-0.2) - 1) ** 2) / 2
    assert loss.value(z, target) == pytest.approx(expected, rel=1e-12)


def test_regression_losses_use_linear_output() -> None:
    z, y = np.array([[0.5], [-2.0], [0.1]]), np.array([0.0, 0.5, 0.3])
    t = y.reshape(-1, 1)
    r = z[:, 0] - y
    assert get_loss("mse", "regression").value(z, t) == pytest.approx(np.mean(0.5 * r**2))
    assert get_loss("mae", "regression").value(z, t) == pytest.approx(np.mean(np.abs(r)))
    huber = [0.5 * v * v if abs(v) <= 1 else abs(v) - 0.5 for v in r]
    assert get_loss("huber", "regression").value(z, t) == pytest.approx(np.mean(huber))


def test_bce_from_logits_never_logs_zero() -> None:
    loss = get_loss("bce", "binary")
    z = np.array([[800.0], [-800.0], [0.0]], dtype=np.float32)
    target = loss.encode(np.array([0, 1, 1]))
    assert target.tolist() == [[0.0], [1.0], [1.0]]
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = loss.value(z, target)
        delta = loss.delta(z, target)
    assert value == pytest.approx((800 + 800 + math.log(2)) / 3, rel=1e-6)
    np.testing.assert_allclose(delta[:, 0], [1 / 3, -1 / 3, -0.5 / 3], rtol=1e-6)


def test_softmax_ce_three_classes() -> None:
    loss = get_loss("softmax_ce", "multiclass", 3)
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    labels = np.array([1, 0])
    target = loss.encode(labels, np.float64)
    assert target.tolist() == [[0, 1, 0], [1, 0, 0]]
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert loss.value(z, target) == pytest.approx(-(math.log(p[0, 1]) + math.log(p[1, 0])) / 2)
    np.testing.assert_allclose(loss.predict(z), p)
    np.testing.assert_allclose(loss.delta(z, target), (p - target) / 2)
    assert loss.accuracy(z, labels) == 0.5


def test_softmax_ce_is_stable_for_huge_logits() -> None:
    loss = get_loss("softmax_ce", "multiclass", 3)
    z = np.array([[1000.0, 0.0, -1000.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert loss.value(z, loss.encode(np.array([0]), np.float64)) == pytest.approx(0.0, abs=1e-12)


def test_accuracy() -> None:
    z = np.array([[0.3], [-0.1], [2.0], [-4.0]])
    assert get_loss("mse", "binary").accuracy(z, np.array([1, 0, 0, 0])) == 0.75
    assert get_loss("bce", "binary").accuracy(z, np.array([1, 1, 1, 0])) == 0.75
    assert math.isnan(get_loss("mse", "regression").accuracy(z, np.zeros(4)))


def test_problems_and_output_activations() -> None:
    assert LOSSES["bce"].problems == ("binary",)
    assert "multiclass" in LOSSES["softmax_ce"].problems
    assert LOSSES["softmax_ce"].n_outputs("multiclass", 4) == 4
    with pytest.raises(ValueError, match="does not suit"):
        LOSSES["mse"].bind("multiclass")
    with pytest.raises(ValueError, match="mse, mae"):
        get_loss("hinge", "binary")


@pytest.mark.parametrize(("name", "problem"), CASES)
def test_float32_stays_float32(name: str, problem: str) -> None:
    loss, z, labels, _ = example(name, problem)
    z = z.astype(np.float32)
    target = loss.encode(labels)
    assert target.dtype == np.float32 and loss.delta(z, target).dtype == np.float32


@pytest.mark.parametrize(("name", "problem"), CASES)
def test_value_and_delta_agree_with_the_separate_calls(name: str, problem: str) -> None:
    loss, z, _, target = example(name, problem)
    value, delta = loss.value_and_delta(z, target, out=np.empty_like(z))
    assert value == pytest.approx(loss.value(z, target), rel=1e-12)
    np.testing.assert_allclose(delta, loss.delta(z, target), rtol=1e-12)
