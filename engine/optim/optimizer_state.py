"""What the optimizer holds for each weight, read from its flat state rows, and the steps it took layer by layer.

For one parameter: its value and last gradient, each state row the optimizer keeps (velocity; AdaGrad's sum of
squares; RMSprop's average of squares; Adam's m and v, Adamax's u) under the names the formulas use, the
bias-corrected m̂ = m/(1 − β1ᵗ) and v̂ = v/(1 − β2ᵗ) where the rule has them, and the update it took last, Δw (as
made, e.g. −η·m̂/(√v̂ + ε) for Adam). Per layer: how large the weights' steps were and the effective rate
|Δw|/|g| each weight got (η for every weight under plain SGD; under Adam it varies from weight to weight).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engine.optim.optimizers import OPTIMIZERS

if TYPE_CHECKING:
    from engine.trainer import Trainer

# The optimizers' buffer names as the formulas write them.
SYMBOLS = {"velocity": "b", "sum_sq": "s", "square_avg": "v", "exp_avg": "m", "exp_avg_sq": "v", "exp_inf": "u"}
CORRECTED = {"exp_avg": ("m̂", "beta1"), "exp_avg_sq": ("v̂", "beta2")}  # m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ)
# Which rows each rule bias-corrects that way (NAdam corrects m through its momentum schedule's product instead).
CORRECTS = {"adam": ("exp_avg", "exp_avg_sq"), "adamw": ("exp_avg", "exp_avg_sq"), "adamax": ("exp_avg",),
            "nadam": ("exp_avg_sq",)}  # fmt: skip
TINY_GRADIENT = 1e-12  # |g| below this gives no effective rate
RESOLVED = 1024  # a step counts for the rate when it spans this many float32 spacings of its weight (±0.1 %)


def _name(optimizer) -> str:
    return next(name for name, cls in OPTIMIZERS.items() if type(optimizer) is cls)


def weight_state(trainer: Trainer, index: int) -> dict[str, Any]:
    """The optimizer's state for parameter `index` of the flat vector, with the formula of its rule."""
    net, opt = trainer.network, trainer.optimizer
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < net.params.size:
        raise IndexError(f"index must be from 0 to {net.params.size - 1}")
    update = trainer.last_update()
    out: dict[str, Any] = {
        "optimizer": _name(opt), "formula": opt.code().formula, "w": float(net.params[index]),
        "g": float(net.grads[index]), "update": None if update is None else float(update[index]), "state": {},
    }  # fmt: skip
    if opt.state is None or opt.state.shape[1] != net.params.size:
        return out  # no step yet: the rows do not exist
    t = float(opt.per_element("t")[index])
    out["t"] = t
    corrects = CORRECTS.get(out["optimizer"], ()) if t > 0 else ()
    for name, row in zip(opt.buffers, opt.state, strict=True):
        if name == "velocity" and not getattr(opt, "momentum", 0.0):
            continue  # RMSprop without momentum keeps the row but never uses it
        value = float(row[index])
        out["state"][SYMBOLS[name]] = value
        if name in corrects:
            symbol, beta = CORRECTED[name]
            out["state"][symbol] = value / (1.0 - getattr(opt, beta) ** t)
    return out


def layer_steps(trainer: Trainer) -> list[dict[str, float] | None]:
    """Per layer, over its weights (not biases): mean and largest |Δw| of the last step, and the effective rate
    |Δw|/|g| (smallest, median, largest) over the weights whose gradient is not about 0 and whose float32 step is
    resolved to 0.1 % (RESOLVED spacings of the weight: a smaller one is mostly rounding); None before any step."""
    net = trainer.network
    update = trainer.last_update()
    if update is None:
        return [None] * len(net.W)
    out: list[dict[str, float] | None] = []
    for s in net.weight_slices:
        step = np.abs(update[s].astype(np.float64))
        grad = np.abs(net.grads[s].astype(np.float64))
        moved = (grad > TINY_GRADIENT) & (step >= RESOLVED * np.spacing(np.abs(net.params[s])).astype(np.float64))
        rate = step[moved] / grad[moved]
        out.append({
            "step_mean": float(step.mean()), "step_max": float(step.max()),
            "rate_min": float(rate.min()) if rate.size else float("nan"),
            "rate_median": float(np.median(rate)) if rate.size else float("nan"),
            "rate_max": float(rate.max()) if rate.size else float("nan"),
        })  # fmt: skip
    return out
