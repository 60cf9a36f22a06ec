"""Each preset's claim as code: what its run must show, judged from readings of the run (engine.lessons.claims).

A claim that compares (momentum against plain SGD, dropout against no regularisation) names the presets it is
compared with in `versus`; their runs start from the same seed and are recorded with this claim's probes.
Thresholds carry their margin: each was set so the claim holds on at least 7 of 8 seeds under every OpenBLAS kernel
(docs/claims.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine.lessons.claims import (
    Claim,
    Condition,
    Probe,
    Run,
    batch_loss,
    grad_norms,
    mean_test_output,
    noise,
    test_accuracy,
    test_loss,
    train_loss,
)

INF = float("inf")


def _params(t) -> np.ndarray:
    return t.network.params.astype(np.float64)


def _grads(t) -> np.ndarray:
    return t.network.grads.astype(np.float64)


def _next_rate(t) -> float:
    """The rate the next step uses (the schedule at the current step)."""
    return t.learning_rate


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
    {"params": Probe(_params), "grads": Probe(_grads, 1), "lr": Probe(_next_rate, 0, 4)},  # rate k: step k → k+1
)  # fmt: skip

# -- the learning rate --------------------------------------------------------------------------------------------

_LOSS_0_2000 = {"loss": Probe(train_loss, 0, 2000, 2000)}

LR_TOO_SMALL = Claim(
    "after 2,000 steps the loss is still above half of where it started", 2000,
    lambda run, _: [Condition("loss at 2,000 / at start", _start_ratio(run, 2000), ">", 0.5)], _LOSS_0_2000,
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


def _jitter(run: Run) -> float:
    """Mean step-to-step change of the training loss over steps 1,500–2,000."""
    return float(np.abs(np.diff(run.series("late"))).mean())


LR_CONSTANT = Claim(
    "between steps 1,500 and 2,000 its loss still jumps from step to step: more than twice as much as the same run "
    "with a decaying rate", 2000,
    lambda run, ref: [Condition("loss change per step / decaying rate's", _jitter(run) / _jitter(ref["lr-step-decay"]),
                                ">", 2)],
    _LATE, versus=("lr-step-decay",),
)  # fmt: skip
LR_STEP_DECAY = Claim(
    "after the rate is cut, the loss settles: between steps 1,500 and 2,000 it changes from step to step less than "
    "half as much as with the constant rate", 2000,
    lambda run, ref: [
        Condition("loss change per step / constant rate's", _jitter(run) / _jitter(ref["lr-constant"]), "<", 0.5),
        Condition("|rate after step 1,000 / before − 0.1|", abs(run.at("lr", 1000) / run.at("lr", 999) - 0.1), "<",
                  1e-12),
    ],
    {**_LATE, "lr": Probe(_next_rate, 999, 1000)}, versus=("lr-constant",),
)  # fmt: skip

# -- the batch size -----------------------------------------------------------------------------------------------

_BATCH = {"batch": Probe(batch_loss, 201, 1000)}
_BATCHES = ("full-batch", "mini-batch", "stochastic")


def _noises(run: Run, ref: Mapping[str, Run], me: str) -> dict[str, float]:
    return {k: noise((run if k == me else ref[k]).series("batch")) for k in _BATCHES}


def _versus(me: str) -> tuple[str, ...]:
    return tuple(k for k in _BATCHES if k != me)


def _full_batch(run: Run, ref: Mapping[str, Run]) -> list[Condition]:
    n = _noises(run, ref, "full-batch")
    return [Condition("noise of the batch loss", n["full-batch"], "<", 0.01),
            Condition("noise / mini-batch's", n["full-batch"] / n["mini-batch"], "<", 0.1)]  # fmt: skip


def _stochastic(run: Run, ref: Mapping[str, Run]) -> list[Condition]:
    n = _noises(run, ref, "stochastic")
    return [Condition("noise / mini-batch's", n["stochastic"] / n["mini-batch"], ">", 1.5)]


def _mini_batch(run: Run, ref: Mapping[str, Run]) -> list[Condition]:
    n = _noises(run, ref, "mini-batch")
    return [Condition("noise / full batch's", n["mini-batch"] / n["full-batch"], ">", 10),
            Condition("noise / one point's", n["mini-batch"] / n["stochastic"], "<", 2 / 3)]  # fmt: skip


FULL_BATCH = Claim(
    "the step-to-step batch loss is far less noisy than with ten points or one point per step", 1000, _full_batch,
    _BATCH, versus=_versus("full-batch"),
)  # fmt: skip
STOCHASTIC = Claim(
    "the step-to-step batch loss is the noisiest of the three", 1000, _stochastic, _BATCH,
    versus=_versus("stochastic"),
)  # fmt: skip
MINI_BATCH = Claim(
    "the batch loss noise lies between full batch and one point", 1000, _mini_batch, _BATCH,
    versus=_versus("mini-batch"),
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


def _total_grad_norm(t) -> float:
    g = t.network.grads.astype(np.float64)
    return float(np.sqrt(g @ g))


def _exploded(run: Run, _: Mapping[str, Run]) -> list[Condition]:
    event = run.first("diverged")
    largest = max([v for _, v in run.readings["grad"]] + [event["grad_norm"] if event else 0.0])
    return [Condition("step of divergence", _diverged_at(run), "<=", 20),
            Condition("largest gradient norm", largest, ">", 100)]  # fmt: skip


EXPLODING = Claim(
    "the gradient norm exceeds 100 and training diverges within 20 steps", 20, _exploded,
    {"grad": Probe(_total_grad_norm, 1)},
)  # fmt: skip
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
    "test accuracy passes 0.9 within 50 epochs", 1000,
    lambda run, _: [Condition("best test accuracy in 50 epochs", run.series("accuracy").max(), ">", 0.9)],
    {"accuracy": Probe(test_accuracy, 20, 1000, 20)},
)  # fmt: skip

_ORDER = {"swing": Probe(mean_test_output, 100, 1000, 5), "accuracy": Probe(test_accuracy, 400, 1000, 10)}


def _swing(run: Run) -> float:
    """Mean change of the mean test output between the middle and the end of each epoch (10 steps an epoch)."""
    return float(np.abs(np.diff(run.series("swing"))).mean())


NO_SHUFFLE = Claim(
    "the output swings back and forth within every epoch, more than three times as much as with shuffling", 1000,
    lambda run, ref: [Condition("output swing within an epoch / shuffled", _swing(run) / _swing(ref["shuffle"]), ">",
                                3)],
    _ORDER, versus=("shuffle",),
)  # fmt: skip
SHUFFLE = Claim(
    "a steady output (under a third of the swing without shuffling) and a test accuracy well above chance", 1000,
    lambda run, ref: [
        Condition("output swing / not shuffling's", _swing(run) / _swing(ref["no-shuffle"]), "<", 1 / 3),
        Condition("median test accuracy, steps 400–1,000", float(np.median(run.series("accuracy"))), ">", 0.7),
    ],
    _ORDER, versus=("no-shuffle",),
)  # fmt: skip

# -- generalisation -----------------------------------------------------------------------------------------------

OVERFIT_STEPS = 900  # 300 epochs of 30 training points in batches of 10
_TEST_CURVE = {"test": Probe(test_loss, 3, OVERFIT_STEPS, 3)}  # once an epoch


def _gap(run: Run) -> float:
    return run.final["test_loss"] - run.final["train_loss"]


OVERFIT = Claim(
    "training loss ends below 30% of test loss, and test loss has turned and risen to more than 1.5 times its "
    "lowest", OVERFIT_STEPS,
    lambda run, _: [Condition("training loss / test loss", run.final["train_loss"] / run.final["test_loss"], "<", 0.3),
                    Condition("test loss / its lowest", run.final["test_loss"] / run.series("test").min(), ">", 1.5)],
    _TEST_CURVE,
)  # fmt: skip
OVERFIT_L2 = Claim(
    "the train-test gap is less than half of the gap without regularisation", OVERFIT_STEPS,
    lambda run, ref: [Condition("gap / unregularised gap", _gap(run) / _gap(ref["overfit"]), "<", 0.5)],
    versus=("overfit",),
)  # fmt: skip
OVERFIT_DROPOUT = Claim(
    "it cannot memorise the points as well: its training loss ends more than 5% above the unregularised run's",
    OVERFIT_STEPS,
    lambda run, ref: [Condition("training loss / unregularised run's",
                                run.final["train_loss"] / ref["overfit"].final["train_loss"], ">", 1.05)],
    versus=("overfit",),
)  # fmt: skip
OVERFIT_EARLY_STOPPING = Claim(
    "training stops by itself, at a test loss below 80% of the run that goes on", OVERFIT_STEPS,
    lambda run, ref: [
        Condition("early stops", float(bool(run.first("early_stopped"))), "==", 1),
        Condition("test loss / unstopped run's", run.final["test_loss"] / ref["overfit"].final["test_loss"], "<", 0.8),
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


_UNITS = {"silent": Probe(_silent_units, 10, 600, 10), "delta": Probe(_hidden_delta, 10, 600, 10)}  # the last counts

DEAD_RELU = Claim(
    "at least three of the sixteen hidden units are dead and pass exactly zero gradient", 600,
    lambda run, _: [Condition("dead units with δ = 0", float(np.sum(run.at("silent", 600))), ">=", 3)], _UNITS,
)  # fmt: skip
LEAKY_RELU = Claim(
    "every hidden unit still receives gradient, where plain ReLU from the same start has at least three dead units",
    600,
    lambda run, ref: [
        Condition("hidden units with δ = 0", float(np.sum(run.at("delta", 600) == 0)), "==", 0),
        Condition("plain ReLU's dead units", float(np.sum(ref["dead-relu"].at("silent", 600))), ">=", 3),
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
    "no-shuffle": NO_SHUFFLE, "shuffle": SHUFFLE, "overfit": OVERFIT, "overfit-l2": OVERFIT_L2,
    "overfit-dropout": OVERFIT_DROPOUT, "overfit-early-stopping": OVERFIT_EARLY_STOPPING, "dead-relu": DEAD_RELU,
    "leaky-relu": LEAKY_RELU, "zero-init": ZERO_INIT,
}  # fmt: skip
