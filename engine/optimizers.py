"""Optimizers over one flat parameter vector, following PyTorch's documented update rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

Pairs = list[tuple[slice, slice]]


@dataclass(frozen=True)
class Param:
    """A hyper-parameter: its default and inclusive allowed range."""

    default: float
    low: float
    high: float
    integer: bool = False

    def as_dict(self) -> dict:
        """JSON form for options and the UI."""
        return {"default": self.default, "min": self.low, "max": self.high, "type": "int" if self.integer else "float"}


EPS = Param(1e-8, 1e-12, 1.0)
DECAY = Param(0.0, 0.0, 1.0)
BETA1 = Param(0.9, 0.0, 0.999)
BETA2 = Param(0.999, 0.0, 0.99999)


class Optimizer:
    """Lazily created state rows over the flat vector, a step counter, remap and snapshot/restore."""

    hyperparams: ClassVar[dict[str, Param]] = {}
    buffers: ClassVar[tuple[str, ...]] = ()
    counters: ClassVar[dict[str, float]] = {"t": 0.0}  # per-tensor scalars and their fresh values

    def __init__(self, **hyper: float) -> None:
        unknown = set(hyper) - set(self.hyperparams)
        if unknown:
            raise TypeError(f"unknown hyper-parameters {sorted(unknown)}; allowed: {sorted(self.hyperparams)}")
        for name, spec in self.hyperparams.items():
            setattr(self, name, float(hyper.get(name, spec.default)))
        self.state: np.ndarray | None = None  # (len(buffers), n)
        self._saved: tuple[np.ndarray, dict] | None = None
        self._fresh_counters()

    def _fresh_counters(self) -> None:
        for name, value in self.counters.items():
            setattr(self, name, value)

    def _ensure(self, params: np.ndarray) -> None:
        if self.state is None or self.state.shape[1] != params.size:
            self._allocate(np.zeros((len(self.buffers), params.size), dtype=params.dtype))
            self._fresh_counters()

    def _allocate(self, state: np.ndarray) -> None:
        self.state, self.rows = state, tuple(state)  # rows: one view per buffer, made once
        self.scratch, self.decayed, self.denom = (np.empty(state.shape[1], state.dtype) for _ in range(3))

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float) -> None:
        """Update params in place from grads with learning rate lr."""
        if self.state is None or self.state.shape[1] != params.size:
            self._ensure(params)
        self.t += 1
        self.update(params, grads, lr, *self.rows)

    def update(self, params: np.ndarray, grads: np.ndarray, lr: float, *state: np.ndarray) -> None:
        raise NotImplementedError

    def with_decay(self, params: np.ndarray, grads: np.ndarray) -> np.ndarray:
        """grads + weight_decay · params (PyTorch's coupled L2), without touching grads."""
        if not self.weight_decay:
            return grads
        np.multiply(params, self.weight_decay, out=self.decayed)
        self.decayed += grads
        return self.decayed

    def remap(self, pairs: Pairs, new_size: int) -> None:
        """Carry state across an architecture edit: (old slice, new slice) pairs are kept, the rest restarts."""
        if self.state is None:
            return
        old = self.state
        self._allocate(np.zeros((len(self.buffers), new_size), dtype=old.dtype))
        for src, dst in pairs:
            self.state[:, dst] = old[:, src]
        for name, fresh in self.counters.items():
            value, merged = getattr(self, name), np.full(new_size, fresh)
            for src, dst in pairs:
                merged[dst] = value[src] if isinstance(value, np.ndarray) else value
            uniform = new_size == 0 or bool(np.all(merged == merged[0]))
            setattr(self, name, (float(merged[0]) if new_size else fresh) if uniform else merged)
        self._saved = None

    def snapshot(self, params: np.ndarray) -> None:
        """Remember the state as it is now (before a step that may have to be rolled back)."""
        saved, state = self._saved, self.state
        if saved is None or state is None or saved[0].shape != state.shape or state.shape[1] != params.size:
            self._ensure(params)
            saved = self._saved = (np.empty_like(self.state), {})
        np.copyto(saved[0], self.state)
        for name in self.counters:
            value = getattr(self, name)
            saved[1][name] = value.copy() if type(value) is np.ndarray else value

    def restore(self) -> None:
        """Go back to the last snapshot."""
        if self._saved is None or self.state is None:
            return
        np.copyto(self.state, self._saved[0])
        for name, value in self._saved[1].items():
            setattr(self, name, value.copy() if isinstance(value, np.ndarray) else value)

    def hyper(self) -> dict[str, float]:
        """The current hyper-parameters."""
        return {name: getattr(self, name) for name in self.hyperparams}

    def set_hyper(self, **hyper: float) -> None:
        """Change hyper-parameters live; the state is kept."""
        for name, value in hyper.items():
            if name not in self.hyperparams:
                raise TypeError(f"unknown hyper-parameter {name!r}; allowed: {sorted(self.hyperparams)}")
            setattr(self, name, float(value))


class SGD(Optimizer):
    """Plain gradient descent: p -= lr · (g + wd · p)."""

    hyperparams = {"weight_decay": DECAY}

    def update(self, params, grads, lr, *state):
        g = self.with_decay(params, grads)
        np.multiply(g, -lr, out=self.scratch)
        params += self.scratch


class Momentum(Optimizer):
    """Heavy ball (PyTorch SGD, dampening 0): b = μ·b + g; p -= lr · b."""

    hyperparams = {"momentum": Param(0.9, 0.0, 0.999), "weight_decay": DECAY}
    buffers = ("velocity",)
    nesterov = False

    def update(self, params, grads, lr, velocity):
        g = self.with_decay(params, grads)
        velocity *= self.momentum
        velocity += g
        if self.nesterov:
            np.multiply(velocity, self.momentum, out=self.scratch)
            self.scratch += g
            self.scratch *= -lr
        else:
            np.multiply(velocity, -lr, out=self.scratch)
        params += self.scratch


class Nesterov(Momentum):
    """Nesterov momentum (PyTorch SGD nesterov=True): p -= lr · (g + μ·b)."""

    nesterov = True


class Adagrad(Optimizer):
    """Adagrad: s += g²; p -= lr · g / (√s + eps)."""

    hyperparams = {"eps": Param(1e-10, 1e-12, 1.0), "weight_decay": DECAY}
    buffers = ("sum_sq",)

    def update(self, params, grads, lr, sum_sq):
        g, s = self.with_decay(params, grads), self.scratch
        np.square(g, out=s)
        sum_sq += s
        np.sqrt(sum_sq, out=s)
        s += self.eps
        np.divide(g, s, out=s)
        s *= -lr
        params += s


class RMSprop(Optimizer):
    """RMSprop: v = α·v + (1-α)·g²; p -= lr · g / (√v + eps), or through a momentum buffer when μ > 0."""

    hyperparams = {
        "alpha": Param(0.99, 0.0, 0.9999), "eps": EPS, "momentum": Param(0.0, 0.0, 0.999), "weight_decay": DECAY,
    }  # fmt: skip
    buffers = ("square_avg", "velocity")

    def update(self, params, grads, lr, square_avg, velocity):
        g, s = self.with_decay(params, grads), self.scratch
        square_avg *= self.alpha
        np.square(g, out=s)
        s *= 1 - self.alpha
        square_avg += s
        np.sqrt(square_avg, out=s)
        s += self.eps
        np.divide(g, s, out=s)
        if self.momentum:
            velocity *= self.momentum
            velocity += s
            np.multiply(velocity, -lr, out=s)
        else:
            s *= -lr
        params += s


class Adam(Optimizer):
    """Adam: m, v with bias correction; p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + eps); coupled weight decay."""

    hyperparams = {"beta1": BETA1, "beta2": BETA2, "eps": EPS, "weight_decay": DECAY}
    buffers = ("exp_avg", "exp_avg_sq")

    def moments(self, g: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray) -> None:
        """m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²."""
        s = self.scratch
        exp_avg *= self.beta1
        np.multiply(g, 1 - self.beta1, out=s)
        exp_avg += s
        exp_avg_sq *= self.beta2
        np.square(g, out=s)
        s *= 1 - self.beta2
        exp_avg_sq += s

    def update(self, params, grads, lr, exp_avg, exp_avg_sq):
        self.adam(params, self.with_decay(params, grads), lr, exp_avg, exp_avg_sq)

    def adam(self, params, g, lr, exp_avg, exp_avg_sq):
        """The Adam update from an already decayed gradient g."""
        self.moments(g, exp_avg, exp_avg_sq)
        # (√v/√bc2 + eps) = (√v + eps·√bc2)/√bc2: the same update with one vector call fewer
        root_bc2 = (1 - self.beta2**self.t) ** 0.5
        s = self.scratch
        np.sqrt(exp_avg_sq, out=s)
        s += self.eps * root_bc2
        np.divide(exp_avg, s, out=s)
        s *= -lr * root_bc2 / (1 - self.beta1**self.t)
        params += s


class AdamW(Adam):
    """AdamW: decoupled weight decay p *= 1 - lr·wd, then Adam without L2."""

    hyperparams = {**Adam.hyperparams, "weight_decay": Param(0.01, 0.0, 1.0)}

    def update(self, params, grads, lr, exp_avg, exp_avg_sq):
        if self.weight_decay:
            params *= 1 - lr * self.weight_decay
        self.adam(params, grads, lr, exp_avg, exp_avg_sq)


class Adamax(Optimizer):
    """Adamax: u = max(β2·u, |g| + eps); p -= lr/(1-β1ᵗ) · m / u."""

    hyperparams = {"beta1": BETA1, "beta2": BETA2, "eps": EPS, "weight_decay": DECAY}
    buffers = ("exp_avg", "exp_inf")

    def update(self, params, grads, lr, exp_avg, exp_inf):
        g, s = self.with_decay(params, grads), self.scratch
        exp_avg *= self.beta1
        np.multiply(g, 1 - self.beta1, out=s)
        exp_avg += s
        exp_inf *= self.beta2
        np.abs(g, out=s)
        s += self.eps
        np.maximum(exp_inf, s, out=exp_inf)
        np.divide(exp_avg, exp_inf, out=s)
        s *= -lr / (1 - self.beta1**self.t)
        params += s


class NAdam(Adam):
    """NAdam (PyTorch): Adam moments with a momentum schedule μt = β1·(1 - ½·0.96^(t·ψ))."""

    hyperparams = {**Adam.hyperparams, "momentum_decay": Param(4e-3, 0.0, 0.1)}
    counters = {"t": 0.0, "mu_product": 1.0}

    def update(self, params, grads, lr, exp_avg, exp_avg_sq):
        g = self.with_decay(params, grads)
        self.moments(g, exp_avg, exp_avg_sq)
        mu = self.beta1 * (1 - 0.5 * 0.96 ** (self.t * self.momentum_decay))
        mu_next = self.beta1 * (1 - 0.5 * 0.96 ** ((self.t + 1) * self.momentum_decay))
        self.mu_product = self.mu_product * mu
        denom = self.denom
        np.divide(exp_avg_sq, 1 - self.beta2**self.t, out=denom)
        np.sqrt(denom, out=denom)
        denom += self.eps
        s = self.scratch
        np.divide(g, denom, out=s)
        s *= -lr * (1 - mu) / (1 - self.mu_product)
        params += s
        np.divide(exp_avg, denom, out=s)
        s *= -lr * mu_next / (1 - self.mu_product * mu_next)
        params += s


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "adamax": Adamax,
    "nadam": NAdam,
}
OPTIMIZER_PARAMS: dict[str, dict[str, Param]] = {name: dict(cls.hyperparams) for name, cls in OPTIMIZERS.items()}


def make_optimizer(name: str, **hyper: float) -> Optimizer:
    """An optimizer from the registry with the given hyper-parameters (defaults for the rest)."""
    return OPTIMIZERS[name](**hyper)

