"""Learning-rate schedules driven by the step counter (mini-batches done)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.optim.optimizers import Param


def constant(step: int, base_lr: float) -> float:
    """The base rate, always."""
    return base_lr


def step_decay(step: int, base_lr: float, step_size: int = 500, gamma: float = 0.5) -> float:
    """base · γ^⌊step / step_size⌋ (PyTorch StepLR)."""
    return base_lr * gamma ** (step // step_size)


def exponential(step: int, base_lr: float, gamma: float = 0.999) -> float:
    """base · γ^step (PyTorch ExponentialLR, stepped every mini-batch)."""
    return base_lr * gamma**step


def cosine(step: int, base_lr: float, t_max: int = 2000, min_lr: float = 0.0) -> float:
    """min + (base - min) · (1 + cos(π · step / t_max)) / 2 (PyTorch CosineAnnealingLR closed form)."""
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / t_max)) / 2


def cyclical(step: int, base_lr: float, max_lr: float = 0.3, step_size: int = 200) -> float:
    """Triangular cycle base → max → base over 2 · step_size steps (PyTorch CyclicLR, mode triangular)."""
    cycle = math.floor(1 + step / (2 * step_size))
    x = abs(step / step_size - 2 * cycle + 1)
    return base_lr + (max_lr - base_lr) * max(0.0, 1 - x)


@dataclass(frozen=True)
class Schedule:
    """A named schedule: lr = schedule(step, base_lr, **params).

    `formula` and `code` are the schedule for an exported run (engine.export): the formula in words, and the same
    arithmetic in Python of `step`, LEARNING_RATE and the parameters as UPPER_CASE names: an expression, or
    statements and then the expression on the last line.
    """

    name: str
    fn: Callable[..., float]
    formula: str
    code: str
    params: dict[str, Param] = field(default_factory=dict)

    def __call__(self, step: int, base_lr: float, **params: float) -> float:
        return self.fn(step, base_lr, **params)

    def defaults(self) -> dict[str, float]:
        """Each parameter's default."""
        return {name: p.default for name, p in self.params.items()}


SCHEDULES: dict[str, Schedule] = {
    s.name: s
    for s in (
        Schedule("constant", constant, "η = η₀", "LEARNING_RATE"),
        Schedule("step", step_decay, "step decay: η = η₀·γ^⌊step / step_size⌋",
                 "LEARNING_RATE * GAMMA ** (step // STEP_SIZE)",
                 {"step_size": Param(500, 1, 100_000, True), "gamma": Param(0.5, 0.01, 1.0)}),
        Schedule("exponential", exponential, "exponential decay: η = η₀·γ^step", "LEARNING_RATE * GAMMA**step",
                 {"gamma": Param(0.999, 0.9, 1.0)}),
        Schedule("cosine", cosine, "cosine annealing: η = η_min + (η₀ − η_min)·(1 + cos(π·step / T)) / 2",
                 "MIN_LR + (LEARNING_RATE - MIN_LR) * (1 + math.cos(math.pi * step / T_MAX)) / 2",
                 {"t_max": Param(2000, 1, 1_000_000, True), "min_lr": Param(0.0, 0.0, 10.0)}),
        Schedule("cyclical", cyclical, "a triangle from η₀ up to η_max and back every 2·step_size steps",
                 "cycle = math.floor(1 + step / (2 * STEP_SIZE))\nx = abs(step / STEP_SIZE - 2 * cycle + 1)\n"
                 "LEARNING_RATE + (MAX_LR - LEARNING_RATE) * max(0.0, 1 - x)",
                 {"max_lr": Param(0.3, 1e-6, 10.0), "step_size": Param(200, 1, 100_000, True)}),
    )
}  # fmt: skip
