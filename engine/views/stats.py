"""Readings of a network for the page: loss and accuracy over a data set, and the last step's statistics."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from engine.nn.losses import BoundLoss
from engine.nn.network import Network
from engine.views.monitor import unit_flags


class TrainPass(NamedTuple):
    """One inference pass over the training set: data loss, accuracy, and the hidden units' health."""

    loss: float
    accuracy: float
    dead: np.ndarray  # (n_hidden_neurons,) bool
    saturated: np.ndarray  # (n_hidden_neurons,) bool
    output: bool  # a tanh output unit saturated on every point (its δ vanishes too)


def measure(
    net: Network, loss: BoundLoss, x: np.ndarray, target: np.ndarray, labels: np.ndarray | None
) -> tuple[float, float]:
    """(data loss, accuracy) of `net` on x; accuracy is NaN without labels, both are NaN without points."""
    if not len(x):
        return math.nan, math.nan
    z = net.infer(x, neurons=False)[0].T  # (n, n_out)
    accuracy = loss.accuracy(z, labels) if labels is not None else math.nan
    return loss.value(z, target), accuracy


def train_pass(net: Network, loss: BoundLoss, x: np.ndarray, target: np.ndarray, labels: np.ndarray) -> TrainPass:
    """Loss, accuracy, dead and saturated hidden units and a saturated tanh output over the training set."""
    if not len(x):
        n_hidden = sum(net.hidden)
        return TrainPass(math.nan, math.nan, np.zeros(n_hidden, bool), np.zeros(n_hidden, bool), False)
    z, hidden = net.infer(x)  # (n_out, n), (n_hidden, n) neuron-major
    dead, saturated = unit_flags(net, hidden)
    output = loss.output == "tanh" and bool((np.abs(np.tanh(z)) > 0.98).all())
    return TrainPass(loss.value(z.T, target), loss.accuracy(z.T, labels), dead, saturated, output)


def layer_bounds(net: Network) -> np.ndarray:
    """Where each W and each b starts in the flat vector: W0, b0, W1, b1, … (for `np.add.reduceat`)."""
    starts = np.array([[w.start, b.start] for w, b in zip(net.weight_slices, net.bias_slices, strict=True)])
    return starts.reshape(-1)


def step_stats(
    net: Network, prev: np.ndarray, scratch: np.ndarray, bounds: np.ndarray, have_backward: bool, batch_loss: float,
    health: TrainPass,
) -> dict[str, Any]:  # fmt: skip
    """The last step's statistics: δ per neuron, gradient norm and update ratio per layer, unit health.

    `prev` is the parameter vector before the last update, `scratch` a buffer of its size, `bounds` from
    `layer_bounds`; without a backward pass yet the δ statistics are zeros.
    """
    n_neurons = sum(net.sizes[1:])
    if have_backward:
        means, absolutes = net.delta_stats()
        delta_mean = np.concatenate(means).astype(np.float32)  # (n_neurons,) hidden then output, layer by layer
        delta_abs = np.concatenate(absolutes).astype(np.float32)
    else:
        delta_mean = delta_abs = np.zeros(n_neurons, np.float32)
    squares = scratch
    np.square(net.grads, out=squares)
    grad_norm = np.sqrt(np.add.reduceat(squares, bounds).reshape(-1, 2).sum(axis=1))  # (n_layers,) W and b
    np.subtract(net.params, prev, out=squares)
    np.square(squares, out=squares)
    update = np.add.reduceat(squares, bounds)[0::2]  # ‖ΔW‖² per layer
    np.square(net.params, out=squares)
    weight = np.add.reduceat(squares, bounds)[0::2]  # ‖W‖² per layer
    return {
        "batch_loss": batch_loss,
        "delta_mean": delta_mean,
        "delta_abs": delta_abs,
        "grad_norm": grad_norm.astype(np.float32),  # (n_layers,)
        "update_ratio": np.sqrt(update / (weight + 1e-24)).astype(np.float32),  # (n_layers,) ‖ΔW‖ / ‖W‖
        "dead": int(health.dead.sum()),
        "saturated": int(health.saturated.sum()),
        "dead_units": health.dead,  # (n_hidden_neurons,) bool
        "saturated_units": health.saturated,
    }
