"""Backprop as steps: one forward and backward pass over a small layered network, every number a step placed on
the diagram, with its formula and the numbers substituted.

Shared by the tutorial's worked example (`lesson.py`) and the walk through a live trainer's network (`trace.py`).
"""

from __future__ import annotations

import numpy as np

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


def _sub(*indices: int) -> str:
    return "".join(str(i) for i in indices).translate(_SUB)


class Walk:
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


def forward(walk: Walk, Ws, bs, x, acts_of, names):
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


def backward(walk: Walk, Ws, zs, activations, delta_out, slopes_of, names, delta_step: dict):
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
