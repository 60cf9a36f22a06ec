"""Losses (mean over the batch), each computed from the output layer's pre-activation z_out.

| loss       | problems                 | output activation                     | targets from labels            |
|------------|--------------------------|---------------------------------------|--------------------------------|
| mse        | binary, regression       | tanh (binary), linear (regression)    | ±1 (binary), value (regression) |
| mae        | binary, regression       | tanh (binary), linear (regression)    | ±1 (binary), value (regression) |
| huber      | binary, regression       | tanh (binary), linear (regression)    | ±1 (binary), value (regression) |
| bce        | binary                   | sigmoid (loss computed from logits)   | 0 / 1                          |
| softmax_ce | binary (K=2), multiclass | softmax (log-sum-exp from logits)     | one-hot of the class index     |

mse is ½(ŷ−y)², mae |ŷ−y|, huber ½r² for |r| ≤ 1 and |r| − ½ beyond. `LOSSES[name].bind(problem, k)` gives a
`BoundLoss` whose `delta(z_out, target)` is ∂L/∂z_out with the 1/batch of the mean folded in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engine.nn.activations import ACTIVATIONS

Array = np.ndarray
PROBLEMS = ("binary", "multiclass", "regression")


def _softmax(z: Array) -> Array:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# The softmax output for an exported run (engine.export), the same shift as `_softmax` and `BoundLoss.value`.
SOFTMAX_CODE = '''def softmax(z):
    """ŷ = eᶻ / Σₖ eᶻ (z shifted by its row's maximum, so that e never overflows)."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(z):
    """log ŷ = z − log Σₖ eᶻ, shifted the same way."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
'''


def _huber(r: Array) -> float:
    a = np.abs(r)
    return float(np.where(a <= 1.0, 0.5 * r * r, a - 0.5).sum())


# Losses of the residual r = ŷ − y: (Σ ρ(r) over the batch, r -> ρ'(r) written in place).
_RESIDUAL: dict[str, tuple[Callable[[Array], float], Callable[[Array], object]]] = {
    "mse": (lambda r: 0.5 * float(np.vdot(r, r)), lambda r: None),  # ρ' = r: nothing to do
    "mae": (lambda r: float(np.abs(r).sum()), lambda r: np.sign(r, out=r)),
    "huber": (_huber, lambda r: np.clip(r, -1.0, 1.0, out=r)),
}


@dataclass(frozen=True)
class Loss:
    """A loss: which problems it suits and the output activation it implies for each.

    `formula`, `value` and `grad` are the loss for an exported run (engine.export): the formula in words, the sum over
    the batch as a NumPy expression of z, y, ŷ (`y_hat`) and r = ŷ − y, and its derivative per example: ∂/∂z for a
    loss computed from the logits (sigmoid, softmax outputs), else ∂/∂ŷ (the export multiplies in the output's f′).
    """

    name: str
    outputs: dict[str, str]  # problem -> output activation
    formula: str
    value: str
    grad: str

    @property
    def problems(self) -> tuple[str, ...]:
        """The problem kinds this loss suits."""
        return tuple(self.outputs)

    def output_activation(self, problem: str) -> str:
        """The output activation this loss implies for `problem`."""
        if problem not in self.outputs:
            raise ValueError(f"loss {self.name!r} does not suit {problem!r} problems; it suits {self.problems}")
        return self.outputs[problem]

    def n_outputs(self, problem: str, k: int = 2) -> int:
        """Output units: K for softmax, else 1."""
        return k if self.output_activation(problem) == "softmax" else 1

    def bind(self, problem: str, k: int = 2) -> BoundLoss:
        """This loss for one problem kind (and K classes)."""
        return BoundLoss(self, problem, k, self.output_activation(problem))


@dataclass(frozen=True)
class BoundLoss:
    """A loss bound to a problem: encode, value, delta, predict and accuracy all from z_out (batch, n_out)."""

    loss: Loss
    problem: str
    k: int
    output: str
    buffers: dict = field(default_factory=dict, compare=False, repr=False)  # scratch per (shape, dtype)

    @property
    def name(self) -> str:
        """The registry name."""
        return self.loss.name

    @property
    def n_outputs(self) -> int:
        """Output units."""
        return self.k if self.output == "softmax" else 1

    def _scratch(self, z: Array) -> Array:
        buf = self.buffers.get((z.shape, z.dtype))
        if buf is None:
            buf = self.buffers[(z.shape, z.dtype)] = np.empty_like(z)
        return buf

    def encode(self, labels: Array, dtype=np.float32) -> Array:
        """Targets (batch, n_out) from labels: class index 0..K-1, or a real value for regression."""
        labels = np.asarray(labels)
        if self.output == "softmax":
            return np.eye(self.k, dtype=dtype)[labels.astype(np.intp)]
        if self.problem == "binary" and self.output == "tanh":
            return (2.0 * labels - 1.0).astype(dtype).reshape(-1, 1)
        return labels.astype(dtype).reshape(-1, 1)

    def predict(self, z: Array) -> Array:
        """The output activation applied: ŷ (batch, n_out)."""
        if self.output == "softmax":
            return _softmax(z)
        return ACTIVATIONS[self.output](z)

    def value(self, z: Array, target: Array) -> float:
        """The loss, a mean over the batch."""
        batch = z.shape[0]
        if batch == 0:
            return float("nan")
        if self.output == "softmax":
            shifted = z - z.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            return float(-(target * log_p).sum() / batch)
        if self.loss.name == "bce":
            return float((np.logaddexp(0.0, z) - target * z).sum() / batch)  # log(1 + e^z) - y z, never log 0
        rho_sum, _ = _RESIDUAL[self.loss.name]
        return rho_sum(self.predict(z) - target) / batch

    def delta(self, z: Array, target: Array, out: Array | None = None) -> Array:
        """∂L/∂z_out (batch, n_out), the 1/batch of the mean included."""
        return self._delta(z, target, out, with_value=False)[1]

    def value_and_delta(self, z: Array, target: Array, out: Array | None = None) -> tuple[float, Array]:
        """(value, delta) for a training step, sharing the output activation between them."""
        return self._delta(z, target, out, with_value=True)

    def _delta(self, z: Array, target: Array, out: Array | None, with_value: bool) -> tuple[float, Array]:
        out = np.empty_like(z) if out is None else out
        batch = max(z.shape[0], 1)
        value = float("nan")
        if self.output in ("softmax", "sigmoid"):
            if with_value:
                value = self.value(z, target)
            np.subtract(self.predict(z), target, out=out)  # softmax + CE and sigmoid + BCE: ŷ − y
        else:
            y_hat = np.tanh(z, out=self._scratch(z)) if self.output == "tanh" else z  # linear output: ŷ = z
            rho_sum, rho_d = _RESIDUAL[self.loss.name]
            np.subtract(y_hat, target, out=out)  # r
            if with_value and z.shape[0]:
                value = rho_sum(out) / batch
            rho_d(out)
            if self.output == "tanh":
                np.multiply(y_hat, y_hat, out=y_hat)
                np.subtract(1.0, y_hat, out=y_hat)  # tanh' = 1 − ŷ²
                out *= y_hat
        out *= 1.0 / batch
        return value, out

    def accuracy(self, z: Array, labels: Array) -> float:
        """Fraction of correct classes (z_out > 0 for one output unit, argmax for K); NaN for regression."""
        if self.problem == "regression":
            return float("nan")
        predicted = z.argmax(axis=1) if z.shape[1] > 1 else (z[:, 0] > 0.0)
        return float(np.mean(predicted == np.asarray(labels).astype(np.intp)))


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("mse", {"binary": "tanh", "regression": "linear"}, "L = mean of ½(ŷ − y)²; ∂L/∂ŷ = (ŷ − y) / n",
             "0.5 * np.sum(r * r)", "r"),
        Loss("mae", {"binary": "tanh", "regression": "linear"}, "L = mean of |ŷ − y|; ∂L/∂ŷ = sign(ŷ − y) / n",
             "np.sum(np.abs(r))", "np.sign(r)"),
        Loss("huber", {"binary": "tanh", "regression": "linear"},
             "L = mean of ½r² for |r| ≤ 1, else |r| − ½ (r = ŷ − y); ∂L/∂ŷ = clip(r, −1, 1) / n",
             "np.sum(np.where(np.abs(r) <= 1, 0.5 * r * r, np.abs(r) - 0.5))", "np.clip(r, -1, 1)"),
        Loss("bce", {"binary": "sigmoid"},
             "L = mean of −y·log ŷ − (1 − y)·log(1 − ŷ) = log(1 + eᶻ) − y·z, ŷ = σ(z); ∂L/∂z = (ŷ − y) / n",
             "np.sum(np.logaddexp(0, z) - y * z)", "y_hat - y"),
        Loss("softmax_ce", {"binary": "softmax", "multiclass": "softmax"},
             "L = mean of −Σₖ yₖ·log ŷₖ, ŷ = softmax(z); ∂L/∂z = (ŷ − y) / n",
             "-np.sum(y * log_softmax(z))", "y_hat - y"),
    )
}


def get_loss(name: str, problem: str, k: int = 2) -> BoundLoss:
    """The registered loss `name` bound to `problem`; ValueError lists the valid names or problems."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; valid: {', '.join(LOSSES)}")
    return LOSSES[name].bind(problem, k)
