"""The math of one neuron for one data point, with the live numbers: z = Σ wᵢ·aᵢ + b, a = f(z), δ and a·δ.

Any network size (the by-hand walk-through, engine/lessons/trace.py, stops at 2-4-4-1): one float64 forward and backward
pass of the point, the same operations as the walk-through's, then the chosen neuron's share of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.config import ConfigError
from engine.data.features import transform
from engine.lessons.trace import OUTPUT_DELTAS
from engine.nn.activations import ACTIVATIONS, get_activation

SOFTMAX_FORMULA = "ŷⱼ = softmax(z)ⱼ = e^zⱼ / Σₖ e^zₖ"


class NeuronError(ConfigError):
    """A point or neuron that does not exist: `field` names it (`index`, `layer`, `neuron`); a
    ConfigError, so the server answers it as `rejected`, naming the field."""


def point_pass(trainer: Any, index: int, split: str = "train") -> dict[str, Any]:
    """One data point through a float64 copy of the trainer's network: x, y, every layer's z, a and δ (layer 0 is
    the input; δ of the output is the loss's, for a batch of this one point). No dropout, no penalty."""
    net, config, data = trainer.network, trainer.config, trainer.data
    points, labels = (data.train_points, data.train_labels) if split == "train" else (data.test_points,
                                                                                      data.test_labels)  # fmt: skip
    if not 0 <= index < len(points):
        raise NeuronError("index", f"must be a {split} point from 0 to {len(points) - 1}")
    Ws = [np.array(W, dtype=np.float64) for W in net.W]
    bs = [np.array(b, dtype=np.float64).reshape(-1) for b in net.b]
    hidden = [get_activation(name, config.get("leaky_slope", 0.01)) for name in net.activation_names]
    loss = trainer.loss
    x = transform(points[index:index + 1], list(config["features"])).astype(np.float64)[0]
    zs, acts = [None], [x]
    for layer, (W, b) in enumerate(zip(Ws, bs, strict=True), start=1):
        z = acts[-1] @ W + b  # (fan_out,)
        zs.append(z)
        acts.append(hidden[layer - 1](z) if layer < len(Ws) else loss.predict(z[None, :])[0])
    target = loss.encode(labels[index:index + 1], dtype=np.float64)
    deltas: list[Any] = [None] * len(acts)
    deltas[-1] = loss.delta(zs[-1][None, :], target)[0]
    slopes: list[Any] = [None] * len(acts)
    backs: list[Any] = [None] * len(acts)  # Σₖ w·δ_next per neuron
    for layer in range(len(Ws) - 1, 0, -1):
        slopes[layer] = hidden[layer - 1].grad(zs[layer], acts[layer])
        backs[layer] = Ws[layer] @ deltas[layer + 1]  # (fan_in of the next layer,)
        deltas[layer] = backs[layer] * slopes[layer]
    return {"Ws": Ws, "bs": bs, "x": x, "zs": zs, "acts": acts, "deltas": deltas, "slopes": slopes, "backs": backs,
            "target": target[0], "names": [*net.activation_names, loss.output], "loss": loss.name,
            "point": points[index].tolist(), "label": labels[index].item()}


def neuron_math(trainer: Any, index: int, split: str, layer: int, neuron: int) -> dict[str, Any]:
    """Neuron `neuron` of layer `layer` (1 = the first hidden layer, the last = the output) for one data point:
    its inputs aᵢ, weights wᵢ, bias b, z, f and a = f(z); on the way back the next layer's weights and δs, f′(z) and
    δ (or the output's δ by the loss), and each weight's gradient aᵢ·δ."""
    sizes = [len(trainer.network.W[0]), *(W.shape[1] for W in trainer.network.W)]
    if not 1 <= layer < len(sizes):
        raise NeuronError("layer", f"must be a layer from 1 (the first hidden layer) to {len(sizes) - 1} "
                                   "(the output)")  # fmt: skip
    if not 0 <= neuron < sizes[layer]:
        raise NeuronError("neuron", f"must be a neuron of layer {layer}: 0 to {sizes[layer] - 1}")
    p = point_pass(trainer, index, split)
    W, b, inputs = p["Ws"][layer - 1], p["bs"][layer - 1], p["acts"][layer - 1]
    weights, delta = W[:, neuron], float(p["deltas"][layer][neuron])
    name = p["names"][layer - 1]
    output = layer == len(sizes) - 1
    formula = SOFTMAX_FORMULA if name == "softmax" else ACTIVATIONS[name].formula
    card: dict[str, Any] = {
        "index": index, "split": split, "point": p["point"], "label": p["label"], "layer": layer, "neuron": neuron,
        "sizes": sizes, "output": output,
        "input_names": list(trainer.config["features"]) if layer == 1 else None,
        "inputs": inputs.tolist(), "weights": weights.tolist(), "bias": float(b[neuron]),
        "terms": (weights * inputs).tolist(), "z": float(p["zs"][layer][neuron]),
        "activation": name, "formula": formula, "a": float(p["acts"][layer][neuron]), "delta": delta,
        "grads": (inputs * delta).tolist(), "bias_grad": delta,
    }
    if output:
        card["backward"] = {"loss": p["loss"], "rule": OUTPUT_DELTAS[p["loss"]],
                            "target": p["target"].tolist(), "y_hat": p["acts"][layer].tolist()}
    else:
        next_weights, next_deltas = p["Ws"][layer][neuron], p["deltas"][layer + 1]  # (fan_out of layer + 1,)
        card["backward"] = {"next_weights": next_weights.tolist(), "next_deltas": next_deltas.tolist(),
                            "terms": (next_weights * next_deltas).tolist(),
                            "sum": float(p["backs"][layer][neuron]), "slope": float(p["slopes"][layer][neuron])}
    return card
