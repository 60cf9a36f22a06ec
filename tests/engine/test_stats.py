"""Readings: the training-set pass, loss and accuracy on a set, and the step statistics' layout."""

from __future__ import annotations

import math

import numpy as np

from engine.nn.losses import get_loss
from engine.nn.network import Network
from engine.views.stats import layer_bounds, measure, step_stats, train_pass


def test_an_empty_set_reads_as_nan_with_no_unit_flagged() -> None:
    net, loss = Network(2, [3, 2], 1, "relu"), get_loss("mse", "binary")
    empty = np.zeros((0, 2), np.float32)
    reading = train_pass(net, loss, empty, np.zeros((0, 1), np.float32), np.zeros(0, int))
    assert math.isnan(reading.loss) and math.isnan(reading.accuracy) and not reading.output
    assert reading.dead.shape == reading.saturated.shape == (5,) and not reading.dead.any()
    assert all(math.isnan(v) for v in measure(net, loss, empty, np.zeros((0, 1)), None))


def test_train_pass_agrees_with_measure() -> None:
    net, loss = Network(2, [4], 1, "tanh", rng=np.random.default_rng(1)), get_loss("mse", "binary")
    x = np.random.default_rng(2).uniform(-1, 1, (30, 2)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(int)
    target = loss.encode(labels)
    reading = train_pass(net, loss, x, target, labels)
    assert (reading.loss, reading.accuracy) == measure(net, loss, x, target, labels)
    assert math.isnan(measure(net, loss, x, target, None)[1])


def test_layer_bounds_start_each_weight_and_bias() -> None:
    net = Network(2, [3], 1)
    assert layer_bounds(net).tolist() == [0, 6, 9, 12]


def test_step_stats_before_any_backward_pass() -> None:
    net = Network(2, [3], 1, "relu", rng=np.random.default_rng(0))
    reading = train_pass(net, get_loss("mse", "binary"), np.ones((4, 2), np.float32), np.ones((4, 1)), np.ones(4))
    stats = step_stats(net, net.params.copy(), np.empty_like(net.params), layer_bounds(net), False, math.nan, reading)
    assert stats["delta_mean"].tolist() == [0.0] * 4 and stats["delta_abs"].dtype == np.float32
    assert stats["grad_norm"].tolist() == [0.0, 0.0] and stats["update_ratio"].tolist() == [0.0, 0.0]
    assert stats["dead"] == int(reading.dead.sum()) and stats["dead_units"] is reading.dead
