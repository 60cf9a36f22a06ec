"""Gradient checking: backprop's gradient against central finite differences, in float64.

`python -m engine.lessons.gradcheck [--json]` checks every activation with every loss (on each problem it suits),
with no penalty, L1 and L2, on a small random network away from kinks; it exits non-zero if any relative error > 1e-6.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Generator
from typing import TypeVar

import numpy as np

from engine.nn.activations import ACTIVATIONS, CAN_DIE
from engine.nn.losses import LOSSES, BoundLoss
from engine.nn.network import Network
from engine.nn.regularization import add_penalty

Array = np.ndarray
T = TypeVar("T")
TOLERANCE = 1e-6
# The floor of the relative error's denominator: a layer whose gradient norm is below it (a trained-out or vanished
# layer) is judged by its absolute error instead (|a−n| / FLOOR). Central differences with eps = 3e-5 carry an
# absolute truncation error of about eps² ≈ 1e-9, so near a zero gradient a plain relative error is noise over noise
# (a converged network would "fail" at 1e-2). A real bug in a layer with a usable gradient stays far above a pass mark.
FLOOR = 1e-4


def objective(net: Network, x: Array, target: Array, loss: BoundLoss, regularization: str, rate: float) -> float:
    """The loss plus the weight penalty (rate·Σ|W| or ½·rate·ΣW², biases not penalised), written out directly."""
    value = loss.value(net.forward(x), target)
    weights = net.params[net.weight_mask]
    if regularization == "l1":
        value += rate * float(np.abs(weights).sum())
    elif regularization == "l2":
        value += 0.5 * rate * float(weights @ weights)
    return value


def numeric_grads(net: Network, x: Array, target: Array, loss: BoundLoss, regularization: str = "none",
                  rate: float = 0.0, eps: float = 3e-5) -> Array:  # fmt: skip
    """∂objective/∂θ for every parameter by central differences (the network's params are restored).

    eps = 3e-5 balances truncation (∝ eps²) against round-off (∝ 1/eps), which matters in layers whose gradient
    has vanished to ~1e-5."""
    return run_to_end(numeric_grads_steps(net, x, target, loss, regularization, rate, eps))


def numeric_grads_steps(net: Network, x: Array, target: Array, loss: BoundLoss, regularization: str = "none",
                        rate: float = 0.0, eps: float = 3e-5) -> Generator[None, None, Array]:  # fmt: skip
    """`numeric_grads` one parameter at a time: yields after each, returns the gradient (a server runs it in
    chunks between other work)."""
    grads = np.empty(net.params.size)
    for j in range(net.params.size):
        old = net.params[j]
        net.params[j] = old + eps
        plus = objective(net, x, target, loss, regularization, rate)
        net.params[j] = old - eps
        minus = objective(net, x, target, loss, regularization, rate)
        net.params[j] = old
        grads[j] = (plus - minus) / (2.0 * eps)
        yield
    return grads


def run_to_end(steps: Generator[None, None, T]) -> T:
    """Run a stepwise computation to its end; its result."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def buggy_grads(net: Network, x: Array, target: Array, loss: BoundLoss) -> Array:
    """A deliberately wrong backprop, separate from the real one: it leaves out f′ in the last non-linear hidden
    layer (or, with no such layer, forgets the output bias gradient)."""
    inputs, zs = [x], []
    for W, b, act in zip(net.W, net.b, net.activations, strict=False):
        zs.append(inputs[-1] @ W + b)
        inputs.append(act(zs[-1]))
    delta = loss.delta(inputs[-1] @ net.W[-1] + net.b[-1], target)
    nonlinear = [i for i, act in enumerate(net.activations) if act.name != "linear"]
    skip = nonlinear[-1] if nonlinear else None
    dWs, dbs = [], []
    for i in range(len(net.W) - 1, -1, -1):
        dWs.insert(0, inputs[i].T @ delta)
        forget_bias = skip is None and i == len(net.W) - 1
        dbs.insert(0, np.zeros(delta.shape[1]) if forget_bias else delta.sum(axis=0))
        if i > 0:
            delta = delta @ net.W[i].T
            if i - 1 != skip:
                delta = delta * net.activations[i - 1].grad(zs[i - 1], inputs[i])
    return np.concatenate([np.concatenate([dW.ravel(), db]) for dW, db in zip(dWs, dbs, strict=True)])


def check_network(net: Network, x: Array, target: Array, loss: BoundLoss, regularization: str = "none",
                  rate: float = 0.0, inject_bug: bool = False, eps: float = 3e-5) -> list[float]:  # fmt: skip
    """Relative error ‖g_backprop − g_numeric‖ / max(‖g_backprop‖ + ‖g_numeric‖, FLOOR) per layer, on a float64 copy.

    The live network is never touched. Examples sitting on a kink (see `kink_free`) are left out when any remain.
    With `inject_bug` the backprop side is `buggy_grads`, so the check fails.
    """
    return run_to_end(check_network_steps(net, x, target, loss, regularization, rate, inject_bug, eps))


def check_network_steps(net: Network, x: Array, target: Array, loss: BoundLoss, regularization: str = "none",
                        rate: float = 0.0, inject_bug: bool = False,
                        eps: float = 3e-5) -> Generator[None, None, list[float]]:  # fmt: skip
    """`check_network` a parameter at a time (it yields after each). It works on its own float64 copy; a caller
    that trains between steps passes a copy taken when the check was asked for (Trainer.gradcheck_steps)."""
    net = net.copy(np.float64)
    x, target = np.asarray(x, np.float64), np.asarray(target, np.float64)
    smooth = kink_free(net, x, target, loss)
    if smooth.any():
        x, target = x[smooth], target[smooth]
    if inject_bug:
        analytic = buggy_grads(net, x, target, loss)
    else:
        net.backward(loss.delta(net.forward(x), target))
        analytic = net.grads.copy()
    if regularization != "none" and rate:
        add_penalty(net.params, analytic, net.weight_mask.astype(np.float64), regularization, rate,
                    np.empty_like(analytic))  # fmt: skip
    numeric = yield from numeric_grads_steps(net, x, target, loss, regularization, rate, eps)
    return [relative_error(analytic[s], numeric[s]) for s in net.layer_slices]


def relative_error(analytic: Array, numeric: Array, floor: float = FLOOR) -> float:
    """‖a − n‖ / max(‖a‖ + ‖n‖, floor): relative where the gradient is large enough to compare, absolute below."""
    scale = max(float(np.linalg.norm(analytic) + np.linalg.norm(numeric)), floor)
    return float(np.linalg.norm(analytic - numeric)) / scale


def kink_free(net: Network, x: Array, target: Array, loss: BoundLoss, margin: float = 1e-3) -> Array:
    """Per example: True when no ReLU-family pre-activation, mae residual or huber |r| = 1 lies within margin of
    its kink, where the derivative does not exist and finite differences straddle two slopes."""
    ok = np.ones(len(x), bool)
    inputs = x
    for W, b, act in zip(net.W, net.b, net.activations, strict=False):
        z = inputs @ W + b  # (batch, fan_out)
        if act.name in CAN_DIE:
            ok &= (np.abs(z) > margin).all(axis=1)
        inputs = act(z)
    r = loss.predict(inputs @ net.W[-1] + net.b[-1]) - target
    if loss.name == "mae":
        ok &= (np.abs(r) > margin).all(axis=1)
    if loss.name == "huber":
        ok &= (np.abs(np.abs(r) - 1.0) > margin).all(axis=1)
    return ok


def check_case(activation: str, loss_name: str, problem: str, regularization: str, seed: int = 0) -> float:
    """Max relative error over layers for one activation × loss × problem × penalty on a small random network."""
    loss = LOSSES[loss_name].bind(problem, 3 if problem == "multiclass" else 2)
    rng = np.random.default_rng(seed)
    for _ in range(100):
        net = Network(3, [4, 3], loss.n_outputs, activation, init="xavier", rng=rng, dtype=np.float64)
        net.params[~net.weight_mask] = rng.uniform(-0.5, 0.5, int((~net.weight_mask).sum()))
        x = rng.uniform(-1.0, 1.0, (5, 3))
        labels = rng.uniform(-1.0, 1.0, 5) if problem == "regression" else rng.integers(0, loss.k, 5)
        target = loss.encode(labels, np.float64)
        weights_ok = regularization != "l1" or np.abs(net.params[net.weight_mask]).min() > 1e-3
        if weights_ok and kink_free(net, x, target, loss, 1e-3).all():
            break
    rate = 0.05 if regularization != "none" else 0.0
    return max(check_network(net, x, target, loss, regularization, rate))


def main(argv: list[str] | None = None) -> int:
    """Check every activation × loss × penalty; print the max relative error of each; 1 if any exceeds 1e-6."""
    parser = argparse.ArgumentParser(prog="python -m engine.lessons.gradcheck", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    results = [
        {"activation": a, "loss": name, "problem": problem, "regularization": reg,
         "max_relative_error": check_case(a, name, problem, reg)}
        for a in ACTIVATIONS for name, loss in LOSSES.items() for problem in loss.problems
        for reg in ("none", "l1", "l2")
    ]  # fmt: skip
    worst = max(r["max_relative_error"] for r in results)
    passed = worst <= TOLERANCE
    if args.json:
        print(json.dumps({"tolerance": TOLERANCE, "passed": passed, "worst": worst, "results": results}, indent=1))
    else:
        for r in results:
            flag = "ok " if r["max_relative_error"] <= TOLERANCE else "BAD"
            print(f"{flag} {r['activation']:<11} {r['loss']:<11} {r['problem']:<11} {r['regularization']:<5} "
                  f"{r['max_relative_error']:.2e}")  # fmt: skip
        print(
            f"{len(results)} checks, worst relative error {worst:.2e} ({'pass' if passed else 'FAIL'} at {TOLERANCE:g})"
        )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
