"""Optimizer state per weight and per layer, against the update rules recomputed here in float64."""

from __future__ import annotations

import numpy as np
import pytest

from engine.optim.optimizer_state import layer_steps, weight_state
from engine.trainer import Trainer

CONFIG = {"points": 200, "layers": [5, 3], "batch_size": 10, "seed": 4, "learning_rate": 0.05}
STEPS = 6


def run(optimizer: str, **params) -> tuple[Trainer, list[np.ndarray], list[np.ndarray]]:
    """The trainer after STEPS steps, the gradient each step used and the parameters before each, in float64."""
    t = Trainer({**CONFIG, "optimizer": optimizer, "optimizer_params": params})
    grads, before = [], []
    for _ in range(STEPS):
        before.append(t.network.params.astype(np.float64))
        t.train(1)
        grads.append(t.network.grads.astype(np.float64))
    return t, grads, before


INDICES = [0, 7, 20, -1]  # a first-layer weight, a bias of the first layer, a later weight, the output bias


def at(t: Trainer, i: int) -> int:
    return i % t.network.params.size


def test_sgd_steps_by_minus_rate_times_gradient_and_every_weight_gets_the_rate() -> None:
    t, grads, _ = run("sgd")
    for i in INDICES:
        s = weight_state(t, at(t, i))
        assert s["optimizer"] == "sgd" and s["state"] == {}
        assert s["g"] == grads[-1][at(t, i)]
        assert s["update"] == pytest.approx(-0.05 * grads[-1][at(t, i)], rel=1e-4, abs=1e-9)
    for layer in layer_steps(t):
        assert layer["rate_min"] == pytest.approx(0.05, rel=1e-3) and layer["rate_max"] == pytest.approx(0.05, rel=1e-3)


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov"])
def test_velocity_is_the_discounted_sum_of_gradients(optimizer: str) -> None:
    t, grads, _ = run(optimizer, momentum=0.8)
    velocity = sum(0.8 ** (STEPS - 1 - k) * g for k, g in enumerate(grads))
    g = grads[-1]
    expected_step = -0.05 * (g + 0.8 * velocity if optimizer == "nesterov" else velocity)
    for i in (at(t, i) for i in INDICES):
        s = weight_state(t, i)
        assert s["state"]["b"] == pytest.approx(velocity[i], rel=1e-5, abs=1e-9)
        assert s["update"] == pytest.approx(expected_step[i], rel=1e-4, abs=1e-8)


def test_adagrad_accumulates_squares() -> None:
    t, grads, _ = run("adagrad")
    sum_sq = sum(g * g for g in grads)
    expected_step = -0.05 * grads[-1] / (np.sqrt(sum_sq) + 1e-10)
    for i in (at(t, i) for i in INDICES):
        s = weight_state(t, i)
        assert s["state"] == {"s": pytest.approx(sum_sq[i], rel=1e-5, abs=1e-12)}
        assert s["update"] == pytest.approx(expected_step[i], rel=1e-3, abs=1e-7)


def test_rmsprop_averages_squares() -> None:
    t, grads, _ = run("rmsprop", alpha=0.9)
    v = np.zeros_like(grads[0])
    for g in grads:
        v = 0.9 * v + 0.1 * g * g
    expected_step = -0.05 * grads[-1] / (np.sqrt(v) + 1e-8)
    for i in (at(t, i) for i in INDICES):
        s = weight_state(t, i)
        assert set(s["state"]) == {"v"}  # no velocity without momentum
        assert s["state"]["v"] == pytest.approx(v[i], rel=1e-5, abs=1e-12)
        assert s["update"] == pytest.approx(expected_step[i], rel=1e-3, abs=1e-7)


@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
def test_adam_moments_and_their_bias_correction(optimizer: str) -> None:
    t, grads, before = run(optimizer, beta1=0.8, beta2=0.95, weight_decay=0.0)
    m = np.zeros_like(grads[0])
    v = np.zeros_like(grads[0])
    for g in grads:
        m = 0.8 * m + 0.2 * g
        v = 0.95 * v + 0.05 * g * g
    m_hat, v_hat = m / (1 - 0.8**STEPS), v / (1 - 0.95**STEPS)
    expected_step = -0.05 * m_hat / (np.sqrt(v_hat) + 1e-8)
    for i in (at(t, i) for i in INDICES):
        s = weight_state(t, i)
        assert s["t"] == STEPS
        assert s["state"]["m"] == pytest.approx(m[i], rel=1e-5, abs=1e-12)
        assert s["state"]["v"] == pytest.approx(v[i], rel=1e-5, abs=1e-14)
        assert s["state"]["m̂"] == pytest.approx(m_hat[i], rel=1e-5, abs=1e-12)
        assert s["state"]["v̂"] == pytest.approx(v_hat[i], rel=1e-5, abs=1e-14)
        assert s["update"] == pytest.approx(expected_step[i], rel=1e-3, abs=1e-7)
    steps = layer_steps(t)
    update = t.network.params.astype(np.float64) - before[-1]
    for layer, ws in zip(steps, t.network.weight_slices, strict=True):
        resolved = np.abs(update[ws]) >= 1024 * np.spacing(np.abs(t.network.params[ws]))  # its definition
        rates = np.abs(update[ws])[resolved] / np.abs(grads[-1][ws])[resolved]
        assert layer["step_max"] == pytest.approx(np.abs(update[ws]).max(), rel=1e-6)
        assert layer["rate_median"] == pytest.approx(np.median(rates), rel=1e-3)
    assert steps[0]["rate_max"] > 2 * steps[0]["rate_min"]  # Adam gives weights different rates


def test_adamax_corrects_m_only() -> None:
    t, grads, _ = run("adamax")
    s = weight_state(t, 0)
    assert set(s["state"]) == {"m", "u", "m̂"}
    assert s["state"]["m̂"] == pytest.approx(s["state"]["m"] / (1 - 0.9**STEPS))


def test_before_any_step_and_bad_indices() -> None:
    t = Trainer({**CONFIG, "optimizer": "adam"})
    s = weight_state(t, 3)
    assert s["update"] is None and s["state"] == {}
    assert layer_steps(t) == [None, None, None]
    for bad in (-1, t.network.params.size, True, 1.5):
        with pytest.raises(IndexError):
            weight_state(t, bad)
