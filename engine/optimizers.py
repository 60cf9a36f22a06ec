"""Optimizers over one flat parameter vector, following PyTorch's documented update rules."""

from __future__ import annotations

from collections.abc import Callable
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
    # Per-tensor scalars (PyTorch keeps one per tensor) and their fresh values. While every tensor agrees they are
    # floats; after a remap that restarted some tensors each is a (G,) array of values and `groups` (n,) says which
    # value each element uses, so a step does its scalar maths per group and spreads only the final factors.
    counters: ClassVar[dict[str, float]] = {"t": 0.0}

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
        self.groups: np.ndarray | None = None

    def _ensure(self, params: np.ndarray) -> None:
        if self.state is None or self.state.shape[1] != params.size:
            self._allocate(np.zeros((len(self.buffers), params.size), dtype=params.dtype))
            self._fresh_counters()

    def _allocate(self, state: np.ndarray) -> None:
        self.state, self.rows = state, tuple(state)  # rows: one view per buffer, made once
        self.scratch, self.decayed, self.denom = (np.empty(state.shape[1], state.dtype) for _ in range(3))
        self.factors = np.empty((3, state.shape[1]), state.dtype)

    def grouped(self, fn: Callable[..., tuple[float, ...]], counters: tuple, *args: float) -> tuple[np.ndarray, ...]:
        """fn(*counters, *args) -> scalar factors, evaluated once per group of tensors and spread to their elements."""
        rows = [fn(*group, *args) for group in zip(*(np.asarray(c).tolist() for c in counters), strict=True)]
        return tuple(np.array(column, self.factors.dtype).take(self.groups, out=self.factors[slot], mode="clip")
                     for slot, column in enumerate(zip(*rows, strict=True)))  # fmt: skip

    def per_element(self, name: str) -> np.ndarray:
        """Counter `name` for every element, (n,) float64."""
        value = getattr(self, name)
        n = 0 if self.state is None else self.state.shape[1]
        return np.full(n, value) if self.groups is None else np.asarray(value)[self.groups]

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
        old_counters = {name: self.per_element(name) for name in self.counters}
        old = self.state
        self._allocate(np.zeros((len(self.buffers), new_size), dtype=old.dtype))
        fresh = np.array(list(self.counters.values()), dtype=np.float64)
        merged = np.repeat(fresh[:, None], new_size, axis=1)  # (C, n): every element fresh, then the kept ones
        for src, dst in pairs:
            self.state[:, dst] = old[:, src]
            merged[:, dst] = [old_counters[name][src] for name in self.counters]
        values, groups = np.unique(merged, axis=1, return_inverse=True)  # (C, G) distinct columns, (n,)
        self._fresh_counters()
        if values.shape[1] == 1:
            for name, value in zip(self.counters, values[:, 0], strict=True):
                setattr(self, name, float(value))
        elif values.shape[1] > 1:
            for name, value in zip(self.counters, values, strict=True):
                setattr(self, name, value.copy())
            self.groups = groups.reshape(-1)
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
        t = self.t
        eps, step = self.factors_at(t, lr) if self.groups is None else self.grouped(self.factors_at, (t,), lr)
        s = self.scratch
        np.sqrt(exp_avg_sq, out=s)
        s += eps
        np.divide(exp_avg, s, out=s)
        s *= step
        params += s

    def factors_at(self, t: float, lr: float) -> tuple[float, float]:
        """(eps·√bc2, -lr·√bc2/bc1): (√v/√bc2 + eps) = (√v + eps·√bc2)/√bc2, the same update with one call fewer."""
        root_bc2 = (1 - self.beta2**t) ** 0.5
        return self.eps * root_bc2, -lr * root_bc2 / (1 - self.beta1**t)


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
        (step,) = self.factors_at(self.t, lr) if self.groups is None else self.grouped(self.factors_at, (self.t,), lr)
        s *= step
        params += s

    def factors_at(self, t: float, lr: float) -> tuple[float]:
        """-lr/(1-β1ᵗ)."""
        return (-lr / (1 - self.beta1**t),)


class NAdam(Adam):
    """NAdam (PyTorch): Adam moments with a momentum schedule μt = β1·(1 - ½·0.96^(t·ψ))."""

    hyperparams = {**Adam.hyperparams, "momentum_decay": Param(4e-3, 0.0, 0.1)}
    counters = {"t": 0.0, "mu_product": 1.0}

    def update(self, params, grads, lr, exp_avg, exp_avg_sq):
        g = self.with_decay(params, grads)
        self.moments(g, exp_avg, exp_avg_sq)
        t = self.t
        self.mu_product = self.mu_product * self.momentum_at(t)
        counters = (t, self.mu_product)
        bc2, c_grad, c_avg = self.factors_at(*counters, lr) if self.groups is None else self.grouped(
            self.factors_at, counters, lr
        )
        denom = self.denom
        np.divide(exp_avg_sq, bc2, out=denom)
        np.sqrt(denom, out=denom)
        denom += self.eps
        s = self.scratch
        np.divide(g, denom, out=s)
        s *= c_grad
        params += s
        np.divide(exp_avg, denom, out=s)
        s *= c_avg
        params += s

    def momentum_at(self, t: float) -> float:
        """μt = β1·(1 - ½·0.96^(t·ψ))."""
        return self.beta1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def factors_at(self, t: float, mu_product: float, lr: float) -> tuple[float, float, float]:
        """(1-β2ᵗ, -lr·(1-μt)/(1-Πμ), -lr·μt+1/(1-Πμ·μt+1)) with Πμ already including μt."""
        mu, mu_next = self.momentum_at(t), self.momentum_at(t + 1)
        return 1 - self.beta2**t, -lr * (1 - mu) / (1 - mu_product), -lr * mu_next / (1 - mu_product * mu_next)


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

