"""Each preset's claim as code: what its run must show, judged from readings of the run (engine.claims).

A claim that compares (momentum against plain SGD, dropout against no regularisation) names the presets it is
compared with in `versus`; their runs start from the same seed and are recorded with this claim's probes.
Thresholds carry their margin: each was set so the claim holds on at least 7 of 8 seeds under every OpenBLAS kernel
(docs/claims.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine.claims import (
    Claim,
    Condition,
    Probe,
    Run,
    batch_loss,
    grad_norms,
    mean_test_output,
    noise,
    test_accuracy,
    train_loss,
)

INF = float("inf")


def _params(t) -> np.ndarray:
    return t.network.params.astype(np.float64)


def _grads(t) -> np.ndarray:
    return t.network.grads.astype(np.float64)


def _lr_used(t) -> float:
    """The rate of the step just taken (the schedule at the step before)."""
    return t._lr(t.step - 1) if t.step else t.learning_rate


def _start_ratio(run: Run, at: int) -> float:
    return run.at("loss", at) / run.at("loss", 0)


def _diverged_at(run: Run) -> float:
    event = run.first("diverged")
    return event["step"] if event else INF


# -- the update rule ----------------------------------------------------------------------------------------------


def _update_rule(run: Run, _: Mapping[str, Run]) -> list[Condition]:
    params, grads, rates = (run.readings[n] for n in ("params", "grads", "lr"))
    error = max(float(np.abs(p1 - (p0 - lr * g)).max())
                for (_, p0), (_, p1), (_, g), (_, lr) in zip(params, params[1:], grads, rates, strict=False))
    return [Condition("largest |Δw − (−η·∂L/∂w)|", error, "<", 1e-6)]


SLOW_MOTION = Claim(
    "each step moves the parameters by exactly −η times the gradient", 5, _update_rule,
    {"params": Probe(_params), "grads": Probe(_grads, 1), "lr": Probe(_lr_used, 1)},
)  # fmt: skip

# -- the learning rate --------------------------------------------------------------------------------------------

_LOSS_0_2000 = {"loss": Probe(train_loss, 0, 2000, 2000)}

LR_TOO_SMALL = Claim(
    "after 2,000 steps the loss is still above 40% of where it started", 2000,
    lambda run, _: [Condition("loss at 2,000 / at start", _start_ratio(run, 2000), ">", 0.4)], _LOSS_0_2000,
)  # fmt: skip
LR_RIGHT = Claim(
    "after 2,000 steps the loss is below 5% of where it started", 2000,
    lambda run, _: [Condition("loss at 2,000 / at start", _start_ratio(run, 2000), "<", 0.05)], _LOSS_0_2000,
)  # fmt: skip
LR_TOO_LARGE = Claim(
    "training diverges within 50 steps", 50,
    lambda run, _: [Condition("step of divergence", _diverged_at(run), "<=", 50)],
    try_instead="Raise the rate further: the larger it is, the sooner the loss blows up.",
)  # fmt: skip

_LATE = {"late": Probe(train_loss, 1500, 2000)}


def _spread(run: Run) -> float:
    late = run.series("late")
    return float(late.max() / late.min())


LR_CONSTANT = Claim(
    "between steps 1,500 and 2,000 its highest loss is more than 20 times its lowest", 2000,
    lambda run, _: [Condition("highest / lowest loss, steps 1,500–2,000", _spread(run), ">", 20)], _LATE,
)  # fmt: skip
LR_STEP_DECAY = Claim(
    "between steps 1,500 and 2,000 its mean loss is below half of the constant rate's, and its highest loss is "
    "less than 5 times its lowest", 2000,
    lambda run, ref: [
        Condition("mean loss / constant rate's", run.series("late").mean() / ref["lr-constant"].series("late").mean(),
                  "<", 0.5),
        Condition("highest / lowest loss, steps 1,500–2,000", _spread(run), "<", 5),
    ],
    _LATE, versus=("lr-constant",),
)  # fmt: skip

# -- the batch size -----------------------------------------------------------------------------------------------

_BATCH = {"batch": Probe(batch_loss, 201, 1000)}
_BATCHES = ("full-batch", "mini-batch", "stochastic")


def _noises(run: Run, ref: Mapping[str, Run], me: str) -> dict[str, float]:
    return {k: noise((run if k == me else ref[k]).series("batch")) for k in _BATCHES}


def _versus(me: str) -> tuple[str, ...]:
    return tuple(k for k in _BATCHES if k != me)


FULL_BATCH = Claim(
    "the step-to-step batch loss is far less noisy than with ten points or one point per step", 1000,
    lambda run, ref: (n := _noises(run, ref, "full-batch")) and [
        Condition("noise of the batch loss", n["full-batch"], "<", 0.01),
        Condition("noise / mini-batch's", n["full-batch"] / n["mini-batch"], "<", 0.1),
    ], _BATCH, versus=_versus("full-batch"),
)  # fmt: skip
STOCHASTIC = Claim(
    "the step-to-step batch loss is the noisiest of the three", 1000,
    lambda run, ref: (n := _noises(run, ref, "stochastic")) and [
        Condition("noise / mini-batch's", n["stochastic"] / n["mini-batch"], ">", 2),
    ], _BATCH, versus=_versus("stochastic"),
)  # fmt: skip
MINI_BATCH = Claim(
    "the batch loss noise lies between full batch and one point", 1000,
    lambda run, ref: (n := _noises(run, ref, "mini-batch")) and [
        Condition("noise / full batch's", n["mini-batch"] / n["full-batch"], ">", 10),
        Condition("noise / one point's", n["mini-batch"] / n["stochastic"], "<", 0.5),
    ], _BATCH, versus=_versus("mini-batch"),
)  # fmt: skip

# -- depth --------------------------------------------------------------------------------------------------------

_NORMS = {"norms": Probe(grad_norms, 50, 200)}


def _first_to_last(run: Run) -> float:
    norms = np.array([v for _, v in run.readings["norms"]])
    return float(np.median(norms[:, 0] / norms[:, -1]))


VANISHING = Claim(
    "the first layer's gradient norm is below 1/1000 of the last layer's", 200,
    lambda run, _: [Condition("first / last layer's gradient norm (median)", _first_to_last(run), "<", 1e-3)],
    _NORMS,
)  # fmt: skip
VANISHING_FIXED = Claim(
    "the first layer's gradient norm is within a factor of 100 of the last layer's", 200,
    lambda run, _: [Condition("first / last layer's gradient norm (median)", _first_to_last(run), ">", 1e-2)],
    _NORMS,
)  # fmt: skip


def _exploded(run: Run, _: Mapping[str, Run]) -> list[Condition]:
    event = run.first("diverged")
    return [Condition("step of divergence", _diverged_at(run), "<=", 20),
            Condition("gradient norm then", event["grad_norm"] if event else 0.0, ">", 100)]  # fmt: skip


EXPLODING = Claim("the gradient norm exceeds 100 and training diverges within 20 steps", 20, _exploded)
EXPLODING_CLIPPED = Claim(
    "no divergence in 500 steps and the loss falls below 5% of its start", 500,
    lambda run, _: [Condition("divergences", float(bool(run.first("diverged"))), "==", 0),
                    Condition("loss at 500 / at start", _start_ratio(run, 500), "<", 0.05)],
    {"loss": Probe(train_loss, 0, 500, 500)},
)  # fmt: skip

# -- optimizers in a valley ---------------------------------------------------------------------------------------

_AT_300 = {"loss": Probe(train_loss, 300, 300)}


def _loss_vs(run: Run, ref: Mapping[str, Run], other: str, step: int = 300) -> float:
    return run.at("loss", step) / ref[other].at("loss", step)


VALLEY_SGD = Claim(
    "after 300 steps its loss is more than three times momentum's", 300,
    lambda run, ref: [Condition("loss / momentum's", _loss_vs(run, ref, "valley-momentum"), ">", 3)],
    _AT_300, versus=("valley-momentum",),
)  # fmt: skip
VALLEY_MOMENTUM = Claim(
    "after 300 steps its loss is below a third of plain SGD's", 300,
    lambda run, ref: [Condition("loss / plain SGD's", _loss_vs(run, ref, "valley-sgd"), "<", 1 / 3)],
    _AT_300, versus=("valley-sgd",),
)  # fmt: skip
VALLEY_ADAM = Claim(
    "after 300 steps its loss is below plain SGD's", 300,
    lambda run, ref: [Condition("loss / plain SGD's", _loss_vs(run, ref, "valley-sgd"), "<", 1)],
    _AT_300, versus=("valley-sgd",),
)  # fmt: skip
_AT_50_600 = {"loss": Probe(train_loss, 50, 600, 550)}
VALLEY_ADAGRAD = Claim(
    "at step 50 its loss is within 25% of RMSprop's; at step 600 it is more than 3 times RMSprop's", 600,
    lambda run, ref: [
        Condition("|loss − RMSprop's| / RMSprop's at step 50", abs(_loss_vs(run, ref, "valley-rmsprop", 50) - 1),
                  "<", 0.25),
        Condition("loss / RMSprop's at step 600", _loss_vs(run, ref, "valley-rmsprop", 600), ">", 3),
    ],
    _AT_50_600, versus=("valley-rmsprop",),
)  # fmt: skip
VALLEY_RMSPROP = Claim(
    "at step 600 its loss is below a third of AdaGrad's", 600,
    lambda run, ref: [Condition("loss / AdaGrad's at step 600", _loss_vs(run, ref, "valley-adagrad", 600), "<", 1 / 3)],
    _AT_50_600, versus=("valley-adagrad",),
)  # fmt: skip

# -- capacity, data order -----------------------------------------------------------------------------------------

XOR = Claim(
    "test accuracy reaches 0.95 within 30 epochs", 600,
    lambda run, _: [Condition("best test accuracy in 30 epochs", run.series("accuracy").max(), ">=", 0.95)],
    {"accuracy": Probe(test_accuracy, 20, 600, 20)},
)  # fmt: skip

_ORDER = {"swing": Probe(mean_test_output, 100, 1000, 5), "batch": Probe(batch_loss, 201, 1000),
          "accuracy": Probe(test_accuracy, 400, 1000, 10)}  # fmt: skip


def _swing(run: Run) -> float:
    """Mean change of the mean test output between the middle and the end of each epoch."""
    return float(np.abs(np.diff(run.series("swing"))).mean())


NO_SHUFFLE = Claim(
    "the batch loss is twice as noisy, the output swings by more than 0.5 within an epoch, and test accuracy stays "
    "near chance", 1000,
    lambda run, ref: [
        Condition("batch-loss noise / shuffled", noise(run.series("batch")) / noise(ref["shuffle"].series("batch")),
                  ">", 1.5),
        Condition("output swing within an epoch", _swing(run), ">", 0.5),
        Condition("median test accuracy, steps 400–1,000", float(np.median(run.series("accuracy"))), "<", 0.65),
    ],
    _ORDER, versus=("shuffle",),
)  # fmt: skip
SHUFFLE = Claim(
    "a steady output and a test accuracy well above chance, unlike not shuffling", 1000,
    lambda run, ref: [
        Condition("output swing / not shuffling's", _swing(run) / _swing(ref["no-shuffle"]), "<", 1 / 3),
        Condition("median test accuracy, steps 400–1,000", float(np.median(run.series("accuracy"))), ">", 0.8),
    ],
    _ORDER, versus=("no-shuffle",),
)  # fmt: skip

# -- generalisation -----------------------------------------------------------------------------------------------

OVERFIT_STEPS = 900  # 300 epochs of 30 training points in batches of 10


def _gap(run: Run) -> float:
    return run.final["test_loss"] - run.final["train_loss"]


OVERFIT = Claim(
    "training loss ends far below test loss", OVERFIT_STEPS,
    lambda run, _: [Condition("test − training loss", _gap(run), ">", 1.0),
                    Condition("training loss", run.final["train_loss"], "<", 0.05)],
)  # fmt: skip
_SMALLER_GAP = Claim(
    "the train-test gap is smaller than without regularisation", OVERFIT_STEPS,
    lambda run, ref: [Condition("gap / unregularised gap", _gap(run) / _gap(ref["overfit"]), "<", 0.5)],
    versus=("overfit",),
)  # fmt: skip
OVERFIT_EARLY_STOPPING = Claim(
    "training stops by itself, at a test loss below half of the run that goes on", OVERFIT_STEPS,
    lambda run, ref: [
        Condition("early stops", float(bool(run.first("early_stopped"))), "==", 1),
        Condition("test loss / unstopped run's", run.final["test_loss"] / ref["overfit"].final["test_loss"], "<", 0.5),
    ],
    versus=("overfit",),
)  # fmt: skip

# -- activations, initialisation ----------------------------------------------------------------------------------


def _silent_units(t) -> np.ndarray:
    """Per hidden unit: 1 if it is dead on the training set and its δ on the last batch is exactly 0."""
    n_hidden = sum(t.config["layers"])
    stats = t.stats
    return (stats["dead_units"] & (stats["delta_abs"][:n_hidden] == 0)).astype(np.float64)


def _hidden_delta(t) -> np.ndarray:
    return t.stats["delta_abs"][: sum(t.config["layers"])].astype(np.float64)


_UNITS = {"silent": Probe(_silent_units, 600, 600), "delta": Probe(_hidden_delta, 600, 600),
          "loss": Probe(train_loss, 600, 600)}  # fmt: skip

DEAD_RELU = Claim(
    "at least five units are dead and pass no gradient", 600,
    lambda run, _: [Condition("dead units with δ = 0", run.at("silent", 600).sum(), ">=", 5)], _UNITS,
)  # fmt: skip
LEAKY_RELU = Claim(
    "every hidden unit still receives gradient, and the loss ends below half of plain ReLU's", 600,
    lambda run, ref: [
        Condition("hidden units with δ = 0", float((run.at("delta", 600) == 0).sum()), "==", 0),
        Condition("loss / plain ReLU's", _loss_vs(run, ref, "dead-relu", 600), "<", 0.5),
    ],
    _UNITS, versus=("dead-relu",),
)  # fmt: skip


def _lockstep(t) -> tuple[float, float]:
    """(largest difference between units of one hidden layer, largest weight into the next layer)."""
    net = t.network
    spread = max(max(float(np.ptp(W, axis=1).max()), float(np.ptp(b))) for W, b in zip(net.W[:-1], net.b[:-1],
                                                                                     strict=True))
    return spread, float(np.abs(net.W[1]).max())


ZERO_INIT = Claim(
    "all hidden units of a layer stay identical, though the weights move", 1000,
    lambda run, _: [Condition("largest difference between units of a layer", run.at("lockstep", 1000)[0], "==", 0),
                    Condition("largest weight into layer 2", run.at("lockstep", 1000)[1], ">", 0.01)],
    {"lockstep": Probe(_lockstep, 1000, 1000)},
)  # fmt: skip

CLAIMS: dict[str, Claim] = {
    "slow-motion": SLOW_MOTION, "lr-too-small": LR_TOO_SMALL, "lr-right": LR_RIGHT, "lr-too-large": LR_TOO_LARGE,
    "lr-constant": LR_CONSTANT, "lr-step-decay": LR_STEP_DECAY, "full-batch": FULL_BATCH, "stochastic": STOCHASTIC,
    "mini-batch": MINI_BATCH, "vanishing": VANISHING, "vanishing-fixed": VANISHING_FIXED, "exploding": EXPLODING,
    "exploding-clipped": EXPLODING_CLIPPED, "valley-sgd": VALLEY_SGD, "valley-momentum": VALLEY_MOMENTUM,
    "valley-adam": VALLEY_ADAM, "valley-adagrad": VALLEY_ADAGRAD, "valley-rmsprop": VALLEY_RMSPROP, "xor": XOR,
    "no-shuffle": NO_SHUFFLE, "shuffle": SHUFFLE, "overfit": OVERFIT, "overfit-l2": _SMALLER_GAP,
    "overfit-dropout": _SMALLER_GAP, "overfit-early-stopping": OVERFIT_EARLY_STOPPING, "dead-relu": DEAD_RELU,
    "leaky-relu": LEAKY_RELU, "zero-init": ZERO_INIT,
}  # fmt: skip
