"""The hidden-layer space: the points and grid lines at two neurons' activations equal the network's own forward
pass (Network.infer) and a float64 one written out here."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.datasets import DOMAIN
from engine.trainer import Trainer
from engine.views.hidden_space import GRID_LINES, LINE_SAMPLES, MAX_POINTS, SpaceError, grid_lines, hidden_space

F64 = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
FEATURES = {"x1": lambda p: p[:, 0] / 6, "x2": lambda p: p[:, 1] / 6, "x1_x2": lambda p: p[:, 0] * p[:, 1] / 36}


def by_hand(trainer: Trainer, points: np.ndarray, layer: int) -> np.ndarray:
    a = np.column_stack([FEATURES[f](np.asarray(points, np.float64)) for f in trainer.config["features"]])
    for W, b, name in zip(trainer.network.W[:layer], trainer.network.b[:layer], trainer.network.activation_names,
                          strict=False):  # fmt: skip
        a = F64[name](a @ np.asarray(W, np.float64) + np.asarray(b, np.float64).reshape(-1))
    return a


@pytest.mark.parametrize(("config", "layer", "neurons"), [
    ({"layers": [2], "activation": "tanh", "dataset": "circle", "seed": 1}, 1, [0, 1]),
    ({"layers": [5, 4, 3], "activation": "relu", "dataset": "spiral", "seed": 2, "features": ["x1", "x2", "x1_x2"]},
     2, [3, 1]),
    ({"layers": [6, 6], "activation": ["tanh", "sigmoid"], "dataset": "blobs_k", "classes": 3, "loss": "softmax_ce",
      "seed": 3}, 2, [0, 5]),
])  # fmt: skip
def test_the_points_sit_at_the_activations_of_a_direct_forward_pass(config, layer, neurons):
    trainer = Trainer(config)
    trainer.train(50)
    space = hidden_space(trainer, layer, neurons, DOMAIN)
    _, hidden = trainer.network.infer(trainer.data.inputs(trainer.config["features"])[0])  # (n_hidden, n)
    rows = [sum(trainer.network.hidden[:layer - 1]) + j for j in neurons]
    shown = np.array(space["points"]["train"])
    index = space["indices"]["train"]
    assert len(index) == min(len(trainer.data.train_points), MAX_POINTS)
    np.testing.assert_allclose(shown[:, :2], hidden[rows][:, index].T, atol=2e-5)
    np.testing.assert_array_equal(shown[:, 2], trainer.data.train_labels[index])
    test = np.array(space["points"]["test"])
    expected = by_hand(trainer, trainer.data.test_points[space["indices"]["test"]], layer)[:, neurons]
    np.testing.assert_allclose(test[:, :2], expected, atol=2e-5)
    lines = np.array(space["lines"])
    assert lines.shape == (2 * GRID_LINES, LINE_SAMPLES, 2)
    np.testing.assert_allclose(lines.reshape(-1, 2), by_hand(trainer, grid_lines(DOMAIN).reshape(-1, 2), layer)[
        :, neurons], atol=2e-5)  # fmt: skip
    assert (space["layer"], space["neurons"], space["step"]) == (layer, neurons, 50)


def test_the_grid_is_the_input_planes_lines_edge_to_edge():
    grid = grid_lines(6.0, lines=3, samples=5)
    assert grid.shape == (6, 5, 2)
    assert grid[0].tolist() == [[-6, -6], [-6, -3], [-6, 0], [-6, 3], [-6, 6]]  # x fixed at the left edge
    assert grid[4].tolist() == [[-6, 0], [-3, 0], [0, 0], [3, 0], [6, 0]]  # y fixed at the middle


def test_a_layer_or_neurons_the_network_lacks_are_named():
    trainer = Trainer({"layers": [3, 2]})
    for layer, neurons, field in [(0, [0, 1], "layer"), (3, [0, 1], "layer"), (1, [0, 3], "neurons"),
                                  (1, [1, 1], "neurons"), (2, [0], "neurons")]:
        with pytest.raises(SpaceError) as caught:
            hidden_space(trainer, layer, neurons, DOMAIN)
        assert caught.value.field == field
