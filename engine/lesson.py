"""Backprop by hand: every number of one forward pass, backward pass and update, as steps for the lesson page.

`python -m engine.lesson [--json]` prints the tutorial's worked 2-2-1 example. `worked_example()` recomputes it
for any weights, input, target, learning rate and output delta; `trace()` walks the live network of a trainer
through one training point the same way.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

W1 = [[0.15, 0.20], [0.25, 0.30]]  # (inputs, hidden): row = input, column = hidden unit
B1 = [0.35, 0.35]
W2 = [[0.40], [0.45]]  # (hidden, 1)
B2 = [0.60]
X = [0.05, 0.10]
Y = 0.01
LEARNING_RATE = 0.5
MAX_TRACE_SIZES = (2, 4, 4, 1)  # the largest network whose walk-through is still readable

DELTAS = {
    "cross_entropy": {
        "formula": "ŷ − y",
        "why": "With a sigmoid output and binary cross-entropy, σ'(z) cancels against the loss's own derivative, "
        "so the output delta is just ŷ − y. This is the delta the tutorial's table uses.",
    },
    "mse": {
        "formula": "(ŷ − y) · ŷ(1 − ŷ)",
        "why": "For L = ½(ŷ − y)² the chain rule gives ∂L/∂ŷ = ŷ − y, times the sigmoid's slope σ'(z) = ŷ(1 − ŷ). "
        "The slope is small when the output saturates, so every gradient below is smaller than with cross-entropy.",
    },
}

NOTE = (
    "The tutorial calls its loss MSE, ½(ŷ − y)², but its table uses the output delta ŷ − y, which is the exact "
    "delta for binary cross-entropy with a sigmoid output. The exact ½(ŷ − y)² delta carries the extra factor "
    "σ'(z) = ŷ(1 − ŷ). The tutorial also rounds intermediate values, so its last digit can differ from these."
)

SLOPES = {
    "sigmoid": "σ'(z) = a(1 − a)",
    "tanh": "tanh'(z) = 1 − a²",
    "relu": "relu'(z) = 1 if z > 0 else 0",
    "leaky_relu": "f'(z) = 1 if z > 0 else slope",
    "linear": "f'(z) = 1",
}

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def fmt(v: float) -> str:
    """A number as the page shows it: six decimals, trailing zeros dropped; tiny values in e-notation."""
    v = float(v)
    if v != 0 and abs(v) < 5e-5:
        return f"{v:.4e}"
    text = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-z))


def _sub(*indices: int) -> str:
    return "".join(str(i) for i in indices).translate(_SUB)


class _Walk:
    """Collects the steps of one walk-through over a layered network, each placed on the diagram."""

    def __init__(self, sizes: list[int]):
        self.sizes = sizes
        self.steps: list[dict] = []
        self.L = len(sizes) - 1  # number of weight layers

    def unit(self, sym: str, layer: int, j: int) -> str:
        """The name of neuron j's quantity in layer `layer` (1-based; inputs are layer 0)."""
        if layer == 0:
            return "x" + _sub(j + 1)
        if layer == self.L and self.sizes[-1] == 1:
            return {"a": "ŷ"}.get(sym, sym + _sub(layer))
        return sym + _sub(layer, j + 1)

    def weight(self, layer: int, i: int, j: int) -> str:
        """The name of the weight from unit i of layer-1 to unit j of `layer`."""
        return f"W{_sub(layer)}[{i + 1},{j + 1}]"

    def add(self, phase: str, key: str, title: str, formula: str, substituted: str, value, target: dict, **extra):
        """One step: its formula, the numbers substituted, the result, and where it goes on the diagram."""
        step = {"index": len(self.steps), "phase": phase, "key": key, "title": title, "formula": formula,
                "substituted": substituted, "value": value, "result": fmt(value), "target": target}
        step.update(extra)
        self.steps.append(step)


