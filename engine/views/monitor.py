"""Watching a training run: divergence, early stopping, dead and saturated units, and the events that report them."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.nn.activations import CAN_DIE, RAILS
from engine.nn.network import Network

if TYPE_CHECKING:
    from engine.views.stats import TrainPass

LOSS_CEILING = 1e4  # a batch loss above this counts as diverged: targets are in [-1, 1], no sane run gets near it
PARAM_CEILING = 1e12  # ‖params‖² above this counts as diverged (NaN and Inf fail the comparison too)
EXPLODING = 1e2  # a gradient norm above this names exploding gradients as the cause
DEAD_CHECK_STEPS = 20
CLEAR_CHECKS = 2  # clear checks in a row before a saturation warning is withdrawn


def event(kind: str, message: str, **details: Any) -> dict[str, Any]:
    """An event for the server to forward: kind, a sentence for people, and details."""
    return {"kind": kind, "message": message, **details}


def finite_or_none(x: float) -> float | None:
    """x, or None when it is NaN or infinite (JSON has no NaN)."""
    return x if math.isfinite(x) else None


def diverged(loss: float, grad_norm: float, lr: float, step: int, rolled_back: bool) -> dict[str, Any]:
    """The `diverged` event for a blown-up step (`step` is 1-based): why it probably happened and what to do."""
    exploding = not grad_norm <= EXPLODING
    if not rolled_back:
        cause, message = "weights", (f"The loss is {loss:.3g} at these weights, before any step: reset, or set "
                                     "smaller weights, to train from here.")  # fmt: skip
    else:
        cause = "exploding_gradient" if exploding else "learning_rate"
        advice = (f"exploding gradients (norm {grad_norm:.3g}): lower the learning rate or turn on clipping"
                  if exploding else f"the learning rate {lr:g} is too high: lower it to continue")  # fmt: skip
        message = (f"Training diverged at step {step} (loss {loss:.3g}); the step that caused it was "
                   f"rolled back. Likely cause: {advice}.")  # fmt: skip
    return event("diverged", message, step=step, loss=finite_or_none(loss), cause=cause,
                 learning_rate=lr, grad_norm=finite_or_none(grad_norm), rolled_back=rolled_back)  # fmt: skip


class EarlyStopping:
    """Patience on the test loss: `early_stopped` after `patience` epochs in a row without a new best."""

    def __init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        """Forget the best loss so far (new data, features or loss)."""
        self.best, self.bad_epochs = math.inf, 0

    def epoch_end(self, test_loss: float, epoch: int, patience: int) -> list[dict[str, Any]]:
        """Record one epoch's test loss; the `early_stopped` event when patience has run out."""
        if test_loss < self.best:
            self.best, self.bad_epochs = test_loss, 0
        else:
            self.bad_epochs += 1
        if self.bad_epochs < patience:
            return []
        self.bad_epochs = 0
        return [event("early_stopped", f"The test loss has not improved for {patience} epochs (best {self.best:.4g}): "
                      f"training stopped at epoch {epoch}.", epoch=epoch, best_test_loss=self.best)]  # fmt: skip


def unit_flags(net: Network, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dead (ReLU family, never active) and saturated (within 1% of a rail) flags per hidden unit, over every point.

    `hidden` is `net.infer`'s neuron-major activations (n_hidden_neurons, n), the same definitions as
    `Network.unit_health`.
    """
    n_hidden = sum(net.hidden)
    dead, saturated = np.zeros(n_hidden, bool), np.zeros(n_hidden, bool)
    start = 0
    for act, width in zip(net.activations, net.hidden, strict=True):
        rows, units = hidden[start : start + width], slice(start, start + width)
        if act.name in CAN_DIE:
            dead[units] = (rows <= 0.0).all(axis=1)
        if act.name in RAILS:
            low, high = RAILS[act.name]
            margin = 0.01 * (high - low)
            saturated[units] = ((rows < low + margin) | (rows > high - margin)).all(axis=1)
        start += width
    return dead, saturated


class UnitMonitor:
    """`dead_units` and `saturated_units` / `saturation_cleared`, each once per change, from checks
    DEAD_CHECK_STEPS steps apart; a saturation warning clears only after CLEAR_CHECKS clear checks in a row."""

    def __init__(self) -> None:
        self.saturation_reported = False
        self.clear_checks = 0
        self.network_changed()

    def network_changed(self) -> None:
        """A new network: dead units are counted afresh and the next check is due at once."""
        self.dead_reported, self.checked = 0, -DEAD_CHECK_STEPS

    def events(
        self,
        step: int,
        net: Network,
        health: Callable[[], TrainPass],
        can_die: bool,
        can_saturate: bool,
    ) -> list[dict[str, Any]]:
        """The events of a check at `step`, if one is due, from `health()` (called only then)."""
        if step - self.checked < DEAD_CHECK_STEPS or not (can_die or can_saturate):
            return []
        self.checked = step
        events = []
        if can_die:
            dead = int(health().dead.sum())
            if dead > self.dead_reported:
                events.append(event("dead_units", f"{dead} ReLU unit{'s are' if dead > 1 else ' is'} dead: never "
                                    "active on any training point, so no gradient flows through.", count=dead))
            self.dead_reported = dead
        if can_saturate:
            checked = health()
            events += self._saturation(net, int(checked.saturated.sum()), checked.output)
        return events

    def _saturation(self, net: Network, count: int, output: bool) -> list[dict[str, Any]]:
        railed = sum(width for act, width in zip(net.activations, net.hidden, strict=True) if act.name in RAILS)
        stuck = output or 2 * count > railed > 0
        self.clear_checks = 0 if stuck else self.clear_checks + 1
        if stuck == self.saturation_reported or (not stuck and self.clear_checks < CLEAR_CHECKS):
            return []
        self.saturation_reported = stuck
        if not stuck:
            return [event("saturation_cleared", "The units are no longer stuck at their limits.")]
        plural = "s" if count != 1 else ""
        who = (f"The output unit and {count} hidden unit{plural} are" if output and count
               else "The output unit is" if output else f"{count} of {railed} hidden units are")  # fmt: skip
        message = (f"{who} stuck at their limits (like −1 or +1 for tanh) on every training point, so the gradient "
                   "through them is near zero and the network has stopped learning. Likely cause: a learning rate "
                   "that is too high, or weights that are too large: lower the learning rate, or reset.")
        return [event("saturated_units", message, count=count, output=output)]
