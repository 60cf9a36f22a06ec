"""One training point through a live trainer's network, step by step: every z, a, δ and gradient.

`trace(trainer, index, split)` is what the page's "backprop by hand" panel shows; networks larger than
MAX_TRACE_SIZES (2-4-4-1) are reported as too big to read.
"""

from __future__ import annotations

import numpy as np

from engine.config import ConfigError
from engine.lessons.walk import Walk, backward, fmt, forward

MAX_TRACE_SIZES = (2, 4, 4, 1)  # the largest network whose walk-through is still readable

OUTPUT_DELTAS = {
    "bce": "ŷ − y (sigmoid and cross-entropy: σ′ cancels)",
    "softmax_ce": "ŷ − y (softmax and cross-entropy)",
    "mse": "(ŷ − y) · f′(z)",
    "mae": "sign(ŷ − y) · f′(z)",
    "huber": "clip(ŷ − y, −1, 1) · f′(z)",
}


def too_big(sizes: list[int]) -> bool:
    """Whether a network (input, hidden…, output sizes) is larger than 2-4-4-1 and so too big to read step by step."""
    limit = MAX_TRACE_SIZES
    hidden = sizes[1:-1]
    return (len(sizes) > len(limit) or sizes[0] > limit[0] or sizes[-1] > limit[-1]
            or any(h > limit[1] for h in hidden))


def trace(trainer, index: int, split: str = "train") -> dict:
    """One training point through the trainer's live network (a float64 copy): every z, a, δ and gradient.

    Dropout and regularisation are left out: this is one point's own backprop, which a mini-batch averages.
    """
    from engine.data.features import transform
    from engine.nn.activations import get_activation
    from engine.nn.losses import get_loss

    net, config, data = trainer.network, trainer.config, trainer.data
    if split == "train":
        points, labels = data.train_points, data.train_labels
    else:
        points, labels = data.test_points, data.test_labels
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(points):
        raise ConfigError("index", f"must be a {split} point from 0 to {len(points) - 1}")
    Ws = [np.array(W, dtype=np.float64) for W in net.W]
    bs = [np.array(b, dtype=np.float64).reshape(-1) for b in net.b]
    sizes = [Ws[0].shape[0], *(W.shape[1] for W in Ws)]
    if too_big(sizes):
        return {"too_big": True, "sizes": sizes, "limit": list(MAX_TRACE_SIZES),
                "message": f"A {'-'.join(map(str, sizes))} network is too big to read step by step; "
                           f"the walk-through shows networks up to {'-'.join(map(str, MAX_TRACE_SIZES))}."}
    names_in = list(config["features"])
    x = transform(points[index:index + 1], names_in).astype(np.float64)[0]
    kind = data.kind
    bound = get_loss(config["loss"], kind, max(2, getattr(data, "classes", 2)))
    hidden = config["activation"]
    hidden = [hidden] * (len(Ws) - 1) if isinstance(hidden, str) else list(hidden)
    layer_acts = [get_activation(h, config.get("leaky_slope", 0.01)) for h in hidden]

    def acts_of(layer: int, z: np.ndarray) -> np.ndarray:
        if layer == len(Ws):
            return bound.predict(z[None, :])[0]
        return layer_acts[layer - 1](z)

    def slopes_of(layer: int, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return layer_acts[layer - 1].grad(z, a)

    walk = Walk(sizes)
    shown = [None, *hidden, bound.output]
    zs, acts = forward(walk, Ws, bs, x, acts_of, shown)
    target = bound.encode(labels[index:index + 1], dtype=np.float64)
    loss = bound.value(zs[-1][None, :], target)
    walk.add("loss", "loss", f"Loss ({bound.name})", f"L = {bound.name}(ŷ, y)",
             f"ŷ = {', '.join(map(fmt, acts[-1]))}; y = {', '.join(map(fmt, target[0]))}", loss, {"kind": "loss"})
    d_out = bound.delta(zs[-1][None, :], target)[0]
    delta_step = {"formula": f"δ = {OUTPUT_DELTAS[bound.name]}", "substituted": ", ".join(map(fmt, d_out))}
    deltas, dWs, dbs = backward(walk, Ws, zs, acts, d_out, slopes_of, shown, delta_step)
    label = labels[index]
    return {
        "too_big": False, "index": index, "split": split, "point": points[index].tolist(),
        "label": float(label) if kind == "regression" else int(label), "features": names_in, "input": x.tolist(),
        "sizes": sizes, "activations": shown[1:], "loss_name": bound.name, "loss": loss,
        "weights": {"W": [W.tolist() for W in Ws], "b": [b.tolist() for b in bs]},
        "values": {"z": [z.tolist() for z in zs[1:]], "a": [a.tolist() for a in acts],
                   "delta": [d.tolist() for d in deltas[1:]], "dW": [d.tolist() for d in dWs],
                   "db": [d.tolist() for d in dbs]},
        "steps": walk.steps,
    }
