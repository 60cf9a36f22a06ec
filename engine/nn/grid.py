"""What the network draws over the data domain (engine.data.datasets): the output map and one small map per hidden
neuron."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.data.features import grid_inputs
from engine.nn.network import Network

Array = np.ndarray


@dataclass(frozen=True)
class Grids:
    """float32 maps, row-major from the top-left corner (see `features.grid_points`)."""

    output: Array  # (G*G,) for one output unit, (G*G, K) for K
    neurons: Array  # (n_hidden_neurons, g*g), neuron-major: layer by layer, neuron by neuron
    features: Array  # (n_features, g*g)


def grid_matrix(inputs: Sequence[str] | Callable[[int], Array], g: int) -> Array:
    """(g*g, k) network inputs on the g×g grid, from feature names (cached per (g, names)) or a function of g."""
    return inputs(g) if callable(inputs) else grid_inputs(tuple(inputs), g)


def compute_grids(
    net: Network,
    predict: Callable[[Array], Array],
    inputs: Sequence[str] | Callable[[int], Array],
    size: int = 100,
    neuron_size: int = 25,
    maps_from: Grids | None = None,
) -> Grids:
    """Output map (size²) and every hidden neuron's map (neuron_size²), each from its own forward pass.

    `predict` turns z_out into outputs (the loss's output activation); `inputs` are the feature names or a function
    g -> (g*g, n_features) feature matrix. The network's cached training pass is left alone. With `maps_from`, the
    neuron and feature maps are taken from there instead of computed, if they fit this network (a server short of
    time refreshes them every other frame).
    """
    z_out, _ = net.infer(grid_matrix(inputs, size), neurons=False)  # (n_out, size²)
    output = predict(z_out.T).astype(np.float32)  # (size², n_out)
    small = grid_matrix(inputs, neuron_size)  # (neuron_size², k)
    if maps_from is not None and maps_from.neurons.shape == (sum(net.sizes[1:-1]), neuron_size**2) \
            and maps_from.features.shape == small.T.shape:
        return Grids(output[:, 0] if output.shape[1] == 1 else output, maps_from.neurons, maps_from.features)
    _, neurons = net.infer(small)  # (n_hidden_neurons, neuron_size²)
    return Grids(output[:, 0] if output.shape[1] == 1 else output, neurons, np.ascontiguousarray(small.T))
