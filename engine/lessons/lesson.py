"""Backprop by hand: every number of one forward pass, backward pass and update, as steps for the lesson page.

`python -m engine.lessons.lesson [--json]` prints the tutorial's worked 2-2-1 example. `worked_example()` recomputes it
for any weights, input, target, learning rate and output delta. The steps are built by `walk.py`; `trace()` in
`trace.py` walks a live trainer's network through one training point the same way.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from engine.lessons.walk import Walk, backward, fmt, forward

W1 = [[0.15, 0.20], [0.25, 0.30]]  # (inputs, hidden): row = input, column = hidden unit
B1 = [0.35, 0.35]
W2 = [[0.40], [0.45]]  # (hidden, 1)
B2 = [0.60]
X = [0.05, 0.10]
Y = 0.01
LEARNING_RATE = 0.5

DELTAS = {
    "cross_entropy": {
        "formula": "ŷ − y",
        "why": "The loss above is ½(ŷ − y)²: the ½ is there so that its derivative ∂L/∂ŷ is ŷ − y, without a 2. Its "
        "exact delta would also multiply by the sigmoid's slope σ'(z) = ŷ(1 − ŷ). The tutorial's table leaves that "
        "factor out: ŷ − y is the exact delta of binary cross-entropy with a sigmoid output, where σ'(z) cancels "
        "against the loss's own derivative.",
    },
    "mse": {
        "formula": "(ŷ − y) · ŷ(1 − ŷ)",
        "why": "For L = ½(ŷ − y)² the chain rule gives ∂L/∂ŷ = ŷ − y (the ½ cancels the square's 2), times the "
        "sigmoid's slope σ'(z) = ŷ(1 − ŷ). "
        "The slope is small when the output saturates, so every gradient below is smaller than with cross-entropy.",
    },
}

CONVENTION = {
    "cross_entropy": "Convention: the loss shown is L = ½(ŷ − y)², and the output delta is the tutorial's δ₂ = ŷ − y "
    "(exact for cross-entropy; the exact ½(ŷ − y)² delta is one click away).",
    "mse": "Convention: the loss is L = ½(ŷ − y)² and the output delta is its exact δ₂ = (ŷ − y) · ŷ(1 − ŷ).",
}

NOTE = (
    "The tutorial calls its loss MSE, ½(ŷ − y)², but its table uses the output delta ŷ − y, which is the exact "
    "delta for binary cross-entropy with a sigmoid output. The exact ½(ŷ − y)² delta carries the extra factor "
    "σ'(z) = ŷ(1 − ŷ). The tutorial also rounds intermediate values, so its last digit can differ from these."
)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-z))


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
    walk = Walk([2, 2, 1])
    names = [None, "σ", "σ"]
    zs, acts = forward(walk, Ws, bs, x, lambda layer, z: sigmoid(z), names)
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
    deltas, dWs, dbs = backward(walk, Ws, zs, acts, d_out, lambda layer, z, a: a * (1 - a),
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
        "why": spec["why"], "convention": CONVENTION[delta], "note": NOTE, "values": values, "steps": walk.steps,
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
    parser = argparse.ArgumentParser(prog="python -m engine.lessons.lesson", description=__doc__.splitlines()[0])
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
