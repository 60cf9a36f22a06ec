"""The optimizers' shared machinery: hyper-parameter specs, lazily created state over one flat parameter vector,
per-tensor counters, weight decay, and carrying state across live edits (remap, snapshot/restore, set_hyper).

The concrete update rules and the registry are in `optimizers.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

Pairs = list[tuple[slice, slice]]  # (old, new) parameter ranges an architecture edit keeps (engine.nn.edit)


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


@dataclass(frozen=True)
class Code:
    """An update rule for an exported run (engine.export): the formula in words, the state each parameter array
    keeps (name -> NumPy expression that creates it from `p`), and the update of one array `p` from its gradient `g`
    as plain NumPy statements (`lr` the rate, `t` the step counted from 1, hyper-parameters as UPPER_CASE names)."""

    formula: str
    state: dict[str, str]
    body: str


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

    def code(self) -> Code:
        """This rule with these hyper-parameters as plain NumPy (engine.export): only the terms they use."""
        raise NotImplementedError

    def decay_code(self) -> str:
        """The coupled L2 term's line, empty when weight decay is off."""
        return "g = g + WEIGHT_DECAY * p  # coupled weight decay: g ← g + λ·p\n" if self.weight_decay else ""

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
