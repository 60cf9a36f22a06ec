"""Gradient checking: backprop agrees with finite differences; the injected bug is caught; the live net is safe."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.lessons.gradcheck import check_case, check_network, kink_free, main
from engine.nn.activations import ACTIVATIONS
from engine.nn.losses import get_loss
from engine.nn.network import Network


def setup(activation: str = "tanh", seed: int = 0):
    rng = np.random.default_rng(seed)
    net = Network(2, [4, 3], 1, activation, rng=rng)
    loss = get_loss("mse", "binary")
    x = rng.uniform(-1, 1, (8, 2)).astype(np.float32)
    return net, x, loss.encode(rng.integers(0, 2, 8)), loss


@pytest.mark.parametrize("regularization", ["none", "l1", "l2"])
def test_backprop_passes(regularization: str) -> None:
    net, x, target, loss = setup()
    errors = check_network(net, x, target, loss, regularization, 0.1)
    assert len(errors) == 3 and max(errors) < 1e-6


def test_injected_bug_is_caught_in_the_right_layers() -> None:
    net, x, target, loss = setup()
    errors = check_network(net, x, target, loss, inject_bug=True)
    assert errors[0] > 1e-3 and errors[1] > 1e-3  # f' left out in the last hidden layer: it and below go wrong
    assert errors[2] < 1e-6


def test_injected_bug_without_nonlinear_layers() -> None:
    net, x, target, loss = setup("linear")
    errors = check_network(net, x, target, loss, inject_bug=True)
    assert errors[-1] > 1e-3 and max(errors[:-1]) < 1e-6


def test_live_network_is_untouched() -> None:
    net, x, target, loss = setup()
    before = net.params.copy()
    z = net.forward(x)
    net.backward(loss.delta(z, target))
    grads = net.grads.copy()
    check_network(net, x, target, loss, "l2", 0.1, inject_bug=True)
    assert np.array_equal(net.params, before) and np.array_equal(net.grads, grads)
    assert net.params.dtype == np.float32


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_activation_with_softmax_ce_three_classes(activation: str) -> None:
    assert check_case(activation, "softmax_ce", "multiclass", "l1") < 1e-6


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and report["worst"] < 1e-6
    combos = {(r["activation"], r["loss"], r["problem"], r["regularization"]) for r in report["results"]}
    assert ("relu", "mae", "regression", "l1") in combos and ("gelu", "bce", "binary", "l2") in combos
    assert len(combos) == len(ACTIVATIONS) * 9 * 3


def test_examples_on_a_relu_kink_are_left_out() -> None:
    net = Network(1, [3], 1, "relu", rng=np.random.default_rng(1), dtype=np.float64)
    net.W[0][...] = [[1.0, -1.0, 0.5]]
    loss = get_loss("mse", "regression")
    x = np.array([[0.0], [0.5], [-0.7], [1.0]])  # x = 0 puts every unit exactly on its kink (z = b = 0)
    target = loss.encode(np.array([0.3, -0.2, 0.1, 0.4]), np.float64)
    assert kink_free(net, x, target, loss).tolist() == [False, True, True, True]
    assert max(check_network(net, x, target, loss)) < 1e-6
