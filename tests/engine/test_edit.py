"""Live edits: every weight between two surviving units kept bit-identically, the rest fresh, and a network that
still trains afterwards."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.nn.edit import edited, with_layer_added, with_layer_removed, with_neuron_added, with_neuron_removed
from engine.nn.losses import get_loss
from engine.nn.network import Network


def sgd_losses(net: Network, steps: int = 30, seed: int = 0) -> list[float]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (32, net.sizes[0])).astype(net.dtype)
    loss = get_loss("mse", "binary")
    target = loss.encode((x[:, 0] * x[-1, -1] > 0).astype(int), net.dtype)
    values = []
    for _ in range(steps):
        z = net.forward(x)
        values.append(loss.value(z, target))
        net.backward(loss.delta(z, target))
        net.params -= 0.3 * net.grads
    return values


def trained(seed: int = 0) -> Network:
    net = Network(2, [4, 3], 1, "tanh", rng=np.random.default_rng(seed))
    sgd_losses(net, 20)
    return net


def test_add_and_remove_neuron_keeps_everything_else() -> None:
    net = trained()
    grown, pairs = with_neuron_added(net, 0, np.random.default_rng(1))
    assert grown.sizes == [2, 5, 3, 1]
    assert np.array_equal(grown.W[0][:, :4], net.W[0]) and np.array_equal(grown.b[0][:4], net.b[0])
    assert np.array_equal(grown.W[1][:4], net.W[1]) and grown.b[0][4] == 0
    assert grown.W[0][:, 4].any() and grown.W[1][4].any()
    assert np.array_equal(grown.W[2], net.W[2]) and np.array_equal(grown.b[1], net.b[1])
    for old, new in pairs:
        assert np.array_equal(net.params[old], grown.params[new])
    kept = {(o.start, o.stop) for o, _ in pairs}
    assert (net.weight_slices[2].start, net.weight_slices[2].stop) in kept
    assert (net.weight_slices[0].start, net.weight_slices[0].stop) not in kept

    shrunk, _ = with_neuron_removed(net, 0, index=1)
    assert shrunk.sizes == [2, 3, 3, 1]
    assert np.array_equal(shrunk.W[0], net.W[0][:, [0, 2, 3]])
    assert np.array_equal(shrunk.W[1], net.W[1][[0, 2, 3]])
    assert np.array_equal(shrunk.b[0], net.b[0][[0, 2, 3]])
    for changed in (grown, shrunk):
        losses = sgd_losses(changed, 15, seed=3)
        assert losses[-1] < losses[0]


def test_add_and_remove_layer() -> None:
    net = trained()
    deeper, pairs = with_layer_added(net, 1, 2, np.random.default_rng(1))
    assert deeper.sizes == [2, 4, 2, 3, 1]
    assert np.array_equal(deeper.W[0], net.W[0]) and np.array_equal(deeper.W[3], net.W[2])
    assert np.array_equal(deeper.b[2], net.b[1])  # the old second layer's neurons keep their biases
    assert not deeper.b[1].any()
    assert len(pairs) == 5  # W0 b0 | b2 | W3 b3
    shallower, pairs = with_layer_removed(net, 0, np.random.default_rng(1))
    assert shallower.sizes == [2, 3, 1]
    assert np.array_equal(shallower.W[1], net.W[2]) and np.array_equal(shallower.b[0], net.b[1])
    assert not np.array_equal(shallower.W[0], net.W[1][:2])
    for changed in (deeper, shallower):
        losses = sgd_losses(changed, 40, seed=3)
        assert losses[-1] < losses[0]


def test_input_features_and_activation_change() -> None:
    net = trained()
    wider, pairs = edited(net, input_map=[1, None, 0], rng=np.random.default_rng(2))
    assert wider.sizes == [3, 4, 3, 1]
    assert np.array_equal(wider.W[0][0], net.W[0][1]) and np.array_equal(wider.W[0][2], net.W[0][0])
    assert wider.W[0][1].any()
    assert np.array_equal(wider.params[wider.layer_slices[1].start :], net.params[net.layer_slices[1].start :])
    relu, pairs = edited(net, activation="relu")
    assert relu.activation_names == ["relu", "relu"] and np.array_equal(relu.params, net.params)
    assert len(pairs) == 6


def test_edit_is_deterministic_and_validates() -> None:
    net = trained()
    a, _ = with_neuron_added(net, 1, np.random.default_rng(5))
    b, _ = with_neuron_added(net, 1, np.random.default_rng(5))
    assert np.array_equal(a.params, b.params)
    with pytest.raises(ValueError):
        edited(net, [4, 3, 2, 1], neuron_maps=[[0, 1], None, None, None])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    hidden=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    op=st.sampled_from(["add_neuron", "remove_neuron", "add_layer", "remove_layer"]),
    where=st.integers(0, 10),
    seed=st.integers(0, 2**16),
)
def test_any_edit_keeps_every_surviving_weight(hidden: list[int], op: str, where: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    net = Network(3, hidden, 2, "tanh", init="he", rng=rng, max_neurons=7)
    net.params[...] = rng.normal(size=net.params.size)  # biases too, so kept biases are checked
    layer = where % len(hidden)
    # level maps (old level, old unit per new unit), built from the edit's meaning alone
    levels = [(k, list(range(n))) for k, n in enumerate(net.sizes)]
    if op == "add_neuron":
        new, pairs = with_neuron_added(net, layer, rng)
        levels[layer + 1] = (layer + 1, [*range(hidden[layer]), None])
    elif op == "remove_neuron":
        if hidden[layer] == 1:
            return
        index = where % hidden[layer]
        new, pairs = with_neuron_removed(net, layer, index)
        levels[layer + 1] = (layer + 1, [n for n in range(hidden[layer]) if n != index])
    elif op == "add_layer":
        at = where % (len(hidden) + 1)
        new, pairs = with_layer_added(net, at, 3, rng)
        levels.insert(at + 1, (None, [None] * 3))
    else:
        new, pairs = with_layer_removed(net, layer, rng)
        del levels[layer + 1]
    assert new.sizes == [len(units) for _, units in levels]
    for i in range(len(new.W)):
        (src, rows), (dst, cols) = levels[i], levels[i + 1]
        for c, old_c in enumerate(cols):
            if old_c is not None:
                assert new.b[i][c] == net.b[dst - 1][old_c]
            if src is None or dst != src + 1 or old_c is None:
                continue
            for r, old_r in enumerate(rows):
                if old_r is not None:
                    assert new.W[i][r, c] == net.W[src][old_r, old_c]
    for old_slice, new_slice in pairs:
        assert np.array_equal(net.params[old_slice], new.params[new_slice])

    def whole(level: int | None, units: list[int | None]) -> bool:
        return level is not None and units == list(range(net.sizes[level]))

    expected = 0
    for i in range(len(new.W)):
        (src, rows), (dst, cols) = levels[i], levels[i + 1]
        expected += whole(dst, cols)  # the bias vector, unchanged
        expected += whole(dst, cols) and whole(src, rows) and dst == src + 1  # the weight matrix, unchanged
    assert len(pairs) == expected