def _forward(walk: _Walk, Ws, bs, x, acts_of, names):
    """Forward pass step by step; returns z and a of every layer (a[0] = x)."""
    zs, activations = [None], [x]
    for layer in range(1, walk.L + 1):
        W, b, prev = Ws[layer - 1], bs[layer - 1], activations[-1]
        z = prev @ W + b  # (fan_out,)
        a = acts_of(layer, z)
        for j in range(len(b)):
            terms = " + ".join(f"{fmt(W[i, j])}×{fmt(prev[i])}" for i in range(len(prev)))
            zname = walk.unit("z", layer, j)
            source = "x" if layer == 1 else "a" + _sub(layer - 1)
            walk.add("forward", f"z{layer}[{j}]", f"Weighted sum {zname}",
                     f"{zname} = Σᵢ W{_sub(layer)}[i,{j + 1}]·{source}ᵢ + {walk.unit('b', layer, j)}",
                     f"{terms} + {fmt(b[j])}", float(z[j]),
                     {"kind": "neuron", "layer": layer, "neuron": j, "field": "z"})
            aname = walk.unit("a", layer, j)
            walk.add("forward", f"a{layer}[{j}]", f"Activation {aname}", f"{aname} = {names[layer]}({zname})",
                     f"{names[layer]}({fmt(z[j])})", float(a[j]),
                     {"kind": "neuron", "layer": layer, "neuron": j, "field": "a"})
        zs.append(z)
        activations.append(a)
    return zs, activations


def _backward(walk: _Walk, Ws, zs, activations, delta_out, slopes_of, names, delta_step: dict):
    """Backward pass step by step from the output delta; returns deltas and gradients per weight layer."""
    L = walk.L
    deltas, dWs, dbs = [None] * (L + 1), [None] * L, [None] * L
    deltas[L] = delta_out
    for j in range(len(delta_out)):
        walk.add("backward", f"delta{L}[{j}]", "Output delta " + walk.unit("δ", L, j),
                 **delta_step, value=float(delta_out[j]),
                 target={"kind": "neuron", "layer": L, "neuron": j, "field": "delta"}, depends_on_delta=True)
    for layer in range(L, 0, -1):
        delta, prev = deltas[layer], activations[layer - 1]
        dW = np.outer(prev, delta)  # (fan_in, fan_out)
        dWs[layer - 1], dbs[layer - 1] = dW, delta.copy()
        for j in range(len(delta)):
            dname = walk.unit("δ", layer, j)
            for i in range(len(prev)):
                walk.add("backward", f"dW{layer}[{i}][{j}]", f"Gradient of {walk.weight(layer, i, j)}",
                         f"∂L/∂{walk.weight(layer, i, j)} = {dname} · {walk.unit('a', layer - 1, i)}",
                         f"{fmt(delta[j])} × {fmt(prev[i])}", float(dW[i, j]),
                         {"kind": "weight", "layer": layer, "from": i, "to": j, "field": "grad"},
                         depends_on_delta=True)
            bname = walk.unit("b", layer, j)
            walk.add("backward", f"db{layer}[{j}]", f"Gradient of {bname}", f"∂L/∂{bname} = {dname}",
                     fmt(delta[j]), float(delta[j]),
                     {"kind": "bias", "layer": layer, "neuron": j, "field": "grad"}, depends_on_delta=True)
        if layer == 1:
            break
        W, z, a = Ws[layer - 1], zs[layer - 1], activations[layer - 1]
        slope = slopes_of(layer - 1, z, a)
        back = W @ delta  # (fan_in,)
        deltas[layer - 1] = back * slope
        for i in range(len(back)):
            dname = walk.unit("δ", layer - 1, i)
            terms = " + ".join(f"{fmt(W[i, j])}×{fmt(delta[j])}" for j in range(len(delta)))
            zname = walk.unit("z", layer - 1, i)
            walk.add("backward", f"delta{layer - 1}[{i}]", f"Hidden delta {dname} (chain rule)",
                     f"{dname} = (Σⱼ W{_sub(layer)}[{i + 1},j]·δ{_sub(layer)}ⱼ) · f′({zname})",
                     f"({terms}) × {fmt(slope[i])}", float(deltas[layer - 1][i]),
                     {"kind": "neuron", "layer": layer - 1, "neuron": i, "field": "delta"}, depends_on_delta=True,
                     slope=float(slope[i]), slope_formula=SLOPES.get(names[layer - 1], "f′(z)"))
    return deltas, dWs, dbs


