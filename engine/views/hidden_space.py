"""The data seen from inside: the points at two hidden neurons' activations, and the input plane's grid lines mapped
into that space (as ConvNetJS's classifier demo draws it): the bent mesh shows how a layer untangles the data."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.config import ConfigError
from engine.data.features import transform
from engine.nn.activations import get_activation

GRID_LINES = 13  # lines across each axis of the input plane, the domain's edges included
LINE_SAMPLES = 41  # points along each line: enough for a bent line to look bent
MAX_POINTS = 1000  # points sent per split (evenly spaced over them): the picture, not every point


class SpaceError(ConfigError):
    """A layer or neuron the network does not have: `field` names it (`layer`, `neurons`); a
    ConfigError, so the server answers it as `rejected`, naming the field."""


def activations(trainer: Any, points: np.ndarray, layer: int) -> np.ndarray:
    """Hidden layer `layer`'s activations (n, fan_out) for raw (x, y) points (n, 2): the layers up to it, float32."""
    net = trainer.network
    a = transform(points, list(trainer.config["features"]))  # (n, n_features)
    slope = trainer.config.get("leaky_slope", 0.01)
    for W, b, name in zip(net.W[:layer], net.b[:layer], net.activation_names[:layer], strict=True):
        a = get_activation(name, slope)(a @ W + b.reshape(-1))  # (n, fan_out)
    return a


def grid_lines(domain: float, lines: int = GRID_LINES, samples: int = LINE_SAMPLES) -> np.ndarray:
    """The input plane's grid: (2 · lines, samples, 2) points, first the lines of constant x, then of constant y."""
    ticks, along = np.linspace(-domain, domain, lines), np.linspace(-domain, domain, samples)
    vertical = np.stack(np.broadcast_arrays(ticks[:, None], along[None, :]), axis=-1)  # x fixed, y runs
    return np.concatenate([vertical, vertical[..., ::-1]]).astype(np.float32)


def hidden_space(trainer: Any, layer: int, neurons: list[int], domain: float) -> dict[str, Any]:
    """The training and test points (at most MAX_POINTS each) and the grid lines at the activations of `neurons`
    (two of hidden layer `layer`, counted from 1; neurons from 0): `points` {split: [[u, v, label], …]},
    `indices` {split: [point index, …]}, `lines` [[[u, v], …], …], with the layer's activation and step."""
    hidden = trainer.network.hidden
    if not 1 <= layer <= len(hidden):
        raise SpaceError("layer", f"must be a hidden layer from 1 to {len(hidden)}" if hidden
                         else "the network has no hidden layer")  # fmt: skip
    if len(neurons) != 2 or len(set(neurons)) != 2 or not all(0 <= j < hidden[layer - 1] for j in neurons):
        raise SpaceError("neurons", f"must be two different neurons of layer {layer}: 0 to {hidden[layer - 1] - 1}")
    data = trainer.data
    out: dict[str, Any] = {"layer": layer, "neurons": list(neurons), "activation": trainer.network.activation_names[
        layer - 1], "step": int(trainer.step), "points": {}, "indices": {}}  # fmt: skip
    for split, points, labels in (("train", data.train_points, data.train_labels),
                                  ("test", data.test_points, data.test_labels)):  # fmt: skip
        n = len(points)
        index = np.unique(np.linspace(0, n - 1, min(n, MAX_POINTS)).round().astype(np.intp)) if n else np.zeros(0, int)
        uv = activations(trainer, points[index], layer)[:, neurons] if n else np.zeros((0, 2), np.float32)
        out["points"][split] = np.column_stack([uv, labels[index]]).round(5).tolist()
        out["indices"][split] = index.tolist()
    grid = grid_lines(domain)
    mapped = activations(trainer, grid.reshape(-1, 2), layer)[:, neurons]  # (lines · samples, 2)
    out["lines"] = mapped.reshape(grid.shape).round(5).tolist()
    out["grid"] = {"lines": GRID_LINES, "samples": LINE_SAMPLES, "domain": domain}
    return out
