"""Grids: the output map and every hidden neuron's map, each from its own forward pass over the grid points."""

from __future__ import annotations

import numpy as np

from engine.data.features import grid_inputs, grid_points
from engine.nn.grid import compute_grids
from engine.nn.losses import get_loss
from engine.nn.network import Network


def plain_layers(net: Network, x: np.ndarray) -> list[np.ndarray]:
    """Every layer's output, hidden tanh activations then z_out, with plain float64 expressions."""
    outs, a = [], x.astype(np.float64)
    for W, b in zip(net.W[:-1], net.b[:-1], strict=True):
        a = np.tanh(a @ W.astype(np.float64) + b)
        outs.append(a)
    outs.append(a @ net.W[-1].astype(np.float64) + net.b[-1])
    return outs


def test_output_and_neuron_maps_match_plain_forward_passes() -> None:
    net = Network(2, [3, 2], 1, "tanh", rng=np.random.default_rng(0))
    net.b[0][...] = [0.1, -0.2, 0.3]
    loss = get_loss("mse", "binary")
    grids = compute_grids(net, loss.predict, ["x1", "x2"], size=20, neuron_size=5)
    big = plain_layers(net, grid_points(20) / 6.0)  # x1 = x/6, x2 = y/6
    np.testing.assert_allclose(grids.output, np.tanh(big[-1][:, 0]), atol=1e-5)
    small = plain_layers(net, grid_points(5) / 6.0)
    np.testing.assert_allclose(grids.neurons, np.concatenate([small[0].T, small[1].T]), atol=1e-5)
    assert grids.output.shape == (400,) and grids.neurons.shape == (5, 25) and grids.features.shape == (2, 25)
    assert grids.output.dtype == grids.neurons.dtype == grids.features.dtype == np.float32
    np.testing.assert_allclose(grids.features, grid_inputs(("x1", "x2"), 5).T)


def test_neuron_major_order_and_softmax_output() -> None:
    net = Network(3, [2, 4], 3, "relu", rng=np.random.default_rng(1))
    loss = get_loss("softmax_ce", "multiclass", 3)
    grids = compute_grids(net, loss.predict, ["x1", "x2", "x1_x2"], size=8, neuron_size=4)
    assert grids.output.shape == (64, 3)
    np.testing.assert_allclose(grids.output.sum(axis=1), 1.0, rtol=1e-5)
    x = grid_inputs(("x1", "x2", "x1_x2"), 4).astype(np.float64)
    a1 = np.maximum(x @ net.W[0] + net.b[0], 0)
    a2 = np.maximum(a1 @ net.W[1] + net.b[1], 0)
    np.testing.assert_allclose(grids.neurons[1], a1[:, 1], atol=1e-6)  # layer 0, neuron 1
    np.testing.assert_allclose(grids.neurons[2 + 3], a2[:, 3], atol=1e-6)  # layer 1, neuron 3


def test_caller_supplied_inputs_and_no_hidden_layer() -> None:
    net = Network(1, [], 1, rng=np.random.default_rng(2))
    grids = compute_grids(net, lambda z: z, lambda g: np.linspace(-1, 1, g * g, dtype=np.float32)[:, None], 4, 2)
    np.testing.assert_allclose(grids.output, np.linspace(-1, 1, 16) * net.W[0][0, 0], rtol=1e-5, atol=1e-6)
    assert grids.neurons.shape == (0, 4)


def test_training_cache_is_left_alone() -> None:
    net = Network(2, [4], 1, "tanh", rng=np.random.default_rng(3))
    loss = get_loss("mse", "binary")
    x = np.random.default_rng(4).uniform(-1, 1, (10, 2)).astype(np.float32)
    target = loss.encode(np.arange(10) % 2)
    z = net.forward(x)
    delta = loss.delta(z, target)
    compute_grids(net, loss.predict, ["x1", "x2"], 10, 10)  # batch 100 and 100: other buffers
    compute_grids(net, loss.predict, ["x1", "x2"], 10, 5)
    net.backward(delta)
    expected = net.grads.copy()
    net.forward(x)
    net.backward(delta)
    np.testing.assert_array_equal(net.grads, expected)