def _arr(value, shape) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64).reshape(shape)
    if not np.all(np.isfinite(a)):
        raise ValueError("every number must be finite")
    return a


def worked_example(w1=W1, b1=B1, w2=W2, b2=B2, x=X, y=Y, learning_rate=LEARNING_RATE,
                   delta: str = "cross_entropy") -> dict:
    """The 2-2-1 sigmoid network's forward pass, backward pass and update, every number a step (float64)."""
    if delta not in DELTAS:
        raise ValueError(f"delta must be one of {sorted(DELTAS)}")
    Ws = [_arr(w1, (2, 2)), _arr(w2, (2, 1))]
    bs = [_arr(b1, (2,)), _arr(b2, (1,))]
    x, y, eta = _arr(x, (2,)), float(y), float(learning_rate)
    walk = _Walk([2, 2, 1])
    names = [None, "σ", "σ"]
    zs, acts = _forward(walk, Ws, bs, x, lambda layer, z: sigmoid(z), names)
    y_hat = float(acts[2][0])
    loss = 0.5 * (y_hat - y) ** 2
    walk.add("loss", "loss", "Loss ½(ŷ − y)²", "L = ½(ŷ − y)²", f"½ × ({fmt(y_hat)} − {fmt(y)})²", loss,
             {"kind": "loss"})
    if delta == "cross_entropy":
        d_out = np.array([y_hat - y])
        substituted = f"{fmt(y_hat)} − {fmt(y)}"
    else:
        d_out = np.array([(y_hat - y) * y_hat * (1 - y_hat)])
        substituted = f"({fmt(y_hat)} − {fmt(y)}) × {fmt(y_hat)} × (1 − {fmt(y_hat)})"
    spec = DELTAS[delta]
    delta_step = {"formula": f"δ₂ = {spec['formula']}", "substituted": substituted, "why": spec["why"]}
    deltas, dWs, dbs = _backward(walk, Ws, zs, acts, d_out, lambda layer, z, a: a * (1 - a),
                                 ["x", "sigmoid", "sigmoid"], delta_step)
    new_Ws = [W - eta * dW for W, dW in zip(Ws, dWs, strict=True)]
    new_bs = [b - eta * db for b, db in zip(bs, dbs, strict=True)]
    for layer in (2, 1):
        W, dW, Wn = Ws[layer - 1], dWs[layer - 1], new_Ws[layer - 1]
        for j in range(W.shape[1]):
            for i in range(W.shape[0]):
                name = walk.weight(layer, i, j)
                walk.add("update", f"W{layer}_new[{i}][{j}]", f"Update {name}", f"{name}′ = {name} − η·∂L/∂{name}",
                         f"{fmt(W[i, j])} − {fmt(eta)} × {fmt(dW[i, j])}", float(Wn[i, j]),
                         {"kind": "weight", "layer": layer, "from": i, "to": j, "field": "new"}, depends_on_delta=True)
            bname = walk.unit("b", layer, j)
            walk.add("update", f"b{layer}_new[{j}]", f"Update {bname}", f"{bname}′ = {bname} − η·∂L/∂{bname}",
                     f"{fmt(bs[layer - 1][j])} − {fmt(eta)} × {fmt(dbs[layer - 1][j])}", float(new_bs[layer - 1][j]),
                     {"kind": "bias", "layer": layer, "neuron": j, "field": "new"}, depends_on_delta=True)
    a_after = sigmoid(sigmoid(x @ new_Ws[0] + new_bs[0]) @ new_Ws[1] + new_bs[1])
    y_after = float(a_after[0])
    loss_after = 0.5 * (y_after - y) ** 2
    walk.add("after", "loss_after", "Loss after one step", "L′ = ½(ŷ′ − y)², ŷ′ from the updated weights",
             f"½ × ({fmt(y_after)} − {fmt(y)})²", loss_after, {"kind": "loss", "field": "after"},
             depends_on_delta=True, before=loss)
    values = {
        "z1": zs[1].tolist(), "a1": acts[1].tolist(), "z2": float(zs[2][0]), "y_hat": y_hat, "loss": loss,
        "delta2": float(deltas[2][0]), "dW2": dWs[1][:, 0].tolist(), "db2": float(dbs[1][0]),
        "delta1": deltas[1].tolist(), "dW1": dWs[0].tolist(), "db1": dbs[0].tolist(),
        "W2_new": new_Ws[1][:, 0].tolist(), "b2_new": float(new_bs[1][0]), "W1_new": new_Ws[0].tolist(),
        "b1_new": new_bs[0].tolist(), "y_hat_after": y_after, "loss_after": loss_after,
    }
    return {
        "inputs": {"w1": Ws[0].tolist(), "b1": bs[0].tolist(), "w2": Ws[1].tolist(), "b2": bs[1].tolist(),
                   "x": x.tolist(), "y": y, "learning_rate": eta, "delta": delta},
        "weights": {"W": [W.tolist() for W in Ws], "b": [b.tolist() for b in bs]},
        "sizes": [2, 2, 1], "activations": ["sigmoid", "sigmoid"], "delta": delta, "delta_formula": spec["formula"],
        "why": spec["why"], "note": NOTE, "values": values, "steps": walk.steps,
    }


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
    from engine.activations import get_activation
    from engine.features import transform
    from engine.losses import get_loss

    net, config, data = trainer.network, trainer.config, trainer.data
    Ws = [np.array(W, dtype=np.float64) for W in net.W]
    bs = [np.array(b, dtype=np.float64).reshape(-1) for b in net.b]
    sizes = [Ws[0].shape[0], *(W.shape[1] for W in Ws)]
    if too_big(sizes):
        return {"too_big": True, "sizes": sizes, "limit": list(MAX_TRACE_SIZES),
                "message": f"A {'-'.join(map(str, sizes))} network is too big to read step by step; "
                           f"the walk-through shows networks up to {'-'.join(map(str, MAX_TRACE_SIZES))}."}
    if split == "train":
        points, labels = data.train_points, data.train_labels
    else:
        points, labels = data.test_points, data.test_labels
    if not 0 <= index < len(points):
        raise IndexError(f"index must be in 0 … {len(points) - 1}")
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

    walk = _Walk(sizes)
    shown = [None, *hidden, bound.output]
    zs, acts = _forward(walk, Ws, bs, x, acts_of, shown)
    target = bound.encode(labels[index:index + 1], dtype=np.float64)
    loss = bound.value(zs[-1][None, :], target)
    walk.add("loss", "loss", f"Loss ({bound.name})", f"L = {bound.name}(ŷ, y)",
             f"ŷ = {', '.join(map(fmt, acts[-1]))}; y = {', '.join(map(fmt, target[0]))}", loss, {"kind": "loss"})
    d_out = bound.delta(zs[-1][None, :], target)[0]
    delta_step = {"formula": f"δ = {OUTPUT_DELTAS[bound.name]}", "substituted": ", ".join(map(fmt, d_out))}
    deltas, dWs, dbs = _backward(walk, Ws, zs, acts, d_out, slopes_of, shown, delta_step)
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


