"""Run health: divergence advice, early stopping's patience, unit flags, and the unit checks' spacing and hysteresis."""

from __future__ import annotations

import math

import numpy as np

from engine.nn.network import Network
from engine.views.monitor import (
    CLEAR_CHECKS,
    DEAD_CHECK_STEPS,
    EXPLODING,
    EarlyStopping,
    UnitMonitor,
    diverged,
    finite_or_none,
    unit_flags,
)
from engine.views.stats import TrainPass


def test_divergence_names_its_likely_cause() -> None:
    weights = diverged(2e4, 1.0, 0.1, 1, rolled_back=False)
    assert weights["cause"] == "weights" and not weights["rolled_back"] and "before any step" in weights["message"]
    exploding = diverged(math.inf, 10 * EXPLODING, 0.1, 7, rolled_back=True)
    assert exploding["cause"] == "exploding_gradient" and exploding["step"] == 7 and exploding["loss"] is None
    assert "clipping" in exploding["message"] and "step 7" in exploding["message"]
    unknown = diverged(2e4, math.nan, 3.0, 2, rolled_back=True)
    assert unknown["cause"] == "exploding_gradient" and unknown["grad_norm"] is None  # NaN is not a small norm
    rate = diverged(2e4, 1.0, 3.0, 2, rolled_back=True)
    assert rate["cause"] == "learning_rate" and rate["learning_rate"] == 3.0 and "3 is too high" in rate["message"]
    assert finite_or_none(1.5) == 1.5 and finite_or_none(-math.inf) is None


def test_early_stopping_counts_epochs_without_a_new_best() -> None:
    stopping = EarlyStopping()
    assert stopping.epoch_end(1.0, 1, patience=2) == []
    assert stopping.epoch_end(1.0, 2, patience=2) == []  # equal is not better
    (stopped,) = stopping.epoch_end(1.5, 3, patience=2)
    assert stopped["kind"] == "early_stopped" and stopped["epoch"] == 3 and stopped["best_test_loss"] == 1.0
    assert stopping.epoch_end(2.0, 4, patience=2) == []  # the count starts again after a stop
    stopping.restart()
    assert stopping.best == math.inf and stopping.bad_epochs == 0


def test_unit_flags_match_the_networks_own_definition() -> None:
    net = Network(2, [5, 4], 1, ["relu", "tanh"], init="uniform", init_scale=3.0, rng=np.random.default_rng(3))
    x = np.random.default_rng(4).uniform(-1, 1, (40, 2)).astype(np.float32)
    dead, saturated = net.unit_health(x)
    flags = unit_flags(net, net.infer(x)[1])
    assert np.array_equal(flags[0], np.concatenate(dead)) and np.array_equal(flags[1], np.concatenate(saturated))


def health(dead: int = 0, saturated: int = 0, output: bool = False, width: int = 4) -> TrainPass:
    return TrainPass(0.0, 0.0, np.arange(width) < dead, np.arange(width) < saturated, output)


def test_unit_checks_are_spaced_lazy_and_reported_once_per_change() -> None:
    net = Network(2, [4], 1, "relu")
    monitor, calls = UnitMonitor(), []

    def reading() -> TrainPass:
        calls.append(1)
        return health(dead=2)

    (first,) = monitor.events(0, net, reading, can_die=True, can_saturate=False)
    assert first["kind"] == "dead_units" and first["count"] == 2
    assert monitor.events(DEAD_CHECK_STEPS - 1, net, reading, True, False) == [] and len(calls) == 1
    assert monitor.events(DEAD_CHECK_STEPS, net, reading, True, False) == []  # the count did not grow
    assert monitor.events(10 * DEAD_CHECK_STEPS, net, reading, False, False) == [] and len(calls) == 2
    monitor.network_changed()
    assert [e["kind"] for e in monitor.events(10 * DEAD_CHECK_STEPS, net, reading, True, False)] == ["dead_units"]


def test_a_saturation_warning_clears_after_enough_clear_checks_in_a_row() -> None:
    net = Network(2, [4], 1, "tanh")
    monitor = UnitMonitor()
    step = 0

    def check(reading: TrainPass) -> list[str]:
        nonlocal step
        step += DEAD_CHECK_STEPS
        return [e["kind"] for e in monitor.events(step, net, lambda: reading, False, True)]

    assert check(health(saturated=3)) == ["saturated_units"]
    assert check(health(saturated=4)) == []
    assert check(health(saturated=2)) == []  # half is not most
    assert check(health(saturated=3)) == []  # stuck again before the warning cleared: no new warning
    for _ in range(CLEAR_CHECKS - 1):
        assert check(health()) == []
    assert check(health()) == ["saturation_cleared"]
    assert check(health(output=True)) == ["saturated_units"]
