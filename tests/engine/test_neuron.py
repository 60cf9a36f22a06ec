"""One neuron's math: the same numbers as the by-hand walk-through, the engine's own float64 backward pass on any
network, and arithmetic that adds up term by term."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.lessons.trace import trace
from engine.trainer import Trainer
from engine.views.neuron import NeuronError, neuron_math


def every_neuron(sizes):
    return [(layer, j) for layer in range(1, len(sizes)) for j in range(sizes[layer])]


@pytest.mark.parametrize("config", [
    {"layers": [4, 4], "activation": "tanh", "loss": "mse", "dataset": "circle", "seed": 1},
    {"layers": [3, 2], "activation": "relu", "loss": "bce", "dataset": "xor", "seed": 2},
])  # fmt: skip
def test_the_card_shows_the_numbers_of_the_by_hand_walk_through(config):
    trainer = Trainer(config)
    trainer.train(30)
    walk = trace(trainer, 7, "test")
    values = walk["values"]
    for layer, j in every_neuron(walk["sizes"]):
        card = neuron_math(trainer, 7, "test", layer, j)
        assert card["z"] == values["z"][layer - 1][j]
        assert card["a"] == values["a"][layer][j]
        assert card["delta"] == values["delta"][layer - 1][j]
        assert card["inputs"] == values["a"][layer - 1]
        assert card["weights"] == [row[j] for row in walk["weights"]["W"][layer - 1]]
        assert card["bias"] == walk["weights"]["b"][layer - 1][j]
        assert card["grads"] == [row[j] for row in values["dW"][layer - 1]]
        assert card["bias_grad"] == values["db"][layer - 1][j]
        assert card["point"] == walk["point"] and card["label"] == walk["label"]


@pytest.mark.parametrize("config", [
    {"layers": [8, 8, 8], "activation": "tanh", "loss": "mse", "dataset": "spiral", "seed": 3,
     "features": ["x1", "x2", "x1_sq", "x2_sq", "x1_x2"]},
    {"layers": [6, 5], "activation": ["relu", "sigmoid"], "loss": "softmax_ce", "dataset": "blobs_k", "classes": 4,
     "seed": 4},
    {"layers": [7], "activation": "swish", "loss": "huber", "dataset": "multi_gauss", "seed": 5},
])  # fmt: skip
def test_any_network_equals_the_engines_backward_pass_and_adds_up(config):
    trainer = Trainer(config)
    trainer.train(40)
    index = 11
    x = trainer.data.inputs(trainer.config["features"])[0][index:index + 1].astype(np.float64)
    net = trainer.network.copy(np.float64)
    z_out = net.forward(x).copy()
    target = trainer.loss.encode(trainer.data.train_labels[index:index + 1], np.float64)
    net.backward(trainer.loss.delta(z_out, target))
    hidden = net.infer(x)[1][:, 0]  # (n_hidden,) every hidden neuron's a, layer after layer
    sizes = [x.shape[1], *net.hidden, z_out.shape[1]]
    for layer, j in every_neuron(sizes):
        card = neuron_math(trainer, index, "train", layer, j)
        assert card["sizes"] == sizes and card["output"] == (layer == len(sizes) - 1)
        np.testing.assert_allclose(card["grads"], net.dW[layer - 1][:, j], rtol=1e-9, atol=1e-12)
        assert card["bias_grad"] == pytest.approx(float(net.db[layer - 1].reshape(-1)[j]), rel=1e-9, abs=1e-12)
        if card["output"]:
            assert card["z"] == pytest.approx(float(z_out[0, j]), rel=1e-9, abs=1e-12)
            assert card["backward"]["y_hat"][j] == card["a"]
        else:
            start = sum(sizes[1:layer])
            assert card["a"] == pytest.approx(float(hidden[start + j]), rel=1e-9, abs=1e-12)
            back = card["backward"]
            assert math.fsum(back["terms"]) == pytest.approx(back["sum"], rel=1e-12, abs=1e-15)
            assert card["delta"] == pytest.approx(back["slope"] * back["sum"], rel=1e-12, abs=1e-15)
        assert math.fsum(card["terms"]) + card["bias"] == pytest.approx(card["z"], rel=1e-12, abs=1e-12)
        assert card["terms"] == [w * a for w, a in zip(card["weights"], card["inputs"], strict=True)]
        assert card["grads"] == [a * card["delta"] for a in card["inputs"]]


def test_a_neuron_that_does_not_exist_is_named():
    trainer = Trainer({"layers": [3, 2]})
    for args, field in [((0, "train", 0, 0), "layer"), ((0, "train", 4, 0), "layer"), ((0, "train", 2, 2), "neuron"),
                        ((10_000, "train", 1, 0), "index"), ((10_000, "test", 1, 0), "index")]:
        with pytest.raises(NeuronError) as caught:
            neuron_math(trainer, *args)
        assert caught.value.field == field
    assert neuron_math(trainer, 0, "train", 1, 0)["input_names"] == trainer.config["features"]
    assert neuron_math(trainer, 0, "train", 2, 1)["input_names"] is None