def render(lesson: dict) -> str:
    """The walk-through as plain text, one step a line."""
    lines = [f"2-2-1 sigmoid network, output delta: {lesson['delta']} ({lesson['delta_formula']})", ""]
    phase = None
    for step in lesson["steps"]:
        if step["phase"] != phase:
            phase = step["phase"]
            lines.append(f"-- {phase} --")
        lines.append(f"{step['formula']:<48} = {step['substituted']} = {step['result']}")
    v = lesson["values"]
    lines += ["", f"loss ½(ŷ−y)²: {fmt(v['loss'])} -> {fmt(v['loss_after'])} after one step", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the worked example for both output deltas (text, or JSON with --json)."""
    parser = argparse.ArgumentParser(prog="python -m engine.lesson", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the steps as JSON (what /lesson shows)")
    parser.add_argument("--delta", choices=[*DELTAS, "both"], default="both")
    args = parser.parse_args(argv)
    variants = list(DELTAS) if args.delta == "both" else [args.delta]
    lessons = {name: worked_example(delta=name) for name in variants}
    if args.json:
        json.dump(lessons if len(lessons) > 1 else lessons[variants[0]], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        for lesson in lessons.values():
            sys.stdout.write(render(lesson) + "\n")
        sys.stdout.write(NOTE + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
