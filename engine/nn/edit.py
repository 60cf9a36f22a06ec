"""Live architecture edits: a new Network of another shape that keeps every weight whose two units survive."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.nn.initializers import get_initializer
from engine.nn.network import Network
from engine.optim.optimizer_base import Pairs


def edited(
    net: Network,
    hidden: Sequence[int] | None = None,
    *,
    layer_map: Sequence[int | None] | None = None,
    neuron_maps: Sequence[Sequence[int | None] | None] | None = None,
    input_map: Sequence[int | None] | None = None,
    n_outputs: int | None = None,
    activation: str | Sequence[str] | None = None,
    leaky_slope: float | None = None,
    init: str | None = None,
    init_scale: float | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[Network, Pairs]:
    """A new network with another architecture that keeps every weight of `net` whose two units both survive.

    `layer_map[j]` is the old hidden layer new layer j comes from (None: a fresh layer); `neuron_maps[j][n]` the
    old neuron of new neuron n (None: fresh); `input_map[r]` the old input row of new input r. Defaults keep
    layers, neurons and inputs by position (adding or dropping at the end). A weight matrix is kept only
    between two new layers whose old layers were adjacent; fresh weights come from the initialiser, fresh
    biases are 0. Returns (new_net, pairs): (old_slice, new_slice) of every tensor kept whole and unchanged in
    shape, for `optimizer.remap(pairs, new_net.params.size)`.
    """
    old_hidden = net.hidden
    hidden = list(old_hidden if hidden is None else hidden)
    if layer_map is None:
        layer_map = [j if j < len(old_hidden) else None for j in range(len(hidden))]
    if activation is None:
        fallback = net.activation_names[-1] if net.activations else "tanh"
        activation = [net.activation_names[j] if j is not None else fallback for j in layer_map]
    n_out = net.sizes[-1] if n_outputs is None else n_outputs
    new = Network(
        net.sizes[0] if input_map is None else len(input_map), hidden, n_out, activation,
        leaky_slope=net.leaky_slope if leaky_slope is None else leaky_slope,
        init_scale=net.init_scale if init_scale is None else init_scale, dtype=net.dtype,
        max_layers=net.max_layers, max_neurons=net.max_neurons, init="zeros",
    )  # fmt: skip
    new.init = init or net.init
    get_initializer(new.init)

    def prefix(n_new: int, n_old: int) -> list[int | None]:
        return [n if n < n_old else None for n in range(n_new)]

    # Each level of units (inputs, hidden layers, outputs) as (old level or None, old unit per new unit).
    levels = [(0, list(input_map) if input_map is not None else prefix(new.sizes[0], net.sizes[0]))]
    for j, old in enumerate(layer_map):
        given = neuron_maps[j] if neuron_maps is not None else None
        units = list(given) if given is not None else prefix(hidden[j], old_hidden[old] if old is not None else 0)
        levels.append((None if old is None else old + 1, units if old is not None else [None] * hidden[j]))
    levels.append((len(net.sizes) - 1, prefix(n_out, net.sizes[-1])))
    if [len(units) for _, units in levels] != new.sizes:
        raise ValueError("a neuron or input map does not match the new layer's width")

    rng = np.random.default_rng(0) if rng is None else rng
    pairs: Pairs = []
    for i in range(len(new.W)):
        (src, rows), (dst, cols) = levels[i], levels[i + 1]
        kept = src is not None and dst == src + 1
        if not kept or None in rows or None in cols:
            new.W[i][...] = new.draw(*new.W[i].shape, rng)
        if dst is None:
            continue
        c_new = [c for c, old in enumerate(cols) if old is not None]
        c_old = [cols[c] for c in c_new]
        new.b[i][c_new] = net.b[dst - 1][c_old]  # a bias belongs to its neuron: kept whenever the neuron is
        same_cols = cols == list(range(net.sizes[dst]))
        if same_cols:
            pairs.append((net.bias_slices[dst - 1], new.bias_slices[i]))
        if not kept:
            continue
        r_new = [r for r, old in enumerate(rows) if old is not None]
        r_old = [rows[r] for r in r_new]
        new.W[i][np.ix_(r_new, c_new)] = net.W[src][np.ix_(r_old, c_old)]
        if same_cols and rows == list(range(net.sizes[src])):
            pairs.append((net.weight_slices[src], new.weight_slices[i]))
    return new, pairs


def with_neuron_added(net: Network, layer: int, rng: np.random.Generator) -> tuple[Network, Pairs]:
    """One more neuron at the end of hidden layer `layer`, with fresh weights."""
    hidden = net.hidden
    hidden[layer] += 1
    return edited(net, hidden, rng=rng)


def with_neuron_removed(net: Network, layer: int, index: int = -1) -> tuple[Network, Pairs]:
    """Hidden layer `layer` without neuron `index` (default the last): its row and column are dropped."""
    hidden = net.hidden
    keep = list(range(hidden[layer]))
    del keep[index]
    hidden[layer] -= 1
    maps: list[Sequence[int | None] | None] = [None] * len(hidden)
    maps[layer] = keep
    return edited(net, hidden, neuron_maps=maps)


def with_layer_added(
    net: Network, at: int, width: int, rng: np.random.Generator, activation: str | None = None
) -> tuple[Network, Pairs]:
    """A freshly initialised hidden layer inserted at position `at` (0 = right after the inputs)."""
    old = list(range(len(net.hidden)))
    layer_map: list[int | None] = [*old[:at], None, *old[at:]]
    names = net.activation_names
    names.insert(at, activation or (names[min(at, len(names) - 1)] if names else "tanh"))
    return edited(net, [*net.hidden[:at], width, *net.hidden[at:]], layer_map=layer_map, activation=names, rng=rng)


def with_layer_removed(net: Network, at: int, rng: np.random.Generator) -> tuple[Network, Pairs]:
    """Hidden layer `at` removed; its neighbours are joined by a freshly initialised matrix."""
    keep = [j for j in range(len(net.hidden)) if j != at]
    names = [net.activation_names[j] for j in keep]
    return edited(net, [net.hidden[j] for j in keep], layer_map=keep, activation=names, rng=rng)
